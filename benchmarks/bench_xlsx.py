"""Scoring a 问卷星-like XLSX export end to end, against reading the same workbook into pandas
with python-calamine alone, side by side in one run.

Writes N synthetic gov-dt respondents as the CSV benchmark does (benchmarks/bench_exports.py:
序号, 提交答卷时间, organization, unit and role columns, one column per question headed
`N、question text`, multi-select answers joined with ┋) into an .xlsx workbook with a shared
string table, as 问卷星 downloads are. Then times, each in a fresh process,

    dtassess score EXPORT.xlsx -q gov-dt --by unit --format json -o OUT

and `pd.read_excel(EXPORT.xlsx, engine="calamine")`, and prints their ratio.

    python benchmarks/bench_xlsx.py                   # 20,000 respondents
    python benchmarks/bench_xlsx.py -n 5000 --runs 1
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).parent))
from bench_exports import export_table, measure

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    f'{XML}<Types xmlns="{PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OFFICE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OFFICE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{OFFICE}.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'{XML}<Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{RELATION}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{RELATION}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'{XML}<Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{RELATION}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELATION}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def _letter(index: int) -> str:
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_xlsx(header: list[str], columns: list[list[str]], path: Path) -> None:
    """A one-sheet workbook of text cells through a shared string table (an empty string is an
    empty cell), written directly: openpyxl takes half a minute for a million cells."""
    strings: dict[str, int] = {}
    letters = [_letter(c + 1) for c in range(len(header))]
    rows = []
    for r, cells in enumerate([header, *zip(*columns, strict=True)], start=1):
        parts = [f'<row r="{r}">']
        for letter, value in zip(letters, cells, strict=True):
            if value:
                k = strings.setdefault(value, len(strings))
                parts.append(f'<c r="{letter}{r}" t="s"><v>{k}</v></c>')
        parts.append("</row>")
        rows.append("".join(parts))
    sheet = f'{XML}<worksheet xmlns="{MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    count = len(strings)
    shared = f'{XML}<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">{shared}</sst>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        book.writestr("xl/sharedStrings.xml", shared)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20_000, help="respondents")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (best kept)")
    args = parser.parse_args(argv)
    dtassess = str(Path(sys.executable).with_name("dtassess"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        table = export_table(args.n)
        path = folder / "问卷星导出.xlsx"
        write_xlsx(
            table.column_names,
            [c.to_pylist() for c in table.columns],
            path,
        )
        print(
            f"{args.n:,} respondents x {table.num_columns} columns: XLSX "
            f"{path.stat().st_size / 2**20:,.1f} MiB (written in "
            f"{time.perf_counter() - started:.1f} s)"
        )
        out = folder / "scores.json"
        command = [dtassess, "score", str(path), "-q", "gov-dt", "--by", "unit"]
        command += ["--format", "json", "-o", str(out), "--force", "--quiet"]
        seconds, peak = measure(command, args.runs)
        read = f"import pandas as pd; pd.read_excel('{path}', engine='calamine', dtype=str)"
        base_seconds, base_peak = measure([sys.executable, "-c", read], args.runs)
        scored = json.loads(out.read_text())["groups"]
        groups = len({(g["organization"], g["unit"]) for g in scored})
        print(f"{'':40} {'seconds':>8} {'peak MiB':>9}")
        for label, time_taken, memory in (
            ("dtassess score (end to end)", seconds, peak),
            ("pd.read_excel(engine=calamine) alone", base_seconds, base_peak),
        ):
            print(f"{label:40} {time_taken:8.2f} {memory / 2**20:9.0f}")
        print(f"ratio: {seconds / base_seconds:.2f}x ({groups} units scored)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
