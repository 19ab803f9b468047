"""aftersales.links: the URLs reversed once are the ones reverse() gives, under any URLconf and prefix."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from aftersales.links import fixed_url, pk_url


@pytest.fixture
def script_prefix():
    yield set_script_prefix
    clear_script_prefix()


@pytest.mark.parametrize(
    "viewname", ["tickets:list", "tickets:dispatch_board", "reports:dashboard", "admin:index"]
)
def test_a_fixed_url_is_what_reverse_gives_under_each_script_prefix(viewname, script_prefix):
    assert fixed_url(viewname) == reverse(viewname)
    script_prefix("/service/")
    assert fixed_url(viewname) == reverse(viewname)
    assert fixed_url(viewname).startswith("/service/")


@override_settings(ROOT_URLCONF="loadtest.bench.pages")
def test_a_fixed_url_follows_the_urlconf():
    assert fixed_url("bench_floor") == reverse("bench_floor") == "/__bench__/floor/"


@pytest.mark.parametrize("pk", [1, 7, 10, 1234567, 9876543210])
def test_a_rows_url_is_what_reverse_gives_for_its_key(pk, script_prefix):
    assert pk_url("tickets:detail")(pk) == reverse("tickets:detail", args=[pk])
    assert pk_url("tickets:transition", "dispatch")(pk) == reverse(
        "tickets:transition", args=[pk, "dispatch"]
    )
    script_prefix("/0/")
    assert pk_url("tickets:transition", "dispatch")(pk) == reverse(
        "tickets:transition", args=[pk, "dispatch"]
    )
