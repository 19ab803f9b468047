"""One write per intent (issue #14), over every write URL the resolver knows.

- Every URL that accepts a POST (found by posting to it, as in test_csrf.py) or an API write is guarded by
  `@idempotent`, or is named in NOT_GUARDED with the reason: a new write URL without the mechanism fails here.
- Each guarded URL, sent twice with one key, writes once (PostgreSQL's own counters of the rows this
  transaction inserted, updated or deleted) and answers the same; the same key with another body is refused.
- The double taps users found on main, as the user makes them: the form read from the page, sent twice.
Two requests at once on two connections: tests/accounts/test_idempotency.py (the mechanism is one)."""

from __future__ import annotations

import uuid

import lxml.html
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.idempotency import REFUSED_MESSAGE
from claims.models import Claim
from parts.models import OldPart, ReceivingNote, Requisition, StockMovement
from surveys.models import Survey
from tests.security.conftest import OTHER_TECHNICIAN, ROLE_USER
from tests.security.test_access_matrix import (
    ACCESS,
    API_WRITES,
    OWN,
    _value,
    url_patterns,
)
from tests.security.test_csrf import _posts, _user_who_may_use

pytestmark = pytest.mark.django_db

# POST URLs without the mechanism, and why.
NOT_GUARDED = {
    "tickets:verdict_preview": "a read: the live verdict of the intake form, nothing is stored",
    "notifications:inbox": "a read: the inbox page answers a POST like a GET",
    "accounts:tokens": "a read: the page lists the tokens, a POST writes nothing",
    "accounts:password_change": "Django's own password form; sent twice, the old password no longer fits",
    "accounts:password_reset": "Django's reset: one e-mail per request, outside the app's writes",
    "accounts:password_reset_confirm": "Django's reset link: usable once by design",
    "api-token": "answers a new secret key, which must never be stored to be replayed",
    "api-warranty-check": "a read: the warranty verdict of the posted facts, nothing is stored",
    "portal:labels": "a read: the PDF of QR labels for the pasted serials, nothing is stored",
}
# Not written by the app: sessions (flash messages), login throttling, the key records themselves.
NOT_THE_APP = ("django_session", "axes_", "accounts_idempotencyrecord")


def _guarded(name: str, method: str = "post") -> bool:
    callback = dict(url_patterns())[name].callback
    cls = getattr(callback, "cls", None)
    if cls is None:
        return getattr(callback, "idempotent", False)
    handler = (getattr(callback, "actions", None) or {}).get(method, method)
    return getattr(getattr(cls, handler, None), "idempotent", False)


def test_every_url_that_accepts_a_post_and_every_api_write_is_guarded(world):
    accepts_post = {name for name in ACCESS if _posts(world, name, ACCESS[name])[1].status_code != 405}
    assert {"parts:receive", "surveys:answer", "ticket-list", "tickets:transition"} <= accepts_post
    unguarded = {name for name in accepts_post if not _guarded(name)} - NOT_GUARDED.keys()
    assert unguarded == set(), "write URLs without @idempotent: guard them or say why in NOT_GUARDED"
    for name, rule in API_WRITES.items():
        if name not in NOT_GUARDED:
            assert _guarded(name, rule.method.lower()), f"{rule.method} {name} is not guarded"
    assert NOT_GUARDED.keys() <= accepts_post, "NOT_GUARDED names a URL that takes no POST"


def _rows_written() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables")
        return sum(count for table, count in cursor.fetchall() if not table.startswith(NOT_THE_APP))


def _answer(response) -> tuple:
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    return response.status_code, response.get("Location"), messages if response.status_code == 302 else None


def _client(world, name: str) -> Client:
    client = Client()
    role = _user_who_may_use(name, ACCESS[name])
    if role:
        client.force_login(world.users[ROLE_USER[role]])
    return client


GUARDED_POSTS = sorted(
    name for name, rule in ACCESS.items() if rule.method == "POST" and name not in NOT_GUARDED
) + ["tickets:intake", "surveys:answer", "notifications:preferences"]


@pytest.mark.parametrize("name", GUARDED_POSTS)
def test_a_write_sent_twice_with_its_key_writes_once_and_answers_the_same(world, postgres, name):
    rule = ACCESS[name]
    client = _client(world, name)
    role = _user_who_may_use(name, rule)
    kwargs = {kwarg: _value(world, OWN, key, ROLE_USER.get(role)) for kwarg, key in rule.objects.items()}
    url = reverse(name, kwargs=kwargs)
    body = {
        **{field: _value(world, OWN, key, ROLE_USER.get(role)) for field, key in rule.body.items()},
        "idempotency_key": str(uuid.uuid4()),
    }
    first = client.post(url, body)
    client.cookies.pop("messages", None)  # shown by the page the redirect opened
    before = _rows_written()
    second = client.post(url, body)
    assert _rows_written() == before, "the resend wrote again"
    assert _answer(second) == _answer(first)
    if first.status_code == 302:  # a stored answer: another body with the key is refused
        refused = client.post(url, {**body, "note": "另一份内容"})
        assert refused.status_code == 409
        assert str(REFUSED_MESSAGE) in refused.content.decode()


def _form(page: str, action: str) -> dict[str, str]:
    """The fields a browser sends for the form posting to `action`: its inputs (also those outside it
    with form="its id"), the chosen or else the first real option of each select, the textareas; unchecked boxes left out."""
    tree = lxml.html.fromstring(page)
    form = next(f for f in tree.forms if f.get("action") in (action, None, ""))
    elements = list(form.iter("input", "select", "textarea"))
    if form.get("id"):
        elements += tree.xpath(f'//*[@form="{form.get("id")}"]')
    data = {}
    for element in elements:
        name = element.get("name")
        if not name or element.get("type") in ("submit", "button"):
            continue
        if element.get("type") in ("checkbox", "radio") and element.get("checked") is None:
            continue
        if element.tag == "select":
            options = element.xpath(".//option[@selected][@value!='']") or element.xpath(
                ".//option[@value!='']"
            )
            data[name] = options[0].get("value") if options else ""
        else:
            data[name] = element.value or ""
    return data


