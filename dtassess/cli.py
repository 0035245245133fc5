"""The `dtassess` command: parse options, call the library, print what it returns.

Each command's work is one call to dtassess/pipeline.py: `validate` calls `validate_files`,
`questionnaires` `bundled_questionnaires`, `import` `import_responses`, `score` `assess`,
`roadmap` `plan_roadmaps`, `report` one of `write_reports`, `write_annual_reports`,
`write_unit_reports`, `template init` `init_templates`, `demo` `write_demo`, `survey` (after
the terminal conversation, survey.py's) `score_survey`, `archive add` `archive_responses`
(`archive list` reads the archive's `archive_contents`, itself a use case), `form` `write_form`.
Those return what
they did (files written, warnings, notices) and never print: progress bars, "wrote PATH",
colours, standard output and exit codes are this module's. What it says to people comes from
the label catalogue (`MESSAGES`, dtassess/labels.py, area cli), in English (docs/cli.md).

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

from . import __version__, extras, pipeline
from .defaults import CAPACITY, MIN_GROUP_SIZE
from .errors import DtassessError, ExitCode, Problem
from .labels import labels

app = typer.Typer(
    name="dtassess",
    help="Measure a government agency's digital-transformation maturity and say what to do next.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _help_in_words() -> None:
    """--help names values in words, each option's metavar (FILE, LANG), and the choices of a
    choice: typer 0.29 shows Python types instead (`<list[Path]>`, `<str>`, `<bool>` beside
    every switch, `{RESPONSE}...` in the usage line). An option without a metavar shows its
    name in capitals; a switch, nothing; an argument, nothing beside its name. (Older typer
    shows words already, and has none of these classes' methods to change.)"""
    from typer import core

    option = getattr(core, "TyperOption", None)
    argument = getattr(core, "TyperArgument", None)
    if option is None or argument is None or not hasattr(option, "display_type_rich"):
        return
    typed = option.display_type_rich

    def option_words(self: Any, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        if self.is_flag or self.count:
            return None
        if getattr(getattr(self, "type_descriptor", None), "is_choice", False):
            return typed(self, ctx)
        return (self.name or "value").upper().replace("_", "-")

    def argument_words(self: Any, ctx: Any) -> str | None:
        return None

    def argument_usage(self: Any) -> str:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"

    option.display_type_rich = option_words
    argument.display_type_rich = argument_words
    if hasattr(argument, "_usage_display_name"):
        argument._usage_display_name = argument_usage


_help_in_words()

_state: dict[str, bool] = {"debug": False, "quiet": False}

# What the CLI says to people, from the label catalogue (dtassess/labels.py, area cli): in
# English, whatever --lang gives the reports and tables, as problem messages are (docs/cli.md).
MESSAGES: dict[str, str] = labels("cli", "en")


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
        except pipeline.NothingToReport as exc:
            _stderr().print(exc.notice, style="red", markup=False)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            _stderr().print(MESSAGES["interrupted"], style="yellow")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            # an extra's module, reached by a command that did not check for it first (C006)
            missing = extras.problem_for(exc) if isinstance(exc, ImportError) else None
            if missing is not None:
                report_problems([missing])
                raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
            if isinstance(exc, BrokenPipeError) and _stdout_gone():
                # `dtassess ... | head` read what it wanted: no error, and nothing to say.
                _to_devnull(sys.stdout)
                raise typer.Exit(int(ExitCode.OK)) from None
            if _state["debug"]:
                raise
            text = MESSAGES["internal"].format(kind=type(exc).__name__, error=exc)
            _stderr().print(text, style="red", markup=False)
            raise typer.Exit(int(ExitCode.INTERNAL)) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dtassess {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
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
    if ctx.invoked_subcommand != "help" and not ctx.resilient_parsing:
        # dtassess.toml and DTASSESS_* as the commands' defaults (docs/config.md)
        ctx.default_map = _handled(_load_settings)(ctx).default_map()


def _load_settings(ctx: Any) -> Any:
    from .config import load

    settings = load(ctx.command)
    ctx.meta["dtassess.settings"] = settings
    return settings


# What --by completes to: the fields every response has (a profile question's id is the
# questionnaire's own).
BY_FIELDS = ("organization", "unit", "respondent", "role")


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
    markdown = "markdown"
    github = "github"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


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
        autocompletion=lambda incomplete: _bundled_ids(incomplete),
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
    list[str] | None,
    typer.Option(
        "--mapping",
        help="What the exports' columns and answers mean, where headers do not say it; "
        "EXPORT=MAP.yaml for one export of several (dtassess help import).",
        metavar="[EXPORT=]MAP.yaml",
    ),
]


def _mapping(given: list[str] | None) -> str | list[str] | None:
    """--mapping as the loaders take it: one file for every export, or a list (exportmaps)."""
    if not given:
        return None
    return given[0] if len(given) == 1 else list(given)


OrgOpt = Annotated[
    str | None,
    typer.Option("--org", help="Organization id, when no column gives it.", metavar="ID"),
]
OrgNameOpt = Annotated[
    str | None,
    typer.Option("--org-name", help="Organization name, when no column gives it.", metavar="NAME"),
]
VersionMapOpt = Annotated[
    Path | None,
    typer.Option(
        "--version-map",
        help="Compare periods answered with two versions of the questionnaire "
        "(dtassess help periods).",
        metavar="MAP.yaml",
    ),
]
PeriodOpt = Annotated[
    str | None,
    typer.Option("--period", help="Period, e.g. 2026, when no column gives it.", metavar="PERIOD"),
]
GovDtOpt = Annotated[
    str,
    typer.Option(
        "-q",
        "--questionnaire",
        help="Questionnaire file or bundled id.",
        metavar="QUESTIONNAIRE",
        autocompletion=lambda incomplete: _bundled_ids(incomplete),
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of titles: zh or en (default: the questionnaire's first).",
        metavar="LANG",
        autocompletion=lambda incomplete: [x for x in ("zh", "en") if x.startswith(incomplete)],
    ),
]


def _bundled_ids(incomplete: str) -> list[str]:
    """Shell completion of -q: the bundled ids that fit (none: the shell offers files)."""
    from .resources import bundled_questionnaire_refs

    return [ref for ref in bundled_questionnaire_refs() if ref.startswith(incomplete)]


OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        help="Write to this file instead of standard output (- for it too).",
        metavar="FILE",
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")]


# The defaults are defaults.CAPACITY and MIN_GROUP_SIZE, the library's (constants on the ground
# floor: --help stays fast).
CapacityOpt = Annotated[
    float,
    typer.Option(
        "--capacity",
        min=0.5,
        max=10000,
        help="Person-months of work each roadmap phase can absorb (dtassess help roadmap, Phases).",
        metavar="PM",
    ),
]
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

CodeQualityOpt = Annotated[
    Path | None,
    typer.Option(
        "--codequality",
        help="Also write a GitLab code-quality report (JSON) to FILE (dtassess help ci).",
        metavar="FILE",
    ),
]


class _Progress:
    """A progress bar on stderr while files load; silent when stderr is not a terminal."""

    def __init__(self, quiet: bool, label: str = "reading") -> None:
        self.label = MESSAGES[f"progress_{label}"]
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
            if self.bar is not None:  # closed early, for warnings
                self.bar.update(task, completed=done, total=total)

        return update

    def stage(self, label: str) -> Callable[[int, int], None] | None:
        """Progress of a later stage, a second line on the same bar (rich shows one at a time)."""
        if not self.enabled:
            return None
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if self.bar is None:
                return
            if task is None:
                task = self.bar.add_task(MESSAGES[f"progress_{label}"], total=total)
            self.bar.update(task, completed=done, total=total)

        return update

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def __exit__(self, *exc: object) -> None:
        self.close()


def _say(item: Problem | str) -> None:
    """What a pipeline function meets on the way: a warning, or a notice of withheld groups."""
    if isinstance(item, str):
        _stderr().print(item, style="yellow", markup=False)
    else:
        report_problems([item])


def _done(done: pipeline.Done, output: Path, force: bool) -> None:
    """Say which files a pipeline function wrote, or put its one document on standard output."""
    if done.data is not None:
        _write_bytes(done.data, output, force)
    _wrote(done.paths)


def _wrote(paths: list[Path]) -> None:
    for path in paths:
        _stderr().print(MESSAGES["wrote"].format(path=path), markup=False)


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
        CheckFormat,
        typer.Option(
            "--format",
            help="text: one problem a line, its code last; json: a list; github: GitHub "
            "Actions annotations (dtassess help ci).",
        ),
    ] = CheckFormat.text,
    codequality: CodeQualityOpt = None,
) -> None:
    """Check questionnaires (or response files) and print every problem with its place.

    Exit 0 when valid (warnings allowed), 1 when invalid, 2 when a file cannot be read.
    """
    pipeline.check_score_outputs({"--codequality": codequality}, None, files)
    with _owned([codequality]):
        found = pipeline.validate_files(files, responses, questionnaire)
        if codequality is not None:
            from .reporting import ci

            report = ci.to_code_quality(ci.findings(found.problems))
            _write_owned([(codequality, report)], False, [codequality])
    problems = found.problems
    errors = found.errors
    if output_format is CheckFormat.json:
        import json

        typer.echo(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2))
    elif output_format is CheckFormat.github:
        from .reporting import ci

        sys.stdout.write(ci.to_github(ci.findings(problems)))
    else:
        for problem in problems:
            typer.echo(problem.format(code=True))
    warnings = len(problems) - len(errors)
    summary = MESSAGES["checked"].format(files=found.checked, errors=len(errors), warnings=warnings)
    _stderr().print(summary, style="red" if errors else "green", markup=False)
    if errors:
        raise typer.Exit(int(ExitCode.INVALID))


