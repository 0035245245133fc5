"""The `dtassess` command: parse options, call the library, print what it returns.

Heavy modules (pandas, the engine) are imported inside the commands, so that `dtassess --help`
stays fast. Every failure leaves through `_handled`, which turns it into messages on stderr and a
documented exit code (docs/errors.md); a traceback appears only with --debug.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from . import __version__
from .errors import DtassessError, ExitCode, Problem, errors_only

app = typer.Typer(
    name="dtassess",
    help="Measure a government agency's digital-transformation maturity and say what to do next.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state: dict[str, bool] = {"debug": False, "quiet": False}


# markup=False: every string printed holds data (names, units, questionnaire titles), and a
# name such as "[/bold]" must be shown as it is, not parsed as a style tag (or fail to parse).
def _stderr():
    return _console_class()(stderr=True, highlight=False, soft_wrap=True, markup=False)


def _stdout():
    return _console_class()(highlight=False, markup=False)


@functools.cache
def _console_class() -> type:
    """A rich Console that leaves a closed pipe to `_handled` (rich itself exits with 1)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            if self.stderr:
                # Messages nobody reads: drop them, and keep the run's exit status.
                _to_devnull(sys.stderr)
                return
            raise BrokenPipeError(errno.EPIPE, "standard output closed")

    return PipeConsole


def _to_devnull(stream: Any) -> None:
    """Point a stream's descriptor at the null device, so that what is still buffered, and
    Python's flush at exit, go nowhere instead of failing (as the Python docs on SIGPIPE
    advise)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # a stream without one (tests' CliRunner)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _stdout_gone() -> bool:
    """Whether standard output is a pipe or socket whose reader has gone (`... | head`)."""
    import select

    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
    except (AttributeError, OSError, ValueError):
        return True  # cannot tell (no descriptor, no poll): the pipe error says so
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def report_problems(problems: list[Problem]) -> None:
    err = _stderr()
    for problem in problems:
        style = "yellow" if problem.severity == "warning" else "red"
        err.print(problem.format(), style=style, markup=False)


def _handled(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command; turn DtassessError and Ctrl-C into messages and exit codes, and a closed
    standard output (the reader has gone) into a quiet exit 0."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DtassessError as exc:
            report_problems(exc.problems)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            _stderr().print("interrupted", style="yellow")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if isinstance(exc, BrokenPipeError) and _stdout_gone():
                # `dtassess ... | head` read what it wanted: no error, and nothing to say.
                _to_devnull(sys.stdout)
                raise typer.Exit(int(ExitCode.OK)) from None
            if _state["debug"]:
                raise
            _stderr().print(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in dtassess; run again with --debug for the traceback and "
                "report it.",
                style="red",
                markup=False,
            )
            raise typer.Exit(int(ExitCode.INTERNAL)) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dtassess {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    _state["debug"] = debug
    _state["quiet"] = False


class Grouping(StrEnum):
    respondent = "respondent"
    unit = "unit"
    organization = "organization"


class Statistic(StrEnum):
    mean = "mean"
    median = "median"


class ScoreFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"
    junit = "junit"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


class Engine(StrEnum):
    pandas = "pandas"
    dask = "dask"


# Shared options, defined once.
QuestionnaireOpt = Annotated[
    str | None,
    typer.Option(
        "-q",
        "--questionnaire",
        help="Questionnaire file or bundled id (gov-dt, gov-dt@1.0). "
        "Default: the one the responses name.",
        metavar="QUESTIONNAIRE",
    ),
]
ResponsesArg = Annotated[
    list[Path],
    typer.Argument(
        help="Response files or directories, or online-form exports (.csv, .xlsx, .parquet; "
        "with -q).",
        metavar="RESPONSE",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Encoding of CSV exports (default: detect UTF-8 or GB18030).",
        metavar="ENC",
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="What the exports' columns and answers mean, where headers do not say it "
        "(docs/import.md).",
        metavar="MAP.yaml",
    ),
]
OrgOpt = Annotated[
    str | None, typer.Option("--org", help="Organization id, when no column gives it.")
]
OrgNameOpt = Annotated[
    str | None, typer.Option("--org-name", help="Organization name, when no column gives it.")
]
VersionMapOpt = Annotated[
    Path | None,
    typer.Option(
        "--version-map",
        help="Compare periods answered with two versions of the questionnaire "
        "(docs/scoring.md, Periods).",
        metavar="MAP.yaml",
    ),
]
PeriodOpt = Annotated[
    str | None, typer.Option("--period", help="Period, e.g. 2026, when no column gives it.")
]
GovDtOpt = Annotated[
    str,
    typer.Option(
        "-q", "--questionnaire", help="Questionnaire file or bundled id.", metavar="QUESTIONNAIRE"
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang", help="Language of titles: zh or en (default: the questionnaire's first)."
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o", "--output", help="Write to this file instead of standard output (- for it too)."
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")]


# The default 3 is roadmap.MIN_GROUP_SIZE, the library's (not imported here: --help stays fast).
MinGroupSizeOpt = Annotated[
    int,
    typer.Option(
        "--min-group-size",
        min=1,
        help="Withhold organizations and units of fewer respondents than this: their results "
        "could identify them (re-identification risk; 1 shows every group).",
        metavar="K",
    ),
]


QuietOpt = Annotated[
    bool, typer.Option("--quiet", help="No progress bar and no 'wrote ...' messages.")
]


class _Progress:
    """A progress bar on stderr while files load; silent when stderr is not a terminal."""

    def __init__(self, quiet: bool, label: str = "reading") -> None:
        self.label = label
        self.bar: Any = None
        self.enabled = not quiet and sys.stderr.isatty()

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        from rich.progress import Progress

        self.bar = Progress(console=_stderr(), transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=None)

        def update(done: int, total: int) -> None:
            self.bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _lang(q: Any, lang: str | None) -> str:
    if lang is None:
        return q.locales[0]
    if lang not in q.locales:
        raise DtassessError(
            Problem("F002", f"--lang {lang}: {q.ref} is written in {', '.join(q.locales)}")
        )
    return lang


@app.command()
@_handled
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Questionnaire files, or response files and directories with --responses.",
            metavar="FILE",
        ),
    ],
    responses: Annotated[
        bool,
        typer.Option(
            "--responses",
            help="FILES are responses; check them against -q or the questionnaire they name.",
        ),
    ] = False,
    questionnaire: QuestionnaireOpt = None,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="text: one problem a line; json: a list.")
    ] = CheckFormat.text,
) -> None:
    """Check questionnaires (or response files) and print every problem with its place.

    Exit 0 when valid (warnings allowed), 1 when invalid, 2 when a file cannot be read.
    """
    from .inputs.questionnaire import check_questionnaire, load_questionnaire

    problems: list[Problem] = []
    checked = 0
    if responses:
        from .inputs.responses import check_responses

        q = load_questionnaire(questionnaire) if questionnaire else None
        good, problems, _ = check_responses(files, q)
        read = [p.path for p in problems if p.code != "F015"] + [r.source for r in good]
        checked = len(set(read))
    else:
        from .inputs.distinct import distinct_files

        paths, problems = distinct_files(_questionnaire_files(files))
        for path in paths:
            _, found = check_questionnaire(path)
            problems.extend(found)
            checked += 1
    errors = errors_only(problems)
    if output_format is CheckFormat.json:
        import json

        typer.echo(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            typer.echo(problem.format())
    warnings = len(problems) - len(errors)
    summary = f"{checked} file(s) checked: {len(errors)} error(s), {warnings} warning(s)"
    _stderr().print(summary, style="red" if errors else "green", markup=False)
    if errors:
        raise typer.Exit(int(ExitCode.INVALID))


def _questionnaire_files(paths: list[Path]) -> list[Path]:
    """Files as given; a directory stands for the questionnaires directly inside it."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            if not inside:
                raise DtassessError(
                    Problem("F001", f"no questionnaire (.yaml, .yml) in {path}", str(path))
                )
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise DtassessError(Problem("F001", f"file not found: {path}", str(path)))
    return found


