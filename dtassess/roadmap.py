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
import pandas as pd

from .defaults import CAPACITY, MIN_GROUP_SIZE
from .errors import DtassessError, Problem, did_you_mean
from .inputs.conditions import NA
from .inputs.questionnaire import Action, Dimension, Option, Question, Questionnaire

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

# Defaults by effort size (docs/roadmap.md): person-months of work and calendar months.
PERSON_MONTHS = {"low": 1.0, "medium": 3.0, "high": 8.0}
DURATION_MONTHS = {"low": 2.0, "medium": 4.0, "high": 9.0}
# CAPACITY, the person-months each phase absorbs by default, is on the ground floor (defaults.py).


@dataclass
class PlannedAction:
    id: str
    dimension: str
    reach: int
    title: dict[str, str]
    description: dict[str, str] | None
    effort: str
    impact: str
    horizon: str | None
    priority: float
    phase: int | None  # None: does not fit in the 36 months at this capacity
    merged: list[str] = field(default_factory=list)  # catalogue ids this action stands for
    moves: dict[str, Any] = field(default_factory=dict)
    requires: list[str] = field(default_factory=list)  # planned actions it waits for
    initiative: str | None = None
    person_months: float = 0.0
    duration_months: float = 0.0
    start_month: float | None = None
    finish_month: float | None = None
    quick_win: bool = False
    beyond_target: bool = False  # a step to the level after the target (phase 3)
    catch_up: bool = False  # a prerequisite below the dimension's level the answers lack


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
    person_months: float = 0.0


@dataclass
class Roadmap:
    questionnaire: str
    group: dict[str, Any]
    current: dict[str, dict[str, Any]]  # node -> {"score", "level"}
    dimensions: list[DimensionGap]
    phases: list[Phase]
    findings: dict[str, list[dict[str, Any]]]
    targets: dict[str, int] = field(default_factory=dict)  # node -> target level
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # targets reached or missed
    later: list[PlannedAction] = field(default_factory=list)  # beyond 36 months at capacity
    not_proposed: list[dict[str, Any]] = field(default_factory=list)
    initiatives: list[dict[str, Any]] = field(default_factory=list)
    capacity: float = CAPACITY
    projected: bool = True  # False: no catalogue moves (or no answers), the scores stay put
    catalogue: bool = True  # False: the questionnaire has no actions at all (docs/roadmap.md)

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


def target_levels(
    q: Questionnaire, current: dict[str, dict[str, Any]], targets: Targets
) -> dict[str, int]:
    """Every node's target: each from its own current level as shown (docs/roadmap.md)."""
    top = q.scale[-1].level
    found = {
        dim.id: targets.for_dimension(q, dim, current[dim.id]["level"] or 1) for dim in q.nodes
    }
    now = current["overall"]["level"] or 1
    found["overall"] = targets.everywhere if targets.everywhere is not None else min(now + 1, top)
    return found


def _candidates(q, current, goals) -> list[tuple[Action, float, int, bool]]:
    """(action, share, gap, beyond target) for the catalogue actions between each dimension's
    current level and its target, and those one level past the target."""
    top = q.scale[-1].level
    found = []
    for dim in q.nodes:
        if not dim.actions:
            continue
        level = current[dim.id]["level"] or 1
        target = goals[dim.id]
        gap = max(0, target - level)
        share = _share_of_overall(q, dim)
        beyond = max(target, level) + 1
        for action in dim.actions:
            if level < action.reach <= target:
                found.append((action, share, gap, False))
            elif action.reach == beyond <= top:
                found.append((action, share, max(gap, 1), True))
    return found


