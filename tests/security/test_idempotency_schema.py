"""The API's schema tells clients about one write per intent (issue #14): every write operation declares the
optional `Idempotency-Key` header (a UUID), saying whether a resend is replayed; no read declares it."""

from __future__ import annotations

import pytest
from django.urls import resolve

from accounts.idempotency import HEADER
from aftersales.drf import GUARDED_WRITE, NOT_REPLAYED
from tests.security.test_idempotency import NOT_GUARDED

WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
def schema(client, dispatcher) -> dict:
    client.force_login(dispatcher)
    response = client.get("/api/schema", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in WRITES | {"get", "head", "options"}:
                yield path, method, operation


def idempotency_header(operation: dict) -> dict | None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"] == HEADER:
            return parameter
    return None


def url_name(path: str) -> str:
    return resolve(path.replace("{id}", "1").replace("{name}", "check_in")).url_name


@pytest.mark.django_db
def test_every_api_write_declares_the_idempotency_key_header(schema):
    writes = [(path, method, op) for path, method, op in operations(schema) if method in WRITES]
    assert {f"{method.upper()} {path}" for path, method, _op in writes} >= {
        "POST /api/v1/tickets",
        "POST /api/v1/tickets/{id}/transitions/{name}",
        "PATCH /api/v1/tickets/{id}/report",
    }
    missing = [f"{method.upper()} {path}" for path, method, op in writes if idempotency_header(op) is None]
    assert not missing, f"API writes without the {HEADER} header in the schema: {missing}"
    for path, method, operation in writes:
        header = idempotency_header(operation)
        assert not header.get("required", False)  # an older client without it is served, unguarded
        assert header["schema"] == {"type": "string", "format": "uuid"}
        # Replayed exactly where the server replays (tests/security/test_idempotency.py lists the rest).
        # Revoking a token twice: the second answers 401, the token is gone; nothing to replay.
        not_replayed = url_name(path) in NOT_GUARDED or (method, path) == ("delete", "/api/v1/auth/token")
        expected = NOT_REPLAYED if not_replayed else GUARDED_WRITE
        assert header["description"] == expected, f"{method.upper()} {path}"


@pytest.mark.django_db
def test_reads_do_not_declare_it(schema):
    reads = [(path, op) for path, method, op in operations(schema) if method not in WRITES]
    assert reads
    assert not [path for path, op in reads if idempotency_header(op) is not None]
