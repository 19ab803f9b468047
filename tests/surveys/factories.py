"""Surveys test helpers: tickets accepted through the real transition, so calls and surveys exist."""

from __future__ import annotations

import factory
from django.conf import settings
from django.utils import timezone

from surveys import rules
from surveys.models import Complaint, ComplaintSource
from surveys.services import SurveyAnswers
from tests.accounts.factories import UserFactory
from tests.tickets.factories import TicketFactory
from tickets.services import apply_transition

ALL_SATISFIED = SurveyAnswers(attitude=4, skill=3, punctuality=4, promises=3, comment="师傅很专业")


def accepted_ticket(supervisor, **factory_kwargs):
    """A ticket of the supervisor's branch, accepted by them through `apply_transition`."""
    ticket = TicketFactory(
        awaiting_acceptance=True,
        unit__owner__branch=supervisor.branch,
        unit__owner__phone__number=factory_kwargs.pop("phone", "13912345678"),
        **factory_kwargs,
    )
    return apply_transition(
        ticket_id=ticket.pk, user=supervisor, name="accept", expected_version=ticket.version
    )


class ComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complaint

    number = factory.Sequence(lambda n: f"SH-TS-20261127-{n:04d}")
    branch = factory.SelfAttribute("received_by.branch")
    contact_name = "张伟"
    contact_phone = "13912345678"
    source = ComplaintSource.CALL
    description = "技术员迟到两小时且未提前告知"
    received_by = factory.SubFactory(UserFactory, roles=["dispatcher"])
    received_at = factory.LazyFunction(timezone.now)
    plan_due_at = factory.LazyAttribute(
        lambda o: rules.plan_due_at(o.received_at, settings.COMPLAINT_PLAN_HOURS)
    )


class RecordingSms:
    """An SMS backend for tests (settings.SMS_BACKEND = "tests.surveys.factories.RecordingSms")."""

    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
