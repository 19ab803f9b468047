"""A signed voucher whose stored content is altered afterwards — in the database or on disk — is
detected and shown as altered."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.tickets.factories import COMPLETE_REPORT, TicketFactory
from tests.tickets.test_report_services import image_upload, save, sign
from tickets.report_services import add_photo, report_is_intact
from tickets.reports import ServiceReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, visit_count=1)
    save(ticket, COMPLETE_REPORT)
    add_photo(ticket_id=ticket.pk, user=ticket.technician, upload=image_upload())
    return ticket, sign(ticket)


def test_an_untouched_report_is_intact(signed, client):
    ticket, report = signed
    assert report_is_intact(report)
    client.force_login(ticket.technician)
    page = client.get(reverse("tickets:report", args=[ticket.pk])).content.decode()
    assert "内容与签字时一致" in page and "report-altered" not in page


def test_a_field_changed_in_the_database_is_detected(signed, client):
    ticket, report = signed
    ServiceReport.objects.filter(pk=report.pk).update(labour_hours=9)  # behind the services' back
    assert not report_is_intact(ServiceReport.objects.get(pk=report.pk))
    client.force_login(ticket.technician)
    assert (
        'data-testid="report-altered"'
        in client.get(reverse("tickets:report", args=[ticket.pk])).content.decode()
    )


def test_a_replaced_signature_or_photo_file_is_detected(signed):
    _ticket, report = signed
    photo = report.photos.get()
    storage, name = photo.image.storage, photo.image.name
    storage.delete(name)
    storage.save(name, ContentFile(b"another picture"))
    assert not report_is_intact(ServiceReport.objects.get(pk=report.pk))
