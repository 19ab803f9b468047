from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "parts"
    verbose_name = _("备件")

    def ready(self) -> None:
        from tickets.signals import ticket_transitioned

        ticket_transitioned.connect(consume_report_parts, dispatch_uid="parts.consume_report_parts")


def consume_report_parts(sender, *, ticket, name, actor, at, **kwargs) -> None:
    """The visit is complete and its report signed: its part lines leave the technician's van."""
    if name == "complete_visit":
        from parts.services import record_report_usage

        record_report_usage(ticket=ticket, actor=actor)
