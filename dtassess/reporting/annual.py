"""The annual report model: every unit of an agency over several periods, as a typed value.

Stage: reporting. `annual_models` takes the responses of every period (and older versions'),
scores them by organization and by unit, and gives an `AnnualModel` per organization;
`build_annual` gathers, for one organization, what an annual report shows — the agency-wide
picture and its change, a table of units, their trends, the highlights, the largest
improvements and declines with the questions that drove them, last period's roadmap set against
the levels reached, a short page per unit — into frozen dataclasses that
`report_templates/annual.html.j2` only lays out (fields in docs/report.md, "The report model").
`render_annual` draws its charts and writes PDF or HTML, the numbers attached as JSON. Units
of fewer than `min_group_size` respondents count in the agency's totals and nowhere else; an
agency of fewer in its latest period gets no report, and its smaller earlier periods are left
out. The rules are in docs/report.md ("The annual report", "Small groups").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import __version__
from ..defaults import CAPACITY, MIN_GROUP_SIZE
from ..inputs.questionnaire import Questionnaire, localize
from ..labels import by_language
from .report import Organization, RadarAxis, finish_document, plain, source_files

if TYPE_CHECKING:
    from ..inputs.responses import ResponseSet
    from ..roadmap import Targets
    from ..scoring.scores import ScoreResult

MOVERS = 3  # improvements and declines shown
DRIVERS = 2  # questions shown for each
NOTES_PER_UNIT = 3
# A unit "slipped" when a level fell or a score fell by more than this share of the score range
# (5 points on 0-100); a smaller fall shows in the tables but calls for no actions of its own
# (docs/report.md, "Next steps").
SLIP_SHARE = 0.05
NEXT_ACTIONS = 3  # the unit roadmap's first actions listed for the dimension it slipped on

# The texts live in dtassess/labels.py with every other language\'s; the name stays for readers.
WORDS = by_language("annual")


# --------------------------------------------------------------------------- the model
# Typed sections, read by annual.html.j2 as attributes (`report.summary.overall.score`); the
# numbers that travel in the PDF are these sections as plain JSON (render_annual). Scores are
# rounded to one decimal except in `scores`, which keeps full precision for machines.


@dataclass(frozen=True)
class AnnualQuestionnaire:
    """The questionnaire of the latest period, titled in the report's language."""

    id: str
    version: str
    ref: str
    title: str


@dataclass(frozen=True)
class PeriodScore:
    """A node's score and level in the latest period, its change since the previous period and
    its trend over all periods (points a period; None where not measured)."""

    score: float | None
    level: int | None
    level_name: str
    change: float | None
    trend: float | None = None


@dataclass(frozen=True)
class DimensionScore:
    """A top dimension of the agency in the latest period (as PeriodScore, with its name)."""

    id: str
    title: str
    score: float | None
    level: int | None
    level_name: str
    change: float | None
    trend: float | None


@dataclass(frozen=True)
class Highlight:
    """A unit a reader looks for first: `kind` top, up, down or bottom."""

    kind: str
    unit: str
    score: float | None
    change: float | None


@dataclass(frozen=True)
class AnnualSummary:
    """The agency as a whole in the latest period: overall, by dimension, the radar against
    the previous period, and the units worth a first look."""

    overall: PeriodScore
    respondents: int
    dimensions: list[DimensionScore]
    radar: list[RadarAxis]
    highlights: list[Highlight]


@dataclass(frozen=True)
class Interval:
    """A unit's bootstrap interval and rank interval; `shown` where worth printing."""

    low: float | None
    high: float | None
    rank: int | None
    rank_low: int | None
    rank_high: int | None
    rank_distinct: bool
    shown: bool


@dataclass(frozen=True)
class UnitRow:
    """A unit in the table of units (latest period), ranked by overall score."""

    unit: str
    respondents: int
    score: float | None
    level: int | None
    level_name: str
    change: float | None
    trend: float | None
    interval: Interval | None
    rank: int
    rank_distinct: bool


@dataclass(frozen=True)
class TrendSeries:
    """One line of the trend chart: the agency's (emphasised) or a unit's overall scores."""

    title: str
    scores: list[float | None]
    emphasis: bool = False


@dataclass(frozen=True)
class DriverQuestion:
    """A question that moved a unit's sub-dimension, its mean score before and now."""

    id: str
    text: str
    before: float | None
    now: float | None


@dataclass(frozen=True)
class Mover:
    """One of the largest changes of a unit's sub-dimension, with the questions behind it."""

    unit: str
    node: str
    title: str
    score: float | None
    change: float | None
    questions: list[DriverQuestion]


@dataclass(frozen=True)
class Movers:
    """The largest improvements and declines."""

    up: list[Mover]
    down: list[Mover]


@dataclass(frozen=True)
class ReviewRow:
    """An action of last period's roadmap against the level its dimension reached: `status`
    reached (the target level), progress (a level up, short of it), not_yet (no level up) or
    held (a missing step below the level the dimension already stood at then, which levels
    cannot show), and how the dimension's score moved. What the answers show, not whether the
    action was carried out: the data cannot know that."""

    phase: int
    number: str
    title: str
    dimension: str
    reach: int
    reach_name: str
    level_then: str
    level_now: str
    status: str
    status_text: str
    score_then: float | None = None
    score_now: float | None = None
    change: float | None = None


