"""The report model: everything a report shows, as a typed value, in one language.

Stage: reporting. `build_report` takes a ScoreResult, the ResponseSet, one organisation's
Roadmap, a language and a date, and gives a `ReportModel`: frozen dataclasses, a section each
(header and provenance, dimension and question rows, findings, phases, methodology), that the
Jinja2 templates only lay out (`report.overall.score`): no template computes anything, so the
PDF, the HTML and the JSON attachment cannot disagree. The fields are listed in docs/report.md
("The report model"). Labels come from dtassess/labels.py (`LABELS`, zh and en). Below the
model: its charts, its PDF or HTML (`finish_document`), the JSON attachment, and reading the
scores back from PDFs (`scores_from_reports`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .. import __version__
from ..defaults import MIN_GROUP_SIZE
from ..inputs.questionnaire import Questionnaire, localize
from ..labels import by_language
from ..roadmap import PHASES, Roadmap
from .reliability import ANSWERED_MIN, COVERAGE_MIN, Caveat, caveats
from .summary import (
    HeatMap,
    InitiativeBlock,
    KeyMessage,
    OutcomeRow,
    PeerPool,
    Peers,
    heat_map,
    initiative_blocks,
    key_messages,
    outcome_rows,
    peer_intervals,
    peers,
)

if TYPE_CHECKING:
    from ..inputs.responses import ResponseSet
    from ..roadmap import PlannedAction
    from ..scoring.scores import ScoreResult

# The texts live in dtassess/labels.py with every other language\'s; the name stays for readers.
LABELS = by_language("report")

FORMULAS = by_language("formulas")


# --------------------------------------------------------------------------- the model
# Every section a typed value: a template reads `report.overall.score` as it read the dict's key,
# and a type checker sees a misspelt field. Field order is the order the templates and the docs
# (docs/report.md, "The report model") list them in.


@dataclass(frozen=True)
class Organization:
    """The organisation (or, in a per-unit report, the unit) a report is about."""

    id: str
    name: str


@dataclass(frozen=True)
class QuestionnaireRef:
    """The questionnaire the answers were given to, titled in the report's language."""

    id: str
    version: str
    title: str
    hash: str


@dataclass(frozen=True)
class NodeScore:
    """One node of the dimension tree (or `overall`) for the report's group, scores rounded to
    one decimal, coverage to three; `low` and `high` its score interval (None without one),
    `caveats` why to read it with care (reporting/reliability.py)."""

    id: str
    title: str
    score: float | None
    level: int | None
    level_name: str
    level_description: str
    coverage: float | None
    n: int
    sd: float | None
    low: float | None
    high: float | None
    caveats: list[Caveat]


@dataclass(frozen=True)
class SubdimensionRow(NodeScore):
    """A second-level dimension, with the level its roadmap aims at."""

    target: int | None
    target_name: str
    aggregate: str


@dataclass(frozen=True)
class QuestionRow:
    """One question: the typical answer in words, the mean score and the spread, on the
    questionnaire's score range."""

    id: str
    dimension: str
    text: str
    answers: int
    na: int
    score: float | None
    spread: str
    answer: str


@dataclass(frozen=True)
class Note:
    """A respondent's note, attributed only as far as the small-group rule allows (unit, role
    and respondent are "" where withheld)."""

    question: str
    unit: str
    role: str
    respondent: str
    note: str
    evidence: list[str]


@dataclass(frozen=True)
class DimensionRow(NodeScore):
    """A top dimension's chapter: its score, its sub-dimensions, questions and notes."""

    description: str
    aggregate: str
    target: int | None
    target_name: str
    subdimensions: list[SubdimensionRow]
    questions: list[QuestionRow]
    notes: list[Note]


@dataclass(frozen=True)
class RadarAxis:
    """One axis of a radar chart: a top dimension's score and the score of its target."""

    title: str
    score: float | None
    target: float | None


@dataclass(frozen=True)
class ActionRow:
    """A roadmap action in the report's language."""

    id: str
    title: str
    description: str
    dimension: str
    reach: int
    reach_name: str
    effort: str
    impact: str
    phase: int | None  # None: does not fit in the 36 months at the roadmap's capacity
    priority: float
    start_month: float | None = None  # months from the plan's start (a fraction of a month)
    finish_month: float | None = None
    quick_win: bool = False
    person_months: float = 0.0  # the work it takes, as the plan counts it against capacity
    duration_months: float = 0.0  # how long it runs once started


@dataclass(frozen=True)
class Summary:
    """The executive summary: three strongest and three weakest leaves, the first actions."""

    strengths: list[NodeScore]
    gaps: list[NodeScore]
    first_phase: list[ActionRow]


