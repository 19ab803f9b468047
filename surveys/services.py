"""Write paths of follow-up calls, surveys and complaints. Each runs in one transaction.

`on_ticket_transitioned` (connected in `SurveysConfig.ready`) schedules the calls and the survey when a
ticket is accepted and cancels the pending calls when it is reopened or its acceptance is taken back. `record_call` is the agent's
one-screen call record: the first call reached on an accepted ticket carries the survey and closes the
ticket (`follow_up`, DESIGN §3) in the same transaction.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import DocumentSequence, Role, User
from aftersales.errors import Conflict, UserError
from aftersales.texts import Text
from notifications.services import notify, notify_customer
from surveys import rules
from surveys.models import (
    AnswerChannel,
    AnsweredVia,
    Complaint,
    ComplaintSource,
    ComplaintState,
    FollowUpCall,
    Outcome,
    Severity,
    Survey,
    hash_token,
)
from surveys.permissions import may_act_on_complaint, may_call
from surveys.scoring import QUESTION_FIELDS, Level
from surveys.webhooks import emit_survey_answered
from tickets.models import RepairTicket, State, TicketEvent, event_note
from tickets.services import apply_transition


class LinkNotFound(Conflict):
    pass


class LinkUsed(Conflict):
    pass


class LinkExpired(Conflict):
    pass


# --- configuration (read at call time, never at import) ---


def follow_up_offsets() -> tuple[int, ...]:
    return tuple(settings.FOLLOW_UP_OFFSETS_DAYS)


def max_call_attempts() -> int:
    return settings.FOLLOW_UP_MAX_ATTEMPTS


def survey_link_days() -> int:
    return settings.SURVEY_LINK_DAYS


def complaint_plan_hours() -> int:
    return settings.COMPLAINT_PLAN_HOURS


# --- scheduling on ticket events ---


def on_ticket_transitioned(
    sender, *, ticket: RepairTicket, name: str, actor, at: datetime.datetime, **kwargs
):
    """Receiver of `tickets.signals.ticket_transitioned` (inside the transition's transaction)."""
    if name == "accept":
        schedule_follow_ups(ticket=ticket, at=at)
    elif name == "reopen":
        cancel_follow_ups(ticket=ticket)
    elif name == "undo_accept":
        cancel_follow_ups(ticket=ticket)
        revoke_survey_link(ticket=ticket)
    elif name == "follow_up" and Survey.objects.filter(ticket=ticket, answered_at__isnull=True).exists():
        # DESIGN §3: the ticket closes with its first follow-up call, recorded with the survey
        # (record_call answers the survey first); a bare `follow_up` from a page or the API is refused.
        raise Conflict(_("请在回访中记录满意度调查后再关闭工单(回访 → 记录本次回访)。"))


def schedule_follow_ups(*, ticket: RepairTicket, at: datetime.datetime) -> list[FollowUpCall]:
    """The calls at the configured offsets (§2-三-2) and the ticket's survey (§7-二十四: every ticket)."""
    accepted_on = timezone.localdate(at)
    calls = FollowUpCall.objects.bulk_create(
        [
            FollowUpCall(
                ticket=ticket, branch_id=ticket.branch_id, offset=offset, due_on=due_on, created_at=at
            )
            for offset, due_on in rules.follow_up_schedule(accepted_on, follow_up_offsets())
        ],
        # The partial unique constraint (one pending call per offset) makes a repeated schedule a no-op.
        ignore_conflicts=True,
    )
    survey, _created = Survey.objects.get_or_create(
        ticket=ticket, defaults={"branch_id": ticket.branch_id, "technician_id": ticket.technician_id}
    )
    if not survey.is_answered:
        # After a reopen the rating is for whoever did the repeat repair.
        survey.technician_id = ticket.technician_id
        token = _new_token(survey, at)
        survey.save(update_fields=["technician", "token_hash", "token_expires_at"])
        _text_link(ticket, token)
    return calls


def cancel_follow_ups(*, ticket: RepairTicket) -> int:
    """Reopened (same fault again): the pending calls go; new ones come with the next acceptance."""
    return FollowUpCall.objects.filter(ticket=ticket, outcome=Outcome.PENDING).update(
        outcome=Outcome.CANCELLED
    )


def revoke_survey_link(*, ticket: RepairTicket) -> None:
    """The acceptance was taken back: the texted link stops working until the next acceptance sends
    a new one (an answered survey stays as it is)."""
    Survey.objects.filter(ticket=ticket, answered_at__isnull=True).update(
        token_hash=None, token_expires_at=None
    )


# --- survey links ---


def _new_token(survey: Survey, now: datetime.datetime) -> str:
    """A fresh unguessable token (256 bits); only its SHA-256 is stored, so the old link stops working."""
    token = secrets.token_urlsafe(32)
    survey.token_hash = hash_token(token)
    survey.token_expires_at = now + datetime.timedelta(days=survey_link_days())
    return token


def survey_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("surveys:answer", args=[token])


def customer_mobile(ticket: RepairTicket) -> str:
    """The customer's first mobile number (normal form: 11 digits starting with 1), or ""."""
    for phone in ticket.customer.phones.all():
        if phone.number.startswith("1") and len(phone.number) == 11:
            return phone.number
    return ""


def _text_link(ticket: RepairTicket, token: str) -> str:
    """Queue the link's SMS to the customer's mobile in the caller's transaction (the notifications outbox
    sends and retries it); returns the number it goes to ("" if the customer has none)."""
    notification = notify_customer(
        ticket.customer,
        kind="survey_link",
        text=Text(
            gettext_noop("【%(company)s】感谢您使用我们的售后服务(工单 %(number)s),请花一分钟评价本次服务:")
        )
        % {"company": settings.COMPANY_NAME, "number": ticket.number},
        secret_link=reverse("surveys:answer", args=[token]),
    )
    return notification.phone if notification else ""


@transaction.atomic
def issue_link(*, survey_id: int, user: User, send_sms: bool) -> tuple[str, str]:
    """A new link for an unanswered survey (voiding the previous one); returns (url, phone texted)."""
    survey = (
        Survey.objects.select_for_update(of=("self",)).select_related("ticket__customer").get(pk=survey_id)
    )
    if not may_call(user, survey.branch_id):
        raise PermissionDenied(_("只有本网点的客服可以发送调查链接。"))
    if survey.is_answered:
        raise Conflict(_("该工单的满意度调查已经答复,无需再发链接。"))
    token = _new_token(survey, timezone.now())
    survey.save(update_fields=["token_hash", "token_expires_at"])
    phone = _text_link(survey.ticket, token) if send_sms else ""
    if send_sms and not phone:
        raise UserError(_("客户没有登记手机号,无法发送短信;请复制链接告知客户。"), field="send_sms")
    return survey_url(token), phone


def find_by_token(token: str, *, for_update: bool = False) -> Survey:
    """The survey of a link: LinkNotFound, LinkUsed or LinkExpired when it cannot be answered."""
    queryset = Survey.objects.select_related("ticket__unit__product_model", "technician")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    survey = queryset.filter(token_hash=hash_token(token)).first()
    if survey is None:
        raise LinkNotFound(_("链接无效。"))
    state = survey.link_state(timezone.now())
    if state == "answered":
        raise LinkUsed(_("这份调查已经提交过了,感谢您的评价。"))
    if state == "expired":
        raise LinkExpired(_("这个调查链接已过期。"))
    return survey


@dataclass(frozen=True)
class SurveyAnswers:
    attitude: int
    skill: int
    punctuality: int
    promises: int
    comment: str = ""


def _check_answers(answers: SurveyAnswers) -> None:
    for name in QUESTION_FIELDS:
        if getattr(answers, name) not in Level.values:
            raise UserError(_("请为每一项选择满意程度。"), field=name)


def store_answers(
    survey: Survey, answers: SurveyAnswers, *, via: str, by: User | None, at: datetime.datetime
) -> None:
    """Write the answers on a survey row the caller has locked (inside its transaction)."""
    _check_answers(answers)
    for name in QUESTION_FIELDS:
        setattr(survey, name, getattr(answers, name))
    survey.comment = answers.comment.strip()
    survey.answered_at = at
    survey.answered_via = via
    survey.answered_by = by
    survey.save()
    emit_survey_answered(survey)


def answer_by_link(*, token: str, answers: SurveyAnswers) -> Survey:
    """The customer's answer from the link: once. The row lock makes a second, concurrent submission
    wait and then find the survey answered (LinkUsed), so two submissions answer once."""
    _check_answers(answers)
    with transaction.atomic():
        survey = find_by_token(token, for_update=True)
        store_answers(survey, answers, via=AnsweredVia.LINK, by=None, at=timezone.now())
    return survey


def answer_in_channel(*, ticket_id: int, answers: SurveyAnswers) -> Survey:
    """The customer's answer on their ticket's page in the channel (portal; the caller checked the ticket
    is theirs): once, like the link's, and the texted link stops working."""
    _check_answers(answers)
    with transaction.atomic():
        survey = Survey.objects.select_for_update(of=("self",)).filter(ticket_id=ticket_id).first()
        if survey is None:
            raise Conflict(_("这张工单还没有满意度调查。"))
        if survey.is_answered:
            raise LinkUsed(_("这份调查已经提交过了,感谢您的评价。"))
        survey.token_hash = survey.token_expires_at = None
        now = timezone.now()
        store_answers(survey, answers, via=AnsweredVia.CHANNEL, by=None, at=now)
        state = RepairTicket.objects.values_list("state", flat=True).get(pk=ticket_id)
        TicketEvent.objects.create(
            ticket_id=ticket_id,
            actor=None,
            at=now,
            action="survey_answered",
            from_state=state,
            to_state=state,
            data={"by": "customer", "survey": survey.pk},
        )
    return survey


# --- follow-up calls ---


@dataclass(frozen=True)
class CallRecord:
    reached: bool
    satisfied: bool | None = None
    problem_found: bool = False
    notes: str = ""
    survey: SurveyAnswers | None = None
    complaint_severity: str = Severity.GENERAL


def carries_survey(call: FollowUpCall) -> bool:
    """The call that closes the ticket: any call reached while the ticket is still accepted."""
    return call.ticket.state == State.ACCEPTED


@transaction.atomic
def record_call(*, call_id: int, user: User, record: CallRecord) -> FollowUpCall:
    """The agent's record of one call (§2-三-4).

    Not reached: tried again the next day, up to the configured attempts, then unreachable.
    Reached: the outcome; on an accepted ticket the survey (unless the customer already answered by
    link) and the `follow_up` transition; a problem found opens a complaint (source: follow-up).
    """
    call = FollowUpCall.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=call_id)
    if not may_call(user, call.branch_id):
        raise PermissionDenied(_("只有本网点的客服可以记录回访。"))
    if call.outcome != Outcome.PENDING:
        raise Conflict(
            _("这次回访已记录为“%(outcome)s”,请刷新页面。") % {"outcome": call.get_outcome_display()}
        )
    now = timezone.now()
    call.last_attempt_at = now
    call.called_by = user
    if not record.reached:
        result = rules.unanswered(
            attempts_before=call.attempts, today=timezone.localdate(now), max_attempts=max_call_attempts()
        )
        call.attempts = result.attempts
        if result.gives_up:
            call.outcome = Outcome.UNREACHABLE
            call.done_at = now
        else:
            call.due_on = result.retry_on
        if record.notes.strip():
            call.notes = "\n".join(filter(None, [call.notes, record.notes.strip()]))
        call.save()
        return call
    if record.satisfied is None:
        raise UserError(_("请选择客户是否满意。"), field="satisfied")
    if record.problem_found and not record.notes.strip():
        raise UserError(_("发现问题时请在回访记录中写明问题,以便登记投诉。"), field="notes")
    closes_ticket = carries_survey(call)
    if closes_ticket:
        survey = Survey.objects.select_for_update().get(ticket_id=call.ticket_id)
        if not survey.is_answered:
            if record.survey is None:
                raise UserError(_("首次回访须完成满意度调查:请为每一项选择满意程度。"), field="attitude")
            store_answers(survey, record.survey, via=AnsweredVia.AGENT, by=user, at=now)
    call.attempts += 1
    call.outcome = Outcome.REACHED
    call.satisfied = record.satisfied
    call.problem_found = record.problem_found
    call.notes = "\n".join(filter(None, [call.notes, record.notes.strip()]))
    call.done_at = now
    call.save()
    if record.problem_found:
        # §2-三-4: what needs further work goes into the complaint process.
        _create_complaint(
            user=user,
            branch=call.ticket.branch,
            ticket=call.ticket,
            details=ComplaintDetails(
                source=ComplaintSource.FOLLOW_UP,
                severity=record.complaint_severity,
                description=record.notes.strip(),
            ),
            follow_up_call=call,
            at=now,
        )
    if closes_ticket:
        apply_transition(ticket_id=call.ticket_id, user=user, name="follow_up", expected_version=None)
    return call


