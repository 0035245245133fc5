"""`dtassess form`: a questionnaire written for form tools, and their exports read back.

Each round trip generates answers that follow the questionnaire's skip logic, writes them as
the tool's export of the form `dtassess form` wrote would hold them, imports that export and
checks that nothing is rejected and that `dtassess score --format json` gives what scoring the
original answers gives, respondent by respondent.
"""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import MINI, both, cli, dimension, level_question, question

from dtassess.inputs.formnames import NA_CHOICE, PROFILE_GROUP, form_names, subquestion_code
from dtassess.inputs.questionnaire import Questionnaire, load_questionnaire, localize

GOV = load_questionnaire("gov-dt")
ROWS = 40


def random_answers(q: Questionnaire, rng: np.random.Generator) -> dict:
    """One respondent's answers, asked in order and skipping what the conditions hide."""
    answers: dict = {}
    for x in q.questions:
        if x.when is not None and not x.when.evaluate_one(answers):
            continue
        if not x.required and rng.random() < 0.08:
            continue
        if x.allow_na and x.type != "number" and rng.random() < 0.15:
            answers[x.id] = "na"
        elif x.type == "multi":
            plain = [o for o in x.options if not o.exclusive]
            exclusive = [o for o in x.options if o.exclusive]
            if exclusive and rng.random() < 0.15:
                answers[x.id] = [exclusive[0].value]
            else:
                picked = set(rng.choice(len(plain), rng.integers(1, len(plain) + 1), False))
                answers[x.id] = [o.value for i, o in enumerate(plain) if i in picked]
        elif x.options:
            answers[x.id] = x.options[rng.integers(len(x.options))].value
        elif x.type == "number":
            low = x.min if x.min is not None else 0.0
            high = x.max if x.max is not None else low + 200
            answers[x.id] = round(float(rng.uniform(low, high)), 1)
    return answers


def respondents(q: Questionnaire = GOV, n: int = ROWS, seed: int = 7) -> list[dict]:
    rng = np.random.default_rng(seed)
    units = ["办公室", "信息中心", "财务科"]
    roles = ["科长", "科员"]
    return [
        {
            "id": str(i + 1),
            "unit": units[i % 3],
            "role": roles[i % 2],
            "answers": random_answers(q, rng),
        }
        for i in range(n)
    ]


def write_originals(folder: Path, people: list[dict], q: Questionnaire = GOV) -> Path:
    folder.mkdir()
    for person in people:
        doc = {
            "questionnaire": q.ref,
            "organization": {"id": "qs", "name": "青山县人民政府"},
            "unit": person["unit"],
            "period": "2026",
            "respondent": {"id": person["id"], "role": person["role"]},
            "answers": person["answers"],
        }
        (folder / f"r{person['id']}.yaml").write_text(
            yaml.safe_dump(doc, allow_unicode=True), "utf-8"
        )
    return folder


