"""The service report screens through the Django client: steps, parts, photos, signature, freezing."""

from __future__ import annotations

import base64
import io
import re
import uuid

import pytest
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from tests.tickets.factories import ServiceReportFactory, TicketFactory, signature_png
from tickets.models import ServiceReport, State

STEP_DATA = {
    1: {"customer_account": "空调开机五分钟后自动停机"},
    2: {"usage_reading": "约 1200 小时", "previously_disassembled": "false"},
    3: {"findings": "室外机电容鼓包", "cause": "电容老化"},
    4: {"work_done": "更换启动电容,试机正常", "labour_hours": "1.5"},
    5: {"fee": "0", "payment_method": ""},
}


@pytest.fixture
def on_site(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, on_site=True, visit_count=1)


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def post_step(client, ticket, step, key=None, **extra):
    """Each step's form has its own key, as the page renders it; a resend passes the same `key`."""
    return client.post(
        reverse("tickets:report_step", args=[ticket.pk, step]),
        {"idempotency_key": str(key or uuid.uuid4()), "version": "", **STEP_DATA[step], **extra},
    )


def fill_all(client, ticket):
    for step in STEP_DATA:
        response = post_step(client, ticket, step)
        assert response.status_code == 302, response.content.decode()
        assert response.url.endswith(f"?step={step + 1}")


@pytest.mark.django_db
class TestSteps:
    def test_the_job_page_leads_to_the_report_after_check_in(self, client, on_site):
        client.force_login(on_site.technician)
        page = client.get(on_site.get_absolute_url()).content.decode()
        assert reverse("tickets:report", args=[on_site.pk]) in page and "填写服务报告" in page

    def test_the_first_step_shows_the_step_count_and_a_fresh_idempotency_key(self, client, on_site):
        client.force_login(on_site.technician)
        page = client.get(reverse("tickets:report", args=[on_site.pk])).content.decode()
        assert "第 1 步 / 共 6 步" in page
        assert re.search(r'name="idempotency_key" value="[0-9a-f-]{36}"', page)
        assert f'data-outbox-scope="report:{on_site.pk}:1"' in page and "js/report.js" in page

    def test_the_steps_are_saved_one_by_one_and_the_camera_opens_for_photos(self, client, on_site):
        client.force_login(on_site.technician)
        fill_all(client, on_site)
        report = ServiceReport.objects.get()
        assert (report.previously_disassembled, str(report.labour_hours)) == (False, "1.50")
        page = client.get(reverse("tickets:report", args=[on_site.pk]) + "?step=4").content.decode()
        assert 'accept="image/*" capture="environment"' in page
        assert "第 4 步 / 共 6 步" in page

    def test_a_missing_field_is_named_in_chinese_and_nothing_is_saved(self, client, on_site):
        client.force_login(on_site.technician)
        response = post_step(client, on_site, 3, uuid.uuid4(), findings="")
        assert response.status_code == 400
        assert "请填写检查结果。" in response.content.decode()
        assert not ServiceReport.objects.exists()

    def test_a_double_submit_makes_one_report(self, client, on_site):
        client.force_login(on_site.technician)
        key = uuid.uuid4()
        assert post_step(client, on_site, 1, key).status_code == 302
        assert post_step(client, on_site, 1, key).status_code == 302
        assert ServiceReport.objects.count() == 1

    def test_parts_and_photos(self, client, on_site):
        client.force_login(on_site.technician)
        fill_all(client, on_site)
        response = client.post(
            reverse("tickets:report_add_part", args=[on_site.pk]),
            {"part_name": "启动电容", "quantity": "1", "removed_serial": "OLD1", "old_part_returnable": "on"},
        )
        assert response.status_code == 302
        bad = client.post(
            reverse("tickets:report_add_part", args=[on_site.pk]), {"part_name": "x", "quantity": "0"}
        )
        assert bad.status_code == 400 and "配件数量必须大于 0" in bad.content.decode()
        buffer = io.BytesIO()
        Image.new("RGB", (2000, 1000), "blue").save(buffer, format="JPEG")
        buffer.seek(0)
        buffer.name = "p.jpg"
        assert (
            client.post(reverse("tickets:report_add_photo", args=[on_site.pk]), {"photo": buffer}).status_code
            == 302
        )
        report = ServiceReport.objects.get()
        assert report.parts.get().old_part_returnable and report.photos.count() == 1
        part = report.parts.get()
        client.post(reverse("tickets:report_remove_part", args=[on_site.pk, part.pk]))
        assert not report.parts.exists()


