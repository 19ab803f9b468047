"""Demo data through the real write paths, so that numbers, verdicts and history rows exist.

Idempotent: branches, users and product models are looked up by their natural keys, and the
customers and tickets are created only when the demo branches have none yet.
"""

from __future__ import annotations

import datetime
import io
import random
import uuid
from decimal import Decimal

import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from faker import Faker
from PIL import Image, ImageDraw

import claims.demo
import parts.demo
import surveys.demo
from accounts.models import Branch, Role, TechnicianLeave, TechnicianProfile, TechnicianSkill, User
from aftersales.demo import (
    ACTOR_FOR,
    CITY_DISTRICTS,
    MODEL_FAULTS,
    NOTES,
    PATHS,
    STEP_HOURS,
    TECHNICIAN_FACTS,
    ZONE_DISTANCES,
)
from customers.models import Customer, FaultCategory, ProductModel, ServiceZone
from customers.phones import normalize_phone
from customers.services import register_customer, register_unit
from surveys.services import CallRecord, SurveyAnswers, record_call
from tickets import sla_services
from tickets.models import RepairTicket, State
from tickets.report_services import PartLine, add_part, save_report, sign_report
from tickets.return_services import (
    RETURN_PATHS,
    FactoryRepair,
    GoodsIn,
    approve_return,
    finish_factory_repair,
)
from tickets.services import CallDetails, apply_transition, depart, log_call, set_appointment
from warranty.models import WarrantyPolicy

BRANCHES = [
    ("HQ", "总部售后服务部", Branch.Kind.HEADQUARTERS, None),
    ("SH", "上海分公司服务中心", Branch.Kind.BRANCH_COMPANY, "HQ"),
    ("HZ", "杭州服务站", Branch.Kind.SERVICE_STATION, "HQ"),
]
# username, family name, given name, branch, roles
USERS = [
    ("admin", "管", "理员", "HQ", [Role.ADMIN]),
    ("dispatcher", "王", "芳", "SH", [Role.DISPATCHER]),
    ("technician", "李", "强", "SH", [Role.TECHNICIAN]),
    ("supervisor", "张", "建国", "SH", [Role.SUPERVISOR]),
    ("warehouse", "赵", "磊", "SH", [Role.WAREHOUSE]),
    ("finance", "陈", "静", "SH", [Role.FINANCE]),
    ("manager", "刘", "洋", "SH", [Role.MANAGER]),
    ("gm", "周", "伟", "HQ", [Role.GENERAL_MANAGER]),
    ("technician2", "吴", "刚", "SH", [Role.TECHNICIAN]),
    ("hz_dispatcher", "孙", "丽", "HZ", [Role.DISPATCHER]),
    ("hz_technician", "郑", "浩", "HZ", [Role.TECHNICIAN]),
    ("hz_supervisor", "冯", "涛", "HZ", [Role.SUPERVISOR]),
]
PRODUCT_MODELS = [
    ("KFR-35GW", "壁挂式空调", FaultCategory.APPLIANCE, "manufacturer"),
    ("XQG100-B14", "滚筒洗衣机", FaultCategory.APPLIANCE, "cn-national"),
    ("DFB-40", "智能电饭煲", FaultCategory.APPLIANCE, "retail"),
    ("KL6125", "城市客车车身", FaultCategory.BODY, "manufacturer"),
    ("KL6125-D", "客车底盘/发动机总成", FaultCategory.CHASSIS_ENGINE, "manufacturer"),
]
HISTORY_DAYS = 90  # three months of finished tickets: the KPIs, the trend and the monthly report
DEMO_CALL = CallRecord(
    reached=True,
    satisfied=True,
    notes="客户表示空调制冷正常,对上门速度满意。",
    survey=SurveyAnswers(attitude=4, skill=4, punctuality=3, promises=4, comment="师傅很专业,准时上门。"),
)


