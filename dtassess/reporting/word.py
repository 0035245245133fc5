"""The organisation report as an editable Word document (DOCX), built from the report model.

Agencies edit a report in Word before it goes out as an official document, so this is the PDF
report's content (docs/report.md) as Word's own parts, not a picture of the PDF: chapters and
sections are Heading 1 and Heading 2 (Word's navigation pane and table of contents find them),
tables are Word tables (header rows repeat on each page), the charts are pictures rendered
from the same SVG as the PDF's (`images`), each followed by a Caption. Numbers are formatted as
the PDF's template formats them (`score`, `span`, `pct` below mirror its macros), so the two
documents show the same digits. Nothing here parses HTML.

Fonts. Word picks the font for Chinese from a run's `w:eastAsia` font, not from the Latin one,
and theme fonts override named fonts; the styles therefore name their fonts outright, without
theme attributes: 宋体 for body text and 黑体 for headings (the names Word itself writes in a
Chinese document; every Chinese Windows and Office has them), Latin text in the report
language's faces, and the document's East Asian language is zh-CN. The same East Asian fonts
are named in the English report, where organisation and unit names may be Chinese.

Same inputs and `--date`, same bytes: the core properties' dates are the report date, and the
package is written again with every member's timestamp set to that date, in a fixed order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any

from ..labels import by_language
from .images import Chart, svg_description, svg_size
from .report import NodeScore, ReportModel

__all__ = ["FONTS", "render_docx"]

#: (Latin, East Asian) font of body text and of headings, per report language.
FONTS: dict[str, dict[str, tuple[str, str]]] = {
    "zh": {"body": ("Times New Roman", "宋体"), "heading": ("Arial", "黑体")},
    "en": {"body": ("Calibri", "宋体"), "heading": ("Calibri", "黑体")},
}

# Words the template keeps in _words.j2 (column headers, aggregation rules), from labels.py.
WORDS = by_language("document")

_TEXT_WIDTH_CM = 16.0  # A4 less 2.5 cm margins
_HEADING_STYLES = ("Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "TOC Heading")
_BODY_STYLES = ("Normal", "Caption", "Quote", "List Number", "List Bullet", "Header", "Footer")


# --------------------------------------------------------------------------- numbers as in the PDF


def score(value: float | None) -> str:
    """A score as the PDF prints it: one decimal, "—" for none."""
    return "—" if value is None else f"{value:.1f}"


def span(node: NodeScore) -> str:
    """A score's interval, "38.2–44.9", as the PDF prints it."""
    if node.low is None or node.high is None:
        return "—"
    return f"{node.low:.1f}–{node.high:.1f}"


def pct(value: float | None) -> str:
    """A share as a percentage with one decimal, "86.7%"."""
    return "—" if value is None else f"{value * 100:.1f}%"


def number(value: float) -> str:
    """A weight or a bound as Python's %g prints it (the template's "%g")."""
    return f"{value:g}"


# --------------------------------------------------------------------------- the document


def render_docx(
    model: ReportModel,
    charts: Sequence[Chart],
    brand: dict[str, Any],
    logo: bytes | None = None,
) -> bytes:
    """The report as DOCX bytes; `charts` are the report's charts with their PNGs (by id:
    `radar`, `heatmap`, `timeline`, `bars-<dimension id>`), `brand` the template's brand.yaml,
    `logo` its logo as a picture (images.logo_picture) for the cover."""
    import docx

    # Names, units and notes can hold control characters that no XML may carry; they go, as
    # from the HTML (output.markup_text).
    model, brand = _clean(model), _clean(brand)
    document = docx.Document()
    writer = _Writer(document, model, {c.id: c for c in charts}, brand, logo)
    writer.setup()
    writer.cover()
    writer.contents()
    writer.summary()
    for dimension in model.dimensions:
        writer.dimension(dimension)
    writer.findings()
    writer.roadmap()
    writer.methodology()
    writer.provenance()
    _drop_thumbnail(document)
    out = io.BytesIO()
    document.save(out)
    return _fixed_zip(out.getvalue(), dt.date.fromisoformat(model.date))


