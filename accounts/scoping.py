"""Who sees which rows: one rule for every branch-scoped model (DESIGN §1, branches scope data)."""

from __future__ import annotations

from django.db import models

NO_ROWS = "__none__"


class BranchScopedQuerySet(models.QuerySet):
    """`visible_to(user)`: headquarters sees every branch; an office role its own branch; a user who is
    only a technician the rows whose `technician_field` is them — or their branch's rows when the model
    sets it to None, or nothing when it sets NO_ROWS. Inactive and anonymous users see nothing."""

    branch_field = "branch"
    technician_field: str | None = "technician"

    def visible_to(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_branches:
            return self
        if user.is_technician_only and self.technician_field is not None:
            if self.technician_field == NO_ROWS:
                return self.none()
            return self.filter(**{self.technician_field: user})
        if user.branch_id is None:
            return self.none()
        return self.filter(**{f"{self.branch_field}_id": user.branch_id})
