"""Hostile input on the API: schemathesis generates requests for every operation of the OpenAPI schema
and sends them, authenticated as several roles, through the real Django stack (in-process WSGI). No
5xx and no answer outside the schema is allowed; each operation gets its full share of requests, at
least 1,000 in all."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken, Role
from tests.tickets.factories import TicketFactory

ROLES = (Role.DISPATCHER, Role.TECHNICIAN, Role.SUPERVISOR)
# Operations none of those roles gets into: fuzzed as their readers too (past the gate, into the work).
READERS = {"/api/v1/monthly-report": (Role.MANAGER,)}
# 20 each: with 65 operations × 3 roles that is 3,900 requests, four times the 1,000 the rule asks for (40,
# chosen when there were a dozen operations, had grown to 7,800 and a sixth of the suite's time).
EXAMPLES_PER_OPERATION = 20
# Server errors and schema violations. Not "schema-valid data must be accepted": a random unit id or
# password is rightly refused with a documented 400/404.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema", get_wsgi_application())
OPERATIONS = {operation.label: operation for operation in (r.ok() for r in SCHEMA.get_all_operations())}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI app closes the database connection at the end of each request (request_finished); the
    test's transaction lives on that connection, so — as Django's own test client does — not here."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def no_throttling(monkeypatch):
    """Thousands of requests in a few seconds: throttled, most would only show the (documented) 429."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None})


def roles_for(label: str) -> tuple[str, ...]:
    path = label.split()[1]
    return (*ROLES, *(role for prefix, roles in READERS.items() if path.startswith(prefix) for role in roles))


@pytest.fixture
def users(persona, branch_a):
    users = {
        role: persona(role) for role in {*ROLES, *(role for roles in READERS.values() for role in roles)}
    }
    TicketFactory.create_batch(
        2, unit__owner__branch=branch_a, dispatched=True, technician=users[Role.TECHNICIAN]
    )
    return users


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_as_every_role(label, users):
    tokens = {role: ApiToken.issue(users[role])[1] for role in roles_for(label)}

    @given(case=OPERATIONS[label].as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def generated(case):
        for role, token in tokens.items():
            if case.method == "DELETE":  # revoking the token: a fresh one each time
                token = ApiToken.issue(users[role])[1]
            case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}
            case.call_and_validate(checks=CHECKS)
            sent.append(case)

    sent = []
    generated()
    # Hypothesis stops early when it runs out of distinct inputs: then this operation was barely tried.
    assert len(sent) == EXAMPLES_PER_OPERATION * len(tokens), f"{label}: only {len(sent)} requests"


def test_the_operations_add_up_to_at_least_a_thousand_requests():
    """Every operation of the schema is fuzzed (the test above, once per operation, each asserting its
    full share), and the shares add up to at least 1,000 requests."""
    assert OPERATIONS and all(label.split()[1].startswith("/api/v1/") for label in OPERATIONS)
    assert len(OPERATIONS) * len(ROLES) * EXAMPLES_PER_OPERATION >= 1000, sorted(OPERATIONS)
