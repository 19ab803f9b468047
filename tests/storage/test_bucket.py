"""Uploaded files in an S3 bucket (issue #20 item 1), against a real local S3 server (moto_server): what
the technician and the customer upload through the real views is an object in the bucket, nothing
lands on the disk, and a file reaches only those who may see its ticket — streamed through the app, or
as a redirect to a short-lived signed link that the bucket answers, while the bucket refuses an
unsigned request."""

from __future__ import annotations

import datetime
import hashlib
import io
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from claims.models import Claim
from tests.claims.test_claims import pdf_upload
from tests.portal.conftest import sign_in
from tests.portal.test_report_fault import jpeg, report, video
from tests.security.test_hostile_uploads import mp4_header
from tests.tickets.factories import TicketFactory, signature_png
from tests.tickets.test_report_views import data_url, fill_all
from tickets.models import FaultPhoto, FaultVideo, RepairTicket, ServiceReport
from tickets.report_services import report_is_intact

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_site(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, on_site=True, visit_count=1)


def photo_png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (100, 80), "green").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "p.png"
    return buffer


def report_with_photo_and_signature(client, ticket) -> ServiceReport:
    """The technician fills the report, adds a photo and has the customer sign, through the views."""
    client.force_login(ticket.technician)
    fill_all(client, ticket)
    response = client.post(reverse("tickets:report_add_photo", args=[ticket.pk]), {"photo": photo_png()})
    assert response.status_code in (200, 302), response.content.decode()
    response = client.post(
        reverse("tickets:report_sign", args=[ticket.pk]),
        {"signer_name": "王芳", "signature": data_url(signature_png())},
    )
    assert response.status_code == 302, response.content.decode()
    return ServiceReport.objects.get(ticket=ticket)


