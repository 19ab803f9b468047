"""The bench database: created on the server if it is missing (`ensure_database`), then filled once per
ticket count (`seed`) and left in place for the next run.

Reference rows (branches, users, product models) go through the ORM, the bulk (customers, phones, units,
tickets, history, contracts) with `INSERT ... SELECT` over `generate_series`, so PostgreSQL builds a
million tickets without a row crossing the wire.

The seed follows the state machine: every ticket has the history rows of the path that leads to its
state (`aftersales.demo.PATHS`), its timestamps in that order, a technician whenever the check constraint
`tickets_repairticket_assigned_when_dispatched` asks for one, and a number in the format of
`tickets.services.allocate_ticket_number` whose per-branch-and-day sequence is carried on in
`DocumentSequence`, so calls logged during the bench get fresh numbers.
"""

from __future__ import annotations

import datetime
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg2
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.utils import timezone
from psycopg2 import sql

from accounts.models import Branch, DocumentSequence, Role, User
from aftersales.demo import ACTOR_FOR, FAULTS, NOTES, PATHS
from customers.models import Customer, CustomerPhone, FaultCategory, ProductModel, Unit
from loadtest.bench import BenchError
from parts.models import Part, Requisition, RequisitionLine, StockLevel, StockMovement, Supplier, Warehouse
from reports.models import SummarisedMonth
from tickets.models import RepairTicket, State, TicketEvent
from tickets.services import fill_all_search_texts, service_category_for
from warranty import rules
from warranty.models import MaintenanceContract, WarrantyPolicy

# --- the database ------------------------------------------------------------------------------

PROTECTED_DATABASES = {"postgres", "template0", "template1", "test"}


def ensure_database(db: dict) -> bool:
    """Create the database named in the Django settings dict `db` if missing; True if created."""
    name = db["NAME"]
    if name in PROTECTED_DATABASES:
        raise ValueError(f"refusing to use the {name!r} database for benchmarks")
    maintenance = psycopg2.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )
    try:
        maintenance.autocommit = True
        with maintenance.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        maintenance.close()


# --- the seed ----------------------------------------------------------------------------------

# The marker: a bench database says how many tickets it was seeded with. A database without it
# that holds tickets or users is not a bench database, and the seed refuses to truncate it.
MARKER_TABLE = "bench_seed"

RANDOM_SEED = 0.20261127
SPAN_DAYS = 5 * 365  # tickets are reported over the last five years, oldest first (ids follow time)
PURCHASES_BEFORE_DAYS = 365  # units were bought from a year before the first ticket until yesterday
CUSTOMERS_PER_TICKET = 0.28
UNITS_PER_TICKET = 0.30
# ~10 % of tickets are open: most of the newest 8 %, and a few stale ones among the older.
RECENT_SHARE, OPEN_WHEN_RECENT, OPEN_WHEN_OLDER = 0.08, 0.85, 0.035
# A technician holds about this many jobs in dispatched / on_site / in_factory whatever the ticket
# count; the rest of the open tickets wait in the queue, for the factory or for acceptance.
ACTIVE_JOBS_PER_TECHNICIAN = 12
ACTIVE_SPLIT = [(State.DISPATCHED, 0.50), (State.ON_SITE, 0.35), (State.IN_FACTORY, 0.15)]
WAITING_SPLIT = [
    (State.REPORTED, 0.35),
    (State.RMA_REQUESTED, 0.05),
    (State.AWAITING_PICKUP, 0.10),
    (State.AWAITING_ACCEPTANCE, 0.50),
]
DONE_SPLIT = [(State.CLOSED, 0.85), (State.ACCEPTED, 0.05), (State.CANCELLED, 0.10)]


@dataclass(frozen=True)
class BranchSpec:
    code: str
    name: str
    share: float  # of customers, hence of tickets
    city: str
    area_code: str
    districts: tuple[str, ...]
    dispatchers: int
    technicians: int


