"""CLI conventions: a closed pipe is no error, `-o -` is standard output, and a file named twice
(or through two paths) is read once."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import MINI, ROOT, SAMPLES, cli

SAMPLE_A = SAMPLES / "01-zhengshuju-fujuzhang.yaml"
SAMPLE_B = SAMPLES / "02-zhengshuju-shujuke.yaml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}


def _reader_gone(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """Run `python -m dtassess ARGS` with standard output a pipe whose reader has closed it
    before the first byte, as `| head` does once it has its lines."""
    child = subprocess.Popen(
        [sys.executable, "-m", "dtassess", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=ENV,
    )
    child.stdout.close()
    stderr = child.stderr.read().decode("utf-8", "replace")
    return subprocess.CompletedProcess(child.args, child.wait(timeout=60), "", stderr)


# --------------------------------------------------------------------------- a closed pipe


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("score", SAMPLES, "--format", "csv"),
        ("score", SAMPLES, "--min-group-size", "1"),  # a rich table
        ("roadmap", SAMPLES),
        ("validate", "--responses", SAMPLES, "--format", "json"),
        ("questionnaires",),
        ("score", SAMPLES, "--format", "parquet", "-o", "-"),
        ("--help",),
        ("score", "--help"),
        ("--version",),
    ],
    ids=lambda a: " ".join(str(x) for x in a).replace(str(SAMPLES), "DIR"),
)
def test_a_closed_pipe_ends_quietly_with_0(tmp_path, args):
    result = _reader_gone(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pipe" not in result.stderr.lower()
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="a shell pipeline")
def test_head_of_a_long_output_exits_0(tmp_path):
    # More than a pipe buffer (64 KiB) of CSV: the write fails in the middle, as with `| head`.
    for i in range(40):
        text = SAMPLE_A.read_text(encoding="utf-8").replace("id: r-01", f"id: r-{i:02d}")
        (tmp_path / f"r{i:02d}.yaml").write_text(text, encoding="utf-8")
    command = (
        f"set -o pipefail; {sys.executable} -m dtassess score {tmp_path} --by respondent "
        "--format csv | head -1"
    )
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=ENV, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("organization,")
    assert result.stderr == ""


@pytest.mark.slow
def test_a_closed_pipe_keeps_a_failed_bar_failing(tmp_path):
    # Nothing goes to the closed standard output: the run's own verdict stands.
    out = tmp_path / "scores.json"
    result = _reader_gone(
        "score", SAMPLES, "--format", "json", "-o", out, "--fail-under", "overall=99", cwd=tmp_path
    )
    assert result.returncode == 1
    assert "below the bar" in result.stderr


# --------------------------------------------------------------------------- -o -


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("score", SAMPLES, "--format", "csv"),
        ("score", SAMPLES, "--format", "json"),
        ("score", SAMPLES, "--format", "junit", "--fail-under", "overall=10"),
        ("score", SAMPLES, "--min-group-size", "1"),
        ("roadmap", SAMPLES, "--format", "json"),
        ("roadmap", SAMPLES),
    ],
    ids=["csv", "json", "junit", "table", "roadmap-json", "roadmap-table"],
)
def test_dash_is_standard_output(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # JUnit's run time and duration fixed
    plain = cli(*args)
    dashed = cli(*args, "-o", "-")
    assert dashed.exit_code == plain.exit_code == 0, dashed.stderr
    assert dashed.stdout == plain.stdout and dashed.stdout
    assert "wrote" not in dashed.stderr
    assert list(tmp_path.iterdir()) == []  # no file called -


@pytest.mark.slow
def test_parquet_to_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("score", SAMPLES, "--format", "parquet", "-o", "-")
    assert result.exit_code == 0, result.stderr
    table = pd.read_parquet(io.BytesIO(result.stdout_bytes))
    assert set(table["node"]) >= {"overall", "strategy"}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_file_called_dash_is_named_with_its_folder(tmp_path, monkeypatch):
    # ./- is - once parsed as a path: a file called - takes a folder in its name.
    monkeypatch.chdir(tmp_path)
    result = cli("score", SAMPLES, "--format", "csv", "-o", tmp_path / "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert (tmp_path / "-").read_text(encoding="utf-8").startswith("organization,")


MINI_RESPONSE = """\
questionnaire: mini@1.0
organization: {{id: qs, name: Qingshan}}
period: "2026"
respondent: {{id: r{}}}
answers:
  strategy.plan.exists: yes
  strategy.plan.quality: {}
  security.budget: 5
