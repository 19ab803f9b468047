"""The KPI figures and the monthly satisfaction report over the API (issue #22): the figures of the KPI
dashboard and of the monthly report page as JSON, and the report's downloads (PDF, xlsx, CSV).

No second computation: the same scope (`access.month_scope`: `month` and, at headquarters, `branch`),
the same permissions (`access.require_dashboard`, `access.require_monthly`), the same figures
(`kpis.dashboard`, `findings.monthly_findings`) and the same files (`exports.monthly_report_file`) as the
screens. A bad `month` or `branch` is a 400 here, where the page shows its defaults with the error.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.drf import form_errors
from aftersales.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from aftersales.replica import reads_from_replica
from reports import access, exports
from reports.findings import Findings, monthly_findings
from reports.kpis import CATEGORIES, Dashboard, KpiRow, Scope, dashboard
from reports.periods import Month

# --- the figures ---


def _decimal(places: int, **kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=places, read_only=True, **kwargs)


def _percent(help_text: str) -> serializers.DecimalField:
    return _decimal(1, allow_null=True, help_text=f"{help_text}; null when there is nothing to measure")


class MarksSerializer(serializers.Serializer):
    """Whether each targeted KPI meets its target (null: no data, which is no failure)."""

    timeliness = serializers.BooleanField(allow_null=True)
    satisfaction = serializers.BooleanField(allow_null=True)
    complaint_rate = serializers.BooleanField(allow_null=True)


class KpiFiguresSerializer(serializers.Serializer):
    """The counts of one group and the rates and costs derived from them (reports/kpis.py, whose
    docstring defines each; the dashboard shows the same)."""

    name = serializers.CharField()
    volume = serializers.DictField(
        child=serializers.IntegerField(read_only=True),
        help_text=f"tickets reported, by service category {', '.join(CATEGORIES)}",
    )
    reported = serializers.IntegerField(read_only=True, help_text="tickets reported (all categories)")
    arrivals = serializers.IntegerField(read_only=True, help_text="arrival deadlines met in the month")
    arrivals_in_time = serializers.IntegerField(read_only=True, help_text="of which in time")
    timeliness = _percent("arrivals_in_time / arrivals, %")
    surveys = serializers.IntegerField(read_only=True, help_text="surveys answered in the month")
    satisfied_answers = serializers.IntegerField(read_only=True, source="satisfaction_tally.satisfied")
    answers = serializers.IntegerField(read_only=True, source="satisfaction_tally.answers")
    satisfaction = _percent("satisfied_answers / answers, %")
    finished = serializers.IntegerField(read_only=True, help_text="services finished in the month")
    helped = serializers.IntegerField(
        read_only=True,
        help_text="jobs completed as a helper on a two-person job (a technician's; not in `finished`)",
    )
    attended = serializers.IntegerField(
        read_only=True,
        help_text="finished + helped: the jobs a technician attended (the dashboard's finished column)",
    )
    complaints = serializers.IntegerField(
        read_only=True, help_text="service-caused complaints received in the month"
    )
    complaint_rate = _percent("complaints / finished, %")
    warranty_hours = _decimal(2, help_text="labour hours on free (C) service reports signed in the month")
    warranty_labour_cost = _decimal(2, help_text="the hours valued at the labour rate, yuan")
    warranty_fees_waived = _decimal(2, help_text="yuan")
    warranty_parts_cost = _decimal(2, help_text="cost price of the parts consumed on free service, yuan")
    warranty_claims = _decimal(2, help_text="compensation claims approved in the month, yuan")
    warranty_cost = _decimal(2, help_text="the four together, yuan")
    meets = serializers.SerializerMethodField()

    @extend_schema_field(MarksSerializer)
    def get_meets(self, row: KpiRow) -> dict:
        return row.marks(self.context["targets"])


class KpiGroupSerializer(KpiFiguresSerializer):
    id = serializers.IntegerField(
        read_only=True, source="key", allow_null=True, help_text="null: no technician / no ticket"
    )


class KpiMonthSerializer(KpiFiguresSerializer):
    month = serializers.CharField(source="key", help_text="YYYY-MM")


class TargetSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    threshold = _decimal(1, help_text="%")
    higher_is_better = serializers.BooleanField(help_text="true: at least the threshold; false: below it")
    text = serializers.CharField(help_text="as the dashboard writes it, e.g. ≥ 90 %")


class BranchSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField()
    name = serializers.CharField()


class KpiReportSerializer(serializers.Serializer):
    """A month's KPI figures for one branch or (headquarters) every branch, as the KPI dashboard shows
    them: the whole scope, its rows by branch, technician and product model, and twelve months' trend."""

    month = serializers.CharField(source="scope.month", help_text="YYYY-MM")
    branch = BranchSerializer(source="scope.branch", allow_null=True, help_text="null: every branch")
    scope_label = serializers.SerializerMethodField()
    labour_rate = _decimal(2, help_text="yuan per labour hour, to value free service hours")
    targets = serializers.SerializerMethodField()
    summary = KpiFiguresSerializer()
    by_branch = KpiGroupSerializer(source="tables.branch", many=True)
    by_technician = KpiGroupSerializer(source="tables.technician", many=True)
    by_product_model = KpiGroupSerializer(source="tables.product_model", many=True)
    trend = KpiMonthSerializer(
        source="months", many=True, help_text="the twelve months to `month`, oldest first"
    )

    def get_scope_label(self, board: Dashboard) -> str:
        return access.scope_label(board.scope.branch)

    @extend_schema_field(TargetSerializer(many=True))
    def get_targets(self, board: Dashboard) -> list[dict]:
        return TargetSerializer(board.targets.values(), many=True).data