def _drop_thumbnail(document: Any) -> None:
    """Leave out the preview picture python-docx's blank template carries: a file browser
    would show an empty page for the report."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    rels = document.part.package.rels
    for key in [k for k, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[key]


def _clean(value: Any) -> Any:
    """`value` (a model, a list, a dict) with markup_text applied to every string in it."""
    from .output import markup_text

    if isinstance(value, str):
        return markup_text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **fields)
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def _fixed_zip(data: bytes, day: dt.date) -> bytes:
    """The package again, each member stamped with `day` (python-docx stamps the clock)."""
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def _colour(value: Any, fallback: str) -> str:
    text = str(value or fallback).lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    return text.upper() if len(text) == 6 else fallback.lstrip("#")


def _localized(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or "")
    return str(value or "")


class _Writer:
    """Adds the report's parts to a python-docx Document, in the PDF's order."""

    def __init__(
        self,
        document: Any,
        model: ReportModel,
        charts: dict[str, Chart],
        brand: dict[str, Any],
        logo: bytes | None,
    ) -> None:
        self.doc = document
        self.model = model
        self.charts = charts
        self.brand = brand
        self.lang = model.lang
        self.L = model.labels
        self.W = {**WORDS.get(model.lang, WORDS["en"]), **model.labels}
        self.primary = _colour(brand.get("primary"), "#1e3a5f")
        self.colon = "：" if self.lang == "zh" else ": "
        self.logo = logo

    # --- styles, page, properties

    def setup(self) -> None:
        from docx.enum.section import WD_ORIENT
        from docx.shared import Cm, Pt, RGBColor

        fonts = FONTS.get(self.lang, FONTS["en"])
        _document_defaults(self.doc, fonts["body"], self.lang)
        styles = self.doc.styles
        for name in _BODY_STYLES:
            _style_fonts(styles[name], fonts["body"])
        for name in _HEADING_STYLES:
            style = styles[name]
            _style_fonts(style, fonts["heading"])
            style.font.color.rgb = RGBColor.from_string(self.primary)
        styles["Normal"].font.size = Pt(10.5)
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2.5))
        self._header_footer(section)
        self._properties()

    def _properties(self) -> None:
        model = self.model
        moment = dt.datetime.fromisoformat(model.date).replace(tzinfo=dt.UTC)
        props = self.doc.core_properties
        props.title = f"{model.title} · {model.organization.name}"
        props.subject = model.questionnaire.title
        props.author = model.organization.name or ""
        props.last_modified_by = model.provenance.tool
        props.keywords = ", ".join(
            p for p in (model.questionnaire.id, model.organization.id, model.period or "") if p
        )
        props.comments = model.provenance.tool
        props.language = "zh-CN" if self.lang == "zh" else self.lang
        props.created = props.modified = props.last_printed = moment
        props.revision = 1

    def _header_footer(self, section: Any) -> None:
        author = _localized(self.brand.get("author"), self.lang).strip()
        header = section.header.paragraphs[0]
        header.text = f"{self.model.title} · {self.model.organization.name}"
        footer = section.footer.paragraphs[0]
        footer.text = f"{author}\t\t" if author else "\t\t"
        parts = str(self.L["page"]).split("{}")
        footer.add_run(parts[0])
        _field(footer, "PAGE", "1")
        footer.add_run(parts[1] if len(parts) > 1 else " / ")
        _field(footer, "NUMPAGES", "1")
        footer.add_run(parts[2] if len(parts) > 2 else "")

    # --- building blocks

    def heading(self, text: str, level: int) -> Any:
        return self.doc.add_heading(text, level)

    def para(self, text: str = "", style: str | None = None, bold: bool = False) -> Any:
        paragraph = self.doc.add_paragraph(style=style)
        if text:
            paragraph.add_run(text).bold = bold
        return paragraph

    def note(self, text: str) -> Any:
        from docx.shared import Pt, RGBColor

        paragraph = self.doc.add_paragraph()
        run = paragraph.add_run(text)
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(0x55, 0x5F, 0x6D)
        return paragraph

    def table(
        self,
        header: Sequence[str] | None,
        rows: Sequence[Sequence[str]],
        numeric: Sequence[int] = (),
        widths: Sequence[float] | None = None,
    ) -> Any:
        """A Word table: a bold header row repeated on every page, numbers right-aligned."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm

        columns = len(header) if header else max((len(r) for r in rows), default=1)
        table = self.doc.add_table(rows=0, cols=columns)
        table.style = self.doc.styles["Table Grid"]
        if header:
            cells = table.add_row().cells
            for cell, text in zip(cells, header, strict=True):
                cell.text = text
                for run in cell.paragraphs[0].runs:
                    run.bold = True
                _shade(cell, "E8EDF3")
            _repeat_header(table.rows[0])
        for row in rows:
            cells = table.add_row().cells
            for k, (cell, text) in enumerate(zip(cells, row, strict=True)):
                cell.text = text
                if k in numeric:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if header:
            for k in numeric:
                table.rows[0].cells[k].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if widths:
            # Word reads each cell's width, LibreOffice the table grid's: both are set.
            table.autofit = False
            for column, width in zip(table.columns, widths, strict=False):
                column.width = Cm(width)
            for row in table.rows:
                for cell, width in zip(row.cells, widths, strict=False):
                    cell.width = Cm(width)
        _keep_together(table)
        self.doc.add_paragraph()
        return table

    def facts(self, rows: Sequence[tuple[str, str]]) -> Any:
        """A two-column table of names (bold) and values."""
        table = self.table(None, [list(r) for r in rows], widths=(4.5, 11.5))
        for row in table.rows:
            for run in row.cells[0].paragraphs[0].runs:
                run.bold = True
        return table

    def chart(self, chart_id: str, caption: str) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm

        chart = self.charts.get(chart_id)
        if chart is None or not chart.png:
            return
        width, height = svg_size(chart.svg)
        # A tall chart is narrowed so that it fits on a page with its caption.
        scale = min(_TEXT_WIDTH_CM, 20.0 * width / height)
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = True
        run = paragraph.add_run()
        shape = run.add_picture(io.BytesIO(chart.png), width=Cm(scale))
        _alt_text(shape, svg_description(chart.svg) or chart.title or caption)
        self.para(caption, "Caption")

    def bullets(self, items: Sequence[str], numbered: bool = False) -> None:
        if numbered:
            for i, text in enumerate(items, 1):
                paragraph = self.para(f"{i}. {text}")
                paragraph.paragraph_format.left_indent = _cm(0.6)
                paragraph.paragraph_format.first_line_indent = _cm(-0.6)
            return
        for text in items:
            self.para(text, "List Bullet")

    def page_break(self) -> None:
        from docx.enum.text import WD_BREAK

        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # --- the parts

    def cover(self) -> None:
        model, L, W = self.model, self.L, self.W
        author = _localized(self.brand.get("author"), self.lang).strip()
        if self.logo:
            shape = (
                self.doc.add_paragraph()
                .add_run()
                .add_picture(io.BytesIO(self.logo), height=_cm(2.0))
            )
            _alt_text(shape, author or model.organization.name)
        if author:
            self.para(author, bold=True)
        if model.period:
            self.para(model.period)
        self.doc.add_heading(model.title, 0)
        self.para(model.organization.name, "Subtitle")
        self.facts(
            [
                (L["period"], model.period or "—"),
                (
                    L["questionnaire"],
                    f"{model.questionnaire.title} ({W['version']} {model.questionnaire.version})",
                ),
                (L["respondents"], str(model.respondents)),
                (L["date"], model.date),
            ]
        )
        cover_text = _localized(self.brand.get("cover_text"), self.lang).strip()
        if cover_text:
            self.para(cover_text)
        self.page_break()

    def contents(self) -> None:
        self.para(self.L["contents"], "TOC Heading")
        paragraph = self.doc.add_paragraph()
        _field(paragraph, 'TOC \\o "1-2" \\h \\z \\u', self.W["toc_update"])
        _update_fields_on_open(self.doc)
        self.page_break()

    def summary(self) -> None:
        model, L = self.model, self.L
        hi = number(model.methodology.score_range[1])
        self.heading(L["summary"], 1)
        overall = model.overall
        rows = [(f"{L['overall']} · {L['score']}", f"{score(overall.score)} / {hi}")]
        if model.reliability.interval_label and overall.low is not None:
            rows.append((model.reliability.interval_label, span(overall)))
        scale = len(model.methodology.scale)
        rows += [
            (L["level"], f"{overall.level_name} {overall.level or '—'} / {scale}"),
            (L["respondents"], str(model.respondents)),
            (L["coverage"], pct(overall.coverage)),
        ]
        self.facts(rows)
        if overall.level_description:
            self.para(overall.level_description)
        if model.key_messages:
            self.heading(L["key_messages"], 2)
            for message in model.key_messages:
                self.para(message.text, "List Number")
        self.chart("radar", L["radar"])
        self.heading(L["strengths"], 2)
        self._ranked(model.summary.strengths[:3])
        self.heading(L["gaps"], 2)
        self._ranked(model.summary.gaps[:3])
        self._heatmap()
        self._peers()
        self._first_phase()

    def _ranked(self, nodes: Sequence[NodeScore]) -> None:
        L = self.L
        self.table(
            [L["dimension"], L["score"], L["level"]],
            [[n.title, score(n.score), n.level_name] for n in nodes],
            numeric=(1,),
            widths=(9.0, 2.5, 4.5),
        )

    def _heatmap(self) -> None:
        heat, L = self.model.heatmap, self.L
        if heat is None:
            return
        self.heading(L["heatmap"], 2)
        if len(heat.units) >= 2:
            self.chart("heatmap", L["heatmap"])
        if heat.hidden_units:
            self.note(L["heatmap_hidden"].format(count=heat.hidden_units, k=heat.min_group_size))

    def _peers(self) -> None:
        peers, L, model = self.model.peers, self.L, self.model
        if not peers:
            return
        self.heading(L["peers"], 2)
        rows = []
        for r in peers.rows:
            value = score(r.score)
            if r.low is not None and r.high is not None and r.low != r.high:
                value += f" ({score(r.low)}–{score(r.high)})"
            rank = f"{r.rank or '—'} / {r.of}"
            if r.rank_low is not None and r.rank_low != r.rank_high:
                rank += f" ({r.rank_low}–{r.rank_high})"
            percentile = "—" if r.percentile is None else number(r.percentile)
            rows.append([r.title, value, rank, percentile])
        self.table(
            [L["dimension"], L["score"], L["peer_rank"], L["percentile"]],
            rows,
            numeric=(1, 2, 3),
            widths=(6.0, 4.0, 3.5, 2.5),
        )
        text = L["peers_note"].format(count=peers.organizations, k=model.methodology.min_group_size)
        if peers.from_archive:
            text += ("" if self.lang == "zh" else " ") + L["peers_sources"].format(
                count=peers.organizations,
                given=peers.organizations - peers.from_archive,
                archived=peers.from_archive,
            )
        self.note(text)
        if peers.resamples:
            self.note(
                L["peers_interval_note"].format(
                    level=model.reliability.level or 90,
                    resamples=peers.resamples,
                    seed=model.reliability.seed,
                )
            )

    def _first_phase(self) -> None:
        model, L = self.model, self.L
        title = L["first_phase"]
        if model.roadmap.phases:
            title += f" · {model.roadmap.phases[0].label}"
        self.heading(title, 2)
        first = model.summary.first_phase
        if not first:
            self.para(self._no_actions_reason())
            return
        self.table(
            ["", L["action"], L["dimension"], self._lifts()],
            [[f"1.{i}", a.title, a.dimension, a.reach_name] for i, a in enumerate(first[:6], 1)],
            widths=(1.0, 8.0, 4.0, 3.0),
        )
        if len(first) > 6:
            self.para(f"+ {len(first) - 6} → {L['roadmap']}")

    def _no_actions_reason(self) -> str:
        roadmap, L = self.model.roadmap, self.L
        if not roadmap.gaps:
            return L["no_actions"]
        return L["no_catalogue"] if not roadmap.catalogue else L["no_matching_actions"]

    def _lifts(self) -> str:
        return f"{self.L['lifts']}{'' if self.lang == 'zh' else ' '}{self.L['to_level']}"

    def dimension(self, d: Any) -> None:
        model, L, W = self.model, self.L, self.W
        hi = number(model.methodology.score_range[1])
        self.heading(d.title, 1)
        if d.description:
            self.para(d.description)
        rows = [(L["score"], f"{score(d.score)}{' ※' if d.caveats else ''} / {hi}")]
        if model.reliability.interval_label and d.low is not None:
            rows.append((model.reliability.interval_label, span(d)))
        rows += [
            (L["level"], d.level_name),
            (L["target"], d.target_name),
            (L["coverage"], pct(d.coverage)),
            (f"{L['respondents']} · {L['sd']}", f"{d.n} · {score(d.sd)}"),
        ]
        self.facts(rows)
        if d.level_description:
            paragraph = self.doc.add_paragraph()
            paragraph.add_run(d.level_name).bold = True
            paragraph.add_run(self.colon + d.level_description)
        self.chart(f"bars-{d.id}", f"{L['subdimension']} · {d.title}")
        if self.charts.get(f"bars-{d.id}"):
            self.note(f"▬ {L['current']}    ┃ {L['target']}")  # the PDF's legend under the bars
        self._reliability(d)
        if d.aggregate == "min":
            self.note(L["min_note"])
        for sub in d.subdimensions:
            if sub.aggregate == "min":
                self.note(f"{sub.title}{self.colon}{L['min_note']}")
        self.heading(W["answers"], 2)
        self._questions(d)
        self.note(L["answers_note"])
        if d.notes:
            self.heading(L["notes"], 2)
            self._notes(d.notes)

    def _reliability(self, d: Any) -> None:
        model, L = self.model, self.L
        intervals = model.reliability.interval_label
        self.heading(L["reliability"], 2)
        header = [f"{L['dimension']} / {L['subdimension']}", L["score"]]
        header += [intervals] if intervals else []
        header += [L["coverage"], L["answered"], L["caveats"]]
        sep = "；" if self.lang == "zh" else "; "
        rows = []
        for x in [d, *d.subdimensions]:
            row = [x.title, score(x.score) + (" ※" if x.caveats else "")]
            row += [span(x)] if intervals else []
            row += [
                pct(x.coverage),
                f"{x.n} / {model.respondents}",
                sep.join(c.text for c in x.caveats) or "—",
            ]
            rows.append(row)
        numeric = (1, 2, 3, 4) if intervals else (1, 2, 3)
        widths = (4.0, 1.6, *((2.4,) if intervals else ()), 2.0, 2.2, 3.8 if intervals else 6.2)
        table = self.table(header, rows, numeric=numeric, widths=widths)
        for run in table.rows[1].cells[0].paragraphs[0].runs:
            run.bold = True

    def _questions(self, d: Any) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        L = self.L
        header = [L["question"], L["answer"], L["score"], L["spread"]]
        table = self.table(header, [], numeric=(2, 3), widths=(7.0, 5.0, 2.0, 2.0))
        group = None
        for q in d.questions:
            if q.dimension != group:
                group = q.dimension
                cells = table.add_row().cells
                merged = cells[0].merge(cells[-1])
                merged.text = q.dimension
                for run in merged.paragraphs[0].runs:
                    run.bold = True
                _shade(merged, "F3F5F8")
            cells = table.add_row().cells
            for k, text in enumerate((q.text, q.answer, score(q.score), q.spread or "—")):
                cells[k].text = text
                if k >= 2:
                    cells[k].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _keep_together(table)

    def _notes(self, notes: Sequence[Any]) -> None:
        L = self.L
        question = None
        for n in notes:
            if n.question != question:
                question = n.question
                self.para(n.question, bold=True)
            self.para(n.note, "Quote")
            who = " · ".join(p for p in (n.role, n.unit, n.respondent) if p)
            if who:
                self.note(who)
            if n.evidence:
                self.note(f"{L['evidence']}{self.colon}{L['list_sep'].join(n.evidence)}")

    def findings(self) -> None:
        findings, L, W = self.model.findings, self.L, self.W
        self.heading(W["findings"], 1)
        self.heading(L["weakest"], 2)
        if findings.weakest:
            self.table(
                ["", L["question"], L["score"], L["weight_share"], L["chosen"], L["next_level"]],
                [
                    [
                        str(i),
                        f.text,
                        score(f.score),
                        "—" if f.weight_share is None else f"{f.weight_share:.1f}%",
                        f.chosen or "—",
                        f.next or "—",
                    ]
                    for i, f in enumerate(findings.weakest, 1)
                ],
                numeric=(2, 3),
                widths=(0.7, 5.3, 1.5, 1.8, 3.35, 3.35),
            )
        else:
            self.para(L["none"])
        self.heading(L["disagreements"], 2)
        if findings.disagreements:
            self.table(
                [L["question"], L["sd"], W["lowest"], W["highest"]],
                [
                    [f.text, score(f.sd), f.lowest or "—", f.highest or "—"]
                    for f in findings.disagreements
                ],
                numeric=(1,),
                widths=(7.0, 1.5, 3.75, 3.75),
            )
        else:
            self.para(L["none"])

    def roadmap(self) -> None:
        model, L = self.model, self.L
        section = model.roadmap
        self.heading(L["roadmap"], 1)
        if section.actions == 0:
            if section.gaps:
                self._gaps()
            else:
                self.para(L["no_actions"])
        elif not section.projected:
            self.note(L["unprojected"])
        if not section.catalogue:
            return
        self.table(
            [L["phase"], self.W["action_count"], f"{L['overall']} →"],
            [
                [p.label, str(len(p.actions)), _scored(p.overall_after.score, p.overall_after)]
                for p in section.phases
            ],
            numeric=(1,),
        )
        if not section.projected and section.actions:
            self.note(L["not_projected"])
        self._outcomes()
        self._initiatives()
        self._phases()
        self._projection()
        self.heading(L["timeline"], 2)
        self.chart("timeline", L["timeline"])

    def _gaps(self) -> None:
        section, L = self.model.roadmap, self.L
        self.para(L["no_catalogue"] if not section.catalogue else L["no_matching_actions"])
        self.heading(L["gaps_to_target"], 2)
        self.table(
            [L["dimension"], L["score"], L["current"], L["target"], L["points_to_target"]],
            [
                [g.title, score(g.score), g.level_name, g.target_name, score(g.points)]
                for g in section.gaps
            ],
            numeric=(1, 4),
        )
        if self.model.findings.weakest:
            self.heading(L["weakest_questions"], 2)
            self.bullets(
                [f"{f.text} ({L['score']} {score(f.score)})" for f in self.model.findings.weakest],
                numbered=True,
            )

    def _outcomes(self) -> None:
        section, L = self.model.roadmap, self.L
        if not section.outcomes:
            return
        self.heading(L["outcomes"], 2)
        self.bullets([o.text for o in section.outcomes if o.headline])
        rest = [o for o in section.outcomes if not o.headline]
        if rest:
            phases = section.phases
            self.table(
                [L["subdimension"], L["current"], L["target"], L["phase"]],
                [[o.title, o.level_name, o.target_name, _phase_label(phases, o)] for o in rest],
            )

    def _initiatives(self) -> None:
        L = self.L
        initiatives = self.model.roadmap.initiatives
        if not initiatives:
            return
        self.heading(L["initiatives"], 2)
        for i, block in enumerate(initiatives, 1):
            self.heading(f"{i}. {block.title}", 3)
            if block.summary:
                self.para(block.summary)
            milestones = []
            for m in block.milestones:
                steps = []
                for st in m.steps:
                    text = st.title + (f" ({L['quick_win']})" if st.quick_win else "")
                    if st.start_month is not None:
                        text += " · " + L["starts"].format(month=int(st.start_month // 1 + 1))
                    steps.append(text)
                milestones.append(f"{m.label}{self.colon}{L['list_sep'].join(steps)}")
            if block.later:
                milestones.append(f"{L['later']}{self.colon}{L['list_sep'].join(block.later)}")
            rows = [(L["owner"], block.owner), (L["kpi"], block.kpi)]
            rows.append((L["milestones"], "\n".join(milestones)))
            if block.dependencies:
                rows.append((L["dependencies"], L["list_sep"].join(block.dependencies)))
            rows.append((L["person_months"], f"{number(block.person_months)} {L['pm_unit']}"))
            self.facts(rows)
            if block.evidence:
                self.para(L["initiative_evidence"], bold=True)
                for e in block.evidence:
                    self.para(f"{e.question} — {L['typical']}{self.colon}{e.typical}")
                    for n in e.notes:
                        self.para(n.note, "Quote")
                        if n.evidence:
                            self.note(
                                f"{L['evidence']}{self.colon}{L['list_sep'].join(n.evidence)}"
                            )
                    if e.more_notes:
                        self.note(L["evidence_more_notes"].format(n=e.more_notes))
                if block.more_evidence:
                    self.note(L["evidence_more_questions"].format(n=block.more_evidence))
        self.heading(L["initiative_actions"], 2)

    def _phases(self) -> None:
        section, L = self.model.roadmap, self.L
        for p in section.phases:
            self.heading(p.label, 2)
            if not p.actions:
                self.para(L["none"])
                continue
            rows = [
                [f"{p.phase}.{i}", "", a.dimension, a.reach_name, a.effort, a.impact]
                for i, a in enumerate(p.actions, 1)
            ]
            table = self.table(
                ["", L["action"], L["dimension"], self._lifts(), L["effort"], L["impact"]],
                rows,
                widths=(1.0, 7.0, 3.0, 2.0, 1.5, 1.5),
            )
            # The action's title in bold, what it is below it in the same cell, as in the PDF.
            for row, a in zip(table.rows[1:], p.actions, strict=True):
                paragraph = row.cells[1].paragraphs[0].clear()
                title = a.title + (f" ({L['quick_win']})" if a.quick_win else "")
                paragraph.add_run(title).bold = True
                if a.description:
                    paragraph.add_run("\n" + a.description)
        if section.later:
            self.heading(L["later"], 2)
            self.bullets([f"{a.title} · {a.dimension} · {a.reach_name}" for a in section.later])

    def _projection(self) -> None:
        model, L = self.model, self.L
        phases = model.roadmap.phases
        if not phases:
            return
        self.heading(L["projection"], 2)
        rows = []
        for i, row in enumerate(phases[0].projection):
            cells = [row.title, f"{score(row.score_before)} {row.level_before}"]
            for p in phases:
                after = p.projection[i]
                cells.append(f"{score(after.score_after)} {after.level_after}")
            rows.append(cells)
        total = [L["overall"], f"{score(model.overall.score)} {model.overall.level_name}"]
        total += [f"{score(p.overall_after.score)} {p.overall_after.level_name}" for p in phases]
        rows.append(total)
        table = self.table([L["dimension"], L["current"], *[p.label for p in phases]], rows)
        for cell in table.rows[-1].cells:
            for run in cell.paragraphs[0].runs:
                run.bold = True

    def methodology(self) -> None:
        m, L, W = self.model.methodology, self.L, self.W
        self.heading(L["methodology"], 1)
        self.heading(L["scale"], 2)
        self.table(
            [L["level"], L["score"], W["description"]],
            [
                [f"{s.level} {s.name}", f"{number(s.min)}–{number(s.max)}", s.description]
                for s in m.scale
            ],
            numeric=(1,),
            widths=(3.5, 2.5, 10.0),
        )
        self.heading(L["formulas"], 2)
        self.bullets(m.formulas, numbered=True)
        for text in m.reliability:
            self.note(text)
        self.heading(L["weights"], 2)
        table = self.table(
            [f"{L['dimension']} / {L['subdimension']}", W["weight"], W["aggregate"]],
            [[x.title, number(x.weight), W.get(x.aggregate, x.aggregate)] for x in m.weights],
            numeric=(1,),
        )
        for row, x in zip(table.rows[1:], m.weights, strict=True):
            row.cells[0].paragraphs[0].paragraph_format.left_indent = _cm(0.5 * x.depth)
            if x.depth <= 1:
                for run in row.cells[0].paragraphs[0].runs:
                    run.bold = True
        self._counts(L["by_unit"], L["unit"], m.by_unit, m.small_units, L["small_units"])
        self._counts(L["by_role"], L["role"], m.by_role, m.small_roles, L["small_roles"])

    def _counts(
        self, title: str, column: str, counts: Sequence[tuple[str, int]], small: int, words: str
    ) -> None:
        L, m = self.L, self.model.methodology
        self.heading(title, 2)
        if counts:
            self.table(
                [column, L["respondents"]],
                [[name, str(n)] for name, n in counts],
                numeric=(1,),
                widths=(10.0, 3.0),
            )
        if small:
            self.note(words.format(count=small, k=m.min_group_size))

    def provenance(self) -> None:
        model, L, W = self.model, self.L, self.W
        pv = model.provenance
        self.heading(L["provenance"], 1)
        self.facts(
            [
                (L["questionnaire"], f"{model.questionnaire.title} {pv.questionnaire}"),
                (W["hash"], f"{pv.questionnaire_hash} ({L['hash_prefix']})"),
                (L["tool"], pv.tool),
                (L["period"], model.period or "—"),
                (L["date"], model.date),
                (L["respondents"], str(model.respondents)),
            ]
        )
        self.heading(W["input_files"], 2)
        if pv.names_withheld:
            self.note(L["files_unnamed"])
        table = self.table(
            ["", L["file"], W["hash"]],
            [[str(i), f.path, f.sha256] for i, f in enumerate(pv.files, 1)],
            widths=(1.0, 4.0, 11.0),
        )
        for row in table.rows[1:]:
            for run in row.cells[2].paragraphs[0].runs:
                run.font.name = "Consolas"
                run.font.size = _pt(8)


def _scored(value: float | None, projected: Any) -> str:
    """A projected score and its level, "52.3 · 稳健级"."""
    return f"{score(value)} · {projected.level_name}"


def _phase_label(phases: Sequence[Any], outcome: Any) -> str:
    """The label of the phase an outcome is reached in, "—" when it is not."""
    if not outcome.reached_in_phase:
        return "—"
    return phases[outcome.reached_in_phase - 1].label


# --------------------------------------------------------------------------- OOXML details


def _cm(value: float) -> Any:
    from docx.shared import Cm

    return Cm(value)


def _pt(value: float) -> Any:
    from docx.shared import Pt

    return Pt(value)


_THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_fonts(rpr: Any, fonts: tuple[str, str]) -> None:
    """Name the Latin and East Asian fonts on an rPr; theme fonts, which Word would prefer
    to named ones, are removed."""
    from docx.oxml.ns import qn

    latin, east_asian = fonts
    rfonts = rpr.get_or_add_rFonts()
    for name in _THEME_ATTRIBUTES:
        rfonts.attrib.pop(qn(name), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asian)


def _style_fonts(style: Any, fonts: tuple[str, str]) -> None:
    _set_fonts(style.element.get_or_add_rPr(), fonts)


def _document_defaults(document: Any, fonts: tuple[str, str], lang: str) -> None:
    """The fonts and languages every run starts from (w:docDefaults)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    _set_fonts(rpr, fonts)
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        rpr.append(language)
    language.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-GB")
    language.set(qn("w:eastAsia"), "zh-CN")


def _field(paragraph: Any, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES, TOC) with the text shown until Word updates it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> Any:
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
        return run

    char("begin")
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    char("separate")
    paragraph.add_run(shown)
    char("end")


def _update_fields_on_open(document: Any) -> None:
    """Ask Word to fill in the table of contents (and page numbers) when it opens the file."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    settings = document.settings.element
    if settings.find(qn("w:updateFields")) is not None:
        return
    element = OxmlElement("w:updateFields")
    element.set(qn("w:val"), "true")
    # The settings are a strict sequence: Word may call a file with them out of order damaged.
    later = {qn(f"w:{name}") for name in _AFTER_UPDATE_FIELDS}
    following = next((child for child in settings if child.tag in later), None)
    if following is None:
        settings.append(element)
    else:
        following.addprevious(element)


# What follows w:updateFields in w:settings (ECMA-376, CT_Settings).
_AFTER_UPDATE_FIELDS = (
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
    "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
    "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol",
    "listSeparator",
)  # fmt: skip


#: A table of at most this many rows is kept on one page; a longer one keeps its header row
#: with its first row.
_KEEP_ROWS = 12


def _keep_together(table: Any) -> None:
    """Keep a short table on one page (each row with the next), a long one's header with its
    first row: a header alone at the foot of a page says nothing."""
    rows = table.rows
    held = rows[:-1] if len(rows) <= _KEEP_ROWS else rows[:1]
    for row in held:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    trpr.append(element)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tcpr.append(shading)


def _alt_text(shape: Any, text: str) -> None:
    """The picture's alternative text (what the chart shows in numbers), for screen readers."""
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", text)
