"""The monthly quality report for manufacturing (issue #18 item 8): the workbook, the PDF, the e-mail."""

from __future__ import annotations

import datetime
import io
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection, connections
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from parts.models import Supplier, SupplierClaim
from reports.kpis import Scope
from reports.manufacturing import manufacturing_report
from reports.models import QualityReportDelivery
from reports.periods import Month
from reports.quality import quality_report
from reports.tasks import send_quality_report
from tests.customers.factories import UnitFactory
from tests.reports.factories import local
from tests.reports.quality_data import ticket
from tickets.models import FaultCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_claims(quality_october, persona, branch_a):
    """甲电器 was sent a claim of ¥100 + ¥20 in October and paid ¥90 of it; 乙电机's claim is a draft."""
    clerk = persona(Role.WAREHOUSE)
    SupplierClaim.objects.create(
        number="SC-1",
        branch=branch_a,
        supplier=Supplier.objects.get(name="甲电器"),
        state=SupplierClaim.State.PAID,
        parts_cost=Decimal("100"),
        labour_cost=Decimal("20"),
        amount_recovered=Decimal("90"),
        created_by=clerk,
        sent_at=local(2026, 10, 20, 10),
        paid_at=local(2026, 10, 28, 10),
    )
    SupplierClaim.objects.create(
        number="SC-2", branch=branch_a, supplier=Supplier.objects.get(name="乙电机"), created_by=clerk
    )
    return quality_october


def download(client, persona, headquarters, fmt: str):
    client.force_login(persona(Role.GENERAL_MANAGER, branch=headquarters))
    response = client.get(reverse("reports:quality_export", args=[fmt]), {"month": "2026-10"})
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def rows(sheet) -> list[list]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_workbook_has_the_four_sheets_with_the_months_figures(client, persona, headquarters, with_claims):
    book = load_workbook(io.BytesIO(download(client, persona, headquarters, "xlsx")))
    assert book.sheetnames == ["主要故障", "配件与供应商", "返修", "新故障模式"]

    failures = rows(book["主要故障"])
    assert failures[1][:2] == ("月份", "2026-10")
    assert failures[4] == (
        "故障代码",
        "质量故障",
        "占比(%)",
        "累计占比(%)",
        "报修",
        "30天返修",
        "90天返修",
        "2026-08",
        "2026-09",
        "2026-10",
    )
    # E1: 3 of the 6 failures (t1, t5, t7), 1 in September (t0); then the faults without a code.
    assert failures[5] == ("E1 停机", 3, 50, 50, 3, 1, 1, 0, 1, 3)
    assert failures[6][:4] == ("无故障代码", 2, 33.3, 83.3)
    by_name = {row[0]: row for row in failures[8:] if row and row[0]}
    assert by_name["空调 KFR-35"][1:4] == (7, 5, 714.29)
    assert by_name["空调 KFR-35 · B1"][1:4] == (3, 4, 1333.33)

    parts = rows(book["配件与供应商"])
    assert parts[1][:5] == ("P-CAP", "启动电容", "甲电器", 3, 2)
    suppliers = {row[0]: row for row in parts[4:] if row and row[0]}
    assert suppliers["甲电器"] == ("甲电器", 3, 2, 120, 90, 75)
    assert suppliers["乙电机"] == ("乙电机", 1, 1, 0, 0, None)  # its claim was never sent

    repeats = rows(book["返修"])
    assert [(row[0], row[5], row[6]) for row in repeats[1:]] == [
        (with_claims[1].number, with_claims[0].number, 13),  # 13 days 23 hours after t0 was completed
        (with_claims[4].number, with_claims["4p"].number, 87),
    ]

    new_modes = rows(book["新故障模式"])
    # E2 first failed on 12 October; E1 had failed in September already.
    assert new_modes[1:] == [("E2", "漏水", "空调 KFR-35", 1, "2026-10-12 16:00")]


def test_the_pdf_is_one_click_away_on_the_quality_page(client, persona, headquarters, with_claims):
    client.force_login(persona(Role.GENERAL_MANAGER, branch=headquarters))
    page = client.get(reverse("reports:quality"), {"month": "2026-10"}).content.decode()
    assert f"{reverse('reports:quality_export', args=['pdf'])}?month=2026-10" in page
    assert download(client, persona, headquarters, "pdf").startswith(b"%PDF")


def test_the_email_on_the_first_goes_out_once_with_both_files(settings, with_claims):
    settings.QUALITY_REPORT_RECIPIENTS = ["qa@factory.example.cn", "plant@factory.example.cn"]
    with time_machine.travel(local(2026, 11, 1, 7, 30), tick=False):
        assert send_quality_report() is True
        assert send_quality_report() is False  # the beat ran twice, or two workers took it
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (
        message.to == ["qa@factory.example.cn", "plant@factory.example.cn"] and "2026-10" in message.subject
    )
    assert [name for name, _content, _type in message.attachments] == [
        "quality-2026-10.xlsx",
        "quality-2026-10.pdf",
    ]
    book = load_workbook(io.BytesIO(message.attachments[0][1]))
    assert book.sheetnames == ["主要故障", "配件与供应商", "返修", "新故障模式"]
    assert QualityReportDelivery.objects.get().sent_at is not None


