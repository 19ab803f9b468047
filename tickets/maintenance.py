"""Preventive maintenance visits of a maintenance contract (保养合同, §7-二十; issue #18 item 9).

One row per contract, unit and planned day: the unique constraint claims the visit, so the daily task
(tickets.tasks.generate_maintenance_visits) may run twice, or on two workers, and still log one ticket
per visit. The visit's ticket is an ordinary ticket of the maintenance kind, category B, due on the
planned day; a visit whose day passed with its ticket still open is missed and stays open (overdue)
until it is done: it carries forward, and the next visit's ticket says so.

Imported by `tickets.models`, so Django registers the model in the `tickets` app.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitStatus(models.TextChoices):
    DONE = "done", _("已完成")
    DUE = "due", _("待保养")
    MISSED = "missed", _("逾期未做")
    CANCELLED = "cancelled", _("已取消")


# A visit's ticket counts as done once the visit is completed (its later states follow from there).
DONE_STATES = ("awaiting_acceptance", "accepted", "closed")


class MaintenanceVisit(models.Model):
    contract = models.ForeignKey(
        "warranty.MaintenanceContract",
        verbose_name=_("保养合同"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    unit = models.ForeignKey(
        "customers.Unit", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="maintenance_visits"
    )
    planned_date = models.DateField(_("计划保养日期"))
    ticket = models.OneToOneField(
        "tickets.RepairTicket",
        verbose_name=_("保养工单"),
        on_delete=models.PROTECT,
        related_name="maintenance_visit",
    )
    # The contract's checklist when the visit was generated (a later edit of the contract leaves it).
    checklist = models.JSONField(_("保养检查项"), default=list, blank=True)
    # The earlier visits of the unit still not done when this one was generated (their planned days).
    carried_over = models.JSONField(_("顺延的逾期保养"), default=list, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保养上门")
        verbose_name_plural = _("保养上门")
        ordering = ["planned_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "unit", "planned_date"], name="tickets_maintenancevisit_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.unit_id} {self.planned_date}"

    def status(self, today: datetime.date) -> str:
        if self.ticket.state in DONE_STATES or self.ticket.completed_at is not None:
            return VisitStatus.DONE
        if self.ticket.state == "cancelled":
            return VisitStatus.CANCELLED
        return VisitStatus.MISSED if self.planned_date < today else VisitStatus.DUE
