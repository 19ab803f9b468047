"""A request id on every log line (issue #20): from X-Request-ID or made here, sent back, and carried into
the Celery task the request queued — the worker's JSON lines for that task carry the same id."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from aftersales.logs import JsonFormatter, RequestIdFilter
from tests.operations.tasks import QUEUE


@pytest.fixture
def json_log():
    """The root logger's lines, as LOG_FORMAT=json writes them, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_an_incoming_id_is_kept_and_sent_back(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.2026:01")
    assert response["X-Request-ID"] == "lb-7f3a.2026:01"


@pytest.mark.parametrize("given", [None, "", "two words", "x" * 129, "line\nbreak", '{"json": 1}', "标识"])
def test_a_missing_or_unsafe_id_is_replaced_by_a_new_one(client, given):
    extra = {"HTTP_X_REQUEST_ID": given} if given is not None else {}
    first = client.get("/healthz", **extra)["X-Request-ID"]
    second = client.get("/healthz", **extra)["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_the_lines_of_a_request_carry_its_id_and_none_after_it(db, client, json_log):
    client.get("/no/such/page/", HTTP_X_REQUEST_ID="req-404")  # Django logs the 404 as a warning
    logging.getLogger("tests").warning("after the request")
    lines = json_log()
    not_found = next(line for line in lines if line["logger"] == "django.request")
    assert not_found["request_id"] == "req-404" and not_found["level"] == "WARNING"
    assert lines[-1]["message"] == "after the request" and lines[-1]["request_id"] == "-"


def test_a_json_line_carries_the_traceback(json_log):
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        logging.getLogger("tests").exception("it failed")
    (line,) = json_log()
    assert line["message"] == "it failed" and "ZeroDivisionError" in line["exception"]
    assert line["time"].endswith("+00:00")


@pytest.mark.urls("tests.operations.urls")
def test_the_task_a_request_queues_logs_with_the_requests_id(redis_broker, processes, client, json_log):
    """Through the real machinery: the message goes through Redis to a worker process started with
    LOG_FORMAT=json, which runs the task and writes its lines to its own log."""
    processes.env |= {"CELERY_BROKER_URL": redis_broker, "LOG_FORMAT": "json"}
    processes.worker("worker", "--include", "tests.operations.tasks", "-Q", QUEUE)

    response = client.get("/queue", HTTP_X_REQUEST_ID="req-2026-ops")
    assert response.status_code == 200 and response["X-Request-ID"] == "req-2026-ops"
    (view_line,) = [line for line in json_log() if line["message"] == "view queues a task"]
    assert view_line["request_id"] == "req-2026-ops"

    def task_lines():
        lines = [json.loads(text) for text in processes.log("worker").splitlines() if text.startswith("{")]
        return [line for line in lines if line["message"] == "task says hello"]

    (task_line,) = processes.wait_for(task_lines, seconds=120, what="the task's log line")
    assert task_line["request_id"] == "req-2026-ops"
    assert task_line["logger"] == "tests.operations.tasks" and task_line["level"] == "WARNING"
    assert task_line["task"] == "tests.operations.tasks.log_a_line" and task_line["task_id"]