@app.command()
@_handled
def score(
    responses: ResponsesArg,
    questionnaire: QuestionnaireOpt = None,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Group results by organization, unit, respondent, role or a profile question's "
            "id (dtassess help scoring, Groups).",
            metavar="FIELD",
            autocompletion=lambda incomplete: [x for x in BY_FIELDS if x.startswith(incomplete)],
        ),
    ] = Grouping.organization.value,
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
    fail_on_drop: Annotated[
        str | None,
        typer.Option(
            "--fail-on-drop",
            help="Drops like security=5; exit 1 if a group's score fell by more points since "
            "its previous period (give the responses of both periods).",
            metavar="SPEC",
        ),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit", help="Also write JUnit XML to FILE, from the same run.", metavar="FILE"
        ),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Also write JSON to FILE, from the same run.", metavar="FILE"),
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            help='Also write a Markdown summary to FILE (e.g. "$GITHUB_STEP_SUMMARY").',
            metavar="FILE",
        ),
    ] = None,
    codequality: CodeQualityOpt = None,
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            help="Also score the archive's earlier periods, so that changes and --fail-on-drop "
            "compare with them (dtassess help archive).",
            metavar="ARCHIVE",
        ),
    ] = None,
    min_group_size: MinGroupSizeOpt = MIN_GROUP_SIZE,
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
            "exports larger than memory; dtassess help distributed).",
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

    owned = {"--junit": junit, "--json": json_file, "--markdown": markdown,
             "--codequality": codequality}  # fmt: skip
    pipeline.check_score_outputs(owned, output, responses)
    if output_format is ScoreFormat.parquet:
        extras.require("parquet", "--format parquet")
        if output is None:
            raise DtassessError(
                Problem(
                    "U002",
                    "--format parquet needs -o FILE (it is binary), or -o - when standard "
                    "output is piped or redirected",
                )
            )
        _stdout_takes(output, binary="Parquet")
    if engine is Engine.dask:
        extras.require("dask", "--engine dask")
    bar = _Progress(quiet, "dask" if engine is Engine.dask else "reading")

    def say(item: Problem | str) -> None:
        bar.close()  # the files are read: the bar goes before the warnings
        _say(item)

    # A failed run removes these files, and -o's with --force: no earlier run's results stay
    # to be uploaded as this run's (docs/ci.md, Outputs of one run).
    with _owned([*owned.values(), output if force and not _is_stdout(output) else None]):
        if output is not None and not _is_stdout(output):
            from .files import refuse_existing

            refuse_existing([output], force)  # before the work, not after it
        with bar as progress:
            done = pipeline.assess(
                responses, questionnaire, by, statistic.value, min_group_size, lang,
                fail_under, version_map,
                ExportOptions(encoding, _mapping(mapping), org, org_name, period),
                engine.value, scheduler, partitions, say, progress, fail_on_drop=fail_on_drop,
                archive=archive,
            )  # fmt: skip
        _state["quiet"] = quiet
        files = [(path, pipeline.score_output(done, fmt)) for fmt, path in _formats(owned)]
        main: str | bytes | None = None
        if output is not None and not _is_stdout(output):
            files.insert(0, (output, pipeline.score_output(done, output_format)))
        elif output_format is not ScoreFormat.table:
            main = pipeline.score_output(done, output_format)
        _write_owned(files, force, [path for _, path in _formats(owned)])
    if main is not None:
        _to_stdout(main)
    elif output is None or _is_stdout(output):
        from .reporting.output import print_table

        print_table(done.result, _stdout(), done.language)
    _verdict(done, min_group_size, quiet)


