"""Write paths of the repair ticket: each one transaction, with its history row."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import ConcurrentTransition, can_proceed

from accounts.models import DocumentSequence, Role, User
from aftersales.errors import Conflict, UserError
from aftersales.texts import Text, list_text
from audit.services import record
from customers.models import Customer, FaultCategory, Unit
from customers.services import register_customer, register_unit
from notifications.services import notify
from tickets import sla_services
from tickets.choices import AppointmentRequester, Channel
from tickets.models import (
    TRANSITION_LABELS,
    FaultCode,
    FaultPhoto,
    FaultVideo,
    Priority,
    RepairTicket,
    ServiceCategory,
    State,
    TicketEvent,
    TicketHelper,
    TicketKind,
    event_note,
)
from tickets.permissions import (
    CUSTOMER_TRANSITIONS,
    TRANSITION_ACTORS,
    customer_may_change_visit,
    may_act,
    may_revise_verdict,
)
from tickets.search import search_document
from tickets.selectors import open_tickets_of_unit, verdict_for_unit
from tickets.signals import tell_customer, ticket_transitioned
from tickets.webhooks import emit_ticket_event
from warranty import rules


def allocate_ticket_number(branch) -> str:
    return DocumentSequence.document_number(kind="ticket", branch=branch)


def search_text_of(*, number: str, customer: Customer, unit: Unit, fault_description: str) -> str:
    """A new ticket's search text (tickets.search), whoever logs it (the desk, the customer, a
    maintenance plan)."""
    return search_document(
        number=number,
        customer_name=customer.name,
        phones=customer.phones.order_by("pk").values_list("number", flat=True),
        serial_number=unit.serial_number,
        fault_description=fault_description,
    )


def refresh_search_text(tickets) -> int:
    """Write the search text (tickets.search) of `tickets` (a queryset) again from their customer and
    unit as they are now: after a customer's name or phones or a unit's serial number changed, by any
    path (customers.services.file_changed), and after the admin edited a ticket. Returns how many
    changed."""
    rows = list(tickets.select_related("customer", "unit").prefetch_related("customer__phones").order_by())
    changed = []
    for ticket in rows:
        text = search_document(
            number=ticket.number,
            customer_name=ticket.customer.name,
            phones=[phone.number for phone in sorted(ticket.customer.phones.all(), key=lambda p: p.pk)],
            serial_number=ticket.unit.serial_number,
            fault_description=ticket.fault_description,
        )
        if text != ticket.search_text:
            ticket.search_text = text
            changed.append(ticket)
    RepairTicket.objects.bulk_update(changed, ["search_text"], batch_size=500)
    return len(changed)


# tickets.search.search_document for every ticket at once (PostgreSQL): for bulk loads that write tickets
# without log_call (the bench's seed). Migration 0018 keeps its own copy, as migrations do.
FILL_ALL_SEARCH_TEXTS = r"""
UPDATE tickets_repairticket AS t
SET search_text = trim(regexp_replace(upper(concat_ws(' ',
        nullif(t.number, ''),
        nullif(c.name, ''),
        (SELECT string_agg(p.number, ' ' ORDER BY p.id) FROM customers_customerphone AS p
         WHERE p.customer_id = t.customer_id),
        nullif(u.serial_number, ''),
        nullif(t.fault_description, '')
    )), '\s+', ' ', 'g'))
