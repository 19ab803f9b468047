"""Write paths of compensation claims: submit (routed), decide one level, book the write-off.

Each runs in one transaction with the claim row locked, so two approvers pressing at once are
serialised: the first decides, the second is told the claim moved on. Notifications are stored in the
same transaction (delivered after commit by the worker) with idempotent keys.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import DocumentSequence, Role, User
from aftersales.errors import Conflict, UserError
from aftersales.texts import Text
from aftersales.uploads import UploadRefused, check_pdf, check_size, prepare_photo
from audit.services import record
from claims import routing
from claims.models import (
    ApprovalRule,
    AttachmentKind,
    Claim,
    ClaimApproval,
    ClaimAttachment,
    ClaimKind,
    ClaimStatus,
    Decision,
    WriteOff,
    WriteOffStatus,
)
from claims.webhooks import emit_claim_approved
from notifications.services import mark_work_done, notify
from tickets.models import RepairTicket, State

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_AMOUNT = Decimal("9999999999.99")
# Who may file a claim on a ticket of their branch; the assigned technician may too (§1-3.4.2 c).
CLAIM_FILERS = (Role.DISPATCHER, Role.SUPERVISOR, Role.MANAGER)


def access_claim(user: User, pk: int, *, queryset=None) -> Claim:
    """The one place that fetches a claim for a user: 404 outside their scope."""
    base = queryset if queryset is not None else Claim.objects.all()
    try:
        return base.visible_to(user).get(pk=pk)
    except Claim.DoesNotExist as exc:
        raise Http404("No such claim") from exc


def may_file_claim(ticket: RepairTicket, user: User) -> bool:
    if not user.is_active or ticket.state == State.CANCELLED:
        return False
    if ticket.technician_id == user.pk and user.has_role(Role.TECHNICIAN):
        return True
    return user.has_role(*CLAIM_FILERS) and user.in_branch(ticket.branch_id)


def rule_for(branch) -> routing.RoutingRule:
    """The branch's own rule, else the default rule, else the seed's two cases (routing.DEFAULT_RULE)."""
    rules = ApprovalRule.objects.filter(Q(branch=branch) | Q(branch__isnull=True)).prefetch_related("levels")
    by_branch = {rule.branch_id: rule for rule in rules}
    rule = by_branch.get(branch.pk) or by_branch.get(None)
    return rule.to_rule() if rule else routing.DEFAULT_RULE


def may_decide(claim: Claim, user: User) -> bool:
    """The current level's role, in the claim's branch or headquarters — or the person an admin assigned
    the level to; never one's own claim, and never two levels of the same claim (each level is a
    different person's judgement)."""
    if claim.assigned_to_id is not None:
        eligible = claim.assigned_to_id == user.pk
    else:
        eligible = user.has_role(claim.awaiting_role) and user.in_branch(claim.branch_id)
    return (
        eligible
        and user.is_active
        and claim.status == ClaimStatus.PENDING
        and claim.submitted_by_id != user.pk
        and not claim.approvals.filter(approver=user).exists()
    )


def may_withdraw(claim: Claim, user: User) -> bool:
    return claim.status == ClaimStatus.PENDING and claim.submitted_by_id == user.pk


def may_reassign(claim: Claim, user: User) -> bool:
    return (
        claim.status == ClaimStatus.PENDING
        and user.is_active
        and (user.is_superuser or user.has_role(Role.ADMIN))
    )


@dataclass(frozen=True)
class PreparedFile:
    kind: str
    content: ContentFile
    original_name: str
    sha256: str