def _verdict(done: pipeline.Assessment, min_group_size: int, quiet: bool) -> None:
    """Exit 1 when a bar was missed or a score dropped too far, or when nothing was checked."""
    checks, drops, result = done.checks, done.drops, done.result
    err = _stderr()
    failed = False
    for check in checks or ():
        if not check.passed:
            err.print(MESSAGES["below_bar"].format(bar=check.describe()), style="red", markup=False)
            failed = True
    for drop in drops or ():
        if not drop.passed:
            err.print(MESSAGES["dropped"].format(drop=drop.describe()), style="red", markup=False)
            failed = True
    if failed:
        raise typer.Exit(int(ExitCode.INVALID))
    if checks is not None and not checks:
        # A bar that checked nothing is not a bar that was met.
        text = MESSAGES["nothing_checked"].format(count=result.withheld, k=min_group_size)
        err.print(text, style="red", markup=False)
        raise typer.Exit(int(ExitCode.INVALID))
    if drops is not None and not any(d.compared for d in drops):
        err.print(MESSAGES["nothing_compared"], style="red", markup=False)
        raise typer.Exit(int(ExitCode.INVALID))
    if checks and not quiet:
        err.print(MESSAGES["bars_met"].format(count=len(checks)), style="green")


# The files `score` writes beside its main output: the option, the format written there.
_OWNED_FORMATS = {"--junit": "junit", "--json": "json", "--markdown": "markdown",
                  "--codequality": "codequality"}  # fmt: skip


