from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "parts"
    verbose_name = _("备件")

    def ready(self) -> None:
        from parts import receivers  # models can be imported only once the registry is ready

        receivers.connect()
