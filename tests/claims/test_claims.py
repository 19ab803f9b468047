"""Compensation claims through the services: routing at, below and above the threshold, who may
approve, rejection with a reason, the write-off entry and notices, attachments, and the PDF."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from accounts.models import Role
from aftersales.errors import Conflict, UserError
from claims.models import ApprovalLevel, ApprovalRule, Claim, ClaimAttachment, ClaimStatus, WriteOff
from claims.services import book_write_off, decide_claim, submit_claim
from notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.tickets.factories import TicketFactory


def sh_rule(branch, threshold="2000.00") -> ApprovalRule:
    """The Shanghai rule of the demo: supervisor; above ¥2,000 also the manager, then the general manager."""
    rule = ApprovalRule.objects.create(branch=branch, threshold=Decimal(threshold))
    ApprovalLevel.objects.create(rule=rule, position=1, role="supervisor")
    ApprovalLevel.objects.create(rule=rule, position=2, role="manager", large_only=True)
    ApprovalLevel.objects.create(rule=rule, position=3, role="general_manager", large_only=True)
    return rule


def file_claim(user, ticket, amount, kind="cash", reason="压缩机质量问题,与客户协商现金赔偿", uploads=()):
    return submit_claim(
        user=user, ticket_id=ticket.pk, kind=kind, amount=Decimal(amount), reason=reason, uploads=uploads
    )


def approve(user, claim, note="同意"):
    return decide_claim(user=user, claim_id=claim.pk, expected_version=claim.version, approve=True, note=note)


def png_upload(name="现场.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_bytes() -> bytes:
    """A real one-page PDF (the upload check parses it)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_upload(name="协议.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


@pytest.fixture
def staff(persona, branch_a, headquarters):
    """The Shanghai office (dispatcher, supervisor, manager, finance) and the general manager at HQ."""
    return {
        "dispatcher": persona(Role.DISPATCHER),
        "supervisor": persona(Role.SUPERVISOR),
        "manager": persona(Role.MANAGER),
        "finance": persona(Role.FINANCE),
        "gm": persona(Role.GENERAL_MANAGER, branch=headquarters, username="gm"),
    }


@pytest.fixture
def ticket(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, on_site=True)


@pytest.mark.django_db
class TestRouting:
    def test_below_the_threshold_the_supervisor_approves_and_finance_and_the_manager_are_told(
        self, staff, ticket, branch_a
    ):
        sh_rule(branch_a)
        claim = file_claim(staff["dispatcher"], ticket, "1999.99")
        assert (claim.is_large, claim.awaiting_role, len(claim.levels)) == (False, "supervisor", 1)
        assert claim.number.startswith("SH-PC-")
        assert Notification.objects.filter(recipient=staff["supervisor"], kind="claim_approval").exists()
        claim = approve(staff["supervisor"], claim)
        assert claim.status == ClaimStatus.APPROVED
        assert WriteOff.objects.get(claim=claim).amount == Decimal("1999.99")
        # §2-一-2(1): the department handled it, finance and the manager are informed.
        told = set(
            Notification.objects.filter(kind="claim_approved").values_list("recipient__username", flat=True)
        )
        assert {staff["finance"].username, staff["manager"].username, staff["dispatcher"].username} <= told

    def test_at_exactly_the_threshold_the_claim_is_small(self, staff, ticket, branch_a):
        sh_rule(branch_a)
        claim = file_claim(staff["dispatcher"], ticket, "2000.00")
        assert [level["role"] for level in claim.levels] == ["supervisor"]
        assert approve(staff["supervisor"], claim).status == ClaimStatus.APPROVED

    def test_above_the_threshold_three_levels_up_to_the_general_manager(self, staff, ticket, branch_a):
        sh_rule(branch_a)
        claim = file_claim(staff["dispatcher"], ticket, "2000.01")
        assert claim.is_large
        assert [level["role"] for level in claim.levels] == ["supervisor", "manager", "general_manager"]
        claim = approve(staff["supervisor"], claim)
        assert (claim.status, claim.current_level, claim.awaiting_role) == (ClaimStatus.PENDING, 2, "manager")
        assert not WriteOff.objects.exists()
        claim = approve(staff["manager"], claim)
        assert (claim.current_level, claim.awaiting_role) == (3, "general_manager")
        assert Notification.objects.filter(recipient=staff["gm"], key=f"claim:{claim.pk}:level:3").exists()
        claim = approve(staff["gm"], claim, note="同意赔偿")
        assert claim.status == ClaimStatus.APPROVED
        assert list(claim.approvals.values_list("level", "approver__username")) == [
            (1, staff["supervisor"].username),
            (2, staff["manager"].username),
            (3, "gm"),
        ]
        # A large claim's approval is not a "handled by the department" report to the manager.
        assert not Notification.objects.filter(recipient=staff["manager"], kind="claim_approved").exists()
        assert Notification.objects.filter(recipient=staff["finance"], kind="claim_approved").exists()

    def test_without_a_configured_rule_the_seeds_default_applies(self, staff, ticket):
        claim = file_claim(staff["dispatcher"], ticket, "2500")
        assert [level["role"] for level in claim.levels] == ["supervisor", "general_manager"]

    def test_the_default_rule_serves_branches_without_their_own(self, staff, ticket, branch_b):
        sh_rule(branch_b)
        default = ApprovalRule.objects.create(branch=None, threshold=Decimal("100"))
        ApprovalLevel.objects.create(rule=default, position=1, role="manager")
        claim = file_claim(staff["dispatcher"], ticket, "150")
        assert [level["role"] for level in claim.levels] == ["manager", "general_manager"]

    def test_the_route_is_kept_when_the_rule_changes_later(self, staff, ticket, branch_a):
        rule = sh_rule(branch_a)
        claim = file_claim(staff["dispatcher"], ticket, "1500")
        rule.threshold = Decimal("1000")
        rule.save()
        assert approve(staff["supervisor"], claim).status == ClaimStatus.APPROVED


@pytest.mark.django_db
class TestWhoMayApprove:
    def test_no_one_approves_their_own_claim(self, staff, ticket, persona):
        other = persona(Role.SUPERVISOR, username="other_supervisor")
        claim = file_claim(staff["supervisor"], ticket, "300")
        with pytest.raises(PermissionDenied, match="不能审批自己提交的赔偿申请"):
            approve(staff["supervisor"], claim)
        assert approve(other, claim).status == ClaimStatus.APPROVED

    def test_the_only_supervisors_own_claim_goes_up_to_the_manager(self, staff, ticket):
        """Issue #15 item 4: it used to wait for a second supervisor that the branch does not have."""
        claim = file_claim(staff["supervisor"], ticket, "300")
        assert claim.awaiting_role == "manager"
        assert claim.levels[0]["planned_role"] == "supervisor"
        assert approve(staff["manager"], claim).status == ClaimStatus.APPROVED

    def test_one_person_never_approves_two_levels(self, staff, ticket, branch_a):
        sh_rule(branch_a)
        both = UserFactory(username="both", branch=branch_a, roles=[Role.SUPERVISOR, Role.MANAGER])
        claim = approve(both, file_claim(staff["dispatcher"], ticket, "5000"))
        assert claim.awaiting_role == "manager"
        with pytest.raises(PermissionDenied, match="同一人不能审批两级"):
            approve(both, claim)
        assert approve(staff["manager"], claim).awaiting_role == "general_manager"

    def test_only_the_current_levels_role(self, staff, ticket, branch_a):
        sh_rule(branch_a)
        claim = file_claim(staff["dispatcher"], ticket, "5000")
        for user in (staff["manager"], staff["gm"], staff["finance"]):
            with pytest.raises(PermissionDenied, match="须由服务主任审批"):
                approve(user, claim)
        assert Claim.objects.get(pk=claim.pk).approvals.count() == 0

    def test_a_supervisor_of_another_branch_cannot_approve(self, staff, ticket, persona, branch_b):
        claim = file_claim(staff["dispatcher"], ticket, "300")
        with pytest.raises(PermissionDenied):
            approve(persona(Role.SUPERVISOR, branch=branch_b), claim)

    def test_a_stale_page_loses_cleanly(self, staff, ticket, persona):
        claim = file_claim(staff["dispatcher"], ticket, "300")
        seen = claim.version
        approve(staff["supervisor"], claim)
        with pytest.raises(Conflict, match="已被他人处理"):
            decide_claim(
                user=persona(Role.SUPERVISOR, username="late"),
                claim_id=claim.pk,
                expected_version=seen,
                approve=True,
            )

    def test_a_decided_claim_cannot_be_decided_again(self, staff, ticket, persona):
        claim = approve(staff["supervisor"], file_claim(staff["dispatcher"], ticket, "300"))
        with pytest.raises(UserError, match="不能再审批"):
            decide_claim(
                user=persona(Role.SUPERVISOR, username="late"),
                claim_id=claim.pk,
                expected_version=None,
                approve=True,
            )

    def test_only_the_office_or_the_assigned_technician_files_claims(self, staff, ticket, persona, branch_b):
        assert file_claim(ticket.technician, ticket, "100").submitted_by == ticket.technician
        with pytest.raises(PermissionDenied):
            file_claim(persona(Role.TECHNICIAN, username="not_assigned"), ticket, "100")
        with pytest.raises(PermissionDenied):
            file_claim(persona(Role.DISPATCHER, branch=branch_b), ticket, "100")
        with pytest.raises(PermissionDenied):
            file_claim(staff["finance"], ticket, "100")


@pytest.mark.django_db
class TestRejection:
    def test_a_rejected_claim_says_why_and_the_submitter_is_told(self, staff, ticket):
        claim = file_claim(staff["dispatcher"], ticket, "300")
        with pytest.raises(UserError, match="请填写驳回原因"):
            decide_claim(
                user=staff["supervisor"], claim_id=claim.pk, expected_version=claim.version, approve=False
            )
        claim = decide_claim(
            user=staff["supervisor"],
            claim_id=claim.pk,
            expected_version=claim.version,
            approve=False,
            note="人为损坏,不属于质量问题",
        )
        assert (claim.status, claim.rejection_reason) == (ClaimStatus.REJECTED, "人为损坏,不属于质量问题")
        assert claim.approvals.get().decision == "reject"
        notice = Notification.objects.get(recipient=staff["dispatcher"], kind="claim_rejected")
        assert notice.body == "人为损坏,不属于质量问题"
        assert not WriteOff.objects.exists()


@pytest.mark.django_db
class TestInput:
    @pytest.mark.parametrize(
        ("amount", "reason", "field", "message"),
        [
            ("0", "原因", "amount", "金额必须大于 0 元"),
            ("-5", "原因", "amount", "金额必须大于 0 元"),
            ("10.005", "原因", "amount", "最多两位小数"),
            ("10", "  ", "reason", "请填写赔偿原因"),
        ],
    )
    def test_wrong_input_names_the_field(self, staff, ticket, amount, reason, field, message):
        with pytest.raises(UserError, match=message) as caught:
            file_claim(staff["dispatcher"], ticket, amount, reason=reason)
        assert caught.value.field == field
        assert not Claim.objects.exists()

    def test_photos_and_pdf_documents_are_kept(self, staff, ticket):
        claim = file_claim(staff["dispatcher"], ticket, "300", uploads=[png_upload(), pdf_upload()])
        assert sorted(claim.attachments.values_list("kind", "original_name")) == [
            ("document", "协议.pdf"),
            ("photo", "现场.png"),
        ]

    def test_a_wrong_file_saves_nothing(self, staff, ticket):
        bad = SimpleUploadedFile("合同.docx", b"PK\x03\x04 not a picture", content_type="application/msword")
        with pytest.raises(UserError, match="附件“合同.docx”必须是 JPEG、PNG、WebP 图片或 PDF 文件"):
            file_claim(staff["dispatcher"], ticket, "300", uploads=[png_upload(), bad])
        assert not Claim.objects.exists() and not ClaimAttachment.objects.exists()

    def test_a_file_over_10_mb_is_refused(self, staff, ticket):
        big = SimpleUploadedFile(
            "大.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
        )
        with pytest.raises(UserError, match="超过 10 MB"):
            file_claim(staff["dispatcher"], ticket, "300", uploads=[big])


@pytest.mark.django_db
class TestWriteOff:
    def test_finance_books_the_write_off_and_the_claim_is_written_off(self, staff, ticket):
        claim = approve(staff["supervisor"], file_claim(staff["dispatcher"], ticket, "300"))
        entry = claim.write_off_entry
        assert entry.number.startswith("SH-HX-") and entry.status == "pending"
        with pytest.raises(PermissionDenied):
            book_write_off(user=staff["manager"], write_off_id=entry.pk, voucher_number="记-001")
        with pytest.raises(UserError, match="请填写记账凭证号"):
            book_write_off(user=staff["finance"], write_off_id=entry.pk, voucher_number=" ")
        entry = book_write_off(user=staff["finance"], write_off_id=entry.pk, voucher_number="记-001")
        assert (entry.status, entry.voucher_number, entry.booked_by) == ("booked", "记-001", staff["finance"])
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.WRITTEN_OFF
        with pytest.raises(UserError, match="已入账"):
            book_write_off(user=staff["finance"], write_off_id=entry.pk, voucher_number="记-002")


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


@pytest.mark.django_db
class TestWriteOffForm:
    def test_the_approved_claim_prints_the_write_off_form(self, client, staff, ticket, branch_a, settings):
        settings.COMPANY_NAME = "示例电器有限公司"
        sh_rule(branch_a)
        claim = file_claim(staff["dispatcher"], ticket, "12800.50", kind="refund")
        for user in (staff["supervisor"], staff["manager"], staff["gm"]):
            claim = approve(user, claim, note="同意")
        client.force_login(staff["manager"])
        response = client.get(f"/warranty/claims/{claim.pk}/write-off-form.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        page = PdfReader(io.BytesIO(response.content)).pages[0]
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4
        text = pdf_text(response.content)
        for expected in (
            "产品质量处理核销申报表",
            "示例电器有限公司",
            claim.number,
            claim.write_off_entry.number,
            ticket.number,
            ticket.customer.name,
            "¥12,800.50",
            "人民币壹万贰仟捌佰元伍角整",
            "退货退款",
            "总经理",
            "审批人签字",
            "财务签字",
        ):
            assert expected in text, expected

    def test_a_pending_claim_has_no_form(self, client, staff, ticket):
        claim = file_claim(staff["dispatcher"], ticket, "300")
        client.force_login(staff["supervisor"])
        assert client.get(f"/warranty/claims/{claim.pk}/write-off-form.pdf").status_code == 404


@pytest.mark.django_db
class TestSendingTwiceAndNotices:
    def test_the_same_form_sent_twice_files_one_claim(self, client, staff, ticket):
        import uuid

        client.force_login(staff["dispatcher"])
        data = {"kind": "cash", "amount": "300", "reason": "质量问题", "idempotency_key": str(uuid.uuid4())}
        url = f"/warranty/claims/new/{ticket.pk}/"
        first, second = client.post(url, data), client.post(url, data)
        assert first.url == second.url
        assert Claim.objects.count() == 1

    def test_approvers_are_asked_in_the_branch_and_the_general_manager_at_headquarters(
        self, staff, ticket, branch_a, persona, headquarters
    ):
        sh_rule(branch_a)
        hq_supervisor = persona(Role.SUPERVISOR, branch=headquarters, username="hq_supervisor")
        claim = file_claim(staff["dispatcher"], ticket, "5000")
        asked = Notification.objects.filter(kind="claim_approval")
        assert list(asked.values_list("recipient__username", flat=True)) == [staff["supervisor"].username]
        assert not asked.filter(recipient=hq_supervisor).exists()
        claim = approve(staff["supervisor"], claim)
        claim = approve(staff["manager"], claim)
        assert asked.filter(recipient=staff["gm"], key=f"claim:{claim.pk}:level:3").exists()

    def test_someone_who_decided_an_earlier_level_is_not_asked_again(self, staff, ticket, branch_a):
        sh_rule(branch_a)
        both = UserFactory(username="both", branch=branch_a, roles=[Role.SUPERVISOR, Role.MANAGER])
        claim = approve(both, file_claim(staff["dispatcher"], ticket, "5000"))
        assert not Notification.objects.filter(recipient=both, key=f"claim:{claim.pk}:level:2").exists()
        assert Notification.objects.filter(
            recipient=staff["manager"], key=f"claim:{claim.pk}:level:2"
        ).exists()