def _formats(owned: dict[str, Path | None]) -> list[tuple[str, Path]]:
    return [(_OWNED_FORMATS[opt], path) for opt, path in owned.items() if path is not None]


def _to_stdout(data: str | bytes) -> None:
    if isinstance(data, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(data)
        sys.stdout.flush()


class _owned:
    """Remove the given outputs when the run fails (an error, Ctrl-C, a bug), never when it
    ends with a verdict (exit 0 or 1): an earlier run's file would pass for this run's."""

    def __init__(self, paths: list[Path | None]) -> None:
        self.paths = [p for p in paths if p is not None]

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, *rest: object) -> None:
        if kind is None or issubclass(kind, typer.Exit | typer.Abort):
            return
        from .files import remove_outputs

        for path in remove_outputs(self.paths):
            _stderr().print(MESSAGES["removed_stale"].format(path=path), markup=False)


def _write_owned(files: list[tuple[Path, Any]], force: bool, owned: list[Path]) -> None:
    """Outputs of one run, all or none: the `owned` ones replaced without --force, -o only
    with it (checked before the run too, and again as it is written: a concurrent run)."""
    if not files:
        return
    from .files import write_files

    write_files(files, force, owned)
    if not _state.get("quiet"):
        _wrote([path for path, _ in files])


