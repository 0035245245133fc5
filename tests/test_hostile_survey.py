"""The survey never loses an answer: locks, backups, unwritable paths, failing disks, the review's
keys, and notes that skip logic orphans (issue 12, items 13-17; docs/survey.md)."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest
import yaml
from conftest import MINI, cli, survey_piped
from rich.console import Console
from typer.testing import CliRunner

import dtassess
from dtassess.cli import app
from dtassess.errors import DtassessError
from dtassess.survey import WORDS, Interrupted, Terminal, run_survey
from dtassess.surveyfile import SurveyFile

EXISTS, QUALITY = "strategy.plan.exists", "strategy.plan.quality"
BUDGET, TOOLS = "security.budget", "security.tools"
HEAD = "questionnaire: mini@1.0\norganization: {id: qingshan}\nrespondent: {id: r01}\nanswers:\n"


# --------------------------------------------------------------------------- notes (item 17)


@pytest.mark.parametrize(
    ("answers", "codes", "exit_code"),
    [
        # a note under a question its condition hides: ignored, with a warning at its key
        (
            f"  {EXISTS}: 'no'\n  {QUALITY}: {{note: stale, evidence: [plan.pdf]}}\n",
            [("R019", 6, 3, "warning")],
            0,
        ),
        (
            f"  {EXISTS}: 'no'\n  {QUALITY}: {{value: null, evidence: [a.pdf]}}\n",
            [("R019", 6, 3, "warning")],
            0,
        ),
        # a note under a question that is shown but unanswered is data: kept, nothing to say
        (f"  {BUDGET}: {{note: not known}}\n", [], 0),
        (f"  {BUDGET}: {{value: null, evidence: [a.pdf]}}\n", [], 0),
        # a hidden answer with a note: R007 says it, once
        (
            f"  {EXISTS}: 'no'\n  {QUALITY}: {{value: 3, note: stale}}\n",
            [("R007", 6, 3, "error")],
            1,
        ),
        # a wrong value with a note: the value's problem only
        (f"  {BUDGET}: {{value: 400, note: x}}\n", [("R012", 5, 28, "error")], 1),
        # a note with its answer: nothing to say
        (f"  {BUDGET}: {{value: 4, note: ok}}\n", [], 0),
    ],
)
def test_validate_reports_notes_under_hidden_questions(write, answers, codes, exit_code):
    path = write("r.yaml", HEAD + answers)
    result = cli("validate", "--responses", path, "-q", MINI, "--format", "json")
    assert result.exit_code == exit_code, result.output
    found = json.loads(result.stdout)
    assert [(p["code"], p["line"], p["column"], p["severity"]) for p in found] == codes


def test_a_note_under_a_hidden_question_is_not_loaded(write, mini):
    path = write("r.yaml", HEAD + f"  {EXISTS}: 'no'\n  {QUALITY}: {{note: stale}}\n")
    loaded = dtassess.load_responses([path], mini)
    assert loaded.notes.empty
    path = write("r.yaml", HEAD + f"  {EXISTS}: 'no'\n  {BUDGET}: {{note: not known}}\n")
    loaded = dtassess.load_responses([path], mini)
    assert list(loaded.notes["note"]) == ["not known"]


# --------------------------------------------------------------------------- helpers

META = {"organization": "qingshan", "respondent": "r01", "organization_name": "青山县"}
META.update(unit="信息中心", role="CIO", period="2026")
ARGS = ["-q", str(MINI), "--org", "qingshan", "--org-name", "青山县", "--unit", "信息中心"]
ARGS += ["--respondent", "r01", "--role", "CIO", "--period", "2026"]


def scripted(lines: list[str], interactive: bool = False) -> tuple[Terminal, io.StringIO, list]:
    """A Terminal reading from a list (EOFError when it runs out); `asked` lists the prompts."""
    out = io.StringIO()
    console = Console(file=out, width=100, highlight=False)
    feed = iter(lines)
    asked: list[str] = []

    def read(prompt: str) -> str:
        asked.append(prompt)
        console.print(prompt, end="", markup=False)
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return Terminal(console, read, interactive=interactive), out, asked


def saved(path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


def piped(cwd, stdin: str, *args: str) -> subprocess.CompletedProcess:
    return survey_piped(cwd, stdin, *args, columns=200)


# --------------------------------------------------------------------------- the review (item 13)

# exists=yes, quality=3, budget=40, tools=1 2; then the review's table prompt.
WALK = ["1", "3", "40", "1 2"]
ANSWERS = {EXISTS: "yes", QUALITY: 3, BUDGET: 40.0, TOOLS: ["mfa", "backup"]}


@pytest.mark.parametrize(
    ("review", "answers", "said"),
    [
        # Enter on an opened question keeps the answer shown
        (["2", "", ""], ANSWERS, None),
        (["3", "", ""], ANSWERS, None),
        # b goes back to the table without a change; ? shows the keys
        (["2", "b", ""], ANSWERS, None),
        (["2", "?", "", ""], ANSWERS, "Keys: ? help"),
        (["?", ""], ANSWERS, "Keys: a number opens that question"),
        # a new answer still changes it; s still skips
        (["2", "5", ""], {**ANSWERS, QUALITY: 5}, None),
        (["3", "s", ""], {k: v for k, v in ANSWERS.items() if k != BUDGET}, None),
        # b at the table opens the last question
        (["b", "3", ""], {**ANSWERS, TOOLS: ["none"]}, None),
        # c on an opened question notes its answer
        (
            ["2", "c", "checked", "plan.pdf", "", ""],
            {**ANSWERS, QUALITY: {"value": 3, "note": "checked", "evidence": ["plan.pdf"]}},
            None,
        ),
    ],
)
def test_review_keys_are_the_questions_keys(mini, tmp_path, review, answers, said):
    path = tmp_path / "r.yaml"
    terminal, out, _ = scripted([*WALK, *review])
    run_survey(mini, path, terminal, "en", META)
    doc = saved(path)
    assert doc["answers"] == answers
    assert doc["position"] == "done"
    assert "There is no option" not in out.getvalue()
    if said:
        assert said in out.getvalue()


def test_q_at_the_review_saves_quits_and_resumes_at_the_review(mini, tmp_path):
    path = tmp_path / "r.yaml"
    terminal, out, _ = scripted([*WALK, "2", "q"])
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", META)
    assert "To resume" in out.getvalue()
    assert saved(path)["answers"] == ANSWERS and saved(path)["position"] == "done"
    terminal, out, asked = scripted(["q"])
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", META, resume=True)
    assert asked == [WORDS["en"]["change"] + ": "]
    assert saved(path)["answers"] == ANSWERS


# --------------------------------------------------------------------------- the lock (item 14)


@pytest.mark.slow
def test_a_second_survey_on_the_same_file_is_refused_naming_the_first(tmp_path):
    path = tmp_path / "r.yaml"
    with SurveyFile(path):
        second = piped(tmp_path, "1\n3\n", "-o", "r.yaml", *ARGS)
        assert second.returncode == 2, second.stderr
        assert "F017" not in second.stderr  # codes are for docs and JSON; the message speaks
        message = " ".join(second.stderr.split())
        assert message.startswith("r.yaml: r.yaml is open in another survey (pid ")
        assert f"pid {os.getpid()} on {socket.gethostname()}, started 20" in message
        assert "Traceback" not in second.stderr
        assert not path.exists()  # the refused run wrote nothing
    assert not (tmp_path / "r.yaml.lock").exists()  # released and removed
    third = piped(tmp_path, "1\n3\n", "-o", "r.yaml", *ARGS)
    assert third.returncode == 130, third.stderr
    assert saved(path)["answers"] == {EXISTS: "yes", QUALITY: 3}
    assert not (tmp_path / "r.yaml.lock").exists()


def test_the_lock_is_checked_in_process_with_its_code(mini, tmp_path):
    path = tmp_path / "r.yaml"
    terminal, _, asked = scripted(["1"])
    with SurveyFile(path), pytest.raises(DtassessError) as caught:
        run_survey(mini, path, terminal, "en", META)
    assert [(p.code, p.path) for p in caught.value.problems] == [("F017", str(path))]
    assert asked == []  # nothing was asked


@pytest.mark.slow
def test_a_lock_left_by_a_killed_survey_is_no_obstacle(tmp_path, mini):
    # A real survey, killed while it holds the lock, leaves the lock file behind.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    first = subprocess.Popen(
        [sys.executable, "-m", "dtassess", "survey", "-o", "r.yaml", "--lang", "en", *ARGS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    first.stdin.write(b"1\n")
    first.stdin.flush()
    # Wait until the first answer is saved: the lock is held by then.
    first.stdout.readline()
    deadline = time.monotonic() + 30
    while not (tmp_path / "r.yaml").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    busy = piped(tmp_path, "", "-o", "r.yaml", "--resume", *ARGS)
    assert busy.returncode == 2 and f"(pid {first.pid} on " in busy.stderr, busy.stderr
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    first.stdout.close()
    first.stdin.close()
    assert (tmp_path / "r.yaml.lock").exists()
    again = piped(tmp_path, "3\n", "-o", "r.yaml", "--resume", *ARGS)
    assert again.returncode == 130, again.stderr
    assert saved(tmp_path / "r.yaml")["answers"] == {EXISTS: "yes", QUALITY: 3}
    assert not (tmp_path / "r.yaml.lock").exists()


# --------------------------------------------------------------------------- unwritable (item 16)


def _fifo(tmp_path):
    os.mkfifo(tmp_path / "r.yaml")
    return "r.yaml", "it is a FIFO (named pipe); the survey writes a regular file"


def _directory(tmp_path):
    (tmp_path / "r.yaml").mkdir()
    return "r.yaml", "it is a directory; the survey writes a regular file"


def _device(tmp_path):
    # A null device of its own: a test must never risk replacing the system's /dev/null.
    try:
        os.mknod(tmp_path / "r.yaml", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        pytest.skip("creating a device node needs root")
    return "r.yaml", "it is a device; the survey writes a regular file"


def _under_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    return "notes.txt/r.yaml", "notes.txt is not a folder"


def _folder_under_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    return "notes.txt/sub/r.yaml", "cannot create the folder notes.txt/sub: Not a directory"


@pytest.mark.slow
@pytest.mark.parametrize("setup", [_fifo, _directory, _device, _under_a_file, _folder_under_a_file])
def test_an_output_that_cannot_be_written_stops_before_the_first_question(tmp_path, setup):
    output, why = setup(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = piped(tmp_path, "1\n3\n", "-o", output, "--restart", *ARGS)
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = " ".join(result.stderr.split())
    assert message.startswith(f"{output}: the survey cannot write {output}: {why}; nothing was")
    assert "Is there an issued digital plan?" not in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_read_only_folder_stops_before_the_first_question(mini, tmp_path, monkeypatch):
    # Root writes anywhere: a read-only file system is simulated where the survey first writes.
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if str(path).startswith(str(tmp_path)) and flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    terminal, _, asked = scripted(["1"])
    path = tmp_path / "answers" / "r.yaml"
    with pytest.raises(DtassessError) as caught:
        run_survey(mini, path, terminal, "en", META)
    monkeypatch.undo()
    [problem] = caught.value.problems
    assert (problem.code, problem.path) == ("F018", str(path))
    assert problem.message == (
        f"the survey cannot write {path}: cannot create r.yaml.lock in {path.parent}: "
        "Read-only file system; nothing was asked. Give another -o path"
    )
    assert asked == []
    assert list(tmp_path.iterdir()) == []  # the folder made for it is gone again


def test_a_full_disk_mid_survey_exits_2_and_the_file_holds_the_answers_before(
    tmp_path, monkeypatch
):
    real_fsync = os.fsync
    calls = []

    def full_after_two(fd):
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return real_fsync(fd)  # a folder's entry, synced after a file is in place
        calls.append(fd)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "fsync", full_after_two)
    result = CliRunner().invoke(app, ["survey", "-o", "r.yaml", "--lang", "en", *ARGS],
                                input="1\n3\n40\n")  # fmt: skip
    monkeypatch.undo()
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert message == (
        "r.yaml: cannot save r.yaml: No space left on device; the answers up to the previous "
        "one are in the file (2 saved); the last answer was not saved. Fix the cause, then "
        "resume: dtassess survey -o r.yaml --resume"
    )
    assert saved(tmp_path / "r.yaml")["answers"] == {EXISTS: "yes", QUALITY: 3}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]  # no temp file, no lock


# --------------------------------------------------------------------------- discarding (item 15)


@pytest.fixture
def finished(mini, tmp_path):
    """A finished response file (the four answers of WALK), and its bytes."""
    path = tmp_path / "r.yaml"
    terminal, _, _ = scripted([*WALK, ""])
    run_survey(mini, path, terminal, "en", META)
    return path, path.read_bytes()


@pytest.mark.parametrize(
    ("resume", "lines", "asks"),
    [
        (False, [""], ["discards the 4 answers"]),  # --restart, Enter: no
        (False, ["n"], ["discards the 4 answers"]),
        (None, ["n", ""], ["Resume where it stopped?", "discards the 4 answers"]),
        (None, ["n", "no"], ["Resume where it stopped?", "discards the 4 answers"]),
    ],
)
def test_declining_the_discard_resumes_and_keeps_every_answer(mini, finished, resume, lines, asks):
    path, before = finished
    terminal, out, asked = scripted([*lines, ""], interactive=True)
    run_survey(mini, path, terminal, "en", META, resume=resume)
    assert [a for a in asked if "[" in a] == [next(a for a in asked if want in a) for want in asks]
    assert "The answers are kept; resuming where it stopped." in out.getvalue()
    assert saved(path)["answers"] == ANSWERS
    assert path.read_bytes() == before  # resumed at the review, Enter: nothing to write
    assert not path.with_name("r.yaml.bak").exists()


@pytest.mark.parametrize("resume", [False, None])
def test_a_confirmed_restart_keeps_the_old_file_as_bak(mini, finished, resume):
    path, before = finished
    lines = ["y", "2", "40", "3", ""] if resume is False else ["n", "y", "2", "40", "3", ""]
    terminal, _, asked = scripted(lines, interactive=True)
    run_survey(mini, path, terminal, "en", META, resume=resume)
    assert any(
        "Starting again discards the 4 answers in " in a and "(the file is kept as r.yaml.bak)" in a
        for a in asked
    )
    assert saved(path)["answers"] == {EXISTS: "no", BUDGET: 40.0, TOOLS: ["none"]}
    assert path.with_name("r.yaml.bak").read_bytes() == before


@pytest.mark.parametrize(
    ("resume", "lines", "interactive"),
    [
        (False, [], False),  # --restart with piped input that ends at once
        (False, ["y"], True),  # confirmed, then Ctrl-C / end of input at the first question
        (None, ["n", "y"], True),
        (None, [], True),  # end of input at the resume question
        (None, ["n"], True),  # ... at the discard question
    ],
)
def test_an_interruption_before_the_first_answer_changes_nothing(
    mini, finished, resume, lines, interactive
):
    path, before = finished
    terminal, _, _ = scripted(lines, interactive=interactive)
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", META, resume=resume)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["r.yaml"]


@pytest.mark.slow
def test_piped_restart_says_and_keeps_the_bak(finished):
    path, before = finished
    result = piped(path.parent, "", "-o", "r.yaml", "--restart", *ARGS)
    assert result.returncode == 130
    assert "Nothing to save; r.yaml was not changed." in " ".join(result.stdout.split())
    assert path.read_bytes() == before
    result = piped(path.parent, "2\n", "-o", "r.yaml", "--restart", *ARGS)
    assert result.returncode == 130
    out = " ".join(result.stdout.split())
    assert "the previous file is kept as r.yaml.bak when the first answer is saved" in out
    assert saved(path)["answers"] == {EXISTS: "no"}
    assert path.with_name("r.yaml.bak").read_bytes() == before


def test_a_new_file_interrupted_before_any_answer_is_not_created(mini, tmp_path):
    path = tmp_path / "sub" / "r.yaml"
    terminal, out, _ = scripted([])
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", {})
    assert "Nothing to save." in out.getvalue()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- skip logic (item 17)


def test_an_answer_skip_logic_removes_takes_its_note_and_evidence(mini, tmp_path):
    path = tmp_path / "r.yaml"
    # exists=yes, quality=3 with a note (c at the budget question), back twice, exists=no
    lines = ["1", "3", "c", "see the plan", "plan.pdf; minutes.docx", "b", "b", "2"]
    terminal, out, _ = scripted(lines)
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", META)
    assert "its answer and its note were removed" in " ".join(out.getvalue().split())
    assert saved(path)["answers"] == {EXISTS: "no"}
    result = cli("validate", "--responses", path, "-q", MINI)
    assert result.exit_code == 0 and "R019" not in result.stdout and "hidden" not in result.stdout


def test_resuming_a_file_with_a_note_under_a_hidden_question_drops_it(mini, write):
    path = write(
        "r.yaml", HEAD + f"  {EXISTS}: 'no'\n  {QUALITY}: {{note: stale}}\nposition: {BUDGET}\n"
    )
    terminal, _, _ = scripted(["40"])
    with pytest.raises(Interrupted):
        run_survey(mini, path, terminal, "en", {}, resume=True)
    assert saved(path)["answers"] == {EXISTS: "no", BUDGET: 40.0}
