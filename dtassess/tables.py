"""Exports read as tables: CSV, XLSX or Parquet in, one column per header cell out.

Exports can hold a million rows, so nothing here visits cells one by one where a reader can
do it in bulk: CSV goes through Arrow's multi-threaded parser with every column
dictionary-encoded (a column of answers holds a handful of distinct values), Parquet is read
with its dictionaries kept, and the columns reach pandas as categoricals. Rows keep the number
a spreadsheet shows for them, so that every problem can point at its cell. The formats are
described in docs/import.md.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DtassessError, Problem

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXPORT_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES + PARQUET_SUFFIXES
DETECTED_ENCODINGS = ("utf-8", "gb18030")
BOM = b"\xef\xbb\xbf"


@dataclass
class Table:
    """An export's header and columns, one per header cell by position (headers may repeat).

    `columns` holds Arrow arrays (CSV, Parquet) or NumPy object arrays (XLSX, exact CSV);
    `rows` is each row's number as the source shows it: the spreadsheet row (the header is row
    1), or the record number in a Parquet file."""

    path: str
    header: list[str]
    columns: list[Any]
    rows: np.ndarray
    spreadsheet: bool = True  # cells are named like C17; Parquet names columns instead

    def __len__(self) -> int:
        return len(self.rows)

    def distinct(self, col: int) -> tuple[np.ndarray, np.ndarray]:
        """Each cell of a column as a code into its distinct values (-1: empty), and those
        values: work per value instead of per cell."""
        column = self.columns[col]
        if isinstance(column, np.ndarray):
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
            return np.asarray(codes), np.asarray(uniques, dtype=object)
        import pyarrow as pa
        import pyarrow.compute as pc

        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        if isinstance(column, pa.ChunkedArray):
            chunks = column.chunks
            if not chunks:
                return np.zeros(0, np.int64), np.zeros(0, object)
            column = pa.concat_arrays(chunks) if len(chunks) > 1 else chunks[0]
        codes = pc.fill_null(column.indices, -1).to_numpy(zero_copy_only=False)
        uniques = column.dictionary.to_numpy(zero_copy_only=False).astype(object)
        return codes.astype(np.int64, copy=False), uniques

    def cell(self, row: int, col: int) -> str:
        """Where a cell is, in the words of the program that shows it."""
        if self.spreadsheet:
            return f"cell {column_letter(col + 1)}{row}"
        return f"row {row}, column '{self.header[col]}'"

    def column(self, col: int) -> str:
        name = self.header[col]
        if self.spreadsheet:
            return f"column {column_letter(col + 1)} ('{name}')"
        return f"column '{name}'"


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def is_export(path: str | Path) -> bool:
    return Path(path).suffix.lower() in EXPORT_SUFFIXES


def read_table(path: str | Path, encoding: str | None = None) -> Table:
    """Read an export (CSV, XLSX's first sheet, or Parquet); raises DtassessError (I001)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DtassessError(Problem("F001", f"file not found: {path}", str(path)))
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, encoding)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    raise DtassessError(
        Problem(
            "I001",
            f"{path}: cannot import '{suffix or path.name}' files; export the answers as .xlsx, "
            ".csv or .parquet (an old .xls: open it and save it as .xlsx)",
            str(path),
        )
    )


# --------------------------------------------------------------------------- CSV


