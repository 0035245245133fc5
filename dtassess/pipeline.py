"""The use cases, one function each: what a command does, as one call a library user can make.

    import dtassess
    done = dtassess.write_reports(["answers/"], dtassess.ReportOptions(output=Path("out")))
    done.paths                         # the files written, all or none

Each function loads, scores, builds and writes, and returns what it did (`Done`: the files
written, the problems met on the way, the notices about withheld groups) instead of printing:
printing, progress bars and exit codes are the CLI's (dtassess/cli.py only parses options,
calls one of these and prints). A caller that wants to show problems as they arise, before a
later failure ends the run, passes `say`, which receives each warning (a `Problem`) and each
notice (a `str`) at the moment the CLI used to print it.

An output of `-` means standard output, as on the command line: the one document is returned
in `Done.data` and not written anywhere.

Notices are worded in the label catalogue (dtassess/labels.py, area cli), in English as the CLI
prints them. Only light modules are imported here at the top; pandas, the engine and the
renderer are imported inside the functions, so that `dtassess --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .defaults import CAPACITY, MIN_GROUP_SIZE
from .errors import DtassessError, ExitCode, Problem, errors_only
from .labels import labels

if TYPE_CHECKING:
    from .inputs.exports import ExportOptions, ImportResult
    from .inputs.questionnaire import Questionnaire
    from .inputs.responses import ResponseSet
    from .reporting.documents import Job
    from .reporting.summary import PeerPool
    from .roadmap import Roadmap
    from .scoring.distributed import DistributedResult
    from .scoring.scores import ScoreResult

Say = Callable[[Problem | str], None]
Progress = Callable[[int, int], None]

# Reports' score intervals: 90%, respondents resampled and weights perturbed by ±20%.
DEFAULT_INTERVALS = {"resamples": 1000, "level": 0.9, "weight_spread": 0.2, "seed": 0}

# The notices' words (dtassess/labels.py, area cli): English, as the CLI speaks (docs/cli.md).
MESSAGES: dict[str, str] = labels("cli", "en")


@dataclass(frozen=True)
class ReportOptions:
    """What `dtassess report` takes besides its inputs (docs/report.md), one field per option."""

    output: Path  # the report file, or the folder for several; Path("-") for standard output
    questionnaire: str | None = None  # file or bundled id; default: the one the responses name
    fmt: str = "pdf"  # "pdf", "html" or "docx"
    lang: str | None = None  # default: the questionnaire's first language
    target: str | None = None  # "4" or "strategy=4,security=5"
    targets_file: Path | None = None  # a YAML file with a 'targets:' block
    template: Path | None = None  # a folder made by `dtassess template init`
    date: str | dt.date | None = None  # the report date (default today), YYYY-MM-DD
    variant: str | None = None  # PDF variant: pdf/a-3b, pdf/ua-1 ...
    force: bool = False  # replace files that exist
    min_group_size: int = MIN_GROUP_SIZE  # withhold groups of fewer respondents
    capacity: float = CAPACITY  # person-months each roadmap phase can absorb
    archive: Path | None = None  # annual: earlier periods from this archive
    resamples: int = 1000  # bootstrap resamples for score intervals (0: none)
    seed: int = 0  # annual: seed of the resampling
    version_map: Path | None = None  # compare periods answered with two versions
    exports: ExportOptions | None = None  # how to read online-form exports among the inputs
    charts: Path | None = None  # also write every chart as SVG and PNG into this folder


@dataclass
class Done:
    """What a use case did."""

    paths: list[Path] = field(default_factory=list)  # files written, in order
    problems: list[Problem] = field(default_factory=list)  # warnings met on the way
    notices: list[str] = field(default_factory=list)  # groups withheld, and why
    data: bytes | None = None  # the one document, when the output is `-` (standard output)
    labels: list[str] = field(default_factory=list)  # per-unit reports: each path's unit


class NothingToReport(Exception):
    """Every group was withheld (fewer respondents than the minimum): nothing to write.

    `notice` says which groups, why, and how to report them anyway; exit status 1."""

    exit_code = ExitCode.INVALID

    def __init__(self, notice: str) -> None:
        self.notice = notice
        super().__init__(notice)


class _Run:
    """Collects a use case's problems and notices, and passes each to `say` as it comes."""

    def __init__(self, say: Say | None) -> None:
        self.done = Done()
        self.say = say

    def problems(self, problems: Sequence[Problem]) -> None:
        self.done.problems.extend(problems)
        if self.say is not None:
            for problem in problems:
                self.say(problem)

    def notice(self, text: str) -> None:
        self.done.notices.append(text)
        if self.say is not None:
            self.say(text)

    def withhold(
        self, groups: list[dict[str, Any]], min_group_size: int, shown: int, kind: str
    ) -> None:
        """Say which groups are left out (roadmap.withheld_notice); stop when that leaves
        nothing to show."""
        if not groups:
            return
        from .roadmap import withheld_notice

        text = withheld_notice(groups, min_group_size, shown, kind)
        if not shown:
            raise NothingToReport(text)
        self.notice(text)


# --------------------------------------------------------------------------- small helpers


def is_stdout(output: Path | str | None) -> bool:
    """`-` names standard output (a file called - takes its folder: `-o "$PWD/-"`)."""
    return output is not None and str(output) == "-"


def _many_to_stdout(output: Path, why: str) -> None:
    if is_stdout(output):
        raise DtassessError(Problem("F016", f"-o -: {why}; give a folder"))


