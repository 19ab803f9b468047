"""Comparing markup written in Python with the template it replaces."""

from __future__ import annotations

import re


def tags_only(html: str) -> str:
    """The markup without the whitespace between its tags (a template's indentation and line breaks)."""
    return re.sub(r">\s+<", "><", html).strip()
