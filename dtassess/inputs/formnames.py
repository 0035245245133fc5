"""The names a questionnaire takes inside form tools, worked out in one place for both ways.

`dtassess form` writes a questionnaire for KoboToolbox/ODK (XLSForm), LimeSurvey, 问卷星 and
paper; the tools' exports come back through `dtassess import`. Each tool has its own rules for
names — an XLSForm name is an XML name, unique in the form; a LimeSurvey question code is
letters and digits, at most 20 of them; a LimeSurvey answer code at most 5 — so a question id
such as `strategy.vision.has_plan` cannot be used as it is everywhere. `form_names` derives
every name from the questionnaire alone, deterministically, so the writer and the reader of an
export agree without a file passed between them. docs/forms.md lists the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .questionnaire import Question, Questionnaire

# The profile questions a form asks first: form name -> response field (docs/forms.md).
PROFILE = (("organization", "organization_name"), ("unit", "unit"), ("role", "role"))
PROFILE_GROUP = "profile"
# A LimeSurvey question code: a letter, then letters and digits (at most 20 in all).
LS_CODE_CHARS = 20
LS_ANSWER_CHARS = 5
NA_CHOICE = "na"
NA_CODE = "NA"

# Columns KoboToolbox and ODK add (no question is given their names): metadata of the
# submission and of the device, and the people who sent it (personal data scores do not need).
# `_id` and `KEY` identify the submission.
ODK_IGNORED = (
    "start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid",
    "audit", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
    "_submitted_by", "__version__", "_version_", "_tags", "_index", "_parent_index",
    "_parent_table_name", "_attachments", "_geolocation", "_xform_id_string", "_media_count",
    "_total_media", "_media_all_received", "meta/instanceID", "meta/instanceName",
    "meta/rootUuid", "meta/deprecatedID", "meta/audit", "formhub/uuid", "SubmissionDate",
    "meta-instanceID", "meta-instanceName", "SubmitterID", "SubmitterName",
    "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
    "FormVersion", "instanceID",
)  # fmt: skip
ODK_RESPONDENT = ("_id", "KEY")
ODK_SIGNS = {"_uuid", "_submission_time", "meta/instanceID", "formhub/uuid", "KEY"}
# LimeSurvey's response export, with question codes as headers (no question takes these codes).
LS_IGNORED = (
    "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
    "refurl", "token", "interviewtime", "optout", "emailstatus",
)  # fmt: skip
LS_SIGNS = {"submitdate", "lastpage", "startlanguage"}

_XML_BAD = re.compile(r"[^A-Za-z0-9_-]")
_CHOICE_OK = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class FormNames:
    """Every name a questionnaire's elements take in the form tools."""

    groups: dict[str, str] = field(default_factory=dict)  # dimension id -> XLSForm group name
    questions: dict[str, str] = field(default_factory=dict)  # question id -> XLSForm name
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)  # question id -> group path
    choices: dict[str, dict[Any, str]] = field(default_factory=dict)  # id -> value -> choice
    profile: dict[str, str] = field(default_factory=dict)  # response field -> XLSForm name
    codes: dict[str, str] = field(default_factory=dict)  # question id -> LimeSurvey code
    answers: dict[str, dict[Any, str]] = field(default_factory=dict)  # id -> value -> LS code
    numbers: dict[str, int] = field(default_factory=dict)  # question id -> number on paper
    ls_profile: dict[str, str] = field(default_factory=dict)  # response field -> LS code

    def choice_list(self, question: Question) -> str:
        """The XLSForm choice list of a question (its own: labels differ question by question)."""
        return self.questions[question.id]


def _xml_name(text: str) -> str:
    name = _XML_BAD.sub("_", text)
    return name if name[:1].isalpha() or name[:1] == "_" else "_" + name


def _unique(wanted: str, taken: set[str], fallback: str) -> str:
    """`wanted` when free (compared without case, as pyxform does), else `fallback`, else
    `fallback` with a counter."""
    for name in (wanted, fallback):
        if name.casefold() not in taken:
            taken.add(name.casefold())
            return name
    n = 2
    while f"{fallback}_{n}".casefold() in taken:
        n += 1
    taken.add(f"{fallback}_{n}".casefold())
    return f"{fallback}_{n}"


