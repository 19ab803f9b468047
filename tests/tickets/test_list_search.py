"""The ticket list's search box finds a customer's name, a phone number, part of a ticket number and words
of the fault description (Chinese, no spaces) through each ticket's search text (tickets.search), written
by the services; on PostgreSQL through a trigram index and an index of two-character pieces (migration
0023), elsewhere by a scan."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role
from customers.models import CustomerPhone
from customers.services import edit_customer
from tests.customers.factories import UnitFactory
from tests.tickets.factories import TicketFactory
from tickets.maintenance_services import generate_visits
from tickets.models import RepairTicket
from tickets.services import CallDetails, fill_all_search_texts, log_call
from warranty.models import MaintenanceContract


@pytest.fixture
def tickets(branch_a):
    wanted = TicketFactory(
        unit__owner__branch=branch_a,
        unit__owner__name="上海申通巴士有限公司",
        unit__owner__phone__number="13800138000",
        unit__serial_number="KFR35-A001",
        number="SH-20261205-0042",
        fault_description="空调压缩机不启动,外机风扇正常运转",
    )
    other = TicketFactory(
        unit__owner__branch=branch_a,
        unit__owner__name="李娜",
        unit__owner__phone__number="13900139000",
        # Fixed, not the factory's sequence: a sequence number such as 0138 would match the searches.
        unit__serial_number="XQB70-B002",
        number="SH-20261205-0043",
        fault_description="洗衣机脱水时噪音大",
    )
    return wanted, other


def search(client, query: str) -> str:
    return client.get(reverse("tickets:list"), {"q": query}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "申通巴士",  # part of a name
        "0042",  # the end of a number
        "20261205-0042",
        "sh-20261205-0042",
        "压缩机不启动",  # words of the fault
        "外机风扇",
        "风扇",  # a two-character word (no trigram)
        "启动",
        "138 0013 8000",  # a phone typed with spaces
        "+86 138-0013-8000",
        "8000",  # a phone's last digits (尾号)
        "138000",
        "kfr35",  # part of a serial, lower case
        "申通 风扇",  # two words, both in the ticket
    ],
)
def test_the_list_finds_names_numbers_phones_and_fault_words(client, dispatcher, tickets, query):
    wanted, other = tickets
    client.force_login(dispatcher)
    page = search(client, query)
    assert wanted.number in page and other.number not in page


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["0013", "0138", "6123", "2026"])
def test_three_to_six_digits_are_found_where_a_number_ends_not_inside_it(client, dispatcher, tickets, query):
    """Inside a word they are in thousands of phone numbers and dates (tickets.search.number_end)."""
    client.force_login(dispatcher)
    page = search(client, query)
    assert "SH-20261205-0042" not in page and "SH-20261205-0043" not in page


@pytest.mark.django_db
def test_the_digits_before_a_ticket_numbers_dash_are_the_end_of_a_number(client, dispatcher, tickets):
    client.force_login(dispatcher)
    page = search(client, "1205")
    assert "SH-20261205-0042" in page and "SH-20261205-0043" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fault", "found"),
    [
        ("故障码302,外机不转", True),
        ("故障码302.", True),
        ("故障码 302 外机不转", True),
        ("故障码302", True),  # the end of the text
        ("故障码302号", False),  # inside a word: 号 is a word character
        ("故障码3021", False),
    ],
)
def test_digits_in_a_fault_description_are_found_where_they_end(client, dispatcher, branch_a, fault, found):
    ticket = TicketFactory(
        unit__owner__branch=branch_a,
        unit__owner__phone__number="13700000001",
        unit__serial_number="XQB70-B009",
        number="SH-20261205-0001",
        fault_description=fault,
    )
    client.force_login(dispatcher)
    assert (ticket.number in search(client, "302")) is found


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["0077", "漏水"])
def test_the_end_of_a_number_and_a_two_character_word_are_found_in_every_branch_the_reader_sees(
    client, persona, branch_a, branch_b, headquarters, query
):
    """The indexes keep each end of a number (migration 0028) and each two-character piece (0030) alone
    and within its branch: both must find."""
    in_a = TicketFactory(unit__owner__branch=branch_a, number="SH-20261201-0077", fault_description="漏水")
    in_b = TicketFactory(unit__owner__branch=branch_b, number="HZ-20261202-0077", fault_description="漏水")
    client.force_login(persona(Role.DISPATCHER))
    page = search(client, query)
    assert in_a.number in page and in_b.number not in page
    client.force_login(persona(Role.SUPERVISOR, branch=headquarters))
    page = search(client, query)
    assert in_a.number in page and in_b.number in page
    page = client.get(reverse("tickets:list"), {"q": query, "branch": branch_b.pk}).content.decode()
    assert in_b.number in page and in_a.number not in page


@pytest.mark.django_db
def test_a_two_character_name_finds_its_tickets(client, dispatcher, tickets):
    wanted, other = tickets
    client.force_login(dispatcher)
    page = search(client, "李娜")
    assert other.number in page and wanted.number not in page


@pytest.mark.django_db
def test_every_word_must_match(client, dispatcher, tickets):
    client.force_login(dispatcher)
    page = search(client, "申通 噪音")
    assert "SH-20261205-0042" not in page and "SH-20261205-0043" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["风", "4", "申通 风"])
def test_a_single_character_says_so_and_finds_nothing(client, dispatcher, tickets, query):
    client.force_login(dispatcher)
    page = search(client, query)
    assert "请至少输入两个字再搜索" in page
    assert "SH-20261205-0042" not in page and "SH-20261205-0043" not in page


@pytest.mark.django_db
def test_the_search_box_says_what_it_finds(client, dispatcher):
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:list")).content.decode()
    assert "工单号 / 客户 / 电话 / 序列号 / 故障描述" in page
    assert "三至六位数字按结尾查找:单号后几位(0042)、电话尾号(8000)" in page


@pytest.mark.django_db
def test_a_logged_call_is_found_by_its_customer_phone_and_fault(client, dispatcher, branch_a):
    unit = UnitFactory(owner__branch=branch_a, owner__name="王建国", owner__phone__number="13712345678")
    ticket = log_call(
        user=dispatcher,
        unit=unit,
        details=CallDetails(fault_category="appliance", fault_description="室外机漏水严重"),
    )
    client.force_login(dispatcher)
    for query in ("王建国", "建国", "1371234", "漏水", "室外机", ticket.number[-4:]):
        assert ticket.number in search(client, query), query


@pytest.mark.django_db
def test_a_renamed_customer_is_found_by_the_new_name_and_phone(client, dispatcher, tickets):
    wanted, _other = tickets
    edit_customer(
        user=dispatcher,
        customer_id=wanted.customer_id,
        fields={"name": "浦东公交集团"},
        phones=["13800138000", "02161234567"],
    )
    client.force_login(dispatcher)
    assert wanted.number in search(client, "浦东公交")
    assert wanted.number in search(client, "021-6123 4567")
    assert wanted.number not in search(client, "申通巴士")


@pytest.mark.django_db
def test_the_bulk_fill_writes_what_the_services_write(postgres, tickets):
    """The bench's seed fills the search text in SQL (as migration 0023 did): the same text."""
    wanted, _other = tickets
    CustomerPhone.objects.create(customer=wanted.customer, number="02161234567")
    wanted.refresh_from_db()
    RepairTicket.objects.update(search_text="")
    assert fill_all_search_texts() == 2
    wanted_text = RepairTicket.objects.get(pk=wanted.pk).search_text
    assert wanted_text == (
        "SH-20261205-0042 上海申通巴士有限公司 13800138000 02161234567 KFR35-A001 空调压缩机不启动,外机风扇正常运转"
    )


