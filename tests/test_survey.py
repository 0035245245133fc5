"""`dtassess survey` (docs/survey.md): the state without a terminal, then the real thing.

The conversation tests run `python -m dtassess survey` in a real pseudo-terminal with pexpect and
answer each prompt as it appears; they never sleep, they wait for prompts. Questions are recognised
by their text on the screen, and answers are chosen from what the screen offers.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import yaml
from conftest import MINI, dedent, survey_piped
from rich.console import Console

import dtassess
from dtassess.errors import DtassessError
from dtassess.inputs.conditions import NA
from dtassess.inputs.questionnaire import Question, Questionnaire, load_questionnaire, localize
from dtassess.survey import (
    WORDS,
    Interrupted,
    Survey,
    Terminal,
    load_survey,
    parse_typed,
    run_survey,
)

TIMEOUT = 30
META = ["--org", "qingshan", "--org-name", "青山县", "--unit", "信息中心", "--respondent", "r01"]
META += ["--role", "CIO", "--period", "2026"]
EXISTS, QUALITY = "strategy.plan.exists", "strategy.plan.quality"
BUDGET, TOOLS = "security.budget", "security.tools"

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]")
PROGRESS = re.compile(r"^(\d+) / (\d+)  ", re.M)
OPTION = re.compile(r"^ +\*?(\d+)\. ", re.M)


@pytest.fixture(scope="module")
def gov() -> Questionnaire:
    return load_questionnaire("gov-dt")


def by_id(q: Questionnaire, qid: str) -> Question:
    return next(x for x in q.questions if x.id == qid)


# --------------------------------------------------------------------------- Survey, no terminal


def test_visible_follows_skip_logic(mini, tmp_path):
    survey = Survey(mini, tmp_path / "r.yaml")
    assert [x.id for x in survey.visible()] == [EXISTS, BUDGET, TOOLS]
    survey.answers[EXISTS] = "yes"
    assert [x.id for x in survey.visible()] == [EXISTS, QUALITY, BUDGET, TOOLS]
    survey.answers[EXISTS] = "no"
    assert QUALITY not in [x.id for x in survey.visible()]


def test_drop_hidden_removes_answers_skip_logic_now_hides(mini, tmp_path):
    survey = Survey(mini, tmp_path / "r.yaml", answers={EXISTS: "yes", QUALITY: 3, BUDGET: 5.0})
    assert survey.drop_hidden() == []
    survey.answers[EXISTS] = "no"
    assert [x.id for x in survey.drop_hidden()] == [QUALITY]
    assert survey.answers == {EXISTS: "no", BUDGET: 5.0}


def test_advance_and_back_walk_the_shown_questions(mini, tmp_path):
    survey = Survey(mini, tmp_path / "r.yaml")
    assert survey.back() is False  # nothing before the first question
    assert survey.current().id == EXISTS
    survey.answers[EXISTS] = "yes"
    assert survey.advance().id == QUALITY
    survey.answers[QUALITY] = 3
    assert survey.advance().id == BUDGET
    assert survey.progress() == (3, 4)
    assert survey.back() is True and survey.current().id == QUALITY
    assert survey.back() is True and survey.current().id == EXISTS
    assert survey.back() is False and survey.current().id == EXISTS


def test_back_skips_questions_that_became_hidden(mini, tmp_path):
    survey = Survey(
        mini,
        tmp_path / "r.yaml",
        answers={EXISTS: "no"},
        history=[EXISTS, QUALITY],
        position=BUDGET,
    )
    assert survey.back() is True
    assert survey.current().id == EXISTS


def test_advance_past_the_last_question_finishes(mini, tmp_path):
    survey = Survey(mini, tmp_path / "r.yaml", answers={EXISTS: "no"}, position=TOOLS)
    assert survey.advance() is None
    assert survey.finished and survey.current() is None
    assert survey.document()["position"] == "done"


def response_file(write, answers: str, position: str | None) -> Path:
    text = dedent(
        """
        questionnaire: mini@1.0
        organization: {id: qingshan}
        respondent: {id: r01}
        """
    )
    text += "answers:\n" + "".join(f"  {line}\n" for line in dedent(answers).splitlines())
    if position is not None:
        text += f"position: {position}\n"
    return write("r.yaml", text)


def test_load_survey_resumes_at_the_recorded_position(mini, write):
    path = response_file(write, "strategy.plan.exists: 'yes'\nstrategy.plan.quality: 3", BUDGET)
    survey = load_survey(mini, path)
    assert survey.current().id == BUDGET
    assert survey.answers == {EXISTS: "yes", QUALITY: 3}
    assert survey.history == [EXISTS, QUALITY]
    assert survey.back() and survey.current().id == QUALITY


def test_load_survey_done_goes_to_the_review(mini, write):
    path = response_file(write, "strategy.plan.exists: 'no'", "done")
    survey = load_survey(mini, path)
    assert survey.finished and survey.current() is None


def test_load_survey_without_position_continues_after_the_last_answer(mini, write):
    path = response_file(write, "strategy.plan.exists: 'yes'\nstrategy.plan.quality: 3", None)
    survey = load_survey(mini, path)
    assert survey.current().id == BUDGET
    assert survey.back() and survey.current().id == QUALITY


def test_load_survey_position_on_a_hidden_question_goes_on_with_the_next(mini, write):
    path = response_file(write, "strategy.plan.exists: 'no'", QUALITY)
    assert load_survey(mini, path).current().id == BUDGET


def test_load_survey_refuses_an_invalid_file(mini, write):
    path = response_file(write, "strategy.plan.exists: maybe", BUDGET)
    with pytest.raises(DtassessError):
        load_survey(mini, path)


def test_parse_typed(mini):
    exists, quality = by_id(mini, EXISTS), by_id(mini, QUALITY)
    budget, tools = by_id(mini, BUDGET), by_id(mini, TOOLS)
    assert parse_typed(mini, exists, "1", "en") == ("yes", None)
    assert parse_typed(mini, exists, "否", "zh") == ("no", None)
    assert parse_typed(mini, quality, "3", "en") == (3, None)
    assert parse_typed(mini, quality, "6", "en")[1] == "There is no option 6. Type a number"
    assert parse_typed(mini, budget, "12.5", "en") == (12.5, None)
    assert (
        parse_typed(mini, budget, "101", "zh")[1]
        == "“101”不是可接受的数字。请输入数字 (范围: ≥ 0 ≤ 100 %)"
    )
    assert parse_typed(mini, budget, "abc", "en")[1].startswith("abc is not an accepted number.")
    assert parse_typed(mini, tools, "1 2", "en") == (("mfa", "backup"), None)
    assert parse_typed(mini, tools, "1，2", "zh") == (("mfa", "backup"), None)
    assert parse_typed(mini, tools, "1,4", "en")[1].startswith("There is no option 4.")
    assert parse_typed(mini, tools, "3 1", "zh")[1] == "“都没有”只能单独选择。"
    assert parse_typed(mini, tools, "3", "en") == (("none",), None)


@pytest.mark.parametrize("question", [QUALITY, BUDGET, TOOLS])
def test_parse_typed_refuses_an_empty_line(mini, question):
    # Enter alone is not an answer; skipping is `s`, which a required question refuses.
    value, error = parse_typed(mini, by_id(mini, question), "  ", "en")
    assert value is None and error


def scripted(lines: list[str]) -> tuple[Terminal, io.StringIO]:
    """A Terminal reading from a list, as piped input does; EOFError when it runs out."""
    out = io.StringIO()
    console = Console(file=out, width=100, highlight=False)
    feed = iter(lines)

    def read(prompt: str) -> str:
        console.print(prompt, end="", markup=False)
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return Terminal(console, read, interactive=False), out


def test_run_survey_saves_at_the_end_of_input_and_the_file_resumes(mini, tmp_path):
    path = tmp_path / "r.yaml"
    terminal, _ = scripted(["", "", "", "", "1", "3"])  # Enter through the optional fields
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", {"organization": "qingshan", "respondent": "r01"})
    survey = load_survey(mini, path)
    assert survey.answers == {EXISTS: "yes", QUALITY: 3}
    assert survey.current().id == BUDGET


def test_organization_left_empty_by_an_interruption_is_asked_on_resume(mini, tmp_path):
    path = tmp_path / "r.yaml"
    terminal, _ = scripted([])  # the input ends at the organization prompt
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", {})
    terminal, out = scripted(["qingshan"])
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", {}, resume=True)
    assert "Organization id" in out.getvalue()
    assert yaml.safe_load(path.read_text("utf-8"))["organization"]["id"] == "qingshan"


def test_the_transcript_marks_required_questions_and_n_is_no_on_yes_no(tmp_path):
    text = MINI.read_text("utf-8").replace(
        "        allow_na: true\n", "        allow_na: true\n        required: true\n", 1
    )
    (tmp_path / "q.yaml").write_text(text, "utf-8")
    q = load_questionnaire(tmp_path / "q.yaml")
    path = tmp_path / "r.yaml"
    terminal, out = scripted(["", "", "", "", "n", "８５%"])
    with pytest.raises(Interrupted):
        run_survey(q, path, terminal, "en", {"organization": "qingshan", "respondent": "r01"})
    assert "Security spending as % of the IT budget  *required" in out.getvalue()
    assert load_survey(q, path).answers == {EXISTS: "no", BUDGET: 85.0}


# --------------------------------------------------------------------------- in a terminal


def plain(text: str) -> str:
    return ANSI.sub("", text).replace("\r", "")


def squash(text: str) -> str:
    """Screen text with every line break and run of spaces made one space (wrapping undone)."""
    return re.sub(r"\s+", " ", plain(text))


def nospace(text: str) -> str:
    return re.sub(r"\s+", "", plain(text))


class Session:
    """One `dtassess survey` in a pseudo-terminal, with everything it printed kept in `log`."""

    def __init__(self, cwd: Path, *args: str, lang: str = "en") -> None:
        env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm"}
        env["PYTHONIOENCODING"] = "utf-8"
        self.lang = lang
        self.words = WORDS[lang]
        self.child = pexpect.spawn(
            sys.executable,
            # The transcript: a terminal gets the full screen unless --plain asks for lines.
            ["-m", "dtassess", "survey", "--plain", "--lang", lang, *args],
            cwd=str(cwd),
            env=env,
            encoding="utf-8",
            codec_errors="replace",
            timeout=TIMEOUT,
            dimensions=(40, 100),
        )
        self.log = ""
        self.review_prompt = re.escape(self.words["change"] + ": ")

    def _expect(self, patterns: list) -> int:
        index = self.child.expect(patterns)
        self.log += self.child.before + (
            self.child.after if isinstance(self.child.after, str) else ""
        )
        return index

    def prompt(self) -> tuple[str, str]:
        """Wait for the next prompt: ("question", screen) or ("review", screen)."""
        index = self._expect([r"\n> ", self.review_prompt])
        return ("question", "review")[index], self.child.before

    def expect(self, pattern: str) -> str:
        self._expect([pattern])
        return self.child.before

    def send(self, line: str) -> None:
        self.child.sendline(line)

    def finish(self) -> int:
        """Wait for the process to end; its exit status."""
        self._expect([pexpect.EOF])
        self.child.close()
        assert "Traceback" not in self.log, self.log
        return self.child.exitstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.close(force=True)


@pytest.fixture
def sessions():
    started: list[Session] = []

    def _start(*args, **kwargs) -> Session:
        session = Session(*args, **kwargs)
        started.append(session)
        return session

    yield _start
    for session in started:
        session.close()


def shown_question(q: Questionnaire, screen: str, lang: str) -> Question:
    """The question a screen asks: the last question text on it (a removal message names one)."""
    flat = nospace(screen)
    found = [(flat.rfind(nospace(localize(x.text, lang))), x) for x in q.questions]
    position, question = max(found, key=lambda pair: pair[0])
    assert position >= 0, f"no question on the screen:\n{plain(screen)}"
    return question


def answer_for(question: Question, screen: str, lang: str, turn: int) -> str:
    """A valid answer chosen from what the screen offers."""
    text = plain(screen)
    if question.type in ("level", "likert", "single", "boolean", "multi"):
        numbers = [int(n) for n in OPTION.findall(text)]
        assert numbers == list(range(1, len(question.options) + 1)), text
        # A long label wraps under itself, never leaving its number alone on a line.
        lines = text.split("\n")
        first = next(i for i, line in enumerate(lines) if OPTION.match(line))
        for line in lines[first:]:
            assert OPTION.match(line) or line.startswith("     ") or not line.strip(), text
        if question.type == "multi":
            return "1,2"
        if question.type == "boolean":
            return "1"  # yes: shows the questions that depend on it
        return str(1 + turn % len(numbers))
    if question.type == "number":
        hint = re.search(rf"\({WORDS[lang]['range']}: ([^)]*)\)", text)
        assert hint, text
        low = re.search(r"≥ (-?[\d.]+)", hint.group(1))
        high = re.search(r"≤ (-?[\d.]+)", hint.group(1))
        low = float(low.group(1)) if low else 0.0
        value = (low + float(high.group(1))) / 2 if high else low + 7
        return f"{value:g}"
    return "文字回答" if lang == "zh" else "a typed answer"


def answer_until(
    session: Session, q: Questionnaire, stop_after: int | None = None, turn: int = 0
) -> tuple[dict[str, str], Question | None, str]:
    """Answer questions as they come until the review (or after `stop_after` answers).

    Returns the answers typed by question id, the question then on the screen (None at the
    review) and that screen.
    """
    typed: dict[str, str] = {}
    while True:
        kind, screen = session.prompt()
        if kind == "review":
            return typed, None, screen
        question = shown_question(q, screen, session.lang)
        if stop_after is not None and len(typed) == stop_after:
            return typed, question, screen
        assert question.id not in typed, f"{question.id} asked twice"
        typed[question.id] = answer_for(question, screen, session.lang, turn + len(typed))
        session.send(typed[question.id])


def saved(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


@pytest.mark.slow
def test_full_survey_of_the_bundled_questionnaire_in_chinese(gov, tmp_path, sessions):
    path = tmp_path / "r.yaml"
    session = sessions(tmp_path, "-o", "r.yaml", *META, lang="zh")
    typed, _, review = answer_until(session, gov)
    assert "答案汇总" in plain(review)
    session.send("")  # Enter: the review is done
    session.expect("dtassess report")
    assert session.finish() == 0

    loaded = dtassess.load_responses([path], gov)
    assert len(loaded) == 1
    doc = saved(path)
    assert doc["position"] == "done"
    assert doc["organization"] == {"id": "qingshan", "name": "青山县"}
    assert doc["unit"] == "信息中心" and doc["period"] == "2026"
    # Every question skip logic shows was asked and answered, and only those.
    shown = {x.id for x in Survey(gov, path, answers=dict(doc["answers"])).visible()}
    assert set(typed) == shown == set(doc["answers"])
    assert len(typed) >= 40  # "yes" to the steering questions shows nearly all 45
    for qid, value in doc["answers"].items():
        assert value is not None and value != NA, qid

    screen = squash(session.log)
    assert "问卷已完成。" in screen
    assert "总体" in screen and "成熟度等级" in screen  # the score preview
    assert "dtassess report r.yaml -o report.pdf --lang zh --min-group-size 1" in screen
    progress = PROGRESS.findall(plain(session.log))
    assert progress[0][0] == "1" and progress[-1][0] == progress[-1][1] == str(len(typed))


@pytest.mark.slow
def test_back_and_a_changed_answer_removes_the_hidden_answer(mini, tmp_path, sessions):
    path = tmp_path / "r.yaml"
    session = sessions(tmp_path, "-q", str(MINI), "-o", "r.yaml", *META)
    session.prompt()
    session.send("1")  # exists: yes
    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == QUALITY
    session.send("3")
    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == BUDGET
    assert saved(path)["answers"] == {EXISTS: "yes", QUALITY: 3}

    session.send("b")
    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == QUALITY
    assert "= A roadmap with owners." in squash(screen)  # the answer given is shown
    session.send("b")
    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == EXISTS
    assert "1 / 4" in plain(screen)
    session.send("2")  # exists: no
    _, screen = session.prompt()
    assert "'How good is the plan?' no longer applies; its answer was removed." in squash(screen)
    assert shown_question(mini, screen, "en").id == BUDGET
    assert "2 / 3" in plain(screen)
    assert saved(path)["answers"] == {EXISTS: "no"}

    session.send("40")
    session.prompt()
    session.send("1 2")
    kind, review = session.prompt()
    assert kind == "review" and "How good is the plan?" not in squash(review)
    session.send("")
    assert session.finish() == 0
    doc = saved(path)
    assert doc["answers"] == {EXISTS: "no", BUDGET: 40.0, TOOLS: ["mfa", "backup"]}
    assert doc["position"] == "done"


@pytest.mark.slow
def test_ctrl_c_saves_and_resume_continues_at_the_next_question(gov, tmp_path, sessions):
    path = tmp_path / "r.yaml"
    session = sessions(tmp_path, "-o", "r.yaml", *META)
    typed, eighth, screen = answer_until(session, gov, stop_after=7)
    assert eighth is not None and "8 / " in plain(screen)
    session.child.sendintr()
    session.expect("--resume")
    assert session.finish() == 130
    assert "To resume: dtassess survey -o r.yaml --resume" in squash(session.log)

    doc = saved(path)
    assert list(doc["answers"]) == list(typed)  # exactly the seven answers, in order
    assert doc["position"] == eighth.id
    loaded = dtassess.load_responses([path], gov)
    assert len(loaded) == 1

    again = sessions(tmp_path, "-o", "r.yaml", "--resume")
    _, screen = again.prompt()
    assert nospace(localize(eighth.text, "en")) in nospace(screen)
    assert shown_question(gov, screen, "en").id == eighth.id
    assert PROGRESS.search(plain(screen)).group(1) == "8"
    again.send(answer_for(eighth, screen, "en", 7))
    rest, _, _ = answer_until(again, gov, turn=8)
    again.send("")
    again.expect("dtassess report")
    assert again.finish() == 0

    doc = saved(path)
    assert doc["position"] == "done"
    assert set(doc["answers"]) == set(typed) | {eighth.id} | set(rest)
    assert doc["organization"]["id"] == "qingshan" and doc["respondent"]["id"] == "r01"
    dtassess.load_responses([path], gov)


@pytest.mark.slow
def test_sigkill_mid_survey_leaves_a_valid_file(gov, tmp_path, sessions):
    path = tmp_path / "r.yaml"
    session = sessions(tmp_path, "-o", "r.yaml", *META)
    typed, _, _ = answer_until(session, gov, stop_after=5)
    session.child.kill(signal.SIGKILL)
    session.child.close(force=True)
    assert session.child.signalstatus == signal.SIGKILL

    loaded = dtassess.load_responses([path], gov)
    assert len(loaded) == 1
    doc = saved(path)
    assert list(doc["answers"]) == list(typed)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_invalid_keystrokes_get_a_message_and_the_same_question(mini, tmp_path, sessions):
    path = tmp_path / "r.yaml"
    session = sessions(tmp_path, "-q", str(MINI), "-o", "r.yaml", *META)

    def refused(typed: str, message: str, qid: str) -> None:
        session.send(typed)
        kind, screen = session.prompt()
        assert kind == "question"
        assert message in squash(screen), (typed, plain(screen))
        assert not PROGRESS.search(plain(screen)), "a new question was shown"
        # Nothing is written until there is something to write.
        assert not path.exists() or qid not in (saved(path)["answers"] or {})

    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == EXISTS
    refused("7", "There is no option 7.", EXISTS)
    refused("0", "There is no option 0.", EXISTS)
    refused("abc", "There is no option abc.", EXISTS)
    refused("na", "This question cannot be answered 'not applicable'.", EXISTS)
    refused("", "Type a number", EXISTS)
    refused("?", "Keys: ? help", EXISTS)
    session.send("1")
    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == QUALITY
    refused("6", "There is no option 6.", QUALITY)
    refused("x", "There is no option x.", QUALITY)
    refused("?", "Help: Read against State Council guideline 2022/14.", QUALITY)
    session.send("2")
    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == BUDGET
    assert "(range: ≥ 0 ≤ 100 %)" in plain(screen)
    refused("101", "101 is not an accepted number. Type a number (range: ≥ 0 ≤ 100 %)", BUDGET)
    refused("-5", "-5 is not an accepted number.", BUDGET)
    refused("abc", "abc is not an accepted number.", BUDGET)
    refused("", "Type a number", BUDGET)
    session.send("n")  # allowed here: not applicable
    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == TOOLS
    refused("1,4", "There is no option 4.", TOOLS)
    refused("n", "This question cannot be answered 'not applicable'.", TOOLS)
    refused("1,3", "'None' can only be chosen alone.", TOOLS)
    session.send("2")
    kind, _ = session.prompt()
    assert kind == "review"
    session.send("9")
    kind, screen = session.prompt()
    assert kind == "review" and "There is no option 9." in squash(screen)
    session.send("")
    assert session.finish() == 0
    assert saved(path)["answers"] == {EXISTS: "yes", QUALITY: 2, BUDGET: "na", TOOLS: ["backup"]}


def piped(cwd: Path, stdin: str, *args: str) -> subprocess.CompletedProcess:
    return survey_piped(cwd, stdin, *args, timeout=TIMEOUT * 2)


@pytest.mark.slow
def test_an_existing_file_asks_in_a_terminal_and_is_refused_with_piped_input(
    mini, tmp_path, sessions
):
    path = tmp_path / "r.yaml"
    args = ("-q", str(MINI), "-o", "r.yaml", *META)
    first = piped(tmp_path, "1\n3\n", *args)
    assert first.returncode == 130, first.stderr
    assert saved(path)["answers"] == {EXISTS: "yes", QUALITY: 3}

    before = path.read_bytes(), path.stat().st_mtime_ns
    refused = piped(tmp_path, "1\n3\n50\n", *args)
    assert refused.returncode == 2
    assert "--resume" in refused.stderr and "--restart" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before

    # In a terminal it asks; Enter resumes where it stopped.
    session = sessions(tmp_path, *args)
    session.expect(re.escape("r.yaml exists (2 answers). Resume where it stopped? [Y/n] "))
    session.send("")
    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == BUDGET
    session.child.sendintr()
    assert session.finish() == 130
    assert saved(path)["answers"] == {EXISTS: "yes", QUALITY: 3}

    # `n` starts again once the discard is confirmed; the old file is kept as r.yaml.bak.
    session = sessions(tmp_path, *args)
    session.expect(re.escape("Resume where it stopped? [Y/n] "))
    session.send("n")
    session.expect(re.escape("discards the 2 answers in r.yaml (the file is kept as r.yaml.bak)"))
    session.send("y")
    _, screen = session.prompt()
    assert shown_question(mini, screen, "en").id == EXISTS
    assert "1 / 3" in plain(screen)
    # Nothing is written until there is something to write.
    assert saved(path)["answers"] == {EXISTS: "yes", QUALITY: 3}
    session.send("2")
    session.prompt()
    session.child.sendintr()
    assert session.finish() == 130
    assert saved(path)["answers"] == {EXISTS: "no"}
    assert saved(tmp_path / "r.yaml.bak")["answers"] == {EXISTS: "yes", QUALITY: 3}

    # --restart with piped input replaces the file without asking, keeping it as r.yaml.bak.
    restarted = piped(tmp_path, "1\n", "--restart", *args)
    assert restarted.returncode == 130
    assert saved(path)["answers"] == {EXISTS: "yes"}
    assert saved(tmp_path / "r.yaml.bak")["answers"] == {EXISTS: "no"}
    assert not (tmp_path / "r.yaml.lock").exists()


@pytest.mark.slow
def test_end_of_input_in_a_terminal_saves_and_exits_130(mini, tmp_path, sessions):
    path = tmp_path / "r.yaml"
    session = sessions(tmp_path, "-q", str(MINI), "-o", "r.yaml", *META)
    session.prompt()
    session.send("1")
    session.prompt()
    session.child.sendeof()
    assert session.finish() == 130
    assert "Saved to r.yaml." in squash(session.log)
    assert "To resume: dtassess survey -o r.yaml --resume" in squash(session.log)
    doc = saved(path)
    assert doc["answers"] == {EXISTS: "yes"} and doc["position"] == QUALITY


@pytest.mark.slow
def test_q_saves_and_quits(mini, tmp_path, sessions):
    session = sessions(tmp_path, "-q", str(MINI), "-o", "r.yaml", *META)
    session.prompt()
    session.send("2")
    session.prompt()
    session.send("q")
    assert session.finish() == 130
    assert saved(tmp_path / "r.yaml")["answers"] == {EXISTS: "no"}


@pytest.mark.slow
def test_plain_mode_in_a_terminal_edits_the_line(mini, tmp_path, sessions):
    """--plain in a terminal: arrow keys move in the line typed, they are not part of it."""
    session = sessions(tmp_path, "-q", str(MINI), "-o", "r.yaml", *META)
    session.prompt()
    session.send("n")  # "no" on a yes/no question
    session.prompt()
    session.send("5\x1b[D8")  # 5, left arrow, 8: 85
    session.prompt()
    session.send("q")
    assert session.finish() == 130
    assert saved(tmp_path / "r.yaml")["answers"] == {EXISTS: "no", BUDGET: 85.0}


@pytest.mark.slow
def test_piped_input_that_ends_early_saves_and_exits_130(mini, tmp_path):
    result = piped(tmp_path, "1\n4\n", "-q", str(MINI), "-o", "r.yaml", *META)
    assert result.returncode == 130
    assert "To resume: dtassess survey -o r.yaml --resume" in squash(result.stdout)
    assert "Traceback" not in result.stderr
    doc = saved(tmp_path / "r.yaml")
    assert doc["answers"] == {EXISTS: "yes", QUALITY: 4} and doc["position"] == BUDGET
    dtassess.load_responses([tmp_path / "r.yaml"], mini)


def test_enter_keeps_the_answer_shown_after_going_back(mini, tmp_path):
    path = tmp_path / "r.yaml"
    # exists=yes, quality=3, back to quality, Enter keeps 3, budget 7, then the input ends
    terminal, out = scripted(["", "", "", "", "1", "3", "b", "", "7"])
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", {"organization": "qingshan", "respondent": "r01"})
    survey = load_survey(mini, path)
    assert survey.answers == {EXISTS: "yes", QUALITY: 3, BUDGET: 7.0}
    assert "There is no option" not in out.getvalue()


@pytest.mark.slow
def test_enter_on_a_question_opened_from_the_review_keeps_its_answer(mini, tmp_path, sessions):
    path = tmp_path / "r.yaml"
    session = sessions(tmp_path, "-q", str(MINI), "-o", "r.yaml", *META)
    for typed in ("1", "3", "40", "1 2"):
        session.prompt()
        session.send(typed)
    kind, _ = session.prompt()
    assert kind == "review"
    before = saved(path)["answers"]
    session.send("2")  # opens "How good is the plan?"
    kind, screen = session.prompt()
    assert kind == "question" and shown_question(mini, screen, "en").id == QUALITY
    session.send("")  # Enter keeps the answer shown
    kind, review = session.prompt()
    assert kind == "review" and "A roadmap with owners." in squash(review)
    session.send("3")
    session.prompt()
    session.send("b")  # back to the table, nothing changed
    kind, _ = session.prompt()
    assert kind == "review"
    session.send("")
    assert session.finish() == 0
    assert (
        saved(path)["answers"]
        == before
        == {
            EXISTS: "yes",
            QUALITY: 3,
            BUDGET: 40.0,
            TOOLS: ["mfa", "backup"],
        }
    )


@pytest.mark.slow
def test_a_second_survey_in_another_terminal_is_refused_while_the_first_runs(
    mini, tmp_path, sessions
):
    first = sessions(tmp_path, "-q", str(MINI), "-o", "r.yaml", *META)
    first.prompt()
    first.send("1")
    first.prompt()  # the first survey is at its second question, holding the lock
    second = sessions(tmp_path, "-q", str(MINI), "-o", "r.yaml", "--resume", *META)
    assert second.finish() == 2
    assert f"r.yaml is open in another survey (pid {first.child.pid} on " in squash(second.log)
    first.send("3")
    first.prompt()
    first.send("q")
    assert first.finish() == 130
    assert saved(tmp_path / "r.yaml")["answers"] == {EXISTS: "yes", QUALITY: 3}
    assert not (tmp_path / "r.yaml.lock").exists()
