"""Report a fault from the phone (issue #17): the customer's unit, a description, photos and a visit
window from the branch's calendar; the verdict shows at once; the ticket is made by the desk's intake,
marked self-reported, lands on the dispatch board; a unit with an open ticket shows that ticket instead."""

from __future__ import annotations

import datetime
import hashlib
import io
import os

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from portal.services import issue_ticket_link
from tests.customers.factories import UnitFactory
from tests.portal.conftest import OTHER_PHONE, sign_in
from tests.security.test_hostile_uploads import PHOTO_CASES, VIDEO_CASES, media_files, mp4_header
from tests.tickets.factories import TicketFactory
from tickets.choices import Channel
from tickets.models import FaultPhoto, FaultVideo, RepairTicket, State
from tickets.services import CallDetails, DuplicateCall, log_self_reported_call

pytestmark = pytest.mark.django_db


def jpeg(name="fault.jpg", size=(2400, 1800)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def unit(customer):
    return UnitFactory(owner=customer, product_model__name="变频空调 KFR-35")


@pytest.fixture
def signed_in(client, sms, customer):
    sign_in(client, sms)
    return client


def offered_windows(page: str) -> list[tuple[str, str]]:
    tree = lxml.html.fromstring(page)
    return [
        (i.get("value"), i.getparent().text_content().strip()) for i in tree.xpath('//input[@name="window"]')
    ]


def report(client, unit, *, window=None, photos=(), video=None, description="开机后不制冷,外机不转"):
    page = client.get(f"/p/report/?unit={unit.pk}").content.decode()
    window = window or offered_windows(page)[0][0]
    body = {"unit": unit.pk, "fault_description": description, "window": window}
    if photos:
        body["photos"] = list(photos)
    if video is not None:
        body["video"] = video
    return client.post("/p/report/", body)


def test_the_customer_chooses_among_their_own_units(signed_in, unit, other_customer):
    others = UnitFactory(owner=other_customer)
    page = signed_in.get("/p/report/").content.decode()
    assert unit.serial_number in page and others.serial_number not in page
    assert signed_in.get(f"/p/report/?unit={others.pk}").status_code == 404


def test_a_scanned_serial_picks_the_customers_unit_and_another_customers_is_not_found(
    signed_in, unit, other_customer
):
    """The 报修 unit choice takes a serial scanned from the QR label (or typed): the customer's own unit
    opens its report; another customer's unit is answered like a serial not on file (nothing disclosed)."""
    found = signed_in.get("/p/report/", {"serial": f" {unit.serial_number.lower()} "})
    assert found.status_code == 302 and found["Location"] == f"/p/report/?unit={unit.pk}"
    others = UnitFactory(owner=other_customer)
    for serial in (others.serial_number, "NOT-ON-FILE-1"):
        page = signed_in.get("/p/report/", {"serial": serial})
        tree = lxml.html.fromstring(page.content.decode())
        said = tree.xpath('//*[@data-testid="portal-unit-not-found"]')[0]
        assert f"您登记的产品中没有序列号为 {serial} 的产品" in said.text_content()
        assert said.xpath(".//a/@href") == [f"/p/register/?serial={serial}"]
        assert unit.serial_number in page.content.decode()  # the list to choose from is still there


def test_the_verdict_shows_at_once_with_its_reasons(signed_in, unit):
    page = signed_in.get(f"/p/report/?unit={unit.pk}").content.decode()
    tree = lxml.html.fromstring(page)
    verdict = tree.xpath('//*[@data-testid="portal-verdict"]')[0]
    assert "免费维修" in verdict.text_content() or "换货" in verdict.text_content()
    assert verdict.xpath(".//li[@data-code]"), "the reasons are listed"
    windows = offered_windows(page)
    assert 5 <= len(windows) <= 10 and all("–" in label for _value, label in windows)


def test_a_report_with_a_photo_and_a_window_is_a_self_reported_ticket_on_the_dispatch_board(
    signed_in, unit, persona
):
    page = signed_in.get(f"/p/report/?unit={unit.pk}").content.decode()
    value, label = offered_windows(page)[1]
    response = report(signed_in, unit, window=value, photos=[jpeg()])
    ticket = RepairTicket.objects.get(unit=unit)
    assert response.status_code == 302 and response.url == f"/p/t/{ticket.pk}/"
    assert (ticket.channel, ticket.reported_by, ticket.state) == (Channel.SELF, None, State.REPORTED)
    assert (
        ticket.appointment_start == datetime.datetime.fromisoformat(value)
        and ticket.appointment_end > ticket.appointment_start
    )
    assert ticket.warranty_decision["reasons"] and ticket.number.startswith(unit.owner.branch.code)
    logged, booked = ticket.events.order_by("pk")
    assert (logged.action, logged.actor, logged.data["by"]) == ("log_call", None, "customer")
    # The window the customer chose is the visit's appointment, asked for by the customer.
    assert (booked.action, booked.actor, booked.data["requested_by"]) == ("set_appointment", None, "customer")
    [photo] = FaultPhoto.objects.filter(ticket=ticket)
    assert max(Image.open(photo.image.path).size) == 1600  # checked and shrunk like the technician's

    page = signed_in.get(response.url).content.decode()
    assert (
        "开机后不制冷" in page
        and 'data-testid="portal-verdict"' in page
        and 'data-testid="portal-window"' in page
        and f"/p/t/{ticket.pk}/photos/{photo.pk}/" in page
    )
    assert signed_in.get(f"/p/t/{ticket.pk}/photos/{photo.pk}/").status_code == 200

    dispatcher = persona(Role.DISPATCHER)
    signed_in.force_login(dispatcher)  # the desk, in another browser: the customer's session ends here
    board = signed_in.get(reverse("tickets:dispatch_board")).content.decode()
    assert ticket.number in board
    detail = signed_in.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "客户本人" in detail and "客户自助报修" in detail and 'data-testid="appointment"' in detail
    assert signed_in.get(f"/tickets/{ticket.pk}/fault-photos/{photo.pk}/").status_code == 200


def test_a_unit_with_an_open_ticket_shows_that_ticket_instead(signed_in, unit):
    open_ticket = TicketFactory(unit=unit, dispatched=True)
    page = signed_in.get(f"/p/report/?unit={unit.pk}").content.decode()
    assert 'data-testid="portal-duplicate"' in page and open_ticket.number in page
    response = signed_in.post(
        "/p/report/", {"unit": unit.pk, "fault_description": "又坏了又坏了", "window": "x"}
    )
    assert open_ticket.number in response.content.decode()
    assert RepairTicket.objects.filter(unit=unit).count() == 1


def test_the_service_refuses_a_second_report_made_at_the_same_time(unit):
    now = timezone.now()
    window = (now, now + datetime.timedelta(hours=3))
    details = CallDetails(fault_category="", fault_description="不制冷")
    first = log_self_reported_call(unit_id=unit.pk, details=details, visit_window=window, photos=[])
    with pytest.raises(DuplicateCall) as refused:
        log_self_reported_call(unit_id=unit.pk, details=details, visit_window=window, photos=[])
    assert refused.value.ticket == first


def test_a_closed_ticket_does_not_stop_a_new_report(signed_in, unit):
    TicketFactory(unit=unit, closed=True)
    assert report(signed_in, unit).status_code == 302
    assert RepairTicket.objects.filter(unit=unit).count() == 2


def test_a_window_not_offered_is_refused(signed_in, unit):
    response = report(signed_in, unit, window="2026-12-06T08:30:00+08:00")
    assert response.status_code == 200 and not RepairTicket.objects.exists()


def test_at_most_three_photos(signed_in, unit):
    response = report(signed_in, unit, photos=[jpeg(f"{n}.jpg", (64, 64)) for n in range(4)])
    assert "最多上传 3 张照片" in response.content.decode() and not RepairTicket.objects.exists()


@pytest.mark.parametrize("case", PHOTO_CASES, ids=lambda case: case.id)
def test_a_hostile_photo_is_refused_with_the_reason(signed_in, unit, settings, case):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
    response = report(signed_in, unit, photos=[case.upload()])
    assert case.message in response.content.decode() and not RepairTicket.objects.exists()


@pytest.mark.parametrize("description", ["", "坏", "x" * 1001])
def test_the_description_is_needed_and_bounded(signed_in, unit, description):
    response = report(signed_in, unit, description=description)
    assert response.status_code == 200 and not RepairTicket.objects.exists()


def test_a_link_session_cannot_report_for_the_account(client, customer, own_ticket, unit):
    client.post(issue_ticket_link(ticket=own_ticket, purpose="test"))
    response = client.get(f"/p/report/?unit={unit.pk}")
    assert response.status_code == 302 and response.url.startswith("/p/login/")


def test_each_window_is_a_radio_button_beside_its_label(signed_in, unit):
    """Not a radio button styled as a text box above its label (as on a phone before)."""
    tree = lxml.html.fromstring(signed_in.get(f"/p/report/?unit={unit.pk}").content)
    radios = tree.xpath('//input[@name="window"]')
    assert radios
    for radio in radios:
        assert radio.get("type") == "radio" and radio.get("class") == "form-check-input"
        (label,) = tree.xpath(f'//label[@for="{radio.get("id")}"]')
        assert "–" in label.text_content() and radio.getparent() is label.getparent()


# --- a short video (issue #17 item 3) -----------------------------------------------------------------


def video(name="fault.mp4", content=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or mp4_header() + b"\0" * 2048, content_type="video/mp4")


def test_the_report_form_offers_one_video_from_the_camera(signed_in, unit):
    tree = lxml.html.fromstring(signed_in.get(f"/p/report/?unit={unit.pk}").content)
    (field,) = tree.xpath('//input[@name="video"]')
    assert (field.get("type"), field.get("accept"), field.get("capture")) == (
        "file",
        "video/*",
        "environment",
    )
    assert field.get("multiple") is None


def test_a_report_with_a_video_shows_it_to_the_customer_and_the_branch_staff(signed_in, unit, persona):
    content = mp4_header() + os.urandom(4096)
    response = report(signed_in, unit, photos=[jpeg(size=(64, 64))], video=video(content=content))
    ticket = RepairTicket.objects.get(unit=unit)
    assert response.status_code == 302
    stored = FaultVideo.objects.get(ticket=ticket)
    assert stored.file.name.startswith("fault-videos/") and stored.file.name.endswith(".mp4")
    assert stored.sha256 == hashlib.sha256(content).hexdigest()

    page = signed_in.get(f"/p/t/{ticket.pk}/")
    # The player loads from this site: the policy's default-src 'self' stands for media-src.
    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "media-src" not in policy
    tree = lxml.html.fromstring(page.content)
    (player,) = tree.xpath('//video[@data-testid="portal-video"]')
    assert player.get("src") == f"/p/t/{ticket.pk}/video/" and player.get("preload") == "none"
    assert "controls" in player.attrib
    served = signed_in.get(f"/p/t/{ticket.pk}/video/")
    assert served.status_code == 200 and served["Content-Type"] == "video/mp4"
    assert b"".join(served.streaming_content) == content

    dispatcher = persona(Role.DISPATCHER)  # the branch's desk
    signed_in.force_login(dispatcher)
    tree = lxml.html.fromstring(signed_in.get(f"/tickets/{ticket.pk}/").content)
    (player,) = tree.xpath('//video[@data-testid="fault-video"]')
    assert player.get("src") == f"/tickets/{ticket.pk}/fault-video/" and player.get("preload") == "none"
    served = signed_in.get(f"/tickets/{ticket.pk}/fault-video/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == content


def test_another_customer_cannot_see_the_video(signed_in, unit, other_customer, sms):
    report(signed_in, unit, video=video())
    ticket = RepairTicket.objects.get(unit=unit)
    signed_in.post("/p/logout/")
    sign_in(signed_in, sms, OTHER_PHONE)
    assert signed_in.get(f"/p/t/{ticket.pk}/video/").status_code == 404


# The start of a WebM file: an EBML header whose DocType is "webm", then the Segment.
WEBM_HEADER = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02\x18\x53\x80\x67"
)


@pytest.mark.parametrize(
    ("name", "content", "extension", "content_type"),
    [
        ("IMG_0001.MOV", mp4_header(b"qt  ", b"qt  "), ".mov", "video/quicktime"),
        ("录像.webm", WEBM_HEADER, ".webm", "video/webm"),
        ("clip.bin", mp4_header(b"mp42", b"mp42isom"), ".mp4", "video/mp4"),  # the name does not matter
    ],
)
def test_a_quicktime_or_webm_video_is_taken_by_its_content(
    signed_in, unit, name, content, extension, content_type
):
    response = report(signed_in, unit, video=video(name, content + os.urandom(512)))
    assert response.status_code == 302
    assert FaultVideo.objects.get().file.name.endswith(extension)
    assert signed_in.get(f"{response.url}video/")["Content-Type"] == content_type


def test_a_report_without_a_video_has_none(signed_in, unit):
    assert report(signed_in, unit).status_code == 302
    ticket = RepairTicket.objects.get(unit=unit)
    assert not FaultVideo.objects.exists()
    assert 'data-testid="portal-video"' not in signed_in.get(f"/p/t/{ticket.pk}/").content.decode()
    assert signed_in.get(f"/p/t/{ticket.pk}/video/").status_code == 404


@pytest.mark.parametrize("case", VIDEO_CASES, ids=lambda case: case.id)
def test_a_hostile_video_is_refused_with_the_reason_and_nothing_is_saved(signed_in, unit, settings, case):
    response = report(signed_in, unit, video=case.upload())
    assert response.status_code == 200
    assert case.message in response.content.decode()
    assert not RepairTicket.objects.exists() and not FaultVideo.objects.exists()
    assert not media_files(settings)
