"""One write per intent (issue #14): `@idempotent` on every view that writes.

Every form we render carries a hidden `idempotency_key` (`{% idempotency_input %}`, a UUID made when the
form is rendered); API clients send the `Idempotency-Key` header. The first request with a key claims it
with one `INSERT … ON CONFLICT DO NOTHING` in the transaction that runs the view, and stores its answer
there: a page's redirect and flash messages, the API's status and JSON body. A second request with the key
(a double tap, a resend after the network came back) waits on the row lock until the first commits and then
gets the same answer, written once. The same key with another body (or path), or from another user, is
refused: 409, never a silent redirect.

Only answers that mean "done" are kept — a redirect from a page, a 2xx from the API or, for a page's
action sent by the offline outbox, its 2xx JSON answer. A form shown again
with its errors, or an exception, leaves no record, so the corrected form can be sent with the same key.
A request without a key (an older client) is carried out once, unguarded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid

from django.contrib import messages
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from accounts.models import IdempotencyRecord
from aftersales.drf import IDEMPOTENCY_HEADER, error_response

FORM_FIELD = "idempotency_key"
HEADER = IDEMPOTENCY_HEADER
# Not part of what the user asked: left out of the request's fingerprint.
NOT_THE_REQUEST = {FORM_FIELD, "csrfmiddlewaretoken"}
REDIRECTS = (301, 302, 303)
REFUSED_MESSAGE = gettext_lazy("该操作已用不同的内容提交过,请刷新页面后重新填写。")


def idempotent(view):
    """Run the view at most once per key; works on function views (`view(request, …)`) and on the
    handler methods of DRF views (`handler(self, request, …)`). Put it below `login_required` and the
    method guards, so only a request the view would serve claims a key."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        request = args[0] if hasattr(args[0], "method") else args[1]
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return view(*args, **kwargs)
        raw_key = request.headers.get(HEADER)
        if not isinstance(request, Request):  # a form sends it as a field
            raw_key = raw_key or request.POST.get(FORM_FIELD)
        if not raw_key:
            return view(*args, **kwargs)
        try:
            key = uuid.UUID(str(raw_key))
        except ValueError:
            return _refuse(request, _("提交标识无效,请刷新页面后重新提交。"), status=400)
        user_id = request.user.pk if request.user.is_authenticated else None
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            record = _claim(key, user_id, fingerprint)
            if record is not None:
                if record.user_id != user_id or record.request_sha256 != fingerprint:
                    return _refuse(request, str(REFUSED_MESSAGE), status=409)
                return _replay(request, record.result)
            queued = len(_queued_messages(request))
            response = view(*args, **kwargs)
            result = _result(request, response, queued)
            if result is None:
                IdempotencyRecord.objects.filter(key=key).delete()
            else:
                IdempotencyRecord.objects.filter(key=key).update(result=result)
        return response

    wrapper.idempotent = True
    return wrapper


def _body(request):
    return request.data if isinstance(request, Request) else request.POST


def _claim(key: uuid.UUID, user_id: int | None, fingerprint: str) -> IdempotencyRecord | None:
    """None when this request holds the key now; else the stored record, locked. A concurrent first
    request makes the INSERT wait until it commits (then the row is there) or rolls back (then it is ours)."""
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (key, user_id, request_sha256, created_at) VALUES (%s, %s, %s, %s)
            ON CONFLICT (key) DO NOTHING RETURNING id
            """,
            [_db_value("key", key), user_id, fingerprint, _db_value("created_at", timezone.now())],
        )
        if cursor.fetchone() is not None:
            return None
    return IdempotencyRecord.objects.select_for_update().get(key=key)


def _db_value(field: str, value):
    """A value as the field stores it on this database (a UUID is 32 hex characters on SQLite)."""
    return IdempotencyRecord._meta.get_field(field).get_db_prep_value(value, connection)


def _fingerprint(request) -> str:
    """SHA-256 of the method, path and body, without the key and the CSRF token."""
    body = _body(request)
    if hasattr(body, "lists"):  # a form (QueryDict): every value of every field
        fields = {name: values for name, values in body.lists() if name not in NOT_THE_REQUEST}
    else:  # parsed JSON
        fields = {name: value for name, value in body.items() if name not in NOT_THE_REQUEST}
    files = {}
    for name, uploads in request.FILES.lists():
        files[name] = [_file_digest(upload) for upload in uploads]
    canonical = json.dumps(
        [request.method, request.path, fields, files], sort_keys=True, cls=JSONEncoder, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _file_digest(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _queued_messages(request) -> list:
    """The flash messages added during this request (Django's storage keeps them in `_queued_messages`)."""
    return getattr(getattr(request, "_messages", None), "_queued_messages", [])


def _result(request, response, queued: int) -> dict | None:
    """What a resend gets: the redirect and its messages, or the API's successful answer; None if the
    answer does not mean "done" (a form with errors, a refusal) and so must not be replayed."""
    if isinstance(response, Response):
        if not 200 <= response.status_code < 300:
            return None
        return {
            "status": response.status_code,
            "data": json.loads(json.dumps(response.data, cls=JSONEncoder)),
            # The version the write produced: a resend after a lost answer can still send If-Match next.
            "etag": response.get("ETag", ""),
        }
    if isinstance(response, JsonResponse):  # a page's action sent by the offline outbox (tickets/answers.py)
        if not 200 <= response.status_code < 300:
            return None
        return {"json_status": response.status_code, "json": json.loads(response.content)}
    if response.status_code in REDIRECTS:
        added = _queued_messages(request)[queued:]
        return {
            "redirect": response["Location"],
            "messages": [[message.level, str(message.message), message.extra_tags] for message in added],
        }
    return None


def _replay(request, result: dict):
    if "status" in result:
        replayed = Response(result["data"], status=result["status"])
        if result.get("etag"):
            replayed["ETag"] = result["etag"]
        return replayed
    if "json" in result:
        return JsonResponse(result["json"], status=result["json_status"])
    for level, text, tags in result["messages"]:
        messages.add_message(request, level, text, extra_tags=tags)
    return redirect(result["redirect"])


def _refuse(request, message: str, *, status: int) -> HttpResponse:
    if isinstance(request, Request):
        return error_response(
            message, code="idempotency_key_reused" if status == 409 else "invalid", status_code=status
        )
    back = request.headers.get("Referer")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = None
    return render(request, "idempotency_refused.html", {"message": message, "back": back}, status=status)
