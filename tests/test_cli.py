"""The commands as users run them: in-process for exact output, and as real subprocesses."""

from __future__ import annotations

import csv
import io
import json
import sys
from importlib.resources import files

import jsonschema
import pytest
from conftest import DATA, MINI, ROOT, SAMPLES, cli, run

import dtassess

WORKED_Q = DATA / "worked.yaml"
WORKED_R = DATA / "worked"
ALL = ("--min-group-size", "1")  # the worked example's one group has only two respondents
SCHEMA = json.loads(files("dtassess").joinpath("schemas/scores.schema.json").read_text("utf-8"))


def test_help_lists_every_command():
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("validate", "score", "questionnaires", "demo"):
        assert command in result.stdout


def test_help_does_not_import_pandas_or_weasyprint():
    code = (
        "import sys\n"
        "from dtassess.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'numpy', 'weasyprint') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout


def test_version():
    assert run("--version").stdout.strip() == f"dtassess {dtassess.__version__}"


@pytest.mark.slow
def test_validate_the_bundled_questionnaire_as_a_subprocess():
    result = run("validate", ROOT / "questionnaires" / "gov-dt.yaml")
    assert result.returncode == 0, result.stderr
    assert "0 error(s)" in result.stderr
    # Q029 (actions without moves) until the catalogue gives every action its moves.
    assert all(
        "warning: " in line and "have no 'moves'" in line for line in result.stdout.splitlines()
    )


def test_validate_responses_json_format(write):
    bad = write("r.yaml", "questionnaire: mini@1.0\norganization: x\nanswers: {nope: 1}\n")
    result = cli("validate", "--responses", bad, "-q", MINI, "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert problems == [
        {
            "code": "R004",
            "severity": "error",
            "path": str(bad),
            "line": 3,
            "column": 11,
            "message": "unknown question 'nope'",
        }
    ]


def test_score_json_follows_the_schema_and_equals_the_api():
    result = cli("score", WORKED_R, "-q", WORKED_Q, *ALL, "--format", "json", "--by", "unit")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    api = dtassess.to_json_dict(
        dtassess.score(dtassess.load_responses([WORKED_R], WORKED_Q), by="unit")
    )
    assert doc == json.loads(json.dumps(api))
    overall = doc["groups"][0]["scores"]["overall"]
    near = lambda x: pytest.approx(x, abs=5e-5)  # noqa: E731 (the worked example's 4 decimals)
    assert overall == {
        "score": near(40.5323), "level": 3, "coverage": near(0.8966), "n": 2,
        "sd": near(16.0735), "mean": near(40.5323), "median": near(40.5323), "rwg": 0.0,
        "alpha": None, "flags": ["low_agreement"],
    }  # fmt: skip
    # full precision, not 4 decimals: machines compare to 1e-6 and more
    assert overall["coverage"] == 26 / 29 and overall["score"] != round(overall["score"], 4)


def test_score_json_for_respondents_with_thresholds():
    result = cli(
        "score", WORKED_R, "-q", WORKED_Q, "--by", "respondent", "--format", "json",
        "--fail-under", "overall=30",
    )  # fmt: skip
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert [g["respondent"] for g in doc["groups"]] == ["A", "B"]
    assert [(t["group"]["respondent"], t["passed"]) for t in doc["thresholds"]] == [
        ("A", True),
        ("B", False),
    ]
    assert "overall: 29.2 is below the bar 30" in result.stderr


def test_csv_is_one_row_per_group_and_node():
    result = cli("score", WORKED_R, "-q", WORKED_Q, *ALL, "--format", "csv", "--lang", "en")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["node"] for r in rows] == ["overall", "plan", "people", "security"]
    assert float(rows[0]["score"]) == pytest.approx(40.5323, abs=5e-5)
    assert rows[0]["coverage"] == repr(26 / 29) and rows[0]["level_name"] == "Defined"
    assert rows[0]["organization_name"] == "示例县" and rows[3]["title"] == "Security"