def plan(
    q: Questionnaire,
    current: dict[str, dict[str, Any]],
    targets: Targets,
    answers: Any = None,
    capacity: float = CAPACITY,
) -> tuple[list[DimensionGap], list[PlannedAction], list[dict[str, Any]]]:
    """Gaps, the scheduled actions (phase None: beyond 36 months) and the catalogue actions not
    proposed, with why, for every dimension that has a catalogue, or for every dimension when
    the questionnaire has none (docs/roadmap.md)."""
    goals = target_levels(q, current, targets)
    chosen, not_proposed = [], []
    for action, share, gap, beyond in _candidates(q, current, goals):
        why = None if answers is None else why_not_proposed(q, action, answers)
        if why:
            not_proposed.append({"id": action.id, "dimension": action.dimension, "reason": why})
        else:
            chosen.append(_planned(action, share, gap, beyond))
    if answers is not None:
        chosen += _catch_up(q, current, goals, chosen, not_proposed, answers)
    actions = merge_duplicates(chosen)
    schedule(q, actions, capacity)
    # Without any catalogue the gaps are still what the reader needs: every dimension's.
    listed = [d for d in q.nodes if d.actions] or list(q.nodes)
    gaps = [_gap(q, dim, current, goals, actions) for dim in listed]
    return gaps, actions, not_proposed


def _catch_up(q, current, goals, chosen, not_proposed, answers) -> list[PlannedAction]:
    """The prerequisites of planned actions that lie at or below their dimension's level but
    whose result at least half of the respondents' answers do not show yet (a ledger of adopted
    tasks needs the task table most respondents lack): planned too, so that no step stands on a
    missing one."""
    catalogue = {a.id: a for a in q.actions}
    settled = {a.id for a in chosen} | {entry["id"] for entry in not_proposed}
    waiting = [r for a in chosen for r in a.requires]
    found = []
    while waiting:
        rid = waiting.pop(0)
        if rid in settled or rid not in catalogue:
            continue
        settled.add(rid)
        action = catalogue[rid]
        if why_not_proposed(q, action, answers) or 2 * _lacking(q, action, answers) < len(answers):
            continue  # most respondents already show its result (or it does not apply): done
        dim = q.node(action.dimension)
        gap = max(1, goals[dim.id] - (current[dim.id]["level"] or 1))
        step = _planned(action, _share_of_overall(q, dim), gap, False)
        step.catch_up = True
        found.append(step)
        waiting.extend(action.requires)
    return found


def _planned(action: Action, share: float, gap: int, beyond: bool) -> PlannedAction:
    return PlannedAction(
        id=action.id,
        dimension=action.dimension,
        reach=action.reach,
        title=action.title,
        description=action.description,
        effort=action.effort,
        impact=action.impact,
        horizon=action.horizon,
        priority=priority(share, gap, action),
        phase=None,
        merged=[action.id],
        moves={qid: (list(v) if isinstance(v, tuple) else v) for qid, v in action.moves},
        requires=list(action.requires),
        initiative=action.initiative,
        person_months=action.person_months or PERSON_MONTHS[action.effort],
        duration_months=action.duration_months or DURATION_MONTHS[action.effort],
        beyond_target=beyond,
    )


def _gap(q, dim, current, goals, actions) -> DimensionGap:
    now = current[dim.id]
    level = now["level"] or 1
    target = goals[dim.id]
    start = next(lv.min for lv in q.scale if lv.level == target)
    score = now["score"]
    return DimensionGap(
        id=dim.id,
        title=dim.title,
        parent=dim.parent,
        depth=dim.depth,
        score=score,
        level=now["level"],
        target=target,
        gap_levels=max(0, target - level),
        gap_score=0.0 if score is None else max(0.0, start - score),
        weight_share=_share_of_overall(q, dim),
        actions=[
            a.id
            for a in sorted(actions, key=lambda a: (a.reach, -a.priority, a.id))
            if a.dimension == dim.id and not a.beyond_target
        ],
    )


