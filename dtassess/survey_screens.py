"""The full-screen survey's other screens: index, review, search, notes, summary, help.

Each one reads and changes the app's `Survey` through `SurveyApp` (survey_app.py), which saves
after every change; a screen never writes the file itself.
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
from textual.widgets import DataTable, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from .inputs.conditions import NA
from .inputs.questionnaire import localize
from .survey import answer_in_words
from .survey_question import (
    MODAL_CSS,
    AskScreen,
    area_of,
    choice_keys,
    clock,
    key_bar,
    path_title,
    typing,
)


class _Screen:
    @property
    def survey_app(self) -> Any:
        return self.app  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the respondent


class MetaScreen(_Screen, Screen[None]):
    """The respondent's details the command's options did not give, before the first question
    (the same fields, in the same order, as the transcript asks), one field at a time."""

    def __init__(self, fields: list[tuple[str, bool]]) -> None:
        super().__init__()
        self.fields = fields
        self.at = 0
        self.values: dict[str, str | None] = {}

    def compose(self) -> ComposeResult:
        app = self.survey_app
        yield Static(Text(localize(app.survey.q.title, app.lang), style="bold"))
        yield Static(id="given")
        yield Static(id="label")
        yield MetaInput(id="meta", compact=True)
        yield Static(id="message")
        pairs = [("Enter", "field"), ("^C", "quit")]
        yield Static(key_bar(app.words, pairs, self.app.size.width), id="keys")

    def on_mount(self) -> None:
        self.show()
        self.query_one(MetaInput).focus()

    def show(self) -> None:
        words = self.survey_app.survey_words
        given = Text()
        for key, value in self.values.items():
            given.append(f"{words[key]}: ", style="dim")
            given.append(f"{value or ''}\n")
        self.query_one("#given", Static).update(given)
        key, required = self.fields[self.at]
        self.query_one("#label", Static).update(Text(words[key] + (" *" if required else "")))

    def take(self, value: str) -> bool:
        """The field's value from Enter; False (and a message) if a required one is empty."""
        app = self.survey_app
        key, required = self.fields[self.at]
        if required and not value:
            message = Text(app.survey_words["required"], style="yellow")
            self.query_one("#message", Static).update(message)
            return False
        self.query_one("#message", Static).update("")
        self.values[key] = value or None
        self.at += 1
        if self.at < len(self.fields):
            self.show()
            return True
        app.survey.meta.update(self.values)
        app.persist()
        self.dismiss(None)
        return True


class MetaInput(Input):
    """The details form's field: Enter takes the value in the field's own turn, so that keys
    typed ahead land in the next field, not in this one."""

    async def _on_key(self, event: events.Key) -> None:
        # Here, not as the binding: a binding runs when the key has bubbled up to the app,
        # after the field has already taken the keys typed behind it.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            screen = self.screen
            if isinstance(screen, MetaScreen) and screen.take(self.value.strip()):
                self.value = ""
            return
        await super()._on_key(event)


# --------------------------------------------------------------------------- confirm


