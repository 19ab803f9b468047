from django.apps import AppConfig


class LoadtestConfig(AppConfig):
    """The benchmarks, the soak and the fault runs: installed only for their management commands.

    No app imports it; it may import every app."""

    name = "loadtest"
    verbose_name = "loadtest"