class ChangeSerializer(serializers.Serializer):
    delta = serializers.CharField(allow_null=True, help_text="against last month (percentage points for a %)")
    improved = serializers.BooleanField(
        allow_null=True, help_text="null: nothing to compare, or no direction"
    )


class HeadlineSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField(allow_null=True, help_text="a number as text; null: nothing to measure")
    unit = serializers.CharField(help_text="%, ¥ or empty (a count)")
    target = serializers.CharField(source="target.text", allow_null=True, default=None)
    meets = serializers.BooleanField(allow_null=True)
    change = ChangeSerializer()


class FindingSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="the ticket's number")
    text = serializers.CharField()
    level = serializers.CharField(help_text="the answer's level, for a weak answer")


class FindingGroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(read_only=True, help_text="every finding of the group")
    truncated = serializers.BooleanField(help_text=f"more than the {exports.PRINTED_FINDINGS} listed")
    items = FindingSerializer(many=True)


class FindingsSerializer(serializers.Serializer):
    praised = FindingGroupSerializer()
    problems = FindingGroupSerializer(many=True)


class MonthlyReportSerializer(KpiReportSerializer):
    """The monthly satisfaction report's figures: the KPI figures, the first page's headlines against
    last month, and the follow-up findings (as in its PDF)."""

    headlines = HeadlineSerializer(many=True)
    findings = serializers.SerializerMethodField()

    @extend_schema_field(FindingsSerializer)
    def get_findings(self, board: Dashboard) -> dict:
        findings: Findings = self.context["findings"]
        return FindingsSerializer(findings).data


# --- the operations ---