def questionnaire_or_none(ref: str | None):
    """The questionnaire a reference names, or None (the responses name theirs)."""
    if ref is None:
        return None
    from .inputs.questionnaire import load_questionnaire

    return load_questionnaire(ref)


def language(q: Any, lang: str | None) -> str:
    """`lang`, checked against the questionnaire's languages; default its first."""
    if lang is None:
        return q.locales[0]
    if lang not in q.locales:
        raise DtassessError(
            Problem("F002", f"--lang {lang}: {q.ref} is written in {', '.join(q.locales)}")
        )
    return lang


def report_date(value: str | dt.date | None) -> dt.date:
    """A report's date: today, a date, or YYYY-MM-DD text (T001 otherwise)."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DtassessError(
            Problem("T001", f"--date: '{value}' is not a date like 2026-11-25")
        ) from None


def targets(q: Any, spec: str | None, path: Path | None):
    """Target levels from --target SPEC or a --targets file (not both); default one level up."""
    from .roadmap import Targets, load_targets, parse_targets

    if spec and path:
        raise DtassessError(Problem("U001", "give --target or --targets, not both"))
    if path is not None:
        return load_targets(path, q)
    return parse_targets(spec, q) if spec else Targets()


def _files_of(paths: list[Path]) -> list[Path]:
    """The outputs that are files (not `-`)."""
    return [path for path in paths if not is_stdout(path)]


def _write_all(
    run: _Run,
    paths: list[Path],
    rendered: list[bytes],
    force: bool,
    extra: Sequence[tuple[Path, bytes]] = (),
) -> Done:
    """Rendered outputs to their files, all or none (a full disk at the last one leaves none of
    them), or the one output kept for standard output; `extra` files (the charts) are written
    with them, all or none."""
    from .files import write_files

    if len(paths) == 1 and is_stdout(paths[0]):
        run.done.data = rendered[0]
        run.done.paths = write_files(list(extra), force) if extra else []
        return run.done
    run.done.paths = write_files([*zip(paths, rendered, strict=True), *extra], force)
    return run.done


# --------------------------------------------------------------------------- inputs


@dataclass
class Validation:
    """What `validate_files` found: every problem, and how many files it checked."""

    problems: list[Problem]
    checked: int

    @property
    def errors(self) -> list[Problem]:
        """The problems that make a file invalid (exit 1), warnings left out."""
        return errors_only(self.problems)


def validate_files(
    files: Sequence[Path], responses: bool = False, questionnaire: str | None = None
) -> Validation:
    """Check questionnaires, or response files and folders, as `dtassess validate` does.

    Every problem with its place, never raised: a file that cannot be read is a problem of its
    own (F001 ...), a questionnaire folder stands for the questionnaires directly inside it."""
    from .inputs.distinct import distinct_files
    from .inputs.questionnaire import check_questionnaire, load_questionnaire

    if responses:
        from .inputs.responses import check_responses

        q = load_questionnaire(questionnaire) if questionnaire else None
        good, problems, _ = check_responses(list(files), q)
        read = [p.path for p in problems if p.code != "F015"] + [r.source for r in good]
        return Validation(problems, len(set(read)))
    paths, problems = distinct_files(_questionnaire_files(list(files)))
    for path in paths:
        _, found = check_questionnaire(path)
        problems.extend(found)
    return Validation(problems, len(paths))


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


@dataclass(frozen=True)
class Bundled:
    """One questionnaire bundled with dtassess, as `dtassess questionnaires` lists it."""

    id: str
    version: str
    title: str  # in the language asked for, default the questionnaire's first
    questions: int
    path: str


def bundled_questionnaires(lang: str | None = None) -> list[Bundled]:
    """The questionnaires bundled with dtassess (`dtassess questionnaires`), titles in `lang`."""
    from .inputs.questionnaire import load_questionnaire, localize
    from .resources import bundled_questionnaire_refs

    found = []
    for ref in bundled_questionnaire_refs():
        q = load_questionnaire(ref)
        title = localize(q.title, lang or q.locales[0])
        found.append(Bundled(q.id, q.version, title, len(q.questions), q.path))
    return found


@dataclass
class Imported:
    """What `import_responses` did: files written, problems met, what the rows held.

    `stats` counts rows, rejected cells and unknown columns; `exports_read` the exports that
    could be read."""

    paths: list[Path]
    problems: list[Problem]
    stats: ImportResult
    exports_read: int


def import_responses(
    exports: Sequence[Path],
    output: Path,
    questionnaire: str = "gov-dt",
    options: ExportOptions | None = None,
    force: bool = False,
    say: Say | None = None,
    max_rejected: int | None = None,
) -> Imported:
    """Turn online-form exports into response files, one per row (`dtassess import`).

    Into the folder `output`, all written or none; `options.strict` stops at the first
    problem, else each problem goes to `say` before the files are written. With
    `max_rejected`, more rejected cells than that write nothing (I017, exit 1)."""
    from .inputs.exportmaps import load_mappings
    from .inputs.exports import ExportOptions, ImportResult, import_exports, write_responses
    from .inputs.questionnaire import load_questionnaire

    options = options or ExportOptions()
    run = _Run(say)
    q = load_questionnaire(questionnaire)
    stats = ImportResult()
    responses, problems = import_exports(
        exports,
        q,
        encoding=options.encoding,
        mapping=load_mappings(options.mapping, exports, q),
        strict=options.strict,
        org=options.org,
        org_name=options.org_name,
        period=options.period,
        stats=stats,
    )
    run.problems(problems)  # shown before the files are written, which may fail
    if max_rejected is not None and stats.rejected_cells > max_rejected:
        from .inputs.batches import too_many_rejected

        raise too_many_rejected(stats.rejected_cells, max_rejected, stats.rows)
    written = write_responses(responses, q, output, force=force, stats=stats)
    read = len(exports) - sum(p.code == "F015" for p in problems)  # each file read once
    return Imported(written, problems, stats, read)


# --------------------------------------------------------------------------- assess


BY_RESPONDENT = (
    "--by respondent: a {command} is for a group of respondents; group by organization, unit, "
    "role or a profile question ('dtassess score --by respondent' shows each respondent's scores)"
)


def _scored(
    run: _Run,
    responses: Sequence[Path],
    questionnaire: str | None,
    exports: ExportOptions | None,
    by: str = "organization",
) -> tuple[ResponseSet, ScoreResult]:
    """Responses loaded (warnings to `run`) and scored by organization (or by `by`)."""
    from .inputs.loading import load_periods
    from .scoring.scores import score

    loaded, _ = load_periods(list(responses), questionnaire_or_none(questionnaire), exports)
    run.problems(loaded.problems)
    return loaded, score(loaded, by=by)


def assess_on_dask(
    responses: Sequence[Path],
    q: Any,
    by: str = "organization",
    statistic: str = "mean",
    min_group_size: int = MIN_GROUP_SIZE,
    version_map: Path | None = None,
    exports: ExportOptions | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
    progress: Progress | None = None,
) -> DistributedResult:
    """Score on a Dask cluster (`dtassess score --engine dask`), dask imported only here.

    The options it cannot take are refused (D001)."""
    refused = None
    if by == "respondent":
        refused = "--by respondent (per-respondent results are as large as the data)"
    elif by not in ("organization", "unit"):
        refused = f"--by {by} (it groups by organization or unit)"
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
    from .inputs.exports import ExportOptions
    from .scoring.distributed import PARTITIONS, score_dask

    exports = exports or ExportOptions()
    if exports.mapping is not None and not isinstance(exports.mapping, str | Path):
        raise DtassessError(
            Problem(
                "D001",
                "--engine dask reads every export with one --mapping file; give one, or use "
                "--engine pandas for a mapping per export",
            )
        )
    try:
        return score_dask(
            list(responses),
            q,
            by,
            statistic,
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


@dataclass
class Assessment:
    """What `assess` found: the scores, the bars checked (None without bars), the language."""

    result: ScoreResult
    checks: list | None
    language: str
    problems: list[Problem] = field(default_factory=list)  # warnings met on the way
    notices: list[str] = field(default_factory=list)  # questions left out, groups withheld
    drops: list | None = None  # the --fail-on-drop checks (None without them)
    nodes: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # the nodes of bars, of drops
    started: dt.datetime | None = None  # when the run began (UTC), for JUnit's timestamp
    seconds: float = 0.0  # how long reading and scoring took, for JUnit's time


def assess(
    responses: Sequence[Path],
    questionnaire: str | None = None,
    by: str = "organization",
    statistic: str = "mean",
    min_group_size: int = MIN_GROUP_SIZE,
    lang: str | None = None,
    fail_under: str | None = None,
    version_map: Path | None = None,
    exports: ExportOptions | None = None,
    engine: str = "pandas",
    scheduler: str | None = None,
    partitions: int | None = None,
    say: Say | None = None,
    progress: Progress | None = None,
    *,
    fail_on_drop: str | None = None,
    archive: Path | None = None,
) -> Assessment:
    """Score responses (or read back PDF reports' scores) as `dtassess score` does.

    Engine "pandas" scores here, periods compared; "dask" on a Dask cluster (docs/
    distributed.md). `fail_under` bars (overall=60,security=50) are checked into
    `Assessment.checks`, `fail_on_drop` limits (security=5: at most 5 points lower than the
    group's previous period) into `Assessment.drops`; what to do when one is missed is the
    caller's. `archive` adds the archive's earlier periods (as `report --annual --archive`
    does), for changes and drops without last year's files."""
    import time

    from .inputs.distinct import distinct_files
    from .scoring.engine import group_keys

    started, clock = _started(), time.perf_counter()
    run = _Run(say)
    q = questionnaire_or_none(questionnaire)
    pdfs = [p for p in responses if p.suffix.lower() == ".pdf"]
    loaded = older = None
    result: ScoreResult | None
    if archive is not None and (engine == "dask" or pdfs):
        with_what = "--engine dask" if engine == "dask" else "PDF reports"
        raise DtassessError(
            Problem(
                "U001",
                f"--archive with {with_what}: the archive's periods join responses scored here; "
                "score the response files, with --engine pandas",
            )
        )
    if engine == "dask":
        # The paths given; files inside a dataset folder are listed by the workers.
        responses, repeated = distinct_files(list(responses))
        run.problems(repeated)
        result = assess_on_dask(
            responses, q, by, statistic, min_group_size, version_map, exports, scheduler,
            partitions, progress,
        )  # fmt: skip
        run.problems(result.problems)
    elif scheduler is not None or partitions is not None:
        raise DtassessError(
            Problem("U002", "--scheduler and --partitions need --engine dask (docs/distributed.md)")
        )
    elif pdfs:
        from .reporting.report import scores_from_reports

        if by != "organization":
            raise DtassessError(
                Problem(
                    "U001",
                    f"--by {by} with PDF reports: a report carries its scores by organization; "
                    "leave --by out, or score the response files instead",
                )
            )
        if len(pdfs) != len(responses):
            raise DtassessError(
                Problem(
                    "F006",
                    "reports carry their scores by organization: give only PDF reports, "
                    "or score the response files instead",
                )
            )
        pdfs, repeated = distinct_files(pdfs)
        run.problems(repeated)
        result = scores_from_reports(pdfs, q, min_group_size)
    else:
        from .inputs.loading import load_periods

        loaded, older = load_periods(list(responses), q, exports, version_map, progress)
        run.problems(loaded.problems + [p for s, _ in older for p in s.problems])
        if archive is not None:
            loaded = _with_archived(run, loaded, archive)
        result = None
        q = loaded.questionnaire
    if result is not None:
        q = result.questionnaire
    lang = language(q, lang)
    bars = None
    if fail_under:
        from .scoring.thresholds import parse_bars

        bars = parse_bars(fail_under, q)
    drops = None
    if fail_on_drop:
        from .scoring.thresholds import parse_drops

        drops = parse_drops(fail_on_drop, q)
    if result is None:
        from .scoring.periods import score_periods

        assert loaded is not None and older is not None  # read in the branch above
        result = score_periods(loaded, older, by, statistic, min_group_size)
        if result.left_out:
            listing = "; ".join(f"{qid} ({why})" for qid, why in result.left_out)
            run.notice(MESSAGES["left_out"].format(count=len(result.left_out), listing=listing))
    if result.withheld:
        run.notice(MESSAGES["withheld"].format(count=result.withheld, k=min_group_size))
    checks = None
    if bars is not None:
        from .scoring.thresholds import check_bars

        checks = check_bars(result.table, bars, list(group_keys(by)))
    found = Assessment(result, checks, lang, run.done.problems, run.done.notices)
    if drops is not None:
        from .scoring.thresholds import check_drops

        source = "--engine dask" if engine == "dask" else "reports" if pdfs else None
        _periods_to_compare(result, source)
        found.drops = check_drops(result.table, drops, list(group_keys(by)))
    found.nodes = (tuple(bars or ()), tuple(drops or ()))
    found.started, found.seconds = started, _elapsed(clock)
    return found


def check_score_outputs(
    owned: dict[str, Path | None], output: Path | None, inputs: Sequence[Path]
) -> None:
    """Refuse, before any work, an output a run owns (`score --junit FILE` ...: the option, its
    file) on standard output, given twice, or among the inputs: a run would replace an input, or
    remove it when it fails (F016, U001)."""
    import os

    given = [Path(os.path.abspath(p)) for p in inputs]
    seen: dict[Path, str] = {}
    if output is not None and not is_stdout(output):
        seen[Path(os.path.abspath(output))] = "-o"
    for option, path in owned.items():
        if path is None:
            continue
        if is_stdout(path):
            raise DtassessError(
                Problem(
                    "F016",
                    f"{option} -: standard output carries --format's output; give {option} a file",
                )
            )
        where = Path(os.path.abspath(path))
        if where in seen:
            raise DtassessError(
                Problem("U001", f"{seen[where]} and {option} both name {path}; give each its own")
            )
        if any(where == p or where.is_relative_to(p) for p in given):
            raise DtassessError(
                Problem(
                    "U001",
                    f"{option} {path} is among the inputs (a later run would read it, and a "
                    "failed run removes it); write the results outside the inputs",
                )
            )
        seen[where] = option


def score_output(done: Assessment, fmt: str) -> str | bytes:
    """One output of a scoring run in `fmt` (table, json, csv, parquet, junit, markdown,
    github, codequality): text, or bytes for Parquet."""
    from .reporting import ci
    from .reporting import output as out

    result, checks, drops, language = done.result, done.checks, done.drops, done.language
    fmt = str(fmt)
    if fmt == "table":
        return out.table_text(result, language)
    if fmt == "json":
        return out.to_json(result, checks, drops)
    if fmt == "junit":
        return ci.to_junit(result, checks, drops, done.started, done.seconds, done.nodes)
    if fmt == "parquet":
        return out.to_parquet(result, language)
    if fmt == "markdown":
        return ci.to_markdown(result, checks, drops, language)
    found = ci.findings(done.problems, checks, drops, ci.group_sources(result))
    if fmt == "github":
        return ci.to_github(found)
    if fmt == "codequality":
        return ci.to_code_quality(found)
    return out.to_csv(result, language)


def _periods_to_compare(result: ScoreResult, source: str | None) -> None:
    """--fail-on-drop compares periods: refuse results that have none to compare (U003)."""
    if result.periods:
        return
    if source == "reports":
        why = "PDF reports carry one period's scores each; score the response files instead"
    elif source:
        why = f"{source} does not compare periods; use --engine pandas"
    else:
        from .scoring.periods import ordered_periods

        found = ordered_periods(result.meta["period"]) if "period" in result.meta else []
        held = f"only the period {found[0]}" if found else "no period"
        why = (
            f"the responses hold {held}; give the previous period's responses too "
            "(e.g. answers/2025 answers/2026)"
        )
    text = f"--fail-on-drop compares each group with its previous period: {why}"
    raise DtassessError(Problem("U003", text))


def _started() -> dt.datetime:
    """When a run began, in UTC; SOURCE_DATE_EPOCH (reproducible builds) fixes it."""
    import os

    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if fixed.isdigit():
        return dt.datetime.fromtimestamp(int(fixed), dt.UTC)
    return dt.datetime.now(dt.UTC)


def _elapsed(clock: float) -> float:
    """Seconds since `clock`; 0 under SOURCE_DATE_EPOCH, so that the same inputs give the same
    bytes."""
    import os
    import time

    if os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit():
        return 0.0
    return time.perf_counter() - clock


# --------------------------------------------------------------------------- roadmaps


@dataclass
class Plan:
    """What `plan_roadmaps` built: a roadmap per organization shown, and what it met.

    Also the questionnaire and the language, for printing the roadmaps."""

    roadmaps: list[Roadmap]
    questionnaire: Questionnaire
    language: str
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def plan_roadmaps(
    responses: Sequence[Path],
    questionnaire: str | None = None,
    target: str | None = None,
    targets_file: Path | None = None,
    lang: str | None = None,
    exports: ExportOptions | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    say: Say | None = None,
    capacity: float = CAPACITY,
    by: str = "organization",
) -> Plan:
    """The roadmap of every organization the responses name (`dtassess roadmap`).

    With `by` (`unit`, `role`, a profile question), of every such group of each organization.
    Groups of fewer respondents than `min_group_size` are withheld (a notice says
    which); when that leaves none, `NothingToReport`. Each phase absorbs `capacity`
    person-months of work."""
    from .roadmap import build_roadmaps, small_groups

    if by == "respondent":
        raise DtassessError(Problem("Q032", BY_RESPONDENT.format(command="roadmap")))
    run = _Run(say)
    loaded, result = _scored(run, responses, questionnaire, exports, by)
    q = loaded.questionnaire
    lang = language(q, lang)
    goals = targets(q, target, targets_file)
    roadmaps = build_roadmaps(result, loaded, goals, min_group_size, capacity)
    kind = "organization" if by == "organization" else "group"
    run.withhold(small_groups(result, min_group_size), min_group_size, len(roadmaps), kind)
    return Plan(roadmaps, q, lang, run.done.problems, run.done.notices)


# --------------------------------------------------------------------------- reports


def write_reports(
    responses: Sequence[Path], options: ReportOptions, say: Say | None = None
) -> Done:
    """Write the roadmap report of every organization the responses name (`dtassess report`).

    One file, or one file per organization in the folder `options.output` (safe names);
    groups smaller than `options.min_group_size` withheld; all files written or none."""
    from .files import inside, refuse_existing
    from .reporting.documents import render_many
    from .reporting.report import attachment_for, build_report, report_names
    from .reporting.summary import PeerPool
    from .reporting.templating import template_dir
    from .roadmap import build_roadmaps, small_groups

    run = _Run(say)
    loaded, result = _scored(run, responses, options.questionnaire, options.exports)
    q = loaded.questionnaire
    lang = language(q, options.lang)
    folder = template_dir(options.template)
    day = report_date(options.date)
    _check_fonts(options, lang)
    k = options.min_group_size
    goals = targets(q, options.target, options.targets_file)
    roadmaps = build_roadmaps(result, loaded, goals, k, options.capacity)
    withheld = small_groups(result, k)
    organizations = len(roadmaps) + len(withheld)
    output = options.output
    if organizations > 1:  # a folder for several organizations, withheld or not
        _many_to_stdout(output, f"the responses name {organizations} organizations")
        if output.exists() and not output.is_dir():
            raise DtassessError(
                Problem(
                    "F003",
                    f"{output} is a file, but the responses name {organizations} "
                    "organizations: give a folder",
                    str(output),
                )
            )
    run.withhold(withheld, k, len(roadmaps), "organization")
    if organizations == 1:
        paths = [output]
    else:
        names = report_names(roadmaps, lang, options.fmt)
        paths = [inside(output, name) for name in names]
    stems = [(r.group["organization"], r.group["period"], lang) for r in roadmaps]
    chart_paths = _chart_paths(options.charts, stems, q)
    # before the work, not after it
    refuse_existing(
        _files_of(paths) + [p for pair in chart_paths.values() for p in pair], options.force
    )
    # One pool for every report of the run: its peers' resampling is drawn once per period.
    pool = _peer_pool(run, loaded, options.archive) or PeerPool(result, loaded, frozenset())
    jobs: list[Job] = [
        (
            build_report(result, loaded, r, lang, day, k, _interval_options(options), pool),
            attachment_for(result, r),
            folder,
            options.fmt,
            options.variant,
        )
        for r in roadmaps
    ]
    charts = _chart_files(jobs, stems, chart_paths, folder)
    return _write_all(run, paths, render_many(jobs), options.force, charts)


def _check_fonts(options: ReportOptions, lang: str) -> None:
    """A CJK font before any work, where Chinese is set in type by dtassess: the PDF, and the
    charts drawn as pictures (Word, --charts)."""
    if options.fmt in ("pdf", "docx") or options.charts is not None:
        from .reporting.render import check_cjk_font

        check_cjk_font(lang)


ChartKey = tuple[Any, ...]


def _chart_paths(
    folder: Path | None, keys: Sequence[ChartKey], q: Questionnaire
) -> dict[tuple[ChartKey, str], tuple[Path, Path]]:
    """(report key, chart id) -> the chart's SVG and PNG files in `folder` ({} without one):
    `<organisation>-<period>-<lang>-<chart id>`, made safe (safe_names) and kept inside the
    folder (files.inside). Every chart a report of this questionnaire can show gets a name,
    so that existing files are refused before any work."""
    if folder is None:
        return {}
    from .files import inside, safe_names

    if os.path.lexists(folder) and not folder.is_dir():
        raise DtassessError(
            Problem("F013", f"{folder} is not a folder: --charts takes a folder", str(folder))
        )

    ids = ["radar", "heatmap", *[f"bars-{d.id}" for d in q.dimensions], "timeline"]
    pairs = [(key, chart) for key in keys for chart in ids]
    stems = ["-".join(str(p) for p in (*key, chart) if p) for key, chart in pairs]
    found: dict[tuple[ChartKey, str], tuple[Path, Path]] = {}
    svgs = safe_names(stems, ".svg", keys=pairs)
    pngs = safe_names(stems, ".png", keys=pairs)
    for pair, svg, png in zip(pairs, svgs, pngs, strict=True):
        found[pair] = (inside(folder, svg), inside(folder, png))
    return found


def _chart_files(
    jobs: Sequence[Job],
    keys: Sequence[ChartKey],
    paths: dict[tuple[ChartKey, str], tuple[Path, Path]],
    folder: Path,
) -> list[tuple[Path, bytes]]:
    """Every chart of every report as SVG and PNG files (docs/report.md, Charts as pictures)."""
    if not paths:
        return []
    from .reporting.documents import report_charts
    from .reporting.report import ReportModel

    files: list[tuple[Path, bytes]] = []
    for job, key in zip(jobs, keys, strict=True):
        model = job[0]
        if not isinstance(model, ReportModel):
            continue
        for chart in report_charts(model, folder, pictures=True):
            svg, png = paths[(key, chart.id)]
            files.append((svg, chart.svg.encode("utf-8")))
            files.append((png, chart.png))
    return files


def _peer_pool(run: _Run, loaded: ResponseSet, archive: Path | None) -> PeerPool | None:
    """The input's organisations with the archive's of the same periods, for the peers of a
    roadmap report (docs/report.md, Peers); None without an archive.

    As the annual report takes a period given as responses from the responses, an
    organisation given as responses for a period is taken from them: its archived answers of
    that period are left out. The archive's small organisations stay in the pool; `peers`
    neither ranks nor counts them, as it does the input's."""
    if archive is None:
        return None
    from .archive import load_archive
    from .inputs.responses import concat_sets, subset
    from .reporting.summary import PeerPool
    from .scoring.scores import score

    meta = loaded.meta
    given = set(zip(meta["organization"].fillna(""), meta["period"].fillna(""), strict=True))
    periods = {period for _, period in given}
    wanted = _comparable_periods(run, archive, periods, loaded.questionnaire)
    if not wanted:
        return None
    archived = load_archive(archive, wanted, loaded.questionnaire)
    run.problems(archived.problems)
    old = archived.meta
    keys = zip(old["organization"].fillna(""), old["period"].fillna(""), strict=True)
    keep = [i for i, key in enumerate(keys) if key not in given]
    others = subset(archived, keep)
    union = concat_sets(loaded.questionnaire, [loaded, others])
    pairs = zip(
        others.meta["organization"].fillna(""), others.meta["period"].fillna(""), strict=True
    )
    return PeerPool(score(union, by="organization"), union, frozenset(pairs))


def _comparable_periods(run: _Run, archive: Path, periods: set[str], q) -> list[str]:
    """The archive's periods that can rank the input's organisations: those of the input's
    periods scored with the same questionnaire (same content hash). A warning says why the
    archive adds no peers, or which periods it leaves out, rather than a silent drop."""
    from .archive import archive_contents

    held = archive_contents(archive)
    shown = ", ".join(sorted(periods)) or "none"
    same = [info for info in held if info["period"] in periods]
    if not same:
        listed = ", ".join(info["period"] for info in held) or "none"
        run.problems(
            [
                Problem(
                    "A005",
                    f"the archive holds none of the responses' periods ({shown}; it holds: "
                    f"{listed}), so it adds no peers",
                    str(archive),
                    severity="warning",
                )
            ]
        )
        return []
    other = [info for info in same if info["questionnaire_hash"] != q.hash]
    if other:
        used = ", ".join(f"{i['period']}: {i['questionnaire']}" for i in other)
        run.problems(
            [
                Problem(
                    "A003",
                    f"the archive's period(s) {used} were scored with another version of the "
                    f"questionnaire than the responses ({q.ref}); their organisations are not "
                    "ranked as peers",
                    str(archive),
                    severity="warning",
                )
            ]
        )
    return [info["period"] for info in same if info["questionnaire_hash"] == q.hash]


def _periods_loaded(
    run: _Run, responses: Sequence[Path], options: ReportOptions, progress: Progress | None
):
    """Responses of every period, with earlier periods from an archive, and older versions."""
    from .inputs.loading import load_periods

    q = questionnaire_or_none(options.questionnaire)
    loaded, older = load_periods(list(responses), q, options.exports, options.version_map, progress)
    run.problems(loaded.problems + [p for s, _ in older for p in s.problems])
    if options.archive is not None:
        loaded = _with_archived(run, loaded, options.archive)
    return loaded, older


def _with_archived(run: _Run, loaded: ResponseSet, archive: Path) -> ResponseSet:
    """The responses and, before them, the archive's periods they do not give: a period given
    as responses replaces the same period in the archive."""
    from .archive import archived_periods, load_archive
    from .inputs.responses import concat_sets

    given = set(loaded.meta["period"].fillna(""))
    wanted = [p for p in archived_periods(archive) if p not in given]
    if not wanted:
        return loaded
    earlier = load_archive(archive, wanted, loaded.questionnaire)
    run.problems(earlier.problems)
    return concat_sets(loaded.questionnaire, [earlier, loaded])


def _report_inputs(
    run: _Run, responses: Sequence[Path], options: ReportOptions, progress: Progress | None
):
    """What annual and per-unit reports start from: the periods' responses (and older
    versions'), the report's language and template folder; for PDF, the CJK font checked
    before any work."""
    from .reporting.templating import template_dir

    loaded, older = _periods_loaded(run, responses, options, progress)
    lang = language(loaded.questionnaire, options.lang)
    folder = template_dir(options.template)
    _check_fonts(options, lang)
    return loaded, older, lang, folder


def _interval_options(options: ReportOptions) -> dict[str, Any] | None:
    """The score intervals' options of a report (None: `--resamples 0`, no intervals)."""
    if not options.resamples:
        return None
    return {**DEFAULT_INTERVALS, "resamples": options.resamples, "seed": options.seed}


def write_annual_reports(
    responses: Sequence[Path],
    options: ReportOptions,
    say: Say | None = None,
    progress: Progress | None = None,
) -> Done:
    """Write the annual report of every organization (`dtassess report --annual`).

    Every unit over every period given, earlier periods from `options.archive`; one file, or
    one per organization in the folder; all written or none."""
    from .files import inside, refuse_existing, safe_names
    from .reporting.annual import annual_models, render_annual, small_organizations

    if options.fmt == "docx" or options.charts is not None:
        raise DtassessError(
            Problem(
                "U001",
                "--annual is a PDF or HTML report: --format docx and --charts are for the "
                "organisation's report and --per-unit",
            )
        )
    run = _Run(say)
    loaded, older, lang, folder = _report_inputs(run, responses, options, progress)
    q = loaded.questionnaire
    uncertainty = _interval_options(options)
    models = annual_models(
        loaded,
        older,
        lang=lang,
        date=report_date(options.date),
        min_group_size=options.min_group_size,
        targets=targets(q, options.target, options.targets_file),
        uncertainty=uncertainty,
        capacity=options.capacity,
    )
    small = small_organizations(loaded, older, options.min_group_size)
    output = options.output
    organizations = len(models) + len(small)
    if organizations > 1:
        _many_to_stdout(output, f"the responses name {organizations} organizations")
    run.withhold(small, options.min_group_size, len(models), "organization")
    if organizations == 1:
        paths = [output]
    else:
        keys = [(m.organization.id, m.latest, lang) for m in models]
        stems = [f"{org}-annual-{latest}-{lang}" for org, latest, lang in keys]
        names = safe_names(stems, f".{options.fmt}", keys=keys)
        paths = [inside(output, name) for name in names]
    refuse_existing(_files_of(paths), options.force)
    rendered = [render_annual(m, folder, options.fmt, options.variant) for m in models]
    return _write_all(run, paths, rendered, options.force)


def report_grouping(by: str, annual: bool = False, per_unit: bool = False) -> str | None:
    """The field `dtassess report` writes one report per group of (`write_unit_reports`), or
    None for one report per organization; Q032 for a grouping it does not take."""
    if by == "respondent":
        raise DtassessError(Problem("Q032", BY_RESPONDENT.format(command="report")))
    if by == "organization":
        return "unit" if per_unit else None
    if annual or (per_unit and by != "unit"):
        given = "--annual" if annual else "--per-unit"
        raise DtassessError(
            Problem(
                "Q032",
                f"--by {by} with {given}: the annual report covers every unit already, and "
                "--per-unit is --by unit; give one of them",
            )
        )
    return by


def write_unit_reports(
    responses: Sequence[Path],
    options: ReportOptions,
    say: Say | None = None,
    progress: Progress | None = None,
    rendered: Progress | None = None,
    by: str = "unit",
) -> Done:
    """Write one roadmap report per unit of the latest period (`dtassess report --per-unit`).

    Or one per group of another response field within each organization (`report --by role`).

    Into the folder `options.output`, rendered on every core, all written or none;
    `Done.labels` names each file's unit (group); `rendered(done, total)` follows the
    rendering."""
    from .files import inside, refuse_existing, safe_names, write_files
    from .reporting.annual import unit_sets
    from .reporting.documents import render_many
    from .reporting.report import attachment_for, build_report
    from .roadmap import build_roadmaps
    from .scoring.scores import score

    run = _Run(say)
    loaded, _, lang, folder = _report_inputs(run, responses, options, progress)
    q = loaded.questionnaire
    goals = targets(q, options.target, options.targets_file)
    day = report_date(options.date)
    k = options.min_group_size
    latest, units, small = unit_sets(loaded, k, by)
    run.withhold(small, k, len(units), "unit" if by == "unit" else "group")
    jobs, keys = [], []
    for organization, unit, part in units:
        result = score(part, by="organization")
        (roadmap,) = build_roadmaps(result, part, goals, k, options.capacity)
        report = build_report(result, part, roadmap, lang, day, k, _interval_options(options))
        jobs.append((report, attachment_for(result, roadmap), folder, options.fmt, options.variant))
        keys.append((organization, latest, unit, lang))
    stems = ["-".join(str(p) for p in key if p) for key in keys]
    names = safe_names(stems, f".{options.fmt}", keys=keys)
    paths = [inside(options.output, name) for name in names]
    chart_paths = _chart_paths(options.charts, keys, q)
    refuse_existing(paths + [p for pair in chart_paths.values() for p in pair], options.force)
    charts = _chart_files(jobs, keys, chart_paths, folder)
    count = 0

    def step() -> None:
        nonlocal count
        count += 1
        if rendered is not None:
            rendered(count, len(jobs))

    documents = render_many(jobs, progress=step)
    items = [*zip(paths, documents, strict=True), *charts]
    run.done.paths = write_files(items, options.force)
    # Each chart file is labelled with its report's unit, as the report is.
    unit_of = {path: key[2] for (key, _), pair in chart_paths.items() for path in pair}
    run.done.labels = [unit for _, unit, _ in units] + [unit_of[path] for path, _ in charts]
    return run.done


def write_demo(
    output: Path = Path("dtassess-demo"),
    date: str | dt.date | None = None,
    force: bool = False,
    say: Say | None = None,
    scores: Callable[[ScoreResult, str], None] | None = None,
) -> Done:
    """Write the demo: the bundled sample county's reports (`dtassess demo`).

    Its report in Chinese and English (PDF and HTML) and its annual report over 2024-2026: six
    files in `output`, all or none. `scores` is called with the sample's scores and language
    before the rendering (the CLI prints them)."""
    from .files import refuse_existing
    from .inputs.responses import load_responses
    from .reporting.annual import annual_models
    from .reporting.documents import render_many
    from .reporting.render import check_cjk_font
    from .reporting.report import attachment_for, build_report
    from .reporting.templating import template_dir
    from .resources import annual_sample_dir, sample_responses_dir
    from .roadmap import build_roadmaps
    from .scoring.scores import score

    run = _Run(say)
    loaded = load_responses([sample_responses_dir()])
    run.problems(loaded.problems)
    q = loaded.questionnaire
    result = score(loaded, by="organization")
    if scores is not None:
        scores(result, q.locales[0])
    check_cjk_font("zh")
    folder = template_dir()
    day = report_date(date)
    roadmap = build_roadmaps(result, loaded)[0]
    attachment = attachment_for(result, roadmap)
    jobs: list[Job] = []
    paths: list[Path] = []
    for lang in q.locales:
        model = build_report(result, loaded, roadmap, lang, day, uncertainty=DEFAULT_INTERVALS)
        for fmt in ("pdf", "html"):
            jobs.append((model, attachment, folder, fmt, None))
            paths.append(output / f"qingshan-{lang}.{fmt}")
    years = load_responses([annual_sample_dir()])
    for lang in q.locales:
        (annual,) = annual_models(years, lang=lang, date=day, uncertainty=DEFAULT_INTERVALS)
        jobs.append((annual, None, folder, "pdf", None))
        paths.append(output / f"qingshan-annual-{lang}.pdf")
    refuse_existing(_files_of(paths), force)
    return _write_all(run, paths, render_many(jobs), force)


# --------------------------------------------------------------------------- forms


def write_form(
    questionnaire: str | Path,
    to: str,
    output: Path,
    lang: str | None = None,
    force: bool = False,
    say: Say | None = None,
) -> Done:
    """Write a questionnaire as a form for a collection tool or for paper (`dtassess form`).

    `to` is xlsform, wjx (问卷星 text), limesurvey, html or pdf (docs/forms.md); `lang` is zh,
    en or both; what the format could not carry (a skip condition it cannot express) goes to
    `say` as a warning and to `Done.problems`."""
    from .files import refuse_existing
    from .forms.build import form_languages, render_form
    from .inputs.questionnaire import load_questionnaire

    run = _Run(say)
    if not is_stdout(output):
        refuse_existing([output], force)
    q = load_questionnaire(questionnaire)
    data, problems = render_form(q, to, form_languages(q, to, lang))
    run.problems(problems)
    return _write_all(run, [output], [data], force)


# --------------------------------------------------------------------------- templates, survey


def init_templates(directory: Path, force: bool = False) -> Done:
    """Write an editable copy of the report template (`dtassess template init`).

    Into `directory`; `Done.paths` are the files written."""
    from .reporting.templating import init_template

    return Done(paths=init_template(directory, force=force))


def score_survey(path: Path, questionnaire: Questionnaire) -> ScoreResult:
    """The scores of the response file a survey wrote, by respondent (`dtassess survey`).

    The table the survey shows when it is complete."""
    from .inputs.responses import load_responses
    from .scoring.scores import score

    return score(load_responses([path], questionnaire), by="respondent")


# --------------------------------------------------------------------------- the archive


def archive_responses(
    responses: Sequence[Path],
    archive: Path,
    questionnaire: str | None = None,
    replace: bool = False,
    exports: ExportOptions | None = None,
    say: Say | None = None,
    progress: Progress | None = None,
):
    """Add responses and their periods' scores to an archive (`dtassess archive add`).

    Responses are files, folders or exports; what is already archived is skipped. Returns the
    archive's `AddResult`; warnings go to `say`."""
    from .archive import add_to_archive
    from .inputs.loading import load_periods

    q = questionnaire_or_none(questionnaire)
    loaded, _ = load_periods(list(responses), q, exports, progress=progress)
    _Run(say).problems(loaded.problems)
    return add_to_archive(loaded, archive, replace=replace)