def schedule(q: Questionnaire, actions: list[PlannedAction], capacity: float) -> None:
    """Give each action a phase and a start month (docs/roadmap.md, "Phases"): quick wins
    first, then by priority; an action starts once its prerequisites are done, no earlier than
    its horizon's phase, and when the phase's capacity has room; each phase works through its
    queue at capacity / months person-months a month, which staggers the starts."""
    by_id = {a.id: a for a in actions}
    for action in actions:
        # Lower levels of the same dimension come first; prerequisites outside the plan (their
        # result already shows, or their dimension needs no work) count as done.
        same = [b.id for b in actions if b.dimension == action.dimension and b.reach < action.reach]
        action.requires = list(dict.fromkeys([r for r in action.requires if r in by_id] + same))
        action.quick_win = (
            action.person_months <= PERSON_MONTHS["low"]
            and action.impact == "high"
            and not action.requires
            and not action.beyond_target
        )
    order = {dim.id: i for i, dim in enumerate(q.nodes)}
    queue = sorted(
        actions,
        key=lambda a: (
            not a.quick_win,
            a.beyond_target,
            -a.priority,
            order[a.dimension],
            a.reach,
            a.id,
        ),
    )
    used = {p["phase"]: 0.0 for p in PHASES}
    done: set[str] = set()
    while queue:
        action = next((a for a in queue if all(r in done for r in a.requires)), queue[0])
        queue.remove(action)
        done.add(action.id)
        _place(action, by_id, used, capacity)


def _place(action: PlannedAction, by_id, used: dict[int, float], capacity: float) -> None:
    waits = [by_id[r] for r in action.requires]
    if any(w.phase is None for w in waits):
        return  # a prerequisite does not fit: neither does this
    ready = max((w.finish_month for w in waits), default=0.0)
    earliest = 3 if action.beyond_target or action.horizon == "long" else 1
    earliest = max(earliest, PHASE_OF_HORIZON.get(action.horizon or "short", 1))
    for p in PHASES:
        number, (low, high) = p["phase"], p["months"]
        if number < earliest:
            continue
        room = used[number] == 0 or used[number] + action.person_months <= capacity + 1e-9
        queued = low + min(1.0, used[number] / capacity) * (high - low)
        start = max(float(low), queued, ready)
        if room and start < high:
            action.phase, action.start_month = number, start
            action.finish_month = start + action.duration_months
            used[number] += action.person_months
            return


def project(
    q: Questionnaire,
    current: dict[str, dict[str, Any]],
    actions: list[PlannedAction],
    done_by_phase: int,
    rescore: Any = None,
) -> dict[str, dict[str, Any]]:
    """Score and level of every node once the actions of phases 1..done_by_phase are done: the
    group's answers with those actions' moves, scored again by the scoring engine (`rescore`,
    see `Rescorer`). Without answers the scores stay where they are."""
    done = [a for a in actions if a.phase is not None and a.phase <= done_by_phase]
    if rescore is None or not any(a.moves for a in done):
        return {node: dict(value) for node, value in current.items()}
    return rescore(done)


# --------------------------------------------------------------------------- moves and re-scoring


def canonical_move(question: Question, value: Any) -> Any:
    """A move's value as the answers hold it (an option's value, "yes"/"no", a tuple of options,
    a float); the questionnaire check has made sure it is one."""
    if question.type == "boolean":
        return ("yes" if value else "no") if isinstance(value, bool) else value
    if question.type == "number":
        return float(value)
    if question.type == "multi":
        items = value if isinstance(value, tuple | list) else (value,)
        return tuple(_option(question, v).value for v in items)
    return _option(question, value).value


def _option(question: Question, value: Any) -> Option:
    option = question.match(value)
    if option is None:  # the questionnaire check refuses such a move (Q023)
        raise ValueError(f"{question.id}: {value!r} is not one of its options")
    return option