@app.command()
@_handled
def score(
    responses: ResponsesArg,
    questionnaire: QuestionnaireOpt = None,
    by: Annotated[
        Grouping, typer.Option("--by", help="Group results by this.")
    ] = Grouping.organization,
    statistic: Annotated[
        Statistic, typer.Option("--stat", help="How respondents combine into a group.")
    ] = Statistic.mean,
    output_format: Annotated[
        ScoreFormat, typer.Option("--format", help="Output format.")
    ] = ScoreFormat.table,
    output: OutputOpt = None,
    force: ForceOpt = False,
    fail_under: Annotated[
        str | None,
        typer.Option(
            "--fail-under",
            help="Bars like overall=60,security=50; exit 1 if any group scores below one.",
            metavar="SPEC",
        ),
    ] = None,
    min_group_size: MinGroupSizeOpt = 3,
    lang: LangOpt = None,
    quiet: QuietOpt = False,
    version_map: VersionMapOpt = None,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    org: OrgOpt = None,
    org_name: OrgNameOpt = None,
    period: PeriodOpt = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="Score here (pandas) or on a Dask cluster (dask: Parquet datasets and CSV "
            "exports larger than memory; docs/distributed.md).",
        ),
    ] = Engine.pandas,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --engine dask: the Dask scheduler (tcp://host:8786). Default: a local "
            "cluster for this run.",
            metavar="ADDRESS",
        ),
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option(
            "--partitions",
            min=1,
            help="With --engine dask: partitions per worker thread (default 2).",
            metavar="N",
        ),
    ] = None,
) -> None:
    """Score responses into maturity levels per dimension, by organization, unit or respondent.

    Given PDF reports instead, read back the scores each report carries.
    """
    from .inputs.exports import ExportOptions
    from .inputs.loading import load_periods
    from .scoring.engine import GROUPINGS
    from .scoring.periods import score_periods

    if output_format is ScoreFormat.parquet:
        if output is None:
            raise DtassessError(
                Problem(
                    "U002",
                    "--format parquet needs -o FILE (it is binary), or -o - when standard "
                    "output is piped or redirected",
                )
            )
        _stdout_takes(output, binary="Parquet")
    q = _questionnaire_or_none(questionnaire)
    exports = ExportOptions(encoding, mapping, org, org_name, period)
    pdfs = [p for p in responses if p.suffix.lower() == ".pdf"]
    if engine is Engine.dask:
        from .inputs.distinct import distinct_files

        # The paths given; files inside a dataset folder are listed by the workers.
        responses, repeated = distinct_files(responses)
        report_problems(repeated)
        with _Progress(quiet, "scoring on Dask") as progress:
            result = _score_on_dask(
                responses, q, by, statistic, min_group_size, version_map, exports, scheduler,
                partitions, progress,
            )  # fmt: skip
        report_problems(result.problems)
        q = result.questionnaire
    elif scheduler is not None or partitions is not None:
        raise DtassessError(
            Problem("U002", "--scheduler and --partitions need --engine dask (docs/distributed.md)")
        )
    elif pdfs:
        from .inputs.distinct import distinct_files
        from .reporting.report import scores_from_reports

        if len(pdfs) != len(responses) or by is not Grouping.organization:
            raise DtassessError(
                Problem(
                    "F006",
                    "reports carry their scores by organization: give only PDF reports, "
                    "without --by, or score the response files instead",
                )
            )
        pdfs, repeated = distinct_files(pdfs)
        report_problems(repeated)
        result = scores_from_reports(pdfs, q, min_group_size)
        q = result.questionnaire
    else:
        with _Progress(quiet) as progress:
            loaded, older = load_periods(responses, q, exports, version_map, progress)
        report_problems(loaded.problems + [p for s, _ in older for p in s.problems])
        q = loaded.questionnaire
        result = None
    language = _lang(q, lang)
    bars = None
    if fail_under:
        from .scoring.thresholds import parse_bars

        bars = parse_bars(fail_under, q)
    if result is None:
        result = score_periods(loaded, older, by.value, statistic.value, min_group_size)
        _report_left_out(result)
    if result.withheld:
        _stderr().print(
            f"withheld {result.withheld} group(s) with fewer than {min_group_size} "
            "respondents: their results could identify individual respondents "
            "(--min-group-size 1 shows them)",
            style="yellow",
            markup=False,
        )
    checks = None
    if bars is not None:
        from .scoring.thresholds import check_bars

        checks = check_bars(result.table, bars, list(GROUPINGS[by.value]))
    _state["quiet"] = quiet
    _emit(result, output_format, output, force, language, checks)
    if checks is not None:
        failed = [c for c in checks if not c.passed]
        err = _stderr()
        for check in failed:
            err.print(f"below the bar: {check.describe()}", style="red", markup=False)
        if failed:
            raise typer.Exit(int(ExitCode.INVALID))
        if not checks:
            # A bar that checked nothing is not a bar that was met.
            err.print(
                f"no group was checked against the bars: all {result.withheld} group(s) have "
                f"fewer than {min_group_size} respondents (--min-group-size 1 checks them; "
                "--by organization groups more respondents)",
                style="red",
                markup=False,
            )
            raise typer.Exit(int(ExitCode.INVALID))
        if not quiet:
            err.print(f"all {len(checks)} bar(s) met", style="green")