def _ls_code(text: str, taken: set[str]) -> str:
    code = re.sub(r"[^A-Za-z0-9]", "", text)
    if not code[:1].isalpha():
        code = "Q" + code
    code = code[:LS_CODE_CHARS]
    if code.casefold() not in taken:
        taken.add(code.casefold())
        return code
    n = 2
    while (code[: LS_CODE_CHARS - len(str(n))] + str(n)).casefold() in taken:
        n += 1
    code = code[: LS_CODE_CHARS - len(str(n))] + str(n)
    taken.add(code.casefold())
    return code


def _choice_names(values: Iterable[Any]) -> dict[Any, str]:
    """Option value -> XLSForm choice name: the value itself where every value of the question
    is a plain name (a select_multiple answer is its choice names joined by spaces), else `c1`,
    `c2` ... for all of them."""
    values = list(values)
    plain = [str(v) for v in values]
    fits = all(_CHOICE_OK.match(v) for v in plain)
    distinct = len({v.casefold() for v in plain} | {NA_CHOICE}) == len(plain) + 1
    if fits and distinct:
        return dict(zip(values, plain, strict=True))
    return {v: f"c{i}" for i, v in enumerate(values, 1)}


def _answer_codes(values: Iterable[Any]) -> dict[Any, str]:
    """Option value -> LimeSurvey answer code: Y and N for yes and no, the value where it is at
    most 5 letters and digits, else `A1`, `A2` ... (all of a question's codes one way)."""
    values = list(values)
    plain = [str(v) for v in values]
    if plain == ["yes", "no"]:
        return dict(zip(values, ["Y", "N"], strict=True))
    fits = all(re.fullmatch(r"[A-Za-z0-9]{1,5}", v) for v in plain)
    distinct = len({v.casefold() for v in plain} | {NA_CODE.casefold()}) == len(plain) + 1
    if fits and distinct:
        return dict(zip(values, plain, strict=True))
    return {v: f"A{i}" for i, v in enumerate(values, 1)}


def form_names(q: Questionnaire) -> FormNames:
    """The names of `q` in every form tool (memoised on the questionnaire)."""
    cached = q.cache.get("form_names")
    if cached is not None:
        return cached
    names = FormNames()
    taken: set[str] = {PROFILE_GROUP, "meta", *(n.casefold() for n in ODK_IGNORED + ODK_RESPONDENT)}
    for dim in q.nodes:
        last = dim.id.rsplit(".", 1)[-1]
        names.groups[dim.id] = _unique(_xml_name(last), taken, _xml_name(dim.id))
    lasts = [x.id.rsplit(".", 1)[-1] for x in q.questions]
    for question, last in zip(q.questions, lasts, strict=True):
        wanted = _xml_name(last) if lasts.count(last) == 1 else _xml_name(question.id)
        names.questions[question.id] = _unique(wanted, taken, _xml_name(question.id))
    for fld_name, fld in PROFILE:
        names.profile[fld] = _unique(fld_name, taken, f"respondent_{fld_name}")
    codes: set[str] = {"id", *LS_IGNORED}
    for number, question in enumerate(q.questions, 1):
        path: list[str] = []
        node: str | None = question.dimension
        while node is not None:
            path.insert(0, names.groups[node])
            node = q.node(node).parent
        names.paths[question.id] = tuple(path)
        names.choices[question.id] = _choice_names(o.value for o in question.options)
        names.answers[question.id] = _answer_codes(o.value for o in question.options)
        names.codes[question.id] = _ls_code(names.questions[question.id], codes)
        names.numbers[question.id] = number
    for fld_name, fld in PROFILE:
        names.ls_profile[fld] = _ls_code(fld_name, codes)
    q.cache["form_names"] = names
    return names


def subquestion_code(index: int) -> str:
    """LimeSurvey's code of a multi question's n-th option (1 = the first): SQ001 ..."""
    return f"SQ{index:03d}"
