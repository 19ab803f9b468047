"""Property tests in CI (CI=true) draw the same examples on every run; elsewhere they explore."""

from hypothesis import settings

from tests.conftest import IN_CI


def test_ci_runs_derandomised_and_other_runs_explore():
    assert settings.get_profile("ci").derandomize
    assert settings.default.derandomize is IN_CI
    assert settings(max_examples=5).derandomize is IN_CI  # what a test's own settings inherit
