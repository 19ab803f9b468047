"""The soak's consistency checks find what they are there to find: a write kept twice or lost, a refused
write that was kept anyway, stock off its ledger, a ticket whose history does not lead to its state."""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection
from django.db.models import F

from loadtest import checks
from parts import ledger
from parts.models import MovementKind, RequisitionLine, StockLevel
from parts.services import decide_requisition, issue_requisition, submit_requisition
from tests.customers.factories import UnitFactory
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, TicketEvent
from tickets.services import CallDetails, apply_transition, log_call

pytestmark = pytest.mark.django_db

A = "soak:" + "a" * 32
B = "soak:" + "b" * 32


def write(kind: str, key: str, outcome: str = "accepted", **fields) -> dict:
    return {"kind": kind, "key": key, "outcome": outcome, "who": "soak_dispatcher_01", **fields}


@pytest.fixture
def call(dispatcher, branch_a):
    """call(text): a call logged through the service, as the intake page does."""

    def log(text: str) -> RepairTicket:
        unit = UnitFactory(owner__branch=branch_a)
        return log_call(user=dispatcher, unit=unit, details=CallDetails("appliance", f"压测报修 {text}"))

    return log


class TestWrites:
    def test_an_accepted_call_stored_once_passes(self, call):
        call(A)
        assert checks.check_writes([write("intake", A)]).ok

    def test_a_call_stored_twice_fails(self, call):
        call(A)
        call(A)
        result = checks.check_writes([write("intake", A)])
        assert not result.ok
        assert "found 2×" in result.detail

    def test_a_duplicate_no_client_asked_for_fails_too(self, call):
        call(B)
        call(B)
        assert not checks.check_writes([]).ok

    def test_an_accepted_call_missing_from_the_database_fails(self, call):
        call(A)
        result = checks.check_writes([write("intake", A), write("intake", B)])
        assert not result.ok
        assert B in result.detail

    def test_a_refused_write_that_was_stored_anyway_fails(self, call):
        call(A)
        assert not checks.check_writes([write("intake", A, "refused")]).ok
        assert checks.check_writes([write("intake", B, "refused"), write("intake", A)]).ok

    def test_an_unanswered_write_may_or_may_not_be_stored(self, call):
        call(A)
        assert checks.check_writes([write("intake", A, "error"), write("intake", B, "error")]).ok

    def test_two_users_told_they_won_the_same_race_fail(self, call, dispatcher, technician):
        ticket = call("x")
        apply_transition(
            ticket_id=ticket.pk,
            user=dispatcher,
            name="dispatch",
            expected_version=1,
            technician=technician,
            note=A,
        )
        TicketEvent.objects.filter(note=A).update(note=f"{A} {B}")  # as if both had been stored
        both = [write("transition", key, ticket=ticket.pk, action="dispatch", version=1) for key in (A, B)]
        result = checks.check_writes(both)
        assert not result.ok
        assert f"ticket {ticket.pk} version 1: 2 users" in result.detail

    def test_an_accepted_transition_is_the_one_asked_for(self, call, dispatcher, technician):
        ticket = call("x")
        apply_transition(
            ticket_id=ticket.pk,
            user=dispatcher,
            name="dispatch",
            expected_version=ticket.version,
            technician=technician,
            note=A,
        )
        assert checks.check_writes(
            [write("transition", A, ticket=ticket.pk, action="dispatch", version=1)]
        ).ok
        result = checks.check_writes([write("transition", A, ticket=ticket.pk, action="cancel", version=1)])
        assert not result.ok
        assert "asked cancel" in result.detail


@pytest.fixture
def scarce(branch_a, technician, supervisor, persona):
    """A store with 3 units of a part, a technician's van, an approved requisition for 2."""
    keeper = persona("warehouse")
    store = WarehouseFactory(code="SOAK-STORE", branch=branch_a)
    WarehouseFactory(code="VAN-T", branch=branch_a, kind="van", technician=technician)
    part = PartFactory(code="SOAK-P1")
    ledger.move([ledger.Change(part, store, 3)], kind=MovementKind.RECEIPT, actor=keeper, reference="期初")
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=technician)
    requisition = submit_requisition(
        user=technician, ticket=ticket, warehouse=store, lines=[(part, 2)], reason="压测领料"
    )
    decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
    return {"keeper": keeper, "store": store, "part": part, "requisition": requisition}


