"""A generated call book (叫修登记簿) of any size, and `manage.py bench_callbook`: its dry run, import and
undo timed through the same code the worker runs (tickets.callbook), with rows/s and peak memory.

The book: one row per call over ten years; every customer calls 2 times on average (so a third of the
rows find their customer again by phone, written in varying forms: +86, spaces, dashes), each customer
has one unit, and every row is a closed historical ticket of it.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
import resource
import time
from collections.abc import Callable, Iterable, Iterator

import openpyxl
from django.db import transaction
from django.utils import timezone

from accounts.models import Branch
from customers.models import ImportBatch
from tickets import callbook
from tickets.callbook_rules import COLUMNS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
FAULTS = ("不制冷", "外机不转", "漏水", "噪音大", "遥控失灵", "显示E1故障码", "不开机", "制热效果差")
OUTCOMES = ("更换电容,试机正常", "清洗滤网", "补充冷媒", "更换主板", "紧固管路,排除漏水")
PHONE_FORMS = ("{p}", "+86 {a} {b} {c}", "{a}-{b}-{c}", "86{p}", "{a} {b} {c}")


def customer_name(customer: int) -> str:
    """The same name on every call of a customer (two names on one phone are warned about)."""
    return (
        SURNAMES[customer % len(SURNAMES)]
        + GIVEN[customer // len(SURNAMES) % len(GIVEN)]
        + GIVEN[customer // (len(SURNAMES) * len(GIVEN)) % len(GIVEN)]
    )


def phone_form(number: str, rng: random.Random) -> str:
    form = rng.choice(PHONE_FORMS)
    return form.format(p=number, a=number[:3], b=number[3:7], c=number[7:])


def generate_rows(
    count: int, *, model_code: str, seed: int = 21, today: datetime.date | None = None
) -> Iterator[list[str]]:
    """The header and `count` data rows, one at a time (a list of 100,000 rows would be the biggest
    thing in the bench's memory)."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    customers = max(1, count // 2)
    yield [column.header for column in COLUMNS]
    for index in range(count):
        customer = rng.randrange(customers) if index >= customers else index
        number = f"139{customer:08d}"
        reported = today - datetime.timedelta(days=rng.randrange(30, 3650))
        purchased = reported - datetime.timedelta(days=rng.randrange(0, 700))
        completed = reported + datetime.timedelta(days=rng.randrange(0, 5))
        values = {
            "customer_name": customer_name(customer),
            "phone": phone_form(number, rng),
            "address": f"上海市浦东新区张江路 {customer % 900 + 1} 号",
            "model_code": model_code,
            "serial": f"BK{customer:09d}",
            "purchase_date": purchased.isoformat(),
            "purchase_place": "国美浦东店",
            "warranty_card_no": f"BX{customer:08d}",
            "reported_at": f"{reported:%Y/%m/%d}",
            "fault_description": f"{rng.choice(FAULTS)}(第 {index} 次来电)",
            "remedy": rng.choice(("免费维修", "收费维修")),
            "work_summary": rng.choice(OUTCOMES),
            "completed_at": completed.isoformat(),
            "closed_at": (completed + datetime.timedelta(days=3)).isoformat(),
            "fee": str(rng.choice((0, 80, 120, 260))),
            "technician": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "state": "已关闭",
        }
        yield [values.get(column.key, "") for column in COLUMNS]


def as_csv(rows: Iterable[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def as_xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("叫修登记簿")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(*, rows: int, user, model_code: str, undo: bool, log: Callable[[str], None]) -> dict:
    """Generate, check, import (and undo) a call book of `rows` rows on this database; the timings."""
    started = time.monotonic()
    content = as_csv(generate_rows(rows, model_code=model_code))
    log(f"generated {rows} rows, {len(content) / 1e6:.1f} MB csv in {time.monotonic() - started:.1f} s")
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            file_name=f"bench-{rows}.csv",
            content=content,
            branch=Branch.objects.order_by("pk").first(),
            created_by=user,
        )
    result: dict = {"rows": rows}
    started = time.monotonic()
    state = callbook.check_batch(batch.pk)
    result["check_s"] = time.monotonic() - started
    batch.refresh_from_db()
    if state != ImportBatch.State.CHECKED:
        raise RuntimeError(f"dry run: {state}, first errors {batch.errors[:3]}")
    log(f"dry run: {result['check_s']:.1f} s, {rows / result['check_s']:.0f} rows/s, counts {batch.counts}")
    callbook.start_import(batch_id=batch.pk, user=user)
    started = time.monotonic()
    callbook.import_batch(batch.pk)
    result["import_s"] = time.monotonic() - started
    log(
        f"import: {result['import_s']:.1f} s, {rows / result['import_s']:.0f} rows/s "
        f"(dry run + write, one transaction)"
    )
    if undo:
        started = time.monotonic()
        callbook.start_undo(batch_id=batch.pk, user=user)
        removed = callbook.undo_batch(batch.pk)
        result["undo_s"] = time.monotonic() - started
        log(f"undo: {result['undo_s']:.1f} s, removed {removed}")
    result["peak_mb"] = peak_memory_mb()
    log(f"peak memory of this process: {result['peak_mb']:.0f} MB")
    return result
