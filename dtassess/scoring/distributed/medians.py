"""Exact medians over several passes: the first pass's histograms say which bin holds each
median's middle scores; later passes cut those bins finer or fetch the scores in them, until each
median is a known score (or half the sum of two)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...errors import DtassessError, Problem
from .found import Found
from .stats import GroupStats, bins_of

REFINE_CELLS = 1 << 20  # histogram cells per later pass, over all the bins still open
REFINE_BINS = 16  # at least this many bins for each interval a later pass cuts
GATHER_VALUES = 1 << 21  # node scores fetched per pass to settle medians


@dataclass
class Ask:
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


def asked_arrays(ask: Ask) -> tuple[np.ndarray, tuple, list]:
    """What a later pass fills: each request's row of the histograms, the histograms (counts,
    lowest and highest scores), and the scores fetched."""
    hist_of = np.cumsum(~ask.gather) - 1
    size = int((~ask.gather).sum()) * ask.bins
    hist = (np.zeros(size, np.int64), np.full(size, np.inf), np.full(size, -np.inf))
    return hist_of, hist, [(np.zeros(0, np.intp), np.zeros(0))]


def answer_block(
    ask: Ask,
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
                cell = hist_of[r] * ask.bins + bins_of(x, ask.low[r], ask.scale[r], ask.bins)
                count += np.bincount(cell, minlength=len(count))
                np.minimum.at(low, cell, x)
                np.maximum.at(high, cell, x)


@dataclass
class Targets:
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


def first_targets(stats: GroupStats) -> Targets:
    """The two middle ranks of every (group, node) with scores (one rank when n is odd, kept
    twice), settled as far as the first pass's histograms go."""
    n = stats.moments["node"].count.astype(np.int64)
    groups, nodes = np.nonzero(n > 0)
    counts = n[groups, nodes]
    group = np.concatenate([groups, groups])
    node = np.concatenate([nodes, nodes])
    rank = np.concatenate([(counts - 1) // 2, counts // 2])
    size = len(group)
    targets = Targets(
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


def next_ask(targets: Targets, index: dict[tuple, int]) -> tuple[Ask, np.ndarray]:
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
    ask = Ask(
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


def inputs_changed(what: str) -> DtassessError:
    return DtassessError(
        Problem(
            "D003",
            f"the inputs changed while they were being scored ({what}); run again on data "
            "that stays the same during the job",
        )
    )


def settle_pass(targets: Targets, ask: Ask, requests: np.ndarray, results: list[Found]) -> None:
    """Merge one later pass and settle what it allows."""
    size = int((~ask.gather).sum()) * ask.bins
    count = np.zeros(size, np.int64)
    low = np.full(size, np.inf)
    high = np.full(size, -np.inf)
    fetched_r, fetched_v = [], []
    for found in results:
        assert found.hist is not None and found.gathered is not None  # a later pass's answers
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
            raise inputs_changed("a group's scores are not the ones the first pass counted")
        targets.value[t] = v[starts[request] + targets.rank[t]]
    which = pending[~by_gather]
    if len(which):
        rows = np.cumsum(~ask.gather)[asked[~by_gather]] - 1
        shaped = (a.reshape(-1, ask.bins) for a in (count, low, high))
        counts, lows, highs = (a[rows] for a in shaped)
        if (counts.sum(axis=1) != targets.count[which]).any():
            raise inputs_changed("a group's scores are not the ones the first pass counted")
        targets.settle(which, counts, lows, highs)
