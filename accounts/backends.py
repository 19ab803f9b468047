"""Username and password sign-in (Django's ModelBackend) whose session user comes with what every page
reads: the branch and the role names, in the one query that loads the user (issue #19). Django's backend
loads the user alone; the branch and the roles then cost a query each on every page."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef

from accounts.models import User


def signed_in(pk) -> User | None:
    """The user of a session with the branch joined and, on PostgreSQL, the role names as an array
    (on SQLite, the development default, the roles stay one query of `User.roles` later)."""
    users = User.objects.select_related("branch").filter(pk=pk)
    if connection.vendor == "postgresql":
        names = Group.objects.filter(user=OuterRef("pk")).values("name")
        users = users.annotate(role_names=ArraySubquery(names))
    user = next(iter(users), None)  # not first(): its ORDER BY costs a third more to compile
    if user is not None and hasattr(user, "role_names"):
        user.roles = frozenset(user.role_names)  # fills the cached_property: no query of the groups
    return user


class PasswordBackend(ModelBackend):
    def get_user(self, user_id):
        user = signed_in(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
