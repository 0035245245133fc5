"""Text for the charts: estimated label widths in the document's CJK font, wrapping and
cutting labels to a width, number formatting and XML escaping. Pure functions, no markup."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

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
