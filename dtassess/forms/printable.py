"""A questionnaire on paper, for interviews: HTML, or PDF through the reports' renderer.

Each question has its number, text, help and skip condition in words, a tick box per option with
the option's anchor (what the level looks like, as the questionnaire describes it), a box for a
number with its range, lines for a text answer, and two lines for notes and evidence. Every
dimension and question has an anchor in the HTML (`#strategy.vision`, `#q-strategy.vision.has_plan`)
so that a page can be linked to. The PDF is the same bytes for the same questionnaire: its dates
are fixed.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from ..errors import Problem
from ..inputs.formnames import form_names
from ..inputs.questionnaire import Dimension, Question, Questionnaire
from ..labels import labels
from .expressions import text
from .wjx import condition_note, option_labels

CREATED = dt.date(2000, 1, 1)
STYLE = """
@page { size: A4; margin: 18mm 16mm; @bottom-center { content: counter(page); font-size: 9pt; } }
body { font-family: %(fonts)s; font-size: 10.5pt; line-height: 1.45; color: #111; }
h1 { font-size: 17pt; margin: 0 0 4pt; }
h2 { font-size: 13.5pt; border-bottom: 1.5pt solid #333; margin: 16pt 0 6pt; }
h3 { font-size: 11.5pt; margin: 12pt 0 4pt; }
.intro, .help, .when { color: #444; font-size: 9.5pt; }
.when { font-style: italic; }
.question { break-inside: avoid; margin: 8pt 0 10pt; }
.question p { margin: 2pt 0; }
ul.options { list-style: none; margin: 3pt 0 0; padding: 0; }
ul.options li { margin: 2pt 0 2pt 1.6em; text-indent: -1.6em; }
.box { display: inline-block; width: 0.9em; height: 0.9em; border: 0.8pt solid #111;
       vertical-align: -0.1em; margin-right: 0.6em; text-indent: 0; }
.level { font-weight: bold; margin-right: 0.3em; }
.line { border-bottom: 0.6pt solid #777; height: 1.5em; }
.field { display: inline-block; min-width: 12em; border-bottom: 0.6pt solid #777; }
.profile td { padding: 3pt 10pt 3pt 0; }
.notes { margin-top: 4pt; font-size: 9pt; color: #444; }
"""


def _words(langs: tuple[str, ...], key: str) -> str:
    return " / ".join(labels("forms", lang)[key] for lang in langs)


class _Page:
    def __init__(self, q: Questionnaire, langs: tuple[str, ...]) -> None:
        self.q, self.langs = q, langs
        self.numbers = form_names(q).numbers
        self.parts: list[str] = []

    def add(self, html: str) -> None:
        self.parts.append(html)

    def build(self) -> str:
        q, langs = self.q, self.langs
        self.add(f"<h1>{escape(text(q.title, langs))}</h1>")
        if q.description:
            self.add(f'<p class="intro">{escape(text(q.description, langs))}</p>')
        self.add(f'<p class="intro">{escape(_words(langs, "intro"))}</p>')
        self.add('<table class="profile">')
        for key in ("organization", "unit", "role", "respondent", "date"):
            self.add(
                f'<tr><td>{escape(_words(langs, key))}</td><td><span class="field">'
                "&#160;</span></td></tr>"
            )
        self.add("</table>")
        for top in q.dimensions:
            self.dimension(top)
        return self.document()

    def dimension(self, dim: Dimension) -> None:
        tag = "h2" if dim.depth == 1 else "h3"
        self.add(f'<{tag} id="{escape(dim.id)}">{escape(text(dim.title, self.langs))}</{tag}>')
        for x in dim.questions:
            self.question(x)
        for child in dim.dimensions:
            self.dimension(child)

    def question(self, x: Question) -> None:
        langs = self.langs
        number = self.numbers[x.id]
        self.add(f'<section class="question" id="q-{escape(x.id)}">')
        self.add(f"<p><strong>{number}.</strong> {escape(text(x.text, langs))}</p>")
        note = condition_note(self.q, x, langs)
        if note:
            self.add(f'<p class="when">{escape(note.strip("（）"))}</p>')
        if x.type == "multi":
            self.add(f'<p class="help">{escape(_words(langs, "choose_many"))}</p>')
        if x.help:
            self.add(f'<p class="help">{escape(text(x.help, langs))}</p>')
        if x.options:
            self.add('<ul class="options">')
            shown = option_labels(x, langs)
            for i, said in enumerate(shown):
                level = ""
                if x.type == "level" and i < len(x.options):
                    level = f'<span class="level">{escape(str(x.options[i].value))}</span>'
                self.add(f'<li><span class="box"></span>{level}{escape(said)}</li>')
            self.add("</ul>")
        elif x.type == "number":
            self.add(f'<p><span class="field">&#160;</span> {escape(self.bounds(x))}</p>')
        else:
            self.add('<div class="line"></div><div class="line"></div>')
        self.add(f'<div class="notes">{escape(_words(langs, "notes"))}</div>')
        self.add('<div class="line"></div>')
        self.add("</section>")

    def bounds(self, x: Question) -> str:
        """A number's unit and range, and whether "not applicable" may be written."""
        said = []
        for lang in self.langs:
            w = labels("forms", lang)
            parts = []
            if x.min is not None and x.max is not None:
                parts.append(w["range"].format(min=f"{x.min:g}", max=f"{x.max:g}"))
            elif x.min is not None:
                parts.append(w["at_least"].format(min=f"{x.min:g}"))
            elif x.max is not None:
                parts.append(w["at_most"].format(max=f"{x.max:g}"))
            if x.allow_na:
                parts.append(w["na"])
            if parts:
                said.append("; ".join(parts))
        unit = text(x.unit, self.langs) if x.unit else ""
        return " ".join(filter(None, [unit, f"（{' / '.join(said)}）" if said else ""]))

    def document(self) -> str:
        from ..reporting.render import font_families_for_lang

        fonts = []
        for lang in self.langs:
            fonts += [f'"{f}"' for f in font_families_for_lang(lang)[:3]]
        style = STYLE % {"fonts": ", ".join([*dict.fromkeys(fonts), "sans-serif"])}
        lang = self.langs[0]
        body = "\n".join(self.parts)
        return (
            f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(text(self.q.title, self.langs))}</title>\n"
            f"<style>{style}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
        )


def printable(q: Questionnaire, langs: tuple[str, ...], pdf: bool) -> tuple[bytes, list[Problem]]:
    """The printable form as HTML, or as PDF; every condition fits in words (no problems)."""
    from ..reporting.output import markup_text

    html = markup_text(_Page(q, langs).build())
    if not pdf:
        return html.encode("utf-8"), []
    from ..reporting.render import render_pdf
    from ..resources import bundled_dir

    rendered = render_pdf(
        html,
        root=bundled_dir("report_templates"),
        lang=langs[0],
        title=text(q.title, langs),
        author="dtassess",
        subject=q.ref,
        created=CREATED,
    )
    return rendered.data, []