def _twice(client, url, data):
    first = client.post(url, data)
    client.cookies.pop("messages", None)
    second = client.post(url, data)
    return first, second


def test_a_double_tap_on_receive_makes_one_note_and_books_the_stock_once(world):
    keeper = Client()
    keeper.force_login(world.users["warehouse"])
    url = reverse("parts:receive")
    data = _form(keeper.get(url).content.decode(), url)
    data.update({"lines-0-part": "CMP-35", "lines-0-quantity": "10", "delivery_reference": "SD-7"})
    notes, moved = ReceivingNote.objects.count(), StockMovement.objects.count()
    first, second = _twice(keeper, url, data)
    assert first.status_code == 302, first.content.decode()
    assert _answer(first) == _answer(second)
    assert ReceivingNote.objects.count() == notes + 1
    assert StockMovement.objects.count() == moved + 1


def test_a_double_tap_on_issue_issues_once(world):
    requisition = Requisition.objects.filter(
        branch=world.own["warehouse"].branch, state=Requisition.State.APPROVED
    ).first()
    if requisition is None:
        pytest.skip("the demo has no approved requisition")
    keeper = Client()
    keeper.force_login(world.users["warehouse"])
    url = reverse("parts:requisition_issue", args=[requisition.pk])
    data = _form(keeper.get(requisition.get_absolute_url()).content.decode(), url)
    moved = StockMovement.objects.count()
    first, second = _twice(keeper, url, data)
    assert _answer(first) == _answer(second) and "已发放" in _answer(first)[2][0]
    assert (
        StockMovement.objects.count() == moved + 2 * requisition.lines.count()
    )  # out of the store, into the van


def test_a_double_tap_on_check_in_shows_the_outcome_twice(world):
    ticket = world.own["ticket_dispatched"]
    technician = Client()
    technician.force_login(ticket.technician)
    url = reverse("tickets:transition", args=[ticket.pk, "check_in"])
    data = _form(technician.get(reverse("tickets:my_jobs")).content.decode(), url)
    first, second = _twice(technician, url, data)
    assert first.status_code == 302
    assert _answer(first) == _answer(second)
    assert all(message.level_tag == "success" for message in get_messages(second.wsgi_request))


def test_a_double_tap_on_receiving_an_old_part_shows_the_outcome_twice(world):
    old_part = world.own["old_part"]
    # The demo's history may have received it already: the keeper is waiting for it again here.
    OldPart.objects.filter(pk=old_part.pk).update(
        state=OldPart.State.EXPECTED, warehouse=None, received_by=None, received_at=None
    )
    keeper = Client()
    keeper.force_login(world.users["warehouse"])
    url = reverse("parts:old_part_receive", args=[old_part.pk])
    page = keeper.get(reverse("parts:old_parts")).content.decode()
    assert f'action="{url}"' in page
    first, second = _twice(keeper, url, _form(page, url))
    assert first.status_code == 302 and _answer(first) == _answer(second)


def test_a_double_tap_on_the_survey_link_stores_one_answer_and_thanks_twice(world):
    customer = Client()
    url = reverse("surveys:answer", args=[world.own["survey_token"]])
    data = _form(customer.get(url).content.decode(), url)
    for name in ("attitude", "skill", "punctuality", "promises"):
        data.setdefault(name, "4")
    answered = Survey.objects.filter(answered_at__isnull=False).count()
    first, second = _twice(customer, url, data)
    assert first.status_code == 302, first.content.decode()
    assert _answer(first) == _answer(second)
    assert Survey.objects.filter(answered_at__isnull=False).count() == answered + 1


def test_a_claim_resent_with_other_amounts_or_on_another_ticket_is_refused(world):
    ticket = world.own["ticket_awaiting_acceptance"]
    supervisor = Client()
    supervisor.force_login(world.users["supervisor"])
    url = reverse("claims:claim_new", args=[ticket.pk])
    data = _form(supervisor.get(url).content.decode(), url)
    data.update({"kind": "cash", "amount": "300", "reason": "质量问题"})
    claims = Claim.objects.count()
    first = supervisor.post(url, data)
    assert first.status_code == 302, first.content.decode()
    other_amount = supervisor.post(url, {**data, "amount": "500"})
    other_ticket = supervisor.post(reverse("claims:claim_new", args=[world.own["ticket_accepted"].pk]), data)
    assert (other_amount.status_code, other_ticket.status_code) == (409, 409)
    assert str(REFUSED_MESSAGE) in other_amount.content.decode()
    assert Claim.objects.count() == claims + 1
    assert Claim.objects.latest("pk").amount == 300


def test_the_api_answers_a_resend_with_the_first_answer(world):
    dispatcher = Client()
    dispatcher.force_login(world.users["dispatcher"])
    ticket = world.own["ticket_reported"]
    url = reverse("ticket-transition", kwargs={"pk": ticket.pk, "name": "dispatch"})
    body = {"version": ticket.version, "technician": world.users["technician"].pk}
    key = str(uuid.uuid4())
    first = dispatcher.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    second = dispatcher.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    other = dispatcher.post(
        url, {**body, "note": "改派"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert (first.status_code, second.status_code, other.status_code) == (200, 200, 409)
    assert first.json() == second.json()
    assert OTHER_TECHNICIAN  # the world's second technician is not involved
