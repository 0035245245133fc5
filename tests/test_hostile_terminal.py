"""Text from input files never drives the terminal: no escape sequence reaches it, and a name
that looks like rich markup is shown as it is."""

from __future__ import annotations

import json

import pytest
from conftest import MINI, run

HOSTILE_ORG = "o\x1b[2Jx[/bold]"
HOSTILE_UNIT = "u\x1b[31mred\r"


def response(tmp_path, answers=None):
    path = tmp_path / "r.yaml"
    doc = {
        "questionnaire": "mini@1.0",
        "organization": {"id": HOSTILE_ORG},
        "unit": HOSTILE_UNIT,
        "period": "2026",
        "respondent": {"id": "r1"},
        "answers": answers or {"strategy.plan.exists": "yes"},
    }
    path.write_text(json.dumps(doc), encoding="utf-8")  # JSON is YAML: escapes kept exact
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("score", "--min-group-size", "1"),
        ("score", "--min-group-size", "1", "--by", "unit"),
        ("roadmap", "--min-group-size", "1"),
    ],
)
def test_names_reach_tables_without_escape_sequences_or_markup(tmp_path, args):
    result = run(args[0], response(tmp_path), "-q", MINI, *args[1:])
    assert result.returncode == 0, result.stderr
    # Not a terminal: rich adds no colour, so any ESC would be the file's.
    assert "\x1b" not in result.stdout and "\r" not in result.stdout
    assert "o[2Jx[/bold]" in result.stdout


@pytest.mark.slow
def test_problem_messages_show_control_characters_escaped(tmp_path):
    path = response(tmp_path, {"strategy.plan.exists": "yes", "bad\x1b[2J\rq": 1})
    result = run("validate", "--responses", path, "-q", MINI)
    assert result.returncode == 1
    assert "unknown question 'bad\\x1b[2J\\rq'" in result.stdout
    assert "\x1b" not in result.stdout


@pytest.mark.slow
def test_a_lone_surrogate_in_a_json_response_is_located(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(
        '{"questionnaire": "mini@1.0", "organization": {"id": "o\\ud800x"},\n'
        ' "answers": {"strategy.plan.exists": "yes"}}\n',
        encoding="utf-8",
    )
    for args, code in (
        (("score", path, "-q", MINI), 2),
        (("validate", "--responses", path, "-q", MINI), 1),
    ):
        result = run(*args)
        assert result.returncode == code, result.stderr
        out = result.stdout + result.stderr
        assert f"{path}:1:56: the escape \\ud800 is half of a character" in out
        assert "Traceback" not in out and "internal error" not in out