def _answer_score(question: Question, value: Any) -> float | None:
    """The 0-1 score of one answer, None when there is none (unanswered, na, unknown)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == NA:
        return None
    if question.type == "number":
        if not question.bands and not question.linear:
            return float(value)  # unscored: more counts as better, for the comparison only
        score = question.number_score(float(value))
        return score if score is not None else 0.0
    option = question.match(value)
    return None if option is None else option.score


def better_answer(question: Question, old: Any, move: Any, fill: bool = True) -> Any:
    """The better of a respondent's answer and a move (docs/roadmap.md, "Projection"): never
    lower; a multi answer gains the move's options (an exclusive one such as "none" gives way);
    an answer of "not applicable" stays; an unanswered question takes the move only when `fill`
    (the questionnaire counts unanswered questions as zero: elsewhere they are outside the
    score, and filling one in could lower it)."""
    if isinstance(old, str) and old == NA:
        return old
    unanswered = old is None or (isinstance(old, float) and math.isnan(old))
    if unanswered and not fill:
        return old
    if question.type == "multi":
        if unanswered:
            return move
        kept = [v for v in old if not ((o := question.match(v)) is not None and o.exclusive)]
        union = set(kept) | set(move)
        return tuple(o.value for o in question.options if o.value in union)
    if unanswered:
        return move
    before, after = _answer_score(question, old), _answer_score(question, move)
    return move if before is None or (after is not None and after > before) else old


def moved_answers(q: Questionnaire, answers: Any, actions: list) -> Any:
    """A copy of `answers` (one row per respondent) with the moves of `actions` applied."""
    moved = answers.copy()
    fill = q.unanswered == "zero"
    for action in actions:
        for qid, value in _moves_of(action):
            if qid not in moved.columns:
                moved[qid] = pd.Series([None] * len(moved), index=moved.index, dtype=object)
            question = q.question(qid)
            move = canonical_move(question, value)
            column = moved[qid].astype(object)
            moved[qid] = [better_answer(question, old, move, fill) for old in column]
    return moved


def _moves_of(action) -> list[tuple[str, Any]]:
    moves = action.moves
    return list(moves.items()) if isinstance(moves, dict) else list(moves)


def _same(a: Any, b: Any) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    if missing_a or missing_b:
        return missing_a and missing_b
    return a == b


def why_not_proposed(q: Questionnaire, action: Action, answers: Any) -> str | None:
    """ "condition" when the action's `when` does not hold for at least half of the group,
    "already_shown" when none of its moves would change any answer; None: proposed."""
    n = len(answers)
    if action.when is not None and n:
        columns = {
            name: answers[name].to_numpy(dtype=object)
            for name in action.when.names
            if name in answers
        }
        holds = action.when.evaluate(columns, n)
        if 2 * int(holds.sum()) < n:
            return "condition"
    if not action.moves or not n:
        return None
    return None if _lacking(q, action, answers) else "already_shown"


def _lacking(q: Questionnaire, action: Action, answers: Any) -> int:
    """How many respondents' answers at least one of the action's moves would change."""
    fill = q.unanswered == "zero"
    changed = [False] * len(answers)
    for qid, value in action.moves:
        question = q.question(qid)
        move = canonical_move(question, value)
        before = answers[qid].tolist() if qid in answers else [None] * len(answers)
        for i, old in enumerate(before):
            changed[i] = changed[i] or not _same(old, better_answer(question, old, move, fill))
    return sum(changed)


def merge_duplicates(actions: list[PlannedAction]) -> list[PlannedAction]:
    """Actions with the same moves are one action: the first (in catalogue order) stands for
    them all, keeps their ids in `merged`, and takes over their prerequisites."""
    kept: dict[Any, PlannedAction] = {}
    alias: dict[str, str] = {}
    result = []
    for action in actions:
        key = _moves_key(action.moves)
        first = kept.get(key) if key else None
        if first is None:
            if key:
                kept[key] = action
            result.append(action)
            continue
        first.merged.append(action.id)
        first.requires.extend(r for r in action.requires if r not in first.requires)
        alias[action.id] = first.id
    for action in result:
        action.requires = [
            r for r in dict.fromkeys(alias.get(r, r) for r in action.requires) if r != action.id
        ]
    return result


def _moves_key(moves: dict[str, Any]) -> Any:
    if not moves:
        return None
    return tuple(sorted((k, repr(v)) for k, v in moves.items()))


class Rescorer:
    """The group's answers scored again, by the scoring engine itself, with the moves of the
    actions done; memoised by the set of actions."""

    def __init__(self, q: Questionnaire, group: ResponseSet, statistic: str = "mean") -> None:
        self.q, self.group, self.statistic = q, group, statistic
        self.seen: dict[frozenset[str], dict[str, dict[str, Any]]] = {}

    def __call__(self, done: list[PlannedAction]) -> dict[str, dict[str, Any]]:
        key = frozenset(a.id for a in done)
        if key not in self.seen:
            self.seen[key] = self.scores(moved_answers(self.q, self.group.answers, done))
        return self.seen[key]

    def scores(self, answers: Any) -> dict[str, dict[str, Any]]:
        """Each respondent scored by the engine, then the group's statistic per node as the
        engine's group table takes it (a group-by over one group: the same sums, to the bit)."""
        from .scoring.engine import levels_of, score_respondents

        per = score_respondents(self.q, answers).score
        grouped = per.groupby(np.zeros(len(per), dtype=np.int64), sort=False)
        values = (grouped.median() if self.statistic == "median" else grouped.mean()).iloc[0]
        scores = values.to_numpy(dtype=float)
        levels = levels_of(self.q, scores)
        return {
            node: {
                "score": None if math.isnan(value) else float(value),
                "level": int(level) or None,
            }
            for node, value, level in zip(values.index, scores, levels, strict=True)
        }


