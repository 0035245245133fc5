"""Response files: read them, check them against the questionnaire, and gather them into frames.

A response file holds one respondent's answers (docs/responses.md). Files are parsed with the fast
C loader; only a file that has a problem is parsed a second time with positions, so that the
message can say `path:line:column` without slowing down the thousands of files that are fine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DtassessError, ExitCode, Problem, did_you_mean, errors_only, shorten
from .conditions import NA
from .questionnaire import Question, Questionnaire, load_questionnaire, read_text
from .yamlsource import MAX_YAML_BYTES, SyntaxProblem, fast_load, load_with_marks

if TYPE_CHECKING:
    import pandas as pd

RESPONSE_SUFFIXES = (".yaml", ".yml", ".json")
META_COLUMNS = (
    "organization",
    "organization_name",
    "unit",
    "period",
    "respondent",
    "role",
    "source",
)
TOP_FIELDS = {
    "questionnaire",
    "questionnaire_hash",
    "organization",
    "unit",
    "period",
    "respondent",
    "answers",
    "position",  # where an interrupted survey stopped; kept for resuming
    "interview",  # the interviewer's notes, flagged questions and time per area (survey)
    "started",
    "updated",
}
ANSWER_FIELDS = {"value", "note", "evidence"}
REF_RE = re.compile(r"^([a-z0-9][a-z0-9_-]*)(?:@(.+))?$")
REF_LINE = re.compile(
    r"""^(?:questionnaire:[ \t]*["']?|[ \t{]*"questionnaire"[ \t]*:[ \t]*")"""
    r"""([a-z0-9][a-z0-9_-]*(?:@[\w.-]+)?)["']?[ \t]*(?:#.*)?,?$""",
    re.M,
)


@dataclass
class Response:
    """One respondent's answers, checked and in canonical form."""

    source: str
    questionnaire: str
    organization: str
    organization_name: str | None = None
    unit: str | None = None
    period: str | None = None
    respondent: str | None = None
    role: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ResponseSet:
    """Many responses to one questionnaire, as frames ready for the engine.

    `meta` has one row per respondent (META_COLUMNS); `answers` has the same index and one
    column per question holding canonical values (None when unanswered, "na" when not
    applicable, a tuple for multi-choice); `notes` is long: one row per note or evidence.
    """

    questionnaire: Questionnaire
    meta: pd.DataFrame
    answers: pd.DataFrame
    notes: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.meta)


# --------------------------------------------------------------------------- finding files


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, directories searched recursively for response files, sorted."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(
                sorted(
                    f for f in p.rglob("*") if f.suffix.lower() in RESPONSE_SUFFIXES and f.is_file()
                )
            )
        elif p.exists():
            found.append(p)
        else:
            raise DtassessError(Problem("F001", f"file not found: {p}", str(p)))
    if not found:
        raise DtassessError(
            Problem(
                "R015",
                "no response files found in "
                + ", ".join(str(p) for p in paths)
                + f" (looked for {', '.join(RESPONSE_SUFFIXES)})",
            )
        )
    return found


def parse_ref(ref: str) -> tuple[str, str | None]:
    m = REF_RE.match(ref.strip())
    if not m:
        return ref, None
    return m.group(1), m.group(2)


def questionnaire_ref_of(path: Path) -> str | None:
    """The questionnaire reference a response file gives (None when it gives none or cannot
    be read: checking the file reports why)."""
    try:
        text = read_text(path, limit=MAX_YAML_BYTES)
    except DtassessError:
        return None
    found = REF_LINE.search(text)
    if found:
        return found.group(1)
    try:
        data = fast_load(text, str(path))
    except (SyntaxProblem, DtassessError):
        return None
    ref = data.get("questionnaire") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) else None


