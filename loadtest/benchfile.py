"""`make bench BENCH_ARGS="--part http"`: the bench's pages through gunicorn, as office and field users.

`--part throughput` plays the same users with no think time, and `Floor` alone against the floor view.

Read by locust in its own process (never in Django's). The plan, a JSON file named by BENCH_HTTP_PLAN and
written by `loadtest.bench.http`, gives the users (one password for all), and per branch the tickets,
units and phone prefixes to ask for, so every request is one the user may make and answers 200 (302 for
the call intake). Request names are the page labels of the in-process table.
"""

from __future__ import annotations

import itertools
import json
import os
import random

import gevent
from locust import HttpUser, between, constant, events, task

from loadtest.steady import measure_steady_state

with open(os.environ["BENCH_HTTP_PLAN"], encoding="utf-8") as plan_file:
    PLAN = json.load(plan_file)
FAULTS = ["不制冷,外机不转", "漏水", "开机无反应", "异响很大", "显示故障代码 E4"]
NEXT_PERSON = {role: itertools.count() for role in PLAN["users"]}
# BENCH_HTTP_THINK=0 (`--part throughput`): no pause between clicks, the server saturated.
THINK = os.environ.get("BENCH_HTTP_THINK", "1") != "0"
# BENCH_HTTP_MEASURE=seconds (`--part http`): the statistics are those of the steady state, this long,
# after the warm-up (loadtest.steady). Unset: the whole run counts, logins included.
MEASURE = float(os.environ.get("BENCH_HTTP_MEASURE", "0"))
LOGINS: list[str] = []  # one entry per user whose login was answered (a refused one fails the run)


@events.test_start.add_listener
def measure_the_steady_state(environment, **_kwargs) -> None:
    if MEASURE:
        gevent.spawn(
            measure_steady_state, environment, LOGINS, measure=MEASURE, settle=10.0, sleep=gevent.sleep
        )


class BenchUser(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 2.0) if THINK else constant(0)  # a person reading the page before the next click

    def on_start(self) -> None:
        people = PLAN["users"][self.role]
        person = people[next(NEXT_PERSON[self.role]) % len(people)]
        self.branch, self.own_tickets = person["branch"], person.get("tickets", [])
        self.client.get("/login/", name="login page")
        with self.client.post(
            "/login/",
            {
                "username": person["username"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {person['username']} answered {response.status_code}")
        LOGINS.append(person["username"])

    def pick(self, kind: str):
        return random.choice(PLAN[kind][self.branch])


class Floor(BenchUser):
    """A dispatcher asking for the floor view (a logged-in view that does nothing, loadtest.bench.pages),
    served only by `--part throughput`, whose gunicorn adds it to the app's URLs. Named on locust's
    command line; the other parts name the office and field users."""

    role = "dispatcher"

    @task
    def floor(self) -> None:
        self.client.get(PLAN["floor"], name="floor: trivial logged-in view")


class Dispatcher(BenchUser):
    role = "dispatcher"
    weight = 5

    @task(4)
    def open_tickets(self) -> None:
        self.client.get("/tickets/?state=open", name="ticket list ?state=open")

    @task(1)
    def all_tickets(self) -> None:
        self.client.get("/tickets/", name="ticket list, all states (nav link)")

    @task(5)
    def ticket(self) -> None:
        self.client.get(f"/tickets/{self.pick('tickets')}/", name="ticket detail")

    @task(2)
    def search(self) -> None:
        self.client.get(f"/customers/search/?q={self.pick('phones')}", name="customer search, phone prefix")

    @task(2)
    def board(self) -> None:
        self.client.get("/tickets/board/", name="dispatch board")

    @task(1)
    def log_a_call(self) -> None:
        unit, category = self.pick("units")
        with self.client.post(
            "/tickets/new/",
            {
                "unit": unit,
                "fault_category": category,
                "fault_description": random.choice(FAULTS),
                "fault_cause": "quality",
                "channel": "phone",
                "priority": "normal",
                "log_anyway": "1",  # past intake's open-ticket warning, as in loadtest/bench/pages.py
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            name="call intake POST (existing unit)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"the call was not logged: {response.status_code}")


class Technician(BenchUser):
    role = "technician"
    weight = 3

    @task(3)
    def jobs(self) -> None:
        self.client.get("/tickets/mine/", name="technician's jobs")

    @task(1)
    def job(self) -> None:
        if self.own_tickets:
            self.client.get(f"/tickets/{random.choice(self.own_tickets)}/", name="ticket detail")


class Supervisor(BenchUser):
    role = "supervisor"
    weight = 2

    @task(3)
    def approvals(self) -> None:
        self.client.get("/warranty/approvals/", name="approvals inbox")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/reports/", name="KPI dashboard (this month)")

    @task(2)
    def board(self) -> None:
        self.client.get("/tickets/board/", name="dispatch board")