def _is_stdout(output: Path | None) -> bool:
    return pipeline.is_stdout(output)


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
        _wrote([output])


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
        _wrote([output])


def _console_text(draw: Callable[[Any], None]) -> str:
    """What a rich drawing prints, as plain text for a file."""
    import io

    from rich.console import Console

    console = Console(record=True, width=120, file=io.StringIO())
    draw(console)
    return console.export_text()


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
    min_group_size: MinGroupSizeOpt = MIN_GROUP_SIZE,
    capacity: CapacityOpt = CAPACITY,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="One roadmap per organization (default), or per unit, role or profile "
            "question's answer within each organization (dtassess help roadmap).",
            metavar="FIELD",
        ),
    ] = "organization",
) -> None:
    """Turn scores into prioritised, phased actions per organization (dtassess help roadmap)."""
    from .inputs.exports import ExportOptions

    exports = ExportOptions(encoding, _mapping(mapping), org, org_name, period)
    plan = pipeline.plan_roadmaps(
        responses,
        questionnaire,
        target,
        targets_file,
        lang,
        exports,
        min_group_size,
        _say,
        capacity=capacity,
        by=by,
    )
    roadmaps, q, language = plan.roadmaps, plan.questionnaire, plan.language
    if output_format is RoadmapFormat.json:
        import json

        doc = {"format": "dtassess.roadmap/2", "roadmaps": [r.to_dict() for r in roadmaps]}
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
    docx = "docx"


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
            metavar="OUT",
        ),
    ],
    questionnaire: QuestionnaireOpt = None,
    output_format: Annotated[
        ReportFormat,
        typer.Option(
            "--format", help="pdf, one self-contained html file, or an editable Word docx."
        ),
    ] = ReportFormat.pdf,
    lang: LangOpt = None,
    target: TargetOpt = None,
    targets_file: TargetsFileOpt = None,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template", help="A template folder made by 'dtassess template init'.", metavar="DIR"
        ),
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
            help="The annual report: every unit over every period given (dtassess help report).",
        ),
    ] = False,
    per_unit: Annotated[
        bool,
        typer.Option(
            "--per-unit", help="One full report per unit of the latest period, into the folder -o."
        ),
    ] = False,
    min_group_size: MinGroupSizeOpt = MIN_GROUP_SIZE,
    capacity: CapacityOpt = CAPACITY,
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            help="--annual: take earlier periods from this archive; else rank each "
            "organisation also among the archive's of its period (dtassess help archive).",
            metavar="ARCHIVE",
        ),
    ] = None,
    resamples: Annotated[
        int,
        typer.Option(
            "--resamples",
            min=0,
            help="Bootstrap resamples for score intervals (0: none).",
            metavar="N",
        ),
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the resampling.", metavar="S")] = 0,
    version_map: VersionMapOpt = None,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    org: OrgOpt = None,
    org_name: OrgNameOpt = None,
    period: PeriodOpt = None,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="One report per organization (default), or per unit, role or profile "
            "question's answer within each organization, of the latest period, into the "
            "folder -o (--by unit is --per-unit).",
            metavar="FIELD",
        ),
    ] = "organization",
    charts: Annotated[
        Path | None,
        typer.Option(
            "--charts",
            help="Also write every chart as SVG and PNG into this folder (for slides).",
            metavar="DIR",
        ),
    ] = None,
) -> None:
    """Render the PDF (or HTML) roadmap report, one per organization; --annual renders the
    annual report of every unit over several periods, --per-unit one report per unit."""
    extras.require("report", "dtassess report")
    from .inputs.exports import ExportOptions

    if annual and per_unit:
        raise DtassessError(Problem("U001", "give --annual or --per-unit, not both"))
    grouping = pipeline.report_grouping(by, annual, per_unit)
    _stdout_takes(
        output,
        binary={ReportFormat.pdf: "a PDF", ReportFormat.docx: "a Word document"}.get(output_format),
        many=(
            "--per-unit writes one report per unit"
            if per_unit
            else f"--by {grouping} writes one report per group"
            if grouping
            else None
        ),
    )
    options = pipeline.ReportOptions(
        output=output,
        questionnaire=questionnaire,
        fmt=output_format.value,
        lang=lang,
        target=target,
        targets_file=targets_file,
        template=template,
        date=date,
        variant=pdf_variant,
        force=force,
        min_group_size=min_group_size,
        capacity=capacity,
        archive=archive,
        resamples=resamples,
        seed=seed,
        version_map=version_map,
        exports=ExportOptions(encoding, _mapping(mapping), org, org_name, period),
        charts=charts,
    )
    if annual:
        with _Progress(False) as progress:
            done = pipeline.write_annual_reports(responses, options, _say, progress)
    elif grouping:
        done = _unit_reports(responses, options, grouping)
    else:
        done = pipeline.write_reports(responses, options, _say)
    _done(done, output, force)


