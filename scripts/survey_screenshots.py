"""Render the full-screen survey's screenshots for docs/survey.md (SVG, in docs/images/).

    .venv/bin/python scripts/survey_screenshots.py

Each screen is drawn by Textual's headless harness at 80x24 on the bundled gov-dt, with a few
answers given, in Chinese and in English. The clock reads 00:00 and no score preview is drawn,
so that the files change only when the screens do.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dtassess.inputs.questionnaire import load_questionnaire  # noqa: E402
from dtassess.survey import Survey  # noqa: E402
from dtassess.survey_app import SurveyApp  # noqa: E402
from dtassess.surveyfile import SurveyFile  # noqa: E402

OUT = ROOT / "docs" / "images"
# (name, keys pressed after the first question is shown; NUMBER and LAST: the number of the
# first number question and of the last question)
SHOTS = [
    ("question", ["y", "pagedown"]),
    ("number", ["y", "4", "4", "g", "NUMBER", "enter", *"8５%"]),
    ("index", ["y", "4", "4", "i"]),
    ("review", ["y", "4", "4", "3", "r", "down", "down"]),
    ("confirm", ["y", "4", "4", "r", "enter", "n"]),
    ("summary", ["y", "4", "4", "3", "f", "g", "LAST", "enter", "pagedown"]),
]


async def shoot(lang: str, name: str, keys: list[str]) -> Path:
    q = load_questionnaire("gov-dt")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.yaml"
        survey = Survey(q, path, meta={"organization": "qingshan"}, store=SurveyFile(path))
        app = SurveyApp(survey, lang, preview=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for key in keys:
                if key == "NUMBER":  # the first number question, by its number
                    shown = enumerate(survey.visible(), start=1)
                    await pilot.press(*str(next(n for n, x in shown if x.type == "number")))
                    continue
                if key == "LAST":  # the last question, by its number
                    await pilot.press(*str(len(survey.visible())))
                    continue
                await pilot.press(key)
                await pilot.pause()
            app.spent.clear()
            app._clock = None
            screen = app.screen
            for redraw in ("redraw_progress", "refill"):
                if hasattr(screen, redraw):
                    getattr(screen, redraw)()
            await pilot.pause()
            target = OUT / f"survey-{name}-{lang}.svg"
            app.save_screenshot(filename=target.name, path=str(OUT))
    return target


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for lang in ("zh", "en"):
        for name, keys in SHOTS:
            print(asyncio.run(shoot(lang, name, keys)).relative_to(ROOT))


if __name__ == "__main__":
    main()
