"""Spare parts (DESIGN §6): catalogue, warehouses, the stock ledger and the paper forms around it.

Stock is an append-only ledger (`StockMovement`); `StockLevel` keeps the on-hand quantity of one part
in one warehouse and is changed only by `parts.ledger.move`, in the same transaction as the movement,
under a row lock. The database refuses a negative on-hand (a check constraint), so even a path that
forgot the lock could not oversell. Old parts (旧件) live in the same warehouses in their own
condition, so a returned failed part never counts as a usable one.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import BranchScopedQuerySet
from aftersales.bounds import MAX_QUANTITY
from aftersales.texts import render

ZERO = Decimal("0")


class Supplier(models.Model):
    code = models.CharField(_("供应商代码"), max_length=20, unique=True)
    name = models.CharField(_("供应商名称"), max_length=100)
    contact = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=24, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("供应商")
        verbose_name_plural = _("供应商")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PartQuerySet(models.QuerySet):
    def active(self) -> PartQuerySet:
        return self.filter(is_active=True)


class Part(models.Model):
    """One catalogue entry (规格清: code, name, specification, unit)."""

    code = models.CharField(_("配件编号"), max_length=40, unique=True)
    name = models.CharField(_("配件名称"), max_length=100)
    specification = models.CharField(_("规格型号"), max_length=100, blank=True)
    unit = models.CharField(_("单位"), max_length=10, default="个")
    compatible_models = models.ManyToManyField(
        "customers.ProductModel", verbose_name=_("适用产品型号"), blank=True, related_name="parts"
    )
    cost = models.DecimalField(_("成本价(元)"), max_digits=10, decimal_places=2, default=ZERO)
    # What a customer pays for a part broken by the customer (§2-一-1: 按市场价格收费).
    market_price = models.DecimalField(_("市场价(元)"), max_digits=10, decimal_places=2, default=ZERO)
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("供应商"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
    )
    is_active = models.BooleanField(_("在用"), default=True)

    objects = PartQuerySet.as_manager()

    class Meta:
        verbose_name = _("配件")
        verbose_name_plural = _("配件目录")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=0), name="parts_part_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(market_price__gte=0), name="parts_part_market_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WarehouseQuerySet(BranchScopedQuerySet):
    """A technician sees their van (accounts.scoping)."""


class Warehouse(models.Model):
    """A place that holds stock: the central store, a service station's store (its own ledger,
    §1-3.7.6) or a technician's van (where the parts issued to the technician land)."""

    class Kind(models.TextChoices):
        CENTRAL = "central", _("总部中心库")
        STATION = "station", _("服务站仓库")
        VAN = "van", _("技术员车载库")

    code = models.CharField(_("仓库代码"), max_length=20, unique=True)
    name = models.CharField(_("仓库名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("所属网点"), on_delete=models.PROTECT, related_name="warehouses"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("技术员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vans",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    objects = WarehouseQuerySet.as_manager()

    class Meta:
        verbose_name = _("仓库")
        verbose_name_plural = _("仓库")
        ordering = ["branch", "kind", "code"]
        constraints = [
            # A van belongs to one technician; a store belongs to no one.
            models.CheckConstraint(
                condition=Q(kind="van", technician__isnull=False)
                | (~Q(kind="van") & Q(technician__isnull=True)),
                name="parts_warehouse_van_has_technician",
            ),
            models.UniqueConstraint(
                fields=["technician"],
                condition=Q(kind="van", is_active=True),
                name="parts_warehouse_one_active_van_per_technician",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("parts:warehouse", args=[self.pk])

    @property
    def is_van(self) -> bool:
        return self.kind == self.Kind.VAN


class Condition(models.TextChoices):
    GOOD = "good", _("完好件")
    OLD = "old", _("旧件")


class StockLevel(models.Model):
    """On hand of one part, condition and warehouse: the sum of its ledger rows, never below zero."""

    part = models.ForeignKey(Part, verbose_name=_("配件"), on_delete=models.PROTECT, related_name="levels")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="levels"
    )
    condition = models.CharField(_("状况"), max_length=4, choices=Condition.choices, default=Condition.GOOD)
    on_hand = models.IntegerField(_("库存数量"), default=0)

    class Meta:
        verbose_name = _("库存")
        verbose_name_plural = _("库存")
        ordering = ["warehouse", "part"]
        constraints = [
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="parts_stocklevel_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(on_hand__lte=MAX_QUANTITY), name="parts_stocklevel_on_hand_max"
            ),
            models.UniqueConstraint(
                fields=["part", "warehouse", "condition"], name="parts_stocklevel_unique_part_warehouse"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse} {self.part}: {self.on_hand}"


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("入库")
    ISSUE = "issue", _("领料发放")
    TRANSFER = "transfer", _("调拨")
    RETURN_UNUSED = "return_unused", _("未用件退库")
    CONSUMPTION = "consumption", _("维修耗用")
    OLD_PART_IN = "old_part_in", _("旧件入库")
    SCRAP = "scrap", _("报废")
    SUPPLIER_RETURN = "supplier_return", _("退供应商")
    ADJUSTMENT = "adjustment", _("盘点调整")


class StockMovement(models.Model):
    """One row of the append-only ledger: quantity is signed (+ in, − out) and never zero.

    A transfer, issue or return is two rows (out of one warehouse, into another) sharing `reference`.
    Rows are never changed or deleted (the admin is read-only; corrections are adjustments with a reason).
    """

    part = models.ForeignKey(Part, verbose_name=_("配件"), on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="movements"
    )
    condition = models.CharField(_("状况"), max_length=4, choices=Condition.choices, default=Condition.GOOD)
    kind = models.CharField(_("类型"), max_length=20, choices=MovementKind.choices)
    quantity = models.IntegerField(_("数量"))
    balance_after = models.IntegerField(_("结存"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经手人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reference = models.CharField(_("单据号"), max_length=40, blank=True, db_index=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("库存流水")
        verbose_name_plural = _("库存流水")
        ordering = ["-at", "-pk"]
        indexes = [
            # The ledger of one warehouse and part (parts.views.warehouse_detail, the nightly check).
            models.Index(fields=["warehouse", "part", "condition"], name="parts_movement_level_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="parts_stockmovement_quantity_not_zero"),
            models.CheckConstraint(
                condition=Q(quantity__gte=-MAX_QUANTITY, quantity__lte=MAX_QUANTITY),
                name="parts_stockmovement_quantity_max",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="parts_stockmovement_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(balance_after__lte=MAX_QUANTITY), name="parts_stockmovement_balance_max"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["receipt", "old_part_in"]) | Q(quantity__gt=0),
                name="parts_stockmovement_inward_kinds_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["consumption", "scrap", "supplier_return"]) | Q(quantity__lt=0),
                name="parts_stockmovement_outward_kinds_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""), name="parts_stockmovement_adjustment_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.part.code} {self.quantity:+d} @ {self.warehouse}"


class ReceivingNote(models.Model):
    """备用件接收单 (§1-3.7.2): parts received into a warehouse and entered in the ledger; two copies."""

    number = models.CharField(_("接收单号"), max_length=32, unique=True)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("入库仓库"), on_delete=models.PROTECT, related_name="receiving_notes"
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("供货单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    delivery_reference = models.CharField(_("送货单/票据号"), max_length=60, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("备用件接收单")
        verbose_name_plural = _("备用件接收单")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("parts:receiving_note", args=[self.pk])


class ReceivingLine(models.Model):
    note = models.ForeignKey(ReceivingNote, on_delete=models.PROTECT, related_name="lines")
    part = models.ForeignKey(Part, verbose_name=_("配件"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"))
    unit_cost = models.DecimalField(_("单价(元)"), max_digits=10, decimal_places=2, default=ZERO)

    class Meta:
        verbose_name = _("接收单明细")
        verbose_name_plural = _("接收单明细")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="parts_receivingline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity__lte=MAX_QUANTITY), name="parts_receivingline_quantity_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        return self.unit_cost * self.quantity


class RequisitionQuerySet(BranchScopedQuerySet):
    def for_list(self) -> RequisitionQuerySet:
        return self.select_related("ticket", "requested_by", "technician", "warehouse", "branch").order_by(
            "-created_at", "-pk"
        )

    def to_issue(self) -> RequisitionQuerySet:
        """Approved and not fully issued: the warehouse's work (the list's "to issue" filter and the
        keeper's home page count)."""
        return self.filter(state__in=ISSUABLE_STATES)


class Requisition(models.Model):
    """备用件领料单 (§1-3.6.1, 3.7.4): asked by a technician for a ticket, approved by a supervisor
    (never by the person who asked), issued by the warehouse, unused parts returned."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        PARTIALLY_ISSUED = "partially_issued", _("部分发放")
        ISSUED = "issued", _("已发放")
        CLOSED = "closed", _("已结清")

    number = models.CharField(_("领料单号"), max_length=32, unique=True)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.PROTECT, related_name="requisitions"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    # Who holds the issued parts now: the requester, or their successor after a handover (移交).
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("领用技术员"),
        on_delete=models.PROTECT,
        related_name="requisitions",
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("发料仓库"), on_delete=models.PROTECT, related_name="requisitions"
    )
    reason = models.CharField(_("处理意见"), max_length=200)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.SUBMITTED)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    objects = RequisitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("备用件领料单")
        verbose_name_plural = _("备用件领料单")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The approvals inbox (parts.approvals.requisitions_awaiting): oldest waiting first.
            models.Index(
                fields=["branch", "created_at"],
                name="parts_requisition_waiting_idx",
                condition=Q(state="submitted"),
            ),
        ]
        constraints = [
            # No one approves their own requisition (DESIGN §7).
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="parts_requisition_not_self_decided",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("parts:requisition", args=[self.pk])


# Approved and not fully issued yet: the warehouse may issue (more of) it.
ISSUABLE_STATES = (Requisition.State.APPROVED, Requisition.State.PARTIALLY_ISSUED)


class RequisitionLine(models.Model):
    requisition = models.ForeignKey(Requisition, on_delete=models.PROTECT, related_name="lines")
    part = models.ForeignKey(Part, verbose_name=_("配件"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("申请数量"))
    issued = models.PositiveIntegerField(_("已发数量"), default=0)
    returned = models.PositiveIntegerField(_("退库数量"), default=0)

    class Meta:
        verbose_name = _("领料单明细")
        verbose_name_plural = _("领料单明细")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="parts_requisitionline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity__lte=MAX_QUANTITY), name="parts_requisitionline_quantity_max"
            ),
            models.CheckConstraint(
                condition=Q(issued__lte=F("quantity")), name="parts_requisitionline_issue_le_asked"
            ),
            models.CheckConstraint(
                condition=Q(returned__lte=F("issued")), name="parts_requisitionline_return_le_issued"
            ),
            models.UniqueConstraint(fields=["requisition", "part"], name="parts_requisitionline_unique_part"),
        ]

    def __str__(self) -> str:
        return f"{self.part} × {self.quantity}"

    @property
    def outstanding(self) -> int:
        return self.quantity - self.issued


class PartUsage(models.Model):
    """A part line of a signed service report, tied to stock: consumed from the technician's van, or
    left outstanding for the warehouse when its code is unknown or the van lacks it (the visit still
    completes: the customer has signed, the stock question is the warehouse's to settle).

    Written off (销帐, §1-3.7.4) once the report is signed and, for a warranty replacement, the old
    part is back in the warehouse; until then it shows on the technician.
    """

    class Status(models.TextChoices):
        CONSUMED = "consumed", _("已出库")
        OUTSTANDING = "outstanding", _("待库管处理")
        DISMISSED = "dismissed", _("无需出库")

    report_part = models.OneToOneField(
        "tickets.ServiceReportPart",
        verbose_name=_("服务报告配件"),
        on_delete=models.PROTECT,
        related_name="usage",
    )
    ticket = models.ForeignKey(
        "tickets.RepairTicket", verbose_name=_("工单"), on_delete=models.PROTECT, related_name="part_usages"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("技术员"),
        on_delete=models.PROTECT,
        related_name="part_usages",
    )
    part = models.ForeignKey(
        Part, verbose_name=_("配件"), on_delete=models.PROTECT, null=True, blank=True, related_name="usages"
    )
    quantity = models.PositiveIntegerField(_("数量"))
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("出库仓库"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requisition = models.ForeignKey(
        Requisition,
        verbose_name=_("领料单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="usages",
    )
    status = models.CharField(_("出库状态"), max_length=12, choices=Status.choices)
    problem = models.CharField(_("待处理原因"), max_length=200, blank=True)
    # A problem the system found (unknown code, no van, short stock), as its message code
    # (aftersales.texts): shown in the reader's language; `problem` keeps the Chinese record.
    problem_message = models.JSONField(_("待处理原因(消息代码)"), default=dict, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    written_off_at = models.DateTimeField(_("销帐时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("配件耗用")
        verbose_name_plural = _("配件耗用")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__lte=MAX_QUANTITY), name="parts_partusage_quantity_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.report_part}"

    @property
    def problem_text(self) -> str:
        """Why it waits for the warehouse, in the reader's language (the record for a person's note)."""
        return render(self.problem_message, self.problem)


class OldPartQuerySet(BranchScopedQuerySet):
    def outstanding(self) -> OldPartQuerySet:
        return self.filter(state=OldPart.State.EXPECTED)


class OldPart(models.Model):
    """旧件: the failed part of a warranty replacement, expected back in the warehouse (§1-3.7.4),
    processed monthly (§1-3.7.5: scrap or return to the supplier) and claimed back (§1-3.8)."""

    class State(models.TextChoices):
        EXPECTED = "expected", _("待返库")
        RECEIVED = "received", _("已入库")
        SCRAPPED = "scrapped", _("已报废")
        RETURNED = "returned", _("已退供应商")

    usage = models.OneToOneField(
        PartUsage, verbose_name=_("配件耗用"), on_delete=models.PROTECT, related_name="old_part"
    )
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("技术员"), on_delete=models.PROTECT, related_name="old_parts"
    )
    part = models.ForeignKey(
        Part,
        verbose_name=_("配件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="old_parts",
    )
    quantity = models.PositiveIntegerField(_("数量"))
    removed_serial = models.CharField(_("拆下件序列号"), max_length=60, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.EXPECTED)
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("入库仓库"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("入库时间"), null=True, blank=True)
    disposed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    disposal_note = models.CharField(_("处理说明"), max_length=200, blank=True)
    claim = models.ForeignKey(
        "SupplierClaim",
        verbose_name=_("二次索赔"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="old_parts",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = OldPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("旧件")
        verbose_name_plural = _("旧件")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The monthly old-part list (parts.views.old_parts_monthly): received in a month, per branch.
            models.Index(fields=["branch", "received_at"], name="parts_oldpart_received_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="expected") | Q(received_at__isnull=False, warehouse__isnull=False),
                name="parts_oldpart_received_has_warehouse",
            ),
            models.CheckConstraint(
                condition=Q(quantity__lte=MAX_QUANTITY), name="parts_oldpart_quantity_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part or self.usage.report_part.part_name} × {self.quantity}"


class SupplierClaimQuerySet(BranchScopedQuerySet):
    technician_field = None  # the branch's office and technicians alike


class SupplierClaim(models.Model):
    """二次索赔 (§1-3.8): the warranty cost of the supplier's failed parts claimed back from them."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SENT = "sent", _("已发出")
        ACCEPTED = "accepted", _("供应商已接受")
        REJECTED = "rejected", _("供应商已拒绝")
        PAID = "paid", _("已回款")

    number = models.CharField(_("索赔单号"), max_length=32, unique=True)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("供应商"), on_delete=models.PROTECT, related_name="claims"
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    parts_cost = models.DecimalField(_("配件费(元)"), max_digits=12, decimal_places=2, default=ZERO)
    labour_cost = models.DecimalField(_("工时费(元)"), max_digits=12, decimal_places=2, default=ZERO)
    shipping_cost = models.DecimalField(_("运费(元)"), max_digits=12, decimal_places=2, default=ZERO)
    amount_recovered = models.DecimalField(_("索回金额(元)"), max_digits=12, decimal_places=2, default=ZERO)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("制单人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("制单时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("供应商答复时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("回款时间"), null=True, blank=True)

    objects = SupplierClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("二次索赔")
        verbose_name_plural = _("二次索赔")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    parts_cost__gte=0, labour_cost__gte=0, shipping_cost__gte=0, amount_recovered__gte=0
                ),
                name="parts_supplierclaim_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(state="paid") | Q(amount_recovered=0),
                name="parts_supplierclaim_recovered_when_paid",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("parts:claim", args=[self.pk])

    @property
    def total(self) -> Decimal:
        return self.parts_cost + self.labour_cost + self.shipping_cost


class PostageRecord(models.Model):
    """邮寄发运 of warranty parts (§1-3.6.3): written off only with the handler's and a leader's sign-off."""

    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.RepairTicket",
        verbose_name=_("工单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.CharField(_("发运内容"), max_length=200)
    carrier = models.CharField(_("承运方"), max_length=60)
    tracking_number = models.CharField(_("运单号"), max_length=60, blank=True)
    amount = models.DecimalField(_("邮费/运费(元)"), max_digits=10, decimal_places=2)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经手人"), on_delete=models.PROTECT, related_name="+"
    )
    shipped_on = models.DateField(_("发运日期"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("领导签字"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("签字时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("三包件邮寄发运")
        verbose_name_plural = _("三包件邮寄发运")
        ordering = ["-shipped_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="parts_postagerecord_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("handler")),
                name="parts_postagerecord_leader_not_handler",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipped_on:%Y-%m-%d} {self.description}"


class Backorder(models.Model):
    """缺货登记 (§5 第三十三~三十六条): a customer waiting for a part."""

    class State(models.TextChoices):
        REGISTERED = "registered", _("已登记")
        ORDERED = "ordered", _("已订货/调货")
        ARRIVED = "arrived", _("已到货")
        NOTIFIED = "notified", _("已通知取件")
        CANCELLED = "cancelled", _("已取消")

    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="backorders"
    )
    ticket = models.ForeignKey(
        "tickets.RepairTicket",
        verbose_name=_("工单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    part = models.ForeignKey(
        Part, verbose_name=_("配件"), on_delete=models.PROTECT, related_name="backorders"
    )
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.REGISTERED)
    expected_on = models.DateField(_("确认到货日期"), null=True, blank=True)
    # §5 第三十四条: the customer confirms again before the part is transferred.
    customer_confirmed_at = models.DateTimeField(_("调货前客户确认时间"), null=True, blank=True)
    # §5 第三十五条: contacted within one week whatever happens; the reminder task reads this.
    last_contacted_at = models.DateTimeField(_("最近联系客户时间"))
    arrived_at = models.DateTimeField(_("到货时间"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知取件时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("缺货登记")
        verbose_name_plural = _("缺货登记")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The weekly contact reminder (parts.tasks.backorder_contact_reminders): open ones by last contact.
            models.Index(
                fields=["last_contacted_at"],
                name="parts_backorder_contact_idx",
                condition=Q(state__in=["registered", "ordered", "arrived"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="parts_backorder_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity__lte=MAX_QUANTITY), name="parts_backorder_quantity_max"
            ),
            models.CheckConstraint(
                condition=~Q(state="ordered") | Q(customer_confirmed_at__isnull=False),
                name="parts_backorder_confirmed_before_transfer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.part} × {self.quantity}"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.REGISTERED, self.State.ORDERED, self.State.ARRIVED)


class Handover(models.Model):
    """移交清册 (seed §6 人事管理 移交手续): a leaving or moving technician's open work, each item given to
    a named successor, signed off by the supervisor (监交人)."""

    number = models.CharField(_("移交单号"), max_length=32, unique=True)
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("网点"), on_delete=models.PROTECT, related_name="+"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("移交人"), on_delete=models.PROTECT, related_name="handovers"
    )
    reason = models.CharField(_("移交原因"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("制单人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("制单时间"), default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("监交人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("监交签字时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("移交清册")
        verbose_name_plural = _("移交清册")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("parts:handover", args=[self.pk])


class HandoverItem(models.Model):
    """One line of the handover list, as it was transferred (the live objects keep moving after)."""

    class Kind(models.TextChoices):
        TICKET = "ticket", _("未结工单")
        STOCK = "stock", _("车载库存")
        REQUISITION = "requisition", _("已领料单")
        OLD_PART = "old_part", _("待返旧件")

    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    object_id = models.PositiveIntegerField()
    description = models.CharField(_("内容"), max_length=200)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    successor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接替人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("移交明细")
        verbose_name_plural = _("移交明细")
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__lte=MAX_QUANTITY), name="parts_handoveritem_quantity_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description} → {self.successor}"