def _decode(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    """The encoding that reads `raw`, and the text (BOM removed)."""
    for enc in [encoding] if encoding else DETECTED_ENCODINGS:
        try:
            return enc, raw.decode(enc).removeprefix("\ufeff")
        except LookupError:
            raise DtassessError(
                Problem("I001", f"--encoding {enc}: unknown encoding", str(path))
            ) from None
        except UnicodeDecodeError as exc:
            if encoding:
                raise DtassessError(
                    Problem(
                        "I001",
                        f"cannot read {path} as {enc} ({exc.reason} at byte {exc.start}); "
                        "try another --encoding, or omit it to detect UTF-8 or GB18030",
                        str(path),
                    )
                ) from None
    raise DtassessError(
        Problem(
            "I001", f"cannot read {path} as UTF-8 or GB18030 text; pass its --encoding", str(path)
        )
    )


def _read_csv(path: Path, encoding: str | None) -> Table:
    raw = path.read_bytes()
    # A blank line is a row in a spreadsheet but is skipped by Arrow's reader, which would
    # shift every row number after it; such files take the exact (slower) path.
    blank = b"\n\n" in raw or b"\n\r\n" in raw
    if not blank and _utf8(encoding):
        # Arrow checks the UTF-8 itself: no need to decode hundreds of megabytes first.
        table = _arrow_csv(path, memoryview(raw)[len(BOM) :] if raw.startswith(BOM) else raw)
        if table is not None:
            return table
    enc, text = _decode(path, raw, encoding)
    if not blank and not _utf8(enc):
        table = _arrow_csv(path, text.encode("utf-8"))
        if table is not None:
            return table
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return table_from_records(str(path), records, 1)


def _utf8(encoding: str | None) -> bool:
    try:
        return encoding is None or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    except LookupError:
        return False


def _arrow_csv(path: Path, data: bytes | memoryview) -> Table | None:
    """The fast reader; None when the file needs the exact one (not UTF-8, ragged rows, a
    header over several lines, leading lines that Arrow would skip but a spreadsheet counts)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    head = bytes(data[: 1 << 16]).decode("utf-8", "replace")
    first = head.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    header = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), [])
    if not header or head[:1] in "\r\n" or any("\n" in h or "\r" in h for h in header):
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            # Quoted cells may hold line breaks (multi-line text answers).
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                # Every cell stays text, dictionary-encoded; only an empty cell is missing
                # (Arrow would otherwise also read "N/A" and "NA", which are answers, as null).
                column_types=dict.fromkeys(names, pa.dictionary(pa.int32(), pa.string())),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowException:
        return None
    rows = np.arange(2, table.num_rows + 2)
    # Rows that are empty in every cell are no respondents (a spreadsheet's trailing rows).
    keep = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        keep |= column.is_valid().to_numpy(zero_copy_only=False)
    if not keep.all():
        table, rows = table.filter(pa.array(keep)), rows[keep]
    return Table(str(path), [h.strip() for h in header], table.columns, rows)


# --------------------------------------------------------------------------- XLSX and records


def _read_xlsx(path: Path) -> Table:
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise DtassessError(
            Problem("I001", f"cannot read {path} as an .xlsx workbook: {exc}", str(path))
        ) from None
    try:
        sheet = book.worksheets[0]
        first_row = sheet.min_row or 1
        records = [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return table_from_records(str(path), records, first_row)


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def table_from_records(path: str, records: list[list[Any]], first_row: int) -> Table:
    """A table from rows of cells; the first non-empty row is the header."""
    numbered = [
        (first_row + i, cells)
        for i, cells in enumerate(records)
        if any(not empty(c) for c in cells)
    ]
    if not numbered:
        raise DtassessError(Problem("I001", f"{path} is empty: no header row", path))
    (_, header), *body = numbered
    width = max([len(header)] + [len(cells) for _, cells in body])
    header = [("" if h is None else str(h)).strip() for h in header] + [""] * (width - len(header))
    columns = []
    for col in range(width):
        values = np.empty(len(body), dtype=object)
        values[:] = [cells[col] if col < len(cells) else None for _, cells in body]
        columns.append(values)
    rows = np.array([n for n, _ in body], dtype=np.int64)
    return Table(path, header, columns, rows)


# --------------------------------------------------------------------------- Parquet


def _read_parquet(path: Path) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        text = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        table = pq.read_table(path, read_dictionary=text)
    except (pa.ArrowException, OSError) as exc:
        raise DtassessError(
            Problem("I001", f"cannot read {path} as a Parquet file: {exc}", str(path))
        ) from None
    header = [str(name) for name in table.column_names]
    rows = np.arange(1, table.num_rows + 1)
    return Table(str(path), header, table.columns, rows, spreadsheet=False)
