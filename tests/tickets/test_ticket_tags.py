"""The ticket pages' filters that stand in for a slower built-in: the same text as what they replace."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MOMENTS = [
    datetime.datetime(2026, 12, 6, 4, 5, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI),
    datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.UTC),
    datetime.datetime(9999, 12, 31, 15, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 1, 9, 7),  # noqa: DTZ001 - naive: written as it is, as Django does
    None,
    "",
]


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_minute_writes_what_the_date_filter_writes(moment, zone):
    with timezone.override(zone):
        context = Context({"moment": moment})
        expected = Template('{{ moment|date:"Y-m-d H:i" }}').render(context)
        written = Template("{% load ticket_tags %}{{ moment|minute }}").render(context)
    assert written == expected


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_tick_label_is_the_blocktrans_it_replaced(language):
    context = Context({"number": "SH-20261206-0001<&>"})
    with translation.override(language):
        expected = Template(
            "{% load i18n %}{% blocktrans with number=number %}勾选 {{ number }}{% endblocktrans %}"
        ).render(context)
        written = Template("{% load ticket_tags %}{{ number|tick_label }}").render(context)
    assert written == expected
