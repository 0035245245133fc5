"""The scoring engine: answers in, scores per respondent and per group out (docs/scoring.md).

Everything works on whole columns. The questionnaire compiles once into arrays (question weights,
each dimension's children and their weights, each question's effective weight in every node);
answers become one float matrix, respondents x questions, holding each answer's 0-1 score with NaN
where there is none; the dimension tree is then aggregated bottom-up, one node at a time, each
node a few array operations over all respondents. The same code scores one response or a million.

Matrices are made a block of rows at a time. `scores.score` by unit or organization keeps none:
it scores respondents group by group and sums each group's statistics as the blocks go
(`grouped.score_groups`), so that a million respondents take seconds and a few hundred megabytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DtassessError, Problem
from ..inputs.conditions import NA
from ..inputs.questionnaire import Question, Questionnaire
from ..inputs.skips import Coded, Coder, hidden_by_rows

GROUPINGS = {
    "respondent": ("organization", "unit", "period", "respondent"),
    "unit": ("organization", "unit", "period"),
    "organization": ("organization", "period"),
}
STATISTICS = ("mean", "median")


def group_keys(by: str) -> tuple[str, ...]:
    """The key columns of a grouping: the three above, or any other response field (`role`, a
    profile question's id; dtassess.inputs.fields) within each organisation and period."""
    return GROUPINGS.get(by) or ("organization", by, "period")


@dataclass(frozen=True)
class NodePlan:
    id: str
    index: int  # column in the node matrix
    rule: str
    question_cols: np.ndarray  # indices into the scored-question matrix
    question_weights: np.ndarray
    child_cols: np.ndarray  # indices into the node matrix
    child_weights: np.ndarray


@dataclass(frozen=True)
class CompiledModel:
    """The questionnaire as arrays; built once per questionnaire."""

    questions: tuple[Question, ...]  # the scored questions, in column order
    node_ids: tuple[str, ...]  # "overall" first, then every dimension (parents first)
    depth: np.ndarray
    parent: tuple[str | None, ...]
    plans: tuple[NodePlan, ...]  # in evaluation order: children before parents
    effective: np.ndarray  # questions x nodes: each question's share of each node's weight
    direct: np.ndarray  # questions x nodes: the weight of each question in its own dimension

    @property
    def has_sum(self) -> bool:
        return any(plan.rule == "sum" for plan in self.plans)


def compile_model(q: Questionnaire) -> CompiledModel:
    if "engine" not in q.cache:
        q.cache["engine"] = _compile(q)
    return q.cache["engine"]


def _compile(q: Questionnaire) -> CompiledModel:
    scored = tuple(x for x in q.questions if x.is_scored)
    col = {x.id: i for i, x in enumerate(scored)}
    node_ids = q.node_ids
    node_col = {n: i for i, n in enumerate(node_ids)}
    plans: list[NodePlan] = []
    effective = np.zeros((len(scored), len(node_ids)))
    direct = np.zeros((len(scored), len(node_ids)))

    def plan(node_id: str, rule: str, questions, children) -> dict[int, float]:
        """Plan one node after its children; returns its questions' effective weights."""
        qs = [x for x in questions if x.id in col]
        weights = [x.weight for x in qs] + [c.weight for c in children]
        total = sum(weights) or 1.0
        share: dict[int, float] = {}
        for x in qs:
            share[col[x.id]] = share.get(col[x.id], 0.0) + x.weight / total
        for child in children:
            for qi, w in child_share[child.id].items():
                share[qi] = share.get(qi, 0.0) + w * child.weight / total
        plans.append(
            NodePlan(
                id=node_id,
                index=node_col[node_id],
                rule=rule,
                question_cols=np.array([col[x.id] for x in qs], dtype=np.intp),
                question_weights=np.array([x.weight for x in qs], dtype=float),
                child_cols=np.array([node_col[c.id] for c in children], dtype=np.intp),
                child_weights=np.array([c.weight for c in children], dtype=float),
            )
        )
        for qi, w in share.items():
            effective[qi, node_col[node_id]] = w
        for x in qs:
            direct[col[x.id], node_col[node_id]] += x.weight
        return share

    child_share: dict[str, dict[int, float]] = {}
    for dim in reversed(q.nodes):  # children come after parents in q.nodes
        child_share[dim.id] = plan(dim.id, dim.aggregate, dim.questions, dim.dimensions)
    plan("overall", q.aggregate, (), q.dimensions)
    return CompiledModel(
        questions=scored,
        node_ids=node_ids,
        depth=np.array([0] + [q.node(n).depth for n in node_ids[1:]]),
        parent=(None, *(q.node(n).parent or "overall" for n in node_ids[1:])),
        plans=tuple(plans),
        effective=effective,
        direct=direct,
    )


# --------------------------------------------------------------------------- answers -> matrix


@dataclass
class AnswerMatrix:
    """Respondents x scored questions, column-major, all float so that BLAS can use them."""

    scores: np.ndarray  # 0-1 score, 0.0 where there is none (see `valid`)
    valid: np.ndarray  # 1.0 where the score counts (is `answered`, or `applicable` under zero)
    answered: np.ndarray  # 1.0 for an answer (not N/A) to a question that was shown
    applicable: np.ndarray  # 1.0 when shown and not marked N/A


def _judge(question: Question, value: Any) -> float | None:
    """The 0-1 score of one distinct answer value (None when it is not a valid answer)."""
    if question.type == "multi":
        items = value if isinstance(value, tuple | list) else (value,)
        options = [question.match(item) for item in items]
        chosen = [o for o in options if o is not None]
        if len(chosen) < len(options):
            return None
        return min(1.0, sum(o.score for o in chosen))
    option = question.match(value)
    return None if option is None else option.score


def _choice_tables(question: Question, coded: Coded) -> tuple[np.ndarray, ...]:
    """Per distinct value: its 0-1 score (0 where there is none), whether it is an answer,
    and whether it counts as applicable. Two slots follow the values: code -2 for a question
    hidden by skip logic, code -1 for no answer (indexing with mode="wrap" lands on them)."""
    size = len(coded.uniques) + 2
    score = np.zeros(size)
    answer = np.zeros(size)
    applicable = np.ones(size)
    applicable[-2] = 0.0
    invalid = []
    for k, value in enumerate(coded.uniques):
        if isinstance(value, str) and value == NA:
            applicable[k] = 0.0
            continue
        judged = _judge(question, value)
        if judged is None:
            invalid.append(k)
        else:
            score[k], answer[k] = judged, 1.0
    if invalid:
        bad = np.isin(coded.codes, invalid)
        if bad.any():
            raise _invalid(question, coded.values(), bad)
    return score, answer, applicable


def _number(question: Question, series: pd.Series) -> tuple[np.ndarray, ...]:
    """A number question as codes and tables, like a choice question: code b for an answer in
    band b, code `bands` for N/A, -1 for no answer (-2, hidden, is set by the caller)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Judged once per distinct value (with "na" among numbers a column is categorical);
        # an invalid one is reported by the cell-by-cell path below, which names the rows.
        try:
            coded, *tables = _number(question, pd.Series(series.cat.categories, dtype=object))
        except DtassessError:
            pass
        else:
            return (np.append(coded, -1).astype(coded.dtype)[series.cat.codes], *tables)
    if series.dtype.kind in "iuf":
        numbers = series.to_numpy(dtype=float)
        na = np.zeros(len(numbers), bool)
    else:
        raw = series.astype(object)
        na = (raw == NA).to_numpy()
        present = raw.notna().to_numpy() & ~na
        numbers = pd.to_numeric(raw.where(~na, None), errors="coerce").to_numpy(dtype=float)
        if (present & np.isnan(numbers)).any():
            raise _invalid(question, raw.to_numpy(), present & np.isnan(numbers))
    answered = ~np.isnan(numbers)
    if question.linear:
        return _linear(question, numbers, answered, na)
    mins = np.array([b.min for b in question.bands])
    bands = len(mins)
    kind = small_int(bands + 3)
    if bands <= 8:  # the band: how many minimums a number reaches, less one
        index = np.full(len(numbers), -1, dtype=kind)
        for low in mins:
            index += numbers >= low
    else:
        index = (np.searchsorted(mins, numbers, side="right") - 1).astype(kind)
    below = answered & (index < 0)
    if below.any():
        raise _invalid(question, numbers, below)
    # a number's band; N/A and no answer
    codes = np.where(answered, index, np.where(na, bands, -1).astype(kind))
    # Slots: the bands, N/A (not applicable), hidden (code -2), no answer (code -1).
    score = np.array([b.score for b in question.bands] + [0.0, 0.0, 0.0])
    answer = np.array([1.0] * bands + [0.0, 0.0, 0.0])
    applicable = np.array([1.0] * bands + [0.0, 0.0, 1.0])
    return codes, score, answer, applicable


def _linear(
    question: Question, numbers: np.ndarray, answered: np.ndarray, na: np.ndarray
) -> tuple[np.ndarray, ...]:
    """A number scored on the line from its min (0) to its max (1): coded by distinct value,
    each value's score in the tables, then the N/A slot (as `_number`'s bands)."""
    assert question.min is not None and question.max is not None
    outside = answered & ((numbers < question.min) | (numbers > question.max))
    if outside.any():
        raise _invalid(question, numbers, outside)
    values, index = np.unique(numbers[answered], return_inverse=True)
    distinct = len(values)
    kind = small_int(distinct + 3)
    codes = np.where(na, distinct, -1).astype(kind)
    codes[answered] = index
    score = np.clip((values - question.min) / (question.max - question.min), 0.0, 1.0)
    score = np.concatenate([score, [0.0, 0.0, 0.0]])
    answer = np.array([1.0] * distinct + [0.0, 0.0, 0.0])
    applicable = np.array([1.0] * distinct + [0.0, 0.0, 1.0])
    return codes, score, answer, applicable


def small_int(size: int) -> np.dtype:
    """The smallest integer type for 0 ... size - 1 (and -1, -2): codes, slots, bits."""
    return np.dtype(np.int8 if size < 2**7 else np.int16 if size < 2**15 else np.int32)


def _invalid(question: Question, values: np.ndarray, bad: np.ndarray) -> DtassessError:
    rows = np.flatnonzero(bad)
    sample = ", ".join(f"row {r + 1}: {values[r]!r}" for r in rows[:3])
    return DtassessError(
        Problem(
            "R005",
            f"question '{question.id}': {len(rows)} answer(s) are not among its options ({sample})",
        )
    )


# Rows are scored in blocks: the working matrices of one block stay in the CPU caches, and a
# million respondents need a few megabytes of scratch memory instead of gigabytes.
BLOCK_ROWS = 16_384


@dataclass
class PreparedAnswers:
    """Every scored question's answers as positions in small per-value tables, once for all
    rows, skip logic applied.

    Each question has a run of slots in the tables: hidden by skip logic, no answer, then its
    distinct values; `starts` holds where each run begins. `slots` (questions x respondents,
    small integers) holds each answer's slot, so that a block's three answer matrices are three
    `take`s, and the group statistics can count answers per slot instead of reading floats.
    Number questions are coded by band. A million respondents of gov-dt: 80 MB of slots.
    """

    slots: np.ndarray
    starts: np.ndarray
    score: np.ndarray  # 0-1 score, 0 where there is none
    answer: np.ndarray  # 1.0 for an answer (not N/A) to a question that was shown
    applicable: np.ndarray  # 1.0 when shown and not marked N/A


def prepare_answers(
    q: Questionnaire,
    answers: pd.DataFrame,
    exclude: Collection[str] = (),
    order: np.ndarray | None = None,
) -> PreparedAnswers:
    """The answers as slots; with `order`, the respondents in that order."""
    model = compile_model(q)
    n = len(answers)
    coded = Coder(answers, n)
    hidden = hidden_by_rows(q, coded, n)
    runs: list[tuple] = []  # per question: codes (-2 hidden, -1 none) and its three tables
    for question in model.questions:
        gone = hidden.get(question.id)
        if question.id in exclude:
            # Left out of a comparison: counts nowhere, as if it did not apply to anyone.
            nothing = np.zeros(2)
            runs.append((np.full(n, -1, dtype=np.int8), nothing, nothing, nothing))
            continue
        if question.type == "number":
            codes, *tables = _number(question, coded.series(question.id))
        else:
            tables = list(_choice_tables(question, coded(question.id)))
            codes = coded(question.id).codes
        if gone is not None:
            codes = np.where(gone, -2, codes)
        runs.append((codes, *tables))
    # The tables end with the slots of codes -2 and -1: rolled by two, each run starts with
    # them, and code c of a run starting at s is slot s + 2 + c.
    starts = np.cumsum([0] + [len(run[1]) for run in runs])
    slots = np.empty((len(runs), n), dtype=small_int(int(starts[-1])))
    for j, (codes, *_) in enumerate(runs):
        # reordered question by question: small codes, and no second copy of all the slots
        np.add(
            codes if order is None else codes[order], starts[j] + 2, out=slots[j], dtype=slots.dtype
        )
    tables = [
        np.concatenate([np.zeros(0), *(np.roll(run[t], 2) for run in runs)]) for t in (1, 2, 3)
    ]
    return PreparedAnswers(slots, starts, *tables)


def block_matrix(q: Questionnaire, prepared: PreparedAnswers, rows: slice) -> AnswerMatrix:
    """The answer matrix of one block of rows."""
    # `take` wants positions as intp; the results are questions x rows, row-major: as rows x
    # questions they are column-major, each question a contiguous column, which is what the
    # matrix products that follow read fastest.
    index = prepared.slots[:, rows].astype(np.intp)
    scores = np.take(prepared.score, index).T
    answered = np.take(prepared.answer, index).T
    applicable = np.take(prepared.applicable, index).T
    valid = applicable if q.unanswered == "zero" else answered
    return AnswerMatrix(scores, valid, answered, applicable)


def answer_matrix(q: Questionnaire, answers: pd.DataFrame) -> AnswerMatrix:
    """The whole answer matrix: respondents x scored questions (for inspection and tests)."""
    return block_matrix(q, prepare_answers(q, answers), slice(0, len(answers)))


# --------------------------------------------------------------------------- the tree


class RespondentScores:
    """Scores and coverage per respondent (rows) and node (columns: `overall`, dimensions).

    Scores are in the questionnaire's reporting range; coverage is 0-1. Given `compute` instead
    of the frames, they are computed on first use: `score` builds a group table without them
    (two frames of a million rows it would otherwise keep for callers that seldom look).
    """

    def __init__(
        self,
        score: pd.DataFrame | None = None,
        coverage: pd.DataFrame | None = None,
        compute: Callable[[], RespondentScores] | None = None,
    ) -> None:
        self._score, self._coverage, self._compute = score, coverage, compute

    def _computed(self) -> None:
        if self._compute is not None:
            done = self._compute()
            self._score, self._coverage, self._compute = done.score, done.coverage, None

    @property
    def score(self) -> pd.DataFrame:
        self._computed()
        return self._score  # type: ignore[return-value]

    @property
    def coverage(self) -> pd.DataFrame:
        self._computed()
        return self._coverage  # type: ignore[return-value]


def _by_columns(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """matrix @ weights for a tall column-major matrix, in the layout BLAS runs fastest."""
    return (weights.T @ matrix.T).T


@contextmanager
def one_blas_thread(rows: int) -> Iterator[bool]:
    """BLAS on one thread meanwhile, for more than a block of rows, where threadpoolctl is
    installed to set it; yields whether it did.

    Scoring makes three matrix products per block of rows, each too small to gain much from
    a second thread, and BLAS threads wait for each other at every call: on a virtual machine
    whose other core the host is busy with, every call waits a time slice. A million
    respondents took 4 s to scan so instead of 0.9 s (2 cores, OpenBLAS).
    """
    limits = None
    if rows > BLOCK_ROWS:  # else a product or two: not worth looking BLAS up
        with suppress(ImportError):
            import threadpoolctl

            limits = threadpoolctl.threadpool_limits
    if limits is None:
        yield False
        return
    with limits(limits=1, user_api="blas") as limiter:
        # whether there was a BLAS to limit
        yield bool(limiter.get_original_num_threads().get("blas"))


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class BlockSums:
    """The sums over questions a block needs, as three matrix products, one per matrix of the
    block, the weight matrices side by side: the tree's weighted scores and the weights of the
    scores that count (`direct`), the coverage's answered and applicable weights (`effective`)
    and, given `members` (questions x some nodes, 1.0 where a question counts in the node),
    each such node's total score and number of scores.

    Each product is a BLAS call, and BLAS runs threads: on a busy machine a call can wait a
    time slice for them, so the fewer calls the steadier the time. Side by side changes no
    result: each column is the same sum over the questions.
    """

    def __init__(
        self, q: Questionnaire, model: CompiledModel, members: np.ndarray | None = None
    ) -> None:
        self.width = len(model.node_ids)
        self.zero = q.unanswered == "zero"  # the scores that count are those that apply
        more = [] if members is None else [members]
        self.members = 0 if members is None else members.shape[1]
        self.by_score = np.hstack([model.direct, *more])
        self.by_valid = np.hstack([model.direct, *more, model.effective])
        self.effective = model.effective

    def __call__(self, matrix: AnswerMatrix) -> dict[str, np.ndarray]:
        """Each sum rows x columns, column-major."""
        w, k = self.width, self.members
        scores = _by_columns(matrix.scores, self.by_score)
        valid = _by_columns(matrix.valid, self.by_valid)
        # `valid` is the answered or the applicable matrix; the other one has a product too
        other = _by_columns(matrix.answered if self.zero else matrix.applicable, self.effective)
        covered = valid[:, w + k :]
        done, possible = (other, covered) if self.zero else (covered, other)
        return {
            "weighted": scores[:, :w],
            "counted": valid[:, :w],
            "total": scores[:, w:],
            "scored": valid[:, w : w + k],
            "done": done,
            "possible": possible,
        }


def aggregate_tree(
    model: CompiledModel,
    matrix: AnswerMatrix,
    weighted: np.ndarray | None = None,
    counted: np.ndarray | None = None,
) -> np.ndarray:
    """Node scores (0-1, NaN for none): respondents x nodes, column-major.

    The questions' part of every weighted mean is two matrix products for all nodes at once
    (weighted scores, and the weights of the scores that count, so that missing scores leave
    the denominator; given when a caller has them, see `BlockSums`); sub-dimensions then join
    their parents bottom-up.
    """
    n = matrix.scores.shape[0]
    if weighted is None or counted is None:
        weighted = _by_columns(matrix.scores, model.direct)
        counted = _by_columns(matrix.valid, model.direct)
    nodes = np.full((n, len(model.node_ids)), np.nan, order="F")
    with np.errstate(invalid="ignore", divide="ignore"):
        for plan in model.plans:
            if plan.rule == "min":
                value = _weakest(plan, matrix, nodes)
            elif plan.rule == "geomean":
                value = _geomean(plan, matrix, nodes)
            elif plan.rule == "sum":
                value = _sum(model, plan, matrix, nodes, weighted, counted)
            else:
                value = _mean(plan, weighted, counted, nodes)
            nodes[:, plan.index] = value
    return nodes


def _sum(
    model: CompiledModel,
    plan: NodePlan,
    matrix: AnswerMatrix,
    nodes: np.ndarray,
    weighted: np.ndarray,
    counted: np.ndarray,
):
    """A sum of points: each child is worth its weight, a question 0 to weight, a sub-dimension
    its own position in its range times weight. The node's range is the sum of the weights of
    the children that apply; a child that applies and has no score adds nothing. The result is
    the position in that range (0-1), none where no child has a score (docs/scoring.md)."""
    # the questions' points and the weights of those that have a score, as for a mean
    total = weighted[:, plan.index].copy()
    scored = counted[:, plan.index].copy()
    span = matrix.applicable[:, plan.question_cols] @ plan.question_weights
    for col, cw in zip(plan.child_cols, plan.child_weights, strict=True):
        child = nodes[:, col]
        ok = child == child  # not NaN
        total += np.where(ok, child, 0.0) * cw
        # the sub-dimension applies when a question under it does
        under = np.flatnonzero(model.effective[:, col] > 0)
        span += matrix.applicable[:, under].any(axis=1) * cw
        scored += ok * cw
    total /= span
    total[(scored == 0) | (span == 0)] = np.nan
    return total


def _mean(plan: NodePlan, weighted: np.ndarray, counted: np.ndarray, nodes: np.ndarray):
    total = weighted[:, plan.index].copy()
    weight = counted[:, plan.index].copy()
    for col, w in zip(plan.child_cols, plan.child_weights, strict=True):
        child = nodes[:, col]
        ok = child == child  # not NaN
        part = np.where(ok, child, 0.0)
        part *= w
        total += part
        np.add(weight, w, out=weight, where=ok)
    total /= weight
    total[weight == 0] = np.nan
    return total


def _weakest(plan: NodePlan, matrix: AnswerMatrix, nodes: np.ndarray):
    low = np.full(matrix.scores.shape[0], np.inf)
    for col in plan.question_cols:
        np.minimum(low, np.where(matrix.valid[:, col] > 0, matrix.scores[:, col], np.inf), out=low)
    for col in plan.child_cols:
        np.fmin(low, nodes[:, col], out=low)  # fmin ignores a child without a score
    low[np.isinf(low)] = np.nan
    return low


def _geomean(plan: NodePlan, matrix: AnswerMatrix, nodes: np.ndarray):
    logs = np.zeros(matrix.scores.shape[0])
    weight = np.zeros_like(logs)
    parts = [(matrix.scores[:, c], matrix.valid[:, c] > 0) for c in plan.question_cols]
    parts += [(nodes[:, c], ~np.isnan(nodes[:, c])) for c in plan.child_cols]
    weights = [*plan.question_weights, *plan.child_weights]
    for (values, ok), w in zip(parts, weights, strict=True):
        logs += np.where(ok, np.log(np.where(ok, values, 1.0)), 0.0) * w  # log 0 = -inf
        weight += ok * w
    value = np.exp(logs / weight)
    value[weight == 0] = np.nan
    return value


def score_respondents(
    q: Questionnaire,
    answers: pd.DataFrame,
    block_rows: int = BLOCK_ROWS,
    question_scores: np.ndarray | None = None,
    exclude: Collection[str] = (),
    applicable: np.ndarray | None = None,
) -> RespondentScores:
    """Score every respondent on every node.

    Given `question_scores` (respondents x scored questions, float), it is filled block by block
    with each answer's 0-1 score, NaN where none counts: the input of the group statistics.
    Questions in `exclude` count nowhere (a comparison between questionnaire versions).
    Given `applicable` (the same shape), it is filled with 1.0 where a question is shown and
    not marked N/A: what a sum's range counts.
    """
    model = compile_model(q)
    prepared = prepare_answers(q, answers, exclude)
    n, width = len(answers), len(model.node_ids)
    # Fortran-ordered results become pandas columns without a copy.
    score = np.empty((n, width), order="F")
    coverage = np.empty((n, width), order="F")
    low, high = q.score_range
    products = BlockSums(q, model)
    with one_blas_thread(n):
        for start in range(0, n, block_rows):
            rows = slice(start, min(start + block_rows, n))
            matrix = block_matrix(q, prepared, rows)
            sums = products(matrix)
            nodes01 = aggregate_tree(model, matrix, sums["weighted"], sums["counted"])
            if question_scores is not None:
                question_scores[rows] = np.where(matrix.valid > 0, matrix.scores, np.nan)
            if applicable is not None:
                applicable[rows] = matrix.applicable
            score[rows] = low + nodes01 * (high - low)
            with np.errstate(invalid="ignore", divide="ignore"):
                done, possible = sums["done"], sums["possible"]
                coverage[rows] = np.where(possible > 0, done / possible, np.nan)
    columns = list(model.node_ids)
    return RespondentScores(
        pd.DataFrame(score, index=answers.index, columns=columns, copy=False),
        pd.DataFrame(coverage, index=answers.index, columns=columns, copy=False),
    )


# --------------------------------------------------------------------------- groups


def levels_of(q: Questionnaire, scores: np.ndarray) -> np.ndarray:
    """Maturity level for each score (0 where there is no score)."""
    mins = np.array([lv.min for lv in q.scale])
    numbers = np.array([lv.level for lv in q.scale])
    values = np.round(np.asarray(scores, dtype=float), 9)
    index = np.searchsorted(mins, np.nan_to_num(values, nan=-np.inf), side="right") - 1
    return np.where(np.isnan(values) | (index < 0), 0, numbers[np.clip(index, 0, None)])


def group_scores(
    q: Questionnaire,
    meta: pd.DataFrame,
    scores: RespondentScores,
    by: str = "organization",
    statistic: str = "mean",
    question_scores: np.ndarray | None = None,
) -> pd.DataFrame:
    """Long table: one row per group and node with score, level, coverage, n, sd, mean, median,
    the agreement index rwg, Cronbach's alpha and their flags (docs/scoring.md, section 6).

    For `by="respondent"` each respondent is its own group (n is 1, sd, rwg and alpha empty).
    rwg and alpha need `question_scores` (see `score_respondents`); without it they are empty.
    """
    if by not in GROUPINGS and by not in meta.columns:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)} or a column of meta")
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}")
    keys = list(group_keys(by))
    model = compile_model(q)
    frame_keys = meta[keys].astype(object).where(meta[keys].notna(), "")
    names = meta.groupby("organization", sort=False)["organization_name"].first()
    if by == "respondent":
        return _respondent_table(q, model, frame_keys, names, scores)
    grouped = scores.score.groupby([frame_keys[k] for k in keys], sort=False, dropna=False)
    mean = grouped.mean()
    median = grouped.median()
    spread = grouped.std(ddof=1)
    count = grouped.count()
    respondents = grouped.size()
    cover = scores.coverage.groupby([frame_keys[k] for k in keys], sort=False, dropna=False).mean()
    if question_scores is None:
        rwg = alpha = np.full(mean.shape, np.nan)
    else:
        codes = grouped.ngroup().to_numpy()
        rwg, alpha = agreement(q, question_scores, codes, respondents.to_numpy(), len(respondents))
    stats = {
        "coverage": cover.to_numpy(),
        "n": count.to_numpy(),
        "sd": spread.to_numpy(),
        "mean": mean.to_numpy(),
        "median": median.to_numpy(),
        "rwg": rwg,
        "alpha": alpha,
    }
    index_frame = mean.index.to_frame(index=False)
    return long_table(q, model, statistic, index_frame, names, respondents.to_numpy(), stats)


def long_table(
    q: Questionnaire,
    model: CompiledModel,
    statistic: str,
    index_frame: pd.DataFrame,
    names: pd.Series,
    respondents: np.ndarray,
    stats: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The long table from per-group statistics (each groups x nodes, groups in the order of
    `index_frame`, which holds their keys): one row per group and node, sorted by keys and node.
    """
    keys = list(index_frame.columns)
    score = stats["median" if statistic == "median" else "mean"]
    long = pd.DataFrame(
        {"score": np.asarray(score).ravel(), **{k: np.asarray(v).ravel() for k, v in stats.items()}}
    )
    # Rounded to 9 decimals, as levels round scores: an index on its bar (alpha exactly 0.7,
    # common in small groups on a coarse scale) is not below it for the last bit of a sum
    # taken in another order (blocks, threads, the Dask engine's partitions). NaN is not below.
    long["low_agreement"] = np.round(long["rwg"].to_numpy(), 9) < AGREEMENT_MIN
    long["low_consistency"] = np.round(long["alpha"].to_numpy(), 9) < CONSISTENCY_MIN
    repeat = len(model.node_ids)
    groups = len(index_frame)
    for k in keys:
        long[k] = np.repeat(index_frame[k].to_numpy(dtype=object), repeat)
    long["respondents"] = np.repeat(respondents, repeat)
    long["node"] = np.tile(np.array(model.node_ids, dtype=object), groups)
    long["depth"] = np.tile(model.depth, groups)
    long["level"] = levels_of(q, long["score"].to_numpy())
    long["organization_name"] = long["organization"].map(names).fillna("")
    order = {node: i for i, node in enumerate(model.node_ids)}
    long["_node"] = long["node"].map(order)
    long = long.sort_values([*keys, "_node"], kind="stable").drop(columns="_node")
    return long[_table_columns(keys)].reset_index(drop=True)


