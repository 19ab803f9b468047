"""Moving in from spreadsheets (issue #21 item 3): a department's call book — customers, their units and
the historical tickets with their outcomes — imported as one batch (customers.ImportBatch).

1. Upload: the file is kept on the batch; the worker checks it (`check_batch`, the dry run): every bad
   row and column is named, nothing is written.
2. Import (`import_batch`): the file is read and checked again (the database may have changed since), then
   written in ONE transaction with bulk inserts in chunks — all or nothing: a batch is either wholly in,
   or not at all. Progress is written on a connection of its own so the page can show it meanwhile.
3. Undo (`undo_batch`): removes every row of the batch, refused while anything made since refers to them.

Customers are found again by normalised phone (customers.phones), within the file and in the database:
a known customer is reused, never changed. Units likewise by serial number. Historical tickets are
written closed (or cancelled) with their dates, never through the state machine: no SLA deadlines,
notifications, follow-up calls or surveys. Finished ones count as earlier repairs of their unit
(tickets.selectors.prior_repairs_same_fault) and in the KPIs of their months: `history_imported` lets
the reports app summarise those months again.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import openpyxl
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Branch
from aftersales.errors import UserError
from aftersales.texts import Text, list_text
from aftersales.uploads import UploadRefused, check_size, check_xlsx, decode_csv
from audit.services import record as record_audit
from customers.models import Customer, CustomerPhone, ImportBatch, ProductModel, Unit
from tickets import callbook_rules as rules
from tickets.models import RepairTicket, ServiceCategory, State
from tickets.search import search_document
from tickets.signals import history_imported

logger = logging.getLogger(__name__)

# A call book of ten years is bigger than a parts catalogue (aftersales.uploads.MAX_IMPORT_BYTES).
MAX_CALLBOOK_BYTES = 60 * 1024 * 1024
CHUNK = 2000  # rows per INSERT
KEPT_ERRORS = 500  # errors stored on the batch (the count is of all of them)
LOOKUP_CHUNK = 5000  # values per `IN (…)` when looking up phones and serials
PROGRESS_SECONDS = 0.5
UNKNOWN_MODEL_ROWS_SHOWN = 10  # row numbers named in the one error of a missing product model
BLOCKERS_SHOWN = 10  # rows named, per table, when an undo is refused


def check_upload(upload) -> bytes:
    """The uploaded call book's bytes, if it is an xlsx or csv of acceptable size, else UploadRefused."""
    name = (upload.name or "").lower()
    if not name.endswith((".xlsx", ".csv")):
        raise UploadRefused(_("只支持 xlsx 或 csv 文件。"), field="file")
    check_size(
        upload,
        MAX_CALLBOOK_BYTES,
        _("导入文件不能超过 %(limit)d MB,请分成几个文件导入。")
        % {"limit": MAX_CALLBOOK_BYTES // (1024 * 1024)},
    )
    content = upload.read()
    if name.endswith(".xlsx"):
        check_xlsx(content)
    else:
        decode_csv(content)
    return content


def read_table(file_name: str, content: bytes) -> Iterator[list]:
    """The rows of the file's first sheet, header first. csv: UTF-8 with or without BOM, or GBK/GB18030."""
    if file_name.lower().endswith(".xlsx"):
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            for values in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(values)
        finally:
            workbook.close()
        return
    yield from csv.reader(io.StringIO(decode_csv(content)))


def template_rows() -> list[list[str]]:
    """The template: the header row and one sample row."""
    return [
        [column.header for column in rules.COLUMNS],
        [rules.SAMPLE_ROW[column.key] for column in rules.COLUMNS],
    ]


class Progress:
    """`rows_done` of a batch, written at most twice a second on a connection of its own in autocommit,
    so that the page sees it while the import's transaction is open. Never touches the batch row from
    inside that transaction (which would wait on itself). SQLite (make run) has no second writer: there
    the page sees the end only."""

    def __init__(self, batch_id: int):
        self.batch_id = batch_id
        self.last = 0.0
        self.connection = (
            connections.create_connection(DEFAULT_DB_ALIAS) if connection.vendor == "postgresql" else None
        )

    def __call__(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.connection is None or (not force and now - self.last < PROGRESS_SECONDS):
            return
        self.last = now
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportBatch._meta.db_table} SET rows_done = %s WHERE id = %s", [done, self.batch_id]
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


@dataclass(slots=True)
class NewCustomer:
    row: rules.CallbookRow
    branch_id: int
    id: int | None = None


@dataclass(slots=True)
class NewUnit:
    row: rules.CallbookRow
    model_id: int
    id: int | None = None


@dataclass
class Plan:
    """What the file would write, or why it cannot."""

    rows_total: int = 0
    errors: list[rules.RowError] = field(default_factory=list)
    # What the import does that the admin may not expect (it does not block the import).
    warnings: list[rules.RowError] = field(default_factory=list)
    skipped: int = 0  # rows whose historical ticket is on file already (the book imported before)
    known_names: dict[str, str] = field(default_factory=dict)  # phone → the known customer's name
    new_customers: dict[str, NewCustomer] = field(default_factory=dict)  # by phone
    known_customers: dict[str, int] = field(default_factory=dict)  # phone → id
    new_units: dict[str, NewUnit] = field(default_factory=dict)  # by serial
    known_units: dict[str, int] = field(default_factory=dict)  # serial → id
    tickets: list[rules.CallbookRow] = field(default_factory=list)
    branch_codes: dict[int, str] = field(default_factory=dict)
    row_branch: dict[int, int] = field(default_factory=dict)  # row → branch id
    model_categories: dict[int, str] = field(default_factory=dict)
    technicians: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "customers": len(self.new_customers),
            "customers_reused": len(self.known_customers),
            "units": len(self.new_units),
            "units_reused": len(self.known_units),
            "tickets": len(self.tickets),
            "skipped": self.skipped,
            "warnings": len(self.warnings),
        }

    @property
    def writes(self) -> int:
        return 2 * len(self.new_customers) + len(self.new_units) + len(self.tickets)

    @property
    def months(self) -> set[tuple[int, int]]:
        """(year, month) of every report and end of the tickets: the KPI months the import touches. The
        file's dates are local (Beijing) time: their months are the KPIs' months."""
        months = set()
        for row in self.tickets:
            end = (row.completed_at or row.closed_at) if row.state == State.CLOSED else None
            for moment in (row.reported_at, end):
                if moment is not None:
                    months.add((moment.year, moment.month))
        return months

    @property
    def month_texts(self) -> list[str]:
        return sorted(f"{year:04d}-{month:02d}" for year, month in self.months)


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _lookup(values: Iterable[str], query: Callable[[list[str]], Iterable[tuple]]) -> list[tuple]:
    found: list[tuple] = []
    for chunk in _chunks(sorted(set(values)), LOOKUP_CHUNK):
        found.extend(query(chunk))
    return found


