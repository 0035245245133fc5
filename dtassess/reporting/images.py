"""The report's charts as PNG pictures, for the Word report and for slides.

A chart is drawn once, as SVG (`charts`); a picture of it is that SVG rendered, not a second
drawing. WeasyPrint, which renders the PDF, lays every chart out on a page of the chart's own
size (its viewBox in CSS pixels), in one document, so that the text is shaped and set in the
same fonts as in the PDF (Chinese through fontconfig's CJK fonts, not a font of our own
choosing); poppler's `pdftoppm` (Debian's poppler-utils, which `scripts/dev` installs) turns
each page into a PNG at twice the chart's size. Both are deterministic: the same SVG gives the
same PNG bytes.

Why not a library that rasterises SVG directly: cairosvg would be a new dependency needing
the system's cairo, and sets text with cairo's "toy" font API, which does not fall back to a
CJK font for Chinese; WeasyPrint dropped its own PNG output (version 53).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import DtassessError, Problem, shorten

__all__ = ["DPI", "Chart", "logo_picture", "rasterise", "svg_description", "svg_size"]

#: Twice CSS's 96 pixels per inch: a chart of 640 units becomes a picture 1280 pixels wide,
#: sharp on a slide and in print at the Word page's width.
DPI = 192

_CODE_NO_RASTER = "P004"
_VIEWBOX = re.compile(r'<svg\b[^>]*?\bviewBox="([^"]*)"')
_LABEL = re.compile(r'<svg\b[^>]*?\baria-label="([^"]*)"')
_PAGE_LIMIT = 64  # charts per rendering (a report has a handful; the rest wait for the next)


@dataclass(frozen=True)
class Chart:
    """One chart of a report: a stable `id` (`radar`, `bars-strategy`), its caption, its SVG
    and (once rasterised) its PNG."""

    id: str
    title: str
    svg: str
    png: bytes = b""


def svg_size(svg: str) -> tuple[float, float]:
    """The chart's width and height in CSS pixels, from its viewBox (the charts carry no
    width or height: they scale to their container)."""
    found = _VIEWBOX.search(svg)
    if found is None:
        raise ValueError("a chart without a viewBox")
    _, _, width, height = (float(part) for part in found.group(1).replace(",", " ").split())
    if not (width > 0 and height > 0):
        raise ValueError(f"a chart of size {width} x {height}")
    return width, height


def svg_description(svg: str) -> str:
    """The chart's accessible name and what it shows in numbers (its aria-label), or ""."""
    found = _LABEL.search(svg)
    return html.unescape(found.group(1)) if found else ""


def _page_html(svgs: Sequence[str]) -> str:
    """One page per chart, each exactly the chart's size."""
    styles, bodies = ["html, body { margin: 0; padding: 0; background: #fff }"], []
    for i, svg in enumerate(svgs):
        width, height = svg_size(svg)
        size = f"width: {width:.2f}px; height: {height:.2f}px"
        styles.append(
            f"@page c{i} {{ size: {width:.2f}px {height:.2f}px; margin: 0 }} "
            f".c{i} {{ page: c{i}; {size}; break-before: page; overflow: hidden }} "
            f".c{i} > svg {{ display: block; {size} }}"
        )
        bodies.append(f'<div class="c{i}">{svg}</div>')
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        + "\n".join(styles)
        + "</style></head><body>"
        + "".join(bodies)
        + "</body></html>"
    )


def _pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        raise DtassessError(
            Problem(
                _CODE_NO_RASTER,
                "drawing the charts as PNG (for --format docx or --charts) needs poppler's "
                "pdftoppm; install it, e.g. on Debian or Ubuntu 'apt-get install poppler-utils', "
                "then run the command again",
            )
        )
    return found


