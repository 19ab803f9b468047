"""What the audit trail hears without a service calling it: sign-ins, group and permission changes,
and every change made in the Django admin (settings, policies, SLA rules, users…).

The admin's log entry (`LogEntry`) says who changed which object; the old values come from
`remember_admin_change`, which reads the row as it was before an admin request saves it (one query per
saved row, in admin requests only). The admin runs its add, change and delete views in a transaction,
so the audit row commits with the change.
"""

from __future__ import annotations

import functools
import json

from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from accounts.models import ApiToken, User
from audit import context
from audit.services import record

HIDDEN = "***"
# Fields whose values never go into the trail (only the fact that they changed).
SECRET_FIELDS = {"password", "password_seal", "digest", "secret", "token_hash", "code_hash"}


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="audit.login")
    user_logged_out.connect(on_logout, dispatch_uid="audit.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit.login_failed")
    post_save.connect(on_password_changed, sender=User, dispatch_uid="audit.password_changed")
    post_save.connect(on_token_issued, sender=ApiToken, dispatch_uid="audit.token_issued")
    post_delete.connect(on_token_revoked, sender=ApiToken, dispatch_uid="audit.token_revoked")
    m2m_changed.connect(on_user_groups, sender=User.groups.through, dispatch_uid="audit.user_groups")
    m2m_changed.connect(
        on_user_permissions, sender=User.user_permissions.through, dispatch_uid="audit.user_permissions"
    )
    m2m_changed.connect(
        on_group_permissions, sender=Group.permissions.through, dispatch_uid="audit.group_permissions"
    )
    pre_save.connect(remember_admin_change, dispatch_uid="audit.remember_admin_change")
    post_save.connect(on_admin_log_entry, sender=LogEntry, dispatch_uid="audit.admin_log_entry")
    # The admin logs a deletion of several rows with bulk_create (no post_save): this action records them.
    admin.site.add_action(delete_selected_recorded, "delete_selected")


# --- sign-in ------------------------------------------------------------------------------------------


def on_login(sender, request, user, **kwargs) -> None:
    record(user, "auth.login", user)


def on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(user, "auth.logout", user)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """The typed user name is kept (Django has already masked the password in `credentials`)."""
    username = str(credentials.get("username", ""))[:150]
    target = User.objects.filter(username=username).first() if username else None
    record(
        None,
        "auth.login_failed",
        target,
        {"username": username},
        actor_name=username,
        object_type="" if target else User._meta.label_lower,
        object_label="" if target else username,
    )


def on_password_changed(sender, instance: User, created: bool, raw=False, **kwargs) -> None:
    """Any path that sets a password (the account page, a reset link, the admin, the shell): `set_password`
    leaves the new hash in `_password` until the save completes. Never the password itself."""
    if created or raw or getattr(instance, "_password", None) is None:
        return
    record(_acting_user() or instance, "auth.password_changed", instance)


def on_token_issued(sender, instance: ApiToken, created: bool, raw=False, **kwargs) -> None:
    if created and not raw:
        details = {"prefix": instance.prefix, "client": instance.client, "expires_at": instance.expires_at}
        record(_acting_user() or instance.user, "auth.token_issued", instance.user, details)


def on_token_revoked(sender, instance: ApiToken, **kwargs) -> None:
    """A token deleted: revoked by its user, by a deactivation, or cleared when dead at the next issue."""
    record(
        _acting_user(),
        "auth.token_revoked",
        object_type=User._meta.label_lower,
        object_id=str(instance.user_id),
        object_label="",
        details={"prefix": instance.prefix},
    )


# --- groups and permissions ---------------------------------------------------------------------------


def _acting_user():
    request = context.current()
    return request.user if request else None


def _m2m_details(action: str, names: list[str]) -> dict | None:
    if not names:
        return None
    return {"added": names} if action == "post_add" else {"removed": names}


def _group_names(pks) -> list[str]:
    return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))


def _permission_names(pks) -> list[str]:
    rows = Permission.objects.filter(pk__in=pks).values_list("content_type__app_label", "codename")
    return sorted(f"{app_label}.{codename}" for app_label, codename in rows)


