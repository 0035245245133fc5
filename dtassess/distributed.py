"""The scoring engine on a Dask cluster: exports larger than one machine's memory, scored by
partition on `dask.distributed` workers (docs/distributed.md).

The formulas are the pandas engine's, and so is the code that applies them. A task reads one
partition of the inputs (row groups of Parquet files, a byte range of a CSV export) a piece at a
time, turns each piece into answers with the import functions of the pandas path
(`_import_piece` follows `imports.read_answers` step for step: column matching, cell coding,
skip logic, metadata), scores it with `engine.score_respondents`, and keeps only per-group
sufficient statistics that merge exactly:

- respondents per group; per group and node the count, mean and M2 (sum of squared deviations)
  of the node scores and of the coverage; parts merge with the update of Chan, Golub and
  LeVeque, so a standard deviation never comes from the difference of two large sums;
- for rWG(J), per group and question the count, mean and M2 of the 0-1 question scores; for
  Cronbach's alpha, per group and node the same of each question over the node's complete
  cases, and of their totals;
- for exact medians, a histogram per group and node with each bin's count, lowest and highest
  score. The client then knows which bin holds each median; later passes narrow such bins, or
  fetch the few scores in them, until every median is one known score (or half the sum of
  two): exact, in memory that does not grow with the data. A later pass reads the node scores
  the first pass kept on the worker's scratch disk, or reads and scores the data again when
  they are gone.

Only these statistics (groups x nodes, never respondents) travel to the client, which merges
them in partition order (the same numbers on every run) and builds the table with the engine's
own functions (`engine._agreement`, `engine._long_table`, `engine.withhold_small_groups`).

Dask itself is imported only when a job runs (`pip install dtassess[dask]`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import engine, imports, tables
from .errors import DtassessError, ExitCode, Problem
from .questionnaire import Questionnaire

PIECE_ROWS = 524_288  # rows a task reads and imports at a time (each distinct answer of a
# piece is judged once: bigger pieces judge less often)
SCORE_ROWS = 131_072  # rows scored at a time: with the piece, a task's working memory
# The first pass's histograms (for exact medians): per group and node a power of two of bins,
# at most FIRST_BINS, fewer with many groups (FIRST_CELLS bins per piece in all).
FIRST_BINS = 256
FIRST_CELLS = 1 << 20
REFINE_CELLS = 1 << 20  # histogram cells per later pass, over all the bins still open
REFINE_BINS = 16  # at least this many bins for each interval a later pass cuts
GATHER_VALUES = 1 << 21  # node scores fetched per pass to settle medians
MAX_PASSES = 64  # each pass cuts an interval in REFINE_BINS or more: float64 runs out first
PARTITIONS = 2  # default partitions per worker thread
WHOLE_CSV_BYTES = 8 << 20  # a CSV this small is checked for line breaks in cells when planned
# the metadata groups need: their keys and the organization's name
META_FIELDS = ("organization", "organization_name", "unit", "period")
# Test-only: seconds each piece waits, so that a test can kill a worker while a job runs.
DELAY_ENV = "DTASSESS_DASK_PIECE_DELAY"


# --------------------------------------------------------------------------- results


class _OnTheCluster(engine.RespondentScores):
    """`result.respondents` of a distributed job: per-respondent scores are never collected."""

    def __init__(self) -> None:  # no frames to hold
        pass

    def _refuse(self) -> Any:
        raise DtassessError(
            Problem(
                "D001",
                "per-respondent scores are not collected from a Dask cluster (they are as large "
                "as the data); use dtassess.score() on a ResponseSet for them",
            )
        )

    @property
    def score(self) -> pd.DataFrame:
        return self._refuse()

    @property
    def coverage(self) -> pd.DataFrame:
        return self._refuse()


@dataclass
class DistributedResult(engine.ScoreResult):
    """`engine.ScoreResult` of a Dask job. `table` is the pandas engine's table for the same
    inputs (to rounding); `meta` has one row per respondent but no columns (the rows stay on
    the workers); `respondents` cannot be read. `problems` are the import warnings, as
    `read_exports` gives them."""

    problems: list[Problem] = field(default_factory=list)
    partitions: int = 0  # partitions the inputs were split into
    passes: int = 0  # passes over the data (1 + those that settled medians)
    rescored: int = 0  # tasks of later passes that read and scored their partition again


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Source:
    path: str  # as the workers open it: an absolute local path or a URL
    label: str  # as the user gave it, for messages


@dataclass(frozen=True)
class _File:
    """One input file, as the planning task found it."""

    path: str
    label: str
    kind: str  # "parquet" | "csv"
    size: int  # rows (Parquet) or bytes (CSV)
    header: bytes = b""  # CSV: the header line, without a byte-order mark
    start: int = 0  # CSV: where the first data line begins
    line_bytes: float = 100.0  # CSV: mean bytes per line in the first 64 KiB
    whole: bool = False  # CSV: read in one piece (a small file with line breaks in cells)


@dataclass(frozen=True)
class _Segment:
    file: int  # index into the plan's files
    start: int  # rows (Parquet) or bytes (CSV) of the file
    stop: int


@dataclass(frozen=True)
class _Part:
    index: int
    segments: tuple[_Segment, ...]
    split: bool = False  # CSV: the file is read in several pieces (line breaks in cells fail)


@dataclass
class _Plan:
    files: list[_File]
    parts: list[_Part]


@dataclass
class _Job:
    """What every task needs: the questionnaire, how to read exports, how to group."""

    q: Questionnaire
    mapping: Any
    encoding: str | None
    org: str | None
    org_name: str | None
    period: str | None
    keys: tuple[str, ...]
    piece_rows: int
    files: list[_File]
    bins: int  # the first pass's histogram bins
    token: str  # names the job's tasks and the files it keeps on workers


def _is_url(path: str) -> bool:
    return "://" in path


def _sources(paths: Sequence[str | os.PathLike]) -> list[_Source]:
    """The inputs as workers open them; response files and workbooks are refused here."""
    found = []
    for raw in paths:
        text = os.fspath(raw)
        suffix = Path(text.rstrip("/")).suffix.lower()
        if suffix in (".yaml", ".yml", ".json") or suffix in tables.XLSX_SUFFIXES:
            kind = "an .xlsx workbook" if suffix in tables.XLSX_SUFFIXES else "a response file"
            raise DtassessError(
                Problem(
                    "D001",
                    f"{text} is {kind}: --engine dask scores Parquet files and datasets "
                    "(directories of .parquet files) and CSV exports; score it with --engine "
                    "pandas, or convert it to Parquet or CSV",
                    text,
                )
            )
        if _is_url(text):
            found.append(_Source(text, text))
        else:
            found.append(_Source(os.path.abspath(text), str(Path(text))))
    if not found:
        raise DtassessError(Problem("F001", "no input given: name Parquet or CSV exports"))
    return found


def _filesystem(path: str):
    import fsspec

    return fsspec.core.url_to_fs(path)


def _plan(sources: list[_Source], partitions: int) -> _Plan | list[Problem]:
    """Runs on a worker (the client may not see the data): the files, and the partitions.

    Parquet files are one row space, cut into `partitions` parts of about equal rows, at row
    group boundaries where one is near; each CSV file gets a share of the partitions by its
    estimated rows, cut at byte offsets (a partition starts at the first line that begins in
    its range). A Parquet file without rows is a partition of its own, so that its columns are
    checked as the pandas path checks them.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    files: list[_File] = []
    groups: list[list[int]] = []  # per Parquet file: its row group sizes
    try:
        for source in sources:
            fs, root = _filesystem(source.path)
            if fs.isdir(root):
                inside = sorted(
                    f
                    for f in fs.find(root)
                    if Path(f).suffix.lower() in tables.PARQUET_SUFFIXES
                    and not Path(f).name.startswith(("_", "."))
                )
                if not inside:
                    return [
                        Problem(
                            "D001",
                            "no .parquet files in this folder: --engine dask scores "
                            "Parquet datasets (directories of .parquet files) and CSV exports; "
                            "score response files with --engine pandas",
                            source.label,
                        )
                    ]
                prefix = source.path[: len(source.path) - len(root)] if _is_url(source.path) else ""
                entries = [
                    (
                        prefix + f,
                        str(Path(source.label) / os.path.relpath(f, root))
                        if not _is_url(source.label)
                        else prefix + f,
                    )
                    for f in inside
                ]
            elif fs.isfile(root):
                entries = [(source.path, source.label)]
            else:
                return [Problem("F001", f"file not found: {source.label}", source.label)]
            for path, label in entries:
                suffix = Path(path).suffix.lower()
                if suffix in tables.PARQUET_SUFFIXES:
                    try:
                        with fs.open(_filesystem(path)[1], "rb") as handle:
                            meta = pq.ParquetFile(handle).metadata
                    except (pa.ArrowException, OSError) as exc:
                        return [
                            Problem("I001", f"cannot read {label} as a Parquet file: {exc}", label)
                        ]
                    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
                    files.append(_File(path, label, "parquet", meta.num_rows))
                    groups.append(sizes)
                elif suffix in tables.CSV_SUFFIXES:
                    files.append(_csv_file(fs, path, label))
                    groups.append([])
                else:
                    return [
                        Problem(
                            "D001",
                            f"{label}: cannot score '{suffix or Path(label).name}' files with "
                            "--engine dask; give .parquet or .csv exports",
                            label,
                        )
                    ]
    except OSError as exc:
        label = sources[0].label if len(sources) == 1 else "the inputs"
        return [Problem("F001", f"cannot read {label}: {exc}", label)]
    return _Plan(files, _cut(files, groups, partitions))


