"""With the files in a bucket and signed links on (issue #20 item 1), the ticket page's photo loads in
Chromium from the bucket, through the app's redirect, under the Content-Security-Policy that the
settings open to the bucket: no violation, the picture decoded."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.browser.test_content_security_policy import watch_for_violations
from tests.env_example import settings_from
from tests.tickets.factories import TicketFactory
from tickets.choices import Channel
from tickets.models import FaultPhoto

pytestmark = pytest.mark.browser


def test_a_fault_photo_behind_a_signed_link_shows_on_the_ticket_page(
    open_page, people, bucket, settings, monkeypatch, branch_a
):
    production = settings_from(monkeypatch, **bucket.environment, STORAGE_SIGNED_URL_SECONDS="60")
    settings.STORAGE_SIGNED_URL_SECONDS = production.STORAGE_SIGNED_URL_SECONDS
    settings.CONTENT_SECURITY_POLICY = production.CONTENT_SECURITY_POLICY
    dispatcher, _technician = people
    # Photos come only with the customer's own report (tickets.selectors.fault_media).
    ticket = TicketFactory(unit__owner__branch=branch_a, channel=Channel.SELF)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    photo = FaultPhoto.objects.create(
        ticket=ticket,
        image=ContentFile(buffer.getvalue(), name="fault.jpg"),
        sha256=hashlib.sha256(buffer.getvalue()).hexdigest(),
    )
    assert photo.image.name in bucket.objects()

    page = open_page()
    violations = watch_for_violations(page)
    log_in(page, dispatcher.username)
    with page.expect_response(lambda response: response.url.startswith(bucket.endpoint)) as from_bucket:
        page.goto(reverse("tickets:detail", args=[ticket.pk]))
    assert from_bucket.value.status == 200
    expect(page.get_by_test_id("fault-photos").locator("img")).to_have_js_property("naturalWidth", 64)
    assert violations == []
