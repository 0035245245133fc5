"""The question on the screen: what the full-screen survey shows and the keys that answer it.

`AskScreen` asks one question (the walk's main screen and the review's editor both are one);
`QuestionPanel` shows its text, help and options with their anchors and scrolls when they are
long; `NoteScreen` takes its note and evidence. The app (survey_app.py) saves what they change.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from .inputs.conditions import NA
from .inputs.questionnaire import Question, Questionnaire, localize
from .labels import by_language
from .survey import Survey, _range_hint, answer_in_words, parse_typed, split_evidence
from .survey_wrap import Wrapped

APP_WORDS = by_language("survey_app")
CHOICE = ("level", "likert", "single", "boolean")
NA_KEY = "x"
MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90%; max-width: 100; height: auto; max-height: 90%;
    border: round $accent; padding: 0 1; background: $surface;
}}
{name} VerticalScroll {{ height: auto; max-height: 16; }}
"""


# --------------------------------------------------------------------------- what the app knows


def area_of(q: Questionnaire, dimension: str) -> str:
    """The top-level dimension (the area) a dimension sits in."""
    node = q.node(dimension)
    while node.parent:
        node = q.node(node.parent)
    return node.id


def path_title(q: Questionnaire, dimension: str, lang: str) -> str:
    titles = []
    node = q.node(dimension)
    while True:
        titles.append(localize(node.title, lang))
        if not node.parent:
            break
        node = q.node(node.parent)
    return " · ".join(reversed(titles))


def would_hide(survey: Survey, qid: str, value: Any) -> list[Question]:
    """The questions with an answer or a note that answering `qid` with `value` would hide."""
    answers = dict(survey.answers)
    if value is None:
        answers.pop(qid, None)
    else:
        answers[qid] = value
    shown = {x.id for x in Survey(survey.q, survey.path, answers=answers).visible()}
    kept = set(survey.answers) | set(survey.notes)
    return [x for x in survey.q.questions if x.id in kept and x.id not in shown and x.id != qid]


def clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else f"{rest // 60:02d}:{rest % 60:02d}"
    )


def key_bar(words: dict[str, str], pairs: list[tuple[str, str]], width: int = 0) -> Text:
    """The keys and what they do; lines break between two keys, never inside one."""
    from rich.cells import cell_len

    bar = Text()
    used = 0
    for key, what in pairs:
        cells = cell_len(f"{key} {words[what]}  ")
        if width and used and used + cells > width + 2:
            bar.append("\n")
            used = 0
        bar.append(key, style="bold reverse")
        bar.append(f" {words[what]}  ")
        used += cells
    bar.rstrip()
    return bar


# --------------------------------------------------------------------------- the question


class QuestionPanel(VerticalScroll):
    """The question, its help, its options with their anchors: scrolls when it is long."""

    def compose(self) -> ComposeResult:
        yield Static(id="text")
        yield Static(id="help")
        yield Static(id="options")

    def show(self, app: Any, question: Question, ticked: set | None) -> None:
        lang, words = app.lang, app.words
        text = Text(localize(question.text, lang), style="bold")
        if question.required:
            text.append(f"  {words['required_mark']}", style="bold red")
        self.query_one("#text", Static).update(Wrapped(text))
        helper = self.query_one("#help", Static)
        helper.update(Wrapped(localize(question.help, lang), "dim") if question.help else "")
        helper.display = question.help is not None
        self.query_one("#options", Static).update(options_grid(app, question, ticked))


def options_grid(app: Any, question: Question, ticked: set | None) -> Any:
    lang, words = app.lang, app.words
    current = app.survey.answers.get(question.id)
    if question.type in (*CHOICE, "multi"):
        chosen = ticked if ticked is not None else (
            set(current) if isinstance(current, tuple) else {current}
        )  # fmt: skip
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column(overflow="fold")
        for number, option in enumerate(question.options, start=1):
            key = str(number)
            if question.type == "boolean":
                key = {"yes": "y", "no": "n"}.get(str(option.value), key)
            if question.type == "multi":
                mark = "[x]" if option.value in chosen else "[ ]"
            else:
                mark = "▶" if option.value in chosen else " "
            style = "bold green" if option.value in chosen else ""
            grid.add_row(Text(f"{mark} {key}", style=style), Wrapped(localize(option.label, lang)))
        if question.allow_na:
            mark = "▶" if current == NA else " "
            grid.add_row(Text(f"{mark} {NA_KEY}", style="dim"), Text(words["na"], style="dim"))
        return grid
    hint = _range_hint(question, lang) if question.type == "number" else ""
    if question.allow_na:
        hint = f"{hint}  {words['na_typed']}".strip()
    return Text(hint, style="dim")