FROM customers_customer AS c, customers_unit AS u
WHERE c.id = t.customer_id AND u.id = t.unit_id
"""


def fill_all_search_texts() -> int:
    with connection.cursor() as cursor:
        cursor.execute(FILL_ALL_SEARCH_TEXTS)
        return cursor.rowcount


def customer_file_changed(sender, *, customer=None, unit=None, **kwargs) -> None:
    """`customers.signals.search_fields_changed`: the customer's tickets are found by the new name and
    phones, the unit's by its new serial number (inside the edit's transaction)."""
    if customer is not None:
        refresh_search_text(RepairTicket.objects.filter(customer=customer))
    if unit is not None:
        refresh_search_text(RepairTicket.objects.filter(unit=unit))


def service_category_for(decision: rules.WarrantyDecision) -> str:
    """§7-六: A when the customer pays, B under a maintenance contract, C free."""
    if decision.payer == rules.Payer.CUSTOMER:
        return ServiceCategory.PAID
    if any(reason.code == "contract" for reason in decision.reasons):
        return ServiceCategory.CONTRACT
    return ServiceCategory.FREE


def default_due_at(start: datetime.datetime) -> datetime.datetime:
    return start + datetime.timedelta(hours=settings.TICKET_DEFAULT_DUE_HOURS)


def _stored_decision(decision: rules.WarrantyDecision) -> dict:
    """The verdict as the ticket keeps it: the reasons' codes and parameters (the ticket page reads them in
    the reader's language) and their Chinese texts as the record, whoever's language the request was in."""
    with translation.override(settings.LANGUAGE_CODE):
        return decision.as_dict()


@dataclass(frozen=True)
class CallDetails:
    fault_category: str  # blank: the product's category
    fault_description: str
    fault_cause: str = "quality"
    conditions: frozenset[str] = field(default_factory=frozenset)
    channel: str = "phone"
    priority: str = "normal"
    fault_code: str = ""  # the library's code as typed or picked (tickets.faultcodes); blank: none
    # 预约时间段 agreed on the call (start, end), if any; who asked is the customer.
    appointment: tuple[datetime.datetime, datetime.datetime] | None = None


def fault_code_for(product_model_id: int, text: str) -> FaultCode | None:
    """The active library code `text` of the product model; None for a blank text. A text that is no
    code of the model is refused: the description stays free text, the code does not."""
    text = text.strip()
    if not text:
        return None
    code = FaultCode.objects.for_model(product_model_id).filter(code__iexact=text).first()
    if code is None:
        raise UserError(
            _("故障代码 %(code)s 不在该产品型号的故障代码库中;不确定时请留空,只填写故障描述。")
            % {"code": text},
            field="fault_code",
        )
    return code


@transaction.atomic
def log_call(*, user: User, unit: Unit, details: CallDetails) -> RepairTicket:
    """叫修登记 (§7-八): number, warranty verdict, deadline, and the first history row."""
    if not user.has_role(Role.DISPATCHER):
        raise PermissionDenied(_("只有客服/调度可以登记报修。"))
    customer: Customer = unit.owner
    if not user.in_branch(customer.branch_id):
        raise PermissionDenied(_("该客户不属于您的网点。"))
    return _register_call(unit=unit, details=details, reported_by=user)


def _register_call(
    *,
    unit: Unit,
    details: CallDetails,
    reported_by: User | None,
    event_data: dict | None = None,
) -> RepairTicket:
    """The intake of a call, whoever logs it (the desk, or the customer in their channel): the same
    checks, verdict, number, deadlines and history row."""
    customer: Customer = unit.owner
    check_conditions(unit, details.conditions)
    fault_category = check_fault_category(unit, details.fault_category)
    fault_code = fault_code_for(unit.product_model_id, details.fault_code)
    now = timezone.now()
    if details.appointment is not None:
        check_appointment(*details.appointment, now=now)
    decision = verdict_for_unit(
        unit,
        report_date=timezone.localdate(now),
        fault=details.fault_cause,
        fault_category=fault_category,
        conditions=details.conditions,
    )
    number = allocate_ticket_number(customer.branch)
    ticket = RepairTicket.objects.create(
        number=number,
        branch=customer.branch,
        customer=customer,
        unit=unit,
        reported_by=reported_by,
        channel=details.channel,
        priority=details.priority,
        fault_category=fault_category,
        fault_description=details.fault_description,
        fault_code=fault_code,
        search_text=search_text_of(
            number=number, customer=customer, unit=unit, fault_description=details.fault_description
        ),
        fault_cause=details.fault_cause,
        conditions=sorted(details.conditions),
        service_category=service_category_for(decision),
        warranty_remedy=decision.remedy.value,
        warranty_decision=_stored_decision(decision),
        reported_at=now,
        state_changed_at=now,
        due_at=default_due_at(now),
        appointment_start=details.appointment[0] if details.appointment else None,
        appointment_end=details.appointment[1] if details.appointment else None,
    )
    TicketEvent.objects.create(
        ticket=ticket,
        actor=reported_by,
        at=now,
        action="log_call",
        to_state=ticket.state,
        note=details.fault_description,
        data={"warranty": _stored_decision(decision), **(event_data or {})},
    )
    if details.appointment is not None:
        TicketEvent.objects.create(
            ticket=ticket,
            actor=reported_by,
            at=now,
            action="set_appointment",
            from_state=ticket.state,
            to_state=ticket.state,
            **event_note(Text(gettext_noop("报修时与客户约定。"))),
            data={
                "before": None,
                "after": _window_data(ticket),
                "requested_by": AppointmentRequester.CUSTOMER,
                **(event_data or {}),
            },
        )
    record(
        reported_by, "ticket.log_call", ticket, {"serial_number": unit.serial_number, **(event_data or {})}
    )
    sla_services.set_deadlines(ticket, now)
    _tell_supervisors_of_pressing_call(ticket)
    emit_ticket_event(ticket, "log_call")
    tell_customer(
        ticket,
        kind="ticket_logged",
        key=f"logged:{ticket.pk}",
        text=Text(gettext_noop("【%(company)s】您的报修已受理(工单 %(number)s,%(product)s),点击查看进度:"))
        % {"company": settings.COMPANY_NAME, "number": ticket.number, "product": unit.product_model.name},
    )
    return ticket


class DuplicateCall(Conflict):
    """The unit has a ticket still open: the customer is shown it instead of a second one."""

    def __init__(self, message: str, *, ticket: RepairTicket) -> None:
        super().__init__(message)
        self.ticket = ticket


@transaction.atomic
def log_self_reported_call(
    *,
    unit_id: int,
    details: CallDetails,
    visit_window: tuple[datetime.datetime, datetime.datetime],
    photos: list[tuple[ContentFile, str]],
    video: tuple[File, str] | None = None,
) -> RepairTicket:
    """The customer reports a fault of their unit (the caller checked the unit is theirs): the desk's
    intake with channel 客户自助报修, the chosen window, the photos and the video; refused with the open ticket when
    the unit has one. The unit's row lock makes two reports at once (a double tap on two devices) one."""
    unit = Unit.objects.select_for_update().select_related("owner__branch", "product_model").get(pk=unit_id)
    open_tickets = open_tickets_of_unit(unit)
    if open_tickets:
        raise DuplicateCall(
            _("这台产品已有正在处理的报修(工单 %(number)s),无需重复报修。")
            % {"number": open_tickets[0].number},
            ticket=open_tickets[0],
        )
    start, end = visit_window
    if not end > start:
        raise UserError(_("请选择上门时间段。"), field="window")
    ticket = _register_call(
        unit=unit,
        details=CallDetails(
            fault_category=details.fault_category,
            fault_description=details.fault_description,
            fault_cause=details.fault_cause,
            channel=Channel.SELF,
            appointment=visit_window,
        ),
        reported_by=None,
        event_data={"by": "customer"},
    )
    FaultPhoto.objects.bulk_create(
        FaultPhoto(ticket=ticket, image=image, sha256=sha256) for image, sha256 in photos
    )
    if video is not None:
        FaultVideo.objects.create(ticket=ticket, file=video[0], sha256=video[1])
    return ticket


