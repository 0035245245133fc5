"""Score N synthetic respondents three ways and compare: the engine, a NumPy floor, a Python loop.

    python benchmarks/bench_engine.py                 # N = 100,000 and 1,000,000, best of 3
    python benchmarks/bench_engine.py --n 10000 --repeat 5 -q tests/data/worked.yaml

- engine: `dtassess.scoring.engine.score_respondents(q, frame)` on the categorical answers frame.
- floor: a NumPy kernel of the formulas of docs/scoring.md written here, independent of the
  engine, starting from the integer code matrix of the categorical columns and run in blocks
  of --block rows; engine/floor says how far the engine is from what NumPy can do. The same
  kernel on whole arrays is reported under the table.
- loop: one respondent at a time with dicts, option look-ups and a recursive walk of the tree,
  the way most survey tools score. When all N would take longer than --loop-budget seconds it
  runs on the first rows only and its time is extrapolated linearly (marked with *).

Generating the data is not timed. Before the table is printed, the floor's and the loop's node
scores and coverage are checked against the engine's to 1e-9; any difference exits with 1.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from generate import synthetic_answers

from dtassess.inputs.conditions import NA, Condition
from dtassess.inputs.questionnaire import Dimension, Question, Questionnaire, load_questionnaire
from dtassess.scoring.engine import score_respondents

TOLERANCE = 1e-9
GRID_LIMIT = 1 << 16  # largest joint table of distinct values a condition is evaluated on


# --------------------------------------------------------------------------- the NumPy floor


@dataclass
class NodeRule:
    index: int  # column in the node matrix
    rule: str
    depth: int
    questions: np.ndarray  # columns of the scored-question matrices
    question_weights: np.ndarray
    children: np.ndarray  # node columns
    child_weights: np.ndarray

    @property
    def question_part(self) -> tuple[np.ndarray, np.ndarray]:
        return self.questions, self.question_weights

    @property
    def child_part(self) -> tuple[np.ndarray, np.ndarray]:
        return self.children, self.child_weights


@dataclass
class FloorModel:
    scored: tuple[Question, ...]
    node_ids: tuple[str, ...]
    rules: list[NodeRule]
    direct: np.ndarray  # scored questions x nodes: a question's weight in its own dimension
    effective: np.ndarray  # scored questions x nodes: effective weights (docs/scoring.md §5)
    child_matrix: np.ndarray  # nodes x nodes: child weight of each (child, mean parent) pair
    conditions: list[tuple[str, Condition]]  # in document order, as skip logic cascades
    zero: bool
    score_range: tuple[float, float]


def compile_floor(q: Questionnaire) -> FloorModel:
    scored = tuple(x for x in q.questions if x.is_scored)
    column = {x.id: j for j, x in enumerate(scored)}
    node_ids = ("overall", *(d.id for d in q.nodes))
    index = {node: i for i, node in enumerate(node_ids)}
    direct = np.zeros((len(scored), len(node_ids)))
    effective = np.zeros_like(direct)
    child_matrix = np.zeros((len(node_ids), len(node_ids)))
    rules: list[NodeRule] = []

    def visit(node: str, rule: str, depth: int, questions, children) -> np.ndarray:
        """Add the node's rule; return its questions' effective weights within it."""
        mine = [x for x in questions if x.is_scored]
        total = sum(x.weight for x in mine) + sum(c.weight for c in children) or 1.0
        share = np.zeros(len(scored))
        for x in mine:
            share[column[x.id]] += x.weight / total
            direct[column[x.id], index[node]] += x.weight
        for child in children:
            share += visit_dimension(child) * (child.weight / total)
            if rule == "mean":
                child_matrix[index[child.id], index[node]] = child.weight
        effective[:, index[node]] = share
        rules.append(
            NodeRule(
                index=index[node],
                rule=rule,
                depth=depth,
                questions=np.array([column[x.id] for x in mine], dtype=np.intp),
                question_weights=np.array([x.weight for x in mine]),
                children=np.array([index[c.id] for c in children], dtype=np.intp),
                child_weights=np.array([c.weight for c in children]),
            )
        )
        return share

    def visit_dimension(dim: Dimension) -> np.ndarray:
        return visit(dim.id, dim.aggregate, dim.depth, dim.questions, dim.dimensions)

    visit("overall", q.aggregate, 0, (), q.dimensions)
    rules.sort(key=lambda r: -r.depth)
    return FloorModel(
        scored=scored,
        node_ids=node_ids,
        rules=rules,
        direct=direct,
        effective=effective,
        child_matrix=child_matrix,
        conditions=[(x.id, x.when) for x in q.questions if x.when is not None],
        zero=q.unanswered == "zero",
        score_range=q.score_range,
    )


@dataclass
class CodedAnswers:
    """The kernel's input: what a columnar reader hands over, before any scoring."""

    n: int
    codes: np.ndarray  # respondents x choice questions, int16, column-major; -1 = no answer
    categories: dict[str, list]  # question id -> the values its codes point at
    code_column: dict[str, int]
    numbers: np.ndarray  # respondents x number questions, float64, column-major; NaN = none
    number_column: dict[str, int]

    def rows(self, start: int, stop: int) -> CodedAnswers:
        return CodedAnswers(
            stop - start,
            self.codes[start:stop],
            self.categories,
            self.code_column,
            self.numbers[start:stop],
            self.number_column,
        )