def _csv_file(fs: Any, path: str, label: str) -> _File:
    """A CSV export's header line and size. A small one with line breaks inside quoted cells
    is read whole, as the pandas path reads it; a large one is split at line breaks (and such
    cells are refused where they are met)."""
    inner = _filesystem(path)[1]
    size = fs.size(inner)
    with fs.open(inner, "rb") as handle:
        if size <= WHOLE_CSV_BYTES and _broken_lines(handle.read()):
            return _File(path, label, "csv", size, whole=True)
        handle.seek(0)
        header = handle.readline()
        sample = handle.read(1 << 16)
    start = len(header)
    header = header.removeprefix(tables.BOM)
    if header and not header.endswith(b"\n"):
        header += b"\n"
    lines = sample.count(b"\n")
    line_bytes = len(sample) / lines if lines else float(max(len(sample), 1))
    return _File(path, label, "csv", size, header, start, line_bytes)


def _cut(files: list[_File], groups: list[list[int]], partitions: int) -> list[_Part]:
    """Partitions over the files (see `_plan`)."""
    parquet = [i for i, f in enumerate(files) if f.kind == "parquet"]
    rows = sum(files[i].size for i in parquet)
    estimated = {
        i: max(f.size - f.start, 0) / f.line_bytes for i, f in enumerate(files) if f.kind == "csv"
    }
    weight = rows + sum(estimated.values()) or 1.0
    parts: list[list[_Segment]] = []
    split: list[bool] = []
    ordered: list[tuple[int, list[_Segment], bool]] = []  # (first file, segments, split)
    # Parquet: one row space over the files, in order
    count = min(max(1, round(partitions * rows / weight)), max(rows, 1))
    offsets = np.cumsum([0] + [files[i].size for i in parquet])
    bounds = [0]  # row group boundaries in the row space
    for i, sizes in zip(parquet, [groups[i] for i in parquet], strict=True):
        base = offsets[parquet.index(i)]
        bounds += list(base + np.cumsum(sizes))
    bounds_arr = np.unique(np.array(bounds, dtype=np.int64))
    cuts = [0]
    for k in range(1, count):
        ideal = round(k * rows / count)
        near = bounds_arr[np.argmin(np.abs(bounds_arr - ideal))] if len(bounds_arr) else ideal
        cut = int(near) if abs(near - ideal) <= rows / count / 4 else ideal
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(rows)
    for a, b in itertools.pairwise(cuts):
        segments = []
        for n, i in enumerate(parquet):
            lo, hi = max(a, offsets[n]), min(b, offsets[n + 1])
            if lo < hi:
                segments.append(_Segment(i, int(lo - offsets[n]), int(hi - offsets[n])))
        if segments:
            ordered.append((segments[0].file, segments, False))
    for i in parquet:
        if files[i].size == 0:
            ordered.append((i, [_Segment(i, 0, 0)], False))
    # CSV: each file its share of the partitions, cut by bytes
    for i, estimate in estimated.items():
        f = files[i]
        share = max(1, min(round(partitions * estimate / weight), int(estimate) or 1))
        share = 1 if f.whole else share
        body = max(f.size - f.start, 0)
        edges = [f.start + round(k * body / share) for k in range(share + 1)]
        for a, b in itertools.pairwise(edges):
            ordered.append((i, [_Segment(i, a, b)], share > 1))
    ordered.sort(key=lambda item: (item[0], item[1][0].start))
    for _, segments, is_split in ordered:
        parts.append(segments)
        split.append(is_split)
    return [
        _Part(n, tuple(segments), is_split)
        for n, (segments, is_split) in enumerate(zip(parts, split, strict=True))
    ]


# --------------------------------------------------------------------------- reading pieces


@dataclass
class _Piece:
    file: int
    table: tables.Table  # rows: absolute (Parquet) or counted from the partition's start (CSV)
    encoding: str | None = None  # CSV: the encoding that decoded it, when it is not ASCII
    lines: int = 0  # CSV: the lines it holds


def _pieces(part: _Part, job: _Job, matched: dict[int, Any]) -> Iterator[_Piece]:
    for segment in part.segments:
        f = job.files[segment.file]
        if f.kind == "parquet":
            yield from _parquet_pieces(segment, f, job, matched)
        else:
            yield from _csv_pieces(segment, f, job, part.split)


def _match(file: int, table: tables.Table, job: _Job, matched: dict[int, Any]) -> Any:
    """`imports.match_columns` once per file (it reads the header only), and the check that
    `read_answers` makes next: an organization must come from somewhere."""
    if file not in matched:
        columns, found = imports.match_columns(table, job.q, mapping=job.mapping)
        imports.require_organization(table, columns, job.org, job.org_name)
        matched[file] = (columns, found)
    return matched[file][0]


def _used_columns(columns: Any) -> set[int]:
    """The columns the import reads: questions, options, and the metadata that groups need."""
    used = set(columns.questions)
    used |= {col for option_columns in columns.options.values() for col, _ in option_columns}
    for name in ("organization", "organization_name", "unit", "period"):
        if name in columns.meta:
            used.add(columns.meta[name])
            used |= set(columns.spare.get(name, ()))
    return used


def _parquet_pieces(
    segment: _Segment, f: _File, job: _Job, matched: dict[int, Any]
) -> Iterator[_Piece]:
    """Rows of one file, about `piece_rows` at a time, read as `tables._read_parquet` reads the
    whole file (text columns dictionary-encoded; rows numbered from 1 in the file), but only the
    columns the import uses."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fs, path = _filesystem(f.path)
    try:
        with fs.open(path, "rb") as handle:
            schema = pq.ParquetFile(handle).schema_arrow
            header = [str(name) for name in schema.names]
            stub = tables.Table(f.label, header, [None] * len(header), np.zeros(0, np.int64), False)
            used = sorted(_used_columns(_match(segment.file, stub, job, matched)))
            if segment.start == segment.stop:  # a file without rows: its columns still count
                yield _Piece(segment.file, stub)
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

            def piece() -> _Piece:
                block = pa.Table.from_batches(batches)
                columns: list[Any] = [None] * len(header)
                for n, i in enumerate(used if unique else range(len(header))):
                    columns[i] = block.column(n)
                rows = np.arange(first_row + 1, first_row + block.num_rows + 1, dtype=np.int64)
                return _Piece(segment.file, tables.Table(f.label, header, columns, rows, False))

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


def _csv_pieces(segment: _Segment, f: _File, job: _Job, split: bool) -> Iterator[_Piece]:
    """The lines that begin in a byte range of a CSV export, about `piece_rows` lines at a time,
    each parsed behind the file's header line by the readers of `tables._read_csv`. Row numbers
    count lines from the range's start (the client adds the lines of the ranges before)."""
    piece_bytes = max(int(job.piece_rows * f.line_bytes), 1)
    split = split or segment.stop - segment.start > piece_bytes
    fs, path = _filesystem(f.path)
    lines = 0
    with fs.open(path, "rb") as handle:
        if f.whole:
            data = handle.read()
            data = data[len(tables.BOM) :] if data.startswith(tables.BOM) else data
            table, encoding = _csv_table(f, data, job.encoding)
            table.rows = table.rows - 1
            yield _Piece(segment.file, table, encoding, int(table.rows.max(initial=0)))
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
            if split and _broken_lines(data):
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
            yield _Piece(segment.file, table, encoding, count)
            lines += count
            position += len(data)


