from django.apps import AppConfig


class AftersalesConfig(AppConfig):
    """The project package as an app: shared template tags and the demo-data command."""

    name = "aftersales"
    verbose_name = "aftersales"
