import pytest

from accounts.models import Role
from tests.reports.factories import october_data


@pytest.fixture
def october(branch_a, branch_b, persona):
    return october_data(branch_a=branch_a, branch_b=branch_b, clerk=persona(Role.DISPATCHER))