class TypedInput(Input):
    """The answer field: Enter is acted on in the field's own turn. As a binding it would run
    once the key had bubbled up to the app, after the field had taken the keys typed behind it
    ("85", Enter, "2" typed fast read as 852)."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            screen = self.screen
            if isinstance(screen, AskScreen):
                screen.typed_submitted(self.value)
            return
        await super()._on_key(event)


class AskScreen(Screen):
    """A screen that asks one question: the keys that answer it live here."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "next", show=False, priority=True),
        Binding("pageup", "previous", show=False, priority=True),
        Binding("f6", "note", show=False, priority=True),
        Binding("e", "note", show=False),
        Binding("f7", "flag", show=False, priority=True),
        Binding("f", "flag", show=False),
        # The question pane scrolls from the keyboard too: a long anchor is never out of reach.
        Binding("down", "scroll_pane(2)", show=False),
        Binding("up", "scroll_pane(-2)", show=False),
    ]

    question_id: str = ""
    ticked: set | None = None  # a multi question's ticks before Enter saves them

    @property
    def survey_app(self) -> Any:
        return self.app

    def compose_question(self) -> ComposeResult:
        yield QuestionPanel(id="pane")
        yield Static(id="answer")
        yield TypedInput(id="typed", compact=True)
        yield Static(id="message")
        yield Static(id="keys")

    @property
    def question(self) -> Question:
        return self.survey_app.survey.q.question(self.question_id)

    def show_question(self, qid: str) -> None:
        self.question_id = qid
        question = self.question
        self.ticked = None
        current = self.survey_app.survey.answers.get(qid)
        if question.type == "multi":
            self.ticked = set(current) if isinstance(current, tuple) else set()
        typed = self.query_one("#typed", Input)
        typed.display = typing(question)
        if typed.display:
            plain = question.type in ("number", "text") and current not in (None, NA)
            typed.value = answer_text(question, current) if plain else ""
            typed.placeholder = self.placeholder(question)
            typed.focus()
        else:
            self.set_focus(None)
        self.say("")
        self.redraw()
        self.query_one("#pane", QuestionPanel).scroll_home(animate=False)

    def placeholder(self, question: Question) -> str:
        words = self.survey_app.words
        if question.type == "multi":
            return str(self.survey_app.survey_words["choose_many"])
        if question.type in CHOICE:
            return str(self.survey_app.survey_words["choose"])
        return words["type_number"] if question.type == "number" else words["type_text"]

    def redraw(self) -> None:
        app, question = self.survey_app, self.question
        self.query_one("#pane", QuestionPanel).show(app, question, self.ticked)
        self.query_one("#answer", Static).update(answer_line(app, question))
        self.query_one("#keys", Static).update(self.keys_for(question))

    def keys_for(self, question: Question) -> Text:
        words = self.survey_app.words
        pairs = choice_keys(question)
        if typing(question):
            pairs += [("PgUp/PgDn", "move"), ("F2", "index"), ("F3", "review"), ("F4", "goto")]
            pairs += [("F5", "search"), ("F6", "note"), ("F7", "flag"), ("F8", "notes")]
            pairs += [("F1", "keys"), ("^Q", "quit")]
        else:
            pairs += [("←→", "move"), ("i", "index"), ("r", "review"), ("g", "goto")]
            pairs += [("/", "search"), ("e", "note"), ("f", "flag"), ("m", "notes")]
            pairs += [("?", "keys"), ("q", "quit")]
        return key_bar(words, pairs, self.app.size.width)

    def on_resize(self) -> None:
        if self.question_id:
            self.redraw()

    def say(self, message: str, style: str = "yellow") -> None:
        self.query_one("#message", Static).update(Text(message, style=style))

    # ------------------------------------------------------------------ answering

    def on_key(self, event) -> None:
        question = self.question
        if typing(question) or not event.character:
            return
        key = event.character.lower()
        if question.type == "multi" and key.isdigit():
            self.tick(int(key))
        elif question.type in CHOICE and key.isdigit() and key != "0":
            self.choose_number(int(key))
        elif question.type == "boolean" and key in ("y", "n"):
            self.answer({"y": "yes", "n": "no"}[key])
        elif key == NA_KEY:
            self.not_applicable()
        elif key == "s":
            self.skip()
        else:
            return
        event.stop()

    def choose_number(self, number: int) -> None:
        question = self.question
        if number > len(question.options):
            self.say(self.survey_app.survey_words["bad_choice"].format(number))
            return
        self.answer(question.options[number - 1].value)

    def tick(self, number: int) -> None:
        question, ticked = self.question, self.ticked
        assert ticked is not None
        if not 1 <= number <= len(question.options):
            self.say(self.survey_app.survey_words["bad_choice"].format(number))
            return
        value = question.options[number - 1].value
        ticked.symmetric_difference_update({value})
        self.redraw()

    def not_applicable(self) -> None:
        if not self.question.allow_na:
            self.say(self.survey_app.survey_words["not_na"])
            return
        self.answer(NA)

    def skip(self) -> None:
        if self.question.required:
            self.say(self.survey_app.survey_words["required"])
            return
        self.answer(None)

    def enter_pressed(self) -> None:
        question = self.question
        app = self.survey_app
        if question.type == "multi":
            assert self.ticked is not None
            if not self.ticked:
                if question.id in app.survey.answers:
                    self.answered()
                elif question.required:
                    self.say(app.survey_words["required"])
                else:
                    self.answer(None)
                return
            chosen = [o.value for o in question.options if o.value in self.ticked]
            typed = ",".join(str(question.options.index(question.option(v)) + 1) for v in chosen)
            value, error = parse_typed(app.survey.q, question, typed, app.lang)
            if error:
                self.say(error)
                return
            self.answer(value)
        elif question.id in app.survey.answers:
            self.answered()  # Enter keeps the answer shown
        else:
            self.say(app.survey_words["choose"])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.typed_submitted(event.value)

    def typed_submitted(self, value: str) -> None:
        app, question = self.survey_app, self.question
        typed = value.strip()
        if question.type != "text" and typed.lower() in (NA_KEY, "na"):
            self.not_applicable()
            return
        if not typed:
            if question.id in app.survey.answers:
                self.answered()
            elif question.required:
                self.say(app.survey_words["required"])
            else:
                self.answer(None)
            return
        value, error = parse_typed(app.survey.q, question, typed, app.lang)
        if error:
            self.say(error)
            return
        self.answer(value)

    def answer(self, value: Any) -> None:
        self.survey_app.set_answer(self.question_id, value, self.answered)

    def answered(self) -> None:
        """After an answer is saved (or kept): the screen's next step."""
        raise NotImplementedError

    def action_note(self) -> None:
        self.app.push_screen(NoteScreen(self.question_id), lambda _: self.redraw())

    def action_scroll_pane(self, lines: int) -> None:
        pane = self.query_one("#pane", QuestionPanel)
        pane.scroll_relative(y=lines, animate=False)

    def action_flag(self) -> None:
        self.survey_app.toggle_flag(self.question_id)
        self.redraw()

    def action_next(self) -> None:
        pass

    def action_previous(self) -> None:
        pass


