"""The customer list, and editing a customer's phones and address and a unit's details (issue #16)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerChange
from customers.phones import format_phone
from tests.customers.factories import CustomerFactory, CustomerPhoneFactory, UnitFactory
from tests.tickets.factories import TicketFactory
from tickets import sla_services

pytestmark = pytest.mark.django_db


def edit_data(customer, **overrides) -> dict:
    data = {
        "name": customer.name,
        "kind": customer.kind,
        "phones": "\n".join(customer.phones.values_list("number", flat=True)),
        "contact_person": customer.contact_person,
        "address": customer.address,
        "service_zone": customer.service_zone,
        "distance_km": str(customer.distance_km),
        "notes": customer.notes,
    }
    data.update(overrides)
    return data


class TestCustomerList:
    def test_search_by_phone_in_any_form_name_or_serial(self, client, dispatcher, branch_a, branch_b):
        zhang = CustomerFactory(name="张伟", branch=branch_a, phone__number="13912345678")
        UnitFactory(owner=zhang, serial_number="KFR2026X1")
        CustomerFactory(name="李娜", branch=branch_a)
        CustomerFactory(name="张伟明", branch=branch_b)  # another branch: not the dispatcher's
        client.force_login(dispatcher)
        url = reverse("customers:list")
        for query in ("139 1234 5678", "张伟", "KFR2026"):
            page = client.get(url, {"q": query}).content.decode()
            assert "张伟" in page and "李娜" not in page and "张伟明" not in page, query
        page = client.get(url).content.decode()
        assert "张伟" in page and "李娜" in page and "张伟明" not in page
        assert format_phone("13912345678") in page

    def test_constant_queries_whatever_the_length(self, client, dispatcher, branch_a):
        client.force_login(dispatcher)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("customers:list")).status_code == 200
            return len(queries)

        for _ in range(2):
            UnitFactory(owner=CustomerFactory(branch=branch_a))
        few = count()
        for _ in range(20):
            customer = CustomerFactory(branch=branch_a)
            CustomerPhoneFactory(customer=customer)
            UnitFactory(owner=customer)
            UnitFactory(owner=customer)
        assert count() == few

    def test_the_ticket_list_leads_to_it(self, client, dispatcher):
        client.force_login(dispatcher)
        assert reverse("customers:list") in client.get(reverse("tickets:list")).content.decode()


class TestEditCustomer:
    def test_phones_and_address_change_with_a_history_row(self, client, dispatcher, branch_a):
        customer = CustomerFactory(branch=branch_a, phone__number="13912345678", address="上海市徐汇区 1 号")
        client.force_login(dispatcher)
        response = client.post(
            reverse("customers:edit", args=[customer.pk]),
            edit_data(customer, phones="139 1234 5678\n021-6123 4567", address="上海市静安区 2 号"),
            follow=True,
        )
        page = response.content.decode()
        assert "客户资料已保存" in page
        assert list(customer.phones.values_list("number", flat=True)) == ["13912345678", "02161234567"]
        customer.refresh_from_db()
        assert customer.address == "上海市静安区 2 号"
        change = CustomerChange.objects.get(customer=customer)
        assert change.actor == dispatcher
        by_field = {item["field"]: (item["before"], item["after"]) for item in change.changes}
        assert by_field["address"] == ("上海市徐汇区 1 号", "上海市静安区 2 号")
        assert by_field["phones"][1].count("/") == 1 and set(by_field) == {"address", "phones"}
        assert 'data-testid="customer-changes"' in page and "上海市静安区 2 号" in page

    def test_a_bad_phone_is_refused_naming_the_line_and_nothing_changes(self, client, dispatcher, branch_a):
        customer = CustomerFactory(branch=branch_a, phone__number="13912345678")
        client.force_login(dispatcher)
        response = client.post(
            reverse("customers:edit", args=[customer.pk]),
            edit_data(customer, phones="13912345678\n12345", address="新地址"),
        )
        page = response.content.decode()
        assert response.status_code == 200 and "第 2 行“12345”不是有效的电话" in page
        customer.refresh_from_db()
        assert customer.address != "新地址" and not CustomerChange.objects.exists()

    def test_no_phone_at_all_is_refused(self, client, dispatcher, branch_a):
        customer = CustomerFactory(branch=branch_a)
        client.force_login(dispatcher)
        response = client.post(
            reverse("customers:edit", args=[customer.pk]), edit_data(customer, phones=" \n ")
        )
        assert "请至少填写一个联系电话" in response.content.decode()
        assert customer.phones.exists()

    def test_saving_unchanged_writes_no_history(self, client, supervisor, branch_a):
        customer = CustomerFactory(branch=branch_a)
        client.force_login(supervisor)
        response = client.post(
            reverse("customers:edit", args=[customer.pk]), edit_data(customer), follow=True
        )
        assert "没有修改任何内容" in response.content.decode()
        assert not CustomerChange.objects.exists()

    def test_a_new_zone_moves_the_open_tickets_deadline(self, client, dispatcher, branch_a):
        ticket = TicketFactory(unit__owner__branch=branch_a, unit__owner__service_zone="city")
        sla_services.set_deadlines(ticket, ticket.reported_at)
        ticket.refresh_from_db()
        before = ticket.due_at
        client.force_login(dispatcher)
        client.post(
            reverse("customers:edit", args=[ticket.customer_id]),
            edit_data(ticket.customer, service_zone="remote", distance_km="150"),
        )
        ticket.refresh_from_db()
        assert ticket.due_at != before
        change = CustomerChange.objects.get()
        assert {item["field"] for item in change.changes} == {"service_zone", "distance_km"}

    def test_who_may_edit(self, client, technician, persona, branch_a, branch_b):
        customer = CustomerFactory(branch=branch_a)
        url = reverse("customers:edit", args=[customer.pk])
        client.force_login(technician)
        assert client.get(url).status_code == 403
        assert "edit-customer" not in client.get(customer.get_absolute_url()).content.decode()
        client.force_login(persona("dispatcher", branch=branch_b))
        assert client.get(url).status_code == 404


class TestEditUnit:
    def test_purchase_proof_is_corrected_with_a_history_row_on_both_pages(self, client, dispatcher, branch_a):
        unit = UnitFactory(owner__branch=branch_a, purchase_place="")
        client.force_login(dispatcher)
        day = timezone.localdate() - datetime.timedelta(days=30)
        response = client.post(
            reverse("customers:unit_edit", args=[unit.pk]),
            {"purchase_date": day.isoformat(), "purchase_place": "国美徐家汇店", "sales_channel": "direct"},
            follow=True,
        )
        page = response.content.decode()
        assert "产品资料已保存" in page and "国美徐家汇店" in page
        unit.refresh_from_db()
        assert unit.purchase_date == day and unit.purchase_place == "国美徐家汇店"
        change = CustomerChange.objects.get(unit=unit)
        assert change.customer == unit.owner
        assert unit.serial_number in client.get(unit.owner.get_absolute_url()).content.decode()

    def test_a_purchase_date_in_the_future_is_refused(self, client, dispatcher, branch_a):
        unit = UnitFactory(owner__branch=branch_a)
        client.force_login(dispatcher)
        response = client.post(
            reverse("customers:unit_edit", args=[unit.pk]),
            {"purchase_date": "9999-12-31", "purchase_place": "x", "sales_channel": "direct"},
        )
        assert "购买日期不能晚于报修日期" in response.content.decode()
        assert not CustomerChange.objects.exists()

    def test_the_edit_form_opens_with_the_purchase_date_in_chinese(self, client, dispatcher, branch_a):
        """zh-hans formats dates 2026/10/14, which `<input type="date">` drops: the form opened blank and
        saving it unchanged erased the purchase date (the warranty then counted from nothing)."""
        unit = UnitFactory(owner__branch=branch_a, purchase_date=datetime.date(2026, 10, 14))
        client.force_login(dispatcher)
        page = client.get(reverse("customers:unit_edit", args=[unit.pk])).content.decode()
        assert 'type="date" name="purchase_date" value="2026-10-14"' in page
