"""`make scale`'s pieces, without running it: the proxy in front of the web instances, and the checks
that must fail when an alert is doubled or lost, or the clocks stop or run twice."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from loadtest.checks import check_server_errors
from loadtest.faults import judge_alerts
from loadtest.proxy import ProxyServer
from loadtest.scale import LOCK_SECONDS, SWEEP_SECONDS, sweep_check
from loadtest.services import free_port


class Instance(ThreadingHTTPServer):
    """A web instance that answers its own name and counts what it received; `hang_up` closes the
    connection without answering (a process killed while it handles the request)."""

    daemon_threads = True

    def __init__(self, name: str, hang_up: bool = False) -> None:
        self.name, self.hang_up, self.received = name, hang_up, Counter()
        instance = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                instance.received[self.command] += 1
                if instance.hang_up:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = f"{instance.name} {self.command} {body.decode()}".encode()
                self.send_response(200)
                self.send_header("Set-Cookie", "a=1")
                self.send_header("Set-Cookie", "b=2")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = answer

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def instances():
    made = []

    def make(name: str, **kwargs) -> Instance:
        made.append(Instance(name, **kwargs))
        return made[-1]

    yield make
    for instance in made:
        instance.shutdown()
        instance.server_close()


def dead_url() -> str:
    """An address where nothing listens: connections are refused (a killed gunicorn's port)."""
    return f"http://127.0.0.1:{free_port(0)}"


class TestProxy:
    def test_requests_go_to_each_instance_in_turn_with_all_their_headers(self, instances):
        a, b = instances("A"), instances("B")
        with ProxyServer([a.url, b.url]) as proxy, requests.Session() as client:
            names = [client.get(f"{proxy.url}/page/").text.split()[0] for _ in range(4)]
            answer = client.post(f"{proxy.url}/form/", data={"x": "1"})
        assert names == ["A", "B", "A", "B"]
        assert answer.text == "A POST x=1"
        assert answer.cookies.get_dict() == {"a": "1", "b": "2"}
        assert [entry.backend for entry in proxy.balancer.answers] == [a.url, b.url, a.url, b.url, a.url]

    def test_a_refused_connection_goes_to_the_other_instance_whatever_the_method(self, instances):
        b = instances("B")
        with ProxyServer([dead_url(), b.url]) as proxy:
            answers = [requests.get(f"{proxy.url}/"), requests.post(f"{proxy.url}/", data={"x": "1"})]
        assert [answer.status_code for answer in answers] == [200, 200]
        assert b.received == Counter({"GET": 1, "POST": 1})
        # The first request found the dead one; the second went straight to the living one.
        assert [entry.tries for entry in proxy.balancer.answers] == [2, 1]

    def test_a_get_cut_by_a_dying_instance_is_sent_again_a_post_is_not(self, instances):
        dying, b = instances("dying", hang_up=True), instances("B")
        with ProxyServer([dying.url, b.url]) as proxy:
            got = requests.get(f"{proxy.url}/page/")
            proxy.balancer.backends[0].down_until = 0  # the dying one first in turn again
            next(proxy.balancer._turn)
            posted = requests.post(f"{proxy.url}/form/", data={"x": "1"})
        assert (got.status_code, got.text) == (200, "B GET ")
        assert posted.status_code == 502
        assert dying.received == Counter({"GET": 1, "POST": 1})
        assert b.received == Counter({"GET": 1}), "the POST the dying instance may have done is not repeated"

    def test_with_no_instance_left_the_answer_is_502(self):
        with ProxyServer([dead_url(), dead_url()]) as proxy:
            assert requests.get(f"{proxy.url}/").status_code == 502


class TestAlertsJudged:
    ids = [1, 2]
    recipients = [10, 11]

    def notifications(self, extra=()):
        return [(r, f"sla:{pk}:2", "") for r in self.recipients for pk in self.ids] + list(extra)

    def test_each_deadline_alerted_once_and_each_recipient_told_once_passes(self):
        results = judge_alerts(self.ids, Counter({1: 1, 2: 1}), 0, self.recipients, self.notifications())
        assert [r.ok for r in results] == [True, True, True]

    def test_a_doubled_alert_fails(self):
        results = judge_alerts(self.ids, Counter({1: 2, 2: 1}), 1, self.recipients, self.notifications())
        assert [r.ok for r in results] == [False, False, True]
        assert "more than one for 1" in results[0].detail

    def test_a_recipient_told_twice_fails(self):
        doubled = self.notifications(extra=[(10, "sla-digest:sla:1:2", "line about ticket 1")])
        results = judge_alerts(self.ids, Counter({1: 1, 2: 1}), 0, self.recipients, doubled)
        assert not results[2].ok and "{10: 3}" in results[2].detail

    def test_a_lost_alert_fails(self):
        results = judge_alerts(self.ids, Counter({1: 1}), 0, self.recipients, self.notifications()[:2])
        assert not results[0].ok and not results[2].ok


class TestSweepClock:
    holders = [(0.0, "host:1:a"), (100.0, ""), (125.0, "host:2:b")]  # killed at 100, B leads at 125

    def sweeps(self, *extra: float) -> list[float]:
        return sorted([SWEEP_SECONDS * n for n in range(10)] + [130.0, 140.0, *extra])

    def test_a_handover_within_the_lock_expiry_passes(self):
        result = sweep_check(self.sweeps(), self.holders, killed=95.0)
        assert result.ok, result.detail

    def test_two_leaders_sending_at_once_fail(self):
        assert not sweep_check(self.sweeps(131.0), self.holders, killed=95.0).ok

    def test_a_clock_stopped_longer_than_the_lock_fails(self):
        late = [SWEEP_SECONDS * n for n in range(10)] + [90 + LOCK_SECONDS * 2, 100 + LOCK_SECONDS * 2]
        assert not sweep_check(late, self.holders, killed=95.0).ok

    def test_no_other_beat_taking_the_lead_fails(self):
        assert not sweep_check(self.sweeps(), [(0.0, "host:1:a"), (100.0, "")], killed=95.0).ok


def test_a_server_error_counts_only_outside_a_kill_window():
    inside = {"kind": "server_error", "key": "POST /x/", "status": 502, "t": 105.0}
    outside = {**inside, "t": 200.0}
    assert check_server_errors([inside], [(100.0, 110.0)]).ok
    assert not check_server_errors([inside, outside], [(100.0, 110.0)]).ok
    assert not check_server_errors([inside]).ok