def _score_on_dask(
    responses, q, by, statistic, min_group_size, version_map, exports, scheduler, partitions,
    progress,
):  # fmt: skip
    """`dtassess score --engine dask`: the options it cannot take refused, dask imported only
    here."""
    refused = None
    if by is Grouping.respondent:
        refused = "--by respondent (per-respondent results are as large as the data)"
    elif version_map is not None:
        refused = "--version-map"
    if refused:
        raise DtassessError(
            Problem(
                "D001",
                f"--engine dask does not take {refused}; leave it out, or use --engine pandas",
            )
        )
    if q is None:
        raise DtassessError(
            Problem(
                "D001",
                "--engine dask scores exports, which do not name their questionnaire; pass -q "
                "(for example -q gov-dt)",
            )
        )
    from .scoring.distributed import PARTITIONS, score_dask

    try:
        return score_dask(
            responses,
            q,
            by.value,
            statistic.value,
            min_group_size,
            scheduler=scheduler,
            partitions=partitions or PARTITIONS,
            encoding=exports.encoding,
            mapping=exports.mapping,
            org=exports.org,
            org_name=exports.org_name,
            period=exports.period,
            progress=progress,
        )
    except ImportError as exc:  # dask or distributed missing
        raise DtassessError(Problem("D001", f"--engine dask: {exc}")) from None


def _report_left_out(result: Any) -> None:
    """Say which questions comparisons between questionnaire versions leave out."""
    if not result.left_out:
        return
    listing = "; ".join(f"{qid} ({why})" for qid, why in result.left_out)
    _stderr().print(
        f"changes and trends leave out {len(result.left_out)} question(s) that the two "
        f"questionnaire versions do not ask the same way: {listing}",
        style="yellow",
        markup=False,
    )


def _questionnaire_or_none(ref: str | None):
    if ref is None:
        return None
    from .inputs.questionnaire import load_questionnaire

    return load_questionnaire(ref)


def _emit(result, output_format, output, force, language, checks) -> None:
    from .reporting import output as out

    if output_format is ScoreFormat.table:
        if output is None or _is_stdout(output):
            out.print_table(result, _stdout(), language)
            return
        text = _console_text(lambda console: out.print_table(result, console, language))
    elif output_format is ScoreFormat.json:
        text = out.to_json(result, checks)
    elif output_format is ScoreFormat.junit:
        text = out.to_junit(result, checks, language)
    elif output_format is ScoreFormat.parquet:
        _write_bytes(out.to_parquet(result, language), output, force)
        return
    else:
        text = out.to_csv(result, language)
    _write_text(text, output, force)


def _is_stdout(output: Path | None) -> bool:
    """`-o -` names standard output (a file called - takes its folder: `-o "$PWD/-"`)."""
    return output is not None and str(output) == "-"


