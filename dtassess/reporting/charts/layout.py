"""Layout of the charts: where every mark and label goes, as plain positioned values.

Pure arithmetic on the chart's input (no markup, no escaping): each `*_layout` function returns
a dataclass of coordinates, sizes, label texts (already wrapped or cut to fit, not escaped) and
the viewBox, which `svg.py` turns into SVG text. Coordinates are floats in SVG user units;
rounding to two decimals happens only in the markup, so a test can pin the layout itself. The
arithmetic is the one the charts had when layout and markup were one function, operation for
operation: the same model still gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .text import _SLACK, _fit, _score, text_width, wrap

Point = tuple[float, float]
Segment = tuple[float, float, float, float]


@dataclass(frozen=True)
class Label:
    """One text: its anchor point, text, font size, CSS class and text-anchor."""

    x: float
    y: float
    text: str
    size: float
    cls: str
    anchor: str = "start"


@dataclass(frozen=True)
class Box:
    """A viewBox: left, top, width, height."""

    left: float
    top: float
    width: float
    height: float


# --------------------------------------------------------------------------------------------
# Radar
# --------------------------------------------------------------------------------------------

RADAR_RADIUS = 140.0


@dataclass
class RadarLayout:
    bands: list[tuple[list[Point], str]]  # level bands, outer to inner, with their class
    grid: list[list[Point]]  # one ring per level start inside the range
    outer: list[Point]
    spokes: list[Point]  # the outer end of every axis (the other end is the centre)
    target_polygon: list[Point] | None
    target_segments: list[Segment]
    current: list[Point]
    target_dots: list[Point]
    current_dots: list[Point]
    ring_values: list[Label]  # each drawn twice: halo, then text
    titles: list[Label]
    legend_y: float
    legend_x: float  # left of the current swatch
    legend_target_x: float  # left of the target stroke
    legend_labels: tuple[str, str]
    box: Box


@dataclass(frozen=True)
class _Polar:
    count: int
    lo: float
    span: float

    def angle(self, i: float) -> float:
        return -math.pi / 2 + 2 * math.pi * i / self.count

    def point(self, i: int, value: float | None, extra: float = 0.0) -> Point:
        share = 0.0 if value is None else min(max((float(value) - self.lo) / self.span, 0.0), 1.0)
        r = RADAR_RADIUS * share + extra
        return r * math.cos(self.angle(i)), r * math.sin(self.angle(i))

    def ring(self, value: float | None) -> list[Point]:
        return [self.point(i, value) for i in range(self.count)]

    def through(self, values: Sequence[float | None]) -> list[Point]:
        return [self.point(i, v) for i, v in enumerate(values)]


def radar_layout(
    axes: Sequence[Mapping[str, Any]],
    score_range: Sequence[float],
    rings: Sequence[float] | None,
    labels: Mapping[str, str],
) -> RadarLayout:
    """Where the radar's rings, polygons, dots and labels go (`axes` must not be empty)."""
    lo, hi = float(score_range[0]), float(score_range[1])
    span = (hi - lo) or 1.0
    polar = _Polar(len(axes), lo, span)
    if rings is None:
        rings = [lo + span * k / 5 for k in range(1, 5)]
    levels = sorted({float(r) for r in rings if lo < float(r) < hi})
    edges = [lo, *levels, hi]
    targets = [a.get("target") for a in axes]
    scores = [a.get("score") for a in axes]
    target_polygon, segments = None, []
    if polar.count > 2 and all(t is not None for t in targets):
        target_polygon = polar.through(targets)
    else:
        for i in range(polar.count):
            j = (i + 1) % polar.count
            if j == i or targets[i] is None or targets[j] is None:
                continue
            segments.append((*polar.point(i, targets[i]), *polar.point(j, targets[j])))
    titles, top, bottom, half = _radar_titles(axes, polar, hi)
    legend = (str(labels.get("current", "Current")), str(labels.get("target", "Target")))
    w1, w2 = (28 + text_width(t, 11.5) for t in legend)
    half = max(half, (w1 + 18 + w2) / 2) + 6.0
    legend_y = bottom + 24
    pad = 6.0
    return RadarLayout(
        bands=[
            (polar.ring(edges[k]), "dtc-band" if k % 2 == 0 else "dtc-hole")
            for k in range(len(edges) - 1, 0, -1)
        ],
        grid=[polar.ring(value) for value in levels],
        outer=polar.ring(hi),
        spokes=polar.ring(hi),
        target_polygon=target_polygon,
        target_segments=segments,
        current=polar.through(scores),
        target_dots=[polar.point(i, t) for i, t in enumerate(targets) if t is not None],
        current_dots=[polar.point(i, v) for i, v in enumerate(scores) if v is not None],
        ring_values=_radar_ring_values(polar, levels, hi),
        titles=titles,
        legend_y=legend_y,
        legend_x=-(w1 + 18 + w2) / 2,
        legend_target_x=-(w1 + 18 + w2) / 2 + w1 + 18,
        legend_labels=legend,
        box=Box(-half, top - pad, 2 * half, legend_y + 4 - top + 2 * pad),
    )