@pytest.mark.django_db
class TestSignature:
    def test_the_signature_step_is_locked_until_the_report_is_complete(self, client, on_site):
        client.force_login(on_site.technician)
        post_step(client, on_site, 1, uuid.uuid4())
        page = client.get(reverse("tickets:report", args=[on_site.pk]) + "?step=6").content.decode()
        assert 'data-testid="signature-locked"' in page and "检查结果" in page
        # The pad is hidden; the outbox shows it only when steps saved offline complete the report.
        assert re.search(r'class="d-none" data-offline-signature[^>]*data-needs="[^"]*findings', page)

    def test_the_server_refuses_a_signature_on_an_incomplete_report(self, client, on_site):
        client.force_login(on_site.technician)
        post_step(client, on_site, 1, uuid.uuid4())
        response = client.post(
            reverse("tickets:report_sign", args=[on_site.pk]),
            {"signer_name": "王芳", "signature": data_url(signature_png())},
            follow=True,
        )
        assert "客户不能签字" in response.content.decode()
        assert not ServiceReport.objects.get().is_signed

    def test_sign_then_complete_and_the_report_is_frozen(self, client, on_site):
        client.force_login(on_site.technician)
        fill_all(client, on_site)
        page = client.get(reverse("tickets:report", args=[on_site.pk]) + "?step=6").content.decode()
        assert "signature-canvas" in page
        response = client.post(
            reverse("tickets:report_sign", args=[on_site.pk]),
            {"signer_name": "王芳", "signature": data_url(signature_png())},
        )
        assert response.status_code == 302 and response.url == on_site.get_absolute_url()
        report = ServiceReport.objects.get()
        assert report.is_signed and len(report.content_sha256) == 64
        detail = client.get(on_site.get_absolute_url()).content.decode()
        assert 'data-action="complete_visit"' in detail and "已签字" in detail
        # Frozen: the page shows no form, and a posted edit is refused.
        page = client.get(reverse("tickets:report", args=[on_site.pk])).content.decode()
        assert 'data-testid="report-signed"' in page and 'data-testid="report-step-form"' not in page
        edit = post_step(client, on_site, 3, uuid.uuid4(), findings="改过的结果", version=str(report.version))
        assert edit.status_code == 302
        assert "不能再修改" in client.get(edit.url).content.decode()
        report.refresh_from_db()
        assert report.findings == "室外机电容鼓包"

    def test_a_blank_canvas_and_the_technicians_name_are_refused(self, client, on_site):
        client.force_login(on_site.technician)
        fill_all(client, on_site)
        url = reverse("tickets:report_sign", args=[on_site.pk])
        blank = client.post(url, {"signer_name": "王芳", "signature": data_url(signature_png(ink=False))})
        assert blank.status_code == 400 and "签名为空" in blank.content.decode()
        own = client.post(
            url, {"signer_name": on_site.technician.username, "signature": data_url(signature_png())}
        )
        assert own.status_code == 400 and "技术员不能代客户签字" in own.content.decode()
        assert not ServiceReport.objects.get().is_signed

    def test_complete_visit_without_a_signature_is_not_offered(self, client, on_site):
        client.force_login(on_site.technician)
        fill_all(client, on_site)
        assert 'data-action="complete_visit"' not in client.get(on_site.get_absolute_url()).content.decode()


@pytest.mark.django_db
class TestAccess:
    def test_outsiders_get_404_and_other_roles_cannot_write(
        self, client, on_site, persona, dispatcher, branch_b
    ):
        outsider = persona(Role.TECHNICIAN, username="stranger")
        client.force_login(outsider)
        assert client.get(reverse("tickets:report", args=[on_site.pk])).status_code == 404
        assert post_step(client, on_site, 1, uuid.uuid4()).status_code == 404
        other_branch = persona(Role.DISPATCHER, branch=branch_b)
        client.force_login(other_branch)
        assert client.get(reverse("tickets:report", args=[on_site.pk])).status_code == 404
        client.force_login(dispatcher)  # same branch: may read, not write
        assert client.get(reverse("tickets:report", args=[on_site.pk])).status_code == 200
        assert post_step(client, on_site, 1, uuid.uuid4()).status_code == 403
        assert not ServiceReport.objects.exists()

    def test_the_office_reads_a_signed_report(self, client, dispatcher, branch_a):
        ticket = TicketFactory(unit__owner__branch=branch_a, state=State.AWAITING_ACCEPTANCE, assigned=True)
        ticket.visit_count = 1
        ticket.save()
        ServiceReportFactory(ticket=ticket, signed=True)
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:report", args=[ticket.pk])).content.decode()
        assert "王芳" in page and "0" * 64 in page


