"""The report's pages as a reader sees them, and as assistive technology reads them.

One PDF/UA-1 report of the bundled sample county is rendered once for the module (a few
seconds); the tests read it back: every page rendered to pixels and nothing inked past the
right margin, every figure with alternative text, every table header cell with a scope. The
HTML report is checked for its charts' accessible names and its phone layout. Smaller tests pin
the table cells that used to read "25–25" or "—".
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import run

SAMPLES = sorted((Path(__file__).parent.parent / "questionnaires" / "samples").glob("*.yaml"))
A4_WIDTH_MM, RIGHT_MARGIN_MM = 210.0, 20.0


@pytest.fixture(scope="module")
def ua_pdf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ua") / "report.pdf"
    result = run(
        "report", *SAMPLES, "-o", out, "--lang", "zh", "--date", "2026-12-06",
        "--pdf-variant", "pdf/ua-1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def html_report(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("html") / "report.html"
    result = run("report", *SAMPLES, "-o", out, "--format", "html", "--lang", "en")
    assert result.returncode == 0, result.stderr
    return out.read_text("utf-8")


def structure(pdf: Path) -> list:
    """Every element of the PDF's structure tree, depth first."""
    from pypdf import PdfReader

    found, stack = [], [PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop().get_object()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            found.append(node)
            kids = node.get("/K")
            if kids is not None:
                stack.append(kids)
    return found


def page_texts(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(pdf).pages]


def test_the_executive_summary_is_one_page_with_its_first_phase(ua_pdf: Path) -> None:
    # The first phase used to sit below the radar and spill onto a page of its own (27% full).
    texts = page_texts(ua_pdf)
    start = next(i for i, t in enumerate(texts) if "执行摘要" in t and "关键结论" in t)
    assert "第一阶段行动" in texts[start]
    # the running header names the chapter: the next page belongs to the next one
    assert "执行摘要" not in texts[start + 1]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm")
def test_no_page_but_the_last_is_left_nearly_empty(ua_pdf: Path, tmp_path: Path) -> None:
    # Chapters that each started a page left their spill-overs on pages a sixth to a third full
    # (four in this report). How far down each page's body (between the running header and the
    # footer) the ink reaches, as a share of the body's height.
    from PIL import Image

    subprocess.run(["pdftoppm", "-gray", "-r", "30", ua_pdf, tmp_path / "p"], check=True)
    filled = {}
    for page in sorted(tmp_path.glob("p-*.pgm")):
        pixels = np.asarray(Image.open(page))
        height = pixels.shape[0]
        body = pixels[int(height * 0.06) : int(height * 0.90)]
        ink = np.flatnonzero((body < 200).any(axis=1))
        filled[page.name] = (ink.max() + 1) / len(body) if len(ink) else 0.0
    sparse = {name: round(share, 2) for name, share in list(filled.items())[:-1] if share < 0.4}
    assert sparse == {}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext")
def test_a_chapter_number_is_never_left_at_a_pages_foot(ua_pdf: Path) -> None:
    # Chapters start mid-page: "08" was once left above the footer, its title on the next page.
    text = subprocess.run(
        ["pdftotext", "-layout", ua_pdf, "-"], check=True, capture_output=True, text=True
    ).stdout
    numbers = 0
    for page in text.split("\f"):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        for k, line in enumerate(lines):
            if re.fullmatch(r"0\d", line):
                numbers += 1
                assert k + 1 < len(lines) and not re.search(r"第 \d+ 页", lines[k + 1]), line
    assert numbers == 9  # the summary, four dimensions, findings, roadmap, methodology, provenance


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm")
def test_nothing_is_inked_past_the_right_margin(ua_pdf: Path, tmp_path: Path) -> None:
    # The boxes beside "受访者选择" (what the next level asks for) once ran 14 mm into the
    # margin: a table 100% wide plus a 6 mm indent. Every page, every ink pixel is checked.
    dpi = 40
    subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), ua_pdf, tmp_path / "p"], check=True)
    pages = sorted(tmp_path.glob("p-*.pgm"))
    assert len(pages) > 15
    limit_mm = A4_WIDTH_MM - RIGHT_MARGIN_MM + 0.8  # a pixel's width of slack
    over = {}
    for page in pages:
        from PIL import Image

        pixels = np.asarray(Image.open(page))
        ink = np.flatnonzero((pixels < 200).any(axis=0))
        rightmost_mm = (ink.max() + 1) * 25.4 / dpi if len(ink) else 0.0
        # The cover is printed edge to edge by design.
        if page != pages[0] and rightmost_mm > limit_mm:
            over[page.name] = round(rightmost_mm - (A4_WIDTH_MM - RIGHT_MARGIN_MM), 1)
    assert over == {}


