"""WeChat Official Account template messages (issue #17 item 5), against a local fake of the WeChat API
(a real socket): the customer who opens the channel from the account's menu is recorded as its follower
when they sign in, and each step's message then also reaches their WeChat with the link into the channel;
an expired access token is fetched again; a refused message is retried by the outbox."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import Role
from customers.models import Customer
from notifications.models import Delivery
from notifications.tasks import retry_deliveries
from portal.services import issue_ticket_link
from tests.customers.factories import UnitFactory
from tests.fake_http import JsonHandler, serving
from tests.portal.conftest import PHONE, sign_in
from tickets.services import CallDetails, log_call

pytestmark = pytest.mark.django_db

APP_ID, SECRET, TEMPLATE = "wx0123456789abcdef", "app-secret", "TPL-service-progress"
OPENID = "oWx_follower_0001"


class FakeWeChat(JsonHandler):
    """The three calls of the WeChat API the backend makes; tokens T1, T2… in the order asked for."""

    tokens: list[str] = []
    expired: set[str] = set()
    messages: list[tuple[str, dict]] = []  # (the access token used, the template message)
    refuse = False

    def do_GET(self):
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/cgi-bin/token":
            if (query.get("appid"), query.get("secret")) != (APP_ID, SECRET):
                return self.answer_json({"errcode": 40013, "errmsg": "invalid appid"})
            FakeWeChat.tokens.append(f"T{len(FakeWeChat.tokens) + 1}")
            return self.answer_json({"access_token": FakeWeChat.tokens[-1], "expires_in": 7200})
        if url.path == "/sns/oauth2/access_token":
            if query.get("code") == "menu-code" and query.get("appid") == APP_ID:
                return self.answer_json({"access_token": "web", "expires_in": 7200, "openid": OPENID})
            return self.answer_json({"errcode": 40029, "errmsg": "invalid code"})
        self.send_error(404)

    def do_POST(self):
        url = urlsplit(self.path)
        token = parse_qs(url.query).get("access_token", [""])[0]
        body = self.read_json()
        if url.path != "/cgi-bin/message/template/send":
            return self.send_error(404)
        if token in FakeWeChat.expired or token not in FakeWeChat.tokens:
            return self.answer_json({"errcode": 42001, "errmsg": "access_token expired"})
        if FakeWeChat.refuse:
            return self.answer_json({"errcode": 43004, "errmsg": "require subscribe"})
        FakeWeChat.messages.append((token, body))
        return self.answer_json({"errcode": 0, "errmsg": "ok", "msgid": len(FakeWeChat.messages)})


@pytest.fixture
def wechat(settings, sms):
    FakeWeChat.tokens, FakeWeChat.expired, FakeWeChat.messages, FakeWeChat.refuse = [], set(), [], False
    with serving(FakeWeChat) as base_url:
        settings.WECHAT_BACKEND = "notifications.wechat.OfficialAccountBackend"
        settings.WECHAT_API_BASE = base_url
        settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET = APP_ID, SECRET
        settings.WECHAT_TEMPLATE_ID, settings.WECHAT_TEMPLATE_FIELD = TEMPLATE, "first"
        cache.clear()
        yield FakeWeChat


@pytest.fixture
def follower(customer):
    Customer.objects.filter(pk=customer.pk).update(wechat_openid=OPENID)
    customer.refresh_from_db()
    return customer


def log_a_call(customer, persona):
    return log_call(
        user=persona(Role.DISPATCHER),
        unit=UnitFactory(owner=customer),
        details=CallDetails(fault_category="", fault_description="空调不制冷"),
    )


def test_a_customer_from_the_menu_is_recorded_and_gets_each_step_on_wechat(
    client, sms, wechat, customer, persona, settings
):
    response = client.get("/p/wechat/?code=menu-code&state=menu")
    assert response.status_code == 302 and response.url == "/p/"
    sign_in(client, sms)
    customer.refresh_from_db()
    assert customer.wechat_openid == OPENID
    assert wechat.messages == []  # the sign-in code went by SMS only

    ticket = log_a_call(customer, persona)
    retry_deliveries.run()
    [(token, message)] = wechat.messages
    assert (token, message["touser"], message["template_id"]) == ("T1", OPENID, TEMPLATE)
    assert f"您的报修已受理(工单 {ticket.number}" in message["data"]["first"]["value"]
    sms_link = [text for to, text in sms if to == PHONE][-1].splitlines()[-1]
    assert message["url"] == sms_link and message["url"].startswith(settings.SITE_URL + "/p/l/")
    assert client.post(urlsplit(message["url"]).path).url == f"/p/t/{ticket.pk}/"
    assert set(
        Delivery.objects.filter(notification__kind="ticket_logged").values_list("status", flat=True)
    ) == {"sent"}


def test_an_expired_token_is_fetched_again_and_the_message_sent(wechat, follower, persona):
    wechat.tokens.append("T1")
    cache.set(f"wechat:access-token:{APP_ID}", "T1", 3600)
    wechat.expired.add("T1")  # another server fetched a newer token, or it ran out
    log_a_call(follower, persona)
    retry_deliveries.run()
    assert [token for token, _ in wechat.messages] == ["T2"]
    assert Delivery.objects.get(channel="wechat").status == "sent"
    log_a_call(follower, persona)
    retry_deliveries.run()
    assert [token for token, _ in wechat.messages] == ["T2", "T2"]  # the new token is kept


def test_a_refused_message_is_retried_by_the_outbox(wechat, follower, persona, sms):
    wechat.refuse = True
    log_a_call(follower, persona)
    retry_deliveries.run()
    delivery = Delivery.objects.get(channel="wechat")
    assert (delivery.status, delivery.attempts) == ("pending", 1) and "43004" in delivery.last_error
    assert Delivery.objects.get(channel="sms").status == "sent" and sms  # the SMS did not wait
    assert delivery.notification.link  # kept for the retry

    wechat.refuse = False
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    retry_deliveries.run()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2) and len(wechat.messages) == 1
    delivery.notification.refresh_from_db()
    assert delivery.notification.link == ""  # the single-use link is forgotten once both went


def test_a_code_wechat_refuses_still_opens_the_channel_without_a_follower(client, sms, wechat, customer):
    response = client.get("/p/wechat/?code=forged&next=/p/register/")
    assert response.status_code == 302 and response.url == "/p/register/"
    sign_in(client, sms)
    customer.refresh_from_db()
    assert customer.wechat_openid == ""


def test_the_channel_is_off_without_the_setting(client, sms, follower, persona, settings):
    settings.WECHAT_BACKEND = ""
    assert client.get("/p/wechat/?code=menu-code").status_code == 302
    log_a_call(follower, persona)
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["sms"]


def test_a_texted_link_opened_from_wechat_records_the_follower(client, wechat, customer, own_ticket):
    client.get("/p/wechat/?code=menu-code&next=/p/")
    assert client.post(issue_ticket_link(ticket=own_ticket, purpose="test")).status_code == 302
    customer.refresh_from_db()
    assert customer.wechat_openid == OPENID