def _pages_to_png(pdf: bytes, count: int) -> list[bytes]:
    tool = _pdftoppm()
    with tempfile.TemporaryDirectory(prefix="dtassess-charts-") as folder:
        source = Path(folder) / "charts.pdf"
        source.write_bytes(pdf)
        try:
            done = subprocess.run(
                [tool, "-png", "-r", str(DPI), str(source), str(Path(folder) / "c")],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise DtassessError(
                Problem(_CODE_NO_RASTER, f"pdftoppm could not draw the charts: {error}")
            ) from None
        # pdftoppm numbers its pages with as many digits as the last page needs.
        pages = sorted(Path(folder).glob("c-*.png"), key=lambda p: int(p.stem.rpartition("-")[2]))
        if done.returncode != 0 or len(pages) != count:
            raise DtassessError(
                Problem(
                    _CODE_NO_RASTER,
                    "pdftoppm could not draw the charts "
                    f"(exit {done.returncode}): {shorten(done.stderr.strip(), 200)}",
                )
            )
        return [page.read_bytes() for page in pages]


# PNGs of the charts drawn last in this process, by their SVG: `--format docx --charts` draws
# each chart once. Bounded: a run of many reports does not keep them all.
_DRAWN: dict[str, bytes] = {}
_DRAWN_LIMIT = 64


def rasterise(svgs: Sequence[str]) -> list[bytes]:
    """Each SVG chart as PNG bytes, in order (an empty SVG gives b"")."""
    missing = [svg for svg in dict.fromkeys(svgs) if svg and svg not in _DRAWN]
    if missing:
        drawn = _draw(missing)
        if len(_DRAWN) + len(drawn) > _DRAWN_LIMIT:
            _DRAWN.clear()
        _DRAWN.update(zip(missing, drawn, strict=True))
        found = dict(zip(missing, drawn, strict=True))
    else:
        found = {}
    return [found.get(svg) or _DRAWN.get(svg, b"") if svg else b"" for svg in svgs]


def _draw(drawn: Sequence[str]) -> list[bytes]:
    """PNGs of SVG charts (none empty), in order."""
    from weasyprint import HTML

    from .render import _HAN, _template_fetcher_class, check_cjk_font

    # As for the PDF: Chinese names in an English report's charts need a CJK font too.
    if any(_HAN.search(svg) for svg in drawn):
        check_cjk_font("zh")
    pictures: list[bytes] = []
    with tempfile.TemporaryDirectory(prefix="dtassess-empty-") as empty:
        # The charts refer to nothing; a fetcher serving an empty folder keeps it so.
        fetcher = _template_fetcher_class()(Path(empty))
        for start in range(0, len(drawn), _PAGE_LIMIT):
            batch = drawn[start : start + _PAGE_LIMIT]
            pdf = HTML(string=_page_html(batch), url_fetcher=fetcher).write_pdf()
            pictures.extend(_pages_to_png(pdf, len(batch)))
    return pictures


#: The logo's height on its picture, in CSS pixels (300 pixels at DPI): sharp at the 2 cm the
#: Word cover gives it.
_LOGO_HEIGHT = 150.0
_LOGO_LIMIT = 8 * 2**20
_PICTURES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF"}
_MAGIC = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff", "GIF": b"GIF8"}
_NUMBER = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:px)?\s*$")


def _logo_ratio(svg: str) -> float:
    """Width over height of an SVG logo: its viewBox, else its width and height, else 1."""
    try:
        width, height = svg_size(svg)
        return width / height
    except ValueError:
        pass
    tag = re.search(r"<svg\b[^>]*>", svg)
    sizes = []
    for name in ("width", "height"):
        found = tag and re.search(rf'\b{name}="([^"]*)"', tag.group(0))
        number = found and _NUMBER.match(found.group(1))
        sizes.append(float(number.group(1)) if number else 0.0)
    return sizes[0] / sizes[1] if sizes[0] > 0 and sizes[1] > 0 else 1.0


def logo_picture(folder: Path, logo: str | None) -> bytes | None:
    """The brand's logo as a picture Word shows: a PNG, JPEG or GIF as it is, an SVG drawn as
    PNG (as the PDF draws it: only files inside the template folder are read); None without a
    logo or for a file of another kind."""
    if not logo:
        return None
    from ..files import read_bytes
    from .render import _template_fetcher_class

    path = folder / str(logo)
    suffix = path.suffix.lower()
    if suffix in _PICTURES:
        data = read_bytes(path, _LOGO_LIMIT, "F005")
        if not data.startswith(_MAGIC[_PICTURES[suffix]]):
            raise DtassessError(
                Problem("F005", f"the logo is not a {_PICTURES[suffix]} picture", str(path))
            )
        return data
    if suffix != ".svg":
        return None
    from weasyprint import HTML

    text = read_bytes(path, _LOGO_LIMIT, "F005").decode("utf-8", "replace")
    height = _LOGO_HEIGHT
    width = round(height * min(max(_logo_ratio(text), 0.1), 10.0), 2)
    size = f"width: {width:.2f}px; height: {height:.2f}px"
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        f"@page {{ size: {width:.2f}px {height:.2f}px; margin: 0 }} "
        f"html, body {{ margin: 0; padding: 0 }} img {{ display: block; {size} }}"
        f'</style></head><body><img src="{html.escape(path.name)}" alt=""></body></html>'
    )
    fetcher = _template_fetcher_class()(folder)
    base = fetcher.root.as_uri().rstrip("/") + "/"
    pdf = HTML(string=page, base_url=base, url_fetcher=fetcher).write_pdf()
    return _pages_to_png(pdf, 1)[0]
