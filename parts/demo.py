"""Demo data of this app, called by `manage.py seed_demo`. Must be idempotent.

Built through the services (receiving notes, requisitions, issues, old-part receipts, claims), so the
ledger, numbers and notifications exist as in real use. Opening balances of the stores whose branch
has no demo keeper (HQ, HZ) are booked straight into the ledger as receipts labelled 期初.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.models import Customer, ProductModel
from parts import ledger, services
from parts.models import MovementKind, OldPart, Part, PartUsage, Supplier, Warehouse
from tickets.models import RepairTicket, State

SUPPLIERS = [
    ("GREE-C", "珠海凌达压缩机有限公司"),
    ("SZ-PCB", "深圳华强电子控制器厂"),
    ("NB-MOT", "宁波德昌电机股份有限公司"),
    ("YT-BUS", "郑州客车零部件有限公司"),
]
# code, name, specification, unit, cost, market price, supplier, compatible product models
PARTS = [
    ("CMP-35", "压缩机", "QXA-B141zF030 1.5P", "台", "850.00", "1280.00", "GREE-C", ["KFR-35GW"]),
    ("CAP-35UF", "启动电容 35μF", "CBB65 450V", "个", "18.00", "45.00", "SZ-PCB", ["KFR-35GW"]),
    ("PCB-35-IN", "室内机主板", "KFR-35GW/BP 内机", "块", "260.00", "420.00", "SZ-PCB", ["KFR-35GW"]),
    ("PCB-35-OUT", "室外机主板", "KFR-35W/BP 外机", "块", "310.00", "480.00", "SZ-PCB", ["KFR-35GW"]),
    ("FAN-IN-35", "室内风机电机", "YYW20-4 20W", "台", "95.00", "160.00", "NB-MOT", ["KFR-35GW"]),
    ("FAN-OUT-35", "室外风机电机", "YDK35-6 35W", "台", "120.00", "210.00", "NB-MOT", ["KFR-35GW"]),
    ("VLV-4W", "四通阀", "SHF-4H 1.5P", "个", "75.00", "135.00", "GREE-C", ["KFR-35GW"]),
    ("SNS-T", "温度传感器", "10kΩ B3950", "个", "6.00", "25.00", "SZ-PCB", ["KFR-35GW", "XQG100-B14"]),
    ("RMT-35", "遥控器", "YB1FA", "个", "22.00", "60.00", "SZ-PCB", ["KFR-35GW"]),
    ("WM-MOT", "洗衣机直驱电机", "DD 变频 1400rpm", "台", "420.00", "680.00", "NB-MOT", ["XQG100-B14"]),
    ("WM-PCB", "洗衣机电脑板", "XQG100 主控", "块", "180.00", "300.00", "SZ-PCB", ["XQG100-B14"]),
    ("WM-PUMP", "排水泵", "B20-6A 30W", "个", "48.00", "90.00", "NB-MOT", ["XQG100-B14"]),
    ("WM-SEAL", "门封圈", "XQG100 通用", "个", "35.00", "70.00", None, ["XQG100-B14"]),
    ("RC-HEAT", "电饭煲发热盘", "DFB-40 800W", "个", "40.00", "85.00", None, ["DFB-40"]),
    ("RC-PCB", "电饭煲控制板", "DFB-40 主控", "块", "30.00", "65.00", "SZ-PCB", ["DFB-40"]),
    ("BUS-DOOR", "乘客门泵", "KL6125 气动", "套", "1350.00", "1980.00", "YT-BUS", ["KL6125"]),
    ("BUS-GLASS", "侧窗玻璃", "KL6125 左侧 1200×900", "块", "560.00", "880.00", "YT-BUS", ["KL6125"]),
    ("ENG-PUMP", "发动机水泵", "YC6G 系列", "个", "620.00", "950.00", "YT-BUS", ["KL6125-D"]),
    ("BRK-PAD", "刹车片", "KL6125-D 前轮", "套", "280.00", "460.00", "YT-BUS", ["KL6125-D"]),
    ("GBX-SYN", "变速箱同步器", "6DS 系列", "套", "760.00", "1180.00", "YT-BUS", ["KL6125-D"]),
]


def seed(*, branches, users, stdout) -> None:
    """branches: {"HQ"|"SH"|"HZ": Branch}; users: {username: User} (see seed_demo.USERS)."""
    if Part.objects.exists():
        stdout.write("Demo parts already present; none added.")
        return
    with transaction.atomic():
        parts = _catalogue()
        stores = _warehouses(branches, users)
        _stock(parts, stores, users)
        _requisitions(parts, stores, users)
        _old_parts_and_claims(parts, stores, users)
        _backorders_and_postage(parts, users)
    stdout.write(
        f"Demo parts: {Part.objects.count()} catalogue entries, {Warehouse.objects.count()} warehouses."
    )


def _catalogue() -> dict[str, Part]:
    suppliers = {code: Supplier.objects.create(code=code, name=name) for code, name in SUPPLIERS}
    models = {model.code: model for model in ProductModel.objects.all()}
    parts = {}
    for code, name, spec, unit, cost, price, supplier, compatible in PARTS:
        part = Part.objects.create(
            code=code,
            name=name,
            specification=spec,
            unit=unit,
            cost=Decimal(cost),
            market_price=Decimal(price),
            supplier=suppliers.get(supplier),
        )
        part.compatible_models.set([models[c] for c in compatible if c in models])
        parts[code] = part
    return parts


def _warehouses(branches, users) -> dict[str, Warehouse]:
    stores = {
        "HQ": Warehouse.objects.create(
            code="HQ-CENTRAL", name="总部中心库", kind="central", branch=branches["HQ"]
        ),
        "SH": Warehouse.objects.create(
            code="SH-STORE", name="上海服务中心仓库", kind="station", branch=branches["SH"]
        ),
        "HZ": Warehouse.objects.create(
            code="HZ-STORE", name="杭州服务站仓库", kind="station", branch=branches["HZ"]
        ),
    }
    for username in ("technician", "technician2", "hz_technician"):
        user = users[username]
        stores[username] = Warehouse.objects.create(
            code=f"VAN-{username.upper()}",
            name=f"{user}车载库",
            kind="van",
            branch=user.branch,
            technician=user,
        )
    return stores


def _stock(parts, stores, users) -> None:
    admin = users["admin"]
    opening = [(code, 40) for code in parts]
    for store in (stores["HQ"], stores["HZ"]):
        ledger.move(
            [ledger.Change(parts[code], store, quantity) for code, quantity in opening],
            kind=MovementKind.RECEIPT,
            actor=admin,
            reference="期初",
            reason="期初库存",
        )
    # The SH store receives through a receiving note, as its keeper would.
    services.receive_parts(
        user=users["warehouse"],
        warehouse=stores["SH"],
        lines=[services.ReceiptLine(parts[code], 60) for code in parts],
        supplier=None,
        delivery_reference="期初盘点入账",
        note="期初库存",
    )
    services.receive_parts(
        user=users["warehouse"],
        warehouse=stores["SH"],
        lines=[
            services.ReceiptLine(parts["CMP-35"], 5, Decimal("850.00")),
            services.ReceiptLine(parts["VLV-4W"], 10, Decimal("75.00")),
        ],
        supplier=parts["CMP-35"].supplier,
        delivery_reference="LD-20261120-118",
        note="月度补货",
    )
    for code in ("CAP-35UF", "SNS-T", "FAN-IN-35", "RC-HEAT"):
        ledger.transfer(
            part=parts[code],
            source=stores["HZ"],
            target=stores["hz_technician"],
            quantity=5,
            kind=MovementKind.TRANSFER,
            actor=admin,
            reference="期初",
        )


def _requisitions(parts, stores, users) -> None:
    """One requisition in each state, on the demo technician's open tickets."""
    technician, supervisor, keeper = users["technician"], users["supervisor"], users["warehouse"]
    tickets = list(
        RepairTicket.objects.filter(
            technician=technician, state__in=[State.DISPATCHED, State.ON_SITE, State.IN_FACTORY]
        )
    )
    if not tickets:
        return
    plans = [
        ("closed", [("CAP-35UF", 10), ("SNS-T", 4)]),
        ("issued", [("FAN-IN-35", 2), ("PCB-35-IN", 1)]),
        ("partially_issued", [("CMP-35", 2), ("VLV-4W", 2)]),
        ("approved", [("PCB-35-OUT", 1)]),
        ("rejected", [("RMT-35", 3)]),
        ("submitted", [("FAN-OUT-35", 1)]),
    ]
    for index, (target, lines) in enumerate(plans):
        ticket = tickets[index % len(tickets)]
        requisition = services.submit_requisition(
            user=technician,
            ticket=ticket,
            warehouse=stores["SH"],
            lines=[(parts[code], quantity) for code, quantity in lines],
            reason="现场检查需更换以下配件",
        )
        if target == "submitted":
            continue
        services.decide_requisition(
            requisition_id=requisition.pk,
            user=supervisor,
            approve=target != "rejected",
            note="型号不符,请核对后重新申请" if target == "rejected" else "同意",
        )
        if target in ("rejected", "approved"):
            continue
        line_ids = list(requisition.lines.order_by("pk").values_list("pk", "quantity"))
        quantities = {line_ids[0][0]: 1} if target == "partially_issued" else dict(line_ids)
        services.issue_requisition(requisition_id=requisition.pk, user=keeper, quantities=quantities)
        if target == "closed":
            services.return_unused(requisition_id=requisition.pk, user=keeper, quantities={line_ids[1][0]: 2})
            services.close_requisition(requisition_id=requisition.pk, user=keeper)
    # technician2 gets a van stock too, and hz_technician a requisition waiting for hz_supervisor.
    technician2_ticket = RepairTicket.objects.filter(technician=users["technician2"]).first()
    if technician2_ticket is None:
        ledger.transfer(
            part=parts["CAP-35UF"],
            source=stores["SH"],
            target=stores["technician2"],
            quantity=3,
            kind=MovementKind.TRANSFER,
            actor=keeper,
            reference="期初",
        )
    hz_ticket = RepairTicket.objects.filter(
        technician=users["hz_technician"], state__in=[State.DISPATCHED, State.ON_SITE]
    ).first()
    if hz_ticket:
        services.submit_requisition(
            user=users["hz_technician"],
            ticket=hz_ticket,
            warehouse=stores["HZ"],
            lines=[(parts["WM-PUMP"], 1)],
            reason="排水泵异响,需更换",
        )