def _radar_ring_values(polar: _Polar, levels: list[float], hi: float) -> list[Label]:
    """Ring values on the edge midpoints between the last and the first axis, where no polygon
    vertex sits."""
    if polar.count <= 2:
        return []
    mid = polar.angle(polar.count - 0.5)
    anchor = "end" if math.cos(mid) < 0 else "start"
    found = []
    for value in [*levels, hi]:
        r = RADAR_RADIUS * (value - polar.lo) / polar.span * math.cos(math.pi / polar.count)
        x, y = r * math.cos(mid) + 3, r * math.sin(mid) - 3
        found.append(Label(x, y, f"{value:g}", 9.5, "dtc-muted", anchor))
    return found


def _change(value: Any) -> str:
    """A change between periods after a score: " (+1.2)", " (−0.4)", "" when there is none."""
    if not isinstance(value, (int, float)) or value != value:
        return ""
    return f" ({value:+.1f})".replace("-", "\u2212")


def _radar_titles(
    axes: Sequence[Mapping[str, Any]], polar: _Polar, hi: float
) -> tuple[list[Label], float, float, float]:
    """Axis titles with the score underneath, outside the outer ring: the labels, and the top,
    bottom and half width they need."""
    size, line, gap = 13.0, 16.0, 12.0
    side_room, end_room = 118.0, 260.0  # widest line beside the chart, above or below it
    found: list[Label] = []
    top, bottom, half = -RADAR_RADIUS, RADAR_RADIUS, RADAR_RADIUS
    for i, axis in enumerate(axes):
        ax, ay = polar.point(i, hi, gap)
        dx, dy = math.cos(polar.angle(i)), math.sin(polar.angle(i))
        if abs(dx) < 0.3:
            anchor, room, max_lines = "middle", end_room, 2
        else:
            anchor, room, max_lines = ("start" if dx > 0 else "end"), side_room, 3
        title = wrap(str(axis.get("title", "")), size, room, max_lines, bold=True)
        score = _score(axis.get("score")) + _change(axis.get("change"))
        widest = max([text_width(t, size, True) for t in title] + [text_width(score, size, True)])
        block = line * (len(title) + 1)  # the title lines and the score line
        if anchor == "middle":
            first = ay - block + size * 0.8 if dy < 0 else ay + size * 0.8
            half = max(half, abs(ax) + widest / 2)
        else:
            first = ay - block / 2 + size * 0.8 + dy * block / 2
            half = max(half, abs(ax) + widest)
        for k, text in enumerate(title):
            found.append(Label(ax, first + k * line, text, size, "dtc-label", anchor))
        score_y = first + len(title) * line
        found.append(Label(ax, score_y, score, size, "dtc-value", anchor))
        top = min(top, first - size * 0.9)
        bottom = max(bottom, score_y + size * 0.3)
    return found, top, bottom, half


# --------------------------------------------------------------------------------------------
# Bars
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BarRow:
    top: float
    height: float
    title: list[Label]
    bar: tuple[float, float] | None  # left, width
    tick: float | None  # x of the target tick
    value: list[Label]  # the score, and the level name under it
    previous: float | None = None  # x of the previous period's score


@dataclass
class BarsLayout:
    x0: float
    x1: float
    axis_y: float
    top_rows: float
    bands: list[tuple[float, float]]  # left, right
    grid: list[float]  # x of every level start, the range's ends included
    grid_values: list[Label]
    rows: list[BarRow]
    total: float  # height of the rows
    bottom: float  # of the rows
    legend: tuple[float, str, float, str] | None  # x and text of "current", then of "target"
    box: Box
    legend_previous: tuple[float, str] | None = None  # x and text of "previous"


