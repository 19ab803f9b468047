"""The one exception for what a user asked that cannot be done, shared by every app.

Services raise it with a sentence in the user's language (gettext) and, when one form field is at
fault, its name in `field`. Views show it beside the field or at the top of the page; the API's
exception handler (`aftersales.drf.exception_handler`) answers 400 with `{field: [message]}` or
`{"detail": message}`, and 409 for a `Conflict`.
"""

from __future__ import annotations


class UserError(Exception):
    """The request cannot be carried out as asked; `field` names the form field at fault, if any."""

    def __init__(self, message, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(UserError):
    """The object's state or version does not allow it now: someone else changed it first, it is
    signed or decided already, or its workflow is elsewhere."""
