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
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["DEFAULT_PALETTE", "bars", "radar", "text_width", "timeline", "trend", "wrap"]

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

FONT_FAMILY = '"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif'

# Advance widths of U+0020..U+007E in Noto Sans CJK SC (per 1000 units of em), Regular and Bold,
# read once from the font with fontTools. They let the charts wrap and truncate labels before
# drawing them; CJK and other wide characters are a full em.
_ASCII_REGULAR = (
    224, 323, 474, 555, 555, 921, 680, 278, 338, 338, 467, 555, 278, 347, 278, 392, 555, 555,
    555, 555, 555, 555, 555, 555, 555, 555, 278, 278, 555, 555, 555, 474, 946, 608, 657, 638,
    688, 589, 552, 689, 728, 293, 535, 646, 543, 812, 723, 742, 633, 742, 635, 596, 599, 721,
    575, 878, 573, 531, 603, 338, 392, 338, 555, 559, 606, 563, 618, 510, 620, 554, 325, 564,
    607, 275, 275, 552, 284, 926, 610, 606, 620, 620, 388, 468, 377, 607, 521, 802, 498, 521,
    475, 338, 270, 338, 555,
)  # fmt: skip
_ASCII_BOLD = (
    227, 370, 574, 590, 590, 963, 740, 325, 378, 378, 507, 590, 325, 370, 325, 387, 590, 590,
    590, 590, 590, 590, 590, 590, 590, 590, 325, 325, 590, 590, 590, 514, 1007, 641, 681, 656,
    714, 615, 585, 717, 757, 330, 568, 686, 578, 853, 749, 770, 667, 770, 682, 624, 625, 748,
    619, 915, 627, 580, 613, 378, 387, 378, 590, 567, 626, 591, 644, 527, 644, 581, 372, 597,
    640, 304, 306, 604, 315, 964, 641, 626, 644, 644, 436, 495, 421, 637, 576, 863, 562, 574,
    511, 378, 296, 378, 590,
)  # fmt: skip
_NARROW = {"–": 536, "—": 894, "é": 554, "ü": 607, "ö": 606, "ä": 563}
# Safety margin on estimated widths: browsers may fall back to another CJK font.
_SLACK = 1.04

# Characters that must not start a line (Chinese line-breaking rules, simplified).
_NO_START = set("，。、：；！？）】》〕」』”’…%,.;:!?)]}")
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_TOKEN = re.compile(rf"\s+|[{_WIDE}]|[^\s{_WIDE}]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def _esc(text: Any) -> str:
    """XML-escape a label (and drop characters XML cannot carry)."""
    value = _CONTROL.sub("", "" if text is None else str(text))
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _n(value: float) -> str:
    """A coordinate with at most two decimals, no trailing zeros, never '-0'."""
    text = f"{round(value, 2) + 0.0:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated advance width of `text` at font size `size` (SVG user units)."""
    table = _ASCII_BOLD if bold else _ASCII_REGULAR
    total = 0
    for char in text:
        code = ord(char)
        if 32 <= code < 127:
            total += table[code - 32]
        elif char in _NARROW:
            total += _NARROW[char]
        elif unicodedata.east_asian_width(char) in ("W", "F", "A"):
            total += 1000
        elif unicodedata.combining(char):
            continue
        else:
            total += 620
    return total * size / 1000 * _SLACK


def _fit(text: str, size: float, width: float, bold: bool) -> str:
    """`text` cut to `width` with an ellipsis when it does not fit.

    Latin text is cut at a word boundary where that keeps most of the line, and ends in three
    full stops: the CJK fonts draw U+2026 as a full-width, vertically centred ellipsis.
    """
    if text_width(text, size, bold) <= width:
        return text
    latin = _is_latin(text)
    mark = "..." if latin else "…"
    cut = text
    while cut and text_width(cut.rstrip() + mark, size, bold) > width:
        cut = cut[:-1]
    if latin and " " in cut and cut.rfind(" ") > len(cut) * 0.6:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-–—，、：；") + mark


def wrap(text: str, size: float, width: float, max_lines: int = 2, bold: bool = False) -> list[str]:
    """Break `text` into at most `max_lines` lines no wider than `width`.

    Latin words break at spaces, CJK text between any two characters (a closing punctuation
    mark never starts a line); what does not fit in `max_lines` ends with an ellipsis.
    """
    text = " ".join(_CONTROL.sub("", str(text)).split())
    if not text:
        return [""]
    lines: list[str] = []
    current = ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            if current:
                current += " "
            continue
        candidate = current + token
        if text_width(candidate.rstrip(), size, bold) <= width or not current.strip():
            current = candidate
        elif token[0] in _NO_START and len(current.rstrip()) > 1:
            # Carry the last character over so the punctuation mark does not start a line.
            head = current.rstrip()
            lines.append(head[:-1])
            current = head[-1] + token
        else:
            lines.append(current.rstrip())
            current = token
        # A single word wider than the line: break it between characters.
        while text_width(current, size, bold) > width and len(current) > 1:
            cut = len(current) - 1
            while cut > 1 and text_width(current[:cut], size, bold) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        rest = (
            " ".join(lines[max_lines - 1 :]) if _is_latin(text) else "".join(lines[max_lines - 1 :])
        )
        lines = [*lines[: max_lines - 1], _fit(rest, size, width, bold)]
    return lines


def _is_latin(text: str) -> bool:
    return sum(1 for c in text if ord(c) > 0x2E80) * 3 < len(text)


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
    (".dtc-phase-1", (("fill", "@phase-1"),)),
    (".dtc-phase-2", (("fill", "@phase-2"),)),
    (".dtc-phase-3", (("fill", "@phase-3"),)),
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
    aria = f' aria-label="{_esc(label)}"' if label else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dtc dtc-{kind}" '
        f'viewBox="{_n(left)} {_n(top)} {_n(width)} {_n(height)}" role="img"{aria}>'
        + _style(palette)
        + "".join(body)
        + "</svg>"
    )


