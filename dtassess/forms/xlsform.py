"""A questionnaire as an XLSForm (.xlsx) for KoboToolbox and ODK: survey, choices and settings
sheets, a group per dimension, a choice list per question, `relevant` from the skip logic,
constraints for number bounds and exclusive options, labels and hints per language.

Names come from `inputs.formnames`, which `dtassess import` uses to read the tools' exports back
(docs/forms.md). The workbook is the same bytes for the same questionnaire: the zip's dates and
the document's own dates are fixed.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from ..errors import Problem
from ..inputs.formnames import NA_CHOICE, PROFILE, PROFILE_GROUP, FormNames, form_names
from ..inputs.questionnaire import Dimension, Question, Questionnaire
from ..labels import labels
from .expressions import xpath

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
FIXED_DATE = "2000-01-01T00:00:00Z"


def language_column(kind: str, lang: str) -> str:
    """`label::中文 (zh)`: XLSForm's column of one language, named as ODK shows it."""
    return f"{kind}::{LANGUAGE_NAMES.get(lang, lang)} ({lang})"


def _texts(value: dict[str, str] | None, langs: tuple[str, ...]) -> list[str]:
    if not value:
        return ["" for _ in langs]
    first = next(iter(value.values()))
    return [value.get(lang) or first for lang in langs]


class _Sheets:
    def __init__(self, q: Questionnaire, langs: tuple[str, ...]) -> None:
        self.q, self.langs = q, langs
        self.names: FormNames = form_names(q)
        self.survey: list[list[Any]] = []
        self.choices: list[list[Any]] = []
        self.problems: list[Problem] = []

    def row(
        self,
        kind: str,
        name: str = "",
        label: list[str] | None = None,
        hint: list[str] | None = None,
        relevant: str = "",
        constraint: str = "",
        required: str = "",
    ) -> None:
        blank = ["" for _ in self.langs]
        self.survey.append(
            [kind, name, *(label or blank), *(hint or blank), relevant, constraint, required]
        )

    def build(self) -> None:
        words = [labels("forms", lang) for lang in self.langs]
        self.row("begin_group", PROFILE_GROUP, [w["profile"] for w in words])
        for form_name, fld in PROFILE:
            self.row("text", self.names.profile[fld], [w[form_name] for w in words])
        self.row("end_group")
        for top in self.q.dimensions:
            self.dimension(top)

    def dimension(self, dim: Dimension) -> None:
        self.row(
            "begin_group",
            self.names.groups[dim.id],
            _texts(dim.title, self.langs),
            _texts(dim.description, self.langs) if dim.description else None,
        )
        for question in dim.questions:
            self.question(question)
        for child in dim.dimensions:
            self.dimension(child)
        self.row("end_group")

    def question(self, x: Question) -> None:
        name = self.names.questions[x.id]
        relevant = ""
        if x.when is not None:
            relevant = xpath(self.q, self.names, x.when) or ""
            if not relevant:
                self.problems.append(untranslatable(x, "XLSForm"))
        constraint = ""
        if x.type == "number":
            kind = "decimal"
            bounds = []
            if x.min is not None:
                bounds.append(f". >= {x.min:g}")
            if x.max is not None:
                bounds.append(f". <= {x.max:g}")
            constraint = " and ".join(bounds)
        elif x.type == "text":
            kind = "text"
        else:
            list_name = self.names.choice_list(x)
            kind = f"{'select_multiple' if x.type == 'multi' else 'select_one'} {list_name}"
            exclusive = [o for o in x.options if o.exclusive]
            if x.type == "multi" and exclusive:
                constraint = " and ".join(
                    f"not(selected(., '{self.names.choices[x.id][o.value]}') and "
                    "count-selected(.) > 1)"
                    for o in exclusive
                )
            self.options(x, list_name)
        self.row(
            kind,
            name,
            _texts(x.text, self.langs),
            _texts(x.help, self.langs) if x.help else None,
            relevant,
            constraint,
            "yes" if x.required else "",
        )

    def options(self, x: Question, list_name: str) -> None:
        for option in x.options:
            label = option.label or (
                {lang: labels("questionnaire", lang)[option.value] for lang in self.langs}
                if x.type == "boolean"
                else {lang: str(option.value) for lang in self.langs}
            )
            name = self.names.choices[x.id][option.value]
            self.choices.append([list_name, name, *_texts(label, self.langs)])
        if x.allow_na:
            na = [labels("forms", lang)["na"] for lang in self.langs]
            self.choices.append([list_name, NA_CHOICE, *na])


def untranslatable(x: Question, tool: str) -> Problem:
    return Problem(
        "X001",
        f"question '{x.id}': its condition ({x.when.source if x.when else ''}) cannot be "
        f"written in {tool}; the form shows the question always (an answer the condition "
        "hides is left unanswered on import, I008)",
        severity="warning",
    )


def xlsform(q: Questionnaire, langs: tuple[str, ...]) -> tuple[bytes, list[Problem]]:
    """The XLSForm workbook's bytes, and the conditions it could not carry (X001)."""
    from openpyxl import Workbook

    sheets = _Sheets(q, langs)
    sheets.build()
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(
        [
            "type",
            "name",
            *(language_column("label", lang) for lang in langs),
            *(language_column("hint", lang) for lang in langs),
            "relevant",
            "constraint",
            "required",
        ]
    )
    for row in sheets.survey:
        survey.append(row)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", *(language_column("label", lang) for lang in langs)])
    for row in sheets.choices:
        choices.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    title = " / ".join(dict.fromkeys(_texts(q.title, langs)))
    settings.append(
        [title, q.id, q.version, f"{LANGUAGE_NAMES.get(langs[0], langs[0])} ({langs[0]})"]
    )
    out = io.BytesIO()
    book.save(out)
    return fixed_dates(out.getvalue()), sheets.problems


def fixed_dates(data: bytes) -> bytes:
    """An Office file's zip with every date fixed, so that one questionnaire gives one file."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + FIXED_DATE.encode() + rb"\g<2>",
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, content)
    return out.getvalue()
