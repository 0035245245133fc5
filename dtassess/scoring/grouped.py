"""Group statistics straight from the answers, for `scores.score` by unit or organization.

Respondents are sorted by group once (a stable sort: each group keeps its file order) and
scored block by block as `engine.score_respondents` scores them. Each block adds to its groups'
counts, coverage means and the moments alpha's totals need (`GroupMoments`, merged between
blocks and threads by `merge_moments`); node scores are kept for means, standard deviations and
exact medians; the questions' variances behind rWG and alpha are counted per answer slot
(`_question_variances`). No respondents x questions matrix is made: a million respondents of
gov-dt take seconds and a few hundred megabytes. The result is `engine.group_scores` of
`engine.score_respondents` (docs/scoring.md, section 7).
"""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..inputs.questionnaire import Questionnaire
from . import engine
from .engine import (
    BlockSums,
    CompiledModel,
    PreparedAnswers,
    aggregate_tree,
    agreement_from_variances,
    alpha_nodes,
    block_matrix,
    compile_model,
    group_keys,
    group_variance,
    long_table,
    one_blas_thread,
    prepare_answers,
    small_int,
    usable_cores,
)


def score_groups(
    q: Questionnaire,
    meta: pd.DataFrame,
    answers: pd.DataFrame,
    by: str,
    statistic: str,
    exclude: Collection[str],
) -> pd.DataFrame:
    """`group_scores` of `score_respondents` with the question scores (the same table, the
    same numbers to rounding; score, mean, sd, n and median exactly), without big matrices.

    The respondents are scored block by block as `score_respondents` scores them, but taken
    group by group: a stable sort of their group numbers puts each group's rows together, in
    file order (`_GroupScan`). Node scores are kept, for the groups' means, sds and exact
    medians; everything else is reduced per group on the spot. The questions' variances
    (rWG, alpha's items) are counted from the answers' slots (`_question_variances`). Neither
    a respondents x questions matrix nor the respondents' coverage is made: for a million
    respondents of gov-dt the node scores, 150 MB, instead of 630 MB of matrices.
    """
    model = compile_model(q)
    keys = list(group_keys(by))
    labels, organizations = _group_labels(meta, keys)
    groups = int(labels.max()) + 1
    sizes = np.bincount(labels, minlength=groups)
    # Group by group, each group's rows in file order: the order in which pandas' groupby
    # meets them, so that the means and sds it computes below are the ones group_scores gets.
    # (Sorting 16-bit numbers is a radix sort.)
    order = np.argsort(labels.astype(np.uint16) if groups <= 2**16 else labels, kind="stable")
    # The answers in that order too: the blocks are then slices of them.
    prepared = prepare_answers(q, answers, exclude, order)
    scan = _GroupScan(q, model, labels[order], sizes)
    with one_blas_thread(len(labels)) as alone:
        # two threads when BLAS is on one (two threads each running it on two: slower)
        workers = min(2, usable_cores()) if alone else 1
        scan.run(prepared, workers)
    with ThreadPoolExecutor(1) as pool:
        # The questions' variances in a second thread meanwhile, if there is a core for it
        # (NumPy counting and sorting and pandas' group sums let go of the interpreter).
        questions = pool.submit(_question_variances, q, prepared, scan) if workers > 1 else None
        assert scan.node_scores is not None  # dropped only once the statistics are done
        grouped = pd.DataFrame(scan.node_scores, copy=False).groupby(scan.labels, sort=False)
        stats = {
            "coverage": scan.sums.coverage.means(),
            "n": scan.sums.count,
            "sd": grouped.std(ddof=1).to_numpy(),
            "mean": grouped.mean().to_numpy(),
            # one call per group; with many small groups pandas' loop in C is faster
            "median": (
                group_medians(scan.node_scores, scan.bounds, scan.sums.count)
                if len(labels) >= 32 * groups
                else grouped.median().to_numpy()
            ),
        }
        del grouped
        scan.node_scores = None
        if questions is None:
            variance, parts = _question_variances(q, prepared, scan)
        else:
            variance, parts = questions.result()
    stats["rwg"], stats["alpha"] = agreement_from_variances(
        model,
        variance,
        sizes,
        scan.alpha_nodes,
        scan.sums.totals.count.T,
        parts,
        scan.sums.totals.variances(),
    )
    # The groups' keys as group_scores shows them: its groupby, over each group's first row.
    first_rows = meta[keys].iloc[order[scan.bounds[:-1]]]
    frame_keys = first_rows.astype(object).where(first_rows.notna(), "")
    grouped_keys = frame_keys.groupby(keys, sort=False, dropna=False).size()
    index_frame = grouped_keys.index.to_frame(index=False)
    # The organisations' names as group_scores finds them (the first name given in the file),
    # by its groupby over the rows that decide them: each organisation's first row, and its
    # first row with a name.
    named = meta["organization_name"].notna().to_numpy() & (organizations >= 0)
    rows = np.union1d(_first_rows(organizations), _first_rows(organizations, named))
    names = meta.iloc[rows].groupby("organization", sort=False)["organization_name"].first()
    return long_table(q, model, statistic, index_frame, names, sizes, stats)