def bars_layout(
    items: Sequence[Mapping[str, Any]],
    score_range: Sequence[float],
    rings: Sequence[float],
    labels: Mapping[str, str] | None,
) -> BarsLayout:
    """Where the sub-dimension bars, their titles, scores, target ticks and the grid go."""
    lo, hi = float(score_range[0]), float(score_range[1])
    span = (hi - lo) or 1.0
    width, pad, size, line = 640.0, 4.0, 12.0, 15.0
    starts = [float(r) for r in rings]
    # Right column: score and level name; width from the widest entry.
    right = max(
        [text_width(_score(it.get("score")), size, True) for it in items]
        + [text_width(str(it.get("level_name") or ""), 10.5) for it in items]
        + [30.0]
    )
    x1 = width - pad - right - 14
    # Without level names the right column is narrow, and titles may take the room it leaves.
    widest = 205.0 if any(it.get("level_name") for it in items) else 290.0
    left = (
        min(max(text_width(str(it.get("title", "")), size) for it in items) + 4, widest)
        if items
        else 120.0
    )
    x0 = pad + left + 14

    def xpos(value: float) -> float:
        return x0 + (x1 - x0) * min(max((float(value) - lo) / span, 0.0), 1.0)

    axis_y, top_rows = 12.0, 22.0
    rows, y = [], top_rows
    # Two lines for the score and the level name under it; one when no row has a level name.
    value_lines = 2 if any(it.get("level_name") for it in items) else 1
    for item in items:
        title = wrap(str(item.get("title", "")), size, left, 2)
        height = max(value_lines * line + 6, len(title) * line + 8)
        rows.append(_bar_row(item, title, y, height, xpos, starts, x0, x1 + 14))
        y += height
    edges = [lo, *[s for s in starts if lo < s < hi], hi]
    legend, legend_previous, bottom = None, None, y
    if labels and ("current" in labels or "target" in labels):
        current = str(labels.get("current", "Current"))
        target = str(labels.get("target", "Target"))
        legend = (x0, current, x0 + 24 + text_width(current, 10.5) + 20, target)
        bottom = y + 26
        if any(row.previous is not None for row in rows) and labels.get("previous"):
            px = legend[2] + 14 + text_width(target, 10.5) + 20
            legend_previous = (px, str(labels["previous"]))
    return BarsLayout(
        x0=x0,
        x1=x1,
        axis_y=axis_y,
        top_rows=top_rows,
        bands=[(xpos(edges[k]), xpos(edges[k + 1])) for k in range(1, len(edges) - 1, 2)],
        grid=[xpos(value) for value in edges],
        grid_values=[Label(xpos(v), axis_y, f"{v:g}", 9.5, "dtc-muted", "middle") for v in edges],
        rows=rows,
        total=sum(row.height for row in rows),
        bottom=y,
        legend=legend,
        box=Box(0, 0, width, bottom + pad),
        legend_previous=legend_previous,
    )


def _bar_row(
    item: Mapping[str, Any],
    title: list[str],
    y: float,
    height: float,
    xpos: Callable[[float], float],
    starts: list[float],
    x0: float,
    sx: float,
) -> BarRow:
    size, line = 12.0, 15.0
    mid = y + height / 2
    first = mid - (len(title) - 1) * line / 2 + size * 0.35
    score = item.get("score")
    bar = None if score is None else (x0, max(xpos(score) - x0, 0.8))
    target = item.get("target")
    tick = (
        xpos(starts[target - 1]) if isinstance(target, int) and 1 <= target <= len(starts) else None
    )
    before = item.get("previous")
    previous = xpos(before) if isinstance(before, (int, float)) and before == before else None
    level = str(item.get("level_name") or "")
    if level:
        value = [
            Label(sx, mid - 1.5, _score(score), size, "dtc-value"),
            Label(sx, mid + 12, level, 10.5, "dtc-muted"),
        ]
    else:
        value = [Label(sx, mid + size * 0.35, _score(score), size, "dtc-value")]
    return BarRow(
        top=y,
        height=height,
        title=[Label(4.0, first + k * line, t, size, "dtc-text") for k, t in enumerate(title)],
        bar=bar,
        tick=tick,
        value=value,
        previous=previous,
    )


