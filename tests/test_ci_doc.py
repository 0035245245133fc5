"""docs/ci.md is true: its script runs, its CI files parse, and every option it shows exists."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml
from conftest import ROOT, SAMPLES

from dtassess.inputs import responses

PAGE = ROOT / "docs" / "ci.md"
TEXT = PAGE.read_text(encoding="utf-8")
BIN = Path(sys.executable).parent  # the venv's bin: the `dtassess` the pipeline calls
SCHEMA = json.loads(files("dtassess").joinpath("schemas/scores.schema.json").read_text("utf-8"))
RAISED = "overall=30,security=40"  # the bars of the page's JUnit example


def section(heading: str) -> str:
    """The text under `## heading`, up to the next `## `."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", TEXT, re.M | re.S)
    assert match, f"docs/ci.md has no section '## {heading}'"
    return match.group(1)


def block(heading: str, language: str) -> str:
    """The one fenced block of `language` in a section."""
    found = re.findall(rf"^```{language}\n(.*?)^```", section(heading), re.M | re.S)
    assert len(found) == 1, f"'## {heading}' should hold one ```{language} block"
    return found[0]


SCRIPT = block("The same as a shell script", "sh")


# What a CI file adds to the script's commands: annotations where that CI shows them.
CI_ONLY = re.compile(r" --format github| --codequality \S+")


def dtassess_lines(shell: str, plain: bool = False) -> list[str]:
    """The dtassess commands of a piece of shell, continuations joined, spaces normalised
    (`plain`: without the options of one CI's annotations, and without `|| ...`)."""
    joined = shell.replace("\\\n", " ")
    lines = [
        " ".join(line.split())
        for line in joined.splitlines()
        if line.strip().startswith("dtassess ")
    ]
    if plain:
        lines = [CI_ONLY.sub("", line).split(" ||")[0] for line in lines]
    return lines


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "BARS"}
    return {**base, "PATH": f"{BIN}{os.pathsep}{base.get('PATH', '')}", "COLUMNS": "200", **extra}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The layout the page expects: the questionnaire, the samples in a sub-folder, ci.sh."""
    (tmp_path / "questionnaires").mkdir()
    shutil.copy(ROOT / "questionnaires" / "gov-dt.yaml", tmp_path / "questionnaires")
    shutil.copytree(SAMPLES, tmp_path / "responses" / "qingshan")
    (tmp_path / "ci.sh").write_text(SCRIPT, encoding="utf-8")
    return tmp_path


def run_script(repo: Path, shell: str = "bash", **extra: str) -> subprocess.CompletedProcess:
    assert (BIN / "dtassess").exists(), f"no dtassess beside {sys.executable}"
    return subprocess.run(
        [shell, "ci.sh"], cwd=repo, env=env(**extra), capture_output=True, text=True, timeout=300
    )


def dtassess(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "dtassess"), *args], cwd=cwd, env=env(), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def cases(path: Path) -> dict[tuple[str, str], str | None]:
    """(classname, name) -> failure or skip message (None when it passed), of a JUnit file."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    found = {}
    for case in root.iter("testcase"):
        outcome = case.find("failure")
        outcome = case.find("skipped") if outcome is None else outcome
        found[case.get("classname"), case.get("name")] = (
            None if outcome is None else outcome.get("message")
        )
    assert int(root.get("tests")) == len(found)
    failures = sum(case.find("failure") is not None for case in root.iter("testcase"))
    assert int(root.get("failures")) == failures
    return found


def without_times(xml: str) -> str:
    """A JUnit file without the run's start and duration, which no two runs share."""
    return re.sub(r' (time|timestamp)="[^"]*"', "", xml)


# --------------------------------------------------------------------------- the script


