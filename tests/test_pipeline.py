"""The use cases called as a library user calls them (dtassess/pipeline.py): each gives what the
command gives, returns what it did, and prints nothing."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
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


def documented_names() -> list[str]:
    """The names docs/api.md's tables list in their first column, in order."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text("utf-8")
    names: list[str] = []
    for line in text.splitlines():
        if line.startswith("| `"):
            first = line.split(" | ")[0]
            for span in re.findall(r"`([^`]+)`", first):
                name = re.match(r"[A-Za-z_]\w*", span).group(0)
                if name not in names:
                    names.append(name)
    return names


def test_docs_api_lists_exactly_the_public_names_in_their_order():
    assert documented_names() == dtassess.__all__


@pytest.mark.parametrize("name", dtassess.__all__[1:])
def test_every_public_name_says_what_it_is_in_one_line(name):
    """help(dtassess.NAME) opens with one line, a whole sentence, the name's own (a dataclass
    without a docstring gets its signature as one, which says nothing)."""
    thing = getattr(dtassess, name)
    doc = inspect.getdoc(thing) or ""
    first, _, rest = doc.partition("\n")
    assert first and not first.startswith(f"{name}("), name
    assert first.endswith((".", ")", "`")) and len(first) <= 100, first
    assert rest == "" or rest.startswith("\n"), f"{name}: the first line runs on"


def test_the_pipeline_prints_nothing_it_imports_no_terminal_library():
    import ast

    tree = ast.parse(Path(dtassess.pipeline.__file__).read_text("utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert {m.split(".")[0] for m in imported} & {"rich", "typer", "sys"} == set()


# --------------------------------------------------------------------------- the other commands


def test_plan_roadmaps_gives_the_roadmaps_the_command_prints_and_withholds_the_small(tmp_path):
    given = answers(tmp_path / "in", {("a", None): 3, ("small", None): 1})
    said: list = []
    plan = dtassess.plan_roadmaps([given], str(MINI), target="4", say=said.append)
    assert len(plan.roadmaps) == 1
    assert plan.language == "zh" and plan.questionnaire.id == "mini"
    assert said == plan.notices and "withheld 1 organization(s)" in plan.notices[0]
    result = cli("roadmap", given, "-q", MINI, "--target", "4", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["roadmaps"] == [r.to_dict() for r in plan.roadmaps]
    assert plan.notices[0] in result.stderr


def test_plan_roadmaps_with_every_group_withheld_is_nothing_to_report(tmp_path):
    given = answers(tmp_path / "in", {("a", None): 2})
    with pytest.raises(NothingToReport) as caught:
        dtassess.plan_roadmaps([given], str(MINI))
    result = cli("roadmap", given, "-q", MINI)
    assert result.exit_code == 1 and caught.value.notice in result.stderr


def test_validate_files_lists_every_problem_and_counts_the_files(tmp_path):
    good = answers(tmp_path / "in", {("a", None): 2})
    (good / "bad.yaml").write_text("questionnaire: mini@1.0\nanswers: [\n")
    found = dtassess.validate_files([good], responses=True, questionnaire=str(MINI))
    assert found.checked == 3 and [p.path for p in found.errors] == [str(good / "bad.yaml")]
    result = cli("validate", "--responses", good, "-q", MINI)
    assert result.exit_code == 1
    assert f"3 file(s) checked: {len(found.errors)} error(s)" in result.stderr
    assert dtassess.validate_files([MINI]) == dtassess.Validation([], 1)


def test_import_responses_writes_a_file_per_row_and_says_what_it_met(tmp_path):
    header = ["编号", "机构", "是否有已印发的数字化规划？", "安全投入占信息化预算的百分比"]
    rows = [header, ["1", "a", "是", "5"], ["2", "a", "是", "x"]]
    export = tmp_path / "e.csv"
    export.write_text("\n".join(",".join(row) for row in rows) + "\n", "utf-8")
    said: list = []
    done = dtassess.import_responses([export], tmp_path / "api", str(MINI), say=said.append)
    assert len(done.paths) == 2 and done.exports_read == 1 and done.stats.rows == 2
    assert said == done.problems and done.stats.rejected_cells == 1
    result = cli("import", export, "-q", MINI, "-o", tmp_path / "cli")
    assert result.exit_code == 0, result.stderr
    assert "2 row(s) read from 1 export(s), 2 response file(s) written" in result.stderr
    assert files(tmp_path / "api") == files(tmp_path / "cli")


def test_bundled_questionnaires_templates_and_the_survey_score(tmp_path):
    (listed,) = [b for b in dtassess.bundled_questionnaires("en") if b.id == "gov-dt"]
    assert listed.questions > 0 and listed.title != dtassess.bundled_questionnaires("zh")[0].title
    done = dtassess.init_templates(tmp_path / "brand")
    assert tmp_path / "brand" / "brand.yaml" in done.paths
    response = mini_response(tmp_path, "one.yaml", "a")
    result = dtassess.score_survey(response, dtassess.load_questionnaire(str(MINI)))
    assert set(result.table["respondent"]) == {"r1"}
