"""The results archive: answers and scored results, year after year, as a Parquet dataset.

`add_to_archive` keeps every respondent's answers and the period's scored results in a folder
that pandas, DuckDB, Dask and Spark read as Hive-partitioned Parquet (docs/archive.md):

    ARCHIVE/
      current -> snapshots/000003          the published state (a relative symlink)
      snapshots/000003/
        manifest.json                      what the snapshot holds, per period
        answers/period=2026/part-<hash>.parquet   one row per respondent
        results/period=2026/part-<hash>.parquet   group scores by unit and by organization
        questionnaires/<id>@<version>-<hash>.yaml the questionnaire each period was scored with
      snapshots/000002/ ...                the previous snapshots, kept for readers still on them
      .lock                                writers take it (flock) so that adds never interleave

**Idempotent.** Each response row gets a content hash (`content_hash`); rows whose hash is
already archived are skipped, so adding the same files twice, or a superset of them, adds only
what is new, and adding nothing new writes nothing at all.

**Crash-safe, and atomic for readers: copy-on-write snapshots.** An add builds a complete new
snapshot beside the published one (files of untouched periods are hard links to the previous
snapshot's, new files are written and fsynced), then publishes it in one step: a new symlink
renamed over `current` (rename is atomic). A crash before the rename leaves `current` where it
was, pointing at files that nothing modifies; the half-built snapshot is removed by the next
add. Simpler schemes fail one of the two requirements: writing new part files into one live
folder shows a reader old and new results side by side (a period's results are replaced, not
appended), and a manifest-only commit (Delta, Iceberg) is not what `pd.read_parquet(folder)`
follows. Hard links make a snapshot cost a directory of links, not a copy of the data.

Why one answers file per period, rewritten on every add that touches the period, rather than
one file per batch: the period's results are recomputed from all its answers anyway (group
scores depend on every respondent), so those answers are read in any case; writing them back
as one file keeps readers off a growing pile of small files and makes the file name a hash of
its content. Other periods are neither read nor written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import DtassessError, Problem
from .inputs.conditions import NA
from .inputs.questionnaire import Question, Questionnaire, load_questionnaire
from .inputs.responses import META_COLUMNS, ResponseSet

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

FORMAT = "dtassess.archive/1"
CURRENT = "current"
SNAPSHOTS = "snapshots"
LOCK = ".lock"
MANIFEST = "manifest.json"
KEEP_SNAPSHOTS = 2  # previous snapshots kept beside the current one, for readers still on them
SNAPSHOT_RE = re.compile(r"^\d{6,}$")
TEMP_LINK_PREFIX = ".current-"

# Columns of an answers file before the question columns, and after them.
ARCHIVED_META = tuple(c for c in META_COLUMNS if c != "period")  # period is the partition
ROW_COLUMNS = ("content_hash", "questionnaire", "questionnaire_hash")
TRAILING_COLUMNS = ("not_applicable", "notes")
RESERVED_COLUMNS = {"period", *ARCHIVED_META, *ROW_COLUMNS, *TRAILING_COLUMNS}
GROUPINGS = ("unit", "organization")
MAX_LISTED = 20  # problems listed one by one before "and N more"


@dataclass
class AddResult:
    """What `add_to_archive` did."""

    archive: Path
    added: int = 0  # response rows written
    already_archived: int = 0  # rows whose content hash was archived (or repeated in the input)
    replaced: int = 0  # archived rows replaced by a new version (replace=True)
    periods: list[str] = field(default_factory=list)  # periods whose data changed
    snapshot: int | None = None  # the new snapshot's number; None when nothing changed


# --------------------------------------------------------------------------- column types


def _arrow_type(question: Question) -> pa.DataType:
    """Answers keep their exact values: numbers as float64, multi choices as lists of option
    values as text, every other answer as text (the questionnaire types option values again
    on the way back)."""
    import pyarrow as pa

    if question.type == "number":
        return pa.float64()
    if question.type == "multi":
        return pa.list_(pa.string())
    return pa.string()


def _notes_type() -> pa.DataType:
    import pyarrow as pa

    return pa.list_(
        pa.struct(
            [
                ("question", pa.string()),
                ("note", pa.string()),
                ("evidence", pa.list_(pa.string())),
            ]
        )
    )


def answers_schema(q: Questionnaire) -> pa.Schema:
    """The schema of a period's answers file for questionnaire `q` (docs/archive.md)."""
    import pyarrow as pa

    fields = [pa.field(name, pa.string()) for name in (*ARCHIVED_META, *ROW_COLUMNS)]
    fields += [pa.field(x.id, _arrow_type(x)) for x in q.questions]
    fields += [
        pa.field("not_applicable", pa.list_(pa.string())),
        pa.field("notes", _notes_type()),
    ]
    return pa.schema(fields)


