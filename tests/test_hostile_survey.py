"""The survey never loses an answer: locks, backups, unwritable paths, failing disks, the review's
keys, and notes that skip logic orphans (issue 12, items 13-17; docs/survey.md)."""

from __future__ import annotations

import json

import pytest
from conftest import MINI, cli

import dtassess
from dtassess.questionnaire import load_questionnaire

EXISTS, QUALITY = "strategy.plan.exists", "strategy.plan.quality"
BUDGET, TOOLS = "security.budget", "security.tools"
HEAD = "questionnaire: mini@1.0\norganization: {id: qingshan}\nrespondent: {id: r01}\nanswers:\n"


@pytest.fixture(scope="module")
def mini():
    return load_questionnaire(MINI)


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
        # a note under a question that is shown but unanswered: kept, with a warning
        (f"  {BUDGET}: {{note: not known}}\n", [("R019", 5, 3, "warning")], 0),
        (f"  {BUDGET}: {{value: null, evidence: [a.pdf]}}\n", [("R019", 5, 3, "warning")], 0),
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
def test_validate_reports_notes_without_an_answer(write, answers, codes, exit_code):
    path = write("r.yaml", HEAD + answers)
    result = cli("validate", "--responses", path, "-q", MINI, "--format", "json")
    assert result.exit_code == exit_code, result.output
    found = json.loads(result.stdout)
    assert [(p["code"], p["line"], p["column"], p["severity"]) for p in found] == codes


def test_a_note_under_a_hidden_question_is_not_loaded(write, mini):
    path = write("r.yaml", HEAD + f"  {EXISTS}: 'no'\n  {QUALITY}: {{note: stale}}\n")
    loaded = dtassess.load_responses([path], mini)
    assert loaded.notes.empty