def _old_parts_and_claims(parts, stores, users) -> None:
    """The demo tickets were completed before the catalogue existed: their report lines wait as
    outstanding usages. The SH keeper settles them, receives old parts, scraps one, claims the rest."""
    keeper = users["warehouse"]
    outstanding = list(
        PartUsage.objects.filter(status=PartUsage.Status.OUTSTANDING, ticket__branch__code="SH").order_by(
            "pk"
        )
    )
    for usage in outstanding[:-1]:  # the last one stays on the keeper's outstanding list
        services.resolve_usage(usage_id=usage.pk, user=keeper, warehouse=stores["SH"], part=parts["CAP-35UF"])
    expected = list(
        OldPart.objects.filter(branch__code="SH", state=OldPart.State.EXPECTED, part__isnull=False).order_by(
            "pk"
        )
    )
    received = []
    for old_part in expected[: max(len(expected) - 2, 0)]:  # leave two outstanding on the technician
        received.append(
            services.receive_old_part(old_part_id=old_part.pk, user=keeper, warehouse=stores["SH"])
        )
    if received:
        services.dispose_old_part(
            old_part_id=received[0].pk,
            user=keeper,
            disposition=OldPart.State.SCRAPPED,
            note="外壳烧毁,无索赔价值",
        )
    claimable = [op.pk for op in received[1:]]
    if len(claimable) >= 2:
        supplier = parts["CAP-35UF"].supplier
        paid = services.create_claim(
            user=keeper,
            supplier=supplier,
            old_part_ids=claimable[:1],
            labour_cost=Decimal("60.00"),
            shipping_cost=Decimal("12.00"),
            note="电容批次鼓包",
        )
        for step in ("send", "accept"):
            services.advance_claim(claim_id=paid.pk, user=keeper, step=step)
        services.advance_claim(claim_id=paid.pk, user=keeper, step="pay", amount=Decimal("80.00"))
        sent = services.create_claim(
            user=keeper, supplier=supplier, old_part_ids=claimable[1:], labour_cost=Decimal("120.00")
        )
        services.advance_claim(claim_id=sent.pk, user=keeper, step="send")