@dataclass(frozen=True)
class Slip:
    """A node of a unit in the latest period against the unit's previous period."""

    id: str
    title: str
    score: float | None
    change: float | None
    level_then: str
    level_now: str
    level_fell: bool


@dataclass(frozen=True)
class NextAction:
    """One of the first actions of a unit's own roadmap for the dimension it slipped on."""

    number: str  # phase.position, as the unit's own roadmap report numbers it
    title: str
    dimension: str
    reach_name: str
    phase: int | None  # None: does not fit in 36 months
    start_month: int | None
    finish_month: int | None
    quick_win: bool


@dataclass(frozen=True)
class NextSteps:
    """What a unit that slipped does next: the nodes that slipped, the weakest slipped dimension
    (`focus`) and its first roadmap actions, or why there are none (`why`: small, no_actions)."""

    unit: str
    slipped: list[Slip]
    focus: Slip | None
    actions: list[NextAction]
    why: str | None = None


@dataclass(frozen=True)
class NextStepsSection:
    """The agency summary's next steps: a `NextSteps` per unit that slipped, the score fall
    (`threshold`, points) that counts as slipping without a level falling, and how many units
    are too small to be named or given unit-level actions (`withheld`)."""

    units: list[NextSteps]
    threshold: float
    actions: int
    withheld: int


@dataclass(frozen=True)
class UnitNode:
    """A node of a unit's page."""

    id: str
    title: str
    score: float | None
    level_name: str
    change: float | None
    next_level: int | None = None


@dataclass(frozen=True)
class UnitSubdimension:
    """A bar of a unit page's chart, with the previous period's score and the next level."""

    title: str
    score: float | None
    level_name: str
    previous: float | None = None
    target: int | None = None


@dataclass(frozen=True)
class HistoryPoint:
    """A unit's overall score in one period."""

    period: str
    score: float | None


@dataclass(frozen=True)
class UnitNote:
    """A note quoted on a unit's page (never attributed)."""

    question: str
    note: str


@dataclass(frozen=True)
class UnitPage:
    """The short page of one unit shown in the latest period."""

    unit: str
    history: list[HistoryPoint]
    respondents: int
    overall: UnitNode
    dimensions: list[UnitNode]
    subdimensions: list[UnitSubdimension]
    strongest: UnitNode | None
    weakest: UnitNode | None
    notes: list[UnitNote]
    has_previous: bool
    next_steps: NextSteps | None = None


@dataclass(frozen=True)
class UncertaintyNote:
    """How the intervals were made: level and weight spread in per cent."""

    level: int
    resamples: int
    spread: int
    seed: int


@dataclass(frozen=True)
class LeftOut:
    """A question left out of the comparison across versions, and why."""

    question: str
    title: str
    reason: str


@dataclass(frozen=True)
class AnnualScaleLevel:
    """A maturity level and where it starts."""

    level: int
    name: str
    min: float


@dataclass(frozen=True)
class AnnualProvenance:
    """Where the numbers came from: the questionnaire, how many respondents and files."""

    questionnaire: str
    questionnaire_hash: str
    respondents: int
    files: int
    tool: str


@dataclass(frozen=True)
class AnnualModel:
    """One organisation's annual report in one language.

    What `annual.html.j2` lays out as `report`."""

    kind: str
    lang: str
    labels: dict[str, Any]
    title: str
    date: str
    organization: Organization
    questionnaire: AnnualQuestionnaire
    periods: list[str]
    latest: str
    previous: str | None
    summary: AnnualSummary
    units: list[UnitRow]
    hidden_units: int
    withheld_periods: list[str]
    min_group_size: int
    series: list[TrendSeries]
    movers: Movers
    review: list[ReviewRow]
    next_steps: NextStepsSection
    unit_pages: list[UnitPage]
    scores: dict[str, list[dict[str, Any]]]
    uncertainty: UncertaintyNote | None
    left_out: list[LeftOut]
    scale: list[AnnualScaleLevel]
    score_range: list[float]
    provenance: AnnualProvenance


def _num(value: Any, digits: int = 1) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, digits)