def prepare_attachment(upload) -> PreparedFile:
    """A photo (JPEG/PNG/WebP, shrunk like the report's photos) or a PDF document, at most 10 MB."""
    name = upload.name or "file"
    wrong_type = _("附件“%(name)s”必须是 JPEG、PNG、WebP 图片或 PDF 文件。") % {"name": name}
    try:
        check_size(upload, MAX_ATTACHMENT_BYTES, _("附件“%(name)s”超过 10 MB。") % {"name": name})
        head = upload.read(5)
        upload.seek(0)
        if head == b"%PDF-":
            data = upload.read()
            check_pdf(data, wrong_type)
            content = ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
            return PreparedFile(
                AttachmentKind.DOCUMENT, content, name[:200], hashlib.sha256(data).hexdigest()
            )
    except UploadRefused as exc:
        raise UserError(str(exc), field="attachments") from exc
    try:
        content, digest = prepare_photo(upload, field="attachments", wrong_type=wrong_type)
    except UserError as exc:
        message = str(exc)
        if message != wrong_type:  # damaged or too many pixels: say which of the files
            message = _("附件“%(name)s”:%(problem)s") % {"name": name, "problem": message}
        raise UserError(message, field="attachments") from exc
    return PreparedFile(AttachmentKind.PHOTO, content, name[:200], digest)


def prepare_attachments(uploads) -> list[PreparedFile]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise UserError(_("附件最多 %(count)d 个。") % {"count": MAX_ATTACHMENTS}, field="attachments")
    return [prepare_attachment(upload) for upload in uploads]


def _save_attachments(claim: Claim, files: list[PreparedFile], user: User) -> None:
    for prepared in files:
        attachment = ClaimAttachment(
            claim=claim,
            kind=prepared.kind,
            original_name=prepared.original_name,
            sha256=prepared.sha256,
            uploaded_by=user,
        )
        attachment.file.save(prepared.content.name, prepared.content, save=False)
        attachment.save()


def approvers_for(claim: Claim, role: str) -> list[User]:
    """Who is told: the role's people in the claim's branch, else at headquarters (the general manager)."""
    people = list(
        User.objects.filter(is_active=True, groups__name=role)
        .filter(Q(branch_id=claim.branch_id) | Q(branch__kind="headquarters"))
        .select_related("branch")
    )
    local = [person for person in people if person.branch_id == claim.branch_id]
    return local or people


def _deciders(claim: Claim, role: str) -> list[User]:
    """The people of a role who may decide this claim: not the claimant, nor who decided an earlier level."""
    excluded = {claim.submitted_by_id, *claim.approvals.values_list("approver_id", flat=True)}
    return [person for person in approvers_for(claim, role) if person.pk not in excluded]


def _ask_next_level(claim: Claim) -> None:
    """Ask the current level; a level nobody may decide passes up or on (routing.reroute, noted in the
    route so the trail says so), and with nobody at all the admins are asked to assign someone."""
    excluded = {claim.submitted_by_id, *claim.approvals.values_list("approver_id", flat=True)}
    people = {role: approvers_for(claim, role) for role in routing.APPROVER_ROLES}
    deciders = {
        role: [person for person in found if person.pk not in excluded] for role, found in people.items()
    }
    remaining = tuple(level["role"] for level in claim.levels[claim.current_level - 1 :])
    changes, asked = routing.reroute(
        remaining,
        staffed=frozenset(role for role, found in deciders.items() if found),
        blocked=frozenset(role for role, found in people.items() if found and not deciders[role]),
    )
    for change in changes:
        level = claim.levels[claim.current_level - 1]
        level["planned_role"] = change.planned
        if change.asked is None:
            level["skipped"] = True
            claim.current_level += 1
        else:
            level["role"] = change.asked
    claim.awaiting_role = claim.levels[claim.current_level - 1]["role"]
    claim.save(update_fields=["levels", "current_level", "awaiting_role"])
    subject = Text(gettext_noop("赔偿申请 %(number)s 待您审批(¥%(amount)s)")) % {
        "number": claim.number,
        "amount": claim.amount,
    }
    if asked is None:
        recipients = list(User.objects.filter(is_active=True, groups__name=Role.ADMIN))
        subject = Text(
            gettext_noop("赔偿申请 %(number)s 无人可审批(申请人本人和已审批的人除外),请指定审批人")
        ) % {"number": claim.number}
    else:
        recipients = deciders[asked]
    notify(
        recipients,
        kind="claim_approval",
        subject=subject,
        body=claim.reason,
        link=claim.get_absolute_url(),
        key=f"claim:{claim.pk}:level:{claim.current_level}" + ("" if asked else ":admin"),
        work_key=_level_work(claim, claim.current_level),
    )