# --- complaints ---


@dataclass(frozen=True)
class ComplaintDetails:
    source: str
    description: str
    severity: str = Severity.GENERAL
    service_at_fault: bool = False
    contact_name: str = ""
    contact_phone: str = ""


def _vice_presidents():
    """§7-二十六 副总经理: the users with the general-manager role."""
    return User.objects.filter(is_active=True, groups__name=Role.GENERAL_MANAGER)


def _notify_major(complaint: Complaint) -> None:
    notify(
        _vice_presidents(),
        kind="complaint_major",
        subject=Text(gettext_noop("重大投诉 %(number)s:%(name)s"))
        % {"number": complaint.number, "name": complaint.contact_name},
        body=complaint.description,
        link=complaint.get_absolute_url(),
        key=f"complaint-major-{complaint.pk}",
    )


def _create_complaint(
    *,
    user: User | None,
    branch,
    ticket: RepairTicket | None,
    details: ComplaintDetails,
    follow_up_call: FollowUpCall | None = None,
    at: datetime.datetime,
) -> Complaint:
    description = details.description.strip()
    if not description:
        raise UserError(_("请填写投诉内容。"), field="description")
    contact_name = details.contact_name.strip() or (ticket.customer.name if ticket else "")
    if not contact_name:
        raise UserError(_("请填写联系人。"), field="contact_name")
    contact_phone = details.contact_phone.strip() or (customer_mobile(ticket) if ticket else "")
    complaint = Complaint.objects.create(
        number=DocumentSequence.document_number(
            kind="complaint", prefix="TS", branch=branch, day=timezone.localdate(at)
        ),
        branch=branch,
        ticket=ticket,
        customer=ticket.customer if ticket else None,
        contact_name=contact_name,
        contact_phone=contact_phone,
        source=details.source,
        follow_up_call=follow_up_call,
        severity=details.severity,
        service_at_fault=details.service_at_fault,
        description=description,
        received_at=at,
        received_by=user,
        plan_due_at=rules.plan_due_at(at, complaint_plan_hours()),
    )
    if complaint.severity == Severity.MAJOR:
        _notify_major(complaint)
    return complaint


