from loadtest.bench.reports import Command  # noqa: F401
