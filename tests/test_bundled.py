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
    # Q029 (actions without moves) until the catalogue gives every action its moves.
    assert model is not None and [p for p in problems if p.code != "Q029"] == []
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


def test_every_sub_dimension_has_two_actions_per_level():
    for area in GOV.dimensions:
        for sub in area.dimensions:
            reach = Counter(a.reach for a in sub.actions)
            for level in (2, 3, 4, 5):
                assert reach[level] >= 2, (sub.id, level)


def test_every_text_is_bilingual():
    for node in GOV.nodes:
        assert node.title["zh"] and node.title["en"]
        for q in node.questions:
            assert q.text["zh"] and q.text["en"]
            if q.help:
                assert q.help["zh"] and q.help["en"]
        for a in node.actions:
            assert a.title["zh"] and a.title["en"]


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
