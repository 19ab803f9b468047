from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("客户自助服务")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal.services import on_customer_told
        from portal.session import end_customer_session  # models are importable only once ready
        from tickets.signals import customer_told

        # A staff login in a browser that holds a customer's session ends the customer's part of it:
        # one session is never both (portal.session).
        user_logged_in.connect(end_customer_session, dispatch_uid="portal.end_customer_session")
        # Every step texted to the customer carries a single-use link into their channel (issue #17).
        customer_told.connect(on_customer_told, dispatch_uid="portal.text_with_link")