def _broken_lines(data: bytes) -> bool:
    """Whether a line holds an odd number of quotes: a quoted cell goes on past its end."""
    if b'"' not in data:
        return False
    buffer = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(buffer == ord('"'))
    ends = np.append(np.flatnonzero(buffer == ord("\n")), len(buffer))
    per_line = np.diff(np.concatenate([[0], np.searchsorted(quotes, ends)]))
    return bool((per_line % 2).any())


def _csv_table(f: _File, data: bytes, encoding: str | None) -> tuple[tables.Table, str | None]:
    """The header line and one piece read as `tables.csv_table` reads a whole export; and the
    encoding used, for text that is not ASCII (pieces must agree on it)."""
    raw = f.header + data
    table, used = tables.csv_table(Path(f.label), raw, encoding)
    return table, None if raw.isascii() else used


# --------------------------------------------------------------------------- importing pieces


class _CellLog:
    """Bad cells as `imports._Reporter` collects them, kept as data so that pieces and
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
        lines = self.table.rows[np.sort(rows)][: imports.CELLS_LISTED + 1]
        entry = self.cells_of.setdefault((self.file, col), [0, []])
        entry[0] += len(rows)
        entry[1] = _first_cells(entry[1] + [(int(line), code, message) for line in lines])

    def merge(self, other: _CellLog, shift: dict[int, int]) -> None:
        """Add a later partition's cells; `shift` gives lines to add to a file's rows."""
        for (file, col), (count, entries) in other.cells_of.items():
            moved = [(row + shift.get(file, 0), code, msg) for row, code, msg in entries]
            entry = self.cells_of.setdefault((file, col), [0, []])
            entry[0] += count
            entry[1] = _first_cells(entry[1] + moved)
        for file, rows in other.unorganized.items():
            self.unorganized.setdefault(file, []).extend(r + shift.get(file, 0) for r in rows)


def _first_cells(entries: list) -> list:
    return sorted(entries, key=lambda e: e[0])[: imports.CELLS_LISTED + 1]


def _import_piece(
    piece: _Piece, job: _Job, log: _CellLog, matched: dict[int, Any]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]] | None:
    """`imports.read_answers` on one piece: the answers frame and the metadata that groups
    need (organization, organization_name, unit, period), by the same functions. Rows without
    an organization are left out and logged. Column problems go to `matched`, once per file."""
    table = piece.table
    q = job.q
    columns = _match(piece.file, table, job, matched)
    if len(table) == 0:
        return None
    log.file, log.table = piece.file, table
    answers = imports.coded_answers(q, table, columns, job.mapping, log)
    block, _, no_organization = imports.meta_fields(
        table, columns, META_FIELDS, job.org, job.org_name, job.period
    )
    fields = dict(zip(META_FIELDS, block, strict=True))
    keep = ~no_organization
    if not keep.all():
        rows = table.rows[~keep]
        log.unorganized.setdefault(piece.file, []).extend(int(r) for r in rows)
        answers = answers[keep].reset_index(drop=True)
        fields = {k: v[keep] for k, v in fields.items()}
    return answers, fields


# --------------------------------------------------------------------------- statistics


@dataclass
class _Shape:
    """The widths of the statistics, from the compiled questionnaire."""

    nodes: int
    questions: int
    alpha_nodes: list[tuple[int, np.ndarray]]  # engine._alpha_nodes
    members: np.ndarray  # questions x alpha nodes, 1.0 where the question is in the node
    member_of: list[list[int]]  # per question: the alpha nodes it is in
    items: list[tuple[int, int]]  # (alpha node, question) pairs, node by node
    bins: int
    low: float
    high: float

    @classmethod
    def of(cls, q: Questionnaire, bins: int) -> _Shape:
        model = engine.compile_model(q)
        alpha_nodes = engine._alpha_nodes(model)
        members = np.zeros((len(model.questions), len(alpha_nodes)))
        for i, (_, cols) in enumerate(alpha_nodes):
            members[cols, i] = 1.0
        member_of = [
            [i for i, (_, cols) in enumerate(alpha_nodes) if j in cols]
            for j in range(len(model.questions))
        ]
        items = [(i, int(j)) for i, (_, cols) in enumerate(alpha_nodes) for j in cols]
        low, high = q.score_range
        return cls(
            len(model.node_ids),
            len(model.questions),
            alpha_nodes,
            members,
            member_of,
            items,
            bins,
            float(low),
            float(high),
        )


class _Moments:
    """Count, mean and M2 per group and column; parts merge exactly (Chan et al.)."""

    def __init__(self, count: np.ndarray, mean: np.ndarray, m2: np.ndarray) -> None:
        self.count, self.mean, self.m2 = count, mean, m2

    @classmethod
    def empty(cls, groups: int, width: int) -> _Moments:
        return cls(np.zeros((groups, width)), np.zeros((groups, width)), np.zeros((groups, width)))

    @classmethod
    def of(cls, labels: np.ndarray, values: np.ndarray, groups: int) -> _Moments:
        """Of each column of `values` (rows x columns, NaN for none) per group: two passes,
        as `engine._group_variance` takes them."""
        width = values.shape[1]
        out = cls.empty(groups, width)
        with np.errstate(invalid="ignore", divide="ignore"):
            for j in range(width):
                column = values[:, j]
                ok = ~np.isnan(column)
                where = labels[ok] if not ok.all() else labels
                x = column[ok] if not ok.all() else column
                count = np.bincount(where, minlength=groups).astype(float)
                mean = np.bincount(where, weights=x, minlength=groups) / count
                deviation = x - mean[where]
                out.count[:, j] = count
                out.mean[:, j] = np.where(count > 0, mean, 0.0)
                out.m2[:, j] = np.bincount(where, weights=deviation * deviation, minlength=groups)
        return out

    def grow(self, groups: int) -> None:
        extra = groups - len(self.count)
        if extra > 0:
            pad = ((0, extra), (0, 0))
            self.count, self.mean, self.m2 = (
                np.pad(a, pad) for a in (self.count, self.mean, self.m2)
            )

    def add(self, rows: np.ndarray, other: _Moments) -> None:
        """Merge `other`'s groups into rows `rows` (distinct) of this one."""
        before, mean_a, m2_a = self.count[rows], self.mean[rows], self.m2[rows]
        count_b = other.count
        after = before + count_b
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = other.mean - mean_a
            mean = np.where(before == 0, other.mean, mean_a + delta * (count_b / after))
            m2 = m2_a + other.m2 + delta * delta * (before * count_b / after)
        seen = count_b > 0
        self.mean[rows] = np.where(seen, mean, mean_a)
        self.m2[rows] = np.where(seen, m2, m2_a)
        self.count[rows] = after

    def means(self) -> np.ndarray:
        return np.where(self.count > 0, self.mean, np.nan)

    def variances(self) -> np.ndarray:
        """Sample variances (ddof 1); NaN for fewer than two values."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count >= 2, np.maximum(self.m2, 0.0) / (self.count - 1), np.nan)


def _pooled(count: np.ndarray, mean: np.ndarray, m2: np.ndarray, use: np.ndarray) -> tuple:
    """Moments of the union of the parts on the last axis where `use` (one k-way merge)."""
    count = np.where(use, count, 0.0)
    total = count.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (count * np.where(count > 0, mean, 0.0)).sum(axis=-1) / total
        pooled = np.where(total > 0, pooled, 0.0)
        deviation = np.where(count > 0, mean - pooled[..., None], 0.0)
        m2 = (np.where(count > 0, m2, 0.0) + count * deviation * deviation).sum(axis=-1)
    return total, pooled, m2


class _Stats:
    """Per-group sufficient statistics of the first pass, for groups keyed by their key tuple;
    the same class holds a piece's, a partition's and the whole job's."""

    NAMES = ("node", "cover", "question", "item", "total")

    def __init__(self, shape: _Shape) -> None:
        self.shape = shape
        self.keys: list[tuple] = []
        self.index: dict[tuple, int] = {}
        self.size = np.zeros(0, dtype=np.int64)
        widths = {
            "node": shape.nodes,
            "cover": shape.nodes,
            "question": shape.questions,
            "item": len(shape.items),
            "total": len(shape.alpha_nodes),
        }
        self.moments = {k: _Moments.empty(0, w) for k, w in widths.items()}
        cells = (0, shape.nodes, shape.bins)
        self.hist_count = np.zeros(cells, dtype=np.int64)
        self.hist_low = np.full(cells, np.inf)
        self.hist_high = np.full(cells, -np.inf)
        self.names: dict[Any, Any] = {}  # organization -> its first name (None: none yet)
        self.periods: set[str] = set()

    def rows_for(self, keys: list[tuple]) -> np.ndarray:
        """Rows of these groups, added where new."""
        rows = []
        for key in keys:
            row = self.index.get(key)
            if row is None:
                row = self.index[key] = len(self.keys)
                self.keys.append(key)
            rows.append(row)
        groups = len(self.keys)
        if groups > len(self.size):
            extra = groups - len(self.size)
            self.size = np.pad(self.size, (0, extra))
            for m in self.moments.values():
                m.grow(groups)
            pad = ((0, extra), (0, 0), (0, 0))
            self.hist_count = np.pad(self.hist_count, pad)
            self.hist_low = np.pad(self.hist_low, pad, constant_values=np.inf)
            self.hist_high = np.pad(self.hist_high, pad, constant_values=-np.inf)
        return np.array(rows, dtype=np.intp)

    def merge(self, other: _Stats) -> None:
        """Add the groups of `other`, which comes later in the data."""
        fresh = not self.keys
        rows = self.rows_for(other.keys)
        self.size[rows] += other.size
        for name, m in self.moments.items():
            m.add(rows, other.moments[name])
        if fresh:  # rows are 0, 1, ...: the other's histograms as they are
            self.hist_count = other.hist_count.copy()
            self.hist_low = other.hist_low.copy()
            self.hist_high = other.hist_high.copy()
        else:
            bins = min(self.hist_count.shape[2], other.hist_count.shape[2])
            self.coarsen(bins)
            count, low, high = _coarser(other.hist_count, other.hist_low, other.hist_high, bins)
            self.hist_count[rows] += count
            self.hist_low[rows] = np.minimum(self.hist_low[rows], low)
            self.hist_high[rows] = np.maximum(self.hist_high[rows], high)
        for org, name in other.names.items():
            if self.names.get(org) is None:
                self.names[org] = name
        self.periods |= other.periods

    def coarsen(self, bins: int) -> None:
        self.hist_count, self.hist_low, self.hist_high = _coarser(
            self.hist_count, self.hist_low, self.hist_high, bins
        )


