"""After a load run, straight on the database: was every write the clients were told about kept once,
does stock on hand still equal its ledger, does every ticket's history lead to its state.

The writes file (LOADTEST_WRITES, one JSON line per attempt, see loadtest.locustfile) says what each
client saw: `accepted` must be in the database exactly once, `refused` not at all, `error` (no clear
answer) at most once. Each write carries a unique `soak:<hex>` marker into a text column, so it is found
without guessing.

It imports the models: a process sets Django up (loadtest.stack.use_database) before it imports this.
"""

from __future__ import annotations

import csv
import datetime
import itertools
import pathlib
import re
from collections import Counter, defaultdict

from django.db.models import Count, Sum

from loadtest.results import CheckResult, read_writes
from loadtest.stack import use_database
from notifications.models import Delivery
from parts import ledger
from parts.models import (
    MovementKind,
    ReceivingNote,
    Requisition,
    RequisitionLine,
    StockLevel,
    StockMovement,
)
from tickets.models import RepairTicket, ServiceReport, ServiceReportPart, TicketEvent
from tickets.permissions import TRANSITION_ACTORS

MARKER = re.compile(r"soak:[0-9a-f]{32}")
# Ticket events that add one to the ticket's version (the others only record something beside it).
VERSION_BUMPING_EVENTS = {
    "revise_verdict",
    "pause_clock",
    "resume_clock",
    "sign_report",
    "depart",
    "set_appointment",
    "fault_code",
}


def run_checks(
    database_url: str,
    accepted_writes_path: pathlib.Path,
    *,
    locust_csv: pathlib.Path | None = None,
    windows: list[tuple[float, float]] = (),
    load_started: float | None = None,
) -> list[CheckResult]:
    """Every check of a run. `locust_csv`: the --csv prefix of the locust run, to count its failures;
    `load_started`: when the load began (time.time()), to tell its part issues from the demo data's;
    `windows`: (start, end) times (time.time()) when a server error is expected (`make scale` kills a
    web instance: the requests in flight on it get the proxy's 502)."""
    use_database(database_url)
    writes = read_writes(accepted_writes_path)
    results = [
        check_writes(writes),
        check_issues(writes, load_started=load_started),
        check_stock(),
        check_history(),
        check_server_errors(writes, windows),
    ]
    if locust_csv is not None:
        allowed = sum(1 for w in writes if w["kind"] == "server_error" and in_windows(w.get("t"), windows))
        results.append(check_locust_failures(locust_csv, allowed_5xx=allowed))
    return results


# --- (a) every accepted write once ----------------------------------------------------------------


def _markers(rows) -> Counter:
    found: Counter = Counter()
    for text in rows:
        found.update(MARKER.findall(text or ""))
    return found


def markers_in_database() -> dict[str, Counter]:
    """Per kind of write, how often each marker occurs in the column the write puts it in."""

    def column(queryset, field):
        return queryset.filter(**{f"{field}__contains": "soak:"}).values_list(field, flat=True).iterator()

    return {
        "intake": _markers(column(RepairTicket.objects, "fault_description")),
        # Not the call's event, nor the signature's (its note names the signer, who carries a marker).
        "transition": _markers(
            column(TicketEvent.objects.exclude(action__in=["log_call", "sign_report"]), "note")
        ),
        "requisition": _markers(column(Requisition.objects, "reason")),
        "decision": _markers(column(Requisition.objects, "decision_note")),
        "receipt": _markers(column(ReceivingNote.objects, "delivery_reference")),
        # The offline burst (loadtest.outbox): each report step marks its own text column.
        "report_step": sum(
            (
                _markers(column(ServiceReport.objects, name))
                for name in ("customer_account", "usage_reading", "findings", "work_done")
            ),
            Counter(),
        ),
        "report_part": _markers(column(ServiceReportPart.objects, "removed_serial")),
        "signature": _markers(column(ServiceReport.objects, "signer_name")),
    }


ALLOWED = {"accepted": (1, 1), "refused": (0, 0), "error": (0, 1)}


