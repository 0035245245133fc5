"""Export layouts beyond one column per question: one column per option, option numbers,
mapping files, Microsoft Forms, Parquet; and exports given straight to `score`."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import MINI, cli
from test_import import write_csv

import dtassess
from dtassess.errors import DtassessError
from dtassess.inputs import exports as imports  # a test below names its files `exports`
from dtassess.inputs import tables
from dtassess.inputs.exports import load_exports
from dtassess.inputs.mapping import check_mapping_text

TOOLS = "已部署哪些措施？"


def answers_of(folder):
    return {
        f.stem: yaml.safe_load(f.read_text(encoding="utf-8"))["answers"]
        for f in sorted(folder.glob("*.yaml"))
    }


def test_tencent_one_column_per_option(tmp_path):
    header = ["编号", "1.是否有已印发的数字化规划？", f"2.{TOOLS}:多因素认证",
              f"2.{TOOLS}:异地备份", f"2.{TOOLS}:都没有"]  # fmt: skip
    rows = [
        header,
        ["1", "是", "1", "1", "0"],
        ["2", "否", "0", "0", "1"],
        ["3", "是", "", "", ""],  # not answered
        ["4", "是", "1", "0", "1"],  # exclusive option with another
        ["5", "是", "maybe", "1", "0"],
    ]
    export = write_csv(tmp_path / "tencent.csv", rows, "utf-8-sig")
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "--org", "qs", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "0 unknown column(s)" in result.stderr
    found = answers_of(out)
    assert found["qs-1"]["security.tools"] == ["mfa", "backup"]
    assert found["qs-2"]["security.tools"] == ["none"]
    assert "security.tools" not in found["qs-3"]
    assert "security.tools" not in found["qs-4"]
    assert f"{export}:5:3: warning: cell C5: question 'security.tools'" in result.stderr
    assert "excludes" in result.stderr
    assert f"{export}:6:3: warning: cell C6: question 'security.tools', option 'mfa': 'maybe'" in (
        result.stderr
    )
    # the row's other options still count
    assert found["qs-5"]["security.tools"] == ["backup"]
    assert "2 cell(s) rejected" in result.stderr


def test_wenjuanxing_option_columns_and_option_numbers(tmp_path, mini):
    """问卷星 按序号 with 按选项分列: single answers as option numbers, multi as 0/1 columns."""
    options = [f"3、{TOOLS}(多因素认证)", f"3、{TOOLS}(异地备份)", f"3、{TOOLS}(都没有)"]
    header = ["序号", "机构", "1、是否有已印发的数字化规划？", "2、规划的质量如何？", *options]
    rows = [header, ["1", "qs", "1", "4", "1", "0", "0"], ["2", "qs", "2", "", "0", "0", "1"]]
    export = write_csv(tmp_path / "wjx.csv", rows, "utf-8")
    mapping = check_mapping_text("answers: option-numbers\n", mini)
    found = load_exports([export], mini, mapping=mapping)
    assert found.problems == []
    answers = dtassess.inputs.exports.to_responses(found)
    assert answers[0].answers == {
        "strategy.plan.exists": "yes",
        "strategy.plan.quality": 4,
        "security.tools": ("mfa",),
    }
    assert answers[1].answers == {"strategy.plan.exists": "no", "security.tools": ("none",)}


MAPPING = """\
# our 2026 form: reworded questions and a house style
columns:
  "Plan in place?": strategy.plan.exists
  "Plan quality (1-5)": strategy.plan.quality
  "Budget share": security.budget
  "MFA": {question: security.tools, option: mfa}
  "Backups": {question: security.tools, option: backup}
  "Office": unit
  "Agency": organization
  "Comment": ignore
options:
  strategy.plan.quality:
    "so-so": 2
    "excellent": 5