def _table_columns(keys: list[str]) -> list[str]:
    """The columns of the long table, in order, for the given group keys."""
    return [
        *keys,
        "organization_name",
        "respondents",
        "node",
        "depth",
        "score",
        "level",
        "coverage",
        "n",
        "sd",
        *STAT_COLUMNS,
    ]


def _respondent_table(
    q: Questionnaire,
    model: CompiledModel,
    frame_keys: pd.DataFrame,
    names: pd.Series,
    scores: RespondentScores,
) -> pd.DataFrame:
    """`group_scores(by="respondent")`: the long table with one group per respondent.

    The table is the one a stable `sort_values` over (keys, node) gives, built without sorting
    respondents x nodes rows of objects: each key column is coded once per distinct value, the
    respondents are put in order by a stable sort of those codes, and every column is then
    gathered from the per-respondent arrays, whose nodes are already in order. Respondents with
    identical keys (anonymous answers in one unit) interleave node by node, as that sort puts
    them. A key's values pass through the same steps as before (a MultiIndex level, then a column
    of the table), so they keep their values and dtype, and sort as `sort_values` sorts them.
    """
    keys = list(frame_keys.columns)
    n, width = len(frame_keys), len(model.node_ids)
    size = n * width
    typed: list[pd.Series] = []  # per key: its distinct values, as the table column holds them
    codes: list[np.ndarray] = []  # per key: each respondent's value, as a code into `typed`
    for k in keys:
        found, uniques = pd.factorize(frame_keys[k], sort=False)
        level = pd.CategoricalDtype(uniques).categories  # as MultiIndex.from_frame keeps them
        typed.append(pd.Series(level.to_numpy(dtype=object)))
        codes.append(found)
    # sort_values orders each key by the sorted distinct values of its column (what
    # factorize(sort=True) gives); a stable sort of the respondents by those ranks
    ranks = [pd.factorize(t, sort=True)[0][c] for t, c in zip(typed, codes, strict=True)]
    perm, starts = _stable_order(ranks, [len(t) for t in typed])
    # Respondent by respondent (in sorted order), each respondent's nodes in order; `inverse`
    # puts respondents that share all keys node by node instead.
    inverse = None if len(starts) == n else _interleave(starts, n, width)

    def by_node(matrix: np.ndarray) -> np.ndarray:
        out = np.empty((n, width), dtype=matrix.dtype)
        np.take(matrix, perm, axis=0, out=out, mode="clip")
        flat = out.reshape(-1)
        return flat if inverse is None else flat[inverse]

    columns: dict[str, Any] = {}
    # Keys are the same on all rows of a respondent (and of respondents that share them), so
    # each key column is its sorted respondents' values, each repeated for the nodes.
    repeat = np.repeat(np.arange(n, dtype=np.int32 if n < 2**31 else np.intp), width)
    organization = keys.index("organization")
    named = typed[organization].map(names).fillna("")
    for name, values, k in [
        *zip(keys, typed, codes, strict=True),
        ("organization_name", named, codes[organization]),
    ]:
        columns[name] = _take(_take(values, k[perm]), repeat)
    del repeat
    columns["respondents"] = np.ones(size, dtype=np.int64)
    node_codes = np.tile(np.arange(width, dtype=np.min_scalar_type(max(width - 1, 0))), n)
    if inverse is not None:
        node_codes = node_codes[inverse]
    # An empty table keeps the object node column it always had.
    node_values = np.array(model.node_ids if n else [], dtype=object)
    columns["node"] = _take(pd.Series(node_values), node_codes)
    columns["depth"] = model.depth[node_codes] if inverse is not None else np.tile(model.depth, n)
    score = columns["score"] = by_node(scores.score.to_numpy())
    level = columns["level"] = np.empty(size, dtype=levels_of(q, score[:0]).dtype)
    for first in range(0, size, BLOCK_ROWS * 64):  # without table-sized temporaries
        part = slice(first, first + BLOCK_ROWS * 64)
        level[part] = levels_of(q, score[part])
    columns["coverage"] = by_node(scores.coverage.to_numpy())
    answered = np.isnan(score)
    columns["n"] = np.logical_not(answered, out=answered).astype(int)
    columns["sd"] = np.full(size, np.nan)
    columns["mean"] = score.copy()
    columns["median"] = score.copy()
    columns["rwg"] = np.full(size, np.nan)
    columns["alpha"] = np.full(size, np.nan)
    # rwg and alpha are empty for one respondent: never low
    columns["low_agreement"] = np.zeros(size, dtype=bool)
    columns["low_consistency"] = np.zeros(size, dtype=bool)
    return pd.DataFrame({c: columns[c] for c in _table_columns(keys)}, copy=False)