def test_without_recipients_nothing_is_sent_or_claimed(settings, quality_october):
    settings.QUALITY_REPORT_RECIPIENTS = []
    with time_machine.travel(local(2026, 11, 1, 7, 30), tick=False):
        assert send_quality_report() is False
    assert mail.outbox == [] and not QualityReportDelivery.objects.exists()


def test_a_failed_send_is_retried_by_the_next_run(settings, quality_october, monkeypatch):
    settings.QUALITY_REPORT_RECIPIENTS = ["qa@factory.example.cn"]

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    with time_machine.travel(local(2026, 11, 1, 7, 30), tick=False):
        monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
        with pytest.raises(ConnectionRefusedError):
            send_quality_report()
        monkeypatch.undo()
        assert send_quality_report() is True
    assert len(mail.outbox) == 1


def test_a_branch_supervisor_can_neither_see_nor_download_every_branchs_report(
    client, persona, headquarters, branch_a, quality_october
):
    """The manufacturing report covers every branch: only users who see every branch may export it."""
    for role in (Role.SUPERVISOR, Role.MANAGER):
        client.force_login(persona(role, branch=branch_a))
        page = client.get(reverse("reports:quality"), {"month": "2026-10"}).content.decode()
        assert reverse("reports:quality_export", args=["xlsx"]) not in page, role
        assert 'data-testid="quality-pdf"' not in page, role
        for fmt in ("xlsx", "pdf"):
            response = client.get(reverse("reports:quality_export", args=[fmt]), {"month": "2026-10"})
            assert response.status_code == 403, (role, fmt)
    # A supervisor at headquarters sees every branch, and gets both buttons and the file.
    client.force_login(persona(Role.SUPERVISOR, branch=headquarters))
    page = client.get(reverse("reports:quality"), {"month": "2026-10"}).content.decode()
    assert 'data-testid="quality-xlsx"' in page and 'data-testid="quality-pdf"' in page
    response = client.get(reverse("reports:quality_export", args=["xlsx"]), {"month": "2026-10"})
    assert response.status_code == 200


def test_the_workbooks_repeats_are_the_quality_pages_with_the_ticket_that_made_them_repeats(branch_a):
    """A unit whose E2 leak was fixed on 1 October, then its E1 stop on 10 October, leaks (E2) again on
    the 15th: a repeat of the leak 14 days on, not of the stop 5 days on (the same category, another
    code). The page and the workbook count it once and name the same earlier ticket."""
    unit = UnitFactory(owner__branch=branch_a)
    leak = FaultCode.objects.create(product_model=unit.product_model, code="E2", symptom="漏水")
    stop = FaultCode.objects.create(product_model=unit.product_model, code="E1", symptom="停机")
    first = ticket(unit, code=leak, reported=local(2026, 9, 30, 9), completed=local(2026, 10, 1, 10))
    ticket(unit, code=stop, reported=local(2026, 10, 9, 9), completed=local(2026, 10, 10, 10))
    again = ticket(unit, code=leak, reported=local(2026, 10, 15, 10), completed=local(2026, 10, 15, 12))

    summary = quality_report(Scope(Month(2026, 10))).summary
    assert (summary.repeats_30, summary.repeats_90) == (1, 1)
    repeats = manufacturing_report(Month(2026, 10)).repeats
    assert [(line.number, line.previous, line.days) for line in repeats] == [(again.number, first.number, 14)]


@pytest.mark.django_db(transaction=True)
def test_the_month_is_claimed_and_committed_before_the_report_is_built_and_sent(
    postgres, reference_data, settings, quality_october, monkeypatch
):
    """While a run sends (the report built, the SMTP server slow), the month is already claimed for
    everyone: a second worker returns at once instead of waiting on the first's transaction, and
    nothing is held open meanwhile."""
    settings.QUALITY_REPORT_RECIPIENTS = ["qa@factory.example.cn"]
    send, seen = EmailMessage.send, {}

    def other_worker():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
            seen["claimed"] = QualityReportDelivery.objects.filter(claimed_at__isnull=False).exists()
            seen["second run"] = send_quality_report()
        except Exception as exc:  # noqa: BLE001 - what the test inspects
            seen["second run"] = exc
        finally:
            connections.close_all()

    def slow_send(message, *args, **kwargs):
        worker = threading.Thread(target=other_worker)
        worker.start()
        worker.join(timeout=20)
        return send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", slow_send)
    with time_machine.travel(local(2026, 11, 1, 7, 30), tick=False):
        assert send_quality_report() is True
    assert seen == {"claimed": True, "second run": False}
    assert len(mail.outbox) == 1
    assert QualityReportDelivery.objects.get().sent_at is not None


def test_a_claim_left_by_a_worker_that_died_is_taken_over_an_hour_later(settings, quality_october):
    settings.QUALITY_REPORT_RECIPIENTS = ["qa@factory.example.cn"]
    QualityReportDelivery.objects.create(month=datetime.date(2026, 10, 1), claimed_at=local(2026, 11, 1, 7))
    with time_machine.travel(local(2026, 11, 1, 7, 30), tick=False):
        assert send_quality_report() is False  # the claim may still be at work
    with time_machine.travel(local(2026, 11, 1, 8, 30), tick=False):
        assert send_quality_report() is True
        assert send_quality_report() is False
    assert len(mail.outbox) == 1