def _backorders_and_postage(parts, users) -> None:
    customers = list(Customer.objects.filter(branch__code="SH").order_by("pk")[:2])
    if len(customers) == 2:
        waiting = services.register_backorder(
            user=users["dispatcher"],
            customer=customers[0],
            part=parts["GBX-SYN"],
            quantity=1,
            note="客户急用",
        )
        services.confirm_backorder(backorder_id=waiting.pk, user=users["dispatcher"])
        services.order_backorder(
            backorder_id=waiting.pk,
            user=users["dispatcher"],
            expected_on=timezone.localdate() + datetime.timedelta(days=5),
        )
        services.register_backorder(
            user=users["dispatcher"], customer=customers[1], part=parts["BUS-GLASS"], quantity=1
        )
    shipped = services.record_postage(
        user=users["technician"],
        description="保修旧件寄回供应商(启动电容 3 个)",
        carrier="顺丰速运",
        tracking_number="SF1402938475612",
        amount=Decimal("23.00"),
        shipped_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    services.approve_postage(record_id=shipped.pk, user=users["supervisor"])
    services.record_postage(
        user=users["warehouse"],
        description="压缩机保修件发往杭州服务站",
        carrier="德邦物流",
        tracking_number="DPK3020194857",
        amount=Decimal("68.00"),
        shipped_on=timezone.localdate(),
    )