def test_fail_under_passes_and_fails():
    ok = cli("score", WORKED_R, "-q", WORKED_Q, *ALL, "--fail-under", "overall=40,plan=48")
    assert ok.exit_code == 0 and "all 2 bar(s) met" in ok.stderr
    failed = cli("score", WORKED_R, "-q", WORKED_Q, *ALL, "--fail-under", "overall=40,security=50")
    assert failed.exit_code == 1
    assert "security: 12.5 is below the bar 50 (demo · 2026)" in failed.stderr


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("overall", "cannot read 'overall'"),
        ("overall=high", "cannot read 'overall=high'"),
        ("securty=50", "did you mean 'security'"),
        ("overall=150", "outside the score range"),
    ],
)
def test_bad_fail_under_is_a_usage_error(spec, words):
    result = cli("score", WORKED_R, "-q", WORKED_Q, "--fail-under", spec)
    assert result.exit_code == 2
    assert words in result.stderr


def test_output_file_is_written_and_never_overwritten(tmp_path):
    out = tmp_path / "scores.json"
    first = cli("score", WORKED_R, "-q", WORKED_Q, "--format", "json", "-o", out)
    assert first.exit_code == 0 and json.loads(out.read_text("utf-8"))["respondents"] == 2
    out.write_text("mine", encoding="utf-8")
    again = cli("score", WORKED_R, "-q", WORKED_Q, "--format", "json", "-o", out)
    assert again.exit_code == 2 and "already exists; pass --force" in again.stderr
    assert out.read_text("utf-8") == "mine"
    forced = cli("score", WORKED_R, "-q", WORKED_Q, "--format", "csv", "-o", out, "--force")
    assert forced.exit_code == 0 and out.read_text("utf-8").startswith("organization,")
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_table_to_a_file(tmp_path):
    out = tmp_path / "scores.txt"
    result = cli("score", WORKED_R, "-q", WORKED_Q, *ALL, "-o", out, "--lang", "en")
    assert result.exit_code == 0
    assert "Overall" in out.read_text("utf-8")


def test_unknown_language_is_a_usage_error():
    result = cli("score", WORKED_R, "-q", WORKED_Q, "--lang", "fr")
    assert result.exit_code == 2 and "written in zh, en" in result.stderr


def test_usage_errors_exit_2():
    assert cli("score").exit_code == 2
    assert cli("score", WORKED_R, "--by", "county").exit_code == 2
    assert cli("frobnicate").exit_code == 2


def test_questionnaires_lists_the_bundled_ones():
    result = cli("questionnaires", "--lang", "en")
    assert result.exit_code == 0
    assert "gov-dt" in result.stdout and "45" in result.stdout


@pytest.mark.slow
def test_demo_scores_and_renders_both_languages_as_a_subprocess(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", "-o", out, "--date", "2026-11-25")
    assert result.returncode == 0, result.stderr
    assert "青山县人民政府" in result.stdout and "数据隐私与安全" in result.stdout
    names = sorted(p.name for p in out.iterdir())
    assert names == ["qingshan-annual-en.pdf", "qingshan-annual-zh.pdf", "qingshan-en.html",
                     "qingshan-en.pdf", "qingshan-zh.html", "qingshan-zh.pdf"]  # fmt: skip
    assert all((out / n).stat().st_mode & 0o044 for n in names)  # readable like any file
    again = run("demo", "-o", out)
    assert again.returncode == 2 and "already exists; pass --force" in again.stderr


@pytest.mark.slow
def test_score_sample_directory_as_a_subprocess_json():
    result = run("score", SAMPLES, "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["respondents"] == 5 and doc["groups"][0]["organization"] == "qingshan"


@pytest.mark.slow
def test_bad_input_as_a_subprocess_never_shows_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("questionnaire: gov-dt@1.0\norganization: x\nanswers: [\n", encoding="utf-8")
    result = run("score", bad)
    assert result.returncode == 2
    assert f"{bad}:4:1: YAML syntax error" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_non_utf8_file_is_reported(tmp_path):
    bad = tmp_path / "gbk.yaml"
    bad.write_bytes("organization: 青山县\n".encode("gb18030"))
    result = run("validate", bad)
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "UTF-8" in result.stderr


def test_ctrl_c_exits_130(monkeypatch):
    import dtassess.inputs.responses

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dtassess.inputs.responses, "load_responses", interrupted)
    result = cli("score", WORKED_R, "-q", WORKED_Q)
    assert result.exit_code == 130 and "interrupted" in result.stderr


def test_internal_errors_are_reported_without_a_traceback(monkeypatch):
    import dtassess.scoring.scores

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(dtassess.scoring.scores, "score", broken)
    result = cli("score", WORKED_R, "-q", WORKED_Q)
    assert result.exit_code == 3
    assert "internal error: ZeroDivisionError: boom" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_a_directory_of_questionnaires(tmp_path):
    ok = cli("validate", ROOT / "questionnaires")
    assert ok.exit_code == 0 and "1 file(s) checked" in ok.stderr
    assert cli("validate", tmp_path).exit_code == 2


def test_one_respondent_in_two_files_is_kept_apart_and_flagged(tmp_path):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.yaml").write_text(
            (WORKED_R / "a.yaml").read_text("utf-8"), encoding="utf-8"
        )
    result = cli("score", tmp_path, "-q", WORKED_Q, "--by", "respondent", "--format", "json")
    assert result.exit_code == 0
    assert "respondent demo · 2026 · A also answered in" in result.stderr
    assert len(json.loads(result.stdout)["groups"]) == 2