def _tell_supervisors_of_pressing_call(ticket: RepairTicket) -> None:
    """Urgent calls, and chassis/engine faults that need written contact within 12 h (§1-3.2.3), go to
    the branch's supervisors at once."""
    if ticket.priority != Priority.URGENT and ticket.fault_category != FaultCategory.CHASSIS_ENGINE:
        return
    supervisors = User.objects.filter(
        is_active=True, branch_id=ticket.branch_id, groups__name=Role.SUPERVISOR
    )
    notify(
        supervisors,
        kind="ticket_logged",
        subject=Text(gettext_noop("新报修 %(number)s(%(priority)s,%(category)s):%(customer)s"))
        % {
            "number": ticket.number,
            # The labels themselves (lazy), so that each reader sees them in their language.
            "priority": Priority(ticket.priority).label,
            "category": FaultCategory(ticket.fault_category).label,
            "customer": ticket.customer.name,
        },
        body=ticket.fault_description,
        link=ticket.get_absolute_url(),
        key=f"ticket-logged:{ticket.pk}",
    )


def check_conditions(unit: Unit, conditions: frozenset[str]) -> None:
    """Only the conditions the unit's warranty policy knows can be recorded (§5 第十一~十五条)."""
    if not conditions <= unit.product_model.warranty_policy.to_terms().exclusions:
        raise UserError(_("所选情形不适用于该产品的保修政策。"), field="conditions")


def check_fault_category(unit: Unit, fault_category: str) -> str:
    """The fault category to store: the product's own when none was chosen; one the product cannot have
    (a bus body fault on an air conditioner) is refused, as it would set the wrong deadlines."""
    product = unit.product_model
    if not fault_category:
        return product.category
    allowed = product.fault_categories()
    if fault_category not in allowed:
        raise UserError(
            _("故障类别“%(category)s”不适用于产品“%(product)s”,可选:%(allowed)s。")
            % {
                "category": FaultCategory(fault_category).label,
                "product": product.name,
                "allowed": list_text(
                    str(label) for value, label in FaultCategory.choices if value in allowed
                ),
            },
            field="fault_category",
        )
    return fault_category


# What each transition needs from the person pressing it, beyond the ticket.
NEEDS_REASON = {"request_return", "reject_return", "cancel", "reopen", "undo_accept", "undo_cancel"}
NEEDS_WORK_SUMMARY = {"complete_visit", "finish_factory_repair"}
# The transition each undo takes back (tickets.undo: the same day, by a supervisor).
UNDOES = {"undo_accept": "accept", "undo_cancel": "cancel"}


