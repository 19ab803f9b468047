"""Who may do what with follow-up calls, surveys and complaints, in one table.

Office roles act on records of their own branch (headquarters on every branch); the lookup helpers in
`surveys.access` give 404 outside that scope, and these checks give 403 to insiders who may only read.
"""

from __future__ import annotations

from accounts.models import Role

# The call queue and survey links: dispatchers make the calls (§2-三); supervisors and managers watch.
CALL_VIEWERS = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER})
CALLERS = frozenset({Role.DISPATCHER})

COMPLAINT_VIEWERS = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER})
COMPLAINT_ACTORS: dict[str, frozenset[str]] = {
    # Complaints come in by phone or letter to the dispatcher, or from a follow-up call (§2-二-2(2)).
    "open": frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.MANAGER}),
    # The plan, the visit and closure are the service department's (§7-二十六、二十八); the vice president
    # (general_manager) handles major ones.
    "plan": frozenset({Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER}),
    "visit": frozenset({Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER}),
    "answer": frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER}),
    "close": frozenset({Role.SUPERVISOR, Role.MANAGER, Role.GENERAL_MANAGER}),
}


def may_view_calls(user) -> bool:
    return user.is_active and user.has_role(*CALL_VIEWERS)


def may_call(user, branch_id: int) -> bool:
    return user.is_active and user.has_role(*CALLERS) and user.in_branch(branch_id)


def may_view_complaints(user) -> bool:
    return user.is_active and user.has_role(*COMPLAINT_VIEWERS)


def may_act_on_complaint(action: str, user, branch_id: int) -> bool:
    return user.is_active and user.has_role(*COMPLAINT_ACTORS[action]) and user.in_branch(branch_id)
