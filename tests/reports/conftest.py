import pytest

from accounts.models import Role
from tests.reports.factories import october_data
from tests.reports.quality_data import october_quality


@pytest.fixture
def october(branch_a, branch_b, persona):
    return october_data(branch_a=branch_a, branch_b=branch_b, clerk=persona(Role.DISPATCHER))


@pytest.fixture(name="quality_october")
def _quality_october(branch_a, branch_b):
    """The quality analytics' October data set (tests/reports/quality_data.py)."""
    return october_quality(branch_a, branch_b)
