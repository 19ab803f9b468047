import datetime
import io
import uuid
from decimal import Decimal

import factory
from django.utils import timezone

from tests.accounts.factories import UserFactory
from tests.customers.factories import UnitFactory
from tickets.models import RepairTicket, ServiceReport, State
from tickets.services import search_text_of


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket put directly in a state (bypassing the services) for tests of what comes next."""

    class Meta:
        model = RepairTicket
        skip_postgeneration_save = True

    unit = factory.SubFactory(UnitFactory)
    customer = factory.SelfAttribute("unit.owner")
    branch = factory.SelfAttribute("customer.branch")
    number = factory.Sequence(lambda n: f"T-{n:06d}")
    reported_by = factory.SubFactory(UserFactory, branch=factory.SelfAttribute("..branch"))
    fault_category = "appliance"
    fault_description = "开机无反应"
    # What log_call writes (tickets.services), so that the list's search finds factory-made tickets.
    search_text = factory.LazyAttribute(
        lambda ticket: search_text_of(
            number=ticket.number,
            customer=ticket.customer,
            unit=ticket.unit,
            fault_description=ticket.fault_description,
        )
    )
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=24))
    state = State.REPORTED
    technician = None

    class Params:
        assigned = factory.Trait(
            technician=factory.SubFactory(
                UserFactory, branch=factory.SelfAttribute("..branch"), roles=["technician"]
            )
        )
        dispatched = factory.Trait(state=State.DISPATCHED, assigned=True)
        on_site = factory.Trait(state=State.ON_SITE, assigned=True)
        rma_requested = factory.Trait(state=State.RMA_REQUESTED, assigned=True)
        in_factory = factory.Trait(state=State.IN_FACTORY, assigned=True)
        awaiting_pickup = factory.Trait(state=State.AWAITING_PICKUP, assigned=True)
        awaiting_acceptance = factory.Trait(state=State.AWAITING_ACCEPTANCE, assigned=True)
        accepted = factory.Trait(state=State.ACCEPTED, assigned=True)
        closed = factory.Trait(state=State.CLOSED, assigned=True)
        cancelled = factory.Trait(state=State.CANCELLED)

    @factory.post_generation
    def signed_report(self, create, extracted, **kwargs):
        """`TicketFactory(on_site=True, signed_report=True)`: checked in, with a signed report."""
        if not (create and extracted):
            return
        self.visit_count = max(self.visit_count, 1)
        self.report_signed = True
        self.save(update_fields=["visit_count", "report_signed"])
        ServiceReportFactory(ticket=self, signed=True)


def signature_png(*, ink: bool = True) -> bytes:
    """A small PNG like signature_pad's: transparent, with a dark scribble unless `ink=False`."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 150), (0, 0, 0, 0))
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line([(20, 100), (80, 30), (140, 110), (220, 40), (300, 120), (380, 50)], fill="black", width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# Every step of the service report filled in, as `save_report` takes it (a complete report may be signed).
COMPLETE_REPORT = {
    "customer_account": "空调开机五分钟后自动停机",
    "usage_reading": "约 1200 小时",
    "previously_disassembled": False,
    "findings": "室外机电容鼓包",
    "cause": "电容老化",
    "work_done": "更换启动电容,试机正常",
    "labour_hours": Decimal("1.50"),
}


class ServiceReportFactory(factory.django.DjangoModelFactory):
    """A complete report of the ticket's current visit; `signed=True` freezes it (no real hash)."""

    class Meta:
        model = ServiceReport

    ticket = factory.SubFactory(TicketFactory, on_site=True, visit_count=1)
    visit = factory.SelfAttribute("ticket.visit_count")
    technician = factory.SelfAttribute("ticket.technician")
    idempotency_key = factory.LazyFunction(uuid.uuid4)
    customer_account = "空调开机五分钟后自动停机"
    usage_reading = "运行约 1200 小时"
    previously_disassembled = False
    findings = "室外机电容鼓包"
    cause = "电容老化"
    work_done = "更换启动电容,试机 30 分钟正常"
    labour_hours = Decimal("1.50")

    class Params:
        signed = factory.Trait(
            signer_name="王芳",
            signed_at=factory.LazyFunction(timezone.now),
            content_sha256="0" * 64,
            signature=factory.django.FileField(filename="signature.png", data=signature_png()),
        )