def _stdout_takes(output: Path | None, binary: str | None = None, many: str | None = None) -> None:
    """Refuse `-o -`, before any work, where standard output cannot take the result: several
    files (`many` says why), or a `binary` format when standard output is a terminal."""
    if not _is_stdout(output):
        return
    if many:
        why = f"{many}; give a folder"
    elif binary and sys.stdout.isatty():
        why = (
            f"{binary} is binary and standard output is a terminal; redirect it "
            "(-o - > FILE) or pipe it, or give a file name"
        )
    else:
        return
    raise DtassessError(Problem("F016", f"-o -: {why}"))


def _write_text(text: str, output: Path | None, force: bool) -> None:
    """A result to standard output, or atomically to a file that is not replaced unasked."""
    if output is None or _is_stdout(output):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .files import write_atomic

    write_atomic(output, text, force=force)
    if not _state.get("quiet"):
        _stderr().print(f"wrote {output}", markup=False)


def _write_bytes(data: bytes, output: Path, force: bool) -> None:
    """A binary result (Parquet, PDF) to a file, or to standard output with `-o -`."""
    if _is_stdout(output):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from .files import write_atomic

    write_atomic(output, data, force=force)
    if not _state.get("quiet"):
        _stderr().print(f"wrote {output}", markup=False)


def _console_text(draw: Callable[[Any], None]) -> str:
    """What a rich drawing prints, as plain text for a file."""
    import io

    from rich.console import Console

    console = Console(record=True, width=120, file=io.StringIO())
    draw(console)
    return console.export_text()


def _render_and_write(paths: list[Path], jobs: list[tuple], force: bool) -> None:
    """Render reports (in parallel when there are several) and write them all or none (or the
    one report to standard output with `-o -`)."""
    from .files import refuse_existing
    from .reporting.documents import render_many

    refuse_existing(_files_of(paths), force)
    _write_all(paths, render_many(jobs), force)


def _write_all(paths: list[Path], rendered: list[bytes], force: bool) -> None:
    """Rendered outputs to their files, all or none (a full disk at the last one leaves none of
    them), or the one output to standard output with `-o -`."""
    from .files import write_files

    if len(paths) == 1 and _is_stdout(paths[0]):
        _write_bytes(rendered[0], paths[0], force)
        return
    for path in write_files(list(zip(paths, rendered, strict=True)), force):
        _stderr().print(f"wrote {path}", markup=False)


def _files_of(paths: list[Path]) -> list[Path]:
    """The outputs that are files (not `-o -`)."""
    return [path for path in paths if not _is_stdout(path)]


TargetOpt = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="Target level for every dimension (4) or per dimension (strategy=4,security=5). "
        "Default: one level above the current one.",
        metavar="SPEC",
    ),
]
TargetsFileOpt = Annotated[
    Path | None,
    typer.Option("--targets", help="A YAML file with a 'targets:' block.", metavar="FILE"),
]


class RoadmapFormat(StrEnum):
    table = "table"
    json = "json"


def _targets(q: Any, spec: str | None, path: Path | None):
    from .roadmap import Targets, load_targets, parse_targets

    if spec and path:
        raise DtassessError(Problem("U001", "give --target or --targets, not both"))
    if path is not None:
        return load_targets(path, q)
    return parse_targets(spec, q) if spec else Targets()


def _scored(responses: list[Path], questionnaire: str | None, exports: Any):
    """Responses loaded and scored by organization, warnings printed."""
    from .inputs.loading import load_periods
    from .scoring.scores import score as run_score

    loaded, _ = load_periods(responses, _questionnaire_or_none(questionnaire), exports)
    report_problems(loaded.problems)
    return loaded, run_score(loaded, by="organization")


@app.command()
@_handled
def roadmap(
    responses: ResponsesArg,
    questionnaire: QuestionnaireOpt = None,
    target: TargetOpt = None,
    targets_file: TargetsFileOpt = None,
    output_format: Annotated[
        RoadmapFormat, typer.Option("--format", help="Output format.")
    ] = RoadmapFormat.table,
    output: OutputOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    org: OrgOpt = None,
    org_name: OrgNameOpt = None,
    period: PeriodOpt = None,
    min_group_size: MinGroupSizeOpt = 3,
) -> None:
    """Turn scores into prioritised, phased actions per organization (docs/roadmap.md)."""
    from .inputs.exports import ExportOptions
    from .roadmap import build_roadmaps, small_groups

    exports = ExportOptions(encoding, mapping, org, org_name, period)
    loaded, result = _scored(responses, questionnaire, exports)
    q = loaded.questionnaire
    language = _lang(q, lang)
    targets = _targets(q, target, targets_file)
    roadmaps = build_roadmaps(result, loaded, targets, min_group_size)
    _withhold(small_groups(result, min_group_size), min_group_size, len(roadmaps))
    if output_format is RoadmapFormat.json:
        import json

        doc = {"format": "dtassess.roadmap/1", "roadmaps": [r.to_dict() for r in roadmaps]}
        _write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", output, force)
        return
    from .reporting.output import print_roadmap

    def draw(console: Any) -> None:
        for item in roadmaps:
            print_roadmap(item, q, console, language)

    if output is None or _is_stdout(output):
        draw(_stdout())
    else:
        _write_text(_console_text(draw), output, force)


class ReportFormat(StrEnum):
    pdf = "pdf"
    html = "html"


