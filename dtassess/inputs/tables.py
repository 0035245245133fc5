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
import mmap
import os
import stat
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DtassessError, Problem, shorten
from ..extras import installed
from ..files import read_bytes, require_regular_file

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXPORT_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES + PARQUET_SUFFIXES
DETECTED_ENCODINGS = ("utf-8", "gb18030")
BOM = b"\xef\xbb\xbf"
# Python's csv module refuses a longer field, and no form service writes one: a cell over this
# many characters is not imported (I013) but reported where it is.
CELL_CHARS = 131_072
# A workbook is a zip of XML: bounded before a byte is inflated and while inflating, so that a
# small file cannot unpack to gigabytes (a zip bomb). 256 MiB of sheet XML is about 150,000
# respondents of a 45-question form; larger exports are read as CSV or Parquet.
XLSX_BYTES = 256 << 20  # the .xlsx file itself
XLSX_INFLATED = 256 << 20  # all its members, unpacked
XLSX_MEMBERS = 10_000
# Rows shorter than the header, or a cell far to the right, would make a rectangle of empty
# cells much larger than the file (a 7.6 KB workbook can place one cell at XFD1048576): the
# table may hold this many cells, or a few times the cells the file really has.
CELLS_FLOOR = 20_000_000
CELLS_PER_VALUE = 8
# calamine holds a sheet as one rectangle from A1 to its last cell, 32 bytes a cell, before
# Python sees any: it reads sheets whose rectangle is at most CALAMINE_FLOOR cells (160 MB) or
# a few times the values the sheet holds, and never over CALAMINE_CELLS. A sparser sheet (a
# stray cell far right or below) or a larger one is read by openpyxl, which keeps only the
# filled cells, under the bounds above.
CALAMINE_FLOOR = 4_000_000
CALAMINE_PER_VALUE = 4
CALAMINE_CELLS = 16_000_000  # 512 MB; 256 MiB of sheet XML holds about 7,000,000 answers