# --------------------------------------------------------------------------- canonical rows


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pd.NA, NaT
    except (TypeError, ValueError):
        return False


def _plain_text(value: Any) -> str | None:
    if _missing(value):
        return None
    return str(value.item() if hasattr(value, "item") else value)


class _Canon:
    """One question's answers in canonical form (the form response files load into)."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.cache: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        if value is None:
            return None
        try:
            return self.cache[value]
        except KeyError:
            if _missing(value):  # NaN is not equal to itself: never a cache key
                return None
            result = self.cache[value] = self.convert(value)
            return result
        except TypeError:  # unhashable (a list for a multi answer)
            return self.convert(value)

    def convert(self, value: Any) -> Any:
        question = self.question
        if isinstance(value, list | tuple):
            if question.type != "multi":
                return value
            return tuple(self.option(v) for v in value)
        if _missing(value):
            return None
        if hasattr(value, "item"):  # NumPy scalars
            value = value.item()
        if isinstance(value, str) and value == NA:
            return NA
        if question.type == "number":
            return float(value) if isinstance(value, int | float) else value
        if question.type == "text":
            return str(value)
        if question.type == "multi":
            return (self.option(value),)
        return self.option(value)

    def option(self, value: Any) -> Any:
        if hasattr(value, "item"):
            value = value.item()
        found = self.question.option(value) or self.question.match(value)
        return value if found is None else found.value


def _column(values: pd.Series, convert: Any) -> list:
    """A column's canonical values; Categorical columns convert each category once."""
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = [convert(c) for c in values.cat.categories] + [None]  # code -1 -> None
        return [lookup[c] for c in values.cat.codes.to_numpy().tolist()]
    return [convert(v) for v in values.to_numpy(dtype=object).tolist()]


@dataclass
class _Rows:
    """A ResponseSet as plain per-column lists, each row with its content hash."""

    meta: dict[str, list]  # META_COLUMNS -> values (text or None)
    answers: dict[str, list]  # question id -> canonical values
    notes: list[list]  # per row: [[question, note, [evidence...]], ...] in question order
    hashes: list[str]

    def __len__(self) -> int:
        return len(self.hashes)


def _canonical_rows(responses: ResponseSet) -> _Rows:
    q = responses.questionnaire
    meta = {name: _column(responses.meta[name], _plain_text) for name in META_COLUMNS}
    n = len(responses.meta)
    answers: dict[str, list] = {}
    for question in q.questions:
        if question.id in responses.answers.columns:
            answers[question.id] = _column(responses.answers[question.id], _Canon(question))
        else:
            answers[question.id] = [None] * n
    notes: list[list] = [[] for _ in range(n)]
    frame = responses.notes
    if len(frame):
        order = {x.id: i for i, x in enumerate(q.questions)}
        for row, qid, note, evidence in sorted(
            zip(frame["row"], frame["question"], frame["note"], frame["evidence"], strict=True),
            key=lambda item: (int(item[0]), order.get(item[1], len(order))),
        ):
            listed = [] if _missing_list(evidence) else [str(e) for e in evidence]
            notes[int(row)].append([str(qid), _plain_text(note), listed])
    hashes = [
        content_hash(q.ref, q.hash, {name: meta[name][i] for name in META_COLUMNS}, pairs, notes[i])
        for i, pairs in enumerate(_answer_pairs(answers, n))
    ]
    return _Rows(meta, answers, notes, hashes)


def _missing_list(value: Any) -> bool:
    return value is None or (not isinstance(value, list | tuple) and _missing(value))


def _answer_pairs(answers: dict[str, list], n: int) -> Iterator[list]:
    """Per row, [question id, value] for every answered question, in question order."""
    ids = list(answers)
    columns = [answers[qid] for qid in ids]
    for i in range(n):
        yield [
            [qid, list(v) if isinstance(v, tuple) else v]
            for qid, column in zip(ids, columns, strict=True)
            if (v := column[i]) is not None
        ]


