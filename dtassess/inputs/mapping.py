"""Mapping files: what an export's columns and answers mean, when the headers do not say it.

Most exports need none: columns named by question id or question text are recognised (see
`exports`). A mapping covers the rest — forms whose questions were reworded, headers in a house
style, one column per option, labels that differ from the questionnaire's, answers written as
option numbers. The format is in docs/import.md; every problem is reported at its line and
column, like a questionnaire's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DtassessError, ExitCode, Problem
from .questionnaire import Option, Question, Questionnaire, read_text
from .yamlsource import MAX_YAML_BYTES, Marked, SyntaxProblem, load_with_marks

FIELDS = ("organization", "organization_name", "unit", "period", "respondent", "role")
IGNORE = "ignore"
ANSWER_STYLES = ("as-written", "option-numbers")
TOP_KEYS = ("columns", "options", "answers")
# The numbering a form puts before a question ("第3题", "Q5.", "(2)"), dropped when headers and
# labels are compared. `normalize` lives here rather than in `exports`: a mapping's keys are
# compared by it too, and `exports` builds on this module.
NUMBERING_RE = re.compile(
    r"^\s*(?:第\s*\d+\s*题\s*[、.:：]?|[(（]\s*\d+\s*[)）]|[Qq]?\d+(?:\.\d+)*\s*[、.．:：)）]|"
    r"[Qq]\d+\s+)\s*"
)


def normalize(text: str) -> str:
    """A header or label reduced for comparison: width, case, numbering and punctuation gone."""
    text = unicodedata.normalize("NFKC", str(text)).strip()
    text = NUMBERING_RE.sub("", text, count=1)
    return re.sub(r"[\W_]+", "", text).casefold()


@dataclass(frozen=True)
class Target:
    """What one column holds: a question, one option of a multi question, a field, or nothing
    the import should use (`ignore`)."""

    kind: str  # "question" | "option" | "field" | "ignore"
    question: Question | None = None
    option: Option | None = None
    field: str | None = None


@dataclass
class Mapping:
    path: str | None = None
    columns: dict[str, Target] = field(default_factory=dict)  # header as written -> target
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # question id -> label -> value
    option_numbers: bool = False  # 按序号: single and multi answers are option numbers 1, 2, 3
    answers_given: bool = False  # `answers:` is in the file: no guessing (exports.load_export)
    separator: str | None = None  # what joins a multi answer's options, when not the usual

    def target(self, header: str) -> Target | None:
        found = self.columns.get(header.strip())
        if found is None:
            found = self._normalised().get(normalize(header))
        return found

    def _normalised(self) -> dict[str, Target]:
        if not hasattr(self, "_by_key"):
            self._by_key = {normalize(k): t for k, t in self.columns.items()}
        return self._by_key

    def label(self, question: Question, text: str) -> Any | None:
        """The option value a mapped label stands for, if the mapping names one."""
        table = self.labels.get(question.id)
        if not table:
            return None

        value = table.get(text.strip())
        if value is None:
            value = table.get("\0" + normalize(text))
        return value


def load_mapping(path: str | Path, q: Questionnaire) -> Mapping:
    """Read and check a mapping file; raises DtassessError (I011, exit 2) listing every
    problem."""
    path = Path(path)
    return check_mapping_text(read_text(path, limit=MAX_YAML_BYTES), q, str(path))


def check_mapping_text(text: str, q: Questionnaire, path: str = "<mapping>") -> Mapping:
    try:
        marked = load_with_marks(text, path)
    except SyntaxProblem as exc:
        raise DtassessError(
            Problem("I011", exc.message, path, exc.line, exc.column), ExitCode.BAD_INPUT
        ) from None
    checker = _Checker(q, marked, path)
    mapping = checker.run()
    if checker.problems:
        raise DtassessError(checker.problems, ExitCode.BAD_INPUT)
    return mapping


class _Checker:
    def __init__(self, q: Questionnaire, marked: Marked, path: str) -> None:
        self.q, self.marked, self.path = q, marked, path
        self.problems: list[Problem] = []

    def add(self, where: tuple, message: str, key: bool = False) -> None:
        line, column = self.marked.where(where, key=key)
        self.problems.append(Problem("I011", message, self.path, line, column))

    def run(self) -> Mapping:
        data = self.marked.data
        mapping = Mapping(self.path)
        if data is None:
            return mapping
        if not isinstance(data, dict):
            self.add((), "a mapping file is a YAML mapping with columns:, options: and answers:")
            return mapping
        for where, at in self.marked.duplicate_keys:
            self.problems.append(Problem("I011", f"'{where[-1]}' is given twice", self.path, *at))
        for key in data:
            if key not in TOP_KEYS:
                self.add((key,), f"unknown key '{key}' (expected {', '.join(TOP_KEYS)})", key=True)
        style = data.get("answers", "as-written")
        if style not in ANSWER_STYLES:
            self.add(("answers",), f"answers: must be {' or '.join(ANSWER_STYLES)}, not {style!r}")
        mapping.option_numbers = style == "option-numbers"
        mapping.answers_given = "answers" in data
        mapping.columns = self.columns(data.get("columns") or {})
        mapping.labels = self.options(data.get("options") or {})
        return mapping

    def question(self, where: tuple, qid: Any) -> Question | None:
        if isinstance(qid, str) and self.q.has_question(qid):
            return self.q.question(qid)
        from ..errors import did_you_mean

        hint = did_you_mean(str(qid), [x.id for x in self.q.questions])
        self.add(where, f"'{qid}' is no question of {self.q.ref}{hint}")
        return None

    def columns(self, data: Any) -> dict[str, Target]:
        if not isinstance(data, dict):
            self.add(("columns",), "columns: maps each column header to a question id or a field")
            return {}
        found: dict[str, Target] = {}
        for header, value in data.items():
            where = ("columns", header)
            target = self.column(where, value)
            if target is not None:
                found[str(header).strip()] = target
        return found

    def column(self, where: tuple, value: Any) -> Target | None:
        if value == IGNORE:
            return Target("ignore")
        if value in FIELDS:
            return Target("field", field=value)
        if isinstance(value, dict):
            unknown = set(value) - {"question", "option"}
            if unknown or "question" not in value or "option" not in value:
                self.add(where, "a column of one option is written {question: ID, option: VALUE}")
                return None
            question = self.question((*where, "question"), value["question"])
            if question is None:
                return None
            if question.type != "multi":
                self.add(
                    (*where, "question"),
                    f"'{question.id}' is a {question.type} question; only multi questions "
                    "have one column per option",
                )
                return None
            option = question.match(value["option"])
            if option is None:
                self.add((*where, "option"), self.not_an_option(question, value["option"]))
                return None
            return Target("option", question, option)
        if not isinstance(value, str):
            self.add(where, f"expected a question id, a field ({', '.join(FIELDS)}) or ignore")
            return None
        question = self.question(where, value)
        return None if question is None else Target("question", question)

    def options(self, data: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(data, dict):
            self.add(("options",), "options: maps question ids to {label: option value}")
            return {}
        found: dict[str, dict[str, Any]] = {}
        for qid, labels in data.items():
            question = self.question(("options", qid), qid)
            if question is None:
                continue
            if not question.options:
                self.add(("options", qid), f"'{qid}' is a {question.type} question: no options")
                continue
            if not isinstance(labels, dict):
                self.add(("options", qid), "expected labels mapped to option values")
                continue
            table: dict[str, Any] = {}
            for label, value in labels.items():
                option = question.match(value)
                if option is None:
                    self.add(("options", qid, label), self.not_an_option(question, value))
                    continue
                table[str(label).strip()] = option.value
                table["\0" + normalize(str(label))] = option.value
            found[question.id] = table
        return found

    def not_an_option(self, question: Question, value: Any) -> str:
        values = ", ".join(str(o.value) for o in question.options)
        return f"{value!r} is not an option of '{question.id}' (its options: {values})"