SCOPE_PARAMETERS = [
    OpenApiParameter("month", str, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM"),
    OpenApiParameter(
        "branch",
        int,
        description="a branch's id: headquarters only (null: every branch); anyone else always gets their "
        "own branch, as on the dashboard",
    ),
]
FIGURES_EXAMPLE = {
    "name": "上海分公司",
    "volume": {"A": 3, "B": 1, "C": 12, "D": 0},
    "reported": 16,
    "arrivals": 10,
    "arrivals_in_time": 9,
    "timeliness": "90.0",
    "surveys": 5,
    "satisfied_answers": 18,
    "answers": 20,
    "satisfaction": "90.0",
    "finished": 14,
    "complaints": 0,
    "complaint_rate": "0.0",
    "warranty_hours": "12.50",
    "warranty_labour_cost": "1000.00",
    "warranty_fees_waived": "0.00",
    "warranty_parts_cost": "640.00",
    "warranty_claims": "0.00",
    "warranty_cost": "1640.00",
    "meets": {"timeliness": True, "satisfaction": True, "complaint_rate": True},
}
KPI_EXAMPLE = {
    "month": "2026-10",
    "branch": {"id": 1, "code": "SH", "name": "上海分公司"},
    "scope_label": "上海分公司",
    "labour_rate": "80.00",
    "targets": [
        {
            "key": "timeliness",
            "label": "及时率",
            "threshold": "90.0",
            "higher_is_better": True,
            "text": "≥ 90 %",
        }
    ],
    "summary": {**FIGURES_EXAMPLE, "name": "合计"},
    "by_branch": [{**FIGURES_EXAMPLE, "id": 1}],
    "by_technician": [{**FIGURES_EXAMPLE, "id": 7, "name": "张伟"}],
    "by_product_model": [{**FIGURES_EXAMPLE, "id": 3, "name": "KFR-35GW 壁挂式空调"}],
    "trend": [{**FIGURES_EXAMPLE, "month": "2026-10"}],
}
MONTHLY_EXAMPLE = {
    **KPI_EXAMPLE,
    "headlines": [
        {
            "key": "satisfaction",
            "label": "满意率",
            "value": "90.0",
            "unit": "%",
            "target": "≥ 85 %",
            "meets": True,
            "change": {"delta": "2.5", "improved": True},
        }
    ],
    "findings": {
        "praised": {"key": "praised", "label": "表扬与满意", "count": 1, "truncated": False, "items": []},
        "problems": [
            {
                "key": "punctuality",
                "label": "到达时间",
                "count": 1,
                "truncated": False,
                "items": [{"ticket": "SH-20261012-0003", "text": "迟到一小时", "level": "不满意"}],
            }
        ],
    },
}


def _scope(request: Request, default_month: Month) -> Scope:
    form, scope = access.month_scope(request.user, request.query_params, default_month)
    if form.errors:
        raise form_errors(form)
    return scope


@extend_schema(
    tags=["reports"],
    parameters=SCOPE_PARAMETERS,
    responses={200: KpiReportSerializer},
    examples=[OpenApiExample("a branch's month", value=KPI_EXAMPLE, response_only=True)],
)
class KpiView(APIView):
    """The KPI dashboard's figures (default: this month): supervisors, managers, the general manager and
    admins, each for the branches they see."""

    @reads_from_replica
    def get(self, request: Request) -> Response:
        access.require_dashboard(request.user)
        board = dashboard(_scope(request, Month.of(timezone.localdate())))
        return Response(KpiReportSerializer(board, context={"targets": board.targets}).data)


@extend_schema(
    tags=["reports"],
    parameters=SCOPE_PARAMETERS,
    responses={200: MonthlyReportSerializer},
    examples=[OpenApiExample("a branch's month", value=MONTHLY_EXAMPLE, response_only=True)],
)
class MonthlyReportView(APIView):
    """The monthly satisfaction report's figures (default: last month), for those who may export it:
    admins, managers and the general manager."""

    @reads_from_replica
    def get(self, request: Request) -> Response:
        access.require_monthly(request.user)
        scope = _scope(request, Month.previous(timezone.localdate()))
        board = dashboard(scope)
        findings = monthly_findings(scope, limit=exports.PRINTED_FINDINGS)
        context = {"targets": board.targets, "findings": findings}
        return Response(MonthlyReportSerializer(board, context=context).data)


class MonthlyReportFile(APIView):
    """The monthly satisfaction report as the report page's download buttons give it."""

    fmt = ""

    @reads_from_replica
    def get(self, request: Request):
        access.require_monthly(request.user)
        return exports.monthly_report_file(_scope(request, Month.previous(timezone.localdate())), self.fmt)


def _file_schema(fmt: str, content_type: str, what: str):
    return extend_schema(
        tags=["reports"],
        parameters=SCOPE_PARAMETERS,
        responses={(200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description=what)},
        description=f"The monthly satisfaction report as {what} (the report page's {fmt} download).",
    )


@_file_schema("PDF", "application/pdf", "an A4 PDF: headlines, charts, tables and findings")
class MonthlyReportPdf(MonthlyReportFile):
    fmt = "pdf"


@_file_schema("xlsx", XLSX_CONTENT_TYPE, "a workbook: summary, tables, trend, every survey, findings")
class MonthlyReportXlsx(MonthlyReportFile):
    fmt = "xlsx"


@_file_schema("CSV", CSV_CONTENT_TYPE.split(";")[0], "CSV: one line per survey answered in the month")
class MonthlyReportCsv(MonthlyReportFile):
    fmt = "csv"