def scores(*args) -> dict:
    result = cli("score", *args, "--by", "respondent", "--min-group-size", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    data.pop("inputs", None)
    return data


ORIGINAL_SCORES: dict[int, dict] = {}  # answers -> their scores


def round_trip(tmp_path: Path, export: Path, people: list[dict], *options: str) -> None:
    """Import `export`: no problem at all, and the scores of the answers it came from (scored
    once per set of answers)."""
    imported = tmp_path / "imported"
    result = cli(
        "import", export, "-q", "gov-dt", "--org", "qs", "--org-name", "青山县人民政府",
        "--period", "2026", "-o", imported, *options,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "0 cell(s) rejected, 0 unknown column(s)" in result.stderr, result.stderr
    # The service's own personal-data columns (问卷星's 来自IP, 来源详情) are dropped with a note.
    lines = result.stderr.splitlines()
    warnings = [w for w in lines if "warning" in w and "personal data" not in w]
    assert warnings == [], result.stderr
    key = hash(repr(people))
    if key not in ORIGINAL_SCORES:
        ORIGINAL_SCORES[key] = scores(write_originals(tmp_path / "originals", people))
    assert scores(imported) == ORIGINAL_SCORES[key]


# --------------------------------------------------------------------------- KoboToolbox / ODK


def odk_rows(people: list[dict], sep: str = "/", own: bool = True, split: bool = True):
    """A KoboToolbox export with XML values and headers: group paths, choice names, a
    select_multiple as names joined by spaces (`own`) and as one 0/1 column per choice
    (`split`); ODK Central joins the groups with `-` instead."""
    names = form_names(GOV)
    profile = [f"{PROFILE_GROUP}{sep}{names.profile[f]}" for f in ("unit", "role")]
    header = ["start", "end", *profile]
    cells = []
    for x in GOV.questions:
        path = sep.join((*names.paths[x.id], names.questions[x.id]))
        choices = names.choices[x.id]
        if x.type != "multi" or own:
            cells.append((path, x, None))
        if x.type == "multi" and split:
            cells += [(f"{path}/{choices[o.value]}", x, o.value) for o in x.options]
    header += [c[0] for c in cells]
    meta = ["meta/instanceID", "_id", "_uuid", "_submission_time", "_status", "_submitted_by",
            "__version__", "_tags", "_index"]  # fmt: skip
    if sep == "-":
        meta = ["KEY", "SubmissionDate", "SubmitterName", "ReviewState"]
    header += meta
    rows = [header]
    for n, person in enumerate(people, 1):
        row = ["2026-03-02T10:00:00.000+08:00", "2026-03-02T10:09:00.000+08:00"]
        row += [person["unit"], person["role"]]
        for _, x, option in cells:
            value = person["answers"].get(x.id)
            if option is not None:
                row.append("" if value is None else str(int(option in value)))
            elif value is None:
                row.append("")
            elif value == "na":
                row.append(NA_CHOICE)
            elif x.type == "multi":
                row.append(" ".join(names.choices[x.id][v] for v in value))
            elif x.options:
                row.append(names.choices[x.id][value])
            else:
                row.append(f"{value:g}")
        if sep == "-":
            row += [person["id"], "2026-03-02T10:09:00.000Z", "enumerator", "approved"]
        else:
            row += [f"uuid:{n}", person["id"], f"u{n}", "2026-03-02T02:09:00", "submitted_via_web",
                    "zhang", "v1", "[]", str(n)]  # fmt: skip
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "layout",
    [
        {"own": True, "split": True},
        pytest.param({"own": False, "split": True}, marks=SLOW),
        pytest.param({"own": True, "split": False}, marks=SLOW),
        pytest.param({"own": True, "split": True, "delimiter": ";"}, marks=SLOW),
        {"own": True, "split": True, "xlsx": True},
        pytest.param({"own": False, "split": True, "sep": "-"}, marks=SLOW),
    ],
    ids=["both", "choice-columns", "names", "semicolons", "xlsx", "odk-central"],
)
def test_kobotoolbox_and_odk_exports_round_trip(tmp_path, layout):
    people = respondents()
    rows = odk_rows(people, layout.get("sep", "/"), layout["own"], layout["split"])
    if layout.get("xlsx"):
        export = write_xlsx(tmp_path / "kobo.xlsx", rows)
    else:
        export = write_csv(tmp_path / "kobo.csv", rows, layout.get("delimiter", ","))
    round_trip(tmp_path, export, people)


# --------------------------------------------------------------------------- XLSForm


def test_xlsform_converts_with_pyxform_and_carries_groups_choices_and_logic(tmp_path):
    from pyxform.xls2xform import convert

    out = tmp_path / "gov-dt.xlsx"
    result = cli("form", "gov-dt", "--to", "xlsform", "-o", out)
    assert result.exit_code == 0, result.stderr
    converted = convert(xlsform=str(out))
    assert converted.warnings == []
    xform = converted.xform
    assert 'nodeset="/data/strategy/vision/has_plan"' in xform
    assert "/data/strategy/vision/has_plan  = 'yes'" in xform  # relevant
    assert "/data/security/compliance/highest_grade  = 'level3'" in xform
    assert ". &gt;= 0 and . &lt;= 100" in xform  # constraint of a 0-100 number
    assert "selected(., 'none')" in xform  # an exclusive option stays alone
    from openpyxl import load_workbook

    book = load_workbook(out)
    assert book.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in book["survey"][1]]
    assert "label::中文 (zh)" in header and "label::English (en)" in header
    assert "hint::中文 (zh)" in header
    first = book["choices"][2]
    assert [c.value for c in first][:2] == ["has_plan", "yes"]