def _unit_reports(
    responses: list[Path], options: pipeline.ReportOptions, by: str = "unit"
) -> pipeline.Done:
    """One report per unit (or group of `by`), with a progress bar while they render; each
    file's unit said."""
    from .errors import shorten

    bars = _Progress(False)
    with bars as reading:
        done = pipeline.write_unit_reports(
            responses, options, _say, reading, bars.stage("rendering"), by
        )
    for path, unit in zip(done.paths, done.labels, strict=True):
        _stderr().print(MESSAGES["wrote_unit"].format(path=path, unit=shorten(unit)), markup=False)
    done.paths = []
    return done


template_app = typer.Typer(help="Report templates an agency can brand.", no_args_is_help=True)
app.add_typer(template_app, name="template")


@template_app.command("init")
@_handled
def template_init(
    directory: Annotated[Path, typer.Argument(help="Folder to create.", metavar="DIR")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite template files there.")] = False,
) -> None:
    """Write an editable copy of the report template (logo, colours, cover text, layout)."""
    _wrote(pipeline.init_templates(directory, force).paths)
    _stderr().print(MESSAGES["template_next"].format(folder=directory), markup=False)


@app.command()
@_handled
def survey(
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="The response file to write (YAML).", metavar="FILE"),
    ],
    questionnaire: GovDtOpt = "gov-dt",
    lang: LangOpt = None,
    org: Annotated[str | None, typer.Option("--org", help="Organization id.", metavar="ID")] = None,
    org_name: Annotated[
        str | None, typer.Option("--org-name", help="Organization name.", metavar="NAME")
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit within it.", metavar="UNIT")
    ] = None,
    respondent: Annotated[
        str | None, typer.Option("--respondent", help="Respondent id.", metavar="ID")
    ] = None,
    role: Annotated[
        str | None, typer.Option("--role", help="Respondent's role.", metavar="ROLE")
    ] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Period, e.g. 2026.", metavar="PERIOD")
    ] = None,
    resume: Annotated[
        bool | None,
        typer.Option(
            "--resume/--restart",
            help="Continue an existing file, or start it again (the old one kept as FILE.bak).",
        ),
    ] = None,
    plain: Annotated[
        bool,
        typer.Option(
            "--plain",
            help="Line-by-line prompts instead of the full screen (for screen readers; "
            "the default without a terminal).",
        ),
    ] = False,
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
    language = pipeline.language(q, lang)
    console = _stdout()
    interactive = sys.stdin.isatty()
    if interactive:
        # Line editing (arrows, Home, End) at the prompts, instead of ^[[A in the answer.
        import readline  # noqa: F401

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
    terminal = Terminal(console, read, interactive)
    try:
        if interactive and not plain and _full_screen_possible():
            # Imported here: Textual loads only when the survey runs full screen.
            from .survey_app import run_survey_app

            run_survey_app(q, output, terminal, language, meta, resume)
        else:
            run_survey(q, output, terminal, language, meta, resume)
    except Interrupted:
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    from .reporting.output import print_table

    print_table(pipeline.score_survey(output, q), console, language)
    # One respondent is below the default --min-group-size: the interviewer asks for it.
    hint = MESSAGES["survey_next"].format(output=output, lang=language)
    console.print(Text(hint, style="bold"))


