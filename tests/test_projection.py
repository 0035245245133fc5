"""The roadmap's projection is the scoring engine's own arithmetic (docs/roadmap.md): moves
applied to the group's answers and scored again; what is proposed, merged, scheduled, and which
targets the plan reaches or misses."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import DATA, ROOT, cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.inputs.responses import Response, responses_to_frames
from dtassess.roadmap import (
    Rescorer,
    Targets,
    build_roadmaps,
    current_of,
    moved_answers,
    parse_targets,
)
from dtassess.scoring.engine import answer_matrix
from dtassess.scoring.scores import score

Q = load_questionnaire(DATA / "roadmap_moves.yaml")

# The two respondents of the worked example in docs/roadmap.md.
EXAMPLE = [
    {"a.x.q": 1, "a.x.drill": "no", "a.x.covers": ("none",), "b.y.q": 2},
    {"a.x.q": 2, "a.x.drill": "yes", "a.x.covers": ("backup",), "b.y.q": 2},
]


def loaded_for(answers: list[dict], notes: dict | None = None):
    people = [
        Response(source=f"r{i}.yaml", questionnaire=Q.ref, organization="org", period="2026",
                 respondent=f"r{i}", answers=a, notes=(notes or {}) if i == 0 else {})
        for i, a in enumerate(answers)
    ]  # fmt: skip
    return responses_to_frames(Q, people)


def roadmap_for(answers, targets: Targets | None = None, capacity: float = 24.0, notes=None):
    loaded = loaded_for(answers, notes)
    return build_roadmaps(score(loaded), loaded, targets, 1, capacity)[0]


def test_each_phase_moves_the_scores_its_actions_claim():
    rm = roadmap_for(EXAMPLE)
    assert rm.projected
    first, second, third = rm.phases
    assert [a.id for a in first.actions] == ["a.x.r3", "b.y.r3"]
    # Both respondents at level 3 on the plan, drill held: a.x goes from 29.17 to 58.33.
    assert rm.current["a.x"]["score"] == pytest.approx(175 / 6)
    assert first.projection["a.x"]["score"] == pytest.approx(350 / 6)
    assert first.projection["b.y"]["score"] == pytest.approx(50)
    assert second.actions == [] and second.projection == first.projection
    assert [a.id for a in third.actions] == ["a.x.r4", "b.y.r4"]
    assert third.projection["a.x"]["score"] == pytest.approx(275 / 3)
    assert third.projection["overall"]["score"] == pytest.approx((3 * 275 / 3 + 75) / 4)
    reached = {o["node"]: o["reached_in_phase"] for o in rm.outcomes}
    assert reached == {"overall": 1, "a": 1, "a.x": 1, "b": 1, "b.y": 1}


def test_duplicated_actions_merge_and_keep_their_ids():
    rm = roadmap_for(EXAMPLE)
    (drill,) = [a for a in rm.actions if a.id == "a.x.r3"]
    assert drill.merged == ["a.x.r3", "a.x.r3_again"]
    assert "a.x.r3_again" not in [a.id for a in rm.actions]
    doc = rm.to_dict()
    assert doc["phases"][0]["actions"][0]["merged"] == ["a.x.r3", "a.x.r3_again"]


def test_an_action_whose_condition_fails_for_the_group_is_not_proposed():
    both_drill = [{"a.x.q": 1, "a.x.drill": "yes", "a.x.covers": ("none",), "b.y.q": 2}] * 2
    rm = roadmap_for(both_drill)
    assert rm.current["a.x"]["level"] == 2
    assert {"id": "a.x.r3", "dimension": "a.x", "reason": "condition"} in rm.not_proposed
    # its duplicate has no condition and still lifts the plan answer
    assert "a.x.r3_again" in [a.id for a in rm.actions]


def test_an_action_whose_result_already_shows_is_not_proposed():
    shown = [{"a.x.q": 4, "a.x.drill": "no", "a.x.covers": ("backup", "network"), "b.y.q": 2}]
    rm = roadmap_for(shown, parse_targets("a.x=4", Q))
    assert rm.current["a.x"]["level"] == 3
    assert {"id": "a.x.r4", "dimension": "a.x", "reason": "already_shown"} in rm.not_proposed
    missed = {o["node"]: o["reason"] for o in rm.outcomes}
    assert missed["a.x"] == "not_far_enough"


def test_prerequisites_and_horizon_set_the_start():
    rm = roadmap_for(EXAMPLE)
    by_id = {a.id: a for a in rm.actions}
    r4 = by_id["a.x.r4"]
    assert set(r4.requires) == {"b.y.r3", "a.x.r3"}
    assert r4.phase == 3 and r4.start_month >= by_id["b.y.r3"].finish_month
    assert r4.beyond_target  # a.x's target is 3: level 4 is the level after next
    assert by_id["b.y.r3"].person_months == 2 and by_id["a.x.r3"].person_months == 3


def test_a_small_capacity_staggers_and_leaves_actions_for_later():
    rm = roadmap_for(EXAMPLE, capacity=2)
    starts = {a.id: (a.phase, a.start_month) for a in rm.actions}
    assert starts["a.x.r3"] == (1, 0.0)
    assert starts["b.y.r3"][0] == 2  # phase 1 is full with a.x.r3's 3 person-months
    # 8 person-months are more than a phase of 2 holds: such an action takes a phase alone
    assert starts["a.x.r4"][0] == 3 and [a.id for a in rm.phases[2].actions] == ["a.x.r4"]
    assert [a.id for a in rm.later] == ["b.y.r4"]
    missed = {o["node"]: o for o in rm.outcomes}
    assert missed["a.x"]["reached_in_phase"] == 1


def test_targets_of_parents_are_their_own_level_plus_one():
    rm = roadmap_for(EXAMPLE)
    for node, now in rm.current.items():
        assert rm.targets[node] == min((now["level"] or 1) + 1, 5)


def test_initiatives_group_actions_with_owner_kpi_and_evidence():
    notes = {"a.x.q": {"note": "预案尚未印发", "evidence": ["draft.docx"]}}
    rm = roadmap_for(EXAMPLE, notes=notes)
    by_id = {i["id"]: i for i in rm.initiatives}
    response = by_id["response"]
    assert response["owner"]["en"] == "IT centre"
    assert response["kpi"] == {
        "node": "a.x", "target": 3, "text": {"zh": "每年演练", "en": "A drill every year"}
    }  # fmt: skip
    assert response["milestones"] == {"1": ["a.x.r3"], "2": [], "3": ["a.x.r4"]}
    assert response["dependencies"] == ["sharing"]
    assert response["person_months"] == 3 + 8
    evidence = {e["question"]: e for e in response["evidence"]}
    assert evidence["a.x.q"]["notes"] == [{"note": "预案尚未印发", "evidence": ["draft.docx"]}]
    assert by_id["sharing"]["kpi"]["target"] == 3  # a question's KPI: its dimension's target


def test_roadmap_json_carries_the_plan(write, tmp_path):
    for i, a in enumerate(EXAMPLE):
        answers = "\n".join(
            f"  {k}: {list(v) if isinstance(v, tuple) else v!r}" for k, v in a.items()
        )
        write(f"in/r{i}.yaml", f"questionnaire: roadmap-moves@1\norganization: org\n"
              f"period: '2026'\nrespondent: r{i}\nanswers:\n{answers}\n")  # fmt: skip
    result = cli(
        "roadmap", tmp_path / "in", "-q", DATA / "roadmap_moves.yaml", "--format", "json",
        "--min-group-size", "1", "--capacity", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["format"] == "dtassess.roadmap/2"
    (rm,) = doc["roadmaps"]
    assert rm["capacity"] == 2 and rm["projected"] is True
    assert [a["id"] for a in rm["later"]] == ["b.y.r4"]
    assert rm["phases"][0]["projection"]["a.x"]["score"] == pytest.approx(350 / 6)
    assert {"targets", "outcomes", "not_proposed", "initiatives"} <= set(rm)


def test_capacity_must_be_positive(tmp_path):
    result = cli("roadmap", tmp_path, "--capacity", "0")
    assert result.exit_code == 2 and "--capacity" in result.output


# --------------------------------------------------------------------------- properties

LEVELS = st.one_of(st.none(), st.integers(1, 5))
COVERS = st.one_of(
    st.none(),
    st.just(("none",)),
    st.lists(st.sampled_from(["backup", "network"]), min_size=1, unique=True).map(
        lambda v: tuple(sorted(v))
    ),
)
PERSON = st.fixed_dictionaries(
    {
        "a.x.q": LEVELS,
        "a.x.drill": st.sampled_from([None, "yes", "no"]),
        "a.x.covers": COVERS,
        "b.y.q": LEVELS,
    }
).map(lambda d: {k: v for k, v in d.items() if v is not None})
GROUPS = st.lists(PERSON, min_size=1, max_size=4)
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(GROUPS, st.sampled_from([None, "3", "4", "5", "a=5,b=2"]), st.sampled_from([1, 3, 24]))
def test_projection_never_lowers_a_score(people, target, capacity):
    targets = parse_targets(target, Q) if target else None
    rm = roadmap_for(people, targets, capacity)
    before = rm.current
    for phase in rm.phases:
        for node, now in phase.projection.items():
            if before[node]["score"] is not None:
                assert now["score"] >= before[node]["score"] - 1e-9, (phase.phase, node)
        before = phase.projection


@SETTINGS
@given(GROUPS)
def test_no_actions_reproduce_the_engine_exactly(people):
    loaded = loaded_for(people)
    table = score(loaded).table
    assert Rescorer(Q, loaded)([]) == current_of(table)


@SETTINGS
@given(GROUPS, st.sampled_from([None, "4", "5"]))
def test_a_phase_that_changes_answers_raises_the_moved_questions(people, target):
    loaded = loaded_for(people)
    rm = build_roadmaps(score(loaded), loaded, parse_targets(target, Q) if target else None, 1)[0]
    done: list = []
    for phase in rm.phases:
        before = moved_answers(Q, loaded.answers, done)
        done = done + phase.actions
        after = moved_answers(Q, loaded.answers, done)
        moved = sorted({qid for a in phase.actions for qid in a.moves})
        changed = [qid for qid in moved if not before[qid].equals(after[qid])]
        if not changed:
            continue
        total = [_question_total(frame, changed) for frame in (before, after)]
        assert total[1] > total[0]


def _question_total(answers, questions) -> float:
    matrix = answer_matrix(Q, answers.reset_index(drop=True))
    index = [j for j, x in enumerate(q for q in Q.questions if q.is_scored) if x.id in questions]
    return float(np.nansum((matrix.scores * (matrix.valid > 0))[:, index]))


@SETTINGS
@given(GROUPS, st.sampled_from([None, "5"]), st.sampled_from([1, 2, 5, 24]))
def test_starts_respect_prerequisites_and_capacity(people, target, capacity):
    rm = roadmap_for(people, parse_targets(target, Q) if target else None, capacity)
    by_id = {a.id: a for a in [*rm.actions, *rm.later]}
    for action in rm.actions:
        low, high = next(p.months for p in rm.phases if p.phase == action.phase)
        assert low <= action.start_month < high
        for required in action.requires:
            before = by_id[required]
            assert before.phase is not None and before.phase <= action.phase
            assert action.start_month >= before.finish_month - 1e-9
    for phase in rm.phases:
        if len(phase.actions) > 1:
            assert sum(a.person_months for a in phase.actions) <= capacity + 1e-9
    for action in rm.later:
        assert action.start_month is None


def test_the_worked_example_in_the_docs_holds():
    doc = (ROOT / "docs" / "roadmap.md").read_text(encoding="utf-8")
    rm = roadmap_for(EXAMPLE)

    def cell(value):
        return f"{value['score']:.1f} ({value['level']})"

    rows = [("now", rm.current)] + [(f"phase {p.phase}", p.projection) for p in rm.phases]
    for name, value in rows:
        line = (
            f"| {name} | {cell(value['a.x'])} | {cell(value['b.y'])} | {cell(value['overall'])} |"
        )
        assert line in doc
    starts = {a.id: a.start_month for a in rm.actions}
    assert starts == {"a.x.r3": 0, "b.y.r3": 0.75, "a.x.r4": 18, "b.y.r4": 24}
    assert "starts at 0 + 3/24 × 6 = 0.75" in doc and "18 + 8/24 × 18 = 24" in doc


def test_the_report_shows_each_dimensions_own_target():
    import datetime as dt

    from conftest import SAMPLES

    from dtassess.inputs.responses import load_responses
    from dtassess.reporting.report import build_report

    loaded = load_responses([SAMPLES])
    result = score(loaded)
    (rm,) = build_roadmaps(result, loaded)
    model = build_report(result, loaded, rm, "zh", dt.date(2026, 11, 25))
    top = 5
    for entry in model.dimensions:
        assert entry.target == min(entry.level + 1, top), entry.id
        for sub in entry.subdimensions:
            assert sub.target == min(sub.level + 1, top), sub.id


@SETTINGS
@given(GROUPS)
def test_under_unanswered_zero_moves_fill_unanswered_questions_and_never_lower(people):
    from dataclasses import replace

    q = replace(Q, unanswered="zero", cache={})
    loaded = loaded_for(people)
    loaded.questionnaire = q
    rm = build_roadmaps(score(loaded), loaded, parse_targets("5", q), 1)[0]
    before = rm.current
    for phase in rm.phases:
        for node, now in phase.projection.items():
            assert now["score"] >= before[node]["score"] - 1e-9
        before = phase.projection
    done = [a for p in rm.phases for a in p.actions]
    moved = moved_answers(q, loaded.answers, done)
    for action in done:
        for qid in action.moves:
            assert moved[qid].notna().all()  # every unanswered moved question now answered


def test_the_timeline_draws_each_action_from_its_start_to_its_finish():
    from dtassess.reporting.charts.layout import timeline_layout

    phases = [
        {"phase": 1, "months": [0, 6], "actions": [
            {"title": "A", "start_month": 0.0, "finish_month": 4.0},
            {"title": "B", "start_month": 3.0, "finish_month": 7.0},
        ]},
        {"phase": 3, "months": [18, 36], "actions": [
            {"title": "C", "start_month": 30.0, "finish_month": 39.0},
            {"title": "D"},  # not scheduled by months: the whole phase, as before
        ]},
    ]  # fmt: skip
    layout = timeline_layout(phases, {"months": "Months"}, 40)
    left, right = layout.ticks[0], layout.ticks[-1]

    def month(x: float) -> float:
        return (x - left) / (right - left) * 36

    spans = [m for r in layout.rows for c in r.cells for m in (c.x - 1.5, c.x + c.width + 1.5)]
    assert [month(x) for x in spans] == pytest.approx([0, 4, 3, 7, 30, 36, 18, 36])
    # a rule between the phases, none between actions of one phase
    assert [r.separated for r in layout.rows] == [False, False, True, False]


def test_a_missing_prerequisite_below_the_dimensions_level_is_planned_first():
    """The sample county's strategy.vision is at level 3, but most respondents answer level 2 on
    alignment: the level-4 uptake ledger must not stand on the task table they lack."""
    from conftest import SAMPLES

    from dtassess.inputs.responses import load_responses

    loaded = load_responses([SAMPLES])
    (rm,) = build_roadmaps(score(loaded), loaded)
    planned = {a.id: a for p in rm.phases for a in p.actions}
    ledger = planned["strategy.vision.a4_uptake_ledger"]
    table = planned["strategy.vision.a3_alignment"]
    assert table.catch_up and not ledger.catch_up
    assert "strategy.vision.a3_alignment" in ledger.requires
    assert table.finish_month <= ledger.start_month
    # A prerequisite most respondents already show counts as done: the plan is not pulled in.
    assert "strategy.vision.a2_plan" not in planned
