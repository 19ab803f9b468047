"""The streaming xlsx writer (reports.xlsx) read back with openpyxl."""

import io
from decimal import Decimal

from openpyxl import load_workbook

from reports.xlsx import ROWS_PER_CHUNK, stream_xlsx


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