@pytest.mark.django_db
def test_signature_and_photos_are_served_only_to_who_may_see_the_ticket(client, on_site, persona, branch_b):
    client.force_login(on_site.technician)
    fill_all(client, on_site)
    buffer = io.BytesIO()
    Image.new("RGB", (100, 80), "green").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "p.png"
    client.post(reverse("tickets:report_add_photo", args=[on_site.pk]), {"photo": buffer})
    client.post(
        reverse("tickets:report_sign", args=[on_site.pk]),
        {"signer_name": "王芳", "signature": data_url(signature_png())},
    )
    report = ServiceReport.objects.get()
    signature_url = reverse("tickets:report_signature", args=[on_site.pk, report.pk])
    photo_url = reverse("tickets:report_photo", args=[on_site.pk, report.photos.get().pk])
    page = client.get(reverse("tickets:report", args=[on_site.pk])).content.decode()
    assert signature_url in page and photo_url in page and "/media/" not in page
    assert b"".join(client.get(signature_url).streaming_content).startswith(b"\x89PNG")
    assert client.get(photo_url).status_code == 200
    client.force_login(persona(Role.DISPATCHER, branch=branch_b))
    assert client.get(signature_url).status_code == 404
    assert client.get(photo_url).status_code == 404


@pytest.mark.django_db
def test_a_correction_after_signing_is_a_signed_addendum_from_the_report_page(client, on_site):
    client.force_login(on_site.technician)
    fill_all(client, on_site)
    client.post(
        reverse("tickets:report_sign", args=[on_site.pk]),
        {"signer_name": "王芳", "signature": data_url(signature_png())},
    )

    def addendum_key():
        page = client.get(reverse("tickets:report", args=[on_site.pk])).content.decode()
        return re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', page).group(1)

    data = {"idempotency_key": addendum_key(), "text": "工时更正为 2 小时", "signer_name": "王芳"}
    url = reverse("tickets:report_addendum", args=[on_site.pk])
    blank = client.post(url, {**data, "signature": data_url(signature_png(ink=False))}, follow=True)
    assert "签名为空" in blank.content.decode()
    data["idempotency_key"] = addendum_key()  # the page shown again has a new form
    for _ in range(2):  # a double submit adds one addendum
        client.post(url, {**data, "signature": data_url(signature_png())})
    report = ServiceReport.objects.get()
    assert report.addenda.get().text == "工时更正为 2 小时" and str(report.labour_hours) == "1.50"
    assert "工时更正为 2 小时" in client.get(reverse("tickets:report", args=[on_site.pk])).content.decode()


@pytest.mark.django_db
class TestBeforeCheckIn:
    """The report pages kept for offline use before the technician arrives (outbox.js opens the steps
    once a check-in is queued on the device)."""

    @pytest.fixture
    def dispatched(self, branch_a):
        return TicketFactory(unit__owner__branch=branch_a, dispatched=True)

    def test_the_assigned_technician_gets_the_coming_visits_steps_behind_a_check_in(self, client, dispatched):
        client.force_login(dispatched.technician)
        page = client.get(reverse("tickets:report", args=[dispatched.pk]) + "?step=2").content.decode()
        check_in = reverse("tickets:transition", args=[dispatched.pk, "check_in"])
        assert f'data-outbox-hides="{check_in}" data-testid="report-needs-check-in"' in page
        assert f'action="{check_in}"' in page and 'data-outbox-next="?step=2"' in page
        assert f'class="d-none" data-outbox-shows="{check_in}"' in page
        # The steps of visit 1, the visit the check-in starts.
        assert "第 2 步 / 共 6 步" in page and f'data-outbox-scope="report:{dispatched.pk}:1"' in page

    def test_a_revisit_writes_the_next_visits_report(self, client, dispatched):
        dispatched.visit_count = 1
        dispatched.save()
        ServiceReportFactory(ticket=dispatched, visit=1, signed=True)
        client.force_login(dispatched.technician)
        page = client.get(reverse("tickets:report", args=[dispatched.pk])).content.decode()
        assert f'data-outbox-scope="report:{dispatched.pk}:2"' in page
        assert "report-needs-check-in" in page and "report-signed" not in page

    def test_others_do_not_get_the_steps(self, client, dispatched, dispatcher, persona):
        for user, status in ((dispatcher, 200), (persona(Role.TECHNICIAN, username="another"), 404)):
            client.force_login(user)
            response = client.get(reverse("tickets:report", args=[dispatched.pk]))
            assert response.status_code == status
            assert "report-needs-check-in" not in response.content.decode()
            assert "report-step-form" not in response.content.decode()

    def test_a_step_arrives_after_the_queued_check_in_and_is_stored_on_the_new_visit(
        self, client, dispatched
    ):
        client.force_login(dispatched.technician)
        # Sent out of order (the outbox never does): refused, nothing stored.
        assert post_step(client, dispatched, 1).status_code == 302
        assert not ServiceReport.objects.exists()
        response = client.post(
            reverse("tickets:transition", args=[dispatched.pk, "check_in"]),
            {"idempotency_key": str(uuid.uuid4()), "version": dispatched.version, "note": ""},
            headers={"accept": "application/json"},
        )
        assert response.json()["ok"], response.content
        assert post_step(client, dispatched, 1).status_code == 302
        report = ServiceReport.objects.get()
        assert (report.visit, report.customer_account) == (1, STEP_DATA[1]["customer_account"])