def _technicians() -> dict[str, int]:
    """{name or username: user id} of the users a call book may name; a name two users share: none."""
    names: dict[str, int | None] = {}
    for pk, username, first, last in get_user_model().objects.values_list(
        "pk", "username", "first_name", "last_name"
    ):
        for name in {username, f"{last}{first}".strip()} - {""}:
            names[name] = pk if name not in names or names[name] == pk else None
    return {name: pk for name, pk in names.items() if pk is not None}


def _branches() -> tuple[dict[str, int], dict[int, str]]:
    by_text, codes = {}, {}
    for pk, code, name in Branch.objects.values_list("pk", "code", "name"):
        by_text[code.upper()] = by_text[rules.clean_header(name)] = pk
        codes[pk] = code
    return by_text, codes


def make_plan(batch: ImportBatch, *, progress: Callable[..., None] = lambda done, **kw: None) -> Plan:
    """Read and check the whole file against itself and the database, with a constant number of
    queries per LOOKUP_CHUNK rows (never one per row)."""
    plan = Plan()
    today = timezone.localdate()
    table = read_table(batch.file_name, bytes(batch.content))
    header = next(table, None)
    if header is None:
        plan.errors.append(rules.RowError(1, "", Text(gettext_noop("文件是空的,没有表头。"))))
        return plan
    positions, headers, errors = rules.map_headers(header)
    if errors:
        plan.errors.extend(errors)
        return plan
    rows: list[rules.CallbookRow] = []
    for number, values in enumerate(table, start=2):
        if not any(value not in (None, "") and str(value).strip() for value in values):
            continue  # a blank line
        cells = {
            key: values[position] if position < len(values) else None for key, position in positions.items()
        }
        rows.append(rules.read_row(number, cells, headers, today))
        if len(rows) % 1000 == 0:
            progress(len(rows) // 2)
    plan.rows_total = len(rows)
    for row in rows:
        plan.errors.extend(row.errors)
    _check_against_database(plan, [row for row in rows if not row.errors], headers)
    progress(plan.rows_total, force=True)
    return plan


def _check_against_database(plan: Plan, rows: list[rules.CallbookRow], headers: dict[str, str]) -> None:
    def fail(row: rules.CallbookRow, key: str, message: Text, *, to: list | None = None) -> None:
        (plan.errors if to is None else to).append(
            rules.RowError(row.row, headers.get(key, rules.COLUMN_BY_KEY[key].header), message)
        )

    def warn(row: rules.CallbookRow, key: str, message: Text) -> None:
        fail(row, key, message, to=plan.warnings)

    branches, plan.branch_codes = _branches()
    models = {
        code.upper(): (pk, category)
        for pk, code, category in ProductModel.objects.values_list("pk", "code", "category")
    }
    plan.model_categories = dict(models.values())
    plan.technicians = _technicians()
    # A number several customers share (a family, a company's switchboard): the oldest customer.
    known_phones: dict[str, int] = {}
    for number, customer_id, name in _lookup(
        (row.phone for row in rows),
        lambda chunk: CustomerPhone.objects.filter(number__in=chunk).values_list(
            "number", "customer_id", "customer__name"
        ),
    ):
        if customer_id <= known_phones.get(number, customer_id):
            known_phones[number] = customer_id
            plan.known_names[number] = name
    known_units = {
        serial: (pk, owner, model)
        for serial, pk, owner, model in _lookup(
            (row.serial for row in rows if row.serial),
            lambda chunk: Unit.objects.filter(serial_number__in=chunk).values_list(
                "serial_number", "pk", "owner_id", "product_model_id"
            ),
        )
    }
    # Historical tickets of these units already imported: the same call book loaded again (grown since).
    imported_before = {
        (unit, reported_at, description)
        for unit, reported_at, description in _lookup(
            (str(pk) for pk, _owner, _model in known_units.values()),
            lambda chunk: RepairTicket.objects.filter(
                unit_id__in=chunk, import_batch__isnull=False
            ).values_list("unit_id", "reported_at", "fault_description"),
        )
    }
    zone = timezone.get_default_timezone()
    seen_tickets: dict[tuple, int] = {}
    warned: set[tuple[str, str]] = set()
    unknown_models: dict[str, list[int]] = {}
    for row in rows:
        errors_before = len(plan.errors) + sum(map(len, unknown_models.values()))
        on_file = False
        branch_id = (
            (branches.get(row.branch.upper()) or branches.get(rules.clean_header(row.branch)))
            if row.branch
            else None
        )
        if row.branch and branch_id is None:
            fail(
                row,
                "branch",
                Text(gettext_noop("网点「%(value)s」不存在,请填写网点代码或名称。")) % {"value": row.branch},
            )
        model = models.get(row.model_code) if row.model_code else None
        if row.model_code and model is None:
            # One error per missing model, naming its rows, not one per row (a file of 20 such rows).
            unknown_models.setdefault(row.model_code, []).append(row.row)
        customer_id = known_phones.get(row.phone)
        first = plan.new_customers.get(row.phone)
        unit = None
        if row.serial:
            known = known_units.get(row.serial)
            new = plan.new_units.get(row.serial)
            if known is not None:
                if known[1] != customer_id:
                    fail(
                        row,
                        "serial",
                        Text(gettext_noop("序列号 %(serial)s 已登记在另一位客户名下(电话不同)。"))
                        % {"serial": row.serial},
                    )
                elif model is not None and known[2] != model[0]:
                    fail(
                        row,
                        "model_code",
                        Text(gettext_noop("序列号 %(serial)s 在系统中是另一个型号。"))
                        % {"serial": row.serial},
                    )
                unit = known[0]
            elif new is not None:
                if new.row.phone != row.phone:
                    fail(
                        row,
                        "serial",
                        Text(gettext_noop("序列号 %(serial)s 在第 %(row)d 行属于另一位客户(电话不同)。"))
                        % {"serial": row.serial, "row": new.row.row},
                    )
                elif new.row.model_code != row.model_code:
                    fail(
                        row,
                        "model_code",
                        Text(gettext_noop("与第 %(row)d 行同一序列号的型号不同。")) % {"row": new.row.row},
                    )
        if row.has_ticket and row.serial:
            reported_at = timezone.make_aware(row.reported_at, zone)
            key = (row.serial, reported_at, row.fault_description)
            if unit is not None and (unit, reported_at, row.fault_description) in imported_before:
                on_file = True  # same serial, report date and fault: skipped, not refused
            elif key in seen_tickets:
                # The whole row repeats another: no column is at fault.
                plan.errors.append(
                    rules.RowError(
                        row.row,
                        "",
                        Text(gettext_noop("与第 %(row)d 行是同一张工单(序列号、报修日期和故障描述相同)。"))
                        % {"row": seen_tickets[key]},
                    )
                )
            else:
                seen_tickets[key] = row.row
        if len(plan.errors) + sum(map(len, unknown_models.values())) > errors_before:
            continue
        if on_file:
            plan.skipped += 1
            continue
        # The row is good: what it adds.
        branch_id = branch_id or 0
        if customer_id is not None:
            plan.known_customers[row.phone] = customer_id
            name = plan.known_names[row.phone]
            if row.customer_name != name and (row.phone, row.customer_name) not in warned:
                warned.add((row.phone, row.customer_name))
                warn(
                    row,
                    "customer_name",
                    Text(
                        gettext_noop(
                            "电话 %(phone)s 已是系统中的客户「%(known)s」,本行的名称「%(name)s」"
                            "不会改变它:按电话视为同一位客户。"
                        )
                    )
                    % {"phone": row.phone, "known": name, "name": row.customer_name},
                )
        elif first is None:
            plan.new_customers[row.phone] = NewCustomer(row, branch_id)
        elif row.customer_name != first.row.customer_name and (row.phone, row.customer_name) not in warned:
            warned.add((row.phone, row.customer_name))
            warn(
                row,
                "customer_name",
                Text(
                    gettext_noop(
                        "电话 %(phone)s 在第 %(first)d 行是「%(first_name)s」,本行是「%(name)s」:"
                        "按电话视为同一位客户,采用第一行的名称「%(first_name)s」。"
                    )
                )
                % {
                    "phone": row.phone,
                    "first": first.row.row,
                    "first_name": first.row.customer_name,
                    "name": row.customer_name,
                },
            )
        if row.serial:
            if row.serial in known_units:
                plan.known_units[row.serial] = known_units[row.serial][0]
            elif row.serial not in plan.new_units:
                plan.new_units[row.serial] = NewUnit(row, model[0])
                if row.purchase_date and not row.purchase_place:
                    warn(
                        row,
                        "purchase_place",
                        Text(
                            gettext_noop(
                                "有购买日期,没有购买地点:保修政策要求购机日期和地点时(如厂家政策),"
                                "此产品在保修期内的报修将判为有偿维修。"
                            )
                        ),
                    )
        if row.has_ticket:
            plan.row_branch[row.row] = branch_id
            plan.tickets.append(row)
            if row.remedy == "free_repair" and row.fee:
                plan.warnings.append(
                    rules.RowError(
                        row.row,
                        list_text(
                            headers.get(key, rules.COLUMN_BY_KEY[key].header) for key in ("remedy", "fee")
                        ),
                        Text(gettext_noop("保修结论是免费维修,服务费却是 %(fee)s 元:两者矛盾,请核对。"))
                        % {"fee": f"{row.fee}"},
                    )
                )
    for code, numbers in unknown_models.items():
        shown = list_text(map(str, numbers[:UNKNOWN_MODEL_ROWS_SHOWN]))
        plan.errors.append(
            rules.RowError(
                numbers[0],
                headers.get("model_code", rules.COLUMN_BY_KEY["model_code"].header),
                Text(
                    gettext_noop(
                        "产品型号「%(value)s」不存在(第 %(rows)s%(more)s 行,共 %(count)d 行),"
                        "请先在 系统管理 → 系统管理 → 客户与产品 → 产品型号(%(url)s)建立该型号。"
                    )
                )
                % {
                    "value": code,
                    "rows": shown,
                    "more": "…" if len(numbers) > UNKNOWN_MODEL_ROWS_SHOWN else "",
                    "count": len(numbers),
                    "url": reverse("admin:customers_productmodel_changelist"),
                },
            )
        )


def _copy_text(value) -> str:
    """A value in COPY's text format (PostgreSQL)."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class Rows:
    """New rows of one model written in chunks straight to the table: COPY on PostgreSQL (one
    statement and no model instance per row; bulk_create spent most of an import building and
    preparing instances), a multi-row executemany elsewhere. Ids are taken from the table's sequence
    first, so that the rows referring to these can be written before them. Columns not given get the
    model's defaults, computed once."""

    def __init__(self, model, columns: tuple[str, ...]):
        self.model = model
        self.columns = ("id", *columns)
        template = model()
        fields = {field.attname: field for field in model._meta.concrete_fields}
        self.rest = [field for name, field in fields.items() if name not in self.columns]
        defaults = tuple(field.pre_save(template, add=True) for field in self.rest)
        # COPY's text of the defaults, once (not once per row).
        self.defaults = (
            ("\t" + "\t".join(map(_copy_text, defaults)) if defaults else "")
            if connection.vendor == "postgresql"
            else defaults
        )
        self.fields = [fields[name] for name in self.columns] + self.rest
        self.pending: list[tuple] = []
        self.next_id: int | None = None  # SQLite (no sequence to take from): inside the write lock

    def ids(self, count: int) -> list[int]:
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [pk for (pk,) in cursor.fetchall()]
            if self.next_id is None:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - our table
                self.next_id = cursor.fetchone()[0]
        self.next_id += count
        return list(range(self.next_id - count, self.next_id))

    def add(self, values: tuple) -> None:
        self.pending.append(values)
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        table = self.model._meta.db_table
        names = ", ".join(connection.ops.quote_name(field.column) for field in self.fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                data = io.StringIO(
                    "".join(
                        "\t".join(map(_copy_text, values)) + self.defaults + "\n" for values in self.pending
                    )
                )
                cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", data)
            else:
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(self.fields))})",  # noqa: S608
                    [
                        [
                            field.get_db_prep_save(value, connection)
                            for field, value in zip(self.fields, values, strict=True)
                        ]
                        for values in (values + self.defaults for values in self.pending)
                    ],
                )
        self.pending = []