def build_annual(
    agency: ScoreResult,
    units: ScoreResult,
    responses: ResponseSet,
    lang: str,
    date: dt.date,
    *,
    organization: str,
    previous_roadmap: Any = None,
    intervals: pd.DataFrame | None = None,
    uncertainty: dict[str, Any] | None = None,
    comparable: tuple[ResponseSet, set[str]] | None = None,
    targets: Targets | None = None,
    withheld_periods: list[str] = (),  # type: ignore[assignment]
    capacity: float = CAPACITY,
) -> AnnualModel:
    """The model of one organization's annual report in one language.

    `agency` is scored by organization and `units` by unit, both over every period given (see
    `periods.score_periods`), each withholding its groups of fewer than `min_group_size`
    respondents (`withheld_periods` names the agency's). `previous_roadmap` is the roadmap built
    from the previous period's agency scores, `intervals` the unit intervals of
    `uncertainty.intervals` for the latest period. A slipped unit's next steps come from a
    roadmap whose phases each absorb `capacity` person-months, as `dtassess roadmap --capacity`.
    """
    q = agency.questionnaire
    words = WORDS.get(lang, WORDS["en"])
    level_names = {lv.level: localize(lv.name, lang) for lv in q.scale}
    org_rows = agency.table[agency.table["organization"] == organization]
    periods = [
        p
        for p in (agency.periods or tuple(org_rows["period"].unique()))
        if p in set(org_rows["period"])
    ]
    latest = periods[-1]
    previous = periods[-2] if len(periods) > 1 else None
    name = org_rows["organization_name"].iloc[0] or organization

    def node_of(table: pd.DataFrame, node: str) -> PeriodScore:
        row = table[table["node"] == node]
        if row.empty:
            return PeriodScore(score=None, level=None, level_name="—", change=None)
        row = row.iloc[0]
        level = int(row["level"]) or None
        return PeriodScore(
            score=_num(row["score"]),
            level=level,
            level_name=level_names.get(level, "—") if level else "—",
            change=_num(row.get("change")) if "change" in row else None,
            trend=_num(row.get("trend")) if "trend" in row else None,
        )

    now = org_rows[org_rows["period"] == latest]
    before = org_rows[org_rows["period"] == previous] if previous else org_rows.iloc[0:0]
    tops = [d.id for d in q.dimensions]

    unit_rows = units.table[units.table["organization"] == organization]
    latest_units = unit_rows[unit_rows["period"] == latest]
    shown = [u for u in dict.fromkeys(latest_units["unit"]) if u]
    all_units = [
        u
        for u in dict.fromkeys(
            responses.meta.loc[
                (responses.meta["organization"] == organization)
                & (responses.meta["period"] == latest),
                "unit",
            ].fillna("")
        )
        if u
    ]
    hidden_units = [u for u in all_units if u not in shown]
    table = _unit_table(q, latest_units, shown, intervals, node_of)
    summary = AnnualSummary(
        overall=node_of(now, "overall"),
        respondents=int(now["respondents"].iloc[0]),
        dimensions=[
            DimensionScore(id=d, title=q.title_of(d, lang), **asdict(node_of(now, d))) for d in tops
        ],
        radar=[
            RadarAxis(
                title=q.title_of(d, lang),
                score=node_of(now, d).score,
                target=node_of(before, d).score if previous else None,
            )
            for d in tops
        ],
        highlights=_highlights(table),
    )
    series = [
        TrendSeries(
            title=words["agency"],
            scores=[node_of(org_rows[org_rows["period"] == p], "overall").score for p in periods],
            emphasis=True,
        )
    ]
    for unit in shown:
        rows = unit_rows[unit_rows["unit"] == unit]
        series.append(
            TrendSeries(
                title=unit,
                scores=[node_of(rows[rows["period"] == p], "overall").score for p in periods],
            )
        )

    drivers = {}
    if previous:
        # Periods answered with an older version take part under the current question ids,
        # the questions the versions ask differently left out (periods.comparable_responses).
        every, excluded = comparable if comparable is not None else (responses, set())
        drivers = _question_changes(
            q, every, organization, latest, previous, excluded, units.min_group_size
        )
    movers = (
        _movers(q, unit_rows, latest, shown, drivers, lang) if previous else Movers(up=[], down=[])
    )
    review = _review(q, previous_roadmap, now, level_names, lang, words) if previous_roadmap else []
    pages = [
        _unit_page(q, unit_rows, unit, latest, previous, responses, organization, lang, level_names)
        for unit in shown
    ]
    low, high = q.score_range
    threshold = round(SLIP_SHARE * (high - low), 6)
    steps = {}
    for unit in shown if previous else ():
        found = _next_steps(
            q, unit_rows, unit, latest, responses, organization, lang, level_names,
            threshold, targets, units.min_group_size, capacity,
        )  # fmt: skip
        if found is not None:
            steps[unit] = found
    pages = [replace(page, next_steps=steps.get(page.unit)) for page in pages]
    meta = responses.meta
    in_org = meta["organization"] == organization
    return AnnualModel(
        kind="annual",
        lang=lang,
        labels=words,
        title=f"{words['report']} {latest}",
        date=date.isoformat(),
        organization=Organization(id=organization, name=name),
        questionnaire=AnnualQuestionnaire(
            id=q.id,
            version=q.version,
            ref=q.ref,
            title=localize(q.title, lang),
        ),
        periods=periods,
        latest=latest,
        previous=previous,
        summary=summary,
        units=table,
        hidden_units=len(hidden_units),
        withheld_periods=list(withheld_periods),
        min_group_size=units.min_group_size,
        series=series,
        movers=movers,
        review=review,
        next_steps=NextStepsSection(
            units=list(steps.values()),
            threshold=threshold,
            actions=NEXT_ACTIONS,
            withheld=len(hidden_units),
        ),
        unit_pages=pages,
        scores=_full_scores(agency, units, organization),
        uncertainty=None
        if uncertainty is None
        else UncertaintyNote(
            level=round(100 * uncertainty.get("level", 0.9)),
            resamples=uncertainty.get("resamples", 1000),
            spread=round(100 * uncertainty.get("weight_spread", 0.2)),
            seed=uncertainty.get("seed", 0),
        ),
        left_out=[
            LeftOut(
                question=qid,
                title=localize(q.question(qid).text, lang) if q.has_question(qid) else qid,
                reason=why,
            )
            for qid, why in (agency.left_out or ())
        ],
        scale=[
            AnnualScaleLevel(level=lv.level, name=localize(lv.name, lang), min=lv.min)
            for lv in q.scale
        ],
        score_range=list(q.score_range),
        provenance=AnnualProvenance(
            questionnaire=q.ref,
            questionnaire_hash=q.hash,
            respondents=int(in_org.sum()),
            files=len(source_files(meta.loc[in_org, "source"].tolist())),
            tool=f"dtassess {__version__}",
        ),
    )


