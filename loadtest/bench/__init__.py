"""`make bench`: what the bench measures, by part (`suite` runs them in order); `manage.py bench` and
`manage.py bench_reports` are its commands."""


class BenchError(RuntimeError):
    """The bench refuses this database, or a step of it failed: the command says why, without a traceback."""
