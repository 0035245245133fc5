"""The inputs of a Dask job and how they are cut into partitions, on a worker (the client may
not see the data): Parquet files as one row space cut near row-group boundaries, CSV exports cut
at byte offsets; and the `Job` every task is given."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DtassessError, Problem
from ...inputs import tables
from ...inputs.questionnaire import Questionnaire

WHOLE_CSV_BYTES = 8 << 20  # a CSV this small is checked for line breaks in cells when planned


@dataclass(frozen=True)
class Source:
    path: str  # as the workers open it: an absolute local path or a URL
    label: str  # as the user gave it, for messages


@dataclass(frozen=True)
class InputFile:
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
class Segment:
    file: int  # index into the plan's files
    start: int  # rows (Parquet) or bytes (CSV) of the file
    stop: int


@dataclass(frozen=True)
class Partition:
    index: int
    segments: tuple[Segment, ...]
    split: bool = False  # CSV: the file is read in several pieces (line breaks in cells fail)


@dataclass
class Plan:
    files: list[InputFile]
    parts: list[Partition]


@dataclass
class Job:
    """What every task needs: the questionnaire, how to read exports, how to group."""

    q: Questionnaire
    mapping: Any
    encoding: str | None
    org: str | None
    org_name: str | None
    period: str | None
    keys: tuple[str, ...]
    piece_rows: int
    files: list[InputFile]
    bins: int  # the first pass's histogram bins
    token: str  # names the job's tasks and the files it keeps on workers


def is_url(path: str) -> bool:
    return "://" in path


def sources_of(paths: Sequence[str | os.PathLike]) -> list[Source]:
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
        if is_url(text):
            found.append(Source(text, text))
        else:
            found.append(Source(os.path.abspath(text), str(Path(text))))
    if not found:
        raise DtassessError(Problem("F001", "no input given: name Parquet or CSV exports"))
    return found


def filesystem(path: str):
    import fsspec

    return fsspec.core.url_to_fs(path)


def plan_partitions(sources: list[Source], partitions: int) -> Plan | list[Problem]:
    """Runs on a worker (the client may not see the data): the files, and the partitions.

    Parquet files are one row space, cut into `partitions` parts of about equal rows, at row
    group boundaries where one is near; each CSV file gets a share of the partitions by its
    estimated rows, cut at byte offsets (a partition starts at the first line that begins in
    its range). A Parquet file without rows is a partition of its own, so that its columns are
    checked as the pandas path checks them.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    files: list[InputFile] = []
    groups: list[list[int]] = []  # per Parquet file: its row group sizes
    try:
        for source in sources:
            fs, root = filesystem(source.path)
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
                prefix = source.path[: len(source.path) - len(root)] if is_url(source.path) else ""
                entries = [
                    (
                        prefix + f,
                        str(Path(source.label) / os.path.relpath(f, root))
                        if not is_url(source.label)
                        else prefix + f,
                    )
                    for f in inside
                ]
            elif fs.isfile(root):
                entries = [(source.path, source.label)]
            elif not is_url(source.path) and os.path.lexists(source.path):
                entries = [(source.path, source.label)]  # a FIFO or a device: refused below
            else:
                return [Problem("F001", f"file not found: {source.label}", source.label)]
            for path, label in entries:
                refused = _not_regular(path, label)
                if refused:
                    return refused
                suffix = Path(path).suffix.lower()
                if suffix in tables.PARQUET_SUFFIXES:
                    try:
                        with fs.open(filesystem(path)[1], "rb") as handle:
                            meta = pq.ParquetFile(handle).metadata
                    except (pa.ArrowException, OSError) as exc:
                        return [
                            Problem("I001", f"cannot read {label} as a Parquet file: {exc}", label)
                        ]
                    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
                    files.append(InputFile(path, label, "parquet", meta.num_rows))
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
    return Plan(files, _cut(files, groups, partitions))


def _not_regular(path: str, label: str) -> list[Problem]:
    """A local input that is not a regular file (a FIFO, a device: F007), as problems naming
    it as the user did; nothing for a regular file or a URL."""
    if is_url(path):
        return []
    try:
        tables.require_regular_file(path)
    except DtassessError as exc:
        return [replace(p, path=label) for p in exc.problems]
    return []


def _csv_file(fs: Any, path: str, label: str) -> InputFile:
    """A CSV export's header line and size. A small one with line breaks inside quoted cells
    is read whole, as the pandas path reads it; a large one is split at line breaks (and such
    cells are refused where they are met)."""
    inner = filesystem(path)[1]
    size = fs.size(inner)
    with fs.open(inner, "rb") as handle:
        if size <= WHOLE_CSV_BYTES and broken_lines(handle.read()):
            return InputFile(path, label, "csv", size, whole=True)
        handle.seek(0)
        header = handle.readline()
        sample = handle.read(1 << 16)
    start = len(header)
    header = header.removeprefix(tables.BOM)
    if header and not header.endswith(b"\n"):
        header += b"\n"
    lines = sample.count(b"\n")
    line_bytes = len(sample) / lines if lines else float(max(len(sample), 1))
    return InputFile(path, label, "csv", size, header, start, line_bytes)


def _cut(files: list[InputFile], groups: list[list[int]], partitions: int) -> list[Partition]:
    """Partitions over the files (see `plan_partitions`)."""
    parquet = [i for i, f in enumerate(files) if f.kind == "parquet"]
    rows = sum(files[i].size for i in parquet)
    estimated = {
        i: max(f.size - f.start, 0) / f.line_bytes for i, f in enumerate(files) if f.kind == "csv"
    }
    weight = rows + sum(estimated.values()) or 1.0
    parts: list[list[Segment]] = []
    split: list[bool] = []
    ordered: list[tuple[int, list[Segment], bool]] = []  # (first file, segments, split)
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
                segments.append(Segment(i, int(lo - offsets[n]), int(hi - offsets[n])))
        if segments:
            ordered.append((segments[0].file, segments, False))
    for i in parquet:
        if files[i].size == 0:
            ordered.append((i, [Segment(i, 0, 0)], False))
    # CSV: each file its share of the partitions, cut by bytes
    for i, estimate in estimated.items():
        f = files[i]
        share = max(1, min(round(partitions * estimate / weight), int(estimate) or 1))
        share = 1 if f.whole else share
        body = max(f.size - f.start, 0)
        edges = [f.start + round(k * body / share) for k in range(share + 1)]
        for a, b in itertools.pairwise(edges):
            ordered.append((i, [Segment(i, a, b)], share > 1))
    ordered.sort(key=lambda item: (item[0], item[1][0].start))
    for _, segments, is_split in ordered:
        parts.append(segments)
        split.append(is_split)
    return [
        Partition(n, tuple(segments), is_split)
        for n, (segments, is_split) in enumerate(zip(parts, split, strict=True))
    ]


def broken_lines(data: bytes) -> bool:
    """Whether a line holds an odd number of quotes: a quoted cell goes on past its end."""
    if b'"' not in data:
        return False
    buffer = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(buffer == ord('"'))
    ends = np.append(np.flatnonzero(buffer == ord("\n")), len(buffer))
    per_line = np.diff(np.concatenate([[0], np.searchsorted(quotes, ends)]))
    return bool((per_line % 2).any())