def _coarser(count: np.ndarray, low: np.ndarray, high: np.ndarray, bins: int) -> tuple:
    """Histograms (groups x nodes x a power of two of bins) with `bins` bins: bin b of 2^a bins
    holds exactly the values of bins b * 2^(a-c) ... of 2^c (see `_histograms`)."""
    if count.shape[2] == bins:
        return count, low, high
    if len(count) == 0:
        cells = (0, count.shape[1], bins)
        return np.zeros(cells, np.int64), np.full(cells, np.inf), np.full(cells, -np.inf)
    shape = (*count.shape[:2], bins, count.shape[2] // bins)
    return (
        count.reshape(shape).sum(axis=3),
        low.reshape(shape).min(axis=3),
        high.reshape(shape).max(axis=3),
    )


def _labels(meta: dict[str, np.ndarray], keys: tuple[str, ...]) -> tuple[np.ndarray, list[tuple]]:
    """Each row's group (0, 1, ... in order of first appearance) and the groups' keys, with a
    missing key as "" (what `engine.group_scores` groups by)."""
    frame = pd.DataFrame({k: meta[k] for k in keys}, dtype=object)
    frame = frame.where(frame.notna(), "")
    grouped = frame.groupby(list(keys), sort=False, dropna=False)
    labels = grouped.ngroup().to_numpy()
    found = grouped.size().index
    keys_of = [k if isinstance(k, tuple) else (k,) for k in found]
    return labels.astype(np.intp), keys_of


def _first_names(meta: dict[str, np.ndarray]) -> dict[Any, Any]:
    """Each organization's first name in the rows (None without one), as
    `meta.groupby("organization")["organization_name"].first()` takes it."""
    frame = pd.DataFrame(
        {"organization": meta["organization"], "organization_name": meta["organization_name"]},
        dtype=object,
    )
    first = frame.groupby("organization", sort=False)["organization_name"].first()
    return {org: (None if pd.isna(name) else name) for org, name in first.items()}


def _piece_stats(
    shape: _Shape,
    meta: dict[str, np.ndarray],
    labels: np.ndarray,
    group_keys: list[tuple],
    scores: np.ndarray,
    coverage: np.ndarray,
    question_scores: np.ndarray,
) -> _Stats:
    """The statistics of one scored block (respondents x nodes, x nodes, x questions), whose
    rows are in groups `labels` with keys `group_keys` (`_labels`)."""
    groups = len(group_keys)
    stats = _Stats(shape)
    stats.rows_for(group_keys)
    stats.size = np.bincount(labels, minlength=groups).astype(np.int64)
    stats.moments["node"] = _Moments.of(labels, scores, groups)
    stats.moments["cover"] = _Moments.of(labels, coverage, groups)
    _question_stats(shape, stats, labels, groups, question_scores)
    _histograms(shape, stats, labels, groups, scores)
    stats.names = _first_names(meta)
    periods = meta["period"]
    stats.periods = {"" if p is None else str(p) for p in pd.unique(periods)}
    return stats


def _question_stats(
    shape: _Shape, stats: _Stats, labels: np.ndarray, groups: int, x: np.ndarray
) -> None:
    """rWG(J)'s and alpha's moments. Each question's scores are taken per (group, whether the
    row is a complete case of each alpha node the question is in) in two passes; those parts
    then pool into the question's moments over all its scores and over each node's complete
    cases. Questions of one dimension share their nodes, and so the grouping of their rows."""
    has = ~np.isnan(x)
    complete = np.asfortranarray(has.astype(float) @ shape.members == shape.members.sum(axis=0))
    question = stats.moments["question"]
    item = stats.moments["item"]
    item_index = {pair: n for n, pair in enumerate(shape.items)}
    chain: tuple[int, ...] | None = None
    base = labels
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(shape.questions):
            nodes = shape.member_of[j]
            bits = len(nodes)
            cells = groups << bits
            if chain != tuple(nodes):
                base = labels << bits
                for b, i in enumerate(nodes):
                    base = base | (complete[:, i].astype(np.intp) << b)
                chain = tuple(nodes)
            ok = has[:, j]
            values = np.where(ok, x[:, j], 0.0)
            count = np.bincount(base, weights=ok, minlength=cells)
            mean = np.bincount(base, weights=values, minlength=cells) / count
            mean = np.where(count > 0, mean, 0.0)
            deviation = np.where(ok, values - mean[base], 0.0)
            m2 = np.bincount(base, weights=deviation * deviation, minlength=cells)
            shaped = [a.reshape(groups, 1 << bits) for a in (count, mean, m2)]
            every = np.ones(1 << bits, dtype=bool)
            question.count[:, j], question.mean[:, j], question.m2[:, j] = _pooled(*shaped, every)
            for b, i in enumerate(nodes):
                use = (np.arange(1 << bits) >> b) & 1 == 1
                n = item_index[(i, j)]
                item.count[:, n], item.mean[:, n], item.m2[:, n] = _pooled(*shaped, use)
    # the totals of each alpha node's questions over its complete cases
    totals = np.where(has, x, 0.0) @ shape.members
    totals[~complete] = np.nan
    stats.moments["total"] = _Moments.of(labels, totals, groups)


def _bins(values: np.ndarray, low: np.ndarray | float, scale: np.ndarray | float, bins: int):
    """The bin of each value: monotone in the value, so a bin's lowest and highest values
    bound exactly the values in it."""
    found = np.floor((values - low) * scale)
    return np.clip(np.nan_to_num(found, nan=0.0), 0, bins - 1).astype(np.intp)


def _histograms(
    shape: _Shape, stats: _Stats, labels: np.ndarray, groups: int, scores: np.ndarray
) -> None:
    """Per group and node, 2^a bins over the score range: the bin of a score is the floor of
    2^a y, y = (score - low) * (1 / range) computed the same way for every a, so that a bin of
    2^(a-1) bins holds exactly two bins of 2^a (scaling by two rounds nothing) and histograms
    of different pieces merge exactly at the coarser of their sizes."""
    most = max(2, FIRST_CELLS // max(groups * shape.nodes, 1))
    bins = min(shape.bins, 1 << (most.bit_length() - 1))
    scale = bins * (1.0 / (shape.high - shape.low))
    count = np.zeros(groups * shape.nodes * bins, dtype=np.int64)
    low = np.full(len(count), np.inf)
    high = np.full(len(count), -np.inf)
    for k in range(shape.nodes):
        v = scores[:, k]
        ok = ~np.isnan(v)
        v = v[ok]
        cell = (labels[ok] * shape.nodes + k) * bins + _bins(v, shape.low, scale, bins)
        count += np.bincount(cell, minlength=len(count))
        np.minimum.at(low, cell, v)
        np.maximum.at(high, cell, v)
    cells = (groups, shape.nodes, bins)
    stats.hist_count, stats.hist_low, stats.hist_high = (
        count.reshape(cells),
        low.reshape(cells),
        high.reshape(cells),
    )


# --------------------------------------------------------------------------- tasks


@dataclass
class _Ask:
    """A later pass: for some (group, node), the scores in [low, high] are wanted, as a
    histogram of `bins` bins or all of them (`gather`)."""

    index: dict[tuple, int]  # group keys -> group number
    group: np.ndarray
    node: np.ndarray
    low: np.ndarray
    high: np.ndarray
    scale: np.ndarray  # bins / (high - low), computed once for every partition
    gather: np.ndarray
    bins: int
    slots: dict[int, list[np.ndarray]] = field(default_factory=dict)  # node -> per group

    def prepare(self) -> None:
        """Per node, one or two requests per group (a median's two middle scores may sit in
        different bins): arrays group -> request (-1 for none)."""
        groups = len(self.index)
        for r in range(len(self.group)):
            k, g = int(self.node[r]), int(self.group[r])
            slots = self.slots.setdefault(k, [])
            for slot in slots:
                if slot[g] < 0:
                    slot[g] = r
                    break
            else:
                slot = np.full(groups, -1, dtype=np.intp)
                slot[g] = r
                slots.append(slot)


@dataclass
class _Found:
    """What a pass of one partition found."""

    index: int
    error: list[Problem] | None = None
    stats: _Stats | None = None
    log: _CellLog | None = None
    column_problems: dict[int, list[Problem]] = field(default_factory=dict)
    headers: dict[int, tuple[list[str], bool]] = field(default_factory=dict)  # file -> header
    lines: dict[int, int] = field(default_factory=dict)  # CSV file -> lines of this range
    encodings: dict[int, set[str]] = field(default_factory=dict)  # CSV file -> encodings
    hist: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    gathered: tuple[np.ndarray, np.ndarray] | None = None
    spill: tuple[str, int] | None = None  # the worker that keeps the node scores, and rows
    rescored: bool = False  # a later pass that read and scored the data again


def _scan(part: _Part, job: _Job, ask: _Ask | None, spill: Any = None) -> _Found:
    """One pass over one partition, on a worker: the first pass's statistics (`ask` None), or
    what `ask` wants, from the node scores the first pass kept on this worker (`spill`) or
    from the data again. Problems with the data come back as data (DtassessError does not
    travel)."""
    found = _Found(part.index)
    try:
        if ask is None or not _answer_kept(part, job, ask, spill, found):
            found.rescored = ask is not None
            _scan_pieces(part, job, ask, found)
    except DtassessError as exc:
        return _Found(part.index, error=exc.problems)
    return found


# --------------------------------------------------------------------------- kept scores


def _spill_path(token: str, index: int) -> str | None:
    """Where a worker keeps a partition's node scores between passes: its scratch space,
    which it removes when it stops; None outside a worker."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    return os.path.join(worker.local_directory, f"dtassess-{token}-{index}")


class _Spill:
    """A partition's rows as the later passes need them, written as the first pass scores
    them: each row's group (int32, a row of the partition's statistics) and node scores
    (float64, row by row). Anything that goes wrong just leaves the later passes to read and
    score the data again."""

    def __init__(self, token: str, index: int) -> None:
        self.path = _spill_path(token, index)
        self.rows = 0
        self.files: list[Any] = []
        if self.path is not None:
            try:
                self.files = [open(self.path + ".groups", "wb"), open(self.path + ".scores", "wb")]  # noqa: SIM115
            except OSError:
                self.drop()

    def write(self, groups: np.ndarray, scores: np.ndarray) -> None:
        if not self.files:
            return
        try:
            groups.astype(np.int32).tofile(self.files[0])
            np.ascontiguousarray(scores).tofile(self.files[1])
            self.rows += len(groups)
        except OSError:  # a full disk
            self.drop()

    def close(self) -> tuple[str, int] | None:
        if not self.files:
            return None
        try:
            for f in self.files:
                f.close()
        except OSError:
            self.drop()
            return None
        from distributed import get_worker

        return get_worker().address, self.rows

    def drop(self) -> None:
        for f in self.files:
            f.close()
        self.files = []
        if self.path is not None:
            for suffix in (".groups", ".scores"):
                with contextlib.suppress(OSError):
                    os.remove(self.path + suffix)


def _drop_spills(token: str, dask_worker: Any = None) -> None:
    """Remove a job's kept scores from a worker (`client.run`, which gives `dask_worker`, at
    the end of the job)."""
    folder = dask_worker.local_directory
    for name in os.listdir(folder):
        if name.startswith(f"dtassess-{token}-"):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, name))


def _answer_kept(part: _Part, job: _Job, ask: _Ask, spill: Any, found: _Found) -> bool:
    """A later pass from the scores the first pass kept on this worker; False when they are
    not here (the task runs elsewhere, the worker was restarted)."""
    path = _spill_path(job.token, part.index) if spill is not None else None
    if path is None:
        return False
    _, keys, rows = spill
    width = _Shape.of(job.q, job.bins).nodes
    try:
        sizes = os.path.getsize(path + ".groups"), os.path.getsize(path + ".scores")
    except OSError:
        return False
    if sizes != (rows * 4, rows * width * 8):
        return False
    ask.prepare()
    hist_of, hist, gathered = _asked(ask)
    number = np.array([ask.index.get(k, -1) for k in keys] + [-1], dtype=np.intp)
    with open(path + ".groups", "rb") as groups, open(path + ".scores", "rb") as scores:
        for start in range(0, rows, SCORE_ROWS):
            count = min(SCORE_ROWS, rows - start)
            labels = np.fromfile(groups, dtype=np.int32, count=count)
            values = np.fromfile(scores, dtype=np.float64, count=count * width)
            _answer(ask, number[labels], values.reshape(count, width), hist_of, hist, gathered)
    _found_answers(found, hist, gathered)
    return True


def _asked(ask: _Ask) -> tuple[np.ndarray, tuple, list]:
    """What a later pass fills: each request's row of the histograms, the histograms (counts,
    lowest and highest scores), and the scores fetched."""
    hist_of = np.cumsum(~ask.gather) - 1
    size = int((~ask.gather).sum()) * ask.bins
    hist = (np.zeros(size, np.int64), np.full(size, np.inf), np.full(size, -np.inf))
    return hist_of, hist, [(np.zeros(0, np.intp), np.zeros(0))]


def _found_answers(found: _Found, hist: tuple, gathered: list) -> None:
    found.hist = hist
    found.gathered = (
        np.concatenate([r for r, _ in gathered]),
        np.concatenate([v for _, v in gathered]),
    )


def _scan_pieces(part: _Part, job: _Job, ask: _Ask | None, found: _Found) -> None:
    q = job.q
    shape = _Shape.of(q, job.bins)
    delay = float(os.environ.get(DELAY_ENV) or 0)
    log = _CellLog()
    matched: dict[int, Any] = {}
    stats = _Stats(shape)
    spill = _Spill(job.token, part.index) if ask is None else None
    if ask is not None:
        ask.prepare()
        hist_of, hist, gathered = _asked(ask)
    for piece in _pieces(part, job, matched):
        if delay:
            time.sleep(delay)
        found.headers.setdefault(piece.file, (piece.table.header, piece.table.spreadsheet))
        if job.files[piece.file].kind == "csv":
            found.lines[piece.file] = found.lines.get(piece.file, 0) + piece.lines
            if piece.encoding is not None:
                found.encodings.setdefault(piece.file, set()).add(piece.encoding)
        imported = _import_piece(piece, job, log, matched)
        if imported is None or not len(imported[0]):
            continue
        answers, meta = imported
        for start in range(0, len(answers), SCORE_ROWS):
            rows = slice(start, start + SCORE_ROWS)
            block = answers.iloc[rows] if len(answers) > SCORE_ROWS else answers
            block_meta = {k: v[rows] for k, v in meta.items()}
            labels, group_keys = _labels(block_meta, job.keys)
            if ask is None:
                matrix = np.empty((len(block), shape.questions), order="F")
                scored = engine.score_respondents(q, block, question_scores=matrix)
                score, coverage = scored.score.to_numpy(), scored.coverage.to_numpy()
                piece_stats = _piece_stats(
                    shape, block_meta, labels, group_keys, score, coverage, matrix
                )
                stats.merge(piece_stats)
                spill.write(stats.rows_for(group_keys)[labels], score)
            else:
                score = engine.score_respondents(q, block).score.to_numpy()
                number = np.array([ask.index.get(k, -1) for k in group_keys], dtype=np.intp)
                _answer(ask, number[labels], score, hist_of, hist, gathered)
    if ask is None:
        found.stats = stats
        found.log = log
        found.column_problems = {f: problems for f, (_, problems) in matched.items()}
        found.spill = spill.close()
    else:
        _found_answers(found, hist, gathered)


def _answer(
    ask: _Ask,
    groups: np.ndarray,
    scores: np.ndarray,
    hist_of: np.ndarray,
    hist: tuple[np.ndarray, np.ndarray, np.ndarray],
    gathered: list,
) -> None:
    """A block's part of a later pass: its rows' groups (numbers of `ask.index`, -1 for a
    group nothing is asked of) and node scores."""
    asked = groups >= 0
    if not asked.any():
        return
    count, low, high = hist
    for k, slots in ask.slots.items():
        v = scores[:, k]
        for slot in slots:
            r = np.where(asked, slot[np.maximum(groups, 0)], -1)
            use = (r >= 0) & ~np.isnan(v)
            r, x = r[use], v[use]
            inside = (x >= ask.low[r]) & (x <= ask.high[r])
            r, x = r[inside], x[inside]
            fetch = ask.gather[r]
            if fetch.any():
                gathered.append((r[fetch], x[fetch]))
            r, x = r[~fetch], x[~fetch]
            if len(r):
                cell = hist_of[r] * ask.bins + _bins(x, ask.low[r], ask.scale[r], ask.bins)
                count += np.bincount(cell, minlength=len(count))
                np.minimum.at(low, cell, x)
                np.maximum.at(high, cell, x)


# --------------------------------------------------------------------------- medians


@dataclass
class _Targets:
    """Each median's middle scores, by rank: (group, node, rank among the scores in [low,
    high], how many scores that interval holds); `value` once it is known."""

    group: np.ndarray
    node: np.ndarray
    rank: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: np.ndarray
    value: np.ndarray

    def pending(self) -> np.ndarray:
        return np.flatnonzero(np.isnan(self.value))

    def settle(self, which: np.ndarray, counts: np.ndarray, lows: np.ndarray, highs: np.ndarray):
        """For targets `which`, each with its histogram (rows of counts, lows, highs): the bin
        that holds the target's rank becomes its interval, and its value when the bin holds one
        distinct score."""
        cumulative = np.cumsum(counts, axis=1)
        rank = self.rank[which]
        b = (cumulative <= rank[:, None]).sum(axis=1)
        rows = np.arange(len(which))
        below = cumulative[rows, b] - counts[rows, b]
        self.rank[which] = rank - below
        self.count[which] = counts[rows, b]
        self.low[which] = lows[rows, b]
        self.high[which] = highs[rows, b]
        one = self.low[which] == self.high[which]
        self.value[which[one]] = self.low[which[one]]


def _targets(stats: _Stats) -> _Targets:
    """The two middle ranks of every (group, node) with scores (one rank when n is odd, kept
    twice), settled as far as the first pass's histograms go."""
    n = stats.moments["node"].count.astype(np.int64)
    groups, nodes = np.nonzero(n > 0)
    counts = n[groups, nodes]
    group = np.concatenate([groups, groups])
    node = np.concatenate([nodes, nodes])
    rank = np.concatenate([(counts - 1) // 2, counts // 2])
    size = len(group)
    targets = _Targets(
        group,
        node,
        rank,
        np.zeros(size),
        np.zeros(size),
        np.zeros(size, np.int64),
        np.full(size, np.nan),
    )
    everything = np.arange(size)
    targets.settle(
        everything,
        stats.hist_count[group, node],
        stats.hist_low[group, node],
        stats.hist_high[group, node],
    )
    return targets


def _ask(targets: _Targets, index: dict[tuple, int]) -> tuple[_Ask, np.ndarray]:
    """The next pass's requests for the pending targets, and each target's request.

    Intervals with few scores are gathered, fewest first, up to GATHER_VALUES scores; the
    others are cut into bins (as many as REFINE_CELLS allows, at least REFINE_BINS)."""
    pending = targets.pending()
    table = np.stack(
        [
            targets.group[pending],
            targets.node[pending],
            targets.low[pending],
            targets.high[pending],
        ],
        axis=1,
    )
    unique, request_of = np.unique(table, axis=0, return_inverse=True)
    request_of = request_of.reshape(-1)
    count = np.zeros(len(unique), dtype=np.int64)
    count[request_of] = targets.count[pending]
    gather = np.zeros(len(unique), dtype=bool)
    order = np.argsort(count, kind="stable")
    fits = np.cumsum(count[order]) <= GATHER_VALUES
    gather[order[fits]] = True
    spread = max(int((~gather).sum()), 1)
    bins = max(REFINE_BINS, 2, min(REFINE_CELLS // spread, 1 << 16))
    low, high = unique[:, 2], unique[:, 3]
    with np.errstate(divide="ignore"):
        scale = bins / (high - low)
    ask = _Ask(
        index,
        unique[:, 0].astype(np.intp),
        unique[:, 1].astype(np.intp),
        low,
        high,
        scale,
        gather,
        bins,
    )
    requests = np.full(len(targets.group), -1, dtype=np.intp)
    requests[pending] = request_of
    return ask, requests


def _changed(what: str) -> DtassessError:
    return DtassessError(
        Problem(
            "D003",
            f"the inputs changed while they were being scored ({what}); run again on data "
            "that stays the same during the job",
        )
    )


def _settle_pass(targets: _Targets, ask: _Ask, requests: np.ndarray, results: list[_Found]) -> None:
    """Merge one later pass and settle what it allows."""
    size = int((~ask.gather).sum()) * ask.bins
    count = np.zeros(size, np.int64)
    low = np.full(size, np.inf)
    high = np.full(size, -np.inf)
    fetched_r, fetched_v = [], []
    for found in results:
        c, lo, hi = found.hist
        count += c
        np.minimum(low, lo, out=low)
        np.maximum(high, hi, out=high)
        fetched_r.append(found.gathered[0])
        fetched_v.append(found.gathered[1])
    r = np.concatenate(fetched_r) if fetched_r else np.zeros(0, np.intp)
    v = np.concatenate(fetched_v) if fetched_v else np.zeros(0)
    order = np.lexsort((v, r))
    r, v = r[order], v[order]
    starts = np.searchsorted(r, np.arange(len(ask.group)))
    ends = np.searchsorted(r, np.arange(len(ask.group)), side="right")
    pending = targets.pending()
    asked = requests[pending]
    by_gather = ask.gather[asked]
    which = pending[by_gather]
    for t, request in zip(which, asked[by_gather], strict=True):
        got = ends[request] - starts[request]
        if got != targets.count[t]:
            raise _changed("a group's scores are not the ones the first pass counted")
        targets.value[t] = v[starts[request] + targets.rank[t]]
    which = pending[~by_gather]
    if len(which):
        rows = np.cumsum(~ask.gather)[asked[~by_gather]] - 1
        shaped = (a.reshape(-1, ask.bins) for a in (count, low, high))
        counts, lows, highs = (a[rows] for a in shaped)
        if (counts.sum(axis=1) != targets.count[which]).any():
            raise _changed("a group's scores are not the ones the first pass counted")
        targets.settle(which, counts, lows, highs)


# --------------------------------------------------------------------------- the job


# What `dask worker` sets in each worker process, unset: MALLOC_TRIM_THRESHOLD_ makes glibc
# map and unmap every large NumPy temporary afresh (page faults: pass 1 takes 1.75x as long).
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


@contextmanager
def local_cluster(workers: int | None = None) -> Iterator[Any]:
    """A `distributed.LocalCluster` as `score_dask` starts one without a scheduler: `workers`
    worker processes (default: one per core) of one thread each, any free port, only critical
    log messages (failures reach the client anyway), and without `MALLOC_TRIM_THRESHOLD_`
    (WORKER_ENVIRON). Closed on exit."""
    import logging

    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_ENVIRON):
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # Dask's HTTP server on a free port, not 8787
            silence_logs=logging.CRITICAL,
        )
    try:
        yield cluster
    finally:
        cluster.close()


@contextmanager
def _client(scheduler: Any, workers: int | None, timeout: float | None):
    """A client of the given scheduler (an address or a `distributed.Client`), or of a local
    cluster started for the job and shut down after it."""
    from distributed import Client

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is None:
        with local_cluster(workers) as cluster, Client(cluster) as client:
            yield client
        return
    kwargs = {} if timeout is None else {"timeout": timeout}
    with Client(scheduler, **kwargs) as client:
        yield client


def _cluster_errors() -> tuple[type[BaseException], ...]:
    from concurrent.futures import CancelledError

    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    return (KilledWorker, CommClosedError, CancelledError, OSError, TimeoutError)


def _cluster_problem(exc: BaseException, scheduler: Any) -> DtassessError:
    from distributed import KilledWorker

    where = "a local Dask cluster" if scheduler is None else f"the Dask cluster {scheduler}"
    if isinstance(exc, KilledWorker):
        task = getattr(exc, "task", "a task")
        tries = getattr(exc, "allowed_failures", None)
        on = f"{tries + 1 if isinstance(tries, int) else 'several'} workers"
        what = (
            f"{task} ran on {on} and each of them died while running it: usually too little "
            "memory per worker (more --partitions make smaller tasks), or workers being "
            "stopped"
        )
    elif isinstance(exc, OSError | TimeoutError) and not isinstance(exc, FileNotFoundError):
        what = f"cannot reach it or lost it: {type(exc).__name__}: {exc}"
        if scheduler is not None:
            what += " (is `dask scheduler` running there, and the address right?)"
    else:
        what = f"{type(exc).__name__}: {exc}"
    return DtassessError(
        Problem("D002", f"--engine dask: {where} failed: {what}; nothing was scored"),
        ExitCode.BAD_INPUT,
    )


def score_dask(
    paths: Sequence[str | os.PathLike],
    questionnaire: Questionnaire | str | os.PathLike,
    by: str = "organization",
    statistic: str = "mean",
    min_group_size: int = 1,
    *,
    scheduler: Any = None,
    partitions: int = PARTITIONS,
    workers: int | None = None,
    encoding: str | None = None,
    mapping: str | os.PathLike | None = None,
    org: str | None = None,
    org_name: str | None = None,
    period: str | None = None,
    strict: bool = False,
    piece_rows: int = PIECE_ROWS,
    timeout: float | None = None,
) -> DistributedResult:
    """Score Parquet files and datasets and CSV exports on a Dask cluster: the table
    `engine.score(read_exports(paths, q), by, statistic, min_group_size)` gives, without
    loading the data on one machine (docs/distributed.md).

    `scheduler` is a scheduler address (`tcp://host:8786`) or a `distributed.Client`; without
    one, a local cluster of `workers` processes (default: one per core) runs the job and is shut
    down after it. The inputs are cut into `partitions` partitions per worker thread; a task
    reads and scores `piece_rows` rows at a time. Workers open the paths themselves: local paths
    are made absolute, URLs (s3://...) go to fsspec as they are. `by="respondent"` is not
    available (the result would be as large as the data). `timeout` (seconds) bounds the wait for
    the scheduler and for its first worker (default: Dask's connect timeout, and 30 s). Raises
    DtassessError for unusable input and for a failed cluster (exit code 2).
    """
    if by not in engine.GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(engine.GROUPINGS)}")
    if by == "respondent":
        raise ValueError(
            "by='respondent' is not available with the Dask engine: per-respondent results are "
            "as large as the data; score a ResponseSet with dtassess.score() for them"
        )
    if statistic not in engine.STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(engine.STATISTICS)}")
    if partitions < 1 or piece_rows < 1:
        raise ValueError("partitions and piece_rows must be at least 1")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError(
            "the Dask engine needs dask and distributed: pip install 'dtassess[dask]'"
        ) from None
    from .mapping import load_mapping
    from .questionnaire import load_questionnaire

    q = questionnaire if isinstance(questionnaire, Questionnaire) else None
    if q is None:
        q = load_questionnaire(questionnaire)
    sources = _sources(paths)
    loaded_mapping = load_mapping(mapping, q) if mapping else None
    try:
        with _client(scheduler, workers, timeout) as client:
            return _run(
                client,
                q,
                sources,
                by,
                statistic,
                min_group_size,
                partitions,
                (encoding, loaded_mapping, org, org_name, period, strict, timeout),
                piece_rows,
            )
    except _cluster_errors() as exc:
        raise _cluster_problem(exc, scheduler) from None