# --------------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A bar in a timeline row: left, width, phase class number, and the count drawn on it;
    `star` is the centre of the quick-win mark beside it (None for other actions)."""

    x: float
    width: float
    phase: int
    count: Label | None
    star: tuple[float, float] | None = None


@dataclass(frozen=True)
class TimelineRow:
    top: float
    separated: bool  # a rule above it: the first row of another phase
    labels: list[Label]  # the number (phase.n) when there is one, then the title's lines
    cells: list[Cell]
    height: float = 19.0  # one line; a wrapped title adds a line each


@dataclass
class TimelineLayout:
    swatches: list[tuple[float, float, int]]  # left, baseline of the label, phase class
    legend: list[Label]
    axis: list[Label]  # "months", then every tick value
    top_rows: float
    total: float  # height of the rows
    columns: list[tuple[float, float, bool, Label | None]]  # left, right, shaded, "none" label
    ticks: list[float]  # x of every month tick
    rows: list[TimelineRow]
    bottom: float  # of the rows
    pad: float
    right: float  # right end of the rules
    box: Box
    star: tuple[float, float] | None = None  # the quick-win legend's mark, when one is drawn
    star_label: Label | None = None


def phase_class(phase: Mapping[str, Any]) -> int:
    number = phase.get("phase", 1)
    return number if isinstance(number, int) and 1 <= number <= 3 else 3


#: The quick-win mark's outer radius: a star beside the action's bar.
STAR_RADIUS = 5.0

#: A timeline title wraps onto this many lines at most (then ends in an ellipsis).
TIMELINE_TITLE_LINES = 3


def timeline_layout(
    phases: Sequence[Mapping[str, Any]], labels: Mapping[str, str], max_rows: int
) -> TimelineLayout:
    """Where the timeline's legend, month axis, phase columns and action rows go (`phases`
    must not be empty)."""
    width, pad, size, row_h = 680.0, 4.0, 11.5, 19.0
    number_w = 30.0
    actions = [(p, a) for p in phases for a in p.get("actions", [])]
    grouped = len(actions) > max_rows
    titles = [str(a.get("dimension" if grouped else "title", "")) for _, a in actions]
    if grouped:
        number_w = 0.0
    needed = number_w + max([text_width(t, size) for t in titles] + [120.0])
    x0 = pad + min(needed, width * 0.58) + 10
    x1 = width - pad - 6
    end = max(float(p["months"][1]) for p in phases) or 1.0

    def xpos(month: float) -> float:
        return x0 + (x1 - x0) * float(month) / end

    wins = any(a.get("quick_win") for _, a in actions)
    star_text = str(labels.get("quick_win", "")) if wins else ""
    swatches, legend, y, star = _timeline_legend(phases, width, pad, star_text)
    axis_y = y + 24
    step = 6 if end <= 48 else 12
    months = _ticks(end, step)
    axis = [Label(x0 - 10, axis_y, str(labels.get("months", "")), 9.5, "dtc-muted", "end")]
    axis += [Label(xpos(m), axis_y, f"{m:g}", 9.5, "dtc-muted", "middle") for m in months]
    top_rows = axis_y + 8
    rows = _timeline_rows(phases, actions, grouped)
    placed, y = _timeline_place(
        rows, grouped, top_rows, x0 - 10, number_w, xpos, x1 if star else None
    )
    total = max(y - top_rows, row_h)
    columns = []
    for k, p in enumerate(phases):
        a, b = xpos(p["months"][0]), xpos(p["months"][1])
        none = None
        if not p.get("actions"):
            none = Label(
                (a + b) / 2,
                top_rows + total / 2,
                str(labels.get("none", "—")),
                11,
                "dtc-muted",
                "middle",
            )
        columns.append((a, b, k % 2 == 0, none))
    return TimelineLayout(
        swatches,
        legend,
        axis,
        top_rows,
        total,
        columns,
        [xpos(m) for m in months],
        placed,
        y,
        pad,
        x1,
        Box(0, 0, width, y + pad),
        star[0] if star else None,
        star[1] if star else None,
    )


def _timeline_place(
    rows: list[tuple[str, str, list[tuple[Mapping[str, Any], int]]]],
    grouped: bool,
    y: float,
    right: float,
    number_w: float,
    xpos: Callable[[float], float],
    end: float | None = None,
) -> tuple[list[TimelineRow], float]:
    """The rows from `y` down: number and title (wrapped to end at `right`, a row growing by a
    line for each extra line, so that no title is cut), a bar per phase (with its count when
    `grouped`), centred on the row, a quick win's star after its bar (before it when the bar
    ends within a star of `end`; inside the start of a grouped bar that holds a quick win; no
    stars without `end`); and the bottom of the last row."""
    pad, size, row_h, line = 4.0, 11.5, 19.0, 14.0
    placed, previous = [], None
    for number, title, cells in rows:
        phase_id = cells[0][0].get("phase", id(cells[0][0])) if cells and not grouped else None
        tx = pad + number_w if number else pad
        lines = wrap(title, size, right - tx, TIMELINE_TITLE_LINES) or [""]
        height = row_h + line * (len(lines) - 1)
        base = y + row_h / 2 + size * 0.36
        texts = [Label(pad, base, number, 10, "dtc-muted")] if number else []
        texts += [
            Label(tx, base + k * line, text, size, "dtc-text") for k, text in enumerate(lines)
        ]
        bars = []
        for p, count in cells:
            a, b = xpos(p["months"][0]), xpos(p["months"][1])
            on_bar = Label(
                (a + b) / 2, y + height / 2 + 3.6, str(count), 10, "dtc-on-bar", "middle"
            )
            star = None
            if p.get("quick_win") and end is not None:
                if grouped:  # a dimension's phases abut: the star goes inside the bar's start
                    sx = a + 1.5 + STAR_RADIUS + 2
                elif b + 2 * STAR_RADIUS + 1 <= end:
                    sx = b + STAR_RADIUS + 1
                else:
                    sx = a - STAR_RADIUS - 1
                star = (sx, y + height / 2)
            bars.append(Cell(a + 1.5, b - a - 3, phase_class(p), on_bar if grouped else None, star))
        separated = previous is not None and phase_id != previous
        placed.append(TimelineRow(y, separated, texts, bars, height))
        previous = phase_id
        y += height
    return placed, y


def _ticks(end: float, step: int) -> list[int]:
    months, month = [], 0
    while month <= end + 1e-9:
        months.append(month)
        month += step
    return months


def _timeline_legend(
    phases: Sequence[Mapping[str, Any]], width: float, pad: float, quick_win: str = ""
) -> tuple[
    list[tuple[float, float, int]], list[Label], float, tuple[tuple[float, float], Label] | None
]:
    """A swatch and the label of every phase, wrapped onto as many lines as needed, then the
    quick-win star and its label when `quick_win` names it; and the baseline of the last
    line."""
    lsize, y, x = 11.0, 12.0, pad
    swatches, legend = [], []
    for p in phases:
        label = str(p.get("label", ""))
        need = 16 + text_width(label, lsize) + 22
        if x + need > width - pad and x > pad:
            x = pad
            y += 17
        swatches.append((x, y, phase_class(p)))
        legend.append(Label(x + 16, y, label, lsize, "dtc-text"))
        x += need
    star = None
    if quick_win:
        need = 16 + text_width(quick_win, lsize)
        if x + need > width - pad and x > pad:
            x = pad
            y += 17
        star = ((x + 5.5, y - 3.5), Label(x + 16, y, quick_win, lsize, "dtc-text"))
    return swatches, legend, y, star


def _span(phase: Mapping[str, Any], action: Mapping[str, Any], end: float) -> Mapping[str, Any]:
    """The phase with the action's own months when the roadmap scheduled it (start to finish,
    cut at the timeline's end), so that the bars show the sequence; else the phase."""
    start, finish = action.get("start_month"), action.get("finish_month")
    if not isinstance(start, int | float) or not isinstance(finish, int | float):
        return phase
    return {**phase, "months": (float(start), min(float(finish), end))}