@dataclass(frozen=True)
class WeakFinding:
    """A low-scoring, heavily weighted question: the answer chosen and the next one up."""

    text: str
    score: float | None
    weight_share: float | None
    chosen: str | None
    next: str | None


@dataclass(frozen=True)
class Disagreement:
    """A question the respondents answered far apart."""

    text: str
    sd: float | None
    lowest: str | None
    highest: str | None


@dataclass(frozen=True)
class Findings:
    """What the answers say beyond the scores (roadmap.findings, in words)."""

    weakest: list[WeakFinding]
    disagreements: list[Disagreement]


@dataclass(frozen=True)
class Projection:
    """A top dimension before a phase and after it."""

    title: str
    score_before: float | None
    score_after: float | None
    level_before: str
    level_after: str


@dataclass(frozen=True)
class ProjectedOverall:
    """The overall score and level expected after a phase."""

    score: float | None
    level: int | None
    level_name: str


@dataclass(frozen=True)
class Phase:
    """One phase of the roadmap: its months, actions and the projection after it."""

    phase: int
    label: str
    months: list[int]
    actions: list[ActionRow]
    projection: list[Projection]
    overall_after: ProjectedOverall


@dataclass(frozen=True)
class Gap:
    """A top dimension below its target: its score, level and the points to the target's start."""

    title: str
    score: float | None
    level_name: str
    target_name: str
    points: float


@dataclass(frozen=True)
class RoadmapSection:
    """The roadmap's phases and how many actions they hold; its initiatives (empty when the
    questionnaire lists none), each target reached or missed (`outcomes`), the actions that do
    not fit in 36 months (`later`); `catalogue` False when the questionnaire has no actions at
    all, `projected` False when its actions say nothing of the answers they change; `gaps` the
    top dimensions below their target."""

    phases: list[Phase]
    actions: int
    initiatives: list[InitiativeBlock] = field(default_factory=list)
    outcomes: list[OutcomeRow] = field(default_factory=list)
    later: list[ActionRow] = field(default_factory=list)
    catalogue: bool = True
    projected: bool = True
    gaps: list[Gap] = field(default_factory=list)


@dataclass(frozen=True)
class ScaleLevel:
    """A maturity level and the score range it covers."""

    level: int
    name: str
    description: str
    min: float
    max: float


@dataclass(frozen=True)
class WeightRow:
    """A node of the dimension tree with its weight and aggregation rule."""

    title: str
    depth: int
    weight: float
    aggregate: str


@dataclass(frozen=True)
class Methodology:
    """How the scores were made: the scale, the weights, the formulas, who answered (groups
    smaller than `min_group_size` only counted)."""

    scale: list[ScaleLevel]
    weights: list[WeightRow]
    formulas: list[str]
    by_unit: list[tuple[str, int]]
    by_role: list[tuple[str, int]]
    small_units: int
    small_roles: int
    min_group_size: int
    score_range: list[float]
    unanswered: str = "exclude"  # the questionnaire's policy, stated in `formulas`
    reliability: list[str] = field(default_factory=list)  # the marks' thresholds, the intervals


@dataclass(frozen=True)
class Reliability:
    """How the report shows reliability: the heading of the interval column ("" when no
    intervals were made) and the intervals' resampling options."""

    interval_label: str
    level: int | None
    resamples: int
    seed: int | None


@dataclass(frozen=True)
class SourceFile:
    """A response file by its SHA-256 (its name "" where it could name a respondent)."""

    path: str
    sha256: str


@dataclass(frozen=True)
class Provenance:
    """Where the numbers came from: the questionnaire, the files, the tool."""

    questionnaire: str
    questionnaire_hash: str
    files: list[SourceFile]
    names_withheld: bool
    tool: str


@dataclass(frozen=True)
class ReportModel:
    """One organisation's report in one language: what `report.html.j2` lays out as `report`."""

    lang: str
    labels: dict[str, Any]
    title: str
    organization: Organization
    period: str | None
    date: str
    questionnaire: QuestionnaireRef
    overall: NodeScore
    respondents: int
    summary: Summary
    radar: list[RadarAxis]
    dimensions: list[DimensionRow]
    findings: Findings
    roadmap: RoadmapSection
    methodology: Methodology
    provenance: Provenance
    reliability: Reliability
    key_messages: list[KeyMessage] = field(default_factory=list)
    heatmap: HeatMap | None = None
    peers: Peers | None = None


class _Titled(Protocol):
    @property
    def title(self) -> str: ...


