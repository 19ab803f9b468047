"""Hostile numbers, dates and JSON (issue #15): each refused with a message that names the field and the
rule, nothing half-written, never a 500.

- Numbers: a quantity of 10**20, 2**62 or one more than `MAX_QUANTITY` at every entry point that takes a
  number of parts (requisition line, receiving line, count adjustment, service-report part line,
  backorder, issue quantities, the stock-count import), and row versions in the API. Before, the
  database's integer overflowed (a 500) and the count import's dry run passed 2**62.
- The database keeps the bound too: stock levels and lines above `MAX_QUANTITY` violate check constraints.
- Dates: every date filter (goods register, call register page/xlsx/csv, daily reports page/PDF, old
  parts and monthly reports by month) answers 400 with the accepted range for 0001-01-01, 9999-12-31 and
  the days just outside the range, and works at both ends of it. Before: 500s, a CSV cut mid-stream.
- Text: a NUL character in the API's catalogue search (PostgreSQL refuses it: a 500 before).
- JSON: a body nested 5,000 levels deep, to every JSON operation of the API schema, logged in or not:
  400 (before: RecursionError, a 500).
- Forms and serializers: every date field of the project's forms is bounded and every whole-number field
  has a maximum, so a new field is bounded from the start.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from types import SimpleNamespace
from unittest import mock

import pytest
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role
from aftersales.bounds import MAX_QUANTITY, BoundedDateField, BoundedDateTimeField
from parts import ledger
from parts.models import (
    Backorder,
    MovementKind,
    PostageRecord,
    ReceivingLine,
    RequisitionLine,
    StockLevel,
    StockMovement,
)
from parts.services import decide_requisition, submit_requisition
from tests.accounts.factories import UserFactory
from tests.api_errors import error_fields
from tests.customers.factories import CustomerFactory
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import ServiceReportFactory, TicketFactory
from tickets.models import ServiceReportPart

TOO_MANY = [10**20, 2**62, MAX_QUANTITY + 1]
TOO_MANY_MESSAGE = f"数量不能超过 {MAX_QUANTITY}"


@pytest.fixture
def shop(persona, branch_a):
    """A branch with its people, a store with stock, a van, a job on site with a report under way and an
    approved requisition."""
    users = {role: persona(role) for role in (Role.DISPATCHER, Role.SUPERVISOR, Role.WAREHOUSE)}
    technician = persona(Role.TECHNICIAN)
    store = WarehouseFactory(code="SH-STORE", branch=branch_a)
    WarehouseFactory(code="VAN-1", branch=branch_a, kind="van", technician=technician)
    part = PartFactory(code="CMP-35")
    ledger.move(
        [ledger.Change(part, store, 10)],
        kind=MovementKind.RECEIPT,
        actor=users[Role.WAREHOUSE],
        reference="T",
    )
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=technician, visit_count=1)
    ServiceReportFactory(ticket=ticket)
    requisition = submit_requisition(
        user=technician, ticket=ticket, warehouse=store, lines=[(part, 2)], reason="x"
    )
    decide_requisition(requisition_id=requisition.pk, user=users[Role.SUPERVISOR], approve=True)
    CustomerFactory(branch=branch_a, phone__number="13900001111")
    return SimpleNamespace(
        users={**users, Role.TECHNICIAN: technician},
        store=store,
        part=part,
        ticket=ticket,
        requisition=requisition,
        line=requisition.lines.get(),
    )


# --- numbers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberInput:
    role: str
    url: object  # shop → URL
    body: object  # (shop, the number as text) → POST data
    written: type[Model]  # no new row of this model may appear
    message: str = TOO_MANY_MESSAGE


NUMBER_INPUTS = {
    "requisition line": NumberInput(
        Role.TECHNICIAN,
        lambda s: reverse("parts:requisition_new", args=[s.ticket.pk]),
        lambda s, n: {
            "warehouse": s.store.pk,
            "reason": "压缩机不启动",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-part": "CMP-35",
            "lines-0-quantity": n,
        },
        RequisitionLine,
    ),
    "receiving line": NumberInput(
        Role.WAREHOUSE,
        lambda s: reverse("parts:receive"),
        lambda s, n: {
            "warehouse": s.store.pk,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-part": "CMP-35",
            "lines-0-quantity": n,
        },
        ReceivingLine,
    ),
    "count adjustment": NumberInput(
        Role.WAREHOUSE,
        lambda s: reverse("parts:warehouse", args=[s.store.pk]),
        lambda s, n: {"part": "CMP-35", "counted": n, "reason": "盘点"},
        StockMovement,
    ),
    "service report part line": NumberInput(
        Role.TECHNICIAN,
        lambda s: reverse("tickets:report_add_part", args=[s.ticket.pk]),
        lambda s, n: {"part_name": "启动电容", "quantity": n},
        ServiceReportPart,
    ),
    "backorder": NumberInput(
        Role.DISPATCHER,
        lambda s: reverse("parts:backorders"),
        lambda s, n: {"customer_phone": "13900001111", "part": "CMP-35", "quantity": n},
        Backorder,
    ),
    "issue quantity": NumberInput(
        Role.WAREHOUSE,
        lambda s: reverse("parts:requisition_issue", args=[s.requisition.pk]),
        lambda s, n: {f"issue-{s.line.pk}": n},
        StockMovement,
        message="最多还可发放 2 件",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("number", TOO_MANY, ids=["10**20", "2**62", "max+1"])
@pytest.mark.parametrize("entry", NUMBER_INPUTS)
def test_a_quantity_too_large_is_refused_with_its_rule(client, shop, entry, number):
    case = NUMBER_INPUTS[entry]
    client.force_login(shop.users[case.role])
    before = case.written.objects.count()
    response = client.post(case.url(shop), case.body(shop, str(number)), follow=True)
    assert response.status_code in (200, 400)
    assert case.message in response.content.decode()
    assert case.written.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("number", [10**20, 2**62, MAX_QUANTITY + 1, "1e999"])
def test_a_stock_count_file_with_a_huge_count_is_refused_in_the_dry_run(client, shop, number):
    client.force_login(shop.users[Role.WAREHOUSE])
    sheet = f"仓库代码,配件编号,配件名称,账面数量,实盘数量\nSH-STORE,CMP-35,压缩机,10,{number}\n".encode()
    for confirm in ({}, {"confirm": "1"}):
        upload = SimpleUploadedFile("count.csv", sheet, content_type="text/csv")
        page = client.post(reverse("parts:counts_import"), {"file": upload, **confirm}).content.decode()
        assert "第 1 行" in page and "未导入任何数据" in page
        assert f"实盘数量不能超过 {MAX_QUANTITY}" in page or "实盘数量必须是不小于 0 的整数" in page
    assert ledger.on_hand(shop.part, shop.store) == 10


@pytest.mark.django_db
def test_stock_stops_at_the_maximum_in_the_ledger_and_in_the_database(client, shop):
    keeper = shop.users[Role.WAREHOUSE]
    ledger.move(
        [ledger.Change(shop.part, shop.store, MAX_QUANTITY - 10)], kind=MovementKind.RECEIPT, actor=keeper
    )
    client.force_login(keeper)
    one_more = NUMBER_INPUTS["receiving line"].body(shop, "1")
    page = client.post(reverse("parts:receive"), one_more, follow=True).content.decode()
    assert f"最多 {MAX_QUANTITY} 件,现有 {MAX_QUANTITY} 件" in page
    assert ledger.on_hand(shop.part, shop.store) == MAX_QUANTITY and not ReceivingLine.objects.exists()
    level = StockLevel.objects.filter(part=shop.part, warehouse=shop.store)
    with pytest.raises(IntegrityError, match="parts_stocklevel_on_hand_max"), transaction.atomic():
        level.update(on_hand=MAX_QUANTITY + 1)
    with pytest.raises(IntegrityError, match="parts_requisitionline_quantity_max"), transaction.atomic():
        RequisitionLine.objects.filter(pk=shop.line.pk).update(quantity=MAX_QUANTITY + 1)


@pytest.mark.django_db
@pytest.mark.parametrize("version", [10**20, 2**62, 0, -1])
def test_an_api_version_out_of_range_is_a_field_error(shop, version):
    api = APIClient()
    technician = shop.users[Role.TECHNICIAN]
    api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(technician)[1]}")
    report = api.patch(
        reverse("ticket-report", args=[shop.ticket.pk]), {"version": version, "findings": "x"}, format="json"
    )
    transition = api.post(
        reverse("ticket-transition", args=[shop.ticket.pk, "request_return"]),
        {"version": version},
        format="json",
    )
    for response in (report, transition):
        assert response.status_code == 400 and "version" in error_fields(response)


# --- dates ------------------------------------------------------------------------------------------

DAY_RANGE = "必须在 2000-01-01 至 2099-12-31 之间"
MONTH_RANGE = "必须在 2000-01 至 2099-12 之间"
BAD_DAYS = ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"]
EDGE_DAYS = ["2000-01-01", "2099-12-31"]


@dataclass(frozen=True)
class DateFilter:
    role: str
    url: str
    params: tuple[str, ...]  # the date parameters (each tried alone with a bad value)
    month: bool = False
    fmt: str | None = None
    extra: dict | None = None  # other query parameters: "technician" → the shop's technician


DATE_FILTERS = {
    "goods register": DateFilter(Role.DISPATCHER, "tickets:goods_register", ("date_from", "date_to")),
    "call register": DateFilter(Role.DISPATCHER, "reports:call_register", ("date_from", "date_to")),
    **{
        f"call register {fmt}": DateFilter(
            Role.DISPATCHER, "reports:call_register_export", ("date_from", "date_to"), fmt=fmt
        )
        for fmt in ("csv", "xlsx")
    },
    "technician daily": DateFilter(
        Role.SUPERVISOR, "reports:technician_daily", ("day",), extra={"technician": 1}
    ),
    "technician daily pdf": DateFilter(
        Role.SUPERVISOR, "reports:technician_daily_pdf", ("day",), extra={"technician": 1}
    ),
    "branch daily": DateFilter(Role.SUPERVISOR, "reports:branch_daily", ("day",)),
    "branch daily pdf": DateFilter(Role.SUPERVISOR, "reports:branch_daily_pdf", ("day",)),
    "old parts monthly": DateFilter(Role.SUPERVISOR, "parts:old_parts_monthly", ("month",), month=True),
    "old parts monthly pdf": DateFilter(
        Role.SUPERVISOR, "parts:old_parts_monthly_pdf", ("month",), month=True
    ),
    "daily takings": DateFilter(Role.FINANCE, "claims:takings", ("day",)),
    "kpi dashboard": DateFilter(Role.MANAGER, "reports:dashboard", ("month",), month=True),
    "monthly report": DateFilter(Role.MANAGER, "reports:monthly", ("month",), month=True),
    **{
        f"monthly report {fmt}": DateFilter(
            Role.MANAGER, "reports:monthly_export", ("month",), month=True, fmt=fmt
        )
        for fmt in ("csv", "xlsx", "pdf")
    },
}


def get_filtered(client, shop, persona, case: DateFilter, params: dict):
    user = shop.users.get(case.role) or persona(case.role)
    client.force_login(user)
    extra = {key: shop.users[Role.TECHNICIAN].pk for key in case.extra or {}}
    url = reverse(case.url, kwargs={"fmt": case.fmt} if case.fmt else None)
    with mock.patch("weasyprint.HTML.write_pdf", return_value=b"%PDF-1.7 test"):
        response = client.get(url, {**extra, **params})
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode("utf-8", errors="replace")


@pytest.mark.django_db
@pytest.mark.parametrize("day", BAD_DAYS)
@pytest.mark.parametrize("name", DATE_FILTERS)
def test_a_date_filter_outside_the_accepted_range_is_a_400_naming_it(client, shop, persona, name, day):
    case = DATE_FILTERS[name]
    for param in case.params:
        response, body = get_filtered(client, shop, persona, case, {param: day[:7] if case.month else day})
        assert response.status_code == 400, (param, body[:300])
        assert (MONTH_RANGE if case.month else DAY_RANGE) in body


@pytest.mark.django_db
@pytest.mark.parametrize("name", DATE_FILTERS)
def test_a_date_filter_works_at_both_ends_of_the_range(client, shop, persona, name):
    case = DATE_FILTERS[name]
    for day in EDGE_DAYS:
        params = {param: day[:7] if case.month else day for param in case.params}
        if "date_from" in params:  # a range within one year
            params["date_from"] = day
        response, _body = get_filtered(client, shop, persona, case, params)
        assert response.status_code == 200, (day, _body[:300])


@pytest.mark.django_db
def test_a_date_typed_outside_the_range_is_not_stored(client, shop):
    client.force_login(shop.users[Role.DISPATCHER])
    for day in BAD_DAYS:
        data = {"description": "旧压缩机", "carrier": "顺丰", "amount": "12", "shipped_on": day}
        page = client.post(reverse("parts:postage"), data).content.decode()
        assert "“发运日期”" + DAY_RANGE in page
    assert not PostageRecord.objects.exists()


# --- JSON -------------------------------------------------------------------------------------------

DEEP_BODIES = {"array": "[" * 5000 + "]" * 5000, "object": '{"a":' * 5000 + "1" + "}" * 5000}


def json_operations() -> list[tuple[str, str, bool]]:
    """(method, path, public) of every operation of the API schema that takes a JSON body."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path, not operation.get("security"))
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("shape", DEEP_BODIES)
def test_json_nested_5000_levels_deep_is_a_400_everywhere(branch_a, shape):
    user = UserFactory(username="both", branch=branch_a, roles=[Role.DISPATCHER, Role.TECHNICIAN])
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=user)
    signed_in, anonymous = APIClient(), APIClient()
    signed_in.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user)[1]}")
    operations = json_operations()
    assert len(operations) >= 5  # the token, a new ticket, a transition, the report, the warranty check
    for method, path, public in operations:
        url = path.replace("{id}", str(ticket.pk)).replace("{name}", "dispatch")
        for client in (signed_in, anonymous) if public else (signed_in,):
            response = getattr(client, method)(url, DEEP_BODIES[shape], content_type="application/json")
            assert response.status_code == 400, (method, path, response.content[:200])
            assert "JSON 数据嵌套层数过多" in response.json()["message"]


