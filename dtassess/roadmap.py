"""The roadmap: from scores to prioritised, phased actions and where each phase leads.

Every rule is documented in docs/roadmap.md. The roadmap is plain data (`Roadmap.to_dict()`), so
that the JSON output, the Python API and the report all show the same thing.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DtassessError, Problem, did_you_mean
from .inputs.questionnaire import Action, Dimension, Questionnaire
from .privacy import MIN_GROUP_SIZE

if TYPE_CHECKING:
    from .inputs.responses import ResponseSet
    from .scoring.scores import ScoreResult

LEVEL_VALUE = {"low": 1, "medium": 2, "high": 3}
PHASES: tuple[dict[str, Any], ...] = (
    {"phase": 1, "horizon": "short", "months": (0, 6)},
    {"phase": 2, "horizon": "medium", "months": (6, 18)},
    {"phase": 3, "horizon": "long", "months": (18, 36)},
)
PHASE_OF_HORIZON: dict[str, int] = {p["horizon"]: p["phase"] for p in PHASES}
DISAGREEMENT_SD = 0.25  # one maturity level apart on a five-level question
FINDINGS = 5


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Targets:
    """Target levels: one for every dimension, and/or per dimension (the nearest wins)."""

    everywhere: int | None = None
    per_dimension: dict[str, int] = field(default_factory=dict)

    def for_dimension(self, q: Questionnaire, dim: Dimension, current: int) -> int:
        node: Dimension | None = dim
        while node is not None:
            if node.id in self.per_dimension:
                return self.per_dimension[node.id]
            node = q.node(node.parent) if node.parent else None
        if self.everywhere is not None:
            return self.everywhere
        return min(current + 1, q.scale[-1].level)


def parse_targets(spec: str | None, q: Questionnaire, source: str = "--target") -> Targets:
    """`4` (every dimension) or `strategy=4,security=5`, checked against the questionnaire."""
    if spec is None or not str(spec).strip():
        return Targets()
    everywhere: int | None = None
    per: dict[str, int] = {}
    for part in (p.strip() for p in str(spec).split(",")):
        if not part:
            continue
        node, sep, value = part.rpartition("=")
        if not sep:
            node, value = "", part
        level = _level(value.strip(), q, source, part)
        if not node:
            everywhere = level
            continue
        node = node.strip()
        if node == "overall":
            everywhere = level
        elif node in q.node_ids:
            per[node] = level
        else:
            raise DtassessError(
                Problem(
                    "T002",
                    f"{source}: '{node}' is not a dimension of {q.ref}"
                    f"{did_you_mean(node, q.node_ids)}",
                )
            )
    return Targets(everywhere, per)


def _level(value: str, q: Questionnaire, source: str, part: str) -> int:
    top = q.scale[-1].level
    if not re.fullmatch(r"\d+", value):
        raise DtassessError(
            Problem(
                "T001",
                f"{source}: cannot read '{part}'; give a level (e.g. 4) or DIMENSION=LEVEL pairs "
                "separated by commas (e.g. strategy=4,security=5)",
            )
        )
    level = int(value)
    if not 1 <= level <= top:
        raise DtassessError(
            Problem(
                "T001",
                f"{source}: level {level} in '{part}' is not on the scale of {q.ref} "
                f"(levels 1 to {top})",
            )
        )
    return level


def load_targets(path: str | Path, q: Questionnaire) -> Targets:
    """A YAML file with a `targets:` block: a level, or a mapping of dimension to level."""
    from .inputs.questionnaire import read_text
    from .inputs.yamlsource import MAX_YAML_BYTES, SyntaxProblem, fast_load

    text = read_text(Path(path), limit=MAX_YAML_BYTES)
    try:
        data = fast_load(text, str(path))
    except SyntaxProblem as exc:
        raise DtassessError(
            Problem("T001", exc.message, str(path), exc.line, exc.column, snippet=exc.snippet)
        ) from None
    block = data.get("targets") if isinstance(data, dict) else None
    if isinstance(block, int) and not isinstance(block, bool):
        return parse_targets(str(block), q, str(path))
    if isinstance(block, dict) and block:
        spec = ",".join(f"{k}={v}" for k, v in block.items())
        return parse_targets(spec, q, str(path))
    raise DtassessError(
        Problem(
            "T001",
            f"{path}: expected a 'targets:' block with a level (targets: 4) or dimension levels "
            "(targets: {strategy: 4, security: 5})",
            str(path),
        )
    )


# --------------------------------------------------------------------------- the plan


@dataclass
class PlannedAction:
    id: str
    dimension: str
    reach: int
    title: dict[str, str]
    description: dict[str, str] | None
    effort: str
    impact: str
    horizon: str
    priority: float
    phase: int


@dataclass
class DimensionGap:
    id: str
    title: dict[str, str]
    parent: str | None
    depth: int
    score: float | None
    level: int | None
    target: int
    gap_levels: int
    gap_score: float  # points to the start of the target level (0 when there)
    weight_share: float  # the dimension's share of `overall`
    actions: list[str]


@dataclass
class Phase:
    phase: int
    horizon: str
    months: tuple[int, int]
    actions: list[PlannedAction]
    projection: dict[str, dict[str, Any]]  # node -> {"score", "level"} once the phase is done


@dataclass
class Roadmap:
    questionnaire: str
    group: dict[str, Any]
    current: dict[str, dict[str, Any]]  # node -> {"score", "level"}
    dimensions: list[DimensionGap]
    phases: list[Phase]
    findings: dict[str, list[dict[str, Any]]]

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))

    @property
    def actions(self) -> list[PlannedAction]:
        return [a for p in self.phases for a in p.actions]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float | np.floating):
        # Full precision: roadmap --format json and the results inside a PDF are for machines.
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _share_of_overall(q: Questionnaire, dim: Dimension) -> float:
    share = 1.0
    node: Dimension | None = dim
    while node is not None:
        siblings = q.node(node.parent).dimensions if node.parent else q.dimensions
        weights = [s.weight for s in siblings]
        parent_questions = q.node(node.parent).questions if node.parent else ()
        total = sum(weights) + sum(x.weight for x in parent_questions if x.is_scored)
        share *= node.weight / total
        node = q.node(node.parent) if node.parent else None
    return share


def priority(share: float, gap_levels: int, action: Action) -> float:
    """Dimension's share of overall x levels to climb x impact / effort (docs/roadmap.md)."""
    return share * gap_levels * LEVEL_VALUE[action.impact] / LEVEL_VALUE[action.effort]


