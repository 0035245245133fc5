"""The annual report: every unit over three periods, in both languages, and one report per unit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import cli
from pypdf import PdfReader

from dtassess.inputs.loading import load_inputs
from dtassess.reporting.annual import ANNUAL_ATTACHMENT, annual_models
from dtassess.reporting.render import read_attachment
from dtassess.resources import annual_sample_dir

# Annual reports are PDFs, rendered by the tests or their fixtures: slow.
pytestmark = pytest.mark.slow

SAMPLE = annual_sample_dir()
HIDDEN = "县市场监督管理局"  # two respondents in 2026


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("annual")
    found = {}
    for lang in ("zh", "en"):
        path = folder / f"annual-{lang}.pdf"
        result = cli("report", SAMPLE, "--annual", "--lang", lang, "--resamples", "200",
                     "--date", "2026-11-25", "-o", path)  # fmt: skip
        assert result.exit_code == 0, result.stderr
        found[lang] = path
    return found


def test_chinese_annual_report(reports):
    text = text_of(reports["zh"])
    for words in ("数字化转型年度评估报告 2026", "青山县人民政府", "各单位情况", "得分趋势",
                  "进步最大", "退步最大", "上期路线图目标对照", "单位简况", "评估方法",
                  "县卫生健康局", "县财政局", "+23.9", "−12.6", "1 个单位受访者少于 3 人",
                  "置信区间"):  # fmt: skip
        assert words in text, words
    # a unit below --min-group-size appears in the agency's totals only, never by name
    assert HIDDEN not in text
    # the notes of the finance bureau's respondents explain its decline
    assert "应急演练未开展" in text.replace("\n", "")
    # the review says what the levels show, never that actions were carried out
    assert "落实情况" not in text
    flat = text.replace("\n", "")
    for words in ("已达到目标等级", "等级未提升", "不能说明行动是否已经实施", "下一步工作建议",
                  "县财政局 · 下滑 总体", "重点维度 数据隐私与安全",
                  "1 个单位受访者少于 3 人，不单独列示，也不提出单位层面的行动建议"):  # fmt: skip
        assert words in flat, words


def test_english_annual_report(reports):
    text = text_of(reports["en"])
    for words in ("Annual digital transformation assessment 2026", "Units", "Scores over time",
                  "Largest improvements", "Largest declines",
                  "Last period's roadmap: targets and levels", "Unit profiles"):  # fmt: skip
        assert words in text, words
    assert HIDDEN not in text
    flat = " ".join(text.split())
    for words in ("target level reached", "level not raised", "Next steps", "Slipped Overall",
                  "Focus Data privacy and security",
                  "not whether an action was carried out",
                  "1 unit(s) with fewer than 3 respondents are not shown on their own and get "
                  "no unit-level actions"):  # fmt: skip
        assert words in flat, words


def test_the_numbers_match_scoring_and_travel_inside_the_pdf(reports):
    scored = cli("score", SAMPLE, "--by", "unit", "--format", "json")
    groups = {
        g["unit"]: g["scores"]["overall"]
        for g in json.loads(scored.stdout)["groups"]
        if g["period"] == "2026"
    }
    numbers = json.loads(read_attachment(reports["zh"], ANNUAL_ATTACHMENT))
    table = {u["unit"]: u for u in numbers["units"]}
    assert set(table) == set(groups) and HIDDEN not in table
    for unit, entry in table.items():
        assert entry["score"] == pytest.approx(groups[unit]["score"], abs=0.05)
        assert entry["change"] == pytest.approx(groups[unit]["change"], abs=0.05)
        low, high = entry["interval"]["low"], entry["interval"]["high"]
        assert low <= entry["score"] <= high
    assert [u["rank"] for u in numbers["units"]] == [1, 2, 3, 4]
    # ... and at full precision, for machines, as `score --format json` gives them
    full = {g["unit"]: g["scores"]["overall"] for g in numbers["scores"]["units"]
            if g["period"] == "2026"}  # fmt: skip
    assert full == groups
    assert [g["organization"] for g in numbers["scores"]["agency"]] == ["qingshan"] * 3
    # the agency counts every respondent, the small unit's too
    assert numbers["summary"]["respondents"] == 17


def test_movers_name_the_questions_that_drove_them():
    responses = load_inputs([SAMPLE])
    (model,) = annual_models(responses, lang="en", date=dt.date(2026, 11, 25))
    up, down = model.movers.up, model.movers.down
    assert up[0].unit == "县卫生健康局" and up[0].change > 20
    assert down[0].unit == "县财政局" and down[0].change < -20
    for entry in up:
        assert entry.questions and all(q.now > q.before for q in entry.questions)
    for entry in down:
        assert entry.questions and all(q.now < q.before for q in entry.questions)
    statuses = {a.status for a in model.review}
    assert statuses <= {"reached", "progress", "not_yet", "held"} and "reached" in statuses


def test_one_period_only(tmp_path):
    out = tmp_path / "one.html"
    result = cli("report", SAMPLE / "2026", "--annual", "--format", "html", "--resamples", "0",
                 "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "只有一期数据" in html and "没有上期数据" in html


def test_per_unit_reports(tmp_path):
    out = tmp_path / "units"
    result = cli("report", SAMPLE, "--per-unit", "--format", "html", "-o", out)
    assert result.exit_code == 0, result.stderr
    files = sorted(out.iterdir())
    assert len(files) == 4
    assert "withheld 1 unit(s) with fewer than 3 respondents" in result.stderr
    covers = {f.name: f.read_text(encoding="utf-8") for f in files}
    assert any("县卫生健康局" in html and "2026" in html for html in covers.values())
    assert all(HIDDEN not in html for html in covers.values())
    again = cli("report", SAMPLE, "--per-unit", "--format", "html", "-o", out)
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_earlier_periods_from_the_archive_give_the_same_report(tmp_path):
    archive = tmp_path / "archive"
    added = cli("archive", "add", SAMPLE / "2024", SAMPLE / "2025", "--to", archive)
    assert added.exit_code == 0, added.stderr
    common = ("--annual", "--format", "html", "--resamples", "50", "--date", "2026-11-25")
    from_archive = tmp_path / "a.html"
    result = cli("report", SAMPLE / "2026", "--archive", archive, *common, "-o", from_archive)
    assert result.exit_code == 0, result.stderr
    from_files = tmp_path / "b.html"
    assert cli("report", SAMPLE, *common, "-o", from_files).exit_code == 0
    assert from_archive.read_bytes() == from_files.read_bytes()