@pytest.mark.django_db
def test_the_search_indexes_exist_on_postgresql(postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tickets_repairticket'")
        indexes = dict(cursor.fetchall())
    assert "gin_trgm_ops" in indexes["tickets_search_trgm_idx"]
    assert "tickets_branch_bigrams(branch_id, search_text)" in indexes["tickets_search_branch_bigram_idx"]
    assert "tickets_search_bigram_idx" not in indexes  # the pieces alone: replaced (migration 0030)
    assert "tickets_number_ends(branch_id, search_text)" in indexes["tickets_number_ends_idx"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tickets_branch_bigrams(3, '漏水 AB漏水')")
        assert sorted(cursor.fetchone()[0]) == ["3/AB", "3/B漏", "3/漏水", "AB", "B漏", "漏水"]


@pytest.mark.django_db
def test_the_branch_is_indexed_only_at_the_head_of_the_lists_indexes():
    """A one-column index of the branch led the planner to AND a bitmap of a branch's 400,000 tickets with
    a name search's few hundred matches (migration 0029); the indexes that begin with the branch serve
    every lookup by it."""
    table = RepairTicket._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexes = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    assert ["branch_id"] not in indexes
    assert ["branch_id", "due_at", "id"] in indexes


@pytest.mark.django_db
def test_a_search_pages_through_every_match_and_says_when_there_are_more(
    client, dispatcher, branch_a, monkeypatch
):
    monkeypatch.setattr("tickets.views.PAGE_SIZE", 2)
    found = [
        TicketFactory(unit__owner__branch=branch_a, fault_description="室内机漏水", due_at=due)
        for due in (timezone.now() + datetime.timedelta(hours=hours) for hours in (3, 1, 2, 4, 5))
    ]
    client.force_login(dispatcher)
    first = search(client, "漏水")
    # The first two in the list's order (by deadline); the page says there are more, not how many.
    assert found[1].number in first and found[2].number in first and found[0].number not in first
    assert "第 1–2 张,还有更多" in first and "第 1 页" in first and "page=2" in first
    assert "/ 2 页" not in first and "共" not in first
    third = client.get(reverse("tickets:list"), {"q": "漏水", "page": 3}).content.decode()
    # The last page knows the total; past the cap of a hundred a search still pages on.
    assert found[4].number in third and found[3].number not in third
    assert "共 5 张工单" in third and "第 3 / 3 页" in third and "page=2" in third and "page=4" not in third


@pytest.mark.django_db
def test_a_link_past_the_last_page_of_a_search_shows_the_first(client, dispatcher, tickets):
    wanted, other = tickets
    client.force_login(dispatcher)
    for number in ("7", "99999999999999999999", "x"):
        page = client.get(reverse("tickets:list"), {"q": "申通", "page": number}).content.decode()
        assert wanted.number in page and "共 1 张工单" in page


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["-number", "reported", "-due"])
def test_a_search_keeps_the_lists_order(client, dispatcher, branch_a, sort):
    found = [
        TicketFactory(
            unit__owner__branch=branch_a,
            fault_description="室内机漏水",
            number=f"SH-20261205-00{n}",
            due_at=timezone.now() + datetime.timedelta(hours=hours),
        )
        for n, hours in ((51, 2), (53, 1), (52, 3))
    ]
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:list"), {"q": "漏水", "sort": sort}).content.decode()
    positions = [page.index(ticket.number) for ticket in found]
    # The factory reports them one after the other: by report time is by creation.
    key = {"-number": lambda t: t.number, "reported": lambda t: t.pk, "-due": lambda t: t.due_at}[sort]
    expected = sorted(found, key=key, reverse=sort.startswith("-"))
    assert [found[i] for i in sorted(range(3), key=positions.__getitem__)] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["漏水", "室内机漏水", "20261205-0042"])
