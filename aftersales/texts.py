"""Texts the system writes from a rule (a notification's title, why a part line waits for the
warehouse), stored twice: as the Chinese record, which never changes (what was sent, what the audit
reads), and beside it as the message id with its parameters, so that every reader sees the text in
their own language (DESIGN §9).

    title = Text(gettext_noop("领料单 %(number)s 待审批")) % {"number": "LL-0001"}
    row.subject = title.record()           # "领料单 LL-0001 待审批", whatever language is active
    row.subject_message = title.as_json()  # {"id": "领料单 %(number)s 待审批", "params": {...}}
    render(row.subject_message, row.subject)  # "Requisition LL-0001 awaits approval" for an English reader

The msgid is the code: makemessages finds it through gettext_noop, and a text whose msgid has left the
catalogue still reads in Chinese. A parameter that is itself a label (a priority, a milestone, given as
the lazy label of its choices) is stored as its own msgid and translated too; a Text inside a Text
likewise; a list is joined with the language's separator. Other parameters (numbers, names, dates) are
stored as they read.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext


@dataclass(frozen=True)
class Text:
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)
    context: str | None = None

    @classmethod
    def label(cls, label: Promise) -> Text:
        """The lazy label of a choice (gettext_lazy / pgettext_lazy) as a text of its own."""
        stored = _lazy_label(label)
        if isinstance(stored, str):
            return cls(stored)
        return cls(stored["id"], context=stored.get("context"))

    def __mod__(self, params: Mapping[str, Any]) -> Text:
        return Text(self.msgid, dict(params), self.context)

    def as_json(self) -> dict:
        stored = {"id": self.msgid, "params": {name: _stored(value) for name, value in self.params.items()}}
        if self.context is not None:
            stored["context"] = self.context
        return stored

    def record(self) -> str:
        """The Chinese text, to store as the record."""
        return record(self)

    def __str__(self) -> str:
        return render(self.as_json())


@dataclass(frozen=True)
class Lines:
    """Several texts, one per line (a digest's body)."""

    texts: tuple[Text | str, ...]

    def as_json(self) -> dict:
        return {"lines": [_stored(text) for text in self.texts]}

    def record(self) -> str:
        return record(self)

    def __str__(self) -> str:
        return render(self.as_json())


def _stored(value: Any) -> Any:
    if isinstance(value, Text | Lines):
        return value.as_json()
    if isinstance(value, Promise):
        return _lazy_label(value)
    if isinstance(value, list | tuple):
        return {"list": [_stored(item) for item in value]}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    # A model instance, say: stored as it reads now (a name does not change with the reader's language).
    with translation.override(settings.LANGUAGE_CODE):
        return str(value)


def _lazy_label(value: Promise) -> dict | str:
    """gettext_lazy("紧急") → {"id": "紧急"}; pgettext_lazy(context, …) → with its context."""
    args = getattr(value, "_args", ())
    if len(args) == 1 and isinstance(args[0], str):
        return {"id": args[0], "params": {}}
    if len(args) == 2 and all(isinstance(arg, str) for arg in args):
        return {"id": args[1], "context": args[0], "params": {}}
    with translation.override(settings.LANGUAGE_CODE):
        return str(value)


def list_text(items) -> str:
    """Items (strings) joined with the active language's list separator: 吴刚、陈二 / Wu Gang, Chen Er."""
    return pgettext("list separator", "、").join(items)


def render(message: Mapping | None, fallback: str = "") -> str:
    """The stored message in the active language; `fallback` (the stored record) when there is none or
    it no longer fits its translation."""
    if not message:
        return fallback
    if "lines" in message:
        return "\n".join(_param(line) for line in message["lines"])
    if "list" in message:
        return list_text(str(_param(item)) for item in message["list"])
    if "id" not in message:
        return fallback
    template = pgettext(message["context"], message["id"]) if "context" in message else gettext(message["id"])
    params = {name: _param(value) for name, value in (message.get("params") or {}).items()}
    if not params:
        return template
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return fallback or message["id"]


def _param(value: Any) -> Any:
    if isinstance(value, Mapping):
        return render(value)
    return value


def record(text: Text | Lines | str) -> str:
    if isinstance(text, str):
        return text
    with translation.override(settings.LANGUAGE_CODE):
        return render(text.as_json())


def as_json(text: Text | Lines | str) -> dict:
    """What to store beside the record: nothing for a text a person wrote."""
    return {} if isinstance(text, str) else text.as_json()
