"""The terminal survey: ask a questionnaire's questions and never lose an answer.

`Survey` holds the state (answers, notes, where we are) and knows the rules: which questions skip
logic shows, where "back" goes, what a typed answer means. `run_survey` is the conversation
around it. After every answer the response file is written atomically with the position reached,
so Ctrl-C, a closed input or a killed process loses at most the answer being typed, and the same
command resumes where it stopped. The file itself (probe, lock, backup, atomic save) is
`surveyfile.SurveyFile`'s business, so that another front end can reuse it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DtassessError, Problem
from .inputs.conditions import NA
from .inputs.questionnaire import Dimension, Question, Questionnaire, localize
from .inputs.responses import check_answer, check_response_file
from .labels import by_language
from .surveyfile import SurveyFile

KEYS = ("?", "b", "s", "n", "c", "q")
# The texts live in dtassess/labels.py with every other language\'s; the name stays for readers.
WORDS = by_language("survey")


class Interrupted(Exception):
    """Ctrl-C or end of input: the caller saves and says how to resume."""


# --------------------------------------------------------------------------- the state


@dataclass
class Survey:
    q: Questionnaire
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    position: str | None = None  # id of the question being asked
    history: list[str] = field(default_factory=list)  # questions shown, for "back"
    started: str = ""
    finished: bool = False
    # The interviewer's own record (docs/responses.md, `interview`): notes, flagged question ids
    # and seconds spent per area; the full-screen survey keeps it.
    interview: dict[str, Any] = field(default_factory=dict)
    store: SurveyFile | None = field(default=None, repr=False, compare=False)
    # The file's content as last written (or read), without its time stamp: nothing is written
    # until the state differs from it. None: the next save writes.
    written: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def visible(self) -> list[Question]:
        """Questions skip logic shows, given the answers; hidden answers count as none."""
        seen: dict[str, Any] = {}
        shown = []
        for question in self.q.questions:
            if question.when is None or question.when.evaluate_one(seen):
                shown.append(question)
                if question.id in self.answers:
                    seen[question.id] = self.answers[question.id]
        return shown

    def drop_hidden(self) -> list[Question]:
        """Remove the answers of questions that skip logic now hides, with their notes and
        evidence; return those questions."""
        shown = {x.id for x in self.visible()}
        gone = [
            x
            for x in self.q.questions
            if (x.id in self.answers or x.id in self.notes) and x.id not in shown
        ]
        for question in gone:
            self.answers.pop(question.id, None)
            self.notes.pop(question.id, None)
        return gone

    def current(self) -> Question | None:
        if self.finished:
            return None
        shown = self.visible()
        if self.position is None:
            return shown[0] if shown else None
        ids = [x.id for x in shown]
        if self.position in ids:
            return shown[ids.index(self.position)]
        # The question we were on became hidden: go on with the next shown one.
        order = [x.id for x in self.q.questions]
        after = order.index(self.position) if self.position in order else -1
        return next((x for x in shown if order.index(x.id) > after), None)

    def advance(self) -> Question | None:
        here = self.current()
        if here is None:
            return None
        self.history.append(here.id)
        shown = self.visible()
        ids = [x.id for x in shown]
        index = ids.index(here.id) if here.id in ids else -1
        nxt = shown[index + 1] if index + 1 < len(shown) else None
        self.position = nxt.id if nxt else None
        self.finished = nxt is None
        return nxt

    def back(self) -> bool:
        shown = {x.id for x in self.visible()}
        while self.history:
            previous = self.history.pop()
            if previous in shown:
                self.position = previous
                self.finished = False
                return True
        return False

    def progress(self) -> tuple[int, int]:
        shown = [x.id for x in self.visible()]
        here = self.current()
        index = shown.index(here.id) + 1 if here is not None else len(shown)
        return index, len(shown)

    def document(self) -> dict[str, Any]:
        """The response file's content (docs/responses.md), position included."""
        organization = {"id": self.meta.get("organization") or ""}
        if self.meta.get("organization_name"):
            organization["name"] = self.meta["organization_name"]
        respondent = {"id": self.meta.get("respondent") or self.path.stem}
        if self.meta.get("role"):
            respondent["role"] = self.meta["role"]
        doc: dict[str, Any] = {
            "questionnaire": self.q.ref,
            "questionnaire_hash": self.q.hash,
            "organization": organization,
        }
        if self.meta.get("unit"):
            doc["unit"] = self.meta["unit"]
        if self.meta.get("period"):
            doc["period"] = str(self.meta["period"])
        doc["respondent"] = respondent
        answers: dict[str, Any] = {}
        for question in self.q.questions:
            if question.id not in self.answers and question.id not in self.notes:
                continue
            value = self.answers.get(question.id)
            if isinstance(value, tuple):
                value = list(value)
            note = self.notes.get(question.id)
            if note:
                entry = {"value": value} if question.id in self.answers else {}
                if note.get("note"):
                    entry["note"] = note["note"]
                if note.get("evidence"):
                    entry["evidence"] = list(note["evidence"])
                answers[question.id] = entry
            else:
                answers[question.id] = value
        doc["answers"] = answers
        doc["position"] = "done" if self.finished else self.position
        interview = {k: v for k, v in self.interview.items() if v}
        if interview:
            doc["interview"] = interview
        doc["started"] = self.started
        doc["updated"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        return doc

    def save(self) -> bool:
        """Write the file if the state changed since it was last written; True if written."""
        import yaml

        doc = self.document()
        state = _state(doc)
        if state == self.written:
            return False
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=False)
        if self.store is None:
            self.store = SurveyFile(self.path)
        self.store.save(text, len(self.answers))
        self.written = state
        return True

    def mark_written(self) -> None:
        """Take the state as what the file holds: a save writes only once it changes."""
        self.written = _state(self.document())

    def last_answered(self) -> str | None:
        for qid in reversed(self.history):
            if qid in self.answers:
                return qid
        return None


