"""Uncertainty and sensitivity of group scores and ranks (docs/scoring.md, section 9).

A group's score is the mean of its respondents' node scores under the questionnaire's weights.
Both are uncertain: another handful of respondents would have answered differently, and the
weights are a judgement. Each replicate redraws both at once (the practice of the OECD/JRC
Handbook on Constructing Composite Indicators, 2008):

- **respondents**: every group's respondents are resampled with replacement, within the group
  (a stratified bootstrap: every replicate has the same group sizes);
- **weights**: every question weight and every dimension weight is multiplied by its own factor,
  uniform on [1 - s, 1 + s], and the dimension tree is aggregated again.

Percentiles of the replicates give an interval for every group's score on every node, and the
replicates' ranks give an interval for every group's rank within its period.

Everything is whole arrays. The questionnaire's tree is aggregated for a batch of replicates at
once (nodes x replicates x respondents); a bootstrap of group means is a count per respondent
and replicate (how often the respondent was drawn) times the respondent's score, summed per
group with `numpy.add.reduceat` over respondents sorted by group. Replicates are processed in
batches, so that the working arrays stay bounded whatever the number of respondents.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from ..inputs.questionnaire import Dimension, Question, Questionnaire
from ..inputs.responses import ResponseSet
from .engine import compile_model, group_keys, levels_of, score_respondents

SOURCES = ("respondents", "weights")
# Replicates are processed in batches of about BATCH_CELLS replicates x respondents (each batch
# draws from its own random stream). Small batches keep the working arrays in the caches (about
# 9 bytes per cell and node: 22 MiB for gov-dt's 19 nodes) and keep the tiny matrix products
# below the size at which OpenBLAS starts threads; larger ones were slower, up to 10x.
BATCH_CELLS = 2**17
BATCH_REPLICATES = 64
DECIMALS = 9  # scores compared for ranks and differences after rounding, as levels are
MATTERS_SHARE = 0.05  # an interval at least this share of the score range wide is shown
EN_DASH = "\u2013"

RESULT_COLUMNS = (
    "organization_name",
    "respondents",
    "node",
    "depth",
    "score",
    "low",
    "high",
    "replicates",
    "rank",
    "rank_low",
    "rank_high",
    "ranked",
    "rank_distinct",
)


@dataclass
class UncertaintyResult:
    """What `intervals` returns: the long table and the settings that reproduce it.

    `table` has one row per group (the keys of `engine.group_keys(by)`) and node, in the order of
    `dtassess.score`'s table, with the columns of `RESULT_COLUMNS` (docs/scoring.md, section 9).
    """

    questionnaire: Questionnaire
    by: str
    table: pd.DataFrame
    resamples: int
    level: float
    seed: int
    weight_spread: float  # 0.0 when weights are not a source
    sources: tuple[str, ...]
    withheld: int = 0  # groups left out for having fewer than min_group_size respondents
    min_group_size: int = 1

    def labelled(self, digits: int | None = None) -> pd.DataFrame:
        """The table with `score_text` ("62 (58–66)" where the interval matters, else "62")
        and `rank_text` ("3 of 12 (2–5)", with "*" when the rank is not distinguishable)."""
        table = self.table.copy()
        d = interval_digits(self.questionnaire) if digits is None else digits
        show = interval_matters(
            self.questionnaire, table["score"], table["low"], table["high"], digits=d
        )
        table["score_text"] = [
            format_interval(s, lo, hi, d) if m else format_interval(s, digits=d)
            for s, lo, hi, m in zip(table["score"], table["low"], table["high"], show, strict=True)
        ]
        table["rank_text"] = [
            format_rank(r, lo, hi, of, distinct)
            for r, lo, hi, of, distinct in zip(
                table["rank"],
                table["rank_low"],
                table["rank_high"],
                table["ranked"],
                table["rank_distinct"],
                strict=True,
            )
        ]
        return table


# --------------------------------------------------------------------------- the public calls


def intervals(
    responses: ResponseSet,
    by: str = "organization",
    resamples: int = 1000,
    level: float = 0.90,
    weight_spread: float = 0.2,
    seed: int | None = 0,
    sources: Iterable[str] = SOURCES,
    min_group_size: int = 1,
) -> UncertaintyResult:
    """Intervals for every group's score and rank on every node (docs/scoring.md, section 9).

    `resamples` replicates, each drawing the `sources` asked for ("respondents": a bootstrap of
    each group's respondents; "weights": every weight times a factor uniform on
    [1 - weight_spread, 1 + weight_spread]); `low` and `high` are the percentiles of the
    replicates at (1 - level) / 2 and (1 + level) / 2. The same responses, arguments and seed give
    the same table; `seed=None` draws a fresh seed, recorded in the result's `seed`. Groups of
    fewer than `min_group_size` respondents are left out (as `dtassess.score` leaves them out)
    before anything is drawn or ranked.
    """
    sources = tuple(dict.fromkeys([sources] if isinstance(sources, str) else sources))
    unknown = [s for s in sources if s not in SOURCES]
    if unknown or not sources:
        raise ValueError(f"sources must be one or both of {', '.join(SOURCES)} (got {sources!r})")
    if by not in ("unit", "organization"):
        raise ValueError("by must be 'unit' or 'organization'")
    if int(resamples) != resamples or resamples < 2:
        raise ValueError(f"resamples must be a whole number of at least 2 (got {resamples!r})")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, e.g. 0.90 (got {level!r})")
    if not 0.0 <= weight_spread < 1.0:
        raise ValueError(f"weight_spread must be in [0, 1), e.g. 0.2 (got {weight_spread!r})")
    resamples = int(resamples)
    spread = float(weight_spread) if "weights" in sources else 0.0
    entropy = cast(int, np.random.SeedSequence(seed).entropy)  # an int, from an int or None
    setup = prepare(responses, by, min_group_size)
    table = _table(setup, resamples, level, sources, spread, entropy)
    return UncertaintyResult(
        responses.questionnaire,
        by,
        table,
        resamples,
        level,
        int(entropy),
        spread,
        sources,
        setup.withheld,
        min_group_size,
    )


def sensitivity(
    responses: ResponseSet,
    by: str = "organization",
    resamples: int = 1000,
    level: float = 0.90,
    weight_spread: float = 0.2,
    seed: int | None = 0,
    min_group_size: int = 1,
) -> pd.DataFrame:
    """Which source of uncertainty matters: `intervals` run with respondents alone, weights
    alone and both, summarised per node.

    One row per node and `sources` ("respondents", "weights", "both"): the mean, median and
    largest interval width over the groups, and the share of ranked groups whose rank is not
    distinguishable. The runs share their random draws (each source has its own stream), so
    differences come from the sources, not from the luck of the draw.
    """
    seed = cast(int, np.random.SeedSequence(seed).entropy)
    runs = {
        "respondents": ("respondents",),
        "weights": ("weights",),
        "both": SOURCES,
    }
    rows = []
    for name, sources in runs.items():
        table = intervals(
            responses, by, resamples, level, weight_spread, seed, sources, min_group_size
        ).table
        width = table["high"] - table["low"]
        ranked = table["rank"].notna()
        summary = (
            pd.DataFrame(
                {
                    "node": table["node"],
                    "width": width,
                    "not_distinct": (~table["rank_distinct"]).where(ranked),
                }
            )
            .groupby("node", sort=False)
            .agg(
                mean_width=("width", "mean"),
                median_width=("width", "median"),
                max_width=("width", "max"),
                not_distinct=("not_distinct", "mean"),
            )
            .reset_index()
        )
        summary.insert(1, "sources", name)
        rows.append(summary)
    out = pd.concat(rows, ignore_index=True)
    order = {n: i for i, n in enumerate(compile_model(responses.questionnaire).node_ids)}
    out["_node"] = out["node"].map(order)
    out = out.sort_values(["_node"], kind="stable").drop(columns="_node")
    return out.reset_index(drop=True)


def reweighted(q: Questionnaire, factors: Mapping[str, float]) -> Questionnaire:
    """A copy of `q` whose question and dimension weights are multiplied by `factors` (id ->
    factor; ids not given keep their weight). For what-if scoring and for checking `intervals`
    against `dtassess.score` replicate by replicate."""

    def question(x: Question) -> Question:
        return replace(x, weight=x.weight * factors.get(x.id, 1.0))

    def dimension(d: Dimension) -> Dimension:
        return replace(
            d,
            weight=d.weight * factors.get(d.id, 1.0),
            questions=tuple(question(x) for x in d.questions),
            dimensions=tuple(dimension(c) for c in d.dimensions),
        )

    return replace(
        q, dimensions=tuple(dimension(d) for d in q.dimensions), _questions={}, _nodes={}, cache={}
    )


# --------------------------------------------------------------------------- showing intervals


def interval_digits(q: Questionnaire) -> int:
    """Decimals to show an interval with: whole numbers on a range of 20 or more (0-100), one
    decimal on 2 to 20 (0-5, 0-10), two below. Intervals speak of a few hundredths of the range;
    more digits would be false precision."""
    span = abs(q.score_range[1] - q.score_range[0])
    return 0 if span >= 20 else 1 if span >= 2 else 2


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def format_interval(
    score: float | None, low: float | None = None, high: float | None = None, digits: int = 0
) -> str:
    """ "62 (58–66)": the score and its interval, each rounded to `digits` decimals (an en dash
    between the bounds); "62" without an interval; "—" without a score."""
    if score is None or _missing(score):
        return "—"
    text = f"{float(score):.{digits}f}"
    if low is None or high is None or _missing(low) or _missing(high):
        return text
    return f"{text} ({float(low):.{digits}f}{EN_DASH}{float(high):.{digits}f})"


def format_rank(
    rank: Any, low: Any = None, high: Any = None, of: Any = None, distinct: Any = True
) -> str:
    """ "3 of 12 (2–5)": the rank, how many were ranked, and the rank interval when it is more
    than one rank; a trailing "*" when the rank is not distinguishable from a neighbour's."""
    if _missing(rank):
        return "—"
    text = f"{int(rank)}"
    if not _missing(of):
        text += f" of {int(of)}"
    if not _missing(low) and not _missing(high) and int(low) != int(high):
        text += f" ({int(low)}{EN_DASH}{int(high)})"
    if not (distinct is True or distinct is np.True_):
        text += " *"
    return text