class ConfirmScreen(_Screen, ModalScreen[bool]):
    """Yes or no to a change that removes answers; Escape or n keeps things as they were."""

    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("escape", "answer(False)", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        words = self.survey_app.words
        with Vertical():
            with VerticalScroll():
                yield Static(Text(self.question), id="confirm")
            yield Static(key_bar(words, [("y", "yes"), ("n/Esc", "keep")]))

    def action_answer(self, agreed: bool) -> None:
        self.dismiss(agreed)


# --------------------------------------------------------------------------- interviewer notes


class InterviewNotesScreen(_Screen, ModalScreen[None]):
    """The interviewer's own notes for the whole interview; saved when the pane closes."""

    DEFAULT_CSS = MODAL_CSS.format(name="InterviewNotesScreen") + (
        "InterviewNotesScreen TextArea { height: 12; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False, priority=True)]

    def compose(self) -> ComposeResult:
        app = self.survey_app
        with Vertical():
            yield Static(Text(app.words["notes_title"], style="bold"))
            yield TextArea(str(app.survey.interview.get("notes") or ""), id="notes")
            yield Static(key_bar(app.words, [("Esc", "save")]))

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_close(self) -> None:
        self.keep()
        self.survey_app.persist()
        self.dismiss(None)

    def keep(self) -> None:
        """The text into the survey (Escape, or quitting with the pane open)."""
        app = self.survey_app
        text = self.query_one(TextArea).text.strip()
        if text:
            app.survey.interview["notes"] = text
        else:
            app.survey.interview.pop("notes", None)


# --------------------------------------------------------------------------- jump and search


class GotoScreen(_Screen, ModalScreen[None]):
    """Jump to a question by its number among the questions shown."""

    DEFAULT_CSS = MODAL_CSS.format(name="GotoScreen")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def compose(self) -> ComposeResult:
        app = self.survey_app
        total = len(app.survey.visible())
        with Vertical():
            yield Static(app.words["goto_prompt"].format(total))
            yield Input(id="number", compact=True)
            yield Static(id="goto-message")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        import unicodedata

        event.stop()
        app = self.survey_app
        shown = app.survey.visible()
        typed = unicodedata.normalize("NFKC", event.value).strip().rstrip(".")
        if typed.isdigit() and 1 <= int(typed) <= len(shown):
            app.go_to(shown[int(typed) - 1].id)
            return
        message = app.words["goto_prompt"].format(len(shown))
        self.query_one("#goto-message", Static).update(Text(message, style="yellow"))

    def action_close(self) -> None:
        self.dismiss(None)


class SearchScreen(_Screen, ModalScreen[None]):
    """`/`: the questions whose text, help or options hold what is typed."""

    DEFAULT_CSS = MODAL_CSS.format(name="SearchScreen") + (
        "SearchScreen OptionList { height: auto; max-height: 12; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", show=False)]

    def compose(self) -> ComposeResult:
        app = self.survey_app
        with Vertical():
            yield Static(app.words["search_prompt"])
            yield Input(id="search", compact=True)
            yield OptionList(id="found")
            yield Static(
                key_bar(app.words, [("Enter", "open"), ("↓", "results"), ("Esc", "close")])
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        app = self.survey_app
        found = self.query_one(OptionList)
        found.clear_options()
        needle = event.value.strip().casefold()
        if not needle:
            return
        shown = app.survey.visible()
        for number, question in enumerate(shown, start=1):
            texts = [question.text, question.help, *(o.label for o in question.options)]
            hay = " ".join(localize(t, app.lang) for t in texts if t).casefold()
            if needle in hay:
                label = Text(f"{number:>3} ", style="bold")
                label.append(localize(question.text, app.lang))
                found.add_option(Option(label, id=question.id))
        if found.option_count == 0:
            found.add_option(Option(Text(app.words["no_match"], style="dim"), disabled=True))
        else:
            found.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        found = self.query_one(OptionList)
        if found.highlighted is not None:
            option = found.get_option_at_index(found.highlighted)
            if option.id:
                self.survey_app.go_to(option.id)

    def on_key(self, event) -> None:
        if event.key == "down" and self.query_one(Input).has_focus:
            self.query_one(OptionList).focus()
            event.stop()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.survey_app.go_to(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)


# --------------------------------------------------------------------------- the index


class IndexScreen(_Screen, Screen[None]):
    """Areas and their sub-dimensions with answered counts; Enter jumps to the first question
    of one (its first unanswered one, if any)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("a", "unanswered(True)", show=False),
        Binding("l", "unanswered(False)", show=False),
    ]

    def compose(self) -> ComposeResult:
        app = self.survey_app
        yield Static(Text(app.words["index_title"], style="bold"))
        yield OptionList(id="sections")
        pairs = [("Enter", "open"), ("a", "first_unanswered"), ("l", "last_unanswered")]
        yield Static(key_bar(app.words, [*pairs, ("Esc", "back")], self.app.size.width), id="keys")

    def on_mount(self) -> None:
        app = self.survey_app
        survey = app.survey
        shown = survey.visible()
        sections = self.query_one(OptionList)
        here = survey.position
        for node in survey.q.nodes:
            inside = [x for x in shown if x.dimension == node.id or _under(survey.q, x, node.id)]
            if not inside:
                continue
            depth = 0
            parent = node.parent
            while parent:
                depth += 1
                parent = survey.q.node(parent).parent
            answered = sum(1 for x in inside if x.id in survey.answers)
            label = Text(
                "  " * depth + localize(node.title, app.lang), style="" if depth else "bold"
            )
            label.append(
                f"  {answered}/{len(inside)}", style="green" if answered == len(inside) else "dim"
            )
            sections.add_option(Option(label, id=node.id))
            if here and any(x.id == here for x in inside):
                sections.highlighted = sections.option_count - 1
        sections.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        survey = self.survey_app.survey
        shown = survey.visible()
        node = event.option.id
        inside = [x for x in shown if x.dimension == node or _under(survey.q, x, node or "")]
        if inside:
            open_ones = [x for x in inside if x.id not in survey.answers]
            self.survey_app.go_to((open_ones or inside)[0].id)

    def action_unanswered(self, first: bool) -> None:
        self.survey_app.go_unanswered(first)

    def action_close(self) -> None:
        self.dismiss(None)


def _under(q: Any, question: Any, node_id: str) -> bool:
    node = q.node(question.dimension)
    while node.parent:
        if node.parent == node_id:
            return True
        node = q.node(node.parent)
    return False


# --------------------------------------------------------------------------- the review


class ReviewScreen(_Screen, Screen[None]):
    """Every question shown with its answer; Enter opens one for editing in place."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("u", "undo", show=False),
        Binding("q", "close", show=False),
    ]

    def compose(self) -> ComposeResult:
        app = self.survey_app
        yield Static(Text(app.survey_words["review"], style="bold"))
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield Static(id="message")
        pairs = [("Enter", "edit"), ("u", "undo"), ("Esc", "back")]
        yield Static(key_bar(app.words, pairs, self.app.size.width), id="keys")

    def on_mount(self) -> None:
        app = self.survey_app
        table = self.query_one(DataTable)
        words = app.survey_words
        table.add_column("#", key="n")
        table.add_column(words["question"], key="q", width=max(20, self.size.width // 2))
        table.add_column(words["answer"], key="a")
        table.add_column("", key="f")
        self.refill()
        table.focus()

    def refill(self) -> None:
        """The rows again, keeping the cursor on the same question if it is still shown."""
        app = self.survey_app
        table = self.query_one(DataTable)
        here = None
        if table.row_count:
            here = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        for number, question in enumerate(app.survey.visible(), start=1):
            value = app.survey.answers.get(question.id)
            # Not "skipped": most are questions not reached yet.
            answer = (
                app.words["none"] if value is None else answer_in_words(question, value, app.lang)
            )
            style = "dim" if value is None else ("yellow" if value == NA else "")
            marks = ("⚑" if question.id in app.flagged else "") + (
                "✎" if question.id in app.survey.notes else ""
            )
            required = " *" if question.required and value is None else ""
            table.add_row(
                str(number),
                Text(localize(question.text, app.lang) + required, overflow="ellipsis"),
                Text(answer, style=style),
                marks,
                key=question.id,
            )
        if here is not None and here in {x.id for x in app.survey.visible()}:
            table.move_cursor(row=table.get_row_index(here))

    def say(self, message: str, style: str = "yellow") -> None:
        self.query_one("#message", Static).update(Text(message, style=style))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        qid = event.row_key.value
        if qid:
            self.app.push_screen(EditScreen(qid), lambda _: self.refill())

    def action_undo(self) -> None:
        self.survey_app.action_undo()

    def action_close(self) -> None:
        self.dismiss(None)


class EditScreen(_Screen, AskScreen):
    """One question opened from the review: an answer saves it and returns to the table;
    Escape returns with the answer as it was."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("enter", "enter", show=False),
    ]

    def __init__(self, qid: str) -> None:
        super().__init__()
        self.start_id = qid

    def compose(self) -> ComposeResult:
        yield Static(id="where")
        yield from self.compose_question()

    def on_mount(self) -> None:
        app = self.survey_app
        question = app.survey.q.question(self.start_id)
        where = Text(path_title(app.survey.q, question.dimension, app.lang), style="cyan")
        self.query_one("#where", Static).update(where)
        self.show_question(self.start_id)

    def keys_for(self, question: Any) -> Text:
        pairs = choice_keys(question)
        f_keys = typing(question)
        pairs += [("F6" if f_keys else "e", "note"), ("F7" if f_keys else "f", "flag")]
        return key_bar(self.survey_app.words, [*pairs, ("Esc", "keep")], self.app.size.width)

    def answered(self) -> None:
        self.dismiss(None)

    def action_enter(self) -> None:
        self.enter_pressed()

    def action_close(self) -> None:
        self.dismiss(None)


# --------------------------------------------------------------------------- the summary


class SummaryScreen(_Screen, Screen[None]):
    """The end: answered, skipped, not applicable and flagged counts, time per area."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "done", show=False),
        Binding("r", "review", show=False),
        Binding("escape", "back", show=False),
        Binding("q", "quit_survey", show=False),
        Binding("a", "unanswered", show=False),
    ]

    def compose(self) -> ComposeResult:
        app = self.survey_app
        yield Static(Text(app.words["summary"], style="bold"))
        with VerticalScroll():
            yield Static(id="counts")
        pairs = [("Enter", "finish"), ("r", "review"), ("a", "first_unanswered")]
        pairs += [("Esc", "back"), ("q", "quit")]
        yield Static(key_bar(app.words, pairs, self.app.size.width), id="keys")

    def on_mount(self) -> None:
        self.refill()

    def on_screen_resume(self) -> None:
        self.refill()

    def refill(self) -> None:
        self.query_one("#counts", Static).update(summary_table(self.survey_app))

    def action_done(self) -> None:
        self.survey_app.action_done()

    def action_review(self) -> None:
        self.survey_app.action_review()

    def action_back(self) -> None:
        self.dismiss(None)
        self.survey_app.reopen()

    def action_quit_survey(self) -> None:
        self.survey_app.action_interrupt()

    def action_unanswered(self) -> None:
        self.survey_app.go_unanswered(True)


def summary_counts(app: Any) -> dict[str, int]:
    survey = app.survey
    shown = survey.visible()
    values = [survey.answers.get(x.id) for x in shown]
    return {
        "answered": sum(1 for v in values if v is not None and v != NA),
        "skipped": sum(1 for v in values if v is None),
        "na_count": sum(1 for v in values if v == NA),
        "flagged": len(app.flagged),
        "required_open": sum(1 for x in shown if x.required and x.id not in survey.answers),
    }


def summary_table(app: Any) -> Table:
    words = app.words
    grid = Table.grid(padding=(0, 2))
    grid.add_column()
    grid.add_column(justify="right")
    for key, count in summary_counts(app).items():
        grid.add_row(words[key], str(count))
    if app.preview:
        grid.add_row(app.preview, "")
    grid.add_row("", "")
    grid.add_row(Text(words["elapsed"], style="bold"), "")
    q = app.survey.q
    areas = {area_of(q, x.dimension) for x in q.questions}
    for node in q.nodes:
        if node.id in areas:
            grid.add_row(localize(node.title, app.lang), clock(app.spent.get(node.id, 0.0)))
    return grid


class HelpScreen(_Screen, ModalScreen[None]):
    """Every key, in the survey's language; any key closes it."""

    DEFAULT_CSS = MODAL_CSS.format(name="HelpScreen")

    def compose(self) -> ComposeResult:
        app = self.survey_app
        with Vertical(), VerticalScroll():
            yield Static(Text(app.words["help_text"]))
            question = app.survey.q.question(app.main.question_id) if app.main.question_id else None
            if question is not None and question.help:
                yield Static(Text(localize(question.help, app.lang), style="dim"))

    def on_key(self, event) -> None:
        event.stop()
        self.dismiss(None)