def _state(doc: dict[str, Any]) -> dict[str, Any]:
    """What a save compares: the content without its time stamp and without the time spent,
    which changes every second but is no reason to write a file on its own."""
    state = {k: v for k, v in doc.items() if k != "updated"}
    if isinstance(state.get("interview"), dict):
        state["interview"] = {k: v for k, v in state["interview"].items() if k != "elapsed"}
    return state


def load_survey(q: Questionnaire, path: Path, store: SurveyFile | None = None) -> Survey:
    """A survey resumed from its response file (checked like any response file)."""
    response, problems = check_response_file(path, q)
    errors = [p for p in problems if p.severity == "error"]
    if response is None or errors:
        raise DtassessError(errors or problems)
    from .inputs.responses import read_response_data

    raw = read_response_data(path) or {}
    survey = Survey(
        q,
        path,
        meta={
            "organization": response.organization,
            "organization_name": response.organization_name,
            "unit": response.unit,
            "period": response.period,
            "respondent": response.respondent,
            "role": response.role,
        },
        answers=dict(response.answers),
        notes={k: dict(v) for k, v in response.notes.items()},
        started=str(raw.get("started") or ""),
        store=store,
    )
    if isinstance(raw.get("interview"), dict):
        survey.interview = dict(raw["interview"])
    position = raw.get("position")
    shown = [x.id for x in survey.visible()]
    if position == "done":
        survey.finished = True
        survey.position = None
        survey.history = list(shown)
    elif isinstance(position, str) and q.has_question(position):
        survey.position = position
        order = [x.id for x in q.questions]
        survey.history = [x for x in shown if order.index(x) < order.index(position)]
    else:
        # No position recorded: continue after the last answered question.
        answered = [x for x in shown if x in survey.answers]
        survey.position = answered[-1] if answered else None
        if answered:
            survey.history = shown[: shown.index(answered[-1])]
            survey.advance()
    # A note a file kept under a hidden question (older versions left them) goes at the next
    # save: the baseline is what the file holds, not what was understood of it.
    survey.drop_hidden()
    survey.written = _state(raw)
    return survey


# --------------------------------------------------------------------------- reading answers


