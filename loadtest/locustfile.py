"""The soak workload: the office and the field using the HTML pages as people do, at once.

Every user logs in through the login page and posts the real forms with their CSRF token. Several users
work the same things at the same moment on purpose: dispatchers pick among the first tickets of the same
dispatch board (and a supervisor sometimes cancels one of them), supervisors approve the same
requisitions and reject the same return requests, keepers issue the same scarce parts. Exactly one of
the competing requests may win; the others must get the app's refusal ("已被他人更新", "库存不足", …),
never a server error.

Every write attempt is appended as one JSON line to the file named by LOADTEST_WRITES, with a unique
marker (`soak:<hex>`) the write carries into the database (the call's fault description, the
transition's note, the requisition's reason, the decision note, the receipt's delivery reference) and
its outcome as the client saw it: `accepted` (the success message), `refused` (the error message) or
`error` (a server error or no answer: the write may or may not have happened). loadtest.checks then
looks each one up in the database. Responses with status ≥ 500 are failures here and are also written
to the file (kind `server_error`).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass

import gevent
from locust import HttpUser, between, task

from loadtest import fixtures, outbox
from loadtest.pages import (
    CSRF,
    INBOX_REQUISITION,
    ISSUE_INPUT,
    OPTION,
    PRODUCT_MODEL_OPTION,
    REPORT_SCOPE,
    REQUISITION_LINK,
    ROW_FORM,
    SIGNATURE_NEEDS,
    STORE_OPTION,
    TICKET_LINK,
    UNIT_FIELD,
    UNIT_LINK,
    messages,
)

WRITES_PATH = os.environ.get("LOADTEST_WRITES")
_writes = open(WRITES_PATH, "a", buffering=1) if WRITES_PATH else None  # noqa: SIM115 (lives with the run)
_writes_lock = threading.Lock()


def failure(response) -> str:
    """What went wrong: the status, or for no answer at all (status 0) the client's exception."""
    if response.status_code == 0:
        return f"no answer: {type(response.error).__name__}"
    return f"HTTP {response.status_code}"


def marker() -> str:
    return f"soak:{uuid.uuid4().hex}"


def record(kind: str, key: str, outcome: str, who: str, **fields) -> None:
    if _writes is None:
        return
    line = json.dumps({"kind": kind, "key": key, "outcome": outcome, "who": who, "t": time.time(), **fields})
    with _writes_lock:
        _writes.write(line + "\n")


@dataclass(frozen=True)
class Outcome:
    """What the user was told: `accepted`, `refused` or `error` (no clear answer), and the message."""

    outcome: str
    message: str


