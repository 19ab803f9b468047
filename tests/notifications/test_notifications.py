"""Messages: stored once per key, delivered by e-mail, WeCom robot (against a local fake server) and
SMS, retried with back-off when a channel fails, and read in the inbox."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from notifications.models import ChannelPreference, Delivery, Notification
from notifications.services import notify, notify_customer
from notifications.tasks import MAX_ATTEMPTS, deliver, retry_deliveries
from tests.customers.factories import CustomerFactory
from tests.fake_http import JsonHandler, serving

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher(persona):
    user = persona(Role.DISPATCHER)
    user.email, user.phone = "wangfang@example.cn", "13900001111"
    user.save()
    return user


class FakeWeCom(JsonHandler):
    """A WeCom group robot: records each message; answers errcode 0, or 93000 when told to fail."""

    received: list[dict] = []
    fail = False

    def do_POST(self):
        FakeWeCom.received.append(self.read_json())
        self.answer_json(
            {"errcode": 93000, "errmsg": "invalid webhook url"}
            if FakeWeCom.fail
            else {"errcode": 0, "errmsg": "ok"}
        )


@pytest.fixture
def wecom(settings):
    FakeWeCom.received, FakeWeCom.fail = [], False
    with serving(FakeWeCom) as base_url:
        settings.WECOM_WEBHOOK_URL = f"{base_url}/cgi-bin/webhook/send?key=test"
        yield FakeWeCom


class BrokenSms:
    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("SMS gateway unreachable")


def send_pending() -> None:
    deliver.run(list(Delivery.objects.filter(status="pending").values_list("pk", flat=True)))


class TestSending:
    def test_a_keyed_message_is_stored_once(self, dispatcher):
        assert len(notify([dispatcher], kind="sla", subject="已超时", key="sla:1:2")) == 1
        assert notify([dispatcher, dispatcher], kind="sla", subject="已超时", key="sla:1:2") == []
        assert Notification.objects.count() == 1

    def test_inactive_users_get_nothing(self, dispatcher):
        dispatcher.is_active = False
        dispatcher.save()
        assert notify([dispatcher], kind="x", subject="s") == []

    def test_e_mail_by_default_when_the_user_has_an_address(
        self, dispatcher, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False):
            notify([dispatcher], kind="dispatch", subject="新派工 SH-1", link="/tickets/1/")
        send_pending()
        assert mail.outbox[0].to == ["wangfang@example.cn"] and mail.outbox[0].subject == "新派工 SH-1"
        assert "/tickets/1/" in mail.outbox[0].body
        assert Delivery.objects.get().status == "sent"
        assert Notification.objects.get().link == "/tickets/1/"  # an ordinary link stays

    def test_wecom_robot_gets_the_message_and_a_failure_is_retried_with_back_off(self, dispatcher, wecom):
        ChannelPreference.objects.create(user=dispatcher, email=False, wecom=True)
        notify([dispatcher], kind="sla", subject="已超时:SH-20261127-0001")
        wecom.fail = True
        send_pending()
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("pending", 1) and "93000" in delivery.last_error
        assert delivery.next_attempt_at > timezone.now()
        assert retry_deliveries.run() == 0  # not due yet
        wecom.fail = False
        Delivery.objects.update(next_attempt_at=timezone.now())
        assert retry_deliveries.run() == 1
        delivery.refresh_from_db()
        assert delivery.status == "sent" and delivery.attempts == 2
        assert wecom.received[-1]["msgtype"] == "text"
        assert "已超时:SH-20261127-0001" in wecom.received[-1]["text"]["content"]

    def test_a_channel_that_keeps_failing_is_given_up_after_the_last_attempt(self, dispatcher, settings):
        settings.WECOM_WEBHOOK_URL = ""
        ChannelPreference.objects.create(user=dispatcher, email=False, wecom=True)
        notify([dispatcher], kind="sla", subject="x")
        for _attempt in range(MAX_ATTEMPTS):
            Delivery.objects.update(next_attempt_at=timezone.now())
            retry_deliveries.run()
        delivery = Delivery.objects.get()
        assert delivery.status == "failed" and "WECOM_WEBHOOK_URL" in delivery.last_error

    def test_sms_to_a_customer_goes_through_the_pluggable_backend(self, caplog):
        customer = CustomerFactory(phone__number="13912345678")
        notification = notify_customer(
            customer, kind="pickup", text="您的空调已修好,请取件", key="pickup:1:1"
        )
        assert notification.phone == "13912345678"
        assert notify_customer(customer, kind="pickup", text="again", key="pickup:1:1") is None
        with caplog.at_level("INFO", logger="notifications.channels"):
            send_pending()
        assert "SMS to 13912345678: 您的空调已修好,请取件" in caplog.text
        assert Delivery.objects.get().status == "sent"

    def test_a_secret_link_is_kept_for_each_retry_and_forgotten_when_given_up(self, settings):
        settings.SMS_BACKEND = f"{__name__}.BrokenSms"
        customer = CustomerFactory(phone__number="13912345678")
        notify_customer(customer, kind="survey_link", text="请评价:", secret_link="/surveys/s/abc/")
        for _attempt in range(MAX_ATTEMPTS):
            assert Notification.objects.get().link == "/surveys/s/abc/"
            Delivery.objects.update(next_attempt_at=timezone.now())
            retry_deliveries.run()
        assert Delivery.objects.get().status == "failed"
        assert Notification.objects.get().link == ""

    def test_a_customer_with_only_a_landline_gets_no_sms(self):
        customer = CustomerFactory(phone__number="02164001234")
        assert notify_customer(customer, kind="pickup", text="x") is None


class TestInbox:
    def test_unread_count_open_marks_read_and_follows_the_link(self, client, dispatcher):
        notify([dispatcher], kind="sla", subject="已超时:SH-1", link="/tickets/")
        notify([dispatcher], kind="sla", subject="即将超时:SH-2")
        client.force_login(dispatcher)
        home = client.get(reverse("home")).content.decode()
        assert 'data-testid="unread-count">2<' in home
        first = Notification.objects.get(subject="已超时:SH-1")
        response = client.post(reverse("notifications:open", args=[first.pk]))
        assert response.status_code == 302 and response["Location"] == "/tickets/"
        assert 'data-testid="unread-count">1<' in client.get(reverse("home")).content.decode()
        client.post(reverse("notifications:mark_all_read"))
        assert "unread-count" not in client.get(reverse("home")).content.decode()

    def test_an_outside_link_is_not_followed(self, client, dispatcher):
        (message,) = notify([dispatcher], kind="x", subject="s", link="https://evil.example/")
        client.force_login(dispatcher)
        assert client.post(reverse("notifications:open", args=[message.pk]))["Location"] == reverse(
            "notifications:inbox"
        )

    def test_someone_elses_message_does_not_exist(self, client, dispatcher, persona):
        (message,) = notify([dispatcher], kind="x", subject="s")
        client.force_login(persona(Role.TECHNICIAN))
        assert client.post(reverse("notifications:open", args=[message.pk])).status_code == 404

    def test_the_inbox_runs_the_same_queries_for_2_and_for_25_messages(
        self, client, dispatcher, django_assert_max_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(dispatcher)
        for index in range(2):
            notify([dispatcher], kind="x", subject=f"m{index}")
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("notifications:inbox"))
        for index in range(23):
            notify([dispatcher], kind="x", subject=f"n{index}")
        with CaptureQueriesContext(connection) as many:
            assert "n22" in client.get(reverse("notifications:inbox")).content.decode()
        assert len(few) == len(many)

    def test_the_unread_filter_stays_on_through_the_pages(self, client, dispatcher):
        for index in range(26):
            notify([dispatcher], kind="x", subject=f"m{index}")
        client.force_login(dispatcher)
        first = client.get(reverse("notifications:inbox"), {"unread": "1"}).content.decode()
        assert "第 1 / 2 页" in first and 'href="?unread=1&amp;page=2"' in first
        second = client.get(reverse("notifications:inbox"), {"unread": "1", "page": "2"}).content.decode()
        assert "第 2 / 2 页" in second and 'href="?unread=1&amp;page=1"' in second
        Notification.objects.filter(subject__in=["m0", "m1"]).update(read_at=timezone.now())
        assert (
            "pagination" not in client.get(reverse("notifications:inbox"), {"unread": "1"}).content.decode()
        )

    def test_empty_inbox_and_preferences(self, client, dispatcher):
        client.force_login(dispatcher)
        assert "还没有消息" in client.get(reverse("notifications:inbox")).content.decode()
        client.post(reverse("notifications:preferences"), {"wecom": "on", "sms": "on"})
        preference = ChannelPreference.objects.get(user=dispatcher)
        assert preference.channels() == ["wecom", "sms"]
