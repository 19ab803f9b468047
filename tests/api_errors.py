"""Reading the API's one error shape ({code, message, field, errors}) in tests."""

from __future__ import annotations


def error_fields(response) -> set[str | None]:
    """The input fields named by an error answer (None: an error about the whole request)."""
    body = response.json()
    assert {"code", "message", "field", "errors"} <= body.keys(), body
    return {error["field"] for error in body["errors"]}


def error_message(response, field: str | None = None) -> str:
    """Every message of an error answer (or only those about `field`), joined."""
    errors = response.json()["errors"]
    return " ".join(e["message"] for e in errors if field is None or e["field"] == field)
