from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("维修工单")

    def ready(self) -> None:
        from customers.models import Customer
        from tickets.sla_services import customer_changed

        post_save.connect(customer_changed, sender=Customer, dispatch_uid="tickets-sla-customer-changed")