def _unit_table(
    q: Questionnaire,
    latest_units: pd.DataFrame,
    shown: list[str],
    intervals: pd.DataFrame | None,
    node_of: Callable[[pd.DataFrame, str], PeriodScore],
) -> list[UnitRow]:
    """The units shown, best first, ranked (by their rank interval's rank where one was made)."""
    entries = []
    for unit in shown:
        rows = latest_units[latest_units["unit"] == unit]
        overall = node_of(rows, "overall")
        entries.append((unit, int(rows["respondents"].iloc[0]), overall))
    entries.sort(key=lambda e: (-(e[2].score if e[2].score is not None else -math.inf), e[0]))
    table = []
    for rank, (unit, respondents, overall) in enumerate(entries, start=1):
        found = _interval(q, intervals, unit, "overall")
        table.append(
            UnitRow(
                unit=unit,
                respondents=respondents,
                **asdict(overall),
                interval=found,
                rank=found.rank if found is not None and found.rank is not None else rank,
                rank_distinct=True if found is None else found.rank_distinct,
            )
        )
    return table


def _highlights(table: list[UnitRow]) -> list[Highlight]:
    """The units a reader looks for first: highest, most improved, largest decline, lowest."""
    scored = [u for u in table if u.score is not None]
    if not scored:
        return []

    def brief(kind: str, unit: UnitRow) -> Highlight:
        return Highlight(kind=kind, unit=unit.unit, score=unit.score, change=unit.change)

    found = [brief("top", scored[0])]
    moved = [u for u in scored if u.change is not None]
    up = max(moved, key=lambda u: u.change or 0.0, default=None)
    down = min(moved, key=lambda u: u.change or 0.0, default=None)
    if up is not None and up.change is not None and up.change > 0:
        found.append(brief("up", up))
    if down is not None and down.change is not None and down.change < 0:
        found.append(brief("down", down))
    if len(scored) > 1 and scored[-1].unit not in {f.unit for f in found}:
        found.append(brief("bottom", scored[-1]))
    return found


def _interval(
    q: Questionnaire, intervals: pd.DataFrame | None, unit: str, node: str
) -> Interval | None:
    """A unit's interval and rank interval; `shown` where the interval is worth printing
    (uncertainty.interval_matters: wide, or straddling a level threshold)."""
    from ..scoring.uncertainty import interval_matters

    if intervals is None or intervals.empty:
        return None
    rows = intervals[(intervals["unit"] == unit) & (intervals["node"] == node)]
    if rows.empty:
        return None
    row = rows.iloc[-1]
    found: dict[str, Any] = {}
    for key in ("low", "high", "rank", "rank_low", "rank_high"):
        value = row.get(key)
        missing = value is None or pd.isna(value)
        found[key] = None if missing else float(value) if key in ("low", "high") else int(value)
    found["rank_distinct"] = bool(row.get("rank_distinct", True))
    found["shown"] = (
        bool(interval_matters(q, [row.get("score")], [found["low"]], [found["high"]])[0])
        if found["low"] is not None
        else False
    )
    return Interval(**found)


def _question_changes(
    q: Questionnaire,
    responses: ResponseSet,
    organization: str,
    latest: str,
    previous: str,
    excluded: set[str] = frozenset(),  # type: ignore[assignment]
    min_group_size: int = 1,
) -> dict[str, dict[str, tuple[float, float]]]:
    """unit -> question id -> (mean 0-1 score before, now), for the questions answered in both
    periods and not `excluded`, and the units of `min_group_size` or more respondents in both
    (a mean of fewer could be one person's answers)."""
    from ..scoring.engine import compile_model, score_respondents

    meta = responses.meta
    model = compile_model(q)
    mask = (meta["organization"] == organization) & meta["period"].isin([latest, previous])
    rows = np.flatnonzero(mask.to_numpy())
    if len(rows) == 0:
        return {}
    answers = responses.answers.iloc[rows]
    matrix = np.empty((len(rows), len(model.questions)), order="F")
    score_respondents(q, answers, question_scores=matrix)
    frame = pd.DataFrame(matrix, columns=[x.id for x in model.questions])
    frame["unit"] = meta["unit"].iloc[rows].fillna("").to_numpy()
    frame["period"] = meta["period"].iloc[rows].to_numpy()
    means = frame.groupby(["unit", "period"]).mean()
    sizes = frame.groupby(["unit", "period"]).size()
    found: dict[str, dict[str, tuple[float, float]]] = {}
    for unit in means.index.get_level_values(0).unique():
        if (unit, latest) not in means.index or (unit, previous) not in means.index:
            continue
        if min(sizes[(unit, latest)], sizes[(unit, previous)]) < min_group_size:
            continue
        now, then = means.loc[(unit, latest)], means.loc[(unit, previous)]
        found[unit] = {
            qid: (float(then[qid]), float(now[qid]))
            for qid in means.columns
            if qid not in excluded and not (math.isnan(then[qid]) or math.isnan(now[qid]))
        }
    return found