def _write(plan: Plan, batch: ImportBatch, progress: Callable[..., None]) -> None:
    """Insert the plan's rows (inside the caller's transaction)."""
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        progress(batch.rows_total * done // max(plan.writes, 1))

    zone = timezone.get_default_timezone()

    def aware(value: datetime.datetime | None) -> datetime.datetime | None:
        return None if value is None else value.replace(tzinfo=zone)

    default_branch = batch.branch_id
    customers = Rows(Customer, ("name", "kind", "contact_person", "address", "branch_id", "import_batch_id"))
    phones = Rows(CustomerPhone, ("customer_id", "number"))
    new_customers = list(plan.new_customers.values())
    for new, pk, phone_pk in zip(
        new_customers, customers.ids(len(new_customers)), phones.ids(len(new_customers)), strict=True
    ):
        new.id = pk
        row = new.row
        customers.add(
            (
                pk,
                row.customer_name,
                row.customer_kind,
                row.contact_person,
                row.address,
                new.branch_id or default_branch,
                batch.pk,
            )
        )
        phones.add((phone_pk, pk, row.phone))
        advance(2)
    customers.flush()
    phones.flush()
    customer_ids = {**plan.known_customers, **{phone: new.id for phone, new in plan.new_customers.items()}}
    units = Rows(
        Unit,
        (
            "product_model_id",
            "serial_number",
            "owner_id",
            "purchase_date",
            "purchase_place",
            "warranty_card_no",
            "import_batch_id",
        ),
    )
    new_units = list(plan.new_units.values())
    for new, pk in zip(new_units, units.ids(len(new_units)), strict=True):
        new.id = pk
        row = new.row
        units.add(
            (
                pk,
                new.model_id,
                row.serial,
                customer_ids[row.phone],
                row.purchase_date,
                row.purchase_place,
                row.warranty_card_no,
                batch.pk,
            )
        )
        advance(1)
    units.flush()
    unit_ids = {**plan.known_units, **{serial: new.id for serial, new in plan.new_units.items()}}
    unit_models = {new.id: new.model_id for new in new_units}
    unit_models.update(
        Unit.objects.filter(pk__in=list(plan.known_units.values())).values_list("pk", "product_model_id")
    )
    names = {phone: new.row.customer_name for phone, new in plan.new_customers.items()}
    names.update(plan.known_names)
    tickets = Rows(
        RepairTicket,
        (
            "number",
            "branch_id",
            "customer_id",
            "unit_id",
            "fault_category",
            "fault_description",
            "search_text",
            "service_category",
            "warranty_remedy",
            "state",
            "technician_id",
            "imported_technician",
            "imported_fee",
            "due_at",
            "reported_at",
            "completed_at",
            "accepted_at",
            "closed_at",
            "state_changed_at",
            "work_summary",
            "import_batch_id",
        ),
    )
    for row, pk in zip(plan.tickets, tickets.ids(len(plan.tickets)), strict=True):
        branch_id = plan.row_branch[row.row] or default_branch
        number = f"{plan.branch_codes[branch_id]}-H{batch.pk}-{row.row}"
        reported_at = aware(row.reported_at)
        closed = row.state == State.CLOSED
        completed_at = aware(row.completed_at or row.closed_at) if closed else None
        closed_at = (
            aware(row.closed_at or row.completed_at) if closed else aware(row.closed_at) or reported_at
        )
        tickets.add(
            (
                pk,
                number,
                branch_id,
                customer_ids[row.phone],
                unit_ids[row.serial],
                row.fault_category or plan.model_categories[unit_models[unit_ids[row.serial]]],
                row.fault_description,
                search_document(
                    number=number,
                    customer_name=names.get(row.phone, row.customer_name),
                    phones=[row.phone],
                    serial_number=row.serial,
                    fault_description=row.fault_description,
                ),
                ServiceCategory.PAID if row.remedy == "paid_repair" else ServiceCategory.FREE,
                row.remedy,
                row.state,
                plan.technicians.get(row.technician) if row.technician else None,
                row.technician,
                row.fee,
                reported_at,
                reported_at,
                completed_at,
                closed_at if closed else None,
                closed_at,
                closed_at,
                row.work_summary,
                batch.pk,
            )
        )
        advance(1)
    tickets.flush()


def _kept(errors: list[rules.RowError]) -> list[dict]:
    return [error.as_json() for error in sorted(errors, key=lambda error: error.row)[:KEPT_ERRORS]]


def _store_errors(batch: ImportBatch, errors: list[rules.RowError]) -> None:
    batch.errors = _kept(errors)
    batch.error_count = len(errors)


def check_batch(batch_id: int, *, ip_address: str | None = None) -> str:
    """The dry run: read and check the file, store the errors or what it would write; writes no data
    but the audit row of the upload (a file of customers' data: who, which file, how many rows)."""
    batch = ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.CHECKING).first()
    if batch is None:
        return "not due"
    progress = Progress(batch.pk)
    try:
        plan = make_plan(batch, progress=progress)
    except Exception:  # noqa: BLE001 - an unreadable file is the user's to fix
        logger.exception("call book %s could not be read", batch.pk)
        plan = Plan(
            errors=[
                rules.RowError(0, "", Text(gettext_noop("无法读取该文件,请使用导入模板另存为 xlsx 或 csv。")))
            ]
        )
    finally:
        progress.close()
    _store_errors(batch, plan.errors)
    batch.rows_total = plan.rows_total
    batch.rows_done = plan.rows_total
    batch.warnings = _kept(plan.warnings)
    batch.counts = plan.counts
    batch.months = plan.month_texts
    batch.state = ImportBatch.State.REJECTED if plan.errors else ImportBatch.State.CHECKED
    if plan.errors:
        batch.content = b""
    with transaction.atomic():
        batch.save(
            update_fields=[
                "errors",
                "error_count",
                "warnings",
                "rows_total",
                "rows_done",
                "counts",
                "months",
                "state",
                "content",
            ]
        )
        record_audit(
            batch.created_by,
            "callbook.upload",
            batch,
            {"file": batch.file_name, "rows": batch.rows_total, "state": batch.state},
            ip_address=ip_address,
            object_label=batch.file_name,  # the id is in its own column
        )
    return batch.state


