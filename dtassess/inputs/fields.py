"""The response field results are grouped by (`--by`): one of the response's own fields, or a
profile question whose answer names a group (docs/scoring.md, section 6).

`organization`, `unit` and `respondent` are the historical groupings; `role` (the respondent's
role) and a profile question — say `profile.position`, "leader" or "staff" — group the
respondents of each organisation and period by that answer, so that leaders can be compared
with staff. A profile question's answer becomes a column of `ResponseSet.meta` named after the
question, holding the answer as text ("" for none, N/A or hidden).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import DtassessError, ExitCode, Problem, did_you_mean
from .conditions import NA
from .responses import META_COLUMNS, ResponseSet

# The fields of a response itself that results can be grouped by; a question id is a profile
# field. `period` and `organization_name` go with the organisation, `source` names a file.
RESPONSE_FIELDS = ("organization", "unit", "role", "respondent")
# A profile question names one group per respondent: one answer, from a list or as text.
GROUPING_TYPES = ("single", "likert", "level", "boolean", "text")


def field_problem(responses: ResponseSet, by: str) -> Problem | None:
    """Why `by` cannot group these responses (None when it can)."""
    if by in RESPONSE_FIELDS:
        return None
    q = responses.questionnaire
    if by in META_COLUMNS or not q.has_question(by):
        known: Sequence[str] = [*RESPONSE_FIELDS, *(x.id for x in q.questions)]
        return Problem(
            "Q030",
            f"--by {by}: not a response field ({', '.join(RESPONSE_FIELDS)}) nor a question of "
            f"{q.ref}{did_you_mean(by, known)}",
        )
    question = q.question(by)
    if question.type not in GROUPING_TYPES:
        return Problem(
            "Q031",
            f"--by {by}: a {question.type} question cannot name one group per respondent; "
            f"group by a question that takes one answer ({', '.join(GROUPING_TYPES)})",
        )
    return None


def with_field(responses: ResponseSet, by: str) -> ResponseSet:
    """The responses with the column `by` in their meta (a profile question's answers as text);
    raises DtassessError (exit 2) when `by` cannot group them."""
    problem = field_problem(responses, by)
    if problem is not None:
        raise DtassessError(problem, ExitCode.BAD_INPUT)
    if by in responses.meta.columns:
        return responses
    import pandas as pd

    answers = responses.answers[by]
    shown = answers.map(_as_text).astype(object)
    meta = responses.meta.assign(**{by: pd.Series(shown.to_numpy(), index=responses.meta.index)})
    return ResponseSet(
        responses.questionnaire, meta, responses.answers, responses.notes, responses.problems
    )


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or value == NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