def coded_answers(frame: pd.DataFrame) -> CodedAnswers:
    choice = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in frame.columns if c not in choice]
    codes = np.empty((len(frame), len(choice)), dtype=np.int16, order="F")
    for k, qid in enumerate(choice):
        codes[:, k] = frame[qid].cat.codes.to_numpy()
    numbers = np.empty((len(frame), len(numeric)), order="F")
    for k, qid in enumerate(numeric):
        numbers[:, k] = frame[qid].to_numpy(dtype=float)
    return CodedAnswers(
        n=len(frame),
        codes=codes,
        categories={qid: list(frame[qid].cat.categories) for qid in choice},
        code_column={qid: k for k, qid in enumerate(choice)},
        numbers=numbers,
        number_column={qid: k for k, qid in enumerate(numeric)},
    )


def _object_array(values: list) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))


@dataclass
class Lookups:
    """What one scoring call works out once, from the distinct values alone."""

    tables: dict[str, tuple[np.ndarray, ...]]  # choice question -> score, answered, applicable
    shown: dict[str, tuple[np.ndarray, list[int]]]  # condition over distinct values, sizes


def lookups(model: FloorModel, data: CodedAnswers) -> Lookups:
    tables = {
        x.id: _tables(x, data.categories[x.id]) for x in model.scored if x.id in data.code_column
    }
    shown = {}
    for qid, cond in model.conditions:
        if any(name in data.number_column for name in cond.names):
            continue
        sizes = [len(data.categories.get(name, ())) + 1 for name in cond.names]
        if math.prod(sizes) > GRID_LIMIT:
            continue
        # Every combination of the drivers' values; slot k (after the k categories) stands for
        # "no answer", so that code -1 wraps onto it.
        grid = np.indices(sizes).reshape(len(sizes), -1)
        columns = {}
        for name, axis in zip(cond.names, grid, strict=True):
            columns[name] = _object_array([*data.categories.get(name, ()), None])[axis]
        shown[qid] = (cond.evaluate(columns, grid.shape[1]), sizes)
    return Lookups(tables, shown)


def _tables(question: Question, categories: list) -> tuple[np.ndarray, ...]:
    """Per category plus a last "no answer" slot: score, answered, applicable."""
    size = len(categories) + 1
    score, answered, applicable = np.zeros(size), np.zeros(size), np.ones(size)
    option_score = {o.value: o.score for o in question.options}
    for k, value in enumerate(categories):
        if isinstance(value, str) and value == NA:
            applicable[k] = 0.0
        elif question.type == "multi":
            score[k], answered[k] = min(1.0, sum(option_score[v] for v in value)), 1.0
        else:
            score[k], answered[k] = option_score[value], 1.0
    return score, answered, applicable