def _withhold(
    groups: list[dict[str, Any]], min_group_size: int, shown: int, kind: str = "organization"
) -> None:
    """Say which groups a roadmap or report leaves out (roadmap.withheld_notice); exit 1 when
    that leaves nothing to show."""
    if not groups:
        return
    from .roadmap import withheld_notice

    text = withheld_notice(groups, min_group_size, shown, kind)
    _stderr().print(text, style="yellow" if shown else "red", markup=False)
    if not shown:
        raise typer.Exit(int(ExitCode.INVALID))


def _report_date(value: str | None):
    import datetime as dt

    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DtassessError(
            Problem("T001", f"--date: '{value}' is not a date like 2026-11-25")
        ) from None


@app.command()
@_handled
def report(
    responses: ResponsesArg,
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="The report file; a folder when the responses name several organizations.",
        ),
    ],
    questionnaire: QuestionnaireOpt = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="pdf, or one self-contained html file.")
    ] = ReportFormat.pdf,
    lang: LangOpt = None,
    target: TargetOpt = None,
    targets_file: TargetsFileOpt = None,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="A template folder made by 'dtassess template init'."),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Report date YYYY-MM-DD (default today); the same inputs and date give the "
            "same bytes.",
            metavar="DATE",
        ),
    ] = None,
    pdf_variant: Annotated[
        str | None,
        typer.Option(
            "--pdf-variant",
            help="pdf/a-3b (archiving), pdf/ua-1 (tagged, accessible), ...",
            metavar="VARIANT",
        ),
    ] = None,
    force: ForceOpt = False,
    annual: Annotated[
        bool,
        typer.Option(
            "--annual",
            help="The annual report: every unit over every period given (docs/report.md).",
        ),
    ] = False,
    per_unit: Annotated[
        bool,
        typer.Option(
            "--per-unit", help="One full report per unit of the latest period, into the folder -o."
        ),
    ] = False,
    min_group_size: MinGroupSizeOpt = 3,
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            help="--annual: take earlier periods from this archive (docs/archive.md).",
            metavar="ARCHIVE",
        ),
    ] = None,
    resamples: Annotated[
        int,
        typer.Option(
            "--resamples",
            min=0,
            help="--annual: bootstrap resamples for score intervals (0: none).",
            metavar="N",
        ),
    ] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", help="--annual: seed of the resampling.", metavar="S")
    ] = 0,
    version_map: VersionMapOpt = None,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    org: OrgOpt = None,
    org_name: OrgNameOpt = None,
    period: PeriodOpt = None,
) -> None:
    """Render the PDF (or HTML) roadmap report, one per organization; --annual renders the
    annual report of every unit over several periods, --per-unit one report per unit."""
    from .inputs.exports import ExportOptions
    from .reporting.report import attachment_for, build_report, report_names
    from .reporting.templating import template_dir
    from .roadmap import build_roadmaps, small_groups

    exports = ExportOptions(encoding, mapping, org, org_name, period)
    _stdout_takes(
        output,
        binary="a PDF" if output_format is ReportFormat.pdf else None,
        many="--per-unit writes one report per unit" if per_unit else None,
    )
    if annual or per_unit:
        if annual and per_unit:
            raise DtassessError(Problem("U001", "give --annual or --per-unit, not both"))
        options = {
            "output": output,
            "questionnaire": questionnaire,
            "fmt": output_format.value,
            "lang": lang,
            "targets": (target, targets_file),
            "template": template,
            "date": date,
            "variant": pdf_variant,
            "force": force,
            "min_group_size": min_group_size,
            "archive": archive,
            "resamples": resamples,
            "seed": seed,
            "version_map": version_map,
        }
        if annual:
            _annual_report(responses, exports, options)
        else:
            _unit_reports(responses, exports, options)
        return
    loaded, result = _scored(responses, questionnaire, exports)
    q = loaded.questionnaire
    language = _lang(q, lang)
    folder = template_dir(template)
    day = _report_date(date)
    if output_format is ReportFormat.pdf:
        from .reporting.render import check_cjk_font

        check_cjk_font(language)
    roadmaps = build_roadmaps(result, loaded, _targets(q, target, targets_file), min_group_size)
    withheld = small_groups(result, min_group_size)
    organizations = len(roadmaps) + len(withheld)
    if organizations > 1:  # a folder for several organizations, withheld or not
        _stdout_takes(output, many=f"the responses name {organizations} organizations")
        if output.exists() and not output.is_dir():
            raise DtassessError(
                Problem(
                    "F003",
                    f"{output} is a file, but the responses name {organizations} "
                    "organizations: give a folder",
                    str(output),
                )
            )
    _withhold(withheld, min_group_size, len(roadmaps))
    if organizations == 1:
        paths = [output]
    else:
        from .files import inside

        names = report_names(roadmaps, language, output_format.value)
        paths = [inside(output, name) for name in names]
    from .files import refuse_existing

    refuse_existing(_files_of(paths), force)  # before the work, not after it
    jobs = [
        (
            build_report(result, loaded, r, language, day, min_group_size),
            attachment_for(result, r),
            folder,
            output_format.value,
            pdf_variant,
        )
        for r in roadmaps
    ]
    _render_and_write(paths, jobs, force)