def _full_screen_possible() -> bool:
    """Whether the survey can take the whole screen: output and error a terminal that can
    draw it (Textual draws on standard error; `2>log` would hide the screen in the log)."""
    terminal = sys.stdout.isatty() and sys.stderr.isatty()
    return terminal and os.environ.get("TERM", "") not in ("", "dumb")


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
    max_rejected: Annotated[
        int | None,
        typer.Option(
            "--max-rejected",
            help="Fail (exit 1, nothing written) when more than N cells are rejected.",
            metavar="N",
            min=0,
        ),
    ] = None,
) -> None:
    """Turn online-form exports (问卷星, 腾讯问卷 ...) into response files, one per row."""
    from .inputs.exports import ExportOptions

    _stdout_takes(output, many="import writes one response file per row")
    options = ExportOptions(encoding, _mapping(mapping), org, org_name, period, strict)
    done = pipeline.import_responses(
        exports, output, questionnaire, options, force, _say, max_rejected=max_rejected
    )
    stats, problems = done.stats, done.problems
    summary = MESSAGES["imported"].format(
        rows=stats.rows,
        exports=done.exports_read,
        files=len(done.paths),
        output=output,
        rejected=stats.rejected_cells,
        unknown=stats.unknown_columns,
    )
    if stats.headerless_columns:
        summary += MESSAGES["imported_headerless"].format(count=stats.headerless_columns)
    if stats.skipped_rows:
        summary += MESSAGES["imported_skipped"].format(count=stats.skipped_rows)
    if stats.personal_columns:
        summary += MESSAGES["imported_personal"].format(count=stats.personal_columns)
    if stats.renamed_files:
        summary += MESSAGES["imported_renamed"].format(count=stats.renamed_files)
    _stderr().print(summary, style="yellow" if problems else "green", markup=False)


class FormFormat(StrEnum):
    xlsform = "xlsform"
    wjx = "wjx"
    limesurvey = "limesurvey"
    html = "html"
    pdf = "pdf"


@app.command()
@_handled
def form(
    questionnaire: Annotated[
        str, typer.Argument(help="Questionnaire file or bundled id.", metavar="QUESTIONNAIRE")
    ],
    to: Annotated[
        FormFormat,
        typer.Option(
            "--to",
            help="xlsform (KoboToolbox, ODK), wjx (问卷星 text import), limesurvey (.txt), "
            "html or pdf (printable).",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="The form file to write (- for standard output).", metavar="FILE"
        ),
    ],
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="zh, en or both (default: every language for xlsform and limesurvey, else "
            "the questionnaire's first).",
            metavar="LANG",
        ),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Write a questionnaire as a form for the tools that collect answers, or for paper
    (dtassess help forms)."""
    if to.value == "pdf":  # the printable PDF is laid out by the report's renderer
        extras.require("report", "dtassess form --to pdf")
    binary = {"xlsform": "an XLSForm workbook", "pdf": "a PDF"}.get(to.value)
    _stdout_takes(output, binary=binary)
    _done(pipeline.write_form(questionnaire, to.value, output, lang, force, _say), output, force)


@app.command("questionnaires")
@_handled
def list_questionnaires(lang: LangOpt = None) -> None:
    """List the questionnaires bundled with dtassess."""
    from rich.table import Table

    table = Table("id", "version", "title", "questions", "file")
    for item in pipeline.bundled_questionnaires(lang):
        table.add_row(item.id, item.version, item.title, str(item.questions), item.path)
    _stdout().print(table)


@app.command()
@_handled
def demo(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the demo reports.", metavar="DIR")
    ] = Path("dtassess-demo"),
    date: Annotated[
        str | None, typer.Option("--date", help="Report date YYYY-MM-DD.", metavar="DATE")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Render the bundled sample county's report in Chinese and English (PDF and HTML), and
    its annual report over 2024-2026."""
    extras.require("report", "dtassess demo")
    from .reporting.output import print_table

    _stdout_takes(output, many="the demo writes six reports")
    done = pipeline.write_demo(
        output, date, force, _say, lambda result, lang: print_table(result, _stdout(), lang)
    )
    _done(done, output, force)


