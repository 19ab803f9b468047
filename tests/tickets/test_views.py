"""The ticket screens through the Django client: intake, list, detail, board, my jobs."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from customers.models import Customer, FaultCategory, Unit
from tests.accounts.factories import UserFactory
from tests.customers.factories import ProductModelFactory, UnitFactory
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, SlaPolicy, State, TicketDeadline, TicketEvent
from tickets.services import apply_transition
from tickets.views import BOARD_SIZE
from warranty.models import WarrantyPolicy


def intake_data(**overrides) -> dict:
    data = {
        "customer-name": "张伟",
        "customer-kind": "person",
        "customer-phone": "139 1234 5678",
        "customer-address": "上海市徐汇区漕溪北路 88 号",
        "customer-service_zone": "city",
        "customer-distance_km": "8",
        "unit-product_model": str(ProductModelFactory(code="KFR-35GW").pk),
        "unit-serial_number": "sn-2026-0001",
        "unit-purchase_date": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        "unit-purchase_place": "京东自营",
        "unit-sales_channel": "direct",
        "fault_category": "appliance",
        "fault_description": "开机无反应",
        "fault_cause": "quality",
        "channel": "phone",
        "priority": "normal",
    }
    data.update(overrides)
    return data


class _SelectDefault(HTMLParser):
    """What a browser submits for a <select> nobody touched: the selected option, else the first."""

    def __init__(self, name: str):
        super().__init__()
        self.name, self.inside, self.first, self.selected = name, False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self.inside = attrs.get("name") == self.name
        elif tag == "option" and self.inside:
            if self.first is None:
                self.first = attrs.get("value", "")
            if "selected" in attrs and self.selected is None:
                self.selected = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.inside = False


def untouched_choice(page: str, name: str) -> str:
    parser = _SelectDefault(name)
    parser.feed(page)
    return parser.selected if parser.selected is not None else parser.first


@pytest.mark.django_db
class TestIntake:
    def test_the_fault_category_of_a_new_unit_follows_its_product(self, client, dispatcher):
        """An air conditioner logged without touching 故障类别 is an appliance fault with the appliance
        deadline (6 working hours in the city, §7-十九), not 车身/整机 with the bus's 24 h (§1-3.2.2)."""
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:intake")).content.decode()
        data = intake_data(fault_category=untouched_choice(page, "fault_category"))
        assert client.post(reverse("tickets:intake"), data).status_code == 302
        ticket = RepairTicket.objects.get()
        assert ticket.fault_category == "appliance"
        arrival = ticket.deadlines.get(milestone="arrival")
        assert (arrival.target_hours, arrival.basis) == (6, "working")

    def test_a_fault_category_the_product_cannot_have_is_refused(self, client, dispatcher):
        client.force_login(dispatcher)
        response = client.post(reverse("tickets:intake"), intake_data(fault_category="body"))
        assert response.status_code == 200
        assert "故障类别“车身/整机”不适用于产品“壁挂式空调”" in response.content.decode()
        assert not RepairTicket.objects.exists() and not Customer.objects.exists()

    def test_a_new_customer_call_is_logged_with_number_verdict_and_history(self, client, dispatcher):
        client.force_login(dispatcher)
        response = client.post(reverse("tickets:intake"), intake_data())
        ticket = RepairTicket.objects.get()
        assert response.status_code == 302 and response.url == ticket.get_absolute_url()
        assert re.fullmatch(rf"SH-{timezone.localdate():%Y%m%d}-0001", ticket.number)
        assert ticket.customer.phones.get().number == "13912345678"
        assert ticket.unit.serial_number == "SN-2026-0001"
        assert ticket.warranty_remedy == "refund"  # manufacturer, day 3: §3 第四条
        assert ticket.service_category == "C"
        assert [reason["code"] for reason in ticket.warranty_decision["reasons"]][0] == "refund_window"
        event = TicketEvent.objects.get(ticket=ticket)
        assert (event.action, event.actor, event.to_state) == ("log_call", dispatcher, State.REPORTED)
        page = client.get(response.url).content.decode()
        assert "已登记报修" in page and ticket.number in page and "退货退款" in page
        # The policy by its name and version in the reader's language, not its code ("manufacturer v1").
        policy = page.split('data-testid="verdict-policy">')[1].split("</span>")[0]
        assert policy == "(厂家保修(§3 产品售后服务流程),第 1 版)"
        client.cookies["django_language"] = "en"
        page = client.get(response.url).content.decode()
        policy = page.split('data-testid="verdict-policy">')[1].split("</span>")[0]
        assert policy == "(Manufacturer warranty (§3 after-sales service process), version 1)"

    def test_a_returning_customer_is_logged_from_the_unit(self, client, dispatcher, branch_a):
        unit = UnitFactory(owner__branch=branch_a)
        client.force_login(dispatcher)
        response = client.post(
            reverse("tickets:intake"),
            {
                "unit": unit.pk,
                "fault_category": "appliance",
                "fault_description": "漏水",
                "fault_cause": "customer",
                "channel": "phone",
                "priority": "urgent",
            },
        )
        assert response.status_code == 302
        ticket = RepairTicket.objects.get()
        assert (ticket.unit, ticket.customer, ticket.priority) == (unit, unit.owner, "urgent")
        assert (ticket.warranty_remedy, ticket.service_category) == ("paid_repair", "A")
        assert Customer.objects.count() == 1

    def test_a_fault_description_over_the_limit_is_refused_not_cut(self, client, dispatcher):
        """The browser cut a pasted 5,000 characters to 2,000 without a word (maxlength): the page counts
        instead, and the server refuses the long text with the limit and the length in the message."""
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:intake")).content.decode()
        textarea = re.search(r"<textarea[^>]*name=\"fault_description\"[^>]*>", page).group(0)
        assert "maxlength" not in textarea and 'data-max-chars="2000"' in textarea
        assert re.search(
            r'data-counter-for="id_fault_description"[^>]*>\s*<span data-count>0</span> / 2000', page
        )
        response = client.post(reverse("tickets:intake"), intake_data(fault_description="不制冷" * 1667))
        assert response.status_code == 200
        assert "故障描述最多 2000 字,现在是 5001 字,请精简后再提交。" in response.content.decode()
        assert not RepairTicket.objects.exists()

    def test_a_unit_with_an_open_ticket_is_logged_again_only_by_a_deliberate_choice(
        self, client, dispatcher, branch_a
    ):
        """A duplicate was accepted silently: the same call logged twice, two technicians sent."""
        unit = UnitFactory(owner__branch=branch_a)
        open_ticket = TicketFactory(unit=unit, dispatched=True)
        TicketFactory(unit=unit, cancelled=True)
        client.force_login(dispatcher)
        call = {
            "unit": unit.pk,
            "fault_description": "仍然不制冷",
            "fault_cause": "quality",
            "channel": "phone",
            "priority": "normal",
        }
        response = client.post(reverse("tickets:intake"), call)
        page = response.content.decode()
        assert response.status_code == 200
        assert "该产品已有 1 张未完结的工单" in page
        assert open_ticket.get_absolute_url() in page and open_ticket.number in page
        assert 'name="log_anyway"' in page and "仍然登记新报修" in page
        assert "仍然不制冷" in page  # what was typed stays
        assert RepairTicket.objects.count() == 2

        response = client.post(reverse("tickets:intake"), {**call, "log_anyway": "1"})
        assert response.status_code == 302
        assert RepairTicket.objects.filter(unit=unit).open().count() == 2

    def test_a_unit_whose_tickets_are_all_closed_is_logged_without_a_question(
        self, client, dispatcher, branch_a
    ):
        unit = UnitFactory(owner__branch=branch_a)
        TicketFactory(unit=unit, closed=True)
        client.force_login(dispatcher)
        response = client.post(
            reverse("tickets:intake"),
            {
                "unit": unit.pk,
                "fault_description": "异响",
                "channel": "phone",
                "priority": "normal",
                "fault_cause": "quality",
            },
        )
        assert response.status_code == 302

    def test_bad_input_names_the_fields_in_chinese_and_saves_nothing(self, client, dispatcher):
        client.force_login(dispatcher)
        future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
        response = client.post(
            reverse("tickets:intake"),
            intake_data(**{"customer-phone": "12345", "unit-purchase_date": future, "fault_description": ""}),
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "请输入有效的手机号" in page
        assert "购买日期不能晚于报修日期" in page
        assert "请填写客户描述的故障现象" in page
        assert (
            not Customer.objects.exists() and not Unit.objects.exists() and not RepairTicket.objects.exists()
        )

    def test_a_serial_number_on_file_is_refused_with_a_hint(self, client, dispatcher, branch_a):
        UnitFactory(serial_number="SN-2026-0001", owner__branch=branch_a)
        client.force_login(dispatcher)
        page = client.post(reverse("tickets:intake"), intake_data()).content.decode()
        assert "序列号已登记" in page
        assert RepairTicket.objects.count() == 0

    def test_the_search_finds_a_customer_by_any_form_of_the_phone_serial_or_name(
        self, client, dispatcher, branch_a
    ):
        unit = UnitFactory(owner__branch=branch_a, owner__name="李娜", serial_number="SNX900")
        unit.owner.phones.update(number="13800138000")
        client.force_login(dispatcher)
        for query in ("+86 138 0013 8000", "1380013", "SNX9", "李娜"):
            page = client.get(reverse("customers:search"), {"q": query}).content.decode()
            assert "李娜" in page, query
        assert "没有找到" in client.get(reverse("customers:search"), {"q": "13999999999"}).content.decode()

    def test_search_never_shows_another_branchs_customers(self, client, dispatcher, branch_b):
        UnitFactory(owner__branch=branch_b, owner__name="外地客户")
        client.force_login(dispatcher)
        assert "没有找到" in client.get(reverse("customers:search"), {"q": "外地客户"}).content.decode()

    def test_only_dispatchers_log_calls(self, client, technician):
        client.force_login(technician)
        assert client.get(reverse("tickets:intake")).status_code == 403

    def test_the_live_verdict_for_a_new_unit(self, client, dispatcher):
        client.force_login(dispatcher)
        data = intake_data(
            **{"unit-purchase_date": (timezone.localdate() - datetime.timedelta(days=20)).isoformat()}
        )
        page = client.post(reverse("tickets:verdict_preview"), data).content.decode()
        assert "换货" in page  # manufacturer, day 20: replacement within 1 month (§3 第五条)
        assert "购买第 20 天" in page


@pytest.mark.django_db
class TestListAndDetail:
    def queries_for(self, client, url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def test_the_list_runs_the_same_queries_for_3_and_for_25_rows(self, client, dispatcher, branch_a):
        client.force_login(dispatcher)
        url = reverse("tickets:list") + "?state=open"
        TicketFactory.create_batch(3, unit__owner__branch=branch_a, dispatched=True)
        few = self.queries_for(client, url)
        TicketFactory.create_batch(30, unit__owner__branch=branch_a, dispatched=True)
        many = self.queries_for(client, url)
        assert few == many <= 10

    def test_the_filter_and_the_bulk_action_list_the_technicians_from_one_query(
        self, client, dispatcher, branch_a, persona
    ):
        technicians = [persona(Role.TECHNICIAN, username=f"tech-{n}") for n in range(3)]
        TicketFactory(unit__owner__branch=branch_a, dispatched=True)
        client.force_login(dispatcher)
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("tickets:list") + "?state=open").content.decode()
        lists = [q["sql"] for q in captured if q["sql"].endswith('ORDER BY "accounts_user"."username" ASC')]
        assert len(lists) == 1
        for technician in technicians:
            assert (
                page.count(f'<option value="{technician.pk}">') == 2
            )  # the filter's select and the bulk one

    def test_the_detail_runs_the_same_queries_whatever_the_history(
        self, client, dispatcher, supervisor, branch_a
    ):
        client.force_login(dispatcher)
        ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True)
        short = self.queries_for(client, ticket.get_absolute_url())
        crew = [UserFactory(branch=branch_a, roles=[Role.TECHNICIAN]), ticket.technician]
        for turn in range(5):  # handed back and forth: 派工 to the same technician again writes nothing
            ticket = apply_transition(
                ticket_id=ticket.pk,
                user=dispatcher,
                name="dispatch",
                expected_version=ticket.version,
                technician=crew[turn % 2],
            )
        assert self.queries_for(client, ticket.get_absolute_url()) == short

    def test_the_detail_reads_its_milestones_policies_with_the_milestones(self, client, dispatcher, branch_a):
        client.force_login(dispatcher)
        ticket = TicketFactory(unit__owner__branch=branch_a)
        now = timezone.now()

        def milestone(name: str, policy: str) -> None:
            TicketDeadline.objects.create(
                ticket=ticket,
                milestone=name,
                policy=SlaPolicy.objects.create(name=policy, order=900, arrival_hours=Decimal(2)),
                target_hours=Decimal(4),
                basis="clock",
                started_at=now,
                warn_at=now + datetime.timedelta(hours=3),
                due_at=now + datetime.timedelta(hours=4),
                escalate_at=now + datetime.timedelta(hours=5),
            )

        milestone("contact", "规则甲")
        one = self.queries_for(client, ticket.get_absolute_url())
        milestone("arrival", "规则乙")
        milestone("resolution", "规则丙")
        assert self.queries_for(client, ticket.get_absolute_url()) == one
        page = client.get(ticket.get_absolute_url()).content.decode()
        assert all(name in page for name in ("规则甲", "规则乙", "规则丙"))

    def test_the_verdict_names_its_own_policy_not_the_products_current_one(
        self, client, dispatcher, branch_a
    ):
        """The page passes the product's policy to the verdict card to save a query; a verdict given under
        another policy (the product's changed since) still shows that one."""
        client.force_login(dispatcher)
        retail = WarrantyPolicy.objects.get(slug="manufacturer")
        retail.pk, retail.slug, retail.name = None, "test-retail", "零售商保修(测试)"
        retail.save()
        ticket = TicketFactory(
            unit__owner__branch=branch_a,
            warranty_decision={
                "policy": retail.slug,
                "policy_version": 3,
                "remedy": "free_repair",
                "payer": "company",
                "eligible": ["free_repair"],
                "reasons": [],
            },
        )
        assert ticket.unit.product_model.warranty_policy.slug == "manufacturer"
        page = client.get(ticket.get_absolute_url()).content.decode()
        assert "零售商保修(测试),第 3 版" in page
        ticket.warranty_decision = {**ticket.warranty_decision, "policy": "manufacturer", "policy_version": 1}
        ticket.save(update_fields=["warranty_decision"])
        page = client.get(ticket.get_absolute_url()).content.decode()
        assert "零售商保修" not in page and "厂家保修(§3 产品售后服务流程),第 1 版" in page

    def test_list_filters_and_search(self, client, dispatcher, branch_a):
        client.force_login(dispatcher)
        overdue = TicketFactory(
            unit__owner__branch=branch_a, due_at=timezone.now() - datetime.timedelta(hours=1)
        )
        closed = TicketFactory(
            unit__owner__branch=branch_a, unit__owner__phone__number="02161234567", closed=True
        )
        page = client.get(reverse("tickets:list"), {"overdue": "on"}).content.decode()
        assert overdue.number in page and closed.number not in page
        page = client.get(reverse("tickets:list"), {"q": "021-6123 4567"}).content.decode()
        assert closed.number in page and overdue.number not in page
        page = client.get(reverse("tickets:list"), {"state": "closed"}).content.decode()
        assert closed.number in page and overdue.number not in page
        assert "没有符合条件的工单" in client.get(reverse("tickets:list"), {"q": "NOPE"}).content.decode()

    def test_the_list_is_paginated_and_sorted_by_deadline(self, client, dispatcher, branch_a):
        client.force_login(dispatcher)
        now = timezone.now()
        tickets = [
            TicketFactory(unit__owner__branch=branch_a, due_at=now + datetime.timedelta(hours=h))
            for h in range(30, 0, -1)
        ]
        first = client.get(reverse("tickets:list")).content.decode()
        assert first.index(tickets[-1].number) < first.index(tickets[-2].number)
        assert tickets[0].number not in first
        assert tickets[0].number in client.get(reverse("tickets:list"), {"page": 2}).content.decode()

    def test_a_desk_calls_page_asks_nothing_of_the_customers_photos_and_video(
        self, client, dispatcher, branch_a
    ):
        """Issue #19: only the customer's own report sends photos and a video (their page shows them:
        tests/portal/test_report_fault.py); a call logged at the desk reads neither table."""
        ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True)
        client.force_login(dispatcher)
        with CaptureQueriesContext(connection) as captured:
            page = client.get(ticket.get_absolute_url()).content.decode()
        assert ticket.technician.get_full_name() in page or str(ticket.technician) in page
        tables = " ".join(query["sql"] for query in captured)
        assert "tickets_faultphoto" not in tables and "tickets_faultvideo" not in tables
        # The signed-in user by id; the ticket's technician and the dispatcher who logged it in one query.
        sqls = [query["sql"] for query in captured]
        assert len([sql for sql in sqls if 'WHERE "accounts_user"."id" = ' in sql]) == 1
        assert len([sql for sql in sqls if 'WHERE "accounts_user"."id" IN (' in sql]) == 1
        assert str(ticket.reported_by) in page

    def test_the_visit_times_read_as_a_sentence(self, client, dispatcher, branch_a):
        """A walk-through found "· 现场: 2 小时 0 分" (a separator with nothing before it) when no travel time
        was recorded, and a factory return's time on site counted to the end of the factory's repair."""
        arrived = timezone.now() - datetime.timedelta(days=3)
        ticket = TicketFactory(
            unit__owner__branch=branch_a,
            closed=True,
            arrived_at=arrived,
            completed_at=arrived + datetime.timedelta(hours=2),
        )
        client.force_login(dispatcher)
        times = _visit_times(client.get(ticket.get_absolute_url()).content.decode())
        assert times == "现场: 2 小时 0 分"
        returned = TicketFactory(
            unit__owner__branch=branch_a,
            awaiting_pickup=True,
            arrived_at=arrived,
            completed_at=arrived + datetime.timedelta(days=2),
        )
        TicketEvent.objects.create(
            ticket=returned,
            action="request_return",
            at=arrived + datetime.timedelta(minutes=50),
            to_state="rma_requested",
        )
        assert _visit_times(client.get(returned.get_absolute_url()).content.decode()) == "现场: 50 分"

    def test_htmx_requests_get_only_the_results(self, client, dispatcher, branch_a):
        client.force_login(dispatcher)
        TicketFactory(unit__owner__branch=branch_a)
        page = client.get(reverse("tickets:list"), headers={"HX-Request": "true"}).content.decode()
        assert 'id="results"' in page and "<html" not in page

    def test_the_detail_offers_only_the_buttons_the_user_may_press(
        self, client, dispatcher, technician, branch_a
    ):
        ticket = TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=technician)
        client.force_login(dispatcher)
        page = client.get(ticket.get_absolute_url()).content.decode()
        assert 'data-action="dispatch"' in page and 'data-action="cancel"' in page
        assert 'data-action="check_in"' not in page
        client.force_login(technician)
        page = client.get(ticket.get_absolute_url()).content.decode()
        assert 'data-action="check_in"' in page and 'data-action="dispatch"' not in page

    def test_a_transition_from_the_page_and_a_stale_second_press(
        self, client, dispatcher, technician, branch_a
    ):
        ticket = TicketFactory(unit__owner__branch=branch_a)
        client.force_login(dispatcher)
        url = reverse("tickets:transition", args=[ticket.pk, "dispatch"])
        response = client.post(
            url, {"version": ticket.version, "technician": technician.pk, "note": ""}, follow=True
        )
        assert "“派工”已完成" in response.content.decode()
        response = client.post(
            url, {"version": ticket.version, "technician": technician.pk, "note": ""}, follow=True
        )
        assert "已被他人更新" in response.content.decode()
        assert TicketEvent.objects.filter(ticket=ticket, action="dispatch").count() == 1

    def test_cancel_without_a_reason_is_refused_with_a_message(self, client, dispatcher, branch_a):
        ticket = TicketFactory(unit__owner__branch=branch_a)
        client.force_login(dispatcher)
        response = client.post(
            reverse("tickets:transition", args=[ticket.pk, "cancel"]),
            {"version": ticket.version, "note": ""},
            follow=True,
        )
        assert "请填写原因" in response.content.decode()
        ticket.refresh_from_db()
        assert ticket.state == State.REPORTED


