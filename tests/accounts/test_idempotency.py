"""One write per intent (issue #14): the mechanism of accounts/idempotency.py on two tiny views — a page
that redirects with a message and an API operation — through the client and the real PostgreSQL."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Branch, IdempotencyRecord, Role
from accounts.tasks import purge_idempotency_records
from tests.accounts.factories import UserFactory
from tests.concurrency import race
from tests.tickets.factories import ServiceReportFactory
from tickets.models import ServiceReportPart

pytestmark = pytest.mark.urls("tests.accounts.idempotency_urls")
REFUSED = "该操作已用不同的内容提交过,请刷新页面后重新填写。"


@pytest.fixture
def client(db):
    client = Client()
    client.force_login(UserFactory(username="keeper"))
    return client


def _flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_every_rendered_form_gets_its_own_key(client):
    page = client.get("/form/").content.decode()
    keys = re.findall(r'<input type="hidden" name="idempotency_key" value="([0-9a-f-]{36})">', page)
    assert len(set(keys)) == 2
    assert keys != re.findall(r'value="([0-9a-f-]{36})"', client.get("/form/").content.decode())


def test_a_double_tap_writes_once_and_answers_the_same(client):
    data = {"code": "SX", "idempotency_key": str(uuid.uuid4())}
    first = client.post("/branches/", data)
    client.cookies.pop("messages", None)  # shown by the page the redirect opened
    second = client.post("/branches/", {**data, "csrfmiddlewaretoken": "another"})
    assert Branch.objects.filter(code="SX").count() == 1
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert _flash(first) == _flash(second) == ["网点 SX 已添加。"]


def test_the_same_key_with_another_body_is_refused_on_the_page(client):
    key = str(uuid.uuid4())
    client.post("/branches/", {"code": "SX", "idempotency_key": key})
    refused = client.post("/branches/", {"code": "SY", "idempotency_key": key}, HTTP_REFERER="/form/")
    assert refused.status_code == 409
    assert REFUSED in refused.content.decode()
    assert 'href="/form/"' in refused.content.decode()
    assert not Branch.objects.filter(code="SY").exists()


def test_a_key_of_another_user_is_refused(client):
    key = str(uuid.uuid4())
    client.post("/branches/", {"code": "SX", "idempotency_key": key})
    other = Client()
    other.force_login(UserFactory(username="other"))
    refused = other.post("/branches/", {"code": "SX", "idempotency_key": key})
    assert refused.status_code == 409
    assert REFUSED in refused.content.decode()


def test_a_form_shown_again_with_errors_keeps_no_record_so_the_corrected_form_goes_through(client):
    key = str(uuid.uuid4())
    assert client.post("/branches/", {"code": "sx", "idempotency_key": key}).status_code == 200
    assert client.post("/branches/", {"code": "SX", "idempotency_key": key}).status_code == 302
    assert Branch.objects.filter(code="SX").count() == 1


def test_without_a_key_the_write_still_works_once(client):
    assert client.post("/branches/", {"code": "SX"}).status_code == 302
    assert Branch.objects.filter(code="SX").count() == 1
    assert not IdempotencyRecord.objects.exists()


def test_a_key_that_is_not_a_uuid_is_refused_with_a_message(client):
    refused = client.post("/branches/", {"code": "SX", "idempotency_key": "twice"})
    assert refused.status_code == 400
    assert "提交标识无效,请刷新页面后重新提交。" in refused.content.decode()
    assert not Branch.objects.filter(code="SX").exists()


def test_the_api_replays_the_first_answer_and_refuses_another_body_with_409(client):
    key = str(uuid.uuid4())
    first = client.post(
        "/api/branches/", {"code": "SX"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    again = client.post(
        "/api/branches/", {"code": "SX"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    other = client.post(
        "/api/branches/", {"code": "SY"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 409)
    assert first.json() == again.json()
    assert other.json()["message"] == REFUSED and other.json()["code"] == "idempotency_key_reused"
    assert Branch.objects.filter(code__in=["SX", "SY"]).count() == 1


def test_old_records_are_purged_by_the_daily_task(client, settings):
    settings.IDEMPOTENCY_KEY_DAYS = 7
    client.post("/branches/", {"code": "SX", "idempotency_key": str(uuid.uuid4())})
    client.post("/branches/", {"code": "SY", "idempotency_key": str(uuid.uuid4())})
    IdempotencyRecord.objects.filter(pk=IdempotencyRecord.objects.order_by("pk").first().pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    assert purge_idempotency_records() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "url, body, kwargs",
    [
        ("/branches/", {"code": "SX"}, {}),
        ("/api/branches/", {"code": "SX"}, {"content_type": "application/json"}),
    ],
)
def test_two_requests_with_one_key_at_once_write_once_and_both_get_the_answer(postgres, url, body, kwargs):
    user = UserFactory(username="keeper")
    key = str(uuid.uuid4())

    def send():
        client = Client()
        client.force_login(user)
        if "content_type" in kwargs:
            return client.post(url, body, HTTP_IDEMPOTENCY_KEY=key, **kwargs)
        return client.post(url, {**body, "idempotency_key": key})

    first, second = race(send, send)
    assert Branch.objects.filter(code="SX").count() == 1
    assert first.status_code == second.status_code and first.status_code in (201, 302)
    assert first.content == second.content
    assert first.get("Location") == second.get("Location")


@pytest.mark.django_db
def test_the_outbox_resending_an_action_gets_the_first_json_answer_and_writes_once(client, persona, branch_a):
    """The offline outbox asks for JSON; a resend after a lost answer must not add a second part line."""
    technician = persona(Role.TECHNICIAN)
    ticket = ServiceReportFactory(ticket__unit__owner__branch=branch_a, ticket__technician=technician).ticket
    client.force_login(technician)
    url = reverse("tickets:report_add_part", args=[ticket.pk])
    body = {"idempotency_key": str(uuid.uuid4()), "part_name": "压缩机", "quantity": "1"}
    first = client.post(url, body, headers={"accept": "application/json"})
    again = client.post(url, body, headers={"accept": "application/json"})
    assert first.status_code == again.status_code == 200, first.content
    assert first.json() == again.json() and first.json()["ok"] is True
    assert ServiceReportPart.objects.filter(report__ticket=ticket).count() == 1
