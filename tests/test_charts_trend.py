"""The trend chart: scores over periods, one line per unit and the agency-wide line on top.

Everything is checked on the SVG text (parsed with xml.etree); nothing is rendered, since a
render with the CJK font costs over a second.
"""

from __future__ import annotations

import copy
import itertools
import xml.etree.ElementTree as ET

import pytest

from dtassess.reporting import charts

NS = {"s": "http://www.w3.org/2000/svg"}
RANGE = (0, 100)
RINGS = [0, 20, 40, 60, 80]
LINE = 14.0  # the label line height of the trend chart
PERIODS = ["2024", "2025", "2026"]
UNITS = [
    {"title": "县政务服务和数据管理局", "scores": [41.2, 48.5, 58.8]},
    {"title": "县教育局", "scores": [35.0, 37.9, 36.1]},
    {"title": "县卫生健康委员会", "scores": [44.3, 46.0, 52.4]},
    {"title": "县自然资源和规划局", "scores": [38.8, 40.1, 33.2]},
    {"title": "县市场监督管理局", "scores": [29.4, 31.0, 27.5]},
    {"title": "全县", "scores": [38.6, 41.7, 45.1], "emphasis": True},
]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def groups(root: ET.Element) -> list[ET.Element]:
    return root.findall("s:g", NS)


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def texts(root: ET.Element, cls: str) -> list[ET.Element]:
    return [t for t in root.iter("{http://www.w3.org/2000/svg}text") if cls in classes(t)]


def labels_by_x(root: ET.Element) -> dict[float, list[ET.Element]]:
    """The texts right of the plot (x beyond the last period), by x."""
    last = max(float(c.get("cx")) for c in root.iter("{http://www.w3.org/2000/svg}circle"))
    columns: dict[float, list[ET.Element]] = {}
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        if float(t.get("x")) > last:
            columns.setdefault(float(t.get("x")), []).append(t)
    return columns


def test_well_formed_with_name_viewbox_and_style() -> None:
    svg = charts.trend(UNITS, PERIODS, RANGE, RINGS, {"trend": "得分趋势"})
    root = parse(svg)
    # The accessible name is the chart's name with its periods, then every line in numbers;
    # the <title> carries the same words (a PDF/UA figure's /Alt).
    name = root.get("aria-label")
    assert name.startswith("得分趋势 (2024 → 2025 → 2026): ")
    assert root.find("s:title", NS).text == name
    assert root.get("role") == "img"
    assert root.get("class") == "dtc dtc-trend"
    assert "width" not in root.attrib and "height" not in root.attrib
    assert root.get("viewBox").split()[2] == "640"
    style = root.find("s:style", NS).text
    for cls in ("dtc-line", "dtc-line-main", "dtc-line-1", "dtc-dot", "dtc-dot-main", "dtc-leader"):
        assert f".{cls}{{" in style
    # One group per series, the emphasised one last; every score has a dot.
    gs = groups(root)
    assert len(gs) == len(UNITS)
    assert "dtc-line-main" in classes(gs[-1].find("s:polyline", NS))
    assert all(len(g.findall("s:circle", NS)) == 3 for g in gs)
    # Period labels under the plot.
    assert [t.text for t in texts(root, "dtc-muted") if t.text in PERIODS] == PERIODS


def test_no_series_or_no_periods_give_nothing() -> None:
    assert charts.trend([], PERIODS, RANGE, RINGS) == ""
    assert charts.trend(UNITS, [], RANGE, RINGS) == ""


