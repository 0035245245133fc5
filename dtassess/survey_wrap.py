"""Line breaking for the full-screen survey's Chinese text.

The terminal's own wrapping folds text without spaces at any character, so a line could start
with "，" or "）" and end with "（", which Chinese typesetting never does. `Wrapped` is a rich
renderable that breaks lines by cell width with those rules (kinsoku): a closing mark or comma
stays with the character before it, an opening mark with the one after it. Words of Latin
letters and digits break only at spaces, as before; a word wider than the line is folded.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

# Never at the start of a line: closing brackets and quotes, commas, stops, colons, ...
NO_START = frozenset("，。、；：？！）》」』】〕〉〗｝”’％…·—～,.;:?!)]}%")
# Never at the end of a line: opening brackets and quotes.
NO_END = frozenset("（《「『【〔〈〖｛“‘([{")

Span = tuple[int, int]


def _tokens(text: str) -> Iterator[tuple[int, int, bool]]:
    """(start, end, is_space): a run of spaces, a run of narrow non-space characters (a word),
    or one wide character (a Han character, a full-width mark), which may break on either
    side."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            j = i + 1
            while j < n and text[j].isspace():
                j += 1
            yield i, j, True
        elif cell_len(ch) > 1 or ch in NO_START or ch in NO_END:
            j = i + 1
            yield i, j, False
        else:
            j = i + 1
            while j < n and not text[j].isspace() and cell_len(text[j]) == 1:
                if text[j] in NO_END:  # "(" opens a new unit: it may break before it
                    break
                j += 1
            yield i, j, False
        i = j


def _units(text: str) -> list[tuple[int, int, bool]]:
    """The tokens joined where no line may break: a NO_START mark onto what precedes it, what
    follows a NO_END mark onto it."""
    units: list[tuple[int, int, bool]] = []
    glue_next = False
    for start, end, space in _tokens(text):
        piece = text[start:end]
        if not space and units and not units[-1][2] and (glue_next or piece in NO_START):
            units[-1] = (units[-1][0], end, False)
        else:
            units.append((start, end, space))
        glue_next = not space and piece in NO_END
    return units


def line_spans(text: str, width: int) -> list[Span]:
    """Where each line of one paragraph starts and ends, no line wider than `width` cells
    (unless a single character is), none starting or ending with a space."""
    width = max(width, 2)
    lines: list[Span] = []
    start: int | None = None
    end = 0
    used = 0
    for s, e, space in _units(text):
        if space:
            continue
        w = cell_len(text[s:e])
        gap = cell_len(text[end:s]) if start is not None else 0
        if start is not None and used + gap + w <= width:
            end, used = e, used + gap + w
            continue
        if start is not None:
            lines.append((start, end))
            start = None
        if w <= width:
            start, end, used = s, e, w
            continue
        # a unit wider than the line (a long word, a run of glued marks): folded by cells
        i = s
        while i < e:
            j, cells = i, 0
            while j < e and (cells + cell_len(text[j]) <= width or j == i):
                cells += cell_len(text[j])
                j += 1
            if j < e:
                lines.append((i, j))
            else:
                start, end, used = i, j, cells
            i = j
    if start is not None:
        lines.append((start, end))
    return lines or [(0, 0)]


class Wrapped:
    """A rich Text broken into lines with Chinese line-breaking rules at the width given."""

    def __init__(self, text: Text | str, style: str = "") -> None:
        self.text = text if isinstance(text, Text) else Text(text, style=style)

    def _lines(self, width: int) -> list[Text]:
        out: list[Text] = []
        for paragraph in self.text.split("\n", allow_blank=True):
            plain = paragraph.plain
            out.extend(paragraph[s:e] for s, e in line_spans(plain, width))
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = self._lines(options.max_width)
        for line in lines:
            line.no_wrap = True
            line.overflow = "fold"
            line.end = "\n"
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        plain = self.text.plain
        widest = max((cell_len(p) for p in plain.split("\n")), default=0)
        units = [cell_len(plain[s:e]) for s, e, space in _units(plain) if not space]
        least = min(max(units, default=1), 12)  # a long word may fold rather than widen
        return Measurement(least, max(widest, least)).clamp(max_width=options.max_width)
