"""Recognise the exports of forms that `dtassess form` wrote, column by column.

KoboToolbox and ODK head their columns with a question's group path (`strategy/vision/has_plan`,
or `strategy-vision-has_plan` in ODK Central) and write choice names, a select_multiple as names
joined by spaces and, when asked, one 0/1 column per choice (`strategy/vision/coverage/data`);
LimeSurvey heads them with question codes (`coverage[SQ001]` for one option) and writes answer
codes; 问卷星 and 腾讯问卷 head them with the question as the form wrote it, in two languages
when the form was bilingual. Each of these is a `Mapping` worked out from the questionnaire
alone (`inputs.formnames`), merged under whatever `--mapping` file the user gives (theirs wins
column by column). The services' own columns (submission ids, times, devices, user names) are
recognised too: not imported, and never listed as unknown. docs/forms.md lists them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from ..labels import labels
from .conditions import NA
from .formnames import (
    LS_IGNORED,
    LS_SIGNS,
    ODK_IGNORED,
    ODK_RESPONDENT,
    ODK_SIGNS,
    PROFILE_GROUP,
    FormNames,
    form_names,
    subquestion_code,
)
from .headers import without_hints
from .mapping import Mapping, Target, normalize
from .questionnaire import Questionnaire, localize

SEPARATORS = ("/", "-")
# the number 问卷星 and 腾讯问卷 put before a title: 1、 1. 1．
NUMBER_RE = re.compile(r"^\s*(\d{1,6})\s*[、.:]\s*(.+)$", re.S)


def _question_target(q: Questionnaire, qid: str) -> Target:
    return Target("question", q.question(qid))


def _odk(q: Questionnaire, names: FormNames) -> dict[str, Target]:
    """Headers of a KoboToolbox or ODK export of the XLSForm: group paths and bare names."""
    found: dict[str, Target] = {}
    for sep in SEPARATORS:
        for fld, name in names.profile.items():
            found[sep.join((PROFILE_GROUP, name))] = Target("field", field=fld)
        for question in q.questions:
            path = (*names.paths[question.id], names.questions[question.id])
            target = _question_target(q, question.id)
            found[sep.join(path)] = target
            for option in question.options if question.type == "multi" else ():
                choice = names.choices[question.id][option.value]
                found[f"{sep.join(path)}/{choice}"] = Target("option", question, option)
    for fld, name in names.profile.items():
        found.setdefault(name, Target("field", field=fld))
    for question in q.questions:
        found.setdefault(names.questions[question.id], _question_target(q, question.id))
    for name in ODK_IGNORED:
        found[name] = Target("ignore")
    for name in ODK_RESPONDENT:
        found[name] = Target("field", field="respondent")
    return found


def _limesurvey(q: Questionnaire, names: FormNames) -> dict[str, Target]:
    """Headers of a LimeSurvey response export with question codes."""
    found: dict[str, Target] = {}
    for fld, code in names.ls_profile.items():
        found[code] = Target("field", field=fld)
    for question in q.questions:
        code = names.codes[question.id]
        found[code] = _question_target(q, question.id)
        for i, option in enumerate(question.options if question.type == "multi" else (), 1):
            target = Target("option", question, option)
            found[f"{code}[{subquestion_code(i)}]"] = target
            found[f"{code}_{subquestion_code(i)}"] = target
    for name in LS_IGNORED:
        found[name] = Target("ignore")
    return found


def _titles(q: Questionnaire) -> dict[str, Target]:
    """Question titles as 问卷星 and 腾讯问卷 head a form's columns where the import could not
    match them by itself: the profile questions, and a bilingual form's titles (`中文 /
    English`), compared as `normalize` reduces them (numbering, punctuation, spaces gone)."""
    found: dict[str, Target] = {}
    for key, fld in (("organization", "organization_name"), ("unit", "unit"), ("role", "role")):
        said = [labels("forms", lang)[key] for lang in q.locales]
        for title in {*said, " / ".join(said)}:
            found[normalize(title)] = Target("field", field=fld)
    if len(q.locales) < 2:
        return found
    for question in q.questions:
        title = " / ".join(dict.fromkeys(localize(question.text, lang) for lang in q.locales))
        found[normalize(title)] = found[normalize(without_hints(title))] = _question_target(
            q, question.id
        )
        for option in question.options if question.type == "multi" else ():
            label = " / ".join(dict.fromkeys(localize(option.label, lang) for lang in q.locales))
            for written in (title, without_hints(title)):
                found[normalize(written) + normalize(label)] = Target("option", question, option)
    return found


def _numbered(q: Questionnaire, names: FormNames) -> dict[tuple[int, str], Target]:
    """(number, title) -> what a 问卷星 or 腾讯问卷 column of the form holds: a question, or one
    option of a multi question, known by its number as well as its text, so that two questions
    worded alike (in two dimensions) each get their own column."""
    found: dict[tuple[int, str], Target] = {}
    for question in q.questions:
        n = names.numbers[question.id]
        said = [localize(question.text, lang) for lang in q.locales]
        for title in {*said, " / ".join(dict.fromkeys(said))}:
            for written in (title, without_hints(title)):
                found[(n, normalize(written))] = _question_target(q, question.id)
                for option in question.options if question.type == "multi" else ():
                    labels_ = [localize(option.label, lang) for lang in q.locales]
                    for label in {*labels_, " / ".join(dict.fromkeys(labels_))}:
                        key = (n, normalize(written) + normalize(label))
                        found[key] = Target("option", question, option)
    return found


def _number_keys(header: str) -> list[tuple[int, str]]:
    """`1、text`, `1.text（hint）` or `1.text:option` as (1, key) for `_numbered`."""
    m = NUMBER_RE.match(unicodedata.normalize("NFKC", header))
    if m is None:
        return []
    return [(int(m.group(1)), key) for key in _title_keys(m.group(2))]


def _title_keys(header: str) -> list[str]:
    """How `_titles` may know a header: as written, without the hints after the title, and
    as `title（hint）:option` (an option's column, 腾讯问卷)."""
    keys = [normalize(header), normalize(without_hints(header))]
    text = unicodedata.normalize("NFKC", header)
    for title, _, option in (text.partition(":"), text.rpartition(":")):
        if option:
            keys.append(normalize(without_hints(title)) + normalize(option))
    return keys


def _labels(q: Questionnaire, names: FormNames, tools: set[str]) -> dict[str, dict[str, Any]]:
    """What the recognised `tools` write for an option -> its value: XLSForm choice names
    ("odk"), LimeSurvey answer codes ("limesurvey"), a bilingual form's labels, and "not
    applicable" as the forms say it."""
    found: dict[str, dict[str, Any]] = {}
    for question in q.questions:
        if not question.options:
            continue
        table: dict[str, Any] = {}
        for option in question.options:
            written = []
            if "odk" in tools:
                written.append(names.choices[question.id][option.value])
            if "limesurvey" in tools:
                written.append(names.answers[question.id][option.value])
            if option.label and len(q.locales) > 1:
                written.append(
                    " / ".join(dict.fromkeys(localize(option.label, lang) for lang in q.locales))
                )
            for text in written:
                table.setdefault(text, option.value)
                table.setdefault("\0" + normalize(text), option.value)
        if question.allow_na:
            said = [labels("forms", lang)["na"] for lang in q.locales]
            for text in {*said, " / ".join(said)}:
                table.setdefault(text, NA)
                table.setdefault("\0" + normalize(text), NA)
        found[question.id] = table
    return found


def recognise(header: Sequence[str], q: Questionnaire, mapping: Mapping | None) -> Mapping | None:
    """The mapping for an export of a form `dtassess form` wrote, under the user's own
    `mapping` (which wins where both name a column); `mapping` itself when the header is not
    such an export's."""
    names = form_names(q)
    present = {str(h).strip() for h in header if h}
    columns: dict[str, Target] = {}
    tools: set[str] = set()
    odk = _odk(q, names)
    if present & ODK_SIGNS or any("/" in h and h in odk for h in present):
        columns.update(odk)
        tools.add("odk")
    if present & LS_SIGNS:
        columns.update(_limesurvey(q, names))
        tools.add("limesurvey")
    numbered = _numbered(q, names)
    for h in present:
        for pair in _number_keys(h):
            if pair in numbered and h not in columns:
                columns[h] = numbered[pair]
    titles = _titles(q)
    for h in present:
        for key in _title_keys(h):
            if key in titles and h not in columns:
                columns[h] = titles[key]
    if not columns:
        return mapping
    # a select_multiple's own column and its 0/1 columns: the own column is read
    multi_own = {
        t.question.id
        for h, t in columns.items()
        if h in present and t.kind == "question" and t.question and t.question.type == "multi"
    }
    for h, t in list(columns.items()):
        if t.kind == "option" and t.question is not None and t.question.id in multi_own:
            columns[h] = Target("ignore")
    found = Mapping(path=None, columns={h: t for h, t in columns.items() if h in present})
    found.labels = _labels(q, names, tools)
    found.separator = " " if "odk" in tools else None
    if mapping is not None:
        found.path = mapping.path
        found.columns.update(mapping.columns)
        for qid, table in mapping.labels.items():
            found.labels[qid] = {**found.labels.get(qid, {}), **table}
        found.option_numbers = mapping.option_numbers
        found.answers_given = mapping.answers_given
    return found
