"""Benchmarks, load and reliability runs against the real servers: `make bench` (loadtest/bench/, behind
the `bench` and `bench_reports` commands), `make soak` and `make faults`. No app imports this package."""
