"""How far a report's numbers can be trusted, in plain words beside them.

Stage: reporting. A group score can rest on few answers, on respondents who disagree, or on
questions that do not hang together; `caveats` says which, with the number that shows it, so
that the report can mark the score and footnote it (docs/report.md, "Reliability"). The
thresholds of agreement and consistency are the scoring engine's own (the flags of
`dtassess score`); coverage and answered share are the report's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..labels import by_language
from ..scoring.engine import AGREEMENT_MIN, CONSISTENCY_MIN

# Below this weighted share of the applicable questions answered, a score rests on part of
# what it should: one question in five left open is where a reader should be told.
COVERAGE_MIN = 0.80
# Below this share of the group's respondents with a score for the node, the score is the view
# of a subset (those who skipped every question of it are not in it).
ANSWERED_MIN = 0.80

WORDS = by_language("reliability")


@dataclass(frozen=True)
class Caveat:
    """One reason to read a score with care: its kind (`few_answers`, `low_coverage`,
    `low_agreement`, `low_consistency`) and the sentence that says it with its number."""

    kind: str
    text: str


def _value(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def caveats(row: Mapping[str, Any], respondents: int, lang: str) -> list[Caveat]:
    """The caveats of one node's group score (a row of `ScoreResult.table`) for a group of
    `respondents`: in the order few answers, low coverage, low agreement, low consistency.

    An index exactly on its threshold, to 9 decimals, is not flagged (as `score` flags)."""
    words = WORDS.get(lang, WORDS["en"])
    found: list[Caveat] = []
    if _value(row, "score") is None:
        return found
    n = int(row.get("n") or 0)
    if respondents and round(n / respondents, 9) < ANSWERED_MIN:
        found.append(Caveat("few_answers", words["few_answers"].format(n=n, of=respondents)))
    coverage = _value(row, "coverage")
    if coverage is not None and round(coverage, 9) < COVERAGE_MIN:
        found.append(Caveat("low_coverage", words["low_coverage"].format(share=coverage)))
    rwg = _value(row, "rwg")
    if rwg is not None and round(rwg, 9) < AGREEMENT_MIN:
        found.append(Caveat("low_agreement", words["low_agreement"].format(rwg=rwg)))
    alpha = _value(row, "alpha")
    if alpha is not None and round(alpha, 9) < CONSISTENCY_MIN:
        found.append(Caveat("low_consistency", words["low_consistency"].format(alpha=alpha)))
    return found