def _timeline_rows(
    phases: Sequence[Mapping[str, Any]],
    actions: list[tuple[Mapping[str, Any], Mapping[str, Any]]],
    grouped: bool,
) -> list[tuple[str, str, list[tuple[Mapping[str, Any], int]]]]:
    """(number, title, [(phase, count)]) per row: one per action, or one per dimension with
    the number of its actions in each phase when `grouped` (the phase marked "quick_win" when
    one of them is a quick win)."""
    rows: list[tuple[str, str, list[tuple[Mapping[str, Any], int]]]] = []
    if not grouped:
        end = max(float(p["months"][1]) for p in phases)
        for p in phases:
            for k, a in enumerate(p.get("actions", []), start=1):
                span = _span(p, a, end)
                if a.get("quick_win"):
                    span = {**span, "quick_win": True}
                rows.append((f"{p.get('phase', '')}.{k}", str(a.get("title", "")), [(span, 0)]))
        return rows
    order: list[str] = []
    counts: dict[str, dict[int, int]] = {}
    wins: set[tuple[str, int]] = set()
    for p, a in actions:
        name = str(a.get("dimension", ""))
        if name not in counts:
            order.append(name)
            counts[name] = {}
        counts[name][id(p)] = counts[name].get(id(p), 0) + 1
        if a.get("quick_win"):
            wins.add((name, id(p)))
    for name in order:
        cells = [
            ({**p, "quick_win": True} if (name, id(p)) in wins else p, counts[name][id(p)])
            for p in phases
            if id(p) in counts[name]
        ]
        rows.append(("", name, cells))
    return rows


