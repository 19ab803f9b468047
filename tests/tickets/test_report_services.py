"""The service report's write paths: draft by steps, parts, photos, signature, freezing, addenda."""

from __future__ import annotations

import hashlib
import io
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from accounts.models import Role
from aftersales.errors import Conflict, UserError
from tests.accounts.factories import UserFactory
from tests.tickets.factories import COMPLETE_REPORT, ServiceReportFactory, TicketFactory, signature_png
from tickets.models import ServiceReport, ServiceReportPart, State, TicketEvent
from tickets.report_services import (
    PartLine,
    add_addendum,
    add_part,
    add_photo,
    canonical_content,
    content_hash,
    save_report,
    sign_report,
)
from tickets.services import apply_transition


@pytest.fixture
def on_site(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, on_site=True, visit_count=1)


def save(ticket, changes, *, user=None, key=None, version=None):
    return save_report(
        ticket_id=ticket.pk,
        user=user or ticket.technician,
        idempotency_key=key or uuid.uuid4(),
        expected_version=version,
        changes=changes,
    )


def sign(ticket, *, user=None, signer_name="王芳", png=None):
    return sign_report(
        ticket_id=ticket.pk,
        user=user or ticket.technician,
        signer_name=signer_name,
        signature_png=signature_png() if png is None else png,
    )