def test_csv_neutralises_cells_a_spreadsheet_would_run(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    for name in ("a.yaml", "b.yaml"):
        text = (
            (WORKED_R / name)
            .read_text("utf-8")
            .replace("name: 示例县", 'name: \'=HYPERLINK("http://x.invalid","click")\'')
        )
        (folder / name).write_text(text, encoding="utf-8")
    result = cli("score", folder, "-q", WORKED_Q, *ALL, *ALL, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["organization_name"].startswith("'=HYPERLINK")
    assert float(rows[0]["score"]) == pytest.approx(40.5323, abs=5e-5)  # numbers stay numbers


def test_junit_makes_each_bar_a_test_case():
    from xml.etree import ElementTree as ET

    result = cli(
        "score", WORKED_R, "-q", WORKED_Q, *ALL, "--format", "junit",
        "--fail-under", "overall=40,security=50",
    )  # fmt: skip
    assert result.exit_code == 1
    suite = ET.fromstring(result.stdout.split("?>", 1)[1])
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["overall"].find("failure") is None
    failure = cases["security"].find("failure")
    assert "12.5 is below the bar 50" in failure.get("message")
    plain = cli("score", WORKED_R, "-q", WORKED_Q, *ALL, "--format", "junit")
    assert plain.exit_code == 0 and 'tests="1"' in plain.stdout


def test_parquet_holds_the_csv_rows(tmp_path):
    import pandas as pd

    out = tmp_path / "s.parquet"
    result = cli("score", WORKED_R, "-q", WORKED_Q, *ALL, "--format", "parquet", "-o", out)
    assert result.exit_code == 0, result.stderr
    frame = pd.read_parquet(out)
    assert list(frame["node"]) == ["overall", "plan", "people", "security"]
    assert frame["score"].iloc[0] == pytest.approx(40.5323)
    assert cli("score", WORKED_R, "-q", WORKED_Q, *ALL, "--format", "parquet").exit_code == 2


@pytest.mark.slow
def test_progress_bar_only_on_a_terminal_and_never_with_quiet(tmp_path):
    import pexpect

    out = tmp_path / "s.json"
    piped = run("score", SAMPLES, "--format", "json", "-o", out)
    assert piped.returncode == 0 and "reading" not in piped.stderr
    quiet = run("score", SAMPLES, "--format", "json", "-o", out, "--force", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "dtassess", "score", str(SAMPLES), "--format", "json", "-o", str(tmp_path / "t"),
         "--fail-under", "overall=10"],
        encoding="utf-8", timeout=60, env={**__import__("os").environ, "TERM": "xterm"},
    )  # fmt: skip
    child.expect("reading")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