# --------------------------------------------------------------------------------------------
# Trend
# --------------------------------------------------------------------------------------------

TREND_STYLES = 8


@dataclass
class TrendSeries:
    """One series of the trend chart: its scores per period, style, and its label's place."""

    index: int
    scores: list[float | None]
    main: bool  # the emphasised (agency-wide) line
    style: int  # 1 ... TREND_STYLES for the others
    last: int | None  # period of the last score
    value: float | None  # the last score
    score_text: str
    note: str  # "(period)" when the last score is not from the last period
    title: list[str]  # wrapped
    note_x: float = 0.0  # of the note, from the title's left
    height: float = 0.0
    end_y: float = 0.0  # where the line ends
    want: float = 0.0  # the label's top if nothing were in the way
    top: float = 0.0  # the label's top


@dataclass
class TrendLayout:
    x0: float  # left and right of the plot
    x1: float
    xs: list[float]  # x of every period
    ys: list[list[float | None]]  # y of every score, per series
    plot_bottom: float
    bands: list[tuple[float, float]]  # top, bottom
    grid: list[float]  # y of every level start, the range's ends included
    grid_values: list[Label]
    periods: list[Label]
    leaders: list[tuple[list[Point], bool]]  # points, crossing the plot
    series: list[TrendSeries]
    order: list[TrendSeries]  # of the labels, top to bottom
    label_x: float  # right edge of the scores
    box: Box


@dataclass(frozen=True)
class _Scale:
    lo: float
    span: float
    top: float = 14.0
    height: float = 240.0

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def y(self, value: float) -> float:
        return self.bottom - self.height * min(max((value - self.lo) / self.span, 0.0), 1.0)


TREND_SIZE = 11.0
TREND_LINE = 14.0
TREND_NOTE = 10.0


def trend_layout(
    series: Sequence[Mapping[str, Any]],
    names: list[str],
    score_range: Sequence[float],
    rings: Sequence[float],
) -> TrendLayout:
    """Where the trend's grid, lines, dots and labels go (`series` and `names` not empty)."""
    lo, hi = float(score_range[0]), float(score_range[1])
    scale = _Scale(lo, (hi - lo) or 1.0)
    width, pad, count = 640.0, 4.0, len(names)
    edges = [lo, *sorted({float(r) for r in rings if lo < float(r) < hi}), hi]
    rows = _trend_series(series, names)
    x0, x1, lx, score_w, xs = _trend_columns(rows, edges, count, width, pad)
    order = _place_labels(rows, scale)
    room = (xs[1] - xs[0] - 6) if count > 1 else x1 - x0
    periods = [
        Label(
            x,
            scale.bottom + 17,
            _fit(name, 10.5, max(room, 30.0), False),
            10.5,
            "dtc-muted",
            "middle",
        )
        for x, name in zip(xs, names, strict=True)
    ]
    top = min(0.0, min(r.top for r in rows) - 2)
    bottom = max(scale.bottom + 22, max(r.top + r.height for r in rows) + 2)
    return TrendLayout(
        x0=x0,
        x1=x1,
        xs=xs,
        ys=[[None if v is None else scale.y(v) for v in r.scores] for r in rows],
        plot_bottom=scale.bottom,
        bands=[(scale.y(edges[k + 1]), scale.y(edges[k])) for k in range(1, len(edges) - 1, 2)],
        grid=[scale.y(v) for v in edges],
        grid_values=[
            Label(x0 - 6, scale.y(v) + 3.3, f"{v:g}", 9.5, "dtc-muted", "end") for v in edges
        ],
        periods=periods,
        leaders=_leaders(rows, xs, lx, count),
        series=rows,
        order=order,
        label_x=lx + score_w,
        box=Box(0, top, width, bottom - top),
    )