class OfficeUser(HttpUser):
    """Logs in as one of the fixture users of its role (several sessions may share a login)."""

    abstract = True
    role = ""
    wait_time = between(1, 4)
    _turns: dict[str, itertools.count] = {}
    _last = ""  # the last page viewed: its CSRF token goes with the next transition

    def on_start(self) -> None:
        names = fixtures.usernames(self.role)
        turn = next(self._turns.setdefault(self.role, itertools.count()))
        self.username = names[turn % len(names)]
        page = self.page("/login/", "login page")
        response = self.client.post(
            "/login/",
            data={
                "username": self.username,
                "password": fixtures.PASSWORD,
                "csrfmiddlewaretoken": self.csrf(page),
            },
            name="POST login",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login of {self.username} failed with status {response.status_code}")

    # --- requests ----------------------------------------------------------------------------------

    def csrf(self, page: str) -> str:
        found = CSRF.search(page)
        return found.group(1) if found else self.client.cookies.get("csrftoken", "")

    def _server_error(self, method: str, path: str, name: str, status: int) -> None:
        record("server_error", f"{method} {path}", "error", self.username, status=status, name=name)

    def page(self, path: str, name: str) -> str:
        """GET a page; anything but 200 is a failure (≥ 500 is also recorded)."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code >= 500:
                self._server_error("GET", path, name, response.status_code)
            if response.status_code != 200:
                response.failure(failure(response))
                return ""
            return response.text

    def submit(self, path: str, data: dict, name: str, csrf: str) -> Outcome:
        """POST a form and read the answer the user sees: the redirect target's message, or the form
        shown again with its error."""
        with self.client.post(
            path,
            data={**data, "csrfmiddlewaretoken": csrf},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            status = response.status_code
            if status >= 500 or status == 0:
                if status:
                    self._server_error("POST", path, name, status)
                response.failure(failure(response))
                return Outcome("error", failure(response))
            if status not in (200, 302):
                response.failure(f"HTTP {status}")  # 403/404 mean the workload is wrong, not the race
                return Outcome("refused", f"HTTP {status}")
            response.success()
            location = response.headers.get("Location", "") if status == 302 else ""
            page = response.text if status == 200 else ""
        if location:
            page = self.page(location, f"{name} → result page")
            if not page:
                return Outcome("error", "result page failed")
        shown = messages(page)
        for level, text in shown:
            if level == "success":
                return Outcome("accepted", text)
        for level, text in shown:
            if level == "danger":
                return Outcome("refused", text)
        return Outcome("error", "no message on the result page")

    def transition(
        self,
        ticket_id: int,
        name: str,
        version: int,
        *,
        technician: str = "",
        note: str = "",
        next_page: str = "",
        label: str,
    ) -> Outcome:
        read_and_decide()
        key = marker()
        data = {"version": str(version), "note": f"{note} {key}".strip(), "technician": technician}
        if next_page:
            data["next"] = next_page
        outcome = self.submit(
            f"/tickets/{ticket_id}/do/{name}/", data, f"POST {label}", self.csrf(self._last)
        )
        record(
            "transition",
            key,
            outcome.outcome,
            self.username,
            ticket=ticket_id,
            action=name,
            version=version,
            message=outcome.message,
        )
        return outcome

    def view(self, path: str, name: str) -> str:
        self._last = self.page(path, name)
        return self._last


def read_and_decide() -> None:
    """The moment between seeing a page and pressing its button, in which a colleague may press first."""
    gevent.sleep(random.uniform(0.3, 1.5))


def first_few(items: list, n: int = 3):
    """One of the first few items: everyone looks at the top of the same list, so requests collide."""
    return random.choice(items[:n]) if items else None


class Dispatcher(OfficeUser):
    role = "dispatcher"
    weight = 16

    @task(3)
    def ticket_list(self) -> None:
        query = random.choice(
            ["?state=open", "?state=reported", "?q=SOAK-", "?overdue=on", "?category=appliance&page=2", ""]
        )
        self.view(f"/tickets/{query}", "GET ticket list (filters)")

    @task(2)
    def ticket_detail(self) -> None:
        ids = TICKET_LINK.findall(self.view("/tickets/?state=open", "GET ticket list (filters)"))
        if ids:
            self.view(f"/tickets/{random.choice(ids)}/", "GET ticket detail")

    @task(2)
    def customer_search(self) -> None:
        query = random.choice(["压测客户0", f"{fixtures.SERIAL_PREFIX}0000{random.randint(1, 6)}", "1390000"])
        self.view(f"/customers/search/?q={query}", "GET customer search")

    @task(3)
    def intake(self) -> None:
        """A call for a known unit: search, pick the unit, fill the call form."""
        units = UNIT_LINK.findall(
            self.view(f"/customers/search/?q=压测客户0{random.randint(1, 5)}", "GET customer search")
        )
        if not units:
            return
        form = self.view(f"/tickets/new/?unit={random.choice(units)}", "GET call intake form")
        if not form:
            return
        unit = UNIT_FIELD.search(form)
        if unit:
            self.log_call(form, {"unit": unit.group(1)})

    @task(1)
    def intake_new_customer(self) -> None:
        form = self.view("/tickets/new/", "GET call intake form")
        if not form:
            return
        model = PRODUCT_MODEL_OPTION.search(form)
        serial = f"{fixtures.SERIAL_PREFIX}N{uuid.uuid4().hex[:10].upper()}"
        self.log_call(
            form,
            {
                "customer-name": "压测新客户",
                "customer-kind": "person",
                "customer-phone": f"139{random.randint(10000000, 99999999)}",
                "customer-address": "上海市浦东新区压测路 100 号",
                "customer-service_zone": "city",
                "customer-distance_km": "8",
                "unit-product_model": model.group(1) if model else "",
                "unit-serial_number": serial,
                "unit-purchase_date": "2026-01-15",
                "unit-sales_channel": "direct",
            },
        )

    def log_call(self, form: str, fields: dict) -> None:
        key = marker()
        data = {
            **fields,
            "fault_category": "appliance",
            "fault_description": f"压测报修:开机无反应 {key}",
            "fault_cause": "quality",
            "channel": "phone",
            "priority": random.choice(["normal"] * 9 + ["urgent"]),
            "log_anyway": "1",  # past intake's open-ticket warning: the soak logs repeat calls on purpose
        }
        outcome = self.submit("/tickets/new/", data, "POST call intake", self.csrf(form))
        number = re.search(r"工单号 (\S+?)。", outcome.message)
        record(
            "intake",
            key,
            outcome.outcome,
            self.username,
            message=outcome.message,
            number=number.group(1) if number else "",
        )

    @task(4)
    def dispatch(self) -> None:
        """Dispatch one of the first tickets of the board: the other dispatchers are looking at it too."""
        board = self.view("/tickets/board/", "GET dispatch board")
        rows = ROW_FORM.findall(board)
        row = first_few(rows)
        if row is None:
            return
        ticket_id, _name, version = row
        technicians = [
            pk for pk, label in OPTION.findall(board) if "soak_technician" in label or "technician_" in label
        ]
        if not technicians:
            return
        self.transition(
            int(ticket_id),
            "dispatch",
            int(version),
            technician=random.choice(technicians),
            next_page="board",
            label="dispatch (board)",
        )


class Technician(OfficeUser):
    role = "technician"
    weight = 14

    @task(3)
    def jobs(self) -> None:
        self.view("/tickets/mine/", "GET my jobs")

    @task(4)
    def check_in(self) -> None:
        rows = [
            row
            for row in ROW_FORM.findall(self.view("/tickets/mine/", "GET my jobs"))
            if row[1] == "check_in"
        ]
        row = first_few(rows)
        if row:
            self.transition(int(row[0]), "check_in", int(row[2]), next_page="my_jobs", label="check in")

    @task(2)
    def request_return(self) -> None:
        """On site, the fault needs the factory: ask for a return (a supervisor rejects it later)."""
        jobs = TICKET_LINK.findall(self.view("/tickets/mine/", "GET my jobs"))
        if not jobs:
            return
        detail = self.view(f"/tickets/{random.choice(jobs)}/", "GET ticket detail")
        rows = [row for row in ROW_FORM.findall(detail) if row[1] == "request_return"]
        if rows:
            self.transition(
                int(rows[0][0]),
                "request_return",
                int(rows[0][2]),
                note="压测:现场无法修复",
                label="request return",
            )

    @task(1)
    def requisition(self) -> None:
        jobs = TICKET_LINK.findall(self.view("/tickets/mine/", "GET my jobs"))
        if not jobs:
            return
        ticket = random.choice(jobs)
        form = self.view(f"/parts/requisitions/new/{ticket}/", "GET requisition form")
        store = STORE_OPTION.search(form)
        if not store:
            return
        key = marker()
        data = {
            "warehouse": store.group(1),
            "reason": f"压测领料 {key}",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "20",
            "lines-0-part": random.choice(fixtures.PARTS),
            "lines-0-quantity": str(random.randint(1, 3)),
        }
        outcome = self.submit(f"/parts/requisitions/new/{ticket}/", data, "POST requisition", self.csrf(form))
        record(
            "requisition", key, outcome.outcome, self.username, ticket=int(ticket), message=outcome.message
        )

    @task(1)
    def van(self) -> None:
        self.view("/parts/my/van/", "GET my van")


class FieldTechnician(OfficeUser):
    """A technician working where there is no network (issue #14): loads 我的任务 and the job's report
    pages, does the whole visit offline, and back online the outbox sends it in a burst (loadtest.outbox),
    some actions twice after a lost answer. Spawned first, `LOADTEST_FIELD_USERS` of them (set by the
    soak from its number of users), each on their own jobs."""

    role = "field"
    fixed_count = int(os.environ.get("LOADTEST_FIELD_USERS", "1"))
    wait_time = between(2, 6)

    @task
    def offline_visit(self) -> None:
        jobs = self.view("/tickets/mine/", "GET my jobs")
        rows = [row for row in ROW_FORM.findall(jobs) if row[1] == "check_in"]
        if not rows:
            return
        ticket_id, _name, version = rows[0]
        # The pages kept before leaving: the report of the coming visit, its signature step saying
        # what the report needs (the fee and its payment on a paid job).
        report = self.view(f"/tickets/{ticket_id}/report/?step=6", "GET report (before check-in)")
        scope, needs = REPORT_SCOPE.search(report), SIGNATURE_NEEDS.search(report)
        if not (scope and needs):
            return
        actions = outbox.field_visit(
            ticket_id=int(ticket_id),
            ticket_version=int(version),
            report_scope=scope.group(1),
            paid="payment_method" in needs.group(1).split(),
        )
        gevent.sleep(random.uniform(3, 10))  # at the customer's, offline
        records = outbox.send_burst(
            actions, self.post_json, resend=outbox.choose_resends(actions, random), csrf=self.csrf(report)
        )
        for entry in records:
            record(
                entry.pop("kind"), entry.pop("key"), entry.pop("outcome"), self.username, burst=True, **entry
            )

    def post_json(self, url: str, data: dict, headers: dict) -> outbox.Answer:
        """One send of the outbox: its JSON answer, or None (a server error, no answer, not JSON)."""
        name = "POST outbox " + re.sub(r"/\d+/", "/<id>/", url)
        with self.client.post(
            url, data=data, headers=headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            status = response.status_code
            if status >= 500 or status == 0:
                if status:
                    self._server_error("POST", url, name, status)
                response.failure(failure(response))
                return status, None
            if not response.headers.get("Content-Type", "").startswith("application/json"):
                response.failure(f"HTTP {status}, not the outbox's JSON")
                return status, None
            response.success()  # a refusal (400/409) is an answer the technician sees
            return status, response.json()


class Keeper(OfficeUser):
    role = "keeper"
    weight = 8

    @task(5)
    def issue(self) -> None:
        """Issue one of the newest approved requisitions: the other keepers take the same ones."""
        listing = self.view("/parts/requisitions/?state=to_issue", "GET requisitions to issue")
        pk = first_few(list(dict.fromkeys(REQUISITION_LINK.findall(listing))))
        if pk is None:
            return
        detail = self.view(f"/parts/requisitions/{pk}/", "GET requisition")
        quantities = {}
        for outstanding, line, shown in ISSUE_INPUT.findall(detail):
            # The page offers what the store holds; a keeper sometimes types the full amount anyway.
            wanted = int(shown) if int(shown) and random.random() < 0.7 else int(outstanding)
            if wanted:
                quantities[line] = wanted
        if not quantities:
            return
        key = marker()
        read_and_decide()
        outcome = self.submit(
            f"/parts/requisitions/{pk}/issue/",
            {f"issue-{line}": str(quantity) for line, quantity in quantities.items()},
            "POST issue parts",
            self.csrf(detail),
        )
        record(
            "issue",
            key,
            outcome.outcome,
            self.username,
            requisition=int(pk),
            lines={line: quantity for line, quantity in quantities.items()},
            message=outcome.message,
        )

    @task(1)
    def receive(self) -> None:
        """A small delivery of one scarce part, so issues keep competing for the whole run."""
        form = self.view("/parts/receiving/new/", "GET receiving form")
        store = STORE_OPTION.search(form)
        if not store:
            return
        key = marker()
        data = {
            "warehouse": store.group(1),
            "delivery_reference": key,
            "note": "压测补货",
            "lines-TOTAL_FORMS": "5",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "50",
            "lines-0-part": random.choice(fixtures.PARTS),
            "lines-0-quantity": str(random.randint(1, 3)),
            "idempotency_key": str(uuid.uuid4()),
        }
        csrf = self.csrf(form)

        def send() -> None:
            outcome = self.submit("/parts/receiving/new/", data, "POST receiving note", csrf)
            record("receipt", key, outcome.outcome, self.username, message=outcome.message)

        # Double submits (issue #14): the same key once, twice in a row (a double tap), or twice at once
        # (two taps racing); check_writes finds the delivery once, each answer "accepted".
        sends = random.choice((1, 2, 2))
        if sends == 2 and random.random() < 0.5:
            gevent.joinall([gevent.spawn(send), gevent.spawn(send)])
        else:
            for _ in range(sends):
                send()

    @task(3)
    def warehouses(self) -> None:
        self.view("/parts/warehouses/", "GET warehouses")


class Supervisor(OfficeUser):
    role = "supervisor"
    weight = 7

    @task(4)
    def approve_requisition(self) -> None:
        inbox = self.view("/warranty/approvals/", "GET approvals inbox")
        pk = first_few(INBOX_REQUISITION.findall(inbox))
        if pk is None:
            return
        detail = self.view(f"/parts/requisitions/{pk}/", "GET requisition")
        if 'value="approve"' not in detail:
            return
        key = marker()
        read_and_decide()
        outcome = self.submit(
            f"/parts/requisitions/{pk}/decide/",
            {"decision": "approve", "note": key},
            "POST approve requisition",
            self.csrf(detail),
        )
        record("decision", key, outcome.outcome, self.username, requisition=int(pk), message=outcome.message)

    @task(3)
    def reject_return(self) -> None:
        listing = self.view("/tickets/?state=rma_requested", "GET ticket list (filters)")
        pk = first_few(TICKET_LINK.findall(listing))
        if pk is None:
            return
        detail = self.view(f"/tickets/{pk}/", "GET ticket detail")
        rows = [row for row in ROW_FORM.findall(detail) if row[1] == "reject_return"]
        if rows:
            self.transition(
                int(pk),
                "reject_return",
                int(rows[0][2]),
                note="压测:可现场修复,驳回返厂",
                label="reject return",
            )

    @task(1)
    def cancel_waiting(self) -> None:
        """Cancel a ticket the dispatchers are about to dispatch: one of the two wins."""
        board = self.view("/tickets/board/", "GET dispatch board")
        row = first_few(ROW_FORM.findall(board))
        if row:
            self.view(f"/tickets/{row[0]}/", "GET ticket detail")
            self.transition(int(row[0]), "cancel", int(row[2]), note="压测:客户来电取消", label="cancel")


class Manager(OfficeUser):
    role = "manager"
    weight = 5

    @task(3)
    def kpi_dashboard(self) -> None:
        self.view("/reports/", "GET KPI dashboard")

    @task(2)
    def approvals(self) -> None:
        self.view("/warranty/approvals/", "GET approvals inbox")

    @task(1)
    def tickets(self) -> None:
        self.view("/tickets/?state=open", "GET ticket list (filters)")

    @task(1)
    def home(self) -> None:
        self.view("/", "GET home")
