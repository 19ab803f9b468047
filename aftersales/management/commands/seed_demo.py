"""Demo data through the real write paths, so that numbers, verdicts and history rows exist.

Idempotent: branches, users and product models are looked up by their natural keys, and the
customers and tickets are created only when the demo branches have none yet.
"""

from __future__ import annotations

import datetime
import random

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.models import Branch, Role, User
from customers.models import Customer, FaultCategory, ProductModel, ServiceZone
from customers.phones import normalize_phone
from customers.services import register_customer, register_unit
from tickets.models import RepairTicket, State
from tickets.services import CallDetails, apply_transition, log_call
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
FAULTS = {
    FaultCategory.APPLIANCE: [
        "开机无反应",
        "制冷效果差,出风不凉",
        "运行时噪音大",
        "漏水",
        "显示屏报 E4 故障码",
    ],
    FaultCategory.BODY: ["车门开关异常", "车窗玻璃松动", "车身异响", "空调出风口损坏"],
    FaultCategory.CHASSIS_ENGINE: ["发动机抖动", "刹车异响", "变速箱换挡困难", "冷却液渗漏"],
}
# How far each demo ticket is driven: one path per final state.
PATHS = {
    State.REPORTED: [],
    State.DISPATCHED: ["dispatch"],
    State.ON_SITE: ["dispatch", "check_in"],
    State.RMA_REQUESTED: ["dispatch", "check_in", "request_return"],
    State.IN_FACTORY: ["dispatch", "check_in", "request_return", "approve_return"],
    State.AWAITING_PICKUP: [
        "dispatch",
        "check_in",
        "request_return",
        "approve_return",
        "finish_factory_repair",
    ],
    State.AWAITING_ACCEPTANCE: ["dispatch", "check_in", "complete_visit"],
    State.ACCEPTED: ["dispatch", "check_in", "complete_visit", "accept"],
    State.CLOSED: ["dispatch", "check_in", "complete_visit", "accept", "follow_up"],
    State.CANCELLED: ["cancel"],
}
ACTOR_FOR = {
    "dispatch": "dispatcher",
    "check_in": "technician",
    "complete_visit": "technician",
    "request_return": "technician",
    "approve_return": "supervisor",
    "finish_factory_repair": "technician",
    "accept": "supervisor",
    "follow_up": "dispatcher",
    "cancel": "dispatcher",
}
NOTES = {
    "complete_visit": "更换损坏部件,试机正常。",
    "request_return": "现场无法修复,需返厂检测。",
    "finish_factory_repair": "返厂更换主板,测试通过。",
    "cancel": "客户来电取消报修。",
}


class Command(BaseCommand):
    help = "Load demo branches, a user per role, customers, units and tickets in every state (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=50)

    def handle(self, *args, customers: int, **options) -> None:
        branches = self._branches()
        users = self._users(branches)
        models = self._product_models()
        if Customer.objects.filter(branch__code__in=["SH", "HZ"]).exists():
            self.stdout.write("Demo customers already present; nothing added.")
            return
        self._customers_and_tickets(branches, users, models, customers)
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
        today = timezone.localdate()
        states = list(PATHS)
        for index in range(count):
            branch = branches["HZ"] if index % 5 == 4 else branches["SH"]
            customer = register_customer(
                branch=branch,
                phone=normalize_phone(fake.phone_number()),
                name=fake.company() if index % 7 == 0 else fake.name(),
                kind=Customer.Kind.COMPANY if index % 7 == 0 else Customer.Kind.PERSON,
                address=fake.address().rsplit(" ", 1)[0],
                service_zone=rng.choice(ServiceZone.values),
                distance_km=rng.choice([3, 8, 15, 40, 120]),
            )
            model = models[index % len(models)]
            unit = register_unit(
                owner=customer,
                product_model=model,
                serial_number=f"SN{today:%y}{index:06d}",
                purchase_date=today - datetime.timedelta(days=rng.choice([2, 10, 20, 45, 200, 400, 800])),
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
                    fault_description=rng.choice(FAULTS[model.category]),
                    priority="urgent" if index % 9 == 0 else "normal",
                ),
            )
            self._drive(ticket, states[index % len(states)], users, branch.code == "HZ")

    @staticmethod
    def _drive(ticket: RepairTicket, target: str, users: dict[str, User], in_hangzhou: bool) -> None:
        prefix = "hz_" if in_hangzhou else ""
        for step in PATHS[target]:
            ticket = apply_transition(
                ticket_id=ticket.pk,
                user=users[prefix + ACTOR_FOR[step]],
                name=step,
                expected_version=ticket.version,
                technician=users[prefix + "technician"] if step == "dispatch" else None,
                note=NOTES.get(step, ""),
            )