def _movers(q, unit_rows, latest, shown, drivers, lang) -> Movers:
    """The largest changes of a unit's sub-dimension, and the questions that moved most."""
    from ..scoring.engine import compile_model

    model = compile_model(q)
    column = {x.id: i for i, x in enumerate(model.questions)}
    node_column = {n: i for i, n in enumerate(model.node_ids)}
    low, high = q.score_range
    rows = unit_rows[
        (unit_rows["period"] == latest)
        & unit_rows["unit"].isin(shown)
        & (unit_rows["depth"] == 2)
        & unit_rows["change"].notna()
    ]
    entries = []
    for row in rows.itertuples(index=False):
        weights = model.effective[:, node_column[row.node]]
        moved = []
        for qid, (then, now) in drivers.get(row.unit, {}).items():
            share = weights[column[qid]]
            if share > 0 and now != then:
                moved.append((abs(now - then) * share, qid, then, now))
        moved.sort(key=lambda m: (-m[0], m[1]))
        direction = 1 if row.change > 0 else -1
        picked = [m for m in moved if (m[3] - m[2]) * direction > 0][:DRIVERS]
        change = _num(row.change)
        assert change is not None  # rows without a change are left out above
        entries.append(
            (
                change,
                Mover(
                    unit=row.unit,
                    node=row.node,
                    title=q.title_of(row.node, lang),
                    score=_num(row.score),
                    change=change,
                    questions=[
                        DriverQuestion(
                            id=qid,
                            text=localize(q.question(qid).text, lang),
                            before=_num(low + then * (high - low)),
                            now=_num(low + now * (high - low)),
                        )
                        for _, qid, then, now in picked
                    ],
                ),
            )
        )
    up = sorted((e for e in entries if e[0] > 0), key=lambda e: (-e[0], e[1].unit))
    down = sorted((e for e in entries if e[0] < 0), key=lambda e: (e[0], e[1].unit))
    return Movers(up=[m for _, m in up[:MOVERS]], down=[m for _, m in down[:MOVERS]])


def _review(q, roadmap, now, level_names, lang, words) -> list[ReviewRow]:
    """Last period's roadmap actions of its first two phases against the levels reached."""
    current = {row.node: int(row.level) or None for row in now.itertuples(index=False)}
    scores = {row.node: _num(row.score) for row in now.itertuples(index=False)}
    found = []
    for phase in roadmap.phases:
        if phase.phase > 2:
            continue
        for k, action in enumerate(phase.actions, start=1):
            then = roadmap.current.get(action.dimension, {}).get("level")
            reached = current.get(action.dimension)
            score_then = _num(roadmap.current.get(action.dimension, {}).get("score"))
            score_now = scores.get(action.dimension)
            if then is not None and then >= action.reach:
                # A missing step planned below the level then (catch_up): levels cannot show it.
                status = "held"
            elif reached is not None and reached >= action.reach:
                status = "reached"
            elif reached is not None and then is not None and reached > then:
                status = "progress"
            else:
                status = "not_yet"
            found.append(
                ReviewRow(
                    phase=phase.phase,
                    number=f"{phase.phase}.{k}",
                    title=localize(action.title, lang),
                    dimension=q.title_of(action.dimension, lang),
                    reach=action.reach,
                    reach_name=level_names.get(action.reach, ""),
                    level_then=level_names.get(then, "—") if then else "—",
                    level_now=level_names.get(reached, "—") if reached else "—",
                    status=status,
                    status_text=words[status],
                    score_then=score_then,
                    score_now=score_now,
                    change=None
                    if score_then is None or score_now is None
                    else _num(score_now - score_then),
                )
            )
    return found


def _unit_page(
    q, unit_rows, unit, latest, previous, responses, organization, lang, level_names
) -> UnitPage:
    rows = unit_rows[(unit_rows["unit"] == unit) & (unit_rows["period"] == latest)]
    by_node = {row.node: row for row in rows.itertuples(index=False)}

    def entry(node: str) -> UnitNode:
        row = by_node.get(node)
        if row is None:
            return UnitNode(
                id=node, title=q.title_of(node, lang), score=None, level_name="—", change=None
            )
        level = int(row.level) or None
        return UnitNode(
            id=node,
            title=q.title_of(node, lang),
            score=_num(row.score),
            level_name=level_names.get(level, "—"),
            change=_num(getattr(row, "change", None)),
            next_level=level + 1 if level and level < len(level_names) else None,
        )

    subs = [entry(d.id) for d in q.nodes if d.depth == 2 and entry(d.id).score is not None]
    ranked = sorted(subs, key=lambda e: (-(e.score or 0.0), e.id))
    meta = responses.meta
    mask = (
        (meta["organization"] == organization) & (meta["unit"] == unit) & (meta["period"] == latest)
    ).to_numpy()
    rows_here = set(np.flatnonzero(mask).tolist())
    notes = []
    for note in responses.notes.itertuples(index=False):
        if note.row in rows_here and note.note:
            notes.append(
                UnitNote(question=localize(q.question(note.question).text, lang), note=note.note)
            )
        if len(notes) >= NOTES_PER_UNIT:
            break
    every = unit_rows[(unit_rows["unit"] == unit) & (unit_rows["node"] == "overall")]
    history = [
        HistoryPoint(period=row.period, score=_num(row.score))
        for row in every.itertuples(index=False)
    ]
    return UnitPage(
        unit=unit,
        history=history,
        respondents=int(rows["respondents"].iloc[0]) if len(rows) else 0,
        overall=entry("overall"),
        dimensions=[entry(d.id) for d in q.dimensions],
        subdimensions=[
            UnitSubdimension(
                title=e.title,
                score=e.score,
                level_name=e.level_name,
                # The bars mark the previous period's score and the next level, the target.
                previous=None if e.change is None or e.score is None else _num(e.score - e.change),
                target=e.next_level,
            )
            for e in (entry(d.id) for d in q.nodes if d.depth == 2)
        ],
        strongest=ranked[0] if ranked else None,
        weakest=ranked[-1] if ranked else None,
        notes=notes,
        has_previous=previous is not None,
    )


