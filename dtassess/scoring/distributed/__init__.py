"""The scoring engine on a Dask cluster: exports larger than one machine's memory, scored by
partition on `dask.distributed` workers (docs/distributed.md).

The formulas are the pandas engine's, and so is the code that applies them. A task reads one
partition of the inputs (row groups of Parquet files, a byte range of a CSV export) a piece at a
time, turns each piece into answers with the functions `exports.load_export` is made of
(column matching, cell coding, skip logic, metadata), scores it with
`engine.score_respondents`, and keeps only per-group sufficient statistics that merge exactly:

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
own functions (`grouped.merge_moments`, `engine.agreement_from_variances`, `engine.long_table`,
`engine.withhold_small_groups`).

The modules, in the order a job meets them: `plan` (the inputs and their partitions, planned on
a worker), `pieces` (a partition read and imported a piece at a time), `stats` (the mergeable
statistics), `tasks` (one pass over one partition, on a worker), `medians` (the later passes),
`cluster` (the Dask client and its failures); this module runs the job and builds the table.

Dask itself is imported only when a job runs (`pip install dtassess[dask]`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DtassessError, Problem
from ...inputs import exports, tables
from ...inputs.questionnaire import Questionnaire
from .. import engine, scores
from .cluster import (
    check_workers,
    client_for,
    cluster_errors,
    cluster_problem,
    local_cluster,
    results_in_order,
)
from .found import Found
from .medians import Ask, Targets, first_targets, next_ask, settle_pass
from .pieces import PIECE_ROWS, CellLog
from .plan import InputFile, Job, Plan, Source, plan_partitions, sources_of
from .stats import GroupStats, Shape
from .tasks import DELAY_ENV, drop_spills, scan

__all__ = ["DELAY_ENV", "PARTITIONS", "DistributedResult", "local_cluster", "score_dask"]

PARTITIONS = 2  # default partitions per worker thread
# The first pass's histograms (for exact medians): per group and node a power of two of bins,
# at most FIRST_BINS, fewer with many groups (stats.FIRST_CELLS bins per piece in all).
FIRST_BINS = 256
MAX_PASSES = 64  # each later pass cuts an interval in REFINE_BINS or more: float64 runs out first


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
class DistributedResult(scores.ScoreResult):
    """`scores.ScoreResult` of a Dask job. `table` is the pandas engine's table for the same
    inputs (to rounding); `meta` has one row per respondent but no columns (the rows stay on
    the workers); `respondents` cannot be read. `problems` are the import warnings, as
    `load_exports` gives them."""

    problems: list[Problem] = field(default_factory=list)
    partitions: int = 0  # partitions the inputs were split into
    passes: int = 0  # passes over the data (1 + those that settled medians)
    rescored: int = 0  # tasks of later passes that read and scored their partition again


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
    progress: Callable[[int, int], None] | None = None,
) -> DistributedResult:
    """Score Parquet files and datasets and CSV exports on a Dask cluster (docs/distributed.md).

    The table `scores.score(load_exports(paths, q), by, statistic, min_group_size)` gives,
    without loading the data on one machine.

    `scheduler` is a scheduler address (`tcp://host:8786`) or a `distributed.Client`; without
    one, a local cluster of `workers` processes (default: one per core, at most one per GiB of
    free memory) runs the job and is shut down after it. The inputs are cut into `partitions`
    partitions per worker thread; a task reads and scores `piece_rows` rows at a time. Workers
    open the paths themselves: local paths are made absolute, URLs (s3://...) go to fsspec as
    they are. `by="respondent"` is not available (the result would be as large as the data).
    `timeout` (seconds) bounds the wait for the scheduler and for its first worker (default:
    Dask's connect timeout, and 30 s).
    `progress(done, partitions)` is called as the tasks of each pass finish (from another
    thread). Raises DtassessError for unusable input and for a failed cluster (exit code 2).
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
    from ...inputs.mapping import load_mapping
    from ...inputs.questionnaire import load_questionnaire

    if isinstance(questionnaire, Questionnaire):
        q = questionnaire
    else:
        q = load_questionnaire(os.fspath(questionnaire))
    sources = sources_of(paths)
    loaded_mapping = load_mapping(os.fspath(mapping), q) if mapping else None
    try:
        with client_for(scheduler, workers, timeout) as client:
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
                progress,
            )
    except cluster_errors() as exc:
        raise cluster_problem(exc, scheduler) from None


def _run(
    client: Any,
    q: Questionnaire,
    sources: list[Source],
    by: str,
    statistic: str,
    min_group_size: int,
    partitions: int,
    options: tuple,
    piece_rows: int,
    progress: Callable[[int, int], None] | None = None,
) -> DistributedResult:
    import uuid

    encoding, mapping, org, org_name, period, strict, timeout = options
    check_workers(client, timeout or 30.0)
    threads = sum(client.nthreads().values()) or 1
    planned = client.submit(plan_partitions, sources, partitions * threads, pure=False).result()
    if isinstance(planned, list):
        raise DtassessError(planned)
    keys = tuple(engine.GROUPINGS[by])
    token = uuid.uuid4().hex[:8]
    job = Job(
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

    def run_pass(number: int, ask: Ask | None) -> Iterator[Found]:
        futures = []
        for part in planned.parts:
            spill = kept.get(part.index)
            where = {} if spill is None else {"workers": [spill[0]], "allow_other_workers": True}
            key = f"dtassess-pass{number}-{part.index}-{token}"
            futures.append(client.submit(scan, part, job, ask, spill, key=key, **where))
        if progress is not None:
            _count_done(futures, progress)
        return results_in_order(client, futures)

    try:
        return _passes(q, planned, job, run_pass, kept, by, statistic, min_group_size, strict)
    finally:
        # Cleaning up must not hide what went wrong; workers empty their scratch space when
        # they stop anyway.
        with contextlib.suppress(Exception):
            client.run(drop_spills, token)


def _count_done(futures: list, progress: Callable[[int, int], None]) -> None:
    """Tell `progress` how many of a pass's tasks are done, as each one finishes (in any order:
    results are still merged in partition order)."""
    done = [0]
    total = len(futures)
    progress(0, total)

    def finished(_: Any) -> None:
        done[0] += 1
        progress(done[0], total)

    for future in futures:
        future.add_done_callback(finished)


def _passes(
    q: Questionnaire,
    planned: Plan,
    job: Job,
    run_pass: Any,
    kept: dict[int, tuple[str, list[tuple], int]],
    by: str,
    statistic: str,
    min_group_size: int,
    strict: bool,
) -> DistributedResult:
    """The first pass, then as many as the medians need; the result."""
    stats = GroupStats(Shape.of(q, job.bins))
    log = CellLog()
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
        exports._strict(problems)
    # medians: settle what the first pass's histograms leave open
    targets = first_targets(stats)
    passes = 1
    rescored = 0
    while len(targets.pending()):
        passes += 1
        if passes > MAX_PASSES:
            raise RuntimeError("medians did not settle")  # pragma: no cover
        ask, requests = next_ask(targets, stats.index)
        results = list(run_pass(passes, ask))
        rescored += sum(found.rescored for found in results)
        settle_pass(targets, ask, requests, results)
    result = _result(q, stats, targets, by, statistic, min_group_size, problems, planned, passes)
    result.rescored = rescored
    return result


def _problems(
    files: list[InputFile],
    headers: dict[int, tuple[list[str], bool]],
    column_problems: dict[int, list[Problem]],
    log: CellLog,
) -> list[Problem]:
    """The import warnings as `load_exports` lists them: file by file, by line and column; per
    column the first CELLS_LISTED cells, then one line for the rest (`exports._Reporter`)."""
    listed = exports.CELLS_LISTED
    out: list[Problem] = []
    for number, f in enumerate(files):
        problems = list(column_problems.get(number, []))
        header, spreadsheet = headers.get(number, ([], f.kind == "csv"))
        # for the names `Table.cell` and `Table.column` give cells and columns
        stub = tables.Table(f.label, header, [], np.zeros(0, np.int64), spreadsheet)
        for (file, col), (count, entries) in sorted(log.cells_of.items()):
            if file != number:
                continue
            if entries[0][1] == "I012":  # a column without a header: one line
                problems.append(exports.headerless_column(stub, col, count, entries[0][0]))
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
            exports.unorganized_row(f.label, row) for row in log.unorganized.get(number, [])
        ]
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        out += problems
    return out


def _result(
    q: Questionnaire,
    stats: GroupStats,
    targets: Targets,
    by: str,
    statistic: str,
    min_group_size: int,
    problems: list[Problem],
    planned: Plan,
    passes: int,
) -> DistributedResult:
    """The long table from the merged statistics, by the engine's own functions."""
    from ..periods import add_changes, ordered_periods

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
    rwg, alpha = engine.agreement_from_variances(
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
    table = engine.long_table(q, model, statistic, index_frame, names, stats.size, table_stats)
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
