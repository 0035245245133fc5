"""HTML to PDF (and to one self-contained HTML file), safely and reproducibly.

The report templates produce a finished HTML string; this module is the only place that turns it
into a PDF. Three promises hold here, whatever the HTML says:

- Nothing is fetched from the network and no file outside the template root is read: every
  resource goes through `TemplateFetcher`, which serves only files inside the root and `data:`
  URIs, and records what it refused.
- The same inputs give the same bytes: dates come from the caller, the PDF identifier from a
  hash of the inputs, and font subsetting is pinned to the same date.
- Chinese never renders as boxes: rendering Chinese without a CJK font installed is an error
  that names the Debian package to install.

WeasyPrint and pypdf are imported inside the functions that need them, so that importing this
module (as `dtassess --help` does through the CLI) stays cheap.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import logging
import mimetypes
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit
from urllib.request import DataHandler, Request, url2pathname

from dtassess.errors import DtassessError, ExitCode, Problem, did_you_mean, shorten

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class TemplateFetcher(URLFetcher):
        root: Path
        refused: list[str]

        def __init__(self, root: Path) -> None: ...


__all__ = [
    "PDF_VARIANTS",
    "RenderedPDF",
    "TemplateFetcher",
    "check_cjk_font",
    "font_families_for_lang",
    "read_attachment",
    "render_html_file",
    "render_pdf",
]

LOGGER = logging.getLogger(__name__)

_CODE_NO_FONT = "P001"
_CODE_BAD_VARIANT = "P002"
_CODE_VARIANT_ATTACHMENTS = "P003"
_CODE_BAD_PDF = "F001"

#: The PDF variants render_pdf accepts: WeasyPrint's PDF/A and PDF/UA variants. PDF/X is left out
#: because WeasyPrint stamps a random document id into its XMP (x-4, x-5g) and the current time
#: when no date is given, and because it needs a CMYK output intent the templates do not have.
PDF_VARIANTS: tuple[str, ...] = (
    "pdf/a-1a",
    "pdf/a-1b",
    "pdf/a-2a",
    "pdf/a-2b",
    "pdf/a-2u",
    "pdf/a-3a",
    "pdf/a-3b",
    "pdf/a-3u",
    "pdf/a-4e",
    "pdf/a-4f",
    "pdf/a-4u",
    "pdf/ua-1",
    "pdf/ua-2",
)

# WeasyPrint drops every attachment in PDF/A-1 and every non-PDF one in PDF/A-2 (pdf/pdfa.py);
# the report's embedded scores would silently vanish.
_VARIANTS_WITHOUT_ATTACHMENTS = ("pdf/a-1", "pdf/a-2")

_CJK_PACKAGE = "fonts-noto-cjk"
_LANGUAGE_NAMES = {"zh": "Chinese", "ja": "Japanese", "ko": "Korean"}
# Han ideographs (basic block, extension A, compatibility) and CJK punctuation: text that needs a
# CJK font whatever the document's declared language.
_HAN = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


# --- fonts ------------------------------------------------------------------------------------


def _fontconfig_lang(lang: str) -> str | None:
    """The fontconfig language for a CJK BCP 47 tag, or None for a language needing no check."""
    tag = lang.strip().lower().replace("_", "-")
    primary, _, rest = tag.partition("-")
    if primary == "zh":
        if "hant" in rest or "tw" in rest:
            return "zh-tw"
        if "hk" in rest:
            return "zh-hk"
        if "mo" in rest:
            return "zh-mo"
        return "zh-cn"
    if primary in ("ja", "ko"):
        return primary
    return None


def _families_from_fc_list(fc_lang: str) -> list[str] | None:
    """Families fontconfig's fc-list reports for a language; None when fc-list is not there."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        result = subprocess.run(
            [fc_list, f":lang={fc_lang}", "family"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    families = {part.strip() for line in result.stdout.splitlines() for part in line.split(",")}
    return sorted(f for f in families if f)


def _families_from_libfontconfig(fc_lang: str) -> list[str] | None:
    """The same query as fc-list, made in-process through the libfontconfig WeasyPrint loads.

    For machines with the library but without the `fontconfig` package's binaries. WeasyPrint's
    own cffi binding lacks FcFontList, hence a small binding of our own.
    """
    try:
        import cffi
    except ImportError:
        return None
    ffi = cffi.FFI()
    ffi.cdef(
        """
        typedef struct _FcPattern FcPattern;
        typedef struct _FcObjectSet FcObjectSet;
        typedef struct _FcConfig FcConfig;
        typedef struct { int nfont; int sfont; FcPattern **fonts; } FcFontSet;
        FcPattern *FcNameParse(const unsigned char *name);
        FcObjectSet *FcObjectSetBuild(const char *first, ...);
        FcFontSet *FcFontList(FcConfig *config, FcPattern *p, FcObjectSet *os);
        int FcPatternGetString(FcPattern *p, const char *object, int n, unsigned char **s);
        void FcFontSetDestroy(FcFontSet *s);
        void FcPatternDestroy(FcPattern *p);
        void FcObjectSetDestroy(FcObjectSet *os);
        """
    )
    lib = None
    for name in ("fontconfig", "libfontconfig.so.1", "libfontconfig-1", "libfontconfig.1.dylib"):
        try:
            lib = ffi.dlopen(name)
            break
        except OSError:
            continue
    if lib is None:
        return None
    pattern = lib.FcNameParse(f":lang={fc_lang}".encode())
    objects = lib.FcObjectSetBuild(b"family", ffi.cast("char *", 0))
    font_set = lib.FcFontList(ffi.NULL, pattern, objects)
    families: set[str] = set()
    try:
        if font_set != ffi.NULL:
            value = ffi.new("unsigned char **")
            for i in range(font_set.nfont):
                n = 0
                while lib.FcPatternGetString(font_set.fonts[i], b"family", n, value) == 0:
                    families.add(ffi.string(value[0]).decode("utf-8", "replace"))
                    n += 1
    finally:
        if font_set != ffi.NULL:
            lib.FcFontSetDestroy(font_set)
        lib.FcObjectSetDestroy(objects)
        lib.FcPatternDestroy(pattern)
    return sorted(families)


def font_families_for_lang(lang: str) -> list[str]:
    """Installed font families that cover `lang`, as fontconfig (which WeasyPrint uses) sees it.

    Asks `fc-list :lang=...`, else libfontconfig directly; an empty list when neither answers or
    no font covers the language. Only CJK languages are asked about; for any other language the
    answer is an empty list. Tests monkeypatch this function to simulate a machine without fonts.
    """
    fc_lang = _fontconfig_lang(lang)
    if fc_lang is None:
        return []
    families = _families_from_fc_list(fc_lang)
    if families is None:
        families = _families_from_libfontconfig(fc_lang)
    return families or []


def check_cjk_font(lang: str) -> None:
    """Raise DtassessError unless a font covering `lang` is installed, for Chinese (zh, zh-*),
    Japanese and Korean; any other language passes without a check.

    Without such a font WeasyPrint draws boxes and the PDF's text cannot be extracted, so a report
    is refused rather than produced broken. The message names Debian's fonts-noto-cjk.
    """
    if _fontconfig_lang(lang) is None:
        return
    if font_families_for_lang(lang):
        return
    language = _LANGUAGE_NAMES.get(lang.strip().lower()[:2], lang)
    raise DtassessError(
        Problem(
            _CODE_NO_FONT,
            f"no installed font covers {language} ({lang}), so the report would show boxes "
            f"instead of characters; install one, e.g. on Debian or Ubuntu "
            f"'apt-get install {_CJK_PACKAGE}' (Noto Sans CJK / Noto Serif CJK), "
            f"then run the command again",
        )
    )


# --- resources --------------------------------------------------------------------------------


def _path_inside(root: Path, url: str) -> Path | None:
    """The file a file: URL names, resolved (symlinks and ../ followed), if it lies inside
    `root` (itself resolved); None for any other URL or any path outside."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(url2pathname(parts.path))
    if not path.is_absolute():
        return None
    try:
        resolved = path.resolve()
    except (OSError, ValueError):  # a symlink loop, a NUL byte from %00
        return None
    if resolved != root and not resolved.is_relative_to(root):
        return None
    return resolved


def _mime_type(path: Path) -> str:
    mime, _ = mimetypes.guess_type(path.name, strict=False)
    if mime is None and path.suffix.lower() == ".svg":
        mime = "image/svg+xml"
    return mime or "application/octet-stream"


def _dir_url(directory: Path) -> str:
    return directory.as_uri().rstrip("/") + "/"


class ResourceRefused(ValueError):
    """A resource the template root policy does not allow; WeasyPrint logs it and goes on."""


_FETCHER_CLASS: type | None = None


def __getattr__(name: str) -> Any:
    # TemplateFetcher subclasses WeasyPrint's URLFetcher, so it is built on first access:
    # importing this module must not import WeasyPrint (the CLI's --help imports it).
    if name == "TemplateFetcher":
        return _template_fetcher_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _template_fetcher_class() -> type:
    global _FETCHER_CLASS
    if _FETCHER_CLASS is not None:
        return _FETCHER_CLASS
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class _TemplateFetcher(URLFetcher):
        """A WeasyPrint URL fetcher serving only files inside `root` and `data:` URIs.

        Every other URL (http, https, ftp, file: outside the root through ../ or a symlink,
        anything else) is refused before any I/O: `fetch` raises `ResourceRefused`, which
        WeasyPrint logs and skips, and the URL is appended to `.refused`. A missing file inside
        the root raises FileNotFoundError and is not counted as refused.
        """

        def __init__(self, root: Path) -> None:
            # allowed_protocols is a second lock: URLFetcher.fetch, were it ever reached,
            # would refuse every other scheme too.
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
            self.root = Path(root).resolve()
            self.refused: list[str] = []

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            scheme = url.partition(":")[0].lower()
            if scheme == "data":
                try:
                    response = DataHandler().data_open(Request(url))
                except Exception as error:
                    raise ValueError(f"malformed data: URI ({error})") from error
                content_type = response.headers.get("Content-type", "text/plain")
                return URLFetcherResponse(
                    url, body=response.read(), headers={"Content-Type": content_type}
                )
            path = _path_inside(self.root, url)
            if path is None:
                self.refused.append(url)
                LOGGER.debug("refused %s: outside the template root %s", url, self.root)
                raise ResourceRefused(f"refused {url}: only files inside {self.root} are served")
            if not path.is_file():
                raise FileNotFoundError(f"no file {path}")
            return URLFetcherResponse(
                path.as_uri(),
                body=path.read_bytes(),
                headers={"Content-Type": _mime_type(path)},
            )

    _TemplateFetcher.__name__ = _TemplateFetcher.__qualname__ = "TemplateFetcher"
    _TemplateFetcher.__module__ = __name__
    _FETCHER_CLASS = _TemplateFetcher
    return _FETCHER_CLASS


# --- PDF --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedPDF:
    """What render_pdf made: the PDF bytes, its page count, and the URLs its fetcher refused
    (in the order met; a report template should leave this empty)."""

    data: bytes
    pages: int
    refused: tuple[str, ...] = ()


def _as_utc_datetime(created: dt.date) -> dt.datetime:
    """Midnight UTC of a date; a datetime is taken as UTC when naive, converted when aware."""
    if isinstance(created, dt.datetime):
        if created.tzinfo is not None:
            created = created.astimezone(dt.UTC).replace(tzinfo=None)
        return created.replace(microsecond=0)
    return dt.datetime(created.year, created.month, created.day)


@contextlib.contextmanager
def _source_date_epoch(moment: dt.datetime) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH while WeasyPrint writes the PDF.

    When HarfBuzz's subsetter is missing, WeasyPrint subsets fonts with fontTools, which stamps
    the current time into each font's `head` table unless SOURCE_DATE_EPOCH is set. Process-wide:
    concurrent renders in threads of one process would see each other's value (still a fixed
    date, but maybe not their own).
    """
    key = "SOURCE_DATE_EPOCH"
    previous = os.environ.get(key)
    os.environ[key] = str(int(moment.replace(tzinfo=dt.UTC).timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = previous


def _identifier(
    html: str, fields: dict[str, Any], attachments: Sequence[tuple[str, bytes, str]]
) -> bytes:
    """The PDF's permanent /ID: a hash of everything the caller gave, never time or chance."""
    digest = hashlib.sha256(b"dtassess-render-1\0")
    digest.update(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode())
    digest.update(b"\0")
    digest.update(html.encode("utf-8", "surrogatepass"))
    for name, data, description in attachments:
        digest.update(b"\0")
        digest.update(json.dumps([name, description], ensure_ascii=False).encode())
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()[:32].encode("ascii")


def _dedupe_associated_files(document: Any, pdf: Any) -> None:
    """Keep one /AF entry per attached file.

    WeasyPrint 70 lists every PDF/A-3 attachment twice in the catalog's /AF array
    (Kozea/WeasyPrint#2917, fixed after 70.0 by #2920); validators count the duplicate.
    """
    associated = pdf.catalog.get("AF")
    if associated:
        associated[:] = list(dict.fromkeys(associated))


def _scope_table_headers(pdf: Any) -> None:
    """Give every tagged table header cell a /Scope (PDF/UA, ISO 14289-1 7.5).

    WeasyPrint 70 tags <th> as /TH and links data cells to them, but writes no /Scope. The
    templates put column headers in <thead> and row headers (scope="row") in the body, so a
    /TH whose row sits in a /THead is a column header and any other a row header.
    """
    import pydyf

    structure = {
        obj.reference: obj
        for obj in pdf.objects
        if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/StructElem"
    }
    for element in structure.values():
        if element.get("S") != "/TH":
            continue
        row = structure.get(element.get("P"))
        group = structure.get(row.get("P")) if row is not None else None
        in_head = group is not None and group.get("S") == "/THead"
        attributes = element.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
        attributes["Scope"] = "/Column" if in_head else "/Row"


def _finish_pdf(document: Any, pdf: Any) -> None:
    _dedupe_associated_files(document, pdf)
    _scope_table_headers(pdf)


def _check_variant(variant: str | None, attachments: Sequence[tuple[str, bytes, str]]) -> None:
    if variant is None:
        return
    if variant not in PDF_VARIANTS:
        raise DtassessError(
            Problem(
                _CODE_BAD_VARIANT,
                f"unknown PDF variant '{variant}'{did_you_mean(variant, PDF_VARIANTS)}; "
                f"allowed: {', '.join(PDF_VARIANTS)}",
            ),
            ExitCode.BAD_INPUT,
        )
    if attachments and variant.startswith(_VARIANTS_WITHOUT_ATTACHMENTS):
        raise DtassessError(
            Problem(
                _CODE_VARIANT_ATTACHMENTS,
                f"PDF variant '{variant}' cannot carry file attachments, and the report embeds "
                f"{', '.join(name for name, _, _ in attachments)}; use pdf/a-3b (or pdf/a-3u, "
                f"pdf/a-4f) instead",
            ),
            ExitCode.BAD_INPUT,
        )


def _check_attachments(attachments: Sequence[tuple[str, bytes, str]]) -> None:
    seen: set[str] = set()
    for entry in attachments:
        name, data, _description = entry
        if not name or not isinstance(data, bytes | bytearray):
            raise ValueError(f"attachment {entry[:1]!r}: needs a name and bytes")
        if name in seen:
            # Two entries of one name in the PDF's name tree: readers would pick either.
            raise ValueError(f"attachment {name!r} given twice")
        seen.add(name)


def render_pdf(
    html: str,
    *,
    root: Path,
    lang: str,
    title: str,
    author: str,
    subject: str | None,
    created: dt.date,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    variant: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> RenderedPDF:
    """Render a finished HTML string to PDF; returns RenderedPDF(data, pages, refused).

    `on_stage(name)`, when given, is called as each stage ends — "checks", "parse", "layout",
    "write" — so that benchmarks can time WeasyPrint's parts without copying this function.

    - Relative URLs resolve against `root` (the template folder); every resource is loaded by a
      `TemplateFetcher(root)`: files inside root and data: URIs only, never the network.
    - Metadata: /Title, /Author, /Subject (when given) in the document information and the XMP
      of variants, /Lang in the catalog; `lang` also becomes the <html lang> when the HTML has
      none, so that CJK text picks the right regional glyphs. PDF/A-4 variants keep these in XMP
      only (WeasyPrint empties the information dictionary for them).
    - Reproducible: creation and modification dates (of the document and of its attachments)
      are `created` (a date means midnight UTC; a naive datetime is taken as UTC), and the
      trailer /ID is derived from a hash of html, metadata, variant and attachments.
    - attachments: (filename, bytes, description) triples, embedded as PDF file attachments
      (relationship "Data" in PDF/A-3); read them back with `read_attachment`.
    - variant: None or one of PDF_VARIANTS ("pdf/a-3b", "pdf/ua-1", ...; case and surrounding
      blanks ignored); PDF/UA and the
      PDF/A "a" levels are tagged. A name not in the list, or a PDF/A-1/-2 variant with
      attachments (WeasyPrint would drop them), is a DtassessError with exit code 2.
    - Chinese (lang zh*, or Han characters anywhere in the html) without a CJK font installed is
      a DtassessError naming fonts-noto-cjk (see check_cjk_font); so is a missing `root`.
    - Attachments without a name or bytes, or two of one name, are a ValueError (a caller's bug).
    """
    if variant is not None:
        variant = variant.strip().lower()
    _check_variant(variant, attachments)
    _check_attachments(attachments)
    check_cjk_font(lang)
    if _fontconfig_lang(lang) is None and _HAN.search(html):
        check_cjk_font("zh")

    from weasyprint import HTML, Attachment

    moment = _as_utc_datetime(created)
    w3c_date = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    fetcher = _template_fetcher_class()(root)
    if not fetcher.root.is_dir():
        raise DtassessError(Problem("F004", "template folder not found", str(root)))
    # The trailing slash makes relative URLs resolve inside the folder, not beside it.
    base_url = fetcher.root.as_uri().rstrip("/") + "/"
    stage = on_stage or (lambda name: None)
    stage("checks")
    document_html = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    if not document_html.etree_element.get("lang"):
        document_html.etree_element.set("lang", lang)
    stage("parse")
    document = document_html.render()
    stage("layout")

    metadata = document.metadata
    metadata.title = title
    metadata.authors = [author]
    metadata.description = subject
    metadata.lang = lang
    metadata.created = metadata.modified = w3c_date
    # <link rel=attachment> in the HTML makes attachments stamped with the current time.
    for html_attachment in metadata.attachments:
        html_attachment.created = html_attachment.modified = moment

    fields = {
        "lang": lang,
        "title": title,
        "author": author,
        "subject": subject,
        "created": w3c_date,
        "variant": variant,
    }
    # Attachment objects wrap a one-shot context manager: new ones for every write.
    pdf_attachments = [
        Attachment(
            string=bytes(data),
            name=name,
            description=description,
            created=moment,
            modified=moment,
            relationship="Data",
        )
        for name, data, description in attachments
    ]
    with _source_date_epoch(moment):
        data = document.write_pdf(
            pdf_variant=variant,
            pdf_identifier=_identifier(html, fields, attachments),
            attachments=pdf_attachments,
            finisher=_finish_pdf,
        )
    rendered = RenderedPDF(data=data, pages=len(document.pages), refused=tuple(fetcher.refused))
    stage("write")
    return rendered


# --- attachments back -------------------------------------------------------------------------


#: The largest PDF `read_attachment` reads from a file: a report is a few MB.
PDF_LIMIT = 256 * 2**20


def read_attachment(pdf: Path | bytes, name: str) -> bytes | None:
    """The content of the file attachment `name` embedded in a PDF, or None when there is none.

    `pdf` is a path or the PDF's bytes. A file that is not a regular file or is larger than
    PDF_LIMIT, is unreadable, is not a PDF, is broken or is encrypted is a DtassessError naming
    the path (exit code 2). The attachment's name is only compared, never opened.
    """
    import io

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError

    from ..files import read_bytes

    where = str(pdf) if isinstance(pdf, Path) else ""
    data = read_bytes(pdf, PDF_LIMIT) if isinstance(pdf, Path) else bytes(pdf)
    if not data.lstrip()[:5] == b"%PDF-":
        raise DtassessError(Problem(_CODE_BAD_PDF, "not a PDF file (no %PDF- header)", where))
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # its repairs of a damaged file are not the user's news
    try:
        reader = PdfReader(io.BytesIO(data))
        for entry in reader.attachment_list:
            if entry.name == name or entry.alternative_name == name:
                return entry.content
    except LimitReachedError:
        raise DtassessError(
            Problem(
                "F010",
                f"{name} in this PDF inflates to more than dtassess reads (a compression bomb?)",
                where,
            )
        ) from None
    except FileNotDecryptedError:
        raise DtassessError(
            Problem(
                _CODE_BAD_PDF,
                "the PDF is encrypted with a password: dtassess reads its results only from "
                "reports as it wrote them (unencrypted)",
                where,
            )
        ) from None
    # pypdf raises many exception types on damaged files (RecursionError on deep nesting too);
    # each means "broken PDF" here.
    except Exception as error:
        raise DtassessError(
            Problem(
                _CODE_BAD_PDF,
                f"broken PDF, cannot read its attachments: {shorten(str(error), 200)}",
                where,
            )
        ) from None
    finally:
        pypdf_log.setLevel(level)
    return None


# --- one self-contained HTML file -------------------------------------------------------------

_CSS_URL = re.compile(
    r"""url\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|([^)"'\s]*))\s*\)""",
    re.IGNORECASE,
)
_CSS_IMPORT = re.compile(
    r"""@import\s+(?:url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)|"([^"]*)"|'([^']*)')"""
    r"""\s*([^;]*);""",
    re.IGNORECASE,
)
# Elements and attributes that load a resource (as opposed to links one follows).
_RESOURCE_ATTRIBUTES = {
    "img": ("src",),
    "image": ("href", "xlink:href"),
    "feimage": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
    "source": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "track": ("src",),
    "input": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "iframe": ("src",),
    "script": ("src",),
}
_RESOURCE_LINK_TYPES = {"icon", "apple-touch-icon", "attachment", "preload", "prefetch", "manifest"}
_MAX_IMPORT_DEPTH = 8


class _Inliner(HTMLParser):
    """Rewrites HTML as it parses: what loads a resource gets the resource inline (or loses the
    reference); everything else is written back as it came."""

    def __init__(self, root: Path, refused: list[str]) -> None:
        super().__init__(convert_charrefs=False)
        self.root = root
        self.root_url = _dir_url(root)
        self.refused = refused
        self.out: list[str] = []
        self._style: list[str] | None = None  # text of the <style> being read

    # Resolving references.

    def _resolve(self, reference: str, base_url: str) -> tuple[str, Path | None]:
        """("keep", None), ("file", path) or ("drop", None) for a reference found at base_url."""
        reference = reference.strip()
        if not reference or reference.startswith("#") or reference[:5].lower() == "data:":
            return "keep", None
        url = urljoin(base_url, reference)
        path = _path_inside(self.root, url.partition("#")[0].partition("?")[0])
        if path is None or not path.is_file():
            self.refused.append(reference)
            LOGGER.debug("dropped %s: not a file inside %s", reference, self.root)
            return "drop", None
        return "file", path

    def _data_uri(self, path: Path, reference: str) -> str:
        fragment = reference.partition("#")[2]
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        uri = f"data:{_mime_type(path)};base64,{encoded}"
        return f"{uri}#{fragment}" if fragment else uri

    def _inline_reference(self, reference: str, base_url: str) -> str | None:
        """The reference to write instead (a data: URI, or itself), or None to drop it."""
        kind, path = self._resolve(reference, base_url)
        if kind == "keep":
            return reference
        if path is None:
            return None
        return self._data_uri(path, reference)

    # CSS.

    def css(self, text: str, base_url: str, depth: int = 0) -> str:
        """CSS with @import rules replaced by the imported text and url()s by data: URIs."""

        def imported(match: re.Match[str]) -> str:
            reference = next(g for g in match.groups()[:5] if g is not None)
            media = match.group(6).strip()
            kind, path = self._resolve(reference, base_url)
            if path is None:
                return match.group(0) if kind == "keep" else ""
            if depth >= _MAX_IMPORT_DEPTH:
                self.refused.append(reference)
                return ""
            inner = self.css(_read_css(path), _dir_url(path.parent), depth + 1)
            return f"@media {media} {{\n{inner}\n}}" if media else inner

        def url(match: re.Match[str]) -> str:
            reference = next((g for g in match.groups() if g is not None), "")
            inline = self._inline_reference(reference, base_url)
            if inline is None:
                return "none"
            if inline is reference:
                return match.group(0)
            return f'url("{inline}")'

        return _CSS_URL.sub(url, _CSS_IMPORT.sub(imported, text))

    # Tags.

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=True)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        raw = self.get_starttag_text() or ""
        values = dict(attrs)
        if tag == "base":
            # A self-contained file has no base; one would redirect its remaining links.
            self.refused.append(f"<base href={values.get('href')!r}>")
            return
        if tag == "link" and values.get("href") is not None:
            rel = set((values.get("rel") or "").lower().split())
            if "stylesheet" in rel:
                self._stylesheet(values, raw)
                return
            if rel & _RESOURCE_LINK_TYPES:
                inline = self._inline_reference(values["href"] or "", self.root_url)
                if inline is None:
                    return
                attrs = [(k, inline if k == "href" else v) for k, v in attrs]
                self.out.append(_start_tag(tag, attrs, closed))
                return
        new_attrs: list[tuple[str, str | None]] = []
        changed = False
        resource_names = _RESOURCE_ATTRIBUTES.get(tag, ())
        for name, value in attrs:
            if value is not None and name in resource_names:
                inline = self._inline_reference(value, self.root_url)
                changed = changed or inline != value
                if inline is None:
                    continue
                value = inline
            elif name == "srcset" and value:
                # Candidate lists are not worth inlining: src stays, and WeasyPrint ignores srcset.
                self.refused.append(value)
                changed = True
                continue
            elif name == "style" and value and "url(" in value.lower():
                new_value = self.css(value, self.root_url)
                changed = changed or new_value != value
                value = new_value
            new_attrs.append((name, value))
        self.out.append(_start_tag(tag, new_attrs, closed) if changed else raw)
        if tag == "style" and not closed:
            self._style = []

    def _stylesheet(self, values: dict[str, str | None], raw: str) -> None:
        kind, path = self._resolve(values.get("href") or "", self.root_url)
        if kind == "keep":  # a data: stylesheet is already inline
            self.out.append(raw)
            return
        if path is None:
            return
        css = self.css(_read_css(path), _dir_url(path.parent))
        media = values.get("media")
        open_tag = f'<style media="{escape(media)}">' if media else "<style>"
        self.out.append(f"{open_tag}\n{_guard_style(css)}\n</style>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._style is not None:
            self.out.append(_guard_style(self.css("".join(self._style), self.root_url)))
            self._style = None
        self.out.append(f"</{tag}>")

    # Everything else goes back as it came.

    def handle_data(self, data: str) -> None:
        (self._style if self._style is not None else self.out).append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")

    def result(self) -> str:
        self.close()
        if self._style is not None:  # unterminated <style>
            self.out.append(_guard_style(self.css("".join(self._style), self.root_url)))
        return "".join(self.out)


def _start_tag(tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> str:
    parts = [tag]
    for name, value in attrs:
        parts.append(name if value is None else f'{name}="{escape(value, quote=True)}"')
    return "<" + " ".join(parts) + (" />" if closed else ">")


def _read_css(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def _guard_style(css: str) -> str:
    # "</style" inside the CSS would end the element early; "\/" is the same character to CSS.
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)


def render_html_file(html: str, *, root: Path, refused: list[str] | None = None) -> str:
    """The HTML as ONE self-contained file: nothing left for a browser to fetch from `root`.

    <link rel=stylesheet> pointing inside `root` becomes a <style> holding the stylesheet (its
    @imports inlined too); <img src>, other resource attributes (SVG <image>, <object>, ...),
    and url(...) in stylesheets, <style> and style="" that point to files inside root become
    data: URIs. References elsewhere (outside root, http:, ftp:, missing files) are dropped —
    the attribute or <link> removed, url(...) replaced by `none`, @import removed — and never
    read; so is <base>, and srcset attributes. Each dropped reference is appended to `refused`
    when a list is given. Links one follows (<a href>) are left alone.
    """
    inliner = _Inliner(Path(root).resolve(), refused if refused is not None else [])
    inliner.feed(html)
    return inliner.result()
