"""The full-screen survey's speed: start-up, and keypress to redraw (docs/survey.md).

Targets on 2 cores: the survey on the screen within 0.5 s, a keypress redrawn within 50 ms.

    .venv/bin/python benchmarks/bench_survey.py [--lang zh] [--keys 60]

Three numbers:

- start-up of the real command in a pseudo-terminal (80x24): from `python -m dtassess survey`
  to the first question on the screen (needs pexpect, the test extra), and the same less the
  interpreter's own start (`python -c pass`);
- start-up in process: importing the app, loading gov-dt and drawing the first question;
- keypress to redraw: through Textual's headless harness, each key pressed and the screen
  redrawn and idle again (moving to the next question, answering one, which saves the file,
  and going back), median and 95th percentile.

Not a timed test: a loaded machine measures the load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pty_start(lang: str, repeat: int = 5) -> tuple[float, float, float]:
    """Median seconds from spawning the command to the first question on the screen, the CPU
    seconds of a run that quits there (a loaded machine inflates the first, hardly the second),
    and the interpreter's own start-up."""
    import resource

    import pexpect

    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    words = "第 1 题" if lang == "zh" else "Question 1 of"
    times, cpu = [], []
    with tempfile.TemporaryDirectory() as folder:
        for turn in range(repeat):
            args = ["-m", "dtassess", "survey", "--lang", lang, "-o", f"r{turn}.yaml"]
            args += ["--org", "o", "--org-name", "O", "--unit", "u", "--respondent", "r"]
            args += ["--role", "CIO", "--period", "2026"]
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            child = pexpect.spawn(sys.executable, args, cwd=folder, env=env, encoding="utf-8",
                                  dimensions=(24, 80), timeout=30)  # fmt: skip
            child.expect(words)
            times.append(time.perf_counter() - start)
            child.sendcontrol("c")
            child.expect(pexpect.EOF)
            child.close()
            now = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime)
    bare = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
    return statistics.median(times), statistics.median(cpu), statistics.median(bare)


async def in_process(lang: str, keys: int, preview: bool) -> tuple[float, float, list[float]]:
    """Start-up in process, and for each key the time from its arrival in the app to the end
    of the next screen update that follows it (Textual redraws on a timer, so this includes
    the wait for the next frame)."""
    start, cpu = time.perf_counter(), time.process_time()
    from textual import events
    from textual.screen import Screen

    from dtassess.inputs.questionnaire import load_questionnaire
    from dtassess.survey import Survey
    from dtassess.survey_app import SurveyApp
    from dtassess.surveyfile import SurveyFile

    took: list[float] = []
    pressed: list[float] = []

    class Timed(SurveyApp):
        async def on_event(self, event: events.Event) -> None:
            if isinstance(event, events.Key):
                pressed[:] = [time.perf_counter()]
            await super().on_event(event)

    refresh = Screen._compositor_refresh

    def timed_refresh(screen: Screen) -> None:
        refresh(screen)
        if pressed:
            took.append(time.perf_counter() - pressed.pop())

    Screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
    q = load_questionnaire("gov-dt")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.yaml"
        survey = Survey(q, path, meta={"organization": "o"}, store=SurveyFile(path))
        app = Timed(survey, lang, preview=preview)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            started, cpu = time.perf_counter() - start, time.process_time() - cpu
            took.clear()
            plan = ["pagedown", "pageup", "pagedown"]
            for turn in range(keys):
                key = plan[turn % len(plan)]
                question = q.question(app.main.question_id)
                if turn % 3 == 2 and question.type in ("level", "likert", "single"):
                    key = "2"  # an answer: saved to the file straight after the redraw
                await pilot.press(key)
                await pilot.pause(0.05)
    return started, cpu, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="zh")
    parser.add_argument("--keys", type=int, default=60)
    parser.add_argument("--no-pty", action="store_true", help="skip the real command")
    parser.add_argument(
        "--preview", action="store_true", help="with the score preview (scoring in a thread)"
    )
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    print(f"cores: {os.cpu_count()}, language: {options.lang}")
    if not options.no_pty:
        whole, cpu, bare = pty_start(options.lang)
        print(f"start-up, real command to first question: {whole * 1000:.0f} ms, "
              f"{cpu * 1000:.0f} ms CPU (interpreter alone {bare * 1000:.0f} ms; "
              "target < 500 ms)")  # fmt: skip
    started, cpu, took = asyncio.run(in_process(options.lang, options.keys, options.preview))
    print(f"start-up in process (imports, questionnaire, first screen): {started * 1000:.0f} ms, "
          f"{cpu * 1000:.0f} ms CPU")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.1f}")
    took.sort()
    p95 = took[int(len(took) * 0.95) - 1]
    print(f"keypress to redraw, {len(took)} keys: median {statistics.median(took) * 1000:.1f} ms, "
          f"95th percentile {p95 * 1000:.1f} ms, max {took[-1] * 1000:.1f} ms "
          "(target < 50 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
