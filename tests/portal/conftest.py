from __future__ import annotations

import re

import pytest

from notifications.tasks import retry_deliveries
from tests.customers.factories import CustomerFactory, UnitFactory
from tests.surveys.factories import RecordingSms
from tests.tickets.factories import TicketFactory

PHONE = "13812345678"
OTHER_PHONE = "13987654321"


@pytest.fixture
def sms(settings):
    """The SMS the worker sent (phone, text), newest last."""
    settings.SMS_BACKEND = "tests.surveys.factories.RecordingSms"
    RecordingSms.sent.clear()
    return RecordingSms.sent


def texted_code(sms, phone: str = PHONE) -> str:
    """Send what is queued, then read the code from the last SMS to the phone."""
    retry_deliveries.run()
    texts = [text for to, text in sms if to == phone]
    assert texts, f"no SMS to {phone}"
    return re.search(r"^(\d{6})$", texts[-1], re.MULTILINE).group(1)


@pytest.fixture
def customer(branch_a):
    return CustomerFactory(branch=branch_a, name="王芳", phone__number=PHONE)


@pytest.fixture
def other_customer(branch_a):
    return CustomerFactory(branch=branch_a, name="李强", phone__number=OTHER_PHONE)


@pytest.fixture
def own_ticket(customer):
    return TicketFactory(unit=UnitFactory(owner=customer), fault_description="冰箱不制冷")


@pytest.fixture
def others_ticket(other_customer):
    return TicketFactory(unit=UnitFactory(owner=other_customer), fault_description="洗衣机漏水")


def sign_in(client, sms, phone: str = PHONE) -> None:
    """The whole code flow, as the customer does it."""
    response = client.post("/p/login/", {"phone": phone})
    assert response.status_code == 302, response.content.decode()
    response = client.post("/p/login/code/", {"code": texted_code(sms, phone)})
    assert response.status_code == 302 and response.url == "/p/"