def _trend_series(series: Sequence[Mapping[str, Any]], names: list[str]) -> list[TrendSeries]:
    """The series: scores aligned with the periods, style, last score and label text."""
    count = len(names)
    rows: list[TrendSeries] = []
    style = 0
    for index, item in enumerate(series):
        raw = list(item.get("scores") or [])
        scores = [_number(raw[i]) if i < len(raw) else None for i in range(count)]
        main = bool(item.get("emphasis"))
        if not main:
            style = style % TREND_STYLES + 1
        last = max((i for i, v in enumerate(scores) if v is not None), default=None)
        value = None if last is None else scores[last]
        # A line that ends before the last period: its label says when its last score is from.
        note = f"({names[last]})" if last is not None and last < count - 1 else ""
        title = wrap(str(item.get("title", "") or ""), TREND_SIZE, 150.0, 2, bold=main)
        rows.append(
            TrendSeries(index, scores, main, style, last, value, _score(value), note, title)
        )
    return rows


def _trend_columns(
    rows: list[TrendSeries], edges: list[float], count: int, width: float, pad: float
) -> tuple[float, float, float, float, list[float]]:
    """Horizontal layout: axis values, plot, label column (score, then title). Returns the
    plot's left and right, the label column's left, the score width and the periods' x."""
    inset = 16.0  # between the plot's edges and the first and last period
    x0 = pad + max(text_width(f"{v:g}", 9.5) for v in edges) + 6
    score_w = max(text_width(r.score_text, TREND_SIZE, True) for r in rows)
    title_w = 0.0
    for r in rows:
        widths = [text_width(t, TREND_SIZE, r.main) for t in r.title]
        r.note_x = widths[-1] + 4
        need = min(max(widths), 150.0 * _SLACK)
        if r.note:
            need = max(need, r.note_x + text_width(r.note, TREND_NOTE))
        title_w = max(title_w, need)
    lx = width - pad - title_w - 5 - score_w
    x1 = lx - 14
    if count == 1:
        # One period: a narrow plot, the dots in its middle and the labels beside them.
        x1 = min(x1, x0 + 2 * inset + 90)
        return x0, x1, x1 + 14, score_w, [(x0 + x1) / 2]
    step = (x1 - x0 - 2 * inset) / (count - 1)
    return x0, x1, lx, score_w, [x0 + inset + i * step for i in range(count)]


def _place_labels(rows: list[TrendSeries], scale: _Scale) -> list[TrendSeries]:
    """Label positions: wanted where the line ends, moved apart (clusters of touching labels
    are centred on the mean of what their members want), never above or below the plot by
    more than a line unless there are too many of them. Returns the labels top to bottom."""
    line = TREND_LINE
    order = sorted(
        rows,
        key=lambda r: (
            scale.y(r.value) if r.value is not None else math.inf,
            -(r.value or 0.0),
            r.index,
        ),
    )
    lim_top, lim_bottom = scale.top - line, scale.bottom + line
    clusters: list[tuple[list[TrendSeries], float]] = []
    for row in order:
        row.height = line * len(row.title)
        row.end_y = scale.bottom if row.value is None else scale.y(row.value)
        row.want = row.end_y - line / 2
        clusters.append(([row], row.want))
        while len(clusters) > 1:
            (above, top_a), (below, top_b) = clusters[-2], clusters[-1]
            if top_a + sum(r.height for r in above) <= top_b:
                break
            members = above + below
            offset, wants = 0.0, []
            for r in members:
                wants.append(r.want - offset)
                offset += r.height
            top = min(sum(wants) / len(wants), lim_bottom - offset)
            clusters[-2:] = [(members, max(top, lim_top))]
    previous = -math.inf
    for members, top in clusters:
        for r in members:
            # Half units keep the spacing exact after the coordinates are rounded.
            r.top = max(round(top * 2) / 2, previous)
            previous = r.top + r.height
            top += r.height
    return order