def available_transitions(ticket: RepairTicket, user: User) -> list[str]:
    """Names of the transitions this user may press on this ticket now, in workflow order."""
    names = {t.name for t in ticket.get_available_user_state_transitions(user)}
    return [name for name in TRANSITION_ACTORS if name in names]


def _check_technician(ticket: RepairTicket, technician: User | None) -> User:
    if technician is None:
        raise UserError(_("请选择技术员。"), field="technician")
    if not technician.is_active or not technician.has_role(Role.TECHNICIAN):
        raise UserError(_("%(name)s 不是在岗技术员。") % {"name": technician}, field="technician")
    if technician.branch_id != ticket.branch_id:
        raise UserError(_("技术员 %(name)s 不属于工单所在网点。") % {"name": technician}, field="technician")
    return technician


def _check_helpers(ticket: RepairTicket, lead: User, helpers) -> list[User]:
    """The helpers of a two-person job (R1.two-people): active technicians of the ticket's branch; the
    lead named again among them is dropped (the lead is not their own helper)."""
    chosen: dict[int, User] = {}
    for helper in helpers or ():
        if not helper.is_active or not helper.has_role(Role.TECHNICIAN):
            raise UserError(_("%(name)s 不是在岗技术员。") % {"name": helper}, field="helpers")
        if helper.branch_id != ticket.branch_id:
            raise UserError(_("协助技术员 %(name)s 不属于工单所在网点。") % {"name": helper}, field="helpers")
        if helper.pk != lead.pk:
            chosen[helper.pk] = helper
    return list(chosen.values())


def _current_helpers(ticket: RepairTicket) -> dict[int, User]:
    """The helpers named by the ticket's last dispatch, by id."""
    return {
        row.technician_id: row.technician
        for row in TicketHelper.objects.filter(ticket=ticket).select_related("technician")
    }


def _dispatch_facts(
    ticket: RepairTicket, from_state: str, lead: User, crew: list[User], before: dict[int, User]
) -> dict:
    """What the history keeps of a dispatch: who leads and who helps, and on a redispatch who had the job
    and who no longer helps. A redispatch that changes nothing is refused: no second history row,
    message or SMS."""
    crew_ids = {helper.pk for helper in crew}
    facts: dict = {"technician": lead.pk, "technician_name": str(lead)}
    if from_state == State.DISPATCHED:
        if ticket.technician_id == lead.pk and set(before) == crew_ids:
            raise Conflict(
                _("工单 %(number)s 已派给 %(name)s,技术员和协助技术员都没有变化,无需再次派工。")
                % {"number": ticket.number, "name": lead}
            )
        if ticket.technician_id != lead.pk:
            facts["previous_technician"] = ticket.technician_id
            facts["previous_technician_name"] = str(ticket.technician)
        released = [str(user) for pk, user in before.items() if pk not in crew_ids]
        if released:
            facts["released_helper_names"] = released
    if crew:
        facts["helpers"] = [helper.pk for helper in crew]
        facts["helper_names"] = [str(helper) for helper in crew]
    return facts


def _set_helpers(ticket: RepairTicket, helpers: list[User], before: set[int], at: datetime.datetime) -> None:
    """A dispatch names the whole crew: the helpers replace those of any earlier dispatch (`before`, their
    ids, read under the ticket's row lock)."""
    TicketHelper.objects.filter(ticket=ticket).exclude(technician__in=helpers).delete()
    TicketHelper.objects.bulk_create(
        [
            TicketHelper(ticket=ticket, technician=helper, added_at=at)
            for helper in helpers
            if helper.pk not in before
        ]
    )


def unmet_condition_message(name: str) -> str:
    """Why a transition's `conditions=` guard refuses it, in words the user can act on."""
    if name == "complete_visit":
        # §1-3.3.2: the customer signs the recorded service, and the visit ends only after that.
        return _("服务报告尚未由客户签字,不能完成上门服务。请先填写服务报告并请客户签字。")
    if name == "undo_accept":
        return _("只能撤销当天的验收。该工单不是今天验收的;如同一故障再次出现,请“重新报修(返修)”。")
    if name == "undo_cancel":
        return _("只能撤销当天的取消。该工单不是今天取消的;如客户仍需维修,请重新登记报修。")
    return _("“%(action)s”的条件尚未满足。") % {"action": TRANSITION_LABELS[name]}


def customer_refused_message(ticket: RepairTicket) -> str:
    """Why the customer may no longer move or cancel the visit in the channel, in words they can act on."""
    if ticket.state == State.DISPATCHED:
        return _("技术员已派出,不能再在网上改约或取消。如需更改,请致电服务中心。")
    return _("工单当前状态为“%(state)s”,不能再在网上改约或取消。") % {"state": ticket.get_state_display()}


