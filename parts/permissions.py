"""Who may see the cost price (成本价) of a part: one rule for the catalogue page, its downloads and the API."""

from __future__ import annotations

from accounts.models import Role

# The keepers who buy the parts, finance and management. Technicians, dispatchers and supervisors quote
# the market price to customers and never need what the company paid.
COST_PRICE_VIEWERS = frozenset({Role.WAREHOUSE, Role.FINANCE, Role.MANAGER, Role.GENERAL_MANAGER, Role.ADMIN})


def may_see_cost_prices(user) -> bool:
    return user.is_superuser or user.has_role(*COST_PRICE_VIEWERS)
