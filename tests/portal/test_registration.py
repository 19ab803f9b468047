"""Product registration in the customer's channel (issue #17 item 2): the customer registers a unit with
the invoice's photo; the dispatcher or supervisor of the unit's branch confirms it from a queue showing
the photo, and the unit's warranty then counts from the confirmed purchase date (with a history row on the
customer's file); a rejected registration changes nothing. QR labels for a batch of serials open each
unit's page in the channel."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from customers.models import CustomerChange, Unit
from portal.models import ProductRegistration
from portal.selectors import verdict_now
from tests.customers.factories import UnitFactory
from tests.portal.conftest import OTHER_PHONE, sign_in

pytestmark = pytest.mark.django_db

Status = ProductRegistration.Status


def invoice(name="invoice.jpg", size=(2400, 1800)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (240, 240, 230)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def old_unit(customer):
    """On file with a purchase date three years back: out of its warranty today."""
    return UnitFactory(owner=customer, serial_number="KFR35-0001", purchase_date=days_ago(3 * 365))


@pytest.fixture
def signed_in(client, sms, customer):
    sign_in(client, sms)
    return client


def register(client, serial, purchase_date, place="苏宁易购", photo=None):
    return client.post(
        "/p/register/",
        {
            "serial_number": serial,
            "purchase_date": purchase_date.isoformat(),
            "purchase_place": place,
            "invoice": photo or invoice(),
        },
    )


def test_a_confirmed_registration_moves_the_warranty_start(signed_in, old_unit, persona):
    assert verdict_now(old_unit)["remedy"] != "free_repair"
    old_end = verdict_now(old_unit)["warranty_end"]
    bought = days_ago(200)
    response = register(signed_in, " KFR35-0001 ", bought)
    assert response.status_code == 302 and response.url == "/p/"
    # The portal's base shows the flash on whichever page comes next (here the home page).
    assert "登记已提交,服务中心核对发票后会确认" in signed_in.get("/p/").content.decode()
    assert "登记已提交" not in signed_in.get("/p/").content.decode()  # once
    registration = ProductRegistration.objects.get()
    assert (registration.serial_number, registration.unit, registration.status) == (
        "KFR35-0001",
        old_unit,
        Status.PENDING,
    )
    assert max(Image.open(registration.invoice.open("rb")).size) <= 1600  # shrunk like the fault photos
    old_unit.refresh_from_db()
    assert old_unit.purchase_date == days_ago(3 * 365)  # nothing changes before the office confirms

    staff = persona(Role.DISPATCHER)
    office = Client()
    office.force_login(staff)
    queue = office.get("/p/staff/registrations/").content.decode()
    assert "KFR35-0001" in queue and f"/p/staff/registrations/{registration.pk}/invoice/" in queue
    photo = office.get(f"/p/staff/registrations/{registration.pk}/invoice/")
    assert photo.status_code == 200 and b"".join(photo.streaming_content)[:2] == b"\xff\xd8"

    confirmed = bought - datetime.timedelta(days=1)  # read on the invoice: one day earlier
    response = office.post(
        f"/p/staff/registrations/{registration.pk}/confirm/",
        {"purchase_date": confirmed.isoformat()},
        follow=True,
    )
    assert "已确认 KFR35-0001 的登记" in response.content.decode()
    assert "KFR35-0001" not in office.get("/p/staff/registrations/").content.decode()
    old_unit.refresh_from_db()
    assert old_unit.purchase_date == confirmed
    assert old_unit.purchase_place == "苏宁易购"
    assert old_unit.service_card_registered_on == timezone.localdate()
    verdict = verdict_now(old_unit)
    assert verdict["warranty_end"] != old_end
    assert verdict["remedy"] == "free_repair"
    change = CustomerChange.objects.get(unit=old_unit)
    assert change.actor == staff
    assert {
        "field": "purchase_date",
        "before": days_ago(3 * 365).isoformat(),
        "after": confirmed.isoformat(),
    } in [{key: row[key] for key in ("field", "before", "after")} for row in change.changes]
    # The customer sees it on the unit's page (where its QR label leads).
    page = signed_in.get("/p/u/KFR35-0001/").content.decode()
    assert confirmed.isoformat() in page and "已确认" in page


def test_a_rejected_registration_changes_nothing(signed_in, old_unit, persona):
    register(signed_in, "KFR35-0001", days_ago(200))
    registration = ProductRegistration.objects.get()
    before = verdict_now(old_unit)
    office = Client()
    office.force_login(persona(Role.SUPERVISOR))
    response = office.post(
        f"/p/staff/registrations/{registration.pk}/reject/", {"reason": "发票看不清"}, follow=True
    )
    assert "已驳回 KFR35-0001 的登记" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == Status.REJECTED and registration.reason == "发票看不清"
    old_unit.refresh_from_db()
    assert old_unit.purchase_date == days_ago(3 * 365) and old_unit.service_card_registered_on is None
    assert verdict_now(old_unit) == before
    assert not CustomerChange.objects.exists()
    # Decided once: confirming it afterwards is refused.
    response = office.post(
        f"/p/staff/registrations/{registration.pk}/confirm/",
        {"purchase_date": days_ago(200).isoformat()},
        follow=True,
    )
    assert "这条登记已经处理过了" in response.content.decode()
    old_unit.refresh_from_db()
    assert old_unit.purchase_date == days_ago(3 * 365)
    assert "发票看不清" in signed_in.get("/p/register/").content.decode()  # the customer sees why


def test_a_serial_not_on_file_waits_until_the_unit_is(signed_in, customer, persona):
    register(signed_in, "NEW-777", days_ago(10))
    registration = ProductRegistration.objects.get()
    assert registration.unit is None and registration.branch == customer.branch
    office = Client()
    office.force_login(persona(Role.DISPATCHER))
    assert "序列号未建档" in office.get("/p/staff/registrations/").content.decode()
    url = f"/p/staff/registrations/{registration.pk}/confirm/"
    response = office.post(url, {"purchase_date": days_ago(10).isoformat()}, follow=True)
    assert "序列号 NEW-777 尚未建档" in response.content.decode()
    unit = UnitFactory(owner=customer, serial_number="NEW-777", purchase_date=None)
    office.post(url, {"purchase_date": days_ago(10).isoformat()})
    unit.refresh_from_db()
    assert unit.purchase_date == days_ago(10)


def test_another_customers_unit_is_not_confirmed_for_the_registrant(signed_in, other_customer, persona):
    theirs = UnitFactory(owner=other_customer, serial_number="THEIRS-1", purchase_date=days_ago(900))
    register(signed_in, "THEIRS-1", days_ago(5))
    registration = ProductRegistration.objects.get()
    office = Client()
    office.force_login(persona(Role.DISPATCHER))
    assert "登记在其他用户名下" in office.get("/p/staff/registrations/").content.decode()
    response = office.post(
        f"/p/staff/registrations/{registration.pk}/confirm/",
        {"purchase_date": days_ago(5).isoformat()},
        follow=True,
    )
    assert "这台机器登记在其他用户名下" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.purchase_date == days_ago(900)


@pytest.mark.parametrize(
    "photo, message",
    [
        (
            SimpleUploadedFile("invoice.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg"),
            "照片必须是",
        ),
        (None, "请拍下或选择发票照片"),
    ],
)
def test_the_invoice_photo_is_checked(signed_in, old_unit, photo, message):
    body = {
        "serial_number": "KFR35-0001",
        "purchase_date": days_ago(20).isoformat(),
        "purchase_place": "门店",
    }
    if photo is not None:
        body["invoice"] = photo
    response = signed_in.post("/p/register/", body)
    assert response.status_code == 200 and message in response.content.decode()
    assert not ProductRegistration.objects.exists()


def test_a_date_in_the_future_or_a_repeat_is_refused(signed_in, old_unit):
    response = register(signed_in, "KFR35-0001", timezone.localdate() + datetime.timedelta(days=3))
    assert "购买日期不能晚于今天" in response.content.decode()
    assert register(signed_in, "KFR35-0001", days_ago(20)).status_code == 302
    response = register(signed_in, "KFR35-0001", days_ago(20))
    assert "正在等待确认" in response.content.decode()
    assert ProductRegistration.objects.count() == 1


def test_the_queue_is_the_branchs_and_the_offices(signed_in, old_unit, persona, branch_b):
    register(signed_in, "KFR35-0001", days_ago(20))
    registration = ProductRegistration.objects.get()
    other_branch = Client()
    other_branch.force_login(persona(Role.DISPATCHER, branch=branch_b))
    assert "KFR35-0001" not in other_branch.get("/p/staff/registrations/").content.decode()
    assert other_branch.get(f"/p/staff/registrations/{registration.pk}/invoice/").status_code == 404
    other_branch.post(f"/p/staff/registrations/{registration.pk}/confirm/", {"purchase_date": days_ago(20)})
    technician = Client()
    technician.force_login(persona(Role.TECHNICIAN))
    assert technician.get("/p/staff/registrations/").status_code == 403
    assert (
        technician.post(f"/p/staff/registrations/{registration.pk}/reject/", {"reason": "x"}).status_code
        == 403
    )
    registration.refresh_from_db()
    assert registration.status == Status.PENDING


def test_a_qr_label_opens_the_units_page_for_its_owner_only(client, sms, customer, other_customer, old_unit):
    response = client.get("/p/u/KFR35-0001/")
    assert response.status_code == 302 and response.url == "/p/login/?next=%2Fp%2Fu%2FKFR35-0001%2F"
    sign_in(client, sms)
    page = client.get("/p/u/KFR35-0001/").content.decode()
    assert 'data-testid="portal-unit"' in page and "KFR35-0001" in page
    client.post("/p/logout/")
    sign_in(client, sms, OTHER_PHONE)
    response = client.get("/p/u/KFR35-0001/")  # not theirs: offered to register it, nothing of it shown
    assert response.status_code == 302 and response.url == "/p/register/?serial=KFR35-0001"
    page = client.get(response.url).content.decode()
    assert 'value="KFR35-0001"' in page and old_unit.product_model.name not in page
    assert Unit.objects.get(pk=old_unit.pk).owner == customer


def test_a_serial_typed_in_lower_case_or_full_width_finds_the_unit_on_file(signed_in, old_unit):
    """The desk keeps serials upper-case; a customer typing kfr35-0001 (or with a Chinese input method,
    ｋｆｒ３５－０００１) got 序列号未建档 and the office could not confirm a unit it had on file."""
    register(signed_in, " kfr35-0001 ", days_ago(30))
    register(signed_in, "ｋｆｒ３５－０００１", days_ago(30))  # the same registration: refused as a repeat
    registration = ProductRegistration.objects.get()
    assert registration.unit == old_unit and registration.serial_number == "KFR35-0001"
