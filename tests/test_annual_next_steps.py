"""The annual report's forward view: next steps for the units that slipped, from each unit's own
roadmap, and a review of last period's roadmap that says only what the answers can show."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as htmllib
import re

import pytest
import yaml
from conftest import DATA, cli

from dtassess.inputs.loading import load_inputs
from dtassess.inputs.questionnaire import localize
from dtassess.labels import by_language
from dtassess.reporting import annual
from dtassess.reporting.annual import Slip, annual_models, render_annual
from dtassess.reporting.templating import template_dir
from dtassess.resources import annual_sample_dir
from dtassess.scoring.periods import score_periods

DATE = dt.date(2026, 11, 25)
FINANCE = "县财政局"  # slips: overall 稳健级 -> 受管理级, security to 初始级
EDUCATION = "县教育局"  # flat overall, but security falls 6.9 points (no level lost)
RISING = ("县卫生健康局", "县政务服务和数据管理局")
HIDDEN = "县市场监督管理局"  # two respondents in 2026
WORDS = by_language("annual")
QUESTIONNAIRE = load_inputs([annual_sample_dir() / "2026" / "caizheng-1.yaml"]).questionnaire


@pytest.fixture(scope="module")
def responses():
    return load_inputs([annual_sample_dir()])


@pytest.fixture(scope="module")
def models(responses):
    return {lang: annual_models(responses, lang=lang, date=DATE)[0] for lang in ("zh", "en")}


def text_of(html: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", html))


def rendered(model) -> str:
    return text_of(render_annual(model, template_dir(None), "html").decode())


# --------------------------------------------------------------------------- who slipped


def test_a_unit_that_slipped_gets_its_own_roadmaps_first_actions_for_its_weakest_slip(models):
    model = models["en"]
    steps = {s.unit: s for s in model.next_steps.units}
    finance = steps[FINANCE]
    assert {s.id for s in finance.slipped} == {"overall", "strategy", "investment", "security"}
    assert next(s for s in finance.slipped if s.id == "overall").level_fell
    # the weakest of the areas that slipped, and actions on it or its sub-dimensions only
    assert finance.focus.id == "security" and finance.focus.score == min(
        s.score for s in finance.slipped if s.id != "overall"
    )
    assert 1 <= len(finance.actions) <= annual.NEXT_ACTIONS and finance.why is None
    security = {"Data privacy and security", "Legal compliance and internal rules",
                "Data management and oversight", "Protection of citizens' personal information",
                "Incident response"}  # fmt: skip
    for action in finance.actions:
        assert action.dimension in security
        assert action.phase in (1, 2, 3) and action.start_month is not None
        assert action.finish_month > action.start_month
        assert re.fullmatch(r"[123]\.\d+", action.number)
    # in phase order, as the unit's roadmap plans them
    assert [a.phase for a in finance.actions] == sorted(a.phase for a in finance.actions)
    # ... and the same list on the unit's own page
    page = next(p for p in model.unit_pages if p.unit == FINANCE)
    assert page.next_steps == finance


def test_a_fall_beyond_the_threshold_counts_without_a_level_lost(models):
    steps = {s.unit: s for s in models["en"].next_steps.units}
    education = steps[EDUCATION]
    (slip,) = education.slipped
    assert slip.id == "security" and not slip.level_fell
    assert slip.change < -models["en"].next_steps.threshold
    assert education.focus == slip and education.actions


def test_a_unit_that_did_not_slip_gets_no_next_steps(models):
    model = models["en"]
    assert model.next_steps.threshold == 5.0
    assert {s.unit for s in model.next_steps.units} == {FINANCE, EDUCATION}
    for page in model.unit_pages:
        if page.unit in RISING:
            assert page.next_steps is None


@pytest.mark.parametrize(
    ("level_fell", "change", "slipped"),
    [
        (True, -0.4, True),  # a level lost counts however small the fall
        (False, -5.0, False),  # at the threshold: not more than 5 points
        (False, -5.1, True),
        (False, 3.0, False),
        (False, None, False),  # no earlier period to compare with
    ],
)
def test_what_counts_as_slipping(level_fell, change, slipped):
    slip = Slip("security", "security", 20.0, change, "受管理级", "初始级", level_fell)
    assert annual._slipped(slip, 5.0) is slipped


def test_one_period_has_no_next_steps(responses):
    from dtassess.inputs.responses import subset

    latest = (responses.meta["period"] == "2026").to_numpy().nonzero()[0]
    (model,) = annual_models(subset(responses, latest), lang="zh", date=DATE)
    assert model.previous is None and model.next_steps.units == []
    assert WORDS["zh"]["next_steps"] not in rendered(model)


# --------------------------------------------------------------------------- small units


def test_a_small_unit_is_not_named_and_the_section_says_it_gets_no_actions(models):
    for lang, model in models.items():
        assert model.next_steps.withheld == 1
        assert HIDDEN not in {s.unit for s in model.next_steps.units}
        text = rendered(model)
        assert HIDDEN not in text
        assert WORDS[lang]["next_steps_small"].format(count=1, k=3) in text


def test_a_unit_below_the_bar_gets_no_unit_level_actions_and_its_page_says_so(responses, models):
    """The unit roadmap keeps the small-group bar: asked for 10 respondents, the finance bureau's
    three get no actions, and its page says why."""
    model = models["zh"]
    q = responses.questionnaire
    rows = score_periods(responses, [], "unit", "mean", 3).table
    level_names = {lv.level: localize(lv.name, "zh") for lv in q.scale}
    found = annual._next_steps(
        q, rows, FINANCE, "2026", responses, "qingshan", "zh", level_names, 5.0, None, 10, 24
    )
    assert found.why == "small" and found.actions == [] and found.focus.id == "security"
    pages = [
        dataclasses.replace(p, next_steps=found) if p.unit == FINANCE else p
        for p in model.unit_pages
    ]
    text = rendered(dataclasses.replace(model, unit_pages=pages))
    assert WORDS["zh"]["next_steps_unit_small"].format(k=3) in text


# --------------------------------------------------------------------------- the review's words


CLAIMS = ("落实", "已实施", "已完成", "implemented", "carried out", "completed", "done")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_review_never_claims_implementation(models, lang):
    words = WORDS[lang]
    for key in ("review", "status", "reached", "progress", "not_yet", "held"):
        assert not any(claim in words[key].lower() for claim in CLAIMS), (key, words[key])
    # every status is about levels, which is what the answers show
    for key in ("reached", "progress", "not_yet", "held"):
        assert ("等级" if lang == "zh" else "level") in words[key]
    model = models[lang]
    assert {r.status_text for r in model.review} <= {
        words[k] for k in ("reached", "progress", "not_yet", "held")
    }
    text = rendered(model)
    assert "落实情况" not in text and words["review"] in text and words["review_note"] in text


def test_the_review_says_how_far_each_dimensions_score_moved(models):
    model = models["en"]
    assert model.review
    scores = {
        g["period"]: g["scores"] for g in model.scores["agency"] if g["organization"] == "qingshan"
    }
    for row in model.review:
        assert row.score_then is not None and row.score_now is not None
        assert row.change == pytest.approx(row.score_now - row.score_then, abs=0.051)
    # the score now is the agency's score of the action's dimension this period
    by_title = {model_title(model, node): node for node in scores["2026"]}
    for row in model.review:
        node = by_title[row.dimension]
        assert row.score_now == pytest.approx(scores["2026"][node]["score"], abs=0.051)
        assert row.score_then == pytest.approx(scores["2025"][node]["score"], abs=0.051)


def model_title(model, node: str) -> str:
    return QUESTIONNAIRE.title_of(node, model.lang)


def test_when_no_unit_slipped_the_section_says_so(models):
    for lang, model in models.items():
        calm = dataclasses.replace(
            model, next_steps=dataclasses.replace(model.next_steps, units=[], withheld=0)
        )
        text = rendered(calm)
        assert WORDS[lang]["next_steps"] in text
        assert WORDS[lang]["next_steps_none"].format(threshold=5.0) in text


# --------------------------------------------------------------------------- last period's plan


MOVES = DATA / "roadmap_moves.yaml"
# 2025: every respondent already holds drills (the result of a.x.r3, whose `when` is
# "a.x.drill != 'yes'"), yet a.x stands at level 2, so a plan from the scores alone proposes it.
DRILLED = {"a.x.q": 1, "a.x.drill": "yes", "a.x.covers": ["none"], "b.y.q": 2}
LATER = {"a.x.q": 3, "a.x.drill": "yes", "a.x.covers": ["backup"], "b.y.q": 3}


def _two_periods(folder):
    folder.mkdir()
    for period, answers in (("2025", DRILLED), ("2026", LATER)):
        for i in range(3):
            doc = {
                "questionnaire": "roadmap-moves@1.0",
                "organization": {"id": "org", "name": "青山县"},
                "period": period,
                "respondent": {"id": f"r{i}"},
                "answers": answers,
            }
            text = yaml.safe_dump(doc, allow_unicode=True)
            (folder / f"{period}-r{i}.yaml").write_text(text, "utf-8")
    return load_inputs(sorted(folder.iterdir()), MOVES)


def _planned(roadmap) -> set[str]:
    return {a.id for p in roadmap.phases for a in p.actions}


def test_last_periods_roadmap_is_planned_from_that_periods_answers(tmp_path):
    responses = _two_periods(tmp_path / "answers")
    q = responses.questionnaire
    rows = score_periods(responses, (), "organization", "mean", 1).table
    then = rows[rows["period"] == "2025"]
    group = annual._period_group(responses, "org", "2025")
    assert group is not None and len(group.answers) == 3
    # From the scores alone the drill is proposed though every answer shows drills held.
    assert "a.x.r3" in _planned(annual.previous_roadmap(q, then))
    planned = _planned(annual.previous_roadmap(q, then, None, group))
    assert "a.x.r3" not in planned and "a.x.r3_again" in planned
    (model,) = annual_models(responses, lang="en", date=DATE, min_group_size=1)
    titles = {r.title for r in model.review}
    assert "Hold a drill" not in titles and "Hold a drill (again)" in titles


def test_a_missing_step_below_the_level_then_is_not_called_reached(models):
    # Last period's own answers plan missing steps below a dimension's level then (catch_up):
    # the level cannot show them, so the review says the level was already held.
    level_of = {localize(lv.name, "en"): lv.level for lv in QUESTIONNAIRE.scale}
    review = models["en"].review
    assert any(r.status == "held" for r in review)
    for row in review:
        assert (row.status == "held") == (level_of.get(row.level_then, 0) >= row.reach)


def test_capacity_plans_the_next_steps_and_the_reviewed_roadmap(responses, models):
    # Each phase absorbing half a person-month, the actions of every roadmap move out of the
    # phases: the slipped unit's first actions and the reviewed plan follow the option.
    (tight,) = annual_models(responses, lang="en", date=DATE, capacity=0.5)
    wide = {s.unit: s for s in models["en"].next_steps.units}[FINANCE]
    narrow = {s.unit: s for s in tight.next_steps.units}[FINANCE]
    assert any(a.phase in (1, 2, 3) for a in wide.actions)
    assert [a.phase for a in narrow.actions] != [a.phase for a in wide.actions]
    assert len(tight.review) < len(models["en"].review)


def test_report_annual_takes_capacity(tmp_path):
    outs = []
    for capacity in ("24", "0.5"):
        out = tmp_path / f"annual-{capacity}.html"
        result = cli("report", "--annual", annual_sample_dir(), "--format", "html", "--lang",
                     "en", "--date", "2026-11-25", "-o", out, "--capacity", capacity)  # fmt: skip
        assert result.exit_code == 0, result.output
        outs.append(out.read_text("utf-8"))
    assert outs[0] != outs[1]


def test_every_review_status_has_its_own_colour(models):
    # "Already held" is neither the plan's success nor its failure: it gets a colour of its own.
    css = (template_dir(None) / "annual.css").read_text("utf-8")
    html = render_annual(models["en"], template_dir(None), "html").decode()
    shown = set(re.findall(r'class="status status-(\w+)"', html))
    assert "held" in shown
    for status in ("reached", "progress", "not_yet", "held"):
        assert re.search(rf"\.status-{status} \{{ color: [^;]+; \}}", css), status
