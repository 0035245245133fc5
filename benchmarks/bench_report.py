"""Time one PDF report in stages, and how many reports a minute the command renders.

    python benchmarks/bench_report.py                  # sample county zh + en; 20 organisations
    python benchmarks/bench_report.py --repeat 5 --respondents 200

- demo report: the bundled sample county (`dtassess.sample_responses_dir()`) in Chinese, then
  English, end to end as five timed stages: (a) loading and scoring the responses, (b) the
  roadmap, (c) the report model, the JSON attachment, the charts and the Jinja2 HTML (and
  render_pdf's checks before it calls WeasyPrint), (d) WeasyPrint parsing and layout, (e)
  writing the PDF; (c) to (e) are timed through render_pdf's `on_stage` callback.
  Each stage is the best of --repeat runs after one untimed warm-up run (imports, fontconfig,
  font files). The staged PDF must be byte for byte the one `dtassess.render_report` gives for
  the same model, or the script exits with 1.
- throughput: synthetic gov-dt response files (benchmarks/generate.py) for 20 organisations,
  all reports rendered in Chinese with `render_many(jobs, workers=1)` and with one process per
  core (`workers=None`), then `dtassess report DIR -o OUTDIR --date ...` as a subprocess.

The throughput part runs first, while this process has not imported WeasyPrint yet: render_many
forks its workers from this process, and workers forked from a process that has already
rendered would start with warm caches that the command's workers do not have.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generate import write_response_files
from pypdf import PdfReader

import dtassess
from dtassess.pipeline import DEFAULT_INTERVALS
from dtassess.reporting import render as rd
from dtassess.reporting.documents import render_many, render_report
from dtassess.reporting.render import render_pdf
from dtassess.reporting.report import (
    ATTACHMENT,
    ReportModel,
    attachment_for,
    build_report,
    charts_for,
    report_names,
)
from dtassess.reporting.templating import load_brand, render_html, template_dir

DATE = dt.date(2026, 11, 25)
# (key, heading) of the five stages; "before WeasyPrint" is the sum of the first three.
STAGES = (
    ("load", "(a) load+score"),
    ("roadmap", "(b) roadmap"),
    ("html", "(c) html+charts"),
    ("layout", "(d) layout"),
    ("write", "(e) PDF write"),
)
BEFORE_WEASYPRINT = ("load", "roadmap", "html")
BEFORE_TARGET = 15.0  # percent


class Laps:
    """Seconds between successive calls of `lap`, summed per stage and kept per part."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.parts: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str, part: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self._last
        self.parts[part] = now - self._last
        self._last = now


@dataclass
class StagedRun:
    laps: Laps
    pdf: bytes
    pages: int
    model: ReportModel
    attachment: bytes
    folder: Path
    refused: tuple[str, ...] = ()


def pdf_arguments(model: ReportModel, attachment: bytes) -> dict[str, Any]:
    """What `dtassess.render_report` passes to render_pdf for a PDF without a variant."""
    return {
        "lang": model.lang,
        "title": f"{model.title} · {model.organization.name}",
        "author": model.organization.name,
        "subject": model.questionnaire.title,
        "created": dt.date.fromisoformat(model.date),
        "attachments": [(ATTACHMENT, attachment, "dtassess scores and roadmap (JSON)")],
        "variant": None,
    }


def staged_report(lang: str) -> StagedRun:
    """The sample county's report, as `dtassess demo` builds it and render_pdf renders it,
    with a lap at each stage boundary."""
    laps = Laps()
    # (a) loading and scoring
    loaded = dtassess.load_responses([dtassess.sample_responses_dir()])
    laps.lap("load", "load")
    result = dtassess.score(loaded, by="organization")
    laps.lap("load", "score")
    # (b) the roadmap
    roadmap = dtassess.build_roadmaps(result, loaded)[0]
    laps.lap("roadmap", "roadmap")
    # (c) report model, attachment, charts, HTML; then render_pdf's checks before WeasyPrint
    folder = template_dir()
    model = build_report(result, loaded, roadmap, lang, DATE, uncertainty=DEFAULT_INTERVALS)
    laps.lap("html", "model")
    attachment = attachment_for(result, roadmap)
    laps.lap("html", "attachment")
    meta = model.methodology
    rings = [level.min for level in meta.scale]
    brand = load_brand(folder)
    palette = {"primary": brand["primary"], "accent": brand["accent"]}
    charts = charts_for(model, (meta.score_range[0], meta.score_range[1]), rings, palette)
    laps.lap("html", "charts")
    html = render_html(model, charts, folder)
    laps.lap("html", "jinja2")
    args = pdf_arguments(model, attachment)
    # (c) ends with render_pdf's own checks; (d) and (e) are its WeasyPrint stages.
    stage_of = {"checks": "html", "parse": "layout", "layout": "layout", "write": "write"}
    rendered = render_pdf(
        html, root=folder, on_stage=lambda part: laps.lap(stage_of[part], part), **args
    )
    return StagedRun(
        laps, rendered.data, rendered.pages, model, attachment, folder, rendered.refused
    )


