"""The bundled gov-dt questionnaire and sample county: the product's face, held to its brief."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
import yaml
from conftest import ROOT, SAMPLES

from dtassess.inputs.questionnaire import check_questionnaire, load_questionnaire
from dtassess.inputs.responses import check_responses, load_responses
from dtassess.inputs.yamlsource import fast_load

GOV = load_questionnaire("gov-dt")


def test_gov_dt_is_valid_without_warnings():
    model, problems = check_questionnaire(ROOT / "questionnaires" / "gov-dt.yaml")
    assert model is not None and problems == []
    assert GOV.ref == "gov-dt@1.0" and GOV.locales == ("zh", "en")


def test_four_areas_with_two_to_four_sub_dimensions():
    assert [d.id for d in GOV.dimensions] == ["strategy", "culture", "investment", "security"]
    assert [d.title["zh"] for d in GOV.dimensions] == [
        "战略与规划",
        "组织变革与文化",
        "投入与技术支撑",
        "数据隐私与安全",
    ]
    for area in GOV.dimensions:
        assert 2 <= len(area.dimensions) <= 4, area.id


def test_questions_mostly_anchored_levels_with_fact_questions_driving_skip_logic():
    questions = GOV.questions
    assert 32 <= len(questions) <= 48
    kinds = Counter(q.type for q in questions)
    assert kinds["level"] > len(questions) / 2
    drivers = {name for q in questions if q.when for name in q.when.names}
    assert drivers and all(GOV.question(d).type in ("boolean", "single") for d in drivers)
    for q in questions:
        if q.type == "level":
            assert len(q.options) == 5 and all(o.label["zh"] and o.label["en"] for o in q.options)


ACTIONS = [a for node in GOV.nodes for a in node.actions]
LEVELS = (2, 3, 4, 5)


def test_every_sub_dimension_has_actions_for_every_level():
    for area in GOV.dimensions:
        for sub in area.dimensions:
            reach = Counter(a.reach for a in sub.actions)
            assert all(reach[level] >= 1 for level in LEVELS), (sub.id, reach)


def test_every_action_moves_answers_and_belongs_to_an_initiative():
    initiatives = {i.id for i in GOV.initiatives}
    for a in ACTIONS:
        assert a.moves, a.id
        assert a.initiative in initiatives, a.id


def test_no_two_actions_make_the_same_move():
    """The duplicates issue 14 found (tiered training twice, data for decisions twice, three
    catalogue or indicator actions) stay merged: each question reaches each answer through one
    action at most, so two actions never promise the same change."""
    owners: dict[tuple[str, object], list[str]] = {}
    for a in ACTIONS:
        for qid, value in a.moves:
            for one in value if isinstance(value, tuple) else (value,):
                owners.setdefault((qid, one), []).append(a.id)
    assert {move: ids for move, ids in owners.items() if len(ids) > 1} == {}
    assert len({tuple(sorted(a.moves)) for a in ACTIONS}) == len(ACTIONS)


def test_a_level_move_is_the_level_the_action_reaches():
    """An action of reach k moves level questions to k: the option text of level k is what its
    description promises, never the level above."""
    for a in ACTIONS:
        for qid, value in a.moves:
            if GOV.question(qid).type == "level":
                assert value == a.reach, (a.id, qid, value)


def test_every_level_question_has_a_step_to_every_level():
    """So that a plan can reach any target: for each level question, some action moves it to each
    of levels 3-5, and to level 2 unless that level describes no step worth taking (alignment's
    level 2 is "mainly forwards higher-level documents"; the plan goes to level 3 at once)."""
    moved = {(qid, v) for a in ACTIONS for qid, v in a.moves}
    skip = {("strategy.vision.alignment", 2)}
    for q in GOV.questions:
        if q.type == "level":
            missing = [k for k in LEVELS if (q.id, k) not in moved and (q.id, k) not in skip]
            assert missing == [], q.id


def test_actions_on_questions_behind_a_fact_question_share_its_condition():
    """Actions for vendors, personal data, public services and cryptography are proposed only
    where the fact question says they apply."""
    gated = {
        "investment.partnership.vendor_governance": "investment.partnership.uses_vendors",
        "security.privacy.pia": "security.privacy.handles_personal_data",
        "security.privacy.minimisation": "security.privacy.handles_personal_data",
        "culture.collaboration.joint_services": "culture.collaboration.has_services",
        "security.compliance.crypto": "security.compliance.highest_grade",
    }
    moved = set()
    for a in ACTIONS:
        for qid, _ in a.moves:
            if qid in gated:
                moved.add(qid)
                assert a.when is not None, a.id
                assert gated[qid] in a.when.names or qid in a.when.names, a.id
    assert moved == set(gated)


def test_prerequisites_come_at_the_same_level_or_below():
    by_id = {a.id: a for a in ACTIONS}
    for a in ACTIONS:
        for pre in a.requires:
            assert by_id[pre].reach <= a.reach, (a.id, pre)


def test_effort_and_impact_are_spread():
    """Issue 14 found 16 of 24 mid-term actions rated medium or high on both effort and impact.
    Effort follows person-months (low 1, medium 2-4, high 5 or more); medium-or-high on both
    stays a minority, and structural work is marked long."""
    for a in ACTIONS:
        months = a.person_months or {"low": 1, "medium": 3, "high": 8}[a.effort]
        size = "low" if months <= 1 else "medium" if months <= 4 else "high"
        assert a.effort == size, (a.id, a.effort, months)
    heavy = [a for a in ACTIONS if a.effort != "low" and a.impact != "low"]
    assert len(heavy) < len(ACTIONS) * 0.6
    assert Counter(a.impact for a in ACTIONS)["high"] < len(ACTIONS) / 2
    assert sum(a.horizon == "long" for a in ACTIONS) >= 15


def test_six_to_ten_initiatives_each_with_owner_kpi_and_actions():
    initiatives = GOV.initiatives
    assert 6 <= len(initiatives) <= 10
    used = Counter(a.initiative for a in ACTIONS)
    nodes = {n.id for n in GOV.nodes} | {q.id for q in GOV.questions}
    for i in initiatives:
        assert used[i.id] >= 5, i.id
        assert i.kpi_node in nodes, i.id
        for text in (i.title, i.owner, i.kpi_text, i.summary):
            assert text and text["zh"] and text["en"], i.id


def test_every_text_is_bilingual():
    for node in GOV.nodes:
        assert node.title["zh"] and node.title["en"]
        for q in node.questions:
            assert q.text["zh"] and q.text["en"]
            if q.help:
                assert q.help["zh"] and q.help["en"]
        for a in node.actions:
            assert a.title["zh"] and a.title["en"]
            assert a.description["zh"] and a.description["en"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", [ROOT / "questionnaires" / "gov-dt.yaml", *sorted(SAMPLES.glob("*.yaml"))]
)
def test_bundled_files_parse_the_same_without_libyaml(path):
    """Guards against text that only libyaml accepts, for machines without it."""
    text = path.read_text(encoding="utf-8")
    pure = yaml.load(text, Loader=type("L", (yaml.SafeLoader,), {}))
    fast = fast_load(text)
    # Only booleans may differ (YAML 1.1 vs 1.2); compare with them folded to text.
    fold = {True: "yes", False: "no"}

    def norm(x):
        if isinstance(x, dict):
            return {norm(k): norm(v) for k, v in x.items()}
        if isinstance(x, list):
            return [norm(v) for v in x]
        if isinstance(x, bool):
            return fold[x]
        return str(x) if not isinstance(x, str) else x.lower() if x in ("yes", "no") else x

    assert norm(pure) == norm(fast)


def test_sample_county_is_clean_and_realistic():
    good, problems, _ = check_responses([SAMPLES])
    assert problems == [] and len(good) == 5
    assert len({r.unit for r in good}) == 3
    assert {r.organization for r in good} == {"qingshan"}
    assert sum(len(r.notes) for r in good) >= 10
    loaded = load_responses([SAMPLES])
    assert len(loaded.notes) == sum(len(r.notes) for r in good)


@pytest.mark.slow
def test_installed_wheel_finds_its_bundled_files(tmp_path):
    pytest.importorskip("hatchling")
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", wheel_dir, ROOT],
        check=True,
    )  # fmt: skip
    wheel = next(wheel_dir.glob("dtassess-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", target, wheel],
        check=True,
    )
    code = (
        "import dtassess, dtassess.resources as r\n"
        "assert 'site' in dtassess.__file__, dtassess.__file__\n"
        "q = dtassess.load_questionnaire('gov-dt')\n"
        "res = dtassess.score(dtassess.load_responses([r.sample_responses_dir()]))\n"
        "from dtassess.reporting.templating import template_dir\n"
        "assert 'site' in str(template_dir()), template_dir()\n"
        "print(q.ref, len(res.meta))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "gov-dt@1.0 5"
    # the docs pages that --help cites are in the wheel: `dtassess help TOPIC` prints them
    page = subprocess.run(
        [sys.executable, "-m", "dtassess", "help", "errors"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert page.returncode == 0, page.stderr
    assert page.stdout == (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
