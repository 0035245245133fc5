"""Hostile and broken exports (CSV, XLSX, Parquet), generated at test time: each is a located
problem with its code and exit status, never a traceback, a hang or gigabytes of memory."""

from __future__ import annotations

import csv
import io
import os
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import MINI, cli, xlsx_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtassess.errors import DtassessError
from dtassess.inputs import tables
from dtassess.inputs.exports import load_exports
from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.scoring.distributed.plan import plan_partitions, sources_of

HEADER = ["机构", "strategy.plan.exists", "security.budget", "security.tools"]


def _rewrite(data: bytes, change, member: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with one member's XML changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            target.writestr(info.filename, change(body) if info.filename == member else body)
    return out.getvalue()


ROWS = [HEADER, ["a", "yes", 10, "mfa"], ["b", "no", 20, "backup"]]


def huge_dimension(tmp_path: Path) -> Path:
    """A few KB declaring 1,048,576 x 16,384 cells, with a value in the far corner."""

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        corner = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace(b"</sheetData>", corner + b"</sheetData>")

    path = tmp_path / "huge.xlsx"
    path.write_bytes(_rewrite(xlsx_bytes(ROWS), change))
    assert path.stat().st_size < 8000
    return path


def merged_header(tmp_path: Path) -> Path:
    """The header of column B merged into A1:B1: B's answers have no header."""
    rows = [["机构", None, "strategy.plan.exists"], ["a", "x1", "yes"], ["b", "x2", "no"]]
    path = tmp_path / "merged.xlsx"
    path.write_bytes(xlsx_bytes(rows, merge="A1:B1"))
    return path


def blank_csv_header(tmp_path: Path) -> Path:
    path = tmp_path / "blank.csv"
    path.write_text("机构,,strategy.plan.exists\na,yes,no\nb,,yes\n", encoding="utf-8")
    return path


def blank_csv_header_without_values(tmp_path: Path) -> Path:
    path = tmp_path / "trailing.csv"
    path.write_text("机构,strategy.plan.exists,\na,yes,\nb,no,\n", encoding="utf-8")
    return path


def long_cell(tmp_path: Path) -> Path:
    path = tmp_path / "long.csv"
    path.write_text(f"机构,strategy.plan.exists\na,{'y' * 131_073}\nb,yes\n", encoding="utf-8")
    return path


def long_cell_exact_reader(tmp_path: Path) -> Path:
    """A ragged row sends the file to the csv module, whose field limit is 131,072."""
    path = tmp_path / "long-ragged.csv"
    text = f"机构,strategy.plan.exists\na,{'y' * 200_000}\nb\n"
    path.write_text(text, encoding="utf-8")
    return path


def long_unit_cell(tmp_path: Path) -> Path:
    path = tmp_path / "long-unit.csv"
    path.write_text(f"机构,部门,strategy.plan.exists\na,{'u' * 140_000},yes\n", encoding="utf-8")
    return path


def huge_number_cell(tmp_path: Path) -> Path:
    """A number of 5,000 digits: int() refuses it (over 4,300 digits)."""

    def change(xml: bytes) -> bytes:
        return re.sub(
            rb"<c r=\"C2\"( [^>]*)?><v>10</v>", b'<c r="C2"><v>' + b"9" * 5000 + b"</v>", xml
        )

    path = tmp_path / "digits.xlsx"
    path.write_bytes(_rewrite(xlsx_bytes(ROWS), change))
    return path


def not_a_zip(tmp_path: Path) -> Path:
    path = tmp_path / "export.xlsx"
    path.write_text("序号,机构\n1,a\n", encoding="utf-8")
    return path


def old_xls(tmp_path: Path) -> Path:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    return path


def parquet(name: str, column: pa.Array):
    def build(tmp_path: Path) -> Path:
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"机构": ["a", "b"], "strategy.plan.exists": column}), path)
        return path

    build.__name__ = name
    return build


def fifo(name: str):
    def build(tmp_path: Path) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        return path

    build.__name__ = f"fifo {name}"
    return build


