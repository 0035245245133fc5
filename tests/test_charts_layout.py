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
    # Nothing but <text> elements carries a label: no label became markup.
    assert {e.tag for e in root.iter()} <= {
        f"{SVG}{tag}"
        for tag in ("svg", "style", "text", "rect", "line", "polygon", "polyline", "circle", "g")
    }
    if root.get("aria-label") is not None:
        assert root.get("aria-label") == SHOWN


# SHA-256 of each chart above drawn with a plain title, taken from the charts before layout and
# markup were split. The charts promise the same bytes for the same model; change these only
# with a change to the charts that is meant to show.
DIGESTS = {
    "radar": "923edb4c62fe2b89ec7c24668c92f9ebedad9048d755bb311e925da6ee3201ec",
    "bars": "97332d25369728b4e9c50dc2ef484c42599cc292f33deb379d5b1594020201de",
    "timeline": "32b2c9b15d31bf951d5cb65a068e7e27a8cb3bfb6cec77f247231735df089d0e",
    "timeline-grouped": "eb64801d186f25040ec0bc61a063a78bf399d2fd6abe6f6ff4af91d20fc99f35",
    "trend": "c377f537e6ac025882bbe6c342f3f16c198046f27868c759580765a84ad9b679",
}


@pytest.mark.parametrize("kind", ALL_CHARTS)
def test_bytes_are_pinned(kind: str) -> None:
    svg = ALL_CHARTS[kind]("数据 & data")
    assert hashlib.sha256(svg.encode()).hexdigest() == DIGESTS[kind]