def _shown(model: FloorModel, found: Lookups, data: CodedAnswers) -> dict[str, np.ndarray]:
    """Rows where each conditional question is shown; a hidden driver counts as unanswered.

    Conditions with a table over their drivers' distinct values are spread to the rows by
    code; the others (on numbers, or on too many combinations) see the full columns.
    """
    shown: dict[str, np.ndarray] = {}
    for qid, cond in model.conditions:
        if qid in found.shown:
            table, sizes = found.shown[qid]
            shown[qid] = _spread(table, sizes, cond.names, data, shown)
            continue
        columns: dict[str, np.ndarray] = {}
        for name in cond.names:
            if name in data.number_column:
                values = data.numbers[:, data.number_column[name]]
                hidden_value: object = np.nan
            elif name in data.code_column:
                distinct = _object_array([*data.categories[name], None])
                values = np.take(distinct, data.codes[:, data.code_column[name]], mode="wrap")
                hidden_value = None
            else:
                continue  # no column: unanswered by everyone
            if name in shown:
                values = np.where(shown[name], values, hidden_value)
            columns[name] = values
        shown[qid] = cond.evaluate(columns, data.n)
    return shown


def _spread(table, sizes, names, data: CodedAnswers, shown) -> np.ndarray:
    if len(names) == 1 and names[0] in data.code_column:
        result = np.take(table, data.codes[:, data.code_column[names[0]]], mode="wrap")
        if names[0] in shown:
            result[~shown[names[0]]] = table[-1]
        return result
    flat = np.zeros(data.n, dtype=np.intp)
    stride = 1
    for name, size in reversed(list(zip(names, sizes, strict=True))):
        if name in data.code_column:
            slot = data.codes[:, data.code_column[name]].astype(np.intp) % size  # -1: last
            if name in shown:
                slot = np.where(shown[name], slot, size - 1)
            flat += slot * stride
        else:
            flat += (size - 1) * stride
        stride *= size
    return table[flat]


