"""Per-group sufficient statistics of scored rows that merge exactly across pieces and
partitions: counts, means and M2 (Chan, Golub and LeVeque), and histograms of node scores that
bound the medians."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...inputs.questionnaire import Questionnaire
from .. import engine, grouped

FIRST_CELLS = 1 << 20  # histogram bins per piece in all: fewer bins per group with many groups


@dataclass
class Shape:
    """The widths of the statistics, from the compiled questionnaire."""

    nodes: int
    questions: int
    alpha_nodes: list[tuple[int, np.ndarray]]  # engine.alpha_nodes
    members: np.ndarray  # questions x alpha nodes, 1.0 where the question is in the node
    member_of: list[list[int]]  # per question: the alpha nodes it is in
    items: list[tuple[int, int]]  # (alpha node, question) pairs, node by node
    bins: int
    low: float
    high: float

    @classmethod
    def of(cls, q: Questionnaire, bins: int) -> Shape:
        model = engine.compile_model(q)
        alpha_nodes = engine.alpha_nodes(model)
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


class Moments:
    """Count, mean and M2 per group and column; parts merge exactly (Chan et al.)."""

    def __init__(self, count: np.ndarray, mean: np.ndarray, m2: np.ndarray) -> None:
        self.count, self.mean, self.m2 = count, mean, m2

    @classmethod
    def empty(cls, groups: int, width: int) -> Moments:
        return cls(np.zeros((groups, width)), np.zeros((groups, width)), np.zeros((groups, width)))

    @classmethod
    def of(cls, labels: np.ndarray, values: np.ndarray, groups: int) -> Moments:
        """Of each column of `values` (rows x columns, NaN for none) per group: two passes,
        as `engine.group_variance` takes them."""
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

    def add(self, rows: np.ndarray, other: Moments) -> None:
        """Merge `other`'s groups into rows `rows` (distinct) of this one."""
        self.count[rows], self.mean[rows], self.m2[rows] = grouped.merge_moments(
            self.count[rows], self.mean[rows], self.m2[rows], other.count, other.mean, other.m2
        )

    def means(self) -> np.ndarray:
        return np.where(self.count > 0, self.mean, np.nan)

    def variances(self) -> np.ndarray:
        """Sample variances (ddof 1); NaN for fewer than two values."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count >= 2, np.maximum(self.m2, 0.0) / (self.count - 1), np.nan)


def _pooled(count: np.ndarray, mean: np.ndarray, m2: np.ndarray, *, use: np.ndarray) -> tuple:
    """Moments of the union of the parts on the last axis where `use` (one k-way merge)."""
    count = np.where(use, count, 0.0)
    total = count.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (count * np.where(count > 0, mean, 0.0)).sum(axis=-1) / total
        pooled = np.where(total > 0, pooled, 0.0)
        deviation = np.where(count > 0, mean - pooled[..., None], 0.0)
        m2 = (np.where(count > 0, m2, 0.0) + count * deviation * deviation).sum(axis=-1)
    return total, pooled, m2


class GroupStats:
    """Per-group sufficient statistics of the first pass, for groups keyed by their key tuple;
    the same class holds a piece's, a partition's and the whole job's."""

    NAMES = ("node", "cover", "question", "item", "total")

    def __init__(self, shape: Shape) -> None:
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
        self.moments = {k: Moments.empty(0, w) for k, w in widths.items()}
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

    def merge(self, other: GroupStats) -> None:
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


def group_labels(
    meta: dict[str, np.ndarray], keys: tuple[str, ...]
) -> tuple[np.ndarray, list[tuple]]:
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


def piece_stats(
    shape: Shape,
    meta: dict[str, np.ndarray],
    labels: np.ndarray,
    group_keys: list[tuple],
    scores: np.ndarray,
    coverage: np.ndarray,
    question_scores: np.ndarray,
) -> GroupStats:
    """The statistics of one scored block (respondents x nodes, x nodes, x questions), whose
    rows are in groups `labels` with keys `group_keys` (`group_labels`)."""
    groups = len(group_keys)
    stats = GroupStats(shape)
    stats.rows_for(group_keys)
    stats.size = np.bincount(labels, minlength=groups).astype(np.int64)
    stats.moments["node"] = Moments.of(labels, scores, groups)
    stats.moments["cover"] = Moments.of(labels, coverage, groups)
    _question_stats(shape, stats, labels, groups, question_scores)
    _histograms(shape, stats, labels, groups, scores)
    stats.names = _first_names(meta)
    periods = meta["period"]
    stats.periods = {"" if p is None else str(p) for p in pd.unique(periods)}
    return stats


def _question_stats(
    shape: Shape, stats: GroupStats, labels: np.ndarray, groups: int, x: np.ndarray
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
            question.count[:, j], question.mean[:, j], question.m2[:, j] = _pooled(
                *shaped, use=every
            )
            for b, i in enumerate(nodes):
                use = (np.arange(1 << bits) >> b) & 1 == 1
                n = item_index[(i, j)]
                item.count[:, n], item.mean[:, n], item.m2[:, n] = _pooled(*shaped, use=use)
    # the totals of each alpha node's questions over its complete cases
    totals = np.where(has, x, 0.0) @ shape.members
    totals[~complete] = np.nan
    stats.moments["total"] = Moments.of(labels, totals, groups)


def bins_of(values: np.ndarray, low: np.ndarray | float, scale: np.ndarray | float, bins: int):
    """The bin of each value: monotone in the value, so a bin's lowest and highest values
    bound exactly the values in it."""
    found = np.floor((values - low) * scale)
    return np.clip(np.nan_to_num(found, nan=0.0), 0, bins - 1).astype(np.intp)


def _histograms(
    shape: Shape, stats: GroupStats, labels: np.ndarray, groups: int, scores: np.ndarray
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
        cell = (labels[ok] * shape.nodes + k) * bins + bins_of(v, shape.low, scale, bins)
        count += np.bincount(cell, minlength=len(count))
        np.minimum.at(low, cell, v)
        np.maximum.at(high, cell, v)
    cells = (groups, shape.nodes, bins)
    stats.hist_count, stats.hist_low, stats.hist_high = (
        count.reshape(cells),
        low.reshape(cells),
        high.reshape(cells),
    )