# --------------------------------------------------------------------------------------------
# Radar
# --------------------------------------------------------------------------------------------


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
    lo, hi = float(score_range[0]), float(score_range[1])
    span = (hi - lo) or 1.0
    count = len(axes)
    if count == 0:
        return ""
    radius = 140.0
    size = 13.0
    line = 16.0
    gap = 12.0
    side_room = 118.0  # widest line beside the chart
    end_room = 260.0  # widest line above or below it
    pad = 6.0
    if rings is None:
        rings = [lo + span * k / 5 for k in range(1, 5)]
    levels = sorted({float(r) for r in rings if lo < float(r) < hi})

    def angle(i: float) -> float:
        return -math.pi / 2 + 2 * math.pi * i / count

    def point(i: int, value: float | None, extra: float = 0.0) -> tuple[float, float]:
        share = 0.0 if value is None else min(max((float(value) - lo) / span, 0.0), 1.0)
        r = radius * share + extra
        return r * math.cos(angle(i)), r * math.sin(angle(i))

    def ring(value: float) -> str:
        return " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(i, value) for i in range(count)))

    body: list[str] = []
    # Level bands, outer to inner so each inner polygon paints over the outer one: every
    # second band between level starts is tinted.
    edges = [lo, *levels, hi]
    for k in range(len(edges) - 1, 0, -1):
        cls = "dtc-band" if k % 2 == 0 else "dtc-hole"
        body.append(f'<polygon points="{ring(edges[k])}" class="{cls}"/>')
    for value in levels:
        body.append(f'<polygon points="{ring(value)}" class="dtc-grid"/>')
    body.append(f'<polygon points="{ring(hi)}" class="dtc-grid-outer"/>')
    for i in range(count):
        x, y = point(i, hi)
        body.append(f'<line x1="0" y1="0" x2="{_n(x)}" y2="{_n(y)}" class="dtc-axis"/>')
    # Target: dashed polygon (or segments where some targets are missing), open dots.
    targets = [a.get("target") for a in axes]
    if count > 2 and all(t is not None for t in targets):
        body.append(f'<polygon points="{_points(point, targets)}" class="dtc-target"/>')
    else:
        for i in range(count):
            j = (i + 1) % count
            if j == i or targets[i] is None or targets[j] is None:
                continue
            (x1, y1), (x2, y2) = point(i, targets[i]), point(j, targets[j])
            body.append(
                f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
                f'class="dtc-target"/>'
            )
    # Current: filled polygon with dots.
    scores = [a.get("score") for a in axes]
    body.append(f'<polygon points="{_points(point, scores)}" class="dtc-current"/>')
    for i, target in enumerate(targets):
        if target is not None:
            x, y = point(i, target)
            body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.2" class="dtc-target-dot"/>')
    for i, value in enumerate(scores):
        if value is not None:
            x, y = point(i, value)
            body.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.6" class="dtc-current-dot"/>')

    # Ring values on the edge midpoints between the last and the first axis, where no polygon
    # vertex sits; drawn over the polygons with a paper-coloured halo.
    if count > 2:
        mid = angle(count - 0.5)
        anchor = "end" if math.cos(mid) < 0 else "start"
        for value in [*levels, hi]:
            r = radius * (value - lo) / span * math.cos(math.pi / count)
            x, y = r * math.cos(mid) + 3, r * math.sin(mid) - 3
            text = f"{value:g}"
            body.append(_text(x, y, text, 9.5, "dtc-halo", anchor))
            body.append(_text(x, y, text, 9.5, "dtc-muted", anchor))

    # Axis titles with the score underneath, outside the outer ring.
    top, bottom, half = -radius, radius, radius
    for i, axis in enumerate(axes):
        ax, ay = point(i, hi, gap)
        dx, dy = math.cos(angle(i)), math.sin(angle(i))
        if abs(dx) < 0.3:
            anchor, room, max_lines = "middle", end_room, 2
        else:
            anchor, room, max_lines = ("start" if dx > 0 else "end"), side_room, 3
        title = wrap(str(axis.get("title", "")), size, room, max_lines, bold=True)
        widest = max(
            [text_width(t, size, True) for t in title]
            + [text_width(_score(axis.get("score")), size, True)]
        )
        block = line * (len(title) + 1)  # the title lines and the score line
        if anchor == "middle":
            first = ay - block + size * 0.8 if dy < 0 else ay + size * 0.8
            half = max(half, abs(ax) + widest / 2)
        else:
            first = ay - block / 2 + size * 0.8 + dy * block / 2
            half = max(half, abs(ax) + widest)
        for k, text in enumerate(title):
            body.append(_text(ax, first + k * line, text, size, "dtc-label", anchor))
        score_y = first + len(title) * line
        body.append(_text(ax, score_y, _score(axis.get("score")), size, "dtc-value", anchor))
        top = min(top, first - size * 0.9)
        bottom = max(bottom, score_y + size * 0.3)

    # Legend, centred under the chart.
    legend_y = bottom + 24
    current_label = str(labels.get("current", "Current"))
    target_label = str(labels.get("target", "Target"))
    lsize = 11.5
    w1 = 28 + text_width(current_label, lsize)
    w2 = 28 + text_width(target_label, lsize)
    half = max(half, (w1 + 18 + w2) / 2)
    x = -(w1 + 18 + w2) / 2
    body.append(
        f'<rect x="{_n(x)}" y="{_n(legend_y - 8)}" width="22" height="10" rx="1.5" '
        f'class="dtc-current"/>'
    )
    body.append(_text(x + 28, legend_y + 1, current_label, lsize, "dtc-text"))
    x += w1 + 18
    body.append(
        f'<line x1="{_n(x)}" y1="{_n(legend_y - 3)}" x2="{_n(x + 22)}" y2="{_n(legend_y - 3)}" '
        f'class="dtc-target"/>'
    )
    body.append(_text(x + 28, legend_y + 1, target_label, lsize, "dtc-text"))
    bottom = legend_y + 4
    half += pad
    return _svg(
        "radar",
        2 * half,
        top - pad,
        bottom - top + 2 * pad,
        str(labels.get("radar", "")),
        body,
        palette,
        left=-half,
    )