def image_upload(fmt="JPEG", size=(3200, 2400), name="photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.mark.django_db
class TestDraft:
    def test_the_first_save_starts_the_visits_report_and_logs_it(self, on_site):
        report = save(on_site, {"customer_account": "不制冷"})
        assert (report.ticket, report.visit, report.technician, report.version) == (
            on_site,
            1,
            on_site.technician,
            2,
        )
        assert TicketEvent.objects.get(ticket=on_site).action == "start_report"
        report = save(on_site, {"usage_reading": "3 年"}, version=report.version)
        assert (report.customer_account, report.usage_reading, report.version) == ("不制冷", "3 年", 3)

    def test_a_double_submit_makes_one_report(self, on_site):
        key = uuid.uuid4()
        first = save(on_site, {"customer_account": "不制冷"}, key=key, version=None)
        second = save(on_site, {"customer_account": "不制冷"}, key=key, version=None)
        another_page = save(on_site, {"customer_account": "不制冷"}, key=uuid.uuid4(), version=None)
        assert first.pk == second.pk == another_page.pk
        assert ServiceReport.objects.count() == 1

    def test_a_resend_of_saved_values_is_answered_even_with_an_old_version(self, on_site):
        report = save(on_site, {"customer_account": "不制冷"})
        save(on_site, {"findings": "缺氟"}, version=report.version)
        again = save(on_site, {"customer_account": "不制冷"}, version=report.version)
        assert again.version == report.version + 1

    def test_a_stale_version_with_new_values_is_refused_clearly(self, on_site):
        report = save(on_site, {"customer_account": "不制冷"})
        save(on_site, {"findings": "缺氟"}, version=report.version)
        with pytest.raises(Conflict, match="请刷新页面"):
            save(on_site, {"customer_account": "不制热"}, version=report.version)

    def test_only_the_assigned_technician(self, on_site, persona, dispatcher):
        other = persona(Role.TECHNICIAN, username="other_tech")
        for user in (other, dispatcher):
            with pytest.raises(PermissionDenied):
                save(on_site, {"customer_account": "不制冷"}, user=user)
        assert not ServiceReport.objects.exists()

    @pytest.mark.parametrize("state", [State.DISPATCHED, State.AWAITING_ACCEPTANCE, State.IN_FACTORY])
    def test_only_while_on_site(self, state, branch_a):
        ticket = TicketFactory(unit__owner__branch=branch_a, state=state, assigned=True)
        with pytest.raises(UserError, match="上门处理中"):
            save(ticket, {"customer_account": "不制冷"})

    def test_negative_hours_and_unknown_fields_name_the_field(self, on_site):
        with pytest.raises(UserError) as error:
            save(on_site, {"labour_hours": Decimal("-1")})
        assert error.value.field == "labour_hours" and "工时" in str(error.value)
        with pytest.raises(UserError) as error:
            save(on_site, {"content_sha256": "x"})
        assert error.value.field == "content_sha256"

    def test_part_lines_need_a_name_a_positive_quantity_and_a_removed_serial_for_returns(self, on_site):
        save(on_site, COMPLETE_REPORT)
        with pytest.raises(UserError, match="大于 0"):
            add_part(
                ticket_id=on_site.pk, user=on_site.technician, line=PartLine(part_name="电容", quantity=0)
            )
        with pytest.raises(UserError, match="拆下件的序列号"):
            add_part(
                ticket_id=on_site.pk,
                user=on_site.technician,
                line=PartLine(part_name="电容", quantity=1, old_part_returnable=True),
            )
        part = add_part(
            ticket_id=on_site.pk,
            user=on_site.technician,
            line=PartLine(
                part_code="CAP-35",
                part_name="电容",
                quantity=2,
                removed_serial="OLD1",
                fitted_serial="NEW1",
                old_part_returnable=True,
            ),
        )
        assert (part.quantity, part.removed_serial, part.old_part_returnable) == (2, "OLD1", True)


@pytest.mark.django_db
class TestPhotos:
    def test_a_large_photo_is_shrunk_to_1600_px(self, on_site):
        save(on_site, COMPLETE_REPORT)
        photo = add_photo(ticket_id=on_site.pk, user=on_site.technician, upload=image_upload())
        with Image.open(photo.image.path) as stored:
            assert max(stored.size) == 1600 and stored.format == "JPEG"
        assert len(photo.sha256) == 64

    @pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
    def test_png_and_webp_are_accepted(self, on_site, fmt):
        save(on_site, COMPLETE_REPORT)
        photo = add_photo(
            ticket_id=on_site.pk, user=on_site.technician, upload=image_upload(fmt, (800, 600), f"p.{fmt}")
        )
        with Image.open(photo.image.path) as stored:
            assert stored.size == (800, 600) and stored.format == fmt

    def test_other_types_and_oversize_files_are_refused(self, on_site, monkeypatch):
        save(on_site, COMPLETE_REPORT)
        with pytest.raises(UserError, match="JPEG、PNG 或 WebP"):
            add_photo(
                ticket_id=on_site.pk, user=on_site.technician, upload=image_upload("GIF", (10, 10), "a.gif")
            )
        with pytest.raises(UserError, match="JPEG、PNG 或 WebP"):
            add_photo(
                ticket_id=on_site.pk,
                user=on_site.technician,
                upload=SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg"),
            )
        monkeypatch.setattr("aftersales.uploads.MAX_PHOTO_BYTES", 100)
        with pytest.raises(UserError, match="10 MB"):
            add_photo(ticket_id=on_site.pk, user=on_site.technician, upload=image_upload())


@pytest.mark.django_db
class TestSignature:
    def test_an_incomplete_report_cannot_be_signed_and_the_message_names_what_is_missing(self, on_site):
        with pytest.raises(UserError, match="尚未填写"):
            sign(on_site)
        save(on_site, {"customer_account": "不制冷", "usage_reading": "3 年"})
        with pytest.raises(UserError) as error:
            sign(on_site)
        message = str(error.value)
        assert "客户不能签字" in message
        for label in ("故障件曾被拆过", "检查结果", "故障原因分析", "处理措施", "工时"):
            assert label in message
        assert "客户反映" not in message
        report = ServiceReport.objects.get()
        assert not report.is_signed and report.content_sha256 == ""

    def test_paid_service_needs_the_agreed_fee_and_payment_method(self, branch_a):
        ticket = TicketFactory(
            unit__owner__branch=branch_a, on_site=True, visit_count=1, service_category="A"
        )
        save(ticket, COMPLETE_REPORT)
        with pytest.raises(UserError, match="服务费、付款方式"):
            sign(ticket)
        save(ticket, {"fee": Decimal("1280.00"), "payment_method": "wechat"})
        assert sign(ticket).is_signed

    def test_signing_freezes_and_hashes_the_report_and_unlocks_completion(self, on_site):
        save(on_site, COMPLETE_REPORT)
        add_part(ticket_id=on_site.pk, user=on_site.technician, line=PartLine(part_name="电容", quantity=1))
        report = sign(on_site, signer_name=" 王  芳 ")
        assert report.signer_name == "王 芳"
        assert report.signature.read().startswith(b"\x89PNG")
        report.signature.seek(0)
        expected = content_hash(
            canonical_content(report, signature_sha256=hashlib.sha256(report.signature.read()).hexdigest())
        )
        assert report.content_sha256 == expected and len(expected) == 64
        on_site.refresh_from_db()
        assert on_site.report_signed
        event = TicketEvent.objects.filter(ticket=on_site).last()
        assert (event.action, event.data["content_sha256"]) == ("sign_report", report.content_sha256)
        ticket = apply_transition(
            ticket_id=on_site.pk,
            user=on_site.technician,
            name="complete_visit",
            expected_version=on_site.version,
            note=report.work_done,
        )
        assert ticket.state == State.AWAITING_ACCEPTANCE

    def test_a_signed_report_is_frozen(self, on_site):
        save(on_site, COMPLETE_REPORT)
        report = sign(on_site)
        with pytest.raises(Conflict, match="不能再修改"):
            save(on_site, {"findings": "改过的结果"}, version=report.version)
        with pytest.raises(Conflict):
            add_part(
                ticket_id=on_site.pk, user=on_site.technician, line=PartLine(part_name="电容", quantity=1)
            )
        with pytest.raises(Conflict):
            add_photo(ticket_id=on_site.pk, user=on_site.technician, upload=image_upload())
        with pytest.raises(Conflict, match="已于"):
            sign(on_site)
        report.refresh_from_db()
        assert report.findings == COMPLETE_REPORT["findings"] and not report.parts.exists()

    @pytest.mark.parametrize(
        "name",
        ["", "   ", "technician_sh", "李 强"],
        ids=["empty", "blank", "username", "full-name"],
    )
    def test_the_technician_cannot_sign_for_the_customer(self, on_site, name):
        on_site.technician.last_name, on_site.technician.first_name = "李", "强"
        on_site.technician.username = "technician_sh"
        on_site.technician.save()
        save(on_site, COMPLETE_REPORT)
        with pytest.raises(UserError) as error:
            sign(on_site, signer_name=name)
        assert error.value.field == "signer_name"
        assert not ServiceReport.objects.get().is_signed

    @pytest.mark.parametrize(
        "png",
        [b"", signature_png(ink=False), b"GIF89a...", "jpeg"],
        ids=["missing", "blank-canvas", "garbage", "jpeg"],
    )
    def test_an_empty_or_blank_signature_is_refused(self, on_site, png):
        if png == "jpeg":
            buffer = io.BytesIO()
            Image.new("RGB", (300, 100), "black").save(buffer, format="JPEG")
            png = buffer.getvalue()
        save(on_site, COMPLETE_REPORT)
        with pytest.raises(UserError) as error:
            sign(on_site, png=png)
        assert error.value.field == "signature"
        on_site.refresh_from_db()
        assert not on_site.report_signed


@pytest.mark.django_db
class TestAddendum:
    def test_a_correction_is_a_separately_signed_addendum_and_the_report_stays(self, on_site):
        save(on_site, COMPLETE_REPORT)
        report = sign(on_site)
        key = uuid.uuid4()
        kwargs = {
            "ticket_id": on_site.pk,
            "user": on_site.technician,
            "idempotency_key": key,
            "text": "工时更正为 2 小时",
            "signer_name": "王芳",
            "signature_png": signature_png(),
        }
        addendum = add_addendum(**kwargs)
        assert add_addendum(**kwargs).pk == addendum.pk  # a resend adds nothing
        assert addendum.report == report and len(addendum.content_sha256) == 64
        assert addendum.content_sha256 != report.content_sha256
        frozen = ServiceReport.objects.get()
        assert (frozen.content_sha256, frozen.labour_hours) == (report.content_sha256, Decimal("1.50"))
        assert TicketEvent.objects.filter(ticket=on_site, action="report_addendum").count() == 1

    def test_no_addendum_before_signing_nor_by_outsiders(self, on_site, dispatcher):
        save(on_site, COMPLETE_REPORT)
        kwargs = {"idempotency_key": uuid.uuid4(), "text": "更正", "signer_name": "王芳"}
        with pytest.raises(UserError, match="尚未签字"):
            add_addendum(
                ticket_id=on_site.pk, user=on_site.technician, signature_png=signature_png(), **kwargs
            )
        with pytest.raises(PermissionDenied):
            add_addendum(ticket_id=on_site.pk, user=dispatcher, signature_png=signature_png(), **kwargs)


@pytest.mark.django_db
class TestConstraints:
    def test_the_database_refuses_impossible_rows(self, on_site):
        report = ServiceReportFactory(ticket=on_site)
        for field, value in (("labour_hours", Decimal("-1")), ("fee", Decimal("-0.01"))):
            with pytest.raises(IntegrityError), transaction.atomic():
                ServiceReport.objects.filter(pk=report.pk).update(**{field: value})
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceReport.objects.filter(pk=report.pk).update(content_sha256="a" * 64)
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceReportPart.objects.create(report=report, part_name="电容", quantity=0)
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceReportFactory(ticket=on_site)  # a second report for the same visit

    def test_another_visit_gets_its_own_report(self, branch_a):
        technician = UserFactory(branch=branch_a, roles=[Role.TECHNICIAN])
        ticket = TicketFactory(
            unit__owner__branch=branch_a, on_site=True, technician=technician, visit_count=2
        )
        ServiceReportFactory(ticket=ticket, visit=1, signed=True)
        report = save(ticket, {"customer_account": "又不制冷了"})
        assert report.visit == 2 and ServiceReport.objects.filter(ticket=ticket).count() == 2