@transaction.atomic
def open_complaint(
    *, user: User, details: ComplaintDetails, ticket: RepairTicket | None = None, branch=None
) -> Complaint:
    """A complaint by phone, letter or from a survey; the branch is the ticket's, else the given one."""
    branch = ticket.branch if ticket is not None else (branch or user.branch)
    if branch is None or branch.is_headquarters:
        raise UserError(_("请选择投诉所属网点。"), field="branch")
    if not may_act_on_complaint("open", user, branch.pk):
        raise PermissionDenied(_("您没有权限登记该网点的投诉。"))
    return _create_complaint(user=user, branch=branch, ticket=ticket, details=details, at=timezone.now())


MAX_CHANNEL_COMPLAINT = 1000


def open_channel_complaint(ticket: RepairTicket) -> Complaint | None:
    """The complaint the customer raised on this ticket in the channel that is still being handled."""
    return (
        Complaint.objects.filter(ticket=ticket, source=ComplaintSource.CHANNEL)
        .exclude(state=ComplaintState.CLOSED)
        .order_by("-received_at", "-pk")
        .first()
    )


def raise_in_channel(*, ticket_id: int, description: str) -> Complaint:
    """The customer's complaint about their ticket from its page in the channel (portal; the caller
    checked the ticket is theirs). It enters the complaints workflow like one taken by phone, with its
    72-hour plan deadline (§2-二-2(2)); the branch's complaint handlers are told at once, since nobody at
    the desk took it, and the ticket's history says the customer raised it. While one is being handled,
    a second is refused with its number (the ticket's row lock makes two taps on two devices one)."""
    description = description.strip()
    if not description:
        raise UserError(_("请写下您遇到的问题。"), field="description")
    if len(description) > MAX_CHANNEL_COMPLAINT:
        raise UserError(
            _("投诉内容最多 %(count)s 个字。") % {"count": MAX_CHANNEL_COMPLAINT}, field="description"
        )
    with transaction.atomic():
        ticket = (
            RepairTicket.objects.select_for_update(of=("self",))
            .select_related("branch", "customer")
            .get(pk=ticket_id)
        )
        earlier = open_channel_complaint(ticket)
        if earlier is not None:
            raise Conflict(
                _("您对这张工单的投诉(编号 %(number)s)正在处理中,服务中心会尽快联系您。")
                % {"number": earlier.number}
            )
        now = timezone.now()
        complaint = _create_complaint(
            user=None,
            branch=ticket.branch,
            ticket=ticket,
            details=ComplaintDetails(source=ComplaintSource.CHANNEL, description=description),
            at=now,
        )
        TicketEvent.objects.create(
            ticket=ticket,
            actor=None,
            at=now,
            action="complaint",
            from_state=ticket.state,
            to_state=ticket.state,
            **event_note(
                Text(gettext_noop("客户投诉 %(number)s:%(text)s"))
                % {
                    "number": complaint.number,
                    "text": description,
                }
            ),
            data={"by": "customer", "complaint": complaint.pk},
        )
        handlers = User.objects.filter(
            is_active=True,
            branch_id=ticket.branch_id,
            groups__name__in=[Role.DISPATCHER, Role.SUPERVISOR],
        ).distinct()
        notify(
            handlers,
            kind="complaint_channel",
            subject=Text(gettext_noop("客户投诉 %(number)s(工单 %(ticket)s):%(name)s"))
            % {"number": complaint.number, "ticket": ticket.number, "name": complaint.contact_name},
            body=description,
            link=complaint.get_absolute_url(),
            key=f"complaint-channel-{complaint.pk}",
        )
    return complaint


