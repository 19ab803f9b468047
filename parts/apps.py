from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "parts"
    verbose_name = _("备件")

    def ready(self) -> None:
        from tickets.signals import ticket_transitioned

        ticket_transitioned.connect(consume_report_parts, dispatch_uid="parts.consume_report_parts")


def consume_report_parts(sender, *, ticket, name, actor, at, **kwargs) -> None:
    """The visit is complete and its report signed: its part lines leave the technician's van.
    The supervisor accepted the ticket: its parts are written off where the old part is back."""
    if name == "complete_visit":
        from parts.services import record_report_usage

        record_report_usage(ticket=ticket, actor=actor)
    elif name == "accept":
        from parts.services import write_off_accepted

        write_off_accepted(ticket=ticket)