def device_link(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    path.symlink_to("/dev/zero")
    return path


# (export, code, place: line and column, exit status of `import` without and with --strict)
CASES = [
    (blank_csv_header, "I012", (2, 2), 0, 2),
    (merged_header, "I012", (2, 2), 0, 2),
    (huge_dimension, "I012", (1048576, 16384), 0, 2),
    (long_cell, "I013", (2, 2), 0, 2),
    (long_cell_exact_reader, "I013", (2, 2), 0, 2),
    (long_unit_cell, "I013", (2, 2), 0, 2),
    (huge_number_cell, "I013", (2, 3), 0, 2),
    (parquet("list", pa.array([["yes"], ["no"]])), "I014", (1, 2), 0, 2),
    (parquet("struct", pa.array([{"x": 1}, {"x": 2}])), "I014", (1, 2), 0, 2),
    (parquet("binary", pa.array([b"yes", b"\xff"])), "I014", (1, 2), 0, 2),
    (not_a_zip, "I001", None, 2, 2),
    (old_xls, "I001", None, 2, 2),
    (fifo("answers.csv"), "F007", None, 2, 2),
    (fifo("answers.xlsx"), "F007", None, 2, 2),
    (fifo("answers.parquet"), "F007", None, 2, 2),
    (device_link, "F007", None, 2, 2),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("build", "code", "place", "status", "strict_status"),
    CASES,
    ids=[case[0].__name__ for case in CASES],
)
def test_hostile_exports_are_located_problems(tmp_path, build, code, place, status, strict_status):
    export = build(tmp_path)
    for strict, expected in ((False, status), (True, strict_status)):
        out = tmp_path / f"out-{strict}"
        result = cli("import", export, "-q", MINI, "-o", out, *(["--strict"] * strict))
        assert result.exit_code == expected, result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        where = f"{export}:{place[0]}:{place[1]}: " if place else f"{export}: "
        assert strict or where in result.stderr, result.stderr
        if strict:
            assert not out.exists() or not any(out.iterdir())  # nothing written
    result = cli("score", export, "-q", MINI, "--format", "json")
    assert result.exit_code == (2 if status == 2 else 0), result.stderr
    assert "internal error" not in result.stderr
    try:
        found = load_exports([export], load_questionnaire(MINI)).problems
    except DtassessError as exc:
        found = exc.problems
    assert (code, *(place or (None, None))) in {(p.code, p.line, p.column) for p in found}


def test_a_blank_header_is_counted_and_names_its_column(tmp_path):
    result = cli("import", blank_csv_header(tmp_path), "-q", MINI, "-o", tmp_path / "out")
    assert result.exit_code == 0
    assert (
        "blank.csv:2:2: warning: column B has no header but holds 1 value(s) from row 2 on; "
        "they are not imported" in result.stderr
    )
    assert "1 cell(s) rejected" in result.stderr
    assert "1 column(s) without a header not imported" in result.stderr


def test_a_merged_header_names_the_column_it_hides(tmp_path):
    result = cli("import", merged_header(tmp_path), "-q", MINI, "-o", tmp_path / "out")
    assert "column B has no header but holds 2 value(s) from row 2 on" in result.stderr


def test_an_empty_column_without_a_header_loses_nothing_and_is_not_reported(tmp_path):
    export = blank_csv_header_without_values(tmp_path)
    result = cli("import", export, "-q", MINI, "-o", tmp_path / "out", "--strict")
    assert result.exit_code == 0, result.stderr
    assert "I012" not in result.stderr and "without a header" not in result.stderr


def test_a_quoted_cell_is_cut_to_a_readable_length(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(f"机构,strategy.plan.exists\na,{'n' * 5000}\\x1b[2J\n", encoding="utf-8")
    result = cli("import", path, "-q", MINI, "-o", tmp_path / "out")
    line = next(x for x in result.stderr.splitlines() if "bad.csv:2:2" in x)
    assert len(line) < 600 and "…" in line


# --------------------------------------------------------------------------- bounded workbooks


def test_the_declared_dimension_is_not_allocated(tmp_path):
    """openpyxl pads every row to the declared 16,384 columns and fills the 1,048,576 rows
    before a corner cell: gigabytes. Read as the XML holds it: three rows and one cell."""
    table = tables.read_table(huge_dimension(tmp_path))
    assert len(table) == 3 and len(table.header) == 16384
    assert table.rows.tolist() == [2, 3, 1048576]
    assert sum(c is not table.columns[-2] for c in table.columns) <= 5  # blanks shared


def _bomb(tmp_path: Path, megabytes: int) -> Path:
    """Sheet XML padded with `megabytes` of whitespace: compresses about a thousandfold."""
    pad = b" " * (megabytes << 20)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(
        _rewrite(xlsx_bytes(ROWS), lambda xml: xml.replace(b"</sheetData>", b"</sheetData>" + pad))
    )
    return path


def test_a_zip_bomb_is_refused_by_its_declared_size(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "XLSX_INFLATED", 4 << 20)
    bomb = _bomb(tmp_path, 8)
    assert bomb.stat().st_size < 100_000
    result = cli("score", bomb, "-q", MINI)
    assert result.exit_code == 2
    assert f"{bomb}: {bomb} unpacks to more than 4,194,304 bytes of XML" in result.stderr


def _understate(data: bytes) -> bytes:
    """Every member's uncompressed size in the central directory and local headers set to 100
    bytes: a directory that lies about what the archive inflates to."""
    out = bytearray(data)
    for match in re.finditer(rb"PK\x01\x02", data):
        struct.pack_into("<I", out, match.start() + 24, 100)
    for match in re.finditer(rb"PK\x03\x04", data):
        struct.pack_into("<I", out, match.start() + 22, 100)
    return bytes(out)


def test_a_zip_whose_directory_understates_its_sizes_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "XLSX_INFLATED", 4 << 20)
    bomb = _bomb(tmp_path, 8)
    bomb.write_bytes(_understate(bomb.read_bytes()))
    result = cli("import", bomb, "-q", MINI, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{bomb}: cannot read {bomb} as an .xlsx workbook" in result.stderr


def test_a_zip_of_too_many_members_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "XLSX_MEMBERS", 20)
    path = tmp_path / "many.xlsx"
    data = xlsx_bytes(ROWS)
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        for n in range(30):
            archive.writestr(f"junk/{n}.xml", "<x/>")
    path.write_bytes(buffer.getvalue())
    result = cli("import", path, "-q", MINI, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "holds 39 files; a workbook holds a few dozen" in result.stderr


def test_short_rows_under_a_wide_header_do_not_make_a_huge_table(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "CELLS_FLOOR", 10_000)
    path = tmp_path / "wide.csv"
    header = "机构,strategy.plan.exists," + ",".join(f"c{n}" for n in range(2000))
    path.write_text(header + "\n" + "a\n" * 3000, encoding="utf-8")
    result = cli("import", path, "-q", MINI, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{path}: {path} spans 3,000 rows by 2,002 columns" in result.stderr


# --------------------------------------------------------------------------- the Dask engine


def test_the_dask_engine_refuses_what_is_not_a_regular_file(tmp_path):
    for build in (fifo("answers.csv"), fifo("answers.parquet"), device_link):
        found = plan_partitions(sources_of([build(tmp_path)]), 2)
        assert [p.code for p in found] == ["F007"], found
        for p in tmp_path.iterdir():
            p.unlink()


# --------------------------------------------------------------------------- property tests

CELLS = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x1F), max_size=5),  # control characters, NUL
    st.sampled_from(["", " ", "=cmd|' /C calc'!A0", "=1+1", "@SUM(1)", "+1", "-", "N/A", "是"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1e308", "1e309", "-inf", "nan", "9" * 400, "0x1F", "1,000", "50%"]),
)
ROWS_OF_CELLS = st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=1, max_size=5)
HEADERS = st.lists(
    st.one_of(st.sampled_from([*HEADER, "", "部门", "序号"]), st.text(max_size=8)),
    min_size=1,
    max_size=6,
)
PROPERTY = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _never_internal(result) -> None:
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr, result.exception)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
@PROPERTY
@given(header=HEADERS, rows=ROWS_OF_CELLS)
def test_random_csv_cells_never_crash(tmp_path, header, rows):
    path = tmp_path / "random.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogatepass")
    out = tmp_path / "out"
    _never_internal(cli("import", path, "-q", MINI, "--org", "x", "-o", out, "--force"))
    _never_internal(cli("score", path, "-q", MINI, "--format", "json"))


XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@pytest.mark.slow
@PROPERTY
@given(header=HEADERS, rows=ROWS_OF_CELLS)
def test_random_xlsx_cells_never_crash(tmp_path, header, rows):
    # XML cannot hold control characters: openpyxl refuses to write them
    cells = [[XML_ILLEGAL.sub("", c) for c in row] for row in [header, *rows]]
    path = tmp_path / "random.xlsx"
    path.write_bytes(xlsx_bytes(cells))
    out = tmp_path / "out"
    _never_internal(cli("import", path, "-q", MINI, "--org", "x", "-o", out, "--force"))
    _never_internal(cli("score", path, "-q", MINI, "--format", "json"))


@pytest.mark.slow
@PROPERTY
@given(data=st.binary(max_size=400))
def test_random_bytes_named_xlsx_or_csv_never_crash(tmp_path, data):
    for name in ("random.xlsx", "random.csv"):
        path = tmp_path / name
        path.write_bytes(data)
        _never_internal(cli("score", path, "-q", MINI, "--org", "x"))


def test_a_mapping_file_that_is_a_fifo_is_refused(tmp_path):
    mapping = fifo("map.yaml")(tmp_path)
    result = cli("score", blank_csv_header(tmp_path), "-q", MINI, "--mapping", mapping)
    assert result.exit_code == 2
    assert f"{mapping}: this is a FIFO (named pipe), not a regular file" in result.stderr