def _lock_complaint(complaint_id: int, user: User, action: str, expected_version: int | None) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    if not may_act_on_complaint(action, user, complaint.branch_id):
        raise PermissionDenied(_("您没有权限执行此操作。"))
    if expected_version is not None and complaint.version != expected_version:
        raise Conflict(_("投诉 %(number)s 已被他人更新,请刷新页面后再操作。") % {"number": complaint.number})
    if complaint.state == ComplaintState.CLOSED:
        raise Conflict(_("投诉 %(number)s 已关闭。") % {"number": complaint.number})
    return complaint


def _save(complaint: Complaint) -> Complaint:
    complaint.version += 1
    complaint.save()
    return complaint


@transaction.atomic
def record_plan(
    *,
    complaint_id: int,
    user: User,
    expected_version: int | None,
    plan: str,
    severity: str,
    service_at_fault: bool,
) -> Complaint:
    """The handling plan after analysing the case (§2-二-2(2), due 72 h after receipt); the analysis
    also settles the severity and whether the service was at fault. Raising it to major tells the VP."""
    complaint = _lock_complaint(complaint_id, user, "plan", expected_version)
    if not plan.strip():
        raise UserError(_("请填写处理方案。"), field="plan")
    became_major = severity == Severity.MAJOR and complaint.severity != Severity.MAJOR
    complaint.plan = plan.strip()
    complaint.severity = severity
    complaint.service_at_fault = service_at_fault
    if complaint.state == ComplaintState.RECEIVED:
        complaint.planned_at = timezone.now()
        complaint.planned_by = user
        complaint.state = ComplaintState.PLANNED
    _save(complaint)
    if became_major:
        _notify_major(complaint)
    return complaint


