"""What the ticket list's search box matches (pure rules, no ORM; docs/performance.md).

Every ticket carries one search text (`RepairTicket.search_text`, written by `tickets.services`): its
number, the customer's name and phone numbers, the unit's serial number and the fault description, upper
case, separated by spaces. A query is split at spaces into terms; a ticket is found when its text contains
every term. Chinese has no spaces, so a term is a substring: on PostgreSQL a term of three characters or
more is served by a trigram index on the text, a two-character term (漏水, 张伟) by an index of the text's
two-character pieces (pg_trgm needs three), and a single character finds nothing — the form says so.

A term of three to six digits is the end of a number (`number_end`): a ticket number's sequence (0042), a
phone's last digits (尾号 8000), a serial's — found where a run of digits ends a word (`number_ends`), not
inside one. Inside one, four digits are in thousands of phone numbers and dates (0250 in every number of
2025), and the list would walk its order through them; the ends of numbers are few and indexed
(migration 0028, docs/performance.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MIN_TERM = 2  # 漏水, 异响, 张伟: two characters are a word in Chinese
MAX_TERMS = 4
NUMBER_END_DIGITS = range(3, 7)  # seven digits or more may be part of a phone number: found anywhere
# What may follow the end of a number in the search text (or the text's end): its separators, a ticket
# number's dash, punctuation (full-width ，。；：、） as escapes). "-" last: literal in a bracket expression.
WORD_END = " ,.;:)/\uff0c\u3002\uff1b\uff1a\u3001\uff09-"
_NUMBER_AT_WORD_END = re.compile(f"([0-9]+)(?=[{WORD_END}]|$)")
_SPACES = re.compile(r"\s+")
# What people type into a phone number or a ticket number and the stored text has not: 138-0013 8000.
_PHONE_LIKE = re.compile(r"^[\d\s\-()\uff08\uff09+]+$")  # full-width brackets too
# A whole ticket number, with or without its branch (SH-20261205-0042, 20261205-0042).
_TICKET_NUMBER = re.compile(r"^(?:[A-Z]{2,4}-)?\d{8}-\d{4,}$")


def normalise(text: str) -> str:
    return _SPACES.sub(" ", (text or "").upper()).strip()


def search_document(
    *, number: str, customer_name: str, phones: Iterable[str], serial_number: str, fault_description: str
) -> str:
    """The ticket's search text; the migration and the bench seed build the same in SQL."""
    parts = [number, customer_name, *phones, serial_number, fault_description]
    return normalise(" ".join(part for part in parts if part))


def search_terms(query: str) -> tuple[tuple[str, ...], ...]:
    """The terms a query asks for, each a tuple of alternatives (one of them must be in the text).

    A query made of digits and separators with seven digits or more may be a phone number typed with
    spaces or dashes (138 0013 8000, +86 138…, 021-6123 4567; the text stores digits only) or part of a
    ticket number (20261205-0042): it is one term with both forms."""
    text = normalise(query)
    if ticket_number(text):
        return ((text,),)
    if _PHONE_LIKE.match(text):
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 7:
            if digits.startswith(("0086", "86")) and len(digits) > 11:
                digits = digits.removeprefix("00").removeprefix("86")
            return (tuple(dict.fromkeys([digits, text.replace(" ", "")])),)
    words = dict.fromkeys(word for word in text.split(" ") if word)
    return tuple((word,) for word in words)[:MAX_TERMS]


def number_ends(text: str) -> set[str]:
    """The last three to six digits of every number in a search text that ends a word — what a
    `number_end` term finds. PostgreSQL computes the same (migration 0028's `tickets_number_ends`)."""
    return {
        run[-length:]
        for run in _NUMBER_AT_WORD_END.findall(text)
        for length in NUMBER_END_DIGITS
        if len(run) >= length
    }


def number_end(term: str) -> bool:
    """True for a term found only where its digits end a word (three to six digits; see the module)."""
    return term.isdigit() and term.isascii() and len(term) in NUMBER_END_DIGITS


def branch_key(term: str, branch_id: int | None) -> str:
    """What the indexes of the numbers' ends and of the two-character pieces (migrations 0028, 0030) hold
    for a term: the term alone, and the term within its branch, which a list limited to one branch reads."""
    return term if branch_id is None else f"{branch_id}/{term}"


def ticket_number(term: str) -> bool:
    """A whole ticket number, found by its unique index rather than as a substring: its digits are in
    every ticket's text, and their trigrams' lists are a million entries long."""
    return bool(_TICKET_NUMBER.match(term))


def too_short(query: str) -> bool:
    """True when a query was typed but a term of it is shorter than MIN_TERM (it would match nearly
    every ticket, and no index serves it)."""
    return any(len(min(term, key=len)) < MIN_TERM for term in search_terms(query))