def fetch(url: str) -> tuple[int, str, bytes]:
    """What a browser gets from the bucket for `url`: status, type, body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers["Content-Type"], refused.read()


def test_the_report_photo_and_signature_are_objects_in_the_bucket_served_after_the_access_check(
    client, bucket, on_site, persona, branch_b, settings
):
    report = report_with_photo_and_signature(client, on_site)
    photo = report.photos.get()

    objects = bucket.objects()
    assert set(objects) == {report.signature.name, photo.image.name}
    assert report.signature.name.startswith("signatures/") and photo.image.name.startswith("report-photos/")
    assert objects[report.signature.name].startswith(b"\x89PNG")
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing written to the disk

    # Streamed through the app (the default), the bytes of the object.
    signature_url = reverse("tickets:report_signature", args=[on_site.pk, report.pk])
    photo_url = reverse("tickets:report_photo", args=[on_site.pk, photo.pk])
    served = client.get(signature_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == objects[report.signature.name]
    assert b"".join(client.get(photo_url).streaming_content) == objects[photo.image.name]
    # The signed report's hash is checked against the files in the bucket, and its voucher PDF embeds
    # the signature read from there.
    assert report_is_intact(report)
    voucher = client.get(reverse("tickets:report_voucher", args=[on_site.pk, report.pk]))
    assert voucher.status_code == 200 and voucher.content.startswith(b"%PDF-")

    client.force_login(persona(Role.DISPATCHER, branch=branch_b))
    assert client.get(signature_url).status_code == 404
    assert client.get(photo_url).status_code == 404


def test_a_signed_link_works_for_the_user_who_may_see_the_ticket_and_only_for_its_lifetime(
    client, bucket, on_site, persona, branch_b, settings
):
    settings.STORAGE_SIGNED_URL_SECONDS = 120
    report = report_with_photo_and_signature(client, on_site)
    signature_url = reverse("tickets:report_signature", args=[on_site.pk, report.pk])

    before = timezone.now().replace(microsecond=0)
    answer = client.get(signature_url)
    assert answer.status_code == 302 and "no-store" in answer["Cache-Control"]
    link = urlsplit(answer["Location"])
    assert f"{link.scheme}://{link.netloc}" == bucket.endpoint
    assert link.path == f"/{bucket.name}/media/{report.signature.name}"
    query = {key: values[0] for key, values in parse_qs(link.query).items()}
    # Valid for STORAGE_SIGNED_URL_SECONDS from now: the bucket refuses it after that.
    assert query["X-Amz-Expires"] == "120"
    signed_at = datetime.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    assert before <= signed_at <= timezone.now()
    assert query["X-Amz-Signature"]

    status, content_type, body = fetch(answer["Location"])
    assert (status, content_type) == (200, "image/png")
    assert body == bucket.objects()[report.signature.name]
    # The object itself is private: the same address without the signature is refused.
    assert fetch(f"{link.scheme}://{link.netloc}{link.path}")[0] == 403

    client.force_login(persona(Role.DISPATCHER, branch=branch_b))
    refused = client.get(signature_url)
    assert refused.status_code == 404 and "Location" not in refused


def test_the_customers_fault_photo_and_video_go_to_the_bucket_and_reach_the_branch_only(
    client, bucket, customer, sms, persona, branch_b, settings
):
    from tests.customers.factories import UnitFactory

    unit = UnitFactory(owner=customer)
    sign_in(client, sms)
    content = mp4_header() + b"\1" * 4096
    assert report(client, unit, photos=[jpeg(size=(64, 64))], video=video(content=content)).status_code == 302
    ticket = RepairTicket.objects.get(unit=unit)
    photo = FaultPhoto.objects.get(ticket=ticket)
    stored_video = FaultVideo.objects.get(ticket=ticket)
    objects = bucket.objects()
    assert set(objects) == {photo.image.name, stored_video.file.name}
    assert objects[stored_video.file.name] == content
    assert hashlib.sha256(objects[photo.image.name]).hexdigest() == photo.sha256

    # The customer sees their own photo; the branch's desk follows a signed link to it and to the video.
    assert (
        b"".join(client.get(f"/p/t/{ticket.pk}/photos/{photo.pk}/").streaming_content)
        == objects[photo.image.name]
    )
    settings.STORAGE_SIGNED_URL_SECONDS = 60
    client.force_login(persona(Role.DISPATCHER))
    answer = client.get(reverse("tickets:fault_video", args=[ticket.pk]))
    assert answer.status_code == 302
    assert fetch(answer["Location"]) == (200, "video/mp4", content)
    answer = client.get(reverse("tickets:fault_photo", args=[ticket.pk, photo.pk]))
    assert fetch(answer["Location"])[:2] == (200, "image/jpeg")

    client.force_login(persona(Role.DISPATCHER, branch=branch_b))
    assert client.get(reverse("tickets:fault_video", args=[ticket.pk])).status_code == 404
    assert client.get(reverse("tickets:fault_photo", args=[ticket.pk, photo.pk])).status_code == 404


def test_a_claim_attachment_keeps_its_chinese_name_and_its_checked_type_behind_a_signed_link(
    client, bucket, dispatcher, persona, branch_a, branch_b, settings
):
    settings.STORAGE_SIGNED_URL_SECONDS = 60
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True)
    client.force_login(dispatcher)
    response = client.post(
        reverse("claims:claim_new", args=[ticket.pk]),
        {
            "kind": "replacement",
            "amount": "300.00",
            "reason": "整机更换",
            "attachments": [pdf_upload("鉴定.pdf")],
        },
    )
    assert response.status_code == 302
    attachment = Claim.objects.get().attachments.get()
    assert bucket.objects()[attachment.file.name].startswith(b"%PDF")

    answer = client.get(reverse("claims:claim_attachment", args=[attachment.claim_id, attachment.pk]))
    assert answer.status_code == 302
    with urllib.request.urlopen(answer["Location"], timeout=10) as served:
        assert served.headers["Content-Type"] == "application/pdf"
        assert served.headers["Content-Disposition"] == "inline; filename*=utf-8''%E9%89%B4%E5%AE%9A.pdf"
        assert served.read().startswith(b"%PDF")

    client.force_login(persona(Role.DISPATCHER, branch=branch_b))
    assert (
        client.get(reverse("claims:claim_attachment", args=[attachment.claim_id, attachment.pk])).status_code
        == 404
    )


def test_a_refused_upload_leaves_nothing_in_the_bucket(client, bucket, on_site):
    client.force_login(on_site.technician)
    fill_all(client, on_site)
    fake = io.BytesIO(b"GIF89a not really a photo")
    fake.name = "p.jpg"
    page = client.post(reverse("tickets:report_add_photo", args=[on_site.pk]), {"photo": fake}, follow=True)
    assert "照片必须是 JPEG、PNG 或 WebP 图片。" in page.content.decode()
    assert bucket.objects() == {}
