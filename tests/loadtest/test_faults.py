"""`make faults`: how it counts the web's answers and the e-mails sent, and the private servers it breaks."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail import send_mail, send_mass_mail
from django.core.management import call_command

from aftersales.categories import FaultCategory
from customers.models import Unit
from loadtest.faults import (
    MARK,
    Tally,
    by_window,
    count_emails,
    first_success_after,
    page_kind,
    seed_due_tickets,
)
from loadtest.services import PrivatePostgres, PrivateRedis, free_port, postgres_bindir
from tests.conftest import require
from tickets.models import RepairTicket

ROOT = Path(__file__).resolve().parents[2]


def request(t: float, status: int, ms: float = 100, page: str = "") -> dict:
    return {"t": t, "status": status, "ms": ms, "page": page}


class TestWindows:
    def test_a_request_cut_by_the_fault_counts_in_the_fault_window(self):
        requests = [
            request(90, 200),  # answered before the fault
            request(99.5, 500, ms=800, page="error_page"),  # sent before, answered during
            request(105, 500, page="error_page"),
            request(110, 200),  # sent after the fault ended
        ]
        windows = by_window(requests, 100, 110)
        assert [len(windows[name]) for name in ("before", "during", "after")] == [1, 2, 1]

    def test_the_error_page_is_told_from_a_bare_server_error_and_no_answer(self):
        tally = Tally.of(
            [
                request(1, 200),
                request(1, 302),
                request(1, 409),
                request(1, 500, page="error_page"),
                request(1, 502, page="other"),
                request(1, 0),
            ]
        )
        assert (tally.ok, tally.refused, tally.error_page, tally.bare_5xx, tally.no_answer) == (2, 1, 1, 1, 1)

    def test_recovery_is_the_first_success_sent_after_the_fault(self):
        requests = [request(100, 200), request(111, 500, page="error_page"), request(112.5, 200)]
        assert first_success_after(requests, 110) == 2.5
        assert first_success_after(requests[:2], 110) is None


def test_a_5xx_with_the_apps_error_page_is_told_from_another():
    page = (ROOT / "templates" / "500.html").read_text()
    assert page_kind(500, page) == "error_page"
    assert page_kind(502, "<html>Bad Gateway</html>") == "other"
    assert page_kind(200, "") == ""


def test_every_email_the_file_backend_writes_is_counted(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    send_mail("超时提醒", "第一行\n第二行", None, ["a@faults.invalid"])
    send_mass_mail([("一", "x", None, ["b@faults.invalid"]), ("二", "y", None, ["c@faults.invalid"])])
    assert count_emails(tmp_path) == 3
    assert count_emails(tmp_path / "missing") == 0
    assert not mail.outbox  # really written to files


def listens(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_private_redis_stops_and_starts_again_on_its_port(tmp_path):
    require(shutil.which("redis-server") is not None, "redis-server")
    redis = PrivateRedis(tmp_path, port=free_port(0), log=lambda _text: None)
    try:
        redis.start()
        assert redis.is_up()
        redis.stop()
        assert not redis.is_up() and not listens(redis.port)
        redis.start()
        assert redis.is_up()
    finally:
        redis.stop()
    assert not listens(redis.port)


def test_private_postgres_restarts_and_leaves_nothing_behind():
    try:
        postgres_bindir()
    except RuntimeError:
        require(False, "the PostgreSQL server binaries")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            require(False, "a `postgres` OS user to run the private server as")
    # Not under pytest's tmp_path (mode 700): the server's user must reach its directory.
    parent = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    parent.chmod(0o755)
    root = parent / "pg"
    postgres = PrivatePostgres(root, port=free_port(0), log=lambda _text: None)
    try:
        postgres.create()
        assert postgres.is_up()
        postgres.restart(down_seconds=0.5)
        assert postgres.is_up()
        postgres.stop()
        assert not postgres.is_up()
        postgres.start()
        assert postgres.is_up()
    finally:
        postgres.remove()
        stopped_and_removed = not listens(postgres.port) and not (root / "data").exists()
        shutil.rmtree(parent)
    assert stopped_and_removed


@pytest.mark.django_db
def test_the_tickets_to_make_due_are_logged_on_every_hz_unit_whatever_its_product(capsys):
    """`make faults` and `make scale` log calls on every HZ demo unit, a bus chassis included: with the
    product's own fault category, not one it cannot have."""
    call_command("seed_demo", customers=20)
    units = Unit.objects.filter(owner__branch__code="HZ")
    assert units.exclude(product_model__category=FaultCategory.APPLIANCE).exists()
    seed_due_tickets(units.count())
    facts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert facts["deadlines"] >= units.count()
    assert RepairTicket.objects.filter(fault_description=MARK).count() == units.count()
