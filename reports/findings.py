"""The monthly summary of follow-up findings (§2-三-5, R2.monthly-summary): what customers praised and
what went wrong, grouped, with the ticket numbers.

`group_findings` is pure: it sorts plain rows into groups. `monthly_findings` reads only the rows that
can be a finding (a survey with a comment or an answer below 满意, a follow-up call with notes or a
problem, a complaint) with `iterator()`, so a month of 100,000 surveys is never held as model objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from reports.kpis import Scope
from surveys.models import Complaint, FollowUpCall, Outcome, Survey
from surveys.scoring import QUESTION_FIELDS, QUESTIONS, SATISFIED_LEVELS, Level

FOLLOW_UP = "follow_up"
COMPLAINT = "complaint"
PROBLEM_GROUPS = (*QUESTIONS, (FOLLOW_UP, _("回访发现的问题")), (COMPLAINT, _("服务责任投诉")))
UNSATISFIED_LEVELS = sorted(set(Level.values) - SATISFIED_LEVELS)


@dataclass(frozen=True)
class Finding:
    ticket: str
    text: str
    level: str = ""


@dataclass
class Group:
    key: str
    label: str
    count: int = 0
    items: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding, limit: int | None) -> None:
        self.count += 1
        if limit is None or len(self.items) < limit:
            self.items.append(finding)

    @property
    def truncated(self) -> bool:
        return self.count > len(self.items)


@dataclass
class Findings:
    praised: Group
    problems: list[Group]

    @property
    def is_empty(self) -> bool:
        return not self.praised.count and not any(group.count for group in self.problems)


def group_findings(
    surveys: Iterable[dict], calls: Iterable[dict], complaints: Iterable[dict], *, limit: int | None = None
) -> Findings:
    """Surveys: {ticket, comment, <question>: level}; calls: {ticket, satisfied, problem_found, notes};
    complaints: {ticket, number, description}. `limit` keeps at most that many items per group
    (the count stays exact)."""
    praised = Group("praised", str(_("表扬与满意")))
    problems = {key: Group(key, str(label)) for key, label in PROBLEM_GROUPS}
    levels = {value: str(label) for value, label in Level.choices}  # translated once, not per finding
    for survey in surveys:
        weak = [name for name in QUESTION_FIELDS if survey[name] not in SATISFIED_LEVELS]
        for name in weak:
            problems[name].add(Finding(survey["ticket"], survey["comment"], levels[survey[name]]), limit)
        if not weak and survey["comment"]:
            praised.add(Finding(survey["ticket"], survey["comment"]), limit)
    for call in calls:
        if call["problem_found"] or call["satisfied"] is False:
            problems[FOLLOW_UP].add(Finding(call["ticket"], call["notes"]), limit)
        elif call["notes"]:
            praised.add(Finding(call["ticket"], call["notes"]), limit)
    for complaint in complaints:
        problems[COMPLAINT].add(
            Finding(complaint["ticket"] or complaint["number"], complaint["description"]), limit
        )
    return Findings(praised=praised, problems=list(problems.values()))


def _in_month(scope: Scope, path: str, branch_path: str = "branch") -> Q:
    condition = Q(**{f"{path}__gte": scope.month.start, f"{path}__lt": scope.month.end})
    return condition & Q(**{branch_path: scope.branch}) if scope.branch else condition


def _conditions() -> dict[str, Q]:
    """The SQL twin of `group_findings`' sorting: which rows belong to which group."""
    weak = {name: Q(**{f"{name}__in": UNSATISFIED_LEVELS}) for name in QUESTION_FIELDS}
    any_weak = Q()
    for condition in weak.values():
        any_weak |= condition
    call_problem = Q(problem_found=True) | Q(satisfied=False)
    return {
        **weak,
        "praised_survey": ~any_weak & ~Q(comment=""),
        FOLLOW_UP: call_problem,
        "praised_call": ~call_problem & ~Q(notes=""),
    }


def monthly_findings(scope: Scope, *, limit: int | None = None) -> Findings:
    """Every finding of the month (limit=None, the xlsx: three queries, streamed), or the first `limit`
    of each group with exact counts (the page and the PDF: a fixed number of small queries, so the page
    does not read a whole month of 100,000 surveys)."""
    conditions = _conditions()
    surveys = Survey.objects.filter(_in_month(scope, "answered_at")).order_by("answered_at", "pk")
    calls = FollowUpCall.objects.filter(_in_month(scope, "done_at"), outcome=Outcome.REACHED).order_by(
        "done_at", "pk"
    )
    complaints = Complaint.objects.filter(_in_month(scope, "received_at"), service_at_fault=True).order_by(
        "received_at", "pk"
    )
    survey_fields = ("pk", "answered_at", "comment", *QUESTION_FIELDS)
    call_fields = ("pk", "done_at", "satisfied", "problem_found", "notes")
    ticket = {"ticket_number": F("ticket__number")}
    survey_groups = [*QUESTION_FIELDS, "praised_survey"]
    if limit is None:
        relevant = Q()
        for key in survey_groups:
            relevant |= conditions[key]
        return group_findings(
            _stream(surveys.filter(relevant).values(*survey_fields, **ticket)),
            _stream(
                calls.filter(conditions[FOLLOW_UP] | conditions["praised_call"]).values(
                    *call_fields, **ticket
                )
            ),
            _stream(complaints.values("number", "description", **ticket)),
        )
    # The first `limit` rows of each group, merged in time order: a group's first `limit` members are
    # then exactly its first `limit` overall, whatever other groups brought in.
    survey_rows = {
        row["pk"]: row
        for key in survey_groups
        for row in surveys.filter(conditions[key]).values(*survey_fields, **ticket)[:limit]
    }
    call_rows = {
        row["pk"]: row
        for key in (FOLLOW_UP, "praised_call")
        for row in calls.filter(conditions[key]).values(*call_fields, **ticket)[:limit]
    }
    findings = group_findings(
        map(_renamed, sorted(survey_rows.values(), key=lambda row: (row["answered_at"], row["pk"]))),
        map(_renamed, sorted(call_rows.values(), key=lambda row: (row["done_at"], row["pk"]))),
        map(_renamed, complaints.values("number", "description", **ticket)[:limit]),
        limit=limit,
    )
    # Keys prefixed: an aggregate may not share a field's name (attitude, skill…).
    counted = surveys.aggregate(**{f"n_{key}": Count("pk", filter=conditions[key]) for key in survey_groups})
    counted |= calls.aggregate(
        **{f"n_{key}": Count("pk", filter=conditions[key]) for key in (FOLLOW_UP, "praised_call")}
    )
    counts = {key: counted[f"n_{key}"] for key in (*QUESTION_FIELDS, FOLLOW_UP)}
    counts[COMPLAINT] = complaints.count()
    findings.praised.count = counted["n_praised_survey"] + counted["n_praised_call"]
    for group in findings.problems:
        group.count = counts[group.key]
    return findings


def _stream(queryset):
    return (_renamed(row) for row in queryset.iterator(chunk_size=2000))


def _renamed(row: dict) -> dict:
    row["ticket"] = row.pop("ticket_number")
    return row
