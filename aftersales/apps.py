from django.apps import AppConfig
from django.core.signals import request_finished, request_started

from aftersales import logs


class AftersalesConfig(AppConfig):
    """The project package as an app: shared template tags and the demo-data command."""

    name = "aftersales"
    verbose_name = "aftersales"

    def ready(self) -> None:
        request_started.connect(logs.start_request, dispatch_uid="aftersales.logs.start_request")
        request_finished.connect(logs.finish_request, dispatch_uid="aftersales.logs.finish_request")