def questionnaire_named_by(files: Sequence[Path]) -> Questionnaire:
    """The questionnaire that the response files name (they must all name the same one)."""
    refs: dict[str, Path] = {}
    unreadable: list[Problem] = []
    for path in files:
        try:
            text = read_text(path, limit=MAX_YAML_BYTES)
        except DtassessError as exc:
            unreadable.extend(exc.problems)
            continue
        # The reference is one line in every file a tool writes: find it without parsing
        # (thousands of files); anything unusual gets the full parse.
        found = REF_LINE.search(text)
        if found:
            refs.setdefault(found.group(1), path)
            continue
        try:
            data = fast_load(text, str(path))
        except SyntaxProblem as exc:
            unreadable.append(syntax_problem(exc, str(path)))
            continue
        except DtassessError as exc:
            unreadable.extend(exc.problems)
            continue
        ref = data.get("questionnaire") if isinstance(data, dict) else None
        if isinstance(ref, str):
            refs.setdefault(ref, path)
    ids = {parse_ref(r)[0] for r in refs}
    if not refs and unreadable:
        raise DtassessError(unreadable)
    if not refs:
        raise DtassessError(
            Problem(
                "R003",
                "the response files do not say which questionnaire they answer; add "
                "'questionnaire: gov-dt@1.0' to them or pass -q QUESTIONNAIRE",
                str(files[0]),
            )
        )
    if len(ids) > 1:
        listing = ", ".join(f"{r} ({p})" for r, p in refs.items())
        raise DtassessError(
            Problem(
                "R009",
                f"the response files name different questionnaires: {listing}; "
                "score each questionnaire's responses separately or pass -q",
            )
        )
    ref, path = next(iter(refs.items()))
    try:
        return load_questionnaire(ref)
    except DtassessError as exc:
        if exc.problems and exc.problems[0].code == "F002":
            raise DtassessError(
                Problem(
                    "F002",
                    f"{path} names questionnaire '{ref}', which is not bundled with dtassess; "
                    "pass its file with -q QUESTIONNAIRE",
                    str(path),
                )
            ) from None
        raise


# --------------------------------------------------------------------------- checking one file


# A file lists at most this many problems; one more line gives the count of the rest.
MAX_PROBLEMS_PER_FILE = 200