def test_an_organization_column_of_lists_is_named_when_no_organization_is_found(tmp_path):
    path = tmp_path / "orgs.parquet"
    table = {"机构": pa.array([["a"], ["b"]]), "strategy.plan.exists": ["yes", "no"]}
    pq.write_table(pa.table(table), path)
    result = cli("score", path, "-q", MINI)
    assert result.exit_code == 2
    assert f"{path}:1:1: warning: column '机构' holds nested values" in result.stderr
    assert "has no organization column" in result.stderr


WORKBOOK = xlsx_bytes(ROWS)


@pytest.mark.slow
@PROPERTY
@given(
    flips=st.lists(
        st.tuples(st.integers(0, len(WORKBOOK) - 1), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_damaged_workbooks_never_crash(tmp_path, flips):
    data = bytearray(WORKBOOK)
    for at, byte in flips:
        data[at] = byte
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    _never_internal(cli("score", path, "-q", MINI, "--org", "x"))


def test_a_fifo_export_is_refused_before_the_questionnaire_is_asked_for(tmp_path):
    path = fifo("answers.xlsx")(tmp_path)
    result = cli("score", path)
    assert result.exit_code == 2
    assert f"{path}: this is a FIFO (named pipe), not a regular file" in result.stderr


@pytest.mark.slow
def test_a_quoted_header_is_cut_and_its_control_characters_escaped(tmp_path):
    path = tmp_path / "header.csv"
    header = "x" * 3000 + "\rforged: line"
    path.write_text(f'机构,"{header}"\na,1\n', encoding="utf-8")
    result = cli("import", path, "-q", MINI, "-o", tmp_path / "out")
    line = next(x for x in result.stderr.splitlines() if "header.csv:1:2" in x)
    assert len(line) < 400 and "…" in line
    assert "forged" not in result.stderr


# A header's trailing hints (【多选题】, （可多选）) were cut by a regular expression in a loop:
# a header of brackets took seconds per 20,000 characters, growing with the square.
HINT_RE = re.compile(r"\s*[【\[(（][^】\])）]*[】\])）]\s*$")


def _hints_by_expression(text: str) -> str:
    import unicodedata

    text = re.sub(r"[\s?？。.!！:：]+$", "", unicodedata.normalize("NFKC", text).strip())
    while True:
        shorter = re.sub(r"[\s?？。.!！:：]+$", "", HINT_RE.sub("", text))
        if shorter == text:
            return text
        text = shorter


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab 【】[]()（）?？。.!:：选", max_size=16))
def test_trailing_hints_are_cut_as_the_expression_said(text):
    from dtassess.inputs.exports import _without_hints

    assert _without_hints(text) == _hints_by_expression(text)


@pytest.mark.parametrize("header", ["(" * 131072, "(a) " * 32768, "x" + "【" * 131072 + "】"])
def test_a_header_of_brackets_is_read_in_a_moment(tmp_path, header):
    # About a second now; the expression took most of a minute on each of these, so a limit
    # many times the time it takes, even on a loaded machine, tells the two apart.
    export = tmp_path / "brackets.csv"
    export.write_text(f"organization,{header}\nqs,1\n", encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "dtassess", "import", export, "-q", MINI, "-o", out]
    result = subprocess.run(command, capture_output=True, text=True, timeout=25)
    assert result.returncode == 0, result.stderr
    assert "unknown column" in result.stderr
