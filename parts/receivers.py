"""How the parts app reacts to tickets and accounts (their signals), connected in `PartsConfig.ready`."""

from __future__ import annotations

from accounts.signals import deactivation_requested
from parts.handover import deactivation_refusal
from parts.report_parts import parts_step_context
from parts.services import record_report_usage, write_off_accepted
from tickets.signals import report_parts_step, ticket_transitioned


def consume_report_parts(sender, *, ticket, name, actor, at, **kwargs) -> None:
    """The visit is complete and its report signed: its part lines leave the technician's van.
    The supervisor accepted the ticket: its parts are written off where the old part is back."""
    if name == "complete_visit":
        record_report_usage(ticket=ticket, actor=actor)
    elif name == "accept":
        write_off_accepted(ticket=ticket)


def offer_van_parts(sender, *, user, report, part_form, **kwargs) -> dict:
    return parts_step_context(user, report, part_form)


def refuse_deactivation(sender, *, user, **kwargs) -> str | None:
    return deactivation_refusal(user)


def connect() -> None:
    ticket_transitioned.connect(consume_report_parts, dispatch_uid="parts.consume_report_parts")
    report_parts_step.connect(offer_van_parts, dispatch_uid="parts.offer_van_parts")
    deactivation_requested.connect(refuse_deactivation, dispatch_uid="parts.refuse_deactivation")