def _warm() -> str:
    """On each worker: what the tasks import (this module imports pandas and the engine),
    imported now and everywhere at once; the version of dtassess there."""
    import pyarrow.parquet  # noqa: F401

    from . import __version__

    return __version__


def _check_workers(client: Any, wait: float) -> None:
    """The cluster has workers, and they run this dtassess."""
    from . import __version__

    if not client.nthreads():
        try:
            client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            raise DtassessError(
                Problem(
                    "D002",
                    f"--engine dask: the Dask scheduler has no workers (waited {wait:g} s); "
                    "start some with `dask worker ADDRESS`",
                )
            ) from None
    try:
        versions = client.run(_warm)
    except ImportError as exc:
        raise DtassessError(
            Problem(
                "D002",
                f"--engine dask: the Dask workers cannot run dtassess ({exc}); install "
                f"dtassess[dask] {__version__} where they run",
            )
        ) from None
    other = {v for v in versions.values() if v != __version__}
    if other:
        raise DtassessError(
            Problem(
                "D002",
                f"--engine dask: the Dask workers run dtassess {', '.join(sorted(other))}, this "
                f"is {__version__}; install the same version on both",
            )
        )


def _results(client: Any, futures: list) -> Iterator[_Found]:
    """The partitions' results in partition order (so that merges give the same numbers on
    every run); the first problem stops the job."""
    try:
        for future in futures:
            found = future.result()
            future.release()
            if found.error is not None:
                raise DtassessError(found.error)
            yield found
    finally:
        client.cancel([f for f in futures if not f.done()])


