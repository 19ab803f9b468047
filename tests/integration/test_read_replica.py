"""Reports read a real streaming replica; what a user acts on reads the primary (issue #20, item 3).

The replica is a second PostgreSQL cluster on 127.0.0.1:5433 streaming from the test's primary,
made by scripts/replica.sh when absent. A streaming replica copies the whole cluster, so the test
database pytest-django creates on the primary is on the replica too, under the same name: the `replica`
alias is a TEST MIRROR of the default one. The tests are transactional (their rows are committed):
a TestCase's rolled-back rows never reach a replica.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from aftersales.env import replica_database
from aftersales.replica import REPLICA_DB_ALIAS, ReplicaRouter, replica_reads
from reports.tasks import send_quality_report
from tests.conftest import require
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket, State

ROOT = Path(__file__).resolve().parents[2]
REPLICA_PORT = 5433
# Held on the replica while a test pauses its replay: two test sessions on one machine take turns.
PAUSE_LOCK = 20_20_3

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA_DB_ALIAS]),
]


def replica_dsn(database: str = "postgres") -> str:
    return f"host=127.0.0.1 port={REPLICA_PORT} user=postgres dbname={database}"


SYSTEM_ID = "SELECT system_identifier FROM pg_control_system()"


def replica_streams() -> bool:
    """Whether the server on REPLICA_PORT streams from the test's primary (the same cluster identity)."""
    try:
        with (
            contextlib.closing(psycopg2.connect(replica_dsn(), connect_timeout=2)) as replica,
            replica.cursor() as cursor,
        ):
            cursor.execute(f"SELECT status, ({SYSTEM_ID}) FROM pg_stat_wal_receiver")
            row = cursor.fetchone()
    except psycopg2.OperationalError:
        return False
    with connection.cursor() as cursor:
        cursor.execute(SYSTEM_ID)
        (primary,) = cursor.fetchone()
    return row is not None and row == ("streaming", primary)


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, django_db_blocker) -> None:
    """The replica server: started (or made) by scripts/replica.sh unless it already streams."""
    primary = connection.settings_dict
    require(
        connection.vendor == "postgresql" and primary["HOST"] in ("127.0.0.1", "localhost"),
        "PostgreSQL on this machine: DATABASE_URL=postgres://postgres@127.0.0.1:5432/… (its replica is made here)",
    )
    with django_db_blocker.unblock():
        if replica_streams():
            return
    result = subprocess.run(
        ["./scripts/replica.sh"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "PRIMARY_PORT": str(primary["PORT"] or 5432)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    with django_db_blocker.unblock():
        streams = replica_streams()
    require(
        result.returncode == 0 and streams,
        f"a streaming replica on 127.0.0.1:{REPLICA_PORT} (scripts/replica.sh failed: {result.stderr.strip()})",
    )


def replayed() -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (position,) = cursor.fetchone()
    with contextlib.closing(psycopg2.connect(replica_dsn())) as replica, replica.cursor() as cursor:
        for _ in range(200):
            cursor.execute("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s) >= 0", [position])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError(f"the replica did not replay {position} in 10 s")


@contextlib.contextmanager
def replay_paused():
    """The replica stops applying the primary's changes: it lags, as a busy one does."""
    with contextlib.closing(psycopg2.connect(replica_dsn())) as replica:
        replica.autocommit = True
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [PAUSE_LOCK])
            replayed()
            cursor.execute("SELECT pg_wal_replay_pause()")
            try:
                for _ in range(200):
                    cursor.execute("SELECT pg_get_wal_replay_pause_state()")
                    if cursor.fetchone()[0] == "paused":
                        break
                    time.sleep(0.05)
                yield
            finally:
                cursor.execute("SELECT pg_wal_replay_resume()")
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PAUSE_LOCK])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(streaming_replica, django_db_blocker):
    """REPLICA_DATABASE_URL for these tests: the `replica` alias as settings.py makes it, on the test
    database (pytest-django's setup, which would have mirrored it, ran before it existed). Module-scoped,
    so that it exists before each test's database access is set up for the two aliases."""
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
    url = f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{name}"
    settings.DATABASES[REPLICA_DB_ALIAS] = replica_database(url, conn_max_age=0)
    connections.configure_settings(settings.DATABASES)
    yield
    connections[REPLICA_DB_ALIAS].close()
    del connections[REPLICA_DB_ALIAS]
    del settings.DATABASES[REPLICA_DB_ALIAS]


@pytest.fixture
def replica(reference_data):
    """The replica's connection, with every row the test's set-up committed replayed."""
    replayed()
    return connections[REPLICA_DB_ALIAS]