def current_of(table: Any) -> dict[str, dict[str, Any]]:
    """One group's rows of a score table as node -> {"score", "level"}."""
    return {
        row.node: {
            "score": None if math.isnan(row.score) else float(row.score),
            "level": int(row.level) or None,
        }
        for row in table.itertuples(index=False)
    }


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


def plan_group(
    q: Questionnaire,
    table: Any,
    targets: Targets,
    group: ResponseSet | None = None,
    capacity: float = CAPACITY,
    statistic: str = "mean",
) -> dict[str, Any]:
    """The whole plan of one group: current, targets, gaps, phases, what fits later, what is not
    proposed, and which targets the plan reaches or misses."""
    current = current_of(table)
    answers = group.answers if group is not None else None
    gaps, actions, not_proposed = plan(q, current, targets, answers, capacity)
    rescore = Rescorer(q, group, statistic) if group is not None else None
    order = {dim.id: i for i, dim in enumerate(q.nodes)}
    phases = []
    for p in PHASES:
        inside = [a for a in actions if a.phase == p["phase"]]
        inside.sort(
            key=lambda a: (
                not a.quick_win,
                a.start_month,
                -a.priority,
                order[a.dimension],
                a.reach,
                a.id,
            )
        )
        phases.append(
            Phase(
                phase=p["phase"],
                horizon=p["horizon"],
                months=p["months"],
                actions=inside,
                projection=project(q, current, actions, p["phase"], rescore),
                person_months=sum(a.person_months for a in inside),
            )
        )
    goals = target_levels(q, current, targets)
    later = [a for a in actions if a.phase is None]
    return {
        "current": current,
        "dimensions": gaps,
        "phases": phases,
        "targets": goals,
        "later": later,
        "not_proposed": not_proposed,
        "outcomes": outcomes(q, current, goals, phases, later, not_proposed),
        "projected": rescore is not None and any(a.moves for a in actions),
    }


def outcomes(q, current, goals, phases, later, not_proposed) -> list[dict[str, Any]]:
    """For every node below its target: the phase that reaches it, or why the plan misses it."""
    found = []
    planned = [a for p in phases for a in p.actions]
    for node in ("overall", *(d.id for d in q.nodes)):
        level = current[node]["level"] or 1
        target = goals[node]
        if level >= target:
            continue
        reached = next(
            (p.phase for p in phases if (p.projection[node]["level"] or 1) >= target), None
        )
        entry = {"node": node, "level": current[node]["level"], "target": target}
        entry["reached_in_phase"] = reached
        entry["final_level"] = phases[-1].projection[node]["level"]
        entry["reason"] = None if reached else _why_missed(q, node, level, target, planned, later)
        found.append(entry)
    return found


