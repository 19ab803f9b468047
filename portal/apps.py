from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("客户自助服务")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal.session import end_customer_session  # models are importable only once ready

        # A staff login in a browser that holds a customer's session ends the customer's part of it:
        # one session is never both (portal.session).
        user_logged_in.connect(end_customer_session, dispatch_uid="portal.end_customer_session")
