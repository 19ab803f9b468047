"""The ticket list's tools (issue #16): sortable columns, saved filters per user, bulk dispatch and
bulk cancel with reasons; the dispatch board's facts. Through the Django client, as a dispatcher works."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from tests.tickets.factories import TicketFactory
from tickets.models import FaultCode, RepairTicket, SavedTicketFilter, State, TicketEvent

pytestmark = pytest.mark.django_db


def numbers_in_order(page: str, tickets) -> list[str]:
    return sorted((ticket.number for ticket in tickets), key=page.index)


class TestSorting:
    def test_by_deadline_first_then_by_any_column_both_ways(self, client, dispatcher, branch_a):
        now = timezone.now()
        a = TicketFactory(
            unit__owner__branch=branch_a, number="SH-A", due_at=now + datetime.timedelta(hours=3)
        )
        b = TicketFactory(
            unit__owner__branch=branch_a, number="SH-B", due_at=now + datetime.timedelta(hours=1)
        )
        c = TicketFactory(
            unit__owner__branch=branch_a, number="SH-C", due_at=now + datetime.timedelta(hours=2)
        )
        client.force_login(dispatcher)
        url = reverse("tickets:list")
        assert numbers_in_order(client.get(url).content.decode(), [a, b, c]) == ["SH-B", "SH-C", "SH-A"]
        page = client.get(url, {"sort": "number"}).content.decode()
        assert numbers_in_order(page, [a, b, c]) == ["SH-A", "SH-B", "SH-C"]
        assert 'data-sort="number" aria-sort="ascending"' in page and "sort=-number" in page
        page = client.get(url, {"sort": "-number"}).content.decode()
        assert numbers_in_order(page, [a, b, c]) == ["SH-C", "SH-B", "SH-A"]

    def test_the_sort_link_keeps_the_filters_and_a_bad_sort_falls_back(self, client, dispatcher, branch_a):
        TicketFactory(unit__owner__branch=branch_a)
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:list"), {"state": "open", "sort": "password"}).content.decode()
        assert "state=open&amp;sort=number" in page
        assert 'data-sort="due" aria-sort="ascending"' in page


class TestSavedFilters:
    def test_a_user_saves_a_filter_and_finds_it_again_only_for_himself(self, client, dispatcher, supervisor):
        client.force_login(dispatcher)
        response = client.post(
            reverse("tickets:save_filter"),
            {"name": "超期未派", "query": "state=reported&overdue=on"},
            follow=True,
        )
        page = response.content.decode()
        assert "已保存筛选“超期未派”" in page
        assert f'href="{reverse("tickets:list")}?state=reported&amp;overdue=on">超期未派</a>' in page
        # Saving under the same name replaces it.
        client.post(reverse("tickets:save_filter"), {"name": "超期未派", "query": "state=reported"})
        assert list(SavedTicketFilter.objects.values_list("name", "query")) == [
            ("超期未派", "state=reported")
        ]
        client.force_login(supervisor)
        assert ">超期未派</a>" not in client.get(reverse("tickets:list")).content.decode()
        saved = SavedTicketFilter.objects.get()
        client.post(reverse("tickets:delete_filter", args=[saved.pk]))
        assert SavedTicketFilter.objects.exists()  # not his
        client.force_login(dispatcher)
        client.post(reverse("tickets:delete_filter", args=[saved.pk]))
        assert not SavedTicketFilter.objects.exists()

    def test_a_name_too_long_is_refused_with_a_message(self, client, dispatcher):
        client.force_login(dispatcher)
        response = client.post(reverse("tickets:save_filter"), {"name": "长" * 41, "query": ""}, follow=True)
        assert "筛选名称必填,最多 40 个字" in response.content.decode()
        assert not SavedTicketFilter.objects.exists()

    def test_the_list_keeps_constant_queries_with_many_rows(self, client, dispatcher, branch_a):
        client.force_login(dispatcher)
        SavedTicketFilter.objects.create(user=dispatcher, name="a", query="state=open")
        TicketFactory.create_batch(2, unit__owner__branch=branch_a)
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("tickets:list"))
        TicketFactory.create_batch(20, unit__owner__branch=branch_a, dispatched=True)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("tickets:list"))
        assert len(few) == len(many)


def ticked(*tickets) -> list[str]:
    return [f"{ticket.pk}:{ticket.version}" for ticket in tickets]


class TestBulk:
    def test_the_bulk_forms_labels_name_its_own_fields(self, client, dispatcher, technician, branch_a):
        """The filter and the bulk form both had id_technician: the bulk label 技术员 opened the filter's
        select, whose change reloads the list and drops every tick (seen by a helper)."""
        TicketFactory(unit__owner__branch=branch_a)
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:list") + "?state=reported").content.decode()
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert sorted({i for i in ids if ids.count(i) > 1}) == []
        assert '<label class="form-label small mb-0" for="bulk-technician">技术员</label>' in page
        assert 'id="bulk-technician"' in page

    def test_bulk_dispatch_to_one_technician_with_a_stale_row_reported(
        self, client, dispatcher, technician, branch_a
    ):
        first, second, stale = TicketFactory.create_batch(3, unit__owner__branch=branch_a)
        stale_version = f"{stale.pk}:{stale.version - 1}"
        client.force_login(dispatcher)
        response = client.post(
            reverse("tickets:bulk"),
            {
                "action": "dispatch",
                "technician": technician.pk,
                "ticket": [*ticked(first, second), stale_version],
                "query": "state=reported",
            },
            follow=True,
        )
        assert response.redirect_chain[-1][0] == f"{reverse('tickets:list')}?state=reported"
        page = response.content.decode()
        assert "“派工”已完成 2 张" in page and f"{stale.number} 未处理" in page and "已被他人更新" in page
        for ticket, state in ((first, State.DISPATCHED), (second, State.DISPATCHED), (stale, State.REPORTED)):
            ticket.refresh_from_db()
            assert ticket.state == state
        assert TicketEvent.objects.filter(action="dispatch", data__technician=technician.pk).count() == 2

    def test_bulk_cancel_needs_a_reason_and_writes_it_on_each_ticket(self, client, supervisor, branch_a):
        tickets = TicketFactory.create_batch(2, unit__owner__branch=branch_a)
        client.force_login(supervisor)
        response = client.post(
            reverse("tickets:bulk"),
            {"action": "cancel", "ticket": ticked(*tickets), "note": " "},
            follow=True,
        )
        assert "批量取消请填写原因" in response.content.decode()
        assert not TicketEvent.objects.exists()
        client.post(
            reverse("tickets:bulk"), {"action": "cancel", "ticket": ticked(*tickets), "note": "客户重复来电"}
        )
        assert list(TicketEvent.objects.values_list("action", "note")) == [("cancel", "客户重复来电")] * 2

    def test_a_double_press_changes_nothing_twice(self, client, dispatcher, branch_a):
        tickets = TicketFactory.create_batch(2, unit__owner__branch=branch_a)
        client.force_login(dispatcher)
        data = {"action": "cancel", "ticket": ticked(*tickets), "note": "误报"}
        client.post(reverse("tickets:bulk"), data)
        response = client.post(reverse("tickets:bulk"), data, follow=True)
        assert "已被他人更新" in response.content.decode()
        assert TicketEvent.objects.count() == 2

    def test_nothing_ticked_and_outsiders(self, client, dispatcher, technician, persona, branch_a, branch_b):
        foreign = TicketFactory(unit__owner__branch=branch_b)
        client.force_login(dispatcher)
        response = client.post(reverse("tickets:bulk"), {"action": "cancel", "note": "x"}, follow=True)
        assert "请先在列表中勾选要处理的工单" in response.content.decode()
        client.post(reverse("tickets:bulk"), {"action": "cancel", "ticket": ticked(foreign), "note": "x"})
        foreign.refresh_from_db()
        assert foreign.state == State.REPORTED  # another branch's ticket is not even looked at
        client.force_login(technician)
        assert client.post(reverse("tickets:bulk"), {"action": "cancel"}).status_code == 403
        assert 'id="bulk-form"' not in client.get(reverse("tickets:list")).content.decode()


def test_the_board_shows_priority_zone_distance_and_verdict(client, dispatcher, branch_a):
    ticket = TicketFactory(
        unit__owner__branch=branch_a,
        unit__owner__service_zone="suburb",
        unit__owner__distance_km="23.5",
        priority="urgent",
        warranty_remedy="free_repair",
    )
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:dispatch_board")).content.decode()
    facts = page[page.index(f'data-testid="board-facts-{ticket.number}"') :].split("</div>")[0]
    assert "紧急" in facts and "郊区" in facts and "23.5 km" in facts and "免费维修" in facts


class TestDrillDown:
    """The quality page's links (reports.quality) open the list on one group: the badge names it as the
    reader does, not by the link's parameters."""

    def test_the_badge_names_the_model_batch_and_fault_code(self, client, dispatcher, branch_a):
        ticket = TicketFactory(
            unit__owner__branch=branch_a,
            unit__product_model__name="变频空调",
            unit__product_model__code="KFR-35GW",
            unit__batch="B2610",
            reported_at=timezone.now(),
        )
        code = FaultCode.objects.create(product_model=ticket.unit.product_model, code="E1", symptom="不制冷")
        RepairTicket.objects.filter(pk=ticket.pk).update(fault_code=code, fault_cause="quality")
        client.force_login(dispatcher)
        month = timezone.localdate().strftime("%Y-%m")
        query = {
            "month": month,
            "product_model": ticket.unit.product_model_id,
            "batch": "B2610",
            "fault_code": code.pk,
            "failures": "on",
        }
        page = client.get(reverse("tickets:list"), query).content.decode()
        badge = re.search(r'data-testid="drill-down">(.*?)</span>', page)[1]
        assert ticket.number in page
        assert "product_model=" not in badge and f"={code.pk}" not in badge
        for label in (
            f"报修月份:{month}",
            "产品型号:变频空调 KFR-35GW",
            "生产批次:B2610",
            "故障代码:E1 不制冷",
        ):
            assert label in badge, badge
        assert "仅质量故障" in badge

    def test_none_reads_as_none_and_english_reads_english(self, client, dispatcher):
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:list"), {"batch": "-", "fault_code": "-"}).content.decode()
        badge = re.search(r'data-testid="drill-down">(.*?)</span>', page)[1]
        assert "未填批次" in badge and "无故障代码" in badge and "=-" not in badge
        client.cookies["django_language"] = "en"
        page = client.get(reverse("tickets:list"), {"batch": "-", "failures": "on"}).content.decode()
        badge = re.search(r'data-testid="drill-down">(.*?)</span>', page)[1]
        assert "No batch" in badge and "Quality failures only" in badge, badge


@pytest.mark.django_db
def test_the_technician_selects_are_read_without_a_server_side_cursor(client, persona, technician, branch_a):
    """Django reads a ModelChoiceField's options through QuerySet.iterator(): on PostgreSQL a DECLARE …
    WITH HOLD cursor per select, dearer than the few rows (issue #19). The filter's and the bulk
    action's technician selects are plain queries, and still list the branch's technicians."""
    TicketFactory(branch=branch_a)  # the bulk action shows with tickets to tick
    client.force_login(persona(Role.SUPERVISOR))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("tickets:list")).content.decode()
    assert not [query["sql"] for query in queries if query["sql"].startswith("DECLARE")]
    assert page.count(f'<option value="{technician.pk}"') == 2  # the filter and the bulk action
