"""Who may press which transition of a repair ticket (DESIGN §3), in one table.

Used by the FSM `permission=` of every transition, and therefore by the UI buttons, the API
and the tests alike. Office roles act on tickets of their own branch (headquarters on every
branch); the technician columns mean *the technician assigned to the ticket*.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Role


@dataclass(frozen=True)
class Actors:
    roles: frozenset[str] = frozenset()
    assignee: bool = False


TRANSITION_ACTORS: dict[str, Actors] = {
    "dispatch": Actors(roles=frozenset({Role.DISPATCHER, Role.SUPERVISOR})),
    "check_in": Actors(assignee=True),
    "complete_visit": Actors(assignee=True),
    "request_return": Actors(roles=frozenset({Role.DISPATCHER}), assignee=True),
    "approve_return": Actors(roles=frozenset({Role.SUPERVISOR})),
    "reject_return": Actors(roles=frozenset({Role.SUPERVISOR})),
    "finish_factory_repair": Actors(assignee=True),
    "hand_over": Actors(roles=frozenset({Role.DISPATCHER})),
    "accept": Actors(roles=frozenset({Role.SUPERVISOR})),
    "follow_up": Actors(roles=frozenset({Role.DISPATCHER})),
    "cancel": Actors(roles=frozenset({Role.DISPATCHER, Role.SUPERVISOR})),
    "reopen": Actors(roles=frozenset({Role.DISPATCHER})),
    # An accidental 验收 or 取消, taken back within the day (tickets.undo).
    "undo_accept": Actors(roles=frozenset({Role.SUPERVISOR})),
    "undo_cancel": Actors(roles=frozenset({Role.SUPERVISOR})),
}


# What the customer may do to their own ticket in the channel (portal, issue #17), and while: before a
# technician is sent nobody has planned a visit around the customer yet (tickets.services, user None).
CUSTOMER_TRANSITIONS = frozenset({"cancel"})
CUSTOMER_STATES = ("reported",)


def customer_may_change_visit(ticket) -> bool:
    """The customer may move or cancel the visit in the channel."""
    return ticket.state in CUSTOMER_STATES


# Revising the fault cause (and so the warranty verdict) of an open ticket: the technician on site
# finds the real cause (§1-3.4.2 查), the office corrects a wrong intake.
VERDICT_REVISERS = Actors(roles=frozenset({Role.DISPATCHER, Role.SUPERVISOR}), assignee=True)


def may_act(transition_name: str, ticket, user) -> bool:
    return allowed(TRANSITION_ACTORS[transition_name], ticket, user)


def may_revise_verdict(ticket, user) -> bool:
    """A planned maintenance visit has no warranty verdict to revise (a fault found there is a new call)."""
    return ticket.is_open and ticket.kind != "maintenance" and allowed(VERDICT_REVISERS, ticket, user)


def allowed(actors: Actors, ticket, user) -> bool:
    if not user.is_active:
        return False
    if actors.assignee and ticket.technician_id == user.pk and user.has_role(Role.TECHNICIAN):
        return True
    return user.has_role(*actors.roles) and user.in_branch(ticket.branch_id)


def permission_for(transition_name: str):
    """The `permission=` callable of one transition."""

    def check(ticket, user) -> bool:
        return may_act(transition_name, ticket, user)

    check.__name__ = f"may_{transition_name}"
    return check


def may_write_report(ticket, user, *, before_check_in: bool = False) -> bool:
    """The service report is written on site by the assigned technician (DESIGN §3, complete visit).

    `before_check_in`: the assigned technician before 到达签到 instead. The report pages are kept for
    offline use in that state, and the outbox opens their steps once a check-in is queued on the device
    (the server receives the check-in first, so each step is still checked on site when it arrives)."""
    return (
        user.is_active
        and ticket.state == ("dispatched" if before_check_in else "on_site")
        and ticket.technician_id == user.pk
        and user.has_role(Role.TECHNICIAN)
    )


# A correction to a signed report (a new, separately signed addendum): the technician who did the
# work, or the supervisor who checks the report at acceptance (§1-3.4.3).
ADDENDUM_WRITERS = Actors(roles=frozenset({Role.SUPERVISOR}), assignee=True)


def may_add_addendum(ticket, user) -> bool:
    return allowed(ADDENDUM_WRITERS, ticket, user)