def _points(
    point: Callable[[int, float | None], tuple[float, float]], values: Sequence[float | None]
) -> str:
    """The SVG `points` of a polygon through `values`, one per axis."""
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(i, v) for i, v in enumerate(values)))


# --------------------------------------------------------------------------------------------
# Bars
# --------------------------------------------------------------------------------------------


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
    `labels` ("current", "target") a legend is added.
    """
    lo, hi = float(score_range[0]), float(score_range[1])
    span = (hi - lo) or 1.0
    width = 640.0
    pad = 4.0
    size = 12.0
    line = 15.0
    bar_h = 12.0
    starts = [float(r) for r in rings]
    # Right column: score and level name; width from the widest entry.
    right = max(
        [text_width(_score(it.get("score")), size, True) for it in items]
        + [text_width(str(it.get("level_name") or ""), 10.5) for it in items]
        + [30.0]
    )
    x1 = width - pad - right - 14
    left = (
        min(max(text_width(str(it.get("title", "")), size) for it in items) + 4, 205.0)
        if items
        else 120.0
    )
    x0 = pad + left + 14
    track = x1 - x0

    def xpos(value: float) -> float:
        return x0 + track * min(max((float(value) - lo) / span, 0.0), 1.0)

    rows = []
    for item in items:
        title = wrap(str(item.get("title", "")), size, left, 2)
        rows.append((item, title, max(2 * line + 6, len(title) * line + 8)))
    axis_y = 12.0
    top_rows = axis_y + 10
    total = sum(h for _, _, h in rows)
    body: list[str] = []
    # Level bands and grid lines.
    edges = [lo, *[s for s in starts if lo < s < hi], hi]
    for k in range(len(edges) - 1):
        if k % 2 == 1:
            body.append(
                f'<rect x="{_n(xpos(edges[k]))}" y="{_n(top_rows)}" '
                f'width="{_n(xpos(edges[k + 1]) - xpos(edges[k]))}" height="{_n(total)}" '
                f'class="dtc-band"/>'
            )
    for value in edges:
        x = xpos(value)
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(top_rows)}" x2="{_n(x)}" y2="{_n(top_rows + total)}" '
            f'class="dtc-axis"/>'
        )
        body.append(_text(x, axis_y, f"{value:g}", 9.5, "dtc-muted", "middle"))
    y = top_rows
    for item, title, height in rows:
        mid = y + height / 2
        first = mid - (len(title) - 1) * line / 2 + size * 0.35
        for k, text in enumerate(title):
            body.append(_text(pad, first + k * line, text, size, "dtc-text"))
        score = item.get("score")
        if score is not None:
            body.append(
                f'<rect x="{_n(x0)}" y="{_n(mid - bar_h / 2)}" '
                f'width="{_n(max(xpos(score) - x0, 0.8))}" height="{_n(bar_h)}" class="dtc-bar"/>'
            )
        target = item.get("target")
        if isinstance(target, int) and 1 <= target <= len(starts):
            tx = xpos(starts[target - 1])
            body.append(
                f'<line x1="{_n(tx)}" y1="{_n(mid - bar_h / 2 - 5)}" x2="{_n(tx)}" '
                f'y2="{_n(mid + bar_h / 2 + 5)}" class="dtc-tick"/>'
            )
        level = str(item.get("level_name") or "")
        sx = x1 + 14
        if level:
            body.append(_text(sx, mid - 1.5, _score(score), size, "dtc-value"))
            body.append(_text(sx, mid + 12, level, 10.5, "dtc-muted"))
        else:
            body.append(_text(sx, mid + size * 0.35, _score(score), size, "dtc-value"))
        y += height
        body.append(
            f'<line x1="{_n(pad)}" y1="{_n(y)}" x2="{_n(width - pad)}" y2="{_n(y)}" '
            f'class="dtc-sep"/>'
        )
    bottom = y
    if labels:
        ly = y + 20
        lsize = 10.5
        current = str(labels.get("current", "Current"))
        target = str(labels.get("target", "Target"))
        x = x0
        body.append(f'<rect x="{_n(x)}" y="{_n(ly - 8)}" width="18" height="9" class="dtc-bar"/>')
        body.append(_text(x + 24, ly, current, lsize, "dtc-text"))
        x += 24 + text_width(current, lsize) + 20
        body.append(
            f'<line x1="{_n(x + 4)}" y1="{_n(ly - 11)}" x2="{_n(x + 4)}" y2="{_n(ly + 3)}" '
            f'class="dtc-tick"/>'
        )
        body.append(_text(x + 14, ly, target, lsize, "dtc-text"))
        bottom = ly + 6
    return _svg("bars", width, 0, bottom + pad, "", body, palette)


# --------------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------------


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
    roadmap tables; with more than `max_rows` actions the rows become the dimensions instead,
    each bar showing how many actions the phase has for that dimension. The phase legend sits
    above the chart (a 6-month column is too narrow for a phase name). Labels used: "months",
    "none", "timeline".
    """
    if not phases:
        return ""
    width = 680.0
    pad = 4.0
    size = 11.5
    row_h = 19.0
    number_w = 30.0
    titles = [str(a.get("title", "")) for p in phases for a in p.get("actions", [])]
    if len(titles) > max_rows:
        titles = [str(a.get("dimension", "")) for p in phases for a in p.get("actions", [])]
        number_w = 0.0
    needed = number_w + max([text_width(t, size) for t in titles] + [120.0])
    label_w = min(needed, width * 0.58)
    x0 = pad + label_w + 10
    x1 = width - pad - 6
    end = max(float(p["months"][1]) for p in phases) or 1.0

    def xpos(month: float) -> float:
        return x0 + (x1 - x0) * float(month) / end

    body: list[str] = []
    # Legend: a swatch and the label of every phase, wrapped onto as many lines as needed.
    lsize = 11.0
    y = 12.0
    x = pad
    for p in phases:
        label = str(p.get("label", ""))
        need = 16 + text_width(label, lsize) + 22
        if x + need > width - pad and x > pad:
            x = pad
            y += 17
        body.append(
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="11" height="11" rx="1.5" '
            f'class="dtc-phase-{_phase_class(p)}"/>'
        )
        body.append(_text(x + 16, y, label, lsize, "dtc-text"))
        x += need
    # Month axis.
    axis_y = y + 24
    body.append(_text(x0 - 10, axis_y, str(labels.get("months", "")), 9.5, "dtc-muted", "end"))
    step = 6 if end <= 48 else 12
    month = 0
    while month <= end + 1e-9:
        anchor = "middle"
        body.append(_text(xpos(month), axis_y, f"{month:g}", 9.5, "dtc-muted", anchor))
        month += step
    top_rows = axis_y + 8

    # Rows.
    actions = [(p, a) for p in phases for a in p.get("actions", [])]
    grouped = len(actions) > max_rows
    rows: list[tuple[str, str, list[tuple[Mapping[str, Any], int]]]] = []
    if grouped:
        order: list[str] = []
        counts: dict[str, dict[int, int]] = {}
        for p, a in actions:
            name = str(a.get("dimension", ""))
            if name not in counts:
                order.append(name)
                counts[name] = {}
            counts[name][id(p)] = counts[name].get(id(p), 0) + 1
        for name in order:
            cells = [(p, counts[name][id(p)]) for p in phases if id(p) in counts[name]]
            rows.append(("", name, cells))
    else:
        for p in phases:
            for k, a in enumerate(p.get("actions", []), start=1):
                rows.append((f"{p.get('phase', '')}.{k}", str(a.get("title", "")), [(p, 0)]))
    total = max(len(rows), 1) * row_h
    # Phase columns: alternate shading, boundaries.
    for k, p in enumerate(phases):
        a, b = xpos(p["months"][0]), xpos(p["months"][1])
        if k % 2 == 0:
            body.append(
                f'<rect x="{_n(a)}" y="{_n(top_rows)}" width="{_n(b - a)}" '
                f'height="{_n(total)}" class="dtc-band"/>'
            )
        if not p.get("actions"):
            body.append(
                _text(
                    (a + b) / 2,
                    top_rows + total / 2,
                    str(labels.get("none", "—")),
                    11,
                    "dtc-muted",
                    "middle",
                )
            )
    month = 0
    while month <= end + 1e-9:
        body.append(
            f'<line x1="{_n(xpos(month))}" y1="{_n(top_rows - 2)}" x2="{_n(xpos(month))}" '
            f'y2="{_n(top_rows + total)}" class="dtc-axis"/>'
        )
        month += step
    y = top_rows
    previous_phase = None
    for number, title, cells in rows:
        phase_id = id(cells[0][0]) if cells and not grouped else None
        if previous_phase is not None and phase_id != previous_phase:
            body.append(
                f'<line x1="{_n(pad)}" y1="{_n(y)}" x2="{_n(x1)}" y2="{_n(y)}" class="dtc-sep"/>'
            )
        previous_phase = phase_id
        base = y + row_h / 2 + size * 0.36
        tx = pad
        if number:
            body.append(_text(pad, base, number, 10, "dtc-muted"))
            tx = pad + number_w
        body.append(_text(tx, base, _fit(title, size, x0 - 10 - tx, False), size, "dtc-text"))
        for p, count in cells:
            a, b = xpos(p["months"][0]), xpos(p["months"][1])
            body.append(
                f'<rect x="{_n(a + 1.5)}" y="{_n(y + 4)}" width="{_n(b - a - 3)}" '
                f'height="{_n(row_h - 8)}" rx="2" class="dtc-phase-{_phase_class(p)}"/>'
            )
            if grouped:
                body.append(
                    _text((a + b) / 2, y + row_h / 2 + 3.6, str(count), 10, "dtc-on-bar", "middle")
                )
        y += row_h
    body.append(f'<line x1="{_n(pad)}" y1="{_n(y)}" x2="{_n(x1)}" y2="{_n(y)}" class="dtc-sep"/>')
    return _svg("timeline", width, 0, y + pad, str(labels.get("timeline", "")), body, palette)


