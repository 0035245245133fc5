"""Shared helpers: inline questionnaires and responses, and ways to run the CLI as users do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dtassess.cli import app
from dtassess.inputs.questionnaire import Questionnaire, load_questionnaire

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


@pytest.fixture(scope="session")
def mini() -> Questionnaire:
    """tests/data/mini.yaml, loaded once (a Questionnaire is frozen)."""
    return load_questionnaire(MINI)


# --------------------------------------------------------------------------- questionnaires
# Small valid questionnaires built from parts: `questionnaire_text(...)` for the checker,
# the `make_questionnaire` fixture for a file. Every text is given in zh and en.


def both(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def scale(*mins: float) -> list[dict]:
    """Maturity levels 1, 2, ... starting at the given scores."""
    return [
        {"level": i, "name": both(f"等级{i}", f"Level {i}"), "min": low}
        for i, low in enumerate(mins, start=1)
    ]


def level_question(qid: str, levels: int = 5, **fields) -> dict:
    """A `level` question with one option per level, 1 .. `levels`."""
    options = [{"level": i, "label": both(f"等级{i}", f"Level {i}")} for i in range(1, levels + 1)]
    return {"id": qid, "type": "level", "text": both(f"问题 {qid}", f"Question {qid}"),
            "options": options, **fields}  # fmt: skip


def choice_question(qid: str, scores: dict[str, float], **fields) -> dict:
    """A `single` question whose options (value -> score) are given in order."""
    options = [
        {"value": value, "label": both(f"选{value}", f"Option {value}"), "score": score}
        for value, score in scores.items()
    ]
    return {"id": qid, "type": "single", "text": both(f"问题 {qid}", f"Question {qid}"),
            "options": options, **fields}  # fmt: skip


def question(qid: str, qtype: str = "boolean", **fields) -> dict:
    """A question of any type, its other fields (options, min, max, bands, when ...) given as
    the format names them: question("x.n", "number", min=0, max=10, when="x.b == 'yes'")."""
    return {"id": qid, "type": qtype, "text": both(f"问题 {qid}", f"Question {qid}"), **fields}


def action(aid: str, reach: int = 2, **fields) -> dict:
    """An action of a dimension that lifts it to level `reach` (medium effort, high impact,
    short horizon unless given)."""
    return {"id": aid, "reach": reach, "title": both(f"行动 {aid}", f"Action {aid}"),
            "effort": "medium", "impact": "high", "horizon": "short", **fields}  # fmt: skip


def dimension(did: str, questions=(), **fields) -> dict:
    """A dimension of questions (or of sub-dimensions, given as `dimensions=[...]`); other
    fields (weight, aggregate, actions ...) as the format names them."""
    node: dict = {"id": did, "title": both(f"维度 {did}", f"Dimension {did}"), **fields}
    if questions:
        node["questions"] = list(questions)
    return node


def questionnaire_text(
    qid: str = "t",
    version: str = "1.0",
    dimensions=None,
    levels=(0, 20, 40, 60, 80),
    **fields,
) -> str:
    """A valid questionnaire as YAML: id, version, title, zh and en, a scale starting at
    `levels`, and `dimensions` (by default one, `d`, with one level question `d.q1`); other
    top-level fields (unanswered, aggregate, score_range ...) as the format names them."""
    if dimensions is None:
        dimensions = [dimension("d", [level_question("d.q1")])]
    doc = {"id": qid, "version": version, "title": both(f"问卷 {qid}", f"Questionnaire {qid}"),
           "locales": ["zh", "en"], **fields, "scale": scale(*levels),
           "dimensions": dimensions}  # fmt: skip
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@pytest.fixture
def make_questionnaire(tmp_path: Path):
    """make_questionnaire(name="q.yaml", **as questionnaire_text) -> the file's path."""

    def _make(name: str = "q.yaml", **options) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(questionnaire_text(**options), encoding="utf-8")
        return path

    return _make


def mini_response(folder: Path, name: str, org: str, unit=None, respondent="r1") -> Path:
    """A response file to tests/data/mini.yaml for `org` (and `unit`), written as YAML."""
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


def xlsx_bytes(rows: list[list], merge: str | None = None) -> bytes:
    """A workbook of `rows` on its first sheet (cells `merge`d when given), as openpyxl saves it."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
