"""One world for the security tests, built once for the package: the demo data (`seed_demo`, through the
real services) of the own branch SH, and a twin in the other branch HZ of every object a URL can name.
Each module gets it as built (what a module's own fixtures write is rolled back after the module), and
the modules that use it run after the others, which never see it.

The demo gives SH one object of every kind; HZ has tickets but no claims, requisitions, complaints…, so
the missing HZ objects are copies of the SH ones moved into HZ (same rows, other branch, an HZ ticket).
Users are the demo logins: one per role in SH (`technician` is the assignee of every SH job,
`technician2` the "other technician"), `gm` and `admin` at headquarters.
"""

from __future__ import annotations

import datetime
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import models, transaction
from django.test import override_settings

from accounts.models import Branch, Role, User

ROLE_USER = {
    Role.DISPATCHER: "dispatcher",
    Role.TECHNICIAN: "technician",
    Role.SUPERVISOR: "supervisor",
    Role.WAREHOUSE: "warehouse",
    Role.FINANCE: "finance",
    Role.MANAGER: "manager",
    Role.GENERAL_MANAGER: "gm",
    Role.ADMIN: "admin",
}
OTHER_TECHNICIAN = "technician2"


@dataclass
class World:
    users: dict[str, User]
    own: dict[str, object] = field(default_factory=dict)
    other: dict[str, object] = field(default_factory=dict)


def _twin(obj, **changes):
    """A copy of `obj` with `changes`; its other unique values made unique again."""
    for model_field in obj._meta.concrete_fields:
        if not model_field.unique or model_field.primary_key or model_field.name in changes:
            continue
        value = getattr(obj, model_field.attname)
        if isinstance(model_field, models.UUIDField):
            changes[model_field.attname] = uuid.uuid4()
        elif isinstance(value, str):  # within the column's length (PostgreSQL enforces it)
            changes[model_field.attname] = f"{value[: (model_field.max_length or 1000) - 3]}-HZ"
    obj.pk = None
    obj._state.adding = True
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save()
    return obj


