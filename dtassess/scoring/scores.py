"""`score`: the scoring stage's one call, by respondent, unit or organization (docs/scoring.md).

By respondent (or with no answers) it scores the respondents with `engine.score_respondents` and
groups their scores; by unit or organization it sums each group's statistics as the blocks go
(`grouped.score_groups`) and scores single respondents only if asked. It sits above both: the
group statistics are made of the engine's pieces, and this call chooses between them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.fields import with_field
from ..inputs.questionnaire import Questionnaire
from ..inputs.responses import ResponseSet
from .engine import (
    GROUPINGS,
    STATISTICS,
    RespondentScores,
    compile_model,
    group_scores,
    score_respondents,
    withhold_small_groups,
)
from .grouped import score_groups


@dataclass
class ScoreResult:
    """What `score` returns: per-respondent frames, and the long per-group table."""

    questionnaire: Questionnaire
    by: str
    statistic: str
    meta: pd.DataFrame
    respondents: RespondentScores
    table: pd.DataFrame  # see group_scores
    withheld: int = 0  # groups left out for having fewer than min_group_size respondents
    min_group_size: int = 1
    periods: tuple[str, ...] = ()  # with several periods: in order, and `table` has changes
    left_out: tuple[tuple[str, str], ...] = ()  # questions changes leave out, and why


def score(
    responses: ResponseSet,
    by: str = "organization",
    statistic: str = "mean",
    min_group_size: int = 1,
    exclude: Collection[str] = (),
) -> ScoreResult:
    """Score a ResponseSet and aggregate it by respondent, unit, organization or a field.

    Within each organisation and period, `role` or a profile question's answer
    (`by="profile.position"`) group too (dtassess.inputs.fields; a field that cannot group
    raises DtassessError, Q030 or Q031).

    Groups of fewer than `min_group_size` respondents are left out of the table (and counted in
    `withheld`); the API keeps every group by default, the `dtassess score` command withholds
    groups of fewer than 3. Questions in `exclude` count nowhere.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}")
    if by not in GROUPINGS:
        responses = with_field(responses, by)
    q = responses.questionnaire
    answers = responses.answers
    if by == "respondent" or len(answers) == 0:
        per_respondent = score_respondents(q, answers, exclude=exclude)
        matrix = None if by == "respondent" else np.empty((0, len(compile_model(q).questions)))
        table = group_scores(q, responses.meta, per_respondent, by, statistic, matrix)
    else:
        table = score_groups(q, responses.meta, answers, by, statistic, exclude)
        # The table does not need them: computed if a caller asks.
        per_respondent = RespondentScores(
            compute=lambda: score_respondents(q, answers, exclude=exclude)
        )
    table, withheld = withhold_small_groups(table, by, min_group_size)
    return ScoreResult(
        q, by, statistic, responses.meta, per_respondent, table, withheld, min_group_size
    )
