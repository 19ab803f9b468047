"""What a load run needs on top of `seed_demo`, built through the real services: several users per role
in the SH branch with one known password, a store with little stock of three parts (so concurrent issues
run out), units to log calls against, tickets waiting for dispatch (so dispatchers race on the same
board) and dispatched tickets with approved requisitions (so keepers race on the same parts).

The names are constants here, importable without Django, because the locustfile logs in with them.
Run as `python -m loadtest.fixtures` with DATABASE_URL set (loadtest.stack.prepare_database does).
"""

from __future__ import annotations

import datetime
import os
import random

import django
from django.db import transaction
from django.utils import timezone

PASSWORD = "soak-load-2026"
BRANCH = "SH"
# role in the users' names → (Role value, how many)
PEOPLE = {
    "dispatcher": ("dispatcher", 12),
    "technician": ("technician", 12),
    "keeper": ("warehouse", 6),
    "supervisor": ("supervisor", 6),
    "manager": ("manager", 4),
    # Technicians of the offline burst (loadtest.outbox): each works only their own jobs.
    "field": ("technician", 6),
}
STORE = "SOAK-STORE"
STORE_NAME = "压测备件库"
PARTS = ["SOAK-P1", "SOAK-P2", "SOAK-P3"]
OPENING_STOCK = 12  # of each part: far less than the requisitions ask for over a run
SERIAL_PREFIX = "SOAK-"  # the units' serial numbers; a customer search for it lists them
UNITS = 60
WAITING_TICKETS = 30
JOBS_PER_TECHNICIAN = 2
FIELD_JOBS_PER_TECHNICIAN = 25  # one offline visit each; a burst every 5–20 s for ten minutes uses ~25


def username(role: str, index: int) -> str:
    return f"soak_{role}_{index:02d}"


def usernames(role: str) -> list[str]:
    return [username(role, index) for index in range(1, PEOPLE[role][1] + 1)]


def build(stdout=print) -> None:
    # Imported here, not at the top: the locustfile imports this module's names in a process without
    # Django, and `python -m loadtest.fixtures` (below) sets Django up before it calls build().
    from django.contrib.auth.models import Group

    from accounts.models import Branch, User
    from customers.models import Customer, ProductModel
    from customers.services import register_customer, register_unit
    from parts import ledger, services
    from parts.models import Part, Warehouse
    from tickets.services import CallDetails, apply_transition, log_call

    rng = random.Random(20261128)
    branch = Branch.objects.get(code=BRANCH)
    with transaction.atomic():
        people: dict[str, list[User]] = {}
        for role, (group, count) in PEOPLE.items():
            people[role] = []
            for name in usernames(role):
                user = User.objects.create(
                    username=name, last_name="压测", first_name=name[5:], branch=branch
                )
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
                user.groups.set(Group.objects.filter(name=group))
                people[role].append(user)
            assert len(people[role]) == count
        for technician in people["technician"]:
            Warehouse.objects.create(
                code=f"VAN-SOAK-{technician.username[-2:]}",
                name=f"{technician.username} 车载库",
                kind=Warehouse.Kind.VAN,
                branch=branch,
                technician=technician,
            )
        store = Warehouse.objects.create(
            code=STORE, name=STORE_NAME, kind=Warehouse.Kind.STATION, branch=branch
        )
        parts = [
            Part.objects.create(code=code, name=f"压测配件 {code[-1]}", unit="个", cost=10, market_price=20)
            for code in PARTS
        ]
        keeper, supervisor = people["keeper"][0], people["supervisor"][0]
        services.receive_parts(
            user=keeper,
            warehouse=store,
            lines=[services.ReceiptLine(part, OPENING_STOCK) for part in parts],
            delivery_reference="压测期初",
        )
        model = ProductModel.objects.get(code="KFR-35GW")
        today = timezone.localdate()
        units = []
        for index in range(1, UNITS + 1):
            customer = register_customer(
                branch=branch,
                phone=f"1390000{index:04d}",
                name=f"压测客户{index:03d}",
                kind=Customer.Kind.PERSON,
                address=f"上海市浦东新区压测路 {index} 号",
                service_zone="city",
                distance_km=8,
            )
            units.append(
                register_unit(
                    owner=customer,
                    product_model=model,
                    serial_number=f"{SERIAL_PREFIX}{index:06d}",
                    purchase_date=today - datetime.timedelta(days=rng.choice([20, 200, 800])),
                )
            )
        dispatcher = people["dispatcher"][0]

        def call(unit):
            details = CallDetails(fault_category=model.category, fault_description="压测:开机无反应")
            return log_call(user=dispatcher, unit=unit, details=details)

        for unit in units[:WAITING_TICKETS]:
            call(unit)
        jobs = 0
        for position, technician in enumerate(people["technician"]):
            for job in range(JOBS_PER_TECHNICIAN):
                unit = units[
                    WAITING_TICKETS + (position * JOBS_PER_TECHNICIAN + job) % (UNITS - WAITING_TICKETS)
                ]
                ticket = call(unit)
                ticket = apply_transition(
                    ticket_id=ticket.pk,
                    user=dispatcher,
                    name="dispatch",
                    expected_version=ticket.version,
                    technician=technician,
                )
                requisition = services.submit_requisition(
                    user=technician,
                    ticket=ticket,
                    warehouse=store,
                    lines=[(parts[jobs % len(parts)], rng.choice([1, 2, 3]))],
                    reason="压测:更换配件",
                )
                services.decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
                jobs += 1
        field_jobs = 0
        for technician in people["field"]:
            for job in range(FIELD_JOBS_PER_TECHNICIAN):
                ticket = call(units[job % UNITS])
                apply_transition(
                    ticket_id=ticket.pk,
                    user=dispatcher,
                    name="dispatch",
                    expected_version=ticket.version,
                    technician=technician,
                )
                field_jobs += 1
    stdout(
        f"Load-run fixtures: {sum(count for _group, count in PEOPLE.values())} users (password {PASSWORD}), "
        f"{len(PARTS)} parts × {OPENING_STOCK} in {STORE}, {WAITING_TICKETS} tickets to dispatch, "
        f"{jobs} approved requisitions, {field_jobs} jobs for the offline bursts; stock ledger {'consistent' if not ledger.discrepancies() else 'OFF'}."
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")

    django.setup()
    build()