"""


def test_mapping_file(tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    header = ["Agency", "Office", "Plan in place?", "Plan quality (1-5)", "Budget share", "MFA",
              "Backups", "Comment"]  # fmt: skip
    rows = [header, ["qs", "IT", "yes", "excellent", "7", "✓", "", "fine"],
            ["qs", "HR", "yes", "so-so", "12", "", "✓", ""]]  # fmt: skip
    export = write_csv(tmp_path / "house.csv", rows, "utf-8")
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "--mapping", mapping, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "0 cell(s) rejected, 0 unknown column(s)" in result.stderr
    found = answers_of(out)
    assert found["qs-it-house-r2"] == {
        "strategy.plan.exists": "yes",
        "strategy.plan.quality": 5,
        "security.budget": 7,
        "security.tools": ["mfa"],
    }
    assert found["qs-hr-house-r3"]["strategy.plan.quality"] == 2
    # the same export scored directly, without writing files, gives the same scores
    direct = cli("score", export, "-q", MINI, "--mapping", mapping, "--by", "respondent",
                 "--format", "json")  # fmt: skip
    via_files = cli("score", out, "-q", MINI, "--by", "respondent", "--format", "json")
    assert direct.exit_code == 0, direct.stderr
    strip = lambda text: [  # noqa: E731
        {k: g[k] for k in ("unit", "respondent", "scores")} for g in json.loads(text)["groups"]
    ]
    assert strip(direct.stdout) == strip(via_files.stdout)


def test_mapping_problems_name_line_and_column(tmp_path, mini):
    text = """\
columns:
  "A": strategy.plan.qualty
  "B": {question: strategy.plan.quality, option: 3}
  "C": {question: security.tools, option: firewall}
  "D": 17
options:
  security.tools: {"2FA": mfaa}
answers: by-number
colums: {}
"""
    path = tmp_path / "bad-map.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DtassessError) as caught:
        check_mapping_text(text, mini, str(path))
    found = {(p.line, p.column): p.message for p in caught.value.problems}
    assert all(p.code == "I011" for p in caught.value.problems)
    assert "did you mean 'strategy.plan.quality'" in found[(2, 8)]
    assert "only multi questions have one column per option" in found[(3, 19)]
    assert "'firewall' is not an option of 'security.tools'" in found[(4, 43)]
    assert "expected a question id" in found[(5, 8)]
    assert "'mfaa' is not an option" in found[(7, 27)]
    assert "answers: must be as-written or option-numbers" in found[(8, 10)]
    assert "unknown key 'colums'" in found[(9, 1)]
    export = write_csv(tmp_path / "e.csv", [["机构"], ["qs"]], "utf-8")
    result = cli("import", export, "-q", MINI, "--mapping", path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{path}:2:8: " in result.stderr and "did you mean" in result.stderr
    assert not (tmp_path / "out").exists()


def microsoft_forms_xlsx(path):
    """The layout of a Microsoft Forms "Open in Excel" download."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
                  "Organization", "Is there an issued digital plan?", "How good is the plan?",
                  "Which measures are in place?",
                  "Security spending as % of the IT budget"])  # fmt: skip
    sheet.append([1, "3/2/26 10:01:05", "3/2/26 10:09:00", "anonymous", "", None, "riverside",
                  "Yes", "Quantified targets.", "Multi-factor authentication;Off-site backup;",
                  15])  # fmt: skip
    sheet.append([2, "3/2/26 11:00:00", "3/2/26 11:04:00", "li@example.gov", "Li Wei", None,
                  "riverside", "No", None, "None;", "N/A"])  # fmt: skip
    book.save(path)
    return path


def test_microsoft_forms_export(tmp_path):
    export = microsoft_forms_xlsx(tmp_path / "Digital maturity(1-2).xlsx")
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "0 cell(s) rejected, 0 unknown column(s)" in result.stderr
    files = {f.name: yaml.safe_load(f.read_text(encoding="utf-8")) for f in out.glob("*.yaml")}
    assert set(files) == {"riverside-1.yaml", "riverside-li-wei.yaml"}
    first = files["riverside-1.yaml"]
    assert first["answers"] == {
        "strategy.plan.exists": "yes",
        "strategy.plan.quality": 4,
        "security.tools": ["mfa", "backup"],
        "security.budget": 15,
    }
    second = files["riverside-li-wei.yaml"]
    assert second["respondent"] == {"id": "Li Wei"}
    assert second["answers"]["security.budget"] == "na"
    # e-mail addresses are never copied into response files
    assert "example.gov" not in "".join(f.read_text(encoding="utf-8") for f in out.glob("*"))


