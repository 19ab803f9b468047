"""The monthly quality report for manufacturing (issue #18 item 8; the seed's §2-三 monthly summary and
§1-3.8 二次索赔): an xlsx workbook and a PDF of one month, every branch, downloaded from the quality page
or e-mailed on the 1st (reports.tasks.send_quality_report).

Sheets: top failures (fault codes with counts, share, rates and the last three months; models and
batches per 1,000 units), parts replaced and their suppliers beside the supplier claims (二次索赔) sent
and recovered in the month, the repeat repairs one by one, and the new failure modes (fault codes seen
for the first time this month).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, F, Min, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from aftersales.exports import XLSX_CONTENT_TYPE, stream_xlsx
from aftersales.replica import replica_reads
from parts.models import SupplierClaim
from reports.charts import quality_charts
from reports.kpis import Scope
from reports.metrics import percent
from reports.models import QualityReportDelivery
from reports.periods import Month
from reports.quality import (
    REPEAT_WINDOWS,
    QualityReport,
    earlier_same_fault,
    month_cells,
    quality_report,
    repeat_within,
    summarised_months,
)
from tickets.documents import render_pdf
from tickets.models import FaultCause, FaultCode, RepairTicket, State

TREND_MONTHS = 3
REPEAT_DAYS = max(REPEAT_WINDOWS)  # the sheet lists every repeat the page counts within 90 days


@dataclass
class SupplierLine:
    supplier: str
    quantity: int
    tickets: int
    claimed: Decimal
    recovered: Decimal

    @property
    def recovery_rate(self) -> Decimal | None:
        return percent(self.recovered, self.claimed) if self.claimed else None


@dataclass
class RepeatLine:
    number: str
    reported_at: datetime.datetime
    serial_number: str
    product_model: str
    fault: str
    previous: str
    days: int


@dataclass
class NewMode:
    code: str
    symptom: str
    product_model: str
    failures: int
    first_at: datetime.datetime


@dataclass
class ManufacturingReport:
    quality: QualityReport
    code_trend: dict[object, list[int]]  # fault code id → failures of the last months, oldest first
    trend_months: list[Month]
    suppliers: list[SupplierLine]
    repeats: list[RepeatLine]
    new_modes: list[NewMode]

    @property
    def month(self) -> Month:
        return self.quality.scope.month


def _code_trend(report: QualityReport) -> tuple[list[Month], dict[object, list[int]]]:
    """Failures per fault code over the last TREND_MONTHS months: the report's month as the page counted
    it, the months before it counted here (stored, and live after their watermark)."""
    scope = report.scope
    months = [scope.month.minus(offset) for offset in reversed(range(TREND_MONTHS))]
    trend: dict[object, list[int]] = {}
    for row in report.by_fault_code:
        trend.setdefault(row.key, [0] * TREND_MONTHS)[-1] += row.failures
    summarised = summarised_months(months[:-1])
    calendars: dict = {}
    for index, month in enumerate(months[:-1]):
        for key, row in month_cells(Scope(month, scope.branch), summarised, calendars):
            trend.setdefault(key[3], [0] * TREND_MONTHS)[index] += row.failures
    return months, trend


def _suppliers(report: QualityReport, scope: Scope) -> list[SupplierLine]:
    claims = SupplierClaim.objects.all()
    if scope.branch:
        claims = claims.filter(branch=scope.branch)
    start, end = scope.month.bounds
    claimed = dict(
        claims.filter(sent_at__gte=start, sent_at__lt=end)
        .values("supplier__name")
        .annotate(total=Sum(F("parts_cost") + F("labour_cost") + F("shipping_cost")))
        .values_list("supplier__name", "total")
    )
    recovered = dict(
        claims.filter(state=SupplierClaim.State.PAID, paid_at__gte=start, paid_at__lt=end)
        .values("supplier__name")
        .annotate(total=Sum("amount_recovered"))
        .values_list("supplier__name", "total")
    )
    lines = {
        row.supplier: SupplierLine(row.supplier, row.quantity, row.tickets, Decimal(0), Decimal(0))
        for row in report.by_supplier
    }
    for name in {*claimed, *recovered}:
        line = lines.setdefault(name, SupplierLine(name, 0, 0, Decimal(0), Decimal(0)))
        line.claimed = claimed.get(name) or Decimal(0)
        line.recovered = recovered.get(name) or Decimal(0)
    return sorted(lines.values(), key=lambda line: (-line.quantity, -line.claimed, line.supplier))


def _repeats(scope: Scope) -> list[RepeatLine]:
    """The month's repeat repairs within 90 days (the page's 90天返修), each with the latest ticket of
    the same unit and fault before it (one query)."""
    start, end = scope.month.bounds
    # The latest of the tickets that make it a repeat: the quality page's own definition.
    previous = earlier_same_fault(REPEAT_DAYS).order_by("-completed_at", "-pk")
    tickets = (
        RepairTicket.objects.exclude(state=State.CANCELLED)
        .filter(reported_at__gte=start, reported_at__lt=end)
        .filter(repeat_within(REPEAT_DAYS))
        .annotate(
            previous_number=Subquery(previous.values("number")[:1]),
            previous_completed=Subquery(previous.values("completed_at")[:1]),
        )
        .select_related("unit__product_model", "fault_code")
        .order_by("reported_at", "pk")
    )
    if scope.branch:
        tickets = tickets.filter(branch=scope.branch)
    return [
        RepeatLine(
            number=ticket.number,
            reported_at=timezone.localtime(ticket.reported_at),
            serial_number=ticket.unit.serial_number,
            product_model=str(ticket.unit.product_model),
            fault=str(ticket.fault_code) if ticket.fault_code else ticket.get_fault_category_display(),
            previous=ticket.previous_number or "",
            days=(ticket.reported_at - ticket.previous_completed).days if ticket.previous_completed else 0,
        )
        for ticket in tickets
    ]


def _new_modes(scope: Scope) -> list[NewMode]:
    """Fault codes whose first quality failure ever (not cancelled) was reported in the month."""
    start, end = scope.month.bounds
    failures = Q(tickets__fault_cause=FaultCause.QUALITY) & ~Q(tickets__state=State.CANCELLED)
    if scope.branch:
        failures &= Q(tickets__branch=scope.branch)
    in_month = failures & Q(tickets__reported_at__gte=start, tickets__reported_at__lt=end)
    codes = (
        FaultCode.objects.annotate(
            first_at=Min("tickets__reported_at", filter=failures),
            failures=Count("tickets", filter=in_month),
        )
        .filter(first_at__gte=start, first_at__lt=end)
        .select_related("product_model")
        .order_by("first_at", "code")
    )
    return [
        NewMode(
            code=code.code,
            symptom=code.symptom,
            product_model=str(code.product_model),
            failures=code.failures,
            first_at=timezone.localtime(code.first_at),
        )
        for code in codes
    ]


def manufacturing_report(month: Month) -> ManufacturingReport:
    """The month's report over every branch (manufacturing looks at the product, not the branch)."""
    scope = Scope(month)
    report = quality_report(scope)
    months, trend = _code_trend(report)
    return ManufacturingReport(
        quality=report,
        code_trend=trend,
        trend_months=months,
        suppliers=_suppliers(report, scope),
        repeats=_repeats(scope),
        new_modes=_new_modes(scope),
    )