def test_a_search_runs_the_same_queries_for_3_and_for_30_matches(client, dispatcher, branch_a, query):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("tickets:list"), {"q": query}).status_code == 200
        return len(captured)

    client.force_login(dispatcher)
    TicketFactory.create_batch(3, unit__owner__branch=branch_a, fault_description="室内机漏水")
    few = queries()
    TicketFactory.create_batch(30, unit__owner__branch=branch_a, fault_description="室内机漏水")
    assert queries() == few <= 9


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["漏水", "0042"])
def test_a_search_does_not_count_its_matches(client, dispatcher, branch_a, query):
    """A count in the list's order walked 17,000 rows for the 101st match of a number's end at a million
    tickets (docs/performance.md): the page reads one row more instead."""
    TicketFactory.create_batch(3, unit__owner__branch=branch_a, fault_description="室内机漏水0042")
    client.force_login(dispatcher)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("tickets:list"), {"q": query})
    ticket_queries = [q["sql"] for q in captured if "tickets_repairticket" in q["sql"]]
    assert len(ticket_queries) == 1 and "COUNT(" not in ticket_queries[0]


# Every write path of what the search matches refreshes the tickets' search text (customers.services
# file_changed → tickets.services.refresh_search_text): the customer pages and the API above, the admin here.


@pytest.fixture
def superuser_client(django_user_model):
    """The admin in a browser of its own (its "changed successfully" message names the ticket)."""
    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser("root", "root@example.cn", "pw-1"))
    return admin


