"""A questionnaire in LimeSurvey's tab-separated survey format (.txt), importable as a survey.

One row per survey setting (class S), per survey text and language (SL), and per group (G),
question (Q), sub-question (SQ, one per option of a multi question) and answer option (A) in
each language; rows of one element share its numeric id. Dimensions become groups (a
sub-dimension's group title carries its parent's: LimeSurvey's groups do not nest); a `level`,
`single`, `likert` or `boolean` question a list (L), a `multi` one multiple choice (M, with its
exclusive options in `exclude_all_others`), a `number` a numerical input (N, its bounds in
`min_num_value_n` and `max_num_value_n`), a `text` a long free text (T). Relevance equations
come from the conditions (forms/expressions.py); question and answer codes from
`inputs.formnames`, which `dtassess import` uses to read LimeSurvey's response export back.
"""

from __future__ import annotations

import csv
import html
import io

from ..errors import Problem
from ..inputs.formnames import NA_CODE, PROFILE, FormNames, form_names, subquestion_code
from ..inputs.questionnaire import Dimension, Question, Questionnaire
from ..labels import labels
from .expressions import limesurvey as relevance
from .xlsform import untranslatable

COLUMNS = (
    "id", "related_id", "class", "type/scale", "name", "relevance", "text", "help", "language",
    "validation", "mandatory", "other", "default", "same_default", "exclude_all_others",
    "min_num_value_n", "max_num_value_n", "hide_tip",
)  # fmt: skip
TYPES = {"multi": "M", "number": "N", "text": "T"}


def _html(text: str) -> str:
    """LimeSurvey shows texts as HTML: escaped, line breaks kept."""
    return html.escape(text, quote=False).replace("\n", "<br />")


def _said(value: dict[str, str] | None, lang: str) -> str:
    if not value:
        return ""
    return _html(value.get(lang) or next(iter(value.values())))


class _Rows:
    def __init__(self, q: Questionnaire, langs: tuple[str, ...]) -> None:
        self.q, self.langs = q, langs
        self.names: FormNames = form_names(q)
        self.rows: list[dict[str, str]] = []
        self.problems: list[Problem] = []
        self.relevance: dict[str, str] = {}
        for x in q.questions:
            if x.when is None:
                continue
            found = relevance(q, self.names, x.when)
            if found is None:
                self.problems.append(untranslatable(x, "LimeSurvey"))
            self.relevance[x.id] = found or "1"

    def add(self, **cells: str | int) -> None:
        self.rows.append({k: str(v) for k, v in cells.items()})

    def survey(self) -> None:
        self.add(**{"class": "S", "name": "language", "text": self.langs[0]})
        self.add(**{"class": "S", "name": "additional_languages", "text": " ".join(self.langs[1:])})
        self.add(**{"class": "S", "name": "format", "text": "G"})
        for lang in self.langs:
            for name, text in (
                ("surveyls_title", _said(self.q.title, lang)),
                ("surveyls_description", _said(self.q.description, lang)),
                ("surveyls_language", lang),
            ):
                self.add(**{"class": "SL", "name": name, "text": text, "language": lang})

    def build(self) -> None:
        self.survey()
        for lang in self.langs:
            ids = iter(range(1, 1_000_000))
            self.profile(lang, ids)
            for top in self.q.dimensions:
                for dim in top.walk():
                    self.group(dim, lang, ids)

    def profile(self, lang: str, ids) -> None:
        words = labels("forms", lang)
        self.add(**{"id": next(ids), "class": "G", "type/scale": 0, "name": words["profile"],
                    "relevance": 1, "language": lang})  # fmt: skip
        for key, fld in PROFILE:
            self.add(**{"id": next(ids), "class": "Q", "type/scale": "S",
                        "name": self.names.ls_profile[fld], "relevance": 1,
                        "text": _html(words[key]), "language": lang, "mandatory": "N",
                        "other": "N", "same_default": 0})  # fmt: skip

    def group(self, dim: Dimension, lang: str, ids) -> None:
        titles: list[str] = []
        node: Dimension | None = dim
        while node is not None:
            titles.insert(0, _said(node.title, lang))
            node = self.q.node(node.parent) if node.parent else None
        self.add(**{"id": next(ids), "class": "G", "type/scale": 0, "name": " — ".join(titles),
                    "relevance": 1, "text": _said(dim.description, lang),
                    "language": lang})  # fmt: skip
        for x in dim.questions:
            self.question(x, lang, ids)

    def question(self, x: Question, lang: str, ids) -> None:
        qid = next(ids)
        row = {"id": qid, "class": "Q", "type/scale": TYPES.get(x.type, "L"),
               "name": self.names.codes[x.id], "relevance": self.relevance.get(x.id, "1"),
               "text": _said(x.text, lang), "help": _said(x.help, lang), "language": lang,
               "mandatory": "Y" if x.required else "N", "other": "N",
               "same_default": 0}  # fmt: skip
        if x.type == "number":
            if x.min is not None:
                row["min_num_value_n"] = f"{x.min:g}"
            if x.max is not None:
                row["max_num_value_n"] = f"{x.max:g}"
        exclusive = [subquestion_code(i) for i, o in enumerate(x.options, 1) if o.exclusive]
        if x.type == "multi" and exclusive:
            row["exclude_all_others"] = ";".join(exclusive)
        self.add(**row)
        if x.type == "multi":
            for i, option in enumerate(x.options, 1):
                self.add(**{"id": next(ids), "class": "SQ", "type/scale": 0,
                            "name": subquestion_code(i), "relevance": 1,
                            "text": self.label(x, option.value, option.label, lang),
                            "language": lang})  # fmt: skip
        elif x.options:
            for option in x.options:
                self.add(**{"id": qid, "class": "A", "type/scale": 0,
                            "name": self.names.answers[x.id][option.value],
                            "text": self.label(x, option.value, option.label, lang),
                            "language": lang})  # fmt: skip
            if x.allow_na:
                self.add(**{"id": qid, "class": "A", "type/scale": 0, "name": NA_CODE,
                            "text": _html(labels("forms", lang)["na"]),
                            "language": lang})  # fmt: skip

    def label(self, x: Question, value, label, lang: str) -> str:
        if label:
            return _said(label, lang)
        if x.type == "boolean":
            return _html(labels("questionnaire", lang)[value])
        return _html(str(value))


def limesurvey(q: Questionnaire, langs: tuple[str, ...]) -> tuple[bytes, list[Problem]]:
    """The survey as UTF-8 tab-separated text, and the conditions it could not carry (X001)."""
    rows = _Rows(q, langs)
    rows.build()
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, delimiter="\t", lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows.rows)
    return out.getvalue().encode("utf-8"), rows.problems