def _m2m_targets(action: str, instance, reverse: bool, pk_set, model, forward_pks):
    """[(owner, related pks)] of a change seen from either side; a clear is recorded before it happens."""
    if action == "pre_clear":
        if reverse:
            return [(owner, {instance.pk}) for owner in model.objects.filter(**{forward_pks: instance})]
        return [(instance, None)]
    if action not in ("post_add", "post_remove") or not pk_set:
        return []
    if reverse:
        return [(owner, {instance.pk}) for owner in model.objects.filter(pk__in=pk_set)]
    return [(instance, pk_set)]


def _m2m_receiver(field: str, names_of, verb: str):
    """A receiver of `m2m_changed` on `field` (groups, permissions) that records who was given or lost what,
    seen from either side of the relation."""

    def receiver(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
        for owner, pks in _m2m_targets(action, instance, reverse, pk_set, model, field):
            names = names_of(pks if pks is not None else getattr(owner, field).values_list("pk", flat=True))
            details = _m2m_details(action, names)
            if details:
                record(_acting_user(), verb, owner, details)

    return receiver


on_user_groups = _m2m_receiver("groups", _group_names, "auth.groups_changed")
on_user_permissions = _m2m_receiver("user_permissions", _permission_names, "auth.permissions_changed")
on_group_permissions = _m2m_receiver("permissions", _permission_names, "auth.permissions_changed")


# --- the Django admin ---------------------------------------------------------------------------------


def _plain(value):
    """A value as it goes into the details JSON."""
    try:
        json.dumps(value, cls=DjangoJSONEncoder)
    except TypeError:
        return str(value)
    return value


def remember_admin_change(sender, instance, raw=False, **kwargs) -> None:
    """Before a row is saved through the admin: its old values, for the log entry that follows."""
    request = context.current()
    if request is None or not request.in_admin or raw or instance._state.adding or instance.pk is None:
        return
    if sender is LogEntry:
        return
    fields = [f for f in sender._meta.concrete_fields if not f.primary_key]
    before = sender._base_manager.filter(pk=instance.pk).values(*[f.attname for f in fields]).first()
    if before is None:
        return
    diff = {}
    for field in fields:
        old, new = before[field.attname], getattr(instance, field.attname)
        if old != new:
            hidden = field.name in SECRET_FIELDS
            diff[field.name] = [HIDDEN, HIDDEN] if hidden else [_plain(old), _plain(new)]
    if diff:
        request.admin_changes[(sender._meta.label_lower, str(instance.pk))] = diff


def on_admin_log_entry(sender, instance: LogEntry, created: bool, raw=False, **kwargs) -> None:
    if not created or raw:
        return
    content_type = ContentType.objects.get_for_id(instance.content_type_id)
    label = f"{content_type.app_label}.{content_type.model}"
    details: dict = {}
    message = instance.change_message
    if message:
        try:
            details["message"] = json.loads(message)
        except ValueError:
            details["message"] = message
    request = context.current()
    if request is not None:
        changed = request.admin_changes.pop((label, str(instance.object_id)), None)
        if changed:
            details["changes"] = changed
        if request.admin_changes:  # inline rows saved with the object
            details["related_changes"] = {
                f"{model}#{pk}": diff for (model, pk), diff in request.admin_changes.items()
            }
            request.admin_changes.clear()
    verb = {ADDITION: "admin.add", DELETION: "admin.delete"}.get(instance.action_flag, "admin.change")
    if label == User._meta.label_lower and "is_active" in details.get("changes", {}):
        verb = "auth.activate" if details["changes"]["is_active"][1] else "auth.deactivate"
    actor = request.user if request is not None and request.user else instance.user
    record(
        actor,
        verb,
        details=details,
        object_type=label,
        object_id=instance.object_id or "",
        object_label=instance.object_repr,
    )


@functools.wraps(delete_selected)
def delete_selected_recorded(modeladmin, request, queryset):
    """Django's "delete selected" action; a deletion of several rows also goes into the audit trail
    (one row the admin logs with a LogEntry save, which `on_admin_log_entry` hears)."""
    objects = [(str(obj.pk), str(obj)) for obj in queryset] if request.POST.get("post") else []
    with transaction.atomic():
        response = delete_selected(modeladmin, request, queryset)
        if response is None and len(objects) > 1:  # None: deleted, back to the list
            for pk, name in objects:
                record(
                    request.user,
                    "admin.delete",
                    object_type=queryset.model._meta.label_lower,
                    object_id=pk,
                    object_label=name,
                )
    return response
