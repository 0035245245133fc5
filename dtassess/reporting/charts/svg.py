"""SVG markup of the charts: the shared `<style>` and `<svg>` frame, and one function per chart
that turns its layout (layout.py) into elements. Every label goes through `label`, which
XML-escapes it; coordinates are written with `_n` (two decimals at most)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from .layout import (
    STAR_RADIUS,
    BarsLayout,
    HeatMapLayout,
    Label,
    Point,
    RadarLayout,
    TimelineLayout,
    TrendLayout,
)
from .text import FONT_FAMILY, _esc, _n

DEFAULT_PALETTE: dict[str, str] = {
    "primary": "#1e3a5f",
    "accent": "#b7791f",
    "ink": "#1f2933",
    "muted": "#5f6b7a",
    "rule": "#d5dbe3",
    "tint": "#f1f4f8",
    "paper": "#ffffff",
    "phase-1": "#b7791f",
    "phase-2": "#1e3a5f",
    "phase-3": "#6d86a8",
}


def _text(
    x: float,
    y: float,
    text: str,
    size: float,
    cls: str,
    anchor: str = "start",
) -> str:
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" class="{cls}"{anchor_attr}>'
        f"{_esc(text)}</text>"
    )


# --------------------------------------------------------------------------------------------
# Style
# --------------------------------------------------------------------------------------------

# (selector, declarations); a value "@key" is a palette colour, anything else is literal.
_RULES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (".dtc", (("font-family", FONT_FAMILY),)),
    (".dtc-text", (("fill", "@ink"),)),
    (".dtc-label", (("fill", "@ink"), ("font-weight", "bold"))),
    (".dtc-muted", (("fill", "@muted"),)),
    (".dtc-halo", (("fill", "@paper"), ("stroke", "@paper"), ("stroke-width", "3"))),
    (".dtc-halo", (("stroke-linejoin", "round"),)),
    (".dtc-value", (("fill", "@primary"), ("font-weight", "bold"))),
    (".dtc-target-text", (("fill", "@accent"), ("font-weight", "bold"))),
    (".dtc-on-bar", (("fill", "@paper"), ("font-weight", "bold"))),
    (".dtc-grid", (("fill", "none"), ("stroke", "@rule"), ("stroke-width", "0.8"))),
    (".dtc-grid-outer", (("fill", "none"), ("stroke", "@muted"), ("stroke-width", "0.8"))),
    (".dtc-axis", (("stroke", "@rule"), ("stroke-width", "0.8"))),
    (".dtc-band", (("fill", "@tint"), ("stroke", "none"))),
    (".dtc-hole", (("fill", "@paper"), ("stroke", "none"))),
    (".dtc-sep", (("stroke", "@rule"), ("stroke-width", "0.8"))),
    (
        ".dtc-current",
        (("fill", "@primary"), ("fill-opacity", "0.14"), ("stroke", "@primary")),
    ),
    (".dtc-current", (("stroke-width", "2.2"), ("stroke-linejoin", "round"))),
    (".dtc-current-dot", (("fill", "@primary"), ("stroke", "@paper"), ("stroke-width", "1.2"))),
    (
        ".dtc-target",
        (("fill", "none"), ("stroke", "@accent"), ("stroke-width", "1.8")),
    ),
    (".dtc-target", (("stroke-dasharray", "5 3.5"), ("stroke-linejoin", "round"))),
    (".dtc-target-dot", (("fill", "@paper"), ("stroke", "@accent"), ("stroke-width", "1.6"))),
    (".dtc-bar", (("fill", "@primary"),)),
    (".dtc-tick", (("stroke", "@accent"), ("stroke-width", "2.4"), ("fill", "none"))),
    (".dtc-tick-head", (("fill", "@accent"),)),
    (".dtc-previous", (("fill", "@paper"), ("stroke", "@ink"), ("stroke-width", "1.4"))),
    (".dtc-phase-1", (("fill", "@phase-1"),)),
    (".dtc-phase-2", (("fill", "@phase-2"),)),
    (".dtc-phase-3", (("fill", "@phase-3"),)),
    (".dtc-quick-win", (("fill", "@accent"), ("stroke", "@ink"), ("stroke-width", "0.6"))),
    (".dtc-star-halo", (("fill", "@paper"),)),
    # Trend lines: the emphasised (agency-wide) line, then eight stroke styles for the others,
    # told apart by colour, dash pattern and filled or open dots (also in black and white).
    (".dtc-score", (("fill", "@ink"), ("font-weight", "bold"))),
    (".dtc-leader", (("fill", "none"), ("stroke", "@muted"), ("stroke-width", "0.6"))),
    (".dtc-leader-far", (("stroke-dasharray", "0.8 2.2"),)),
    (".dtc-line", (("fill", "none"), ("stroke-width", "1.6"), ("stroke-linejoin", "round"))),
    (".dtc-line-main", (("stroke", "@primary"), ("stroke-width", "2.8"))),
    (".dtc-line-1", (("stroke", "@phase-3"),)),
    (".dtc-line-2", (("stroke", "@accent"), ("stroke-dasharray", "6 3"))),
    (".dtc-line-3", (("stroke", "@muted"), ("stroke-dasharray", "1.6 2.4"))),
    (".dtc-line-4", (("stroke", "@phase-3"), ("stroke-dasharray", "10 3 2 3"))),
    (".dtc-line-5", (("stroke", "@accent"), ("stroke-dasharray", "16 4"))),
    (".dtc-line-6", (("stroke", "@muted"), ("stroke-dasharray", "10 3 2 3 2 3"))),
    (".dtc-line-7", (("stroke", "@phase-3"), ("stroke-dasharray", "3 2"))),
    (".dtc-line-8", (("stroke", "@accent"), ("stroke-dasharray", "16 3 5 3"))),
    (".dtc-dot", (("stroke-width", "1.2"),)),
    (".dtc-dot-main", (("fill", "@primary"), ("stroke", "@paper"), ("stroke-width", "1.4"))),
    (".dtc-dot-1", (("fill", "@phase-3"), ("stroke", "@paper"))),
    (".dtc-dot-2", (("fill", "@paper"), ("stroke", "@accent"))),
    (".dtc-dot-3", (("fill", "@muted"), ("stroke", "@paper"))),
    (".dtc-dot-4", (("fill", "@paper"), ("stroke", "@phase-3"))),
    (".dtc-dot-5", (("fill", "@accent"), ("stroke", "@paper"))),
    (".dtc-dot-6", (("fill", "@paper"), ("stroke", "@muted"))),
    (".dtc-dot-7", (("fill", "@phase-3"), ("stroke", "@paper"))),
    (".dtc-dot-8", (("fill", "@paper"), ("stroke", "@accent"))),
)


def _palette(palette: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(DEFAULT_PALETTE)
    for key, value in (palette or {}).items():
        if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", value):
            merged[key] = value.lower()
    if palette and "phase-1" not in palette and "accent" in merged:
        merged["phase-1"] = merged["accent"]
    if palette and "phase-2" not in palette and "primary" in merged:
        merged["phase-2"] = merged["primary"]
    return merged


def _style(palette: Mapping[str, str] | None) -> str:
    colours = _palette(palette)
    plain = []
    themed = []
    for selector, declarations in _RULES:
        lit = []
        var = []
        for prop, value in declarations:
            if value.startswith("@"):
                key = value[1:]
                lit.append(f"{prop}:{colours[key]}")
                var.append(f"{prop}:var(--{key},{colours[key]})")
            else:
                lit.append(f"{prop}:{value}")
        plain.append(f"{selector}{{{';'.join(lit)}}}")
        if var:
            themed.append(f"{selector}{{{';'.join(var)}}}")
    return (
        "<style>" + "".join(plain) + "@supports (color:var(--dtc)){" + "".join(themed) + "}</style>"
    )


def _svg(
    kind: str,
    width: float,
    top: float,
    height: float,
    label: str,
    body: list[str],
    palette: Mapping[str, str] | None,
    left: float = 0.0,
) -> str:
    # The <title> is the accessible name browsers read and the /Alt of the PDF/UA figure.
    aria = f' aria-label="{_esc(label)}"' if label else ""
    title = f"<title>{_esc(label)}</title>" if label else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dtc dtc-{kind}" '
        f'viewBox="{_n(left)} {_n(top)} {_n(width)} {_n(height)}" role="img"{aria}>'
        + title
        + _style(palette)
        + "".join(body)
        + "</svg>"
    )


def label(item: Label) -> str:
    """A positioned label as an SVG `<text>`, its text escaped."""
    return _text(item.x, item.y, item.text, item.size, item.cls, item.anchor)


def _points(points: Sequence[Point]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _line(x1: float, y1: float, x2: float, y2: float, cls: str) -> str:
    return f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" class="{cls}"/>'


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


def radar_svg(layout: RadarLayout, name: str, palette: Mapping[str, str] | None) -> str:
    """The radar: level bands and rings, spokes, target and current polygons with their dots,
    ring values (with a paper-coloured halo), axis titles and the legend."""
    body = [f'<polygon points="{_points(ring)}" class="{cls}"/>' for ring, cls in layout.bands]
    body += [f'<polygon points="{_points(ring)}" class="dtc-grid"/>' for ring in layout.grid]
    body.append(f'<polygon points="{_points(layout.outer)}" class="dtc-grid-outer"/>')
    body += [
        f'<line x1="0" y1="0" x2="{_n(x)}" y2="{_n(y)}" class="dtc-axis"/>'
        for x, y in layout.spokes
    ]
    if layout.target_polygon is not None:
        body.append(f'<polygon points="{_points(layout.target_polygon)}" class="dtc-target"/>')
    body += [_line(*segment, "dtc-target") for segment in layout.target_segments]
    body.append(f'<polygon points="{_points(layout.current)}" class="dtc-current"/>')
    body += [
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.2" class="dtc-target-dot"/>'
        for x, y in layout.target_dots
    ]
    body += [
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.6" class="dtc-current-dot"/>'
        for x, y in layout.current_dots
    ]
    for value in layout.ring_values:
        body.append(_text(value.x, value.y, value.text, value.size, "dtc-halo", value.anchor))
        body.append(label(value))
    body += [label(title) for title in layout.titles]
    y, x, tx = layout.legend_y, layout.legend_x, layout.legend_target_x
    current, target = layout.legend_labels
    body.append(
        f'<rect x="{_n(x)}" y="{_n(y - 8)}" width="22" height="10" rx="1.5" class="dtc-current"/>'
    )
    body.append(_text(x + 28, y + 1, current, 11.5, "dtc-text"))
    body.append(_line(tx, y - 3, tx + 22, y - 3, "dtc-target"))
    body.append(_text(tx + 28, y + 1, target, 11.5, "dtc-text"))
    box = layout.box
    return _svg("radar", box.width, box.top, box.height, name, body, palette, left=box.left)


def bars_svg(layout: BarsLayout, palette: Mapping[str, str] | None, name: str = "") -> str:
    """The bars: level bands, grid lines with their values, then per row the title, bar,
    target tick, score and level name, and a rule under it; the legend when there is one."""
    top, bottom, width = layout.top_rows, layout.bottom, layout.box.width
    body = [
        f'<rect x="{_n(a)}" y="{_n(top)}" width="{_n(b - a)}" '
        f'height="{_n(layout.total)}" class="dtc-band"/>'
        for a, b in layout.bands
    ]
    for x, value in zip(layout.grid, layout.grid_values, strict=True):
        body.append(_line(x, top, x, top + layout.total, "dtc-axis"))
        body.append(label(value))
    for row in layout.rows:
        mid = row.top + row.height / 2
        body += [label(title) for title in row.title]
        if row.bar is not None:
            body.append(
                f'<rect x="{_n(row.bar[0])}" y="{_n(mid - 6)}" '
                f'width="{_n(row.bar[1])}" height="12" class="dtc-bar"/>'
            )
        if row.tick is not None:
            body.append(_line(row.tick, mid - 6 - 5, row.tick, mid + 6 + 5, "dtc-tick"))
        if row.previous is not None:
            body.append(_previous_mark(row.previous, mid))
        body += [label(value) for value in row.value]
        body.append(_line(4, row.top + row.height, width - 4, row.top + row.height, "dtc-sep"))
    if layout.legend is not None:
        x, current, tx, target = layout.legend
        ly = bottom + 20
        body.append(f'<rect x="{_n(x)}" y="{_n(ly - 8)}" width="18" height="9" class="dtc-bar"/>')
        body.append(_text(x + 24, ly, current, 10.5, "dtc-text"))
        body.append(_line(tx + 4, ly - 11, tx + 4, ly + 3, "dtc-tick"))
        body.append(_text(tx + 14, ly, target, 10.5, "dtc-text"))
    if layout.legend_previous is not None:
        px, previous = layout.legend_previous
        ly = bottom + 20
        body.append(_previous_mark(px + 4, ly - 4))
        body.append(_text(px + 14, ly, previous, 10.5, "dtc-text"))
    return _svg("bars", width, 0, layout.box.height, name, body, palette)


def _previous_mark(x: float, mid: float) -> str:
    """The previous period's score: an open diamond, told from the bar and the target tick
    without colour."""
    r = 5.0
    points = [(x, mid - r), (x + r, mid), (x, mid + r), (x - r, mid)]
    return f'<polygon points="{_points(points)}" class="dtc-previous"/>'


def _star(centre: tuple[float, float], r: float = STAR_RADIUS, css: str = "dtc-quick-win") -> str:
    """A quick win's mark: a five-pointed star, told from the bars by its shape, not only its
    colour (in black and white too)."""
    cx, cy = centre
    points = [
        (
            cx + (r if k % 2 == 0 else r * 0.45) * math.sin(math.pi * k / 5),
            cy - (r if k % 2 == 0 else r * 0.45) * math.cos(math.pi * k / 5),
        )
        for k in range(10)
    ]
    return f'<polygon points="{_points(points)}" class="{css}"/>'


def timeline_svg(layout: TimelineLayout, name: str, palette: Mapping[str, str] | None) -> str:
    """The timeline: phase legend (with the quick-win star when one is drawn), month axis,
    shaded phase columns, month lines, and per row its number, title and bars, a star beside a
    quick win's bar, with a rule between phases and at the end."""
    body: list[str] = []
    for (x, y, phase), text in zip(layout.swatches, layout.legend, strict=True):
        body.append(
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="11" height="11" rx="1.5" '
            f'class="dtc-phase-{phase}"/>'
        )
        body.append(label(text))
    if layout.star is not None and layout.star_label is not None:
        body += [_star(layout.star), label(layout.star_label)]
    body += [label(value) for value in layout.axis]
    top, total = layout.top_rows, layout.total
    for a, b, shaded, none in layout.columns:
        if shaded:
            body.append(
                f'<rect x="{_n(a)}" y="{_n(top)}" width="{_n(b - a)}" '
                f'height="{_n(total)}" class="dtc-band"/>'
            )
        if none is not None:
            body.append(label(none))
    body += [_line(x, top - 2, x, top + total, "dtc-axis") for x in layout.ticks]
    pad, right, row_h = layout.pad, layout.right, 19.0
    for row in layout.rows:
        if row.separated:
            body.append(_line(pad, row.top, right, row.top, "dtc-sep"))
        body += [label(text) for text in row.labels]
        for cell in row.cells:
            body.append(
                f'<rect x="{_n(cell.x)}" y="{_n(row.top + (row.height - row_h) / 2 + 4)}" '
                f'width="{_n(cell.width)}" '
                f'height="{_n(row_h - 8)}" rx="2" class="dtc-phase-{cell.phase}"/>'
            )
            if cell.count is not None:
                body.append(label(cell.count))
            if cell.star is not None:
                if cell.count is not None:  # inside a bar: a paper halo keeps it legible
                    body.append(_star(cell.star, STAR_RADIUS + 1.6, "dtc-star-halo"))
                body.append(_star(cell.star))
    body.append(_line(pad, layout.bottom, right, layout.bottom, "dtc-sep"))
    return _svg("timeline", layout.box.width, 0, layout.box.height, name, body, palette)


