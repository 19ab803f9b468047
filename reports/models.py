"""The KPI counts of each month, stored so that the dashboard and its twelve-month trend read a few
hundred summary rows instead of a year of tickets and surveys (issue #8).

`reports.kpis.summarise` fills a month with the same grouped SQL the live dashboard runs, so a stored
month equals the counted one (tests/reports/test_kpis.py); the periodic task `reports.tasks.summarise_months`
refreshes the current month to date, the last complete month (for late entries) and any month of the
trend not summarised yet.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

COUNT_FIELDS = ("arrivals", "arrivals_in_time", "surveys", "satisfied_answers", "finished", "complaints")
AMOUNT_FIELDS = ("warranty_hours", "warranty_fees_waived", "warranty_parts_cost", "warranty_claims")


def _count():
    return models.PositiveIntegerField(default=0)


def _amount():
    return models.DecimalField(max_digits=14, decimal_places=2, default=0)


class KpiMonth(models.Model):
    """One month's counts of one branch × technician × product model (the finest grouping the
    dashboard shows; every figure of a coarser group is a sum of these)."""

    month = models.DateField(_("月份"))  # its first day
    branch = models.ForeignKey("accounts.Branch", on_delete=models.CASCADE, related_name="+")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    product_model = models.ForeignKey(
        "customers.ProductModel", on_delete=models.CASCADE, null=True, related_name="+"
    )
    volume_a = _count()
    volume_b = _count()
    volume_c = _count()
    volume_d = _count()
    arrivals = _count()
    arrivals_in_time = _count()
    surveys = _count()
    satisfied_answers = _count()
    finished = _count()
    # Jobs completed as a helper (reports.kpis); a database default too, so that a summary written by
    # code from before this column (a worker not yet restarted) still inserts.
    helped = models.PositiveIntegerField(default=0, db_default=0)
    complaints = _count()
    warranty_hours = _amount()
    warranty_fees_waived = _amount()
    warranty_parts_cost = _amount()
    warranty_claims = _amount()

    class Meta:
        verbose_name = _("月度指标汇总")
        verbose_name_plural = _("月度指标汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "branch", "technician", "product_model"],
                name="reports_kpimonth_cell",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["branch", "month"], name="reports_kpimonth_branch_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.branch_id}/{self.technician_id}/{self.product_model_id}"


class SummarisedMonth(models.Model):
    """A month whose KpiMonth rows hold every row before `through` (the month's end once it is over; the
    time of the run for the current month): the rest of the month is counted live. A month without any
    data has no KpiMonth rows, but is known here."""

    month = models.DateField(_("月份"), unique=True)
    through = models.DateTimeField(_("汇总截至"))
    summarised_at = models.DateTimeField(_("汇总时间"))
    # New at every run, even when `through` stays (a past month stored again for late entries): what a
    # cache of the stored counts is keyed by (reports.kpis.stored_month_sums).
    revision = models.UUIDField(_("汇总版本"), default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("已汇总月份")
        verbose_name_plural = _("已汇总月份")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class QualityMonth(models.Model):
    """One month's quality counts of one branch × product model × production batch × fault code
    (reports.quality): every figure of the quality page and of a coarser group is a sum of these.

    Tickets count in the month they were reported (reported, failures, repeats) or completed (completed,
    first-time fixes, working hours from logged to completed).
    """

    month = models.DateField(_("月份"))  # its first day
    branch = models.ForeignKey("accounts.Branch", on_delete=models.CASCADE, related_name="+")
    product_model = models.ForeignKey("customers.ProductModel", on_delete=models.CASCADE, related_name="+")
    batch = models.CharField(_("生产批次"), max_length=40, blank=True)
    fault_code = models.ForeignKey("tickets.FaultCode", on_delete=models.CASCADE, null=True, related_name="+")
    reported = _count()
    failures = _count()
    repeats_30 = _count()
    repeats_90 = _count()
    completed = _count()
    first_time_fixes = _count()
    repair_hours = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("月度质量汇总")
        verbose_name_plural = _("月度质量汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "branch", "product_model", "batch", "fault_code"],
                name="reports_qualitymonth_cell",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["branch", "month"], name="reports_quality_branch_idx")]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} {self.branch_id}/{self.product_model_id}/{self.batch}/{self.fault_code_id}"
        )


class SummarisedQualityMonth(models.Model):
    """A month whose QualityMonth rows hold every ticket event before `through` (as SummarisedMonth)."""

    month = models.DateField(_("月份"), unique=True)
    through = models.DateTimeField(_("汇总截至"))
    summarised_at = models.DateTimeField(_("汇总时间"))

    class Meta:
        verbose_name = _("已汇总质量月份")
        verbose_name_plural = _("已汇总质量月份")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class QualityReportDelivery(models.Model):
    """The monthly quality report e-mailed to manufacturing (reports.manufacturing.send_quality_report):
    a run claims the month (`claimed_at`, committed before the report is built), so a second run of the
    task, or two workers at once, sends nothing while the first is at work or once it has sent."""

    month = models.DateField(_("月份"), unique=True)  # its first day
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    recipients = models.TextField(_("收件人"), blank=True)

    class Meta:
        verbose_name = _("月度质量报告发送记录")
        verbose_name_plural = _("月度质量报告发送记录")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class FieldUnits(models.Model):
    """Units in the field per branch × product model × batch, counted by the quality task
    (reports.quality.count_field_units): the quality page's rate per 1,000 units reads these few rows
    instead of grouping 300,000 units on every view (153 ms of its 267 ms at 1,000,000 tickets)."""

    branch = models.ForeignKey("accounts.Branch", on_delete=models.CASCADE, related_name="+")
    product_model = models.ForeignKey("customers.ProductModel", on_delete=models.CASCADE, related_name="+")
    batch = models.CharField(_("生产批次"), max_length=40, blank=True)
    units = _count()
    counted_at = models.DateTimeField(_("统计时间"))

    class Meta:
        verbose_name = _("在用产品台数")
        verbose_name_plural = _("在用产品台数")
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "product_model", "batch"], name="reports_fieldunits_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}/{self.product_model_id}/{self.batch}: {self.units}"


def export_path(export: Export, filename: str) -> str:
    """Under exports/ by month; the name a user downloads is `Export.filename`, not this one."""
    return f"exports/{timezone.localdate():%Y/%m}/{export.pk}-{filename}"


class Export(models.Model):
    """A long export (the monthly report, the ticket list) built by a Celery task on the `reports` queue
    (reports.export_jobs): who asked, for what, how far the task is, and the file in the default storage
    once it is done. Anyone may see it who asked for it, or who may run the same export over the same
    branch (reports.selectors.access_export). Files older than EXPORT_KEEP_DAYS are removed by beat."""

    class Kind(models.TextChoices):
        MONTHLY_REPORT = "monthly_report", _("月度满意度报告")
        TICKET_LIST = "ticket_list", _("工单列表")

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", "CSV"
        PDF = "pdf", "PDF"

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(_("导出内容"), max_length=20, choices=Kind.choices)
    fmt = models.CharField(_("格式"), max_length=4, choices=Format.choices)
    # The branch the rows cover (None: every branch); who besides the requester may download depends on it.
    branch = models.ForeignKey(
        "accounts.Branch", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What the task needs to build the same rows again: the month, the list's filters and sort.
    parameters = models.JSONField(_("参数"), default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress_done = models.PositiveIntegerField(_("已完成"), default=0)
    progress_total = models.PositiveIntegerField(_("总数"), default=0)
    file = models.FileField(_("文件"), upload_to=export_path, blank=True, max_length=300)
    filename = models.CharField(_("文件名"), max_length=200)
    error = models.CharField(_("错误信息"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    # Written with each progress step: a running export whose task died stops beating (purge_exports).
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_done__lte=models.F("progress_total"))
                | models.Q(progress_total=0),
                name="reports_export_progress_within_total",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="done") | ~models.Q(file=""),
                name="reports_export_done_has_file",
            ),
        ]
        indexes = [
            # "我的导出" (reports.selectors.exports_of): the user's newest first.
            models.Index(fields=["user", "-created_at"], name="reports_export_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_fmt_display()}, {self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("reports:export_detail", args=[self.pk])

    @property
    def title(self) -> str:
        """What the export covers, in the reader's language: the month of a report, the time of a list."""
        if self.kind == self.Kind.MONTHLY_REPORT:
            return f"{self.get_kind_display()} · {self.parameters.get('month', '')}"
        return f"{self.get_kind_display()} · {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    @property
    def error_text(self) -> str:
        """The stored message (Chinese, as written) in the reader's language."""
        return gettext(self.error) if self.error else ""

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(99, self.progress_done * 100 // self.progress_total)
