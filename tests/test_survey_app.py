"""The full-screen survey (docs/survey.md): every key path through Textual's headless harness,
then the real binary once in a pseudo-terminal.

The harness runs the app at a given terminal size and presses keys as a user would; after each
step the test reads the screen's widgets and the response file, which is saved after every
answer. Sync tests run the async harness with asyncio.run.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pexpect
import pytest
import yaml
from conftest import MINI
from rich.console import Console

from dtassess.errors import DtassessError, Problem
from dtassess.inputs.conditions import NA
from dtassess.inputs.questionnaire import Questionnaire, load_questionnaire, localize
from dtassess.survey import Interrupted, Survey, Terminal, load_survey, parse_typed, split_evidence
from dtassess.survey_app import MainScreen, SurveyApp, run_survey_app
from dtassess.survey_question import NoteScreen
from dtassess.survey_screens import (
    ConfirmScreen,
    EditScreen,
    GotoScreen,
    HelpScreen,
    IndexScreen,
    InterviewNotesScreen,
    MetaScreen,
    ReviewScreen,
    SearchScreen,
    SummaryScreen,
    summary_counts,
    summary_table,
)
from dtassess.survey_wrap import Wrapped
from dtassess.surveyfile import SurveyFile

EXISTS, QUALITY = "strategy.plan.exists", "strategy.plan.quality"
BUDGET, TOOLS = "security.budget", "security.tools"
Steps = Callable[[SurveyApp, object], Awaitable[None]]


@pytest.fixture(scope="module")
def gov() -> Questionnaire:
    return load_questionnaire("gov-dt")


@pytest.fixture
def required(tmp_path) -> Questionnaire:
    """mini with its budget question required."""
    text = MINI.read_text("utf-8").replace(
        "        allow_na: true\n", "        allow_na: true\n        required: true\n", 1
    )
    path = tmp_path / "required.yaml"
    path.write_text(text, "utf-8")
    return load_questionnaire(path)


def fresh(q: Questionnaire, path: Path) -> Survey:
    return Survey(q, path, meta={"organization": "qingshan"}, started="now", store=SurveyFile(path))


def drive(survey: Survey, steps: Steps, size=(80, 24), lang="en", preview=False) -> SurveyApp:
    """Run the app headless at `size`, run `steps(app, pilot)`, return the app (ended)."""

    async def main() -> SurveyApp:
        app = SurveyApp(survey, lang, preview=preview)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await steps(app, pilot)
            await pilot.pause()
        return app

    return asyncio.run(main())


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await pilot.pause()


def saved(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


def shown_id(app: SurveyApp) -> str:
    return app.main.question_id


def text_of(app: SurveyApp, selector: str) -> str:
    widget = app.screen.query_one(selector)
    content = getattr(widget, "content", None)
    if isinstance(content, Wrapped):  # text broken into lines by Chinese rules
        return content.text.plain
    return str(widget.render())


# --------------------------------------------------------------------------- the screen


@pytest.mark.parametrize(
    "first", [0, pytest.param(12, marks=pytest.mark.slow), pytest.param(24, marks=pytest.mark.slow)]
)
@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_question_progress_answer_and_keys_are_always_on_the_screen(
    gov, tmp_path, size, lang, first
):
    """Every question of the bundled questionnaire (in three runs of 12), at 80x24 and 60x20:
    the progress, the question's first line, the answer line and the key bar lie inside the
    screen; the question pane scrolls what does not fit."""
    seen = []
    survey = Survey(gov, tmp_path / "r.yaml", meta={"organization": "o"})
    survey.position = survey.visible()[first].id

    async def steps(app, pilot):
        width, height = size
        for _ in range(12):
            screen = app.screen
            if not isinstance(screen, MainScreen):
                break  # past the last question: the summary
            for selector in ("#progress", "#where", "#answer", "#keys", "#pane"):
                region = screen.query_one(selector).region
                assert region.height >= 1 and region.y >= 0
                assert region.bottom <= height and region.right <= width, (selector, region)
            keys = screen.query_one("#keys").region
            assert keys.bottom == height  # the key bar sits at the bottom
            assert screen.query_one("#text").region.y >= screen.query_one("#where").region.bottom
            question = app.survey.q.question(shown_id(app))
            assert f"{first + len(seen) + 1} " in text_of(app, "#progress")
            assert text_of(app, "#text").startswith(localize(question.text, lang)[:8])
            seen.append(question.id)
            await press(pilot, "pagedown")

    drive(survey, steps, size, lang)
    assert len(seen) == len(set(seen)) == min(12, 35 - first)


@pytest.mark.parametrize(
    ("keys", "screen"),
    [(["i"], IndexScreen), (["r"], ReviewScreen), (["r", "enter"], EditScreen)],
)
def test_the_other_screens_fit_60x20_in_chinese(gov, tmp_path, keys, screen):
    async def steps(app, pilot):
        await press(pilot, "y", *keys)
        assert isinstance(app.screen, screen)
        bar = app.screen.query_one("#keys")
        assert bar.region.bottom <= 20 and bar.region.right <= 60 and bar.region.height >= 1

    drive(Survey(gov, tmp_path / "r.yaml", meta={"organization": "o"}), steps, (60, 20), "zh")


def test_the_progress_counts_questions_and_the_area(mini, tmp_path):
    async def steps(app, pilot):
        assert "Question 1 of 3" in text_of(app, "#progress")
        assert "[area 0/1 · 00:00] Strategy and planning · Planning" in text_of(app, "#where")
        await press(pilot, "y")
        assert "Question 2 of 4" in text_of(app, "#progress")
        assert "1/4 answered" in text_of(app, "#progress")
        assert "[area 1/2" in text_of(app, "#where")

    drive(fresh(mini, tmp_path / "r.yaml"), steps)


def test_required_questions_are_marked(required, tmp_path):
    async def steps(app, pilot):
        await press(pilot, "n")
        assert shown_id(app) == BUDGET
        assert "*required" in text_of(app, "#text")
        await press(pilot, "enter")  # nothing typed: a required question is not skipped
        assert shown_id(app) == BUDGET
        assert "must be answered" in text_of(app, "#message")

    drive(fresh(required, tmp_path / "r.yaml"), steps)


# --------------------------------------------------------------------------- answering


@pytest.mark.parametrize(
    ("keys", "answers", "position"),
    [
        (["y"], {EXISTS: "yes"}, QUALITY),
        (["n"], {EXISTS: "no"}, BUDGET),  # n is "no" on a yes/no question, never N/A
        (["y", "4"], {EXISTS: "yes", QUALITY: 4}, BUDGET),
        (["n", *"85%", "enter"], {EXISTS: "no", BUDGET: 85.0}, TOOLS),
        (["n", *"８５", "enter"], {EXISTS: "no", BUDGET: 85.0}, TOOLS),
        (["n", "x", "enter"], {EXISTS: "no", BUDGET: NA}, TOOLS),  # N/A typed on a number
        (["n", "enter", "1", "2", "enter"], {EXISTS: "no", TOOLS: ("mfa", "backup")}, "done"),
        (["n", "enter", "1", "1", "2", "enter"], {EXISTS: "no", TOOLS: ("backup",)}, "done"),
    ],
)
def test_keys_answer_and_every_answer_is_saved_at_once(mini, tmp_path, keys, answers, position):
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        await press(pilot, *keys)
        assert saved(path)["position"] == position
        assert app.survey.answers == answers

    drive(fresh(mini, path), steps)
    on_file = saved(path)["answers"]
    assert {k: (tuple(v) if isinstance(v, list) else v) for k, v in on_file.items()} == {
        k: v for k, v in answers.items()
    }


@pytest.mark.parametrize(
    ("keys", "message", "qid"),
    [
        (["x"], "cannot be answered 'not applicable'", EXISTS),  # x on a question without N/A
        (["7"], "There is no option 7.", EXISTS),
        (["y", "6"], "There is no option 6.", QUALITY),
        (["y", "enter"], "Type a number", QUALITY),  # Enter on a question not answered
        (["n", *"101", "enter"], "101 is not an accepted number", BUDGET),
        (["n", *"85#", "enter"], "85# is not an accepted number", BUDGET),
        (["n", "enter", "1", "3", "enter"], "'None' can only be chosen alone.", TOOLS),
    ],
)
def test_a_refused_key_says_why_and_keeps_the_question(mini, tmp_path, keys, message, qid):
    async def steps(app, pilot):
        await press(pilot, *keys)
        assert shown_id(app) == qid
        assert message in text_of(app, "#message")
        assert qid not in app.survey.answers

    drive(fresh(mini, tmp_path / "r.yaml"), steps)


def test_the_number_field_edits_a_line(mini, tmp_path):
    """Arrow keys move in the field; they never land in the answer as escape codes."""

    async def steps(app, pilot):
        await press(pilot, "n", *"5", "left", *"8", "end", "backspace", "home", "delete")
        await press(pilot, *"17", "enter")

    survey = fresh(mini, tmp_path / "r.yaml")
    drive(survey, steps)
    assert survey.answers[BUDGET] == 17.0


def test_na_is_offered_only_where_the_question_allows_it(mini, tmp_path):
    async def steps(app, pilot):
        assert "x not applicable" not in text_of(app, "#keys")
        await press(pilot, "n")
        assert "type x for not applicable" in text_of(app, "#options")

    drive(fresh(mini, tmp_path / "r.yaml"), steps)


def test_more_options_than_digit_keys_are_typed(tmp_path):
    options = "".join(
        f"          - {{value: o{n}, label: {{zh: 选{n}, en: Option {n}}}, score: {n / 12:.2f}}}\n"
        for n in range(1, 13)
    )
    extra = (
        "      - id: security.many\n        type: single\n"
        "        text: {zh: 哪一个？, en: Which one?}\n        allow_na: true\n"
        "        options:\n" + options
    )
    text = MINI.read_text("utf-8").replace(
        "      - id: security.tools\n", extra + "      - id: security.tools\n"
    )
    (tmp_path / "q.yaml").write_text(text, "utf-8")
    q = load_questionnaire(tmp_path / "q.yaml")

    async def steps(app, pilot):
        await press(pilot, "n", "pagedown")
        assert shown_id(app) == "security.many"
        assert app.screen.query_one("#typed").display
        await press(pilot, *"11", "enter")
        assert app.survey.answers["security.many"] == "o11"
        await press(pilot, "pageup", "x", "enter")
        assert app.survey.answers["security.many"] == NA

    drive(fresh(q, tmp_path / "r.yaml"), steps)


def test_note_and_evidence_are_named_and_saved_with_the_answer(mini, tmp_path):
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        await press(pilot, "y", "left", "e")
        assert isinstance(app.screen, NoteScreen)
        labels = [str(w.render()) for w in app.screen.query("Static")]
        assert "Note" in labels and "Evidence (several separated by ; or ；)" in labels
        await press(pilot, *"drill 2025", "enter")
        # typed as a Chinese input method delivers it: the text at once
        app.screen.query_one("#evidence").insert_text_at_cursor("plan.pdf；minutes.docx; x.xlsx")
        await press(pilot, "enter")
        assert isinstance(app.screen, MainScreen)
        assert "✎ note" in text_of(app, "#answer") and "evidence: 3" in text_of(app, "#answer")

    drive(fresh(mini, path), steps)
    assert saved(path)["answers"][EXISTS] == {
        "value": "yes",
        "note": "drill 2025",
        "evidence": ["plan.pdf", "minutes.docx", "x.xlsx"],
    }


# --------------------------------------------------------------------------- quitting, resuming


@pytest.mark.parametrize("key", ["ctrl+c", "ctrl+q", "q"])
def test_ctrl_c_saves_and_ends_with_130(mini, tmp_path, key):
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        await press(pilot, "y", key)

    app = drive(fresh(mini, path), steps)
    assert app.return_code == 130
    assert saved(path)["position"] == QUALITY
    assert saved(path)["answers"] == {EXISTS: "yes"}


@pytest.mark.parametrize(
    ("keys", "field", "typed"),
    [(["e"], "#note", "said at the door"), (["m"], "#notes", "CIO left early")],
)
def test_ctrl_c_keeps_a_note_being_typed(mini, tmp_path, keys, field, typed):
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        await press(pilot, "y", *keys)
        widget = app.screen.query_one(field)
        if field == "#notes":
            widget.insert(typed)  # the interview notes: a TextArea
        else:
            widget.insert_text_at_cursor(typed)
        await press(pilot, "ctrl+c")

    assert drive(fresh(mini, path), steps).return_code == 130
    text = path.read_text("utf-8")
    assert typed in text


def headless_run(monkeypatch, keys: list[str]) -> None:
    """SurveyApp.run as the harness: `run_survey_app` runs its app without a terminal."""

    def run(app):
        async def main():
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                await press(pilot, *keys)

        asyncio.run(main())

    monkeypatch.setattr(SurveyApp, "run", run)


def scripted(lines: list[str]) -> tuple[Terminal, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=100)
    feed = iter(lines)

    def read(prompt: str) -> str:
        console.print(prompt, end="", markup=False)
        return next(feed)

    return Terminal(console, read, interactive=True), out


def test_the_command_path_restarts_keeps_the_backup_and_says_how_to_resume(
    mini, tmp_path, monkeypatch
):
    """run_survey_app, as the command calls it: the file's questions and lock from
    surveyfile.py, --restart over answers asks first and keeps FILE.bak, Ctrl-C ends with
    Interrupted and the resume hint."""
    path = tmp_path / "r.yaml"
    meta = {"organization": "qingshan", "respondent": "r01"}
    optional = ["enter"] * 4  # through name, unit, role and period on the first screen
    headless_run(monkeypatch, [*optional, "y", "3", "ctrl+c"])
    terminal, out = scripted([])
    with pytest.raises(Interrupted):
        run_survey_app(mini, path, terminal, "en", meta)
    assert "To resume: dtassess survey -o" in out.getvalue()
    assert saved(path)["answers"] == {EXISTS: "yes", QUALITY: 3}
    assert not (tmp_path / "r.yaml.lock").exists()

    headless_run(monkeypatch, [*optional, "n", "ctrl+c"])
    terminal, out = scripted(["y"])  # yes, discard the 2 answers
    with pytest.raises(Interrupted):
        run_survey_app(mini, path, terminal, "en", meta, resume=False)
    assert "discards the 2 answers" in out.getvalue()
    assert saved(path)["answers"] == {EXISTS: "no"}
    assert saved(tmp_path / "r.yaml.bak")["answers"] == {EXISTS: "yes", QUALITY: 3}


def test_the_respondent_details_are_asked_on_the_first_screen(mini, tmp_path, monkeypatch):
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        assert isinstance(app.screen, MetaScreen)
        assert str(app.screen.query_one("#label").render()) == "Organization id (e.g. qingshan) *"
        await press(pilot, "enter")  # no organization id: asked for
        assert "must be answered" in str(app.screen.query_one("#message").render())
        await press(pilot, *"qingshan", "enter", *"青山县", "enter")
        assert str(app.screen.query_one("#label").render()) == "Unit (may be empty)"
        assert "Organization name (may be empty): 青山县" in str(
            app.screen.query_one("#given").render()
        )
        await press(pilot, *["enter"] * 3, *"2026", "enter")
        assert isinstance(app.screen, MainScreen)
        await press(pilot, "y")

    survey = Survey(mini, path, store=SurveyFile(path))

    async def main():
        app = SurveyApp(survey, "en", preview=False, ask_meta=True)
        async with app.run_test(size=(60, 20)) as pilot:
            await pilot.pause()
            await steps(app, pilot)

    asyncio.run(main())
    doc = saved(path)
    assert doc["organization"] == {"id": "qingshan", "name": "青山县"}
    assert doc["period"] == "2026" and doc["answers"] == {EXISTS: "yes"}


def test_the_command_path_reports_a_failed_save(mini, tmp_path, monkeypatch):
    def full(self, text, answers=0):
        raise DtassessError(Problem("F018", "cannot save: No space left on device"))

    monkeypatch.setattr(SurveyFile, "save", full)
    headless_run(monkeypatch, [*["enter"] * 4, "y"])
    terminal, _ = scripted([])
    meta = {"organization": "o", "respondent": "r"}
    with pytest.raises(DtassessError) as caught:
        run_survey_app(mini, tmp_path / "r.yaml", terminal, "en", meta)
    assert caught.value.problems[0].code == "F018"


def test_resume_opens_the_exact_question(mini, tmp_path):
    path = tmp_path / "r.yaml"

    async def first(app, pilot):
        await press(pilot, "y", "3", "pageup")  # back on the second question, then quit
        await press(pilot, "ctrl+c")

    drive(fresh(mini, path), first)
    assert saved(path)["position"] == QUALITY

    async def second(app, pilot):
        assert shown_id(app) == QUALITY
        assert "Answer: A roadmap with owners." in text_of(app, "#answer")

    drive(load_survey(mini, path, SurveyFile(path)), second)


def test_a_finished_survey_resumes_at_the_summary(mini, tmp_path):
    path = tmp_path / "r.yaml"

    async def first(app, pilot):
        await press(pilot, "n", "enter", "s")
        assert isinstance(app.screen, SummaryScreen)

    drive(fresh(mini, path), first)
    assert saved(path)["position"] == "done"

    async def second(app, pilot):
        assert isinstance(app.screen, SummaryScreen)
        await press(pilot, "enter")

    assert drive(load_survey(mini, path, SurveyFile(path)), second).return_code == 0


def test_a_save_that_fails_ends_the_app_and_hands_the_problem_to_the_command(
    mini, tmp_path, monkeypatch
):
    def full(self, text, answers=0):
        raise DtassessError(Problem("F018", "cannot save: No space left on device"))

    async def steps(app, pilot):
        monkeypatch.setattr(SurveyFile, "save", full)
        await press(pilot, "y")

    app = drive(fresh(mini, tmp_path / "r.yaml"), steps)
    assert app.return_code == 2
    assert app.failure is not None and app.failure.problems[0].code == "F018"


def test_moving_is_saved_a_moment_later(mini, tmp_path):
    """A move does not wait for the disk; the position reached is saved within a second or two
    (and at once by an answer or by quitting)."""
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        await press(pilot, "y", "pagedown")
        assert saved(path)["position"] == QUALITY
        app.moved -= 2  # as if two seconds had passed
        app.redraw_clock()
        assert saved(path)["position"] == BUDGET

    drive(fresh(mini, path), steps)


def test_moving_before_the_first_answer_writes_nothing(mini, tmp_path):
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        await press(pilot, "pagedown")
        app.moved -= 2
        app.redraw_clock()
        assert not path.exists()
        await press(pilot, "ctrl+c")

    assert drive(fresh(mini, path), steps).return_code == 130
    assert not path.exists()


# --------------------------------------------------------------------------- moving around


def test_next_previous_and_the_arrow_keys(mini, tmp_path):
    async def steps(app, pilot):
        await press(pilot, "right")
        assert shown_id(app) == BUDGET  # the quality question is hidden until a yes
        await press(pilot, "pageup")
        assert shown_id(app) == EXISTS
        await press(pilot, "left")
        assert "first question" in text_of(app, "#message")
        await press(pilot, "pagedown", "pagedown")
        assert shown_id(app) == TOOLS
        await press(pilot, "pageup")  # PgUp from inside the number field
        assert shown_id(app) == BUDGET

    drive(fresh(mini, tmp_path / "r.yaml"), steps)


def test_go_to_a_question_by_number(gov, tmp_path):
    async def steps(app, pilot):
        await press(pilot, "g")
        assert isinstance(app.screen, GotoScreen)
        await press(pilot, *"99", "enter")
        assert isinstance(app.screen, GotoScreen)  # no question 99: asked again
        await press(pilot, "backspace", "backspace", *"３０", "enter")
        assert isinstance(app.screen, MainScreen)
        assert "Question 30 of" in text_of(app, "#progress")
        await press(pilot, "f4", *"2", "enter")  # F4 works inside a typing field too
        assert "Question 2 of" in text_of(app, "#progress")

    drive(Survey(gov, tmp_path / "r.yaml", meta={"organization": "o"}), steps)


def test_search_finds_a_question_by_its_text(gov, tmp_path):
    shown = Survey(gov, tmp_path / "r.yaml").visible()
    target = next(x for x in shown if x.type == "number")
    needle = localize(target.text, "zh")[:12]

    async def steps(app, pilot):
        await press(pilot, "slash")
        assert isinstance(app.screen, SearchScreen)
        # as an input method delivers it: the whole text at once
        app.screen.query_one("#search").insert_text_at_cursor(needle)
        await press(pilot, "enter")
        assert isinstance(app.screen, MainScreen)
        assert shown_id(app) == target.id
        await press(pilot, "f5", *"no such words at all")
        assert "没有匹配的题目。" in str(
            app.screen.query_one("#found").get_option_at_index(0).prompt
        )
        await press(pilot, "escape")
        assert shown_id(app) == target.id

    drive(Survey(gov, tmp_path / "r.yaml", meta={"organization": "o"}), steps, lang="zh")


def test_the_index_lists_areas_with_counts_and_jumps(gov, tmp_path):
    async def steps(app, pilot):
        await press(pilot, "1", "i")
        assert isinstance(app.screen, IndexScreen)
        sections = app.screen.query_one("#sections")
        labels = [str(sections.get_option_at_index(i).prompt) for i in range(sections.option_count)]
        areas = [n for n in gov.nodes if not n.parent]
        in_first = [x for x in app.survey.visible() if x.dimension.startswith(areas[0].id)]
        assert labels[0] == f"{localize(areas[0].title, 'en')}  1/{len(in_first)}"
        assert any(label.startswith("  ") for label in labels)  # sub-dimensions, indented
        last_area = next(
            i for i, n in enumerate(labels) if n.startswith(localize(areas[-1].title, "en"))
        )
        sections.highlighted = last_area
        await press(pilot, "enter")
        assert isinstance(app.screen, MainScreen)
        question = gov.question(shown_id(app))
        assert question.dimension.startswith(areas[-1].id)

    drive(Survey(gov, tmp_path / "r.yaml", meta={"organization": "o"}), steps)


def test_first_and_last_unanswered(mini, tmp_path):
    async def steps(app, pilot):
        await press(pilot, "right", *"5", "enter")
        assert shown_id(app) == TOOLS
        await press(pilot, "a")  # keys that are letters work where no typing field is
        assert shown_id(app) == EXISTS
        await press(pilot, "l")
        assert shown_id(app) == TOOLS
        await press(pilot, "f2", "a")  # from the index too
        assert isinstance(app.screen, MainScreen) and shown_id(app) == EXISTS
        await press(pilot, "y", "1", "pagedown", "1", "enter")  # the summary
        await press(pilot, "escape", "a")
        assert "Every question is answered." in text_of(app, "#message")

    drive(fresh(mini, tmp_path / "r.yaml"), steps)


# --------------------------------------------------------------------------- review


def test_review_opens_a_question_in_place_and_escape_keeps_the_answer(mini, tmp_path):
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        await press(pilot, "y", "3", *"40", "enter", "1", "enter")
        assert isinstance(app.screen, SummaryScreen)
        await press(pilot, "r")
        assert isinstance(app.screen, ReviewScreen)
        table = app.screen.query_one("#table")
        assert table.row_count == 4
        row = [str(c) for c in table.get_row_at(1)][:3]
        assert row == ["2", "How good is the plan?", "A roadmap with owners."]
        await press(pilot, "down", "enter")
        assert isinstance(app.screen, EditScreen)
        await press(pilot, "escape")
        assert isinstance(app.screen, ReviewScreen)
        assert app.survey.answers[QUALITY] == 3
        await press(pilot, "enter", "5")  # answered: back in the table, same row, saved
        assert isinstance(app.screen, ReviewScreen)
        assert str(table.get_row_at(1)[2]) == "Revised every year."
        assert table.cursor_row == 1
        assert saved(path)["answers"][QUALITY] == 5

    drive(fresh(mini, path), steps)


def test_a_change_that_hides_answers_asks_first_and_can_be_undone(mini, tmp_path):
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        await press(pilot, "y", "3", "pageup", "e", *"kept", "enter", "enter", "r")
        table = app.screen.query_one("#table")
        await press(pilot, "enter", "n")  # "no" hides the quality question: asked first
        assert isinstance(app.screen, ConfirmScreen)
        assert "How good is the plan?" in str(app.screen.query_one("#confirm").render())
        await press(pilot, "escape")  # keeps the old answer
        assert app.survey.answers[EXISTS] == "yes" and app.survey.answers[QUALITY] == 3
        await press(pilot, "escape", "r", "enter", "n", "y")
        assert isinstance(app.screen, ReviewScreen)
        assert QUALITY not in app.survey.answers and QUALITY not in app.survey.notes
        assert table.row_count == 3
        assert QUALITY not in saved(path)["answers"]
        await press(pilot, "u")
        assert app.survey.answers == {EXISTS: "yes", QUALITY: 3}
        assert app.survey.notes[QUALITY]["note"] == "kept"
        assert table.row_count == 4
        assert saved(path)["answers"][QUALITY] == {"value": 3, "note": "kept"}

    drive(fresh(mini, path), steps)


def test_undo_on_the_main_screen(mini, tmp_path):
    async def steps(app, pilot):
        await press(pilot, "u")
        assert "nothing to undo" in text_of(app, "#message")
        await press(pilot, "y", "u")
        assert app.survey.answers == {} and shown_id(app) == EXISTS

    drive(fresh(mini, tmp_path / "r.yaml"), steps)


# --------------------------------------------------------------------------- interview aids


def test_interview_notes_flags_and_time_per_area_are_saved(mini, tmp_path):
    path = tmp_path / "r.yaml"

    async def steps(app, pilot):
        await press(pilot, "m")
        assert isinstance(app.screen, InterviewNotesScreen)
        await press(pilot, *"CIO left at 10:40", "escape")
        await press(pilot, "f")
        assert "⚑ flagged" in text_of(app, "#answer")
        app.spent["strategy"] = 75.0  # as if 75 s had passed on this area
        await press(pilot, "y")

    drive(fresh(mini, path), steps)
    interview = saved(path)["interview"]
    assert interview["notes"] == "CIO left at 10:40"
    assert interview["flagged"] == [EXISTS]
    assert interview["elapsed"]["strategy"] >= 75
    # the file stays a valid response file, and the survey resumes with what it kept
    again = load_survey(mini, path)
    assert again.interview["flagged"] == [EXISTS]


def test_the_summary_counts_answered_skipped_na_and_flagged(mini, tmp_path):
    async def steps(app, pilot):
        await press(pilot, "f", "n", "x", "enter", "s")
        assert isinstance(app.screen, SummaryScreen)
        assert summary_counts(app) == {
            "answered": 1, "skipped": 1, "na_count": 1, "flagged": 1, "required_open": 0
        }  # fmt: skip
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(summary_table(app))
        counts = console.export_text()
        assert "Time per area" in counts and "Data security" in counts
        await press(pilot, "a")  # the first one not answered: the budget was N/A, tools skipped
        assert isinstance(app.screen, MainScreen) and shown_id(app) == TOOLS
        await press(pilot, "pagedown")
        assert isinstance(app.screen, SummaryScreen)
        await press(pilot, "enter")

    app = drive(fresh(mini, tmp_path / "r.yaml"), steps)
    assert app.return_code == 0


def test_the_score_preview_follows_the_answers(mini, tmp_path):
    async def steps(app, pilot):
        await press(pilot, "y", "5")
        for _ in range(100):
            if app.preview:
                break
            await pilot.pause(0.05)
        assert app.preview == "score≈100.0 Optimising"
        assert "score≈100.0" in text_of(app, "#progress")

    drive(fresh(mini, tmp_path / "r.yaml"), steps, preview=True)


def test_help_lists_the_keys_in_the_survey_language(mini, tmp_path):
    async def steps(app, pilot):
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "数字键 1-9" in str(app.screen.query("Static").first().render())
        await press(pilot, "space")
        assert isinstance(app.screen, MainScreen)

    drive(fresh(mini, tmp_path / "r.yaml"), steps, lang="zh")


def test_no_color_is_honoured(mini, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert SurveyApp(fresh(mini, tmp_path / "r.yaml"), "en").no_color


# --------------------------------------------------------------------------- shared parsing


@pytest.mark.parametrize(
    ("qid", "typed", "value"),
    [
        (BUDGET, "85%", 85.0),
        (BUDGET, "８５", 85.0),
        (BUDGET, "８５％", 85.0),
        (QUALITY, "3.", 3),
        (QUALITY, "３", 3),
    ],
)
def test_parse_typed_accepts_percent_and_full_width(mini, qid, typed, value):
    assert parse_typed(mini, mini.question(qid), typed, "en") == (value, None)


def test_evidence_splits_on_both_semicolons():
    assert split_evidence("a.pdf；b.docx; ;c") == ["a.pdf", "b.docx", "c"]


# --------------------------------------------------------------------------- the real binary


@pytest.mark.slow
def test_the_real_binary_full_screen_in_a_pseudo_terminal(tmp_path):
    """python -m dtassess survey in a pseudo-terminal: full screen, answered by keys, Ctrl-C
    exits 130 with the resume hint, and --resume finishes it."""
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONIOENCODING": "utf-8"}
    args = ["-m", "dtassess", "survey", "-q", str(MINI), "--lang", "en", "-o", "r.yaml"]

    def spawn(*extra: str) -> pexpect.spawn:
        return pexpect.spawn(sys.executable, [*args, *extra], cwd=str(tmp_path), env=env,
                             encoding="utf-8", timeout=30, dimensions=(24, 80))  # fmt: skip

    child = spawn("--org", "o", "--respondent", "r1", "--period", "2026")
    child.expect("Organization name")  # the details the options did not give: a form
    child.send("O\r\rCIO\r")  # name, unit, role; Enters typed ahead go to the next field
    child.expect("Question 1 of 3")
    child.send("y")
    child.expect("How good is the plan")
    child.send("\x03")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "To resume: dtassess survey -o r.yaml --resume" in child.before
    assert saved(tmp_path / "r.yaml")["position"] == QUALITY

    child = spawn("--resume")
    child.expect("How good is the plan")
    child.send("4")
    child.expect("Security spending")
    child.send("８５%\r")
    child.expect("Which measures")
    child.send("2")
    child.send("\r")
    child.expect("Interview summary")
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "dtassess report r.yaml" in child.before
    assert "Traceback" not in child.before
    answers = saved(tmp_path / "r.yaml")["answers"]
    assert answers == {EXISTS: "yes", QUALITY: 4, BUDGET: 85.0, TOOLS: ["backup"]}
    doc = saved(tmp_path / "r.yaml")
    assert doc["organization"] == {"id": "o", "name": "O"}
    assert doc["respondent"] == {"id": "r1", "role": "CIO"} and "unit" not in doc
    assert not (tmp_path / "r.yaml.lock").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("redirect", "term"), [("2>err.log", "xterm-256color"), ("", "dumb")], ids=["stderr", "dumb"]
)
def test_without_a_terminal_to_draw_on_the_survey_is_plain(tmp_path, redirect, term):
    """Standard error sent to a file (Textual draws there) or TERM=dumb: the transcript."""
    env = {**os.environ, "TERM": term, "PYTHONIOENCODING": "utf-8"}
    command = f"{sys.executable} -m dtassess survey -q {MINI} --lang en -o r.yaml --org o "
    command += f"--org-name O --unit u --respondent r --role c --period 2026 {redirect}"
    child = pexpect.spawn("bash", ["-c", command], cwd=str(tmp_path), env=env,
                          encoding="utf-8", timeout=30, dimensions=(24, 80))  # fmt: skip
    child.expect(r"1 / 3 ")  # the transcript's progress line
    child.sendline("y")
    child.expect(r"2 / 4 ")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert saved(tmp_path / "r.yaml")["answers"] == {EXISTS: "yes"}
