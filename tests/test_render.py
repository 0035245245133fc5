"""The PDF renderer: CJK text, no fetching outside the template root, byte-identical output,
embedded attachments, PDF/A and PDF/UA variants, and the self-contained HTML file.

Renders are kept few and small: without HarfBuzz's subsetter, WeasyPrint subsets the CJK font
with fontTools at about 1.5 s per font face, so only one test renders Chinese.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import socket
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader

from dtassess.errors import DtassessError, ExitCode
from dtassess.reporting import render

REPO = Path(__file__).resolve().parent.parent
CREATED = dt.date(2026, 3, 1)
SECRET = "outside-secret-7f3a"
SCORES = json.dumps({"overall": 2.4, "level": 2, "dimensions": {"strategy": 3.1}}).encode()

CSS = """\
@import "extra.css";
body { font-family: "DejaVu Sans", "Noto Sans CJK SC"; font-weight: normal; color: #1a1a1a; }
.banner { background: url(dot.png) no-repeat; }
h1 { font-weight: normal; font-size: 14pt; }
"""
EXTRA_CSS = ".extra-marker { color: #333333; }\n"
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
    '<rect width="8" height="8" fill="#2a6"/></svg>'
)


def _png() -> bytes:
    """A 1x1 red PNG, made here so that the tests need no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template root with a stylesheet, a PNG and an SVG; a secret file sits beside it, and a
    symlink inside points at the secret."""
    base = tmp_path_factory.mktemp("render")
    templates = base / "templates"
    templates.mkdir()
    (templates / "report.css").write_text(CSS, encoding="utf-8")
    (templates / "extra.css").write_text(EXTRA_CSS, encoding="utf-8")
    (templates / "dot.png").write_bytes(_png())
    (templates / "logo.svg").write_text(SVG, encoding="utf-8")
    (base / "secret.txt").write_text(SECRET, encoding="utf-8")
    (templates / "escape.png").symlink_to(base / "secret.txt")
    return templates


def _render(html: str, root: Path, **overrides) -> render.RenderedPDF:
    options = {
        "root": root,
        "lang": "en",
        "title": "Digital transformation roadmap",
        "author": "dtassess",
        "subject": "Maturity assessment",
        "created": CREATED,
    }
    options.update(overrides)
    return render.render_pdf(html, **options)


def _reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in _reader(data).pages)


def _xmp(data: bytes) -> str:
    return _reader(data).trailer["/Root"]["/Metadata"].get_object().get_data().decode()


def _image_count(data: bytes) -> int:
    reader = _reader(data)
    xobjects = reader.pages[0]["/Resources"].get("/XObject", {})
    return sum(1 for ref in xobjects.values() if ref.get_object().get("/Subtype") == "/Image")


ENGLISH = """\
<!doctype html>
<html lang="en">
<head><link rel="stylesheet" href="report.css"></head>
<body>
<h1>Maturity roadmap</h1>
<p class="banner">Overall level: Developing</p>
<img src="dot.png" alt="">
</body>
</html>
"""


@pytest.fixture(scope="module")
def english(root: Path) -> render.RenderedPDF:
    return _render(ENGLISH, root, attachments=[("scores.json", SCORES, "Scores")])


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every way out to the network records the attempt and fails; tests assert the list is
    empty. (Raising alone is not enough: WeasyPrint swallows fetch errors.)"""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


# --- import cost ------------------------------------------------------------------------------


@pytest.mark.slow
def test_importing_the_module_imports_neither_weasyprint_nor_pypdf():
    code = (
        "import sys, dtassess.reporting.render\n"
        "heavy = [m for m in ('weasyprint', 'pypdf') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


# --- Chinese ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_chinese_and_english_text_come_out_of_the_pdf(root: Path):
    html = """\
    <!doctype html>
    <html lang="zh">
    <head><link rel="stylesheet" href="report.css"></head>
    <body>
    <p>Digital transformation report</p>
    <p>战略与规划：初始级</p>
    </body>
    </html>
    """
    result = _render(textwrap.dedent(html), root, lang="zh", title="数字化转型评估报告")

    text = _text(result.data)
    assert "Digital transformation report" in text
    assert "战略与规划" in text
    assert "初始级" in text
    assert result.pages == 1
    assert result.refused == ()
    reader = _reader(result.data)
    assert reader.metadata.title == "数字化转型评估报告"
    assert reader.trailer["/Root"]["/Lang"] == "zh"


def test_a_cjk_font_is_installed_here():
    render.check_cjk_font("zh")
    assert any("CJK" in family for family in render.font_families_for_lang("zh-CN"))


def test_libfontconfig_answers_when_fc_list_is_missing(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    assert "Noto Sans CJK SC" in render.font_families_for_lang("zh")


@pytest.mark.parametrize("lang", ["zh", "zh-CN", "zh_TW", "zh-Hans", "ja"])
def test_missing_cjk_font_names_the_debian_package(monkeypatch: pytest.MonkeyPatch, lang: str):
    monkeypatch.setattr(render, "font_families_for_lang", lambda lang: [])
    with pytest.raises(DtassessError) as caught:
        render.check_cjk_font(lang)
    message = str(caught.value)
    assert "fonts-noto-cjk" in message
    assert "apt-get install fonts-noto-cjk" in message
    assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_other_languages_need_no_cjk_font(monkeypatch: pytest.MonkeyPatch):
    def fail(lang):
        raise AssertionError("asked fontconfig for a non-CJK language")

    monkeypatch.setattr(render, "font_families_for_lang", fail)
    render.check_cjk_font("en")
    render.check_cjk_font("en-GB")


def test_chinese_text_in_an_english_report_still_needs_the_font(
    monkeypatch: pytest.MonkeyPatch, root: Path
):
    monkeypatch.setattr(render, "font_families_for_lang", lambda lang: [])
    with pytest.raises(DtassessError, match="fonts-noto-cjk"):
        _render("<p>Organisation: 独山县人民政府</p>", root, lang="en")


# --- safety -----------------------------------------------------------------------------------

HOSTILE = """\
<!doctype html>
<html lang="en">
<head>
<link rel="stylesheet" href="report.css">
<link rel="stylesheet" href="http://example.invalid/x.css">
<link rel="attachment" href="file:///etc/passwd">
<style>
.remote { background: url(ftp://example.invalid/x.png); }
.up { background: url(../secret.txt); }
</style>
</head>
<body>
<p class="note">&lt;img src="file:///etc/passwd"&gt;</p>
<img src="file:///etc/passwd" alt="">
<img src="https://example.invalid/pixel.png" alt="">
<img src="dot.png" alt="">
<img src="escape.png" alt="">
<img src="../secret.txt" alt="">
<div class="remote">remote</div>
<div class="up">up</div>
</body>
</html>
"""


@pytest.mark.slow
def test_escaped_markup_stays_text_and_nothing_outside_root_is_fetched(
    root: Path, no_network: list
):
    result = _render(HOSTILE, root)

    text = _text(result.data)
    assert '<img src="file:///etc/passwd">' in text
    passwd_lines = [ln for ln in Path("/etc/passwd").read_text().splitlines() if ln.strip()]
    assert not any(line in text for line in passwd_lines)
    assert SECRET not in text
    assert render.read_attachment(result.data, "passwd") is None
    assert list(_reader(result.data).attachment_list) == []

    refused = set(result.refused)
    assert "file:///etc/passwd" in refused
    assert "http://example.invalid/x.css" in refused
    assert "https://example.invalid/pixel.png" in refused
    assert "ftp://example.invalid/x.png" in refused
    assert (root / "escape.png").as_uri() in refused
    assert (root.parent / "secret.txt").as_uri() in refused
    assert not any(url.endswith(("dot.png", "report.css")) for url in refused)
    assert _image_count(result.data) == 1  # dot.png, served from inside the root
    assert no_network == []


@pytest.mark.slow
def test_the_network_guard_would_catch_a_real_fetch(no_network: list):
    from weasyprint.urls import URLFetcher

    with pytest.raises(OSError):
        URLFetcher().fetch("http://example.invalid/x.css")
    assert no_network, "the guard did not see the attempt, so the tests above prove nothing"
    no_network.clear()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.invalid/x.css",
        "https://example.invalid/x.css",
        "ftp://example.invalid/x.png",
        "file://otherhost/etc/passwd",
        "gopher://example.invalid/",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_everything_but_root_and_data(root: Path, no_network: list, url: str):
    fetcher = render.TemplateFetcher(root)
    with pytest.raises(render.ResourceRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert no_network == []


@pytest.mark.parametrize(
    "suffix",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/escape.png",
        "/./../templates/../secret.txt",
        "/dot.png%00../../secret.txt",
    ],
)
def test_fetcher_refuses_escapes_from_root(root: Path, suffix: str):
    fetcher = render.TemplateFetcher(root)
    url = root.as_uri() + suffix
    with pytest.raises(render.ResourceRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_files_inside_root_and_data_uris(root: Path):
    from weasyprint.urls import URLFetcher

    fetcher = render.TemplateFetcher(root)
    assert isinstance(fetcher, URLFetcher)

    css = fetcher.fetch((root / "report.css").as_uri())
    assert css.content_type == "text/css"
    assert css.read() == CSS.encode()
    png = fetcher.fetch((root / "sub" / ".." / "dot.png").as_uri())
    assert png.content_type == "image/png"
    assert png.read() == _png()
    data = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert data.read() == b"hello"
    with pytest.raises(FileNotFoundError):
        fetcher.fetch((root / "missing.png").as_uri())
    assert fetcher.refused == []


# --- determinism and metadata -----------------------------------------------------------------


@pytest.mark.slow
def test_same_inputs_give_the_same_bytes_a_year_later(
    root: Path, english: render.RenderedPDF, monkeypatch: pytest.MonkeyPatch
):
    # fontTools (WeasyPrint's subsetter when HarfBuzz's is missing) stamps the clock into fonts.
    later = time.time() + 400 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    again = _render(ENGLISH, root, attachments=[("scores.json", SCORES, "Scores")])
    assert again.data == english.data
    assert "SOURCE_DATE_EPOCH" not in os.environ  # pinned only while rendering


def test_a_callers_source_date_epoch_is_restored(root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    _render("<p>x</p>", root)
    assert os.environ["SOURCE_DATE_EPOCH"] == "86400"


def test_missing_template_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(DtassessError, match="template folder not found"):
        _render("<p>x</p>", tmp_path / "nowhere")


def test_another_creation_date_changes_the_bytes(root: Path, english: render.RenderedPDF):
    later = _render(
        ENGLISH,
        root,
        attachments=[("scores.json", SCORES, "Scores")],
        created=dt.date(2027, 3, 1),
    )
    assert later.data != english.data
    assert _reader(later.data).metadata["/CreationDate"] == "D:20270301000000Z"


@pytest.mark.slow
def test_another_process_gives_the_same_bytes(root: Path, english: render.RenderedPDF):
    # A new interpreter with another hash seed: set ordering must not leak into the PDF.
    code = textwrap.dedent(
        f"""
        import datetime, hashlib, json, sys
        from pathlib import Path
        from dtassess.reporting.render import render_pdf
        result = render_pdf(
            {ENGLISH!r}, root=Path({str(root)!r}), lang="en",
            title="Digital transformation roadmap", author="dtassess",
            subject="Maturity assessment", created=datetime.date(2026, 3, 1),
            attachments=[("scores.json", {SCORES!r}, "Scores")],
        )
        sys.stdout.write(hashlib.sha256(result.data).hexdigest())
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout == hashlib.sha256(english.data).hexdigest()


def test_metadata_language_and_dates(english: render.RenderedPDF):
    reader = _reader(english.data)
    metadata = reader.metadata
    assert metadata.title == "Digital transformation roadmap"
    assert metadata.author == "dtassess"
    assert metadata.subject == "Maturity assessment"
    assert metadata["/CreationDate"] == "D:20260301000000Z"
    assert metadata["/ModDate"] == "D:20260301000000Z"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert english.pages == 1 == len(reader.pages)
    assert english.refused == ()


def test_pdf_identifier_comes_from_the_inputs(root: Path, english: render.RenderedPDF):
    first_id = _reader(english.data).trailer["/ID"][0]
    assert len(first_id) == 32
    retitled = _render(ENGLISH, root, attachments=[("scores.json", SCORES, "Scores")], title="X")
    assert _reader(retitled.data).trailer["/ID"][0] != first_id


def test_page_count_follows_the_content(root: Path):
    html = '<html lang="en"><body><p>one</p><p style="break-before: page">two</p></body></html>'
    assert _render(html, root).pages == 2


# --- attachments ------------------------------------------------------------------------------


def test_attachment_reads_back_from_bytes_and_from_a_file(
    english: render.RenderedPDF, tmp_path: Path
):
    assert render.read_attachment(english.data, "scores.json") == SCORES
    path = tmp_path / "report.pdf"
    path.write_bytes(english.data)
    assert json.loads(render.read_attachment(path, "scores.json")) == json.loads(SCORES)
    assert render.read_attachment(path, "other.json") is None


def test_pdf_without_attachments_gives_none(root: Path):
    result = _render("<p>no attachments</p>", root)
    assert render.read_attachment(result.data, "scores.json") is None


@pytest.mark.parametrize(
    "content",
    [b"this is not a pdf", b"", b"%PDF-1.7\n garbage without objects or trailer", b"\x89PNG\r\n"],
)
def test_garbage_is_a_clear_error_naming_the_file(tmp_path: Path, content: bytes):
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    with pytest.raises(DtassessError) as caught:
        render.read_attachment(path, "scores.json")
    assert str(path) in str(caught.value)
    assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_missing_pdf_is_a_clear_error_naming_the_file(tmp_path: Path):
    path = tmp_path / "absent.pdf"
    with pytest.raises(DtassessError, match=r"absent\.pdf"):
        render.read_attachment(path, "scores.json")


def test_attachment_names_must_be_unique(root: Path):
    with pytest.raises(ValueError, match="twice"):
        _render("<p>x</p>", root, attachments=[("a.json", b"1", ""), ("a.json", b"2", "")])


# --- variants ---------------------------------------------------------------------------------


def test_pdf_a_3b_carries_conformance_and_the_attachment(root: Path):
    result = _render(
        ENGLISH, root, attachments=[("scores.json", SCORES, "Scores")], variant="pdf/a-3b"
    )

    xmp = _xmp(result.data)
    assert 'pdfaid:part="3"' in xmp
    assert 'pdfaid:conformance="B"' in xmp
    catalog = _reader(result.data).trailer["/Root"]
    assert catalog["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert len(catalog["/AF"]) == 1  # WeasyPrint 70 alone lists it twice
    assert catalog["/AF"][0].get_object()["/AFRelationship"] == "/Data"
    assert render.read_attachment(result.data, "scores.json") == SCORES
    assert _reader(result.data).metadata.title == "Digital transformation roadmap"


def test_pdf_ua_1_is_tagged(root: Path):
    result = _render(ENGLISH, root, variant="pdf/ua-1")

    catalog = _reader(result.data).trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert 'pdfuaid:part="1"' in _xmp(result.data)


@pytest.mark.parametrize("variant", ["pdf/a-9z", "pdf/a3b", "pdf/x-4", "debug", ""])
def test_unknown_variant_is_refused_listing_the_allowed_ones(root: Path, variant: str):
    with pytest.raises(DtassessError) as caught:
        _render("<p>x</p>", root, variant=variant)
    message = str(caught.value)
    assert "pdf/a-3b" in message and "pdf/ua-1" in message
    assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_near_miss_variant_gets_a_suggestion(root: Path):
    with pytest.raises(DtassessError, match="did you mean 'pdf/a-3b'"):
        _render("<p>x</p>", root, variant="pdf/a3b")


def test_variant_names_ignore_case(root: Path):
    result = _render("<p>x</p>", root, variant=" PDF/UA-1 ")
    assert 'pdfuaid:part="1"' in _xmp(result.data)


def test_variant_that_would_drop_attachments_is_refused(root: Path):
    with pytest.raises(DtassessError, match="pdf/a-3b"):
        _render("<p>x</p>", root, attachments=[("scores.json", SCORES, "")], variant="pdf/a-2b")


def test_every_allowed_variant_exists_in_weasyprint():
    from weasyprint.pdf import VARIANTS

    assert set(render.PDF_VARIANTS) <= set(VARIANTS)


# --- one self-contained HTML file -------------------------------------------------------------


def test_html_file_inlines_stylesheets_and_images_and_drops_the_outside(
    root: Path, tmp_path: Path, no_network: list, caplog: pytest.LogCaptureFixture
):
    html = """\
    <!doctype html>
    <html lang="en">
    <head>
    <base href="http://example.invalid/">
    <link rel="stylesheet" href="report.css" media="print">
    <link rel="stylesheet" href="http://example.invalid/x.css">
    <link rel="icon" href="dot.png">
    <style>
    .logo { background-image: url("logo.svg"); }
    .bad { background: url(../secret.txt) }
    </style>
    </head>
    <body>
    <p class="note">&lt;img src="file:///etc/passwd"&gt; &amp; more</p>
    <img src="dot.png" alt="dot">
    <img src="logo.svg" alt="logo" srcset="dot.png 2x">
    <img src="../secret.txt" alt="escape">
    <img src="file:///etc/passwd" alt="passwd">
    <div style="background: url(ftp://example.invalid/x.png)">text</div>
    <a href="https://example.org/help">help</a>
    <svg width="4" height="4"><rect width="4" height="4"/></svg>
    </body>
    </html>
    """
    refused: list[str] = []
    out = render.render_html_file(textwrap.dedent(html), root=root, refused=refused)

    assert "<link" not in out.replace('<link rel="icon"', "")
    assert '<style media="print">' in out
    assert "font-family" in out and ".extra-marker" in out  # report.css and its @import
    assert "url(dot.png)" not in out
    assert out.count("data:image/png;base64,") == 3  # <img>, the CSS background, the icon
    assert out.count("data:image/svg+xml;base64,") == 2  # <img> and url("logo.svg")
    assert SECRET not in out and "c2VjcmV0" not in out
    assert "<base" not in out and "srcset" not in out
    assert "example.invalid" not in out and "../secret.txt" not in out
    assert "url(ftp" not in out and "background: none" in out
    assert '&lt;img src="file:///etc/passwd"&gt; &amp; more' in out
    assert '<a href="https://example.org/help">' in out
    assert '<svg width="4" height="4"><rect width="4" height="4"/></svg>' in out
    assert {
        "http://example.invalid/x.css",
        "../secret.txt",
        "file:///etc/passwd",
        "ftp://example.invalid/x.png",
    } <= set(refused)

    # Self-contained: rendered from an empty root, nothing is missing or refused.
    empty = tmp_path / "empty"
    empty.mkdir()
    caplog.clear()
    result = _render(out, empty)
    assert result.refused == ()
    assert _image_count(result.data) == 1  # the PNG; WeasyPrint draws the SVG as vectors
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []
    assert no_network == []


def test_html_file_guards_a_closing_style_tag_inside_css(tmp_path: Path):
    (tmp_path / "odd.css").write_text("/* </style><script>x()</script> */ p { color: red }")
    out = render.render_html_file('<link rel="stylesheet" href="odd.css"><p>x</p>', root=tmp_path)
    assert "</style><script>" not in out
    assert out.count("</style>") == 1


def test_html_file_leaves_plain_html_alone(root: Path):
    html = (
        '<!doctype html>\n<html lang="zh"><body>'
        '<p title="a &amp; b">战略 &lt;x&gt;<br/></p><!-- note --></body></html>'
    )
    assert render.render_html_file(html, root=root) == html
