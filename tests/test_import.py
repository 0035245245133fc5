"""`dtassess import`: online-form exports (问卷星, 腾讯问卷) become response files."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import yaml
from conftest import MINI, cli

import dtassess
from dtassess.errors import DtassessError
from dtassess.inputs.exports import import_exports, normalize, question_index
from dtassess.inputs.tables import column_letter

WJX_HEADER = [
    "序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "单位",
    "1、是否有已印发的数字化规划？", "2、规划的质量如何？",
    "3、安全投入占信息化预算的百分比", "4、已部署哪些措施？【多选题】", "5、备注",
]  # fmt: skip
WJX_ROWS = [
    [1, "2026/3/2 10:01:05", "305秒", "手机提交", "直接访问", "10.0.0.1(江西-南昌)", "办公室",
     "是", "有路线图和分工。", 8, "多因素认证┋异地备份", "无"],
    [2, "2026/3/2 10:12:40", "211秒", "链接", "直接访问", "10.0.0.2", "数据局",
     "否", "(跳过)", "不适用", "都没有", ""],
    [3, "2026/3/2 11:00:00", "400秒", "链接", "直接访问", "10.0.0.3", "财政局",
     "是", "3", "abc", "指纹", ""],
    [4, "2026/3/2 11:30:00", "120秒", "链接", "直接访问", "10.0.0.4", "信息中心",
     "yes", 4, 12, "N/A", ""],
    [5, "2026/3/2 12:00:00", "99秒", "链接", "直接访问", "10.0.0.5", "人社局",
     "否", "2", 5, "mfa", ""],
]  # fmt: skip


def wenjuanxing_xlsx(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(WJX_HEADER)
    for row in WJX_ROWS:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path, rows, encoding):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_wenjuanxing_xlsx_imports_reports_bad_cells_and_validates(tmp_path):
    export = wenjuanxing_xlsx(tmp_path / "wjx.xlsx")
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "--org", "qingshan", "--period", "2026", "-o", out)
    assert result.exit_code == 0, result.stderr
    err = result.stderr
    # every bad cell: file, row, column, the cell reference and what was expected
    assert f"{export}:4:10: warning: cell J4: question 'security.budget': 'abc'" in err
    assert "expected a number (from 0 up to 100), or N/A" in err
    assert f"{export}:4:11: warning: cell K4: question 'security.tools': '指纹'" in err
    assert "mfa = 多因素认证" in err
    assert f"{export}:5:11: warning: cell K5: question 'security.tools'" in err
    assert "does not allow 'na'" in err
    assert f"{export}:6:9: warning: cell I6: question 'strategy.plan.quality' is hidden" in err
    assert f"{export}:1:12: warning: column L ('5、备注') matches no question" in err
    assert "5 row(s) read from 1 export(s), 5 response file(s) written" in err
    assert "4 cell(s) rejected, 1 unknown column(s)" in err
    files = sorted(out.glob("*.yaml"))
    assert [f.name for f in files] == [f"qingshan-{n}.yaml" for n in range(1, 6)]
    first = load(out / "qingshan-1.yaml")
    assert first["questionnaire"] == "mini@1.0"
    assert first["organization"] == {"id": "qingshan"}
    assert first["unit"] == "办公室" and first["period"] == "2026"
    assert first["respondent"] == {"id": "1"}
    assert first["answers"] == {
        "strategy.plan.exists": "yes",
        "strategy.plan.quality": 3,
        "security.budget": 8,
        "security.tools": ["mfa", "backup"],
    }
    second = load(out / "qingshan-2.yaml")["answers"]
    assert second == {"strategy.plan.exists": "no", "security.budget": "na",
                      "security.tools": ["none"]}  # fmt: skip
    third = load(out / "qingshan-3.yaml")["answers"]
    assert third == {"strategy.plan.exists": "yes", "strategy.plan.quality": 3}
    assert load(out / "qingshan-5.yaml")["answers"] == {
        "strategy.plan.exists": "no",
        "security.budget": 5,
        "security.tools": ["mfa"],
    }
    assert "imported by dtassess from" in (out / "qingshan-1.yaml").read_text(encoding="utf-8")
    checked = cli("validate", "--responses", out, "-q", MINI)
    assert checked.exit_code == 0, checked.stdout
    scored = cli("score", out, "-q", MINI, "--by", "unit", "--min-group-size", "1")
    assert scored.exit_code == 0, scored.stderr


def test_strict_stops_at_the_first_problem_and_writes_nothing(tmp_path):
    export = wenjuanxing_xlsx(tmp_path / "wjx.xlsx")
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "--org", "q", "-o", out, "--strict")
    assert result.exit_code == 2
    assert "column L ('5、备注')" in result.stderr and "warning" not in result.stderr
    assert not out.exists()


def test_strict_on_a_bad_cell(tmp_path):
    header = ["编号", "机构", "是否有已印发的数字化规划？", "安全投入占信息化预算的百分比"]
    export = write_csv(tmp_path / "e.csv", [header, ["1", "a", "是", "5"], ["2", "a", "是", "x"]],
                       "utf-8")  # fmt: skip
    result = cli("import", export, "-q", MINI, "-o", tmp_path / "out", "--strict")
    assert result.exit_code == 2
    assert f"{export}:3:4: cell D3: question 'security.budget': 'x'" in result.stderr


def test_gb18030_csv_is_detected(tmp_path):
    rows = [
        ["机构", "机构名称", "部门", "岗位", "姓名", "是否有已印发的数字化规划？",
         "规划的质量如何？", "已部署哪些措施？"],
        ["qingshan", "青山县人民政府", "政务服务和大数据管理局", "局长", "张三", "是",
         "有量化目标。", "多因素认证、异地备份"],
        ["qingshan", "青山县人民政府", "财政局", "科员", "李四", "否", "", "都没有"],
    ]  # fmt: skip
    export = write_csv(tmp_path / "gbk.csv", rows, "gb18030")
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "0 cell(s) rejected, 0 unknown column(s)" in result.stderr
    docs = [load(p) for p in sorted(out.glob("*.yaml"))]
    assert len(docs) == 2
    first = next(d for d in docs if d["respondent"]["id"] == "张三")
    assert first["organization"] == {"id": "qingshan", "name": "青山县人民政府"}
    assert first["unit"] == "政务服务和大数据管理局"
    assert first["respondent"] == {"id": "张三", "role": "局长"}
    assert first["answers"]["strategy.plan.quality"] == 4
    assert first["answers"]["security.tools"] == ["mfa", "backup"]
    assert cli("validate", "--responses", out, "-q", MINI).exit_code == 0
    wrong = cli("import", export, "-q", MINI, "-o", tmp_path / "o2", "--encoding", "utf-8")
    assert wrong.exit_code == 2 and "cannot read" in wrong.stderr and "utf-8" in wrong.stderr


def test_utf8_bom_csv_with_ids_and_english_labels(tmp_path):
    rows = [
        ["Organization", "Unit", "Respondent", "Role", "Period", "strategy.plan.exists",
         "Q2. How good is the plan?", "Which measures are in place?", "security.budget"],
        ["riverside", "IT office", "r-1", "CIO", "2025", "Yes", "A roadmap with owners.",
         "Multi-factor authentication; Off-site backup", "12.5%"],
    ]  # fmt: skip
    export = write_csv(tmp_path / "bom.csv", rows, "utf-8-sig")
    assert export.read_bytes().startswith(b"\xef\xbb\xbf")
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "-o", out, "--period", "2026")
    assert result.exit_code == 0, result.stderr
    doc = load(out / "riverside-it-office-r-1.yaml")
    assert doc["period"] == "2025"  # the column wins over --period
    assert doc["respondent"] == {"id": "r-1", "role": "CIO"}
    assert doc["answers"] == {
        "strategy.plan.exists": "yes",
        "strategy.plan.quality": 3,
        "security.tools": ["mfa", "backup"],
        "security.budget": 12.5,
    }


def test_tencent_csv(tmp_path):
    rows = [
        ["编号", "开始答题时间", "结束答题时间", "答题时长", "1.是否有已印发的数字化规划？",
         "2.规划的质量如何？", "3.安全投入占信息化预算的百分比", "4.已部署哪些措施？"],
        ["101", "2026-03-02 10:00:00", "2026-03-02 10:05:00", "5分0秒", "是", "5", "20",
         "异地备份,多因素认证"],
        ["102", "2026-03-02 10:00:00", "2026-03-02 10:05:00", "3分0秒", "否", "", "",
         "多因素认证,都没有"],
    ]  # fmt: skip
    export = write_csv(tmp_path / "tencent.csv", rows, "utf-8-sig")
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "--org", "qs", "--org-name", "青山县", "-o", out,
                 "--period", "2026")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "unknown column" not in result.stderr.replace("0 unknown column(s)", "")
    assert f"{export}:3:8: warning: cell H3" in result.stderr and "excludes" in result.stderr
    doc = load(out / "qs-101.yaml")
    assert doc["organization"] == {"id": "qs", "name": "青山县"} and doc["period"] == "2026"
    assert doc["answers"]["security.tools"] == ["mfa", "backup"]
    assert doc["answers"]["strategy.plan.quality"] == 5
    assert load(out / "qs-102.yaml")["answers"] == {"strategy.plan.exists": "no"}
    assert cli("validate", "--responses", out, "-q", MINI).exit_code == 0


def test_existing_files_are_not_replaced_without_force(tmp_path):
    export = wenjuanxing_xlsx(tmp_path / "wjx.xlsx")
    out = tmp_path / "out"
    assert cli("import", export, "-q", MINI, "--org", "q", "-o", out).exit_code == 0
    (out / "q-1.yaml").write_text("mine", encoding="utf-8")
    again = cli("import", export, "-q", MINI, "--org", "q", "-o", out)
    assert again.exit_code == 2 and "already exists; pass --force" in again.stderr
    assert (out / "q-1.yaml").read_text(encoding="utf-8") == "mine"
    forced = cli("import", export, "-q", MINI, "--org", "q", "-o", out, "--force")
    assert forced.exit_code == 0
    assert load(out / "q-1.yaml")["organization"] == {"id": "q"}


def test_no_organization_and_unreadable_exports(tmp_path):
    export = wenjuanxing_xlsx(tmp_path / "wjx.xlsx")
    result = cli("import", export, "-q", MINI, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "no organization column" in result.stderr
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    result = cli("import", old, "-q", MINI, "--org", "x", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "save it as .xlsx" in result.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    result = cli("import", broken, "-q", MINI, "--org", "x", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "cannot read" in result.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("\n", encoding="utf-8")
    result = cli("import", empty, "-q", MINI, "--org", "x", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "no header row" in result.stderr
    assert not (tmp_path / "out").exists()


def test_python_api(tmp_path, mini):
    export = wenjuanxing_xlsx(tmp_path / "wjx.xlsx")
    responses, problems = dtassess.import_exports([export], mini, org="qingshan")
    assert len(responses) == 5 and responses[0].answers["security.tools"] == ("mfa", "backup")
    assert sorted(p.code for p in problems) == ["I002", "I003", "I004", "I005", "I008", "I016"]
    assert all(p.severity == "warning" for p in problems)
    paths = dtassess.write_responses(responses, mini, tmp_path / "out")
    assert len(paths) == 5
    loaded = dtassess.load_responses([tmp_path / "out"], mini)
    assert len(loaded) == 5
    with pytest.raises(DtassessError) as stop:
        import_exports([export], mini, org="qingshan", strict=True)
    assert stop.value.problems[0].code == "I002"


@pytest.mark.slow
def test_gov_dt_headers_match_without_hints(tmp_path):
    q = dtassess.load_questionnaire("gov-dt")
    plan = "1、本单位是否有经领导班子（或数字政府建设领导小组）审议通过并正式印发的" + (
        "数字化转型（数字政府建设）专项规划或实施方案？"
    )
    coverage = "Q2．规划（实施方案）包含以下哪些方面的内容？【多选题】"
    header = ["序号", "机构", plan, coverage, "（3）strategy.leadership.cdo"]
    cdo = q.question("strategy.leadership.cdo")
    chosen = "数据资源（数据资源目录、共享开放、数据治理）┋业务流程再造与服务模式创新"
    row = ["1", "qs", "是", chosen, cdo.options[2].label["zh"]]
    export = write_csv(tmp_path / "g.csv", [header, row], "gb18030")
    responses, problems = import_exports([export], q)
    assert problems == []
    assert responses[0].answers == {
        "strategy.vision.has_plan": "yes",
        "strategy.vision.coverage": ("data", "process"),
        "strategy.leadership.cdo": "office",
    }


@pytest.mark.parametrize(
    "header",
    ["1、规划的质量如何？", "Q1. 规划的质量如何", "1．规划的质量如何？", "（1）规划的质量如何？",
     "第1题 规划的质量如何？", " 规划的质量如何？ ", "1.How good is the plan?"],
)  # fmt: skip
def test_numbering_prefixes_are_ignored(header, mini):
    assert question_index(mini)[normalize(header)].id == "strategy.plan.quality"


def test_column_letters():
    assert [column_letter(n) for n in (1, 3, 26, 27, 52, 703)] == ["A", "C", "Z", "AA", "AZ", "AAA"]
