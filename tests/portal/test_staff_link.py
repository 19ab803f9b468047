"""Staff text the customer a sign-in link to a ticket from its page (issue #17): the SMS carries a link that
opens that ticket in the channel without a code; the ticket's history says who sent it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from accounts.models import Role
from notifications.tasks import retry_deliveries
from tests.portal.conftest import PHONE

pytestmark = pytest.mark.django_db


def test_the_desk_texts_a_link_that_opens_the_ticket(client, sms, customer, own_ticket, persona):
    desk = persona(Role.DISPATCHER)
    client.force_login(desk)
    page = client.get(f"/tickets/{own_ticket.pk}/").content.decode()
    assert 'data-testid="send-portal-link"' in page
    response = client.post(f"/p/staff/tickets/{own_ticket.pk}/send-link/", follow=True)
    assert f"已向 {PHONE} 发送登录链接" in response.content.decode()
    assert "发送客户自助服务链接" in response.content.decode()  # in the ticket's history
    event = own_ticket.events.get(action="portal_link")
    assert event.actor == desk
    retry_deliveries.run()
    [(phone, text)] = [(to, text) for to, text in sms if "/p/l/" in text]
    assert phone == PHONE and own_ticket.number in text
    path = urlsplit(text.splitlines()[-1]).path
    client.logout()
    assert client.post(path).url == f"/p/t/{own_ticket.pk}/"
    assert own_ticket.number in client.get(f"/p/t/{own_ticket.pk}/").content.decode()


def test_a_customer_without_a_mobile_is_said_so(client, sms, customer, own_ticket, persona):
    customer.phones.update(number="02161234567")
    client.force_login(persona(Role.SUPERVISOR))
    response = client.post(f"/p/staff/tickets/{own_ticket.pk}/send-link/", follow=True)
    assert "客户没有登记手机号" in response.content.decode()
    assert (
        not own_ticket.portal_links.exists() and not own_ticket.events.filter(action="portal_link").exists()
    )


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.WAREHOUSE, Role.FINANCE])
def test_other_roles_may_not(client, customer, own_ticket, persona, role):
    client.force_login(persona(role))
    assert client.post(f"/p/staff/tickets/{own_ticket.pk}/send-link/").status_code == 403
    assert 'data-testid="send-portal-link"' not in client.get(f"/tickets/{own_ticket.pk}/").content.decode()


def test_an_english_desk_still_texts_the_customer_in_chinese(client, sms, customer, own_ticket, persona):
    """The customer reads Chinese whatever language the sender works in; the history row is the Chinese
    record and reads in English for the English reader."""
    client.force_login(persona(Role.DISPATCHER))
    client.cookies["django_language"] = "en"
    page = client.post(f"/p/staff/tickets/{own_ticket.pk}/send-link/", follow=True).content.decode()
    retry_deliveries.run()
    [text] = [text for _to, text in sms if "/p/l/" in text]
    assert "点击查看您的报修" in text and "Follow" not in text
    assert own_ticket.events.get(action="portal_link").note == f"已发送至 {PHONE}"
    assert f"Sent to {PHONE}" in page