def _why_missed(q, node, level, target, planned, later) -> str:
    inside = {d.id for d in q.nodes} if node == "overall" else {d.id for d in q.node(node).walk()}
    catalogue = [
        a
        for d in inside
        for a in q.node(d).actions
        if level < a.reach <= target or node == "overall"
    ]
    if not catalogue:
        return "no_actions"  # the catalogue says nothing of these levels
    mine = [a for a in planned if a.dimension in inside]
    if any(a.dimension in inside for a in later):
        return "capacity"  # actions that would help do not fit in 36 months
    if mine and not any(a.moves for a in mine):
        return "no_moves"  # the catalogue's actions do not say what they change
    return "not_far_enough"  # the planned moves do not lift the answers far enough


def initiatives(
    q: Questionnaire,
    actions: list[PlannedAction],
    goals: dict[str, int],
    group: ResponseSet | None,
) -> list[dict[str, Any]]:
    """The proposed actions grouped by initiative (docs/roadmap.md, "Initiatives")."""
    owner_of = {a.id: a.initiative for a in actions}
    for a in actions:
        for merged in a.merged:
            owner_of.setdefault(merged, a.initiative)
    found = []
    for item in q.initiatives:
        mine = [a for a in actions if a.initiative == item.id]
        if not mine:
            continue
        node = item.kpi_node
        dim = q.question(node).dimension if q.has_question(node) else node
        depends = {owner_of.get(r) for a in mine for r in a.requires} - {item.id, None}
        moved = list(dict.fromkeys(qid for a in mine for qid in a.moves))
        found.append(
            {
                "id": item.id,
                "title": item.title,
                "owner": item.owner,
                "summary": item.summary,
                "kpi": {"node": node, "target": goals.get(dim), "text": item.kpi_text},
                "actions": [a.id for a in mine],
                "milestones": {
                    str(p["phase"]): [a.id for a in mine if a.phase == p["phase"]] for p in PHASES
                },
                "later": [a.id for a in mine if a.phase is None],
                "dependencies": sorted(d for d in depends if d is not None),
                "person_months": sum(a.person_months for a in mine),
                "evidence": _evidence(q, moved, group),
            }
        )
    return found


def _evidence(q: Questionnaire, questions: list[str], group: ResponseSet | None) -> list[dict]:
    """The typical answer and the quoted notes on each moved question. Notes are quoted without
    who wrote them: a roadmap is only built for groups of --min-group-size or more."""
    if group is None:
        return []
    found = []
    for qid in questions:
        question = q.question(qid)
        values = group.answers.get(qid, [])
        notes = group.notes[group.notes["question"] == qid] if len(group.notes) else group.notes
        found.append(
            {
                "question": qid,
                "text": question.text,
                "typical": _typical_choice(question, values),
                "notes": [
                    {"note": row.note, "evidence": list(row.evidence or ())}
                    for row in notes.itertuples(index=False)
                ],
            }
        )
    return found


def small_groups(result: ScoreResult, min_group_size: int = MIN_GROUP_SIZE) -> list[dict[str, Any]]:
    """The organizations (and periods) of a `by="organization"` result with fewer than
    `min_group_size` respondents, as {"organization", "period", "respondents"} in table order:
    the groups `build_roadmaps` leaves out; of another grouping, its groups, each also with
    `by` and the field's value."""
    from .scoring.engine import group_keys

    found = []
    keys = list(group_keys(result.by))
    for values, rows in result.table.groupby(keys, sort=False):
        size = int(rows["respondents"].iloc[0])
        if size < min_group_size:
            where = dict(zip(keys, values, strict=True))
            found.append(
                {
                    "organization": where["organization"],
                    "period": where["period"] or None,
                    "respondents": size,
                    **_field_of(result.by, where),
                }
            )
    return found