def apply_transition(
    *,
    ticket_id: int,
    user: User | None,
    name: str,
    expected_version: int | None,
    technician: User | None = None,
    helpers=(),
    note: str | Text = "",
) -> RepairTicket:
    """Run one transition: lock the row, check version and permission, transition, log.

    `note` is what the user wrote, or a `Text` the system made (stored with its message code).
    `user` None: the customer in their own channel (the caller checked the ticket is theirs), who may
    only run CUSTOMER_TRANSITIONS before dispatch; the history row says the customer did it.

    `expected_version` is the version the user saw; if the ticket moved since, the user gets a
    Conflict message and nothing is written (two users pressing at once: exactly one wins).
    """
    if name not in TRANSITION_ACTORS:
        raise Conflict(_("未知操作。"))
    note_fields = event_note(note if isinstance(note, Text) else note.strip())
    note = note_fields["note"]
    if name in NEEDS_REASON and not note:
        raise UserError(_("请填写原因。"), field="note")
    if name in NEEDS_WORK_SUMMARY and not note:
        raise UserError(_("请填写处理结果。"), field="note")
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, expected_version)
        method = getattr(ticket, name)
        if not can_proceed(method, check_conditions=False):
            raise Conflict(
                _("工单当前状态为“%(state)s”,不能执行“%(action)s”。")
                % {"state": ticket.get_state_display(), "action": TRANSITION_LABELS[name]}
            )
        if user is None:
            if name not in CUSTOMER_TRANSITIONS:
                raise PermissionDenied(
                    _("您没有权限对该工单执行“%(action)s”。") % {"action": TRANSITION_LABELS[name]}
                )
            if not customer_may_change_visit(ticket):
                raise Conflict(customer_refused_message(ticket))
        elif not may_act(name, ticket, user):
            raise PermissionDenied(
                _("您没有权限对该工单执行“%(action)s”。") % {"action": TRANSITION_LABELS[name]}
            )
        if not can_proceed(method):
            raise Conflict(unmet_condition_message(name))
        now = timezone.now()
        from_state = ticket.state
        data: dict = {"by": "customer"} if user is None else {}
        undone_at = None
        if name == "dispatch":
            chosen = _check_technician(ticket, technician)
            crew = _check_helpers(ticket, chosen, helpers)
            helpers_before = _current_helpers(ticket)
            data |= _dispatch_facts(ticket, from_state, chosen, crew, helpers_before)
            ticket.dispatch(technician=chosen, at=now)
        elif name in ("check_in", "accept", "follow_up", "cancel"):
            method(at=now)
        elif name in NEEDS_WORK_SUMMARY:
            method(work_summary=note, at=now)
        elif name == "reopen":
            ticket.reopen(due_at=default_due_at(now))
        elif name == "undo_accept":
            undone_at = ticket.accepted_at
            ticket.undo_accept()
        elif name == "undo_cancel":
            undone_at = ticket.closed_at
            ticket.undo_cancel(restore=_state_before_cancel(ticket))
        else:
            method()
        ticket.version += 1
        if ticket.state != from_state:
            ticket.state_changed_at = now
        try:
            ticket.save()
        except ConcurrentTransition as exc:  # the row lock makes this unreachable on PostgreSQL
            raise Conflict(_("工单已被他人更新,请刷新页面后再操作。")) from exc
        if name == "dispatch":
            _set_helpers(ticket, crew, set(helpers_before), now)
        event = TicketEvent.objects.create(
            ticket=ticket,
            actor=user,
            at=now,
            action=name,
            from_state=from_state,
            to_state=ticket.state,
            data=data,
            **note_fields,
        )
        record(
            user,
            f"ticket.{name}",
            ticket,
            {"from": from_state, "to": ticket.state, **data},
            label=TRANSITION_LABELS[name],
        )
        sla_services.after_transition(ticket, name, now, undone_at=undone_at)
        _tell_customer_of_step(ticket, event)
        emit_ticket_event(ticket, name)
        if name == "dispatch":
            notify(
                [ticket.technician, *crew],
                kind="dispatch",
                subject=Text(gettext_noop("新派工 %(number)s:%(customer)s,%(address)s"))
                % {
                    "number": ticket.number,
                    "customer": ticket.customer.name,
                    "address": ticket.customer.address,
                },
                body=ticket.fault_description,
                link=ticket.get_absolute_url(),
            )
        ticket_transitioned.send(sender=RepairTicket, ticket=ticket, name=name, actor=user, at=now)
    return ticket


