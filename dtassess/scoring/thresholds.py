"""`--fail-under` bars: parse `overall=60,security=50` and check every group against them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import DtassessError, Problem, did_you_mean

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
                    f"--fail-under: cannot read '{part}'; write NODE=SCORE pairs separated by "
                    "commas, e.g. overall=60,security=50",
                )
            )
        if node not in q.node_ids:
            raise DtassessError(
                Problem(
                    "T002",
                    f"--fail-under: '{node}' is not a dimension of {q.ref}"
                    f"{did_you_mean(node, q.node_ids)}; use overall or a dimension id",
                )
            )
        low, high = q.score_range
        if not low <= bar <= high:
            raise DtassessError(
                Problem(
                    "T001",
                    f"--fail-under: the bar for '{node}' ({bar:g}) is outside the score range "
                    f"{low:g}-{high:g}",
                )
            )
        bars[node] = bar
    if not bars:
        raise DtassessError(Problem("T001", "--fail-under: no bars given, e.g. overall=60"))
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