class _FileChecker:
    """Checks one parsed response; problems are kept as (code, data path, message, severity)."""

    def __init__(self, q: Questionnaire, data: Any, source: str) -> None:
        self.q = q
        self.data = data
        self.source = source
        self.found: list[tuple[str, tuple, str, str, bool]] = []
        self.more = 0  # problems past MAX_PROBLEMS_PER_FILE, counted, not listed
        self.more_errors = False

    def add(self, code: str, where: tuple, message: str, severity="error", key=False) -> None:
        if self.full:
            self.count_more(severity)
            return
        self.found.append((code, where, message, severity, key))

    @property
    def full(self) -> bool:
        """Whether the file has had its share of listed problems: a file of 25,000 wrong keys
        gets 200 lines and a count, not minutes of "did you mean" and 25,000 lines."""
        return len(self.found) >= MAX_PROBLEMS_PER_FILE

    def count_more(self, severity: str = "error") -> None:
        self.more += 1
        self.more_errors = self.more_errors or severity == "error"

    def run(self) -> Response | None:
        data = self.data
        if not isinstance(data, dict):
            self.add(
                "R002",
                (),
                "a response file must be a mapping with questionnaire, organization and answers",
            )
            return None
        for key in data:
            if key not in TOP_FIELDS:
                self.add(
                    "R014",
                    (key,),
                    f"unknown field '{key}'{did_you_mean(str(key), TOP_FIELDS)}",
                    key=True,
                )
        ref = self.questionnaire_ref(data)
        org_id, org_name = self.pair(data, "organization", "name", required=True)
        resp_id, role = self.pair(data, "respondent", "role", required=False)
        unit = self.scalar_text(data, "unit")
        period = self.scalar_text(data, "period")
        answers, notes = self.answers(data)
        self.interview(data)
        if errors_only(self.problems_preview()):
            return None
        return Response(
            source=self.source,
            questionnaire=ref or self.q.ref,
            organization=org_id or "",
            organization_name=org_name,
            unit=unit,
            period=period,
            respondent=resp_id or Path(self.source).stem,
            role=role,
            answers=answers,
            notes=notes,
        )

    def problems_preview(self) -> list[Problem]:
        return [Problem(c, m, severity=s) for c, _, m, s, _ in self.found]

    def questionnaire_ref(self, data: dict) -> str | None:
        ref = data.get("questionnaire")
        if ref is None:
            self.add(
                "R003",
                (),
                f"missing field 'questionnaire' (e.g. questionnaire: {self.q.ref})",
                key=True,
            )
            return None
        if not isinstance(ref, str):
            self.add("R002", ("questionnaire",), f"questionnaire must be text like '{self.q.ref}'")
            return None
        qid, version = parse_ref(ref)
        if qid != self.q.id:
            self.add(
                "R009",
                ("questionnaire",),
                f"this response answers questionnaire '{ref}', not '{self.q.ref}'",
            )
        elif version is not None and version != self.q.version:
            self.add(
                "R009",
                ("questionnaire",),
                f"this response answers version {version} of "
                f"'{qid}', the questionnaire is version {self.q.version}; answers are "
                "checked against the newer one (to compare periods answered with different "
                "versions, give --version-map: docs/scoring.md)",
                severity="warning",
            )
        recorded = data.get("questionnaire_hash")
        if isinstance(recorded, str) and recorded != self.q.hash:
            self.add(
                "R010",
                ("questionnaire_hash",),
                f"the questionnaire changed since this "
                f"response was recorded (hash {recorded}, now {self.q.hash}); check that "
                "the answers still mean what they meant",
                severity="warning",
            )
        return ref

    def pair(self, data: dict, name: str, second: str, required: bool):
        value = data.get(name)
        if value is None:
            if required:
                self.add(
                    "R003",
                    (),
                    f"missing field '{name}' (e.g. {name}: {{id: ..., {second}: ...}})",
                    key=True,
                )
            return None, None
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value), None
        if not isinstance(value, dict):
            self.add(
                "R002", (name,), f"{name} must be an id or a mapping {{id: ..., {second}: ...}}"
            )
            return None, None
        for key in value:
            if key not in ("id", second):
                self.add("R014", (name, key), f"{name}: unknown field '{key}'", key=True)
        ident = value.get("id")
        other = value.get(second)
        if ident is None or isinstance(ident, bool | dict | list):
            if required or ident is not None:
                self.add("R003", (name,), f"{name} needs an id")
            ident = None
        if other is not None and not isinstance(other, str | int | float):
            self.add("R002", (name, second), f"{name}.{second} must be text")
            other = None
        return (None if ident is None else str(ident)), (None if other is None else str(other))

    def interview(self, data: dict) -> None:
        """The full-screen survey's own record: checked for shape only, never scored."""
        value = data.get("interview")
        if value is None:
            return
        shape = "interview must be a mapping {notes: text, flagged: [question ids], elapsed: " \
            "{area id: seconds}}"  # fmt: skip
        if not isinstance(value, dict):
            self.add("R002", ("interview",), shape)
            return
        notes, flagged, elapsed = (value.get(k) for k in ("notes", "flagged", "elapsed"))
        good = (
            set(value) <= {"notes", "flagged", "elapsed"}
            and (notes is None or isinstance(notes, str))
            and (flagged is None or (isinstance(flagged, list) and all(
                isinstance(x, str) for x in flagged)))
            and (elapsed is None or (isinstance(elapsed, dict) and all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in elapsed.values())))
        )  # fmt: skip
        if not good:
            self.add("R002", ("interview",), shape)

    def scalar_text(self, data: dict, name: str) -> str | None:
        value = data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add("R002", (name,), f'{name} must be text, e.g. {name}: "2026"')
            return None
        return str(value)

    def answers(self, data: dict) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        raw = data.get("answers")
        if raw is None:
            if "answers" not in data:
                self.add(
                    "R003",
                    (),
                    "missing field 'answers' (a mapping of question id to answer)",
                    key=True,
                )
            return {}, {}
        if not isinstance(raw, dict):
            self.add("R002", ("answers",), "answers must be a mapping of question id to answer")
            return {}, {}
        answers: dict[str, Any] = {}
        notes: dict[str, dict[str, Any]] = {}
        for qid, given in raw.items():
            here: tuple = ("answers", qid)
            if not isinstance(qid, str) or not self.q.has_question(qid):
                ids = [q.id for q in self.q.questions]
                self.add(
                    "R004",
                    here,
                    f"unknown question '{shorten(str(qid))}'"
                    + ("" if self.full else did_you_mean(str(qid), ids)),
                    key=True,
                )
                continue
            question = self.q.question(qid)
            value = given
            if isinstance(given, dict):
                value = self.annotated(question, given, here, notes)
                here = (*here, "value")
            canonical = self.canonical(question, value, here)
            if canonical is not None:
                answers[qid] = canonical
        self.skip_logic(answers, raw)
        self.orphan_notes(answers, notes, raw)
        for question in self.q.questions:
            if question.required and question.id not in answers:
                self.add(
                    "R011",
                    ("answers",),
                    f"required question '{question.id}' is unanswered",
                    severity="warning",
                )
        return answers, notes

    def annotated(self, question: Question, given: dict, here: tuple, notes: dict) -> Any:
        for key in given:
            if key not in ANSWER_FIELDS:
                self.add(
                    "R014",
                    (*here, key),
                    f"answer to '{question.id}': unknown field "
                    f"'{key}'{did_you_mean(str(key), ANSWER_FIELDS)}",
                    key=True,
                )
        note = given.get("note")
        evidence = given.get("evidence")
        if note is not None and not isinstance(note, str):
            self.add("R002", (*here, "note"), f"answer to '{question.id}': note must be text")
            note = None
        if evidence is not None:
            if isinstance(evidence, str):
                evidence = [evidence]
            if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
                self.add(
                    "R002",
                    (*here, "evidence"),
                    f"answer to '{question.id}': evidence "
                    "must be a list of texts (file names, links, document numbers)",
                )
                evidence = None
        if note or evidence:
            notes[question.id] = {"note": note, "evidence": list(evidence or [])}
        return given.get("value")

    def canonical(self, question: Question, value: Any, here: tuple) -> Any:
        """The answer in canonical form, or None when unanswered or wrong (reported)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and value.strip().lower() == NA:
            if not question.allow_na:
                self.add(
                    "R008",
                    here,
                    f"question '{question.id}' does not allow 'na' (not "
                    "applicable); answer it, or leave it out to count it as unanswered",
                )
                return None
            return NA
        kind = question.type
        if kind == "text":
            if isinstance(value, dict | list):
                self.add("R006", here, f"question '{question.id}' expects text")
                return None
            return str(value)
        if kind == "number":
            return self.number(question, value, here)
        if kind == "boolean":
            if isinstance(value, bool):
                return "yes" if value else "no"
            if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
                return value.strip().lower()
            self.add("R006", here, f"question '{question.id}' expects yes or no, got {value!r}")
            return None
        if kind == "multi":
            items = value if isinstance(value, list) else [value]
            chosen = []
            for item in items:
                opt = question.match(item)
                if opt is None:
                    self.not_an_option(question, item, here)
                    return None
                if opt.value not in chosen:
                    chosen.append(opt.value)
            exclusive = [o.value for o in question.options if o.exclusive and o.value in chosen]
            if exclusive and len(chosen) > 1:
                self.add(
                    "R013",
                    here,
                    f"question '{question.id}': option "
                    f"{exclusive[0]!r} excludes the others; choose it alone",
                )
                return None
            order = [o.value for o in question.options]
            return tuple(sorted(chosen, key=order.index))
        if isinstance(value, list | dict):
            self.add(
                "R006",
                here,
                f"question '{question.id}' expects one choice, got a "
                f"{'list' if isinstance(value, list) else 'mapping'}",
            )
            return None
        opt = question.match(value)
        if opt is None:
            self.not_an_option(question, value, here)
            return None
        return opt.value

    def number(self, question: Question, value: Any, here: tuple) -> float | None:
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            big = isinstance(value, int) and value.bit_length() > 1023  # float() would overflow
            number = None if big else float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        # .inf passed a question without max and reached the scores; .nan is no number at all.
        if number is None or not math.isfinite(number):
            got = shorten(repr(value))
            self.add("R006", here, f"question '{question.id}' expects a number, got {got}")
            return None
        low = question.min
        if question.bands and (low is None or low < question.bands[0].min):
            low = question.bands[0].min
        if (low is not None and number < low) or (
            question.max is not None and number > question.max
        ):
            bounds = f"from {low:g}" if low is not None else ""
            if question.max is not None:
                bounds += f"{' ' if bounds else ''}up to {question.max:g}"
            self.add(
                "R012",
                here,
                f"question '{question.id}': {number:g} is outside the accepted range ({bounds})",
            )
            return None
        return number

    def not_an_option(self, question: Question, value: Any, here: tuple) -> None:
        allowed = [str(o.value) for o in question.options]
        self.add(
            "R005",
            here,
            f"question '{question.id}': {value!r} is not one of its options "
            f"({', '.join(allowed)}){did_you_mean(str(value), allowed)}",
        )

    def skip_logic(self, answers: dict[str, Any], raw: dict) -> None:
        """Answers to questions that skip logic hides are errors; they are also dropped so
        that conditions further on see what the survey would have seen."""
        for question in self.q.questions:
            if question.when is None or question.id not in answers:
                continue
            if not question.when.evaluate_one(answers):
                self.add(
                    "R007",
                    ("answers", question.id),
                    f"question '{question.id}' is "
                    f"hidden by its condition ({question.when.source}) given the other "
                    "answers, yet it has an answer; remove the answer or change the ones "
                    "it depends on",
                    key=True,
                )
                del answers[question.id]

    def orphan_notes(self, answers: dict[str, Any], notes: dict, raw: dict) -> None:
        """A note or evidence under a question that skip logic hides goes with its answer (R007
        already says so when there was one). A warning, so that the files an older survey wrote
        stay readable. A note under a question that is shown but unanswered is data ("don't
        know: the ledger is kept elsewhere") and stays."""
        for qid in list(notes):
            question = self.q.question(qid)
            if question.when is None or question.when.evaluate_one(answers):
                continue
            del notes[qid]
            given = raw.get(qid)
            if isinstance(given, dict) and not _empty(given.get("value")):
                continue
            self.add(
                "R019",
                ("answers", qid),
                f"question '{qid}' is hidden by its condition ({question.when.source}) given "
                "the other answers, yet it has a note or evidence; it is ignored: remove it or "
                "change the answers it depends on",
                severity="warning",
                key=True,
            )

    def problems(self, text: str) -> list[Problem]:
        """The problems with their places, parsing the file again only if there are any."""
        if not self.found:
            return []
        try:
            marked = load_with_marks(text, self.source)
        except SyntaxProblem:
            marked = None
        out = []
        for code, where, message, severity, key in self.found:
            line, col = marked.where(where, key=key) if marked else (None, None)
            out.append(Problem(code, message, self.source, line, col, severity))
        if self.more:
            out.append(
                Problem(
                    "R018",
                    f"{self.more} more problem(s) in this file are not listed (the first "
                    f"{MAX_PROBLEMS_PER_FILE} are); fix those and check it again",
                    self.source,
                    severity="error" if self.more_errors else "warning",
                )
            )
        return out


def _empty(value: Any) -> bool:
    """Unanswered as a file writes it: left out, null or empty text."""
    return value is None or (isinstance(value, str) and not value.strip())


def syntax_problem(exc: SyntaxProblem, source: str) -> Problem:
    """A response file that does not parse (R001), breaks a limit of YAML files (R001) or gives
    a key twice (R017)."""
    code = "R017" if exc.kind == "duplicate" else "R001"
    return Problem(code, exc.message, source, exc.line, exc.column, snippet=exc.snippet)


def read_response_data(path: Path) -> Any:
    """A response file's data, read with the same bounds as when it is checked."""
    try:
        return fast_load(read_text(path, limit=MAX_YAML_BYTES), str(path))
    except SyntaxProblem as exc:
        raise DtassessError(syntax_problem(exc, str(path))) from None


def check_response_text(
    text: str, source: str, q: Questionnaire
) -> tuple[Response | None, list[Problem]]:
    """Check one response given as text; returns the response when it has no error."""
    try:
        data = fast_load(text, source)
    except SyntaxProblem as exc:
        return None, [syntax_problem(exc, source)]
    checker = _FileChecker(q, data, source)
    response = checker.run()
    problems = checker.problems(text)
    return (None if errors_only(problems) else response), problems


def check_response_file(path: Path, q: Questionnaire) -> tuple[Response | None, list[Problem]]:
    try:
        text = read_text(path, limit=MAX_YAML_BYTES)
    except DtassessError as exc:
        return None, exc.problems
    return check_response_text(text, str(path), q)


# --------------------------------------------------------------------------- many files


def check_responses(
    paths: Iterable[str | Path],
    questionnaire: Questionnaire | str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Response], list[Problem], Questionnaire]:
    """Check every response file; returns the good responses and every problem found.

    `progress(done, total)` is called after each file (for a progress bar).
    """
    from .distinct import distinct_files

    files, problems = distinct_files(expand_paths(paths))
    q = _as_questionnaire(questionnaire, files)
    good: list[Response] = []
    seen: dict[tuple, str] = {}
    for number, (path, (response, found)) in enumerate(
        zip(files, _checked(files, q), strict=True), start=1
    ):
        if progress is not None:
            progress(number, len(files))
        problems.extend(found)
        if response is None:
            continue
        good.append(response)
        key = (response.organization, response.unit, response.period, response.respondent)
        if key in seen:
            where = " · ".join(str(k) for k in key if k)
            problems.append(
                Problem(
                    "R016",
                    f"respondent {where} also answered in {seen[key]}; both responses are "
                    "scored (give each respondent its own id if they are different people)",
                    str(path),
                    severity="warning",
                )
            )
        else:
            seen[key] = str(path)
    return good, problems, q