def start_import(*, batch_id: int, user) -> ImportBatch:
    """Claim a checked batch for the worker (checked → importing), once: a second tap finds it taken."""
    claimed = ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.CHECKED).update(
        state=ImportBatch.State.IMPORTING, rows_done=0
    )
    if not claimed:
        raise UserError(_("该批次不是“检查通过,待导入”状态,不能导入。"))
    return ImportBatch.objects.get(pk=batch_id)


def import_batch(batch_id: int, *, ip_address: str | None = None) -> str:
    """The real run, all or nothing: check again, then write every row in one transaction."""
    batch = ImportBatch.objects.filter(pk=batch_id, state=ImportBatch.State.IMPORTING).first()
    if batch is None:
        return "not due"
    progress = Progress(batch.pk)
    try:
        plan = make_plan(batch)
        if plan.errors:  # the database changed since the dry run (a phone or a serial taken meanwhile)
            _store_errors(batch, plan.errors)
            batch.state = ImportBatch.State.REJECTED
            batch.counts = plan.counts
            batch.save(update_fields=["errors", "error_count", "state", "counts"])
            return batch.state
        with transaction.atomic():
            _write(plan, batch, progress)
            months = plan.months
            batch.state = ImportBatch.State.DONE
            batch.counts = plan.counts
            batch.months = plan.month_texts
            batch.imported_at = timezone.now()
            batch.rows_done = batch.rows_total
            batch.content = b""
            batch.save(update_fields=["state", "counts", "months", "imported_at", "rows_done", "content"])
            record_audit(
                batch.created_by,
                "callbook.import",
                batch,
                {"file": batch.file_name, "counts": batch.counts},
                ip_address=ip_address,
                object_label=batch.file_name,
            )
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportBatch.State.FAILED,
            errors=[
                rules.RowError(
                    0, "", Text(gettext_noop("导入失败,未写入任何数据。请联系系统管理员查看日志。"))
                ).as_json()
            ],
            error_count=1,
        )
        raise
    finally:
        progress.close()
    history_imported.send(sender=ImportBatch, months=months)
    return batch.state


