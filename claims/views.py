"""Compensation claim screens: file a claim on a ticket, the list, the detail with the one-screen
decision, attachments and the 产品质量处理核销申报表 PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.idempotency import idempotent
from aftersales.errors import UserError
from aftersales.texts import list_text
from aftersales.uploads import file_response
from claims.forms import ClaimFilterForm, ClaimForm, DecisionForm, ReassignForm, WithdrawForm
from claims.models import Claim, ClaimApproval, ClaimStatus
from claims.money import rmb_upper
from claims.selectors import filtered_claims
from claims.services import (
    access_claim,
    add_attachments,
    decide_claim,
    may_decide,
    may_file_claim,
    may_reassign,
    may_withdraw,
    reassign_candidates,
    reassign_claim,
    rule_for,
    submit_claim,
    withdraw_claim,
)
from tickets.access import access_ticket
from tickets.documents import pdf_response, render_pdf
from tickets.models import RepairTicket

PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def claim_new(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    ticket = access_ticket(
        request.user,
        ticket_pk,
        queryset=RepairTicket.objects.select_related("branch", "customer", "unit__product_model"),
    )
    if not may_file_claim(ticket, request.user):
        raise PermissionDenied(_("您不能为该工单提交赔偿申请。"))
    form = ClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                claim = submit_claim(
                    user=request.user,
                    ticket_id=ticket.pk,
                    kind=data["kind"],
                    amount=data["amount"],
                    reason=data["reason"],
                    uploads=data["attachments"],
                    idempotency_key=data["idempotency_key"],
                )
            except UserError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(
                    request,
                    _("已提交赔偿申请 %(number)s,等待%(role)s审批。")
                    % {"number": claim.number, "role": claim.get_awaiting_role_display()},
                )
                return redirect(claim)
        messages.error(request, _("请按提示修改标红的项目后再提交。"))
        _name_files_to_choose_again(form, request.FILES.getlist("attachments"))
    context = {"form": form, "ticket": ticket, "small_claim_limit": rule_for(ticket.branch).threshold}
    return render(request, "claims/claim_form.html", context)


def _name_files_to_choose_again(form: ClaimForm, uploads) -> None:
    """A browser cannot fill a file box again: say which files were not kept, so none is lost unseen
    (the other fields keep what was typed)."""
    if uploads:
        names = list_text(upload.name for upload in uploads)
        form.add_error("attachments", _("附件尚未上传:请重新选择 %(names)s。") % {"names": names})


@login_required
@require_GET
def claim_list(request: HttpRequest) -> HttpResponse:
    form = ClaimFilterForm(request.GET or None)
    page = Paginator(filtered_claims(request.user, form), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "claims/claim_list.html", {"form": form, "page": page, "query": query.urlencode()})


def _detail_queryset():
    return Claim.objects.select_related(
        "branch", "submitted_by", "ticket__customer", "ticket__unit__product_model", "write_off_entry"
    ).prefetch_related(
        "attachments", Prefetch("approvals", queryset=ClaimApproval.objects.select_related("approver"))
    )


@login_required
@require_GET
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = access_claim(request.user, pk, queryset=_detail_queryset())
    decidable = may_decide(claim, request.user)
    return render(
        request,
        "claims/claim_detail.html",
        {
            "claim": claim,
            "may_decide": decidable,
            "may_attach": claim.status == ClaimStatus.PENDING
            and (decidable or claim.submitted_by_id == request.user.pk),
            "steps": _steps(claim),
            "amount_words": rmb_upper(claim.amount),
            "may_withdraw": may_withdraw(claim, request.user),
            "reassign_to": reassign_candidates(claim) if may_reassign(claim, request.user) else None,
        },
    )


def _steps(claim: Claim) -> list[dict]:
    """The route with each level's decision (if any), for the detail page and the PDF."""
    decisions = {approval.level: approval for approval in claim.approvals.all()}
    return [
        {
            "position": level["position"],
            "role": level["role"],
            "approval": decisions.get(level["position"]),
            "current": claim.status == ClaimStatus.PENDING and claim.current_level == level["position"],
            # Passed on because nobody of the planned role could decide it (routing.reroute), or
            # assigned by an admin.
            "planned_role": level.get("planned_role"),
            "skipped": level.get("skipped", False),
            "assigned_to": level.get("assigned_to"),
            "assigned_by": level.get("assigned_by"),
        }
        for level in claim.levels
    ]