def content_hash(
    questionnaire: str,
    questionnaire_hash: str,
    meta: dict[str, Any],
    answers: list,
    notes: list,
) -> str:
    """sha256 (hex) of the row's canonical JSON: docs/archive.md gives the definition."""
    document = {
        "questionnaire": questionnaire,
        "questionnaire_hash": questionnaire_hash,
        **{name: meta.get(name) for name in META_COLUMNS if name != "source"},
        "answers": answers,
        "notes": notes,
    }
    text = json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- encode, decode


def _encode(q: Questionnaire, rows: _Rows, take: Sequence[int]) -> pa.Table:
    """The rows `take` as an answers table (answers_schema(q))."""
    import pyarrow as pa

    schema = answers_schema(q)
    data: dict[str, Any] = {}
    for name in ARCHIVED_META:
        data[name] = [rows.meta[name][i] for i in take]
    data["content_hash"] = [rows.hashes[i] for i in take]
    data["questionnaire"] = [q.ref] * len(take)
    data["questionnaire_hash"] = [q.hash] * len(take)
    not_applicable: list[list[str]] = [[] for _ in take]
    for question in q.questions:
        column = rows.answers[question.id]
        values: list[Any] = []
        for j, i in enumerate(take):
            value = column[i]
            if isinstance(value, str) and value == NA:
                not_applicable[j].append(question.id)
                values.append(NA if question.type not in ("number", "multi") else None)
            elif value is None:
                values.append(None)
            elif question.type == "number":
                values.append(value)
            elif question.type == "multi":
                values.append([str(v) for v in value])
            else:
                values.append(str(value))
        data[question.id] = values
    data["not_applicable"] = not_applicable
    data["notes"] = [
        [
            {"question": qid, "note": note, "evidence": evidence}
            for qid, note, evidence in rows.notes[i]
        ]
        for i in take
    ]
    return pa.Table.from_pydict(data, schema=schema)


def _decode_choice(question: Question | None, column: pa.Array) -> Any:
    """A text column as canonical values: option values typed by the questionnaire."""
    import numpy as np
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column)
    words = encoded.dictionary.to_pylist()
    lookup = np.empty(len(words) + 1, dtype=object)
    for k, word in enumerate(words):
        option = None
        if question is not None and question.type != "text" and word != NA:
            option = question.match(word)
        lookup[k] = word if option is None else option.value
    lookup[-1] = None
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return lookup[codes]


def _decode_column(question: Question | None, column: pa.Array) -> Any:
    import numpy as np
    import pyarrow as pa

    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _decode_choice(question, column)
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        values = column.to_numpy(zero_copy_only=False).astype(float)
        out = values.astype(object)
        out[np.isnan(values)] = None
        return out
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        out = np.empty(len(column), dtype=object)
        cache: dict[tuple, tuple] = {}
        for i, items in enumerate(column.to_pylist()):
            if items is not None:
                key = tuple(items)
                if key not in cache:
                    options = [question.match(v) if question else None for v in key]
                    cache[key] = tuple(
                        v if o is None else o.value for v, o in zip(key, options, strict=True)
                    )
                out[i] = cache[key]
        return out
    if pa.types.is_null(kind):
        return np.full(len(column), None, dtype=object)
    return np.asarray(column.to_pylist(), dtype=object)