@transaction.atomic
def record_visit(
    *,
    complaint_id: int,
    user: User,
    expected_version: int | None,
    visited_by: User | None,
    visited_at: datetime.datetime | None,
    notes: str,
) -> Complaint:
    """§7-二十八: every complaining customer is visited by the supervisor personally or a delegate."""
    complaint = _lock_complaint(complaint_id, user, "visit", expected_version)
    if visited_by is None or not visited_by.is_active or not visited_by.in_branch(complaint.branch_id):
        raise UserError(_("请选择本网点的走访人(服务主任本人或其指派人员)。"), field="visited_by")
    if visited_at is None:
        raise UserError(_("请填写走访时间。"), field="visited_at")
    if visited_at > timezone.now():
        raise UserError(_("走访时间不能晚于现在。"), field="visited_at")
    # The form gives minutes: a visit in the minute the complaint came in is not before it.
    if visited_at < complaint.received_at.replace(second=0, microsecond=0):
        raise UserError(_("走访时间不能早于投诉受理时间。"), field="visited_at")
    if not notes.strip():
        raise UserError(_("请填写走访记录。"), field="notes")
    complaint.visited_by = visited_by
    complaint.visited_at = visited_at
    complaint.visit_notes = notes.strip()
    return _save(complaint)


@transaction.atomic
def record_answer(
    *, complaint_id: int, user: User, expected_version: int | None, channel: str, text: str
) -> Complaint:
    """§7-二十六: the result is told to the customer, in writing or by phone."""
    complaint = _lock_complaint(complaint_id, user, "answer", expected_version)
    if complaint.state == ComplaintState.RECEIVED:
        raise Conflict(_("请先提出处理方案,再答复客户。"))
    if channel not in AnswerChannel.values:
        raise UserError(_("请选择答复方式(书面或电话)。"), field="answer_channel")
    if not text.strip():
        raise UserError(_("请填写答复客户的内容。"), field="answer_text")
    complaint.answer_channel = channel
    complaint.answer_text = text.strip()
    complaint.answered_at = timezone.now()
    complaint.answered_by = user
    return _save(complaint)