def interval_matters(
    q: Questionnaire,
    score: Any,
    low: Any,
    high: Any,
    digits: int | None = None,
    share: float = MATTERS_SHARE,
) -> np.ndarray:
    """Whether each interval is worth showing next to its score (element by element).

    It is when its bounds differ once rounded for display, and it is either wide (at least
    `share` of the score range: 5 points on 0-100) or it straddles a level threshold (the
    maturity level at `low` is not the level at `high`, so the level itself is uncertain).
    """
    d = interval_digits(q) if digits is None else digits
    score = np.asarray(score, dtype=float)
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    span = abs(q.score_range[1] - q.score_range[0])
    with np.errstate(invalid="ignore"):
        shown_apart = np.round(low, d) != np.round(high, d)
        wide = (high - low) >= share * span - 1e-9
        straddles = levels_of(q, low) != levels_of(q, high)
        defined = ~(np.isnan(score) | np.isnan(low) | np.isnan(high))
    return defined & shown_apart & (wide | straddles)


# --------------------------------------------------------------------------- set-up


@dataclass
class Setup:
    """Everything computed once before the replicates: the groups, and the scores in arrays.

    Respondents (of the groups kept) are in group order; `starts` is each group's first row.
    """

    q: Questionnaire
    keys: list[str]
    groups: pd.DataFrame  # one row per group: key columns, organization_name, respondents
    rows: np.ndarray  # the rows of responses.meta, in group order
    starts: np.ndarray
    sizes: np.ndarray
    period: np.ndarray  # period code of each group (ranks are within a period)
    respondent: np.ndarray  # nodes x rows: each respondent's node scores, reporting range
    filled: np.ndarray  # the same, 0 where there is none
    present: np.ndarray  # nodes x rows: whether there is one
    scores: np.ndarray  # scored questions x rows: 0-1 score, 0 where none counts
    valid: np.ndarray  # scored questions x rows: 1.0 where the score counts
    logs: np.ndarray  # scored questions x rows: log of the score where it counts and is > 0
    weakest: dict[int, np.ndarray]  # min node -> lowest score of its own questions (inf: none)
    zero_in: dict[int, np.ndarray]  # geomean node -> one of its own questions scores 0
    withheld: int
    # scored questions x rows: 1.0 where shown and not N/A; only with a sum node
    applicable: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.rows)