def check_writes(writes: list[dict]) -> CheckResult:
    found = markers_in_database()
    wrong, tally = [], Counter()
    recorded = defaultdict(set)
    for write in writes:
        kind = write["kind"]
        if kind not in found:
            continue
        recorded[kind].add(write["key"])
        tally[(kind, write["outcome"])] += 1
        low, high = ALLOWED[write["outcome"]]
        times = found[kind][write["key"]]
        if not low <= times <= high:
            wrong.append(f"{kind} {write['outcome']} by {write['who']} found {times}× ({write['key']})")
    wrong += [
        f"{kind} {key} stored {times}× (duplicate)"
        for kind, counter in found.items()
        for key, times in counter.items()
        if times > 1 and key not in recorded[kind]
    ]
    wrong += _accepted_details(writes) + _two_winners(writes)
    unrecorded = sum(1 for kind, counter in found.items() for key in counter if key not in recorded[kind])
    summary = ", ".join(
        f"{kind} {tally[(kind, 'accepted')]}/{tally[(kind, 'refused')]}/{tally[(kind, 'error')]}"
        for kind in found
    )
    detail = f"accepted/refused/no answer: {summary}"
    if unrecorded:
        detail += f"; {unrecorded} marked rows no client recorded"
    if wrong:
        detail = f"{len(wrong)} wrong: " + "; ".join(wrong[:8]) + f" — {detail}"
    return CheckResult("every accepted write stored once, no refused one stored", not wrong, detail)


def _two_winners(writes: list[dict]) -> list[str]:
    """Of the users who pressed a button on the same version of a ticket, or approved the same
    requisition, at most one may have been told it worked."""
    winners = Counter(
        (w["ticket"], w["version"])
        for w in writes
        if w["kind"] == "transition" and w["outcome"] == "accepted" and "version" in w
    )
    approvals = Counter(
        w["requisition"] for w in writes if w["kind"] == "decision" and w["outcome"] == "accepted"
    )
    return [
        f"ticket {ticket} version {version}: {n} users told their transition worked"
        for (ticket, version), n in winners.items()
        if n > 1
    ] + [
        f"requisition {requisition}: {n} users told their approval worked"
        for requisition, n in approvals.items()
        if n > 1
    ]


def _accepted_details(writes: list[dict]) -> list[str]:
    """An accepted transition is the transition asked for, on the ticket asked for; an accepted
    receipt moved stock."""
    wrong = []
    accepted = [w for w in writes if w["outcome"] == "accepted"]
    transitions = {w["key"]: w for w in accepted if w["kind"] == "transition"}
    if transitions:
        for event in TicketEvent.objects.filter(note__contains="soak:").only("ticket_id", "action", "note"):
            for key in MARKER.findall(event.note):
                asked = transitions.get(key)
                if asked and (asked["ticket"], asked["action"]) != (event.ticket_id, event.action):
                    wrong.append(
                        f"transition {key} asked {asked['action']} on {asked['ticket']}, stored "
                        f"{event.action} on {event.ticket_id}"
                    )
    receipts = {w["key"] for w in accepted if w["kind"] == "receipt"}
    if receipts:
        numbers = dict(
            ReceivingNote.objects.filter(delivery_reference__in=receipts).values_list(
                "number", "delivery_reference"
            )
        )
        moved = set(
            StockMovement.objects.filter(kind=MovementKind.RECEIPT, reference__in=numbers).values_list(
                "reference", flat=True
            )
        )
        wrong += [f"receipt {numbers[number]} has no ledger row" for number in numbers if number not in moved]
    return wrong


# --- (a) part issues: what the keepers were told equals what was issued and booked -----------------


