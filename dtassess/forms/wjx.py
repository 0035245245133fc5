"""A questionnaire as 问卷星 (Wenjuanxing) text, to paste into its 文本导入 ("import from text").

The title and description first, then each question as a block: its number, its text and a type
marker (【单选题】, 【多选题】, 【填空题】), then one option per line, in the questionnaire's order;
a blank line between blocks. 问卷星 has no skip logic in text, so a condition is said in words
after the text, in brackets (（仅当第1题为“是”时回答）), and its export of the form heads each
column `1、text（…）`, which `dtassess import` matches back by the text (the bracket is ignored).
The profile questions (organization, department, position) come last, so that the numbers
the conditions name are the questions' own.
"""

from __future__ import annotations

from ..errors import Problem
from ..inputs.formnames import form_names
from ..inputs.questionnaire import Question, Questionnaire
from ..labels import labels
from .expressions import text as _text
from .expressions import words

MARKERS = {"multi": "【多选题】", "number": "【填空题】", "text": "【填空题】"}
SINGLE = "【单选题】"


def text(value: dict[str, str] | None, langs: tuple[str, ...]) -> str:
    """A text on one line: a line break would end the block."""
    return " ".join(_text(value, langs).split())


def option_labels(x: Question, langs: tuple[str, ...]) -> list[str]:
    """The options as a form shows them: labels, yes/no in words, or the value itself."""
    shown = []
    for option in x.options:
        if option.label:
            shown.append(text(option.label, langs))
        elif x.type == "boolean":
            shown.append(" / ".join(labels("questionnaire", lang)[option.value] for lang in langs))
        else:
            shown.append(str(option.value))
    if x.allow_na and x.options:
        shown.append(" / ".join(labels("forms", lang)["na"] for lang in langs))
    return shown


def condition_note(q: Questionnaire, x: Question, langs: tuple[str, ...]) -> str:
    """（仅当第1题为“是”时回答）, or nothing for a question always asked."""
    if x.when is None:
        return ""
    names = form_names(q)
    said = " / ".join(
        labels("forms", lang)["shown_when"].format(condition=words(q, names, x.when, (lang,)))
        for lang in langs
    )
    return f"（{said}）"


def wjx(q: Questionnaire, langs: tuple[str, ...]) -> tuple[bytes, list[Problem]]:
    """The text to paste, as UTF-8 bytes; every condition fits in words (no problems)."""
    blocks = [text(q.title, langs)]
    if q.description:
        blocks.append(text(q.description, langs))
    number = 0
    for number, x in enumerate(q.questions, 1):
        marker = MARKERS.get(x.type, SINGLE)
        lines = [f"{number}. {text(x.text, langs)}{condition_note(q, x, langs)}{marker}"]
        lines += option_labels(x, langs)
        blocks.append("\n".join(lines))
    words_ = [labels("forms", lang) for lang in langs]
    for offset, key in enumerate(("organization", "unit", "role"), 1):
        title = " / ".join(w[key] for w in words_)
        blocks.append(f"{number + offset}. {title}【填空题】")
    return ("\n\n".join(blocks) + "\n").encode("utf-8"), []
