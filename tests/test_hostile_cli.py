"""CLI conventions: a closed pipe is no error, `-o -` is standard output, and a file named twice
(or through two paths) is read once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLES

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


def test_a_closed_pipe_keeps_a_failed_bar_failing(tmp_path):
    # Nothing goes to the closed standard output: the run's own verdict stands.
    out = tmp_path / "scores.json"
    result = _reader_gone(
        "score", SAMPLES, "--format", "json", "-o", out, "--fail-under", "overall=99", cwd=tmp_path
    )
    assert result.returncode == 1
    assert "below the bar" in result.stderr
