"""Who approves a compensation claim (§2-一-2, DESIGN §7): a pure function over plain values.

Small claims (amount ≤ the branch's threshold) are handled by the service department, which then
informs finance and the manager (§2-一-2(1)); large ones (amount > threshold, strictly) need the
general manager's approval after the supervisor's agreement with the customer (§2-一-2(2)). A branch
may add further levels (e.g. the service manager between the supervisor and the general manager).

No database access here: `claims.services` loads the branch's `ApprovalRule` and stores the
route on the claim when it is submitted, so a later edit of the rule never changes a running claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DEPARTMENT_ROLE = "supervisor"  # 本部门: the service supervisor (服务主任)
GENERAL_MANAGER_ROLE = "general_manager"
APPROVER_ROLES = ("supervisor", "manager", "general_manager")


@dataclass(frozen=True)
class LevelSpec:
    """One configured approval level: its role, whether only large claims need it, and for which
    claim kinds (empty: every kind)."""

    role: str
    large_only: bool = False
    kinds: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RoutingRule:
    threshold: Decimal
    levels: tuple[LevelSpec, ...]


@dataclass(frozen=True)
class Level:
    position: int
    role: str


@dataclass(frozen=True)
class Route:
    large: bool
    levels: tuple[Level, ...]


# Used when neither the branch nor the default rule is configured: the seed's two cases as they stand.
DEFAULT_RULE = RoutingRule(
    threshold=Decimal("2000.00"),
    levels=(LevelSpec(DEPARTMENT_ROLE), LevelSpec(GENERAL_MANAGER_ROLE, large_only=True)),
)


def is_large(amount: Decimal, threshold: Decimal) -> bool:
    """At exactly the threshold a claim is still small: only an amount above it is large."""
    return amount > threshold


def route(amount: Decimal, kind: str, rule: RoutingRule) -> Route:
    """The ordered approval levels of a claim of `amount` and `kind` under `rule`.

    Guarantees, whatever the configuration: the department's level when no configured level applies; a large
    claim always includes the general manager (§2-一-2(2)); a role appears at most once; a larger
    amount never needs fewer roles; the department decides first and the general manager last (he
    approves after the supervisor's agreement with the customer), the other levels in their order.
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    large = is_large(amount, rule.threshold)
    applicable = [spec for spec in rule.levels if not spec.kinds or kind in spec.kinds]
    if all(spec.large_only for spec in applicable):
        # Every claim is first handled by the department (§2-一-2(1)), also when nobody configured it.
        applicable.insert(0, LevelSpec(DEPARTMENT_ROLE))
    roles: list[str] = []
    for spec in applicable:
        if (large or not spec.large_only) and spec.role not in roles:
            roles.append(spec.role)
    if large and GENERAL_MANAGER_ROLE not in roles:
        roles.append(GENERAL_MANAGER_ROLE)
    roles.sort(key=lambda role: {DEPARTMENT_ROLE: 0, GENERAL_MANAGER_ROLE: 2}.get(role, 1))  # stable
    return Route(large=large, levels=tuple(Level(position, role) for position, role in enumerate(roles, 1)))


# Up the hierarchy, for a level nobody may decide (§2-一-2: the department, then the manager, then the GM).
ESCALATION = APPROVER_ROLES


@dataclass(frozen=True)
class LevelChange:
    """A level of the route passed on: `asked` decides it instead of `planned`, or nobody (skipped, a
    later level decides)."""

    planned: str
    asked: str | None


def reroute(
    remaining: tuple[str, ...], staffed: frozenset[str], blocked: frozenset[str]
) -> tuple[tuple[LevelChange, ...], str | None]:
    """Who decides now, walking the remaining levels (the current one first) past those nobody may decide.

    `staffed` are the roles with someone who may decide this claim; `blocked` those whose people may not
    (each is the claimant or decided an earlier level). A blocked level goes to the next role up that is
    staffed and not asked later anyway; without one it is skipped when a later level remains. A level whose
    role has nobody at all is a gap in the set-up, not a conflict: it stays and waits, like a blocked last
    level, for an admin to assign someone. Returns the changes and the role asked now, or None when the
    current level waits for an admin (it is not among the changes).
    """
    changes: list[LevelChange] = []
    for index, role in enumerate(remaining):
        if role in staffed:
            return tuple(changes), role
        if role not in blocked:
            return tuple(changes), None
        later = remaining[index + 1 :]
        above = ESCALATION[ESCALATION.index(role) + 1 :] if role in ESCALATION else ()
        substitute = next((up for up in above if up in staffed and up not in later), None)
        if substitute is not None:
            changes.append(LevelChange(role, substitute))
            return tuple(changes), substitute
        if not later:
            return tuple(changes), None
        changes.append(LevelChange(role, None))
    return tuple(changes), None
