"""The call book's cells read as spreadsheets hold them (tickets.callbook_rules): pure, no database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from tickets.callbook_rules import map_headers, parse_datetime, parse_fee, read_row

NOON = datetime.time(12)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-03-05", datetime.datetime.combine(datetime.date(2024, 3, 5), NOON)),
        ("2024/3/5", datetime.datetime.combine(datetime.date(2024, 3, 5), NOON)),
        ("2024.3.5", datetime.datetime.combine(datetime.date(2024, 3, 5), NOON)),
        ("2024年3月5日", datetime.datetime.combine(datetime.date(2024, 3, 5), NOON)),
        ("20240305", datetime.datetime.combine(datetime.date(2024, 3, 5), NOON)),
        ("45356", datetime.datetime.combine(datetime.date(2024, 3, 5), NOON)),  # Excel's day number
        ("2024-03-05 14:30", datetime.datetime(2024, 3, 5, 14, 30)),  # noqa: DTZ001 - cells have no zone
        ("２０２４－０３－０５", datetime.datetime.combine(datetime.date(2024, 3, 5), NOON)),  # full-width
        (datetime.date(2024, 3, 5), datetime.datetime.combine(datetime.date(2024, 3, 5), NOON)),
        ("", None),
        (None, None),
    ],
)
def test_dates_in_the_forms_departments_type(cell, expected):
    assert parse_datetime(cell) == expected


@pytest.mark.parametrize("cell", ["2024-02-30", "去年春天", "3/5/2024", "2024-13-01"])
def test_a_date_that_cannot_be_read_is_an_error(cell):
    with pytest.raises(ValueError):
        parse_datetime(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("¥1,280.00", Decimal("1280.00")), ("120元", Decimal("120")), (80, Decimal("80")), ("", None)],
)
def test_fees(cell, expected):
    assert parse_fee(cell) == expected


def test_synonym_headers_and_a_duplicate_column():
    positions, written, errors = map_headers(["姓名", "手机号", "机身编号", "电话"])
    assert positions == {"customer_name": 0, "phone": 1, "serial": 2}
    assert written["phone"] == "手机号"
    assert [(error.row, error.column) for error in errors] == [(1, "电话")]


def test_a_row_names_each_wrong_cell_by_the_header_the_file_uses():
    headers = {"phone": "手机号", "purchase_date": "购机日期"}
    row = read_row(
        7,
        {"customer_name": "张伟", "phone": "12345", "purchase_date": "上个月"},
        headers,
        datetime.date(2026, 12, 5),
    )
    assert [(error.row, error.column) for error in row.errors] == [(7, "手机号"), (7, "购机日期")]


def test_a_closed_ticket_needs_its_end_and_dates_in_order():
    today = datetime.date(2026, 12, 5)
    base = {"customer_name": "张伟", "phone": "13800138000", "model_code": "KFR", "serial": "SN1"}
    row = read_row(2, {**base, "reported_at": "2024-03-05", "fault_description": "不制冷"}, {}, today)
    assert [error.column for error in row.errors] == ["完工日期"]
    row = read_row(
        2,
        {**base, "reported_at": "2024-03-05", "fault_description": "x", "completed_at": "2024-03-01"},
        {},
        today,
    )
    assert [error.column for error in row.errors] == ["完工日期"]
    row = read_row(2, {**base, "reported_at": "2027-01-01", "fault_description": "x"}, {}, today)
    assert "报修日期" in [error.column for error in row.errors]


def test_an_open_call_is_one_error_saying_it_is_logged_at_the_desk():
    """Found by the new-user trial: 工单状态 "维修中" gave "无法识别,请填写:已关闭、已取消" and also
    "已关闭的工单须填写完工日期或关闭日期"."""
    cells = {
        "customer_name": "张伟",
        "phone": "13800138000",
        "model_code": "KFR",
        "serial": "SN1",
        "reported_at": "2024-03-05",
        "fault_description": "不制冷",
        "state": "维修中",
    }
    row = read_row(2, cells, {}, datetime.date(2026, 12, 5))
    with translation.override("zh-hans"):
        assert [(error.column, str(error.message)) for error in row.errors] == [
            ("工单状态", "「维修中」:只导入已关闭或已取消的历史工单;尚未结束的报修不导入,请在叫修台登记。")
        ]
