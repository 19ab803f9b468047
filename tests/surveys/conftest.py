import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def chinese():
    """Service messages are translated in the active language: make it Chinese whatever ran before."""
    with translation.override("zh-hans"):
        yield