def _periods_loaded(responses: list[Path], exports: Any, options: dict[str, Any]):
    """Responses of every period, with earlier periods from an archive, and older versions."""
    from .inputs.loading import load_periods
    from .inputs.responses import concat_sets

    q = _questionnaire_or_none(options["questionnaire"])
    with _Progress(False) as progress:
        loaded, older = load_periods(responses, q, exports, options["version_map"], progress)
    report_problems(loaded.problems + [p for s, _ in older for p in s.problems])
    if options["archive"] is not None:
        from .archive import archived_periods, load_archive

        # A period given as responses replaces the same period in the archive.
        given = set(loaded.meta["period"].fillna(""))
        wanted = [p for p in archived_periods(options["archive"]) if p not in given]
        if wanted:
            earlier = load_archive(options["archive"], wanted, loaded.questionnaire)
            report_problems(earlier.problems)
            loaded = concat_sets(loaded.questionnaire, [earlier, loaded])
    return loaded, older


def _report_inputs(responses: list[Path], exports: Any, options: dict[str, Any]):
    """What --annual and --per-unit reports start from: the periods' responses (and older
    versions'), the report's language and template folder; for PDF, the CJK font checked
    before any work."""
    from .reporting.templating import template_dir

    loaded, older = _periods_loaded(responses, exports, options)
    language = _lang(loaded.questionnaire, options["lang"])
    folder = template_dir(options["template"])
    if options["fmt"] == "pdf":
        from .reporting.render import check_cjk_font

        check_cjk_font(language)
    return loaded, older, language, folder


# The annual report's intervals: 90%, respondents resampled and weights perturbed by ±20%.
DEFAULT_INTERVALS = {"resamples": 1000, "level": 0.9, "weight_spread": 0.2, "seed": 0}


def _annual_report(responses: list[Path], exports: Any, options: dict[str, Any]) -> None:
    from .files import inside, refuse_existing, safe_names
    from .reporting.annual import annual_models, render_annual, small_organizations

    loaded, older, language, folder = _report_inputs(responses, exports, options)
    q = loaded.questionnaire
    uncertainty = None
    if options["resamples"]:
        uncertainty = {
            **DEFAULT_INTERVALS,
            "resamples": options["resamples"],
            "seed": options["seed"],
        }
    models = annual_models(
        loaded,
        older,
        lang=language,
        date=_report_date(options["date"]),
        min_group_size=options["min_group_size"],
        targets=_targets(q, *options["targets"]),
        uncertainty=uncertainty,
    )
    small = small_organizations(loaded, older, options["min_group_size"])
    output = options["output"]
    organizations = len(models) + len(small)
    if organizations > 1:
        _stdout_takes(output, many=f"the responses name {organizations} organizations")
    _withhold(small, options["min_group_size"], len(models))
    if organizations == 1:
        paths = [output]
    else:
        keys = [(m["organization"]["id"], m["latest"], language) for m in models]
        stems = [f"{org}-annual-{latest}-{lang}" for org, latest, lang in keys]
        names = safe_names(stems, f".{options['fmt']}", keys=keys)
        paths = [inside(output, name) for name in names]
    refuse_existing(_files_of(paths), options["force"])
    rendered = [render_annual(m, folder, options["fmt"], options["variant"]) for m in models]
    _write_all(paths, rendered, options["force"])