def parse_typed(
    q: Questionnaire, question: Question, text: str, lang: str
) -> tuple[Any, str | None]:
    """What a typed line means for a question: (answer, None) or (None, what is wrong)."""
    words = WORDS.get(lang, WORDS["en"])
    text = text.strip()
    if question.type != "text":
        # Full-width digits and signs from a Chinese input method (８５％, ３．) read as ASCII.
        text = unicodedata.normalize("NFKC", text).strip()
    if question.type in ("level", "likert", "single", "boolean"):
        options = list(question.options)
        if not text:
            return None, words["choose"]
        # "3." or "3、" as a list is numbered on paper
        text = re.sub(r"^(\d+)[.、]$", r"\1", text)
        if re.fullmatch(r"\d+", text) and 1 <= int(text) <= len(options):
            return options[int(text) - 1].value, None
        match = question.match(text) if text else None
        if match is None and question.type == "boolean":
            lowered = text.lower()
            if lowered in ("y", "yes", "是"):
                return "yes", None
            if lowered in ("n", "no", "否"):
                return "no", None
        if match is not None:
            return match.value, None
        return None, words["bad_choice"].format(text or "—") + " " + words["choose"]
    if question.type == "multi":
        parts = [p for p in re.split(r"[,\s，、]+", text) if p]
        chosen = []
        for part in parts:
            if re.fullmatch(r"\d+", part) and 1 <= int(part) <= len(question.options):
                chosen.append(question.options[int(part) - 1].value)
            elif (option := question.match(part)) is not None:
                chosen.append(option.value)
            else:
                return None, words["bad_choice"].format(part) + " " + words["choose_many"]
        if not chosen:
            return None, words["choose_many"]
        alone = [o for o in question.options if o.exclusive and o.value in chosen]
        if alone and len(set(chosen)) > 1:
            return None, words["exclusive"].format(localize(alone[0].label, lang))
        return check_answer(q, question, chosen)
    if question.type == "number":
        if not text:
            # check_answer reads "" as no answer: Enter would skip, even a required question.
            return None, words["number"]
        if text.endswith("%") and localize(question.unit, lang).strip() in ("%", "％"):
            text = text[:-1].strip()  # "85%" on a percent question is 85
        value, error = check_answer(q, question, text)
        if error:
            # check_answer speaks English and names the question id: say it in the survey's words.
            hint = _range_hint(question, lang)
            return None, words["bad_number"].format(text) + (f" ({hint})" if hint else "")
        return value, None
    return (text, None) if text else (None, words["text"])


def split_evidence(text: str) -> list[str]:
    """Evidence typed on one line: split on ';' and the full-width '；' of a Chinese input
    method; empty parts dropped."""
    return [part.strip() for part in re.split(r"[;；]", text) if part.strip()]


def answer_in_words(question: Question, value: Any, lang: str) -> str:
    words = WORDS.get(lang, WORDS["en"])
    if value is None:
        return words["skipped"]
    if value == NA:
        return words["na"]
    if question.type == "multi":
        labels = [localize(o.label, lang) for v in value if (o := question.match(v))]
        return "; ".join(labels)
    if question.type in ("level", "likert", "single", "boolean"):
        option = question.match(value)
        return localize(option.label, lang) if option else str(value)
    if question.type == "number":
        unit = localize(question.unit, lang)
        return f"{value:g}{(' ' + unit) if unit else ''}"
    return str(value)


# --------------------------------------------------------------------------- the conversation


@dataclass
class Terminal:
    """Where the survey writes and reads; tests and scripts give their own."""

    console: Any
    read: Callable[[str], str]
    interactive: bool


def run_survey(
    q: Questionnaire,
    path: Path,
    terminal: Terminal,
    lang: str,
    meta: dict[str, Any],
    resume: bool | None = None,
) -> Survey:
    """Run the whole survey; raises Interrupted after saving when the user stops it.

    The file is checked and locked before anything is asked (DtassessError F017/F018), and
    nothing is written until there is something to write.
    """
    words = WORDS.get(lang, WORDS["en"])
    with SurveyFile(path) as store:
        survey = _open(q, store, terminal, words, meta, resume)
        try:
            _ask_meta(survey, terminal, words)
            survey.save()
            _walk(survey, terminal, lang, words)
            _review(survey, terminal, lang, words)
        except (KeyboardInterrupt, EOFError):
            survey.save()
            _say_where(store, terminal.console, words)
            raise Interrupted from None
    return survey


