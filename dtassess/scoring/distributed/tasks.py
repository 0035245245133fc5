"""What runs on the workers: one pass over one partition (`scan`), the node scores the first pass
keeps on the worker's scratch disk for later passes (`Spill`), and the result sent back
(`found.Found`)."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import numpy as np

from ...errors import DtassessError
from .. import engine
from .found import Found
from .medians import Ask, answer_block, asked_arrays
from .pieces import CellLog, import_piece, pieces
from .plan import Job, Partition
from .stats import GroupStats, Shape, group_labels, piece_stats

SCORE_ROWS = 131_072  # rows scored at a time: with the piece, a task's working memory
# Test-only: seconds each piece waits, so that a test can kill a worker while a job runs.
DELAY_ENV = "DTASSESS_DASK_PIECE_DELAY"


def scan(part: Partition, job: Job, ask: Ask | None, spill: Any = None) -> Found:
    """One pass over one partition, on a worker: the first pass's statistics (`ask` None), or
    what `ask` wants, from the node scores the first pass kept on this worker (`spill`) or
    from the data again. Problems with the data come back as data (DtassessError does not
    travel)."""
    found = Found(part.index)
    try:
        if ask is None or not _answer_kept(part, job, ask, spill, found):
            found.rescored = ask is not None
            _scan_pieces(part, job, ask, found)
    except DtassessError as exc:
        return Found(part.index, error=exc.problems)
    return found


def spill_path(token: str, index: int) -> str | None:
    """Where a worker keeps a partition's node scores between passes: its scratch space,
    which it removes when it stops; None outside a worker."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    return os.path.join(worker.local_directory, f"dtassess-{token}-{index}")


class Spill:
    """A partition's rows as the later passes need them, written as the first pass scores
    them: each row's group (int32, a row of the partition's statistics) and node scores
    (float64, row by row). Anything that goes wrong just leaves the later passes to read and
    score the data again."""

    def __init__(self, token: str, index: int) -> None:
        self.path = spill_path(token, index)
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


def drop_spills(token: str, dask_worker: Any = None) -> None:
    """Remove a job's kept scores from a worker (`client.run`, which gives `dask_worker`, at
    the end of the job)."""
    folder = dask_worker.local_directory
    for name in os.listdir(folder):
        if name.startswith(f"dtassess-{token}-"):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, name))


def _answer_kept(part: Partition, job: Job, ask: Ask, spill: Any, found: Found) -> bool:
    """A later pass from the scores the first pass kept on this worker; False when they are
    not here (the task runs elsewhere, the worker was restarted)."""
    path = spill_path(job.token, part.index) if spill is not None else None
    if path is None:
        return False
    _, keys, rows = spill
    width = Shape.of(job.q, job.bins).nodes
    try:
        sizes = os.path.getsize(path + ".groups"), os.path.getsize(path + ".scores")
    except OSError:
        return False
    if sizes != (rows * 4, rows * width * 8):
        return False
    ask.prepare()
    hist_of, hist, gathered = asked_arrays(ask)
    number = np.array([ask.index.get(k, -1) for k in keys] + [-1], dtype=np.intp)
    with open(path + ".groups", "rb") as groups, open(path + ".scores", "rb") as scores:
        for start in range(0, rows, SCORE_ROWS):
            count = min(SCORE_ROWS, rows - start)
            labels = np.fromfile(groups, dtype=np.int32, count=count)
            values = np.fromfile(scores, dtype=np.float64, count=count * width)
            answer_block(ask, number[labels], values.reshape(count, width), hist_of, hist, gathered)
    found_answers(found, hist, gathered)
    return True


def found_answers(found: Found, hist: tuple, gathered: list) -> None:
    found.hist = hist
    found.gathered = (
        np.concatenate([r for r, _ in gathered]),
        np.concatenate([v for _, v in gathered]),
    )


def _scan_pieces(part: Partition, job: Job, ask: Ask | None, found: Found) -> None:
    q = job.q
    shape = Shape.of(q, job.bins)
    delay = float(os.environ.get(DELAY_ENV) or 0)
    log = CellLog()
    matched: dict[int, Any] = {}
    stats = GroupStats(shape)
    spill = Spill(job.token, part.index) if ask is None else None
    if ask is not None:
        ask.prepare()
        hist_of, hist, gathered = asked_arrays(ask)
    for piece in pieces(part, job, matched):
        if delay:
            time.sleep(delay)
        found.headers.setdefault(piece.file, (piece.table.header, piece.table.spreadsheet))
        if job.files[piece.file].kind == "csv":
            found.lines[piece.file] = found.lines.get(piece.file, 0) + piece.lines
            if piece.encoding is not None:
                found.encodings.setdefault(piece.file, set()).add(piece.encoding)
        imported = import_piece(piece, job, log, matched)
        if imported is None or not len(imported[0]):
            continue
        answers, meta = imported
        for start in range(0, len(answers), SCORE_ROWS):
            rows = slice(start, start + SCORE_ROWS)
            block = answers.iloc[rows] if len(answers) > SCORE_ROWS else answers
            block_meta = {k: v[rows] for k, v in meta.items()}
            labels, group_keys = group_labels(block_meta, job.keys)
            if ask is None:
                matrix = np.empty((len(block), shape.questions), order="F")
                scored = engine.score_respondents(q, block, question_scores=matrix)
                score, coverage = scored.score.to_numpy(), scored.coverage.to_numpy()
                stats.merge(
                    piece_stats(shape, block_meta, labels, group_keys, score, coverage, matrix)
                )
                assert spill is not None  # kept on the first pass, when nothing is asked
                spill.write(stats.rows_for(group_keys)[labels], score)
            else:
                score = engine.score_respondents(q, block).score.to_numpy()
                number = np.array([ask.index.get(k, -1) for k in group_keys], dtype=np.intp)
                answer_block(ask, number[labels], score, hist_of, hist, gathered)
    if ask is None:
        found.stats = stats
        found.log = log
        found.column_problems = {f: problems for f, (_, problems) in matched.items()}
        assert spill is not None
        found.spill = spill.close()
    else:
        found_answers(found, hist, gathered)
