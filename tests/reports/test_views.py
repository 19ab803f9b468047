"""The report screens through the Django client: who may open them, what they show, query counts."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from aftersales.replica import ReplicaRouter, replica_reads
from reports.access import require_dashboard
from tests.accounts.factories import BranchFactory
from tickets.models import RepairTicket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER, Role.ADMIN])
def test_the_office_roles_see_the_dashboard(client, persona, october, role):
    client.force_login(persona(role))
    page = client.get(reverse("reports:dashboard"), {"month": "2026-10"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "服务指标 · 2026-10" in html and "<svg" in html


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.DISPATCHER, Role.WAREHOUSE, Role.FINANCE])
def test_other_roles_are_refused_with_a_reason(client, persona, role):
    client.force_login(persona(role))
    assert client.get(reverse("reports:dashboard")).status_code == 403
    assert client.get(reverse("reports:branch_daily")).status_code == 403
    with pytest.raises(PermissionDenied, match="只有服务主任、经理、总经理和系统管理员可以查看统计报表"):
        require_dashboard(persona(role))


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_branch_user_sees_only_their_branch_whatever_they_ask_for(client, persona, october, branch_b):
    client.force_login(persona(Role.SUPERVISOR))  # Shanghai
    html = client.get(
        reverse("reports:dashboard"), {"month": "2026-10", "branch": branch_b.pk}
    ).content.decode()
    assert "上海分公司" in html and "杭州服务站" not in html
    assert 'name="branch"' not in html


def test_headquarters_see_every_branch_and_may_pick_one(client, persona, october, branch_b):
    hq = BranchFactory(code="HQ", name="总部", headquarters=True)
    client.force_login(persona(Role.GENERAL_MANAGER, branch=hq))
    html = client.get(reverse("reports:dashboard"), {"month": "2026-10"}).content.decode()
    assert "上海分公司" in html and "杭州服务站" in html and "全部网点" in html
    html = client.get(
        reverse("reports:dashboard"), {"month": "2026-10", "branch": branch_b.pk}
    ).content.decode()
    assert "赵三" in html and "陈二" not in html


def test_a_kpi_below_target_is_red_with_its_target(client, persona, october):
    client.force_login(persona(Role.MANAGER))
    html = client.get(reverse("reports:dashboard"), {"month": "2026-10"}).content.decode()
    timeliness = html.split('data-testid="kpi-timeliness"')[1].split("</div></div></div>")[0]
    assert "text-danger" in timeliness and "66.7 %" in timeliness
    assert "≥ 90 %" in timeliness and "未达标" in timeliness
    assert "below-target" in html


def test_the_month_defaults_to_the_previous_one_and_a_bad_month_is_named(client, persona, october):
    client.force_login(persona(Role.MANAGER))
    response = client.get(reverse("reports:dashboard"), {"month": "2026-13"})
    assert response.status_code == 400  # the page with the previous month and the error (issue #15)
    assert "月份格式应为 年-月,例如 2026-10。" in response.content.decode()


def test_the_dashboard_opens_on_the_current_month_and_shows_it_in_the_box(client, persona):
    """It opened on last month (empty at the start of a month) with the month box blank."""
    client.force_login(persona(Role.MANAGER))
    this_month = f"{timezone.localdate():%Y-%m}"
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert f"服务指标 · {this_month}" in html
    assert re.search(rf'<input type="month" name="month" value="{this_month}"', html)


def test_the_monthly_report_opens_on_last_month_and_shows_it_in_the_box(client, persona):
    client.force_login(persona(Role.ADMIN))
    last_month = f"{timezone.localdate().replace(day=1) - datetime.timedelta(days=1):%Y-%m}"
    html = client.get(reverse("reports:monthly")).content.decode()
    assert re.search(rf'<input type="month" name="month" value="{last_month}"', html)


def test_the_dashboard_query_count_does_not_grow_with_the_data(client, persona, october, branch_a):
    from tests.reports.factories import arrival, local, survey
    from tests.tickets.factories import TicketFactory

    client.force_login(persona(Role.MANAGER))
    url = reverse("reports:dashboard")
    client.get(url, {"month": "2026-10"})
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"month": "2026-10"})
    for day in range(1, 20):
        ticket = TicketFactory(
            branch=branch_a, assigned=True, state="closed", reported_at=local(2026, 10, day, 9)
        )
        arrival(ticket, met_at=local(2026, 10, day, 10), in_time=True)
        survey(ticket, (4, 4, 4, 2), answered_at=local(2026, 10, day, 12), comment="好")
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"month": "2026-10"})
    assert len(few) == len(many)


@pytest.mark.django_db(transaction=True)
def test_without_a_replica_the_reports_read_the_primary(client, persona, reference_data):
    """REPLICA_DATABASE_URL unset: the reports' replica reads (aftersales.replica) fall back to the
    primary. Transactional, so that no open transaction is what keeps them there. With a replica:
    tests/integration/test_read_replica.py."""
    assert "replica" not in settings.DATABASES
    client.force_login(persona(Role.MANAGER))
    with CaptureQueriesContext(connection) as primary:
        assert client.get(reverse("reports:dashboard")).status_code == 200
    assert any('"tickets_repairticket"' in query["sql"] for query in primary.captured_queries)
    with replica_reads():
        assert ReplicaRouter().db_for_read(RepairTicket) == "default"


def test_the_monthly_page_is_for_admins_and_managers(client, persona, october):
    client.force_login(persona(Role.SUPERVISOR))
    assert client.get(reverse("reports:monthly")).status_code == 403
    client.force_login(persona(Role.ADMIN))
    html = client.get(reverse("reports:monthly"), {"month": "2026-10"}).content.decode()
    for export in ("export-xlsx", "export-csv", "export-pdf"):
        assert export in html
    assert "month=2026-10" in html
    # The findings summary: praised and what went wrong, with ticket numbers.
    assert "师傅很专业" in html and "SH-20261005-0001" in html and "不满意" in html


def test_the_call_register_page_has_a_constant_query_count(client, persona, branch_a):
    from tests.reports.factories import local
    from tests.tickets.factories import TicketFactory

    client.force_login(persona(Role.DISPATCHER))
    url = reverse("reports:call_register")
    params = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
    TicketFactory(branch=branch_a, reported_at=local(2026, 10, 3, 9))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, params).status_code == 200
    for day in range(4, 24):
        TicketFactory(branch=branch_a, assigned=True, state="dispatched", reported_at=local(2026, 10, day, 9))
    with CaptureQueriesContext(connection) as many:
        html = client.get(url, params).content.decode()
    assert len(few) == len(many)
    assert "共 21 条" in html and "139 0000" in html  # phones as people read them


def test_the_call_register_is_empty_with_a_message_and_refuses_a_reversed_range(client, persona):
    client.force_login(persona(Role.DISPATCHER))
    url = reverse("reports:call_register")
    assert (
        "这段时间没有报修。"
        in client.get(url, {"date_from": "2026-10-01", "date_to": "2026-10-31"}).content.decode()
    )
    html = client.get(url, {"date_from": "2026-10-31", "date_to": "2026-10-01"}).content.decode()
    assert "结束日期不能早于开始日期。" in html
    client.force_login(persona(Role.TECHNICIAN))
    assert client.get(url).status_code == 403


def test_the_dashboard_reads_in_english(client, persona, october):
    client.force_login(persona(Role.MANAGER))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("reports:dashboard"), {"month": "2026-10"}).content.decode()
    assert "Service KPIs · 2026-10" in html and "target missed" in html and "Timeliness (by branch)" in html