@dataclass(frozen=True)
class Blocker:
    """Rows made since on a batch's rows, of one table: its name, how many, and the first few of them
    (text, link or "") for the admin to find them — a new ticket by its number."""

    name: str
    count: int
    examples: list[tuple[str, str]]

    @property
    def more(self) -> int:
        return self.count - len(self.examples)


def built_on(batch: ImportBatch) -> list[Blocker]:
    """What was made since on the batch's rows: every row of another table (or of these tables outside
    the batch) referring to a customer, unit or ticket of the batch. Two queries per referring table that
    has such rows, whatever the batch's size. A customer's phones go with the customer."""
    referring: dict[type, Q] = {}
    for model in (Customer, Unit, RepairTicket):
        for relation in model._meta.related_objects:
            related = relation.related_model
            if related is CustomerPhone or not relation.field.concrete or relation.field.model is not related:
                continue
            condition = Q(**{f"{relation.field.name}__import_batch": batch})
            referring[related] = referring[related] | condition if related in referring else condition
    found = []
    for related, condition in referring.items():
        rows = related.objects.filter(condition)
        if any(model_field.name == "import_batch" for model_field in related._meta.concrete_fields):
            rows = rows.exclude(import_batch=batch)
        count = rows.distinct().count()
        if count:
            examples = [
                (str(row), row.get_absolute_url() if hasattr(row, "get_absolute_url") else "")
                for row in rows.distinct().order_by("pk")[:BLOCKERS_SHOWN]
            ]
            found.append(Blocker(str(related._meta.verbose_name_plural), count, examples))
    return found