def test_every_figure_has_alternative_text(ua_pdf: Path) -> None:
    figures = [e for e in structure(ua_pdf) if e.get("/S") == "/Figure"]
    # The logo, the radar, one bar chart per dimension (four), the timeline.
    assert len(figures) == 7
    alts = [str(f.get("/Alt") or "") for f in figures]
    assert all(alts), alts
    # The charts' text says what they show, in numbers: the radar names every dimension.
    radar = next(a for a in alts if a.startswith("各维度得分与目标: "))
    assert radar.count(";") == 3 and "战略与规划 41.5" in radar
    assert any(a.startswith("路线图时间轴: ") for a in alts)


def test_every_table_header_cell_has_a_scope(ua_pdf: Path) -> None:
    headers = [e for e in structure(ua_pdf) if e.get("/S") == "/TH"]
    scopes = Counter(str(h.get("/A", {}).get("/Scope")) for h in headers)
    assert set(scopes) == {"/Column", "/Row"}, scopes
    # Row headers are the cover's and the provenance page's facts, 4 + 6, and the facts of the
    # demo's ten initiatives: owner, KPI, milestones, effort, and dependencies for two of them.
    assert scopes["/Row"] == 4 + 6 + 10 * 4 + 2


def test_every_html_chart_has_an_accessible_name(html_report: str) -> None:
    svgs = re.findall(r"<svg\b.*?</svg>", html_report, re.S)
    assert len(svgs) == 6
    for svg in svgs:
        root = ET.fromstring(svg)
        name = root.get("aria-label") or ""
        assert root.get("role") == "img" and name
        assert root.find("{http://www.w3.org/2000/svg}title").text == name
    html_tables = re.findall(r"<th\b[^>]*>", html_report)
    assert html_tables and all('scope="' in th for th in html_tables)
    # The questionnaire's digest is a prefix, and says so.
    assert "(first 16 hex digits of SHA-256)" in html_report
    # The answers table's headers are defined under it.
    assert "Typical answer: the respondents&#39; median answer" in html_report


def test_the_html_report_has_a_phone_layout(html_report: str) -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html_report
    phone = re.search(r"@media screen and \(max-width: 640px\) \{(.*?)\n\}", html_report, re.S)
    assert phone is not None
    rules = phone.group(1)
    # The tiles wrap, the side-by-side blocks stack, long tables become one block per row.
    assert ".kpis { flex-wrap: wrap; }" in rules
    assert ".summary-mid, .two-col { display: block; }" in rules
    assert "table.questions tr { grid-template-columns: 1fr auto auto; }" in rules


def test_the_reliability_table_is_a_block_per_row_on_a_phone(html_report: str) -> None:
    # Six columns do not fit 390 px: like the other long tables, each row becomes a block (the
    # dimension, its numbers under it, the caveats) instead of scrolling sideways.
    assert '<table class="reliability">' in html_report
    phone = "".join(
        re.findall(r"@media screen and \(max-width: 640px\) \{(.*?)\n\}", html_report, re.S)
    )
    assert "table.reliability { overflow-x: visible; }" in phone
    assert "table.reliability > * { display: block; }" in phone
    assert re.search(r"table\.reliability tr \{[^}]*display: flex;[^}]*flex-wrap: wrap;", phone)


def test_the_two_reports_share_one_footer() -> None:
    from dtassess.labels import EN, ZH

    for words in (ZH, EN):
        assert words["annual"]["page"] == words["report"]["page"]
    templates = Path(__file__).parent.parent / "report_templates"
    for name in ("report.html.j2", "annual.html.j2"):
        text = (templates / name).read_text("utf-8")
        assert '{%- from "_page.j2" import running -%}' in text
        assert 'class="run-page-pre"' not in text  # the footer is drawn in one place only


@pytest.mark.parametrize(
    ("scores", "shown"),
    [
        ([0.25, 0.25, 0.25], "25"),  # the ends are equal: one number, never "25–25"
        ([0.25, 0.6, 0.4], "25–60"),
        ([0.0, 1.0], "0–100"),
    ],
)
def test_a_spread_whose_ends_are_equal_prints_one_number(scores, shown) -> None:
    from dtassess.reporting.report import _spread

    assert _spread(np.array(scores)) == shown


def test_disagreements_on_a_number_question_give_the_lowest_and_highest_number() -> None:
    import pandas as pd

    from dtassess.roadmap import _extremes

    question = SimpleNamespace(type="number", unit={"zh": "%", "en": "%"})
    values = pd.Series([22.0, None, 2.0, float("nan"), "na", 12.5])
    found = _extremes(question, values)
    assert found["lowest"] == {"value": 2.0, "label": {"zh": "2 %", "en": "2 %"}}
    assert found["highest"]["label"]["en"] == "22 %"
    plain = SimpleNamespace(type="number", unit=None)
    assert _extremes(plain, pd.Series([3, 7]))["highest"]["label"] == {"": "7"}