def _decode(q: Questionnaire, parts: list[tuple[str, pa.Table]]) -> ResponseSet:
    """Answers tables (one per period) as a ResponseSet for questionnaire `q`."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    tables = [t for _, t in parts]
    n = sum(t.num_rows for t in tables)
    meta: dict[str, Any] = {}
    for name in META_COLUMNS:
        if name == "period":
            meta[name] = np.repeat(
                np.array([p for p, _ in parts], dtype=object), [t.num_rows for t in tables]
            )
        else:
            meta[name] = _concat_objects([_strings(t, name) for t in tables], n)
    answers: dict[str, Any] = {}
    notes_rows: list[tuple] = []
    problems: list[Problem] = []
    archived = {
        name
        for t in tables
        for name in t.column_names
        if name not in RESERVED_COLUMNS and not q.has_question(name)
    }
    for name in sorted(archived):
        problems.append(
            Problem(
                "A003",
                f"the archive has answers to '{name}', which {q.ref} does not ask; they are "
                "left out",
                severity="warning",
            )
        )
    for question in q.questions:
        pieces = []
        for t in tables:
            if question.id in t.column_names:
                pieces.append(_decode_column(question, t.column(question.id).combine_chunks()))
            else:
                pieces.append(np.full(t.num_rows, None, dtype=object))
        answers[question.id] = _concat_objects(pieces, n)
    offset = 0
    for t in tables:
        if "not_applicable" in t.column_names:
            lists = t.column("not_applicable").combine_chunks()
            rows = pc.list_parent_indices(lists).to_numpy() + offset
            for row, qid in zip(rows.tolist(), pc.list_flatten(lists).to_pylist(), strict=True):
                if qid in answers:
                    answers[qid][row] = NA
        if "notes" in t.column_names:
            lists = t.column("notes").combine_chunks()
            rows = pc.list_parent_indices(lists).to_numpy() + offset
            for row, item in zip(rows.tolist(), pc.list_flatten(lists).to_pylist(), strict=True):
                notes_rows.append(
                    (row, item["question"], item["note"], tuple(item["evidence"] or ()))
                )
        offset += t.num_rows
    index = pd.RangeIndex(n)
    meta_frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in meta.items()})
    answers_frame = pd.DataFrame(
        {k: pd.Series(v, dtype=object, index=index) for k, v in answers.items()}, index=index
    )
    notes = pd.DataFrame(notes_rows, columns=["row", "question", "note", "evidence"])
    return ResponseSet(q, meta_frame, answers_frame, notes, problems)


def _strings(table: pa.Table, name: str) -> Any:
    import numpy as np

    if name not in table.column_names:
        return np.full(table.num_rows, None, dtype=object)
    return np.asarray(table.column(name).to_pylist(), dtype=object)


def _concat_objects(pieces: list, n: int) -> Any:
    import numpy as np

    if not pieces:
        return np.empty(n, dtype=object)
    out = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
    return out.astype(object, copy=False)


# --------------------------------------------------------------------------- results


RESULT_TYPES = {
    "grouping": "string",
    "organization": "string",
    "organization_name": "string",
    "unit": "string",
    "respondents": "int64",
    "node": "string",
    "depth": "int64",
    "score": "float64",
    "level": "int64",
    "coverage": "float64",
    "n": "int64",
    "sd": "float64",
    "mean": "float64",
    "median": "float64",
    "rwg": "float64",
    "alpha": "float64",
    "low_agreement": "bool",
    "low_consistency": "bool",
    "questionnaire": "string",
    "questionnaire_hash": "string",
}


def _results(responses: ResponseSet) -> pa.Table:
    """The period's group scores by unit and by organization, every group kept."""
    import pandas as pd
    import pyarrow as pa

    from .scoring.scores import score

    q = responses.questionnaire
    frames = []
    for grouping in GROUPINGS:
        table = score(responses, by=grouping, min_group_size=1).table.copy()
        table.insert(0, "grouping", grouping)
        if "unit" not in table.columns:
            table["unit"] = None
        frames.append(table)
    frame = pd.concat(frames, ignore_index=True)
    frame["unit"] = frame["unit"].astype(object).where(frame["unit"].astype(object) != "", None)
    frame["questionnaire"] = q.ref
    frame["questionnaire_hash"] = q.hash
    frame = frame.drop(columns=["period"])
    known = [c for c in RESULT_TYPES if c in frame.columns]
    frame = frame[known + [c for c in frame.columns if c not in RESULT_TYPES]]
    columns = {}
    for name in frame.columns:
        values = frame[name]
        kind = RESULT_TYPES.get(name)
        if kind == "string":
            columns[name] = pa.array(
                [None if _missing(v) else str(v) for v in values.tolist()], pa.string()
            )
        elif kind is not None:
            typed = pa.from_numpy_dtype(kind)
            columns[name] = pa.array(values.to_numpy(), type=typed, from_pandas=True)
        else:
            columns[name] = pa.array(values, from_pandas=True)
    return pa.table(columns)


# --------------------------------------------------------------------------- files