def check_issues(writes: list[dict], *, load_started: float | None = None) -> CheckResult:
    """Per requisition line: issued by the load = the quantities of the accepted issues (plus at most the
    unanswered ones), for every line an issue was tried on, whatever its answer; per requisition, the
    ledger's issue rows (the outgoing halves, by the requisition's number) equal what was issued, one
    row per accepted line issue. What was issued before `load_started` (the demo data issues part of
    some requisitions the keepers then see) is not the load's."""
    issues = [w for w in writes if w["kind"] == "issue"]
    accepted, unanswered, touched = Counter(), Counter(), set()
    accepted_rows: Counter = Counter()
    for write in issues:
        for line, quantity in write["lines"].items():
            touched.add(int(line))
            if write["outcome"] == "accepted":
                accepted[int(line)] += quantity
                accepted_rows[write["requisition"]] += 1
            elif write["outcome"] == "error":
                unanswered[int(line)] += quantity
    wrong = []
    issued_before, rows_before = Counter(), Counter()
    if load_started is not None:
        for reference, part, quantity in StockMovement.objects.filter(
            kind=MovementKind.ISSUE,
            quantity__lt=0,
            at__lt=datetime.datetime.fromtimestamp(load_started, datetime.UTC),
        ).values_list("reference", "part_id", "quantity"):
            issued_before[(reference, part)] -= quantity
            rows_before[reference] += 1
    lines = RequisitionLine.objects.select_related("requisition").only(
        "issued", "returned", "part_id", "requisition__number", "requisition__warehouse_id"
    )
    issued_per_requisition = defaultdict(int)
    for line in lines:
        issued_per_requisition[line.requisition_id] += line.issued
        by_load = line.issued - issued_before[(line.requisition.number, line.part_id)]
        if line.pk in touched and not accepted[line.pk] <= by_load <= accepted[line.pk] + unanswered[line.pk]:
            wrong.append(
                f"{line.requisition.number} line {line.pk}: issued {by_load}, clients were told "
                f"{accepted[line.pk]} (+{unanswered[line.pk]} unanswered)"
            )
    booked = {
        row["reference"]: row
        for row in StockMovement.objects.filter(kind=MovementKind.ISSUE, quantity__lt=0)
        .values("reference")
        .annotate(total=Sum("quantity"), rows=Count("pk"))
    }
    requisitions = Requisition.objects.only("number")
    for requisition in requisitions:
        row = booked.get(requisition.number, {"total": 0, "rows": 0})
        if -row["total"] != issued_per_requisition[requisition.pk]:
            wrong.append(
                f"{requisition.number}: issued {issued_per_requisition[requisition.pk]}, ledger {-row['total']}"
            )
        told, rows = accepted_rows[requisition.pk], row["rows"] - rows_before[requisition.number]
        if told and not told <= rows <= told + sum(
            len(w["lines"]) for w in issues if w["requisition"] == requisition.pk and w["outcome"] == "error"
        ):
            wrong.append(f"{requisition.number}: {rows} issue rows for {told} accepted line issues")
    outcomes = Counter(w["outcome"] for w in issues)
    short = sum(1 for w in issues if w["outcome"] == "refused" and "库存不足" in w.get("message", ""))
    detail = (
        f"{outcomes['accepted']} accepted, {outcomes['refused']} refused ({short} 库存不足), "
        f"{outcomes['error']} unanswered"
    )
    if wrong:
        detail = f"{len(wrong)} wrong: " + "; ".join(wrong[:8]) + f" — {detail}"
    return CheckResult("part issues: told = issued = ledger", not wrong, detail)


# --- (b) stock on hand equals the ledger ----------------------------------------------------------


def check_stock() -> CheckResult:
    found = ledger.discrepancies()
    negative = list(StockLevel.objects.filter(on_hand__lt=0).select_related("part", "warehouse"))
    levels = StockLevel.objects.count()
    problems = [str(d) for d in found] + [f"{level} is negative" for level in negative]
    detail = f"{levels} stock levels compared with the ledger"
    if problems:
        detail = f"{len(problems)} wrong: " + "; ".join(problems[:8]) + f" — {detail}"
    return CheckResult("stock on hand = ledger, never negative", not problems, detail)


# --- (c) every ticket's history leads to its state ------------------------------------------------


