"""`--fail-under` bars and `--fail-on-drop` limits: parse `overall=60,security=50` and check every
group against them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import DtassessError, Problem, did_you_mean, shorten

if TYPE_CHECKING:
    import pandas as pd

    from ..inputs.questionnaire import Questionnaire


@dataclass(frozen=True)
class Check:
    group: dict[str, str]
    node: str
    bar: float
    score: float | None
    passed: bool

    def describe(self) -> str:
        where = " · ".join(v for v in self.group.values() if v)
        got = "no score (no answers)" if self.score is None else f"{self.score:.1f}"
        return f"{self.node}: {got} is below the bar {self.bar:g}" + (
            f" ({where})" if where else ""
        )


def parse_bars(spec: str, q: Questionnaire) -> dict[str, float]:
    """`overall=60,security=50` -> {"overall": 60.0, "security": 50.0}."""
    low, high = q.score_range
    return _parse_pairs(
        spec,
        q,
        ("--fail-under", "SCORE", "bar", "score range"),
        low,
        high,
        "overall=60,security=50",
    )


def parse_drops(spec: str, q: Questionnaire) -> dict[str, float]:
    """`--fail-on-drop security=5,overall=3` -> {"security": 5.0, "overall": 3.0}.

    The points a node may fall since its previous period, 0 up to the width of the score
    range."""
    low, high = q.score_range
    return _parse_pairs(
        spec, q, ("--fail-on-drop", "POINTS", "drop", "range of drops"), 0, high - low, "security=5"
    )


def _parse_pairs(
    spec: str,
    q: Questionnaire,
    words: tuple[str, str, str, str],
    low: float,
    high: float,
    example: str,
) -> dict[str, float]:
    """NODE=NUMBER pairs separated by commas, each number in [low, high] (T001, T002); `words`
    are the option, the number's name, what it is called and its range, for messages."""
    option, number, what, span = words
    bars: dict[str, float] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        node, sep, value = part.partition("=")
        node = node.strip()
        try:
            bar = float(value)
        except ValueError:
            bar = math.nan
        if not sep or not node or math.isnan(bar):
            raise DtassessError(
                Problem(
                    "T001",
                    f"{option}: cannot read '{shorten(part)}'; write NODE={number} pairs "
                    f"separated by commas, e.g. {example}",
                )
            )
        if node not in q.node_ids:
            raise DtassessError(
                Problem(
                    "T002",
                    f"{option}: '{shorten(node)}' is not a dimension of {q.ref}"
                    f"{did_you_mean(node, q.node_ids)}; use overall or a dimension id",
                )
            )
        if not low <= bar <= high:
            raise DtassessError(
                Problem(
                    "T001",
                    f"{option}: the {what} for '{node}' ({bar:g}) is outside the {span} "
                    f"{low:g}-{high:g}",
                )
            )
        bars[node] = bar
    if not bars:
        raise DtassessError(Problem("T001", f"{option}: no bars given, e.g. {example}"))
    return bars


def check_bars(table: pd.DataFrame, bars: dict[str, float], keys: list[str]) -> list[Check]:
    """One check per group and bar; a node without a score fails its bar."""
    checks: list[Check] = []
    rows = table[table["node"].isin(list(bars))]
    for row in rows.itertuples(index=False):
        node = row.node
        value = None if row.score != row.score else float(row.score)
        group = {k: str(getattr(row, k) or "") for k in keys}
        passed = value is not None and round(value, 9) >= bars[node]
        checks.append(Check(group, node, bars[node], value, passed))
    return checks


@dataclass(frozen=True)
class Drop:
    """A `--fail-on-drop` check: a group's change in a node since its previous period.

    `change` is None where there is nothing to compare (the group's first period, or a missing
    score in either period): such a check is not compared, and passes."""

    group: dict[str, str]
    node: str
    limit: float  # the points the node may fall
    score: float | None
    change: float | None
    previous_period: str | None

    @property
    def compared(self) -> bool:
        return self.change is not None

    @property
    def passed(self) -> bool:
        return self.change is None or round(self.change, 9) >= -self.limit

    def describe(self) -> str:
        where = " · ".join(v for v in self.group.values() if v)
        suffix = f" ({where})" if where else ""
        if self.change is None:
            return f"{self.node}: not compared, no score in an earlier period{suffix}"
        return (
            f"{self.node}: fell {-self.change:.1f} points since {self.previous_period}, more than "
            f"{self.limit:g}{suffix}"
            if not self.passed
            else f"{self.node}: changed {self.change:+.1f} since {self.previous_period}{suffix}"
        )


def check_drops(table: pd.DataFrame, drops: dict[str, float], keys: list[str]) -> list[Drop]:
    """One check per group and node of `drops`, in each group's latest period.

    The table's `change` and `previous_period` (scoring/periods.add_changes, also the annual
    report's) say how far a group moved since its previous period; earlier periods given are
    history, not checked again."""
    from .periods import period_key

    rows = table[table["node"].isin(list(drops))]
    follow = [k for k in keys if k != "period"]
    latest: dict[tuple, tuple] = {}
    for row in rows.itertuples(index=False):
        followed = tuple(str(getattr(row, k) or "") for k in follow)
        rank = period_key(str(row.period or ""))
        if followed not in latest or rank > latest[followed]:
            latest[followed] = rank
    checks: list[Drop] = []
    for row in rows.itertuples(index=False):
        followed = tuple(str(getattr(row, k) or "") for k in follow)
        if period_key(str(row.period or "")) != latest[followed]:
            continue
        change = getattr(row, "change", math.nan)
        value = None if row.score != row.score else float(row.score)
        group = {k: str(getattr(row, k) or "") for k in keys}
        moved = None if change != change else float(change)
        before = getattr(row, "previous_period", None) or None
        checks.append(Drop(group, row.node, drops[row.node], value, moved, before))
    return checks