@pytest.mark.django_db
class TestBoardAndJobs:
    def test_the_board_lists_unassigned_tickets_by_deadline_with_technician_loads(
        self, client, dispatcher, technician, branch_a
    ):
        now = timezone.now()
        late = TicketFactory(unit__owner__branch=branch_a, due_at=now + datetime.timedelta(hours=1))
        early = TicketFactory(unit__owner__branch=branch_a, due_at=now + datetime.timedelta(minutes=10))
        TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=technician)
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:dispatch_board")).content.decode()
        assert page.index(early.number) < page.index(late.number)
        assert f"{technician} (1)" in page

    def test_the_technicians_are_listed_fewest_open_jobs_first_then_by_username(
        self, client, dispatcher, persona, branch_a
    ):
        busy = persona(Role.TECHNICIAN, username="a_busy")
        free = persona(Role.TECHNICIAN, username="z_free")
        closer = persona(Role.TECHNICIAN, username="m_closer")
        idle = persona(Role.TECHNICIAN, username="b_idle")
        TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=busy)
        TicketFactory(unit__owner__branch=branch_a, in_factory=True, technician=busy)
        TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=closer)
        # Finished or waiting on the customer's acceptance: not an open job.
        TicketFactory(unit__owner__branch=branch_a, closed=True, technician=free)
        TicketFactory(unit__owner__branch=branch_a, awaiting_acceptance=True, technician=free)
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:dispatch_board")).content.decode()
        sidebar = page.split("技术员在办任务", 1)[1]
        loads = re.findall(r"<span>(\w+) <small.*?<span class=\"badge[^>]*>(\d+)</span></li>", sidebar, re.S)
        assert loads == [(str(idle), "0"), (str(free), "0"), (str(closer), "1"), (str(busy), "2")]

    def test_an_urgent_call_is_marked_and_heads_the_board(self, client, dispatcher, branch_a):
        """Urgent calls were not marked and sorted after every normal call with an earlier deadline."""
        now = timezone.now()
        yesterday = now - datetime.timedelta(days=1)
        overdue = TicketFactory(
            unit__owner__branch=branch_a, reported_at=yesterday, due_at=now - datetime.timedelta(hours=1)
        )
        client.force_login(dispatcher)
        client.post(reverse("tickets:intake"), intake_data(priority="urgent", fault_description="冒烟"))
        urgent = RepairTicket.objects.get(priority="urgent")
        page = client.get(reverse("tickets:dispatch_board")).content.decode()
        cards = page.split('<div class="card mb-2">')[1:]
        assert [urgent.number in cards[0], overdue.number in cards[1]] == [True, True]
        assert re.search(r'data-testid="urgent">紧急<', cards[0])
        assert 'data-testid="urgent"' not in cards[1]

    def test_the_board_runs_the_same_queries_for_2_and_for_20_tickets(
        self, client, dispatcher, technician, branch_a
    ):
        client.force_login(dispatcher)
        TicketFactory.create_batch(2, unit__owner__branch=branch_a)
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("tickets:dispatch_board"))
        TicketFactory.create_batch(18, unit__owner__branch=branch_a)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("tickets:dispatch_board"))
        assert len(few) == len(many)

    def test_the_board_shows_the_most_urgent_page_of_cards_and_links_to_the_rest(
        self, client, dispatcher, technician, branch_a
    ):
        now = timezone.now()
        tickets = [
            TicketFactory(unit__owner__branch=branch_a, due_at=now + datetime.timedelta(minutes=10 + index))
            for index in range(BOARD_SIZE + 1)
        ]
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:dispatch_board")).content.decode()
        cards = page.split('<div class="card mb-2">')[1:]
        assert len(cards) == BOARD_SIZE == 25
        assert tickets[BOARD_SIZE - 1].number in cards[-1] and tickets[BOARD_SIZE].number not in page
        assert "以上为最紧急的 25 张。" in page
        assert f'href="{reverse("tickets:list")}?state=reported">查看全部待派工工单</a>' in page

    def test_one_click_dispatch_from_the_board_returns_to_the_board(
        self, client, dispatcher, technician, branch_a
    ):
        ticket = TicketFactory(unit__owner__branch=branch_a)
        client.force_login(dispatcher)
        response = client.post(
            reverse("tickets:transition", args=[ticket.pk, "dispatch"]),
            {"version": ticket.version, "technician": technician.pk, "next": "board"},
        )
        assert response.url == reverse("tickets:dispatch_board")
        ticket.refresh_from_db()
        assert (ticket.state, ticket.technician) == (State.DISPATCHED, technician)
        board = client.get(response.url).content.decode()
        assert f"“派工”已完成,工单 {ticket.number} 当前状态:已派工,技术员:{technician}。" in board
        # The same technician again (another tab, a second look): refused in words, nothing written.
        again = client.post(
            reverse("tickets:transition", args=[ticket.pk, "dispatch"]),
            {"version": ticket.version, "technician": technician.pk, "next": "board"},
            follow=True,
        )
        assert "无需再次派工" in again.content.decode()
        assert TicketEvent.objects.filter(ticket=ticket, action="dispatch").count() == 1

    def test_the_board_makes_the_dispatcher_choose_who_leads(self, client, dispatcher, technician, branch_a):
        """The first technician stood selected on every card: a tap on 派工 sent the call to them."""
        ticket = TicketFactory(unit__owner__branch=branch_a)
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:dispatch_board")).content.decode()
        lead = re.search(
            rf'<select name="technician"[^>]*data-testid="technician-{ticket.number}">(.*?)</select>', page
        )
        helpers = re.search(rf'data-testid="helpers-{ticket.number}">(.*?)</select>', page)
        assert re.findall(r'<option value="(\d*)"', lead.group(1)) == ["", str(technician.pk)]
        assert lead.group(1).startswith(
            '<option value="">请选择技术员</option>'
        ) and "selected" not in lead.group(1)
        assert re.findall(r'<option value="(\d*)"', helpers.group(1)) == [str(technician.pk)]
        # Sent without a choice (the browser's `required` bypassed): refused in words, nothing dispatched.
        response = client.post(
            reverse("tickets:transition", args=[ticket.pk, "dispatch"]),
            {"version": ticket.version, "technician": "", "next": "board"},
            follow=True,
        )
        assert "请选择技术员。" in response.content.decode()
        ticket.refresh_from_db()
        assert (ticket.state, ticket.technician) == (State.REPORTED, None)

    def test_the_ticket_page_makes_the_first_dispatch_a_choice_and_keeps_the_lead_on_a_reassignment(
        self, client, dispatcher, technician, persona, branch_a
    ):
        colleague = persona(Role.TECHNICIAN, username="colleague")
        ticket = TicketFactory(unit__owner__branch=branch_a)
        client.force_login(dispatcher)

        def lead_options() -> list[tuple[str, bool]]:
            page = client.get(ticket.get_absolute_url()).content.decode()
            select = re.search(r'<select[^>]*name="technician"[^>]*>(.*?)</select>', page, re.S).group(1)
            return [
                (value, bool(chosen))
                for value, chosen in re.findall(r'<option value="(\d*)"( selected)?', select)
            ]

        assert lead_options() == [("", False), (str(technician.pk), False), (str(colleague.pk), False)]
        client.post(
            reverse("tickets:transition", args=[ticket.pk, "dispatch"]),
            {"version": ticket.version, "technician": colleague.pk},
        )
        ticket.refresh_from_db()
        assert ticket.technician == colleague
        assert ("", False) in lead_options() and (str(colleague.pk), True) in lead_options()

    def test_my_jobs_shows_only_my_active_jobs_by_deadline_with_constant_queries(
        self, client, technician, persona, branch_a
    ):
        other = persona(Role.TECHNICIAN, username="other_tech")
        mine = TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=technician)
        theirs = TicketFactory(unit__owner__branch=branch_a, dispatched=True, technician=other)
        done = TicketFactory(unit__owner__branch=branch_a, closed=True, technician=technician)
        client.force_login(technician)
        with CaptureQueriesContext(connection) as one:
            page = client.get(reverse("tickets:my_jobs")).content.decode()
        assert mine.number in page and theirs.number not in page and done.number not in page
        TicketFactory.create_batch(10, unit__owner__branch=branch_a, on_site=True, technician=technician)
        with CaptureQueriesContext(connection) as eleven:
            client.get(reverse("tickets:my_jobs"))
        assert len(one) == len(eleven)

    def test_a_technician_lands_on_my_jobs(self, client, technician):
        client.force_login(technician)
        assert client.get(reverse("home")).url == reverse("tickets:my_jobs")

    def test_home_answers_for_every_role(self, client, persona):
        for role in Role.values:
            client.force_login(persona(role))
            assert client.get(reverse("home"), follow=True).status_code == 200


