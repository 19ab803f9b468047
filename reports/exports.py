"""Files for download: the monthly satisfaction report (xlsx, csv, pdf) and the call register (xlsx, csv).

Built for months of 100,000 surveys (issue #8): rows are read with `iterator()`, and both the xlsx
(written row by row into a zip that is sent as it grows) and the CSV are `StreamingHttpResponse`s of
`aftersales.exports`, the writer of every spreadsheet the app sends (formulas stay text).
Nothing holds the whole month in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter

from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.fields import Field

from aftersales.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_lines, stream_xlsx
from reports.access import scope_label
from reports.documents import monthly_pdf
from reports.findings import Findings, monthly_findings
from reports.kpis import CATEGORIES, Dashboard, KpiRow, Scope, dashboard
from surveys.models import AnsweredVia, Survey
from surveys.scoring import QUESTION_FIELDS, QUESTIONS, SATISFIED_LEVELS, Level

CHUNK = 2000


def _local(value, zone=None) -> str:
    """Local time as text; pass the zone when formatting many (looking it up costs more than this)."""
    return (
        value.astimezone(zone or timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M") if value else ""
    )


def _person(row: dict) -> str:
    full = f"{row['technician__last_name'] or ''}{row['technician__first_name'] or ''}"
    return full or row["technician__username"] or ""


class SurveyAnswerResource(resources.Resource):
    """One line per answered survey: the listing sheet of the xlsx and the whole CSV.

    The rows are plain dicts from `values()`, not model instances: building six model instances per
    survey (and translating each answer's label) made a month of 100,000 surveys take minutes.
    `rows()` maps the levels to their labels once per export, then applies each field's getter.
    """

    ticket = Field(column_name=gettext_lazy("工单号"), dehydrate_method=itemgetter("ticket__number"))
    branch = Field(column_name=gettext_lazy("网点"), dehydrate_method=itemgetter("branch__name"))
    technician = Field(column_name=gettext_lazy("技术员"), dehydrate_method=_person)
    product_model = Field(
        column_name=gettext_lazy("产品型号"), dehydrate_method=itemgetter("ticket__unit__product_model__code")
    )
    answered_at = Field(column_name=gettext_lazy("答卷时间"), dehydrate_method=itemgetter("answered_at"))
    attitude, skill, punctuality, promises = (
        Field(column_name=label, dehydrate_method=itemgetter(name)) for name, label in QUESTIONS
    )
    satisfied = Field(column_name=gettext_lazy("满意项数(满分4)"), dehydrate_method=itemgetter("satisfied"))
    comment = Field(column_name=gettext_lazy("意见或建议"), dehydrate_method=itemgetter("comment"))
    answered_via = Field(column_name=gettext_lazy("答卷方式"), dehydrate_method=itemgetter("answered_via"))

    class Meta:
        fields = (
            "ticket",
            "branch",
            "technician",
            "product_model",
            "answered_at",
            "attitude",
            "skill",
            "punctuality",
            "promises",
            "satisfied",
            "comment",
            "answered_via",
        )
        export_order = fields

    @staticmethod
    def month_queryset(scope):
        surveys = Survey.objects.filter(answered_at__gte=scope.month.start, answered_at__lt=scope.month.end)
        if scope.branch:
            surveys = surveys.filter(branch=scope.branch)
        return surveys.order_by("answered_at", "pk").values(
            "answered_at",
            "answered_via",
            "comment",
            *QUESTION_FIELDS,
            "ticket__number",
            "ticket__unit__product_model__code",
            "branch__name",
            "technician__username",
            "technician__first_name",
            "technician__last_name",
        )

    def rows(self, queryset) -> Iterator[list]:
        levels = {value: str(label) for value, label in Level.choices}
        via = {value: str(label) for value, label in AnsweredVia.choices}
        getters = [field.dehydrate_method for field in self.get_export_fields()]
        zone = timezone.get_current_timezone()
        yield self.get_export_headers()
        for row in queryset.iterator(chunk_size=CHUNK):
            row["answered_at"] = _local(row["answered_at"], zone)
            row["satisfied"] = sum(row[name] in SATISFIED_LEVELS for name in QUESTION_FIELDS)
            for name in QUESTION_FIELDS:
                row[name] = levels[row[name]]
            row["answered_via"] = via.get(row["answered_via"], "")
            yield [get(row) for get in getters]


# --- the monthly report -----------------------------------------------------------------------------


def _number(value):
    return "" if value is None else value


def kpi_header(first: str) -> list[str]:
    return [
        first,
        *(_("%(category)s 类报修") % {"category": category} for category in CATEGORIES),
        _("报修合计"),
        _("到达节点"),
        _("按时到达"),
        _("及时率(%)"),
        _("调查份数"),
        _("满意率(%)"),
        _("完工数"),
        _("协助完工"),
        _("服务责任投诉"),
        _("投诉率(%)"),
        _("保修工时"),
        _("保修成本(元)"),
    ]


def kpi_line(row: KpiRow) -> list:
    return [
        row.name,
        *(row.volume[category] for category in CATEGORIES),
        row.reported,
        row.arrivals,
        row.arrivals_in_time,
        _number(row.timeliness),
        row.surveys,
        _number(row.satisfaction),
        row.finished,
        row.helped,
        row.complaints,
        _number(row.complaint_rate),
        row.warranty_hours,
        row.warranty_cost,
    ]


def summary_rows(board: Dashboard, *, company: str, branch_name: str) -> Iterator[list]:
    summary, targets = board.summary, board.targets
    marks = summary.marks(targets)
    yield [_("月度满意度报告"), company]
    yield [_("月份"), str(board.scope.month)]
    yield [_("网点"), branch_name]
    yield []
    yield [_("指标"), _("数值(%)"), _("目标"), _("是否达标"), _("计算")]
    parts = {
        "timeliness": f"{summary.arrivals_in_time} / {summary.arrivals}",
        "satisfaction": f"{summary.satisfaction_tally.satisfied} / {summary.satisfaction_tally.answers}",
        "complaint_rate": f"{summary.complaints} / {summary.finished}",
    }
    verdict = {True: _("达标"), False: _("未达标"), None: _("无数据")}
    for key, target in targets.items():
        yield [
            str(target.label),
            _number(getattr(summary, key)),
            target.text,
            verdict[marks[key]],
            parts[key],
        ]
    yield []
    yield [_("服务类别"), _("报修数")]
    for category in CATEGORIES:
        yield [category, summary.volume[category]]
    yield [_("合计"), summary.reported]
    yield []
    yield [_("保修成本"), _("数值")]
    yield [_("工时(小时)"), summary.warranty_hours]
    yield [_("工时折算(元)"), summary.warranty_labour_cost]
    yield [_("免收费用(元)"), summary.warranty_fees_waived]
    yield [_("配件成本(元)"), summary.warranty_parts_cost]
    yield [_("批准赔偿(元)"), summary.warranty_claims]
    yield [_("合计(元)"), summary.warranty_cost]


def findings_rows(findings: Findings) -> Iterator[list]:
    yield [_("分组"), _("工单号"), _("评价"), _("内容")]
    for group in (findings.praised, *findings.problems):
        for item in group.items:
            yield [group.label, item.ticket, item.level, item.text]


def monthly_sheets(
    board: Dashboard, findings: Findings, survey_rows, *, company: str, branch_name: str
) -> list:
    """The seven sheets of the monthly workbook; `survey_rows` is the listing (`SurveyAnswerResource.rows`)."""
    return [
        (_("汇总"), summary_rows(board, company=company, branch_name=branch_name)),
        (_("按网点"), [kpi_header(_("网点")), *map(kpi_line, board.tables["branch"])]),
        (_("按技术员"), [kpi_header(_("技术员")), *map(kpi_line, board.tables["technician"])]),
        (_("按产品型号"), [kpi_header(_("产品型号")), *map(kpi_line, board.tables["product_model"])]),
        (_("按月趋势"), [kpi_header(_("月份")), *map(kpi_line, board.months)]),
        (_("调查明细"), survey_rows),
        (_("回访发现"), findings_rows(findings)),
    ]


# The findings the printed report (and its figures over the API) lists per group; the spreadsheet lists all.
PRINTED_FINDINGS = 100
MONTHLY_FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE, "pdf": "application/pdf"}


def monthly_filename(scope: Scope, fmt: str) -> str:
    return f"satisfaction-{scope.month}-{scope.branch.code if scope.branch else 'ALL'}.{fmt}"


def monthly_report_chunks(scope: Scope, fmt: str, *, counted=iter) -> Iterator[bytes]:
    """The monthly satisfaction report of `scope` as bytes, produced as the survey rows are read; each
    listing row passes through `counted` (the export task counts them for its progress bar)."""
    if fmt not in MONTHLY_FORMATS:
        raise Http404("Unknown format")
    survey_rows = counted(SurveyAnswerResource().rows(SurveyAnswerResource.month_queryset(scope)))
    if fmt == "csv":
        return (line.encode() for line in csv_lines(survey_rows))
    board = dashboard(scope)
    branch_name = scope_label(scope.branch)
    if fmt == "xlsx":
        sheets = monthly_sheets(
            board,
            monthly_findings(scope),
            survey_rows,
            company=settings.COMPANY_NAME,
            branch_name=branch_name,
        )
        return stream_xlsx(sheets)
    pdf = monthly_pdf(board, monthly_findings(scope, limit=PRINTED_FINDINGS), branch_name=branch_name)
    return iter([pdf])


def monthly_survey_count(scope: Scope) -> int:
    """The rows of the listing: what the export task's progress counts up to (the PDF lists none)."""
    return SurveyAnswerResource.month_queryset(scope).count()


def monthly_report_file(scope: Scope, fmt: str) -> HttpResponse:
    """The monthly satisfaction report of `scope` as a download streamed as it is written (csv, xlsx or
    pdf), for the API and scripts; the report page runs it as a task instead (reports.export_jobs)."""
    chunks, filename = monthly_report_chunks(scope, fmt), monthly_filename(scope, fmt)
    if fmt == "pdf":  # one piece anyway
        return download(b"".join(chunks), CONTENT_TYPES[fmt], filename)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