def _say_where(store: SurveyFile, console, words: dict[str, str]) -> None:
    console.print()
    if store.saves:
        console.print(words["saved"].format(store.path), markup=False)
    elif store.path.exists():
        console.print(words["unchanged"].format(store.path), markup=False)
    else:
        console.print(words["nothing_saved"], markup=False)
        return
    console.print(words["resume_how"].format(store.path), markup=False)


def _open(q, store: SurveyFile, terminal, words, meta, resume) -> Survey:
    """The survey to run: resumed from the file, or started again only once the user agrees
    to discard the answers the file holds (which are then kept as FILE.bak)."""
    path = store.path
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    fresh = Survey(q, path, meta={k: v for k, v in meta.items() if v}, started=now, store=store)
    first = fresh.current()
    fresh.position = first.id if first is not None else None  # where the walk starts anyway
    fresh.mark_written()
    if not path.exists():
        return fresh
    if resume is None and not terminal.interactive:
        raise DtassessError(
            Problem(
                "F003",
                f"{path} already exists; pass --resume to continue it or --restart to "
                f"start again (the old file is then kept as {store.backup_path.name})",
                str(path),
            )
        )
    try:
        if resume:
            return load_survey(q, path, store)
        old: Survey | None = None
        if resume is None:
            old = load_survey(q, path, store)
            reply = terminal.read(words["resume"].format(path, len(old.answers)))
            if reply.strip().lower() not in ("n", "no", "否"):
                return old
        if not _discard_agreed(q, store, terminal, words, old):
            terminal.console.print(words["kept"], markup=False)
            return old or load_survey(q, path, store)
    except (KeyboardInterrupt, EOFError):
        raise Interrupted from None
    store.backup_first = True
    terminal.console.print(words["backup"].format(store.backup_path), markup=False)
    return fresh


def _discard_agreed(q, store: SurveyFile, terminal, words, old: Survey | None) -> bool:
    """Whether to start again over the file; asked in a terminal when it holds answers."""
    if not terminal.interactive:
        return True  # --restart with piped input: the option is the answer
    if old is None:
        response, _ = check_response_file(store.path, q)
        count = None if response is None else len(set(response.answers) | set(response.notes))
    else:
        count = len(set(old.answers) | set(old.notes))
    if count == 0:
        return True
    if count is None:
        prompt = words["discard_unread"].format(store.path, store.backup_path.name)
    else:
        prompt = words["discard"].format(store.path, count, store.backup_path.name)
    return terminal.read(prompt).strip().lower() in ("y", "yes", "是")


META_FIELDS = (
    ("organization", True),
    ("organization_name", False),
    ("unit", False),
    ("respondent", False),
    ("role", False),
    ("period", False),
)


def missing_meta(survey: Survey) -> list[tuple[str, bool]]:
    """The respondent's details still to ask, (field, required), in the order they are asked."""
    # A file saved at the organization prompt holds an empty id: it is asked again.
    return [
        (key, required)
        for key, required in META_FIELDS
        if not (survey.meta.get(key) or (key in survey.meta and not required))
    ]


def _ask_meta(survey: Survey, terminal: Terminal, words: dict[str, str]) -> None:
    for key, required in missing_meta(survey):
        while True:
            value = terminal.read(f"{words[key]}: ").strip()
            if value or not required:
                break
        survey.meta[key] = value or None


# What a key did to the question on the screen.
STAY, NEXT, BACK = "stay", "next", "back"