def _slip(q, rows, node, latest, lang, level_names, threshold) -> Slip | None:
    """The node of a unit's `rows` (every period) in the latest period, with the level it had
    in the unit's previous period; None when the node has no score or no earlier one."""
    now = rows[(rows["period"] == latest) & (rows["node"] == node)]
    if now.empty or pd.isna(now["score"].iloc[0]):
        return None
    row = now.iloc[0]
    change = _num(row.get("change"))
    before = rows[(rows["period"] == row.get("previous_period")) & (rows["node"] == node)]
    level_now = int(row["level"]) or None
    level_then = (int(before["level"].iloc[0]) or None) if not before.empty else None
    return Slip(
        id=node,
        title=q.title_of(node, lang),
        score=_num(row["score"]),
        change=change,
        level_then=level_names.get(level_then, "—") if level_then else "—",
        level_now=level_names.get(level_now, "—") if level_now else "—",
        level_fell=bool(level_then and level_now and level_now < level_then),
    )


def _slipped(slip: Slip | None, threshold: float) -> bool:
    """A level fell, or the score fell by more than the threshold."""
    if slip is None or slip.change is None:
        return False
    return slip.level_fell or slip.change < -threshold


def _next_steps(
    q, unit_rows, unit, latest, responses, organization, lang, level_names, threshold,
    targets, min_group_size, capacity,
) -> NextSteps | None:  # fmt: skip
    """A unit's next steps when its overall level or a top dimension's slipped (None when not):
    the weakest slipped dimension and the first actions its own roadmap gives for it."""
    rows = unit_rows[unit_rows["unit"] == unit]
    nodes = {
        node: _slip(q, rows, node, latest, lang, level_names, threshold)
        for node in ("overall", *(d.id for d in q.dimensions))
    }
    slipped = [s for s in nodes.values() if s is not None and _slipped(s, threshold)]
    if not slipped:
        return None
    # The weakest dimension that slipped; when only the overall did, the weakest that fell.
    dims = [s for s in slipped if s.id != "overall"] or [
        s for s in nodes.values() if s is not None and s.id != "overall" and (s.change or 0) < 0
    ]
    focus = min(
        dims, key=lambda s: (s.score if s.score is not None else math.inf, s.id), default=None
    )
    roadmap, size = _unit_roadmap(
        q, responses, organization, unit, latest, targets, min_group_size, capacity
    )
    if roadmap is None:
        # No roadmap for fewer than min_group_size; none either without latest answers here.
        why = "small" if 0 < size < min_group_size else "no_actions"
        return NextSteps(unit=unit, slipped=slipped, focus=focus, actions=[], why=why)
    actions = _first_actions(q, roadmap, focus.id, lang, level_names) if focus else []
    return NextSteps(
        unit=unit,
        slipped=slipped,
        focus=focus,
        actions=actions,
        why=None if actions else "no_actions",
    )


def _unit_roadmap(q, responses, organization, unit, latest, targets, min_group_size, capacity):
    """The roadmap of one unit's latest answers (roadmap.build_roadmaps, which builds none for
    fewer than `min_group_size` respondents), and how many respondents it had."""
    from ..inputs.responses import subset
    from ..roadmap import build_roadmaps
    from ..scoring.scores import score

    meta = responses.meta
    mask = (
        (meta["organization"].fillna("") == organization)
        & (meta["unit"].fillna("") == unit)
        & (meta["period"].fillna("") == latest)
    )
    rows = np.flatnonzero(mask.to_numpy())
    if len(rows) == 0:
        return None, 0
    part = subset(responses, rows)
    # Scored as an organization of its own: the roadmap engine plans for organizations.
    result = score(part, by="organization", min_group_size=min_group_size)
    found = build_roadmaps(result, part, targets, min_group_size, capacity)
    return (found[0] if found else None), len(rows)


def _first_actions(q, roadmap, dimension: str, lang: str, level_names) -> list[NextAction]:
    """The roadmap's first actions (in phase order, then what does not fit) on `dimension` or
    a node under it, numbered as the unit's own roadmap report numbers them."""
    inside = {d.id for d in q.node(dimension).walk()}
    numbered = [
        (f"{phase.phase}.{k}", action)
        for phase in roadmap.phases
        for k, action in enumerate(phase.actions, start=1)
    ] + [("—", action) for action in roadmap.later]
    return [
        NextAction(
            number=number,
            title=localize(action.title, lang),
            dimension=q.title_of(action.dimension, lang),
            reach_name=level_names.get(action.reach, ""),
            phase=action.phase,
            start_month=None if action.start_month is None else math.floor(action.start_month),
            finish_month=None if action.finish_month is None else math.ceil(action.finish_month),
            quick_win=action.quick_win,
        )
        for number, action in numbered
        if action.dimension in inside
    ][:NEXT_ACTIONS]


