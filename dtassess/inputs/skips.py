"""Skip logic on whole columns: which rows each conditional question is hidden from.

A question's `when:` condition (`conditions`) is judged once per distinct answer, not once per
row: each column is coded first (`Coded`: codes into its distinct values), and the codes are
kept (`Coder`) so that the scoring engine, which needs them too, codes each column once.
It lives in the inputs stage because the export reader needs it to drop answers that skip
logic hides (I008) before any scoring; the engine builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .questionnaire import Questionnaire


def column_codes(series: pd.Series) -> tuple[np.ndarray, list]:
    """Each cell as a code into a short list of distinct values (-1 for no answer).

    Categorical columns (what Parquet and CSV readers produce for repeated values) already are
    codes; anything else is hashed once by `pd.factorize`. Either way the values are then
    judged once per distinct value, never once per cell.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), list(series.cat.categories)
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # lists (unhashable) for multi answers written by a program
        fixed = series.map(lambda v: tuple(v) if isinstance(v, list) else v)
        codes, uniques = pd.factorize(fixed, use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


@dataclass
class Coded:
    """A question's answers as codes into a short list of distinct values (-1: no answer)."""

    codes: np.ndarray
    uniques: list

    def values(self) -> np.ndarray:
        """The answers themselves, for conditions over several questions."""
        return np.array([*self.uniques, None], dtype=object)[self.codes]


class Coder:
    """Codes each column once, on first use, for both skip logic and scoring."""

    def __init__(self, answers: pd.DataFrame, n: int) -> None:
        self.answers = answers
        self.n = n
        self.done: dict[str, Coded] = {}

    def series(self, qid: str) -> pd.Series:
        if qid in self.answers.columns:
            return self.answers[qid]
        return pd.Series(np.full(self.n, None, dtype=object))

    def __call__(self, qid: str) -> Coded:
        if qid not in self.done:
            self.done[qid] = Coded(*column_codes(self.series(qid)))
        return self.done[qid]


def _yes_no(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    return value


def hidden_by_rows(q: Questionnaire, coded: Coder, n: int) -> dict[str, np.ndarray]:
    """Rows from which each conditional question is hidden.

    Conditions see the answers as the survey would: an answer to a hidden question is no
    answer, so a question that depends on a hidden one is judged without it. A condition on
    one question is evaluated once per distinct answer, then spread to the rows by code.
    """
    hidden: dict[str, np.ndarray] = {}
    for question in q.questions:
        cond = question.when
        if cond is None:
            continue
        inputs = {}
        for name in cond.names:
            codes = coded(name).codes
            if name in hidden and hidden[name].any():
                codes = np.where(hidden[name], -1, codes)
            uniques = coded(name).uniques
            if q.has_question(name) and q.question(name).type == "boolean":
                # Conditions compare 'yes'/'no'; a program may have written True/False.
                uniques = [_yes_no(u) for u in uniques]
            inputs[name] = Coded(codes, uniques)
        if len(inputs) == 1:
            ((name, one),) = inputs.items()
            distinct = np.array([*one.uniques, None], dtype=object)
            shown = cond.evaluate({name: distinct}, len(distinct))[one.codes]
        else:
            shown = cond.evaluate({k: v.values() for k, v in inputs.items()}, n)
        hidden[question.id] = ~shown
    return hidden


def hidden_rows(q: Questionnaire, answers: pd.DataFrame) -> dict[str, np.ndarray]:
    """For each conditional question, the rows of `answers` from which skip logic hides it."""
    return hidden_by_rows(q, Coder(answers, len(answers)), len(answers))