def test_one_polyline_per_unbroken_run_and_a_dot_per_score() -> None:
    series = [
        {"title": "whole", "scores": [40, 50, 60, 70, 80]},
        {"title": "split", "scores": [40, 50, None, 60, 70]},
        {"title": "lone", "scores": [40, None, 60, None, 55]},
        {"title": "short", "scores": [30, 35]},  # missing periods count as None
        {"title": "empty", "scores": [None, None, None, None, None]},
    ]
    root = parse(charts.trend(series, list("ABCDE"), RANGE, RINGS))
    lines = [g.findall("s:polyline", NS) for g in groups(root)]
    dots = [g.findall("s:circle", NS) for g in groups(root)]
    assert [len(p) for p in lines] == [1, 2, 0, 1, 0]
    assert [len(d) for d in dots] == [5, 4, 3, 2, 0]
    assert [len(p.get("points").split()) for p in lines[1]] == [2, 2]
    # The two runs of the split line lie left and right of the gap.
    first, second = ([float(xy.split(",")[0]) for xy in p.get("points").split()] for p in lines[1])
    assert max(first) < min(second)
    # A series without any score keeps its label, with a dash for the score.
    assert "—" in [t.text for t in texts(root, "dtc-score")]


def test_not_a_number_is_a_gap() -> None:
    series = [{"title": "nan", "scores": [40.0, float("nan"), 60.0]}]
    root = parse(charts.trend(series, PERIODS, RANGE, RINGS))
    assert len(root.findall("s:g/s:polyline", NS)) == 0
    assert len(root.findall("s:g/s:circle", NS)) == 2


def test_single_period_draws_dots_and_labels_only() -> None:
    series = [{"title": "县教育局", "scores": [36.1]}, {**UNITS[-1], "scores": [45.1]}]
    root = parse(charts.trend(series, ["2026"], RANGE, RINGS))
    assert root.findall(".//s:polyline[@class='dtc-line dtc-line-1']", NS) == []
    assert len(root.findall("s:g/s:circle", NS)) == 2
    assert [t.text for t in texts(root, "dtc-value")] == ["45.1"]
    assert [t.text for t in texts(root, "dtc-score")] == ["36.1"]


def test_titles_are_escaped() -> None:
    title = "<script>alert(1)</script>&\"'"
    svg = charts.trend([{"title": title, "scores": [10, 20, 30]}], PERIODS, RANGE, RINGS)
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;" in svg
    root = parse(svg)
    assert title in [t.text for t in texts(root, "dtc-text")]
    hostile = charts.trend(UNITS, ['20"24<', "2025"], RANGE, RINGS, {"trend": '"><x'})
    assert parse(hostile).get("aria-label").startswith('"><x (20"24< → 2025): ')


def test_deterministic_bytes() -> None:
    first = charts.trend(UNITS, PERIODS, RANGE, RINGS, {"trend": "得分趋势"})
    again = charts.trend(
        copy.deepcopy(UNITS), list(PERIODS), (0.0, 100.0), list(RINGS), {"trend": "得分趋势"}
    )
    assert first.encode() == again.encode()
    # Coordinates carry at most two decimals.
    for element in parse(first).iter():
        for name in ("x", "y", "cx", "cy", "x1", "y1", "x2", "y2"):
            if name in element.attrib:
                assert len(element.get(name).partition(".")[2]) <= 2


def test_cjk_titles_are_measured_and_wrapped() -> None:
    long_title = "县政务服务和数据管理局大数据中心与电子政务外网运维保障中心联合工作专班"
    series = [*UNITS, {"title": long_title, "scores": [20.0, 22.0, 12.0]}]
    root = parse(charts.trend(series, PERIODS, RANGE, RINGS))
    titles = [t.text for t in texts(root, "dtc-text") + texts(root, "dtc-label")]
    assert "县政务服务和数据管理局" in titles  # fits on one line
    lines = [t for t in titles if t and t[0] == "县" and t not in {u["title"] for u in UNITS}]
    assert len(lines) == 1  # the long title's first line ...
    assert any(t.endswith("…") for t in titles)  # ... and a cut second line
    for text in titles:
        assert charts.text_width(text, 11.0, text == "全县") <= 150 * 1.04 + 0.01