# Parsing YAML dominates reading many files; past this many, files are checked on every core.
PARALLEL_FILES = 1000
CHUNK_FILES = 250


def _check_chunk(job: tuple[Questionnaire, list[Path]]) -> list[tuple[Response | None, list]]:
    q, chunk = job
    return [check_response_file(path, q) for path in chunk]


def _checked(files: list[Path], q: Questionnaire) -> Iterator[tuple[Response | None, list]]:
    """Each file's (response, problems), in the files' order."""
    import os

    workers = min(os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_FILES or workers < 2:
        for path in files:
            yield check_response_file(path, q)
        return
    from ..pools import process_pool

    chunks = [files[i : i + CHUNK_FILES] for i in range(0, len(files), CHUNK_FILES)]
    with process_pool(workers) as pool:
        for results in pool.map(_check_chunk, [(q, chunk) for chunk in chunks]):
            yield from results


def load_responses(
    paths: Iterable[str | Path],
    questionnaire: Questionnaire | str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ResponseSet:
    """Load response files (or directories of them) into a ResponseSet.

    Raises DtassessError listing every error in every file; warnings are kept in `.problems`.
    """
    good, problems, q = check_responses(paths, questionnaire, progress)
    errors = errors_only(problems)
    if errors:
        raise DtassessError(errors, ExitCode.BAD_INPUT)
    return responses_to_frames(q, good, problems)


def _as_questionnaire(q: Questionnaire | str | Path | None, files: Sequence[Path]) -> Questionnaire:
    if isinstance(q, Questionnaire):
        return q
    if q is None:
        return questionnaire_named_by(files)
    return load_questionnaire(q)


def responses_to_frames(
    q: Questionnaire, responses: Sequence[Response], problems: list[Problem] | None = None
) -> ResponseSet:
    import pandas as pd

    meta = pd.DataFrame(
        {
            "organization": [r.organization for r in responses],
            "organization_name": [r.organization_name for r in responses],
            "unit": [r.unit for r in responses],
            "period": [r.period for r in responses],
            "respondent": [r.respondent for r in responses],
            "role": [r.role for r in responses],
            "source": [r.source for r in responses],
        },
        dtype=object,
    )
    columns = {
        question.id: pd.Series([r.answers.get(question.id) for r in responses], dtype=object)
        for question in q.questions
    }
    answers = pd.DataFrame(columns, index=meta.index)
    rows = [
        (i, qid, note.get("note"), tuple(note.get("evidence") or ()))
        for i, r in enumerate(responses)
        for qid, note in r.notes.items()
    ]
    notes = pd.DataFrame(rows, columns=["row", "question", "note", "evidence"])
    return ResponseSet(q, meta, answers, notes, list(problems or []))


def concat_sets(q: Questionnaire, sets: Sequence[ResponseSet]) -> ResponseSet:
    """Several ResponseSets of one questionnaire as one."""
    import numpy as np
    import pandas as pd

    if len(sets) == 1:
        return sets[0]
    if not sets:
        return responses_to_frames(q, [])
    meta = pd.concat([s.meta for s in sets], ignore_index=True)
    answers = pd.DataFrame(
        {x.id: _concat_answers([s.answers.get(x.id) for s in sets], sets) for x in q.questions},
        index=pd.RangeIndex(len(meta)),
    )
    offsets = np.cumsum([0] + [len(s) for s in sets[:-1]])
    notes = pd.concat(
        [s.notes.assign(row=s.notes["row"] + off) for s, off in zip(sets, offsets, strict=True)],
        ignore_index=True,
    )
    problems = [p for s in sets for p in s.problems]
    return ResponseSet(q, meta, answers, notes, problems)


def _concat_answers(parts: list[Any], sets: Sequence[ResponseSet]) -> Any:
    """One question's answers from several sets (None for a set without the column).

    Exports give categorical columns (numbers: floats), kept as such: a union of categories
    and codes is a few megabytes where objects for ten million answers take seconds to make.
    Any other mix (response files give objects) becomes objects, None for no answer."""
    import numpy as np
    import pandas as pd

    if all(isinstance(p, pd.Series) and isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
        try:
            union = pd.api.types.union_categoricals(parts, ignore_order=True)
        except TypeError:  # categories of different types
            pass
        else:
            return union
    if all(isinstance(p, pd.Series) and p.dtype.kind == "f" for p in parts):
        return np.concatenate([p.to_numpy() for p in parts])
    columns = []
    for part, responses in zip(parts, sets, strict=True):
        if part is None:
            columns.append(np.full(len(responses), None, dtype=object))
        else:
            values = part.to_numpy(dtype=object, copy=True)
            values[pd.isna(values)] = None
            columns.append(values)
    return np.concatenate(columns) if columns else np.zeros(0, dtype=object)


def subset(responses: ResponseSet, rows: Sequence[int] | Any) -> ResponseSet:
    """The responses at positions `rows`, in that order, with their notes."""
    import numpy as np

    index = np.asarray(rows, dtype=np.int64)
    where = {int(r): i for i, r in enumerate(index)}
    notes = responses.notes[responses.notes["row"].isin(where)]
    return ResponseSet(
        responses.questionnaire,
        responses.meta.iloc[index].reset_index(drop=True),
        responses.answers.iloc[index].reset_index(drop=True),
        notes.assign(row=notes["row"].map(where)).reset_index(drop=True),
        list(responses.problems),
    )


def check_answer(q: Questionnaire, question: Question, value: Any) -> tuple[Any, str | None]:
    """One answer in canonical form, or None and the reason it is not acceptable.

    The terminal survey checks each typed answer with the same rules as a response file.
    """
    canonical, _, reason = check_answer_coded(q, question, value)
    return canonical, reason


def check_answer_coded(
    q: Questionnaire, question: Question, value: Any
) -> tuple[Any, str | None, str | None]:
    """Like `check_answer`, with the response problem code (R005, R006 ...) of a refusal."""
    checker = _FileChecker(q, {}, "")
    canonical = checker.canonical(question, value, ())
    if checker.found:
        return None, checker.found[0][0], checker.found[0][2]
    return canonical, None, None