# --------------------------------------------------------------------------- building and rendering

ANNUAL_ATTACHMENT = "dtassess-annual.json"


def previous_roadmap(
    q: Questionnaire,
    rows: pd.DataFrame,
    targets: Targets | None = None,
    group: ResponseSet | None = None,
    capacity: float = CAPACITY,
):
    """The roadmap the previous period's agency scores gave (without its findings). With
    `group`, that period's responses of the agency on `q`, it is the plan those answers gave:
    no action whose result they already show, and phases projected by re-scoring them
    (docs/roadmap.md); without, it plans from the scores alone."""
    from ..roadmap import Roadmap, Targets, plan_group

    found = plan_group(q, rows, targets or Targets(), group=group, capacity=capacity)
    keys = {"organization": rows["organization"].iloc[0], "period": rows["period"].iloc[0]}
    return Roadmap(q.ref, keys, found["current"], found["dimensions"], found["phases"], {})


def annual_models(
    current: ResponseSet,
    older: list = (),  # type: ignore[assignment]
    *,
    lang: str,
    date: dt.date,
    min_group_size: int = MIN_GROUP_SIZE,
    targets: Targets | None = None,
    uncertainty: dict[str, Any] | None = None,
    capacity: float = CAPACITY,
) -> list[AnnualModel]:
    """One annual report model per organization in the responses, as `report --annual` makes.

    Organizations of fewer than `min_group_size` respondents in their latest period get none
    (`small_organizations` lists them); as `dtassess report --annual`, smaller units and
    earlier periods are withheld inside a report.

    `uncertainty`, when given, holds the options of `uncertainty.intervals` (resamples, level,
    weight_spread, seed) for the units of the latest period; None leaves intervals out.
    `capacity` is the person-months each roadmap phase absorbs, for the previous period's
    roadmap under review and the next steps of units that slipped.
    """
    from ..scoring.periods import comparable_responses, score_periods

    agency = score_periods(current, older, "organization", "mean", min_group_size)
    units = score_periods(current, older, "unit", "mean", min_group_size)
    sizes = _period_sizes(current, older)
    small = {g["organization"] for g in small_organizations(current, older, min_group_size)}
    q = agency.questionnaire
    comparable = comparable_responses(current, older) if older else None
    intervals = None
    if uncertainty is not None:
        intervals = _unit_intervals(current, agency, min_group_size, uncertainty)
    models = []
    for organization in dict.fromkeys(agency.table["organization"]):
        if organization in small:
            continue
        rows = agency.table[agency.table["organization"] == organization]
        periods = [p for p in agency.periods if p in set(rows["period"])] or [
            rows["period"].iloc[-1]
        ]
        roadmap = None
        if len(periods) > 1:
            then = periods[-2]
            group = _period_group(current, organization, then)
            roadmap = previous_roadmap(
                q, rows[rows["period"] == then], targets, group, capacity=capacity
            )
        models.append(
            build_annual(
                agency,
                units,
                current,
                lang,
                date,
                organization=organization,
                previous_roadmap=roadmap,
                intervals=None
                if intervals is None
                else intervals[intervals["organization"] == organization],
                uncertainty=uncertainty,
                comparable=comparable,
                targets=targets,
                withheld_periods=[
                    p for p, n in sizes.get(organization, {}).items() if n < min_group_size
                ],
                capacity=capacity,
            )
        )
    return models


def _period_group(responses: ResponseSet, organization: str, period: str) -> ResponseSet | None:
    """The organisation's responses of `period` among `responses` (the current questionnaire's),
    or None when that period was answered with an older version: its answers carry another
    version's question ids, so its roadmap plans from its scores alone."""
    from ..inputs.responses import subset

    meta = responses.meta
    mask = (meta["organization"].fillna("") == organization) & (meta["period"].fillna("") == period)
    rows = [i for i, keep in enumerate(mask.to_numpy()) if keep]
    return subset(responses, rows) if rows else None


def _period_sizes(current: ResponseSet, older: Sequence = ()) -> dict[str, dict[str, int]]:
    """organization -> period -> respondents, periods in order, over every set given."""
    from ..scoring.periods import ordered_periods

    keys = pd.concat(
        [s.meta[["organization", "period"]] for s in (current, *(o for o, _ in older))],
        ignore_index=True,
    ).fillna("")
    found: dict[str, dict[str, int]] = {}
    for organization, rows in keys.groupby("organization", sort=False):
        counts = rows["period"].value_counts()
        found[organization] = {p: int(counts[p]) for p in ordered_periods(rows["period"])}
    return found


def small_organizations(
    current: ResponseSet,
    older: Sequence = (),
    min_group_size: int = MIN_GROUP_SIZE,
) -> list[dict[str, Any]]:
    """The organizations with fewer than `min_group_size` respondents in their latest period, as
    {"organization", "period", "respondents"}: `annual_models` makes no report of them."""
    found = []
    for organization, periods in _period_sizes(current, older).items():
        latest, size = list(periods.items())[-1]
        if size < min_group_size:
            found.append(
                {"organization": organization, "period": latest or None, "respondents": size}
            )
    return found