def _respond(survey: Survey, question: Question, typed: str, terminal: Terminal, lang: str,
             words: dict[str, str], note_for: str | None) -> str:  # fmt: skip
    """Act on one line typed at a question: the same keys in the walk and in the review.

    Returns STAY (ask again), NEXT (answered, skipped or kept) or BACK; `q` saves and raises
    KeyboardInterrupt. `c` adds a note to `note_for`.
    """
    console = terminal.console
    key = typed.strip().lower()
    if key == "?":
        console.print(words["keys"], markup=False)
        if question.help:
            console.print(f"{words['help']}: {localize(question.help, lang)}", markup=False)
        return STAY
    if key == "q":
        survey.save()
        raise KeyboardInterrupt
    if key == "b":
        return BACK
    if key == "c":
        _note(survey, terminal, words, note_for)
        return STAY
    if key == "" and question.id in survey.answers:
        return NEXT  # Enter keeps the answer shown
    if key == "s":
        if question.required:
            console.print(words["required"], style="yellow", markup=False)
            return STAY
        survey.answers.pop(question.id, None)
        return NEXT
    # On a yes/no question "n" is the answer no; "na" is not applicable on every question.
    if key == "na" or (key == "n" and question.type not in ("text", "boolean")):
        if not question.allow_na:
            console.print(words["not_na"], style="yellow", markup=False)
            return STAY
        survey.answers[question.id] = NA
        return NEXT
    value, error = parse_typed(survey.q, question, typed, lang)
    if error:
        console.print(error, style="yellow", markup=False)
        return STAY
    survey.answers[question.id] = value
    return NEXT


def _walk(survey: Survey, terminal: Terminal, lang: str, words: dict[str, str]) -> None:
    console = terminal.console
    shown_dimension: str | None = None
    console.print(words["keys"], style="dim", markup=False)
    while True:
        question = survey.current()
        if question is None:
            survey.finished = True
            survey.position = None
            survey.save()
            return
        survey.position = question.id
        if question.dimension != shown_dimension:
            _introduce(survey.q, question.dimension, console, lang)
            shown_dimension = question.dimension
        _show(survey, question, console, lang)
        while True:
            typed = terminal.read("> ")
            done = _respond(survey, question, typed, terminal, lang, words, survey.last_answered())
            if done == STAY:
                continue
            if done == BACK:
                if not survey.back():
                    console.print(words["first"], style="yellow", markup=False)
                    continue
                survey.save()
                break
            _after_answer(survey, console, lang, words)
            break


def _after_answer(survey: Survey, console, lang: str, words: dict[str, str]) -> None:
    _say_removed(survey, console, lang, words)
    survey.advance()
    survey.save()


def _say_removed(survey: Survey, console, lang: str, words: dict[str, str]) -> None:
    noted = set(survey.notes)
    for gone in survey.drop_hidden():
        said = words["removed_note" if gone.id in noted else "removed"]
        console.print(said.format(localize(gone.text, lang)), style="yellow", markup=False)


def _introduce(q: Questionnaire, dimension_id: str, console, lang: str) -> None:
    from rich.rule import Rule

    dim = q.node(dimension_id)
    path = []
    node: Dimension | None = dim
    while node is not None:
        path.append(localize(node.title, lang))
        node = q.node(node.parent) if node.parent else None
    console.print()
    console.print(Rule(" · ".join(reversed(path)), style="cyan"))
    if dim.description:
        console.print(localize(dim.description, lang), style="dim", markup=False)


def _show(survey: Survey, question: Question, console, lang: str) -> None:
    from rich.text import Text

    index, total = survey.progress()
    width = 20
    done = round(width * (index - 1) / max(total, 1))
    line = Text()
    line.append(f"{index} / {total}  ", style="bold")
    line.append("█" * done + "░" * (width - done), style="cyan")
    line.append(f"  {survey.q.title_of(question.dimension, lang)}", style="dim")
    console.print()
    console.print(line)
    heading = Text(localize(question.text, lang), style="bold")
    if question.required:
        heading.append(f"  {WORDS.get(lang, WORDS['en'])['required_mark']}", style="bold red")
    console.print(heading)
    if question.help:
        console.print(Text(localize(question.help, lang), style="dim"))
    current = survey.answers.get(question.id)
    if question.type in ("level", "likert", "single", "boolean", "multi"):
        from rich.table import Table

        chosen = set(current) if isinstance(current, tuple) else {current}
        # A grid, so that a long label wraps under itself (hanging indent) instead of leaving its
        # number alone on a line (a Chinese label is one long "word" to the wrapper).
        options = Table.grid(padding=(0, 1))
        options.add_column(justify="right", no_wrap=True)
        options.add_column(overflow="fold")
        for number, option in enumerate(question.options, start=1):
            mark = "*" if option.value in chosen else " "
            options.add_row(Text(f" {mark}{number}."), Text(localize(option.label, lang)))
        console.print(options)
    elif question.type == "number":
        hint = _range_hint(question, lang)
        if hint:
            console.print(Text(f" ({hint})", style="dim"))
    if current is not None:
        shown = answer_in_words(question, current, lang)
        console.print(Text(f" = {shown}", style="green"))