def _build() -> World:
    from claims.models import Claim, ClaimAttachment, FeeHandover, WriteOff
    from customers.models import Customer, ImportBatch, Unit
    from notifications.models import Notification
    from parts.models import (
        Backorder,
        Handover,
        OldPart,
        PartUsage,
        PostageRecord,
        ReceivingNote,
        Requisition,
        Supplier,
        SupplierClaim,
        Warehouse,
    )
    from portal.models import ProductRegistration
    from portal.services import issue_ticket_link
    from reports.models import Export
    from surveys.models import Complaint, FollowUpCall, Survey
    from surveys.services import issue_link
    from tests.security.test_hostile_uploads import mp4_header
    from tests.tickets.factories import signature_png
    from tickets.models import (
        FaultPhoto,
        FaultVideo,
        GoodsRegisterEntry,
        RepairTicket,
        ServiceReport,
        ServiceReportPart,
        ServiceReportPhoto,
        State,
    )
    from warranty.models import MaintenanceContract

    call_command("seed_demo", customers=40, stdout=io.StringIO())
    users = {user.username: user for user in User.objects.all()}
    world = World(users=users)
    sh, hz = Branch.objects.get(code="SH"), Branch.objects.get(code="HZ")
    own, other = world.own, world.other
    hz_tech = users["hz_technician"]
    own["branch_technician"], other["branch_technician"] = users["technician"], hz_tech

    own["customer"] = Customer.objects.filter(branch=sh).first()
    other["customer"] = Customer.objects.filter(branch=hz).first()
    own["unit"] = Unit.objects.filter(owner=own["customer"]).first()
    other["unit"] = Unit.objects.filter(owner=other["customer"]).first()
    for scope, customer in ((own, own["customer"]), (other, other["customer"])):
        scope["contract"] = MaintenanceContract.objects.create(
            number=f"MC-{customer.branch.code}",
            customer=customer,
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2027, 12, 31),
        )

    for state in State.values:
        for scope, branch, customer, technician, reporter in (
            (own, sh, own["customer"], users["technician"], users["dispatcher"]),
            (other, hz, other["customer"], hz_tech, users["hz_dispatcher"]),
        ):
            ticket = RepairTicket.objects.filter(branch=branch, state=state).order_by("pk").first()
            if ticket is None:
                ticket = _twin(
                    RepairTicket.objects.filter(state=state).order_by("pk").first(),
                    number=f"{branch.code}-{state}",
                    branch=branch,
                    customer=customer,
                    unit=Unit.objects.filter(owner=customer).first(),
                    technician=technician if state not in (State.REPORTED, State.CANCELLED) else None,
                    reported_by=reporter,
                )
            scope[f"ticket_{state}"] = ticket

    def hz_ticket(sh_ticket_id):
        """The HZ ticket in the state of the SH ticket an SH object belongs to."""
        return other[f"ticket_{RepairTicket.objects.get(pk=sh_ticket_id).state}"]

    # Reports: the signed one of the awaiting-acceptance job, and its part line and a photo.
    report = ServiceReport.objects.filter(ticket=own["ticket_awaiting_acceptance"]).first()
    own["report"] = report
    other["report"] = _twin(
        ServiceReport.objects.get(pk=report.pk),
        ticket=other["ticket_awaiting_acceptance"],
        technician=hz_tech,
    )
    own["report_part"] = ServiceReportPart.objects.filter(report=report).first()
    other["report_part"] = _twin(
        ServiceReportPart.objects.get(pk=own["report_part"].pk), report=other["report"]
    )
    for scope in (own, other):
        photo = ServiceReportPhoto(report=scope["report"], sha256="0" * 64)
        photo.image.save("photo.png", ContentFile(signature_png()), save=True)
        scope["photo"] = photo

    for scope, branch in ((own, sh), (other, hz)):
        scope["goods_ticket"] = GoodsRegisterEntry.objects.filter(branch=branch).first().ticket

    claim = Claim.objects.filter(branch=sh, write_off_entry__isnull=False).first()
    own["claim"] = claim
    other["claim"] = _twin(Claim.objects.get(pk=claim.pk), branch=hz, ticket=hz_ticket(claim.ticket_id))
    own["write_off"] = WriteOff.objects.get(claim=claim)
    other["write_off"] = _twin(WriteOff.objects.get(pk=own["write_off"].pk), claim=other["claim"], branch=hz)
    for scope in (own, other):
        attachment = ClaimAttachment(
            claim=scope["claim"],
            kind="photo",
            original_name="a.png",
            sha256="0" * 64,
            uploaded_by=users["supervisor"],
        )
        attachment.file.save("a.png", ContentFile(signature_png()), save=True)
        scope["attachment"] = attachment

    handover = FeeHandover.objects.filter(branch=sh).first()
    own["fee_handover"] = handover
    other["fee_handover"] = _twin(
        FeeHandover.objects.get(pk=handover.pk), report=other["report"], branch=hz, technician=hz_tech
    )
    own["fee_report"] = handover.report
    other["fee_report"] = other["report"]

    own["warehouse"] = Warehouse.objects.filter(branch=sh, technician__isnull=True).first()
    other["warehouse"] = Warehouse.objects.filter(branch=hz, technician__isnull=True).first()
    note = ReceivingNote.objects.filter(warehouse__branch=sh).first()
    own["receiving_note"] = note
    other["receiving_note"] = _twin(ReceivingNote.objects.get(pk=note.pk), warehouse=other["warehouse"])

    requisition = Requisition.objects.filter(branch=sh).first()
    own["requisition"] = requisition
    other["requisition"] = _twin(
        Requisition.objects.get(pk=requisition.pk),
        branch=hz,
        ticket=hz_ticket(requisition.ticket_id),
        technician=hz_tech,
        requested_by=hz_tech,
        warehouse=other["warehouse"],
    )
    old_part = OldPart.objects.filter(branch=sh).first()
    own["old_part"] = old_part
    own["usage"] = PartUsage.objects.filter(ticket__branch=sh).first()
    usage = _twin(
        PartUsage.objects.get(pk=own["usage"].pk),
        report_part=other["report_part"],
        ticket=other["report"].ticket,
        technician=hz_tech,
        warehouse=other["warehouse"],
        requisition=None,
    )
    other["usage"] = usage
    other["old_part"] = _twin(
        OldPart.objects.get(pk=old_part.pk),
        usage=usage,
        branch=hz,
        technician=hz_tech,
        # A received old part lies in a warehouse (check constraint): the HZ one for the HZ twin.
        warehouse=other["warehouse"] if old_part.warehouse_id else None,
    )

    supplier = Supplier.objects.first()
    for scope, branch in ((own, sh), (other, hz)):
        scope["supplier_claim"] = SupplierClaim.objects.create(
            number=f"{branch.code}-SC-1", branch=branch, supplier=supplier, created_by=users["warehouse"]
        )
        scope["parts_handover"] = Handover.objects.create(
            number=f"{branch.code}-HO-1",
            branch=branch,
            technician=users["technician"] if branch == sh else hz_tech,
            reason="离职",
            created_by=users["supervisor"],
        )
    postage = (
        PostageRecord.objects.filter(branch=sh, approved_at__isnull=True).first()
        or PostageRecord.objects.filter(branch=sh).first()
    )
    own["postage"] = postage
    other["postage"] = _twin(
        PostageRecord.objects.get(pk=postage.pk), branch=hz, ticket=None, handler=users["hz_dispatcher"]
    )
    backorder = Backorder.objects.filter(branch=sh).first()
    own["backorder"] = backorder
    other["backorder"] = _twin(
        Backorder.objects.get(pk=backorder.pk), branch=hz, customer=other["customer"], ticket=None
    )

    call = FollowUpCall.objects.filter(branch=sh, done_at__isnull=True).first()
    own["call"] = call
    other["call"] = _twin(FollowUpCall.objects.get(pk=call.pk), branch=hz, ticket=hz_ticket(call.ticket_id))
    if not Survey.objects.filter(ticket=other["call"].ticket).exists():  # accepting a ticket opens its survey
        _twin(
            Survey.objects.get(ticket=call.ticket), ticket=other["call"].ticket, branch=hz, technician=hz_tech
        )
    complaint = Complaint.objects.filter(branch=sh).first()
    own["complaint"] = complaint
    other["complaint"] = _twin(
        Complaint.objects.get(pk=complaint.pk),
        branch=hz,
        ticket=None,
        customer=None,
        follow_up_call=None,
        received_by=users["hz_dispatcher"],
    )
    survey = Survey.objects.filter(branch=sh, answered_at__isnull=True).first()
    url, _phone = issue_link(survey_id=survey.pk, user=users["dispatcher"], send_sms=False)
    own["survey_token"] = other["survey_token"] = url.rstrip("/").rsplit("/", 1)[-1]
    own["survey_ticket"], other["survey_ticket"] = survey.ticket, other["ticket_accepted"]
    # The customer's channel (issue #17): a photo the customer added to the ticket on site, a texted link.
    for scope in (own, other):
        scope["fault_photo"] = FaultPhoto.objects.create(
            ticket=scope["ticket_on_site"],
            image=ContentFile(signature_png(), name="fault.png"),
            sha256="0" * 64,
        )
        FaultVideo.objects.create(
            ticket=scope["ticket_on_site"], file=ContentFile(mp4_header(), name="fault.mp4"), sha256="0" * 64
        )
    path = issue_ticket_link(ticket=own["ticket_on_site"], purpose="test")
    own["portal_token"] = other["portal_token"] = path.rstrip("/").rsplit("/", 1)[-1]
    # A product registration waiting in each branch's queue (the unit of the ticket on site).
    for scope, branch in ((own, sh), (other, hz)):
        unit = scope["ticket_on_site"].unit
        scope["portal_unit"] = unit
        scope["registration"] = ProductRegistration.objects.create(
            customer=unit.owner,
            branch=branch,
            serial_number=unit.serial_number,
            unit=unit,
            purchase_date=datetime.date(2026, 3, 1),
            purchase_place="测试商场",
            invoice=ContentFile(signature_png(), name="invoice.png"),
            invoice_sha256="0" * 64,
        )

    # A call book batch (tickets.callbook) is not branch-scoped: the admin role sees every batch.
    own["import_batch"] = other["import_batch"] = ImportBatch.objects.create(
        file_name="叫修登记簿.csv", branch=sh, created_by=users["admin"], state=ImportBatch.State.DONE
    )
    # A finished export of the monthly report in each branch (issue #20), asked for by its manager.
    for scope, branch, requester in ((own, sh, users["manager"]), (other, hz, users["hz_dispatcher"])):
        scope["export"] = Export.objects.create(
            user=requester,
            kind=Export.Kind.MONTHLY_REPORT,
            fmt="csv",
            branch=branch,
            parameters={"month": "2026-10"},
            state=Export.State.DONE,
            file=ContentFile(b"\xef\xbb\xbf", name="satisfaction.csv"),
            filename=f"satisfaction-2026-10-{branch.code}.csv",
        )

    # Notifications belong to one person: "own" is the user's own message, "other" somebody else's.
    for username, user in users.items():
        own[f"notification:{username}"] = Notification.objects.create(
            recipient=user, kind="test", subject="测试通知", link="/"
        )
    other["notification"] = Notification.objects.create(
        recipient=users["hz_dispatcher"], kind="test", subject="别人的通知"
    )
    return world