@pytest.fixture
def headquarters_manager(persona, headquarters):
    return persona(Role.MANAGER, branch=headquarters)


APP_TABLE = re.compile(r'"((?:tickets|reports|customers|surveys|parts|warranty|claims)_[a-z_]+)"')


def tables(queries: list[dict]) -> set[str]:
    """The application tables (not accounts', auth's or sessions') that the queries name."""
    return {table for query in queries for table in APP_TABLE.findall(query["sql"])}


def read(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


REPORTS = [
    reverse("reports:dashboard"),
    reverse("reports:quality"),
    reverse("reports:monthly"),
    reverse("reports:monthly_export", args=["xlsx"]),
    reverse("reports:quality_export", args=["xlsx"]),
    reverse("reports:ticket_export", args=["csv"]),
    reverse("reports:call_register_export", args=["csv"]),
    reverse("api-kpis"),
    reverse("api-monthly-report"),
]


@pytest.mark.parametrize("url", REPORTS)
def test_a_report_reads_the_replica_and_who_may_see_it_the_primary(
    client, replica, headquarters_manager, url
):
    TicketFactory(branch=headquarters_manager.branch)
    replayed()
    client.force_login(headquarters_manager)
    with CaptureQueriesContext(connection) as primary, CaptureQueriesContext(replica) as standby:
        read(client, url)
    assert tables(standby.captured_queries), "the report read nothing from the replica"
    assert tables(primary.captured_queries) == set(), primary.captured_queries
    # The user, their roles and their branch: read fresh from the primary, on reports too.
    assert any('"accounts_user"' in query["sql"] for query in primary.captured_queries)
    assert not any('FROM "accounts_' in query["sql"] for query in standby.captured_queries)


def test_what_a_user_acts_on_reads_and_writes_the_primary(client, replica, supervisor):
    ticket = TicketFactory(awaiting_acceptance=True, branch=supervisor.branch)
    replayed()
    client.force_login(supervisor)
    with CaptureQueriesContext(replica) as standby:
        read(client, reverse("tickets:list"))
        read(client, reverse("tickets:detail", args=[ticket.pk]))
        response = client.post(
            reverse("tickets:transition", args=[ticket.pk, "accept"]),
            {"version": ticket.version, "note": "", "idempotency_key": str(uuid.uuid4())},
        )
    assert response.status_code == 302
    assert RepairTicket.objects.get(pk=ticket.pk).state == State.ACCEPTED
    assert standby.captured_queries == []


def test_a_lagging_replica_shows_in_the_export_and_not_in_the_ticket_list(client, replica, supervisor):
    """The proof that the export really is the replica's: with its replay paused, a ticket logged on
    the primary is on the ticket list at once and in the export only once the replica catches up."""
    TicketFactory(branch=supervisor.branch, number="T-BEFORE")
    client.force_login(supervisor)
    export = reverse("reports:ticket_export", args=["csv"])
    with replay_paused():
        TicketFactory(branch=supervisor.branch, number="T-LAGGING")
        assert "T-LAGGING" in read(client, reverse("tickets:list")).decode()
        exported = read(client, export).decode()
        assert "T-BEFORE" in exported and "T-LAGGING" not in exported
    replayed()
    assert "T-LAGGING" in read(client, export).decode()


def test_the_router_keeps_identity_and_transactions_on_the_primary(replica):
    router = ReplicaRouter()
    assert router.db_for_read(RepairTicket) == "default"
    with replica_reads():
        assert router.db_for_read(RepairTicket) == REPLICA_DB_ALIAS
        assert router.db_for_read(User) == "default"
        with transaction.atomic():
            # A read inside a transaction may decide a write (get_or_create, a claim).
            assert router.db_for_read(RepairTicket) == "default"
        assert router.db_for_write(RepairTicket) == "default"
    assert router.allow_migrate(REPLICA_DB_ALIAS, "tickets") is False


def test_the_monthly_quality_email_reads_the_replica_and_claims_its_month_on_the_primary(
    replica, settings, mailoutbox
):
    settings.QUALITY_REPORT_RECIPIENTS = ["qa@factory.example.cn"]
    TicketFactory(closed=True)
    replayed()
    with CaptureQueriesContext(connection) as primary, CaptureQueriesContext(replica) as standby:
        assert send_quality_report() is True
    assert "tickets_repairticket" in tables(standby.captured_queries)
    # The claim (get_or_create and a conditional UPDATE in one transaction) and the mark it was sent.
    assert tables(primary.captured_queries) == {"reports_qualityreportdelivery"}
    assert not any("reports_qualityreportdelivery" in query["sql"] for query in standby.captured_queries)
    assert len(mailoutbox) == 1