def typing(question: Question) -> bool:
    """Whether the question is answered in a typing field: numbers, text, and choices of more
    options than there are digit keys (typed as numbers, or values, then Enter)."""
    return question.type in ("number", "text") or len(question.options) > 9


def choice_keys(question: Question) -> list[tuple[str, str]]:
    count = len(question.options)
    if question.type == "boolean":
        pairs = [("y", "yes"), ("n", "no")]
    elif question.type == "multi":
        pairs = [(f"1-{count}", "tick"), ("Enter", "save")]
    elif question.type in CHOICE:
        pairs = [(f"1-{count}", "answer")]
    else:
        pairs = [("Enter", "save")]
    if question.allow_na and question.type in (*CHOICE, "multi"):
        pairs.append((NA_KEY, "na"))
    if question.type in CHOICE:
        pairs.append(("Enter", "next"))
    if not question.required and question.type not in ("number", "text"):
        pairs.append(("s", "skip"))
    return pairs


def answer_text(question: Question, value: Any) -> str:
    if question.type == "number":
        return f"{value:g}"
    return str(value)


def answer_line(app: Any, question: Question) -> Text:
    words, survey = app.words, app.survey
    line = Text()
    line.append(f"{words['answer_label']}: ", style="bold")
    if question.id in survey.answers:
        value = survey.answers[question.id]
        line.append(answer_in_words(question, value, app.lang), style="green")
    else:
        line.append(words["none"], style="dim")
    note = survey.notes.get(question.id) or {}
    if note.get("note"):
        line.append(f"  {words['note_mark']}", style="cyan")
    if note.get("evidence"):
        line.append(f"  {words['evidence_mark'].format(len(note['evidence']))}", style="cyan")
    if question.id in app.flagged:
        line.append(f"  {words['flag_mark']}", style="magenta")
    return line


# --------------------------------------------------------------------------- note and evidence


class NoteScreen(ModalScreen[bool]):
    """The note and the evidence of one question, each in its named field."""

    DEFAULT_CSS = MODAL_CSS.format(name="NoteScreen")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, qid: str) -> None:
        super().__init__()
        self.qid = qid

    def compose(self) -> ComposeResult:
        app: Any = self.app
        words = app.words
        question = app.survey.q.question(self.qid)
        entry = app.survey.notes.get(self.qid) or {}
        with Vertical():
            yield Static(Wrapped(localize(question.text, app.lang), "bold"), id="note-for")
            yield Static(words["note_field"])
            yield Input(entry.get("note") or "", id="note", compact=True)
            yield Static(words["evidence_field"])
            yield Input("; ".join(entry.get("evidence") or []), id="evidence", compact=True)
            pairs = [("Enter", "save"), ("Tab", "field"), ("Esc", "cancel")]
            yield Static(key_bar(words, pairs))

    def on_mount(self) -> None:
        self.query_one("#note", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "note":
            self.query_one("#evidence", Input).focus()
            return
        self.keep()
        self.app.persist()  # type: ignore[attr-defined]
        self.dismiss(True)

    def keep(self) -> None:
        """The two fields into the survey (Enter, or quitting with the form open)."""
        app: Any = self.app
        note = self.query_one("#note", Input).value.strip()
        evidence = split_evidence(self.query_one("#evidence", Input).value)
        if note or evidence:
            app.survey.notes[self.qid] = {"note": note or None, "evidence": evidence}
        else:
            app.survey.notes.pop(self.qid, None)

    def action_cancel(self) -> None:
        self.dismiss(False)