def _window_text(ticket: RepairTicket) -> str:
    start, end = (timezone.localtime(moment) for moment in ticket.appointment)
    if start.date() == end.date():
        return f"{start:%m-%d %H:%M}-{end:%H:%M}"
    return f"{start:%m-%d %H:%M} - {end:%m-%d %H:%M}"


def _tell_customer_of_step(ticket: RepairTicket, event: TicketEvent) -> None:
    """派工 (the technician and the agreed window) and the visit's completion (its voucher) are texted to
    the customer, once per history row: a reassignment names the new technician."""
    company = settings.COMPANY_NAME
    if event.action == "dispatch":
        if ticket.appointment is not None:
            text = Text(
                gettext_noop(
                    "【%(company)s】您的报修(工单 %(number)s)已派工:技术员 %(technician)s,预约上门时间 %(window)s。点击查看:"
                )
            ) % {
                "company": company,
                "number": ticket.number,
                "technician": str(ticket.technician),
                "window": _window_text(ticket),
            }
        else:
            text = Text(
                gettext_noop(
                    "【%(company)s】您的报修(工单 %(number)s)已派工:技术员 %(technician)s 将与您联系约定上门时间。点击查看:"
                )
            ) % {"company": company, "number": ticket.number, "technician": str(ticket.technician)}
        tell_customer(ticket, kind="dispatched", key=f"dispatched:{event.pk}", text=text)
    elif event.action == "complete_visit":
        tell_customer(
            ticket,
            kind="completed",
            key=f"completed:{event.pk}",
            text=Text(
                gettext_noop("【%(company)s】您的报修(工单 %(number)s)已处理完成,点击查看并下载服务凭证:")
            )
            % {"company": company, "number": ticket.number},
        )


# Transitions the ticket list applies to several tickets at once (issue #16).
BULK_TRANSITIONS = ("dispatch", "cancel")


@dataclass(frozen=True)
class BulkOutcome:
    done: list[str]
    refused: list[tuple[str, str]]  # (ticket number, why)


def bulk_transition(
    *, user: User, name: str, versions: dict[int, int], technician: User | None = None, note: str = ""
) -> BulkOutcome:
    """Dispatch or cancel the chosen tickets (id → the version the user saw), each in its own
    transaction through apply_transition: one stale or refused ticket does not hold back the others,
    and a second press of the same form changes nothing (the versions moved on)."""
    if name not in BULK_TRANSITIONS:
        raise UserError(_("请选择批量操作。"), field="action")
    if name == "cancel" and not note.strip():
        raise UserError(_("批量取消请填写原因。"), field="note")
    if name == "dispatch" and technician is None:
        raise UserError(_("批量派工请选择技术员。"), field="technician")
    numbers = dict(
        RepairTicket.objects.visible_to(user)
        .filter(pk__in=versions)
        .order_by("due_at", "pk")
        .values_list("pk", "number")
    )
    done: list[str] = []
    refused: list[tuple[str, str]] = []
    for ticket_id, number in numbers.items():
        try:
            apply_transition(
                ticket_id=ticket_id,
                user=user,
                name=name,
                expected_version=versions[ticket_id],
                technician=technician,
                note=note,
            )
        except (UserError, PermissionDenied) as exc:
            refused.append((number, str(exc)))
        else:
            done.append(number)
    return BulkOutcome(done=done, refused=refused)


def _state_before_cancel(ticket: RepairTicket) -> str:
    cancelled = ticket.events.filter(action="cancel").order_by("-at", "-pk").first()
    if cancelled is None or not cancelled.from_state:
        raise Conflict(_("找不到该工单取消前的状态,不能撤销取消。"))
    return cancelled.from_state


def revise_fault(
    *,
    ticket_id: int,
    user: User,
    expected_version: int | None,
    fault_cause: str,
    conditions: frozenset[str],
    note: str,
) -> RepairTicket:
    """The real cause found on site: recompute the verdict; both versions stay in the history."""
    note = note.strip()
    if not note:
        raise UserError(_("请说明修改故障原因的依据。"), field="note")
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, expected_version)
        if ticket.kind == TicketKind.MAINTENANCE:
            raise UserError(_("定期保养工单不判定保修;现场发现故障请另行登记报修。"))
        if not may_revise_verdict(ticket, user):
            raise PermissionDenied(_("您不能修改该工单的故障原因。"))
        check_conditions(ticket.unit, conditions)
        decision = verdict_for_unit(
            ticket.unit,
            report_date=timezone.localdate(ticket.reported_at),
            fault=fault_cause,
            fault_category=ticket.fault_category,
            conditions=conditions,
            exclude_ticket_id=ticket.pk,
        )
        previous = ticket.warranty_decision
        previous_cause = ticket.fault_cause
        ticket.fault_cause = fault_cause
        ticket.conditions = sorted(conditions)
        ticket.warranty_decision = _stored_decision(decision)
        ticket.warranty_remedy = decision.remedy.value
        ticket.service_category = service_category_for(decision)
        ticket.version += 1
        ticket.save(
            update_fields=[
                "fault_cause",
                "conditions",
                "warranty_decision",
                "warranty_remedy",
                "service_category",
                "version",
            ]
        )
        TicketEvent.objects.create(
            ticket=ticket,
            actor=user,
            action="revise_verdict",
            from_state=ticket.state,
            to_state=ticket.state,
            note=note,
            data={"before": previous, "after": _stored_decision(decision)},
        )
        record(user, "ticket.revise_fault", ticket, {"fault_cause": [previous_cause, fault_cause]})
    return ticket