def _unit_reports(responses: list[Path], exports: Any, options: dict[str, Any]) -> None:
    """One full roadmap report per unit of the latest period, rendered on every core."""
    from .errors import shorten
    from .files import inside, refuse_existing, safe_names, write_files
    from .reporting.annual import unit_sets
    from .reporting.documents import render_many
    from .reporting.report import attachment_for, build_report
    from .roadmap import build_roadmaps
    from .scoring.scores import score

    loaded, _, language, folder = _report_inputs(responses, exports, options)
    q = loaded.questionnaire
    targets = _targets(q, *options["targets"])
    day = _report_date(options["date"])
    latest, units, small = unit_sets(loaded, options["min_group_size"])
    _withhold(small, options["min_group_size"], len(units), "unit")
    jobs, keys = [], []
    for organization, unit, part in units:
        result = score(part, by="organization")
        (roadmap,) = build_roadmaps(result, part, targets, options["min_group_size"])
        report = build_report(result, part, roadmap, language, day, options["min_group_size"])
        jobs.append(
            (report, attachment_for(result, roadmap), folder, options["fmt"], options["variant"])
        )
        keys.append((organization, latest, unit, language))
    stems = ["-".join(str(p) for p in key if p) for key in keys]
    names = safe_names(stems, f".{options['fmt']}", keys=keys)
    paths = [inside(options["output"], name) for name in names]
    refuse_existing(paths, options["force"])
    from rich.progress import Progress

    with Progress(console=_stderr(), transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("rendering", total=len(jobs))
        rendered = render_many(jobs, progress=lambda: bar.advance(task))
    written = write_files(list(zip(paths, rendered, strict=True)), options["force"])
    for path, (_, unit, _) in zip(written, units, strict=True):
        _stderr().print(f"wrote {path} ({shorten(unit)})", markup=False)


template_app = typer.Typer(help="Report templates an agency can brand.", no_args_is_help=True)
app.add_typer(template_app, name="template")


@template_app.command("init")
@_handled
def template_init(
    directory: Annotated[Path, typer.Argument(help="Folder to create.", metavar="DIR")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite template files there.")] = False,
) -> None:
    """Write an editable copy of the report template (logo, colours, cover text, layout)."""
    from .reporting.templating import init_template

    for path in init_template(directory, force=force):
        _stderr().print(f"wrote {path}", markup=False)
    _stderr().print(
        f"edit {directory}/brand.yaml, then: dtassess report ... --template {directory}",
        markup=False,
    )


@app.command()
@_handled
def survey(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The response file to write (YAML).")
    ],
    questionnaire: GovDtOpt = "gov-dt",
    lang: LangOpt = None,
    org: Annotated[str | None, typer.Option("--org", help="Organization id.")] = None,
    org_name: Annotated[str | None, typer.Option("--org-name", help="Organization name.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit within it.")] = None,
    respondent: Annotated[str | None, typer.Option("--respondent", help="Respondent id.")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Respondent's role.")] = None,
    period: Annotated[str | None, typer.Option("--period", help="Period, e.g. 2026.")] = None,
    resume: Annotated[
        bool | None,
        typer.Option(
            "--resume/--restart",
            help="Continue an existing file, or start it again (the old one kept as FILE.bak).",
        ),
    ] = None,
) -> None:
    """Ask the questionnaire in the terminal, saving after every answer (Ctrl-C resumes later)."""
    from rich.text import Text

    from .inputs.questionnaire import load_questionnaire
    from .survey import Interrupted, Terminal, run_survey

    if _is_stdout(output):
        raise DtassessError(
            Problem(
                "F016",
                "-o -: the survey saves its answers to a file after each one (and resumes from "
                "it); give a file name",
            )
        )
    q = load_questionnaire(questionnaire)
    language = _lang(q, lang)
    console = _stdout()
    interactive = sys.stdin.isatty()

    def read(prompt: str) -> str:
        if interactive:
            return console.input(Text(prompt))
        # Piped input: plain prompts, whole lines, and the line echoed so that a transcript
        # reads like the conversation it was.
        console.print(Text(prompt), end="")
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        console.print(Text(line.rstrip("\n")))
        return line.rstrip("\n")

    meta = {"organization": org, "organization_name": org_name, "unit": unit,
            "respondent": respondent, "role": role, "period": period}  # fmt: skip
    try:
        run_survey(q, output, Terminal(console, read, interactive), language, meta, resume)
    except Interrupted:
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    from .inputs.responses import load_responses
    from .reporting.output import print_table
    from .scoring.scores import score as run_score

    loaded = load_responses([output], q)
    print_table(run_score(loaded, by="respondent"), console, language)
    # One respondent is below the default --min-group-size: the interviewer asks for it.
    console.print(
        Text(
            f"dtassess report {output} -o report.pdf --lang {language} --min-group-size 1",
            style="bold",
        )
    )


@app.command("import")
@_handled
def import_(
    exports: Annotated[
        list[Path],
        typer.Argument(
            help="Exports of online forms: .xlsx, .csv or .parquet files.", metavar="EXPORT"
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the response files.", metavar="DIR")
    ],
    questionnaire: GovDtOpt = "gov-dt",
    encoding: EncodingOpt = None,
    mapping: MappingOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first problem (exit 2).")
    ] = False,
    org: OrgOpt = None,
    org_name: OrgNameOpt = None,
    period: PeriodOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace response files that exist.")
    ] = False,
) -> None:
    """Turn online-form exports (问卷星, 腾讯问卷 ...) into response files, one per row."""
    from .inputs.exports import ImportResult, import_exports, write_responses
    from .inputs.mapping import load_mapping
    from .inputs.questionnaire import load_questionnaire

    _stdout_takes(output, many="import writes one response file per row")
    q = load_questionnaire(questionnaire)
    stats = ImportResult()
    responses, problems = import_exports(
        exports,
        q,
        encoding=encoding,
        mapping=load_mapping(mapping, q) if mapping else None,
        strict=strict,
        org=org,
        org_name=org_name,
        period=period,
        stats=stats,
    )
    report_problems(problems)
    written = write_responses(responses, q, output, force=force)
    read = len(exports) - sum(p.code == "F015" for p in problems)  # each file read once
    summary = (
        f"{stats.rows} row(s) read from {read} export(s), {len(written)} response "
        f"file(s) written to {output}, {stats.rejected_cells} cell(s) rejected, "
        f"{stats.unknown_columns} unknown column(s)"
    )
    if stats.headerless_columns:
        summary += f", {stats.headerless_columns} column(s) without a header not imported"
    if stats.skipped_rows:
        summary += f", {stats.skipped_rows} row(s) without an organization skipped"
    _stderr().print(summary, style="yellow" if problems else "green", markup=False)


@app.command("questionnaires")
@_handled
def list_questionnaires(lang: LangOpt = None) -> None:
    """List the questionnaires bundled with dtassess."""
    from rich.table import Table

    from .inputs.questionnaire import load_questionnaire, localize
    from .resources import bundled_questionnaire_refs

    table = Table("id", "version", "title", "questions", "file")
    for ref in bundled_questionnaire_refs():
        q = load_questionnaire(ref)
        table.add_row(
            q.id,
            q.version,
            localize(q.title, lang or q.locales[0]),
            str(len(q.questions)),
            q.path,
        )
    _stdout().print(table)


@app.command()
@_handled
def demo(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the demo reports.")
    ] = Path("dtassess-demo"),
    date: Annotated[
        str | None, typer.Option("--date", help="Report date YYYY-MM-DD.", metavar="DATE")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Render the bundled sample county's report in Chinese and English (PDF and HTML), and
    its annual report over 2024-2026."""
    from .inputs.responses import load_responses
    from .reporting.annual import annual_models
    from .reporting.output import print_table
    from .reporting.render import check_cjk_font
    from .reporting.report import attachment_for, build_report
    from .reporting.templating import template_dir
    from .resources import annual_sample_dir, sample_responses_dir
    from .roadmap import build_roadmaps
    from .scoring.scores import score as run_score

    _stdout_takes(output, many="the demo writes six reports")
    loaded = load_responses([sample_responses_dir()])
    report_problems(loaded.problems)
    q = loaded.questionnaire
    result = run_score(loaded, by="organization")
    print_table(result, _stdout(), q.locales[0])
    check_cjk_font("zh")
    folder = template_dir()
    day = _report_date(date)
    roadmap = build_roadmaps(result, loaded)[0]
    attachment = attachment_for(result, roadmap)
    jobs, paths = [], []
    for language in q.locales:
        model = build_report(result, loaded, roadmap, language, day)
        for fmt in ("pdf", "html"):
            jobs.append((model, attachment, folder, fmt, None))
            paths.append(output / f"qingshan-{language}.{fmt}")
    years = load_responses([annual_sample_dir()])
    for language in q.locales:
        (annual,) = annual_models(years, lang=language, date=day, uncertainty=DEFAULT_INTERVALS)
        jobs.append((annual, None, folder, "pdf", None))
        paths.append(output / f"qingshan-annual-{language}.pdf")
    _render_and_write(paths, jobs, force)


archive_app = typer.Typer(
    help="Keep scored results and answers, period after period, as a Parquet dataset.",
    no_args_is_help=True,
)
app.add_typer(archive_app, name="archive")

ArchiveArg = Annotated[
    Path, typer.Argument(help="The archive folder (docs/archive.md).", metavar="ARCHIVE")
]


class ArchiveListFormat(StrEnum):
    table = "table"
    json = "json"


@archive_app.command("add")
@_handled
def archive_add(
    responses: ResponsesArg,
    to: Annotated[
        Path,
        typer.Option(
            "--to", help="The archive folder; made when it does not exist.", metavar="ARCHIVE"
        ),
    ],
    questionnaire: QuestionnaireOpt = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Replace archived responses of the same respondents (else exit 2)."
        ),
    ] = False,
    quiet: QuietOpt = False,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    org: OrgOpt = None,
    org_name: OrgNameOpt = None,
    period: PeriodOpt = None,
) -> None:
    """Add responses and their periods' scores to the archive; what is already there is skipped.

    Crash-safe: until the new state is complete, readers and the archive see the old one.
    """
    from .archive import add_to_archive
    from .inputs.exports import ExportOptions
    from .inputs.loading import load_periods

    exports = ExportOptions(encoding, mapping, org, org_name, period)
    with _Progress(quiet) as progress:
        q = _questionnaire_or_none(questionnaire)
        loaded, _ = load_periods(responses, q, exports, progress=progress)
    report_problems(loaded.problems)
    done = add_to_archive(loaded, to, replace=replace)
    periods = ", ".join(done.periods) if done.periods else "none changed"
    summary = (
        f"{done.added} response(s) added, {done.already_archived} already archived"
        + (f", {done.replaced} replaced" if done.replaced else "")
        + f"; period(s): {periods}; archive {to}"
    )
    _stderr().print(summary, style="green", markup=False)


@archive_app.command("list")
@_handled
def archive_list(
    archive: ArchiveArg,
    output_format: Annotated[
        ArchiveListFormat, typer.Option("--format", help="table for people, json for programs.")
    ] = ArchiveListFormat.table,
) -> None:
    """List the archive's periods: respondents, organizations, units and questionnaire."""
    from .archive import archive_contents

    periods = archive_contents(archive)
    if output_format is ArchiveListFormat.json:
        import json

        typer.echo(json.dumps(periods, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table("period", "respondents", "organizations", "units", "questionnaire", "hash")
    for item in periods:
        table.add_row(
            item["period"],
            str(item["respondents"]),
            str(item["organizations"]),
            str(item["units"]),
            item["questionnaire"],
            item["questionnaire_hash"],
        )
    _stdout().print(table)
    if not periods:
        _stderr().print(f"{archive} holds no period yet", markup=False)


def main() -> None:
    """Console-script entry point."""
    stdout, before = sys.stdout, _file_id(1)
    try:
        app()
    except SystemExit as exc:
        if exc.code == 1 and _closed_outside_commands(stdout, before):
            _to_devnull(stdout)
            raise SystemExit(int(ExitCode.OK)) from None
        raise


def _closed_outside_commands(stdout: Any, before: tuple[int, int] | None) -> bool:
    """Whether an exit 1 came from help or usage text meeting a closed pipe: click then puts
    a wrapper in place of sys.stdout, and rich (typer's help) points descriptor 1 at the null
    device; either leaves with 1, which is no error of the user's either."""
    if sys.stdout is not stdout and _stdout_gone():
        return True
    null = _file_id(None)
    return before is not None and before != null and _file_id(1) == null


def _file_id(fd: int | None) -> tuple[int, int] | None:
    """(st_dev, st_ino) of a descriptor, or of the null device for None."""
    try:
        info = os.stat(os.devnull) if fd is None else os.fstat(fd)
    except OSError:
        return None
    return info.st_dev, info.st_ino


if __name__ == "__main__":
    main()
