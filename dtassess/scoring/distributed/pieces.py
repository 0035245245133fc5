"""Reading one partition a piece at a time and turning each piece into answers, with the
functions `exports.load_export` is made of; bad cells are logged as data (`CellLog`) so that
pieces and partitions merge into the warnings `load_exports` gives."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DtassessError, Problem
from ...inputs import exports, tables
from .plan import InputFile, Job, Partition, Segment, broken_lines, filesystem

PIECE_ROWS = 524_288  # rows a task reads and imports at a time (each distinct answer of a
# piece is judged once: bigger pieces judge less often)
# the metadata groups need: their keys and the organization's name
META_FIELDS = ("organization", "organization_name", "unit", "period")


@dataclass
class Piece:
    file: int
    table: tables.Table  # rows: absolute (Parquet) or counted from the partition's start (CSV)
    encoding: str | None = None  # CSV: the encoding that decoded it, when it is not ASCII
    lines: int = 0  # CSV: the lines it holds


def pieces(part: Partition, job: Job, matched: dict[int, Any]) -> Iterator[Piece]:
    for segment in part.segments:
        f = job.files[segment.file]
        if f.kind == "parquet":
            yield from _parquet_pieces(segment, f, job, matched)
        else:
            yield from _csv_pieces(segment, f, job, part.split)


def _match(file: int, table: tables.Table, job: Job, matched: dict[int, Any]) -> Any:
    """`exports.match_columns` once per file (it reads the header only), and the check that
    `load_export` makes next: an organization must come from somewhere."""
    if file not in matched:
        columns, found = exports.match_columns(table, job.q, mapping=job.mapping)
        exports.require_organization(table, columns, job.org, job.org_name)
        matched[file] = (columns, found)
    return matched[file][0]


def _used_columns(columns: Any) -> set[int]:
    """The columns the import reads: questions, options, and the metadata that groups need."""
    used = set(columns.questions) | set(columns.headerless)  # headerless: reported (I012)
    used |= {col for option_columns in columns.options.values() for col, _ in option_columns}
    for name in ("organization", "organization_name", "unit", "period"):
        if name in columns.meta:
            used.add(columns.meta[name])
            used |= set(columns.spare.get(name, ()))
    return used


def _parquet_pieces(
    segment: Segment, f: InputFile, job: Job, matched: dict[int, Any]
) -> Iterator[Piece]:
    """Rows of one file, about `piece_rows` at a time, read as `tables._read_parquet` reads the
    whole file (text columns dictionary-encoded; rows numbered from 1 in the file), but only the
    columns the import uses."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fs, path = filesystem(f.path)
    try:
        with fs.open(path, "rb") as handle:
            schema = pq.ParquetFile(handle).schema_arrow
            header = [str(name) for name in schema.names]
            stub = tables.Table(f.label, header, [None] * len(header), np.zeros(0, np.int64), False)
            stub.unreadable = tables.parquet_unreadable(schema)  # lists, structs: I014
            used = sorted(_used_columns(_match(segment.file, stub, job, matched)))
            if segment.start == segment.stop:  # a file without rows: its columns still count
                yield Piece(segment.file, stub)
                return
            text = [
                x.name
                for x in schema
                if pa.types.is_string(x.type) or pa.types.is_large_string(x.type)
            ]
            pf = pq.ParquetFile(handle, read_dictionary=text)
            names = [header[i] for i in used]
            unique = len(set(header)) == len(header)  # else: read every column
            meta = pf.metadata
            sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
            starts = np.cumsum([0, *sizes])
            wanted = [
                i
                for i in range(meta.num_row_groups)
                if starts[i] < segment.stop and starts[i + 1] > segment.start
            ]
            position = int(starts[wanted[0]]) if wanted else segment.start
            batches: list[Any] = []
            first_row = segment.start

            def piece() -> Piece:
                block = pa.Table.from_batches(batches)
                columns: list[Any] = [None] * len(header)
                for n, i in enumerate(used if unique else range(len(header))):
                    columns[i] = block.column(n)
                rows = np.arange(first_row + 1, first_row + block.num_rows + 1, dtype=np.int64)
                return Piece(segment.file, tables.Table(f.label, header, columns, rows, False))

            for batch in pf.iter_batches(
                batch_size=min(job.piece_rows, 1 << 16),
                row_groups=wanted,
                columns=names if unique else None,
                use_threads=False,
            ):
                first, last = position, position + batch.num_rows
                position = last
                lo, hi = max(first, segment.start), min(last, segment.stop)
                if lo < hi:
                    batches.append(batch.slice(lo - first, hi - lo))
                    if sum(b.num_rows for b in batches) >= job.piece_rows:
                        yield piece()
                        first_row, batches = hi, []
                if hi >= segment.stop:
                    break
            if batches:
                yield piece()
    except (pa.ArrowException, OSError) as exc:
        raise DtassessError(
            Problem("I001", f"cannot read {f.label} as a Parquet file: {exc}", f.label)
        ) from None