def _run(
    client: Any,
    q: Questionnaire,
    sources: list[_Source],
    by: str,
    statistic: str,
    min_group_size: int,
    partitions: int,
    options: tuple,
    piece_rows: int,
) -> DistributedResult:
    import uuid

    encoding, mapping, org, org_name, period, strict, timeout = options
    _check_workers(client, timeout or 30.0)
    threads = sum(client.nthreads().values()) or 1
    planned = client.submit(_plan, sources, partitions * threads, pure=False).result()
    if isinstance(planned, list):
        raise DtassessError(planned)
    keys = tuple(engine.GROUPINGS[by])
    token = uuid.uuid4().hex[:8]
    job = _Job(
        q,
        mapping,
        encoding,
        org,
        org_name,
        period,
        keys,
        piece_rows,
        planned.files,
        FIRST_BINS,
        token,
    )
    kept: dict[int, tuple[str, list[tuple], int]] = {}  # partition -> its scores on a worker

    def run_pass(number: int, ask: _Ask | None) -> Iterator[_Found]:
        futures = []
        for part in planned.parts:
            spill = kept.get(part.index)
            where = {} if spill is None else {"workers": [spill[0]], "allow_other_workers": True}
            key = f"dtassess-pass{number}-{part.index}-{token}"
            futures.append(client.submit(_scan, part, job, ask, spill, key=key, **where))
        return _results(client, futures)

    try:
        return _passes(q, planned, job, run_pass, kept, by, statistic, min_group_size, strict)
    finally:
        # Cleaning up must not hide what went wrong; workers empty their scratch space when
        # they stop anyway.
        with contextlib.suppress(Exception):
            client.run(_drop_spills, token)