def trend_svg(layout: TrendLayout, name: str, palette: Mapping[str, str] | None) -> str:
    """The trend: level bands, grid lines and their values, periods under the plot, leaders,
    the lines and dots (the emphasised series last, on top), then the labels."""
    x0, x1, bottom = layout.x0, layout.x1, layout.plot_bottom
    body = [
        f'<rect x="{_n(x0)}" y="{_n(a)}" width="{_n(x1 - x0)}" height="{_n(b - a)}" '
        f'class="dtc-band"/>'
        for a, b in layout.bands
    ]
    for y, value in zip(layout.grid, layout.grid_values, strict=True):
        body.append(_line(x0, y, x1, y, "dtc-axis"))
        body.append(label(value))
    for period in layout.periods:
        body.append(_line(period.x, bottom, period.x, bottom + 4, "dtc-axis"))
        body.append(label(period))
    for points, far in layout.leaders:
        # Dotted where it crosses the plot, so that it does not read as a line of scores.
        cls = "dtc-leader dtc-leader-far" if far else "dtc-leader"
        body.append(f'<polyline points="{_points(points)}" class="{cls}"/>')
    drawn = sorted(range(len(layout.series)), key=lambda k: layout.series[k].main)
    body += [_trend_line(layout, k) for k in drawn]
    body += _trend_labels(layout)
    box = layout.box
    return _svg("trend", box.width, box.top, box.height, name, body, palette)


