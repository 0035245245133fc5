"""Problems, the catalogue of their codes, and the exit codes.

A problem is data (code, place, message, severity) so that a check can collect every problem in a
file instead of stopping at the first, and so that the CLI, the JSON output and the tests all see
the same thing. `docs/errors.md` lists this catalogue; a test keeps the two in step.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (docs/errors.md)."""

    OK = 0
    INVALID = 1  # the input is well-formed but invalid, or a --fail-under bar was not met
    BAD_INPUT = 2  # a file is missing or unreadable, a usage error, input that cannot be used
    INTERNAL = 3  # a bug in dtassess; the message asks for a report
    INTERRUPTED = 130  # Ctrl-C


# code -> short title. Q: questionnaire, R: responses, T: thresholds and targets, P: PDF
# rendering, F: files and references, I: imports of online-form exports, V: periods answered with
# different questionnaire versions, A: the results archive, D: the Dask engine, U: usage (options
# of a command that do not go together), C: settings (dtassess.toml, DTASSESS_*) and
# optional parts (extras).
CATALOGUE: dict[str, str] = {
    "Q001": "YAML syntax error",
    "Q002": "wrong type",
    "Q003": "missing field",
    "Q004": "unknown field",
    "Q005": "duplicate id",
    "Q006": "weight is not a positive number",
    "Q007": "option without a score",
    "Q008": "maturity scale out of order",
    "Q009": "missing translation",
    "Q010": "skip-logic condition does not parse",
    "Q011": "skip-logic condition names an unknown question",
    "Q012": "skip-logic condition refers to a later question",
    "Q013": "skip-logic conditions form a cycle",
    "Q014": "malformed id",
    "Q015": "value not allowed",
    "Q016": "level question does not match the scale",
    "Q017": "number bands out of order",
    "Q018": "score outside 0-1",
    "Q019": "duplicate key",
    "Q020": "empty dimension",
    "Q021": "reserved id",
    "Q022": "action moves an unknown question",
    "Q023": "action moves a question to an answer it cannot take",
    "Q024": "action condition does not parse or names an unknown question",
    "Q025": "action requires an unknown action",
    "Q026": "action prerequisites form a cycle",
    "Q027": "initiative missing or unknown",
    "Q028": "effort or duration in months is not a positive number",
    "Q029": "actions without moves cannot be projected",
    "Q030": "--by names no response field or question",
    "Q031": "--by names a question that cannot group respondents",
    "Q032": "a grouping the command does not take",
    "R001": "response file syntax error",
    "R002": "wrong type",
    "R003": "missing field",
    "R004": "unknown question",
    "R005": "value not among the options",
    "R006": "answer of the wrong type",
    "R007": "answer to a question that skip logic hides",
    "R008": "not applicable where the question does not allow it",
    "R009": "response names another questionnaire",
    "R010": "questionnaire changed since the response was recorded",
    "R011": "required question unanswered",
    "R012": "number outside the question's bounds",
    "R013": "exclusive option combined with others",
    "R014": "unknown field",
    "R015": "no response files found",
    "R016": "the same respondent answered twice",
    "R017": "duplicate key",
    "R018": "more problems than a file lists",
    "R019": "note or evidence under a hidden question",
    "T001": "threshold, target or date does not parse",
    "T002": "threshold or target names an unknown dimension",
    "P001": "no font for the report language",
    "P002": "unknown PDF variant",
    "P003": "PDF variant cannot carry the attachments",
    "P004": "charts cannot be drawn as pictures",
    "F001": "file not found or unreadable",
    "F002": "unknown questionnaire",
    "F003": "output file already exists",
    "F004": "template folder missing or incomplete",
    "F005": "template or branding error",
    "F006": "a PDF without dtassess results",
    "F007": "not a regular file",
    "F008": "input file too large",
    "F010": "a PDF's dtassess results cannot be used",
    "F012": "output is not a regular file",
    "F013": "output cannot be written",
    "F015": "the same file given twice",
    "F016": "standard output cannot take this output",
    "F017": "response file in use by another survey",
    "F018": "survey file cannot be written",
    "I001": "export cannot be read",
    "I002": "unknown column",
    "I003": "cell value not among the options",
    "I004": "cell value of the wrong type",
    "I005": "not applicable where the question does not allow it",
    "I006": "cell number outside the question's bounds",
    "I007": "exclusive option combined with others",
    "I008": "answer that skip logic hides",
    "I009": "two columns for the same question or field",
    "I010": "no organization",
    "I011": "mapping file error",
    "I012": "column without a header",
    "I013": "cell cannot be read",
    "I014": "column of a type that cannot be imported",
    "I015": "export too large to read",
    "I016": "column of personal data not imported",
    "I017": "more cells rejected than --max-rejected allows",
    "I018": "answers read as option numbers",
    "I019": "--mapping does not fit the exports",
    # X: forms written for other tools (dtassess form)
    "X001": "condition a form tool cannot express",
    "V001": "version map error",
    "V002": "version map does not fit the responses",
    "A001": "response without a period",
    "A002": "not a dtassess archive",
    "A003": "questionnaire does not match the archive",
    "A004": "respondent already archived with other answers",
    "A005": "period not in the archive",
    "D001": "input or option the Dask engine does not take",
    "D002": "the Dask cluster failed",
    "D003": "inputs changed during a Dask job",
    "U001": "options that cannot be given together",
    "U002": "an option that needs another",
    "U003": "--fail-on-drop without periods to compare",
    "C001": "settings file syntax error",
    "C002": "unknown setting",
    "C003": "setting of the wrong type or value",
    "C004": "unknown command or help topic",
    "C005": "environment variable that cannot be used",
    "C006": "an optional part of dtassess is not installed",
}


@dataclass(frozen=True)
class Problem:
    """One problem found in one place of one file."""

    code: str
    message: str
    path: str = ""
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    severity: str = "error"  # "error" | "warning"
    snippet: str | None = None  # source line and caret, for syntax errors

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise ValueError(f"unknown problem code {self.code}")

    @property
    def place(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self, code: bool = False) -> str:
        """`path:line:column: message`, the one shape every message takes; with `code`, the
        problem's code follows in brackets (`... [R005]`), as `validate` prints it.

        Control characters from the input (a unit holding an escape sequence that clears the
        screen, a carriage return that hides the start of a line) are shown escaped."""
        prefix = "warning: " if self.severity == "warning" else ""
        place = f"{self.place}: " if self.path or self.line is not None else ""
        text = visible(f"{place}{prefix}{self.message}")
        if code:
            text += f" [{self.code}]"
        if self.snippet:
            text += "\n" + "\n".join(visible(line) for line in self.snippet.split("\n"))
        return text

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class DtassessError(Exception):
    """Input that dtassess cannot use; carries the problems and the exit code to leave with."""

    def __init__(
        self, problems: Problem | Iterable[Problem], exit_code: ExitCode = ExitCode.BAD_INPUT
    ) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.exit_code = exit_code
        super().__init__("\n".join(p.format() for p in self.problems))


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """`text` with its control characters written as escapes (`\\x1b`), for a terminal."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


def shorten(text: str, limit: int = 60) -> str:
    """`text` as quoted in a message: control characters shown escaped, cut to `limit` characters.

    A cell or a value can be megabytes long or hold a newline that would forge a second message.
    """
    shown = "".join(
        ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text[: limit * 4]
    )
    if len(shown) > limit or len(text) > limit * 4:
        return shown[: limit - 1] + "…"
    return shown


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean ...?)' suffix naming the closest candidate, or ''."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