def dispatchable_technicians(ticket: RepairTicket):
    return User.objects.filter(is_active=True, groups__name=Role.TECHNICIAN, branch_id=ticket.branch_id)


@transaction.atomic
def take_call(
    *,
    user: User,
    details: CallDetails,
    unit: Unit | None = None,
    customer: Customer | None = None,
    new_customer: dict | None = None,
    new_unit: dict | None = None,
) -> RepairTicket:
    """Call intake in one transaction: a new customer and/or unit if needed, then the ticket."""
    if unit is None:
        if customer is None:
            if user.branch_id is None:
                raise Conflict(_("您的账户未分配网点,不能新建客户。"))
            customer = register_customer(branch=user.branch, **(new_customer or {}))
        unit = register_unit(owner=customer, **(new_unit or {}))
    return log_call(user=user, unit=unit, details=details)


ETA_CHOICES = (15, 30, 45, 60, 90, 120, 180, 240)


def depart(*, ticket_id: int, user: User, expected_version: int | None, eta_minutes: int) -> RepairTicket:
    """出发: the assigned technician sets off; the customer is texted the expected arrival time.

    Not a state of the machine: the ticket stays 已派工 (SLA clocks, permissions and reports read that
    state), and 在途 is the recorded departure without a check-in after it. Setting off again (a
    detour, a delay) records another departure and texts the new time.
    """
    if eta_minutes not in ETA_CHOICES:
        raise UserError(_("请选择预计多久后到达。"), field="eta_minutes")
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, expected_version)
        if ticket.technician_id != user.pk:
            raise PermissionDenied(_("只有派工的技术员可以出发前往该工单。"))
        if ticket.state != State.DISPATCHED:
            raise Conflict(
                _("工单当前状态为“%(state)s”,只有已派工、尚未签到的工单可以出发。")
                % {"state": ticket.get_state_display()}
            )
        now = timezone.now()
        eta = now + datetime.timedelta(minutes=eta_minutes)
        ticket.departed_at = now
        ticket.version += 1
        ticket.save(update_fields=["departed_at", "version"])
        event = TicketEvent.objects.create(
            ticket=ticket,
            actor=user,
            at=now,
            action="depart",
            from_state=ticket.state,
            to_state=ticket.state,
            **event_note(
                Text(gettext_noop("预计 %(eta)s 到达。")) % {"eta": f"{timezone.localtime(eta):%H:%M}"}
            ),
            data={"eta": eta.isoformat(), "eta_minutes": eta_minutes},
        )
        # The transactional outbox: the SMS exists only if the departure does.
        tell_customer(
            ticket,
            kind="eta",
            key=f"eta:{event.pk}",
            text=Text(
                gettext_noop("您的报修(工单 %(number)s)技术员 %(technician)s 已出发,预计 %(eta)s 前后到达。")
            )
            % {"number": ticket.number, "technician": user, "eta": f"{timezone.localtime(eta):%H:%M}"},
        )
    return ticket


# A visit's window can be agreed while nobody has arrived yet.
APPOINTMENT_STATES = (State.REPORTED, State.DISPATCHED)
MAX_APPOINTMENT_HOURS = 12
MAX_APPOINTMENT_DAYS_AHEAD = 90


def check_appointment(start: datetime.datetime, end: datetime.datetime, *, now: datetime.datetime) -> None:
    """A window the service can keep: it ends after it starts, within a working day's length, not over
    already, and within three months."""
    if end <= start:
        raise UserError(_("预约结束时间必须晚于开始时间。"), field="appointment_end")
    if end - start > datetime.timedelta(hours=MAX_APPOINTMENT_HOURS):
        raise UserError(
            _("预约时间段最长 %(hours)d 小时。") % {"hours": MAX_APPOINTMENT_HOURS}, field="appointment_end"
        )
    if end <= now:
        raise UserError(_("预约时间段已经过去,请选择以后的时间。"), field="appointment_date")
    if start > now + datetime.timedelta(days=MAX_APPOINTMENT_DAYS_AHEAD):
        raise UserError(
            _("预约日期最远为 %(days)d 天以后。") % {"days": MAX_APPOINTMENT_DAYS_AHEAD},
            field="appointment_date",
        )


