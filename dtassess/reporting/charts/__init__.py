"""Vector charts for the reports, as SVG strings: the radar, sub-dimension bars, the timeline and
the trend of scores over periods.

The charts are templated SVG written here rather than drawn with a plotting library
(matplotlib, plotly, ...) on purpose:

- speed: a chart is a few string joins; all charts of a report take about a millisecond,
  hundreds of times less than importing matplotlib;
- deterministic bytes: coordinates are formatted with a fixed number of decimals and nothing
  depends on the machine, the date or a random id, so the same model gives the same SVG, and
  reports can be diffed and tested byte for byte;
- fonts: labels stay real text set in the document's own CJK fonts ("Noto Sans CJK SC" first),
  so Chinese titles match the body text, are searchable and copyable, and nothing embeds or
  rasterises a second copy of a font;
- identical in PDF and HTML: the same `<svg>` is inlined into both; WeasyPrint and browsers
  draw it the same way.

Colours. Every element carries a `dtc-*` CSS class, and every SVG carries its own `<style>`:
first the literal colours of `palette` (WeasyPrint's SVG renderer reads only the SVG's own
`<style>` and does not resolve `var()`), then an `@supports` block that browsers apply and
WeasyPrint skips, taking the colours from the custom properties `--primary`, `--accent`, `--ink`,
`--muted`, `--rule`, `--tint`, `--phase-1` ... `--phase-3` with the literal as fallback. An
agency stylesheet therefore recolours the HTML charts by setting those properties (or by
overriding the `dtc-*` classes), and the PDF charts by passing its brand colours as `palette`.

Every label is XML-escaped (titles come from user files). Width comes from the viewBox only, so
a chart scales to its container (`svg.dtc { width: 100%; height: auto }`).

The package keeps arithmetic and markup apart: `layout.py` works out where every mark and label
goes and returns plain dataclasses of coordinates and (already wrapped) texts, testable without
reading SVG; `svg.py` turns a layout into elements, escaping every label on the way; `text.py`
holds the font metrics, wrapping and number formatting both use. The functions below are the
public face: each is one layout call and one markup call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .layout import (
    _number,
    bars_layout,
    heatmap_layout,
    radar_layout,
    timeline_layout,
    trend_layout,
)
from .svg import DEFAULT_PALETTE, bars_svg, heatmap_svg, radar_svg, timeline_svg, trend_svg
from .text import _score, text_width, wrap

__all__ = [
    "DEFAULT_PALETTE",
    "bars",
    "heatmap",
    "radar",
    "text_width",
    "timeline",
    "trend",
    "wrap",
]


def radar(
    axes: Sequence[Mapping[str, Any]],
    score_range: Sequence[float],
    rings: Sequence[float] | Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    palette: Mapping[str, str] | None = None,
) -> str:
    """A radar (spider) chart of the top dimensions: current scores and targets.

    `axes` items have "title", "score" and "target" (a score, or None); `rings` are the score
    levels at which grid rings are drawn, normally the start of every maturity level (the
    centre and the outer edge of `score_range` are always drawn; default: fifths). Labels used:
    "current", "target" (legend) and "radar" (accessible name); `radar(axes, score_range,
    labels)` also works. Axis titles wrap onto up to three lines beside the chart and two above
    or below it, with the score underneath; the viewBox is fitted around them, symmetric about
    the centre.
    """
    if isinstance(rings, Mapping):
        rings, labels = None, rings
    labels = labels or {}
    if not axes:
        return ""
    layout = radar_layout(axes, score_range, rings, labels)
    target = str(labels.get("target", ""))
    parts = [
        f"{a.get('title', '')} {_score(a.get('score'))}"
        + (
            f" ({target} {_score(a['target'])})".replace("( ", "(")
            if a.get("target") is not None
            else ""
        )
        for a in axes
    ]
    return radar_svg(layout, describe(str(labels.get("radar", "")), parts), palette)


def bars(
    items: Sequence[Mapping[str, Any]],
    score_range: Sequence[float],
    rings: Sequence[float],
    labels: Mapping[str, str] | None = None,
    *,
    palette: Mapping[str, str] | None = None,
) -> str:
    """Horizontal bars for the sub-dimensions of one dimension.

    `items` have "title", "score", optionally "level_name" (printed under the score) and
    "target": the target *level* number as in the report model's sub-dimensions, drawn as a
    tick at the start of that level, `rings[target - 1]` (a target beyond `rings` is ignored).
    `rings` are the level starts, drawn as grid lines with their values on the axis. With
    `labels` ("current", "target") a legend is added. An item's optional "previous" score (the
    previous period's) is drawn as an open diamond, with "previous" in the legend when labels
    has it. Label "bars" names the chart (its accessible name and alternative text).
    """
    name = str((labels or {}).get("bars", ""))
    parts = [f"{it.get('title', '')} {_score(it.get('score'))}" for it in items]
    return bars_svg(bars_layout(items, score_range, rings, labels), palette, describe(name, parts))


def timeline(
    phases: Sequence[Mapping[str, Any]],
    labels: Mapping[str, str],
    *,
    max_rows: int = 40,
    palette: Mapping[str, str] | None = None,
) -> str:
    """A Gantt-like roadmap: a month axis, the phases as shaded columns, one bar per action.

    `phases` are the report model's roadmap phases ("phase", "label", "months" [start, end],
    "actions" with "title" and "dimension"). Rows are the actions, numbered phase.n as in the
    roadmap tables; an action with "quick_win" true gets a star beside its bar, in the legend
    and in the alternative text (labels' "quick_win" names it); with more than `max_rows`
    actions the rows become the dimensions instead, each bar showing how many actions the phase
    has for that dimension, with a star inside it when one of them is a quick win. The phase
    legend sits above the chart (a 6-month column is too narrow for a phase name). Labels used:
    "months", "none", "quick_win", "timeline".
    """
    if not phases:
        return ""
    layout = timeline_layout(phases, labels, max_rows)
    parts = [f"{p.get('label', '')}: {len(p.get('actions', []))}" for p in phases]
    if layout.star is not None:  # the alternative text names what the stars mark
        wins = [a for p in phases for a in p.get("actions", []) if a.get("quick_win")]
        titles = ", ".join(str(a.get("title", "")) for a in wins)
        parts.append(f"{labels.get('quick_win', '')} (★): {titles}")
    return timeline_svg(layout, describe(str(labels.get("timeline", "")), parts), palette)


def trend(
    series: Sequence[Mapping[str, Any]],
    periods: Sequence[Any],
    score_range: Sequence[float],
    rings: Sequence[float],
    labels: Mapping[str, str] | None = None,
    *,
    palette: Mapping[str, str] | None = None,
) -> str:
    """A line chart of scores over periods, one line per series, for the annual report.

    `periods` are the x axis labels in order, evenly spaced. `series` items have "title",
    "scores" (one score or None per period) and optionally "emphasis": the agency-wide line,
    drawn thick in the primary colour on top of the others. The other lines take eight stroke
    styles in turn (palette colours, dash patterns, filled or open dots) so that they stay
    apart in black-and-white print. A None score breaks a line: every unbroken run of scores
    is one polyline, and every score has a dot, so a lone score still shows.

    `rings` are the level starts, drawn as horizontal grid lines with their values on the axis
    and alternate bands tinted, as in `bars`. Right of the plot every series has its last
    score (with its period when that is not the last one) and its title, wrapped to two lines
    of 150 units; the labels keep the order of the last scores and are moved apart vertically
    as little as possible so that they never overlap, with a thin leader line to the end of
    the line when moved. Label used: "trend" (accessible name). No series or no periods give
    "".
    """
    labels = labels or {}
    names = [str(p) for p in periods]
    if not series or not names:
        return ""
    layout = trend_layout(series, names, score_range, rings)
    parts = [
        f"{s.get('title', '')} " + " → ".join(_score(_number(v)) for v in s.get("scores", []))
        for s in series
    ]
    name = str(labels.get("trend", ""))
    return trend_svg(
        layout, describe(f"{name} ({' → '.join(names)})" if name else "", parts), palette
    )


def heatmap(
    units: Sequence[str],
    dimensions: Sequence[str],
    scores: Sequence[Sequence[float | None]],
    score_range: Sequence[float],
    labels: Mapping[str, str] | None = None,
    *,
    palette: Mapping[str, str] | None = None,
) -> str:
    """A heat map of units (rows) by areas (columns): each cell shaded by its score and the
    score printed in it. `scores[r][k]` is unit r's score in area k (None: no score). Label
    "heatmap" names the chart; its alternative text says every unit's scores. No unit or no
    area gives "".
    """
    if not units or not dimensions:
        return ""
    layout = heatmap_layout(units, dimensions, scores, score_range)
    parts = [
        f"{unit} "
        + ", ".join(
            f"{dim} {_score(_number(value))}" for dim, value in zip(dimensions, row, strict=False)
        )
        for unit, row in zip(units, scores, strict=False)
    ]
    name = str((labels or {}).get("heatmap", ""))
    return heatmap_svg(layout, describe(name, parts), palette)


def describe(name: str, parts: Sequence[str]) -> str:
    """A chart's accessible name and alternative text: its name, then what it shows in words
    ("Radar: Strategy 41.5 (Target 60.0); ..."), so that a screen reader or a PDF/UA reader
    hears the numbers the picture draws. Empty without a name."""
    if not name:
        return ""
    said = "; ".join(" ".join(str(p).split()) for p in parts if str(p).strip())
    return f"{name}: {said}" if said else name
