from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """KPIs, the monthly reports and the daily reports: read-only views over the other apps' data."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("统计报表")

    def ready(self) -> None:
        from reports.tasks import on_history_imported  # models are importable only once ready
        from tickets.signals import history_imported

        history_imported.connect(on_history_imported, dispatch_uid="reports.summarise_imported_months")