BRANCHES = [
    BranchSpec(
        "SH", "上海分公司服务中心", 0.40, "上海市", "021", ("浦东新区", "徐汇区", "闵行区", "宝山区"), 3, 20
    ),
    BranchSpec("HZ", "杭州服务站", 0.25, "杭州市", "0571", ("西湖区", "拱墅区", "萧山区", "余杭区"), 2, 12),
    BranchSpec("NJ", "南京服务站", 0.20, "南京市", "025", ("鼓楼区", "玄武区", "江宁区", "浦口区"), 2, 10),
    BranchSpec("SZ", "深圳服务站", 0.15, "深圳市", "0755", ("南山区", "福田区", "宝安区", "龙岗区"), 1, 8),
]
PRODUCT_MODELS = [
    ("KFR-26GW", "壁挂式空调 1 匹", FaultCategory.APPLIANCE, "manufacturer"),
    ("KFR-35GW", "壁挂式空调 1.5 匹", FaultCategory.APPLIANCE, "manufacturer"),
    ("KFR-72LW", "柜式空调 3 匹", FaultCategory.APPLIANCE, "manufacturer"),
    ("XQG80-B12", "滚筒洗衣机 8 公斤", FaultCategory.APPLIANCE, "cn-national"),
    ("XQG100-B14", "滚筒洗衣机 10 公斤", FaultCategory.APPLIANCE, "cn-national"),
    ("BCD-452W", "对开门冰箱", FaultCategory.APPLIANCE, "cn-national"),
    ("BCD-218", "双门冰箱", FaultCategory.APPLIANCE, "cn-national"),
    ("JSQ25-13", "燃气热水器", FaultCategory.APPLIANCE, "manufacturer"),
    ("DFB-40", "智能电饭煲", FaultCategory.APPLIANCE, "retail"),
    ("MWO-23", "微波炉", FaultCategory.APPLIANCE, "retail"),
    ("CXW-200", "吸油烟机", FaultCategory.APPLIANCE, "retail"),
    ("KL6125", "城市客车车身", FaultCategory.BODY, "manufacturer"),
    ("KL6125-D", "客车底盘/发动机总成", FaultCategory.CHASSIS_ENGINE, "manufacturer"),
    ("KL6800", "中型客车车身", FaultCategory.BODY, "manufacturer"),
]
FAMILY_NAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN_NAMES = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛")
COMPANY_WORDS = ["华东", "新世纪", "金桥", "东方", "长江", "宏达", "恒通", "锦江"]
COMPANY_KINDS = ["大酒店", "物业管理有限公司", "餐饮有限公司", "实验学校", "人民医院", "客运有限公司"]
ROADS = ["人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "青年路", "长江路"]
SHOPS = ["苏宁易购", "国美电器", "京东自营", "本公司直营店", "天猫旗舰店"]
MOBILE_PREFIXES = [138, 139, 135, 136, 137, 150, 151, 152, 158, 159, 186, 187, 188, 177, 180, 189]
# Purchase-age buckets (days) for the warranty verdicts, with the age each one is evaluated at.
AGE_LIMITS = [7, 15, 30, 90, 365, 730]
AGE_SAMPLES = [3, 10, 20, 60, 200, 500, 1000]
# The stock ledger: every store (HQ's central store and one per station) holds every catalogue part,
# received once then issued a few at a time: 5 stores × 2,000 parts × 25 movements = 250,000 rows.
PART_COUNT = 2_000
MOVEMENTS_PER_SHELF = 25
PART_NAMES = [
    "压缩机",
    "电脑板",
    "风扇电机",
    "温控器",
    "电磁阀",
    "过滤器",
    "门封条",
    "加热管",
    "排水泵",
    "遥控器",
]


def _literal(value: str) -> str:
    """An SQL string literal of one of the seed's own constants (never user input)."""
    return "'" + value.replace("'", "''") + "'"


def _text_array(values) -> str:
    return "ARRAY[" + ", ".join(_literal(value) for value in values) + "]"


def _pick(array_sql: str, roll: str) -> str:
    """One element of an SQL array, chosen by a roll in [0, 1)."""
    return f"({array_sql})[1 + floor({roll} * cardinality({array_sql}))::int]"


def _weighted(roll: str, choices: list[tuple[str, float]]) -> str:
    """CASE expression choosing a constant by a roll in [0, 1) with the given weights."""
    total = sum(weight for _, weight in choices)
    parts, cumulative = [], 0.0
    for value, weight in choices[:-1]:
        cumulative += weight / total
        parts.append(f"WHEN {roll} < {cumulative:.6f} THEN '{value}'")
    return f"CASE {' '.join(parts)} ELSE '{choices[-1][0]}' END"


def _states_through(step: str) -> list[str]:
    return [state for state, steps in PATHS.items() if step in steps]


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})" if values else "false"


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def quoted_table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def insert_select(cursor, model: type[models.Model], values: dict[str, str], source: str, params=None) -> int:
    """`INSERT INTO <model's table> (...) SELECT <values> FROM <source>`; returns the row count.

    `values` maps field names to SQL expressions over `source`. Every other column gets its
    field's Python default, so a field added later with a default does not break the bench.
    """
    params = dict(params or {})
    fields = {field.name: field for field in model._meta.concrete_fields}
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
    columns, expressions = [], []
    for name, field in fields.items():
        if name in values:
            expressions.append(values[name])
        elif field.primary_key:
            continue
        else:
            key = f"default_{field.column}"
            params[key] = field.get_db_prep_save(field.get_default(), connection)
            expressions.append(f"%({key})s")
        columns.append(connection.ops.quote_name(field.column))
    statement = f"INSERT INTO {quoted_table(model)} ({', '.join(columns)}) SELECT {', '.join(expressions)} FROM {source}"
    cursor.execute(statement, params)
    return cursor.rowcount


@dataclass(frozen=True)
class SeedReport:
    tickets: int
    seconds: float
    skipped: bool
    counts: dict[str, int]