archive_app = typer.Typer(
    help="Keep scored results and answers, period after period, as a Parquet dataset.",
    no_args_is_help=True,
)
app.add_typer(archive_app, name="archive")

ArchiveArg = Annotated[
    Path, typer.Argument(help="The archive folder (dtassess help archive).", metavar="ARCHIVE")
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
    from .inputs.exports import ExportOptions

    extras.require("parquet", "the archive")
    exports = ExportOptions(encoding, _mapping(mapping), org, org_name, period)
    bars = _Progress(quiet)

    def say(item: Problem | str) -> None:
        bars.close()  # the files are read: the bar goes before the warnings
        _say(item)

    with bars as progress:
        done = pipeline.archive_responses(
            responses, to, questionnaire, replace, exports, say, progress
        )
    periods = ", ".join(done.periods) if done.periods else MESSAGES["no_period_changed"]
    summary = MESSAGES["archived"].format(added=done.added, already=done.already_archived)
    if done.replaced:
        summary += MESSAGES["archived_replaced"].format(count=done.replaced)
    summary += MESSAGES["archived_periods"].format(periods=periods, archive=to)
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

    extras.require("parquet", "the archive")
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
        _stderr().print(MESSAGES["archive_empty"].format(archive=archive), markup=False)


class ConfigFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("config")
@_handled
def show_config(
    ctx: typer.Context,
    command: Annotated[
        str | None,
        typer.Argument(
            help="Show every option of this command ('score', 'archive add') with its value.",
            metavar="COMMAND",
        ),
    ] = None,
    output_format: Annotated[
        ConfigFormat, typer.Option("--format", help="table for people, json for programs.")
    ] = ConfigFormat.table,
) -> None:
    """Print the settings in effect and where each comes from: dtassess.toml (file:line),
    a DTASSESS_* environment variable, or the default (dtassess help config)."""
    from .config import effective

    settings = ctx.meta.get("dtassess.settings") or _load_settings(ctx.find_root())
    rows = effective(settings, ctx.find_root().command, command)
    if output_format is ConfigFormat.json:
        import json

        doc = {"file": str(settings.file) if settings.file else None, "settings": rows}
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table("command", "option", "value", "from")
    for column in table.columns:
        column.overflow = "fold"
    for row in rows:
        source = row["source"]
        if settings.file and source.startswith(f"{settings.file}:"):
            source = settings.file.name + source[len(str(settings.file)) :]
        table.add_row(row["command"], "--" + row["option"], row["value"], source)
    file = settings.file or MESSAGES["config_no_file"]
    _stderr().print(MESSAGES["config_file"].format(file=file), markup=False)
    _stdout().print(table)


@app.command("help")
@_handled
def help_topic(
    topic: Annotated[
        str | None,
        typer.Argument(
            help="A topic: cli, config, errors, report ... (none: list them).", metavar="TOPIC"
        ),
    ] = None,
) -> None:
    """Print a page of the documentation, which the installed package carries."""
    from .errors import did_you_mean, shorten
    from .resources import doc_topics

    topics = doc_topics()
    if topic is None:
        typer.echo("\n".join(f"dtassess help {name}" for name in topics))
        return
    if topic not in topics:
        known = ", ".join(topics)
        message = f"no help topic '{shorten(topic)}'{did_you_mean(topic, topics)}; topics: {known}"
        raise DtassessError(Problem("C004", message))
    text = topics[topic].read_text(encoding="utf-8")
    if sys.stdout.isatty():
        from rich.markdown import Markdown

        _stdout().print(Markdown(text))
    else:
        sys.stdout.write(text)


def main() -> None:
    """Console-script entry point."""
    stdout, before = sys.stdout, _file_id(1)
    try:
        # one name however it was started (`python -m dtassess` too): the shell completion's
        # variable (_DTASSESS_COMPLETE) and script are made from it
        app(prog_name="dtassess")
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