# --- the workbook ---------------------------------------------------------------------------------------


def _value(value):
    return "" if value is None else value


def _failures_rows(report: ManufacturingReport, company: str) -> Iterator[list]:
    quality = report.quality
    whole = quality.summary.failures
    yield [_("月度质量报告(制造部门)"), company]
    yield [_("月份"), str(report.month)]
    yield [
        _("质量故障"),
        whole,
        pgettext("number of calls", "报修"),
        quality.summary.reported,
        _("一次修复率(%)"),
        _value(quality.summary.first_time_fix_rate),
        _("平均修复时间(工作小时)"),
        _value(quality.summary.mean_time_to_repair),
    ]
    yield []
    yield [
        _("故障代码"),
        _("质量故障"),
        _("占比(%)"),
        _("累计占比(%)"),
        pgettext("number of calls", "报修"),
        _("30天返修"),
        _("90天返修"),
        *(str(month) for month in report.trend_months),
    ]
    running = 0
    for row in quality.by_fault_code:
        running += row.failures
        yield [
            row.name,
            row.failures,
            _value(percent(row.failures, whole)),
            _value(percent(running, whole)),
            row.reported,
            row.repeats_30,
            row.repeats_90,
            *report.code_trend.get(row.key, [0] * TREND_MONTHS),
        ]
    yield []
    yield [
        _("产品型号 · 批次"),
        _("在用台数"),
        _("质量故障"),
        _("每千台故障"),
        pgettext("number of calls", "报修"),
    ]
    for row in [*quality.by_model, *quality.by_batch]:
        yield [row.name, row.units, row.failures, _value(row.failures_per_thousand), row.reported]