def _csv_pieces(segment: Segment, f: InputFile, job: Job, split: bool) -> Iterator[Piece]:
    """The lines that begin in a byte range of a CSV export, about `piece_rows` lines at a time,
    each parsed behind the file's header line by the readers of `tables._read_csv`. Row numbers
    count lines from the range's start (the client adds the lines of the ranges before)."""
    piece_bytes = max(int(job.piece_rows * f.line_bytes), 1)
    split = split or segment.stop - segment.start > piece_bytes
    fs, path = filesystem(f.path)
    lines = 0
    with fs.open(path, "rb") as handle:
        if f.whole:
            data = handle.read()
            data = data[len(tables.BOM) :] if data.startswith(tables.BOM) else data
            table, encoding = _csv_table(f, data, job.encoding)
            table.rows = table.rows - 1
            yield Piece(segment.file, table, encoding, int(table.rows.max(initial=0)))
            return
        position = segment.start
        if position > f.start:  # begin at the first line that starts in the range
            handle.seek(position - 1)
            position += len(handle.readline()) - 1
        while position < segment.stop:
            handle.seek(position)
            data = handle.read(piece_bytes)
            if not data:
                break
            if not data.endswith(b"\n"):
                data += handle.readline()
            if position + len(data) > segment.stop:  # lines that start later are the next range's
                end = data.find(b"\n", segment.stop - position - 1)
                if end >= 0:
                    data = data[: end + 1]
            if split and broken_lines(data):
                raise DtassessError(
                    Problem(
                        "D001",
                        f"{f.label} has line breaks inside quoted cells, so --engine dask cannot "
                        "split it at line breaks; convert it to Parquet, or score it with "
                        "--engine pandas",
                        f.label,
                    )
                )
            table, encoding = _csv_table(f, data, job.encoding)
            table.rows = table.rows - 1 + lines  # the header is line 1 of every piece
            count = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            yield Piece(segment.file, table, encoding, count)
            lines += count
            position += len(data)


def _csv_table(f: InputFile, data: bytes, encoding: str | None) -> tuple[tables.Table, str | None]:
    """The header line and one piece read as `tables.csv_table` reads a whole export; and the
    encoding used, for text that is not ASCII (pieces must agree on it)."""
    raw = f.header + data
    table, used = tables.csv_table(Path(f.label), raw, encoding)
    return table, None if raw.isascii() else used


class CellLog:
    """Bad cells as `exports._Reporter` collects them, kept as data so that pieces and
    partitions merge: per (file, column) the number of cells and the first CELLS_LISTED + 1 of
    them (row, code, message), by row."""

    def __init__(self) -> None:
        self.cells_of: dict[tuple[int, int], list] = {}  # (file, column) -> [count, entries]
        self.unorganized: dict[int, list[int]] = {}  # file -> rows left out (I010)
        self.file = 0
        self.table: tables.Table | None = None

    def cells(self, col: int, rows: np.ndarray, code: str, message: str) -> None:
        """`_Reporter.cells`: cells at positions `rows` of the current piece's column `col`."""
        if not len(rows):
            return
        assert self.table is not None  # set to the piece being read before its cells
        lines = self.table.rows[np.sort(rows)][: exports.CELLS_LISTED + 1]
        entry = self.cells_of.setdefault((self.file, col), [0, []])
        entry[0] += len(rows)
        entry[1] = _first_cells(entry[1] + [(int(line), code, message) for line in lines])

    def merge(self, other: CellLog, shift: dict[int, int]) -> None:
        """Add a later partition's cells; `shift` gives lines to add to a file's rows."""
        for (file, col), (count, entries) in other.cells_of.items():
            moved = [(row + shift.get(file, 0), code, msg) for row, code, msg in entries]
            entry = self.cells_of.setdefault((file, col), [0, []])
            entry[0] += count
            entry[1] = _first_cells(entry[1] + moved)
        for file, rows in other.unorganized.items():
            self.unorganized.setdefault(file, []).extend(r + shift.get(file, 0) for r in rows)


def _first_cells(entries: list) -> list:
    return sorted(entries, key=lambda e: e[0])[: exports.CELLS_LISTED + 1]


def import_piece(
    piece: Piece, job: Job, log: CellLog, matched: dict[int, Any]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]] | None:
    """`exports.load_export` on one piece: the answers frame and the metadata that groups
    need (organization, organization_name, unit, period), by the same functions. Rows without
    an organization are left out and logged. Column problems go to `matched`, once per file."""
    table = piece.table
    q = job.q
    columns = _match(piece.file, table, job, matched)
    if len(table) == 0:
        return None
    log.file, log.table = piece.file, table
    answers = exports.coded_answers(q, table, columns, job.mapping, log)
    block, _, no_organization = exports.meta_fields(
        table, columns, META_FIELDS, job.org, job.org_name, job.period, log
    )
    fields = dict(zip(META_FIELDS, block, strict=True))
    keep = ~no_organization
    if not keep.all():
        rows = table.rows[~keep]
        log.unorganized.setdefault(piece.file, []).extend(int(r) for r in rows)
        answers = answers[keep].reset_index(drop=True)
        fields = {k: v[keep] for k, v in fields.items()}
    return answers, fields