def _by_columns(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    # A column-major product, so that the node columns read below are contiguous.
    return (weights.T @ matrix.T).T


def floor_scores(
    model: FloorModel, data: CodedAnswers, block: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Node scores (in the reporting range) and coverage, respondents x nodes.

    With `block`, rows are scored that many at a time: the working matrices then stay small
    enough to be reused from call to call instead of being paged in afresh.
    """
    found = lookups(model, data)
    if block <= 0 or block >= data.n:
        return _floor_block(model, found, data)
    scores = np.empty((data.n, len(model.node_ids)), order="F")
    coverage = np.empty_like(scores)
    for start in range(0, data.n, block):
        stop = min(start + block, data.n)
        scores[start:stop], coverage[start:stop] = _floor_block(
            model, found, data.rows(start, stop)
        )
    return scores, coverage


def _floor_block(model: FloorModel, found: Lookups, data: CodedAnswers):
    n, width = data.n, len(model.scored)
    shown = _shown(model, found, data)
    scores = np.empty((n, width), order="F")
    answered = np.empty((n, width), order="F")
    applicable = np.empty((n, width), order="F")
    for j, question in enumerate(model.scored):
        if question.id in data.number_column:
            values = data.numbers[:, data.number_column[question.id]]
            has = ~np.isnan(values)
            mins = np.array([b.min for b in question.bands])
            band = np.searchsorted(mins, values, side="right") - 1  # NaN lands on the top band
            bands = np.array([b.score for b in question.bands])
            np.multiply(np.take(bands, band, mode="clip"), has, out=scores[:, j])
            answered[:, j] = has
            applicable[:, j] = 1.0
        elif question.id in data.code_column:
            codes = data.codes[:, data.code_column[question.id]]
            outputs = (scores, answered, applicable)
            for table, out in zip(found.tables[question.id], outputs, strict=True):
                np.take(table, codes, mode="wrap", out=out[:, j])
        else:
            scores[:, j] = answered[:, j] = 0.0
            applicable[:, j] = 1.0
        if question.id in shown:
            visible = shown[question.id]
            for out in (scores, answered, applicable):
                np.multiply(out[:, j], visible, out=out[:, j])
    valid = applicable if model.zero else answered
    nodes = _tree(model, scores, valid)
    low, high = model.score_range
    if (low, high) != (0.0, 1.0):
        nodes *= high - low
        nodes += low
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = _by_columns(answered, model.effective)
        possible = _by_columns(applicable, model.effective)
        coverage /= possible
        coverage[possible == 0] = np.nan
    return nodes, coverage


def _tree(model: FloorModel, scores: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """0-1 node scores bottom-up; the mean nodes of one depth are computed together."""
    n = scores.shape[0]
    weighted = _by_columns(scores, model.direct)
    counted = _by_columns(valid, model.direct)
    nodes = np.empty((n, len(model.node_ids)), order="F")
    with np.errstate(invalid="ignore", divide="ignore"):
        for depth in sorted({r.depth for r in model.rules}, reverse=True):
            level = [r for r in model.rules if r.depth == depth]
            means = np.array([r.index for r in level if r.rule == "mean"], dtype=np.intp)
            if means.size:
                total = weighted[:, means]
                weight = counted[:, means]
                below = np.array(
                    [i for r in level if r.rule == "mean" for i in r.children], dtype=np.intp
                )
                if below.size:
                    children = nodes[:, below]
                    has = ~np.isnan(children)
                    children[~has] = 0.0
                    links = model.child_matrix[np.ix_(below, means)]
                    total += _by_columns(children, links)
                    weight += _by_columns(has.astype(float), links)
                total /= weight
                total[weight == 0] = np.nan
                nodes[:, means] = total
            for r in level:
                if r.rule == "min":
                    nodes[:, r.index] = _weakest(r, scores, valid, nodes)
                elif r.rule == "geomean":
                    nodes[:, r.index] = _geometric(r, scores, valid, nodes)
    return nodes


def _weakest(r: NodeRule, scores, valid, nodes) -> np.ndarray:
    low = np.full(scores.shape[0], np.inf)
    for j in r.questions:
        np.minimum(low, np.where(valid[:, j] > 0, scores[:, j], np.inf), out=low)
    for c in r.children:
        np.fmin(low, nodes[:, c], out=low)
    low[low == np.inf] = np.nan
    return low


def _geometric(r: NodeRule, scores, valid, nodes) -> np.ndarray:
    logs = np.zeros(scores.shape[0])
    weight = np.zeros_like(logs)
    parts = [(scores[:, j], valid[:, j] > 0, w) for j, w in zip(*r.question_part, strict=True)]
    parts += [(nodes[:, c], ~np.isnan(nodes[:, c]), w) for c, w in zip(*r.child_part, strict=True)]
    for values, ok, w in parts:
        logs += np.log(np.where(ok, values, 1.0)) * w  # a 0 gives -inf, and the node 0
        weight += ok * w
    value = np.exp(logs / weight)
    value[weight == 0] = np.nan
    return value


# --------------------------------------------------------------------------- the Python loop


class LoopScorer:
    """Scores one respondent at a time, as a dict of answers."""

    def __init__(self, q: Questionnaire) -> None:
        self.q = q
        self.zero = q.unanswered == "zero"
        self.low, self.high = q.score_range
        self.node_ids = ("overall", *(d.id for d in q.nodes))
        self.position = {node: i for i, node in enumerate(self.node_ids)}
        self.option_scores = {x.id: {o.value: o.score for o in x.options} for x in q.questions}

    def question_score(self, question: Question, value) -> float:
        if question.type == "number":
            found = 0.0
            for band in question.bands:
                if value >= band.min:
                    found = band.score
            return found
        scores = self.option_scores[question.id]
        if question.type == "multi":
            return min(1.0, sum(scores[v] for v in value))
        return scores[value]

    def score(self, answers: dict) -> tuple[list, list]:
        state: dict[str, tuple[float, bool, bool]] = {}  # score, answered, applicable
        seen: dict[str, object] = {}  # the answers later conditions see
        for question in self.q.questions:
            if question.when is not None and not question.when.evaluate_one(seen):
                state[question.id] = (0.0, False, False)
                continue
            value = answers.get(question.id)
            if value is None:
                state[question.id] = (0.0, False, True)
                continue
            seen[question.id] = value
            if value == NA:
                state[question.id] = (0.0, False, False)
            elif question.is_scored:
                state[question.id] = (self.question_score(question, value), True, True)
        scores = [math.nan] * len(self.node_ids)
        coverage = [math.nan] * len(self.node_ids)
        self.walk("overall", self.q.aggregate, (), self.q.dimensions, state, scores, coverage)
        return scores, coverage

    def walk(self, node, rule, questions, children, state, scores, coverage):
        """(0-1 score or None, answered share, applicable share) of one node."""
        questions = [x for x in questions if x.is_scored]
        total = sum(x.weight for x in questions) + sum(c.weight for c in children) or 1.0
        parts: list[tuple[float, float]] = []
        done = possible = 0.0
        for question in questions:
            value, answered, applicable = state[question.id]
            done += question.weight / total if answered else 0.0
            possible += question.weight / total if applicable else 0.0
            if answered or (self.zero and applicable):
                parts.append((value, question.weight))
        for child in children:
            value, d, p = self.walk(
                child.id,
                child.aggregate,
                child.questions,
                child.dimensions,
                state,
                scores,
                coverage,
            )
            done += child.weight / total * d
            possible += child.weight / total * p
            if value is not None:
                parts.append((value, child.weight))
        value = self.combine(rule, parts)
        i = self.position[node]
        if value is not None:
            scores[i] = self.low + value * (self.high - self.low)
        if possible > 0:
            coverage[i] = done / possible
        return value, done, possible

    @staticmethod
    def combine(rule: str, parts: list[tuple[float, float]]) -> float | None:
        if not parts:
            return None
        if rule == "min":
            return min(s for s, _ in parts)
        weight = sum(w for _, w in parts)
        if rule == "geomean":
            if any(s == 0 for s, _ in parts):
                return 0.0
            return math.exp(sum(w * math.log(s) for s, w in parts) / weight)
        return sum(s * w for s, w in parts) / weight


def answer_lists(frame: pd.DataFrame, rows: int) -> dict[str, list]:
    """The first rows of each column as Python values, None for no answer."""
    lists = {}
    for qid in frame.columns:
        column = frame[qid].iloc[:rows]
        if isinstance(column.dtype, pd.CategoricalDtype):
            lookup = [*column.cat.categories, None]
            lists[qid] = [lookup[c] for c in column.cat.codes.to_numpy().tolist()]
        else:
            lists[qid] = [None if v != v else v for v in column.to_numpy().tolist()]
    return lists


def loop_scores(scorer: LoopScorer, lists: dict[str, list]) -> tuple[np.ndarray, np.ndarray]:
    ids = list(lists)
    scores, coverage = [], []
    for row in zip(*lists.values(), strict=True):
        s, c = scorer.score(dict(zip(ids, row, strict=True)))
        scores.append(s)
        coverage.append(c)
    return np.array(scores), np.array(coverage)


# --------------------------------------------------------------------------- running


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeat):
        result = None  # free the previous result first, so runs do not pile up memory
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def difference(name: str, expected: np.ndarray, got: np.ndarray, node_ids) -> float:
    """Largest absolute difference; raises SystemExit when results disagree."""
    gap_nan = np.isnan(expected) != np.isnan(got)
    both = ~np.isnan(expected) & ~np.isnan(got)
    diff = np.where(both, np.abs(expected - got), 0.0)
    if gap_nan.any() or (diff > TOLERANCE).any():
        row, col = np.argwhere(gap_nan | (diff > TOLERANCE))[0]
        count = int((gap_nan | (diff > TOLERANCE)).sum())
        print(
            f"RESULTS DISAGREE: {name}: {count} cells differ; first at row {row}, node "
            f"{node_ids[col]}: engine {expected[row, col]!r}, got {got[row, col]!r}",
            file=sys.stderr,
        )
        raise SystemExit(1)
    return float(diff.max()) if diff.size else 0.0


@dataclass
class Row:
    n: int
    engine: float
    floor: float  # in row blocks
    floor_whole: float  # the same kernel on whole arrays
    loop: float  # extrapolated to n when loop_rows < n
    loop_rows: int
    worst: float  # largest difference from the engine
    engine_rss: float  # process peak RSS (MiB) once the engine has run on n rows


def peak_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def time_floor(q: Questionnaire, frame: pd.DataFrame, block: int, repeat: int):
    # Compiling the model and reading out the code matrix are not timed: the kernel starts
    # from what a columnar reader would hand over.
    model = compile_floor(q)
    data = coded_answers(frame)
    return best_of(repeat, lambda: floor_scores(model, data, block))


def bench(q: Questionnaire, n: int, args: argparse.Namespace) -> Row:
    frame = synthetic_answers(q, n, seed=args.seed)
    engine_s, result = best_of(args.repeat, lambda: score_respondents(q, frame))
    engine_rss = peak_rss()
    node_ids = ["overall", *(d.id for d in q.nodes)]
    expected_score = result.score[node_ids].to_numpy()
    expected_cover = result.coverage[node_ids].to_numpy()
    del result

    floors, worst = [], 0.0
    for block in (args.block, 0):
        seconds, (score, cover) = time_floor(q, frame, block, args.repeat)
        worst = max(worst, difference("floor score", expected_score, score, node_ids))
        worst = max(worst, difference("floor coverage", expected_cover, cover, node_ids))
        floors.append(seconds)
        del score, cover

    scorer = LoopScorer(q)
    probe = min(n, 2000)
    probe_s, _ = best_of(1, lambda: loop_scores(scorer, answer_lists(frame, probe)))
    estimate = probe_s * n / probe
    rows = n if estimate <= args.loop_budget else max(probe, int(probe * 10 / probe_s))
    lists = answer_lists(frame, rows)
    loop_s, (score, cover) = best_of(1, lambda: loop_scores(scorer, lists))
    worst = max(worst, difference("loop score", expected_score[:rows], score, node_ids))
    worst = max(worst, difference("loop coverage", expected_cover[:rows], cover, node_ids))
    return Row(n, engine_s, *floors, loop_s * n / rows, rows, worst, engine_rss)


def machine() -> str:
    parts = [f"{os.cpu_count()} cores", platform.machine(), f"Python {platform.python_version()}"]
    parts.append(f"numpy {np.__version__}, pandas {pd.__version__}")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ", ".join(parts)
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            arch = f", {pool['architecture']}" if pool.get("architecture") else ""
            parts.append(
                f"BLAS {pool.get('internal_api')} {pool.get('version')} "
                f"({pool.get('num_threads')} threads{arch})"
            )
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-q", "--questionnaire", default="gov-dt")
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="best of (engine and floor)")
    parser.add_argument(
        "--block", type=int, default=16384, help="rows per block of the floor kernel"
    )
    parser.add_argument("--loop-budget", type=float, default=120.0, help="seconds, see above")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    q = load_questionnaire(args.questionnaire)
    scored = sum(x.is_scored for x in q.questions)
    print(
        f"{q.ref}: {len(q.questions)} questions ({scored} scored), {len(q.nodes) + 1} nodes; "
        f"engine and floor best of {args.repeat}, loop once",
        flush=True,
    )
    header = ("N", "engine s", "floor s", "loop s", "engine/floor", "loop/engine")
    print("{:>10} {:>9} {:>9} {:>10} {:>13} {:>12}".format(*header), flush=True)
    rows = []
    for n in args.n:
        row = bench(q, n, args)
        rows.append(row)
        mark = "*" if row.loop_rows < row.n else " "
        print(
            f"{row.n:>10,} {row.engine:>9.3f} {row.floor:>9.3f} {row.loop:>9.1f}{mark} "
            f"{row.engine / row.floor:>12.2f}x {row.loop / row.engine:>11.0f}x",
            flush=True,
        )
    for row in rows:
        if row.loop_rows < row.n:
            print(
                f"* loop timed on the first {row.loop_rows:,} of {row.n:,} respondents, "
                "extrapolated linearly"
            )
    whole = ", ".join(
        f"{r.n:,}: {r.floor_whole:.3f} s (engine/floor {r.engine / r.floor_whole:.2f}x)"
        for r in rows
    )
    print(f"floor in blocks of {args.block:,} rows; on whole arrays: {whole}")
    checked = ", ".join(f"{r.loop_rows:,} of {r.n:,}" for r in rows)
    worst = max(r.worst for r in rows)
    print(
        f"results agree: floor on every respondent, loop on {checked}; "
        f"largest difference {worst:.1e} (tolerance {TOLERANCE:g})"
    )
    engine_rss = ", ".join(f"{r.n:,}: {r.engine_rss:,.0f} MiB" for r in rows)
    print(f"peak RSS: {peak_rss():,.0f} MiB (after the engine alone at {engine_rss})")
    print(f"machine: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
