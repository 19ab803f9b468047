from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("回访与满意度")

    def ready(self) -> None:
        from surveys.services import on_ticket_transitioned  # models are importable only once ready
        from tickets.signals import ticket_transitioned

        ticket_transitioned.connect(on_ticket_transitioned, dispatch_uid="surveys.schedule_follow_ups")
