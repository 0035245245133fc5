"""One entry to the form writers: a questionnaire in a format and languages, as bytes."""

from __future__ import annotations

from ..errors import DtassessError, ExitCode, Problem
from ..inputs.questionnaire import Questionnaire

FORMATS = ("xlsform", "wjx", "limesurvey", "html", "pdf")
# Tools that carry every language in one form; the others print one (or both, side by side).
MULTILINGUAL = ("xlsform", "limesurvey")


def form_languages(q: Questionnaire, fmt: str, lang: str | None) -> tuple[str, ...]:
    """The languages a form is written in: `--lang zh`, `en` or `both` (the questionnaire's
    every language); by default every language for XLSForm and LimeSurvey, else the first."""
    if lang is None:
        return q.locales if fmt in MULTILINGUAL else q.locales[:1]
    if lang == "both":
        return q.locales
    if lang not in q.locales:
        raise DtassessError(
            Problem(
                "F002",
                f"--lang {lang}: {q.ref} is written in {', '.join(q.locales)} (or give both)",
            ),
            ExitCode.BAD_INPUT,
        )
    return (lang,)


def render_form(q: Questionnaire, fmt: str, langs: tuple[str, ...]) -> tuple[bytes, list[Problem]]:
    """The form's bytes, and warnings about what the format could not carry (X001)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown form format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if fmt == "xlsform":
        from .xlsform import xlsform

        return xlsform(q, langs)
    if fmt == "wjx":
        from .wjx import wjx

        return wjx(q, langs)
    if fmt == "limesurvey":
        from .limesurvey import limesurvey

        return limesurvey(q, langs)
    from .printable import printable

    return printable(q, langs, pdf=fmt == "pdf")