def _window_data(ticket: RepairTicket) -> list[str] | None:
    if ticket.appointment is None:
        return None
    return [moment.isoformat() for moment in ticket.appointment]


def may_set_appointment(ticket: RepairTicket, user: User | None) -> bool:
    """Dispatchers and supervisors of the ticket's branch, and the technician sent to it, before arrival;
    the customer (None) in their channel before dispatch."""
    if ticket.state not in APPOINTMENT_STATES:
        return False
    if user is None:
        return customer_may_change_visit(ticket)
    if ticket.technician_id is not None and ticket.technician_id == user.pk:
        return True
    return user.has_role(Role.DISPATCHER, Role.SUPERVISOR) and user.in_branch(ticket.branch_id)


def set_appointment(
    *,
    ticket_id: int,
    user: User | None,
    expected_version: int | None,
    window: tuple[datetime.datetime, datetime.datetime] | None,
    requested_by: str,
    reason: str | Text,
) -> RepairTicket:
    """Agree, move or clear the visit's time window (预约时间段). The history row says who asked and why
    (typed, or a rule's `Text`, kept as its Chinese record with its code); the arrival deadline follows
    the new window (tickets.sla_services.apply_appointment). `user` None: the customer moving their own
    visit in the channel (the caller checked the ticket is theirs), before dispatch only."""
    if not isinstance(reason, Text):
        reason = reason.strip()
    if requested_by not in AppointmentRequester.values:
        raise UserError(_("请选择是谁提出的预约。"), field="requested_by")
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, expected_version)
        if not may_set_appointment(ticket, user):
            if user is None:
                raise Conflict(customer_refused_message(ticket))
            if ticket.state not in APPOINTMENT_STATES:
                raise Conflict(
                    _("工单当前状态为“%(state)s”,技术员已到达或工单已结束,不能再改预约时间。")
                    % {"state": ticket.get_state_display()}
                )
            raise PermissionDenied(_("您不能修改该工单的预约时间。"))
        now = timezone.now()
        if window is not None:
            check_appointment(*window, now=now)
        if ticket.appointment is not None and not reason:
            raise UserError(_("修改或取消预约时间,请填写原因。"), field="reason")
        if window == ticket.appointment:
            raise UserError(_("预约时间没有变化。"), field="appointment_date")
        before = _window_data(ticket)
        ticket.appointment_start, ticket.appointment_end = window if window else (None, None)
        ticket.version += 1
        ticket.save(update_fields=["appointment_start", "appointment_end", "version"])
        TicketEvent.objects.create(
            ticket=ticket,
            actor=user,
            at=now,
            action="set_appointment",
            from_state=ticket.state,
            to_state=ticket.state,
            **event_note(reason),
            data={
                "before": before,
                "after": _window_data(ticket),
                "requested_by": requested_by,
                **({"by": "customer"} if user is None else {}),
            },
        )
        record(user, "ticket.set_appointment", ticket, {"appointment": [before, _window_data(ticket)]})
        sla_services.apply_appointment(ticket)
    return ticket


DEFAULT_VISIT_HOURS = 2


def dispatch_into_window(
    *,
    ticket_id: int,
    user: User,
    expected_version: int | None,
    technician: User | None,
    start: datetime.datetime,
    helpers=(),
) -> RepairTicket:
    """The timeline board's drop: dispatch the ticket to the technician and book the visit from `start`,
    in one transaction (both or neither). The window keeps its agreed length (two hours when there was
    none); moving an agreed window is recorded as the service centre's change, like any other."""
    with transaction.atomic():
        ticket = apply_transition(
            ticket_id=ticket_id,
            user=user,
            name="dispatch",
            expected_version=expected_version,
            technician=technician,
            helpers=helpers,
        )
        length = (
            ticket.appointment[1] - ticket.appointment[0]
            if ticket.appointment is not None
            else datetime.timedelta(hours=DEFAULT_VISIT_HOURS)
        )
        window = (start, start + length)
        if window != ticket.appointment:
            ticket = set_appointment(
                ticket_id=ticket.pk,
                user=user,
                expected_version=ticket.version,
                window=window,
                requested_by=AppointmentRequester.SERVICE,
                reason=Text(gettext_noop("派工时在时间轴上安排。")),
            )
    return ticket