def _stable_order(ranks: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The stable order of rows by several rank columns (the first one first, each rank in
    0..size-1), and the positions in that order where a new combination of ranks starts."""
    n = len(ranks[0])
    span = 1
    for s in sizes:
        span *= max(s, 1)
    if span < 2**62:  # one integer key: a single stable sort
        combined = np.zeros(n, dtype=np.int64)
        for r, s in zip(ranks, sizes, strict=True):
            combined *= s
            combined += r
        perm = np.argsort(combined, kind="stable")
        ordered = combined[perm]
        new = np.empty(n, dtype=bool)
        new[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    else:
        perm = np.lexsort(ranks[::-1])
        new = np.zeros(n, dtype=bool)
        new[:1] = True
        for r in ranks:
            ordered = r[perm]
            new[1:] |= ordered[1:] != ordered[:-1]
    return perm, np.flatnonzero(new)


def _interleave(starts: np.ndarray, n: int, width: int) -> np.ndarray:
    """For rows laid out respondent by respondent (`width` nodes each), the order that lists the
    respondents of each run of equal keys (runs begin at `starts`) node by node instead."""
    sizes = np.diff(np.append(starts, n))
    first = np.repeat(starts, sizes)
    count = np.repeat(sizes, sizes)
    offset = first * width + (np.arange(n) - first)
    target = offset[:, None] + np.arange(width) * count[:, None]
    inverse = np.empty(n * width, dtype=np.intp)
    inverse[target.reshape(-1)] = np.arange(n * width)
    return inverse


def _take(values: pd.Series, indices: np.ndarray) -> pd.Series:
    """values[indices] (a new RangeIndex) in the same dtype, for the dtypes a key column has
    (NumPy, categorical, Arrow-backed strings) without pandas' general `take` and its checks."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype):
        taken: Any = values.to_numpy()[indices]
    elif isinstance(dtype, pd.CategoricalDtype):
        taken = pd.Categorical.from_codes(values.cat.codes.to_numpy()[indices], dtype=dtype)
    elif isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        taken = pd.array(pa.array(values.array).take(pa.array(indices)), dtype=dtype)
        if taken.dtype != dtype:
            taken = values.array.take(indices)
    else:
        taken = values.array.take(indices)
    # dtype given: an object column of strings stays object instead of being inferred again
    return pd.Series(taken, dtype=dtype, copy=False)


STAT_COLUMNS = ("mean", "median", "rwg", "alpha", "low_agreement", "low_consistency")
AGREEMENT_MIN = 0.70  # rWG(J) below this: the group's respondents do not agree
CONSISTENCY_MIN = 0.70  # Cronbach's alpha below this: the node's questions do not hang together
ZERO_VARIANCE = 1e-12


def null_variance(question: Question) -> float:
    """Variance of a uniform answer over a question's evenly spaced 0-1 options (NaN for fewer
    than two): (A + 1) / (12 (A - 1)) for A options or number bands, 1/12 for multi."""
    if question.type == "multi" or question.linear:  # continuous: uniform on 0-1
        return 1.0 / 12.0
    count = len(question.bands) if question.type == "number" else len(question.options)
    return (count + 1) / (12.0 * (count - 1)) if count >= 2 else np.nan


def group_variance(
    codes: np.ndarray, values: np.ndarray, counts: np.ndarray, groups: int
) -> np.ndarray:
    """Sample variance (ddof 1) of `values` within each group, two-pass for exact zeros; NaN
    for groups with fewer than two values. `counts` is the number of values in each group."""
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(codes, weights=values, minlength=groups) / counts
        deviation = values - means[codes]
        m2 = np.bincount(codes, weights=deviation * deviation, minlength=groups)
        return np.where(counts >= 2, m2 / (counts - 1), np.nan)


def alpha_nodes(model: CompiledModel) -> list[tuple[int, np.ndarray]]:
    """The nodes Cronbach's alpha is computed for (two questions or more), with the columns of
    their questions."""
    found = []
    for k in range(len(model.node_ids)):
        cols = np.flatnonzero(model.effective[:, k] > 0)
        if len(cols) >= 2:
            found.append((k, cols))
    return found


def agreement(
    q: Questionnaire,
    question_scores: np.ndarray,
    codes: np.ndarray,
    sizes: np.ndarray,
    groups: int,
) -> tuple[np.ndarray, np.ndarray]:
    """rWG(J) and Cronbach's alpha, groups x nodes (NaN where undefined; docs/scoring.md 6).

    `question_scores` is respondents x scored questions (0-1, NaN for no score), `codes` each
    respondent's group (0..groups-1), `sizes` each group's number of respondents. One loop over
    questions and one over nodes, each step whole columns: nothing per respondent. (`score`
    gets the same statistics from the answers' slots, without this matrix: `grouped.score_groups`.)
    """
    model = compile_model(q)
    width = len(model.questions)
    variance = np.full((groups, width), np.nan)
    for j in range(width):
        column = question_scores[:, j]
        ok = ~np.isnan(column)
        where = codes[ok]
        counts = np.bincount(where, minlength=groups).astype(float)
        variance[:, j] = group_variance(where, column[ok], counts, groups)
    nodes = alpha_nodes(model)
    complete_counts = np.zeros((groups, len(nodes)))
    parts = np.zeros((groups, len(nodes)))
    total_variance = np.zeros((groups, len(nodes)))
    for i, (_, cols) in enumerate(nodes):
        # Cronbach's alpha over the complete cases of the node's questions
        complete = np.ones(len(codes), dtype=bool)
        for j in cols:
            complete &= ~np.isnan(question_scores[:, j])
        where = codes[complete]
        counts = np.bincount(where, minlength=groups).astype(float)
        total = np.zeros(len(where))
        for j in cols:
            column = question_scores[complete, j]
            total += column
            parts[:, i] += group_variance(where, column, counts, groups)
        total_variance[:, i] = group_variance(where, total, counts, groups)
        complete_counts[:, i] = counts
    return agreement_from_variances(
        model, variance, sizes, nodes, complete_counts, parts, total_variance
    )


def agreement_from_variances(
    model: CompiledModel,
    variance: np.ndarray,
    sizes: np.ndarray,
    alpha_nodes: list[tuple[int, np.ndarray]],
    complete_counts: np.ndarray,
    parts: np.ndarray,
    total_variance: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """rWG(J) and alpha (groups x nodes) from the groups' variances: of each question over the
    respondents with a score (`variance`, groups x questions) and, per node of `alpha_nodes`,
    the number of complete cases, the sum of the questions' variances over them (`parts`) and
    the variance of their totals (groups x those nodes)."""
    groups = len(sizes)
    null = np.array([null_variance(x) for x in model.questions])
    rwg = np.full((groups, len(model.node_ids)), np.nan)
    alpha = np.full_like(rwg, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in range(len(model.node_ids)):
            cols = np.flatnonzero(model.effective[:, k] > 0)
            if len(cols) == 0:
                continue
            # rWG(J): observed variance against a uniform null, over the questions it exists for
            observed = variance[:, cols]
            used = ~np.isnan(observed) & ~np.isnan(null[cols])
            j_used = used.sum(axis=1)
            mean_observed = np.where(used, observed, 0.0).sum(axis=1) / j_used
            mean_null = np.where(used, null[cols], 0.0).sum(axis=1) / j_used
            r = np.clip(1.0 - mean_observed / mean_null, 0.0, 1.0)
            value = j_used * r / (j_used * r + (1.0 - r))
            rwg[:, k] = np.where((j_used > 0) & (sizes >= 2), value, np.nan)
        for i, (k, cols) in enumerate(alpha_nodes):
            size = len(cols)
            value = size / (size - 1) * (1.0 - parts[:, i] / total_variance[:, i])
            defined = (complete_counts[:, i] >= 3) & (total_variance[:, i] > ZERO_VARIANCE)
            alpha[:, k] = np.where(defined, value, np.nan)
    return rwg, alpha


def withhold_small_groups(table: pd.DataFrame, by: str, min_size: int) -> tuple[pd.DataFrame, int]:
    """The table without groups of fewer than `min_size` respondents, and how many went.

    Small groups could let a reader recognise one person's answers; individual results
    (`by="respondent"`) are never withheld, since asking for them is asking for individuals.
    """
    if by == "respondent" or min_size <= 1 or table.empty:
        return table, 0
    small = table["respondents"].to_numpy() < min_size
    withheld = int(small.sum()) // max(1, int(table["node"].nunique()))
    return table[~small].reset_index(drop=True), withheld