def plan(
    q: Questionnaire, current: dict[str, dict[str, Any]], targets: Targets
) -> tuple[list[DimensionGap], list[PlannedAction]]:
    """Gaps and phased actions for every dimension that has a catalogue."""
    gaps: list[DimensionGap] = []
    actions: list[PlannedAction] = []
    for dim in q.nodes:
        if not dim.actions:
            continue
        now = current[dim.id]
        level = now["level"] or 1
        target = targets.for_dimension(q, dim, level)
        gap = max(0, target - level)
        start = next(lv.min for lv in q.scale if lv.level == target)
        score = now["score"]
        share = _share_of_overall(q, dim)
        chosen = sorted(
            (a for a in dim.actions if level < a.reach <= target),
            key=lambda a: (a.reach, -priority(share, gap, a), a.id),
        )
        planned: list[PlannedAction] = []
        for action in chosen:
            earliest = PHASE_OF_HORIZON[action.horizon]
            # Never before an action of a lower level in the same dimension.
            floor = max((p.phase for p in planned if p.reach < action.reach), default=1)
            planned.append(
                PlannedAction(
                    id=action.id,
                    dimension=dim.id,
                    reach=action.reach,
                    title=action.title,
                    description=action.description,
                    effort=action.effort,
                    impact=action.impact,
                    horizon=action.horizon,
                    priority=priority(share, gap, action),
                    phase=max(earliest, floor),
                )
            )
        actions.extend(planned)
        gaps.append(
            DimensionGap(
                id=dim.id,
                title=dim.title,
                parent=dim.parent,
                depth=dim.depth,
                score=score,
                level=now["level"],
                target=target,
                gap_levels=gap,
                gap_score=0.0 if score is None else max(0.0, start - score),
                weight_share=share,
                actions=[p.id for p in planned],
            )
        )
    order = {dim.id: i for i, dim in enumerate(q.nodes)}
    actions.sort(key=lambda a: (a.phase, -a.priority, order[a.dimension], a.reach, a.id))
    return gaps, actions


