"""`{% ticket_survey ticket %}`: the survey, calls and complaints on the ticket's own page."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import timezone

from surveys.services import SurveyAnswers, store_answers
from tests.surveys.factories import ComplaintFactory, accepted_ticket
from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db

TEMPLATE = Template("{% load survey_tags %}{% ticket_survey ticket %}")


def test_an_answered_survey_shows_its_satisfaction_and_offers_a_complaint(
    supervisor, dispatcher, django_assert_num_queries
):
    ticket = accepted_ticket(supervisor)
    store_answers(
        ticket.survey,
        SurveyAnswers(attitude=4, skill=3, punctuality=1, promises=3, comment="迟到了"),
        via="agent",
        by=dispatcher,
        at=timezone.now(),
    )
    with django_assert_num_queries(3):  # whether it has a survey, calls, complaints; the survey; the calls
        html = TEMPLATE.render(Context({"ticket": ticket}))
    assert "75.0%" in html and "不满意" in html and "迟到了" in html
    assert f"?ticket={ticket.pk}&amp;source=survey" in html
    assert html.count("验收后") == 5


def test_before_acceptance_it_says_what_will_happen(supervisor):
    html = TEMPLATE.render(Context({"ticket": TicketFactory(unit__owner__branch=supervisor.branch)}))
    assert "验收后安排回访并发送满意度调查" in html


def test_a_complaint_shows_before_acceptance_and_an_empty_section_costs_one_query(
    supervisor, dispatcher, django_assert_num_queries
):
    """Each section's query runs only when it has rows (one query asks which have: issue #19)."""
    ticket = TicketFactory(unit__owner__branch=supervisor.branch)
    with django_assert_num_queries(1):
        html = TEMPLATE.render(Context({"ticket": ticket}))
    assert "验收后安排回访并发送满意度调查" in html
    complaint = ComplaintFactory(ticket=ticket, received_by=dispatcher)
    with django_assert_num_queries(2):
        html = TEMPLATE.render(Context({"ticket": ticket}))
    assert complaint.number in html and complaint.get_absolute_url() in html
