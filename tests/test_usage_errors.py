"""Options that do not go together are usage problems of their own family (U001, U002), not
borrowed file or threshold codes (docs/errors.md, "Usage")."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, cli

from dtassess import cli as commands


@pytest.fixture
def codes(monkeypatch):
    """The codes of the problems the command reports, in order."""
    found: list[str] = []
    shown = commands.report_problems

    def record(problems):
        found.extend(p.code for p in problems)
        shown(problems)

    monkeypatch.setattr(commands, "report_problems", record)
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["roadmap", SAMPLES, "--target", "4", "--targets", "x.yaml"],
            "U001",
            "give --target or --targets, not both",
        ),
        (
            ["report", SAMPLES, "--annual", "--per-unit", "-o", "out"],
            "U001",
            "give --annual or --per-unit, not both",
        ),
        (
            ["score", "report.pdf", "--by", "unit"],
            "U001",
            "--by unit with PDF reports: a report carries its scores by organization",
        ),
        (
            ["score", SAMPLES, "--format", "parquet"],
            "U002",
            "--format parquet needs -o FILE",
        ),
        (
            ["score", SAMPLES, "--scheduler", "tcp://127.0.0.1:1"],
            "U002",
            "--scheduler and --partitions need --engine dask",
        ),
        (
            ["score", SAMPLES, "--partitions", "4"],
            "U002",
            "--scheduler and --partitions need --engine dask",
        ),
    ],
)
def test_options_that_do_not_go_together(tmp_path, monkeypatch, codes, args, code, message):
    monkeypatch.chdir(tmp_path)
    result = cli(*args)
    assert result.exit_code == 2
    assert codes == [code]
    assert message in result.stderr