def _level_work(claim: Claim, level: int) -> str:
    """The work item the asks of one approval level are about (notifications.mark_work_done)."""
    return f"claim:{claim.pk}:level:{level}"


def submit_claim(
    *,
    user: User,
    ticket_id: int,
    kind: str,
    amount: Decimal | None,
    reason: str,
    uploads=(),
    idempotency_key: uuid.UUID | None = None,
) -> Claim:
    """File a claim: checked, routed by the branch's rule, numbered, with its files; the first level is
    asked. The same `idempotency_key` again (a double tap) returns the claim the first send made."""
    reason = reason.strip()
    if kind not in ClaimKind.values:
        raise UserError(_("请选择赔偿类型。"), field="kind")
    if amount is None or amount <= 0:
        raise UserError(_("金额必须大于 0 元。"), field="amount")
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise UserError(_("金额最多两位小数,且不能超过 99 亿元。"), field="amount")
    if not reason:
        raise UserError(_("请填写赔偿原因。"), field="reason")
    files = prepare_attachments(list(uploads))
    with transaction.atomic():
        # The ticket's row lock serialises two sends of the same form.
        ticket = (
            RepairTicket.objects.select_for_update(of=("self",)).select_related("branch").get(pk=ticket_id)
        )
        if not may_file_claim(ticket, user):
            raise PermissionDenied(_("您不能为该工单提交赔偿申请。"))
        if idempotency_key is not None:
            existing = Claim.objects.filter(idempotency_key=idempotency_key, ticket=ticket).first()
            if existing is not None:
                return existing
        rule = rule_for(ticket.branch)
        planned = routing.route(amount, kind, rule)
        claim = Claim.objects.create(
            number=DocumentSequence.document_number(kind="claim", prefix="PC", branch=ticket.branch),
            branch=ticket.branch,
            ticket=ticket,
            kind=kind,
            amount=amount,
            reason=reason,
            idempotency_key=idempotency_key,
            submitted_by=user,
            threshold=rule.threshold,
            is_large=planned.large,
            levels=[{"position": level.position, "role": level.role} for level in planned.levels],
            current_level=1,
            awaiting_role=planned.levels[0].role,
        )
        _save_attachments(claim, files, user)
        record(user, "claim.submit", claim, {"kind": kind, "amount": amount, "ticket": ticket.number})
        _ask_next_level(claim)
    return claim


def add_attachments(*, user: User, claim_id: int, uploads) -> Claim:
    """More photos or documents while the claim is being decided (the submitter or an approver)."""
    files = prepare_attachments(list(uploads))
    if not files:
        raise UserError(_("请选择要上传的文件。"), field="attachments")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status != ClaimStatus.PENDING:
            raise Conflict(_("申请已审批完毕,不能再添加附件。"))
        if claim.submitted_by_id != user.pk and not may_decide(claim, user):
            raise PermissionDenied(_("只有申请人和当前审批人可以添加附件。"))
        if claim.attachments.count() + len(files) > MAX_ATTACHMENTS:
            raise UserError(_("附件最多 %(count)d 个。") % {"count": MAX_ATTACHMENTS}, field="attachments")
        _save_attachments(claim, files, user)
    return claim


