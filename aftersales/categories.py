"""Product/fault categories and service zones: plain choices that both the accounts app (a technician's
skills and zones) and the customers app (a product's category, a customer's zone) use, so they live in
the kernel below both."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FaultCategory(models.TextChoices):
    """What kind of product or fault; SLA rules key on it (§1-3.2.2, 3.2.3)."""

    BODY = "body", _("车身/整机")
    CHASSIS_ENGINE = "chassis_engine", _("底盘/发动机")
    APPLIANCE = "appliance", _("家用电器")
    OTHER = "other", _("其他")


class ServiceZone(models.TextChoices):
    CITY = "city", _("市区")
    SUBURB = "suburb", _("郊区")
    REMOTE = "remote", _("远郊/外地")