def _phase_class(phase: Mapping[str, Any]) -> int:
    number = phase.get("phase", 1)
    return number if isinstance(number, int) and 1 <= number <= 3 else 3


# --------------------------------------------------------------------------------------------
# Trend
# --------------------------------------------------------------------------------------------

_TREND_STYLES = 8


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
    count = len(names)
    if not series or count == 0:
        return ""
    lo, hi = float(score_range[0]), float(score_range[1])
    span = (hi - lo) or 1.0
    width = 640.0
    pad = 4.0
    size = 11.0
    line = 14.0
    title_room = 150.0
    inset = 16.0  # between the plot's edges and the first and last period
    plot_top = 14.0
    plot_h = 240.0
    plot_bottom = plot_top + plot_h
    edges = [lo, *sorted({float(r) for r in rings if lo < float(r) < hi}), hi]

    def ypos(value: float) -> float:
        return plot_bottom - plot_h * min(max((value - lo) / span, 0.0), 1.0)

    # The series: scores aligned with the periods, style, last score and label text.
    rows: list[dict[str, Any]] = []
    style = 0
    for index, item in enumerate(series):
        raw = list(item.get("scores") or [])
        scores = [_number(raw[i]) if i < len(raw) else None for i in range(count)]
        main = bool(item.get("emphasis"))
        if not main:
            style = style % _TREND_STYLES + 1
        last = max((i for i, v in enumerate(scores) if v is not None), default=None)
        value = None if last is None else scores[last]
        # A line that ends before the last period: its label says when its last score is from.
        note = f"({names[last]})" if last is not None and last < count - 1 else ""
        title = wrap(str(item.get("title", "") or ""), size, title_room, 2, bold=main)
        rows.append(
            {
                "index": index,
                "scores": scores,
                "main": main,
                "style": style,
                "last": last,
                "value": value,
                "score_text": _score(value),
                "note": note,
                "title": title,
            }
        )

    # Horizontal layout: axis values, plot, label column (score, then title).
    value_w = max(text_width(f"{v:g}", 9.5) for v in edges)
    x0 = pad + value_w + 6
    score_w = max(text_width(r["score_text"], size, True) for r in rows)
    note_size = 10.0
    title_w = 0.0
    for r in rows:
        widths = [text_width(t, size, r["main"]) for t in r["title"]]
        r["note_x"] = widths[-1] + 4
        need = min(max(widths), title_room * _SLACK)
        if r["note"]:
            need = max(need, r["note_x"] + text_width(r["note"], note_size))
        title_w = max(title_w, need)
    lx = width - pad - title_w - 5 - score_w
    x1 = lx - 14
    if count == 1:
        # One period: a narrow plot, the dots in its middle and the labels beside them.
        x1 = min(x1, x0 + 2 * inset + 90)
        lx = x1 + 14
        xs = [(x0 + x1) / 2]
    else:
        step = (x1 - x0 - 2 * inset) / (count - 1)
        xs = [x0 + inset + i * step for i in range(count)]

    # Label positions: wanted where the line ends, moved apart (clusters of touching labels
    # are centred on the mean of what their members want), never above or below the plot by
    # more than a line unless there are too many of them.
    order = sorted(
        rows,
        key=lambda r: (
            ypos(r["value"]) if r["value"] is not None else math.inf,
            -(r["value"] or 0.0),
            r["index"],
        ),
    )
    lim_top, lim_bottom = plot_top - line, plot_bottom + line
    clusters: list[tuple[list[dict[str, Any]], float]] = []
    for row in order:
        row["height"] = line * len(row["title"])
        row["end_y"] = plot_bottom if row["value"] is None else ypos(row["value"])
        row["want"] = row["end_y"] - line / 2
        clusters.append(([row], row["want"]))
        while len(clusters) > 1:
            (above, top_a), (below, top_b) = clusters[-2], clusters[-1]
            if top_a + sum(r["height"] for r in above) <= top_b:
                break
            members = above + below
            offset, wants = 0.0, []
            for r in members:
                wants.append(r["want"] - offset)
                offset += r["height"]
            top = min(sum(wants) / len(wants), lim_bottom - offset)
            clusters[-2:] = [(members, max(top, lim_top))]
    previous = -math.inf
    for members, top in clusters:
        for r in members:
            # Half units keep the spacing exact after the coordinates are rounded.
            r["top"] = max(round(top * 2) / 2, previous)
            previous = r["top"] + r["height"]
            top += r["height"]

    body: list[str] = []
    # Level bands, grid lines and their values.
    for k in range(len(edges) - 1):
        if k % 2 == 1:
            body.append(
                f'<rect x="{_n(x0)}" y="{_n(ypos(edges[k + 1]))}" width="{_n(x1 - x0)}" '
                f'height="{_n(ypos(edges[k]) - ypos(edges[k + 1]))}" class="dtc-band"/>'
            )
    for value in edges:
        y = ypos(value)
        body.append(
            f'<line x1="{_n(x0)}" y1="{_n(y)}" x2="{_n(x1)}" y2="{_n(y)}" class="dtc-axis"/>'
        )
        body.append(_text(x0 - 6, y + 3.3, f"{value:g}", 9.5, "dtc-muted", "end"))
    # Periods under the plot.
    room = (xs[1] - xs[0] - 6) if count > 1 else x1 - x0
    for x, name in zip(xs, names, strict=True):
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(plot_bottom)}" x2="{_n(x)}" '
            f'y2="{_n(plot_bottom + 4)}" class="dtc-axis"/>'
        )
        body.append(
            _text(
                x,
                plot_bottom + 17,
                _fit(name, 10.5, max(room, 30.0), False),
                10.5,
                "dtc-muted",
                "middle",
            )
        )
    # Leaders from the end of a line to its label when the label is not beside it.
    for r in rows:
        if r["last"] is None:
            continue
        ex, ey = xs[r["last"]], r["end_y"]
        cy = r["top"] + line / 2
        far = r["last"] < count - 1 or count == 1
        if abs(cy - ey) > 0.5 or far:
            # Dotted where it crosses the plot, so that it does not read as a line of scores.
            cls = "dtc-leader dtc-leader-far" if far else "dtc-leader"
            body.append(
                f'<polyline points="{_n(ex + 5)},{_n(ey)} {_n(lx - 9)},{_n(cy)} '
                f'{_n(lx - 3)},{_n(cy)}" class="{cls}"/>'
            )
    # Lines and dots: the emphasised series last, on top.
    for r in [r for r in rows if not r["main"]] + [r for r in rows if r["main"]]:
        kind = "main" if r["main"] else str(r["style"])
        radius = 3.8 if r["main"] else 2.8
        parts = ['<g class="dtc-series">']
        run: list[tuple[float, float]] = []
        for i, value in enumerate([*r["scores"], None]):
            if value is not None:
                run.append((xs[i], ypos(value)))
                continue
            if len(run) > 1:
                points = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                parts.append(f'<polyline points="{points}" class="dtc-line dtc-line-{kind}"/>')
            run = []
        for i, value in enumerate(r["scores"]):
            if value is not None:
                parts.append(
                    f'<circle cx="{_n(xs[i])}" cy="{_n(ypos(value))}" r="{_n(radius)}" '
                    f'class="dtc-dot dtc-dot-{kind}"/>'
                )
        parts.append("</g>")
        body.append("".join(parts))
    # Labels: the score (right-aligned, so that the decimals line up), then the title lines.
    for r in order:
        base = r["top"] + line / 2 + size * 0.35
        body.append(
            _text(
                lx + score_w,
                base,
                r["score_text"],
                size,
                "dtc-value" if r["main"] else "dtc-score",
                "end",
            )
        )
        tx = lx + score_w + 5
        for k, text in enumerate(r["title"]):
            body.append(
                _text(tx, base + k * line, text, size, "dtc-label" if r["main"] else "dtc-text")
            )
        if r["note"]:
            body.append(
                _text(
                    tx + r["note_x"],
                    base + (len(r["title"]) - 1) * line,
                    r["note"],
                    note_size,
                    "dtc-muted",
                )
            )
    top = min(0.0, min(r["top"] for r in rows) - 2)
    bottom = max(plot_bottom + 22, max(r["top"] + r["height"] for r in rows) + 2)
    return _svg("trend", width, top, bottom - top, str(labels.get("trend", "")), body, palette)


def _number(value: Any) -> float | None:
    """A score as a float, or None for a missing one (None, NaN, not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
