from __future__ import annotations

import datetime

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from aftersales.exists import rows_exist
from surveys.models import Complaint, FollowUpCall, Survey
from surveys.rules import PLAN_REMINDER_HOURS
from surveys.scoring import QUESTIONS, Level, survey_tally
from tickets.templatetags.ticket_tags import _span

register = template.Library()


@register.inclusion_tag("surveys/_ticket_survey.html")
def ticket_survey(ticket) -> dict:
    """The ticket's survey, follow-up calls and complaints, for its page: `{% ticket_survey ticket %}`.
    One query whether it has each, then one for each it has: most tickets have no complaint, and a ticket
    never accepted has no survey or call yet (they come with the first acceptance,
    surveys.services.schedule_follow_ups)."""
    if ticket.accepted_at is not None or ticket.repeat_count:
        has_survey, has_calls, has_complaints = rows_exist(
            ticket.pk, (Survey, "ticket"), (FollowUpCall, "ticket"), (Complaint, "ticket")
        )
    else:
        has_survey = has_calls = False
        (has_complaints,) = rows_exist(ticket.pk, (Complaint, "ticket"))
    return {
        "ticket": ticket,
        "survey": Survey.objects.select_related("answered_by").filter(ticket=ticket).first()
        if has_survey
        else None,
        "calls": list(ticket.follow_up_calls.select_related("called_by").order_by("due_on", "pk"))
        if has_calls
        else [],
        "complaints": list(ticket.complaints.order_by("-received_at")) if has_complaints else [],
    }


@register.simple_tag
def follow_up_button(ticket) -> str:
    """The ticket page's next action for the dispatcher of an accepted ticket: its first pending call,
    where the survey is recorded and the ticket closes (`{% follow_up_button ticket %}`)."""
    call = ticket.follow_up_calls.filter(outcome="pending").order_by("due_on", "pk").first()
    if call is None:
        return ""
    return format_html(
        '<a class="btn btn-primary" href="{}" data-testid="record-follow-up">{}</a>',
        call.get_absolute_url(),
        _("回访:记录首次回访(含满意度调查)"),
    )


@register.filter
def survey_answer_rows(survey: Survey) -> list[dict]:
    """The four answers of an answered survey, with their labels."""
    return [
        {"label": label, "level": Level(getattr(survey, name)).label, "value": getattr(survey, name)}
        for name, label in QUESTIONS
    ]


@register.filter
def satisfaction(survey: Survey | None) -> str:
    """The survey's satisfaction (share of answers 满意 or better) as a percentage, or —."""
    if survey is None or not survey.is_answered:
        return "—"
    return f"{survey_tally(survey.answers()).percent}%"


@register.simple_tag
def plan_countdown(complaint, now: datetime.datetime) -> str:
    """The 72-hour plan deadline: green, amber in the last 12 hours, red when late, grey once planned."""
    if complaint.planned_at is not None:
        return format_html('<span class="due due-paused">{}</span>', _("已提出"))
    left = complaint.plan_due_at - now
    if left.total_seconds() < 0:
        return format_html(
            '<span class="due due-breached">{}</span>', _("超期 %(span)s") % {"span": _span(left)}
        )
    css = "due-warning" if left <= datetime.timedelta(hours=PLAN_REMINDER_HOURS) else "due-ok"
    return format_html('<span class="due {}">{}</span>', css, _("剩 %(span)s") % {"span": _span(left)})
