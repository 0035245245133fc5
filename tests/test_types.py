"""The type check `scripts/dev test` runs before the tests (mypy, [tool.mypy] in pyproject.toml)
catches what a test might miss: a misspelled field, a wrong keyword argument, in annotated
functions and in unannotated ones alike."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

pytest.importorskip("mypy")

CODE = """\
from dtassess.errors import Problem
from dtassess.inputs.questionnaire import Questionnaire


def place(problem: Problem) -> str:
    return problem.mesage


def unannotated(q):
    return Problem("F001", "x", pathh="a.yaml"), Questionnaire.titel
"""


@pytest.mark.slow
def test_mypy_catches_a_misspelled_field_and_a_wrong_keyword(tmp_path):
    code = tmp_path / "bad.py"
    code.write_text(CODE, encoding="utf-8")
    # the project's settings, and its cache: warm after `scripts/dev test` has run mypy once
    found = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", ROOT / "pyproject.toml",
         "--cache-dir", ROOT / ".mypy_cache", "--python-executable", sys.executable, code],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    errors = [
        line.split(": error: ", 1) for line in found.stdout.splitlines() if ": error: " in line
    ]
    # dtassess itself checks clean: these three are the only errors
    assert [(where.rsplit(":", 1)[-1], what.split("  [")[0]) for where, what in errors] == [
        ("6", '"Problem" has no attribute "mesage"; maybe "message"?'),
        ("10", 'Unexpected keyword argument "pathh" for "Problem"; did you mean "path"?'),
        ("10", '"type[Questionnaire]" has no attribute "titel"'),
    ], found.stdout
    assert found.returncode == 1