def decide_claim(
    *, user: User, claim_id: int, expected_version: int | None, approve: bool, note: str = ""
) -> Claim:
    """One level's decision. Approving the last level approves the claim: write-off entry and the
    notices of §2-一-2 (small: finance and the manager; large: finance). Every decision carries the
    approver's comment (审批意见, printed on the write-off form); a rejection its reason."""
    note = note.strip()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        _check_version(claim, expected_version)
        if claim.status != ClaimStatus.PENDING:
            raise Conflict(
                _("赔偿申请 %(number)s 当前状态为“%(status)s”,不能再审批。")
                % {"number": claim.number, "status": claim.get_status_display()}
            )
        if claim.submitted_by_id == user.pk:
            raise PermissionDenied(_("不能审批自己提交的赔偿申请。"))
        if claim.approvals.filter(approver=user).exists():
            raise PermissionDenied(_("您已审批过该申请的上一级,同一人不能审批两级。"))
        if not may_decide(claim, user):
            if claim.assigned_to_id is not None:
                raise PermissionDenied(_("该申请已指定由 %(name)s 审批。") % {"name": claim.assigned_to})
            raise PermissionDenied(
                _("该申请当前须由%(role)s审批。") % {"role": claim.get_awaiting_role_display()}
            )
        if not note:
            raise UserError(
                _("请填写审批意见,它将印在核销申报表上。") if approve else _("驳回时请填写驳回原因。"),
                field="note",
            )
        now = timezone.now()
        level, role = claim.current_level, claim.awaiting_role
        if approve:
            claim.approve_level(at=now)
        else:
            claim.reject(reason=note, at=now)
        claim.version += 1
        claim.save()
        mark_work_done(_level_work(claim, level))
        try:
            with transaction.atomic():
                ClaimApproval.objects.create(
                    claim=claim,
                    level=level,
                    role=role,
                    approver=user,
                    decision=Decision.APPROVE if approve else Decision.REJECT,
                    note=note,
                    at=now,
                )
        except (
            IntegrityError
        ) as exc:  # the row lock makes this unreachable; the constraint stays the last word
            raise Conflict(_("该级已由他人审批,请刷新页面。")) from exc
        details = {"level": level, "role": role, "status": claim.status, "amount": claim.amount, "note": note}
        record(user, "claim.approve" if approve else "claim.reject", claim, details)
        if claim.status == ClaimStatus.PENDING:
            _ask_next_level(claim)
        elif claim.status == ClaimStatus.APPROVED:
            _approved(claim)
        else:
            notify(
                [claim.submitted_by],
                kind="claim_rejected",
                subject=Text(gettext_noop("赔偿申请 %(number)s 已被驳回")) % {"number": claim.number},
                body=note,
                link=claim.get_absolute_url(),
                key=f"claim:{claim.pk}:rejected",
            )
    return claim


def withdraw_claim(*, user: User, claim_id: int, expected_version: int | None, reason: str) -> Claim:
    """The claimant takes back a claim still being decided, saying why; the people asked are told."""
    reason = reason.strip()
    if not reason:
        raise UserError(_("撤回时请填写撤回原因。"), field="reason")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        _check_version(claim, expected_version)
        if claim.submitted_by_id != user.pk:
            raise PermissionDenied(_("只有申请人可以撤回赔偿申请。"))
        if claim.status != ClaimStatus.PENDING:
            raise Conflict(
                _("赔偿申请 %(number)s 当前状态为“%(status)s”,不能撤回。")
                % {"number": claim.number, "status": claim.get_status_display()}
            )
        asked = [claim.assigned_to] if claim.assigned_to else _deciders(claim, claim.awaiting_role)
        level = claim.current_level
        claim.withdraw(reason=reason, at=timezone.now())
        claim.version += 1
        claim.save()
        mark_work_done(_level_work(claim, level))
        record(user, "claim.withdraw", claim, {"reason": reason})
        notify(
            asked,
            kind="claim_withdrawn",
            subject=Text(gettext_noop("赔偿申请 %(number)s 已由申请人撤回,无需审批"))
            % {"number": claim.number},
            body=reason,
            link=claim.get_absolute_url(),
            key=f"claim:{claim.pk}:withdrawn",
        )
    return claim


def reassign_candidates(claim: Claim):
    """Who an admin may assign the current level to: an active supervisor, manager or general manager of
    the claim's branch or headquarters, who is not the claimant and decided no earlier level."""
    return (
        User.objects.filter(is_active=True, groups__name__in=routing.APPROVER_ROLES)
        .filter(Q(branch_id=claim.branch_id) | Q(branch__kind="headquarters"))
        .exclude(pk=claim.submitted_by_id)
        .exclude(pk__in=claim.approvals.values("approver_id"))
        .select_related("branch")
        .distinct()
        .order_by("username")
    )