"""


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory):
    """A report of three respondents (of the small questionnaire, the fastest to render)
    written to standard output, kept as a file."""
    folder = tmp_path_factory.mktemp("pdf")
    for i in range(3):
        (folder / f"r{i}.yaml").write_text(MINI_RESPONSE.format(i, i + 2), encoding="utf-8")
    result = cli("report", folder, "-q", MINI, "-o", "-", "--lang", "en")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"%PDF-")
    path = folder / "report.pdf"
    path.write_bytes(result.stdout_bytes)
    return path


@pytest.mark.slow
def test_html_report_to_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("report", SAMPLES, "-o", "-", "--format", "html", "--lang", "en")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.lstrip().lower().startswith("<!doctype html")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("report", SAMPLES, "--per-unit", "--format", "html"), "--per-unit writes one report"),
        (("report", "{two_orgs}", "--format", "html"), "the responses name 2 organizations"),
        (("import", "{export}", "-q", MINI), "import writes one response file per row"),
        (("demo",), "the demo writes six reports"),
        (("survey",), "the survey saves its answers to a file"),
    ],
    ids=["per-unit", "several-organizations", "import", "demo", "survey"],
)
def test_dash_where_several_files_are_written_is_a_usage_error(tmp_path, monkeypatch, args, why):
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "orgs" / "other.yaml"
    other.parent.mkdir()
    shutil.copy(SAMPLE_A, tmp_path / "orgs" / "a.yaml")
    other.write_text(
        SAMPLE_B.read_text(encoding="utf-8").replace("id: qingshan", "id: other"), "utf-8"
    )
    export = tmp_path / "e.csv"
    export.write_text("organization,respondent,security.budget\nqs,r1,5\n", encoding="utf-8")
    args = [str(a).format(two_orgs=other.parent, export=export) for a in args]
    result = cli(*args, "-o", "-")
    assert result.exit_code == 2, result.stderr
    assert f"-o -: {why}" in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.csv", "orgs"]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal")
@pytest.mark.parametrize(
    ("args", "what"),
    [
        (("score", SAMPLES, "--format", "parquet"), "Parquet"),
        (("report", SAMPLES, "--lang", "en"), "a PDF"),
    ],
    ids=["parquet", "pdf"],
)
def test_binary_to_a_terminal_is_refused_before_any_work(tmp_path, args, what):
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "dtassess", *map(str, args), "-o", "-"],
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=ENV,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 2
    assert f"-o -: {what} is binary and standard output is a terminal" in result.stderr
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- read once


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """Two response files in sub/, a symlink and a hard link to the first, an export and a
    symlink to it; the working directory is tmp_path."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    shutil.copy(SAMPLE_A, tmp_path / "sub" / "a.yaml")
    shutil.copy(SAMPLE_B, tmp_path / "sub" / "b.yaml")
    (tmp_path / "link.yaml").symlink_to("sub/a.yaml")
    os.link(tmp_path / "sub" / "a.yaml", tmp_path / "hard.yaml")
    (tmp_path / "e.csv").write_text(
        "organization,respondent,period,strategy.plan.exists,security.budget\n"
        "qs,r1,2026,yes,5\nqs,r2,2026,no,7\n",
        encoding="utf-8",
    )
    (tmp_path / "e-link.csv").symlink_to("e.csv")
    return tmp_path


NAMED_AGAIN = "this file is named more than once (perhaps also inside a folder given)"
SAME_AS = "this is the same file as {} (through a link or another path)"

