"""The call book template (叫修登记簿) a department brings its history in with, and how one of its rows
is read: pure functions over cell values, no database (tickets.callbook loads and writes).

One row is one call: the customer (found again by phone), optionally the unit (by serial number) and,
when it has a report date, the historical ticket with its outcome. Headers are Chinese, as the
department's own spreadsheets have them; a few common synonyms are accepted. Row numbers are the
spreadsheet's: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_noop

from aftersales.bounds import EARLIEST_DATE
from aftersales.categories import FaultCategory
from aftersales.texts import Text
from customers.phones import InvalidPhone, normalize_phone

MAX_FEE = Decimal("99999999.99")  # RepairTicket.imported_fee: 10 digits, 2 after the point
# Excel stores a date as days since 1899-12-30; a csv saved from a cell without a date format shows it.
EXCEL_EPOCH = datetime.date(1899, 12, 30)
EXCEL_SERIALS = range(20_000, 80_000)  # 1954 … 2119: a bare number in this range is a date
# A date without a time is put at noon, Beijing time: its day is the same in UTC.
NOON = datetime.time(12, 0)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as in the template
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    required: bool = False


COLUMNS = (
    Column("customer_name", "客户名称", ("客户", "客户姓名", "姓名", "用户名称", "用户姓名"), 100, True),
    Column(
        "phone", "联系电话", ("电话", "手机", "手机号", "手机号码", "电话号码", "客户电话"), required=True
    ),
    Column("address", "地址", ("客户地址", "详细地址", "用户地址"), 200),
    Column("contact_person", "联系人", (), 50),
    Column("customer_kind", "客户类型", ("类型",)),
    Column("branch", "服务网点", ("网点", "网点代码")),
    Column("model_code", "产品型号", ("型号", "机型")),
    Column("serial", "序列号", ("机身编号", "出厂编号", "机号", "产品编号", "条码"), 60),
    Column("purchase_date", "购买日期", ("购机日期", "购买时间")),
    Column("purchase_place", "购买地点", ("购买商场", "购买单位", "购机地点"), 100),
    Column("warranty_card_no", "保修卡号", ("保修卡编号", "三包凭证号"), 40),
    Column("reported_at", "报修日期", ("报修时间", "来电日期", "来电时间", "叫修日期")),
    Column("fault_description", "故障描述", ("故障现象", "故障内容", "报修内容")),
    Column("fault_category", "故障类别", ("故障类型",)),
    Column("remedy", "保修结论", ("处理方式", "保修判定", "保内保外")),
    Column("work_summary", "处理结果", ("维修结果", "维修记录", "处理情况")),
    Column("completed_at", "完工日期", ("完成日期", "维修日期", "完工时间")),
    Column("closed_at", "关闭日期", ("回访日期", "结案日期", "关闭时间")),
    Column("fee", "服务费", ("收费金额", "费用", "维修费", "收费")),
    Column("technician", "技术员", ("维修人员", "维修员", "服务人员", "维修工"), 60),
    Column("state", "工单状态", ("状态",)),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

# The template's sample row (the download and the README show it).
SAMPLE_ROW = {
    "customer_name": "张伟",
    "phone": "138 0013 8000",
    "address": "上海市浦东新区世纪大道 100 号",
    "contact_person": "",
    "customer_kind": "个人",
    "branch": "",
    "model_code": "KFR-35GW",
    "serial": "KFR35-2023-000123",
    "purchase_date": "2023-06-18",
    "purchase_place": "国美浦东店",
    "warranty_card_no": "BX-2023-0456",
    "reported_at": "2024-03-05",
    "fault_description": "不制冷,外机不转",
    "fault_category": "家电",
    "remedy": "免费维修",
    "work_summary": "更换外机电容,试机正常",
    "completed_at": "2024-03-06",
    "closed_at": "2024-03-10",
    "fee": "0",
    "technician": "李强",
    "state": "已关闭",
}

REMEDIES = {
    "refund": ("退货", "退款", "退机"),
    "replace": ("换货", "换机", "更换新机"),
    "free_repair": ("免费维修", "保修", "保内", "保内维修", "免费"),
    "paid_repair": ("收费维修", "保外", "保外维修", "有偿维修", "收费"),
}
STATES = {"closed": ("已关闭", "关闭", "已完成", "完成", "已回访", "已结案"), "cancelled": ("已取消", "取消")}
KINDS = {"person": ("个人", "私人"), "company": ("单位", "公司", "企业")}
FAULT_CATEGORIES = {
    FaultCategory.APPLIANCE.value: ("家电", "家用电器"),
    FaultCategory.BODY.value: ("车身", "车身故障"),
    FaultCategory.CHASSIS_ENGINE.value: ("底盘", "发动机", "底盘/发动机", "底盘发动机"),
    FaultCategory.OTHER.value: ("其他", "其它"),
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the header as the file has it ("" for the row as a whole)
    message: Text

    def as_json(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message.as_json()}


@dataclass(slots=True)
class CallbookRow:
    """One data row, read: every value in its normal form (phone, serial, dates, fee). Slots: a big
    call book holds 100,000 of them."""

    row: int
    customer_name: str = ""
    phone: str = ""
    address: str = ""
    contact_person: str = ""
    customer_kind: str = "person"
    branch: str = ""
    model_code: str = ""
    serial: str = ""
    purchase_date: datetime.date | None = None
    purchase_place: str = ""
    warranty_card_no: str = ""
    reported_at: datetime.datetime | None = None
    fault_description: str = ""
    fault_category: str = ""
    remedy: str = ""
    work_summary: str = ""
    completed_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    fee: Decimal | None = None
    technician: str = ""
    state: str = "closed"
    errors: list[RowError] = field(default_factory=list)

    @property
    def has_ticket(self) -> bool:
        return self.reported_at is not None

    @property
    def has_unit(self) -> bool:
        return bool(self.serial)


def clean_header(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).strip("*")


def map_headers(headers: list[object]) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    """({column key: position}, {column key: the header as written}, errors) for the header row."""
    wanted = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            wanted[clean_header(name)] = column.key
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    errors = []
    for position, header in enumerate(headers):
        key = wanted.get(clean_header(header))
        if key is None:
            continue
        if key in positions:
            errors.append(
                RowError(
                    1,
                    str(header),
                    Text(gettext_noop("与「%(other)s」重复,请只保留一列。")) % {"other": written[key]},
                )
            )
            continue
        positions[key] = position
        written[key] = str(header).strip()
    for column in COLUMNS:
        if column.required and column.key not in positions:
            errors.append(RowError(1, column.header, Text(gettext_noop("缺少必填列,请使用导入模板的表头。"))))
    return positions, written, errors


def cell_text(value: object) -> str:
    """A cell as text: numbers as Excel shows them (13800138000.0 → 13800138000), blanks trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?秒?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class NoSuchDate(ValueError):
    """A date written right that the calendar has not: 2023-02-30, 2023-04-31."""

    def __init__(self, year: int, month: int, day: int):
        super().__init__(f"{year}-{month}-{day}")
        self.year, self.month, self.day = year, month, day


def parse_datetime(value: object) -> datetime.datetime | None:
    """A date (and maybe a time) as spreadsheets hold it: a date cell, 2024-03-05, 2024/3/5, 2024.3.5,
    2024年3月5日, 20240305, an Excel day number, each maybe with 14:30. Naive (Beijing time); a date
    alone is put at noon. None for an empty cell; ValueError when it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return (
            value.replace(tzinfo=None)
            if value.time() != datetime.time(0)
            else value.combine(value.date(), NOON)
        )
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, NOON)
    text = cell_text(value)
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.0+)?", text) and int(float(text)) in EXCEL_SERIALS:
        return datetime.datetime.combine(EXCEL_EPOCH + datetime.timedelta(days=int(float(text))), NOON)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups()[:3])
    hour, minute, second = (int(part or 0) for part in (match.groups() + (None, None, None))[3:6])
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        if 1 <= month <= 12 and 1 <= day <= 31:
            raise NoSuchDate(year, month, day) from None
        raise
    if len(match.groups()) > 3 and match.group(4) is not None:
        return datetime.datetime.combine(date, datetime.time(hour, minute, second))
    return datetime.datetime.combine(date, NOON)


def parse_fee(value: object) -> Decimal | None:
    text = re.sub(r"[\s,¥￥元]", "", cell_text(value)).removeprefix("RMB")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not amount.is_finite():
        raise ValueError(text)
    return amount


def _choice(text: str, options: dict[str, tuple[str, ...]]) -> str | None:
    cleaned = clean_header(text)
    for value, words in options.items():
        if cleaned == value or cleaned in words:
            return value
    return None


def _choice_error(options: dict[str, tuple[str, ...]]) -> Text:
    return Text(gettext_noop("无法识别,请填写:%(options)s。")) % {
        "options": "、".join(words[0] for words in options.values())
    }


def read_row(
    number: int, cells: dict[str, object], headers: dict[str, str], today: datetime.date
) -> CallbookRow:
    """Read one data row (`cells`: {column key: raw cell}); its own errors are on `errors`. Checks that
    need other rows or the database (duplicates, unknown models, serials of other customers) are the
    caller's (tickets.callbook)."""
    row = CallbookRow(row=number)

    def fail(key: str, message: Text) -> None:
        row.errors.append(RowError(number, headers.get(key, COLUMN_BY_KEY[key].header), message))

    texts = {key: cell_text(value) for key, value in cells.items()}
    for column in COLUMNS:
        text = texts.get(column.key, "")
        if column.max_length and len(text) > column.max_length:
            fail(
                column.key,
                Text(gettext_noop("内容过长:最多 %(limit)d 个字。")) % {"limit": column.max_length},
            )
            texts[column.key] = ""

    row.customer_name = texts.get("customer_name", "")
    if not row.customer_name:
        fail("customer_name", Text(gettext_noop("必填,不能为空。")))
    phone = texts.get("phone", "")
    if not phone:
        fail("phone", Text(gettext_noop("必填,不能为空。")))
    else:
        try:
            row.phone = normalize_phone(phone)
        except InvalidPhone:
            fail(
                "phone",
                Text(gettext_noop("电话号码「%(value)s」无法识别:手机 11 位,座机带区号。"))
                % {"value": phone},
            )
    row.address = texts.get("address", "")
    row.contact_person = texts.get("contact_person", "")
    if texts.get("customer_kind"):
        kind = _choice(texts["customer_kind"], KINDS)
        if kind is None:
            fail("customer_kind", _choice_error(KINDS))
        else:
            row.customer_kind = kind
    row.branch = texts.get("branch", "")
    row.model_code = texts.get("model_code", "").upper()
    row.serial = texts.get("serial", "").upper()
    row.purchase_place = texts.get("purchase_place", "")
    row.warranty_card_no = texts.get("warranty_card_no", "")
    row.fault_description = texts.get("fault_description", "")
    row.work_summary = texts.get("work_summary", "")
    row.technician = texts.get("technician", "")

    dates = {}
    for key in ("purchase_date", "reported_at", "completed_at", "closed_at"):
        try:
            value = parse_datetime(cells.get(key))
        except NoSuchDate as exc:
            fail(
                key,
                Text(gettext_noop("没有这一天:「%(value)s」(%(year)d 年 %(month)d 月没有 %(day)d 日)。"))
                % {"value": texts.get(key, ""), "year": exc.year, "month": exc.month, "day": exc.day},
            )
            continue
        except ValueError:
            fail(
                key,
                Text(gettext_noop("日期格式无法识别:「%(value)s」,请写成 2024-03-05。"))
                % {"value": texts.get(key, "")},
            )
            continue
        if value is not None and (value.date() > today or value.year < EARLIEST_DATE.year - 30):
            fail(
                key,
                Text(gettext_noop("日期 %(value)s 不在合理范围内(%(earliest)d 年至今天)。"))
                % {"value": value.date().isoformat(), "earliest": EARLIEST_DATE.year - 30},
            )
            continue
        dates[key] = value
    row.purchase_date = dates["purchase_date"].date() if dates.get("purchase_date") else None
    row.reported_at = dates.get("reported_at")
    row.completed_at = dates.get("completed_at")
    row.closed_at = dates.get("closed_at")

    try:
        row.fee = parse_fee(cells.get("fee"))
    except ValueError:
        fail(
            "fee",
            Text(gettext_noop("金额无法识别:「%(value)s」,请填写数字,如 120.00。"))
            % {"value": texts.get("fee", "")},
        )
    else:
        if row.fee is not None and not Decimal(0) <= row.fee <= MAX_FEE:
            fail("fee", Text(gettext_noop("金额必须在 0 到 %(limit)s 元之间。")) % {"limit": f"{MAX_FEE:,}"})
            row.fee = None
        elif row.fee is not None:
            row.fee = row.fee.quantize(Decimal("0.01"))
    for key, options in (("fault_category", FAULT_CATEGORIES), ("remedy", REMEDIES)):
        if texts.get(key):
            value = _choice(texts[key], options)
            if value is None:
                fail(key, _choice_error(options))
            else:
                setattr(row, key, value)
    if texts.get("state"):
        state = _choice(texts["state"], STATES)
        if state is None:
            # An open call (维修中, 待派工…): one error, and no second one about its missing closing date.
            fail(
                "state",
                Text(
                    gettext_noop(
                        "「%(value)s」:只导入已关闭或已取消的历史工单;尚未结束的报修不导入,请在叫修台登记。"
                    )
                )
                % {"value": texts["state"]},
            )
            row.state = ""
        else:
            row.state = state

    _check_ticket(row, texts, fail)
    return row