def _first_rows(codes: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """The first row of each code (codes >= 0), among the rows `where` is true if given."""
    rows = np.flatnonzero(codes >= 0 if where is None else where)
    codes = codes[rows]
    # a stable sort of small numbers is a radix sort
    order = np.argsort(codes.astype(small_int(int(codes.max(initial=0)) + 1)), kind="stable")
    ordered = codes[order]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return rows[order[first]]


class _GroupScan:
    """One pass over the respondents, block by block, rows sorted by group (`labels`, each
    group's `sizes`), keeping what the group statistics need:

    - `node_scores`: respondents x nodes, in the sorted order;
    - `sums.count`: per group and node, the respondents with a score;
    - `sums.coverage`: per group and node, the mean of the respondents' coverage;
    - per node with two questions or more (`alpha_nodes`), the number of complete cases and
      the moments of their totals (`sums.totals`), for Cronbach's alpha;
    - each row's completeness for the alpha nodes each question is in, one bit per node:
      `chain_bits[c]` for the chain (tuple of alpha nodes) `chains[c]`, for
      `_question_variances`.

    With `workers` > 1 the blocks are split between threads (NumPy lets go of the
    interpreter while it computes), each summing into its own `_ScanSums`, merged after.
    """

    def __init__(
        self, q: Questionnaire, model: CompiledModel, labels: np.ndarray, sizes: np.ndarray
    ) -> None:
        self.q, self.model, self.labels = q, model, labels
        self.bounds = np.concatenate([[0], np.cumsum(sizes)])
        n, width = len(labels), len(model.node_ids)
        self.alpha_nodes = alpha_nodes(model)
        # questions x alpha nodes, 1.0 where the question counts in the node: a block's
        # totals and its number of scores per node come with its other sums (`BlockSums`)
        self.members = np.zeros((len(model.questions), len(self.alpha_nodes)))
        for i, (_, cols) in enumerate(self.alpha_nodes):
            self.members[cols, i] = 1.0
        self.chains: list[tuple] = []
        self.chain_of = []
        for row in self.members > 0:
            chain = tuple(np.flatnonzero(row))
            if chain not in self.chains:
                self.chains.append(chain)
            self.chain_of.append(self.chains.index(chain))
        longest = max(map(len, self.chains), default=0)
        self.chain_bits = np.empty((len(self.chains), n), dtype=small_int(2**longest))
        self.node_scores: np.ndarray | None = np.empty((n, width), order="F")
        self.sums = self._new_sums()

    def _new_sums(self) -> _ScanSums:
        groups = len(self.bounds) - 1
        width = len(self.model.node_ids)
        return _ScanSums(
            np.zeros((groups, width), dtype=np.int64),
            GroupMoments(groups, width, spread=False),
            GroupMoments(groups, len(self.alpha_nodes)),
        )

    def run(self, prepared: PreparedAnswers, workers: int = 1) -> None:
        blocks = np.arange(0, len(self.labels), engine.BLOCK_ROWS)
        shares = np.array_split(blocks, max(1, min(workers, len(blocks))))
        if len(shares) == 1:
            self._scan(prepared, blocks, self.sums)
            return
        more = [self._new_sums() for _ in shares[1:]]
        with ThreadPoolExecutor(len(more)) as pool:
            done = [
                pool.submit(self._scan, prepared, share, sums)
                for share, sums in zip(shares[1:], more, strict=True)
            ]
            self._scan(prepared, shares[0], self.sums)
            for future in done:
                future.result()
        for sums in more:  # in order: the same numbers on every run
            self.sums.merge(sums)

    def _scan(self, prepared: PreparedAnswers, blocks: np.ndarray, into: _ScanSums) -> None:
        model, labels = self.model, self.labels
        low, high = self.q.score_range
        products = BlockSums(self.q, model, self.members)
        needed = self.members.sum(axis=0)[:, None]
        for start in blocks:
            stop = min(start + engine.BLOCK_ROWS, len(labels))
            matrix = block_matrix(self.q, prepared, slice(start, stop))
            sums = products(matrix)
            nodes01 = aggregate_tree(model, matrix, sums["weighted"], sums["counted"])
            nodes = low + nodes01 * (high - low)
            self.node_scores[start:stop] = nodes  # type: ignore[index]
            # the block's groups, first ... last, and where each starts in the block
            first, last = labels[start], labels[stop - 1]
            starts = np.maximum(self.bounds[first : last + 1] - start, 0)
            into.count[first : last + 1] += np.add.reduceat(~np.isnan(nodes), starts, axis=0)
            # Sums transposed are nodes x rows, row-major: each per-group sum below runs
            # along contiguous memory.
            possible = sums["possible"].T
            with np.errstate(invalid="ignore", divide="ignore"):
                into.coverage.add(first, starts, sums["done"].T / possible, possible > 0)
            complete = needed == sums["scored"].T
            into.totals.add(first, starts, sums["total"].T, complete)
            for bits, chain in zip(self.chain_bits, self.chains, strict=True):
                part = bits[start:stop]
                part.fill(0)
                for b, i in enumerate(chain):
                    part |= np.left_shift(complete[i], b, dtype=part.dtype)


@dataclass
class _ScanSums:
    """What `_GroupScan` sums per group: respondents with a score per node, coverage and,
    per alpha node, the moments of the complete cases' totals."""

    count: np.ndarray
    coverage: GroupMoments
    totals: GroupMoments

    def merge(self, other: _ScanSums) -> None:
        self.count += other.count
        self.coverage.merge(other.coverage)
        self.totals.merge(other.totals)


def _group_labels(meta: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each respondent's group, numbered 0, 1, ... in order of first appearance: the groups of
    `groupby(keys, sort=False, dropna=False)` over the keys with missing values as "" (what
    `group_scores` groups by), from one `factorize` per key column and one over the combined
    codes, without building a frame of a million keys. Also the codes of the first key (the
    organization) as it is, -1 where it is missing."""
    combined = np.zeros(len(meta), dtype=np.int64)
    span = 1
    first = None
    for k in keys:
        codes, uniques = pd.factorize(meta[k].astype(object).to_numpy(), use_na_sentinel=True)
        if first is None:
            first = codes.copy()
        # A missing key is "": one group with the keys that are ""
        blank = np.flatnonzero(uniques == "")
        codes[codes < 0] = blank[0] if len(blank) else len(uniques)
        size = len(uniques) + 1
        if span * size >= 2**62:  # numbered afresh before the combination could overflow
            combined, found = pd.factorize(combined)
            span = len(found)
        combined = combined * size + codes
        span *= size
    assert first is not None  # keys: the organization at least
    return pd.factorize(combined)[0], first


class GroupMoments:
    """Count, mean and M2 (the sum of squared deviations from the mean) per group and column
    of values that arrive block by block, each block's rows group by group; M2 only when
    `spread` (the coverage needs means alone).

    Within a block a group's part takes two passes (its mean, then the deviations from it);
    parts of one group in several blocks are merged with the update of Chan, Golub and LeVeque.
    A variance thus never comes from the difference of two large sums, and a group's values
    seen in one block give exactly the two-pass moments `group_variance` gives.
    """

    def __init__(self, groups: int, width: int, spread: bool = True) -> None:
        self.count = np.zeros((width, groups))
        self.mean = np.zeros((width, groups))
        self.m2 = np.zeros((width, groups)) if spread else None

    def add(self, first: int, starts: np.ndarray, values: np.ndarray, ok: np.ndarray) -> None:
        """Add a block: `values` columns x rows, whose groups first, first + 1, ... begin at
        `starts`; only values where `ok` count."""
        count = np.add.reduceat(ok, starts, axis=1, dtype=float)
        filled = np.where(ok, values, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.add.reduceat(filled, starts, axis=1) / count
        mean[count == 0] = 0.0
        m2 = None
        if self.m2 is not None:
            # deviations in place: from the mean of the part, 0 where a value does not count
            if len(starts) == 1:
                filled -= mean
            else:
                filled -= np.repeat(mean, np.diff(np.append(starts, ok.shape[1])), axis=1)
            filled *= ok
            filled *= filled
            m2 = np.add.reduceat(filled, starts, axis=1)
        self._combine(slice(first, first + len(starts)), count, mean, m2)

    def merge(self, other: GroupMoments) -> None:
        """Add what another one summed (of other blocks)."""
        self._combine(slice(None), other.count, other.mean, other.m2)

    def _combine(self, part: slice, count: np.ndarray, mean: np.ndarray, m2: Any) -> None:
        """Merge moments of more values into the groups `part`."""
        spread = None if self.m2 is None else self.m2[:, part]
        merged = merge_moments(self.count[:, part], self.mean[:, part], spread, count, mean, m2)
        self.count[:, part], self.mean[:, part] = merged[0], merged[1]
        if self.m2 is not None:
            self.m2[:, part] = merged[2]

    def means(self) -> np.ndarray:
        """groups x columns; NaN for a group without values."""
        return np.where(self.count > 0, self.mean, np.nan).T

    def variances(self) -> np.ndarray:
        """Sample variances (ddof 1), groups x columns; NaN for fewer than two values."""
        assert self.m2 is not None
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count >= 2, self.m2 / (self.count - 1), np.nan).T


def merge_moments(
    count: np.ndarray,
    mean: np.ndarray,
    m2: np.ndarray | None,
    more_count: np.ndarray,
    more_mean: np.ndarray,
    more_m2: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Count, mean and M2 (sum of squared deviations from the mean) of two sets of values from
    each set's, element by element: the update of Chan, Golub and LeVeque, so that a variance
    never comes from the difference of two large sums. Where the second set is empty the first
    is kept; where the first is empty the second is taken as it is. M2 may be None (means
    alone). Used for blocks here and for partitions by the Dask engine."""
    after = count + more_count
    seen = more_count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = more_mean - mean
        merged = np.where(count == 0, more_mean, mean + delta * (more_count / after))
        spread = None
        if m2 is not None:
            spread = m2 + more_m2 + delta * delta * (count * more_count / after)
            spread = np.where(seen, spread, m2)
    return after, np.where(seen, merged, mean), spread


def group_medians(scores: np.ndarray, bounds: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per group and node the median of the scores there are, exactly as pandas takes it (the
    middle one, or half the sum of the middle two), from scores whose rows come group by
    group (group g in rows bounds[g]:bounds[g + 1]) and their counts: each group's rows are
    sorted once, NaN last."""
    groups, width = counts.shape
    columns = np.arange(width)
    lower, upper = (counts - 1) // 2, counts // 2
    out = np.full((groups, width), np.nan)
    for g in range(groups):
        part = np.sort(scores[bounds[g] : bounds[g + 1]], axis=0)
        middle = part[np.maximum(lower[g], 0), columns] + part[upper[g], columns]
        out[g] = np.where(counts[g] > 0, middle / 2, np.nan)
    return out


def _question_variances(
    q: Questionnaire, prepared: PreparedAnswers, scan: _GroupScan
) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the variance of each question's 0-1 scores over the respondents with a
    score (groups x questions, for rWG), and per alpha node the sum of its questions'
    variances over the node's complete cases (groups x alpha nodes).

    Counted rather than computed from a float matrix: a question's answers are a few slots,
    so one `bincount` over (group, slot, the row's completeness bits for the question's alpha
    nodes) counts everything; slots are then summed per distinct score, and each variance
    follows from those counts in two passes over the distinct scores. With too many groups
    for such a table of counts, the scores themselves are used instead.
    """
    labels, slots = scan.labels, prepared.slots
    n, groups = len(labels), len(scan.bounds) - 1
    counts = (prepared.applicable if q.unanswered == "zero" else prepared.answer) > 0
    variance = np.full((groups, len(slots)), np.nan)
    parts = np.zeros((groups, len(scan.alpha_nodes)))
    base_for: tuple | None = None  # the chain and cells `base` is for
    base = labels
    for j, (first, end) in enumerate(zip(prepared.starts[:-1], prepared.starts[1:], strict=True)):
        c = scan.chain_of[j]
        nodes, bits = scan.chains[c], scan.chain_bits[c]
        shift = len(nodes)
        cells = (end - first) << shift  # per group: slots x completeness bits
        if _too_many_cells(groups, cells, n):
            x = prepared.score.take(slots[j])
            variance[:, j] = _masked_variance(labels, x, counts.take(slots[j]), groups)
            for b, i in enumerate(nodes):
                parts[:, i] += _masked_variance(labels, x, (bits >> b) & 1 == 1, groups)
            continue
        if base_for != (c, cells):  # shared by the questions of a dimension
            base = labels * cells
            base += bits
            base_for = (c, cells)
        # (slot << shift) + base; the first slot's offset is cut off the counts instead
        key = np.left_shift(slots[j], shift, dtype=np.intp)
        key += base
        counted = np.bincount(key, minlength=groups * cells + (first << shift))
        counted = counted[first << shift :].reshape(groups, end - first, 1 << shift)
        # the slots with a score, summed per distinct score
        scored = counts[first:end]
        values, value_of = np.unique(prepared.score[first:end][scored], return_inverse=True)
        per_value = np.zeros((int(scored.sum()), len(values)))
        per_value[np.arange(len(value_of)), value_of] = 1.0
        counted = counted[:, scored, :]
        variance[:, j] = _counted_variance(counted.sum(axis=2) @ per_value, values)
        for b, i in enumerate(nodes):
            of_node = (np.arange(1 << shift) >> b) & 1 == 1
            in_node = counted[:, :, of_node].sum(axis=2) @ per_value
            parts[:, i] += _counted_variance(in_node, values)
    return variance, parts


def _too_many_cells(groups: int, cells: int, rows: int) -> bool:
    """Whether a table of counts per group and cell would outgrow the rows counted into it
    (many small groups): its memory, and the time to read it, would then be wasted."""
    return groups * cells > max(4 * rows, 2**16)


def _counted_variance(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sample variance (ddof 1) per group from its counts of each value (groups x values);
    NaN for fewer than two. A group with one value throughout gets exactly 0."""
    total = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (counts / total[:, None]) @ values
        deviation = values[None, :] - mean[:, None]
        m2 = (counts * deviation * deviation).sum(axis=1)
        return np.where(total >= 2, m2 / (total - 1), np.nan)


def _masked_variance(labels: np.ndarray, values: np.ndarray, mask: np.ndarray, groups: int):
    where = labels[mask]
    counts = np.bincount(where, minlength=groups).astype(float)
    return group_variance(where, values[mask], counts, groups)