@pytest.mark.slow
@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_script_passes_on_the_samples_and_keeps_both_results(repo, shell):
    if shutil.which(shell) is None:
        pytest.skip(f"no {shell}")
    result = run_script(repo, shell)
    assert result.returncode == 0, result.stderr
    assert cases(repo / "results" / "scores.xml") == {
        ("qingshan · 2026", "overall"): None,
        ("qingshan · 2026", "security"): None,
    }
    assert "**Passed**: all 2 check(s) met." in (repo / "results" / "summary.md").read_text("utf-8")
    doc = json.loads((repo / "results" / "scores.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    assert doc["respondents"] == 5  # found in the sub-folder: directories are searched recursively
    assert [(t["node"], t["bar"], t["passed"]) for t in doc["thresholds"]] == [
        ("overall", 30.0, True),
        ("security", 30.0, True),
    ]
    assert "wrote" not in result.stderr and "bar(s) met" not in result.stderr  # --quiet
    assert result.stdout.endswith("every bar met\n")
    again = run_script(repo, shell)  # a second run replaces the results it owns
    assert again.returncode == 0, again.stderr


@pytest.mark.slow
def test_a_raised_bar_fails_the_script_after_writing_both_results(repo):
    assert f"BARS={RAISED}" in section("JUnit test cases")
    result = run_script(repo, BARS=RAISED)
    assert result.returncode == 1, result.stderr
    assert "below the bar: security: 32.2 is below the bar 40" in result.stderr
    assert "a score is below its bar: see results/summary.md" in result.stderr
    xml = (repo / "results" / "scores.xml").read_text(encoding="utf-8")
    # the page shows the real file
    assert without_times(xml) == without_times(block("JUnit test cases", "xml"))
    failure = "security: 32.2 is below the bar 40 (qingshan · 2026)"
    assert cases(repo / "results" / "scores.xml") == {
        ("qingshan · 2026", "overall"): None,
        ("qingshan · 2026", "security"): failure,
    }
    doc = json.loads((repo / "results" / "scores.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, SCHEMA)
    assert [t["passed"] for t in doc["thresholds"]] == [True, False]


@pytest.mark.slow
def test_the_score_step_alone_exits_1_on_a_raised_bar(repo):
    last = dtassess_lines(SCRIPT, plain=True)[-1].replace('"$BARS"', RAISED).split()[1:]
    assert "--fail-under" in last and "--junit" in last
    result = dtassess(*last, cwd=repo)
    assert result.returncode == 1, result.stderr


@pytest.mark.slow
def test_a_bad_bar_is_told_from_a_missed_bar_and_leaves_no_result(repo):
    assert run_script(repo).returncode == 0  # an earlier run's results are there
    for bars in ("secruity=30", "overall:30"):
        result = run_script(repo, BARS=bars)
        assert result.returncode == 2, result.stderr
        assert "could not score the responses (exit 2)" in result.stderr
        for name in ("scores.json", "scores.xml", "summary.md"):
            assert not (repo / "results" / name).exists(), name
    assert "did you mean 'security'" in run_script(repo, BARS="secruity=30").stderr
    assert dtassess("score", "responses/", "--fail-under", "50", cwd=repo).returncode == 2


@pytest.mark.slow
def test_an_invalid_response_stops_the_script_at_validate(repo):
    (repo / "responses" / "bad.yaml").write_text(
        "questionnaire: gov-dt@1.0\norganization: qingshan\nanswers: {nope: 1}\n", encoding="utf-8"
    )
    result = run_script(repo)
    assert result.returncode == 1
    assert "unknown question 'nope'" in result.stdout
    assert not (repo / "results" / "scores.json").exists()


@pytest.mark.slow
def test_withheld_groups_are_not_checked(repo):
    command = "dtassess score responses/ --by unit --fail-under overall=30"
    assert f"`{command}` checks nothing and exits 1" in " ".join(section("Small groups").split())
    result = dtassess(*command.split()[1:], cwd=repo)
    assert result.returncode == 1, result.stderr
    assert "withheld 3 group(s)" in result.stderr
    assert "no group was checked against the bars" in result.stderr
    out = repo / "units.xml"
    junit = dtassess(*command.split()[1:], "--junit", str(out), cwd=repo)
    assert junit.returncode == 1
    reasons = cases(out).values()
    assert len(reasons) == 3 and all(r.startswith("withheld: ") for r in reasons)
    every = dtassess(*command.split()[1:], "--min-group-size", "1", cwd=repo)
    assert every.returncode == 1
    assert "qingshan · 县财政局 · 2026" in every.stderr  # the unit classname the page shows


def test_many_files_paragraph_matches_the_code():
    text = " ".join(section("Thousands of files").split())
    assert "From 1,000 files on" in text and "up to 8 processes" in text
    assert responses.PARALLEL_FILES == 1000
    assert "min(os.cpu_count() or 1, 8)" in Path(responses.__file__).read_text(encoding="utf-8")


@pytest.mark.slow
def test_validate_and_score_need_no_pdf_stack(repo):
    code = (
        "import sys\nfrom dtassess.cli import app\n"
        "for args in (['validate', '--responses', 'responses'], ['score', 'responses']):\n"
        "    try:\n        app(args)\n    except SystemExit as e:\n        assert e.code == 0\n"
        "print('LOADED', 'weasyprint' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert "LOADED False" in result.stdout, result.stderr


# --------------------------------------------------------------------------- the CI files


def test_github_workflow_parses_and_runs_the_script_commands():
    workflow = yaml.safe_load(block("GitHub Actions", "yaml"))
    assert set(workflow.get("on", workflow.get(True))) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.11"
    runs = "\n".join(s["run"] for s in steps if "run" in s)
    assert "pip install ." in runs
    assert dtassess_lines(runs, plain=True) == dtassess_lines(SCRIPT, plain=True)
    commands = dtassess_lines(runs)
    assert all("--format github" in line for line in commands)
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "always()" and "results/summary.md" in summary["run"]
    assert job["env"]["BARS"] == default_bars()
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "results/"


def test_gitlab_job_parses_and_runs_the_script_commands():
    config = yaml.safe_load(block("GitLab CI", "yaml"))
    (job,) = config.values()
    assert job["image"] == "python:3.11"
    script = "\n".join(job["script"])
    assert "pip install ." in job["script"]
    assert dtassess_lines(script, plain=True) == dtassess_lines(SCRIPT, plain=True)
    assert job["variables"]["BARS"] == default_bars()
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "results/scores.xml"
    assert "--junit results/scores.xml" in dtassess_lines(SCRIPT)[-1]
    quality = job["artifacts"]["reports"]["codequality"]
    assert f"--codequality {quality}" in dtassess_lines(script)[1]


def default_bars() -> str:
    match = re.search(r'^BARS="\$\{BARS:-([^}]+)\}"$', SCRIPT, re.M)
    assert match, "ci.sh sets BARS from the environment with a default"
    return match.group(1)


# --------------------------------------------------------------------------- every option exists


def options_in_help(*command: str) -> set[str]:
    result = dtassess(*command, "--help")
    assert result.returncode == 0, f"dtassess {' '.join(command)} --help: {result.stderr}"
    found = set(re.findall(r"^\W*\s(--[a-z][a-z-]*)", result.stdout, re.M))
    assert "--help" in found, result.stdout  # the help was parsed
    return found


def mentioned_options() -> dict[str, set[str]]:
    """command ("" for dtassess itself) -> the options the page gives it."""
    text = TEXT.replace("\\\n", " ")
    found: dict[str, set[str]] = {}
    pattern = r"\bdtassess((?:[ \t]+--[a-z][a-z-]*)*)[ \t]+([a-z][a-z-]*)([^`\n|;&]*)"
    for before, command, rest in re.findall(pattern, text):
        flags = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest))
        if flags:
            found.setdefault(command, set()).update(flags)
        if before.strip():
            found.setdefault("", set()).update(before.split())
    return found


@pytest.mark.slow
def test_every_option_shown_with_a_command_is_in_its_help():
    mentioned = mentioned_options()
    assert {"--fail-under", "--format", "--quiet", "--junit", "--by"} <= mentioned["score"]
    assert {"--fail-on-drop", "--json", "--markdown"} <= mentioned["score"]
    assert {"--format", "--codequality"} <= mentioned["validate"]
    assert "--responses" in mentioned["validate"]
    for command, flags in mentioned.items():
        known = options_in_help(*command.split())
        assert flags <= known, f"dtassess {command}: {sorted(flags - known)} not in --help"


@pytest.mark.slow
def test_every_option_on_the_page_belongs_to_dtassess():
    """Options named on their own (`--min-group-size K`) too; the generator's are its own."""
    generator = re.findall(r"benchmarks/generate\.py([^`\n]*)", TEXT)
    generator_flags = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", " ".join(generator)))
    assert generator_flags == {"--out"}
    generator_help = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--help"],
        capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    assert "--out OUT" in generator_help and "-q QUESTIONNAIRE" in generator_help
    text = re.sub(r"benchmarks/generate\.py[^`\n]*", "", TEXT)
    commands = ["", *mentioned_options()]
    known = set().union(*(options_in_help(*c.split()) for c in commands))
    shown = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
    assert {"--debug", "--min-group-size", "--quiet"} <= shown
    assert shown <= known, sorted(shown - known)