def prepare(responses: ResponseSet, by: str, min_group_size: int = 1) -> Setup:
    """Score the respondents once and lay out what every replicate needs."""
    q = responses.questionnaire
    model = compile_model(q)
    keys = list(group_keys(by))
    meta = responses.meta
    frame_keys = meta[keys].astype(object).where(meta[keys].notna(), "")
    codes = frame_keys.groupby(keys, sort=True, dropna=False).ngroup().to_numpy(dtype=np.intp)
    sizes = np.bincount(codes, minlength=0)
    kept = sizes >= max(1, min_group_size)
    keep_rows = kept[codes]
    codes = (np.cumsum(kept) - 1)[codes[keep_rows]]  # numbered again without the withheld
    rows = np.flatnonzero(keep_rows)[np.argsort(codes, kind="stable")]
    sizes = sizes[kept]
    starts = (np.cumsum(sizes) - sizes).astype(np.intp)

    matrix = np.empty((len(responses.answers), len(model.questions)), order="F")
    shown = np.empty_like(matrix) if model.has_sum else None
    per_respondent = score_respondents(
        q, responses.answers, question_scores=matrix, applicable=shown
    )
    respondent = np.ascontiguousarray(per_respondent.score.to_numpy()[rows].T)
    taken = matrix[rows].T
    valid = ~np.isnan(taken)
    scores = np.ascontiguousarray(np.where(valid, taken, 0.0))
    with np.errstate(divide="ignore"):
        logs = np.where(valid & (scores > 0), np.log(np.where(scores > 0, scores, 1.0)), 0.0)
    zero = valid & (scores == 0)
    weakest, zero_in = {}, {}
    for plan in model.plans:
        cols = plan.question_cols
        if plan.rule == "min":
            low = np.where(valid[cols], scores[cols], np.inf)
            weakest[plan.index] = low.min(axis=0) if len(cols) else np.full(len(rows), np.inf)
        elif plan.rule == "geomean":
            zero_in[plan.index] = zero[cols].any(axis=0)

    names = meta.groupby("organization", sort=False)["organization_name"].first()
    groups = frame_keys.iloc[rows[starts]].reset_index(drop=True)
    groups["organization_name"] = groups["organization"].map(names).fillna("").to_numpy()
    groups["respondents"] = sizes
    period = pd.factorize(groups["period"])[0]
    return Setup(
        q=q,
        keys=keys,
        groups=groups,
        rows=rows,
        starts=starts,
        sizes=sizes,
        period=np.asarray(period),
        respondent=respondent,
        filled=np.where(np.isnan(respondent), 0.0, respondent),
        present=~np.isnan(respondent),
        scores=scores,
        valid=valid.astype(float),
        logs=np.ascontiguousarray(logs),
        weakest=weakest,
        zero_in=zero_in,
        withheld=int((~kept).sum()),
        applicable=None if shown is None else np.ascontiguousarray(shown[rows].T),
    )