def _unit_intervals(current, agency, min_group_size, options) -> pd.DataFrame:
    from ..scoring.uncertainty import intervals

    latest = agency.periods[-1] if agency.periods else None
    meta = current.meta
    if latest is not None:
        keep = (meta["period"] == latest).to_numpy()
        current = type(current)(
            current.questionnaire,
            meta[keep].reset_index(drop=True),
            current.answers[keep].reset_index(drop=True),
            current.notes.iloc[0:0],
        )
    found = intervals(
        current,
        by="unit",
        resamples=options.get("resamples", 1000),
        level=options.get("level", 0.9),
        weight_spread=options.get("weight_spread", 0.2),
        seed=options.get("seed", 0),
        min_group_size=min_group_size,
    )
    return found.table if hasattr(found, "table") else found


def _full_scores(agency: ScoreResult, units: ScoreResult, organization: str) -> dict[str, Any]:
    """The organization's scores and its units' over every period at full precision, as groups of
    `dtassess score --format json`: for machines (the chapters print one decimal)."""
    from .output import to_json_dict

    return {
        key: [g for g in to_json_dict(result)["groups"] if g["organization"] == organization]
        for key, result in (("agency", agency), ("units", units))
    }


def _with_change(axis: dict[str, Any]) -> dict[str, Any]:
    """A radar axis with its change since the previous period (its "target" here), printed
    beside the score so that the chart says how much each area moved, not only where."""
    if axis.get("score") is None or axis.get("target") is None:
        return axis
    return {**axis, "change": axis["score"] - axis["target"]}


def render_annual(
    model: AnnualModel, folder: Path, fmt: str = "pdf", variant: str | None = None
) -> bytes:
    """One annual report as PDF or self-contained HTML bytes."""
    import json

    from . import charts
    from .templating import load_brand, render_html

    rings = [level.min for level in model.scale]
    score_range = (model.score_range[0], model.score_range[1])
    brand = load_brand(folder)
    palette = {"primary": brand["primary"], "accent": brand["accent"]}
    words = model.labels
    # The charts take plain dicts (their tests and callers build them by hand).
    drawn = {
        "radar": charts.radar(
            [_with_change(axis) for axis in plain(model.summary.radar)],
            score_range,
            rings,
            {
                "current": model.latest,
                "target": model.previous or "",
                "radar": words["radar"],
            },
            palette=palette,
        ),
        "trend": charts.trend(
            plain(model.series),
            model.periods,
            score_range,
            rings,
            {"trend": words["trend"]},
            palette=palette,
        ),
        "units": {
            # The bands show the levels: one line a row keeps a unit on one page.
            k: charts.bars(
                [{**item, "level_name": ""} for item in plain(page.subdimensions)],
                score_range,
                rings,
                {
                    "bars": f"{words['subdimensions']} · {page.unit}",
                    "current": model.latest,
                    "target": words["next_level"],
                    "previous": model.previous or "",
                },
                palette=palette,
            )
            for k, page in enumerate(model.unit_pages)
        },
    }
    html = render_html(model, drawn, folder, "annual.html.j2")
    numbers = {
        k: plain(getattr(model, k))
        for k in (
            "organization",
            "periods",
            "summary",
            "units",
            "movers",
            "review",
            "next_steps",
            "scores",
        )
    }
    data = json.dumps(numbers, ensure_ascii=False, indent=1).encode()
    attachment = (ANNUAL_ATTACHMENT, data, "dtassess annual report numbers (JSON)")
    return finish_document(model, html, folder, fmt, attachment, variant)


def unit_sets(responses: ResponseSet, min_group_size: int = MIN_GROUP_SIZE, by: str = "unit"):
    """The latest period's units of `min_group_size` or more respondents, each as a ResponseSet
    of its own whose organization name is the unit's (so that a report's cover names the unit),
    in (organization, unit) order; and the smaller units, as {"organization", "unit", "period",
    "respondents"} (`roadmap.withheld_notice` words them).

    With `by` another response field (`role`, a profile question), its groups within each
    organization instead, named "organization · value" on the cover; the small ones carry
    `by` and the value."""
    from ..inputs.fields import with_field
    from ..inputs.responses import subset
    from ..scoring.periods import ordered_periods

    if by != "unit":
        responses = with_field(responses, by)
    meta = responses.meta
    latest = ordered_periods(meta["period"])[-1]
    in_latest = np.flatnonzero((meta["period"].fillna("") == latest).to_numpy())
    keys = meta.iloc[in_latest][["organization", by]].fillna("")
    names = meta.groupby("organization", sort=False)["organization_name"].first()
    found, small = [], []
    for (organization, unit), rows in keys.groupby(["organization", by], sort=True).indices.items():
        index = in_latest[rows]
        if len(index) < min_group_size:
            small.append(
                {
                    "organization": organization,
                    by: unit or None,
                    "period": latest or None,
                    "respondents": len(index),
                    **({} if by == "unit" else {"by": by}),
                }
            )
            continue
        part = subset(responses, index)
        if by == "unit":
            part.meta["organization_name"] = unit or None
        else:
            name = names.get(organization) or organization
            part.meta["organization_name"] = f"{name} · {unit}" if unit else name
        found.append((organization, unit, part))
    return latest, found, small