def test_parquet_export_scored_directly(tmp_path):
    table = pa.table(
        {
            "organization": ["qs", "qs", "qs", "qs"],
            "unit": ["IT", "IT", "IT", "HR"],
            "respondent": pa.array([11, 12, 13, 14]),
            "strategy.plan.exists": ["yes", "yes", "no", "yes"],
            "strategy.plan.quality": pa.array([3, 4, None, 9]),
            "security.budget": pa.array([5.0, 12.0, None, 1.0]),
            "security.tools": ["mfa┋backup", "mfa", "none", "backup"],
        }
    )
    export = tmp_path / "answers.parquet"
    pq.write_table(table, export)
    result = cli("score", export, "-q", MINI, "--by", "unit", "--format", "json")
    assert result.exit_code == 0, result.stderr
    # a Parquet file has no spreadsheet cells: problems name the record and the column
    assert f"{export}:4:5: warning: row 4, column 'strategy.plan.quality': question" in (
        result.stderr
    )
    assert "withheld 1 group(s)" in result.stderr  # HR: one respondent
    groups = json.loads(result.stdout)["groups"]
    assert [(g["unit"], g["respondents"]) for g in groups] == [("IT", 3)]
    imported = cli("import", export, "-q", MINI, "-o", tmp_path / "out")
    assert imported.exit_code == 0, imported.stderr
    assert (tmp_path / "out" / "qs-it-11.yaml").exists()


def test_score_needs_a_questionnaire_for_an_export(tmp_path):
    export = write_csv(tmp_path / "e.csv", [["机构", "是否有已印发的数字化规划？"], ["qs", "是"]],
                       "utf-8")  # fmt: skip
    result = cli("score", export)
    assert result.exit_code == 2
    assert "does not name its questionnaire; pass -q" in result.stderr
    assert "Traceback" not in result.stderr


def test_many_bad_cells_are_summed_up_per_column(tmp_path, mini):
    rows = [["机构", "安全投入占信息化预算的百分比"]] + [["qs", f"x{i}"] for i in range(25)]
    export = write_csv(tmp_path / "e.csv", rows, "utf-8")
    found = load_exports([export], mini)
    cells = [p for p in found.problems if p.code == "I004"]
    assert len(cells) == 21
    assert [p.line for p in cells[:20]] == list(range(2, 22))
    assert cells[20].line == 22
    assert "5 more cell(s) not accepted from row 22 on" in cells[20].message


def test_row_numbers_survive_blank_lines_and_multiline_cells(tmp_path, mini):
    multiline = '机构,备注,安全投入占信息化预算的百分比\nqs,"two\nlines",5\nqs,,bad\n'
    export = tmp_path / "m.csv"
    export.write_text(multiline, encoding="utf-8")
    found = load_exports([export], mini)
    assert [(p.line, p.column) for p in found.problems if p.code == "I004"] == [(3, 3)]
    blank = "机构,安全投入占信息化预算的百分比\nqs,5\n\nqs,bad\n"
    export.write_text(blank, encoding="utf-8")
    found = load_exports([export], mini)
    assert [(p.line, p.column) for p in found.problems] == [(4, 2)]
    assert len(found) == 2


