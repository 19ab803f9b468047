import datetime

import factory
from django.utils import timezone

from tests.accounts.factories import UserFactory
from tests.customers.factories import UnitFactory
from tickets.models import RepairTicket, State


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket put directly in a state (bypassing the services) for tests of what comes next."""

    class Meta:
        model = RepairTicket

    unit = factory.SubFactory(UnitFactory)
    customer = factory.SelfAttribute("unit.owner")
    branch = factory.SelfAttribute("customer.branch")
    number = factory.Sequence(lambda n: f"T-{n:06d}")
    reported_by = factory.SubFactory(UserFactory, branch=factory.SelfAttribute("..branch"))
    fault_category = "appliance"
    fault_description = "开机无反应"
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
