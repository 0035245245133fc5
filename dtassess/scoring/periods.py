"""Several periods at once: the order of periods, and each group's change and trend.

A group (an organization, or a unit of one) is followed across the periods given: its change
is its score minus its score in its latest earlier period, and its trend is the least-squares
slope of its scores over all periods given, in points per period. The rules are in
docs/scoring.md ("Periods").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..inputs.responses import ResponseSet
    from ..inputs.versions import Comparison
    from .scores import ScoreResult

PERIOD_PART_RE = re.compile(r"(\d+)")
CHANGE_COLUMNS = ("previous_period", "change", "trend", "periods")


def period_key(period: str) -> tuple:
    """Natural order: 2025 < 2026, 2026-Q2 < 2026-Q10, 2026H1 < 2026H2."""
    parts = PERIOD_PART_RE.split(str(period))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def ordered_periods(periods: Iterable[str]) -> list[str]:
    """Distinct periods, earliest first (a missing period sorts first, as the earliest)."""
    values = periods if isinstance(periods, pd.Series | np.ndarray) else list(periods)
    # A column of a million periods holds a handful: hashed once each. Only text and None are
    # safe to hash-merge (2026 and 2026.0 are equal, but two periods here).
    found = pd.unique(np.asarray(values, dtype=object))
    if all(p is None or isinstance(p, str) for p in found):
        values = found
    distinct = {"" if p is None else str(p) for p in values}
    return sorted(distinct, key=period_key)


def add_changes(table: pd.DataFrame, group_keys: list[str], column: str = "score") -> pd.DataFrame:
    """The engine's long group table with CHANGE_COLUMNS added.

    `group_keys` are the keys that follow a group across periods (the grouping's keys without
    `period`); `column` holds the scores compared. `previous_period` is the group's latest
    earlier period with a row, `change` the difference of scores (NaN where either is
    missing), `trend` the least-squares slope of the group's scores against the period's
    position in the order of all periods given (NaN with fewer than two scores), `periods` the
    number of periods with a score.
    """
    if table.empty:
        out = table.copy()
        for column in CHANGE_COLUMNS:
            out[column] = pd.Series(dtype=object if column == "previous_period" else float)
        return out
    order = {p: i for i, p in enumerate(ordered_periods(table["period"]))}
    position = table["period"].map(lambda p: order["" if p is None else str(p)]).to_numpy()
    keys = [*group_keys, "node"]
    # One code per followed group: rows of one group share it across periods.
    codes = table.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    rows = np.lexsort((position, codes))  # by group, then by period
    score = table[column].to_numpy(dtype=float)
    sorted_codes = codes[rows]
    same = np.zeros(len(rows), dtype=bool)
    same[1:] = sorted_codes[1:] == sorted_codes[:-1]
    previous = np.full(len(rows), -1)
    previous[same] = rows[np.flatnonzero(same) - 1]
    change = np.full(len(table), np.nan)
    had = previous >= 0
    change[rows[had]] = score[rows[had]] - score[previous[had]]
    periods = table["period"].to_numpy(dtype=object)
    previous_period = np.full(len(table), None, dtype=object)
    previous_period[rows[had]] = periods[previous[had]]

    # Slope per group from sums over the rows that have a score.
    ok = ~np.isnan(score)
    groups = int(codes.max()) + 1
    x = position.astype(float)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes[ok], weights=values[ok], minlength=groups)

    n = np.bincount(codes[ok], minlength=groups).astype(float)
    sx, sy, sxx, sxy = total(x), total(score), total(x * x), total(x * score)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    slope[n < 2] = np.nan
    out = table.copy()
    out["previous_period"] = pd.Series(previous_period, index=out.index, dtype=object)
    out["change"] = change
    out["trend"] = slope[codes]
    out["periods"] = n[codes].astype(int)
    return out


# --------------------------------------------------------------------------- versions


def comparable_responses(
    current: ResponseSet, older: Sequence[tuple[ResponseSet, Comparison]]
) -> tuple[ResponseSet, set[str]]:
    """Every period's responses on the current questionnaire: the older versions' answers under
    the current question ids (`versions.renamed_answers`); and the questions that are not
    comparable between the versions, to leave out of any comparison."""
    from ..inputs.responses import ResponseSet, concat_sets
    from ..inputs.versions import renamed_answers

    q = current.questionnaire
    renamed = [current]
    excluded: set[str] = set()
    for before, comparison in older:
        excluded |= comparison.excluded
        answers = renamed_answers(before.answers, comparison)
        renamed.append(ResponseSet(q, before.meta, answers, before.notes))
    return concat_sets(q, renamed), excluded


def score_periods(
    current: ResponseSet,
    older: Sequence[tuple[ResponseSet, Comparison]] = (),
    by: str = "organization",
    statistic: str = "mean",
    min_group_size: int = 1,
) -> ScoreResult:
    """Score responses of one or more periods, each group's change and trend added.

    With more than one period, the change and trend columns are CHANGE_COLUMNS.

    Each response's `score` is from its own questionnaire, as its own report showed it. With
    older versions, changes and trends compare `comparable_score`s instead: every period scored
    on the current questionnaire's questions that both versions ask the same way.
    """
    from .engine import group_keys
    from .scores import score

    result = score(current, by, statistic, min_group_size)
    follow = [k for k in group_keys(by) if k != "period"]
    if not older:
        periods = ordered_periods(current.meta["period"])
        if len(periods) > 1:
            result.table = add_changes(result.table, follow)
            result.periods = tuple(periods)
        return result
    q = current.questionnaire
    tables = [result.table]
    left_out: list[tuple[str, str]] = []
    for before, comparison in older:
        tables.append(score(before, by, statistic, min_group_size).table)
        left_out += comparison.left_out
    every, excluded = comparable_responses(current, older)
    comparable = score(every, by, statistic, min_group_size, exclude=excluded).table
    keys = [*group_keys(by), "node"]
    table = pd.concat(tables, ignore_index=True)
    table = table[table["node"].isin(q.node_ids)]  # nodes the older version alone had
    table = table.merge(
        comparable[[*keys, "score"]].rename(columns={"score": "comparable_score"}),
        on=keys,
        how="left",
    )
    order = {node: i for i, node in enumerate(q.node_ids)}
    rank = {p: i for i, p in enumerate(ordered_periods(table["period"]))}
    table = (
        table.assign(_p=table["period"].map(lambda p: rank["" if p is None else p]))
        .assign(_n=table["node"].map(order))
        .sort_values([k if k != "period" else "_p" for k in group_keys(by)] + ["_n"], kind="stable")
        .drop(columns=["_p", "_n"])
        .reset_index(drop=True)
    )
    result.table = add_changes(table, follow, column="comparable_score")
    result.meta = every.meta
    result.periods = tuple(ordered_periods(table["period"]))
    result.left_out = tuple(sorted(set(left_out)))
    return result