@pytest.hookimpl(trylast=True)  # after pytest-django's order (database tests, transactional, the others)
def pytest_collection_modifyitems(items):
    """In each run of consecutive security tests, the modules that use the world after the others (each
    keeping its own order): the world then lives from its first use to the end of the run, and no other
    module runs inside it."""
    package = Path(__file__).parent
    in_package = [item.path.parent == package for item in items]
    modules = {
        item.path
        for item, inside in zip(items, in_package, strict=True)
        if inside and "world" in item.fixturenames
    }
    start = 0
    while start < len(items):
        end = start
        while end < len(items) and in_package[end]:
            end += 1
        items[start:end] = sorted(items[start:end], key=lambda item: item.path in modules)
        start = end + 1


@pytest.fixture(scope="package")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def test_settings(settings, media_root):
    """tests/conftest.py's settings, with one media directory for the module: the world's uploads
    (photos, signatures, attachments) are there, and 1,700 cells need no temporary directory each."""
    settings.MEDIA_ROOT = media_root
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="package")
def built_world(django_db_setup, django_db_blocker, media_root):
    """The data above, rolled back after the package; PDFs are rendered as HTML only (no WeasyPrint
    layout: the tests are about who gets the page, not about how it prints)."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media_root, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ),
        mock.patch("weasyprint.HTML.write_pdf", return_value=b"%PDF-1.7 test"),
        transaction.atomic(),
    ):
        yield _build()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def world(built_world, django_db_blocker):
    """The world as built, for one module: what the module's own fixtures write (sessions, a customer's
    phone) is rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield built_world
        transaction.set_rollback(True)
