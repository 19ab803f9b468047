"""Claim screens through HTTP: filing with files, the list, the detail's one-screen decision, scoping."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from claims.models import Claim, ClaimStatus
from tests.claims.test_claims import approve, file_claim, pdf_text, pdf_upload, png_upload, sh_rule
from tests.tickets.factories import TicketFactory


@pytest.fixture
def ticket(branch_a):
    return TicketFactory(unit__owner__branch=branch_a, on_site=True)


@pytest.mark.django_db
class TestFiling:
    def test_the_ticket_page_offers_a_claim_and_lists_its_claims(self, client, dispatcher, ticket):
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
        assert reverse("claims:claim_new", args=[ticket.pk]) in page
        claim = file_claim(dispatcher, ticket, "300")
        page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
        assert claim.number in page and "审批中" in page

    def test_the_form_states_the_branchs_small_claim_limit(self, client, dispatcher, ticket, branch_a):
        client.force_login(dispatcher)
        url = reverse("claims:claim_new", args=[ticket.pk])
        assert "小额上限为 ¥2,000.00" in client.get(url).content.decode()  # the seed's default
        sh_rule(branch_a, threshold="5000.00")
        limit = client.get(url).content.decode()
        assert "上海分公司的小额上限为 ¥5,000.00" in limit

    def test_filing_with_a_photo_and_a_document(self, client, dispatcher, supervisor, ticket, branch_a):
        sh_rule(branch_a)
        client.force_login(dispatcher)
        response = client.post(
            reverse("claims:claim_new", args=[ticket.pk]),
            {
                "kind": "replacement",
                "amount": "3200.00",
                "reason": "整机更换",
                "attachments": [png_upload(), pdf_upload()],
            },
        )
        claim = Claim.objects.get()
        assert response.url == claim.get_absolute_url()
        assert (claim.kind, claim.is_large, claim.attachments.count()) == ("replacement", True, 2)
        page = client.get(response.url).content.decode()
        assert "等待服务主任审批" in page and "¥3,200.00" in page and "人民币叁仟贰佰元整" in page

    def test_errors_name_the_field_and_nothing_is_saved(self, client, dispatcher, ticket):
        client.force_login(dispatcher)
        page = client.post(
            reverse("claims:claim_new", args=[ticket.pk]),
            {
                "kind": "cash",
                "amount": "0",
                "reason": "",
            },
        ).content.decode()
        assert "金额必须大于 0 元。" in page and "请填写赔偿原因。" in page
        assert not Claim.objects.exists()

    def test_a_wrong_file_is_named_in_the_error(self, client, dispatcher, ticket):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client.force_login(dispatcher)
        page = client.post(
            reverse("claims:claim_new", args=[ticket.pk]),
            {
                "kind": "cash",
                "amount": "10",
                "reason": "x",
                "attachments": [SimpleUploadedFile("说明.txt", b"hello", content_type="text/plain")],
            },
        ).content.decode()
        assert "附件“说明.txt”必须是 JPEG、PNG、WebP 图片或 PDF 文件。" in page
        assert not Claim.objects.exists()

    def test_after_an_error_the_page_says_which_files_to_choose_again_and_keeps_the_rest(
        self, client, dispatcher, ticket
    ):
        """A browser cannot refill a file box: the photos were silently gone after a typo in the amount."""
        client.force_login(dispatcher)
        page = client.post(
            reverse("claims:claim_new", args=[ticket.pk]),
            {
                "kind": "cash",
                "amount": "12,80",
                "reason": "压缩机更换后仍漏氟",
                "attachments": [png_upload("现场.png"), pdf_upload("鉴定.pdf")],
            },
        ).content.decode()
        assert "金额必须是数字" in page
        assert "附件尚未上传:请重新选择 现场.png、鉴定.pdf。" in page
        assert "压缩机更换后仍漏氟" in page and 'value="12,80"' in page
        assert not Claim.objects.exists()

    def test_outsiders_get_404_and_read_only_insiders_403(self, client, persona, ticket, branch_b):
        url = reverse("claims:claim_new", args=[ticket.pk])
        client.force_login(persona(Role.DISPATCHER, branch=branch_b))
        assert client.get(url).status_code == 404
        client.force_login(persona(Role.FINANCE))
        assert client.get(url).status_code == 403


@pytest.mark.django_db
class TestDetailAndDecision:
    def test_only_the_current_approver_sees_the_decision_buttons(
        self, client, dispatcher, supervisor, ticket
    ):
        claim = file_claim(dispatcher, ticket, "300")
        url = claim.get_absolute_url()
        client.force_login(dispatcher)
        assert 'data-action="approve"' not in client.get(url).content.decode()
        client.force_login(supervisor)
        assert 'data-action="approve"' in client.get(url).content.decode()

    def test_approving_and_rejecting_take_one_screen(self, client, dispatcher, supervisor, ticket):
        claim = file_claim(dispatcher, ticket, "300")
        client.force_login(supervisor)
        response = client.post(
            reverse("claims:claim_decide", args=[claim.pk]),
            {"version": claim.version, "decision": "reject", "note": ""},
            follow=True,
        )
        assert "驳回时请填写驳回原因。" in response.content.decode()
        response = client.post(
            reverse("claims:claim_decide", args=[claim.pk]),
            {"version": claim.version, "decision": "reject", "note": "已超过保修期"},
            follow=True,
        )
        page = response.content.decode()
        assert "已驳回,已通知申请人" in page and "已超过保修期" in page
        assert Claim.objects.get().status == ClaimStatus.REJECTED

    def test_deciding_ones_own_claim_is_403(self, client, supervisor, ticket):
        claim = file_claim(supervisor, ticket, "300")
        client.force_login(supervisor)
        response = client.post(
            reverse("claims:claim_decide", args=[claim.pk]),
            {"version": claim.version, "decision": "approve"},
        )
        assert response.status_code == 403

    def test_claims_of_another_branch_are_404(self, client, dispatcher, ticket, persona, branch_b):
        claim = file_claim(dispatcher, ticket, "300")
        client.force_login(persona(Role.SUPERVISOR, branch=branch_b))
        assert client.get(claim.get_absolute_url()).status_code == 404
        response = client.post(
            reverse("claims:claim_decide", args=[claim.pk]),
            {"version": claim.version, "decision": "approve"},
        )
        assert response.status_code == 404

    def test_attachments_are_served_to_the_branch_only(self, client, dispatcher, ticket, persona, branch_b):
        claim = file_claim(dispatcher, ticket, "300", uploads=[pdf_upload()])
        url = reverse("claims:claim_attachment", args=[claim.pk, claim.attachments.get().pk])
        client.force_login(persona(Role.MANAGER))
        response = client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
        client.force_login(persona(Role.MANAGER, branch=branch_b))
        assert client.get(url).status_code == 404

    def test_more_files_while_pending(self, client, dispatcher, supervisor, ticket):
        claim = file_claim(dispatcher, ticket, "300")
        client.force_login(dispatcher)
        client.post(reverse("claims:claim_attach", args=[claim.pk]), {"attachments": [png_upload()]})
        assert claim.attachments.count() == 1
        approve(supervisor, claim)
        response = client.post(
            reverse("claims:claim_attach", args=[claim.pk]), {"attachments": [png_upload()]}, follow=True
        )
        assert "申请已审批完毕,不能再添加附件。" in response.content.decode()
        assert claim.attachments.count() == 1


@pytest.mark.django_db
class TestList:
    def queries(self, client, url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def test_the_list_filters_searches_and_runs_constant_queries(
        self, client, dispatcher, persona, branch_a, branch_b
    ):
        manager = persona(Role.MANAGER)
        client.force_login(manager)
        url = reverse("claims:claim_list")
        assert "没有符合条件的赔偿申请" in client.get(url).content.decode()
        claims = [
            file_claim(dispatcher, TicketFactory(unit__owner__branch=branch_a), "100") for _ in range(2)
        ]
        few = self.queries(client, url)
        for _ in range(8):
            file_claim(dispatcher, TicketFactory(unit__owner__branch=branch_a), "100")
        assert self.queries(client, url) == few
        elsewhere = file_claim(
            persona(Role.DISPATCHER, branch=branch_b), TicketFactory(unit__owner__branch=branch_b), "100"
        )
        page = client.get(url).content.decode()
        assert claims[0].number in page and elsewhere.number not in page
        page = client.get(url, {"q": claims[1].ticket.number}).content.decode()
        assert claims[1].number in page and claims[0].number not in page
        assert claims[0].number not in client.get(url, {"status": "approved"}).content.decode()

    def test_a_technician_sees_only_the_claims_they_filed(self, client, dispatcher, ticket, branch_a):
        mine = file_claim(ticket.technician, ticket, "100")
        theirs = file_claim(dispatcher, TicketFactory(unit__owner__branch=branch_a), "100")
        client.force_login(ticket.technician)
        page = client.get(reverse("claims:claim_list")).content.decode()
        assert mine.number in page and theirs.number not in page


@pytest.mark.django_db
class TestWriteOffList:
    def test_finance_books_from_the_list_with_constant_queries(
        self, client, dispatcher, supervisor, persona, branch_a
    ):
        finance = persona(Role.FINANCE)
        client.force_login(finance)
        url = reverse("claims:write_offs")
        assert "没有核销记录" in client.get(url).content.decode()

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)

        claims = [
            approve(supervisor, file_claim(dispatcher, TicketFactory(unit__owner__branch=branch_a), "100"))
            for _ in range(2)
        ]
        few = queries()
        for _ in range(5):
            approve(supervisor, file_claim(dispatcher, TicketFactory(unit__owner__branch=branch_a), "100"))
        assert queries() == few
        entry = claims[0].write_off_entry
        response = client.post(
            reverse("claims:write_off_book", args=[entry.pk]),
            {"voucher_number": "记-2026-11-001"},
            follow=True,
        )
        assert f"核销记录 {entry.number} 已入账。" in response.content.decode()
        assert Claim.objects.get(pk=claims[0].pk).status == ClaimStatus.WRITTEN_OFF

    def test_a_manager_reads_but_cannot_book(self, client, dispatcher, supervisor, persona, ticket):
        claim = approve(supervisor, file_claim(dispatcher, ticket, "100"))
        client.force_login(persona(Role.MANAGER))
        page = client.get(reverse("claims:write_offs")).content.decode()
        assert claim.write_off_entry.number in page and "入账</button>" not in page
        response = client.post(
            reverse("claims:write_off_book", args=[claim.write_off_entry.pk]), {"voucher_number": "x"}
        )
        assert response.status_code == 403

    def test_dispatchers_have_no_finance_lists(self, client, dispatcher):
        client.force_login(dispatcher)
        assert client.get(reverse("claims:write_offs")).status_code == 403


@pytest.mark.django_db
class TestApproversComment:
    def test_an_approval_needs_a_comment_which_goes_on_the_write_off_form(
        self, client, dispatcher, supervisor, ticket
    ):
        claim = file_claim(dispatcher, ticket, "300")
        client.force_login(supervisor)
        page = client.get(claim.get_absolute_url()).content.decode()
        assert 'name="note"' in page and "审批意见" in page and "确定批准赔偿申请" in page
        url = reverse("claims:claim_decide", args=[claim.pk])
        response = client.post(
            url, {"version": claim.version, "decision": "approve", "note": " "}, follow=True
        )
        assert "请填写审批意见,它将印在核销申报表上。" in response.content.decode()
        assert Claim.objects.get().status == ClaimStatus.PENDING
        client.post(url, {"version": claim.version, "decision": "approve", "note": "上门核实属实,同意退款"})
        claim = Claim.objects.get()
        assert claim.status == ClaimStatus.APPROVED
        assert claim.approvals.get().note == "上门核实属实,同意退款"
        pdf = client.get(f"/warranty/claims/{claim.pk}/write-off-form.pdf")
        assert "上门核实属实,同意退款" in pdf_text(pdf.content)
