"""Log lines that can be followed across processes: a request id on every record, JSON when asked.

The id comes from the request's `X-Request-ID` header when it is a sane token (a proxy or load balancer
in front usually sets one), otherwise it is made here; the response carries it back. From Django's
request_started to request_finished it sits in a context variable (one per thread), which a logging
filter copies onto every record. Celery tasks the
request queues carry it in a message header (`before_task_publish`) and the worker puts it back into the
context while the task runs (`task_prerun`), so the task's lines carry the id of the request that queued it.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re
import uuid

from celery import current_task
from django.conf import settings

REQUEST_ID_HEADER = "X-Request-ID"
# The message header a queued task carries the id in (Celery copies unknown headers onto task.request).
TASK_HEADER = "aftersales_request_id"
# A token, not a sentence: letters, digits and - _ . : only, at most 128 (a UUID, a trace id, an nginx
# $request_id). Anything else is replaced, so a client cannot write arbitrary text into the logs.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: str | None) -> str | None:
    return value if value and _VALID_ID.fullmatch(value) else None


def start_request(environ: dict, **_kwargs) -> str:
    """request_started: the id is set before any middleware runs, and stays until request_finished, so
    that Django's own "Not Found"/"Internal Server Error" lines (logged after the middleware returned)
    carry it too."""
    current = valid_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
    request_id.set(current)
    return current


def finish_request(**_kwargs) -> None:
    """request_finished: the thread serves the next request (or idles) without this one's id."""
    request_id.set(None)


class RequestIdMiddleware:
    """Sends the id back in the response (a client or proxy can quote it when reporting a problem)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        current = request_id.get() or start_request(request.META)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = current
        return response


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record a handler emits ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, the task and
    its id in a worker, and the traceback when there is one. A log collector (Loki, ELK, Alibaba SLS) reads it without a pattern."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get() or "-",
            "process": record.process,
        }
        task = current_task  # in a worker, while a task runs: which one (Celery's text format shows it too)
        if task and task.request.id:
            entry["task"] = task.name
            entry["task_id"] = task.request.id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def tag_sentry_event(event: dict, hint: dict) -> dict:
    """Sentry's before_send: the error is found in the logs by its request's id."""
    current = request_id.get()
    if current:
        event.setdefault("tags", {})["request_id"] = current
    return event


# --- Celery: the id travels with the tasks a request queues ---

_task_tokens: dict[str, contextvars.Token] = {}


def add_request_id_header(headers: dict | None = None, **_kwargs) -> None:
    """before_task_publish: runs in the process that queues the task (the request's thread)."""
    current = request_id.get()
    if current and headers is not None:
        headers.setdefault(TASK_HEADER, current)


def restore_request_id(task_id: str | None = None, task=None, **_kwargs) -> None:
    """task_prerun: the queuing request's id for the task's run; a task queued by no request (beat)
    gets its own, so its lines (and the tasks it queues) still belong together."""
    queued_by = valid_request_id(getattr(task.request, TASK_HEADER, None)) if task is not None else None
    _task_tokens[task_id] = request_id.set(queued_by or request_id.get() or new_request_id())


def forget_request_id(task_id: str | None = None, **_kwargs) -> None:
    """task_postrun: back to what was there before the task (nothing, in a worker)."""
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id.reset(token)


def configure_celery_handlers(logger: logging.Logger | None = None, **_kwargs) -> None:
    """after_setup_logger / after_setup_task_logger: Celery sets up the worker's own handlers (and
    replaces Django's); give them the request id, and the JSON format when LOG_FORMAT=json."""
    if logger is None:
        return
    for handler in logger.handlers:
        handler.addFilter(RequestIdFilter())
        if settings.LOG_FORMAT == "json":
            handler.setFormatter(JsonFormatter())
