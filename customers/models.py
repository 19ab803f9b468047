from __future__ import annotations

import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.scoping import BranchScopedQuerySet
from aftersales.categories import FaultCategory, ServiceZone
from customers.phones import format_phone

# A product's category → the fault categories it can have (others: any).
FAULT_CATEGORIES_OF_PRODUCT = {
    FaultCategory.APPLIANCE: frozenset({FaultCategory.APPLIANCE, FaultCategory.OTHER}),
    FaultCategory.BODY: frozenset({FaultCategory.BODY, FaultCategory.CHASSIS_ENGINE, FaultCategory.OTHER}),
    FaultCategory.CHASSIS_ENGINE: frozenset(
        {FaultCategory.BODY, FaultCategory.CHASSIS_ENGINE, FaultCategory.OTHER}
    ),
}


class ImportBatch(models.Model):
    """One upload of a department's call book (tickets.callbook): the customers, units and historical
    tickets it created carry it, so that the whole batch can be undone. Kept after an undo, as the
    record of who brought what in and who took it out again."""

    class State(models.TextChoices):
        CHECKING = "checking", _("试导入检查中")
        REJECTED = "rejected", _("检查未通过")
        CHECKED = "checked", _("检查通过,待导入")
        IMPORTING = "importing", _("导入中")
        DONE = "done", _("已导入")
        FAILED = "failed", _("导入失败")
        UNDOING = "undoing", _("撤销中")
        UNDONE = "undone", _("已撤销")

    file_name = models.CharField(_("文件名"), max_length=200)
    # The uploaded file itself, read by the worker (the web and the worker may not share a disk);
    # emptied once the batch is imported or given up.
    content = models.BinaryField(_("文件内容"), default=bytes, editable=False)
    branch = models.ForeignKey(
        "accounts.Branch",
        verbose_name=_("默认服务网点"),
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.CHECKING)
    rows_total = models.PositiveIntegerField(_("数据行数"), default=0)
    # Progress of the check or the import (written from the worker on a connection of its own, so
    # the page sees it while the import's transaction is still open).
    rows_done = models.PositiveIntegerField(_("已处理"), default=0)
    # {"customers": n, "customers_reused": n, "units": n, "units_reused": n, "tickets": n,
    #  "skipped": rows already imported before, "warnings": n}
    counts = models.JSONField(_("数量"), default=dict, blank=True)
    # The first errors of the dry run: [{"row": 12, "column": "购买日期", "message": Text json}, ...]
    errors = models.JSONField(_("错误"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    # The dry run's first warnings (same form; they do not block the import): counts["warnings"] has
    # how many.
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    # Months ("2024-03") whose KPIs the historical tickets changed.
    months = models.JSONField(_("涉及月份"), default=list, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.pk} {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:callbook_batch", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.state in (self.State.CHECKING, self.State.IMPORTING, self.State.UNDOING)

    @property
    def adds_nothing(self) -> bool:
        """A checked file with no new customer, unit or ticket (the same book uploaded again)."""
        return not any(self.counts.get(key) for key in ("customers", "units", "tickets"))

    @property
    def percent(self) -> int:
        if self.state in (self.State.DONE, self.State.CHECKED, self.State.UNDONE):
            return 100
        if self.state == self.State.UNDOING:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


def _import_batch_field():
    return models.ForeignKey(
        ImportBatch,
        verbose_name=_("导入批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )


class CustomerQuerySet(BranchScopedQuerySet):
    technician_field = None

    def with_phones_and_units(self) -> CustomerQuerySet:
        return self.prefetch_related(
            "phones", Prefetch("units", queryset=Unit.objects.select_related("product_model"))
        )


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        COMPANY = "company", _("单位")

    name = models.CharField(_("客户名称"), max_length=100, db_index=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    service_zone = models.CharField(
        _("服务区域"), max_length=10, choices=ServiceZone.choices, default=ServiceZone.CITY
    )
    distance_km = models.DecimalField(
        _("距服务网点(公里)"),
        max_digits=7,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    branch = models.ForeignKey(
        "accounts.Branch", verbose_name=_("服务网点"), on_delete=models.PROTECT, related_name="customers"
    )
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    # The customer's openid with the company's WeChat Official Account: recorded when they sign in to
    # their channel from the account's menu (portal.views.wechat_entry); template messages go to it.
    wechat_openid = models.CharField(_("微信 openid"), max_length=64, blank=True, editable=False)
    import_batch = _import_batch_field()

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(distance_km__gte=0), name="customers_customer_distance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("history:customer", args=[self.pk])


class CustomerPhone(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("电话号码"), max_length=24, help_text=_("规范形式:仅数字,座机带区号"))
    label = models.CharField(_("说明"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("客户电话")
        verbose_name_plural = _("客户电话")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "number"], name="customers_customerphone_unique_number"
            ),
        ]
        # Call intake searches by number prefix (customers.selectors.find_customers): LIKE 'digits%' needs the
        # pattern operator class, the database collation not being C. (Ignored on SQLite.)
        indexes = [
            models.Index(
                fields=["number"], name="customers_phone_number_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return format_phone(self.number)


class ProductModel(models.Model):
    code = models.CharField(_("型号"), max_length=40, unique=True)
    name = models.CharField(_("产品名称"), max_length=100)
    category = models.CharField(_("产品类别"), max_length=20, choices=FaultCategory.choices)
    warranty_policy = models.ForeignKey(
        "warranty.WarrantyPolicy",
        verbose_name=_("保修政策"),
        on_delete=models.PROTECT,
        related_name="product_models",
    )
    is_active = models.BooleanField(_("在售"), default=True)

    class Meta:
        verbose_name = _("产品型号")
        verbose_name_plural = _("产品型号")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} {self.code}"

    def fault_categories(self) -> frozenset[str]:
        """The fault categories this product can have: an air conditioner has no bus body or engine, so
        it never gets the bus's deadlines (§1-3.2.2)."""
        return FAULT_CATEGORIES_OF_PRODUCT.get(self.category, frozenset(FaultCategory.values))


def normal_serial(raw: str) -> str:
    """A serial as units keep it: upper case, half-width (a Chinese input method types ｋｆｒ３５－０００１),
    no surrounding blanks. The desk's form and the customer's registration both use it, so the two meet."""
    return unicodedata.normalize("NFKC", raw or "").strip().upper()


class Unit(models.Model):
    """One sold product, identified by its serial number."""

    class SalesChannel(models.TextChoices):
        DIRECT = "direct", _("直销")
        DEALER = "dealer", _("经销商")

    product_model = models.ForeignKey(
        ProductModel, verbose_name=_("产品型号"), on_delete=models.PROTECT, related_name="units"
    )
    serial_number = models.CharField(_("序列号"), max_length=60, unique=True)
    # The factory's production batch, for failures per 1,000 units by batch (reports.quality).
    batch = models.CharField(_("生产批次"), max_length=40, blank=True)
    owner = models.ForeignKey(
        Customer, verbose_name=_("用户"), on_delete=models.PROTECT, related_name="units"
    )
    purchase_date = models.DateField(_("购买日期"), null=True, blank=True)
    purchase_place = models.CharField(_("购买地点"), max_length=100, blank=True)
    sales_channel = models.CharField(
        _("销售渠道"), max_length=10, choices=SalesChannel.choices, default=SalesChannel.DIRECT
    )
    dealer = models.ForeignKey(
        "accounts.Branch",
        verbose_name=_("经销商"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sold_units",
        limit_choices_to={"kind": "dealer"},
    )
    warranty_card_no = models.CharField(_("保修卡号"), max_length=40, blank=True)
    service_card_registered_on = models.DateField(_("服务卡登记日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    import_batch = _import_batch_field()

    class Meta:
        verbose_name = _("产品(机器)")
        verbose_name_plural = _("产品(机器)")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sales_channel="dealer") | Q(dealer__isnull=True),
                name="customers_unit_dealer_only_for_dealer_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_model.name} #{self.serial_number}"

    def get_absolute_url(self) -> str:
        return reverse("history:unit", args=[self.pk])

    @property
    def has_purchase_proof(self) -> bool:
        """§3 第十一条: free warranty service needs the purchase date and place."""
        return self.purchase_date is not None and bool(self.purchase_place)


class CustomerChange(models.Model):
    """Append-only record of an edit of a customer's or a unit's details from the customer pages:
    who changed what from what to what (shown on the customer's and the unit's page)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="changes")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    # [{"field": name, "label": the field's label when written, "before": text, "after": text}, ...]
    changes = models.JSONField(_("修改内容"), default=list)

    class Meta:
        verbose_name = _("客户资料修改记录")
        verbose_name_plural = _("客户资料修改记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["customer", "at"], name="customers_change_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.at:%Y-%m-%d %H:%M}"