def test_labels_never_overlap_and_keep_the_order_of_the_last_scores() -> None:
    ends = [50.2, 50.0, 50.9, 50.5, 49.8, 50.6]
    series = [{"title": f"Unit {k}", "scores": [30 + k, 40 + k, end]} for k, end in enumerate(ends)]
    series[2]["title"] = "A unit with a very long name that wraps onto a second line for sure"
    root = parse(charts.trend(series, PERIODS, RANGE, RINGS))
    score_texts = texts(root, "dtc-score")
    ys = [float(t.get("y")) for t in score_texts]
    assert ys == sorted(ys)
    assert [float(t.text) for t in score_texts] == sorted(ends, reverse=True)
    # Every label line (scores and title lines) is at least a line below the previous one.
    columns = labels_by_x(root)
    title_x = max(columns)
    title_ys = sorted(float(t.get("y")) for t in columns[title_x])
    assert len(title_ys) == len(ends) + 1  # one title takes two lines
    assert all(b - a >= LINE for a, b in itertools.pairwise(title_ys))
    assert all(b - a >= LINE for a, b in itertools.pairwise(ys))
    # The moved labels are tied to their lines.
    assert root.findall("s:polyline[@class='dtc-leader']", NS)


def test_labels_stay_beside_their_lines_when_apart() -> None:
    series = [
        {"title": "high", "scores": [70, 80, 90]},
        {"title": "low", "scores": [10, 15, 20]},
    ]
    root = parse(charts.trend(series, PERIODS, RANGE, RINGS))
    assert not root.findall("s:polyline[@class='dtc-leader']", NS)
    for g, label in zip(groups(root), texts(root, "dtc-score"), strict=True):
        dot = g.findall("s:circle", NS)[-1]
        assert float(label.get("y")) == pytest.approx(float(dot.get("cy")) + 11 * 0.35, abs=0.6)


def test_line_ending_early_notes_its_period() -> None:
    series = [
        {"title": "县市场监督管理局", "scores": [29.4, 31.0, None]},
        {"title": "全县", "scores": [38.6, 41.7, 45.1], "emphasis": True},
    ]
    root = parse(charts.trend(series, PERIODS, RANGE, RINGS))
    assert "(2025)" in [t.text for t in texts(root, "dtc-muted")]
    assert [t.text for t in texts(root, "dtc-score")] == ["31.0"]
    assert len(root.findall("s:polyline[@class='dtc-leader dtc-leader-far']", NS)) == 1


def test_rings_give_grid_lines_bands_and_axis_values() -> None:
    root = parse(charts.trend(UNITS, PERIODS, RANGE, RINGS))
    values = [t.text for t in texts(root, "dtc-muted")]
    assert values[:6] == ["0", "20", "40", "60", "80", "100"]
    grid = root.findall("s:line[@class='dtc-axis']", NS)
    heights = sorted({float(line.get("y1")) for line in grid if line.get("y1") == line.get("y2")})
    assert len(heights) == 6
    assert len(root.findall("s:rect[@class='dtc-band']", NS)) == 2  # 20-40 and 60-80


def test_styles_cycle_and_palette_is_inlined() -> None:
    series = [{"title": f"u{k}", "scores": [k, k + 1, k + 2]} for k in range(9)]
    series.append({"title": "all", "scores": [5, 6, 7], "emphasis": True})
    svg = charts.trend(series, PERIODS, RANGE, RINGS, palette={"primary": "#AA0000"})
    root = parse(svg)
    kinds = [
        next(c for c in classes(g.find("s:polyline", NS)) if c.startswith("dtc-line-"))
        for g in groups(root)
    ]
    assert kinds == [f"dtc-line-{k}" for k in [*range(1, 9), 1]] + ["dtc-line-main"]
    assert ".dtc-line-main{stroke:#aa0000;" in svg
    assert ".dtc-line-main{stroke:var(--primary,#aa0000)}" in svg
    # Eight styles differ in colour or dash pattern.
    style = root.find("s:style", NS).text.split("@supports")[0]
    rules = {k: style.split(f".dtc-line-{k}{{")[1].split("}")[0] for k in range(1, 9)}
    assert len(set(rules.values())) == 8
