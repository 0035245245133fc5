"""The use cases called as a library user calls them (dtassess/pipeline.py): each gives what the
command gives, returns what it did, and prints nothing."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import MINI, cli, mini_response

import dtassess
import dtassess.pipeline
from dtassess.errors import DtassessError
from dtassess.pipeline import Done, NothingToReport, ReportOptions

DAY = "2026-11-25"


def answers(folder: Path, groups: dict[tuple[str, str | None], int]) -> Path:
    """Response files to mini.yaml: `count` respondents for each (organization, unit)."""
    folder.mkdir(parents=True, exist_ok=True)
    for (org, unit), count in groups.items():
        for i in range(count):
            name = f"{len(list(folder.iterdir()))}.yaml"
            mini_response(folder, name, org, unit=unit, respondent=f"{org}-{unit}-{i}")
    return folder


def options(output: Path, **changes) -> ReportOptions:
    return ReportOptions(output=output, questionnaire=str(MINI), fmt="html", date=DAY, **changes)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_a_report_written_through_the_api_equals_the_commands(tmp_path, capsys):
    given = answers(tmp_path / "in", {("a", None): 3})
    done = dtassess.write_reports([given], options(tmp_path / "api.html"))
    assert capsys.readouterr() == ("", "")  # the library prints nothing
    assert done.paths == [tmp_path / "api.html"] and done.problems == done.notices == []
    result = cli("report", given, "-q", MINI, "--format", "html", "--date", DAY,
                 "-o", tmp_path / "cli.html")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "api.html").read_bytes() == (tmp_path / "cli.html").read_bytes()


@pytest.mark.slow
def test_several_organizations_a_folder_of_safe_names_and_the_small_ones_withheld(tmp_path):
    given = answers(tmp_path / "in", {("a", None): 3, ("b/../c", None): 3, ("small", None): 1})
    said: list = []
    done = dtassess.write_reports([given], options(tmp_path / "api"), say=said.append)
    assert [p.parent for p in done.paths] == [tmp_path / "api"] * 2
    assert len(done.notices) == 1 and "withheld 1 organization(s)" in done.notices[0]
    assert said == done.notices  # told as it happened, and kept
    result = cli("report", given, "-q", MINI, "--format", "html", "--date", DAY,
                 "-o", tmp_path / "cli")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert done.notices[0] in result.stderr
    assert files(tmp_path / "api") == files(tmp_path / "cli")


def test_every_group_withheld_is_nothing_to_report_and_nothing_is_written(tmp_path):
    given = answers(tmp_path / "in", {("a", None): 1})
    with pytest.raises(NothingToReport) as caught:
        dtassess.write_reports([given], options(tmp_path / "out.html"))
    assert caught.value.exit_code == 1
    assert not (tmp_path / "out.html").exists()
    result = cli("report", given, "-q", MINI, "--format", "html", "-o", tmp_path / "o.html")
    assert result.exit_code == 1
    assert caught.value.notice in result.stderr


@pytest.mark.slow
def test_standard_output_is_data_returned_not_a_file(tmp_path, monkeypatch):
    given = answers(tmp_path / "in", {("a", None): 3})
    monkeypatch.chdir(tmp_path)
    done = dtassess.write_reports([given], options(Path("-")))
    assert done.paths == [] and done.data is not None and done.data.startswith(b"<!DOCTYPE")
    assert not (tmp_path / "-").exists()


@pytest.mark.slow
def test_all_or_none_an_existing_file_refused_before_any_work(tmp_path):
    given = answers(tmp_path / "in", {("a", None): 3, ("b", None): 3})
    (tmp_path / "out").mkdir()
    first = dtassess.write_reports([given], options(tmp_path / "out"))
    (kept,) = [p for p in first.paths if p.name.startswith("b")]
    kept.write_text("mine")
    with pytest.raises(DtassessError):
        dtassess.write_reports([given], options(tmp_path / "out"))
    assert kept.read_text() == "mine"
    again = dtassess.write_reports([given], options(tmp_path / "out", force=True))
    assert again.paths == first.paths


@pytest.mark.slow
def test_unit_reports_through_the_api_equal_the_commands(tmp_path):
    given = answers(tmp_path / "in", {("a", "u1"): 3, ("a", "u2"): 3, ("a", "tiny"): 1})
    done = dtassess.write_unit_reports([given], options(tmp_path / "api"))
    assert sorted(done.labels) == ["u1", "u2"] and len(done.paths) == 2
    assert len(done.notices) == 1 and "withheld 1 unit(s)" in done.notices[0]
    result = cli("report", given, "--per-unit", "-q", MINI, "--format", "html", "--date", DAY,
                 "-o", tmp_path / "cli")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert files(tmp_path / "api") == files(tmp_path / "cli")


@pytest.mark.slow
def test_annual_reports_through_the_api_equal_the_commands(tmp_path):
    given = answers(tmp_path / "in", {("a", "u1"): 3, ("a", "u2"): 3})
    done = dtassess.write_annual_reports([given], options(tmp_path / "api.html", resamples=0))
    assert done.paths == [tmp_path / "api.html"]
    result = cli("report", given, "--annual", "-q", MINI, "--format", "html", "--date", DAY,
                 "--resamples", "0", "-o", tmp_path / "cli.html")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "api.html").read_bytes() == (tmp_path / "cli.html").read_bytes()


def test_assess_gives_the_scores_the_command_prints(tmp_path):
    from dtassess.reporting.output import to_json

    given = answers(tmp_path / "in", {("a", None): 3, ("b", None): 1})
    found = dtassess.assess([given], str(MINI), fail_under="overall=99")
    assert found.language == "zh"
    assert [c.passed for c in found.checks] == [False]
    assert found.notices and "withheld 1 group(s)" in found.notices[0]
    result = cli("score", given, "-q", MINI, "--format", "json", "--fail-under", "overall=99")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == json.loads(to_json(found.result, found.checks))


def test_assess_refuses_dask_options_without_dask(tmp_path):
    given = answers(tmp_path / "in", {("a", None): 3})
    with pytest.raises(DtassessError) as caught:
        dtassess.assess([given], str(MINI), partitions=2)
    assert [p.code for p in caught.value.problems] == ["U002"]


def test_archive_responses_adds_what_is_new(tmp_path):
    given = answers(tmp_path / "in", {("a", None): 3})
    first = dtassess.archive_responses([given], tmp_path / "archive", str(MINI))
    again = dtassess.archive_responses([given], tmp_path / "archive", str(MINI))
    assert (first.added, again.added, again.already_archived) == (3, 0, 3)
    assert [p["period"] for p in dtassess.archive_contents(tmp_path / "archive")] == ["2026"]


def test_report_options_are_named_typed_and_frozen(tmp_path):
    chosen = options(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        chosen.fmt = "pdf"  # type: ignore[misc]
    assert {f.name for f in dataclasses.fields(ReportOptions)} >= {
        "output", "questionnaire", "fmt", "lang", "target", "targets_file", "template", "date",
        "variant", "force", "min_group_size", "archive", "resamples", "seed", "version_map",
        "exports",
    }  # fmt: skip


@pytest.mark.slow
def test_the_demo_through_the_api_all_or_none(tmp_path):
    """The sample scored and handed over, then every output checked before any rendering: one
    file in the way, and none is written. (The full demo renders six PDFs and HTMLs for a
    minute: tests/test_cli.py runs it through the command, which calls this function.)"""
    seen = []
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "qingshan-en.html").write_text("mine")
    with pytest.raises(DtassessError) as caught:
        dtassess.write_demo(tmp_path / "demo", DAY, scores=lambda result, lang: seen.append(lang))
    assert [p.code for p in caught.value.problems] == ["F003"]
    assert seen == ["zh"]
    assert [p.name for p in (tmp_path / "demo").iterdir()] == ["qingshan-en.html"]
    done = Done()
    assert (done.paths, done.data) == ([], None)


def test_docs_api_lists_every_public_name():
    text = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text("utf-8")
    assert [name for name in dtassess.__all__[1:] if f"`{name}" not in text] == []


def test_the_pipeline_prints_nothing_it_imports_no_terminal_library():
    import ast

    tree = ast.parse(Path(dtassess.pipeline.__file__).read_text("utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert {m.split(".")[0] for m in imported} & {"rich", "typer", "sys"} == set()