def project(
    q: Questionnaire,
    current: dict[str, dict[str, Any]],
    actions: list[PlannedAction],
    done_by_phase: int,
) -> dict[str, dict[str, Any]]:
    """Score and level of every node once the actions of phases 1..done_by_phase are done."""
    low, high = q.score_range
    projected: dict[str, float | None] = {}
    done = {a.id for a in actions if a.phase <= done_by_phase}

    def start_of(level: int) -> float:
        return next(lv.min for lv in q.scale if lv.level == level)

    def visit(dim: Dimension) -> float | None:
        for child in dim.dimensions:
            visit(child)
        now = current[dim.id]["score"]
        if dim.actions:
            level = current[dim.id]["level"] or 1
            reached = level
            for k in range(level + 1, q.scale[-1].level + 1):
                needed = [a.id for a in actions if a.dimension == dim.id and a.reach == k]
                if not needed or not all(a in done for a in needed):
                    break
                reached = k
            value = now if reached == level else max(now or low, start_of(reached))
        else:
            value = _moved_with_children(dim.dimensions, dim.aggregate, now, current, projected)
        projected[dim.id] = value
        return value

    for top in q.dimensions:
        visit(top)
    overall_now = current["overall"]["score"]
    projected["overall"] = _moved_with_children(
        q.dimensions, q.aggregate, overall_now, current, projected
    )
    result = {}
    for node, value in projected.items():
        level = q.level_for(value) if value is not None else None
        result[node] = {
            "score": None if value is None else min(high, value),
            "level": level.level if level else None,
        }
    return result


def _moved_with_children(children, rule, now, current, projected) -> float | None:
    """A node without a catalogue moves with its sub-dimensions (docs/roadmap.md)."""
    if now is None:
        return None
    scored = [c for c in children if current[c.id]["score"] is not None]
    if not scored:
        return now
    if rule == "min":
        before = min(current[c.id]["score"] for c in scored)
        after = min(projected[c.id] for c in scored)
        return now + (after - before)
    total = sum(c.weight for c in scored)
    return now + sum(c.weight * (projected[c.id] - current[c.id]["score"]) for c in scored) / total


# --------------------------------------------------------------------------- findings