@pytest.mark.django_db
def test_a_nul_character_in_the_catalogue_search_is_a_400(persona):
    """Found by schemathesis now and then: PostgreSQL refuses a NUL in a string literal (a 500)."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(persona(Role.TECHNICIAN))[1]}")
    response = api.get(reverse("api-parts"), {"search": "压缩\x00机"})
    assert response.status_code == 400 and "search" in error_fields(response)


# --- every form and serializer field ------------------------------------------------------------------

# Fields left unbounded on purpose, with the reason.
UNBOUNDED = {
    # Not after today (its own rule); an old appliance may have been bought before 2000.
    "customers.forms.NewUnitForm.purchase_date": "a purchase date, not a filter",
    "customers.forms.UnitEditForm.purchase_date": "a purchase date, not a filter",
}


def project_classes(module_name: str, base: type):
    first = settings.INSTALLED_APPS.index("aftersales")
    for app in settings.INSTALLED_APPS[first:]:
        try:
            module = importlib.import_module(f"{app}.{module_name}")
        except ModuleNotFoundError:
            continue
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, base) and cls.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", cls


def test_every_date_and_number_field_of_the_forms_is_bounded():
    unbounded = set()
    for name, form in project_classes("forms", forms.BaseForm):
        for field_name, field in getattr(form, "base_fields", {}).items():
            if isinstance(field, forms.DateTimeField):
                bounded = isinstance(field, BoundedDateTimeField)
            elif isinstance(field, forms.DateField):
                bounded = isinstance(field, BoundedDateField)
            elif isinstance(field, forms.DecimalField):  # before IntegerField, its base class
                bounded = field.max_digits is not None
            elif isinstance(field, forms.IntegerField | forms.FloatField):
                bounded = field.max_value is not None and field.min_value is not None
            else:
                continue
            if not bounded:
                unbounded.add(f"{name}.{field_name}")
    assert unbounded == UNBOUNDED.keys()


def test_every_number_field_of_the_api_serializers_is_bounded():
    unbounded = [
        f"{name}.{field_name}"
        for name, serializer in project_classes("api", serializers.Serializer)
        for field_name, field in serializer._declared_fields.items()
        if not field.read_only
        and (
            (isinstance(field, serializers.IntegerField) and field.max_value is None)
            or (isinstance(field, serializers.DecimalField) and field.max_digits is None)
        )
    ]
    assert unbounded == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["customers:search", "tickets:intake"])
def test_a_nul_character_in_the_customer_search_is_no_server_error(client, persona, url):
    """PostgreSQL refuses NUL in a text parameter: the search drops it instead of answering 500."""
    client.force_login(persona(Role.DISPATCHER))
    response = client.get(reverse(url), {"q": "138\x000013"})
    assert response.status_code == 200