def _passes(
    q: Questionnaire,
    planned: _Plan,
    job: _Job,
    run_pass: Any,
    kept: dict[int, tuple[str, list[tuple], int]],
    by: str,
    statistic: str,
    min_group_size: int,
    strict: bool,
) -> DistributedResult:
    """The first pass, then as many as the medians need; the result."""
    stats = _Stats(_Shape.of(q, job.bins))
    log = _CellLog()
    column_problems: dict[int, list[Problem]] = {}
    headers: dict[int, tuple[list[str], bool]] = {}
    # CSV rows come numbered from their range's start: each file's lines so far (its header
    # line is line 1) move them to the file's line numbers
    lines = {i: 1 for i, f in enumerate(planned.files) if f.kind == "csv"}
    encodings: dict[int, set[str]] = {}
    for found in run_pass(1, None):
        log.merge(found.log, shift=dict(lines))
        for file, problems in found.column_problems.items():
            column_problems.setdefault(file, problems)
        for file, header in found.headers.items():
            headers.setdefault(file, header)
        for file, count in found.lines.items():
            lines[file] += count
        for file, used in found.encodings.items():
            encodings.setdefault(file, set()).update(used)
        if found.spill is not None:
            kept[found.index] = (found.spill[0], found.stats.keys, found.spill[1])
        stats.merge(found.stats)
    for file, used in encodings.items():
        if len(used) > 1:
            label = planned.files[file].label
            raise DtassessError(
                Problem(
                    "D001",
                    f"{label}: parts of it read as {' and parts as '.join(sorted(used))}; pass "
                    "its --encoding",
                    label,
                )
            )
    problems = _problems(planned.files, headers, column_problems, log)
    if strict:
        imports._strict(problems)
    # medians: settle what the first pass's histograms leave open
    targets = _targets(stats)
    passes = 1
    rescored = 0
    while len(targets.pending()):
        passes += 1
        if passes > MAX_PASSES:
            raise RuntimeError("medians did not settle")  # pragma: no cover
        ask, requests = _ask(targets, stats.index)
        results = list(run_pass(passes, ask))
        rescored += sum(found.rescored for found in results)
        _settle_pass(targets, ask, requests, results)
    result = _result(q, stats, targets, by, statistic, min_group_size, problems, planned, passes)
    result.rescored = rescored
    return result