def _check_ticket(row: CallbookRow, texts: dict[str, str], fail) -> None:
    """The rules between the columns of one row: what a unit and a historical ticket need."""
    if row.model_code and not row.serial:
        fail("serial", Text(gettext_noop("填写了产品型号时,序列号必填。")))
    if row.serial and not row.model_code:
        fail("model_code", Text(gettext_noop("填写了序列号时,产品型号必填。")))
    ticket_columns = (
        "fault_description",
        "remedy",
        "work_summary",
        "completed_at",
        "closed_at",
        "fee",
        "technician",
    )
    if row.reported_at is None:
        if not texts.get("reported_at") and any(texts.get(key) for key in ticket_columns):
            fail("reported_at", Text(gettext_noop("填写了工单信息时,报修日期必填。")))
        return
    if not row.serial:
        fail("serial", Text(gettext_noop("有报修日期的行必须填写产品型号和序列号。")))
    if not row.fault_description:
        fail("fault_description", Text(gettext_noop("有报修日期的行必须填写故障描述。")))
    if row.purchase_date and row.purchase_date > row.reported_at.date():
        fail("purchase_date", Text(gettext_noop("购买日期不能晚于报修日期。")))
    if row.state == "closed" and row.completed_at is None and row.closed_at is None:
        fail("completed_at", Text(gettext_noop("已关闭的工单须填写完工日期或关闭日期。")))
    for key in ("completed_at", "closed_at"):
        value = getattr(row, key)
        if value is not None and value.date() < row.reported_at.date():
            fail(key, Text(gettext_noop("不能早于报修日期。")))
    if row.completed_at and row.closed_at and row.closed_at.date() < row.completed_at.date():
        fail("closed_at", Text(gettext_noop("关闭日期不能早于完工日期。")))