def best_stages(runs: list[StagedRun]) -> tuple[dict[str, float], dict[str, float]]:
    """Per stage and per part, the fastest of the runs."""
    stages = {key: min(r.laps.stages[key] for r in runs) for key, _ in STAGES}
    parts = {key: min(r.laps.parts[key] for r in runs) for key in runs[0].laps.parts}
    return stages, parts


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def demo_section(langs: list[str], repeat: int) -> bool:
    """Prints the staged table; returns whether every staged PDF matched render_report's."""
    print(
        f"\ndemo report: bundled sample county, {DATE}, per stage the best of {repeat} runs "
        "after 1 warm-up run",
        flush=True,
    )
    print(
        "(a) load_responses + score, (b) build_roadmaps, (c) build_report + attachment_for + "
        "charts_for + render_html + render_pdf's checks, (d) WeasyPrint HTML(...) + render(), "
        "(e) write_pdf and the rest of render_pdf",
        flush=True,
    )
    widths = [max(len(heading), 14) for _, heading in STAGES]
    header = "  ".join(f"{h:>{w}}" for (_, h), w in zip(STAGES, widths, strict=True))
    print(f"{'lang':<4} {'pages':>5}  {header}  {'total':>7}", flush=True)
    all_match = True
    notes: list[str] = []
    for lang in langs:
        staged_report(lang)  # warm-up
        runs = [staged_report(lang) for _ in range(repeat)]
        stages, parts = best_stages(runs)
        total = sum(stages.values())
        cells = "  ".join(
            f"{f'{stages[key]:.3f} s {100 * stages[key] / total:4.1f}%':>{w}}"
            for (key, _), w in zip(STAGES, widths, strict=True)
        )
        last = runs[-1]
        print(f"{lang:<4} {last.pages:>5}  {cells}  {total:>5.3f} s", flush=True)
        before = sum(stages[k] for k in BEFORE_WEASYPRINT)
        share = 100 * before / total
        verdict = "met" if share < BEFORE_TARGET else "NOT met"
        notes.append(
            f"{lang}: before WeasyPrint: {share:.1f}% (target < {BEFORE_TARGET:.0f}%, {verdict})"
        )
        notes.append(
            "    parts, best of each, ms: "
            + ", ".join(f"{k} {v * 1000:.0f}" for k, v in parts.items())
        )
        # The same model through the package's own function.
        start = time.perf_counter()
        reference = render_report(last.model, last.attachment, last.folder, "pdf", None)
        reference_s = time.perf_counter() - start
        stable = len({r.pdf for r in runs}) == 1
        match = all(r.pdf == reference for r in runs)
        all_match = all_match and match
        notes.append(
            f"    staged PDF {len(last.pdf):,} bytes, sha256 {sha(last.pdf)}, "
            f"identical over the {repeat} runs: {'yes' if stable else 'NO'}; "
            f"same bytes as dtassess.render_report: {'yes' if match else 'NO'} "
            f"(which took {reference_s:.3f} s"
            + (f"; fetcher refused {len(last.refused)} URLs" if last.refused else "")
            + ")"
        )
    for note in notes:
        print(note)
    return all_match


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float | None:
    """CPU seconds the whole machine has spent not idle (Linux /proc/stat), else None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timed:
    wall: float  # seconds
    cpu: float  # CPU seconds of the child processes that ended meanwhile
    busy: float | None  # CPU seconds of the whole machine meanwhile
    value: Any


def timed(function: Callable[[], Any]) -> Timed:
    cpu, busy = children_cpu(), machine_busy()
    start = time.perf_counter()
    value = function()
    wall = time.perf_counter() - start
    after = machine_busy()
    used = None if busy is None or after is None else after - busy
    return Timed(wall, children_cpu() - cpu, used, value)


def per_minute(reports: int, seconds: float) -> float:
    return 60.0 * reports / seconds


def dtassess_command() -> list[str]:
    script = Path(sys.executable).parent / "dtassess"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dtassess"]


def throughput_section(args: argparse.Namespace, work: Path) -> bool:
    """Prints reports per minute for render_many on 1 and all cores and for the command;
    returns whether all three gave the same bytes."""
    q = dtassess.load_questionnaire(args.questionnaire)
    answers = work / "answers"
    start = time.perf_counter()
    write_response_files(q, args.respondents, answers, seed=args.seed)
    generated_s = time.perf_counter() - start

    start = time.perf_counter()
    loaded = dtassess.load_responses([answers], q)
    result = dtassess.score(loaded, by="organization")
    roadmaps = dtassess.build_roadmaps(result, loaded)
    folder = template_dir()
    lang = q.locales[0]
    jobs = [
        (
            build_report(result, loaded, r, lang, DATE, uncertainty=DEFAULT_INTERVALS),
            attachment_for(result, r),
            folder,
            "pdf",
            None,
        )
        for r in roadmaps
    ]
    prepare_s = time.perf_counter() - start
    sizes = loaded.meta["organization"].value_counts()
    n = len(jobs)
    print(
        f"\nthroughput: {args.respondents} synthetic {q.ref} respondents (seed {args.seed}) in "
        f"{n} organisations ({sizes.min()}-{sizes.max()} respondents each), reports in {lang}; "
        f"files written in {generated_s:.2f} s; loading, scoring, roadmaps and {n} report "
        f"models in {prepare_s:.2f} s (not in the times below)",
        flush=True,
    )
    cores = os.cpu_count() or 1
    print(
        f"{'':<36} {'wall s':>7} {'reports/min':>11} {'s/report':>8} {'CPU s':>6} "
        f"{'our cores':>9} {'all cores':>9}",
        flush=True,
    )

    def row(label: str, run: Timed) -> None:
        machine_cores = "n/a" if run.busy is None else f"{run.busy / run.wall:.2f}"
        print(
            f"{label:<36} {run.wall:>7.2f} {per_minute(n, run.wall):>11.1f} "
            f"{run.wall / n:>8.3f} {run.cpu:>6.1f} {run.cpu / run.wall:>9.2f} "
            f"{machine_cores:>9}",
            flush=True,
        )

    one = timed(lambda: render_many(jobs, workers=1))
    row("render_many(workers=1)", one)
    processes = min(n, cores)
    every = timed(lambda: render_many(jobs, workers=None))
    row(f"render_many(workers=None), {processes} procs", every)

    out = work / "reports"
    command = [*dtassess_command(), "report", str(answers), "-o", str(out)]
    command += ["--date", DATE.isoformat()]
    cli = timed(lambda: subprocess.run(command, capture_output=True, text=True, check=False))
    if cli.value.returncode != 0:
        print(f"dtassess report failed ({cli.value.returncode}):\n{cli.value.stderr}")
        return False
    row("dtassess report (subprocess)", cli)
    print(
        "(CPU s: CPU time of the worker processes, or of the command and its workers; "
        "our cores = CPU s / wall; all cores = the whole machine's busy CPU / wall)"
    )

    expected = dict(zip(report_names(roadmaps, lang, "pdf"), one.value, strict=True))
    written = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    same_workers = one.value == every.value
    same_cli = written == expected
    print(
        f"speed-up with {processes} processes: {one.wall / every.wall:.2f}x (ideal "
        f"{processes}x); the command's wall time minus render_many(workers=None)'s: "
        f"{cli.wall - every.wall:+.2f} s (start-up, loading, scoring, roadmaps, models, files)"
    )
    if every.cpu / every.wall < 0.8 * processes:
        print(
            f"note: the {processes} workers kept only {every.cpu / every.wall:.2f} cores busy; "
            "if 'all cores' is higher, something else was running on the machine"
        )
    pages = [len(PdfReader(io.BytesIO(data)).pages) for data in one.value]
    print(
        f"same bytes: workers=1 vs workers=None {'yes' if same_workers else 'NO'}, "
        f"command's {len(written)} files vs render_many {'yes' if same_cli else 'NO'}; "
        f"{min(pages)}-{max(pages)} pages and "
        f"{sum(len(d) for d in one.value) / n / 1e6:.2f} MB per report"
    )
    return same_workers and same_cli


def machine() -> str:
    import weasyprint
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset, pango

    parts = [f"{os.cpu_count()} cores", platform.machine(), f"Python {platform.python_version()}"]
    version = pango.pango_version()
    subsetter = (
        "HarfBuzz subsetter"
        if harfbuzz_subset and harfbuzz.hb_version_atleast(4, 1, 0)
        else "fontTools subsetter (no libharfbuzz-subset)"
    )
    parts.append(
        f"weasyprint {weasyprint.__version__} "
        f"(Pango {version // 10000}.{version // 100 % 100}.{version % 100}, {subsetter})"
    )
    cjk = rd.font_families_for_lang("zh")
    parts.append(f"{len(cjk)} CJK font families" if cjk else "no CJK font")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of (demo stages)")
    parser.add_argument("--lang", nargs="+", default=["zh", "en"], help="demo report languages")
    parser.add_argument("-q", "--questionnaire", default="gov-dt", help="for the throughput")
    parser.add_argument(
        "--respondents",
        type=int,
        default=100,
        help="synthetic respondents for the throughput; generate.py spreads them over 20 "
        "organisations at random",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args(argv)

    ok = True
    if not args.skip_throughput:
        with tempfile.TemporaryDirectory(prefix="dtassess-bench-") as tmp:
            ok = throughput_section(args, Path(tmp)) and ok
    ok = demo_section(args.lang, args.repeat) and ok
    print(f"\nmachine: {machine()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