@transaction.atomic
def close_complaint(*, complaint_id: int, user: User, expected_version: int | None) -> Complaint:
    """Closed only with the plan, the visit (§7-二十八) and the answer to the customer (§7-二十六)."""
    complaint = _lock_complaint(complaint_id, user, "close", expected_version)
    if complaint.state == ComplaintState.RECEIVED:
        raise Conflict(_("尚未提出处理方案,不能关闭投诉。"))
    if complaint.visited_at is None:
        raise Conflict(_("尚未记录服务主任走访(制度第二十八条),不能关闭投诉。"))
    if complaint.answered_at is None:
        raise Conflict(_("尚未答复客户,不能关闭投诉。"))
    complaint.state = ComplaintState.CLOSED
    complaint.closed_at = timezone.now()
    complaint.closed_by = user
    return _save(complaint)


# --- sweeps (run by surveys.tasks; each re-derives what is due and is safe to run twice) ---


def _branch_users(role: str, branch_ids) -> dict[int, list[User]]:
    users: dict[int, list[User]] = {}
    for user in User.objects.filter(is_active=True, groups__name=role, branch_id__in=branch_ids):
        users.setdefault(user.branch_id, []).append(user)
    return users


@transaction.atomic
def notify_call_queues(*, today: datetime.date) -> int:
    """Tell each branch's dispatchers how many follow-up calls are due today (or left from before).
    One message per dispatcher, branch and day (the notification key); returns the messages sent."""
    due = dict(
        FollowUpCall.objects.due(today)
        .order_by()
        .values_list("branch_id")
        .annotate(count=models.Count("pk"))
        .values_list("branch_id", "count")
    )
    dispatchers = _branch_users(Role.DISPATCHER, due)
    sent = 0
    for branch_id, count in due.items():
        sent += len(
            notify(
                dispatchers.get(branch_id, []),
                kind="follow_up_queue",
                subject=Text(gettext_noop("今日回访:%(count)d 个电话待打")) % {"count": count},
                link=reverse("surveys:call_queue"),
                key=f"follow-up-queue-{branch_id}-{today:%Y%m%d}",
            )
        )
    return sent


@transaction.atomic
def remind_complaint_plans(*, now: datetime.datetime) -> int:
    """Supervisors of the branch are told when a complaint's plan is due within 12 hours, and again
    once it is late (§2-二-2(2)); one message per complaint and level. Returns the messages sent."""
    pending = list(
        Complaint.objects.filter(
            state=ComplaintState.RECEIVED,
            plan_due_at__lte=now + datetime.timedelta(hours=rules.PLAN_REMINDER_HOURS),
        ).order_by("plan_due_at")
    )
    supervisors = _branch_users(Role.SUPERVISOR, {complaint.branch_id for complaint in pending})
    sent = 0
    for complaint in pending:
        level = rules.plan_reminder_level(due_at=complaint.plan_due_at, now=now)
        if level == "overdue":
            subject = Text(gettext_noop("投诉 %(number)s 的处理方案已超过 72 小时期限")) % {
                "number": complaint.number
            }
        else:
            subject = Text(gettext_noop("投诉 %(number)s 的处理方案将在 %(due)s 到期")) % {
                "number": complaint.number,
                "due": timezone.localtime(complaint.plan_due_at).strftime("%Y-%m-%d %H:%M"),
            }
        sent += len(
            notify(
                supervisors.get(complaint.branch_id, []),
                kind="complaint_plan",
                subject=subject,
                body=complaint.description,
                link=complaint.get_absolute_url(),
                key=f"complaint-plan-{complaint.pk}-{level}",
            )
        )
    return sent