@dataclass
class Table:
    """An export's header and columns, one per header cell by position (headers may repeat).

    `columns` holds Arrow arrays (CSV, Parquet) or NumPy object arrays (XLSX, exact CSV);
    `rows` is each row's number as the source shows it: the spreadsheet row (the header is row
    1), or the record number in a Parquet file. A Parquet file's columns are read as they are
    first used (`reader`), None until then."""

    path: str
    header: list[str]
    columns: list[Any]
    rows: np.ndarray
    spreadsheet: bool = True  # cells are named like C17; Parquet names columns instead
    reader: _ParquetColumns | None = field(default=None, repr=False, compare=False)
    # cells the reader could not read (XLSX), reported with the import's other problems
    problems: list[Problem] = field(default_factory=list, repr=False, compare=False)
    # 0-based column -> why it cannot be imported (a Parquet column of lists, structs, bytes)
    unreadable: dict[int, str] = field(default_factory=dict, repr=False, compare=False)
    # 0-based columns known to hold no value at all (a workbook's columns left of a far cell)
    blank: set[int] = field(default_factory=set, repr=False, compare=False)
    # per column, made once: a NumPy column's codes and values, an Arrow column's dictionary
    _coded: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.rows)

    def distinct(self, col: int, arrow: bool = False) -> tuple[np.ndarray, Any]:
        """Each cell of a column as a code into its distinct values (-1: empty), and those
        values: work per value instead of per cell. The values are an object array, or with
        `arrow` the Arrow array they are in, if they are (a column of a million distinct ids
        is then not made into Python objects before it has to be)."""
        column = self._column(col)
        if isinstance(column, tuple):
            return column
        indices = column.indices
        if indices.null_count:
            import pyarrow.compute as pc

            indices = pc.fill_null(indices, -1)
        return indices.to_numpy(zero_copy_only=False), self.values(col, arrow)

    def values(self, col: int, arrow: bool = False) -> Any:
        """The distinct values of `distinct`, without the cells' codes."""
        column = self._column(col)
        if isinstance(column, tuple):
            return column[1]
        values = column.dictionary
        return values if arrow else values.to_numpy(zero_copy_only=False).astype(object)

    def recode(self, col: int, values: np.ndarray) -> np.ndarray:
        """`values[code]` for each cell of a column, with the codes of `distinct`, and
        `values[-1]` for an empty cell: a column's cells as small codes of another list.

        For an Arrow column, Arrow's `take` reads its indices as they are, where NumPy would
        first copy a million of them as 64-bit positions (and the empty cells as -1 first).
        """
        column = self._column(col)
        if isinstance(column, tuple):
            return values[column[0]]
        import pyarrow as pa
        import pyarrow.compute as pc

        taken = pc.take(pa.array(values[:-1]), column.indices)
        if taken.null_count:
            taken = pc.fill_null(taken, values[-1].item())
        return taken.to_numpy(zero_copy_only=False)

    def read_plain(self, col: int) -> None:
        """Read a column as plain text, not as a dictionary, if it is not read yet: a column
        of ids holds as many values as cells, and a dictionary of a million values costs more
        to build (a quarter of a second) than anything done with it. See `strings`."""
        if self.reader is not None and self.columns[col] is None:
            self.reader.plain.add(col)

    def strings(self, col: int) -> Any:
        """An Arrow column of plain text as one array of strings; None for anything else
        (a dictionary, numbers, NumPy objects)."""
        if self.columns[col] is None and self.reader is not None:
            self.reader.read(self, col)
        column = self.columns[col]
        if isinstance(column, np.ndarray):
            return None
        import pyarrow as pa

        if not pa.types.is_string(column.type):
            return None
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        return column

    def _column(self, col: int) -> Any:
        """A column as codes and distinct values (NumPy), or as one dictionary array (Arrow),
        made once."""
        if col not in self._coded:
            if self.columns[col] is None and self.reader is not None:
                self.reader.read(self, col)
            column = self.columns[col]
            if isinstance(column, np.ndarray):
                codes, uniques = pd.factorize(column, use_na_sentinel=True)
                self._coded[col] = np.asarray(codes), np.asarray(uniques, dtype=object)
            else:
                self._coded[col] = _arrow_dictionary(column)
        return self._coded[col]

    def release(self, col: int) -> None:
        """Drop a column once it is read: its memory goes back before the next one is coded
        (a million rows take a few megabytes per column, hundreds in all)."""
        self.columns[col] = None
        self._coded.pop(col, None)
        if self.reader is not None:
            self.reader.done.add(col)

    def cell(self, row: int, col: int) -> str:
        """Where a cell is, in the words of the program that shows it."""
        if self.spreadsheet:
            return f"cell {column_letter(col + 1)}{row}"
        return f"row {row}, column '{shorten(self.header[col])}'"

    def column(self, col: int) -> str:
        name = shorten(self.header[col])  # a header can be a paragraph, or forge a line
        if self.spreadsheet:
            return f"column {column_letter(col + 1)} ('{name}')"
        return f"column '{name}'"