def _range_hint(question: Question, lang: str) -> str:
    """What a number question accepts ("range: ≥ 0 ≤ 100 %"); "" without bounds or unit."""
    bounds = []
    low = question.min if question.min is not None else None
    if question.bands and (low is None or low < question.bands[0].min):
        low = question.bands[0].min
    if low is not None:
        bounds.append(f"≥ {low:g}")
    if question.max is not None:
        bounds.append(f"≤ {question.max:g}")
    unit = localize(question.unit, lang)
    hint = WORDS.get(lang, WORDS["en"])["range"]
    return f"{hint}: {' '.join(bounds)} {unit}".rstrip() if bounds or unit else ""


def _note(survey: Survey, terminal: Terminal, words: dict[str, str], qid: str | None) -> None:
    if qid is None or qid not in survey.answers:
        terminal.console.print(words["no_last"], style="yellow", markup=False)
        return
    note = terminal.read(f"{words['note']}: ").strip()
    evidence = split_evidence(terminal.read(f"{words['evidence']}: "))
    entry = survey.notes.setdefault(qid, {"note": None, "evidence": []})
    if note:
        entry["note"] = note
    entry["evidence"] = [*entry.get("evidence", []), *[e for e in evidence if e]]
    survey.save()


def _review(survey: Survey, terminal: Terminal, lang: str, words: dict[str, str]) -> None:
    """The table of answers; a number opens that question again. The file stays "done"
    meanwhile, so a survey quit from here resumes here."""
    from rich.table import Table

    console = terminal.console
    while True:
        shown = survey.visible()
        table = Table(title=words["review"], title_justify="left")
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column(words["question"], overflow="fold", ratio=3)
        table.add_column(words["answer"], overflow="fold", ratio=2)
        for number, question in enumerate(shown, start=1):
            table.add_row(
                str(number),
                localize(question.text, lang),
                answer_in_words(question, survey.answers.get(question.id), lang),
            )
        console.print(table)
        while True:
            typed = terminal.read(f"{words['change']}: ").strip()
            key = typed.lower()
            if key == "?":
                console.print(words["review_keys"], markup=False)
            elif key == "q":
                survey.save()
                raise KeyboardInterrupt
            elif key == "c":
                _note(survey, terminal, words, survey.last_answered())
            elif key == "b" and shown:
                typed = str(len(shown))
                break
            elif not typed or (re.fullmatch(r"\d+", typed) and 1 <= int(typed) <= len(shown)):
                break
            else:
                console.print(words["bad_choice"].format(typed), style="yellow", markup=False)
        if not typed:
            break
        _walk_one(survey, shown[int(typed) - 1], terminal, lang, words)
    survey.finished = True
    survey.position = None
    survey.save()
    console.print(words["done"], style="green", markup=False)


def _walk_one(survey, question, terminal, lang, words) -> None:
    """Ask one question again from the review, then any question its answer reveals.

    The keys are those of the walk; `b` goes back to the table, Enter keeps the answer shown.
    """
    _show(survey, question, terminal.console, lang)
    while True:
        typed = terminal.read("> ")
        done = _respond(survey, question, typed, terminal, lang, words, question.id)
        if done == BACK:
            return
        if done == NEXT:
            break
    _say_removed(survey, terminal.console, lang, words)
    survey.save()
    # Questions the new answer reveals are asked now, in order.
    for newly in survey.visible():
        if (
            newly.id not in survey.answers
            and newly.when is not None
            and newly.when.names
            and (question.id in newly.when.names)
        ):
            _walk_one(survey, newly, terminal, lang, words)