def _write_parquet(table: pa.Table, folder: Path) -> str:
    """Write `table` as folder/part-<hash of its bytes>.parquet, fsynced; returns the name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    data = sink.getvalue().to_pybytes()
    name = f"part-{hashlib.sha256(data).hexdigest()[:16]}.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    _write_file(folder / name, data)
    return name


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _link(source: Path, target: Path) -> None:
    """A hard link (no copy); a copy where the file system has no hard links."""
    if target.exists():  # a questionnaire shared by several periods
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        with open(target, "rb+") as handle:
            os.fsync(handle.fileno())


def partition(period: str) -> str:
    """The folder of a period: `period=2026` (other characters than letters, digits, `-`, `_`,
    `.` and `~` percent-encoded, as Hive-partitioned readers decode them)."""
    return "period=" + urllib.parse.quote(period, safe="")


@dataclass
class _State:
    """A published snapshot: its number, folder and manifest (number 0: an empty archive)."""

    root: Path
    number: int = 0
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.root / SNAPSHOTS / f"{self.number:06d}"

    @property
    def periods(self) -> dict[str, dict[str, Any]]:
        return self.manifest.get("periods", {})


def _not_an_archive(archive: Path, why: str) -> DtassessError:
    return DtassessError(Problem("A002", f"not a dtassess archive: {why}", str(archive)))


def _published(archive: Path, must_exist: bool = True) -> _State:
    """The snapshot `current` names, read once (readers and writers alike)."""
    link = archive / CURRENT
    if not archive.is_dir():
        if archive.exists() or must_exist:
            what = "it is a file" if archive.exists() else "no such folder"
            raise _not_an_archive(archive, what)
        return _State(archive)
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        if must_exist and not (archive / SNAPSHOTS).is_dir():
            raise _not_an_archive(
                archive, "it has no 'current' (make one with dtassess archive add)"
            ) from None
        return _State(archive)
    except OSError:
        raise _not_an_archive(archive, "'current' is not a symbolic link") from None
    name = Path(target).name
    if Path(target).parent != Path(SNAPSHOTS) or not SNAPSHOT_RE.match(name):
        raise _not_an_archive(archive, f"'current' points to {target}, not to {SNAPSHOTS}/NNNNNN")
    state = _State(archive, int(name))
    try:
        state.manifest = json.loads((state.folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _not_an_archive(archive, f"cannot read {state.folder / MANIFEST}: {exc}") from None
    if state.manifest.get("format") != FORMAT:
        raise _not_an_archive(
            archive,
            f"its format is {state.manifest.get('format')!r}; this dtassess reads {FORMAT}",
        )
    return state


def _prepare(archive: Path) -> None:
    """Create the archive folder, or check that an existing folder is one."""
    if archive.exists() and not archive.is_dir():
        raise _not_an_archive(archive, "it is a file")
    if archive.is_dir():
        entries = {p.name for p in archive.iterdir()}
        ours = {CURRENT, SNAPSHOTS, LOCK}
        if entries - ours and not entries & {CURRENT, SNAPSHOTS}:
            raise _not_an_archive(
                archive, "the folder holds other files; give a new or an empty folder"
            )
    archive.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def _locked(archive: Path) -> Iterator[None]:
    """Hold the archive's writer lock (released by the kernel if the process dies)."""
    import fcntl

    fd = os.open(archive / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _tidy(archive: Path, current: int, keep: int) -> None:
    """Remove what crashed adds left (snapshots past `current`, temporary links) and the
    snapshots older than the `keep` before `current`."""
    for entry in archive.iterdir():
        if entry.name.startswith(TEMP_LINK_PREFIX) and entry.is_symlink():
            entry.unlink()
    folder = archive / SNAPSHOTS
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if not SNAPSHOT_RE.match(entry.name):
            continue
        number = int(entry.name)
        if number > current or number < current - keep:
            shutil.rmtree(entry, ignore_errors=True)


def _publish(archive: Path, number: int) -> None:
    """Point `current` at snapshot `number` in one atomic rename."""
    temporary = archive / f"{TEMP_LINK_PREFIX}{number:06d}.tmp"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    os.symlink(f"{SNAPSHOTS}/{number:06d}", temporary)
    os.replace(temporary, archive / CURRENT)
    _fsync_dir(archive)


# --------------------------------------------------------------------------- adding


def add_to_archive(
    responses: ResponseSet,
    archive: str | Path,
    replace: bool = False,
    keep: int = KEEP_SNAPSHOTS,
) -> AddResult:
    """Add responses, and their periods' recomputed results, to the archive at `archive`.

    Rows already archived (same content hash) are skipped. A respondent (organization, unit,
    period, respondent id) archived with other answers is refused (A004) unless `replace`,
    which replaces the archived row. Every response needs a period (A001), and a period keeps
    one questionnaire (A003). The archive is created when missing. Nothing changes, on disk or
    for readers, until the new snapshot is complete; `keep` earlier snapshots are kept.
    """
    archive = Path(archive)
    q = responses.questionnaire
    _refuse_without_period(responses)
    clashes = sorted(RESERVED_COLUMNS & {x.id for x in q.questions})
    if clashes:
        raise DtassessError(
            Problem(
                "A003",
                f"question id(s) {', '.join(clashes)} of {q.ref} are also names of the "
                "archive's own columns; rename the question(s) to archive these answers",
                q.path,
            )
        )
    rows = _canonical_rows(responses)
    by_period: dict[str, list[int]] = {}
    for i, period in enumerate(rows.meta["period"]):
        by_period.setdefault(period, []).append(i)
    _prepare(archive)
    result = AddResult(archive)
    with _locked(archive):
        state = _published(archive, must_exist=False)
        _tidy(archive, state.number, keep)
        _check_questionnaire(state, q, by_period)
        plans = {}
        conflicts: list[Problem] = []
        for period, members in sorted(by_period.items()):
            plan = _plan_period(state, period, rows, members, replace, conflicts)
            result.already_archived += plan.already
            if plan.new or plan.dropped:
                plans[period] = plan
        if conflicts:
            raise DtassessError(_capped(conflicts, "respondents archived with other answers"))
        if not plans:
            return result
        number = state.number + 1
        folder = archive / SNAPSHOTS / f"{number:06d}"
        try:
            manifest = _build_snapshot(state, folder, q, rows, plans)
            manifest["snapshot"] = number
            _write_file(
                folder / MANIFEST,
                (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
            )
            for directory in sorted({p.parent for p in folder.rglob("*")} | {folder}):
                _fsync_dir(directory)
            _fsync_dir(folder.parent)
            _publish(archive, number)
        except BaseException:
            if os.path.realpath(archive / CURRENT) != os.path.realpath(folder):
                shutil.rmtree(folder, ignore_errors=True)
            raise
        _tidy(archive, number, keep)
    for plan in plans.values():
        result.added += len(plan.new)
        result.replaced += len(plan.dropped)
    result.periods = sorted(plans)
    result.snapshot = number
    return result


def _refuse_without_period(responses: ResponseSet) -> None:
    periods = responses.meta["period"].astype(object).tolist()
    sources = responses.meta["source"].astype(object).tolist()
    missing = [
        Problem(
            "A001",
            "this response has no period; the archive keeps results per period: add "
            "'period: \"2026\"' to the file (or --period to the import)",
            str(source or ""),
        )
        for period, source in zip(periods, sources, strict=True)
        if _missing(period) or str(period).strip() == ""
    ]
    if missing:
        raise DtassessError(_capped(missing, "responses without a period"))


def _capped(problems: list[Problem], what: str) -> list[Problem]:
    if len(problems) <= MAX_LISTED:
        return problems
    first = problems[0]
    more = Problem(first.code, f"... and {len(problems) - MAX_LISTED} more {what}")
    return [*problems[:MAX_LISTED], more]


def _check_questionnaire(state: _State, q: Questionnaire, by_period: dict[str, list]) -> None:
    archived_id = state.manifest.get("questionnaire_id")
    if archived_id is not None and archived_id != q.id:
        raise DtassessError(
            Problem(
                "A003",
                f"the archive {state.root} keeps answers to questionnaire '{archived_id}'; these "
                f"responses answer '{q.id}': keep each questionnaire in its own archive",
                str(state.root),
            )
        )
    for period in sorted(by_period):
        info = state.periods.get(period)
        if info is None or info["questionnaire_hash"] == q.hash:
            continue
        stored = info.get("questionnaire_file")
        hint = f" (-q {state.root / CURRENT / stored} checks them against it)" if stored else ""
        raise DtassessError(
            Problem(
                "A003",
                f"period {period} of the archive was scored with {info['questionnaire']} "
                f"({info['questionnaire_hash']}); these responses were checked against {q.ref} "
                f"({q.hash}). A period is scored with one questionnaire: check the responses "
                f"against the archived one{hint}",
                str(state.root),
            )
        )


@dataclass
class _Plan:
    new: list[int]  # rows of the input to add
    already: int  # rows of the input already archived (or repeated in the input)
    dropped: set[str]  # content hashes of archived rows that new rows replace


def _plan_period(
    state: _State,
    period: str,
    rows: _Rows,
    members: list[int],
    replace: bool,
    conflicts: list[Problem],
) -> _Plan:
    """Which rows of one period are new, and which respondents clash with archived rows."""
    archived: dict[str, tuple] = {}
    info = state.periods.get(period)
    if info is not None:
        import pyarrow.parquet as pq

        keys = pq.read_table(
            state.folder / info["answers"],
            columns=["organization", "unit", "respondent", "content_hash"],
        ).to_pydict()
        archived = {
            h: (o, u, r)
            for o, u, r, h in zip(
                keys["organization"],
                keys["unit"],
                keys["respondent"],
                keys["content_hash"],
                strict=True,
            )
        }
    by_key = {key: h for h, key in archived.items()}
    seen: set[str] = set()
    incoming: dict[tuple, int] = {}
    plan = _Plan([], 0, set())
    for i in members:
        digest = rows.hashes[i]
        if digest in archived or digest in seen:
            plan.already += 1
            continue
        seen.add(digest)
        meta = rows.meta
        key = (meta["organization"][i], meta["unit"][i], meta["respondent"][i])
        where = " · ".join(str(k) for k in (key[0], key[1], period, key[2]) if k)
        if key in incoming:
            first = rows.meta["source"][incoming[key]]
            conflicts.append(
                Problem(
                    "A004",
                    f"respondent {where} answered twice, with different answers (also in "
                    f"{first}); the archive keeps one response per respondent: give each "
                    "respondent its own id, or leave one of the files out",
                    str(rows.meta["source"][i] or ""),
                )
            )
            continue
        incoming[key] = i
        if key in by_key:
            if not replace:
                conflicts.append(
                    Problem(
                        "A004",
                        f"respondent {where} is already archived with other answers; the "
                        "archive keeps what was added first (--replace replaces it with this "
                        "response)",
                        str(rows.meta["source"][i] or ""),
                    )
                )
                continue
            plan.dropped.add(by_key[key])
        plan.new.append(i)
    return plan


def _build_snapshot(
    state: _State,
    folder: Path,
    q: Questionnaire,
    rows: _Rows,
    plans: dict[str, _Plan],
) -> dict[str, Any]:
    """Write snapshot `folder`: touched periods rewritten and rescored, the others linked."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    periods: dict[str, dict[str, Any]] = {}
    info: dict[str, Any] | None
    for period, info in state.periods.items():
        if period in plans:
            continue
        for key in ("answers", "results", "questionnaire_file"):
            if info.get(key):
                _link(state.folder / info[key], folder / info[key])
        periods[period] = info
    stored = _store_questionnaire(q, folder, state.folder if state.number else None)
    for period, plan in sorted(plans.items()):
        fresh = _encode(q, rows, plan.new)
        info = state.periods.get(period)
        if info is not None:
            old = pq.read_table(state.folder / info["answers"], schema=fresh.schema)
            if plan.dropped:
                keep = pc.invert(pc.is_in(old["content_hash"], pa.array(sorted(plan.dropped))))
                old = old.filter(keep)
            fresh = pa.concat_tables([old, fresh])
        where = partition(period)
        answers_name = _write_parquet(fresh, folder / "answers" / where)
        loaded = _decode(q, [(period, fresh)])
        results_name = _write_parquet(_results(loaded), folder / "results" / where)
        meta = loaded.meta
        units = meta.loc[meta["unit"].notna(), ["organization", "unit"]].drop_duplicates()
        periods[period] = {
            "questionnaire": q.ref,
            "questionnaire_hash": q.hash,
            "questionnaire_file": stored or (info or {}).get("questionnaire_file"),
            "answers": f"answers/{where}/{answers_name}",
            "results": f"results/{where}/{results_name}",
            "respondents": int(fresh.num_rows),
            "organizations": int(meta["organization"].nunique()),
            "units": len(units),
            "scored_by": f"dtassess {__version__}",
        }
        if not stored and periods[period]["questionnaire_file"]:
            kept = periods[period]["questionnaire_file"]
            _link(state.folder / kept, folder / kept)
    return {
        "format": FORMAT,
        "snapshot": None,
        "questionnaire_id": q.id,
        "periods": {p: periods[p] for p in sorted(periods)},
    }


def _store_questionnaire(q: Questionnaire, folder: Path, previous: Path | None) -> str | None:
    """A copy of the questionnaire (when its file still has the content the answers were
    checked against), so that the archive can be scored again on its own."""
    name = re.sub(r"[^\w.@-]", "_", f"{q.ref}-{q.hash.split(':')[-1]}", flags=re.ASCII)
    relative = f"questionnaires/{name}.yaml"
    if (folder / relative).exists():
        return relative
    if previous is not None and (previous / relative).is_file():
        _link(previous / relative, folder / relative)
        return relative
    if not q.path or not Path(q.path).is_file():
        return None
    source = Path(q.path)
    data = source.read_bytes()
    try:
        same = load_questionnaire(source).hash == q.hash
    except DtassessError:
        same = False
    if not same:
        return None
    (folder / "questionnaires").mkdir(parents=True, exist_ok=True)
    _write_file(folder / relative, data)
    return relative


# --------------------------------------------------------------------------- reading


def archived_periods(archive: str | Path) -> list[str]:
    """The periods the archive holds, earliest first (periods.period_key)."""
    from .scoring.periods import period_key

    return sorted(_published(Path(archive)).periods, key=period_key)


def archive_contents(archive: str | Path) -> list[dict[str, Any]]:
    """What the archive holds: one dict per period, earliest first.

    Each gives period, questionnaire, questionnaire_hash, respondents, organizations, units,
    and the files that hold them (relative to `ARCHIVE/current`)."""
    state = _published(Path(archive))
    return [{"period": period, **info} for period, info in sorted(state.periods.items())]


def load_archive(
    archive: str | Path,
    periods: Sequence[str] | None = None,
    questionnaire: Questionnaire | str | Path | None = None,
) -> ResponseSet:
    """The archived answers of `periods` (default: all) as a ResponseSet ready for scoring.

    Without `questionnaire`, the periods must share the questionnaire they were scored with
    (the archive keeps a copy). The snapshot is resolved once, so a concurrent add is either
    wholly seen or not at all.
    """
    import pyarrow.parquet as pq

    state = _published(Path(archive))
    available = state.periods
    chosen = sorted(available) if periods is None else [str(p) for p in periods]
    unknown = [p for p in chosen if p not in available]
    if unknown:
        listed = ", ".join(sorted(available)) or "none"
        raise DtassessError(
            Problem(
                "A005",
                f"period(s) {', '.join(unknown)} not in the archive {state.root} (it holds: "
                f"{listed})",
                str(state.root),
            )
        )
    if questionnaire is None:
        q = _archived_questionnaire(state, chosen)
    elif isinstance(questionnaire, Questionnaire):
        q = questionnaire
    else:
        q = load_questionnaire(questionnaire)
    parts = [(p, pq.read_table(state.folder / available[p]["answers"])) for p in chosen]
    return _decode(q, parts)


def _archived_questionnaire(state: _State, periods: list[str]) -> Questionnaire:
    infos = [state.periods[p] for p in periods]
    if not infos:
        ref = state.manifest.get("questionnaire_id")
        if ref is None:
            raise DtassessError(
                Problem("A005", f"the archive {state.root} is empty", str(state.root))
            )
        return load_questionnaire(ref)
    hashes = {info["questionnaire_hash"] for info in infos}
    if len(hashes) > 1:
        used = ", ".join(
            f"{p}: {info['questionnaire']} ({info['questionnaire_hash']})"
            for p, info in zip(periods, infos, strict=True)
        )
        raise DtassessError(
            Problem(
                "A003",
                f"the periods were scored with different questionnaires ({used}); load them "
                "one questionnaire at a time, or give the questionnaire to read them with",
                str(state.root),
            )
        )
    info = infos[-1]
    stored = info.get("questionnaire_file")
    if stored:
        return load_questionnaire(state.folder / stored)
    q = load_questionnaire(info["questionnaire"])
    if q.hash != info["questionnaire_hash"]:
        raise DtassessError(
            Problem(
                "A003",
                f"the archive does not keep a copy of {info['questionnaire']} "
                f"({info['questionnaire_hash']}), and the one found has changed since "
                f"({q.hash}); give the questionnaire file the answers were checked against",
                str(state.root),
            )
        )
    return q
