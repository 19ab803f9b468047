"""Reading a /metrics answer as Prometheus does."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, its labels): value} of an exposition in the text format."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    """The sample's value; 0 when it is not there (a series appears with its first observation)."""
    return samples(text).get((name, frozenset(labels.items())), 0.0)