def _trend_line(layout: TrendLayout, k: int) -> str:
    """One series: a polyline per unbroken run of scores, and a dot per score."""
    series, ys, xs = layout.series[k], layout.ys[k], layout.xs
    kind = "main" if series.main else str(series.style)
    radius = 3.8 if series.main else 2.8
    parts = ['<g class="dtc-series">']
    run: list[Point] = []
    for i, y in enumerate([*ys, None]):
        if y is not None:
            run.append((xs[i], y))
            continue
        if len(run) > 1:
            parts.append(f'<polyline points="{_points(run)}" class="dtc-line dtc-line-{kind}"/>')
        run = []
    for i, y in enumerate(ys):
        if y is not None:
            parts.append(
                f'<circle cx="{_n(xs[i])}" cy="{_n(y)}" r="{_n(radius)}" '
                f'class="dtc-dot dtc-dot-{kind}"/>'
            )
    parts.append("</g>")
    return "".join(parts)


def _trend_labels(layout: TrendLayout) -> list[str]:
    """The score (right-aligned, so that the decimals line up), then the title lines and the
    note of its period."""
    body = []
    size, line, sx = 11.0, 14.0, layout.label_x
    for r in layout.order:
        base = r.top + line / 2 + size * 0.35
        body.append(
            _text(sx, base, r.score_text, size, "dtc-value" if r.main else "dtc-score", "end")
        )
        for k, text in enumerate(r.title):
            body.append(
                _text(sx + 5, base + k * line, text, size, "dtc-label" if r.main else "dtc-text")
            )
        if r.note:
            y = base + (len(r.title) - 1) * line
            body.append(_text(sx + 5 + r.note_x, y, r.note, 10.0, "dtc-muted"))
    return body


def heatmap_svg(layout: HeatMapLayout, name: str, palette: Mapping[str, str] | None) -> str:
    """The heat map: the areas' titles, then per unit its name and a shaded cell per area
    with the score in it; an empty cell (no score) is outlined only."""
    body = [label(text) for head in layout.columns for text in head]
    for row in layout.rows:
        body += [label(text) for text in row]
    for cell in layout.cells:
        place = (
            f'x="{_n(cell.x)}" y="{_n(cell.y)}" width="{_n(cell.width)}" height="{_n(cell.height)}"'
        )
        if cell.shade:
            body.append(f'<rect {place} class="dtc-bar" fill-opacity="{cell.shade:g}"/>')
        else:
            body.append(f'<rect {place} class="dtc-grid"/>')
        body.append(label(cell.value))
    box = layout.box
    return _svg("heatmap", box.width, 0, box.height, name, body, palette)