def demo_signature_png() -> bytes:
    """A scribble standing in for the customer's signature drawn on the tablet."""
    image = Image.new("RGBA", (400, 150), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(30, 110), (90, 40), (150, 115), (210, 35), (280, 105), (360, 45)], fill="black", width=5
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sign_demo_report(ticket: RepairTicket, technician: User) -> RepairTicket:
    """The on-site report and the customer's signature, through the same services as the tablet."""
    save_report(
        ticket_id=ticket.pk,
        user=technician,
        idempotency_key=uuid.uuid4(),
        expected_version=None,
        changes={
            "customer_account": ticket.fault_description,
            "usage_reading": "约 1200 小时",
            "previously_disassembled": False,
            "findings": "启动电容鼓包,容量不足。",
            "cause": "电容老化(质量问题)。",
            "work_done": NOTES["complete_visit"],
            "labour_hours": Decimal("1.50"),
            "fee": Decimal("180.00") if ticket.service_category == "A" else Decimal(0),
            "payment_method": "wechat" if ticket.service_category == "A" else "",
        },
    )
    add_part(
        ticket_id=ticket.pk,
        user=technician,
        line=PartLine(
            part_code="CAP-35UF",
            part_name="启动电容 35μF",
            quantity=1,
            removed_serial=f"OLD-{ticket.number}",
            fitted_serial=f"NEW-{ticket.number}",
            old_part_returnable=ticket.service_category != "A",
        ),
    )
    sign_report(
        ticket_id=ticket.pk,
        user=technician,
        signer_name=ticket.customer.name,
        signature_png=demo_signature_png(),
    )
    return RepairTicket.objects.get(pk=ticket.pk)


def drive_return(ticket: RepairTicket, step: str, users: dict[str, User], prefix: str) -> RepairTicket:
    """Return-to-factory steps through their services, so the register, receipt and tag exist."""
    user = users[prefix + ACTOR_FOR[step]]
    if step == "approve_return":
        approve_return(
            ticket_id=ticket.pk,
            user=user,
            expected_version=ticket.version,
            goods=GoodsIn(accessories="遥控器 1 个、电源线 1 根", condition="外壳轻微划痕"),
            note="同意返厂检测。",
        )
    elif step == "finish_factory_repair":
        finish_factory_repair(
            ticket_id=ticket.pk,
            user=user,
            expected_version=ticket.version,
            repair=FactoryRepair(
                work_done=NOTES[step],
                labour_hours=Decimal("3.00"),
                parts_used="主板 × 1",
                inspection_note="试机 2 小时正常,同意出厂。",
                inspector=users[prefix + "supervisor"],
            ),
        )
    return RepairTicket.objects.get(pk=ticket.pk)