def _arrow_dictionary(column: Any) -> Any:
    """An Arrow column (chunks of dictionaries, or plain values) as one DictionaryArray."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    if isinstance(column, pa.ChunkedArray):
        chunks = column.chunks
        if not chunks:
            return pa.DictionaryArray.from_arrays(
                pa.array([], pa.int32()), pa.array([], column.type.value_type)
            )
        column = pa.concat_arrays(chunks) if len(chunks) > 1 else chunks[0]
    return column


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
    require_regular_file(path)  # a FIFO or a device would block or never end (F007)
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
    # Mapped rather than read: Arrow parses the file where it lies, without a copy of
    # hundreds of megabytes first.
    with _open_regular(path) as handle:
        empty_file = os.fstat(handle.fileno()).st_size == 0
        raw: Any = b"" if empty_file else mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return csv_table(path, raw, encoding)[0]


def _open_regular(path: Path) -> Any:
    """The file opened for reading, checked on its descriptor to be a regular file: opened
    without blocking, so that a FIFO swapped in after `require_regular_file` cannot hang."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        require_regular_file(path)  # the message for what it is
        raise DtassessError(
            Problem("F001", f"cannot read {path}: {exc.strerror}", str(path))
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        require_regular_file(path)
        raise DtassessError(Problem("F007", "not a regular file", str(path)))
    return os.fdopen(fd, "rb")


def csv_table(path: Path, raw: Any, encoding: str | None) -> tuple[Table, str]:
    """A CSV export's bytes (or a buffer of them) as a Table, and the encoding that read them:
    Arrow's reader, or the exact csv-module one wherever Arrow would number rows otherwise
    than a spreadsheet. (The Dask engine reads each piece of a partition through this too.)"""
    if _utf8(encoding):
        # Arrow checks the UTF-8 itself: no need to decode hundreds of megabytes first.
        bom = raw[: len(BOM)] == BOM
        table = _arrow_csv(path, memoryview(raw)[len(BOM) :] if bom else raw)
        if table is not None:
            return table, "utf-8"
    enc, text = _decode(path, bytes(raw), encoding)
    if not _utf8(enc):
        table = _arrow_csv(path, text.encode("utf-8"))
        if table is not None:
            return table, enc
    first = text.split("\n", 1)[0]
    delimiter = delimiter_of(first)
    # A cell over CELL_CHARS is reported where it is used (I013), not a csv.Error here; the
    # file's size bounds it.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return table_from_records(str(path), records, 1), enc


def delimiter_of(first: str) -> str:
    """A CSV's delimiter from its first line: a tab or a semicolon (KoboToolbox's CSV) where
    the line holds no comma, else a comma."""
    if "," not in first:
        for candidate in ("\t", ";"):
            if candidate in first:
                return candidate
    return ","


def _utf8(encoding: str | None) -> bool:
    try:
        return encoding is None or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    except LookupError:
        return False


def _arrow_csv(path: Path, data: Any) -> Table | None:
    """The fast reader; None when the file needs the exact one (not UTF-8, ragged rows, a
    header over several lines, blank or leading lines that Arrow would skip but a spreadsheet
    counts as rows). `data` is the file's bytes, or a buffer of them. None too without pyarrow
    (a core install, without the `parquet` extra): the exact reader reads every CSV."""
    if not installed("pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    head = bytes(data[: 1 << 16]).decode("utf-8", "replace")
    first = head.split("\n", 1)[0]
    delimiter = delimiter_of(first)
    header = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), [])
    if not header or head[:1] in "\r\n" or any("\n" in h or "\r" in h for h in header):
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            # Quoted cells may hold line breaks (multi-line text answers). A blank line is a
            # row in a spreadsheet: kept, it makes a short row, an error, so that the file
            # takes the exact path instead of every later row number being off by one.
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
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
    """The first sheet. The archive is checked before any reader opens it (its size, what it
    unpacks to, and where its cells lie: `_check_zip`); then python-calamine reads it, or, for
    a sheet whose cells calamine would place where the check cannot see, openpyxl row by row."""
    data = read_bytes(path, XLSX_BYTES)
    if not data.startswith(b"PK"):
        raise _not_xlsx(path, _not_zip_reason(data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        plain = _check_zip(path, archive)
    except DtassessError:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, struct.error ... of a bad zip
        raise _not_xlsx(path, str(exc)) from None
    if plain:
        return _calamine_table(path, data)
    return _openpyxl_table(path, data)


def _calamine_table(path: Path, data: bytes) -> Table:
    """The first worksheet read by python-calamine (Rust; several times openpyxl's speed), as
    a table whose rows and columns keep the numbers the spreadsheet shows (A1 is row 1,
    column 1: empty rows and columns before the data are kept)."""
    try:
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # CalamineError, XmlError, ZipError, PasswordError ...
        raise _not_xlsx(path, str(exc)) from None
    try:
        sheets = [
            m.name for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not sheets:
            raise _not_xlsx(path, "it has no worksheet")
        try:
            cells = book.get_sheet_by_name(sheets[0]).to_python(skip_empty_area=False)
        except Exception as exc:  # a broken sheet: XML, a cell reference that does not parse
            raise DtassessError(
                Problem(
                    "I001",
                    f"cannot read {path} as an .xlsx workbook: its first sheet does not parse "
                    f"({shorten(str(exc), 120)})",
                    str(path),
                )
            ) from None
    finally:
        book.close()
    return _grid_table(str(path), cells)


def _grid_table(path: str, cells: list[list[Any]]) -> Table:
    """A sheet's rows of cells from A1 (calamine's: an empty cell is ''), as a Table: a cell of
    spaces is empty, as openpyxl's reading has it; rows with no value are passed over but keep
    their numbers; a number too large to hold (a float that overflows) is reported (I013) and
    left empty. Each distinct value is judged once, not each cell."""
    grid = _grid(cells)
    flat = pd.Series(grid.ravel(), dtype=object, copy=False)
    distinct = pd.unique(flat)
    blank = [v for v in distinct if isinstance(v, str) and not v.strip()]
    huge = [v for v in distinct if isinstance(v, float) and not np.isfinite(v)]
    filled = ~flat.isin(blank + huge).to_numpy().reshape(grid.shape)
    numbers = list(zip(*np.nonzero(flat.isin(huge).to_numpy().reshape(grid.shape)), strict=True))
    grid[~filled] = None
    used = np.flatnonzero(filled.any(axis=1))
    if not len(used):
        raise DtassessError(Problem("I001", f"{path} is empty: no header row", path))
    head, body = used[0], used[1:]
    width = int(np.flatnonzero(filled.any(axis=0)).max()) + 1
    _bound_cells(path, len(body), width, int(filled.sum()))
    header = ["" if h is None else str(h).strip() for h in grid[head, :width]]
    columns = [np.ascontiguousarray(grid[body, c]) for c in range(width)]
    nothing = {c for c in range(width) if not filled[body, c].any()}
    table = Table(path, header, columns, (body + 1).astype(np.int64), blank=nothing)
    table.problems = [
        Problem(
            "I013",
            f"{table.cell(int(r) + 1, int(c))}: the cell cannot be read (a number too large "
            "to hold); left empty",
            path,
            int(r) + 1,
            int(c) + 1,
            severity="warning",
        )
        for r, c in numbers
    ]
    return table


def _grid(cells: list[list[Any]]) -> np.ndarray:
    """Rows of cells as a 2-D object array (calamine makes every row as wide as the sheet)."""
    width = max((len(r) for r in cells), default=0)
    grid = np.empty((len(cells), width), dtype=object)
    if all(len(r) == width for r in cells):
        grid[:] = cells if width else grid
        return grid
    grid[:] = ""
    for r, row in enumerate(cells):
        grid[r, : len(row)] = row
    return grid


def _openpyxl_table(path: Path, data: bytes) -> Table:
    """The first sheet, row by row as its XML holds them, with openpyxl: the dimension a sheet
    declares is not trusted (a 7.6 KB file can declare 1,048,576 x 16,384 cells), and only
    cells with a value are kept until the table is made."""
    try:
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of styles it does not know
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DtassessError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, XML errors
        raise _not_xlsx(path, str(exc)) from None
    try:
        if not book.worksheets:
            raise _not_xlsx(path, "it has no worksheet")
        return _sheet_table(path, book, book.worksheets[0])
    finally:
        book.close()


def _not_xlsx(path: Path, reason: str) -> DtassessError:
    return DtassessError(
        Problem(
            "I001",
            f"cannot read {path} as an .xlsx workbook: {shorten(reason, 200)}",
            str(path),
        )
    )


def _not_zip_reason(data: bytes) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return (
            "it is an old .xls workbook or a password-protected one; open it in Excel and save "
            "it as .xlsx without a password"
        )
    return "it is not a zip archive, as every .xlsx workbook is; export the answers again"


def _check_zip(path: Path, archive: zipfile.ZipFile) -> bool:
    """Refuse a workbook that would unpack past XLSX_INFLATED: by the sizes its directory
    declares, then by the bytes really inflated (every member is read once before any reader
    opens the file), so that a directory that understates them is caught too. While each
    member is inflated, the cells it places are measured (`_cell_extent`). Whether calamine
    may read it: every member places its cells where the measure sees them, in a rectangle
    from A1 that is not mostly empty (calamine allocates the whole rectangle at once, before
    any bound could be checked); else openpyxl reads the sheet."""
    members = archive.infolist()
    if len(members) > XLSX_MEMBERS:
        raise _not_xlsx(path, f"it holds {len(members):,} files; a workbook holds a few dozen")
    for info in members:
        if info.flag_bits & 0x1:
            raise _not_xlsx(path, "it is encrypted; save it without a password")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _not_xlsx(path, f"{info.filename} is compressed in a way Excel never writes")
    declared = sum(info.file_size for info in members)
    if declared > XLSX_INFLATED:
        raise _too_large(path, declared)
    inflated = 0
    plain = True
    for info in members:
        chunks = []
        with archive.open(info) as member:
            while chunk := member.read(1 << 20):
                inflated += len(chunk)
                if inflated > XLSX_INFLATED:
                    raise _too_large(path, inflated)
                chunks.append(chunk)
        extent = _cell_extent(b"".join(chunks))
        if extent is None or extent[0] * extent[1] > min(
            CALAMINE_CELLS, max(CALAMINE_FLOOR, CALAMINE_PER_VALUE * extent[2])
        ):
            plain = False
    return plain


# Where a cell opens: `<c` and what follows it in a sheet as Excel, 问卷星, POI and openpyxl
# write it (`<c r="B7" ...`).
_CELL = np.frombuffer(b'<c r="', np.uint8)


def _cell_extent(xml: bytes) -> tuple[int, int, int] | None:
    """The rows and columns that the cells of a member of a workbook span from A1, and how
    many values it holds (`<v>`, `<is>`), measured in bulk over its bytes (a quarter of a
    second for a million cells). (0, 0, 0) for a member without cells; None when some cell
    is written otherwise than `<c r="B7"`: r not first, no r, a namespace prefix, a
    reference that does not parse (the measure cannot place it; openpyxl reads the sheet)."""
    data = np.frombuffer(xml, np.uint8)
    n = len(data) - 16
    if n <= 0:
        return (0, 0, 0)
    lt = np.flatnonzero(data[:n] == 60)  # '<'
    after, then = data[lt + 1], data[lt + 2]
    cells = lt[(after == 99) & ~_name_char(then)]  # '<c', not '<col' or '<cfRule'
    if _prefixed_cells(data, n):
        return None
    if not len(cells):
        return (0, 0, 0)
    values = int(np.count_nonzero((after == 118) & ((then == 62) | (then == 32))))  # <v>
    values += int(np.count_nonzero((after == 105) & (then == 115) & (data[lt + 3] == 62)))
    values = min(values, len(cells))  # a cell holds one value (a comment can hold many <v>)
    for k, byte in enumerate(_CELL.tolist()):
        if not (data[cells + k] == byte).all():
            return None
    at = cells + len(_CELL)
    column = data[at].astype(np.int64) - 64
    if not ((column >= 1) & (column <= 26)).all():
        return None
    going = np.ones(len(at), bool)
    for _ in range(2):  # A .. XFD: up to three letters
        letter = data[at + 1].astype(np.int64) - 64
        going &= (letter >= 1) & (letter <= 26)
        if not going.any():
            break
        column = np.where(going, column * 26 + letter, column)
        at = at + going
    at = at + 1
    row = np.zeros(len(at), np.int64)
    going = np.ones(len(at), bool)
    for k in range(8):  # up to 1,048,576; a longer number does not parse
        digit = data[at + k].astype(np.int64) - 48
        more = going & (digit >= 0) & (digit <= 9)
        if k == 0 and not more.all():
            return None
        row = np.where(more, row * 10 + digit, row)
        if (going & ~more & (digit != 34 - 48)).any():  # '"' closes the reference
            return None
        going = more
        if not going.any():
            break
    if going.any():
        return None
    return int(row.max()), int(column.max()), values


def _name_char(byte: np.ndarray) -> np.ndarray:
    """Bytes that continue an XML name (`<col` is not `<c`)."""
    return (
        ((byte >= 97) & (byte <= 122))
        | ((byte >= 65) & (byte <= 90))
        | ((byte >= 48) & (byte <= 57))
        | np.isin(byte, (45, 46, 58, 95))
        | (byte >= 128)
    )


def _prefixed_cells(data: np.ndarray, n: int) -> bool:
    """Whether some element is a prefixed `c` (`<x:c r=...>`), which calamine reads as a cell."""
    colon = np.flatnonzero(data[:n] == 58)  # ':'
    if not len(colon):
        return False
    c = colon[(data[colon + 1] == 99) & ~_name_char(data[colon + 2])]
    if not len(c):
        return False
    return bool(np.isin(data[c + 2], (9, 10, 13, 32, 47, 62)).any())


def _too_large(path: Path, size: int) -> DtassessError:
    return DtassessError(
        Problem(
            "I015",
            f"{path} unpacks to more than {XLSX_INFLATED:,} bytes of XML ({size:,} bytes or "
            "more); dtassess reads workbooks up to that size: export the answers as CSV "
            "or Parquet instead",
            str(path),
        )
    )


def _sheet_table(path: Path, book: Any, sheet: Any) -> Table:
    """A worksheet's rows as a Table, parsed with openpyxl's own row parser but without its
    padding to the declared dimension; a cell that cannot be read (a number of 5,000 digits)
    is reported (I013) and left empty."""
    try:
        source = sheet._get_source()
    except Exception as exc:  # the workbook names a sheet the zip does not hold
        raise _not_xlsx(path, str(exc)) from None
    parser = _cell_parser()(
        source,
        sheet._shared_strings,
        data_only=True,
        epoch=book.epoch,
        date_formats=book._date_formats,
        timedelta_formats=book._timedelta_formats,
    )
    sparse = _SparseRows()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dates out of range: openpyxl warns, gives #VALUE!
            for row, cells in parser.parse():
                found = [(c["column"], c["value"]) for c in cells if not empty(c["value"])]
                if found:
                    sparse.add(row, found)
    except DtassessError:
        raise
    except Exception as exc:  # a broken row: XML, a cell reference that does not parse
        raise DtassessError(
            Problem(
                "I001",
                f"cannot read {path} as an .xlsx workbook: row {parser.row_counter} of its "
                f"first sheet does not parse ({shorten(str(exc), 120)})",
                str(path),
                parser.row_counter or None,
            )
        ) from None
    finally:
        parser.source.close()
    table = sparse.table(str(path))
    table.problems = [
        Problem(
            "I013",
            f"{table.cell(row, col - 1)}: the cell cannot be read ({shorten(str(exc), 120)}); "
            "left empty",
            str(path),
            row,
            col,
            severity="warning",
        )
        for row, col, exc in parser.bad
    ]
    return table


def _cell_parser() -> type:
    """openpyxl's row parser, with a cell that fails to convert kept as an empty cell and
    noted (row, column, error) instead of ending the sheet."""
    from openpyxl.worksheet._reader import WorkSheetParser

    class CellParser(WorkSheetParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.bad: list[tuple[int, int, Exception]] = []

        def parse_cell(self, element: Any) -> dict:
            try:
                return super().parse_cell(element)
            except (ValueError, TypeError, IndexError, OverflowError, KeyError) as exc:
                row, col = self.row_counter, self.col_counter
                self.bad.append((row, col, exc))
                return {"row": row, "column": col, "value": None, "data_type": "n", "style_id": 0}

    return CellParser


class _SparseRows:
    """A sheet's filled cells gathered row by row, per column (positions and values), as the
    rows are parsed: nothing of a row's width is held, and no list of rows either."""

    def __init__(self) -> None:
        self.header: list[tuple[int, Any]] | None = None
        self.rows: list[int] = []
        self.values: dict[int, tuple[list[int], list[Any]]] = {}
        self.present = 0
        self.width = 0

    def add(self, row: int, cells: list[tuple[int, Any]]) -> None:
        """One row's filled cells, (1-based column, value); the first row is the header."""
        self.present += len(cells)
        self.width = max(self.width, max(col for col, _ in cells))
        if self.header is None:
            self.header = cells
            return
        position = len(self.rows)
        self.rows.append(row)
        for col, value in cells:
            at = self.values.setdefault(col, ([], []))
            at[0].append(position)
            at[1].append(value)

    def table(self, path: str) -> Table:
        """The table: a column with no value is one shared empty array."""
        if self.header is None:
            raise DtassessError(Problem("I001", f"{path} is empty: no header row", path))
        n, values = len(self.rows), self.values
        _bound_cells(path, n, len(values), self.present)
        header = [""] * self.width
        for col, value in self.header:
            header[col - 1] = str(value).strip()
        blank = np.full(n, None, dtype=object)
        columns: list[Any] = []
        nothing: set[int] = set()
        for col in range(1, self.width + 1):
            if col not in values:
                columns.append(blank)
                nothing.add(col - 1)
                continue
            column = np.full(n, None, dtype=object)
            positions, cells = values.pop(col)
            filled = np.empty(len(cells), dtype=object)
            filled[:] = cells
            column[positions] = filled
            columns.append(column)
        return Table(path, header, columns, np.array(self.rows, dtype=np.int64), blank=nothing)


def _bound_cells(path: str, rows: int, width: int, present: int) -> None:
    """Refuse a table that would be far larger than the cells the file holds (I015)."""
    cells = rows * width
    if cells > max(CELLS_FLOOR, CELLS_PER_VALUE * present):
        raise DtassessError(
            Problem(
                "I015",
                f"{path} spans {rows:,} rows by {width:,} columns ({cells:,} cells) but holds "
                f"only {present:,} values; dtassess does not make a table mostly of empty "
                "cells: remove the stray cells far right or below the answers, or the rows "
                "that are much shorter than the header",
                path,
            )
        )


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
    _bound_cells(path, len(body), width, sum(len(cells) for _, cells in numbered))
    header = [("" if h is None else str(h)).strip() for h in header] + [""] * (width - len(header))
    columns = []
    for col in range(width):
        values = np.empty(len(body), dtype=object)
        values[:] = [cells[col] if col < len(cells) else None for _, cells in body]
        columns.append(values)
    rows = np.array([n for n, _ in body], dtype=np.int64)
    return Table(path, header, columns, rows)


# --------------------------------------------------------------------------- Parquet


def parquet_unreadable(schema: Any) -> dict[int, str]:
    """The columns of a Parquet schema that hold no answers a form could give, by position,
    with what they hold: lists, structs, maps and bytes (I014)."""
    import pyarrow as pa

    found = {}
    for col, column in enumerate(schema):
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_nested(kind):
            found[col] = f"nested values ({shorten(str(kind), 60)})"
        elif (
            pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind)
            or pa.types.is_fixed_size_binary(kind)
        ):
            found[col] = "bytes (binary)"
        elif not (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_decimal(kind)
            or pa.types.is_temporal(kind)
            or pa.types.is_null(kind)
        ):
            found[col] = f"values of type {shorten(str(kind), 60)}"
    return found


def _read_parquet(path: Path) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        unreadable = parquet_unreadable(schema)
        text = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        # One file: ParquetFile reads it without the dataset layer of read_table (its import,
        # its scanning, and a chunk per row group to concatenate later).
        file = pq.ParquetFile(path, read_dictionary=text)
        header = [str(name) for name in schema.names]
        rows = np.arange(1, file.metadata.num_rows + 1)
        if len(set(schema.names)) == len(schema.names):  # columns found by name
            reader = _ParquetColumns(file, path)
            reader.done |= set(unreadable)  # never read
            found = Table(str(path), header, [None] * len(header), rows, False, reader)
            found.unreadable = unreadable
            return found
        table = file.read()
    except (pa.ArrowException, OSError) as exc:
        raise _not_parquet(path, exc) from None
    found = Table(str(path), header, table.columns, rows, spreadsheet=False)
    found.unreadable = unreadable
    return found


def _not_parquet(path: Path, exc: Exception) -> DtassessError:
    return DtassessError(Problem("I001", f"cannot read {path} as a Parquet file: {exc}", str(path)))


class _ParquetColumns:
    """A Parquet file's columns, read as a table first uses them, a few at a time (and several
    threads at once): each is coded and released before the last ones are read, so that the
    columns of a million rows, some hundreds of megabytes, are never all held at once, and
    their memory is reused rather than faulted in afresh."""

    AT_ONCE = 8

    def __init__(self, file: Any, path: Path) -> None:
        self.file, self.path = file, path  # `file` reads text columns as dictionaries
        self.done: set[int] = set()  # released: not to be read again with the next ones
        self.plain: set[int] = set()  # to be read as plain text (`Table.read_plain`)

    def read(self, table: Table, col: int) -> None:
        """Read column `col` of `table`, and the next ones not read yet."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        later = (c for c in range(col + 1, len(table.columns)) if table.columns[c] is None)
        wanted = [col, *[c for c in later if c not in self.done][: self.AT_ONCE - 1]]
        names = self.file.schema_arrow.names
        try:
            for plain in (False, True):
                part = [c for c in wanted if (c in self.plain) == plain]
                if part:
                    file = pq.ParquetFile(self.path) if plain else self.file
                    data = file.read(columns=[names[c] for c in part])
                    for c, column in zip(part, data.columns, strict=True):
                        table.columns[c] = column
        except (pa.ArrowException, OSError) as exc:
            raise _not_parquet(self.path, exc) from None