def history_problems(state: str, version: int, events: list[tuple[str, str, str]]) -> list[str]:
    """Problems of one ticket's history: events as (action, from_state, to_state) in the order written.

    The first event logs the call into `reported`; each event starts where the previous one ended; the
    last one ends in the ticket's state; the version counts the transitions and other version-bumping
    events (tickets.services: every write that changes the row adds one).
    """
    if not events:
        return ["no history"]
    problems = []
    first = events[0]
    if first[0] != "log_call" or first[1] != "" or first[2] != "reported":
        problems.append(f"first event {first[0]} {first[1] or '∅'}→{first[2]}")
    for (action, _source, previous_target), (next_action, source, _target) in itertools.pairwise(events):
        if source != previous_target:
            problems.append(f"{next_action} from {source} after {action} into {previous_target}")
    if events[-1][2] != state:
        problems.append(f"last event ends in {events[-1][2]}, ticket is {state}")
    bumps = sum(1 for action, *_ in events if action in TRANSITION_ACTORS or action in VERSION_BUMPING_EVENTS)
    if version != 1 + bumps:
        problems.append(f"version {version}, {bumps} version-bumping events")
    return problems


def check_history() -> CheckResult:
    events = defaultdict(list)
    for ticket_id, action, source, target in (
        TicketEvent.objects.order_by("ticket_id", "pk").values_list(
            "ticket_id", "action", "from_state", "to_state"
        )
    ).iterator(chunk_size=5000):
        events[ticket_id].append((action, source, target))
    wrong, tickets = [], 0
    for pk, number, state, version in RepairTicket.objects.values_list(
        "pk", "number", "state", "version"
    ).iterator():
        tickets += 1
        wrong += [f"{number}: {problem}" for problem in history_problems(state, version, events.get(pk, []))]
    detail = f"{tickets} tickets, {sum(len(e) for e in events.values())} events"
    if wrong:
        detail = f"{len(wrong)} wrong: " + "; ".join(wrong[:8]) + f" — {detail}"
    return CheckResult("every ticket's history consistent with its state and version", not wrong, detail)


# --- (d) no server errors ---------------------------------------------------------------------------


def in_windows(moment: float | None, windows: list[tuple[float, float]]) -> bool:
    return moment is not None and any(start <= moment <= end for start, end in windows)


def check_server_errors(writes: list[dict], windows: list[tuple[float, float]] = ()) -> CheckResult:
    """No status ≥ 500, except answered inside one of `windows` (counted, not failing)."""
    errors = [w for w in writes if w["kind"] == "server_error"]
    expected = [w for w in errors if in_windows(w.get("t"), windows)]
    wrong = [w for w in errors if not in_windows(w.get("t"), windows)]
    detail = "none" if not wrong else "; ".join(f"{w['status']} {w['key']}" for w in wrong[:8])
    detail = f"{len(wrong)}: {detail}"
    if windows:
        detail += f" ({len(expected)} inside the {len(windows)} kill window(s))"
    return CheckResult("no response with status ≥ 500", not wrong, detail)


def check_locust_failures(csv_prefix: pathlib.Path, *, allowed_5xx: int = 0) -> CheckResult:
    """Every failure locust counted (status ≥ 500, no answer, an unexpected 4xx) and every exception
    raised in the workload's code (a page the users could not read any more); `allowed_5xx` answers
    with status ≥ 500 excepted (those check_server_errors found inside a kill window)."""
    failures = Counter()
    for suffix, what, count in (
        ("failures", "{Method} {Name}: {Error}", "Occurrences"),
        ("exceptions", "{Message}", "Count"),
    ):
        path = pathlib.Path(f"{csv_prefix}_{suffix}.csv")
        if path.exists():
            with path.open() as handle:
                for row in csv.DictReader(handle):
                    failures[what.format(**row)] += int(row[count])
    total = sum(failures.values())
    server_errors = sum(n for what, n in failures.items() if re.search(r"\bHTTP 5\d\d\b", what))
    excepted = min(allowed_5xx, server_errors)
    detail = "none" if not total else "; ".join(f"{n}× {what}" for what, n in failures.most_common(8))
    if excepted:
        detail += f" ({excepted} of them inside a kill window)"
    return CheckResult(
        "no failed request or error in locust's statistics", total == excepted, f"{total}: {detail}"
    )


def delivery_counts() -> str:
    """What the Celery worker sent during the run (dispatch messages, alerts): not a check, a sign of life."""
    counts = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return ", ".join(f"{n} deliveries {status}" for status, n in sorted(counts.items())) or "no deliveries"
