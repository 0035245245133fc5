"""Friction found with real-looking exports: profile questions as forms ask them, columns of
personal data, 问卷星's 按序号 export, labels that differ by a character, a bar on rejected
cells, a mapping per export, and a second batch whose 序号 restarts at 1."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from conftest import MINI, cli, run


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def _xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    for row in [header, *rows]:
        book.active.append(row)
    book.save(path)
    return path


def _documents(folder: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))]


# --------------------------------------------------------------------------- profile questions


@pytest.mark.parametrize(
    "header, field, value",
    [
        ("您所在的部门（科室）", "unit", "办公室"),
        ("您所在的部门", "unit", "办公室"),
        ("3、您所在的科室：", "unit", "办公室"),
        ("您的职务", "role", "科长"),
        ("请填写您的职务", "role", "科长"),
        ("您的岗位是", "role", "科长"),
        ("所在单位名称", "organization_name", "青山县数据局"),
        ("您所在的单位名称", "organization_name", "青山县数据局"),
        ("Your department", "unit", "Records"),
        ("Which department do you work in?", "unit", "Records"),
        ("What is your job title?", "role", "Clerk"),
        ("Your position", "role", "Clerk"),
        ("Name of your organization", "organization_name", "Riverside"),
        ("Organisation name", "organization_name", "Riverside"),
    ],
)
def test_profile_questions_as_forms_ask_them_are_fields(tmp_path, header, field, value):
    export = _csv(tmp_path / "e.csv", ["编号", header, "strategy.plan.exists"], [[1, value, "是"]])
    result = cli("import", export, "-q", MINI, "--org", "qs", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "I002" not in result.stderr and "matches no question" not in result.stderr
    (doc,) = _documents(tmp_path / "out")
    got = {
        "unit": doc.get("unit"),
        "role": doc["respondent"].get("role"),
        "organization_name": doc["organization"].get("name"),
    }
    assert got[field] == value


def test_a_mapping_file_still_overrides_a_profile_header(tmp_path):
    export = _csv(
        tmp_path / "e.csv", ["编号", "您的职务", "strategy.plan.exists"], [[1, "x", "是"]]
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text('columns:\n  "您的职务": unit\n', encoding="utf-8")
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "--org", "qs", "--mapping", mapping, "-o", out)
    assert result.exit_code == 0, result.stderr
    (doc,) = _documents(out)
    assert doc["unit"] == "x" and "role" not in doc["respondent"]


# --------------------------------------------------------------------------- personal data

TENCENT = ["编号", "昵称", "用户ID", "地理位置", "开始答题时间", "strategy.plan.exists", "部门"]
TENCENT_ROWS = [
    [1, "小明同学", "oX7kq-8812345", "江西省南昌市红谷滩区", "2026-03-02 10:00:00", "是", "办公室"],
    [2, "Li Lei", "oX7kq-9923456", "浙江省杭州市", "2026-03-02 10:05:00", "否", "数据局"],
]  # fmt: skip
WJX = ["序号", "提交答卷时间", "来源", "来源详情", "来自IP", "strategy.plan.exists", "部门"]
WJX_ROWS = [
    [1, "2026/3/2 10:01:05", "微信", "https://mp.weixin.qq.com/s/AbC1", "10.9.8.7(江西-南昌)",
     "是", "办公室"],
    [2, "2026/3/2 10:11:05", "链接", "直接访问客户端XQ9", "192.168.77.66", "否", "数据局"],
]  # fmt: skip


@pytest.mark.parametrize(
    "name, header, rows, personal",
    [
        ("tencent.csv", TENCENT, TENCENT_ROWS, "column B ('昵称'), column C ('用户ID'), column D"),
        ("wjx.xlsx", WJX, WJX_ROWS, "column D ('来源详情'), column E ('来自IP')"),
    ],
)
def test_personal_data_is_dropped_with_a_note_and_never_written(
    tmp_path, name, header, rows, personal
):
    write = _xlsx if name.endswith(".xlsx") else _csv
    export = write(tmp_path / name, header, rows)
    out = tmp_path / "out"
    result = run("import", export, "-q", MINI, "--org", "qs", "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"{export}:1:{header.index(personal.split(chr(39))[1]) + 1}: warning: {personal}" in (
        result.stderr.replace("\n", " ")
    )
    assert "2 column(s) of personal data" in result.stderr or "3 column(s)" in result.stderr
    written = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())
    assert written.count("strategy.plan.exists") == 2
    for row in rows:
        for col, cell in enumerate(row):
            if header[col] in ("昵称", "用户ID", "地理位置", "来源详情", "来自IP"):
                for part in str(cell).replace("(", " ").replace(")", " ").split():
                    assert part not in written, part


def test_personal_data_does_not_stop_strict(tmp_path):
    export = _csv(tmp_path / "t.csv", TENCENT, TENCENT_ROWS)
    result = cli("import", export, "-q", MINI, "--org", "qs", "--strict", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert "I016" not in result.stderr and "hold personal data" in result.stderr


# --------------------------------------------------------------------------- near labels


@pytest.mark.parametrize(
    "column, cell, hint",
    [
        ("security.tools", "多因素认正┋异地备份", "(did you mean '多因素认证'?)"),
        ("security.tools", "异地备分", "(did you mean '异地备份'?)"),
        ("security.tools", "Off-site backups", "(did you mean 'Off-site backup'?)"),
        ("strategy.plan.quality", "有路线图和分公。", "(did you mean '有路线图和分工。'?)"),
    ],
)
def test_a_label_that_differs_by_a_character_gets_a_hint(tmp_path, column, cell, hint):
    export = _csv(tmp_path / "e.csv", ["机构", column], [["a", cell]])
    result = cli("score", export, "-q", MINI)
    (line,) = [x for x in result.stderr.splitlines() if x.startswith(f"{export}:2:2: warning:")]
    assert "is not accepted" in line and hint in line


def test_a_label_close_to_none_gets_no_hint(tmp_path):
    export = _csv(tmp_path / "e.csv", ["机构", "security.tools"], [["a", "防火墙"], ["b", "xyz"]])
    result = cli("score", export, "-q", MINI)
    assert result.stderr.count("is not accepted") == 2 and "did you mean" not in result.stderr


# --------------------------------------------------------------------------- --max-rejected

BAD = [["a", "yes", "abc"], ["b", "no", "200"], ["c", "maybe", "5"]]  # three cells rejected


@pytest.mark.parametrize(
    "bar, status, written",
    [(None, 0, 3), ("3", 0, 3), ("2", 1, 0), ("0", 1, 0)],
)
def test_max_rejected_fails_an_import_that_rejects_more(tmp_path, bar, status, written):
    export = _csv(tmp_path / "e.csv", ["机构", "strategy.plan.exists", "security.budget"], BAD)
    out = tmp_path / "out"
    extra = [] if bar is None else ["--max-rejected", bar]
    result = run("import", export, "-q", MINI, "-o", out, *extra)
    assert result.returncode == status, result.stderr
    assert len(list(out.glob("*.yaml"))) == written
    if status:
        assert f"3 cell(s) of 3 row(s) were rejected, more than --max-rejected {bar}" in (
            result.stderr.replace("\n", " ")
        )
        assert f"{export}:2:3: warning: cell C2" in result.stderr  # the cells are listed first


def test_max_rejected_is_not_negative(tmp_path):
    export = _csv(tmp_path / "e.csv", ["机构", "strategy.plan.exists"], [["a", "yes"]])
    result = cli("import", export, "-q", MINI, "-o", tmp_path / "o", "--max-rejected", "-1")
    assert result.exit_code == 2


# --------------------------------------------------------------------------- batches


def test_a_second_batch_whose_numbers_restart_keeps_the_first_batchs_files(tmp_path):
    header = ["序号", "部门", "strategy.plan.exists"]
    first = _csv(tmp_path / "batch1.csv", header, [[1, "办公室", "是"], [2, "办公室", "否"]])
    second = _csv(tmp_path / "batch2.csv", header, [[1, "办公室", "否"], [2, "办公室", "是"]])
    out = tmp_path / "out"
    assert run("import", first, "-q", MINI, "--org", "qs", "-o", out).returncode == 0
    before = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.yaml")}
    assert len(before) == 2

    result = run("import", second, "-q", MINI, "--org", "qs", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "2 file name(s) marked with their batch" in result.stderr
    after = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.yaml")}
    assert len(after) == 4
    assert all(after[name] == text for name, text in before.items())  # untouched
    new = sorted(set(after) - set(before))
    assert all(re.fullmatch(r"qs-1-[0-9a-f]{8}\.yaml|qs-2-[0-9a-f]{8}\.yaml", n) for n in new)
    assert all("batch2.csv" in after[n].splitlines()[0] for n in new)

    # the same export again is the same files: refused without --force, replaced with it
    again = run("import", second, "-q", MINI, "--org", "qs", "-o", out)
    assert again.returncode == 2
    assert f"{out / new[0]}" in again.stderr
    forced = run("import", second, "-q", MINI, "--org", "qs", "-o", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert sorted(p.name for p in out.glob("*.yaml")) == sorted(after)
    assert all((out / name).read_text(encoding="utf-8") == text for name, text in before.items())


def test_a_file_of_the_users_own_is_not_taken_for_another_batch(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "qs-1.yaml").write_text("# my notes\n", encoding="utf-8")
    export = _csv(tmp_path / "e.csv", ["序号", "strategy.plan.exists"], [[1, "是"]])
    result = cli("import", export, "-q", MINI, "--org", "qs", "-o", out)
    assert result.exit_code == 2
    assert f"{out / 'qs-1.yaml'}" in result.stderr
    assert (out / "qs-1.yaml").read_text(encoding="utf-8") == "# my notes\n"


# --------------------------------------------------------------------------- 按序号

NUMBERED_HEADER = ["序号", "机构", "1、是否有已印发的数字化规划？", "2、规划的质量如何？",
                   "3、安全投入占信息化预算的百分比", "4、已部署哪些措施？【多选题】"]  # fmt: skip
NUMBERED = [[1, "a", 1, 3, 8, "1┋2"], [2, "b", 2, "", 12, "3"], [3, "c", 1, 5, 20, "2"]]
WORDED = [
    [1, "a", "是", "有路线图和分工。", 8, "多因素认证┋异地备份"],
    [2, "b", "否", "", 12, "都没有"],
    [3, "c", "是", "每年滚动修订。", 20, "异地备份"],
]


def _scores(path: Path, *extra: str) -> tuple[dict, str]:
    result = run("score", path, "-q", MINI, "--by", "respondent", "--format", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("write", [_csv, _xlsx])
def test_a_wenjuanxing_export_by_option_number_is_recognised(tmp_path, write):
    suffix = ".xlsx" if write is _xlsx else ".csv"
    numbered = write(tmp_path / f"按序号{suffix}", NUMBERED_HEADER, NUMBERED)
    worded = write(tmp_path / f"按文本{suffix}", NUMBERED_HEADER, WORDED)
    by_number, stderr = _scores(numbered)
    by_text, _ = _scores(worded)
    assert f"{numbered}:1: warning: {numbered} writes answers as option numbers" in (
        stderr.replace("\n", " ")
    )
    assert "is not accepted" not in stderr
    assert by_number["groups"] == by_text["groups"]
    out = tmp_path / "out"
    result = run("import", numbered, "-q", MINI, "-o", out, "--strict")
    assert result.returncode == 0, result.stderr
    answers = {d["respondent"]["id"]: d["answers"] for d in _documents(out)}
    assert answers["1"] == {
        "strategy.plan.exists": "yes",
        "strategy.plan.quality": 3,
        "security.budget": 8,
        "security.tools": ["mfa", "backup"],
    }
    assert answers["2"]["strategy.plan.exists"] == "no"
    assert answers["2"]["security.tools"] == ["none"]


@pytest.mark.parametrize(
    "rows",
    [
        WORDED,
        [[1, "a", 1, 3, 8, "多因素认证"], [2, "b", 0, "", 12, "都没有"]],  # yes/no as 1/0
        [[1, "a", 1, 3, 8, ""], [2, "b", 1, "", 12, ""]],  # nothing tells
    ],
)
def test_an_export_of_text_is_not_taken_for_option_numbers(tmp_path, rows):
    export = _csv(tmp_path / "e.csv", NUMBERED_HEADER, rows)
    _, stderr = _scores(export)
    assert "option numbers" not in stderr


def test_a_mapping_that_says_as_written_is_followed(tmp_path):
    export = _csv(tmp_path / "e.csv", NUMBERED_HEADER, NUMBERED)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("answers: as-written\n", encoding="utf-8")
    _, stderr = _scores(export, "--mapping", str(mapping))
    assert "option numbers" not in stderr
    assert f"{export}:2:6: warning: cell F2: question 'security.tools'" in stderr


# --------------------------------------------------------------------------- --mapping per export


def _two_exports(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    one = _csv(tmp_path / "wjx.csv", ["机构", "Plan?"], [["a", "是"]])
    two = _csv(tmp_path / "tencent.csv", ["机构", "Have a plan"], [["b", "否"]])
    map_one, map_two = tmp_path / "wjx-map.yaml", tmp_path / "tencent-map.yaml"
    map_one.write_text('columns:\n  "Plan?": strategy.plan.exists\n', encoding="utf-8")
    map_two.write_text('columns:\n  "Have a plan": strategy.plan.exists\n', encoding="utf-8")
    return one, two, map_one, map_two


@pytest.mark.parametrize("by", ["name", "path"])
def test_each_export_may_have_its_own_mapping(tmp_path, by):
    one, two, map_one, map_two = _two_exports(tmp_path)
    name = (lambda p: p.name) if by == "name" else str
    out = tmp_path / "out"
    result = run(
        "import", one, two, "-q", MINI, "-o", out,
        "--mapping", f"{name(one)}={map_one}", "--mapping", f"{name(two)}={map_two}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "matches no question" not in result.stderr
    answers = {d["organization"]["id"]: d["answers"] for d in _documents(out)}
    assert answers == {"a": {"strategy.plan.exists": "yes"}, "b": {"strategy.plan.exists": "no"}}


def test_a_mapping_for_every_export_covers_those_without_their_own(tmp_path):
    one, two, map_one, map_two = _two_exports(tmp_path)
    result = run(
        "score", one, two, "-q", MINI, "--format", "json", "--min-group-size", "1",
        "--mapping", f"{two.name}={map_two}", "--mapping", str(map_one),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "matches no question" not in result.stderr
    assert json.loads(result.stdout)["respondents"] == 2


@pytest.mark.parametrize(
    "mappings, message",
    [
        (["other.csv={m1}"], "--mapping other.csv={m1}: 'other.csv' is none of the exports"),
        (["{m1}", "{m2}"], "--mapping {m2}: a second mapping file for every export"),
        (["wjx.csv={m1}", "wjx.csv={m2}"], "--mapping wjx.csv={m2}: a second mapping file for"),
    ],
)
def test_a_mapping_that_fits_no_export_is_refused(tmp_path, mappings, message):
    one, two, map_one, map_two = _two_exports(tmp_path)
    options = []
    for m in mappings:
        options += ["--mapping", m.format(m1=map_one, m2=map_two)]
    result = cli("import", one, two, "-q", MINI, "-o", tmp_path / "out", *options)
    assert result.exit_code == 2
    assert message.format(m1=map_one, m2=map_two) in result.stderr.replace("\n", " ")
    assert not (tmp_path / "out").exists()


def test_the_dask_engine_takes_one_mapping_for_every_export(tmp_path):
    one, two, map_one, map_two = _two_exports(tmp_path)
    result = cli(
        "score", one, two, "-q", MINI, "--engine", "dask",
        "--mapping", f"{one.name}={map_one}", "--mapping", f"{two.name}={map_two}",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--engine dask reads every export with one --mapping file" in result.stderr