def test_the_documented_mapping_file_is_valid(mini):
    page = (Path(__file__).parent.parent / "docs" / "import.md").read_text(encoding="utf-8")
    block = page.split("## Mapping files", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    mapping = check_mapping_text(block, mini)
    assert mapping.target("MFA").option.value == "mfa"
    assert mapping.target("comment").kind == "ignore"  # compared without case
    assert mapping.label(mini.question("strategy.plan.quality"), "excellent") == 5


@pytest.mark.slow
def test_roadmap_and_report_take_exports(tmp_path):
    header = ["机构", "机构名称", "是否有已印发的数字化规划？", "规划的质量如何？",
              "安全投入占信息化预算的百分比", "已部署哪些措施？"]  # fmt: skip
    rows = [header] + [["qs", "青山县", "是", str(k), str(4 * k), "mfa"] for k in (1, 2, 3)]
    export = write_csv(tmp_path / "e.csv", rows, "gb18030")
    roadmap = cli("roadmap", export, "-q", MINI, "--format", "json")
    assert roadmap.exit_code == 0, roadmap.stderr
    assert json.loads(roadmap.stdout)["roadmaps"][0]["group"]["organization"] == "qs"
    report = cli(
        "report", export, "-q", MINI, "--format", "html", "-o", tmp_path / "r.html",
        "--min-group-size", "1",  # file names are listed only where groups of one are shown
    )  # fmt: skip
    assert report.exit_code == 0, report.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "青山县" in html
    assert "e.csv" in html and "e.csv:2" not in html  # provenance names the export once


def test_many_distinct_numbers_are_read_as_one_by_one(tmp_path, mini):
    """A column of amounts holds thousands of distinct numbers; those that are plainly
    numbers in range are judged together (`_plain_numbers`), with the same answers, the same
    problems and the same order of values as cell by cell."""
    cells = [str(v) for v in range(101)] + [f"{v / 7:.5f}" for v in range(700)]
    cells += ["na", "N/A", " 12 ", "1,5", "50%", "", "-", "abc", "１２", "1e1", ".5", "5.", "-3",
              "101", "100.0001", "007", "0.000000000000001", "99.99999999999999999"]  # fmt: skip
    rows = [["编号", "机构", "安全投入占信息化预算的百分比"]]
    rows += [[str(i), "qs", cell] for i, cell in enumerate(cells * 2)]
    parquet = tmp_path / "amounts.parquet"
    pq.write_table(pa.table({h: [r[k] for r in rows[1:]] for k, h in enumerate(rows[0])}), parquet)
    exports = [write_csv(tmp_path / "amounts.csv", rows, "utf-8"), parquet]
    for export in exports:
        together = load_exports([export], mini)
        with mock.patch.object(imports, "_plain_numbers", lambda question, raws: None):
            alone = load_exports([export], mini)
        budget = together.answers["security.budget"]
        pd.testing.assert_series_equal(budget, alone.answers["security.budget"])
        assert list(budget.cat.categories) == list(alone.answers["security.budget"].cat.categories)
        assert [str(p) for p in together.problems] == [str(p) for p in alone.problems]
        assert budget[cells.index("50%")] == 50.0 and budget[cells.index("007")] == 7.0


@pytest.mark.parametrize("odd", ["", "１２３"])
def test_parquet_ids_read_as_plain_text_are_the_same_ids(tmp_path, mini, odd):
    """A Parquet column of respondent ids is read as plain text, not as a dictionary of a
    value per row, and converted in bulk when it is ASCII (else cell by cell, as before): the
    same ids, spaces trimmed, empty ones numbered by row."""
    n = 1500
    ids = [f" r{i} " if i % 7 else ("" if i % 2 else None) for i in range(n)] + [odd or "\tlast"]
    table = pa.table(
        {
            "编号": ids,
            "机构": ["qs"] * (n + 1),
            "安全投入占信息化预算的百分比": ["5"] * (n + 1),
        }
    )
    parquet = tmp_path / "ids.parquet"
    pq.write_table(table, parquet)
    plain = load_exports([parquet], mini).meta
    with mock.patch.object(tables.Table, "read_plain", lambda self, col: None):
        as_dictionary = load_exports([parquet], mini).meta
    pd.testing.assert_frame_equal(plain, as_dictionary)
    assert plain["respondent"][1] == "r1" and plain["respondent"][0] == "ids-r1"
