from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("维修工单")

    def ready(self) -> None:
        # Models are importable only once ready.
        from customers.signals import location_changed, search_fields_changed
        from tickets.services import customer_file_changed
        from tickets.sla_services import customer_location_changed

        location_changed.connect(customer_location_changed, dispatch_uid="tickets.customer_location_changed")
        search_fields_changed.connect(customer_file_changed, dispatch_uid="tickets.customer_file_changed")