class Command(BaseCommand):
    help = "Load demo branches, a user per role, customers, units and tickets in every state (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=50)

    def handle(self, *args, customers: int, **options) -> None:
        branches = self._branches()
        users = self._users(branches)
        self._technician_facts(users)
        models = self._product_models()
        if Customer.objects.filter(branch__code__in=["SH", "HZ"]).exists():
            self.stdout.write("Demo customers already present; none added.")
        else:
            self._customers_and_tickets(branches, users, models, customers)
        for seed_app in (parts.demo.seed, claims.demo.seed, surveys.demo.seed):
            seed_app(branches=branches, users=users, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {RepairTicket.objects.count()} tickets."))

    def _branches(self) -> dict[str, Branch]:
        branches: dict[str, Branch] = {}
        for code, name, kind, parent in BRANCHES:
            branches[code], _ = Branch.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind, "parent": branches.get(parent)}
            )
        return branches

    def _users(self, branches: dict[str, Branch]) -> dict[str, User]:
        users = {}
        for username, family, given, branch_code, roles in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"last_name": family, "first_name": given, "branch": branches[branch_code]},
            )
            if created:
                user.set_password(settings.DEMO_PASSWORD)
                if Role.ADMIN in roles:
                    user.is_staff = user.is_superuser = True
                user.save()
                user.groups.set(Group.objects.filter(name__in=roles))
            users[username] = user
        return users

    @staticmethod
    def _technician_facts(users: dict[str, User]) -> None:
        """Skills, zones, working days and leave of the demo technicians, for the board's suggestions
        (only for technicians who have none yet, so an admin's edits survive a second run)."""
        today = timezone.localdate()
        for username, facts in TECHNICIAN_FACTS.items():
            technician = users[username]
            if TechnicianProfile.objects.filter(user=technician).exists():
                continue
            TechnicianProfile.objects.create(
                user=technician,
                home_zone=facts["home_zone"],
                zones_served=facts["zones_served"],
                working_weekdays=facts["working_weekdays"],
            )
            for category, certificate, months in facts["skills"]:
                TechnicianSkill.objects.create(
                    technician=technician,
                    category=category,
                    certificate=certificate,
                    valid_until=None if months is None else today + datetime.timedelta(days=30 * months),
                )
            for days_ahead, length, reason in facts["leave"]:
                first = today + datetime.timedelta(days=days_ahead)
                TechnicianLeave.objects.create(
                    technician=technician,
                    starts_on=first,
                    ends_on=first + datetime.timedelta(days=length - 1),
                    reason=reason,
                )

    def _product_models(self) -> list[ProductModel]:
        policies = {policy.slug: policy for policy in WarrantyPolicy.objects.all()}
        return [
            ProductModel.objects.get_or_create(
                code=code, defaults={"name": name, "category": category, "warranty_policy": policies[slug]}
            )[0]
            for code, name, category, slug in PRODUCT_MODELS
        ]

    @transaction.atomic
    def _customers_and_tickets(self, branches, users, models, count: int) -> None:
        fake = Faker("zh_CN")
        Faker.seed(20261127)
        rng = random.Random(20261127)
        now = timezone.now()
        states = list(PATHS)
        appliances = [model for model in models if model.category == FaultCategory.APPLIANCE]
        for index in range(count):
            branch = branches["HZ"] if index % 5 == 4 else branches["SH"]
            is_company = index % 7 == 0
            # A private customer owns no city bus: the buses belong to the companies (bus operators).
            model = models[index % len(models)] if is_company else appliances[index % len(appliances)]
            target = states[index % len(states)]
            logged_at = self._logged_at(target, index, now, rng)
            with time_machine.travel(logged_at, tick=False):
                customer = register_customer(
                    branch=branch,
                    phone=normalize_phone(fake.phone_number()),
                    name=fake.company() if is_company else fake.name(),
                    kind=Customer.Kind.COMPANY if is_company else Customer.Kind.PERSON,
                    **self._location(branch.code, fake, rng),
                )
                unit = register_unit(
                    owner=customer,
                    product_model=model,
                    serial_number=f"SN{now:%y}{index:06d}",
                    purchase_date=timezone.localdate()
                    - datetime.timedelta(days=rng.choice([2, 10, 20, 45, 200, 400, 800])),
                    purchase_place=rng.choice(
                        ["苏宁易购南京东路店", "国美电器徐家汇店", "京东自营", "本公司直营店"]
                    ),
                    warranty_card_no=f"WC{index:08d}",
                )
                ticket = log_call(
                    user=users["hz_dispatcher" if branch.code == "HZ" else "dispatcher"],
                    unit=unit,
                    details=CallDetails(
                        fault_category=model.category,
                        fault_description=rng.choice(MODEL_FAULTS[model.code]),
                        priority="urgent" if index % 9 == 0 else "normal",
                    ),
                )
            self._drive(ticket, target, users, branch.code == "HZ", logged_at)
        self._appointments(users, now)
        self._on_the_way(users, models, now)
        # The overdue tickets get their warnings and breach alerts, as the beat would have sent them.
        sla_services.sweep(now)

    @staticmethod
    def _appointments(users: dict[str, User], now: datetime.datetime) -> None:
        """Windows agreed with the customers of the open visits (issue #18), tomorrow between 09:00 and
        17:00, so the timeline board has blocks and the suggestions have booked windows to weigh."""
        tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
        open_visits = RepairTicket.objects.filter(state__in=[State.REPORTED, State.DISPATCHED]).order_by("pk")
        for index, ticket in enumerate(open_visits):
            if index % 3 == 2:  # every third call agreed no time
                continue
            start = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(9 + index % 4 * 2)))
            set_appointment(
                ticket_id=ticket.pk,
                user=users["hz_dispatcher" if ticket.branch.code == "HZ" else "dispatcher"],
                expected_version=ticket.version,
                window=(start, start + datetime.timedelta(hours=2)),
                requested_by="customer",
                reason="",
            )

    @staticmethod
    def _on_the_way(users: dict[str, User], models: list[ProductModel], now: datetime.datetime) -> None:
        """A Shanghai customer whose technician has set off (在途, texted an ETA), to a visit with no agreed
        window if there is one, and who owns a second appliance with no open ticket: the customer's channel then shows
        a timeline with 派工 and 在途, and a fault report form with its verdict (`make screenshots`)."""
        ticket = (
            RepairTicket.objects.filter(state=State.DISPATCHED, branch__code="SH")
            .select_related("customer", "unit__product_model")
            .order_by(F("appointment_start").asc(nulls_first=True), "pk")
            .first()
        )
        if ticket is None:
            return
        depart(ticket_id=ticket.pk, user=ticket.technician, expected_version=ticket.version, eta_minutes=30)
        other = next(
            model
            for model in models
            if model.category == FaultCategory.APPLIANCE and model != ticket.unit.product_model
        )
        register_unit(
            owner=ticket.customer,
            product_model=other,
            serial_number=f"SN{now:%y}900001",
            purchase_date=timezone.localdate(now) - datetime.timedelta(days=60),
            purchase_place="京东自营",
            warranty_card_no="WC90000001",
        )

    @staticmethod
    def _location(branch_code: str, fake: Faker, rng: random.Random) -> dict:
        city, districts = CITY_DISTRICTS[branch_code]
        zone = rng.choice(ServiceZone.values)
        low, high = ZONE_DISTANCES[zone]
        return {
            "address": f"{city}{rng.choice(districts)}{fake.street_name()}{rng.randint(1, 999)}号",
            "service_zone": zone,
            "distance_km": rng.randint(low, high),
        }

    @staticmethod
    def _logged_at(target: str, index: int, now: datetime.datetime, rng: random.Random) -> datetime.datetime:
        """When the call came in, so that its whole path lies in the past: finished tickets spread over
        three months of history (KPIs, trend, monthly report); accepted ones accepted a follow-up offset
        ago (their first call is due today); open ones logged today, every third one more than a week
        ago (past every target, resolution included: overdue)."""
        path_hours = sum(STEP_HOURS[step] for step in PATHS[target])
        if target == State.ACCEPTED:
            back = datetime.timedelta(days=settings.FOLLOW_UP_OFFSETS_DAYS[0], hours=path_hours)
        elif target in (State.CLOSED, State.CANCELLED):
            back = datetime.timedelta(days=rng.randint(1, HISTORY_DAYS - 10), hours=path_hours)
        elif index % 3 == 0:
            back = datetime.timedelta(days=rng.randint(8, 12), hours=path_hours)
        else:
            back = datetime.timedelta(hours=path_hours, minutes=rng.randint(10, 240))
        return now - back

    @staticmethod
    def _drive(
        ticket: RepairTicket, target: str, users: dict[str, User], in_hangzhou: bool, at: datetime.datetime
    ) -> None:
        """Each step of the path through its service, at its time on the demo's clock (STEP_HOURS)."""
        prefix = "hz_" if in_hangzhou else ""
        for step in PATHS[target]:
            at += datetime.timedelta(hours=STEP_HOURS[step])
            with time_machine.travel(at, tick=False):
                ticket = Command._step(ticket, step, users, prefix)

    @staticmethod
    def _step(ticket: RepairTicket, step: str, users: dict[str, User], prefix: str) -> RepairTicket:
        if step == "complete_visit":
            ticket = sign_demo_report(ticket, users[prefix + "technician"])
        if step in RETURN_PATHS:
            return drive_return(ticket, step, users, prefix)
        if step == "follow_up":  # the first follow-up call, with the survey, closes the ticket
            call = ticket.follow_up_calls.order_by("due_on", "pk").first()
            record_call(call_id=call.pk, user=users[prefix + "dispatcher"], record=DEMO_CALL)
            ticket.refresh_from_db()
            return ticket
        return apply_transition(
            ticket_id=ticket.pk,
            user=users[prefix + ACTOR_FOR[step]],
            name=step,
            expected_version=ticket.version,
            technician=users[prefix + "technician"] if step == "dispatch" else None,
            note=NOTES.get(step, ""),
        )
