"""The audit trail (issue #21): one append-only row per thing a person (or the system) did.

Written by `audit.services.record` inside the transaction of the change it records, so a rolled-back
change leaves no row and a committed one always has its row. The table is append-only in the database:
on PostgreSQL a trigger refuses UPDATE and DELETE (migration 0002); SQLite, used for development only,
relies on the admin and the code having no path that changes a row.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.details import readable


class AuditEntry(models.Model):
    at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)
    # No database foreign key and nothing done on delete: deleting a user must neither cascade into the
    # trail nor try to update it (the trigger would refuse). `actor_name` keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The user name at the time (for a failed login: the name that was typed); empty for the system.
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True, editable=False)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True, editable=False)
    verb = models.CharField(_("操作代码"), max_length=60, editable=False)
    # The Chinese label at the time; shown translated when the catalogue knows it.
    verb_label = models.CharField(_("动作"), max_length=100, editable=False)
    # `app_label.model` of the object (its model's label), its primary key and what it was called.
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True, editable=False)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, editable=False)
    object_label = models.CharField(_("对象"), max_length=200, blank=True, editable=False)
    # What changed ({"field": [old, new]} where it was cheap to know), or what the verb needs.
    details = models.JSONField(_("详情"), default=dict, blank=True, encoder=DjangoJSONEncoder, editable=False)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-pk"]
        indexes = [
            # The audit screen and export: newest first, by date range (audit.selectors.audit_entries).
            models.Index(fields=["-at", "-id"], name="audit_entry_at_idx"),
            # The same, filtered by the user who acted.
            models.Index(fields=["actor", "-at"], name="audit_entry_actor_at_idx"),
            # The same, filtered by one object (or one kind of object).
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_entry_object_at_idx"),
            # The object types that have rows, and the verbs of each: the screen's object-type filter
            # (audit.selectors.object_type_choices reads them with a skip scan, one probe per pair).
            models.Index(fields=["object_type", "verb"], name="audit_entry_type_verb_idx"),
        ]

    def __str__(self) -> str:
        actor = self.actor_name or gettext("系统")
        return f"{self.at:%Y-%m-%d %H:%M} {actor} {self.verb}"

    @property
    def actor_display(self) -> str:
        return self.actor_name or gettext("系统")

    @property
    def verb_display(self) -> str:
        """The label in the reader's language (the stored label is the Chinese msgid)."""
        return gettext(self.verb_label) if self.verb_label else self.verb

    @property
    def details_pairs(self) -> list[tuple[str, str]]:
        """The details as label: value pairs in the reader's language (audit.details)."""
        return readable(self.details, self.object_type)

    @property
    def object_type_display(self) -> str:
        return object_type_label(self.object_type)


def object_type_label(label: str) -> str:
    """The verbose name of a model given as `app_label.model`; the label itself when the model is gone."""
    if not label:
        return ""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label