def _posted(form) -> dict:
    """What the browser posts for an unbound form: each field's value, a split date and time in two."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        widget = getattr(field.widget, "widget", field.widget)  # the admin's related-field wrapper
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[form.add_prefix(f"{name}_{index}")] = "" if part is None else str(part)
        elif isinstance(value, list | tuple):
            data[form.add_prefix(name)] = [str(item) for item in value]
        elif value is not None:
            data[form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    return data


def admin_form(client, url: str) -> dict:
    """The admin change form as the browser would post it back unchanged: the fields and every inline."""
    context = client.get(url).context
    data = _posted(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()}
        )
        for form in formset.initial_forms:
            data.update(_posted(form))
    return data


def admin_save(client, url: str, data: dict) -> None:
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("admin_page", "of", "field", "value", "found_by", "no_longer_by"),
    [
        ("customers_customer", "customer_id", "name", "浦东公交集团", "浦东公交", "申通巴士"),
        ("customers_unit", "unit_id", "serial_number", "KFR35-Z999", "Z999", "A001"),
        ("tickets_repairticket", "pk", "fault_description", "室内机结霜,制冷效果差", "结霜", "压缩机"),
    ],
    ids=["customer name", "unit serial", "ticket fault"],
)
def test_a_field_corrected_in_the_admin_is_found_by_its_new_words(
    client, superuser_client, dispatcher, tickets, admin_page, of, field, value, found_by, no_longer_by
):
    wanted, _other = tickets
    url = reverse(f"admin:{admin_page}_change", args=[getattr(wanted, of)])
    admin_save(superuser_client, url, {**admin_form(superuser_client, url), field: value})
    client.force_login(dispatcher)
    assert wanted.number in search(client, found_by)
    assert wanted.number not in search(client, no_longer_by)


@pytest.mark.django_db
def test_a_phone_added_in_the_admin_finds_the_customers_tickets(
    client, superuser_client, dispatcher, tickets
):
    wanted, _other = tickets
    url = reverse("admin:customers_customer_change", args=[wanted.customer_id])
    data = admin_form(superuser_client, url)
    total = int(data["phones-TOTAL_FORMS"])
    data.update({"phones-TOTAL_FORMS": str(total + 1), f"phones-{total}-number": "02161234567"})
    admin_save(superuser_client, url, data)
    client.force_login(dispatcher)
    assert wanted.number in search(client, "021-6123 4567")


@pytest.mark.django_db
def test_a_customer_renamed_over_the_api_is_found_by_the_new_name(client, dispatcher, tickets):
    wanted, _other = tickets
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(dispatcher)[1]}")
    response = api.patch(f"/api/v1/customers/{wanted.customer_id}", {"name": "浦东公交集团"}, format="json")
    assert response.status_code == 200, response.content
    client.force_login(dispatcher)
    assert wanted.number in search(client, "浦东公交")


@pytest.mark.django_db
def test_a_maintenance_visit_is_found_by_its_customer(client, dispatcher, branch_a):
    unit = UnitFactory(
        owner__branch=branch_a, owner__name="浦东公交集团", product_model__category="appliance"
    )
    today = timezone.localdate()
    MaintenanceContract.objects.create(
        number="MC-2027-001",
        customer=unit.owner,
        unit=unit,
        start_date=today,
        end_date=today + datetime.timedelta(days=365),
        visit_every_months=3,
        coordinator=dispatcher,
    )
    assert generate_visits(today) == 1
    ticket = RepairTicket.objects.get(unit=unit)
    client.force_login(dispatcher)
    assert ticket.number in search(client, "浦东公交")