class TestIssuesAndStock:
    def issue(self, scarce) -> dict:
        line = scarce["requisition"].lines.get()
        issue_requisition(
            requisition_id=scarce["requisition"].pk, user=scarce["keeper"], quantities={line.pk: 2}
        )
        return write("issue", A, requisition=scarce["requisition"].pk, lines={str(line.pk): 2})

    def test_an_issue_the_keeper_was_told_about_matches_the_line_and_the_ledger(self, scarce):
        accepted = self.issue(scarce)
        assert checks.check_issues([accepted]).ok
        assert checks.check_stock().ok

    def test_an_issue_booked_but_refused_to_the_keeper_fails(self, scarce):
        accepted = self.issue(scarce)
        refused = {**accepted, "outcome": "refused", "message": "库存不足"}
        result = checks.check_issues([refused])
        assert not result.ok
        assert "issued 2, clients were told 0" in result.detail
        assert not checks.check_issues([{**accepted, "lines": {k: 1 for k in accepted["lines"]}}]).ok

    def test_what_was_issued_before_the_load_began_is_not_the_loads(self, scarce):
        """The demo data issues part of a requisition the keepers then issue the rest of."""
        line = scarce["requisition"].lines.get()
        issue_requisition(
            requisition_id=scarce["requisition"].pk, user=scarce["keeper"], quantities={line.pk: 1}
        )
        load_started = time.time()
        issue_requisition(
            requisition_id=scarce["requisition"].pk, user=scarce["keeper"], quantities={line.pk: 1}
        )
        accepted = write("issue", A, requisition=scarce["requisition"].pk, lines={str(line.pk): 1})
        assert checks.check_issues([accepted], load_started=load_started).ok
        result = checks.check_issues([accepted], load_started=load_started - 60)
        assert not result.ok and "issued 2, clients were told 1" in result.detail

    def test_a_line_whose_issued_count_is_off_the_ledger_fails(self, scarce):
        accepted = self.issue(scarce)
        RequisitionLine.objects.filter(requisition=scarce["requisition"]).update(issued=1)
        result = checks.check_issues([accepted])
        assert not result.ok
        assert "ledger 2" in result.detail

    def test_a_stock_level_off_its_ledger_fails(self, scarce):
        assert checks.check_stock().ok
        StockLevel.objects.filter(warehouse=scarce["store"]).update(on_hand=F("on_hand") + 1)
        result = checks.check_stock()
        assert not result.ok
        assert "SOAK-STORE" in result.detail


class TestHistory:
    def test_a_ticket_moved_through_the_services_is_consistent(self, call, dispatcher, technician):
        ticket = call("x")
        apply_transition(
            ticket_id=ticket.pk, user=dispatcher, name="dispatch", expected_version=1, technician=technician
        )
        apply_transition(ticket_id=ticket.pk, user=technician, name="check_in", expected_version=2)
        assert checks.check_history().ok

    def test_a_state_no_event_leads_to_fails(self, call):
        ticket = call("x")
        RepairTicket.objects.filter(pk=ticket.pk).update(state="cancelled")
        result = checks.check_history()
        assert not result.ok
        assert "ticket is cancelled" in result.detail

    def test_a_version_bumped_without_an_event_fails(self, call):
        ticket = call("x")
        RepairTicket.objects.filter(pk=ticket.pk).update(version=F("version") + 1)
        result = checks.check_history()
        assert not result.ok
        assert "version 2" in result.detail

    def test_a_broken_chain_fails(self, call, dispatcher):
        ticket = call("x")
        TicketEvent.objects.create(
            ticket=ticket, actor=dispatcher, action="cancel", from_state="dispatched", to_state="reported"
        )
        RepairTicket.objects.filter(pk=ticket.pk).update(version=2)
        assert not checks.check_history().ok

    @pytest.mark.parametrize(
        ("state", "version", "events", "problem"),
        [
            ("reported", 1, [], "no history"),
            ("reported", 1, [("dispatch", "", "reported")], "first event"),
            (
                "on_site",
                2,
                [("log_call", "", "reported"), ("check_in", "dispatched", "on_site")],
                "from dispatched",
            ),
            (
                "dispatched",
                3,
                [("log_call", "", "reported"), ("dispatch", "reported", "dispatched")],
                "version 3",
            ),
        ],
    )
    def test_history_problems(self, state, version, events, problem):
        assert any(problem in found for found in checks.history_problems(state, version, events))

    def test_events_that_only_record_something_do_not_count_as_versions(self):
        events = [
            ("log_call", "", "reported"),
            ("contact", "reported", "reported"),
            ("pause_clock", "reported", "reported"),
        ]
        assert checks.history_problems("reported", 2, events) == []


class TestServerErrors:
    def test_a_recorded_server_error_fails(self):
        assert checks.check_server_errors([write("intake", A)]).ok
        error = {
            "kind": "server_error",
            "key": "GET /tickets/",
            "outcome": "error",
            "who": "x",
            "status": 500,
        }
        assert not checks.check_server_errors([error]).ok

    def test_locust_failures_fail(self, tmp_path):
        prefix = tmp_path / "locust"
        assert not (tmp_path / "locust_failures.csv").exists()
        assert checks.check_locust_failures(prefix).ok
        (tmp_path / "locust_failures.csv").write_text(
            "Method,Name,Error,Occurrences\nGET,GET my jobs,HTTP 500,3\n", encoding="utf-8"
        )
        result = checks.check_locust_failures(prefix)
        assert not result.ok
        assert result.detail.startswith("3:")

    def test_an_exception_in_the_workload_fails(self, tmp_path):
        (tmp_path / "locust_exceptions.csv").write_text(
            "Count,Message,Traceback,Nodes\n2,AttributeError('NoneType'),tb,local\n", encoding="utf-8"
        )
        result = checks.check_locust_failures(tmp_path / "locust")
        assert not result.ok
        assert "2× AttributeError" in result.detail


@pytest.mark.postgres
def test_run_checks_reads_the_writes_file_and_runs_every_check(postgres, call, tmp_path):
    call(A)
    path = tmp_path / "writes.jsonl"
    path.write_text(json.dumps(write("intake", A)) + "\n" + json.dumps(write("intake", B)) + "\n")
    url = f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}"
    results = {result.name: result for result in checks.run_checks(url, path)}
    assert len(results) == 5
    assert [name for name, result in results.items() if not result.ok] == [
        "every accepted write stored once, no refused one stored"
    ]
    with pytest.raises(ValueError):
        checks.run_checks("postgres://postgres@127.0.0.1:5432/some_other_database", path)