def findings(
    q: Questionnaire, responses: ResponseSet, rows: np.ndarray, lang: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Weakest high-weight questions, strongest areas, and where respondents disagree."""
    from .scoring.engine import answer_matrix, compile_model

    model = compile_model(q)
    subset = responses.answers.iloc[rows]
    matrix = answer_matrix(q, subset.reset_index(drop=True))
    valid = matrix.valid > 0
    counts = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, (matrix.scores * valid).sum(axis=0) / counts, np.nan)
        squares = ((matrix.scores - means) ** 2 * valid).sum(axis=0)
        spread = np.where(counts > 1, np.sqrt(squares / (counts - 1)), np.nan)
    overall = list(model.node_ids).index("overall")
    share = model.effective[:, overall]
    weakest, disagree = [], []
    for j, question in enumerate(model.questions):
        if counts[j] == 0:
            continue
        chosen = _typical_choice(question, subset[question.id])
        entry: dict[str, Any] = {
            "question": question.id,
            "dimension": question.dimension,
            "text": question.text,
            "score": float(means[j]),
            "weight_share": float(share[j]),
            "respondents": int(counts[j]),
            "sd": None if np.isnan(spread[j]) else float(spread[j]),
            "chosen": chosen,
            "next": _next_level(question, chosen),
        }
        entry["shortfall"] = entry["weight_share"] * (1 - entry["score"])
        weakest.append(entry)
        if entry["sd"] is not None and entry["sd"] >= DISAGREEMENT_SD:
            low_high = _extremes(question, subset[question.id])
            disagree.append({**entry, **low_high})
    weakest.sort(key=lambda e: (-e["shortfall"], e["question"]))
    disagree.sort(key=lambda e: (-e["sd"], e["question"]))
    return {
        "weakest": weakest[:FINDINGS],
        "disagreements": disagree[:FINDINGS],
    }


def _typical_choice(question, values) -> dict[str, Any] | None:
    """The median chosen option of a level/likert/single question (None for others)."""
    if question.type not in ("level", "likert", "single", "boolean"):
        return None
    order = sorted(question.options, key=lambda o: o.score)
    picks = [question.match(v) for v in values if v is not None and v == v and v != "na"]
    picks = [p for p in picks if p is not None]
    if not picks:
        return None
    ranked = sorted(picks, key=lambda o: o.score)
    middle = ranked[(len(ranked) - 1) // 2]
    return {"value": middle.value, "label": middle.label, "rank": order.index(middle) + 1}


def _next_level(question, chosen) -> dict[str, Any] | None:
    if chosen is None:
        return None
    order = sorted(question.options, key=lambda o: o.score)
    rank = chosen["rank"]
    if rank >= len(order):
        return None
    nxt = order[rank]
    return {"value": nxt.value, "label": nxt.label, "rank": rank + 1}


def _extremes(question, values) -> dict[str, Any]:
    if question.type == "number":
        return _number_extremes(question, values)
    picks = [question.match(v) for v in values if v is not None and v == v and v != "na"]
    picks = sorted((p for p in picks if p is not None), key=lambda o: o.score)
    if not picks or question.type not in ("level", "likert", "single", "boolean"):
        return {"lowest": None, "highest": None}
    return {
        "lowest": {"value": picks[0].value, "label": picks[0].label},
        "highest": {"value": picks[-1].value, "label": picks[-1].label},
    }


def _number_extremes(question, values) -> dict[str, Any]:
    """The lowest and highest number answered, with the question's unit in every language."""
    numbers = sorted(n for n in map(_as_number, values) if n is not None)
    if not numbers:
        return {"lowest": None, "highest": None}

    def said(n: float) -> dict[str, Any]:
        unit = question.unit or {"": ""}
        return {"value": n, "label": {k: f"{n:g} {u}".strip() for k, u in unit.items()}}

    return {"lowest": said(numbers[0]), "highest": said(numbers[-1])}


def _as_number(value: Any) -> float | None:
    if value is None or isinstance(value, (bool, str)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None


# --------------------------------------------------------------------------- one call


def phased_plan(
    q: Questionnaire, table: Any, targets: Targets
) -> tuple[dict[str, dict[str, Any]], list[DimensionGap], list[Phase]]:
    """One group's rows of a score table (one per node) as its current scores and levels, its
    gaps and its actions in phases, each with where it leads."""
    current = {
        row.node: {
            "score": None if math.isnan(row.score) else float(row.score),
            "level": int(row.level) or None,
        }
        for row in table.itertuples(index=False)
    }
    gaps, actions = plan(q, current, targets)
    phases = [
        Phase(
            phase=p["phase"],
            horizon=p["horizon"],
            months=p["months"],
            actions=[a for a in actions if a.phase == p["phase"]],
            projection=project(q, current, actions, p["phase"]),
        )
        for p in PHASES
    ]
    return current, gaps, phases


def small_groups(result: ScoreResult, min_group_size: int = MIN_GROUP_SIZE) -> list[dict[str, Any]]:
    """The organizations (and periods) of a `by="organization"` result with fewer than
    `min_group_size` respondents, as {"organization", "period", "respondents"} in table order:
    the groups `build_roadmaps` leaves out."""
    found = []
    for (org, period), rows in result.table.groupby(["organization", "period"], sort=False):
        size = int(rows["respondents"].iloc[0])
        if size < min_group_size:
            found.append({"organization": org, "period": period or None, "respondents": size})
    return found


def withheld_notice(
    groups: list[dict[str, Any]], min_group_size: int, shown: int, kind: str = "organization"
) -> str:
    """What a command says of the `groups` (see `small_groups`; a "unit" key for units) it
    withholds: a warning when it still reports `shown` groups, else why it reports nothing and
    how to report them anyway."""
    if shown:
        return (
            f"withheld {len(groups)} {kind}(s) with fewer than {min_group_size} respondents: "
            "their results could identify individual respondents (--min-group-size 1 shows them)"
        )
    if len(groups) == 1:
        (group,) = groups
        return (
            f"{_label(group)} has {_people(group['respondents'])}, fewer than --min-group-size "
            f"{min_group_size}: its results could identify who answered, so nothing is reported; "
            "--min-group-size 1 reports it anyway (as for one official interviewed with "
            "'dtassess survey')"
        )
    listed = "; ".join(f"{_label(g)}: {g['respondents']}" for g in groups[:5])
    more = f"; and {len(groups) - 5} more" if len(groups) > 5 else ""
    return (
        f"no {kind} has {min_group_size} or more respondents ({listed}{more}): their results "
        "could identify individual respondents, so nothing is reported; --min-group-size 1 "
        "reports them anyway"
    )


def _label(group: dict[str, Any]) -> str:
    from .errors import shorten

    name = shorten(str(group["organization"]))
    if group.get("unit"):
        name += f" / {shorten(str(group['unit']))}"
    return f"{name} ({shorten(str(group['period']))})" if group.get("period") else name


def _people(count: int) -> str:
    return f"{count} respondent" if count == 1 else f"{count} respondents"


def build_roadmaps(
    result: ScoreResult,
    responses: ResponseSet,
    targets: Targets | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
) -> list[Roadmap]:
    """One roadmap per organization and period of an `by="organization"` result, except for
    organizations of fewer than `min_group_size` respondents (`small_groups` lists them): as
    `dtassess roadmap`, the API shows no group that small unless asked (`min_group_size=1`)."""
    if result.by != "organization":
        raise ValueError("roadmaps are built from scores grouped by organization")
    q = result.questionnaire
    targets = targets or Targets()
    roadmaps = []
    meta = responses.meta
    for (org, period), table in result.table.groupby(["organization", "period"], sort=False):
        if int(table["respondents"].iloc[0]) < min_group_size:
            continue
        current, gaps, phases = phased_plan(q, table, targets)
        mask = (meta["organization"].fillna("") == org) & (meta["period"].fillna("") == period)
        rows = np.flatnonzero(mask.to_numpy())
        found = findings(q, responses, rows)
        found["strongest"] = _strongest(q, current)
        group = {
            "organization": org,
            "organization_name": table["organization_name"].iloc[0] or None,
            "period": period or None,
            "respondents": int(table["respondents"].iloc[0]),
        }
        roadmaps.append(Roadmap(q.ref, group, current, gaps, phases, found))
    return roadmaps


def _strongest(q: Questionnaire, current: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The highest-scoring leaf dimensions (those that hold the questions)."""
    leaves = [d for d in q.nodes if not d.dimensions and current[d.id]["score"] is not None]
    leaves.sort(key=lambda d: (-current[d.id]["score"], d.id))
    return [{"dimension": d.id, "title": d.title, **current[d.id]} for d in leaves[:FINDINGS]]
