"""Technician and supervisor daily reports (§7-十五、十六): hours per ticket by category A/B/C/D."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Role
from reports.daily import branch_day, technician_day
from tests.accounts.factories import UserFactory
from tests.reports.factories import local, signed_report
from tests.tickets.factories import TicketFactory
from tickets.models import GoodsRegisterEntry, RepairTag

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 10, 31)


@pytest.fixture
def day_of_work(october, branch_a):
    """On 31 October: 刘一 signed t1 (A, 1.5 h, 23:45) and a B job (2 h); 陈二 finished a factory repair
    (C, 3 h); 陈二's t3 report was signed on 6 October and 刘一's t2 report at 00:30 on 1 November."""
    liu, chen, _zhao = october["technicians"]
    contract = TicketFactory(
        branch=branch_a, technician=liu, state="closed", service_category="B", number="SH-B-1"
    )
    signed_report(contract, signed_at=local(2026, 10, 31, 9, 15), hours="2")
    factory = TicketFactory(
        branch=branch_a, technician=chen, state="awaiting_pickup", service_category="C", number="SH-F-1"
    )
    entry = GoodsRegisterEntry.objects.create(
        number="SH-G-1", branch=branch_a, ticket=factory, item_description="滚筒洗衣机", received_by=chen
    )
    RepairTag.objects.create(
        entry=entry, labour_hours=Decimal("3"), work_done="更换电机", finished_at=local(2026, 10, 31, 16)
    )
    return liu, chen


def test_a_technicians_day_lists_each_job_with_its_hours_in_its_category(day_of_work):
    liu, chen = day_of_work
    report = technician_day(liu, DAY)
    assert [(line.ticket, line.category, line.hours) for line in report.lines] == [
        ("SH-B-1", "B", Decimal("2.00")),
        ("SH-20261031-0001", "A", Decimal("1.50")),  # signed at 23:45 Shanghai time: still the 31st
    ]
    assert report.totals == {"A": Decimal("1.5"), "B": Decimal("2"), "C": 0, "D": 0}
    assert report.total == Decimal("3.5")
    assert [(line.ticket, line.kind, line.hours) for line in technician_day(chen, DAY).lines] == [
        ("SH-F-1", "返厂维修", Decimal("3.00"))
    ]
    assert technician_day(liu, DAY + datetime.timedelta(days=1)).totals["C"] == Decimal("4")  # t2, 00:30


def test_the_supervisors_day_sums_the_branch_technicians_in_a_constant_number_of_queries(
    day_of_work, branch_a
):
    liu, chen = day_of_work
    with CaptureQueriesContext(connection) as queries:
        report = branch_day(branch_a, DAY)
    assert len(queries) == 4
    rows = {str(row.technician): row for row in report.rows}
    assert set(rows) == {"刘一", "陈二"}  # 赵三 is Hangzhou's
    assert (rows["刘一"].hours, rows["刘一"].tickets, rows["刘一"].total) == (
        {"A": Decimal("1.5"), "B": Decimal("2"), "C": 0, "D": 0},
        2,
        Decimal("3.5"),
    )
    assert (rows["陈二"].hours["C"], rows["陈二"].tickets) == (Decimal("3"), 1)
    assert (report.totals, report.total, report.tickets) == (
        {"A": Decimal("1.5"), "B": Decimal("2"), "C": Decimal("3"), "D": 0},
        Decimal("6.5"),
        3,
    )


def test_a_technician_sees_only_their_own_daily_report(client, day_of_work):
    liu, chen = day_of_work
    client.force_login(liu)
    html = client.get(
        reverse("reports:technician_daily"), {"day": "2026-10-31", "technician": chen.pk}
    ).content.decode()
    assert "SH-B-1" in html and "SH-F-1" not in html and "touch" in html
    pdf = client.get(reverse("reports:technician_daily_pdf"), {"day": "2026-10-31"})
    assert pdf.content.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "技术员日报" in text and "SH-B-1" in text and "刘一" in text
    assert client.get(reverse("reports:branch_daily")).status_code == 403


def test_the_supervisor_reads_any_technician_of_the_branch_and_the_branch_sum(
    client, day_of_work, persona, branch_b
):
    liu, chen = day_of_work
    client.force_login(persona(Role.SUPERVISOR))
    html = client.get(
        reverse("reports:technician_daily"), {"day": "2026-10-31", "technician": chen.pk}
    ).content.decode()
    assert "SH-F-1" in html and "返厂维修" in html
    outsider = UserFactory(username="hz_tech", branch=branch_b, roles=[Role.TECHNICIAN])
    html = client.get(reverse("reports:technician_daily"), {"technician": outsider.pk}).content.decode()
    assert "请选择技术员和日期。" in html  # not in the list of their branch's technicians
    html = client.get(
        reverse("reports:branch_daily"), {"day": "2026-10-31", "branch": branch_b.pk}
    ).content.decode()
    assert "上海分公司" in html and "6.5" in html
    pdf = client.get(reverse("reports:branch_daily_pdf"), {"day": "2026-10-31"})
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "服务主任日报" in text and "刘一" in text and "6.5" in text


def test_headquarters_pick_the_branch_for_the_supervisor_report(client, day_of_work):
    from tests.accounts.factories import BranchFactory

    gm = UserFactory(
        username="gm_hq", branch=BranchFactory(code="HQ", headquarters=True), roles=[Role.GENERAL_MANAGER]
    )
    client.force_login(gm)
    assert "请选择网点。" in client.get(reverse("reports:branch_daily")).content.decode()
    assert client.get(reverse("reports:branch_daily_pdf")).status_code == 404