@pytest.mark.django_db
def test_a_condition_the_policy_does_not_know_is_a_field_error_not_a_crash(client, dispatcher):
    client.force_login(dispatcher)
    data = intake_data(
        conditions=["gift"]
    )  # a retail condition; the product is under the manufacturer policy
    response = client.post(reverse("tickets:intake"), data)
    assert response.status_code == 200
    assert "所选情形不适用于该产品的保修政策" in response.content.decode()
    assert not RepairTicket.objects.exists() and not Customer.objects.exists()
    preview = client.post(reverse("tickets:verdict_preview"), data).content.decode()
    assert "赠品" in preview or "gift" in preview


@pytest.mark.django_db
def test_a_very_long_list_says_it_is_capped_instead_of_counting_everything(
    client, dispatcher, branch_a, monkeypatch
):
    from tickets.views import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 3)
    TicketFactory.create_batch(5, unit__owner__branch=branch_a)
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:list")).content.decode()
    assert "超过 3 张工单,请用上方的筛选缩小范围" in page
    assert "共 5 张工单" not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_ticket_reads_its_state_and_fault_as_djangos_display_would(language):
    """RepairTicket's own get_state_display / get_fault_category_display (a lookup, not a dictionary of
    every choice per call) say what Django's generated ones say, an unknown value included."""
    state_field, fault_field = (RepairTicket._meta.get_field(name) for name in ("state", "fault_category"))
    with translation.override(language):
        for value in [*State.values, "no-such-state"]:
            ticket = RepairTicket(state=value)
            assert ticket.get_state_display() == ticket._get_FIELD_display(state_field)
        for value in [*FaultCategory.values, "no-such-fault"]:
            ticket = RepairTicket(fault_category=value)
            assert ticket.get_fault_category_display() == ticket._get_FIELD_display(fault_field)
    assert str(RepairTicket(state=State.ON_SITE).get_state_display()) != State.ON_SITE


def _visit_times(page: str) -> str:
    found = re.search(r'data-testid="visit-times">(.*?)</p>', page)
    return found.group(1).strip() if found else ""
