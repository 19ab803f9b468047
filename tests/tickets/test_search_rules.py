"""The search box's rules (tickets.search), and PostgreSQL's copy of the numbers' ends (migration 0028)."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets.search import WORD_END, branch_key, number_end, number_ends, search_terms


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("0042", True),
        ("042", True),
        ("138000", True),
        ("42", False),
        ("1380013", False),
        ("A001", False),
        ("００４２", False),
        ("", False),
    ],
)
def test_three_to_six_ascii_digits_are_the_end_of_a_number(term, expected):
    assert number_end(term) is expected


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("SH-20261205-0042", {"205", "1205", "61205", "261205", "042", "0042"}),
        ("13800138000", {"000", "8000", "38000", "138000"}),
        ("KFR35-A001 ", {"001"}),  # 35 is too short
        ("故障码302号", set()),  # 号 is part of the word
        ("故障码302，外机", {"302"}),
        ("E4 12", set()),
    ],
)
def test_the_ends_of_the_numbers_of_a_text(text, ends):
    assert number_ends(text) == ends


def test_a_number_end_term_stays_one_term_and_a_phone_stays_whole():
    assert search_terms("0042") == (("0042",),)
    assert search_terms("138 0013 8000")[0][0] == "13800138000"  # seven digits or more: anywhere


# Texts made of what a search text holds: digits, letters, Chinese, the separators and other punctuation.
_ALPHABET = st.sampled_from(list("0123456789" * 3 + "AZ号码漏水" + WORD_END + "#_（"))


@pytest.mark.django_db
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(_ALPHABET, max_size=40), min_size=1, max_size=20))
def test_postgresql_finds_the_same_ends_as_python(postgres, texts):
    """What the index holds: every end alone and within the ticket's branch (here 7)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tickets_number_ends(7, t) FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, i) ORDER BY i",
            [texts],
        )
        computed = [set(row[0]) for row in cursor.fetchall()]
    expected = [
        {branch_key(end, branch) for end in number_ends(text) for branch in (None, 7)} for text in texts
    ]
    assert computed == expected