def _leaders(
    rows: list[TrendSeries], xs: list[float], lx: float, count: int
) -> list[tuple[list[Point], bool]]:
    """Leaders from the end of a line to its label when the label is not beside it; `far`
    ones (a line ending early, or a one-period chart) cross the plot and are dotted."""
    found = []
    for r in rows:
        if r.last is None:
            continue
        ex, ey = xs[r.last], r.end_y
        cy = r.top + TREND_LINE / 2
        far = r.last < count - 1 or count == 1
        if abs(cy - ey) > 0.5 or far:
            found.append(([(ex + 5, ey), (lx - 9, cy), (lx - 3, cy)], far))
    return found


def _number(value: Any) -> float | None:
    """A score as a float, or None for a missing one (None, NaN, not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------------------------
# Heat map
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    """One unit's score in one area: its box, how dark it is (0-1) and its printed score."""

    x: float
    y: float
    width: float
    height: float
    shade: float  # fill opacity of the primary colour, from the score's place in the range
    value: Label


@dataclass
class HeatMapLayout:
    columns: list[list[Label]]  # each area's title, wrapped above its column
    rows: list[list[Label]]  # each unit's name, wrapped left of its row
    cells: list[HeatCell]
    grid_bottom: float
    box: Box


def heatmap_layout(
    units: Sequence[str],
    dimensions: Sequence[str],
    scores: Sequence[Sequence[float | None]],
    score_range: Sequence[float],
) -> HeatMapLayout:
    """Where the units' rows, the areas' columns and every cell of the heat map go. A cell is
    the primary colour at an opacity between 0.08 and 0.9 by where its score lies in the score
    range, its score printed in it (light on dark cells); a missing score is an empty cell."""
    lo, hi = float(score_range[0]), float(score_range[1])
    span = (hi - lo) or 1.0
    width, pad, size, line = 640.0, 4.0, 11.0, 14.0
    left = min(max([text_width(str(u), size) for u in units] + [40.0]) + 8, 180.0)
    x0 = pad + left
    column = (width - pad - x0) / max(len(dimensions), 1)
    heads = [wrap(str(d), size, column - 8, 3, bold=True) for d in dimensions]
    head_height = max([len(h) for h in heads] + [1]) * line + 6
    columns = [
        [
            Label(x0 + column * (k + 0.5), pad + size + line * i, text, size, "dtc-label", "middle")
            for i, text in enumerate(head)
        ]
        for k, head in enumerate(heads)
    ]
    top = pad + head_height
    row_height = 2 * line + 6
    rows, cells = [], []
    for r, unit in enumerate(units):
        y = top + r * row_height
        names = wrap(str(unit), size, left - 8, 2)
        first = y + row_height / 2 - (len(names) - 1) * line / 2 + size * 0.36
        rows.append(
            [Label(pad, first + line * i, text, size, "dtc-text") for i, text in enumerate(names)]
        )
        for k in range(len(dimensions)):
            value = _number(scores[r][k]) if k < len(scores[r]) else None
            share = 0.0 if value is None else min(max((value - lo) / span, 0.0), 1.0)
            shade = 0.0 if value is None else round(0.08 + 0.82 * share, 3)
            cls = "dtc-on-bar" if shade > 0.5 else "dtc-score"
            x = x0 + column * k
            cells.append(
                HeatCell(
                    x=x + 1,
                    y=y + 1,
                    width=column - 2,
                    height=row_height - 2,
                    shade=shade,
                    value=Label(
                        x + column / 2, y + row_height / 2 + 4, _score(value), 12.0, cls, "middle"
                    ),
                )
            )
    bottom = top + len(units) * row_height
    return HeatMapLayout(columns, rows, cells, bottom, Box(0, 0, width, bottom + pad))