def _group_keys(result: ScoreResult, responses: ResponseSet) -> tuple[list[str], Any]:
    """The result's group keys, and the responses' meta with a column for each of them."""
    from .inputs.fields import with_field
    from .scoring.engine import group_keys

    keys = list(group_keys(result.by))
    meta = responses.meta
    if result.by not in meta.columns and result.by != "organization":
        meta = with_field(responses, result.by).meta
    return keys, meta


def _field_of(by: str, where: dict[str, Any]) -> dict[str, Any]:
    """A group's field and its value, for a grouping finer than the organization."""
    if by == "organization":
        return {}
    return {"by": by, by: where[by] or None}


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
    field = group.get("by", "unit")
    if group.get(field):
        name += f" / {shorten(str(group[field]))}"
    return f"{name} ({shorten(str(group['period']))})" if group.get("period") else name


def _people(count: int) -> str:
    return f"{count} respondent" if count == 1 else f"{count} respondents"


def build_roadmaps(
    result: ScoreResult,
    responses: ResponseSet,
    targets: Targets | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    capacity: float = CAPACITY,
) -> list[Roadmap]:
    """One roadmap per organization and period of a `by="organization"` result.

    Of another grouping (`unit`, `role`, a profile question), one per group of each organization
    and period, its `group` naming the field (`by`) and its value.

    Groups of fewer than `min_group_size` respondents are left out (`small_groups` lists
    them): as `dtassess roadmap`, the API shows no group that small unless asked
    (`min_group_size=1`). `capacity` is the person-months each phase can absorb
    (docs/roadmap.md)."""
    from .inputs.responses import subset

    if result.by == "respondent":
        raise ValueError("roadmaps are built from scores grouped by organization or a field")
    if not (isinstance(capacity, int | float) and math.isfinite(capacity) and capacity > 0):
        raise ValueError("capacity must be a finite number of person-months above 0")
    q = result.questionnaire
    targets = targets or Targets()
    roadmaps = []
    keys, meta = _group_keys(result, responses)
    for values, table in result.table.groupby(keys, sort=False):
        if int(table["respondents"].iloc[0]) < min_group_size:
            continue
        where = dict(zip(keys, values, strict=True))
        org, period = where["organization"], where["period"]
        mask = np.ones(len(meta), dtype=bool)
        for key, value in where.items():
            mask &= (meta[key].fillna("") == value).to_numpy()
        rows = np.flatnonzero(mask)
        group_responses = subset(responses, rows)
        found_plan = plan_group(q, table, targets, group_responses, capacity, result.statistic)
        current = found_plan["current"]
        found = findings(q, responses, rows)
        found["strongest"] = _strongest(q, current)
        group = {
            "organization": org,
            "organization_name": table["organization_name"].iloc[0] or None,
            "period": period or None,
            "respondents": int(table["respondents"].iloc[0]),
            **_field_of(result.by, where),
        }
        planned = [a for p in found_plan["phases"] for a in p.actions] + found_plan["later"]
        roadmaps.append(
            Roadmap(
                q.ref,
                group,
                current,
                found_plan["dimensions"],
                found_plan["phases"],
                found,
                targets=found_plan["targets"],
                outcomes=found_plan["outcomes"],
                later=found_plan["later"],
                not_proposed=found_plan["not_proposed"],
                initiatives=initiatives(q, planned, found_plan["targets"], group_responses),
                capacity=float(capacity),
                projected=found_plan["projected"],
                catalogue=any(d.actions for d in q.nodes),
            )
        )
    return roadmaps


def _strongest(q: Questionnaire, current: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The highest-scoring leaf dimensions (those that hold the questions)."""
    leaves = [d for d in q.nodes if not d.dimensions and current[d.id]["score"] is not None]
    leaves.sort(key=lambda d: (-current[d.id]["score"], d.id))
    return [{"dimension": d.id, "title": d.title, **current[d.id]} for d in leaves[:FINDINGS]]
