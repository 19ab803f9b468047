"""Codes of a call that tickets store and SLA policies match on; apart from tickets.models so that
tickets.sla_models (imported by it) can offer them as choices too."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    LETTER = "letter", _("来信")
    WALK_IN = "walk_in", _("上门送修")
    WEB = "web", _("网上报修")
    # Reported by the customer in their own channel (portal, issue #17): no staff user logged it.
    SELF = "self", _("客户自助报修")


class Priority(models.TextChoices):
    NORMAL = "normal", _("普通")
    URGENT = "urgent", _("紧急")


class AppointmentRequester(models.TextChoices):
    """Who asked for a visit's time window, or for changing it (recorded in the history)."""

    CUSTOMER = "customer", _("客户要求")
    SERVICE = "service", _("服务中心安排")
    TECHNICIAN = "technician", _("技术员要求")
