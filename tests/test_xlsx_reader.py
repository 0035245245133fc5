"""XLSX exports read with python-calamine: the same table openpyxl made, cell references kept
in messages, and the archive checked (size, unpacked size, where cells lie) before calamine
opens it; a sheet calamine would hold as a mostly empty rectangle, or whose cells the check
cannot place, is read by openpyxl as before."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import MINI, cli, xlsx_bytes

from dtassess.inputs import tables
from dtassess.inputs.exports import _text

HEADER = ["机构", "strategy.plan.exists", "security.budget", "security.tools", "when", "notes"]
ROWS = [
    HEADER,
    ["a", "yes", 10, "mfa", dt.datetime(2026, 3, 2, 10, 1, 5), "x"],
    [],  # a blank row keeps its number
    ["b", True, 12.5, "backup", dt.date(2026, 3, 3), None],
    ["c", "no", "abc", "指纹", None, "  "],
]


def _rewrite(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = change(body)
            target.writestr(info.filename, body)
    return out.getvalue()


def _plain(table: tables.Table) -> tuple:
    """The table as the import reads its cells (`_text`: 10.0 is 10, a midnight is a date)."""
    columns = [[None if v is None else _text(v) for v in c.tolist()] for c in table.columns]
    return table.header, columns, table.rows.tolist(), sorted(table.blank)


def _reader(monkeypatch) -> list[str]:
    """Which reader read each workbook."""
    used: list[str] = []
    for name in ("_calamine_table", "_openpyxl_table"):
        real = getattr(tables, name)

        def spy(*args, real=real, name=name):
            used.append(name.strip("_").split("_")[0])
            return real(*args)

        monkeypatch.setattr(tables, name, spy)
    return used


@pytest.mark.parametrize("merge", [None, "A1:B1"])
def test_calamine_makes_the_table_openpyxl_made(tmp_path, merge):
    data = xlsx_bytes(ROWS, merge)
    path = tmp_path / "export.xlsx"
    path.write_bytes(data)
    fast = tables._calamine_table(path, data)
    slow = tables._openpyxl_table(path, data)
    assert _plain(fast) == _plain(slow)
    assert fast.rows.tolist() == [2, 4, 5]


def test_a_workbook_is_read_without_openpyxl(tmp_path, monkeypatch):
    path = tmp_path / "export.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # importing it fails
    table = tables.read_table(path)
    assert table.header[:4] == HEADER[:4] and len(table) == 3


def test_cell_references_stay_in_messages(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    result = cli("score", path, "-q", MINI)
    assert f"{path}:5:3: warning: cell C5: question 'security.budget': 'abc'" in result.stderr
    assert f"{path}:5:4: warning: cell D5: question 'security.tools': '指纹'" in result.stderr


def _far_cell(xml: bytes) -> bytes:
    far = b'<row r="900"><c r="ZZ900" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace(b"</sheetData>", far + b"</sheetData>")


def _cell_without_reference(xml: bytes) -> bytes:
    return xml.replace(b'<c r="A2"', b"<c", 1)


def _reference_not_first(xml: bytes) -> bytes:
    return re.sub(rb'<c r="B2"( t="\w+")', rb'<c\1 r="B2"', xml, count=1)


def _prefixed(xml: bytes) -> bytes:
    xml = xml.replace(b"<worksheet ", b'<worksheet xmlns:x="urn:x" ', 1)
    return xml.replace(b'<c r="A2"', b'<x:c r="A2"', 1).replace(b"</c>", b"</x:c>", 1)


@pytest.mark.parametrize(
    "change, reader",
    [
        (lambda xml: xml, "calamine"),
        (_far_cell, "openpyxl"),  # a rectangle of 900 x 702 cells for 16 values
        (_cell_without_reference, "openpyxl"),
        (_reference_not_first, "openpyxl"),
    ],
)
def test_calamine_reads_only_what_the_check_can_measure(tmp_path, monkeypatch, change, reader):
    monkeypatch.setattr(tables, "CALAMINE_FLOOR", 10_000)
    used = _reader(monkeypatch)
    path = tmp_path / "export.xlsx"
    path.write_bytes(_rewrite(xlsx_bytes(ROWS), change))
    table = tables.read_table(path)
    assert used == [reader]
    assert table.header[0] == "机构"


@pytest.mark.parametrize(
    "xml, extent",
    [
        (b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="XFD7" t="s"><v>0</v></c></row>',
         (7, 16384, 2)),
        (b'<sheetData><row r="3"><c r="AB1048576"><v>1</v></c></row></sheetData>',
         (1048576, 28, 1)),
        (b"<cols><col min=\"1\" max=\"3\"/></cols><sheetData></sheetData>", (0, 0, 0)),
        (b'<sheetData><row><c r="a1"><v>1</v></c></row></sheetData>', None),
        (b'<sheetData><row><c r="A12345678"><v>1</v></c></row></sheetData>', None),
        (b'<sheetData><row><c r="A1x"><v>1</v></c></row></sheetData>', None),
        (b'<sheetData><row><c r = "A1"><v>1</v></c></row></sheetData>', None),
        (b'<sheetData><row><c><v>1</v></c></row></sheetData>', None),
        (b'<s:sheetData><s:row><s:c r="A1"><s:v>1</s:v></s:c></s:row></s:sheetData>', None),
    ],
)  # fmt: skip
def test_the_cell_extent_is_measured_or_refused(xml, extent):
    assert tables._cell_extent(xml) == extent


def test_a_number_too_large_to_hold_is_a_located_problem(tmp_path):
    def change(xml: bytes) -> bytes:
        big = b'<c r="C2"><v>' + b"9" * 400 + b"</v>"
        return re.sub(rb'<c r="C2"( [^>]*)?><v>10</v>', big, xml)

    path = tmp_path / "digits.xlsx"
    path.write_bytes(_rewrite(xlsx_bytes(ROWS), change))
    table = tables.read_table(path)
    assert [(p.code, p.line, p.column) for p in table.problems] == [("I013", 2, 3)]
    assert table.columns[2][0] is None


def test_an_empty_sheet_has_no_header(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(xlsx_bytes([]))
    result = cli("score", path, "-q", MINI, "--org", "x")
    assert result.exit_code == 2
    assert f"{path} is empty: no header row" in result.stderr


def test_the_grid_keeps_spreadsheet_numbers():
    grid = [["", "", ""], ["", "h1", "h2"], ["", "", ""], ["", 1.0, "x"]]
    table = tables._grid_table("t.xlsx", grid)
    assert table.header == ["", "h1", "h2"]
    assert table.rows.tolist() == [4]
    assert table.blank == {0}
    assert np.array_equal(table.columns[1], np.array([1.0], dtype=object))
    assert Path(table.path).name == "t.xlsx"


def test_values_in_a_comment_do_not_widen_what_calamine_may_hold():
    """A comment full of <v> would count as values; a cell holds one value at most."""
    xml = (
        b"<!--" + b"<v>" * 50_000 + b"-->"
        b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="XFD2000"><v>2</v></c></row>'
        b"</sheetData>"
    )
    assert tables._cell_extent(xml) == (2000, 16384, 2)


def test_a_sheet_over_the_cap_is_read_by_openpyxl(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "CALAMINE_CELLS", 20)  # the sheet spans 5 x 6 cells
    used = _reader(monkeypatch)
    path = tmp_path / "export.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    assert len(tables.read_table(path)) == 3 and used == ["openpyxl"]
