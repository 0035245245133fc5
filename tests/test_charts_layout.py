"""The charts' layout (plain positioned values, no markup) and the markup's escaping.

The layout functions are pinned on small charts, value by value, so that a change in the
arithmetic shows as a number, not as a diff of SVG text. The markup is checked for what it adds:
every label escaped, whatever chart it sits in, and the bytes unchanged for a fixed input.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence

import pytest

from dtassess.reporting import charts
from dtassess.reporting.charts.layout import (
    STAR_RADIUS,
    Box,
    Cell,
    Label,
    bars_layout,
    radar_layout,
    timeline_layout,
    trend_layout,
)

RANGE = (0, 5)
RINGS = [0, 1, 2, 3, 4]
RINGS100 = [0, 20, 40, 60, 80]
HOSTILE = "<b>R&D</b> \"x\" 'y'\x01"
SHOWN = "<b>R&D</b> \"x\" 'y'"  # control characters are dropped, the rest kept as text
SVG = "{http://www.w3.org/2000/svg}"


def flat(pairs: Iterable[Sequence[float]]) -> list[float]:
    return [value for pair in pairs for value in pair]


def test_bars_layout_is_pinned() -> None:
    items = [
        {"title": "Data", "score": 2.5, "level_name": "L3", "target": 4},
        {"title": "People", "score": None},
    ]
    layout = bars_layout(items, RANGE, RINGS, {"current": "Now", "target": "Goal"})
    assert (layout.x0, layout.x1, layout.top_rows, layout.total) == (62.57248, 592.0, 22.0, 72.0)
    # The track runs from 62.57 to 592: a fifth of it (105.89) per point.
    assert layout.grid == pytest.approx(
        [62.57248, 168.457984, 274.343488, 380.228992, 486.114496, 592.0]
    )
    assert flat(layout.bands) == pytest.approx([168.457984, 274.343488, 380.228992, 486.114496])
    data, people = layout.rows
    assert (data.top, data.height, people.top) == (22.0, 36.0, 58.0)
    assert data.title == [Label(4.0, pytest.approx(44.2), "Data", 12.0, "dtc-text")]
    assert data.bar == pytest.approx((62.57248, 264.71376))  # a score of 2.5 of 5: half the track
    assert data.tick == pytest.approx(380.228992)  # target level 4 starts at rings[3] = 3
    assert data.value == [
        Label(606.0, 38.5, "2.5", 12.0, "dtc-value"),
        Label(606.0, 52.0, "L3", 10.5, "dtc-muted"),
    ]
    assert (people.bar, people.tick, people.value[0].text) == (None, None, "—")
    assert layout.legend == pytest.approx((62.57248, "Now", 129.843, "Goal"))
    assert layout.box == Box(0, 0, 640.0, 124.0)  # rows end at 94, the legend adds 26


def test_radar_layout_is_pinned() -> None:
    axes = [
        {"title": "A", "score": 2, "target": 4},
        {"title": "B", "score": 5, "target": None},
        {"title": "C", "score": None, "target": 1},
    ]
    layout = radar_layout(axes, RANGE, [1, 2, 3, 4], {})
    # Three axes from the top, clockwise; radius 140 for the top of the range.
    assert flat(layout.outer) == pytest.approx([0, -140, 121.2436, 70, -121.2436, 70], abs=1e-4)
    assert flat(layout.current) == pytest.approx([0, -56, 121.2436, 70, 0, 0], abs=1e-4)
    # B has no target: no polygon, one segment from C's target to A's.
    assert layout.target_polygon is None
    assert flat(layout.target_segments) == pytest.approx([-24.2487, 14, 0, -112], abs=1e-4)
    assert [(t.text, t.cls, t.anchor) for t in layout.titles] == [
        ("A", "dtc-label", "middle"),
        ("2.0", "dtc-value", "middle"),
        ("B", "dtc-label", "start"),
        ("5.0", "dtc-value", "start"),
        ("C", "dtc-label", "end"),
        ("—", "dtc-value", "end"),
    ]
    assert [t.y for t in layout.titles[:2]] == pytest.approx([-173.6, -157.6])
    assert [v.text for v in layout.ring_values] == ["1", "2", "3", "4", "5"]
    assert (layout.legend_y, layout.legend_labels) == (164.0, ("Current", "Target"))
    box = layout.box
    assert (box.left, box.top, box.width, box.height) == pytest.approx(
        (-157.98346, -191.3, 315.96692, 365.3)
    )
    assert box.left == -box.width / 2  # symmetric about the centre


def test_timeline_layout_is_pinned() -> None:
    phases = [
        {"phase": 1, "label": "Start", "months": [0, 6], "actions": [{"title": "Plan"}]},
        {"phase": 2, "label": "Grow", "months": [6, 18], "actions": []},
    ]
    layout = timeline_layout(phases, {"months": "Months", "none": "none"}, 40)
    assert layout.swatches == [(4.0, 12.0, 1), (pytest.approx(68.32344), 12.0, 2)]
    assert [a.text for a in layout.axis] == ["Months", "0", "6", "12", "18"]
    assert (layout.top_rows, layout.total, layout.bottom) == (44.0, 19.0, 63.0)
    # Titles take 30 (number) + 120 (the narrowest column) + 10: months run from 164 to 670.
    assert layout.ticks == pytest.approx([164.0, 332.666667, 501.333333, 670.0])
    (row,) = layout.rows
    assert [(t.x, t.text) for t in row.labels] == [(4.0, "1.1"), (34.0, "Plan")]
    assert row.cells == [Cell(165.5, pytest.approx(165.666667), 1, None)]
    assert flat((a, b) for a, b, _, _ in layout.columns) == pytest.approx(
        [164.0, 332.666667, 332.666667, 670.0]
    )
    assert [(shade, none and none.text) for _, _, shade, none in layout.columns] == [
        (True, None),
        (False, "none"),  # a phase without actions says so in its column
    ]
    assert layout.box == Box(0, 0, 680.0, 67.0)


def test_trend_layout_moves_touching_labels_apart() -> None:
    series = [
        {"title": "Unit", "scores": [2.0, 3.0]},
        {"title": "All", "scores": [2.0, 3.05], "emphasis": True},
    ]
    layout = trend_layout(series, ["2025", "2026"], RANGE, RINGS)
    unit, everyone = layout.series
    assert (unit.style, everyone.main, everyone.score_text) == (1, True, "3.0")
    assert layout.ys[0] == pytest.approx([158.0, 110.0])  # 240 units for 5 points, from 254
    # Both lines end near y 110: the labels, 14 high, are moved apart about their mean.
    assert [r.title for r in layout.order] == [["All"], ["Unit"]]
    assert (everyone.top, unit.top) == (95.0, 109.0)
    assert everyone.top + everyone.height == unit.top
    assert len(layout.leaders) == 2


ALL_CHARTS = {
    "radar": lambda t: charts.radar(
        [{"title": t, "score": 1, "target": 2}] * 3, RANGE, RINGS, {"current": t, "radar": t}
    ),
    "bars": lambda t: charts.bars(
        [{"title": t, "score": 1, "level_name": t}], RANGE, RINGS, {"current": t, "target": t}
    ),
    "timeline": lambda t: charts.timeline(
        [
            {"phase": 1, "label": t, "months": [0, 6], "actions": [{"title": t}]},
            {"phase": 2, "label": t, "months": [6, 12], "actions": []},
        ],
        {"months": t, "none": t, "timeline": t},
    ),
    "timeline-grouped": lambda t: charts.timeline(
        [{"phase": 1, "label": t, "months": [0, 6], "actions": [{"dimension": t}] * 3}],
        {},
        max_rows=2,
    ),
    "trend": lambda t: charts.trend(
        [{"title": t, "scores": [1, None]}, {"title": t, "scores": [2, 3], "emphasis": True}],
        [t, t + "2"],
        RANGE,
        RINGS,
        {"trend": t},
    ),
}


@pytest.mark.parametrize("kind", ALL_CHARTS)
def test_every_label_is_escaped(kind: str) -> None:
    svg = ALL_CHARTS[kind](HOSTILE)
    assert "<b>" not in svg and "\x01" not in svg
    root = ET.fromstring(svg)  # well-formed whatever the labels hold
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(SHOWN in text for text in texts)
    # Nothing but <text> and <title> elements carries a label: no label became markup.
    tags = ("svg", "title", "style", "text", "rect", "line", "polygon", "polyline", "circle", "g")
    assert {e.tag for e in root.iter()} <= {f"{SVG}{tag}" for tag in tags}
    if root.get("aria-label") is not None:
        assert root.get("aria-label").startswith(SHOWN)
        assert root.find(f"{SVG}title").text == root.get("aria-label")


# SHA-256 of each chart above drawn with a plain title. Taken from the charts before layout and
# markup were split, and taken again when the charts gained a <title> (their accessible name and
# PDF/UA alternative text) and the previous-period mark's style, when the timeline gained the
# quick-win star's style, and when the grouped timeline's star gained its halo's style (the
# charts above have no quick win: the style rule is the whole change each time): nothing else
# changed then (the elements compared one by one). The charts promise the same bytes for the
# same model; change these only with a change to the charts that is meant to show.
DIGESTS = {
    "radar": "4bc31f53c51a527f5d5e915a4e60ad69d939fc6ad65e722ef9717350fda20447",
    "bars": "8199bafbfbb1797937d04b8c89ae4be61c72a7152505ca924bd63f1dbc5fbc36",
    "timeline": "1185d4281a9b4022ceae29c781a8519f599134196e238311242187391232959b",
    "timeline-grouped": "1de54651edcd364c9d5762f0a9664daa44e34bd7e0c1c7c8b891647c50e62da8",
    "trend": "10f4185052627a08c7002da7f55da584e18e64db4df7350374fad347c6f3d000",
}


@pytest.mark.parametrize("kind", ALL_CHARTS)
def test_bytes_are_pinned(kind: str) -> None:
    svg = ALL_CHARTS[kind]("数据 & data")
    assert hashlib.sha256(svg.encode()).hexdigest() == DIGESTS[kind]


def test_a_quick_win_has_a_star_beside_its_bar_in_the_legend_and_the_alt_text() -> None:
    phases = [
        {
            "phase": 1,
            "label": "Start",
            "months": [0, 6],
            "actions": [
                {"title": "Drill", "quick_win": True, "start_month": 0, "finish_month": 2},
                {"title": "Plan", "start_month": 0, "finish_month": 6},
            ],
        },
        {"phase": 2, "label": "Grow", "months": [6, 36], "actions": []},
    ]
    labels = {"quick_win": "Quick win", "timeline": "Timeline"}
    layout = timeline_layout(phases, labels, 40)
    first, second = layout.rows
    win, plain = first.cells[0], second.cells[0]
    # The star sits just after the bar (which ends 1.5 before month 2), centred on the row.
    assert win.star == (pytest.approx(win.x + win.width + 1.5 + STAR_RADIUS + 1), 53.5)
    assert first.top + first.height / 2 == 53.5
    assert plain.star is None
    # In the legend after the phases, on their line.
    assert layout.star_label is not None and layout.star_label.text == "Quick win"
    assert layout.star is not None and layout.star[1] == layout.swatches[-1][1] - 3.5
    assert layout.star[0] > layout.legend[-1].x
    svg = charts.timeline(phases, labels)
    root = ET.fromstring(svg)
    stars = [p for p in root.iter(f"{SVG}polygon") if p.get("class") == "dtc-quick-win"]
    assert len(stars) == 2  # the legend's and the bar's
    assert root.get("aria-label") == "Timeline: Start: 2; Grow: 0; Quick win (★): Drill"
    # A bar that ends at the timeline's end gets its star before it.
    phases[0]["actions"][0]["finish_month"] = 36
    late = timeline_layout(phases, labels, 40).rows[0].cells[0]
    assert late.star is not None and late.star[0] == pytest.approx(late.x - 1.5 - STAR_RADIUS - 1)


def test_a_grouped_timeline_stars_the_phase_bar_that_holds_a_quick_win() -> None:
    # Grouped by dimension, a row's phases abut: the star sits inside the start of the bar of
    # the phase holding the quick win, on a paper halo, and the legend explains it.
    phases = [
        {
            "phase": 1,
            "label": "Start",
            "months": [0, 6],
            "actions": [
                {"title": "Drill", "dimension": "Security", "quick_win": True},
                {"title": "Plan", "dimension": "Strategy"},
            ],
        },
        {
            "phase": 2,
            "label": "Grow",
            "months": [6, 36],
            "actions": [{"title": "Audit", "dimension": "Security"}],
        },
    ]
    labels = {"quick_win": "Quick win", "timeline": "Timeline"}
    layout = timeline_layout(phases, labels, 1)
    security, strategy = layout.rows
    start, grow = security.cells
    assert start.star == (pytest.approx(start.x + STAR_RADIUS + 2), security.top + 9.5)
    assert grow.star is None and strategy.cells[0].star is None
    assert layout.star is not None and layout.star_label.text == "Quick win"
    root = ET.fromstring(charts.timeline(phases, labels, max_rows=1))
    classes = [p.get("class") for p in root.iter(f"{SVG}polygon")]
    assert classes.count("dtc-quick-win") == 2 and classes.count("dtc-star-halo") == 1
    assert root.get("aria-label").endswith("Quick win (★): Drill")


def test_timeline_titles_wrap_instead_of_being_cut() -> None:
    # English action titles were cut with "..." at the label column's edge.
    long = "Adopt a standard contract template and rules for contractor staff in every unit"
    phases = [
        {"phase": 1, "label": "Near", "months": [0, 6], "actions": [{"title": long}]},
        {"phase": 2, "label": "Mid", "months": [6, 18], "actions": [{"title": "Plan"}]},
    ]
    first, second = timeline_layout(phases, {}, 40).rows
    lines = [t.text for t in first.labels[1:]]
    assert len(lines) == 2 and " ".join(lines) == long
    assert first.height == 19.0 + 14.0 and second.height == 19.0
    assert second.top == first.top + first.height
    assert [t.y - first.labels[1].y for t in first.labels[1:]] == [0.0, 14.0]


def test_bars_mark_the_previous_score_and_say_so_in_the_legend() -> None:
    items = [{"title": "Data", "score": 50.0, "previous": 30.0, "target": 4}, {"title": "X"}]
    labels = {"current": "2026", "target": "Next level", "previous": "2025"}
    layout = bars_layout(items, (0, 100), RINGS100, labels)
    first, second = layout.rows
    x = layout.x0 + (layout.x1 - layout.x0) * 0.3
    assert first.previous == pytest.approx(x) and second.previous is None
    assert layout.legend_previous is not None and layout.legend_previous[1] == "2025"
    # Without level names a row is one line high (the annual report's unit pages).
    assert first.height == 23.0
    assert 'class="dtc-previous"' in charts.bars(items, (0, 100), RINGS100, labels)


def test_the_radar_prints_each_areas_change_beside_its_score() -> None:
    axes = [
        {"title": "A", "score": 54.6, "target": 49.2, "change": 5.4},
        {"title": "B", "score": 40.0, "target": 42.5, "change": -2.5},
        {"title": "C", "score": 30.0, "target": None},
    ]
    layout = radar_layout(axes, (0, 100), RINGS100, {})
    values = [t.text for t in layout.titles if t.cls == "dtc-value"]
    assert values == ["54.6 (+5.4)", "40.0 (\u22122.5)", "30.0"]