@login_required
@require_POST
@idempotent
def claim_decide(request: HttpRequest, pk: int) -> HttpResponse:
    claim = access_claim(request.user, pk)
    form = DecisionForm(request.POST)
    next_url = "claims:approvals" if request.POST.get("next") == "inbox" else None
    if not form.is_valid():
        messages.error(request, _("提交的内容无效,请刷新页面后重试。"))
        return redirect(claim)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        claim = decide_claim(
            user=request.user,
            claim_id=claim.pk,
            expected_version=form.cleaned_data["version"],
            approve=approve,
            note=form.cleaned_data["note"],
        )
    except UserError as exc:
        messages.error(request, str(exc))
        return redirect(claim)
    if claim.status == ClaimStatus.PENDING:
        message = _("已批准第 %(level)d 级,赔偿申请 %(number)s 转%(role)s审批。") % {
            "level": claim.current_level - 1,
            "number": claim.number,
            "role": claim.get_awaiting_role_display(),
        }
    elif claim.status == ClaimStatus.APPROVED:
        message = _("赔偿申请 %(number)s 已批准,已生成核销申报表并通知财务。") % {"number": claim.number}
    else:
        message = _("赔偿申请 %(number)s 已驳回,已通知申请人。") % {"number": claim.number}
    messages.success(request, message)
    return redirect(next_url or claim)


@login_required
@require_POST
@idempotent
def claim_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    claim = access_claim(request.user, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("撤回时请填写撤回原因。"))
        return redirect(claim)
    try:
        claim = withdraw_claim(
            user=request.user,
            claim_id=claim.pk,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("赔偿申请 %(number)s 已撤回,已通知审批人。") % {"number": claim.number})
    return redirect(claim)


@login_required
@require_POST
@idempotent
def claim_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    claim = access_claim(request.user, pk)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("提交的内容无效,请刷新页面后重试。"))
        return redirect(claim)
    try:
        claim = reassign_claim(
            user=request.user,
            claim_id=claim.pk,
            expected_version=form.cleaned_data["version"],
            approver_id=form.cleaned_data["approver"],
            note=form.cleaned_data["note"],
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("已指定 %(name)s 审批赔偿申请 %(number)s,已通知其本人。")
            % {"name": claim.assigned_to, "number": claim.number},
        )
    return redirect(claim)


@login_required
@require_POST
@idempotent
def claim_attach(request: HttpRequest, pk: int) -> HttpResponse:
    claim = access_claim(request.user, pk)
    try:
        add_attachments(user=request.user, claim_id=claim.pk, uploads=request.FILES.getlist("attachments"))
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("附件已上传。"))
    return redirect(claim)


@login_required
@require_GET
def claim_attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    claim = access_claim(request.user, pk)
    attachment = claim.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment")
    # file_response takes the type from the stored file (named by the server after its checked content),
    # never from the uploader's file name: a PDF uploaded as "x.html" must not be served as a page.
    return file_response(attachment.file, filename=attachment.original_name)


@login_required
@require_GET
def claim_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """产品质量处理核销申报表 (§2-一-2(2)) of an approved claim."""
    claim = access_claim(request.user, pk, queryset=_detail_queryset())
    if claim.status not in (ClaimStatus.APPROVED, ClaimStatus.WRITTEN_OFF):
        raise Http404("Only an approved claim has a write-off form")
    pdf = render_pdf(
        "claims/pdf/write_off_form.html",
        {
            "claim": claim,
            "ticket": claim.ticket,
            "steps": _steps(claim),
            "amount_words": rmb_upper(claim.amount),
            "printed_at": timezone.localtime(),
        },
    )
    return pdf_response(pdf, f"{claim.number}.pdf")
