"""The roadmap engine: targets, priorities, phases, projection and findings (docs/roadmap.md)."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, SAMPLES, cli

from dtassess.errors import DtassessError
from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.inputs.responses import Response, responses_to_frames
from dtassess.roadmap import Targets, build_roadmaps, load_targets, parse_targets
from dtassess.scoring.scores import score

Q = load_questionnaire(DATA / "roadmap.yaml")


def roadmap_for(answers: list[dict], targets: Targets | None = None):
    people = [
        Response(source=f"r{i}.yaml", questionnaire=Q.ref, organization="org", period="2026",
                 respondent=f"r{i}", answers=a)
        for i, a in enumerate(answers)
    ]  # fmt: skip
    loaded = responses_to_frames(Q, people)
    return build_roadmaps(score(loaded), loaded, targets, min_group_size=1)[0]


def test_default_target_is_one_level_up():
    rm = roadmap_for([{"a.x.q": 2, "b.y.q": 5}])
    targets = {g.id: (g.level, g.target, g.gap_levels) for g in rm.dimensions}
    assert targets == {"a.x": (2, 3, 1), "b.y": (5, 5, 0)}
    assert [a.id for a in rm.actions if not a.beyond_target] == ["a.x.r3a", "a.x.r3b"]
    # and the step to the level after next, in phase 3
    assert [(a.id, a.phase) for a in rm.actions if a.beyond_target] == [("a.x.r4", 3)]


def test_actions_between_current_and_target_lower_levels_first():
    rm = roadmap_for([{"a.x.q": 1, "b.y.q": 2}], parse_targets("4", Q))
    gap = next(g for g in rm.dimensions if g.id == "a.x")
    assert gap.actions == ["a.x.r2", "a.x.r3b", "a.x.r3a", "a.x.r4"]
    assert gap.gap_levels == 3 and gap.gap_score == pytest.approx(60)


def test_never_before_a_lower_level_action_of_the_same_dimension():
    rm = roadmap_for([{"a.x.q": 1, "b.y.q": 2}], parse_targets("4", Q))
    phase = {a.id: a.phase for a in rm.actions}
    assert phase["a.x.r2"] == 1 and phase["a.x.r3a"] == 1
    assert phase["a.x.r3b"] == 3  # long horizon
    assert phase["a.x.r4"] == 3  # short, but after a level-3 action of phase 3
    assert phase["b.y.r3"] == 2 and phase["b.y.r4"] == 2


def test_priority_orders_actions_within_a_phase():
    rm = roadmap_for([{"a.x.q": 1, "b.y.q": 2}], parse_targets("4", Q))
    first = rm.phases[0].actions
    assert [a.id for a in first] == ["a.x.r2", "a.x.r3a"]
    r2 = first[0]
    # share of overall 3/4, gap 3 levels, impact high (3) / effort low (1)
    assert r2.priority == pytest.approx(0.75 * 3 * 3 / 1)


def test_without_moves_the_projection_stays_and_the_roadmap_says_why():
    rm = roadmap_for([{"a.x.q": 1, "b.y.q": 2}], parse_targets("4", Q))
    assert not rm.projected
    for phase in rm.phases:
        assert phase.projection == rm.current
    missed = {o["node"]: o["reason"] for o in rm.outcomes}
    assert missed["a.x"] == "no_moves" and missed["b.y"] == "no_moves"


def test_per_dimension_targets_inherit_and_override():
    targets = parse_targets("a=5,b.y=3", Q)
    assert targets == Targets(None, {"a": 5, "b.y": 3})
    rm = roadmap_for([{"a.x.q": 3, "b.y.q": 2}], targets)
    assert {g.id: g.target for g in rm.dimensions} == {"a.x": 5, "b.y": 3}


@pytest.mark.parametrize(
    ("spec", "code", "words"),
    [
        ("c=3", "T002", "'c' is not a dimension"),
        ("a.z=3", "T002", "did you mean 'a.x'"),
        ("6", "T001", "not on the scale"),
        ("a=0", "T001", "not on the scale"),
        ("a=high", "T001", "cannot read 'a=high'"),
    ],
)
def test_bad_targets(spec, code, words):
    with pytest.raises(DtassessError) as caught:
        parse_targets(spec, Q)
    problem = caught.value.problems[0]
    assert problem.code == code and words in problem.message


def test_targets_file(write):
    good = write("t.yaml", "targets: {a: 4, b: 3}\n")
    assert load_targets(good, Q) == Targets(None, {"a": 4, "b": 3})
    assert load_targets(write("u.yaml", "targets: 5\n"), Q) == Targets(5, {})
    with pytest.raises(DtassessError, match="expected a 'targets:' block"):
        load_targets(write("v.yaml", "goal: 4\n"), Q)


def test_findings_name_weakest_questions_and_disagreement():
    rm = roadmap_for([{"a.x.q": 1, "b.y.q": 5}, {"a.x.q": 3, "b.y.q": 5}])
    weakest = rm.findings["weakest"][0]
    assert weakest["question"] == "a.x.q"
    assert weakest["chosen"]["value"] == 1 and weakest["next"]["value"] == 2
    assert [d["question"] for d in rm.findings["disagreements"]] == ["a.x.q"]
    assert rm.findings["strongest"][0]["dimension"] == "b.y"


def test_roadmap_json_for_the_sample_county():
    result = cli("roadmap", SAMPLES, "--format", "json", "--target", "security=4")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["format"] == "dtassess.roadmap/2" and len(doc["roadmaps"]) == 1
    rm = doc["roadmaps"][0]
    assert rm["group"]["organization"] == "qingshan"
    for dim in rm["dimensions"]:
        if dim["id"].startswith("security"):
            assert dim["target"] == 4
    phases = [a["phase"] for p in rm["phases"] for a in p["actions"]]
    assert phases == sorted(phases) and phases[0] == 1


def test_roadmap_bad_target_exits_2():
    result = cli("roadmap", SAMPLES, "--target", "securty=4")
    assert result.exit_code == 2
    assert "did you mean 'security'" in result.stderr
    both = cli("roadmap", SAMPLES, "--target", "4", "--targets", "x.yaml")
    assert both.exit_code == 2
