"""Shared helpers: inline questionnaires and responses, and ways to run the CLI as users do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dtassess.cli import app

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini.yaml"
SAMPLES = ROOT / "questionnaires" / "samples"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def write(tmp_path: Path):
    """write("name.yaml", text) -> path of a file holding the dedented text."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
        return path

    return _write


def mini_response(folder: Path, name: str, org: str, unit=None, respondent="r1") -> Path:
    """A response file to tests/data/mini.yaml for `org` (and `unit`), written as YAML."""
    import yaml

    doc = {
        "questionnaire": "mini@1.0",
        "organization": {"id": org},
        "period": "2026",
        "respondent": {"id": respondent},
        "answers": {"strategy.plan.exists": "yes", "strategy.plan.quality": 3},
    }
    if unit:
        doc["unit"] = unit
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    """A folder of three mini.yaml response files of one organization, qs (r0, r1, r2)."""
    folder = tmp_path / "answers"
    folder.mkdir()
    for k in range(3):
        mini_response(folder, f"{k}.yaml", "qs", respondent=f"r{k}")
    return folder


def survey_piped(
    cwd: Path, stdin: str, *args: str, columns: int = 100, timeout: int = 60
) -> subprocess.CompletedProcess:
    """`dtassess survey --lang en ARGS` as a subprocess, its answers piped in."""
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "dtassess", "survey", "--lang", "en", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def cli(*args: str):
    """Run the CLI in-process, stdout and stderr kept apart."""
    return CliRunner().invoke(app, [str(a) for a in args])


def run(*args: str, cwd: Path | None = None, env: dict | None = None):
    """Run `python -m dtassess` as a real subprocess."""
    full_env = {**os.environ, "COLUMNS": "120", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dtassess", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )
