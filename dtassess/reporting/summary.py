"""What a director reads first: the report's key messages, its initiatives, where the plan leads,
the units' heat map and the organisation's place among its peers.

Stage: reporting. `report.build_report` calls these with what it has already worked out (the
roadmap, the model's rows, a way to name levels) and puts their values in the `ReportModel`
(docs/report.md, "Key messages", "Initiatives", "The heat map", "Peers"). Each function is pure:
the rules that choose a message, and when it is left out, are plain code a test can call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..inputs.questionnaire import Questionnaire, localize
from ..roadmap import PHASES, Roadmap

if TYPE_CHECKING:
    import pandas as pd

    from ..inputs.responses import ResponseSet
    from ..scoring.scores import ScoreResult

LevelName = Callable[[int | None], str]

# An initiative's evidence on the page (docs/report.md, "Initiatives"): the questions whose
# typical answer lies furthest below the KPI's target, each with its first notes. The dimension
# chapters list every question's typical answer and notes; the block says how many more there are.
EVIDENCE_QUESTIONS = 3
EVIDENCE_NOTES = 2


class ActionLike(Protocol):
    """What these parts read of the report's action rows (report.ActionRow), named here so
    that this module, which report.py imports, imports nothing back from it."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def dimension(self) -> str: ...

    @property
    def start_month(self) -> float | None: ...

    @property
    def quick_win(self) -> bool: ...


# --------------------------------------------------------------------------- the model's parts


@dataclass(frozen=True)
class KeyMessage:
    """One sentence of the executive summary with its number; `kind` says which rule chose it
    (weakest, disagreement, quick_win, risk, plan)."""

    kind: str
    text: str


@dataclass(frozen=True)
class MilestoneStep:
    """An initiative's action in a phase: its title, the month it starts, whether a quick win."""

    title: str
    start_month: float | None
    quick_win: bool


@dataclass(frozen=True)
class Milestone:
    """An initiative's actions of one phase (empty phases are left out)."""

    phase: int
    label: str
    steps: list[MilestoneStep]


@dataclass(frozen=True)
class EvidenceNote:
    """A note quoted without who wrote it, with its evidence file names."""

    note: str
    evidence: list[str]


@dataclass(frozen=True)
class EvidenceItem:
    """A question an initiative moves: the typical answer, and the notes written on it."""

    question: str
    typical: str
    notes: list[EvidenceNote]
    more_notes: int = 0  # notes on this question not quoted here (the dimension chapter has them)


@dataclass(frozen=True)
class InitiativeBlock:
    """One initiative in the report's language: owner, KPI in words, milestones per phase,
    what is left for later, dependencies, effort and the evidence; its actions in detail."""

    id: str
    title: str
    owner: str
    summary: str
    kpi: str
    milestones: list[Milestone]
    later: list[str]
    dependencies: list[str]
    person_months: float
    evidence: list[EvidenceItem]
    actions: list[ActionLike]
    more_evidence: int = 0  # moved questions not shown here (the dimension chapters have them)


@dataclass(frozen=True)
class OutcomeRow:
    """A node below its target: the phase that reaches it, or why the plan misses it, in words."""

    node: str
    title: str
    level_name: str
    target_name: str
    reached_in_phase: int | None
    final_level_name: str
    reason: str | None
    text: str
    headline: bool  # overall, a top dimension, or a target missed: said in a sentence


@dataclass(frozen=True)
class HeatMap:
    """Units x top dimensions: each shown unit's score per area. Units smaller than
    `min_group_size` are not shown and counted in `hidden_units`."""

    dimensions: list[str]
    units: list[str]
    respondents: list[int]
    scores: list[list[float | None]]
    hidden_units: int
    min_group_size: int


@dataclass(frozen=True)
class PeerRow:
    """The organisation's place in one area (or overall): rank of `of` (1 = highest) and the
    share of the peers it scores above, in percent. With resamples, the score's interval
    (`low`-`high`) and the ranks the replicates give it (`rank_low` best, `rank_high` worst),
    drawn for all the peers at once (docs/report.md, Peers); None without."""

    title: str
    score: float | None
    rank: int | None
    of: int
    percentile: float | None
    low: float | None = None
    high: float | None = None
    rank_low: int | None = None
    rank_high: int | None = None


@dataclass(frozen=True)
class Peers:
    """The organisation among the organisations of the same period in the input (and, with
    `--archive`, the archive's), each of `min_group_size` respondents or more (`hidden` counts
    the smaller ones); `from_archive` of the `organizations` ranked came from the archive."""

    organizations: int
    rows: list[PeerRow]
    hidden: int
    resamples: int = 0  # 0: no intervals
    from_archive: int = 0


# --------------------------------------------------------------------------- where the plan leads


def outcome_rows(
    q: Questionnaire, roadmap: Roadmap, lang: str, words: dict[str, Any], level_name: LevelName
) -> list[OutcomeRow]:
    """Every target below which a node stands, `overall` and the top dimensions first: the
    phase that reaches it or why it is missed (docs/roadmap.md, outcomes), in one sentence."""
    top = {d.id for d in q.dimensions}
    ordered = sorted(
        roadmap.outcomes,
        key=lambda o: (o["node"] != "overall", o["node"] not in top),
    )
    rows = []
    for o in ordered:
        title = q.title_of(o["node"], lang)
        target = level_name(o["target"])
        phase = o.get("reached_in_phase")
        reason = o.get("reason")
        if phase:
            text = words["outcome_reached"].format(
                node=title, target=target, number=phase, month=PHASES[phase - 1]["months"][1]
            )
        else:
            text = words["outcome_missed"].format(
                node=title,
                target=target,
                final=level_name(o.get("final_level")),
                why=words.get(f"reason_{reason}", reason or ""),
            )
        rows.append(
            OutcomeRow(
                node=o["node"],
                title=title,
                level_name=level_name(o.get("level")),
                target_name=target,
                reached_in_phase=phase,
                final_level_name=level_name(o.get("final_level")),
                reason=reason,
                text=text,
                headline=o["node"] == "overall" or o["node"] in top or not phase,
            )
        )
    return rows


# --------------------------------------------------------------------------- initiatives


def initiative_blocks(
    q: Questionnaire,
    roadmap: Roadmap,
    lang: str,
    words: dict[str, Any],
    level_name: LevelName,
    rows_of: Mapping[str, ActionLike],
    answer_of: Callable[[str], str],
    score_of: Callable[[str], float | None] | None = None,
) -> list[InitiativeBlock]:
    """The roadmap's initiatives in words (docs/roadmap.md, "Initiatives"); [] without any."""
    titles = {i["id"]: localize(i["title"], lang) for i in roadmap.initiatives}
    blocks = []
    for item in roadmap.initiatives:
        kpi = item["kpi"]
        node = kpi["node"]
        if q.has_question(node):
            node_title = words["quoted"].format(localize(q.question(node).text, lang))
        else:
            node_title = q.title_of(node, lang)
        kpi_text = localize(kpi.get("text"), lang)
        reach = words["kpi_reaches"].format(node=node_title, target=level_name(kpi.get("target")))
        milestones = []
        for p in PHASES:
            ids = item["milestones"].get(str(p["phase"]), [])
            steps = [
                MilestoneStep(rows_of[i].title, rows_of[i].start_month, rows_of[i].quick_win)
                for i in ids
                if i in rows_of
            ]
            if steps:
                milestones.append(Milestone(p["phase"], words[f"phase_{p['phase']}"], steps))
        shown, more = furthest_below(q, item["evidence"], score_of or (lambda _: None))
        evidence = [
            EvidenceItem(
                question=localize(e["text"], lang),
                typical=answer_of(e["question"]),
                notes=[
                    EvidenceNote(n["note"], list(n["evidence"]))
                    for n in e["notes"][:EVIDENCE_NOTES]
                ],
                more_notes=max(0, len(e["notes"]) - EVIDENCE_NOTES),
            )
            for e in shown
        ]
        blocks.append(
            InitiativeBlock(
                id=item["id"],
                title=titles[item["id"]],
                owner=localize(item["owner"], lang),
                summary=localize(item.get("summary"), lang) if item.get("summary") else "",
                kpi=f"{reach}{words['kpi_sep']}{kpi_text}" if kpi_text else reach,
                milestones=milestones,
                later=[rows_of[i].title for i in item["later"] if i in rows_of],
                dependencies=[titles.get(d, d) for d in item["dependencies"]],
                person_months=round(float(item["person_months"]), 1),
                evidence=evidence,
                actions=[rows_of[i] for i in item["actions"] if i in rows_of],
                more_evidence=more,
            )
        )
    return blocks


def furthest_below(
    q: Questionnaire,
    evidence: Sequence[dict[str, Any]],
    score_of: Callable[[str], float | None],
    limit: int = EVIDENCE_QUESTIONS,
) -> tuple[list[dict[str, Any]], int]:
    """The `limit` evidence entries whose typical score (`score_of`) is lowest, and how many are
    left out. The KPI's target is one level for the whole initiative, so the lowest typical
    answer lies furthest below it. Equal scores keep the questionnaire's order; a question
    without a score (a text question, no answers) comes after every scored one."""
    order = {x.id: i for i, x in enumerate(q.questions)}

    def key(entry: dict[str, Any]) -> tuple[bool, float, int]:
        score = score_of(entry["question"])
        return (score is None, score if score is not None else 0.0, order[entry["question"]])

    ranked = sorted(evidence, key=key)
    return ranked[:limit], max(0, len(ranked) - limit)


# --------------------------------------------------------------------------- key messages


def key_messages(
    dimensions: Sequence[Any],
    findings: Any,
    phases: Sequence[Any],
    outcomes: Sequence[OutcomeRow],
    overall: Any,
    words: dict[str, Any],
) -> list[KeyMessage]:
    """Three to five sentences, each with its number, in this order; a rule whose data is not
    there gives no message (docs/report.md, "Key messages")."""
    found = [
        _weakest_area(dimensions, words),
        _largest_disagreement(findings, words),
        _quickest_win(phases, words),
        _largest_risk(dimensions, outcomes, words),
        _plan_result(phases, outcomes, overall, words),
    ]
    return [m for m in found if m is not None]


def _low_first(row: Any) -> float:
    """Sort key: the row's score, rows without one last."""
    return row.score if row.score is not None else math.inf


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _weakest_area(dimensions: Sequence[Any], words: dict[str, Any]) -> KeyMessage | None:
    """The top dimension of the lowest score (ties: questionnaire order), with its two
    lowest-scoring questions (ties: questionnaire order)."""
    scored = [d for d in dimensions if d.score is not None]
    if not scored:
        return None
    weakest = min(scored, key=_low_first)  # min keeps the first of equals
    questions = sorted((x for x in weakest.questions if x.score is not None), key=_low_first)[:2]
    why = words["list_sep"].join(f"{x.text} ({_score(x.score)})" for x in questions)
    text = words["km_weakest"].format(
        area=weakest.title, score=_score(weakest.score), level=weakest.level_name
    )
    if why:
        text += words["km_weakest_why"].format(questions=why)
    return KeyMessage("weakest", text)


def _largest_disagreement(findings: Any, words: dict[str, Any]) -> KeyMessage | None:
    """The question of the largest spread (the findings list them largest first); none when no
    question's spread reaches the findings' bar."""
    if not findings.disagreements:
        return None
    top = findings.disagreements[0]
    text = words["km_disagreement"].format(question=top.text, sd=_score(top.sd))
    if top.lowest and top.highest:
        text += words["km_disagreement_range"].format(lowest=top.lowest, highest=top.highest)
    return KeyMessage("disagreement", text)


def _quickest_win(phases: Sequence[Any], words: dict[str, Any]) -> KeyMessage | None:
    """The first quick win the plan schedules (the earliest start; ties: the plan's order)."""
    wins = [a for p in phases for a in p.actions if a.quick_win]
    if not wins:
        return None
    first = min(wins, key=lambda a: a.start_month if a.start_month is not None else 0.0)
    return KeyMessage(
        "quick_win",
        words["km_quick_win"].format(
            action=first.title, dimension=first.dimension, month=_month(first.start_month)
        ),
    )


def _largest_risk(
    dimensions: Sequence[Any], outcomes: Sequence[OutcomeRow], words: dict[str, Any]
) -> KeyMessage | None:
    """A target the plan misses (overall first, then the top dimensions, then the rest); else
    the lowest sub-dimension outside the weakest area (the first message names that area)."""
    missed = [o for o in outcomes if o.reached_in_phase is None]
    if missed:
        return KeyMessage("risk", missed[0].text)
    scored = [d for d in dimensions if d.score is not None]
    if not scored:
        return None
    weakest = min(scored, key=_low_first)
    subs = [s for d in scored if d is not weakest for s in d.subdimensions if s.score is not None]
    if not subs:
        return None
    low = min(subs, key=_low_first)
    return KeyMessage(
        "risk",
        words["km_risk_low"].format(node=low.title, score=_score(low.score), level=low.level_name),
    )


def _plan_result(
    phases: Sequence[Any], outcomes: Sequence[OutcomeRow], overall: Any, words: dict[str, Any]
) -> KeyMessage | None:
    """Overall after the phase that reaches its target, or after the last phase with actions;
    none when the plan holds no action."""
    acting = [p for p in phases if p.actions]
    if not acting:
        return None
    reached = next((o for o in outcomes if o.node == "overall" and o.reached_in_phase), None)
    phase = next((p for p in phases if reached and p.phase == reached.reached_in_phase), None)
    phase = phase or acting[-1]
    after = phase.overall_after
    rises = after.score is not None and overall.score is not None and after.score > overall.score
    return KeyMessage(
        "plan",
        words["km_plan" if rises else "km_plan_flat"].format(
            number=phase.phase,
            month=phase.months[1],
            before=_score(overall.score),
            before_level=overall.level_name,
            after=_score(phase.overall_after.score),
            after_level=phase.overall_after.level_name,
        ),
    )


def _month(value: float | None) -> str:
    """The month an action starts in, for people: counted from 1 (a start at 5.2 months into the
    plan is in month 6), as the milestones print it."""
    return "1" if value is None else str(math.floor(value) + 1)


# --------------------------------------------------------------------------- units and peers


def heat_map(
    q: Questionnaire,
    responses: ResponseSet,
    rows: Sequence[int],
    lang: str,
    min_group_size: int,
) -> HeatMap | None:
    """The report's units x top dimensions, each unit's mean score per area, scored as
    `dtassess score --by unit` scores it. Units of fewer than `min_group_size` respondents are
    left out and counted; respondents without a unit count in no row. None when the report's
    respondents name fewer than two units; the page draws the map when two or more are shown
    and says how many were left out either way."""
    from collections import Counter

    from ..inputs.responses import subset
    from ..scoring.scores import score

    units = responses.meta["unit"].iloc[list(rows)]
    sizes = Counter(str(u) for u in units.tolist() if isinstance(u, str) and u)
    if len(sizes) < 2:
        return None
    shown = sorted(u for u, n in sizes.items() if n >= min_group_size)
    keep = [r for r, u in zip(rows, units.tolist(), strict=True) if u in shown]
    cells = []
    if keep:
        table = score(subset(responses, keep), by="unit").table
        for unit in shown:
            mine = table[table["unit"] == unit].set_index("node")["score"]
            cells.append([_rounded(mine.get(d.id)) for d in q.dimensions])
    return HeatMap(
        dimensions=[localize(d.title, lang) for d in q.dimensions],
        units=shown,
        respondents=[sizes[u] for u in shown],
        scores=cells,
        hidden_units=len(sizes) - len(shown),
        min_group_size=min_group_size,
    )


def peers(
    result: ScoreResult,
    roadmap: Roadmap,
    lang: str,
    min_group_size: int,
    spans: Mapping[str, tuple[Any, Any, Any, Any]] | None = None,
    resamples: int = 0,
    archived: Collection[tuple[str, str]] = (),
) -> Peers | None:
    """The organisation's rank among the organisations of its period in `result` that have
    `min_group_size` respondents or more, overall and per top dimension; None with no peer.
    With `spans` (`peer_intervals`, drawn with `resamples` replicates) each row also holds the
    score's interval and the rank range of the replicates. `archived` holds the (organisation,
    period) pairs whose answers came from the archive (`PeerPool`), counted apart in the note."""
    ranked = _ranked(result, roadmap, min_group_size)
    if ranked is None:
        return None
    here, organizations, hidden = ranked
    q = result.questionnaire
    group = roadmap.group
    spans = spans or {}
    found = []
    for node in ("overall", *(d.id for d in q.dimensions)):
        scores = here[here["node"] == node].set_index("organization")["score"].dropna()
        own = scores.get(group["organization"])
        if own is None:
            found.append(PeerRow(q.title_of(node, lang), None, None, len(scores), None))
            continue
        rank = int((scores > own).sum()) + 1
        below = int((scores < own).sum())
        share = 100.0 * below / (len(scores) - 1) if len(scores) > 1 else None
        found.append(
            PeerRow(
                title=q.title_of(node, lang),
                score=_rounded(own),
                rank=rank,
                of=len(scores),
                percentile=None if share is None else round(share, 0),
                **_spans(spans.get(node), rank),
            )
        )
    return Peers(
        organizations=len(organizations),
        rows=found,
        hidden=hidden,
        resamples=resamples if spans else 0,
        from_archive=sum((o, group["period"] or "") in archived for o in organizations),
    )


@dataclass(frozen=True)
class PeerPool:
    """The organisations a report is ranked among when they are not only the input's: the
    input's and the archive's answers of the same periods (`dtassess report --archive`), scored
    by organisation; `archived` holds the (organisation, period) pairs taken from the archive
    (docs/report.md, Peers)."""

    result: ScoreResult
    responses: ResponseSet
    archived: frozenset[tuple[str, str]]
    # One resampling run gives every ranked organisation of a period its intervals: kept here
    # so that the reports of a run share it instead of drawing it once per organisation.
    drawn: dict[Any, pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)


def _ranked(result: ScoreResult, roadmap: Roadmap, min_group_size: int) -> Any:
    """(the period's rows of the ranked organisations, their ids, how many were too small), or
    None when the organisation has no peer to be ranked among."""
    if result.by != "organization":
        return None
    group = roadmap.group
    table = result.table
    period = table["period"] == (group["period"] or "")
    big = table["respondents"] >= min_group_size
    here = table[period & big]
    organizations = sorted(set(here["organization"]))
    if group["organization"] not in organizations or len(organizations) < 2:
        return None
    return here, organizations, len(set(table[period & ~big]["organization"]))


def peer_intervals(
    result: ScoreResult,
    responses: ResponseSet,
    roadmap: Roadmap,
    min_group_size: int,
    options: Mapping[str, Any] | None,
    drawn: dict[Any, pd.DataFrame] | None = None,
) -> dict[str, tuple[Any, Any, Any, Any]]:
    """node -> (low, high, rank_low, rank_high) of the organisation, from one run of
    `uncertainty.intervals` over the ranked organisations of its period (so that every
    replicate ranks them all on the same draw); {} without resamples or peers. `drawn`
    (`PeerPool.drawn`) keeps each period's run for the other organisations' reports."""
    ranked = _ranked(result, roadmap, min_group_size)
    if ranked is None or not options or not options.get("resamples"):
        return {}
    from ..inputs.responses import subset
    from ..scoring.uncertainty import intervals

    organizations, group = ranked[1], roadmap.group
    settings = (
        options["resamples"],
        options.get("level", 0.9),
        options.get("weight_spread", 0.2),
        options.get("seed", 0),
    )
    key = (group["period"] or "", tuple(organizations), settings)
    found = drawn.get(key) if drawn is not None else None
    if found is None:
        meta = responses.meta
        keep = meta["organization"].fillna("").isin(organizations) & (
            meta["period"].fillna("") == (group["period"] or "")
        )
        resamples, level, spread, seed = settings
        found = intervals(
            subset(responses, [i for i, k in enumerate(keep.to_numpy()) if k]),
            by="organization",
            resamples=resamples,
            level=level,
            weight_spread=spread,
            seed=seed,
        ).table
        if drawn is not None:
            drawn[key] = found
    own = found[found["organization"] == group["organization"]]
    return {
        row.node: (row.low, row.high, row.rank_low, row.rank_high)
        for row in own.itertuples(index=False)
    }


def _spans(span: tuple[Any, Any, Any, Any] | None, rank: int) -> dict[str, Any]:
    """A peer row's interval fields. The rank range is widened to hold the rank itself: a
    percentile of the replicates' ranks can miss it when the scores lie close together."""
    if span is None:
        return {}
    low, high, best, worst = (_rounded(v) for v in span)
    if best is None or worst is None:
        return {"low": low, "high": high}
    return {
        "low": low,
        "high": high,
        "rank_low": min(int(best), rank),
        "rank_high": max(int(worst), rank),
    }


def _rounded(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if value != value else round(value, 1)