def _parts_rows(report: ManufacturingReport) -> Iterator[list]:
    yield [_("配件编号"), _("配件名称"), _("供应商"), _("更换数量"), _("工单数")]
    for part in report.quality.by_part:
        yield [part.code, part.name, part.supplier, part.quantity, part.tickets]
    yield []
    yield [_("供应商"), _("更换数量"), _("工单数"), _("本月索赔金额(元)"), _("本月回款(元)"), _("回收率(%)")]
    for line in report.suppliers:
        yield [
            line.supplier,
            line.quantity,
            line.tickets,
            line.claimed,
            line.recovered,
            _value(line.recovery_rate),
        ]


def _repeat_rows(report: ManufacturingReport) -> Iterator[list]:
    yield [
        _("工单号"),
        _("报修时间"),
        _("序列号"),
        _("产品型号"),
        _("故障"),
        _("上次工单"),
        _("距上次完工(天)"),
    ]
    for line in report.repeats:
        yield [
            line.number,
            f"{line.reported_at:%Y-%m-%d %H:%M}",
            line.serial_number,
            line.product_model,
            line.fault,
            line.previous,
            line.days,
        ]


def _new_mode_rows(report: ManufacturingReport) -> Iterator[list]:
    yield [_("故障代码"), _("故障现象"), _("产品型号"), _("本月质量故障"), _("首次出现")]
    for mode in report.new_modes:
        yield [mode.code, mode.symptom, mode.product_model, mode.failures, f"{mode.first_at:%Y-%m-%d %H:%M}"]


def sheets(report: ManufacturingReport, *, company: str) -> list[tuple[str, Iterator[list]]]:
    return [
        (_("主要故障"), _failures_rows(report, company)),
        (_("配件与供应商"), _parts_rows(report)),
        (_("返修"), _repeat_rows(report)),
        (_("新故障模式"), _new_mode_rows(report)),
    ]


def workbook(report: ManufacturingReport, *, company: str) -> bytes:
    """The xlsx file itself (for the e-mail); the download streams the same sheets."""
    return b"".join(stream_xlsx(sheets(report, company=company)))


def pdf(report: ManufacturingReport) -> bytes:
    return render_pdf(
        "reports/pdf/quality.html",
        {"report": report, "charts": quality_charts(report.quality), "printed_at": timezone.now()},
    )


def filename(month: Month, ext: str) -> str:
    return f"quality-{month}.{ext}"


# A run that claimed the month and never marked it sent (its worker died) leaves it to a run after this.
CLAIM_TIMEOUT = datetime.timedelta(hours=1)


def _claim(month: Month) -> datetime.datetime | None:
    """Claim the month's delivery in a transaction of its own (committed before the slow work): the
    time of the claim, or None when it was sent already or another run holds a fresh claim. The
    conditional UPDATE is the lock: a second run waits for the first's commit, then finds it claimed."""
    now = timezone.now()
    with transaction.atomic():
        QualityReportDelivery.objects.get_or_create(month=month.first_day)
        claimed = (
            QualityReportDelivery.objects.filter(month=month.first_day, sent_at__isnull=True)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
            .update(claimed_at=now)
        )
    return now if claimed else None


def send_quality_report(month: Month) -> bool:
    """E-mail the month's report (xlsx and PDF attached) to QUALITY_REPORT_RECIPIENTS, once: claim the
    month and commit, then build and send outside any transaction (no row lock or snapshot held for the
    seconds the report takes), then mark it sent. Safe to run twice: a second run finds the month
    claimed or sent and sends nothing; a failed send gives the claim back for the next run. False:
    nothing was sent by this run."""
    recipients = list(settings.QUALITY_REPORT_RECIPIENTS)
    if not recipients:
        return False
    claimed_at = _claim(month)
    if claimed_at is None:
        return False
    mine = QualityReportDelivery.objects.filter(month=month.first_day, claimed_at=claimed_at)
    try:
        # Last month is complete: the replica (when there is one) has it all.
        with replica_reads():
            report = manufacturing_report(month)
            attachments = [
                (filename(month, "xlsx"), workbook(report, company=settings.COMPANY_NAME), XLSX_CONTENT_TYPE),
                (filename(month, "pdf"), pdf(report), "application/pdf"),
            ]
        message = EmailMessage(
            subject=_("%(company)s 月度质量报告 %(month)s")
            % {"company": settings.COMPANY_NAME, "month": month},
            body=_(
                "附件为 %(month)s 的月度质量报告(主要故障、配件与供应商、返修、新故障模式),Excel 与 PDF 各一份。"
            )
            % {"month": month},
            to=recipients,
            attachments=attachments,
        )
        message.send()
    except BaseException:
        mine.filter(sent_at__isnull=True).update(claimed_at=None)
        raise
    mine.update(sent_at=timezone.now(), recipients=", ".join(recipients))
    return True