def reassign_claim(
    *, user: User, claim_id: int, expected_version: int | None, approver_id: int | None, note: str = ""
) -> Claim:
    """An admin names who decides the current level (when nobody of its role may); noted in the route."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        _check_version(claim, expected_version)
        if not may_reassign(claim, user):
            raise PermissionDenied(_("只有系统管理员可以为待审批的申请指定审批人。"))
        approver = reassign_candidates(claim).filter(pk=approver_id).first() if approver_id else None
        if approver is None:
            raise UserError(_("请选择本网点或总部的在岗审批人(申请人和已审批的人除外)。"), field="approver")
        claim.assigned_to = approver
        level = claim.levels[claim.current_level - 1]
        level["assigned_to"] = str(approver)
        level["assigned_by"] = str(user)
        level["assignment_note"] = note.strip()
        claim.version += 1
        claim.save(update_fields=["assigned_to", "levels", "version"])
        record(user, "claim.reassign", claim, {"level": claim.current_level, "approver": str(approver)})
        notify(
            [approver],
            kind="claim_approval",
            subject=Text(gettext_noop("赔偿申请 %(number)s 待您审批(¥%(amount)s)"))
            % {"number": claim.number, "amount": claim.amount},
            body=claim.reason,
            link=claim.get_absolute_url(),
            key=f"claim:{claim.pk}:level:{claim.current_level}:assigned:{approver.pk}",
            work_key=_level_work(claim, claim.current_level),
        )
    return claim


def _check_version(claim: Claim, expected_version: int | None) -> None:
    if expected_version is not None and claim.version != expected_version:
        raise Conflict(
            _("赔偿申请 %(number)s 已被他人处理(当前状态:%(status)s),请刷新页面。")
            % {"number": claim.number, "status": claim.get_status_display()}
        )


def _approved(claim: Claim) -> None:
    emit_claim_approved(claim)
    WriteOff.objects.create(
        claim=claim,
        number=DocumentSequence.document_number(kind="write_off", prefix="HX", branch=claim.branch),
        branch=claim.branch,
        amount=claim.amount,
    )
    # §2-一-2(1): a small claim handled by the department is reported to finance and the manager.
    informed = approvers_for(claim, Role.FINANCE)
    if not claim.is_large:
        informed += approvers_for(claim, Role.MANAGER)
    subject = Text(gettext_noop("赔偿申请 %(number)s 已批准(¥%(amount)s),请办理核销")) % {
        "number": claim.number,
        "amount": claim.amount,
    }
    notify(
        [*informed, claim.submitted_by],
        kind="claim_approved",
        subject=subject,
        body=claim.reason,
        link=claim.get_absolute_url(),
        key=f"claim:{claim.pk}:approved",
    )


def book_write_off(*, user: User, write_off_id: int, voucher_number: str) -> WriteOff:
    """Finance books the write-off (入账) with its voucher number; the claim is then written off."""
    voucher_number = voucher_number.strip()
    if not voucher_number:
        raise UserError(_("请填写记账凭证号。"), field="voucher_number")
    with transaction.atomic():
        entry = WriteOff.objects.select_for_update().select_related("claim").get(pk=write_off_id)
        if not user.has_role(Role.FINANCE) or not (user.in_branch(entry.branch_id)):
            raise PermissionDenied(_("只有本网点的会计可以办理核销入账。"))
        if entry.status != WriteOffStatus.PENDING:
            raise Conflict(_("核销记录 %(number)s 已入账。") % {"number": entry.number})
        entry.status = WriteOffStatus.BOOKED
        entry.voucher_number = voucher_number
        entry.booked_by = user
        entry.booked_at = timezone.now()
        entry.save()
        claim = Claim.objects.select_for_update().get(pk=entry.claim_id)
        claim.write_off()
        claim.version += 1
        claim.save()
        record(user, "write_off.book", entry, {"claim": claim.number, "voucher_number": voucher_number})
    return entry
