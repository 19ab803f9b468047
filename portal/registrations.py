"""服务卡登记 (issue #17 item 2): the customer registers a unit with the invoice; the office confirms it.

A confirmed registration writes the purchase date and place on the unit through the customer file's own
correction (customers.services.edit_unit): the same editors (dispatcher or supervisor of the unit's
branch) and the same history row. The warranty counts from the unit's purchase date
(warranty.services.decide_for_unit), so it counts from the confirmed date from then on.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from aftersales.errors import Conflict, UserError
from customers.models import Customer, Unit
from customers.services import EDITORS, edit_unit
from portal.models import ProductRegistration
from portal.session import CustomerAccess

Status = ProductRegistration.Status


def submit_registration(
    *,
    access: CustomerAccess,
    serial_number: str,
    purchase_date: datetime.date,
    purchase_place: str,
    invoice: tuple[ContentFile, str],
) -> ProductRegistration:
    """The customer's registration, waiting in the office's queue. A serial on file goes to its
    owner's branch; one not on file (or another customer's: the office sorts it out) is kept by serial."""
    if not access.whole_account or not access.customer_ids:
        raise PermissionDenied
    serial_number = serial_number.strip()
    unit = Unit.objects.filter(serial_number=serial_number).select_related("owner").first()
    customers = Customer.objects.filter(pk__in=access.customer_ids).order_by("pk")
    customer = (
        next((c for c in customers if unit is not None and c.pk == unit.owner_id), None) or customers.first()
    )
    if ProductRegistration.objects.filter(
        customer_id__in=access.customer_ids, serial_number=serial_number, status=Status.PENDING
    ).exists():
        raise UserError(_("这台机器的登记正在等待确认,请勿重复提交。"), field="serial_number")
    image, sha256 = invoice
    return ProductRegistration.objects.create(
        customer=customer,
        branch_id=unit.owner.branch_id if unit is not None else customer.branch_id,
        serial_number=serial_number,
        unit=unit,
        purchase_date=purchase_date,
        purchase_place=purchase_place,
        invoice=image,
        invoice_sha256=sha256,
    )


def may_decide(user: User, registration: ProductRegistration) -> bool:
    return user.is_active and user.has_role(*EDITORS) and user.in_branch(registration.branch_id)


def _pending_for(user: User, registration_id: int) -> ProductRegistration:
    registration = (
        ProductRegistration.objects.visible_to(user).select_for_update().filter(pk=registration_id).first()
    )
    if registration is None:
        raise ProductRegistration.DoesNotExist
    if not may_decide(user, registration):
        raise PermissionDenied(_("只有本网点的客服/调度和服务主任可以处理产品登记。"))
    if registration.status != Status.PENDING:
        raise Conflict(_("这条登记已经处理过了。"))
    return registration


def confirm_registration(
    *, user: User, registration_id: int, purchase_date: datetime.date
) -> ProductRegistration:
    """Confirm with the purchase date read on the invoice: it becomes the unit's (warranty start),
    with a history row on the owner's file."""
    with transaction.atomic():
        registration = _pending_for(user, registration_id)
        unit = registration.unit or Unit.objects.filter(serial_number=registration.serial_number).first()
        if unit is None:
            raise UserError(
                _("序列号 %(serial)s 尚未建档:请先为用户登记这台机器,再确认。")
                % {"serial": registration.serial_number}
            )
        if unit.owner_id != registration.customer_id:
            raise Conflict(_("这台机器登记在其他用户名下,不能按这条登记确认。"))
        edit_unit(
            user=user,
            unit_id=unit.pk,
            fields={
                "purchase_date": purchase_date,
                "purchase_place": registration.purchase_place,
                "service_card_registered_on": timezone.localdate(),
            },
        )
        registration.unit = unit
        registration.purchase_date = purchase_date
        registration.status = Status.CONFIRMED
        registration.decided_at = timezone.now()
        registration.decided_by = user
        registration.save()
        return registration


def reject_registration(*, user: User, registration_id: int, reason: str) -> ProductRegistration:
    with transaction.atomic():
        registration = _pending_for(user, registration_id)
        registration.status = Status.REJECTED
        registration.reason = reason
        registration.decided_at = timezone.now()
        registration.decided_by = user
        registration.save()
        return registration


def registration_queue(user: User):
    """The pending registrations of the user's branch (every branch for headquarters), oldest first."""
    return (
        ProductRegistration.objects.visible_to(user)
        .filter(status=Status.PENDING)
        .select_related("customer", "branch", "unit__product_model", "unit__owner")
        .order_by("created_at", "pk")
    )


def customer_registrations(access: CustomerAccess):
    return ProductRegistration.objects.filter(customer_id__in=access.customer_ids).order_by("-created_at")
