"""缺货登记 (§5 第三十三~三十六条) and the postage of warranty parts (§1-3.6.3)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from aftersales.errors import UserError
from notifications.models import Notification
from parts.models import Backorder
from parts.services import (
    ReceiptLine,
    approve_postage,
    confirm_backorder,
    notify_backorder_customer,
    order_backorder,
    receive_parts,
    record_backorder_contact,
    record_postage,
    register_backorder,
)
from parts.tasks import backorder_contact_reminders
from tests.customers.factories import CustomerFactory


@pytest.fixture
def customer(branch_a):
    return CustomerFactory(branch=branch_a)


@pytest.fixture
def backorder(dispatcher, customer, part):
    return register_backorder(user=dispatcher, customer=customer, part=part, quantity=1)


@pytest.mark.django_db
class TestBackorders:
    def test_the_customer_confirms_before_the_part_is_transferred(self, backorder, dispatcher):
        with pytest.raises(UserError, match="调货前必须再次联系客户确认"):
            order_backorder(backorder_id=backorder.pk, user=dispatcher, expected_on=timezone.localdate())
        confirm_backorder(backorder_id=backorder.pk, user=dispatcher)
        ordered = order_backorder(
            backorder_id=backorder.pk, user=dispatcher, expected_on=timezone.localdate()
        )
        assert ordered.state == Backorder.State.ORDERED

    def test_a_receipt_of_the_part_marks_it_arrived_and_tells_the_dispatchers(
        self, backorder, dispatcher, keeper, store, part
    ):
        receive_parts(user=keeper, warehouse=store, lines=[ReceiptLine(part, 2)])
        backorder.refresh_from_db()
        assert backorder.state == Backorder.State.ARRIVED and backorder.arrived_at
        message = Notification.objects.get(recipient=dispatcher, kind="parts_backorder")
        assert "缺货已到" in message.subject and backorder.customer.name in message.subject
        notified = notify_backorder_customer(backorder_id=backorder.pk, user=dispatcher)
        assert notified.state == Backorder.State.NOTIFIED

    def test_a_week_without_contact_reminds_the_dispatchers_once_per_week(self, backorder, dispatcher):
        assert backorder_contact_reminders() == 0
        Backorder.objects.filter(pk=backorder.pk).update(
            last_contacted_at=timezone.now() - datetime.timedelta(days=7, minutes=1)
        )
        assert backorder_contact_reminders() == 1
        assert backorder_contact_reminders() == 0  # run twice: sent once
        record_backorder_contact(backorder_id=backorder.pk, user=dispatcher, note="客户同意继续等待")
        assert backorder_contact_reminders() == 0

    def test_the_dispatcher_registers_on_the_page_by_phone(self, client, dispatcher, customer, part):
        client.force_login(dispatcher)
        phone = customer.phones.get().number
        response = client.post(
            reverse("parts:backorders"),
            {"customer_phone": phone, "part": part.code, "quantity": 1},
            follow=True,
        )
        assert "已登记缺货" in response.content.decode()
        assert Backorder.objects.get().customer == customer
        page = client.post(
            reverse("parts:backorders"), {"customer_phone": "13000000000", "part": part.code, "quantity": 1}
        ).content.decode()
        assert "没有电话为 13000000000 的客户" in page


@pytest.mark.django_db
class TestPostage:
    def test_the_handler_records_and_a_leader_other_than_the_handler_signs(self, technician, supervisor):
        record = record_postage(
            user=technician,
            description="旧件寄回供应商",
            carrier="顺丰速运",
            amount=Decimal("23.00"),
            shipped_on=timezone.localdate(),
        )
        with pytest.raises(PermissionDenied, match="服务主任或经理签字"):
            approve_postage(record_id=record.pk, user=technician)
        signed = approve_postage(record_id=record.pk, user=supervisor)
        assert signed.approved_by == supervisor and signed.approved_at

    def test_a_leader_cannot_sign_postage_they_handled(self, supervisor):
        record = record_postage(
            user=supervisor,
            description="压缩机发往服务站",
            carrier="德邦",
            amount=Decimal("68"),
            shipped_on=timezone.localdate(),
        )
        with pytest.raises(PermissionDenied, match="经手人不能为自己经手的运费签字"):
            approve_postage(record_id=record.pk, user=supervisor)

    def test_the_postage_page_records_and_lists(self, client, persona):
        keeper = persona(Role.WAREHOUSE)
        client.force_login(keeper)
        response = client.post(
            reverse("parts:postage"),
            {"description": "保修件", "carrier": "顺丰", "amount": "12.50", "shipped_on": "2026-11-20"},
            follow=True,
        )
        page = response.content.decode()
        assert "已登记运费" in page and "¥12.50" in page and "待领导签字" in page