# (paths given, the warning's place, its message)
RESPONSE_TWICE = [
    (["sub/a.yaml", "sub/b.yaml", "sub/a.yaml"], "sub/a.yaml", NAMED_AGAIN),
    (["sub/a.yaml", "sub/b.yaml", "./sub/a.yaml"], "sub/a.yaml", NAMED_AGAIN),
    (["sub", "sub/a.yaml"], "sub/a.yaml", NAMED_AGAIN),
    (["sub", "link.yaml"], "link.yaml", SAME_AS.format("sub/a.yaml")),
    (["sub", "hard.yaml"], "hard.yaml", SAME_AS.format("sub/a.yaml")),
    (["sub", "sub/../sub/b.yaml"], "sub/../sub/b.yaml", SAME_AS.format("sub/b.yaml")),
]
RESPONSE_IDS = ["twice", "dot-slash", "folder-and-file", "symlink", "hard-link", "dot-dot"]


@pytest.mark.slow
@pytest.mark.parametrize(("paths", "place", "message"), RESPONSE_TWICE, ids=RESPONSE_IDS)
def test_a_response_file_named_twice_is_scored_once(inputs, paths, place, message):
    result = cli("score", *paths, "--min-group-size", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["groups"][0]["respondents"] == 2
    assert f"{place}: warning: {message}; it is read once" in result.stderr
    assert "R016" not in result.stderr and "also answered in" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("paths", "place", "message"), RESPONSE_TWICE, ids=RESPONSE_IDS)
def test_a_response_file_named_twice_is_checked_once(inputs, paths, place, message):
    result = cli("validate", "--responses", *paths, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found = [p for p in json.loads(result.stdout) if p["code"] == "F015"]
    assert [(p["path"], p["severity"]) for p in found] == [(place, "warning")]
    assert "2 file(s) checked: 0 error(s), 1 warning(s)" in result.stderr


@pytest.mark.parametrize(
    ("paths", "place", "message"),
    [
        (["e.csv", "./e.csv"], "e.csv", NAMED_AGAIN),
        (["e.csv", "e-link.csv"], "e-link.csv", SAME_AS.format("e.csv")),
    ],
    ids=["twice", "symlink"],
)
@pytest.mark.parametrize("command", ["score", "import", "archive"])
def test_an_export_named_twice_is_read_once(inputs, paths, place, message, command):
    if command == "score":
        result = cli("score", *paths, "-q", MINI, "--min-group-size", "1", "--format", "json")
        assert json.loads(result.stdout)["groups"][0]["respondents"] == 2
    elif command == "import":
        result = cli("import", *paths, "-q", MINI, "-o", "out")
        assert "2 row(s) read from 1 export(s), 2 response file(s) written" in result.stderr
    else:
        result = cli("archive", "add", *paths, "-q", MINI, "--to", "archive")
        assert "2 response(s) added, 0 already archived" in result.stderr
    assert result.exit_code == 0, result.stderr
    assert f"{place}: warning: {message}; it is read once" in result.stderr


@pytest.mark.slow
def test_archive_add_reads_a_response_file_once(inputs):
    result = cli("archive", "add", "sub", "link.yaml", "--to", "archive")
    assert result.exit_code == 0, result.stderr
    assert "link.yaml: warning: this is the same file as sub/a.yaml" in result.stderr
    assert "2 response(s) added, 0 already archived" in result.stderr


def test_a_questionnaire_named_twice_is_checked_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "q").mkdir()
    shutil.copy(MINI, tmp_path / "q" / "mini.yaml")
    result = cli("validate", "q", "q/mini.yaml")
    assert result.exit_code == 0, result.stderr
    assert f"q/mini.yaml: warning: {NAMED_AGAIN}; it is read once" in result.stdout
    assert "1 file(s) checked: 0 error(s), 1 warning(s)" in result.stderr


@pytest.mark.slow
def test_a_report_pdf_named_twice_is_read_once(report_pdf, tmp_path, monkeypatch):
    # The PDF written to standard output carries its results as a file's does.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "again.pdf").symlink_to(report_pdf)
    result = cli("score", report_pdf, "again.pdf", "-q", MINI, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert f"again.pdf: warning: {SAME_AS.format(report_pdf)}" in result.stderr
    assert json.loads(result.stdout)["groups"][0]["respondents"] == 3