def _refusal(blockers: list[Blocker]) -> str:
    return _(
        "不能撤销:导入之后已有数据建立在本批导入的记录上(%(what)s)。请先处理这些记录,或保留本批数据。"
    ) % {
        "what": list_text(
            _("%(name)s %(count)d 条") % {"name": blocker.name, "count": blocker.count}
            for blocker in blockers
        )
    }


def start_undo(*, batch_id: int, user) -> ImportBatch:
    """Claim an imported batch for the worker's undo (done → undoing), once; refused (UserError naming
    what) when anything made since refers to its rows — e.g. a new ticket on an imported unit."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().defer("content").filter(pk=batch_id).first()
        if batch is None or batch.state != ImportBatch.State.DONE:
            raise UserError(_("只有“已导入”的批次可以撤销。"))
        blockers = built_on(batch)
        if blockers:
            raise UserError(_refusal(blockers))
        batch.state = ImportBatch.State.UNDOING
        batch.undone_by = user
        batch.save(update_fields=["state", "undone_by"])
    return batch


def undo_batch(batch_id: int, *, ip_address: str | None = None) -> dict[str, int]:
    """The worker's undo: remove every customer, unit and ticket the batch imported, in one transaction,
    after checking again under the batch's lock that nothing made since refers to them (else the batch
    stays imported, with the reason on it). Customers and units it found, not created, stay."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().defer("content").filter(pk=batch_id).first()
        if batch is None or batch.state != ImportBatch.State.UNDOING:
            return {}
        blockers = built_on(batch)
        if blockers:
            batch.state = ImportBatch.State.DONE
            batch.errors = [
                {"row": 0, "column": "", "message": {"id": _refusal(blockers), "params": {}}},
            ]
            batch.error_count = 1
            batch.save(update_fields=["state", "errors", "error_count"])
            return {}
        removed = {}
        for key, model in (("tickets", RepairTicket), ("units", Unit), ("customers", Customer)):
            if model is Customer:
                CustomerPhone.objects.filter(customer__import_batch=batch).delete()
            with connection.cursor() as cursor:
                # Plain DELETEs: built_on() found nothing referring to these rows, and the foreign keys
                # (checked at commit) are the second guard. Django's cascade collector would load
                # every row first.
                cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE import_batch_id = %s", [batch.pk])
                removed[key] = cursor.rowcount
        batch.state = ImportBatch.State.UNDONE
        batch.undone_at = timezone.now()
        batch.save(update_fields=["state", "undone_at"])
        record_audit(
            batch.undone_by,
            "callbook.undo",
            batch,
            {"file": batch.file_name, "removed": removed},
            ip_address=ip_address,
            object_label=batch.file_name,  # the id is in its own column
        )
    months = {(int(text[:4]), int(text[5:])) for text in batch.months}
    history_imported.send(sender=ImportBatch, months=months)
    return removed