class Document(Protocol):
    """What rendering reads of any report model (the organisation's or the annual one)."""

    @property
    def lang(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def date(self) -> str: ...

    @property
    def organization(self) -> Organization: ...

    @property
    def questionnaire(self) -> _Titled: ...

    @property
    def labels(self) -> dict[str, Any]: ...


def plain(value: Any) -> Any:
    """A model value as plain dicts and lists (the charts and the JSON attachments take them)."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def source_files(sources: list[str]) -> list[str]:
    """The files that responses came from, each once and sorted: a response file, or the
    export that a row (`export.csv:17`) was read from."""
    files = set()
    for source in sources:
        head, _, row = source.rpartition(":")
        files.add(head if row.isdigit() and head and not Path(source).exists() else source)
    return sorted(files)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _num(value: Any, digits: int = 1) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def build_report(
    result: ScoreResult,
    responses: ResponseSet,
    roadmap: Roadmap,
    lang: str,
    date: dt.date,
    min_group_size: int = MIN_GROUP_SIZE,
    uncertainty: dict[str, Any] | None = None,
    pool: PeerPool | None = None,
) -> ReportModel:
    """The model of one organisation's report in one language.

    As `dtassess report`, it refuses (ValueError) an organisation of fewer than
    `min_group_size` respondents, lists no unit or role of fewer, and quotes a note with its
    unit and role only where that many respondents share them (docs/report.md, Small groups).
    `uncertainty` holds the options of `uncertainty.intervals` (resamples, level,
    weight_spread, seed) for the score intervals; None, or 0 resamples, leaves them out.
    `pool` ranks it among the input's and the archive's organisations (None: the input's).
    """
    q = result.questionnaire
    ranked_in = pool or PeerPool(result, responses, frozenset())
    words = LABELS.get(lang, LABELS["en"])
    group = roadmap.group
    if group["respondents"] < min_group_size:
        raise ValueError(
            f"{group['organization']} has {group['respondents']} respondent(s), fewer than "
            f"min_group_size={min_group_size}: its report could identify them"
        )
    meta = responses.meta
    mask = (meta["organization"].fillna("") == group["organization"]) & (
        meta["period"].fillna("") == (group["period"] or "")
    )
    rows = [i for i, keep in enumerate(mask.to_numpy()) if keep]
    current = roadmap.current
    # With peers, one draw gives the peers' ranges and the organisation's own intervals, so
    # that the page never shows two intervals for one score (docs/report.md, Peers).
    shared = peer_intervals(
        ranked_in.result, ranked_in.responses, roadmap, min_group_size, uncertainty, ranked_in.drawn
    )
    spans = _shared_spans(shared) or _intervals(responses, rows, uncertainty)

    def level_name(level: int | None) -> str:
        if not level:
            return "—"
        return localize(next(lv.name for lv in q.scale if lv.level == level), lang)

    def level_text(level: int | None) -> str:
        if not level:
            return ""
        found = next(lv for lv in q.scale if lv.level == level)
        return localize(found.description, lang)

    def node_fields(node_id: str) -> dict[str, Any]:
        table = result.table
        row = table[
            (table["node"] == node_id)
            & (table["organization"] == group["organization"])
            & (table["period"] == (group["period"] or ""))
        ].iloc[0]
        level = int(row["level"]) or None
        low, high = spans.get(node_id, (None, None))
        return {
            "id": node_id,
            "title": q.title_of(node_id, lang),
            "score": _num(row["score"]),
            "level": level,
            "level_name": level_name(level),
            "level_description": level_text(level),
            "coverage": _num(row["coverage"], 3),
            "n": int(row["n"]),
            "sd": _num(row["sd"]),
            "low": _num(low),
            "high": _num(high),
            "caveats": caveats(row.to_dict(), group["respondents"], lang),
        }

    def node_entry(node_id: str) -> NodeScore:
        return NodeScore(**node_fields(node_id))

    # Each node's own target, derived as every other's (docs/roadmap.md), never its children's max.
    targets_by_top = {top.id: roadmap.targets.get(top.id) for top in q.dimensions}

    dimensions = []
    for top in q.dimensions:
        subdimensions = []
        for sub in top.dimensions:
            sub_target = roadmap.targets.get(sub.id)
            subdimensions.append(
                SubdimensionRow(
                    **node_fields(sub.id),
                    target=sub_target,
                    target_name=level_name(sub_target),
                    aggregate=sub.aggregate,
                )
            )
        dimensions.append(
            DimensionRow(
                **node_fields(top.id),
                description=localize(top.description, lang),
                aggregate=top.aggregate,
                target=targets_by_top[top.id],
                target_name=level_name(targets_by_top[top.id]),
                subdimensions=subdimensions,
                questions=_question_rows(q, responses, rows, top, lang),
                notes=_notes(q, responses, rows, top, lang, min_group_size),
            )
        )

    leaves = [d for d in q.nodes if not d.dimensions and current[d.id]["score"] is not None]
    ranked = sorted(leaves, key=lambda d: (-current[d.id]["score"], d.id))
    strengths = [node_entry(d.id) for d in ranked[:3]]
    weakest_first = sorted(leaves, key=lambda d: (current[d.id]["score"], d.id))
    gap_list = [node_entry(d.id) for d in weakest_first[:3]]

    phases = []
    for phase in roadmap.phases:
        actions = [_action(q, a, lang, level_name) for a in phase.actions]
        moved = []
        for top in q.dimensions:
            before = current[top.id]
            after = phase.projection[top.id]
            moved.append(
                Projection(
                    title=localize(top.title, lang),
                    score_before=_num(before["score"]),
                    score_after=_num(after["score"]),
                    level_before=level_name(before["level"]),
                    level_after=level_name(after["level"]),
                )
            )
        overall_after = phase.projection["overall"]
        phases.append(
            Phase(
                phase=phase.phase,
                label=words[f"phase_{phase.phase}"],
                months=list(phase.months),
                actions=actions,
                projection=moved,
                overall_after=ProjectedOverall(
                    score=_num(overall_after["score"]),
                    level=overall_after["level"],
                    level_name=level_name(overall_after["level"]),
                ),
            )
        )

    sources = source_files(meta["source"].iloc[rows].tolist())
    units = Counter(meta["unit"].iloc[rows].fillna("—").tolist())
    roles = Counter(meta["role"].iloc[rows].fillna("—").tolist())
    by_unit, small_units = _listed(units, min_group_size)
    by_role, small_roles = _listed(roles, min_group_size)
    overall = node_entry("overall")
    findings = _findings(q, roadmap, lang)
    section = _roadmap_section(q, roadmap, responses, rows, phases, lang, level_name)
    return ReportModel(
        lang=lang,
        labels=words,
        title=words["report"],
        organization=Organization(
            id=group["organization"],
            name=group["organization_name"] or group["organization"],
        ),
        period=group["period"],
        date=date.isoformat(),
        questionnaire=QuestionnaireRef(
            id=q.id,
            version=q.version,
            title=localize(q.title, lang),
            hash=q.hash,
        ),
        overall=overall,
        respondents=group["respondents"],
        summary=Summary(
            strengths=strengths,
            gaps=gap_list,
            first_phase=phases[0].actions if phases else [],
        ),
        radar=[
            RadarAxis(
                title=localize(top.title, lang),
                score=_num(current[top.id]["score"]),
                target=_target_score(q, targets_by_top[top.id]),
            )
            for top in q.dimensions
        ],
        dimensions=dimensions,
        findings=findings,
        roadmap=section,
        methodology=Methodology(
            scale=[
                ScaleLevel(
                    level=lv.level,
                    name=localize(lv.name, lang),
                    description=localize(lv.description, lang),
                    min=lv.min,
                    max=nxt.min if nxt else q.score_range[1],
                )
                for lv, nxt in zip(q.scale, [*q.scale[1:], None], strict=True)
            ],
            weights=[
                WeightRow(
                    title=localize(d.title, lang),
                    depth=d.depth,
                    weight=d.weight,
                    aggregate=d.aggregate,
                )
                for d in q.nodes
            ],
            formulas=_formulas(q, lang),
            by_unit=by_unit,
            by_role=by_role,
            small_units=small_units,
            small_roles=small_roles,
            min_group_size=min_group_size,
            score_range=list(q.score_range),
            unanswered=q.unanswered,
            reliability=_reliability_notes(words, uncertainty if spans else None),
        ),
        provenance=Provenance(
            questionnaire=q.ref,
            questionnaire_hash=q.hash,
            # A file name such as 03-caizheng-xinxihua.yaml names a unit and a role: shown only
            # where groups of one are (min_group_size 1); the digest still identifies the file.
            files=[
                SourceFile(path=Path(s).name if min_group_size <= 1 else "", sha256=file_sha256(s))
                for s in sources
            ],
            names_withheld=min_group_size > 1,
            tool=f"dtassess {__version__}",
        ),
        reliability=_reliability(words, uncertainty if spans else None),
        key_messages=key_messages(dimensions, findings, phases, section.outcomes, overall, words),
        heatmap=heat_map(q, responses, rows, lang, min_group_size),
        peers=peers(
            ranked_in.result,
            roadmap,
            lang,
            min_group_size,
            shared,
            int((uncertainty or {}).get("resamples", 0)),
            ranked_in.archived,
        ),
    )


def _roadmap_section(q, roadmap, responses, rows, phases, lang, level_name) -> RoadmapSection:
    """The phases with the initiatives, the outcomes and `later` in the report's language."""
    words = LABELS.get(lang, LABELS["en"])
    later = [_action(q, a, lang, level_name) for a in roadmap.later]
    rows_of = {a.id: a for p in phases for a in p.actions} | {a.id: a for a in later}
    subset = responses.answers.iloc[rows]

    def answer_of(question_id: str) -> str:
        values = [v for v in subset[question_id].tolist() if v is not None]
        return _answer_in_words(q.question(question_id), values, lang)

    score_of = _typical_scores(q, subset) if roadmap.initiatives else None

    return RoadmapSection(
        phases=phases,
        actions=sum(len(p.actions) for p in phases),
        initiatives=initiative_blocks(
            q, roadmap, lang, words, level_name, rows_of, answer_of, score_of
        ),
        outcomes=outcome_rows(q, roadmap, lang, words, level_name),
        later=later,
        catalogue=roadmap.catalogue,
        projected=roadmap.projected,
        gaps=_gaps(roadmap, lang, level_name),
    )


def _typical_scores(q: Questionnaire, answers) -> Callable[[str], float | None]:
    """question id -> the typical respondent's score on it (0-1), the lower median like the
    typical answer's; None for a question without scored answers."""
    from ..scoring.engine import answer_matrix

    matrix = answer_matrix(q, answers.reset_index(drop=True))
    found: dict[str, float | None] = {}
    for j, question in enumerate(x for x in q.questions if x.is_scored):
        scores = sorted(matrix.scores[matrix.valid[:, j] > 0, j].tolist())
        found[question.id] = scores[(len(scores) - 1) // 2] if scores else None
    return lambda question_id: found.get(question_id)


def _intervals(
    responses: ResponseSet, rows: list[int], options: dict[str, Any] | None
) -> dict[str, tuple[float, float]]:
    """node -> (low, high) of the report's group (docs/report.md, Reliability); {} when no
    resamples are asked for."""
    if not options or not options.get("resamples"):
        return {}
    from ..inputs.responses import subset
    from ..scoring.uncertainty import intervals

    found = intervals(
        subset(responses, rows),
        by="organization",
        resamples=options["resamples"],
        level=options.get("level", 0.9),
        weight_spread=options.get("weight_spread", 0.2),
        seed=options.get("seed", 0),
    ).table
    return {
        row.node: (row.low, row.high)
        for row in found.itertuples(index=False)
        if not (_num(row.low) is None or _num(row.high) is None)
    }


def _shared_spans(
    shared: Mapping[str, tuple[Any, Any, Any, Any]],
) -> dict[str, tuple[float, float]]:
    """The organisation's (low, high) per node out of `summary.peer_intervals`."""
    return {
        node: (low, high)
        for node, (low, high, _, _) in shared.items()
        if not (_num(low) is None or _num(high) is None)
    }


def _reliability(words: dict[str, Any], options: dict[str, Any] | None) -> Reliability:
    if options is None:
        return Reliability(interval_label="", level=None, resamples=0, seed=None)
    level = round(100 * options.get("level", 0.9))
    return Reliability(
        interval_label=words["interval"].format(level=level),
        level=level,
        resamples=int(options["resamples"]),
        seed=options.get("seed", 0),
    )


def _reliability_notes(words: dict[str, Any], options: dict[str, Any] | None) -> list[str]:
    """The method section's words on the reliability marks and, when made, the intervals."""
    from ..scoring.engine import AGREEMENT_MIN, CONSISTENCY_MIN

    notes = [
        words["thresholds"].format(
            answered=ANSWERED_MIN,
            coverage=COVERAGE_MIN,
            agreement=AGREEMENT_MIN,
            consistency=CONSISTENCY_MIN,
        )
    ]
    if options is not None:
        notes.append(
            words["interval_note"].format(
                level=round(100 * options.get("level", 0.9)),
                resamples=options["resamples"],
                spread=round(100 * options.get("weight_spread", 0.2)),
                seed=options.get("seed", 0),
            )
        )
    return notes


def _formulas(q: Questionnaire, lang: str) -> list[str]:
    """The method section's paragraphs with the questionnaire's own score range and its policy
    for unanswered questions (exclude or zero), in words."""
    policy = by_language("reliability")
    words = policy.get(lang, policy["en"])
    low, high = q.score_range
    unanswered = words[f"unanswered_{q.unanswered}"]
    return [
        text.format(low=low, high=high, unanswered=unanswered)
        for text in FORMULAS.get(lang, FORMULAS["en"])
    ]


def _gaps(roadmap: Roadmap, lang: str, level_name: Callable[[int | None], str]) -> list[Gap]:
    """The top dimensions below their target, as the roadmap measured them."""
    return [
        Gap(
            title=localize(g.title, lang),
            score=_num(g.score),
            level_name=level_name(g.level),
            target_name=level_name(g.target),
            points=_num(g.gap_score) or 0.0,
        )
        for g in roadmap.dimensions
        if g.depth == 1 and g.gap_levels > 0
    ]


def _on_range(q: Questionnaire, share: float) -> float:
    """A 0-1 question score on the questionnaire's score range (0-3 for a 0-3 questionnaire)."""
    low, high = q.score_range
    return low + share * (high - low)


def _listed(counts: Counter, min_group_size: int) -> tuple[list[tuple[str, int]], int]:
    """The groups of `min_group_size` or more respondents, sorted, and how many were smaller."""
    listed = sorted((k, n) for k, n in counts.items() if n >= min_group_size)
    return listed, len(counts) - len(listed)


def _target_score(q: Questionnaire, level: int | None) -> float | None:
    if level is None:
        return None
    return next(lv.min for lv in q.scale if lv.level == level)


def _action(
    q: Questionnaire, action: PlannedAction, lang: str, level_name: Callable[[int | None], str]
) -> ActionRow:
    words = LABELS.get(lang, LABELS["en"])
    return ActionRow(
        id=action.id,
        title=localize(action.title, lang),
        description=localize(action.description, lang),
        dimension=q.title_of(action.dimension, lang),
        reach=action.reach,
        reach_name=level_name(action.reach),
        effort=words[action.effort],
        impact=words[action.impact],
        phase=action.phase,
        priority=round(action.priority, 4),
        start_month=action.start_month,
        finish_month=action.finish_month,
        quick_win=action.quick_win,
        person_months=action.person_months,
        duration_months=action.duration_months,
    )


def _question_rows(q, responses, rows, top, lang) -> list[QuestionRow]:
    """One row per question of a top dimension: the typical answer in words, and the spread."""
    from ..scoring.engine import answer_matrix

    subset = responses.answers.iloc[rows].reset_index(drop=True)
    matrix = answer_matrix(q, subset)
    index = {x.id: j for j, x in enumerate(q.questions) if x.is_scored}
    scored = [x for x in q.questions if x.is_scored]
    out = []
    for dim in top.walk():
        for question in dim.questions:
            values = [v for v in subset[question.id].tolist() if v is not None]
            score, spread = None, ""
            if question.id in index:
                j = scored.index(question)
                valid = matrix.valid[:, j] > 0
                scores = matrix.scores[valid, j]
                score = _num(_on_range(q, scores.mean())) if len(scores) else None
                spread = _spread(scores, q.score_range) if len(scores) > 1 else ""
            out.append(
                QuestionRow(
                    id=question.id,
                    dimension=localize(dim.title, lang),
                    text=localize(question.text, lang),
                    answers=len([v for v in values if v != "na"]),
                    na=len([v for v in values if v == "na"]),
                    score=score,
                    spread=spread,
                    answer=_answer_in_words(question, values, lang),
                )
            )
    return out


def _spread(scores, score_range: Sequence[float] = (0.0, 100.0)) -> str:
    """The lowest and highest score respondents gave a question, "25–60"; one number, "25",
    when they agree (a range whose ends are equal is no range). Whole numbers on a range of
    100 points, one decimal on a narrower one (0-3: "0.5–2")."""
    bottom, top = score_range
    digits = 0 if top - bottom >= 10 else 1
    low = _num(bottom + scores.min() * (top - bottom), digits)
    high = _num(bottom + scores.max() * (top - bottom), digits)
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


def _answer_in_words(question, values, lang: str) -> str:
    answered = [v for v in values if v != "na"]
    if not answered:
        return "N/A" if values else "—"
    if question.type == "number":
        numbers = sorted(float(v) for v in answered)
        middle = numbers[(len(numbers) - 1) // 2]
        unit = localize(question.unit, lang)
        return f"{middle:g}{(' ' + unit) if unit else ''}"
    if question.type == "text":
        return "; ".join(str(v) for v in answered)
    if question.type == "multi":
        counts = Counter(x for v in answered for x in (v if isinstance(v, tuple) else (v,)))
        labels = []
        for option in question.options:
            if counts.get(option.value):
                labels.append(f"{localize(option.label, lang)} ({counts[option.value]})")
        return "; ".join(labels)
    picks = sorted(
        (question.match(v) for v in answered if question.match(v) is not None),
        key=lambda o: o.score,
    )
    if not picks:
        return "—"
    middle = picks[(len(picks) - 1) // 2]
    label = localize(middle.label, lang)
    return f"{middle.value}. {label}" if question.type == "level" else label


def _notes(q, responses, rows, top, lang, min_group_size=MIN_GROUP_SIZE) -> list[Note]:
    inside = {x.id for d in top.walk() for x in d.questions}
    notes = responses.notes
    who = _attributions(responses.meta, rows, min_group_size)
    ids = responses.meta["respondent"]
    order = {x.id: i for i, x in enumerate(q.questions)}
    found = []
    for row in notes.itertuples(index=False):
        if row.row not in rows or row.question not in inside:
            continue
        entry = Note(
            question=localize(q.question(row.question).text, lang),
            **who[row.row],
            note=row.note,
            evidence=list(row.evidence),
        )
        # In questionnaire order, then by respondent id even where the id is not shown.
        found.append(((order[row.question], str(ids.iloc[row.row])), entry))
    found.sort(key=lambda pair: pair[0])
    return [entry for _, entry in found]


def _attributions(meta, rows, min_group_size: int) -> dict[int, dict[str, str]]:
    """Who each respondent's quotes name: the unit only when `min_group_size` or more of the
    report's respondents are in it, the role only when that many of the unit share it, the
    respondent id only when groups of one are shown (`min_group_size` 1). A role held by one
    person of a unit names that person as surely as a unit of one does."""
    people = meta.iloc[rows]
    units = people["unit"].fillna("").astype(str).tolist()
    roles = people["role"].fillna("").astype(str).tolist()
    unit_size = Counter(units)
    cell_size = Counter(zip(units, roles, strict=True))
    found = {}
    for row, unit, role, respondent in zip(
        rows, units, roles, people["respondent"].tolist(), strict=True
    ):
        named = unit_size[unit] >= min_group_size
        found[row] = {
            "unit": unit if named else "",
            "role": role if named and cell_size[(unit, role)] >= min_group_size else "",
            "respondent": str(respondent or "") if min_group_size <= 1 else "",
        }
    return found


def _findings(q: Questionnaire, roadmap: Roadmap, lang: str) -> Findings:
    def text(entry: dict | None) -> str | None:
        return None if entry is None else localize(entry["label"], lang)

    weakest = [
        WeakFinding(
            text=localize(f["text"], lang),
            score=_num(_on_range(q, f["score"])),
            weight_share=_num(f["weight_share"] * 100),
            chosen=text(f["chosen"]),
            next=text(f["next"]),
        )
        for f in roadmap.findings["weakest"]
    ]
    disagreements = [
        Disagreement(
            text=localize(f["text"], lang),
            sd=_num(f["sd"] * (q.score_range[1] - q.score_range[0])),
            lowest=text(f.get("lowest")),
            highest=text(f.get("highest")),
        )
        for f in roadmap.findings["disagreements"]
    ]
    return Findings(weakest=weakest, disagreements=disagreements)


def report_phases() -> tuple[dict[str, Any], ...]:
    return PHASES


# --------------------------------------------------------------------------- rendering

ATTACHMENT = "dtassess-results.json"


def charts_for(
    model: ReportModel,
    score_range: tuple[float, float],
    rings: list[float],
    palette: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every chart of the report, drawn once from the model, for PDF and HTML alike.

    The brand's colours go into the SVG itself: WeasyPrint does not apply the page's
    stylesheet inside an SVG image.
    """
    from . import charts

    # The charts take plain dicts (their tests and callers build them by hand).
    words = model.labels
    return {
        "radar": charts.radar(plain(model.radar), score_range, rings, words, palette=palette),
        "timeline": charts.timeline(plain(model.roadmap.phases), words, palette=palette),
        "heatmap": _heatmap_chart(model, score_range, palette),
        "bars": {
            dim.id: charts.bars(
                plain(dim.subdimensions),
                score_range,
                rings,
                {"bars": f"{words['subdimension']} · {dim.title}"},
                palette=palette,
            )
            for dim in model.dimensions
        },
    }


def _heatmap_chart(
    model: ReportModel, score_range: tuple[float, float], palette: dict[str, str] | None
) -> str:
    """The units x areas heat map, drawn when two or more units are shown ("" otherwise)."""
    from . import charts

    heat = model.heatmap
    if heat is None or len(heat.units) < 2:
        return ""
    return charts.heatmap(
        heat.units, heat.dimensions, heat.scores, score_range, model.labels, palette=palette
    )


def finish_document(
    model: Document,
    html: str,
    folder: Path,
    fmt: str,
    attachment: tuple[str, bytes, str],
    variant: str | None = None,
) -> bytes:
    """A rendered report's HTML as self-contained HTML, or as a PDF carrying `attachment`
    (name, bytes, description), its metadata taken from the model."""
    from .output import markup_text
    from .render import render_html_file, render_pdf

    # Names, units and notes can hold control characters that no HTML (or XML) may carry.
    html = markup_text(html)
    if fmt == "html":
        return render_html_file(html, root=folder).encode("utf-8")
    pdf = render_pdf(
        html,
        root=folder,
        lang=model.lang,
        title=markup_text(f"{model.title} · {model.organization.name}"),
        author=markup_text(model.organization.name or ""),
        subject=markup_text(model.questionnaire.title),
        created=dt.date.fromisoformat(model.date),
        attachments=[attachment],
        variant=variant,
    )
    return pdf.data


def attachment_for(result: ScoreResult, roadmap: Roadmap) -> bytes:
    """The numbers that travel inside the PDF: this organisation's scores and its roadmap."""
    import json

    from .output import to_json_dict

    doc = to_json_dict(result)
    group = roadmap.group
    doc["groups"] = [
        g
        for g in doc["groups"]
        if g["organization"] == group["organization"] and g["period"] == group["period"]
    ]
    doc["respondents"] = group["respondents"]
    doc["roadmap"] = roadmap.to_dict()
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def report_names(roadmaps: Sequence[Roadmap], lang: str, fmt: str) -> list[str]:
    """File names of organisations' reports written to one folder: organisation, period and
    language, made safe (dtassess.files.safe_names)."""
    from ..files import safe_names

    keys = [(r.group["organization"], r.group["period"], lang) for r in roadmaps]
    stems = ["-".join(str(p) for p in key if p) for key in keys]
    return safe_names(stems, f".{fmt}", keys=keys)


def scores_from_reports(
    paths: list[Path], questionnaire: Questionnaire | None = None, min_group_size: int = 1
):
    """The scores that PDF reports carry, as a ScoreResult (grouped by organization), without
    the organizations of fewer than `min_group_size` respondents (as `score` withholds them)."""
    import pandas as pd

    from ..errors import DtassessError, Problem
    from ..scoring.engine import STAT_COLUMNS, levels_of, withhold_small_groups
    from ..scoring.scores import ScoreResult
    from .readback import check_ranges, parse_results, results_questionnaire
    from .render import read_attachment

    docs = []
    for path in paths:
        data = read_attachment(Path(path), ATTACHMENT)
        if data is None:
            raise DtassessError(
                Problem("F006", f"{path} carries no dtassess results ({ATTACHMENT})", str(path))
            )
        docs.append((path, parse_results(data, str(path), ATTACHMENT)))
    q = results_questionnaire(docs, questionnaire)
    for path, doc in docs:
        check_ranges(doc, q, str(path), ATTACHMENT)
    rows = []
    for _, doc in docs:
        for group in doc["groups"]:
            for node in q.node_ids:
                values = group["scores"].get(node, {})
                rows.append(
                    {
                        "organization": group["organization"] or "",
                        "period": group["period"] or "",
                        "organization_name": group["organization_name"] or "",
                        "respondents": group["respondents"],
                        "node": node,
                        "depth": 0 if node == "overall" else q.node(node).depth,
                        "score": values.get("score"),
                        "coverage": values.get("coverage"),
                        "n": values.get("n", 0),
                        "sd": values.get("sd"),
                        # reports written before group statistics lack the fields below
                        "mean": values.get("mean", values.get("score")),
                        "median": values.get("median"),
                        "rwg": values.get("rwg"),
                        "alpha": values.get("alpha"),
                        "low_agreement": "low_agreement" in values.get("flags", ()),
                        "low_consistency": "low_consistency" in values.get("flags", ()),
                    }
                )
    # columns named, so that reports without groups give an empty table, not a KeyError
    names = ["organization", "period", "organization_name", "respondents", "node", "depth",
             "score", "coverage", "n", "sd", "mean", "median", "rwg", "alpha", "low_agreement",
             "low_consistency"]  # fmt: skip
    table = pd.DataFrame(rows, columns=names)
    for column in ("score", "coverage", "sd", "mean", "median", "rwg", "alpha"):
        table[column] = pd.to_numeric(table[column]).astype(float)
    table["level"] = levels_of(q, table["score"].to_numpy())
    columns = ["organization", "period", "organization_name", "respondents", "node", "depth",
               "score", "level", "coverage", "n", "sd", *STAT_COLUMNS]  # fmt: skip
    table, withheld = withhold_small_groups(table[columns], "organization", min_group_size)
    respondents = sum(g["respondents"] for _, d in docs for g in d["groups"])
    meta = pd.DataFrame(index=range(respondents))
    return ScoreResult(
        q,
        "organization",
        "mean",
        meta,
        None,  # type: ignore[arg-type]  # a report carries no respondent scores
        table,
        withheld,
        min_group_size,
    )