def test_xlsform_is_the_same_bytes_each_time_and_not_overwritten_without_force(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert cli("form", "gov-dt", "--to", "xlsform", "-o", first).exit_code == 0
    assert cli("form", "gov-dt", "--to", "xlsform", "-o", second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    again = cli("form", "gov-dt", "--to", "xlsform", "-o", first)
    assert again.exit_code == 2
    assert f"{first}: {first} already exists; pass --force" in again.stderr
    assert cli("form", "gov-dt", "--to", "xlsform", "-o", first, "--force").exit_code == 0
    with zipfile.ZipFile(first) as book:
        assert {i.date_time for i in book.infolist()} == {(2000, 1, 1, 0, 0, 0)}


def localized(text, langs):
    return " / ".join(dict.fromkeys(localize(text, lang) for lang in langs))


# --------------------------------------------------------------------------- 问卷星, 腾讯问卷


def wjx_blocks(path: Path) -> list[tuple[str, str, list[str]]]:
    """The questions of a 问卷星 text: (title, type marker, option lines)."""
    blocks = path.read_text("utf-8").strip().split("\n\n")
    found = []
    for block in blocks:
        first, *options = block.split("\n")
        head, _, rest = first.partition(". ")
        if head.isdigit() and rest.endswith("】"):
            title, marker = rest[: rest.rindex("【")], rest[rest.rindex("【") :]
            found.append((title, marker, options))
    return found


def wjx_rows(people: list[dict], blocks, tencent: bool = False) -> list[list[str]]:
    """A 问卷星 按文本导出 export (`1、title`, labels, ┋ between a multi answer's options,
    (跳过) for a question skipped), or a 腾讯问卷 one (`1.title`, one 0/1 column per option)."""
    questions = GOV.questions
    assert len(blocks) == len(questions) + 3
    header = ["编号", "开始答题时间", "结束答题时间", "答题时长"] if tencent else [
        "序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]  # fmt: skip
    dot = "." if tencent else "、"
    for n, (title, marker, options) in enumerate(blocks, 1):
        if tencent and marker == "【多选题】":
            header += [f"{n}{dot}{title}:{label}" for label in options]
        else:
            header.append(f"{n}{dot}{title}")
    rows = [header]
    for person in people:
        row = [person["id"], "2026-03-02 10:00:00", "2026-03-02 10:05:00", "5分0秒"]
        if not tencent:
            row = [person["id"], "2026/3/2 10:01:05", "305秒", "链接", "直接访问", "10.0.0.1"]
        for x, (_, marker, options) in zip(questions, blocks, strict=False):
            value = person["answers"].get(x.id)
            values = [o.value for o in x.options]
            if tencent and marker == "【多选题】":
                chosen = value or []
                row += ["" if value is None else str(int(v in chosen)) for v in values]
            elif value is None:
                row.append("" if tencent else "(跳过)")
            elif value == "na":
                row.append(options[-1])
            elif x.type == "multi":
                row.append("┋".join(options[values.index(v)] for v in value))
            elif x.options:
                row.append(options[values.index(value)])
            else:
                row.append(f"{value:g}")
        row += ["", person["unit"], person["role"]]
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    "tool, lang",
    [
        ("wjx-xlsx", "zh"),
        ("tencent", "both"),
        pytest.param("wjx-csv", "en", marks=pytest.mark.slow),
        pytest.param("wjx-xlsx", "both", marks=pytest.mark.slow),
        pytest.param("tencent", "zh", marks=pytest.mark.slow),
    ],
)
def test_wenjuanxing_and_tencent_exports_of_the_form_round_trip(tmp_path, tool, lang):
    form = tmp_path / "form.txt"
    assert cli("form", "gov-dt", "--to", "wjx", "--lang", lang, "-o", form).exit_code == 0
    people = respondents(seed=11)
    rows = wjx_rows(people, wjx_blocks(form), tencent=tool == "tencent")
    if tool == "wjx-xlsx":
        export = write_xlsx(tmp_path / "wjx.xlsx", rows)
    else:
        export = write_csv(tmp_path / f"{tool}.csv", rows)
    round_trip(tmp_path, export, people)


def test_wjx_text_numbers_questions_marks_types_and_says_conditions(tmp_path):
    form = tmp_path / "form.txt"
    assert cli("form", "gov-dt", "--to", "wjx", "-o", form).exit_code == 0
    blocks = wjx_blocks(form)
    assert [b[1] for b in blocks[:4]] == ["【单选题】", "【单选题】", "【单选题】", "【多选题】"]
    assert blocks[0][2] == ["是", "否"]
    assert blocks[1][0].endswith("（仅当第1题为“是”时回答）")
    assert blocks[10][1] == "【填空题】"  # a number
    assert blocks[9][2][-1] == "不适用"  # allow_na
    assert [b[0] for b in blocks[-3:]] == ["所在单位名称", "所在部门（科室）", "您的职务"]


# --------------------------------------------------------------------------- LimeSurvey


def limesurvey_rows(people: list[dict]) -> list[list[str]]:
    """A LimeSurvey response export with question codes as headings and answer codes as
    answers: `code[SQ001]` per option of a multiple-choice question, Y when chosen."""
    names = form_names(GOV)
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp",
              names.ls_profile["unit"], names.ls_profile["role"]]  # fmt: skip
    for x in GOV.questions:
        code = names.codes[x.id]
        if x.type == "multi":
            header += [f"{code}[{subquestion_code(i)}]" for i in range(1, len(x.options) + 1)]
        else:
            header.append(code)
    rows = [header]
    for person in people:
        row = [person["id"], "2026-03-02 10:09:00", "19", "zh", "123", "2026-03-02 10:00:00",
               "2026-03-02 10:09:00", person["unit"], person["role"]]  # fmt: skip
        for x in GOV.questions:
            value = person["answers"].get(x.id)
            if x.type == "multi":
                row += ["Y" if value and o.value in value else "" for o in x.options]
            elif value is None:
                row.append("")
            elif value == "na":
                row.append("NA")
            elif x.options:
                row.append(names.answers[x.id][value])
            else:
                row.append(f"{value:.10f}")
        rows.append(row)
    return rows


def test_limesurvey_response_export_round_trips(tmp_path):
    people = respondents(seed=5)
    round_trip(
        tmp_path, write_csv(tmp_path / "results-survey.csv", limesurvey_rows(people)), people
    )


def test_limesurvey_survey_file_has_groups_questions_answers_and_relevance(tmp_path):
    out = tmp_path / "gov-dt.txt"
    assert cli("form", "gov-dt", "--to", "limesurvey", "-o", out).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8"), delimiter="\t"))
    assert {r["language"] for r in rows if r["class"] == "Q"} == {"zh", "en"}
    zh = [r for r in rows if r["language"] == "zh"]
    questions = {r["name"]: r for r in zh if r["class"] == "Q"}
    assert questions["roadmap"]["relevance"] == "hasplan.NAOK == 'Y'"
    assert questions["cdorole"]["relevance"] == "(!is_empty(cdo.NAOK) and cdo.NAOK != 'A1')"
    assert questions["coverage"]["type/scale"] == "M"
    assert questions["tools"]["exclude_all_others"] == "SQ008"
    assert questions["budgetshare"]["type/scale"] == "N"
    assert questions["budgetshare"]["max_num_value_n"] == "100"
    answers = [r["name"] for r in zh if r["class"] == "A" and r["id"] == questions["cloud"]["id"]]
    assert answers == ["1", "2", "3", "4", "5", "NA"]
    assert [r["name"] for r in zh if r["class"] == "G"][:3] == [
        "基本信息", "战略与规划", "战略与规划 — 战略规划与路线图"]  # fmt: skip


# --------------------------------------------------------------------------- paper


def test_printable_html_has_anchors_boxes_conditions_and_lines(tmp_path):
    out = tmp_path / "form.html"
    assert cli("form", "gov-dt", "--to", "html", "-o", out).exit_code == 0
    page = out.read_text("utf-8")
    assert '<h2 id="strategy">战略与规划</h2>' in page
    assert '<section class="question" id="q-strategy.vision.has_plan">' in page
    assert page.count('<span class="box"></span>') == sum(
        len(x.options) + (1 if x.allow_na else 0) for x in GOV.questions if x.options
    )
    assert '<span class="level">3</span>规划覆盖全单位业务' in page  # a level's anchor
    assert '<p class="when">仅当第1题为“是”时回答</p>' in page
    assert "% （0 至 100; 不适用）" in page  # a number's range, with N/A allowed
    assert page.count('<div class="notes">备注与佐证</div>') == len(GOV.questions)


@pytest.mark.slow
def test_printable_pdf_in_both_languages(tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "mini.pdf"
    result = cli("form", MINI, "--to", "pdf", "--lang", "both", "-o", out)
    assert result.exit_code == 0, result.stderr
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "迷你评估 / Mini assessment" in text
    assert "备注与佐证 / Notes and evidence" in text
    again = tmp_path / "again.pdf"
    assert cli("form", MINI, "--to", "pdf", "--lang", "both", "-o", again).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


# --------------------------------------------------------------------------- what a form cannot say


def awkward(make_questionnaire) -> Path:
    """Options with quotes, markup and line breaks; conditions that compare two questions."""
    label = {"zh": '<b>"引号"</b>\n第二行', "en": "<b>it's</b>\nsecond line"}
    a = question("d.a", "single", text={"zh": "第一行\n第二行", "en": "one\ntwo"}, options=[
        {"value": "it's", "label": label, "score": 1},
        {"value": "plain", "label": both("普通", "Plain"), "score": 0}])  # fmt: skip
    b = question("d.b", "single", when="d.a == \"it's\"", options=[
        {"value": "it's", "label": both("是", "Yes"), "score": 1},
        {"value": "no", "label": both("否", "No"), "score": 0}])  # fmt: skip
    c = level_question("d.c", when="d.a == d.b")
    n = question("d.n", "number", min=0, max=10, allow_na=True, when="d.c >= 3",
                 bands=[{"min": 0, "score": 0}, {"min": 5, "score": 1}])  # fmt: skip
    return make_questionnaire(dimensions=[dimension("d", [a, b, c, n])])


@pytest.mark.parametrize(
    "to, untranslatable",
    [("xlsform", ["d.c"]), ("limesurvey", ["d.c"]), ("wjx", []), ("html", [])],
)
def test_a_condition_a_tool_cannot_say_is_a_warning_and_the_form_is_written(
    tmp_path, make_questionnaire, to, untranslatable
):
    out = tmp_path / f"form.{to}"
    result = cli("form", awkward(make_questionnaire), "--to", to, "-o", out)
    assert result.exit_code == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "cannot be written" in line]
    assert [line.split("'")[1] for line in said] == untranslatable
    assert out.stat().st_size > 0


def test_awkward_texts_stay_inside_their_cells_and_lines(tmp_path, make_questionnaire):
    from pyxform.xls2xform import convert

    path = awkward(make_questionnaire)
    xlsx, txt, page = tmp_path / "f.xlsx", tmp_path / "f.txt", tmp_path / "f.html"
    for to, out in (("xlsform", xlsx), ("wjx", txt), ("html", page)):
        assert cli("form", path, "--to", to, "-o", out, "--lang", "both").exit_code == 0
    xform = convert(xlsform=str(xlsx)).xform
    assert "relevant=\" /data/d/a  = 'c1'\"" in xform  # a choice named for its place
    blocks = wjx_blocks(txt)
    assert [b[0].split("（")[0] for b in blocks[:1]] == ["第一行 第二行 / one two"]
    assert blocks[0][2][0] == '<b>"引号"</b> 第二行 / <b>it\'s</b> second line'
    html = page.read_text("utf-8")
    assert "<b>it" not in html and '<b>"' not in html
    assert (
        "&lt;b&gt;&quot;引号&quot;&lt;/b&gt; 第二行 / &lt;b&gt;it&#x27;s&lt;/b&gt; second" in html
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--to", "wjx", "--lang", "fr"], "--lang fr: gov-dt@1.0 is written in zh, en"),
        (["--to", "docx"], "'docx' is not one of"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path, args, message):
    out = tmp_path / "f.txt"
    result = cli("form", "gov-dt", *args, "-o", out)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not out.exists()


def test_a_form_to_standard_output(tmp_path):
    result = cli("form", "gov-dt", "--to", "wjx", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("政府数字化转型成熟度评估\n")
    assert "1. 本单位是否有" in result.stdout


def test_the_api_writes_what_the_command_writes(tmp_path):
    import dtassess

    said: list = []
    done = dtassess.write_form("gov-dt", "xlsform", tmp_path / "api.xlsx", say=said.append)
    assert done.paths == [tmp_path / "api.xlsx"] and done.problems == said == []
    assert cli("form", "gov-dt", "--to", "xlsform", "-o", tmp_path / "cli.xlsx").exit_code == 0
    assert (tmp_path / "api.xlsx").read_bytes() == (tmp_path / "cli.xlsx").read_bytes()


def test_two_questions_worded_alike_are_told_apart_by_their_number(tmp_path, make_questionnaire):
    text = both("培训情况如何？", "How is training?")
    first = level_question("d1.training", text=text)
    second = level_question("d2.training", text=text)
    path = make_questionnaire(dimensions=[dimension("d1", [first]), dimension("d2", [second])])
    form = tmp_path / "form.txt"
    assert cli("form", path, "--to", "wjx", "-o", form).exit_code == 0
    (title, _, options), (title2, _, options2) = wjx_blocks(form)[:2]
    export = write_csv(tmp_path / "wjx.csv", [
        ["序号", f"1、{title}", f"2、{title2}", "3、所在单位名称"],
        ["1", options[1], options2[3], ""]])  # fmt: skip
    out = tmp_path / "out"
    result = cli("import", export, "-q", path, "--org", "qs", "-o", out)
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    answers = yaml.safe_load((out / "qs-1.yaml").read_text("utf-8"))["answers"]
    assert answers == {"d1.training": 2, "d2.training": 4}


@pytest.mark.parametrize(
    "header",
    ["(a) " * 20000 + "z", "1、" + "（a）" * 20000 + "z", "9" * 5000 + "、x", "1." + ":" * 50000],
    ids=["brackets", "numbered-brackets", "long-number", "colons"],
)
def test_hostile_headers_are_recognised_in_a_pass(header):
    """Headers that no form writes but a file can hold: no backtracking, no huge integers."""
    import time

    from dtassess.inputs.formtools import recognise

    start = time.perf_counter()
    assert recognise([header, "序号"], GOV, None) is None
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize(
    "title, bare",
    [("标题（可多选）（仅当第1题为“是”时回答） ", "标题"), ("a (b) 【c】", "a"),
     ("a (b)c)", "a (b)c)"), ("x)", "x)"), ("规划（方案）是否印发", "规划（方案）是否印发")],
)  # fmt: skip
def test_hints_after_a_title(title, bare):
    from dtassess.inputs.headers import without_hints

    assert without_hints(title) == bare


@pytest.mark.parametrize(
    "make, questionnaire, message",
    [
        ("dir", "gov-dt", "{out}: {out} is a directory; dtassess writes only regular files"),
        ("", "nosuch.yaml", "nosuch.yaml: file not found: nosuch.yaml"),
        ("fifo", "{out}", "{out}: this is a FIFO (named pipe), not a regular file"),
        ("", "{bad}", "{bad}:2:1: YAML syntax error"),
    ],
    ids=["output-is-a-folder", "no-questionnaire", "questionnaire-is-a-fifo", "bad-questionnaire"],
)
def test_what_cannot_be_read_or_written_stops_before_anything_is_written(
    tmp_path, make, questionnaire, message
):
    import os

    out, bad, form = tmp_path / "out", tmp_path / "bad.yaml", tmp_path / "form.txt"
    bad.write_text("id: [unclosed\n", "utf-8")
    if make == "dir":
        out.mkdir()
    elif make == "fifo":
        os.mkfifo(out)
    target = out if make == "dir" else form
    result = cli("form", questionnaire.format(out=out, bad=bad), "--to", "wjx", "-o", target)
    assert result.exit_code == 2
    assert message.format(out=out, bad=bad) in result.stderr
    assert not form.exists()


def test_no_question_takes_the_name_of_a_column_the_tools_add(make_questionnaire):
    questions = [level_question(f"d.{name}") for name in ("start", "status", "seed", "token")]
    path = make_questionnaire(dimensions=[dimension("d", questions)])
    names = form_names(load_questionnaire(path))
    assert names.questions == {"d.start": "d_start", "d.status": "d_status", "d.seed": "seed",
                               "d.token": "token"}  # fmt: skip
    assert names.codes == {"d.start": "dstart", "d.status": "dstatus", "d.seed": "seed2",
                           "d.token": "token2"}  # fmt: skip
