"""The full-screen survey: the interview tool a terminal shows when it is a terminal.

A front end like survey.py's transcript, over the same state (`survey.Survey`) and the same file
(`surveyfile.SurveyFile`: lock, atomic save, backup): only the screen differs. The question,
its options, the progress, the answer and the keys are always on the screen; long text scrolls
inside its pane. Every answer is saved at once, as in the transcript, so a killed process loses
nothing typed before it. Screens other than the question live in survey_screens.py.

Textual is imported only here, and this module only when the survey runs full screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from .errors import DtassessError
from .inputs.questionnaire import Questionnaire, localize
from .survey import WORDS, Interrupted, Survey, Terminal, _open, _say_where, missing_meta
from .survey_question import APP_WORDS, AskScreen, area_of, clock, path_title, would_hide
from .surveyfile import SurveyFile


def run_survey_app(
    q: Questionnaire,
    path: Path,
    terminal: Terminal,
    lang: str,
    meta: dict[str, Any],
    resume: bool | None = None,
) -> Survey:
    """The survey full screen; raises Interrupted after saving when the user stops it.

    Whether to resume is asked line by line first (the transcript's question), then the
    respondent's details the options did not give and the questions full screen."""
    words = WORDS.get(lang, WORDS["en"])
    with SurveyFile(path) as store:
        survey = _open(q, store, terminal, words, meta, resume)
        try:
            app = SurveyApp(survey, lang, ask_meta=True)
            app.run()
            if app.failure is not None:
                raise app.failure  # a save that failed: F018, said by the command
            survey.save()
        except (KeyboardInterrupt, EOFError):
            survey.save()
            _say_where(store, terminal.console, words)
            raise Interrupted from None
        if app.return_code not in (0, 130):
            # Textual has shown the error; the answers up to it are in the file.
            _say_where(store, terminal.console, words)
            raise RuntimeError(f"the full-screen survey stopped (status {app.return_code})")
        if app.return_code == 130 or not survey.finished:
            _say_where(store, terminal.console, words)
            raise Interrupted
    return survey


# --------------------------------------------------------------------------- the main screen


class MainScreen(AskScreen):
    """The walk through the questionnaire: progress above, the question, the keys below."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "next", show=False),
        Binding("left", "previous", show=False),
        Binding("i", "index", show=False),
        Binding("r", "review", show=False),
        Binding("g", "goto", show=False),
        Binding("slash", "search", show=False),
        Binding("m", "notes", show=False),
        Binding("a", "unanswered(True)", show=False),
        Binding("l", "unanswered(False)", show=False),
        Binding("u", "undo", show=False),
        Binding("enter", "enter", show=False),
        Binding("question_mark", "help", show=False),
        Binding("q", "quit_survey", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(id="progress")
        yield Static(id="where")
        yield from self.compose_question()

    def on_mount(self) -> None:
        app = self.survey_app
        here = app.survey.current()
        if here is None:
            app.call_later(app.finish)
            first = app.survey.visible()
            if first:
                self.show_question(first[-1].id)
            return
        self.go(here.id)

    def go(self, qid: str) -> None:
        app = self.survey_app
        app.survey.position = qid
        app.survey.finished = False
        app.tick_clock(area_of(app.survey.q, app.survey.q.question(qid).dimension))
        self.show_question(qid)
        # Moving is saved a moment later (answers at once): a keypress never waits for a disk.
        app.moved = time.monotonic()

    def redraw(self) -> None:
        super().redraw()
        self.redraw_progress()

    def redraw_progress(self) -> None:
        app = self.survey_app
        survey, words, lang = app.survey, app.words, app.lang
        if not self.question_id:
            return
        question = self.question
        shown = survey.visible()
        ids = [x.id for x in shown]
        index = ids.index(question.id) + 1 if question.id in ids else 0
        answered = sum(1 for x in shown if x.id in survey.answers)
        width = 12
        done = round(width * answered / max(len(shown), 1))
        line = Text(words["progress"].format(index, len(shown)), style="bold")
        line.append("  " + "█" * done + "░" * (width - done), style="cyan")
        line.append(f"  {words['answered_of'].format(answered, len(shown))}", style="dim")
        if app.preview:
            line.append(f"  {app.preview}", style="bold magenta")
        self.query_one("#progress", Static).update(line)
        area = area_of(survey.q, question.dimension)
        in_area = [x for x in shown if area_of(survey.q, x.dimension) == area]
        done_area = sum(1 for x in in_area if x.id in survey.answers)
        # The counts first: a long path is cut at the edge, never the numbers.
        where = Text(
            f"[{words['area_progress'].format(done_area, len(in_area))} · "
            f"{clock(app.spent.get(area, 0.0))}] ",
            style="dim",
        )
        where.append(path_title(survey.q, question.dimension, lang), style="cyan")
        self.query_one("#where", Static).update(where)

    def answered(self) -> None:
        self.survey_app.after_answer(self.question_id, self)

    def action_enter(self) -> None:
        self.enter_pressed()

    def action_next(self) -> None:
        self.survey_app.step(self, +1)

    def action_previous(self) -> None:
        self.survey_app.step(self, -1)

    def action_index(self) -> None:
        self.survey_app.action_index()

    def action_review(self) -> None:
        self.survey_app.action_review()

    def action_goto(self) -> None:
        self.survey_app.action_goto()

    def action_search(self) -> None:
        self.survey_app.action_search()

    def action_notes(self) -> None:
        self.survey_app.action_notes()

    def action_help(self) -> None:
        self.survey_app.action_help()

    def action_undo(self) -> None:
        self.survey_app.action_undo()

    def action_unanswered(self, first: bool) -> None:
        self.survey_app.go_unanswered(first)

    def action_quit_survey(self) -> None:
        self.survey_app.action_interrupt()


# --------------------------------------------------------------------------- the app


class SurveyApp(App[int]):
    """The survey's screens over one `Survey`, saved after every change."""

    CSS = """
    #progress, #where { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    #where { margin-bottom: 1; }
    #pane { height: 1fr; }
    #help { margin-top: 1; }
    #options { margin-top: 1; }
    #answer { height: auto; max-height: 2; }
    #typed { margin: 0; }
    #message { height: auto; max-height: 2; }
    #keys { dock: bottom; height: auto; max-height: 3; background: $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "interrupt", show=False, priority=True),
        Binding("ctrl+q", "interrupt", show=False, priority=True),
        Binding("f1", "help", show=False, priority=True),
        Binding("f2", "index", show=False, priority=True),
        Binding("f3", "review", show=False, priority=True),
        Binding("f4", "goto", show=False, priority=True),
        Binding("f5", "search", show=False, priority=True),
        Binding("f8", "notes", show=False, priority=True),
    ]
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self, survey: Survey, lang: str, preview: bool = True, ask_meta: bool = False
    ) -> None:
        super().__init__()
        self.ask_meta = ask_meta
        self.survey = survey
        self.lang = lang
        self.words: dict[str, str] = APP_WORDS.get(lang, APP_WORDS["en"])
        self.survey_words: dict[str, str] = WORDS.get(lang, WORDS["en"])
        self.scores_wanted = preview
        self.preview = ""
        self.undo: list[tuple[dict, dict, str | None, bool]] = []
        elapsed = survey.interview.get("elapsed")
        self.spent: dict[str, float] = dict(elapsed) if isinstance(elapsed, dict) else {}
        self._clock: tuple[str, float] | None = None
        self.moved: float | None = None  # when the position changed without a save since
        self.failure: DtassessError | None = None  # a save that failed ends the app
        self.title = localize(survey.q.title, lang)

    @property
    def flagged(self) -> list[str]:
        flagged = self.survey.interview.get("flagged")
        return flagged if isinstance(flagged, list) else []

    def on_mount(self) -> None:
        self.push_screen(MainScreen())
        fields = missing_meta(self.survey) if self.ask_meta else []
        if fields:
            from .survey_screens import MetaScreen

            self.push_screen(MetaScreen(fields))
        self.set_interval(1.0, self.redraw_clock)
        self.score_preview()

    @property
    def main(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    # ------------------------------------------------------------------ time per area

    def tick_clock(self, area: str | None) -> None:
        """Count the time since the last tick to the area on the screen; go on with `area`."""
        now = time.monotonic()
        if self._clock is not None:
            was, since = self._clock
            self.spent[was] = self.spent.get(was, 0.0) + (now - since)
            self.survey.interview["elapsed"] = {k: round(v) for k, v in self.spent.items()}
        self._clock = (area, now) if area else None

    def redraw_clock(self) -> None:
        if self.moved is not None and time.monotonic() - self.moved > 1.0:
            self.moved = None
            if self.worth_writing():
                self.persist()  # the question reached, for --resume
        if self._clock is not None:
            self.tick_clock(self._clock[0])
        if isinstance(self.screen, MainScreen):
            self.screen.redraw_progress()

    # ------------------------------------------------------------------ changing answers

    def set_answer(self, qid: str, value: Any, then: Callable[[], None]) -> None:
        """Record an answer (None: none), asking first when it hides answered questions."""
        hidden = would_hide(self.survey, qid, value)
        if not hidden:
            self.commit(qid, value, then)
            return
        from .survey_screens import ConfirmScreen

        listing = "\n".join(f"• {localize(x.text, self.lang)}" for x in hidden)
        question = self.words["confirm_hide"].format(len(hidden), listing)

        def decided(agreed: bool | None) -> None:
            if agreed:
                self.commit(qid, value, then)
                self.screen_say(self.words["removed"].format(len(hidden)))
            else:
                self.screen_say(self.words["kept_old"])

        self.push_screen(ConfirmScreen(question), decided)

    def commit(self, qid: str, value: Any, then: Callable[[], None]) -> None:
        survey = self.survey
        self.undo.append(
            (dict(survey.answers), {k: dict(v) for k, v in survey.notes.items()},
             survey.position, survey.finished)
        )  # fmt: skip
        if value is None:
            survey.answers.pop(qid, None)
        else:
            survey.answers[qid] = value
        survey.drop_hidden()
        survey.history.append(qid)
        then()
        # Saved straight after the screen shows the next question: the redraw does not wait
        # for the disk, and nothing else happens in between.
        self.call_after_refresh(self.persist, preview=True)

    def action_undo(self) -> None:
        if not self.undo:
            self.screen_say(self.words["nothing_undo"])
            return
        answers, notes, position, _ = self.undo.pop()
        survey = self.survey
        survey.answers, survey.notes = answers, notes
        self.persist(preview=True)
        if isinstance(self.screen, MainScreen) and position:
            self.screen.go(position)
        elif hasattr(self.screen, "refill"):
            self.screen.refill()
        self.screen_say(self.words["undone"], "green")

    def toggle_flag(self, qid: str) -> None:
        flagged = list(self.flagged)
        if qid in flagged:
            flagged.remove(qid)
        else:
            flagged.append(qid)
        order = [x.id for x in self.survey.q.questions]
        self.survey.interview["flagged"] = sorted(flagged, key=order.index)
        self.persist()

    def persist(self, preview: bool = False) -> bool:
        """Save the survey; a save that fails ends the app, and the command reports it."""
        try:
            self.survey.save()
        except DtassessError as error:
            self.failure = error
            self.exit(2, return_code=2)
            return False
        if preview:
            self.score_preview()
        return True

    def worth_writing(self) -> bool:
        """Whether a move alone is worth a save: not before there is something to write (an
        answer, a note, a flag), nor over a file this run starts again until then."""
        survey = self.survey
        if survey.answers or survey.notes:
            return True
        if survey.interview.get("notes") or survey.interview.get("flagged"):
            return True
        restarting = survey.store is not None and survey.store.backup_first
        return survey.path.exists() and not restarting

    def screen_say(self, message: str, style: str = "yellow") -> None:
        say = getattr(self.screen, "say", None)
        if say is not None:
            say(message, style)

    # ------------------------------------------------------------------ moving

    def after_answer(self, qid: str, screen: MainScreen) -> None:
        shown = [x.id for x in self.survey.visible()]
        if qid not in shown:
            self.step(screen, +1)
            return
        index = shown.index(qid)
        if index + 1 < len(shown):
            screen.go(shown[index + 1])
        else:
            self.finish()

    def step(self, screen: MainScreen, direction: int) -> None:
        shown = [x.id for x in self.survey.visible()]
        order = [x.id for x in self.survey.q.questions]
        here = order.index(screen.question_id)
        if direction > 0:
            later = [x for x in shown if order.index(x) > here]
            if later:
                screen.go(later[0])
            else:
                self.finish()
        else:
            earlier = [x for x in shown if order.index(x) < here]
            if earlier:
                screen.go(earlier[-1])
            else:
                screen.say(self.survey_words["first"])

    def go_to(self, qid: str) -> None:
        """Show a question on the main screen, whatever screen is on top."""
        while not isinstance(self.screen, MainScreen):
            self.pop_screen()
        self.main.go(qid)

    def go_unanswered(self, first: bool) -> None:
        missing = [x.id for x in self.survey.visible() if x.id not in self.survey.answers]
        if not missing:
            self.screen_say(self.words["all_answered"], "green")
            return
        self.go_to(missing[0] if first else missing[-1])

    def finish(self) -> None:
        """The end of the questions: the summary, from where the survey ends."""
        from .survey_screens import SummaryScreen

        self.tick_clock(None)
        self.survey.finished = True
        self.survey.position = None
        self.persist()
        self.push_screen(SummaryScreen())

    def reopen(self) -> None:
        """Back from the summary to the questions: the file resumes at the last one."""
        self.survey.finished = False
        shown = self.survey.visible()
        if shown:
            self.main.go(shown[-1].id)

    # ------------------------------------------------------------------ screens

    def action_index(self) -> None:
        from .survey_screens import IndexScreen

        self.push_screen(IndexScreen())

    def action_review(self) -> None:
        from .survey_screens import ReviewScreen

        self.push_screen(ReviewScreen())

    def action_goto(self) -> None:
        from .survey_screens import GotoScreen

        self.push_screen(GotoScreen())

    def action_search(self) -> None:
        from .survey_screens import SearchScreen

        self.push_screen(SearchScreen())

    def action_notes(self) -> None:
        from .survey_screens import InterviewNotesScreen

        self.push_screen(InterviewNotesScreen())

    def action_help(self) -> None:
        from .survey_screens import HelpScreen

        self.push_screen(HelpScreen())

    def action_interrupt(self) -> None:
        """Ctrl-C, Ctrl-Q or q: save and stop; the command says how to resume (exit 130)."""
        keep = getattr(self.screen, "keep", None)
        if keep is not None:
            keep()  # a note being typed is kept, as an answer being typed is not
        self.tick_clock(None)
        if not self.worth_writing() or self.persist():
            self.exit(130, return_code=130)

    def action_done(self) -> None:
        self.tick_clock(None)
        self.survey.finished = True
        self.survey.position = None
        if self.persist():
            self.exit(0)

    # ------------------------------------------------------------------ the score preview

    def score_preview(self) -> None:
        """The respondent's overall score so far, worked out beside the screen (the scoring
        engine imports pandas: never in the way of a keypress)."""
        if self.scores_wanted and self.survey.path.exists() and self.survey.answers:
            self.run_worker(self._score, thread=True, exclusive=True, group="score")

    def _score(self) -> None:
        from .pipeline import score_survey

        try:
            result = score_survey(self.survey.path, self.survey.q)
            overall = float(result.respondents.score["overall"].iloc[0])
        except Exception:
            return
        level = self.survey.q.level_for(overall) if overall == overall else None
        if overall != overall:
            text = ""
        else:
            name = localize(level.name, self.lang) if level is not None else ""
            text = self.words["preview"].format(f"{overall:.1f}", name)
        self.call_from_thread(self._show_preview, text)

    def _show_preview(self, text: str) -> None:
        self.preview = text
        if isinstance(self.screen, MainScreen):
            self.screen.redraw_progress()
        elif hasattr(self.screen, "refill"):
            self.screen.refill()
