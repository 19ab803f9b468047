"""Write paths of the service report (服务报告): draft by steps, parts, photos, signature, addenda.

Every function locks the ticket row first (the same lock as the transitions), so a report cannot be
changed while the visit is being completed, and two devices saving at once are serialised.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from PIL import Image

from accounts.models import User
from aftersales.errors import Conflict, UserError
from aftersales.texts import Text, list_text
from aftersales.uploads import UploadRefused, open_image, prepare_photo
from audit.services import record
from tickets.faultcode_rules import UsualPart
from tickets.fee_rules import FeeStep, fee_step_problems, reason_needed
from tickets.models import (
    RepairTicket,
    ServiceCategory,
    ServiceReport,
    ServiceReportAddendum,
    ServiceReportPart,
    ServiceReportPhoto,
    State,
    TicketEvent,
    event_note,
)
from tickets.permissions import may_add_addendum, may_write_report
from tickets.services import fault_code_for
from warranty.rules import Payer

# The report in steps, following 听 / 看 / 查 (§1-3.4.2); the signature is the last step.
REPORT_STEPS: list[tuple[str, list[str]]] = [
    (gettext_lazy("听:客户反映"), ["customer_account"]),
    (gettext_lazy("看:使用情况"), ["usage_reading", "previously_disassembled"]),
    (gettext_lazy("查:检查结果"), ["findings", "cause"]),
    (gettext_lazy("维修:处理措施、配件、照片"), ["work_done", "labour_hours"]),
    (gettext_lazy("费用"), ["fee", "payment_method", "fee_collected", "fee_reason", "fee_reason_note"]),
    (gettext_lazy("客户签字"), []),
]
SIGNATURE_STEP = len(REPORT_STEPS)
PARTS_AND_PHOTOS_STEP = 4  # the "维修" step, where part lines and photos are added
FEE_STEP = 5
EDITABLE_FIELDS = frozenset(field for _title, fields in REPORT_STEPS for field in fields)
FEE_STEP_FIELDS = frozenset(REPORT_STEPS[FEE_STEP - 1][1])
REASON_FIELDS = ("fee_reason", "fee_reason_note")

MAX_SIGNATURE_BYTES = 1024 * 1024
MAX_SIGNATURE_PIXELS = 8_000_000  # signature_pad's canvas at 3× on a wide tablet is under 3 MP
# Dark pixels a real signature leaves on the canvas; a tap or an empty canvas leaves fewer.
MIN_SIGNATURE_INK = 200


def current_report(ticket: RepairTicket) -> ServiceReport | None:
    """The report of the ticket's latest visit, if one was started."""
    return (
        ServiceReport.objects.filter(ticket=ticket, visit=ticket.visit_count)
        .prefetch_related("parts", "photos", "addenda")
        .first()
    )


def current_report_status(ticket: RepairTicket) -> ServiceReport | None:
    """The latest visit's report as the ticket's page shows it: whether and by whom it was signed. Not its
    parts, photos and addenda (three queries current_report prefetches for the report's own pages)."""
    return (
        ServiceReport.objects.filter(ticket=ticket, visit=ticket.visit_count)
        .only("pk", "ticket_id", "visit", "signed_at", "signer_name")
        .order_by()  # one report per visit; the model's ordering would join the ticket to sort by it
        .first()
    )


def missing_for_signature(report: ServiceReport) -> list[str]:
    """What the customer cannot sign without (labels, in step order). Empty: ready to sign."""
    return [label for _name, label in missing_fields(report)]


FEE_LABELS = {
    "fee": gettext_lazy("服务费"),
    "payment_method": gettext_lazy("付款方式"),
    "fee_reason": gettext_lazy("收费原因"),
    "fee_reason_note": gettext_lazy("收费原因说明"),
}