def seeded_ticket_count() -> int | None:
    """Tickets of the finished seed; 0 while unfinished; None if this is not a bench database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT coalesce(max(tickets), 0) FROM {MARKER_TABLE}")
        return cursor.fetchone()[0]


def seed(tickets: int, *, reseed: bool, log: Callable[[str], None]) -> SeedReport:
    """Fill the bench database with `tickets` tickets, unless its last finished seed had that many."""
    marker = seeded_ticket_count()
    if not reseed and marker == tickets:
        # Steps added since this database was seeded fill their empty tables, without a reseed.
        late = [step for step in _late_steps(_Seeder(tickets)) if not step[2].objects.exists()]
        if late:
            _run_steps(late, log)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
        return SeedReport(tickets, 0.0, True, _counts())
    if marker is None and (RepairTicket.objects.exists() or User.objects.exists()):
        raise BenchError(
            f"database {connection.settings_dict['NAME']!r} holds users or tickets that the bench did "
            "not create; refusing to truncate it. Point --database-url at a bench database."
        )
    with connection.cursor() as cursor:
        # From here on this is a bench database, seeded or not (no row: an unfinished seed).
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
            "(tickets bigint NOT NULL, seeded_at timestamptz NOT NULL, seconds double precision NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")
    started = time.monotonic()
    with connection.cursor() as cursor:
        # Bulk-load settings for this session only; the measurements run on a fresh connection.
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        # The same data on every seed of the same size: random() follows setseed in this session.
        cursor.execute("SELECT setseed(%s)", [RANDOM_SEED])
    seeder = _Seeder(tickets)
    steps: list[tuple[str, Callable[[], int]]] = [
        ("truncate", seeder.truncate),
        ("branches, users, product models (ORM)", seeder.reference_rows),
        ("customers", seeder.customers),
        ("phones", seeder.phones),
        ("units", seeder.units),
        ("contracts", seeder.contracts),
        ("ticket plan", seeder.plan),
        ("tickets", seeder.tickets),
        ("tickets' search text", fill_all_search_texts),
        ("history rows", seeder.events),
        ("number sequences", seeder.sequences),
        ("identity sequences", seeder.identities),
        *_late_steps(seeder),
    ]
    _run_steps(steps, log)
    step_started = time.monotonic()
    with connection.cursor() as cursor:
        # VACUUM as well as ANALYZE: index-only scans (the list's COUNT) need the visibility map
        # that autovacuum keeps up to date on a live database.
        cursor.execute("VACUUM (ANALYZE)")
    log(f"  {'VACUUM (ANALYZE)':<40} {'':>10}      {time.monotonic() - step_started:8.1f} s")
    seconds = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, now(), %s)", [tickets, seconds])
    connection.close()  # drop the bulk-load session settings
    return SeedReport(tickets, seconds, False, _counts())


def _late_steps(seeder: _Seeder) -> list[tuple[str, Callable[[], int], type[models.Model]]]:
    """Steps that came after the first seeds, each with the model whose emptiness says it is due."""
    return [
        ("parts, stores, stock ledger", seeder.stock_ledger, StockMovement),
        ("requisitions awaiting approval", seeder.requisitions, Requisition),
    ]


def _run_steps(steps, log: Callable[[str], None]) -> None:
    for label, step, *_table_model in steps:
        step_started = time.monotonic()
        with transaction.atomic():
            rows = step()
        log(f"  {label:<40} {rows:>10,} rows {time.monotonic() - step_started:8.1f} s")


def _counts() -> dict[str, int]:
    counted = [
        Customer,
        CustomerPhone,
        Unit,
        RepairTicket,
        TicketEvent,
        MaintenanceContract,
        User,
        StockMovement,
    ]
    with connection.cursor() as cursor:
        counts = {}
        for model in counted:
            cursor.execute(f"SELECT count(*) FROM {quoted_table(model)}")
            counts[model._meta.db_table] = cursor.fetchone()[0]
    return counts


class _Seeder:
    """The steps of `seed`; each runs in its own transaction and returns the rows it wrote."""

    def __init__(self, tickets: int) -> None:
        self.ticket_count = tickets
        self.customers_count = max(1, round(tickets * CUSTOMERS_PER_TICKET))
        self.units_count = max(self.customers_count, round(tickets * UNITS_PER_TICKET))
        self.now = timezone.now().replace(microsecond=0)
        self.first_report = self.now - datetime.timedelta(days=SPAN_DAYS)
        self.first_purchase = (self.first_report - datetime.timedelta(days=PURCHASES_BEFORE_DAYS)).date()
        self.last_purchase = (self.now - datetime.timedelta(days=1)).date()

    def truncate(self) -> int:
        # CASCADE empties every table that points at these: users, customers, units, tickets,
        # history, contracts, sequences, tokens, stored KPI counts (and the list of months stored).
        # Groups, permissions and policies stay.
        tables = [Branch, ProductModel]
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {', '.join(quoted_table(model) for model in tables)}, {quoted_table(SummarisedMonth)},"
                " django_session RESTART IDENTITY CASCADE"
            )
        return 0

    def reference_rows(self) -> int:
        headquarters = Branch.objects.create(code="HQ", name="总部售后服务部", kind=Branch.Kind.HEADQUARTERS)
        groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
        names = (
            (FAMILY_NAMES[i % len(FAMILY_NAMES)], GIVEN_NAMES[(i * 7) % len(GIVEN_NAMES)])
            for i in itertools.count()
        )
        memberships = []
        rows = 1
        self.branch_rows = []
        for spec in BRANCHES:
            branch = Branch.objects.create(
                code=spec.code, name=spec.name, kind=Branch.Kind.SERVICE_STATION, parent=headquarters
            )
            people: dict[str, list[User]] = {Role.DISPATCHER: [], Role.TECHNICIAN: [], Role.SUPERVISOR: []}
            for role, count in (
                (Role.DISPATCHER, spec.dispatchers),
                (Role.TECHNICIAN, spec.technicians),
                (Role.SUPERVISOR, 1),
            ):
                for index in range(1, count + 1):
                    family, given = next(names)
                    user = User(
                        username=f"bench-{spec.code.lower()}-{role}{index:02d}",
                        last_name=family,
                        first_name=given,
                        branch=branch,
                    )
                    user.set_unusable_password()  # no password hashing for 60 users
                    people[role].append(user)
            created = User.objects.bulk_create([user for users in people.values() for user in users])
            rows += 1 + len(created)
            for role, users in people.items():
                memberships += [
                    User.groups.through(user_id=user.pk, group_id=groups[role].pk) for user in users
                ]
            self.branch_rows.append((branch, spec, people))
        User.groups.through.objects.bulk_create(memberships)
        policies = {policy.slug: policy for policy in WarrantyPolicy.objects.all()}
        self.product_models = ProductModel.objects.bulk_create(
            ProductModel(code=code, name=name, category=category, warranty_policy=policies[slug])
            for code, name, category, slug in PRODUCT_MODELS
        )
        self._temp_tables(policies.values())
        return rows + len(memberships) + len(self.product_models)

    def _temp_tables(self, policies) -> None:
        """Per-branch people and per-policy verdicts, for the joins of the bulk statements."""
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_branch (branch_id bigint PRIMARY KEY, code text, lo float8, hi float8,"
                " city text, area_code text, districts text[], dispatchers bigint[], technicians bigint[],"
                " supervisor bigint) ON COMMIT PRESERVE ROWS"
            )
            low = 0.0
            for branch, spec, people in self.branch_rows:
                high = 1.0 if spec is BRANCHES[-1] else low + spec.share
                cursor.execute(
                    "INSERT INTO bench_branch VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        branch.pk,
                        spec.code,
                        low,
                        high,
                        spec.city,
                        spec.area_code,
                        list(spec.districts),
                        [user.pk for user in people[Role.DISPATCHER]],
                        [user.pk for user in people[Role.TECHNICIAN]],
                        people[Role.SUPERVISOR][0].pk,
                    ],
                )
                low = high
            # The verdict a call gets for a quality fault, by policy and age of the unit, from the
            # real rules; `end_offset` moves its warranty end to each unit's own purchase date.
            cursor.execute(
                "CREATE TEMP TABLE bench_verdict (policy_id bigint, bucket int, under_contract boolean,"
                " remedy text, category text, end_offset int, decision jsonb,"
                " PRIMARY KEY (policy_id, bucket, under_contract))"
            )
            report_date = self.now.date()
            for policy in policies:
                terms = policy.to_terms()
                for (bucket, age), under_contract in itertools.product(enumerate(AGE_SAMPLES), (False, True)):
                    purchased = report_date - datetime.timedelta(days=age)
                    decision = rules.evaluate(
                        terms,
                        rules.WarrantyRequest(
                            purchase_date=purchased,
                            report_date=report_date,
                            fault=rules.Fault.QUALITY,
                            under_contract=under_contract,
                        ),
                    )
                    end = decision.warranty_end
                    cursor.execute(
                        "INSERT INTO bench_verdict VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        [
                            policy.pk,
                            bucket,
                            under_contract,
                            decision.remedy.value,
                            service_category_for(decision),
                            None if end is None else (end - purchased).days,
                            json.dumps(decision.as_dict(), ensure_ascii=False),
                        ],
                    )

    def customers(self) -> int:
        person = f"{_pick(_text_array(FAMILY_NAMES), 's.r3')} || {_pick(_text_array(GIVEN_NAMES), 's.r4')}"
        company = (
            f"{_pick(_text_array(COMPANY_WORDS), 's.r3')} || {_pick(_text_array(COMPANY_KINDS), 's.r4')}"
        )
        zone = _weighted("s.r5", [("city", 0.70), ("suburb", 0.25), ("remote", 0.05)])
        with connection.cursor() as cursor:
            return insert_select(
                cursor,
                Customer,
                {
                    "id": "s.g",
                    "name": f"CASE WHEN s.company THEN {company} ELSE {person} END",
                    "kind": "CASE WHEN s.company THEN 'company' ELSE 'person' END",
                    "contact_person": f"CASE WHEN s.company THEN {person} ELSE '' END",
                    "address": f"b.city || {_pick('b.districts', 's.r6')} || {_pick(_text_array(ROADS), 's.r7')}"
                    " || (1 + floor(s.r8 * 999))::int || '号'",
                    "service_zone": zone,
                    "distance_km": "round((CASE WHEN s.r5 < 0.70 THEN 2 + s.r9 * 13 WHEN s.r5 < 0.95"
                    " THEN 15 + s.r9 * 35 ELSE 50 + s.r9 * 150 END)::numeric, 1)",
                    "branch": "b.branch_id",
                    "created_at": "%(first_report)s::timestamptz + (s.g - 1) * %(step)s * interval '1 second'",
                },
                "(SELECT g, random() AS branch_roll, random() < 0.12 AS company, random() AS r3, random() AS r4,"
                " random() AS r5, random() AS r6, random() AS r7, random() AS r8, random() AS r9"
                " FROM generate_series(1, %(customers)s) g) s"
                " JOIN bench_branch b ON s.branch_roll >= b.lo AND s.branch_roll < b.hi",
                {
                    "customers": self.customers_count,
                    "first_report": self.first_report,
                    "step": SPAN_DAYS * 86400 / self.customers_count,
                },
            )

    def phones(self) -> int:
        mobile = f"{_pick(_text_array(map(str, MOBILE_PREFIXES)), 'random()')} || lpad(floor(random() * 1e8)::bigint::text, 8, '0')"
        landline = "b.area_code || (2 + floor(random() * 8))::int || lpad(floor(random() * 1e7)::bigint::text, 7, '0')"
        source = f"{quoted_table(Customer)} c JOIN bench_branch b ON b.branch_id = c.branch_id"
        with connection.cursor() as cursor:
            first = insert_select(
                cursor,
                CustomerPhone,
                {
                    "customer": "c.id",
                    "number": f"CASE WHEN c.kind = 'company' THEN {landline} ELSE {mobile} END",
                    "label": "''",
                },
                source,
            )
            # A second number (a mobile) for about a third of the customers.
            second = insert_select(
                cursor,
                CustomerPhone,
                {"customer": "c.id", "number": mobile, "label": "'手机'"},
                f"{source} WHERE random() < 0.3 ON CONFLICT DO NOTHING",
            )
        return first + second

    def units(self) -> int:
        # Purchase dates rise with the unit id, so a ticket can pick a unit bought before it.
        purchase = "%(first_purchase)s::date + floor((s.g - 1) * %(purchase_days)s / %(units)s)::int"
        with connection.cursor() as cursor:
            return insert_select(
                cursor,
                Unit,
                {
                    "id": "s.g",
                    "product_model": "m.id",
                    "serial_number": f"upper(left(m.code, 3)) || to_char({purchase}, 'YYMM') || lpad(s.g::text, 8, '0')",
                    # The first units one per customer, the rest to customers who own several.
                    "owner": "CASE WHEN s.g <= %(customers)s THEN s.g ELSE 1 + floor(s.r2 * %(customers)s)::bigint END",
                    "purchase_date": purchase,
                    "purchase_place": _pick(_text_array(SHOPS), "s.r3"),
                    "sales_channel": "CASE WHEN s.r4 < 0.15 THEN 'dealer' ELSE 'direct' END",
                    "warranty_card_no": "'WC' || lpad(s.g::text, 9, '0')",
                    "created_at": f"({purchase})::timestamptz",
                },
                "(SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4"
                " FROM generate_series(1, %(units)s) g) s"
                " JOIN (SELECT id, code, row_number() OVER (ORDER BY id) AS k FROM "
                f"{quoted_table(ProductModel)}) m ON m.k = 1 + floor(s.r1 * %(models)s)::int",
                {
                    "units": self.units_count,
                    "customers": self.customers_count,
                    "models": len(self.product_models),
                    "first_purchase": self.first_purchase,
                    "purchase_days": (self.last_purchase - self.first_purchase).days,
                },
            )

    def contracts(self) -> int:
        """A maintenance contract for one company customer in five, some of them expired."""
        with connection.cursor() as cursor:
            return insert_select(
                cursor,
                MaintenanceContract,
                {
                    "number": "'HT' || lpad(c.id::text, 9, '0')",
                    "customer": "c.id",
                    "unit": "NULL",
                    "start_date": "s.start_date",
                    "end_date": "s.start_date + 365 * (1 + (c.id %% 2))::int - 1",
                    "terms": "'每季度上门保养一次,保养期内维修免人工费。'",
                },
                f"{quoted_table(Customer)} c CROSS JOIN LATERAL"
                " (SELECT current_date - (c.id * 7919 %% 900)::int AS start_date) s"
                " WHERE c.kind = 'company' AND c.id %% 5 = 0",
            )

    def plan(self) -> int:
        """Per ticket: its unit, report time and state, decided before the joins of the insert."""
        technicians = sum(spec.technicians for spec in BRANCHES)
        expected_open = self.ticket_count * (
            RECENT_SHARE * OPEN_WHEN_RECENT + (1 - RECENT_SHARE) * OPEN_WHEN_OLDER
        )
        active = min(0.5, technicians * ACTIVE_JOBS_PER_TECHNICIAN / max(1.0, expected_open))
        state = (
            "CASE WHEN s.open_roll < CASE WHEN s.g > %(recent_from)s THEN %(open_recent)s ELSE %(open_older)s END"
            f" THEN CASE WHEN s.kind_roll < %(active)s THEN {_weighted('s.kind_roll / %(active)s', ACTIVE_SPLIT)}"
            f" ELSE {_weighted('(s.kind_roll - %(active)s) / (1 - %(active)s)', WAITING_SPLIT)} END"
            f" ELSE {_weighted('s.kind_roll', DONE_SPLIT)} END"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                CREATE TEMP TABLE bench_plan AS
                SELECT s.g AS id, s.reported_at, (s.reported_at AT TIME ZONE %(tz)s)::date AS local_day,
                       -- a unit bought before the call, recently bought ones more often
                       greatest(1, s.bought - floor(power(s.unit_roll, 2) * s.bought))::bigint AS unit_id,
                       {state} AS state,
                       0.5 + s.pace_roll AS pace, s.r1, s.r2, s.r3, s.r4
                FROM (
                    SELECT g, t.reported_at,
                           greatest(1, least(%(units)s, floor(%(units)s * extract(epoch FROM t.reported_at
                               - %(first_purchase)s::timestamptz) / %(purchase_seconds)s)))::bigint AS bought,
                           random() AS unit_roll, random() AS open_roll, random() AS kind_roll,
                           random() AS pace_roll, random() AS r1, random() AS r2, random() AS r3, random() AS r4
                    FROM generate_series(1, %(tickets)s) g
                    CROSS JOIN LATERAL (SELECT %(first_report)s::timestamptz
                        + (g - 1) * %(step)s * interval '1 second' AS reported_at) t
                ) s
                """,
                {
                    "tz": settings.TIME_ZONE,
                    "tickets": self.ticket_count,
                    "units": self.units_count,
                    "first_report": self.first_report,
                    "first_purchase": self.first_purchase,
                    "purchase_seconds": (self.last_purchase - self.first_purchase).days * 86400,
                    "step": (SPAN_DAYS * 86400 - 3600) / self.ticket_count,
                    "recent_from": round(self.ticket_count * (1 - RECENT_SHARE)),
                    "open_recent": OPEN_WHEN_RECENT,
                    "open_older": OPEN_WHEN_OLDER,
                    "active": active,
                },
            )
            rows = cursor.rowcount
            cursor.execute("ANALYZE bench_plan")
            return rows

    def tickets(self) -> int:
        def at(step: str, offset: str) -> str:
            """The time of a step for tickets whose path went through it, never in the future."""
            return f"CASE WHEN {_in('p.state', _states_through(step))} THEN least(now(), p.reported_at + {offset}) END"

        closed = at("follow_up", "p.pace * interval '5 days'")
        cancelled = at("cancel", "p.pace * interval '3 hours'")
        completed_on_site = _in("p.state", _states_through("complete_visit"))
        completed_in_factory = _in("p.state", _states_through("finish_factory_repair"))
        descriptions = " ".join(
            f"WHEN '{category}' THEN {_pick(_text_array(texts), 'p.r1')}"
            for category, texts in FAULTS.items()
        )
        version = " ".join(f"WHEN '{state}' THEN {len(steps) + 1}" for state, steps in PATHS.items())
        unassigned = [str(State.REPORTED), str(State.CANCELLED)]
        # Fields of the service report (tickets 0002), set as check_in and sign_report would.
        visits = {
            "visit_count": f"CASE WHEN {_in('p.state', _states_through('check_in'))} THEN 1 ELSE 0 END",
            "report_signed": completed_on_site,
        }
        with connection.cursor() as cursor:
            return insert_select(
                cursor,
                RepairTicket,
                {
                    **{name: value for name, value in visits.items() if _has_field(RepairTicket, name)},
                    "id": "p.id",
                    # allocate_ticket_number's format; the sequence counts per branch and local day.
                    "number": "b.code || '-' || to_char(p.local_day, 'YYYYMMDD') || '-' || lpad((row_number()"
                    " OVER w)::text, greatest(4, length((row_number() OVER w)::text)), '0')",
                    "branch": "c.branch_id",
                    "customer": "c.id",
                    "unit": "u.id",
                    "reported_by": _pick("b.dispatchers", "p.r2"),
                    "channel": _weighted(
                        "p.r3", [("phone", 0.70), ("web", 0.15), ("walk_in", 0.10), ("letter", 0.05)]
                    ),
                    "priority": "CASE WHEN p.r4 < 0.1 THEN 'urgent' ELSE 'normal' END",
                    "fault_category": "pm.category",
                    "fault_description": f"CASE pm.category {descriptions} END",
                    "fault_cause": _weighted("p.r2", [("quality", 0.85), ("customer", 0.12), ("none", 0.03)]),
                    "conditions": "'[]'::jsonb",
                    "service_category": "v.category",
                    "warranty_remedy": "v.remedy",
                    "warranty_decision": "CASE WHEN v.end_offset IS NULL THEN v.decision ELSE jsonb_set(v.decision,"
                    " '{warranty_end}', to_jsonb(to_char(u.purchase_date + v.end_offset, 'YYYY-MM-DD'))) END",
                    "state": "p.state",
                    "version": f"CASE p.state {version} END",
                    "technician": f"CASE WHEN {_in('p.state', unassigned)} THEN NULL"
                    f" ELSE {_pick('b.technicians', 'p.r3')} END",
                    "due_at": "p.reported_at + %(due)s * interval '1 hour'",
                    "reported_at": "p.reported_at",
                    "dispatched_at": at("dispatch", "p.pace * interval '2 hours'"),
                    "arrived_at": at("check_in", "p.pace * interval '8 hours'"),
                    "completed_at": f"CASE WHEN {completed_on_site} THEN least(now(), p.reported_at + p.pace * interval"
                    f" '10 hours') WHEN {completed_in_factory} THEN least(now(), p.reported_at + p.pace * interval"
                    " '10 days') END",
                    "accepted_at": at("accept", "p.pace * interval '2 days'"),
                    "closed_at": f"COALESCE({closed}, {cancelled})",
                    "work_summary": f"CASE WHEN {completed_on_site} THEN {_literal(NOTES['complete_visit'])}"
                    f" WHEN {completed_in_factory} THEN {_literal(NOTES['finish_factory_repair'])} ELSE '' END",
                },
                "bench_plan p"
                f" JOIN {quoted_table(Unit)} u ON u.id = p.unit_id"
                f" JOIN {quoted_table(Customer)} c ON c.id = u.owner_id"
                f" JOIN {quoted_table(ProductModel)} pm ON pm.id = u.product_model_id"
                " JOIN bench_branch b ON b.branch_id = c.branch_id"
                " JOIN bench_verdict v ON v.policy_id = pm.warranty_policy_id"
                " AND v.bucket = width_bucket(p.local_day - u.purchase_date, %(age_limits)s::int[])"
                f" AND v.under_contract = EXISTS (SELECT 1 FROM {quoted_table(MaintenanceContract)} mc"
                " WHERE mc.customer_id = c.id AND mc.start_date <= p.local_day AND mc.end_date >= p.local_day)"
                " WINDOW w AS (PARTITION BY c.branch_id, p.local_day ORDER BY p.id)",
                {"due": settings.TICKET_DEFAULT_DUE_HOURS, "age_limits": AGE_LIMITS},
            )

    def events(self) -> int:
        """One history row per step of the path to each ticket's state, inserted in time order."""
        reached = {tuple(steps): state for state, steps in PATHS.items()}
        path_rows = []
        for state, steps in PATHS.items():
            path_rows.append((state, 0, "log_call", "", State.REPORTED, "dispatcher"))
            for index, step in enumerate(steps):
                before = reached[tuple(steps[:index])] if index else State.REPORTED
                path_rows.append(
                    (state, index + 1, step, before, reached[tuple(steps[: index + 1])], ACTOR_FOR[step])
                )
        at = (
            "CASE s.action WHEN 'log_call' THEN t.reported_at WHEN 'dispatch' THEN t.dispatched_at"
            " WHEN 'check_in' THEN t.arrived_at"
            " WHEN 'request_return' THEN least(now(), t.arrived_at + interval '1 hour')"
            " WHEN 'approve_return' THEN least(now(), t.arrived_at + interval '1 day')"
            " WHEN 'complete_visit' THEN t.completed_at WHEN 'finish_factory_repair' THEN t.completed_at"
            " WHEN 'accept' THEN t.accepted_at ELSE t.closed_at END"
        )
        notes = " ".join(f"WHEN '{step}' THEN {_literal(note)}" for step, note in NOTES.items())
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_path (state text, step int, action text, from_state text,"
                " to_state text, actor text)"
            )
            cursor.executemany(
                "INSERT INTO bench_path VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    tuple(str(value) if not isinstance(value, int) else value for value in row)
                    for row in path_rows
                ],
            )
            rows = insert_select(
                cursor,
                TicketEvent,
                {
                    "ticket": "t.id",
                    "actor": "CASE s.actor WHEN 'dispatcher' THEN t.reported_by_id WHEN 'technician'"
                    " THEN t.technician_id ELSE b.supervisor END",
                    "at": "e.at",
                    "action": "s.action",
                    "from_state": "s.from_state",
                    "to_state": "s.to_state",
                    "note": f"CASE s.action WHEN 'log_call' THEN t.fault_description {notes} ELSE '' END",
                    "data": "CASE s.action WHEN 'log_call' THEN jsonb_build_object('warranty', t.warranty_decision)"
                    " WHEN 'dispatch' THEN jsonb_build_object('technician', t.technician_id, 'technician_name',"
                    " tech.last_name || tech.first_name) ELSE '{}'::jsonb END",
                },
                f"{quoted_table(RepairTicket)} t JOIN bench_path s ON s.state = t.state"
                " JOIN bench_branch b ON b.branch_id = t.branch_id"
                f" LEFT JOIN {quoted_table(User)} tech ON tech.id = t.technician_id"
                f" CROSS JOIN LATERAL (SELECT {at} AS at) e"
                " ORDER BY e.at, t.id, s.step",
            )
            # What apply_transition keeps: when the ticket entered its state.
            cursor.execute(
                f"UPDATE {quoted_table(RepairTicket)} t SET state_changed_at = e.at FROM (SELECT ticket_id, max(at) AS at"
                f" FROM {quoted_table(TicketEvent)} WHERE to_state <> from_state GROUP BY ticket_id) e WHERE e.ticket_id = t.id"
            )
            return rows

    def sequences(self) -> int:
        """Carry the numbering on, so a call logged today does not reuse a seeded number."""
        with connection.cursor() as cursor:
            return insert_select(
                cursor,
                DocumentSequence,
                {"kind": "'ticket'", "branch": "p.branch_id", "day": "p.day", "last_value": "p.tickets"},
                "(SELECT t.branch_id, (t.reported_at AT TIME ZONE %(tz)s)::date AS day, count(*) AS tickets"
                f" FROM {quoted_table(RepairTicket)} t GROUP BY 1, 2) p",
                {"tz": settings.TIME_ZONE},
            )

    def identities(self) -> int:
        """The bulk rows carry their own ids: move the identity sequences past them."""
        with connection.cursor() as cursor:
            for model in (Customer, Unit, RepairTicket):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {quoted_table(model)}))",
                    [table],
                )
            cursor.execute("DROP TABLE bench_plan")
        return 0

    def stock_ledger(self) -> int:
        """Stores, parts and their ledger: per store and part one receipt of 200, then issues of 1–3,
        with `balance_after` as the running sum and the stock levels equal to the ledger's totals."""
        supplier, _created = Supplier.objects.get_or_create(
            code="BENCH", defaults={"name": "华东配件有限公司"}
        )
        existing = set(Part.objects.filter(code__startswith="BP").values_list("code", flat=True))
        Part.objects.bulk_create(
            Part(
                code=code,
                name=PART_NAMES[i % len(PART_NAMES)],
                specification=f"型号 {i % 97:02d}",
                cost=10 + i % 300,
                market_price=15 + i % 300 * 1.5,
                supplier=supplier,
            )
            for i in range(PART_COUNT)
            if (code := f"BP{i:05d}") not in existing
        )
        stores = Warehouse.objects.bulk_create(
            Warehouse(
                code=f"BENCH-{branch.code}",
                name=f"{branch.name}仓库",
                kind=Warehouse.Kind.CENTRAL
                if branch.kind == Branch.Kind.HEADQUARTERS
                else Warehouse.Kind.STATION,
                branch=branch,
            )
            for branch in Branch.objects.order_by("pk")
        )
        keeper = User.objects.order_by("pk").first()
        with connection.cursor() as cursor:
            rows = insert_select(
                cursor,
                StockMovement,
                {
                    "part": "m.part_id",
                    "warehouse": "m.warehouse_id",
                    "condition": "'good'",
                    "kind": "CASE WHEN m.n = 0 THEN 'receipt' ELSE 'issue' END",
                    "quantity": "m.quantity",
                    "balance_after": "sum(m.quantity) OVER (PARTITION BY m.warehouse_id, m.part_id ORDER BY m.n)",
                    "actor": str(keeper.pk),
                    "at": "%(start)s::timestamptz + m.n * interval '60 days' + random() * interval '50 days'",
                    "reference": "'BENCH-' || m.warehouse_id || '-' || m.part_id || '-' || m.n",
                },
                "(SELECT w.id AS warehouse_id, p.id AS part_id, n,"
                " CASE WHEN n = 0 THEN 200 ELSE -1 - floor(random() * 3)::int END AS quantity"
                " FROM parts_warehouse w CROSS JOIN parts_part p CROSS JOIN generate_series(0, %(last)s) n"
                " WHERE w.id = ANY(%(stores)s) AND p.code LIKE 'BP%%') m ORDER BY m.warehouse_id, m.part_id, m.n",
                {
                    "start": self.first_report,
                    "last": MOVEMENTS_PER_SHELF - 1,
                    "stores": [s.pk for s in stores],
                },
            )
            rows += insert_select(
                cursor,
                StockLevel,
                {"part": "part_id", "warehouse": "warehouse_id", "condition": "'good'", "on_hand": "total"},
                "(SELECT part_id, warehouse_id, sum(quantity) AS total FROM parts_stockmovement"
                " WHERE warehouse_id = ANY(%(stores)s) GROUP BY 1, 2) totals",
                {"stores": [s.pk for s in stores]},
            )
        return rows + PART_COUNT + len(stores)

    def requisitions(self) -> int:
        """A waiting requisition (one line) for each of the newest jobs on site, for the approvals inbox."""
        with connection.cursor() as cursor:
            rows = insert_select(
                cursor,
                Requisition,
                {
                    "number": "'BENCH-R' || t.id",
                    "branch": "t.branch_id",
                    "ticket": "t.id",
                    "requested_by": "t.technician_id",
                    "technician": "t.technician_id",
                    "warehouse": "w.id",
                    "reason": "'更换损坏配件'",
                    "state": "'submitted'",
                    "created_at": "t.reported_at + interval '3 hours'",
                },
                f"{quoted_table(RepairTicket)} t JOIN parts_warehouse w ON w.branch_id = t.branch_id"
                " AND w.code LIKE 'BENCH-%%' WHERE t.state = 'on_site'",
            )
            insert_select(
                cursor,
                RequisitionLine,
                {"requisition": "r.id", "part": "p.ids[1 + r.id %% array_length(p.ids, 1)]", "quantity": "2"},
                "parts_requisition r, (SELECT array_agg(id ORDER BY id) AS ids FROM parts_part"
                " WHERE code LIKE 'BP%%') p WHERE r.number LIKE 'BENCH-R%%'",
            )
        return rows * 2