# --------------------------------------------------------------------------- replicates


def _stream(entropy: int, source: str, batch: int) -> np.random.Generator:
    """The random stream of one source for one batch: replicates that draw the same source
    with the same seed draw the same numbers whatever the other source does."""
    key = (SOURCES.index(source), batch)
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))


def draw(
    setup: Setup, batch: int, size: int, sources: Sequence[str], spread: float, entropy: int
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """One batch's draws: bootstrap counts (replicates x rows: how often each respondent was
    drawn from its group), question factors (replicates x scored questions) and node factors
    (replicates x nodes; a dimension's factor scales its weight in its parent). None for a
    source not drawn."""
    counts = question = node = None
    if "respondents" in sources:
        rng = _stream(entropy, "respondents", batch)
        first = np.repeat(setup.starts, setup.sizes)  # each row's group start and size
        picks = first + rng.integers(0, np.repeat(setup.sizes, setup.sizes), size=(size, setup.n))
        picks += (np.arange(size) * setup.n)[:, None]
        counts = np.bincount(picks.ravel(), minlength=size * setup.n).reshape(size, setup.n)
        counts = counts.astype(float)
    if "weights" in sources:
        rng = _stream(entropy, "weights", batch)
        width = setup.scores.shape[0] + setup.respondent.shape[0]
        factors = rng.uniform(1.0 - spread, 1.0 + spread, size=(size, width))
        question = factors[:, : setup.scores.shape[0]]
        node = factors[:, setup.scores.shape[0] :]
    return counts, question, node


def tree(setup: Setup, question: np.ndarray, node: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every respondent's node scores (0-1) under each replicate's weights, as two arrays of
    nodes x replicates x rows: the score (0 where there is none) and whether there is one. The
    formulas of `engine.aggregate_tree`, each weight multiplied by its replicate's factor;
    keeping "no score" apart from the value saves a NaN test per node in the parent and in the
    group means."""
    model = compile_model(setup.q)
    size, n = question.shape[0], setup.n
    shape = (len(model.node_ids), size, n)
    filled = np.empty(shape)
    present = np.empty(shape, dtype=bool)
    applies = None
    if setup.applicable is not None:
        shown = setup.applicable > 0
        applies = np.zeros((len(model.node_ids), n), dtype=bool)  # the same for every replicate
        for plan in model.plans:
            applies[plan.index] = shown[plan.question_cols].any(axis=0)
            for c in plan.child_cols:
                applies[plan.index] |= applies[c]
    with np.errstate(invalid="ignore", divide="ignore"):
        for plan in model.plans:
            cols = plan.question_cols
            value, has = filled[plan.index], present[plan.index]
            children = [
                (filled[c], present[c], (w * node[:, c])[:, None])
                for c, w in zip(plan.child_cols, plan.child_weights, strict=True)
            ]
            if plan.rule == "min":  # weights do not matter
                value[:] = setup.weakest[plan.index]
                for child, ok, _ in children:
                    np.minimum(value, np.where(ok, child, np.inf), out=value)
                np.isfinite(value, out=has)
                value[~has] = 0.0
                continue
            weights = plan.question_weights * question[:, cols]
            weight = weights @ setup.valid[cols]
            if plan.rule == "sum":  # engine._sum: the range counts what applies
                assert applies is not None and setup.applicable is not None
                span = weights @ setup.applicable[cols]
                np.matmul(weights, setup.scores[cols], out=value)
                for (child, ok, w), c in zip(children, plan.child_cols, strict=True):
                    value += child * w
                    weight += ok * w
                    span += applies[c] * w
                np.greater(weight, 0, out=has)
                has &= span > 0
                np.divide(value, span, out=value, where=has)
                value[~has] = 0.0
                continue
            if plan.rule == "geomean":
                logs = weights @ setup.logs[cols]
                zero = np.empty((size, n), dtype=bool)
                zero[:] = setup.zero_in[plan.index]
                for child, ok, w in children:
                    positive = child > 0  # no score is 0 here, and left out by `ok` below
                    logs += np.log(np.where(positive, child, 1.0)) * w
                    weight += ok * w
                    zero |= ok & ~positive
                np.greater(weight, 0, out=has)
                np.exp(logs / weight, out=value)
                value[zero | ~has] = 0.0  # a score of 0 makes the geometric mean 0
            else:
                np.matmul(weights, setup.scores[cols], out=value)
                for child, ok, w in children:
                    value += child * w  # 0 where the child has no score
                    weight += ok * w
                np.greater(weight, 0, out=has)
                np.divide(value, weight, out=value, where=has)  # value is 0 where weight is
    return filled, present


def _group_means(
    filled: np.ndarray, present: np.ndarray, counts: np.ndarray | None, starts: np.ndarray
) -> np.ndarray:
    """Per replicate (rows of `filled`, or one row shared by every replicate) and group: the
    mean of the respondents' scores, each counted as often as the bootstrap drew it (`counts`,
    or once); NaN where no drawn respondent has a score. Rows are in group order."""
    if counts is None:
        total = np.add.reduceat(filled, starts, axis=-1)
        number = np.add.reduceat(present, starts, axis=-1, dtype=float)
    else:
        total = np.add.reduceat(filled * counts, starts, axis=-1)
        number = np.add.reduceat(present * counts, starts, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(number > 0, total / number, np.nan)


def replicate_means(
    setup: Setup,
    counts: np.ndarray | None,
    question: np.ndarray | None,
    node: np.ndarray | None,
) -> np.ndarray:
    """Group scores (reporting range) of a batch of replicates: nodes x replicates x groups.

    Without factors the respondents' node scores are the engine's; with them, the tree is
    aggregated again per replicate. Without counts every respondent counts once."""
    low, high = setup.q.score_range
    width = setup.respondent.shape[0]
    factors = counts if counts is not None else question
    assert factors is not None  # respondent counts, weight factors or both
    size = factors.shape[0]
    out = np.empty((width, size, len(setup.starts)))
    if question is None:
        for k in range(width):
            out[k] = _group_means(setup.filled[k], setup.present[k], counts, setup.starts)
        return out
    assert node is not None  # the weight factors come as a pair
    filled, present = tree(setup, question, node)
    for k in range(width):
        out[k] = low + _group_means(filled[k], present[k], counts, setup.starts) * (high - low)
    return out


def batch_size(setup: Setup) -> int:
    """Replicates per batch: about BATCH_CELLS replicate-respondent cells, at most
    BATCH_REPLICATES. Fixed by the data's shape, so that results never depend on the machine."""
    return int(max(1, min(BATCH_REPLICATES, BATCH_CELLS // max(setup.n, 1))))


def replicates(
    setup: Setup, resamples: int, sources: Sequence[str], spread: float, entropy: int
) -> tuple[np.ndarray, np.ndarray]:
    """All replicate group scores (nodes x groups x replicates) and the groups' ranks in each
    replicate (the same shape; float32, NaN where a group has no score)."""
    width, groups = setup.respondent.shape[0], len(setup.starts)
    scores = np.empty((width, groups, resamples))
    ranked = np.empty((width, groups, resamples), dtype=np.float32)
    step = batch_size(setup)
    for batch, start in enumerate(range(0, resamples, step)):
        size = min(step, resamples - start)
        counts, question, node = draw(setup, batch, size, sources, spread, entropy)
        means = replicate_means(setup, counts, question, node).swapaxes(1, 2)
        scores[:, :, start : start + size] = means
        ranked[:, :, start : start + size] = ranks(means, setup.period)
    return scores, ranked


# --------------------------------------------------------------------------- percentiles, ranks


def quantiles(values: np.ndarray, probabilities: Sequence[float], method: str = "linear"):
    """Quantiles along the last axis, ignoring NaN (NaN where nothing is left).

    "linear" interpolates between order statistics as `numpy.quantile` does by default;
    "order" takes the order statistic ceil(p·m) (of the m values), a whole number for ranks.
    """
    ordered = np.sort(values, axis=-1)  # NaN last
    m = np.count_nonzero(~np.isnan(values), axis=-1)
    last = np.maximum(m - 1, 0)
    found = []
    for p in probabilities:
        if method == "linear":
            position = (m - 1) * p
            below = np.clip(np.floor(position).astype(np.intp), 0, None)
            above = np.minimum(below + 1, last)
            a = np.take_along_axis(ordered, below[..., None], axis=-1)[..., 0]
            b = np.take_along_axis(ordered, above[..., None], axis=-1)[..., 0]
            fraction = position - below
            with np.errstate(invalid="ignore"):
                value = np.where(fraction > 0, a + fraction * (b - a), a)
        else:
            index = np.clip(np.ceil(p * m - 1e-9).astype(np.intp) - 1, 0, last)
            value = np.take_along_axis(ordered, index[..., None], axis=-1)[..., 0]
        found.append(np.where(m > 0, value, np.nan))
    return found


def ranks(values: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Competition ranks ("1224") along axis 1 (groups), highest score first, within each
    period; NaN for no score. Scores are compared rounded to DECIMALS decimals."""
    out = np.full(values.shape, np.nan)
    key = -np.round(values, DECIMALS)
    for p in np.unique(period):
        members = np.flatnonzero(period == p)
        part = key[:, members]
        order = np.argsort(part, axis=1, kind="stable")  # NaN last
        ordered = np.take_along_axis(part, order, axis=1)
        shape = [1] * part.ndim
        shape[1] = len(members)
        position = np.arange(len(members)).reshape(shape)
        new = np.ones(part.shape, dtype=bool)
        new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        first = np.maximum.accumulate(np.where(new, position, 0), axis=1)
        rank = np.where(np.isnan(ordered), np.nan, first + 1.0)
        placed = np.empty(part.shape)
        np.put_along_axis(placed, order, rank, axis=1)
        out[:, members] = placed
    return out


def distinct(point: np.ndarray, reps: np.ndarray, period: np.ndarray, level: float) -> np.ndarray:
    """nodes x groups: whether each group's rank is distinguishable from its neighbours'.

    The neighbours are the groups just above and just below in the point ranking (same period
    and node). A pair is told apart when the `level` interval of the replicate differences of
    their scores (paired replicate by replicate, so that shared weight draws cancel) excludes 0.
    A group without a score is not distinct; a group alone in its period is.
    """
    result = ~np.isnan(point)
    key = -np.round(point, DECIMALS)
    tail = ((1.0 - level) / 2.0, (1.0 + level) / 2.0)
    for p in np.unique(period):
        members = np.flatnonzero(period == p)
        order = np.argsort(key[:, members], axis=1, kind="stable")  # NaN last
        scored = (~np.isnan(point[:, members])).sum(axis=1)
        node, j = np.nonzero(np.arange(len(members) - 1)[None, :] < (scored - 1)[:, None])
        if len(node) == 0:
            continue
        upper = members[order[node, j]]
        lower = members[order[node, j + 1]]
        difference = np.round(reps[node, upper] - reps[node, lower], DECIMALS)
        low, high = quantiles(difference, tail)
        with np.errstate(invalid="ignore"):
            apart = (low > 0) | (high < 0)
        result[node[~apart], upper[~apart]] = False
        result[node[~apart], lower[~apart]] = False
    return result


def point_scores(setup: Setup) -> np.ndarray:
    """nodes x groups: each group's mean of its respondents' node scores (the engine's group
    score)."""
    return _group_means(setup.filled, setup.present, None, setup.starts)


def _table(
    setup: Setup,
    resamples: int,
    level: float,
    sources: Sequence[str],
    spread: float,
    entropy: int,
) -> pd.DataFrame:
    model = compile_model(setup.q)
    width, groups = len(model.node_ids), len(setup.starts)
    if groups == 0:
        columns = {k: pd.Series([], dtype=object) for k in setup.keys}
        empty = pd.DataFrame(columns)
        for c in RESULT_COLUMNS:
            empty[c] = pd.Series([], dtype=object)
        return empty
    point = point_scores(setup)
    reps, rep_rank = replicates(setup, resamples, sources, spread, entropy)
    tail = ((1.0 - level) / 2.0, (1.0 + level) / 2.0)
    low, high = quantiles(reps, tail)
    point_rank = ranks(point, setup.period)
    rank_low, rank_high = quantiles(rep_rank, tail, method="order")
    ranked = np.zeros((width, groups))
    for p in np.unique(setup.period):
        members = setup.period == p
        ranked[:, members] = (~np.isnan(point[:, members])).sum(axis=1)[:, None]
    apart = distinct(point, reps, setup.period, level)

    def flat(matrix: np.ndarray) -> np.ndarray:  # nodes x groups -> group by group, nodes in order
        return matrix.T.reshape(-1)

    def whole(matrix: np.ndarray) -> pd.arrays.IntegerArray:
        values = flat(matrix)
        missing = np.isnan(values)
        return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)

    scored = ~np.isnan(flat(point))
    table = pd.DataFrame(index=pd.RangeIndex(groups * width))
    for column in [*setup.keys, "organization_name", "respondents"]:
        # plain arrays, so that pandas types the columns as it types the engine's table
        table[column] = np.repeat(setup.groups[column].to_numpy(), width)
    table["node"] = np.tile(np.array(model.node_ids, dtype=object), groups)
    table["depth"] = np.tile(model.depth, groups)
    table["score"] = flat(point)
    table["low"] = flat(low)
    table["high"] = flat(high)
    table["replicates"] = flat(np.count_nonzero(~np.isnan(reps), axis=-1))
    table["rank"] = whole(point_rank)
    table["rank_low"] = whole(rank_low)
    table["rank_high"] = whole(rank_high)
    table["ranked"] = pd.arrays.IntegerArray(
        np.where(scored, flat(ranked), 0).astype(np.int64), ~scored
    )
    table["rank_distinct"] = flat(apart)
    return table[[*setup.keys, *RESULT_COLUMNS]]