def missing_fields(report: ServiceReport | None, *, paid: bool = False) -> list[tuple[str, str]]:
    """(field, label) of what the report lacks before the customer may sign; all of them without a
    report (`paid`: the ticket's category, when there is no report to ask)."""
    required = [
        ("customer_account", _("客户反映")),
        ("usage_reading", _("运行时间/里程/工作小时")),
        ("previously_disassembled", _("故障件曾被拆过")),
        ("findings", _("检查结果")),
        ("cause", _("故障原因分析")),
        ("work_done", _("处理措施")),
        ("labour_hours", _("工时")),
    ]
    if report is None:
        # §5 第三十条: paid service has its fee agreed before the work.
        return required + (
            [("fee", FEE_LABELS["fee"]), ("payment_method", FEE_LABELS["payment_method"])] if paid else []
        )
    missing = [(name, label) for name, label in required if _is_empty(getattr(report, name))]
    # §5 第三十条, and a fee on a repair the company pays for has its reason stated (the verdict may have
    # been revised since the fee step was saved): the fee rules of tickets.fee_rules.
    problems = fee_step_problems(fee_step(report.ticket, report))
    return missing + [(problem.field, FEE_LABELS[problem.field]) for problem in problems]


def _is_empty(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None


def company_pays(ticket: RepairTicket) -> bool:
    return (ticket.warranty_decision or {}).get("payer") == Payer.COMPANY


def fee_step(ticket: RepairTicket, report: ServiceReport, changes: dict | None = None) -> FeeStep:
    """The fee rules' input: the ticket's verdict and the report's fee fields (with `changes` applied)."""
    values = {name: getattr(report, name) for name in FEE_STEP_FIELDS} | (changes or {})
    return FeeStep(
        company_pays=company_pays(ticket),
        paid_service=ticket.service_category == ServiceCategory.PAID,
        fee=values["fee"],
        payment_method=values["payment_method"],
        reason=values["fee_reason"],
        reason_note=values["fee_reason_note"],
    )


def step_fields(ticket: RepairTicket, step: int) -> list[str]:
    """The fields a step's form shows: the fee reason only where the company pays for the repair."""
    fields = REPORT_STEPS[step - 1][1]
    if company_pays(ticket):
        return fields
    return [name for name in fields if name not in REASON_FIELDS]


def initial_fee(ticket: RepairTicket, report: ServiceReport | None) -> Decimal | None:
    """What the fee step offers before a fee is saved: the fee told to the customer (收费告知)."""
    if report is not None and report.fee:
        return None
    return ticket.quoted_fee


def _check_fee_step(ticket: RepairTicket, report: ServiceReport, changes: dict) -> dict:
    """Refuse an incomplete fee step (tickets.fee_rules); a reason is kept only where one is needed."""
    if not FEE_STEP_FIELDS & set(changes):
        return changes
    step = fee_step(ticket, report, changes)
    problems = fee_step_problems(step)
    if problems:
        raise UserError(str(problems[0].message), field=problems[0].field)
    if not reason_needed(step):
        changes = changes | dict.fromkeys(REASON_FIELDS, "")
    return changes


def _check_writable(ticket: RepairTicket, user: User) -> None:
    if ticket.technician_id != user.pk:
        raise PermissionDenied(_("只有派工的技术员可以填写该工单的服务报告。"))
    if not may_write_report(ticket, user):
        raise Conflict(
            _("工单当前状态为“%(state)s”,只有到达签到后(上门处理中)才能填写服务报告。")
            % {"state": ticket.get_state_display()}
        )


def _frozen_message() -> str:
    return _("服务报告已由客户签字,不能再修改;如需更正,请添加补充说明并由客户另行签字。")


def _report_for_update(ticket: RepairTicket) -> ServiceReport | None:
    return ServiceReport.objects.select_for_update().filter(ticket=ticket, visit=ticket.visit_count).first()


def _writable_report(ticket: RepairTicket) -> ServiceReport:
    report = _report_for_update(ticket)
    if report is None:
        raise Conflict(_("请先填写服务报告第 1 步。"))
    if report.is_signed:
        raise Conflict(_frozen_message())
    return report


def _check_values(changes: dict) -> None:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise UserError(_("该项不能在服务报告中修改。"), field=sorted(unknown)[0])
    hours = changes.get("labour_hours")
    if hours is not None and not (Decimal(0) <= hours <= Decimal(999)):
        raise UserError(_("工时必须在 0 到 999 小时之间。"), field="labour_hours")
    fee = changes.get("fee")
    if fee is not None and fee < 0:
        raise UserError(_("服务费不能为负数。"), field="fee")


def save_report(
    *,
    ticket_id: int,
    user: User,
    idempotency_key: uuid.UUID,
    expected_version: int | None,
    changes: dict,
) -> ServiceReport:
    """Save one step of the draft; the first save of a visit creates the report.

    A resend of what is already stored (double tap, the page resending after the network came back)
    is answered with the report as it is, also when its version moved on since.
    """
    _check_values(changes)
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        _check_writable(ticket, user)
        report = _report_for_update(ticket)
        if report is None:
            report = _start_report(ticket, user, idempotency_key)
        if report.is_signed:
            raise Conflict(_frozen_message())
        changes = _check_fee_step(ticket, report, changes)
        if all(getattr(report, name) == value for name, value in changes.items()):
            return report
        if expected_version is not None and expected_version != report.version:
            raise Conflict(_("服务报告已在其他页面或设备上更新,请刷新页面后再填写本步。"))
        for name, value in changes.items():
            setattr(report, name, value)
        report.version += 1
        report.updated_at = timezone.now()
        report.save()
    return report


def _start_report(ticket: RepairTicket, user: User, idempotency_key: uuid.UUID) -> ServiceReport:
    try:
        with transaction.atomic():
            report = ServiceReport.objects.create(
                ticket=ticket, visit=ticket.visit_count, technician=user, idempotency_key=idempotency_key
            )
    except IntegrityError:
        # The key was used for another visit's report (a page kept open across visits): use a new one.
        report = ServiceReport.objects.create(
            ticket=ticket, visit=ticket.visit_count, technician=user, idempotency_key=uuid.uuid4()
        )
    TicketEvent.objects.create(
        ticket=ticket,
        actor=user,
        action="start_report",
        from_state=ticket.state,
        to_state=ticket.state,
        data={"report": report.pk, "visit": report.visit},
    )
    return report


def proposed_labour_hours(time_on_site: datetime.timedelta | None) -> Decimal | None:
    """Labour hours proposed from the time on site: rounded up to the quarter hour, at least one."""
    if time_on_site is None:
        return None
    quarters = max(1, math.ceil(time_on_site.total_seconds() / 900))
    return Decimal(quarters) / 4


@dataclass(frozen=True)
class PartLine:
    part_name: str
    quantity: int
    part_code: str = ""
    removed_serial: str = ""
    fitted_serial: str = ""
    old_part_returnable: bool = False


def add_part(*, ticket_id: int, user: User, line: PartLine) -> ServiceReportPart:
    if not line.part_name.strip():
        raise UserError(_("请填写配件名称。"), field="part_name")
    if line.quantity <= 0:
        raise UserError(_("配件数量必须大于 0。"), field="quantity")
    if line.old_part_returnable and not line.removed_serial.strip():
        raise UserError(_("保修更换的旧件需返库,请填写拆下件的序列号。"), field="removed_serial")
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        _check_writable(ticket, user)
        report = _writable_report(ticket)
        part = ServiceReportPart.objects.create(
            report=report,
            part_code=line.part_code.strip(),
            part_name=line.part_name.strip(),
            quantity=line.quantity,
            removed_serial=line.removed_serial.strip(),
            fitted_serial=line.fitted_serial.strip(),
            old_part_returnable=line.old_part_returnable,
        )
        _touch(report)
    return part


def choose_fault_code(*, ticket_id: int, user: User, code: str) -> RepairTicket:
    """The report's 查 step: the technician names the library's fault code the check found (blank: none,
    the free text of the report stands alone). Kept on the ticket, with a history row when it changes."""
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        _check_writable(ticket, user)
        fault_code = fault_code_for(ticket.unit.product_model_id, code)
        if fault_code == ticket.fault_code:
            return ticket
        before = ticket.fault_code.code if ticket.fault_code else ""
        ticket.fault_code = fault_code
        ticket.version += 1
        ticket.save(update_fields=["fault_code", "version"])
        TicketEvent.objects.create(
            ticket=ticket,
            actor=user,
            action="fault_code",
            from_state=ticket.state,
            to_state=ticket.state,
            **event_note(str(fault_code) if fault_code else Text(gettext_noop("不使用故障代码"))),
            data={"before": before, "after": fault_code.code if fault_code else ""},
        )
    return ticket


def usual_parts_to_add(ticket: RepairTicket, report: ServiceReport | None) -> list[UsualPart]:
    """The fault code's usual parts that the report's part lines do not have yet (by code, or by name
    for a part without a code): what the 维修 step proposes."""
    if ticket.fault_code is None:
        return []
    lines = list(report.parts.all()) if report else []
    have = {(line.part_code or line.part_name) for line in lines}
    return [part for part in ticket.fault_code.parts if (part.code or part.name) not in have]


def add_usual_parts(*, ticket_id: int, user: User) -> int:
    """Add the fault code's usual parts the report lacks, as proposed on the 维修 step; the lines stay
    editable (remove one, add another). A second send adds nothing: it finds them there. Returns how
    many lines it added."""
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        _check_writable(ticket, user)
        report = _writable_report(ticket)
        proposed = usual_parts_to_add(ticket, report)
        ServiceReportPart.objects.bulk_create(
            ServiceReportPart(report=report, part_code=part.code, part_name=part.name, quantity=part.quantity)
            for part in proposed
        )
        if proposed:
            _touch(report)
    return len(proposed)


def proposed_hours(ticket: RepairTicket, time_on_site: datetime.timedelta | None) -> Decimal | None:
    """The labour hours the 维修 step proposes: the fault code's standard hours when it has them,
    else the time on site (proposed_labour_hours)."""
    if ticket.fault_code is not None and ticket.fault_code.labour_hours is not None:
        return ticket.fault_code.labour_hours
    return proposed_labour_hours(time_on_site)


def remove_part(*, ticket_id: int, user: User, part_id: int) -> None:
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        _check_writable(ticket, user)
        report = _writable_report(ticket)
        report.parts.filter(pk=part_id).delete()
        _touch(report)


def _touch(report: ServiceReport) -> None:
    report.version += 1
    report.updated_at = timezone.now()
    report.save(update_fields=["version", "updated_at"])


def add_photo(*, ticket_id: int, user: User, upload) -> ServiceReportPhoto:
    content, digest = prepare_photo(upload)
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        _check_writable(ticket, user)
        report = _writable_report(ticket)
        photo = ServiceReportPhoto(report=report, sha256=digest)
        photo.image.save(content.name, content, save=False)
        photo.save()
        _touch(report)
    return photo


def remove_photo(*, ticket_id: int, user: User, photo_id: int) -> None:
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        _check_writable(ticket, user)
        report = _writable_report(ticket)
        report.photos.filter(pk=photo_id).delete()
        _touch(report)


def decode_signature(data_url: str) -> bytes:
    """`data:image/png;base64,...` from signature_pad → PNG bytes (a wrong value gives b"")."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        return b""
    try:
        return base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        return b""


def check_signature(png: bytes) -> None:
    """A PNG with enough ink on it: an empty or blank canvas is no signature."""
    if not png:
        raise UserError(_("请客户在签字框内签名。"), field="signature")
    if len(png) > MAX_SIGNATURE_BYTES:
        raise UserError(_("签名图片过大,请清除后重新签名。"), field="signature")
    try:
        image = open_image(
            png,
            formats=["PNG"],
            wrong_type=_("签名图片无法识别,请清除后重新签名。"),
            max_pixels=MAX_SIGNATURE_PIXELS,
        )
    except UploadRefused as exc:
        raise UserError(str(exc), field="signature") from exc
    image = image.convert("RGBA")
    on_white = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("L")
    ink = sum(on_white.histogram()[:128])
    if ink < MIN_SIGNATURE_INK:
        raise UserError(_("签名为空,请客户在签字框内签名。"), field="signature")


def check_signer(signer_name: str, technician: User) -> str:
    signer_name = " ".join(signer_name.split())
    if not signer_name:
        raise UserError(_("请填写签字客户的姓名。"), field="signer_name")
    own_names = {
        technician.username.casefold(),
        technician.get_full_name().replace(" ", "").casefold(),
        str(technician).replace(" ", "").casefold(),
    } - {""}
    if signer_name.replace(" ", "").casefold() in own_names:
        raise UserError(_("技术员不能代客户签字,请由客户本人签名并填写姓名。"), field="signer_name")
    return signer_name


def canonical_content(report: ServiceReport, *, signature_sha256: str) -> dict:
    """What the customer signs: the report's every field, parts, photos, signer and time."""
    ticket = report.ticket
    return {
        "ticket": ticket.number,
        "visit": report.visit,
        "customer": ticket.customer.name,
        "unit": ticket.unit.serial_number,
        "technician": report.technician.username,
        "customer_account": report.customer_account,
        "usage_reading": report.usage_reading,
        "previously_disassembled": report.previously_disassembled,
        "findings": report.findings,
        "cause": report.cause,
        "work_done": report.work_done,
        "labour_hours": str(report.labour_hours),
        "fee": str(report.fee),
        "payment_method": report.payment_method,
        "fee_collected": report.fee_collected,
        # Only when given, so that reports signed before the reason existed keep their hash.
        **(
            {"fee_reason": report.fee_reason, "fee_reason_note": report.fee_reason_note}
            if report.fee_reason
            else {}
        ),
        "parts": [
            {
                "part_code": part.part_code,
                "part_name": part.part_name,
                "quantity": part.quantity,
                "removed_serial": part.removed_serial,
                "fitted_serial": part.fitted_serial,
                "old_part_returnable": part.old_part_returnable,
            }
            for part in report.parts.order_by("pk")
        ],
        "photos": [photo.sha256 for photo in report.photos.order_by("pk")],
        "signer_name": report.signer_name,
        "signed_at": report.signed_at.isoformat(),
        "signature_sha256": signature_sha256,
    }


def content_hash(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _file_sha256(field) -> str:
    with field.open("rb") as stored:
        return hashlib.sha256(stored.read()).hexdigest()


def report_is_intact(report: ServiceReport) -> bool:
    """Whether a signed report still is what the customer signed: its content is rebuilt from what is
    stored now — fields, part lines, and the photo and signature files themselves — and hashed again."""
    if not report.is_signed:
        return True
    try:
        content = canonical_content(report, signature_sha256=_file_sha256(report.signature))
        content["photos"] = [_file_sha256(photo.image) for photo in report.photos.order_by("pk")]
    except OSError:  # a file that was removed is an alteration too
        return False
    return content_hash(content) == report.content_sha256


def sign_report(
    *,
    ticket_id: int,
    user: User,
    signer_name: str,
    signature_png: bytes,
    expected_version: int | None = None,
) -> ServiceReport:
    """The customer signs the complete report on the technician's device; the report is frozen.

    Refused before every required step is filled (§1-3.3.2: no signature before the service is
    recorded), once signed, with an empty canvas, or with the technician's own name as the signer.
    `expected_version` is the version of the report the customer read (a signature taken offline is
    sent later): if the report changed since, the signature would bind content the customer never saw.
    """
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        _check_writable(ticket, user)
        report = _report_for_update(ticket)
        if report is None:
            raise Conflict(_("服务报告尚未填写,不能签字。"))
        if report.is_signed:
            raise Conflict(_("服务报告已于 %(at)s 由客户签字。") % {"at": _local(report.signed_at)})
        if expected_version is not None and expected_version != report.version:
            raise Conflict(
                _("服务报告在客户核对之后又被修改过(其他设备或页面),请让客户核对最新内容后重新签字。")
            )
        missing = missing_for_signature(report)
        if missing:
            raise Conflict(
                _("服务报告尚未填写完整,客户不能签字。缺少:%(missing)s。")
                % {"missing": list_text(map(str, missing))}
            )
        signer_name = check_signer(signer_name, user)
        check_signature(signature_png)
        now = timezone.now()
        report.signer_name = signer_name
        report.signed_at = now
        signature_sha256 = hashlib.sha256(signature_png).hexdigest()
        report.signature.save(f"{ticket.number}-{report.visit}.png", ContentFile(signature_png), save=False)
        report.content_sha256 = content_hash(canonical_content(report, signature_sha256=signature_sha256))
        report.version += 1
        report.updated_at = now
        report.save()
        ticket.report_signed = True
        ticket.version += 1
        ticket.save(update_fields=["report_signed", "version"])
        TicketEvent.objects.create(
            ticket=ticket,
            actor=user,
            at=now,
            action="sign_report",
            from_state=ticket.state,
            to_state=ticket.state,
            **event_note(Text(gettext_noop("客户 %(name)s 签字确认服务报告。")) % {"name": signer_name}),
            data={"report": report.pk, "content_sha256": report.content_sha256},
        )
        record(user, "ticket.sign_report", ticket, {"report": report.pk, "fee": report.fee})
    return report


def add_addendum(
    *,
    ticket_id: int,
    user: User,
    idempotency_key: uuid.UUID,
    text: str,
    signer_name: str,
    signature_png: bytes,
) -> ServiceReportAddendum:
    """A later correction to the signed report: separately signed and hashed; the report stays as is."""
    text = text.strip()
    if not text:
        raise UserError(_("请填写补充说明的内容。"), field="text")
    with transaction.atomic():
        ticket = RepairTicket.objects.lock(ticket_id, None)
        if not may_add_addendum(ticket, user) or ticket.state == State.CANCELLED:
            raise PermissionDenied(_("您不能为该工单的服务报告添加补充说明。"))
        existing = ServiceReportAddendum.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        report = (
            ServiceReport.objects.select_for_update()
            .filter(ticket=ticket, signed_at__isnull=False)
            .order_by("-visit")
            .first()
        )
        if report is None:
            raise Conflict(_("服务报告尚未签字,请直接修改报告。"))
        signer_name = check_signer(signer_name, user)
        check_signature(signature_png)
        now = timezone.now()
        signature_sha256 = hashlib.sha256(signature_png).hexdigest()
        content = {
            "report_sha256": report.content_sha256,
            "text": text,
            "author": user.username,
            "signer_name": signer_name,
            "signed_at": now.isoformat(),
            "signature_sha256": signature_sha256,
        }
        addendum = ServiceReportAddendum(
            report=report,
            author=user,
            idempotency_key=idempotency_key,
            text=text,
            signer_name=signer_name,
            signed_at=now,
            content_sha256=content_hash(content),
        )
        addendum.signature.save(
            f"{ticket.number}-{report.visit}-addendum.png", ContentFile(signature_png), save=False
        )
        addendum.save()
        TicketEvent.objects.create(
            ticket=ticket,
            actor=user,
            at=now,
            action="report_addendum",
            from_state=ticket.state,
            to_state=ticket.state,
            note=text,
            data={"report": report.pk, "addendum": addendum.pk, "content_sha256": addendum.content_sha256},
        )
        record(user, "ticket.report_addendum", ticket, {"report": report.pk, "addendum": addendum.pk})
    return addendum


def _local(at) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"