def _problems(
    files: list[_File],
    headers: dict[int, tuple[list[str], bool]],
    column_problems: dict[int, list[Problem]],
    log: _CellLog,
) -> list[Problem]:
    """The import warnings as `read_exports` lists them: file by file, by line and column; per
    column the first CELLS_LISTED cells, then one line for the rest (`imports._Reporter`)."""
    listed = imports.CELLS_LISTED
    out: list[Problem] = []
    for number, f in enumerate(files):
        problems = list(column_problems.get(number, []))
        header, spreadsheet = headers.get(number, ([], f.kind == "csv"))
        # for the names `Table.cell` and `Table.column` give cells and columns
        stub = tables.Table(f.label, header, [], np.zeros(0, np.int64), spreadsheet)
        for (file, col), (count, entries) in sorted(log.cells_of.items()):
            if file != number:
                continue
            for row, code, message in entries[:listed]:
                problems.append(
                    Problem(
                        code,
                        f"{stub.cell(row, col)}: {message}",
                        f.label,
                        row,
                        col + 1,
                        severity="warning",
                    )
                )
            if count > listed:
                row, code, message = entries[listed]
                problems.append(
                    Problem(
                        code,
                        f"{stub.column(col)}: {count - listed} more cell(s) not accepted from "
                        f"row {row} on (a column lists its first {listed}), the first of "
                        f"them: {message}",
                        f.label,
                        row,
                        col + 1,
                        severity="warning",
                    )
                )
        problems += [
            imports.unorganized_row(f.label, row) for row in log.unorganized.get(number, [])
        ]
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        out += problems
    return out


def _result(
    q: Questionnaire,
    stats: _Stats,
    targets: _Targets,
    by: str,
    statistic: str,
    min_group_size: int,
    problems: list[Problem],
    planned: _Plan,
    passes: int,
) -> DistributedResult:
    """The long table from the merged statistics, by the engine's own functions."""
    from .periods import add_changes, ordered_periods

    model = engine.compile_model(q)
    shape = stats.shape
    keys = list(engine.GROUPINGS[by])
    groups = len(stats.keys)
    node = stats.moments["node"]
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(node.variances())
    median = np.full((groups, shape.nodes), np.nan)
    if len(targets.group):
        half = len(targets.group) // 2
        lower, upper = targets.value[:half], targets.value[half:]
        median[targets.group[:half], targets.node[:half]] = (lower + upper) / 2
    items = stats.moments["item"].variances()
    parts = np.zeros((groups, len(shape.alpha_nodes)))
    for n, (i, _) in enumerate(shape.items):
        parts[:, i] += items[:, n]
    totals = stats.moments["total"]
    rwg, alpha = engine._agreement(
        model,
        stats.moments["question"].variances(),
        stats.size,
        shape.alpha_nodes,
        totals.count,
        parts,
        totals.variances(),
    )
    table_stats = {
        "coverage": stats.moments["cover"].means(),
        "n": node.count.astype(np.int64),
        "sd": sd,
        "mean": node.means(),
        "median": median,
        "rwg": rwg,
        "alpha": alpha,
    }
    index_frame = pd.DataFrame(
        [list(k) for k in stats.keys] if groups else np.zeros((0, len(keys))),
        columns=keys,
        dtype=object,
    )
    names_frame = pd.DataFrame(
        {
            "organization": list(stats.names),
            "organization_name": list(stats.names.values()),
        },
        dtype=object,
    )
    names = names_frame.groupby("organization", sort=False)["organization_name"].first()
    table = engine._long_table(q, model, statistic, index_frame, names, stats.size, table_stats)
    table, withheld = engine.withhold_small_groups(table, by, min_group_size)
    total = int(stats.size.sum())
    result = DistributedResult(
        q,
        by,
        statistic,
        pd.DataFrame(index=pd.RangeIndex(total)),
        _OnTheCluster(),
        table,
        withheld,
        min_group_size,
        problems=problems,
        partitions=len(planned.parts),
        passes=passes,
    )
    periods = ordered_periods(stats.periods)
    if len(periods) > 1:
        result.table = add_changes(result.table, [k for k in keys if k != "period"])
        result.periods = tuple(periods)
    return result
