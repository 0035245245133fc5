"""Reliability on the report's pages, and a report for any questionnaire.

Caveats (few answers, low coverage, low agreement, low consistency) beside the scores they
qualify, with their thresholds; score intervals, seeded; a questionnaire without a catalogue of
actions, on its own score range (0-3) and unanswered policy, in the report model, the terminal
and the JSON (docs/report.md, Reliability).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLES, choice_question, cli, dimension, questionnaire_text

import dtassess
from dtassess.reporting.reliability import caveats

DATE = dt.date(2026, 11, 25)
CHOICES = {"n": 0.0, "p": 1 / 3, "l": 2 / 3, "f": 1.0}  # four answers, 0-1 in thirds
INTERVALS = {"resamples": 200, "level": 0.9, "weight_spread": 0.2, "seed": 0}


# --------------------------------------------------------------------------- thresholds


def row(n=5, coverage=1.0, rwg=0.9, alpha=0.9, score=50.0):
    return {"score": score, "n": n, "coverage": coverage, "rwg": rwg, "alpha": alpha}


@pytest.mark.parametrize(
    ("values", "kinds"),
    [
        (row(), []),
        (row(n=3), ["few_answers"]),  # 3 of 5 answered: 60% < 80%
        (row(n=4), []),  # 4 of 5 is 80%: on the threshold, not flagged
        (row(coverage=0.79), ["low_coverage"]),
        (row(coverage=0.8), []),
        (row(coverage=0.8 - 1e-12), []),  # 0.80 to 9 decimals
        (row(rwg=0.42), ["low_agreement"]),
        (row(rwg=0.7), []),
        (row(alpha=0.0), ["low_consistency"]),
        (row(alpha=-0.3), ["low_consistency"]),
        (row(alpha=0.7), []),
        (row(rwg=math.nan, alpha=None), []),  # empty indices (one respondent) are no caveat
        (row(score=None, n=0, coverage=0.0, rwg=0.1), []),  # no score: nothing to qualify
        (row(n=2, coverage=0.5, rwg=0.1, alpha=0.1),
         ["few_answers", "low_coverage", "low_agreement", "low_consistency"]),
    ],
)  # fmt: skip
def test_caveats_and_their_thresholds(values, kinds):
    assert [c.kind for c in caveats(values, 5, "en")] == kinds


@pytest.mark.parametrize(
    ("lang", "values", "text"),
    [
        ("en", row(n=2), "few answers: 2 of 5 respondents answered"),
        ("zh", row(n=2), "作答较少：5 名受访者中 2 人作答"),
        ("en", row(coverage=0.62), "low coverage: 62% of the applicable questions answered"),
        ("zh", row(coverage=0.62), "覆盖率低：只回答了 62% 的适用题目"),
        ("en", row(rwg=0.42), "respondents disagree (rWG 0.42)"),
        ("zh", row(rwg=0.42), "受访者意见分歧较大（rWG 0.42）"),
        ("en", row(alpha=0.0), "its questions do not hang together (alpha 0.00)"),
        ("zh", row(alpha=0.0), "题目之间一致性低（α 0.00）"),
    ],
)
def test_caveats_say_it_in_words_with_the_number(lang, values, text):
    assert [c.text for c in caveats(values, 5, lang)] == [text]


# --------------------------------------------------------------------------- the demo's report


@pytest.fixture(scope="module")
def demo():
    loaded = dtassess.load_responses([SAMPLES])
    result = dtassess.score(loaded, by="organization")
    (made,) = dtassess.build_roadmaps(result, loaded)
    return result, loaded, made


def test_the_flags_of_score_are_marked_on_the_report(demo):
    """Every node `dtassess score` flags carries the caveat in the report, and no other does."""
    result, loaded, made = demo
    model = dtassess.build_report(result, loaded, made, "en", DATE)
    table = result.table.set_index("node")
    nodes = [
        model.overall,
        *model.dimensions,
        *(s for d in model.dimensions for s in d.subdimensions),
    ]
    flagged = 0
    for node in nodes:
        kinds = {c.kind for c in node.caveats}
        assert ("low_agreement" in kinds) == bool(table.loc[node.id, "low_agreement"]), node.id
        assert ("low_consistency" in kinds) == bool(table.loc[node.id, "low_consistency"])
        flagged += bool(kinds)
    assert flagged >= 4  # the issue counted four flagged sub-dimensions


def test_intervals_are_seeded_and_hold_the_score(demo):
    result, loaded, made = demo
    one = dtassess.build_report(result, loaded, made, "zh", DATE, uncertainty=INTERVALS)
    two = dtassess.build_report(result, loaded, made, "zh", DATE, uncertainty=INTERVALS)
    assert one == two
    assert one.reliability.interval_label == "90% 区间"
    for node in [one.overall, *one.dimensions, *one.dimensions[0].subdimensions]:
        assert node.low is not None and node.high is not None
        assert node.low <= node.score <= node.high, node.id
    other = dtassess.build_report(
        result, loaded, made, "zh", DATE, uncertainty={**INTERVALS, "seed": 1}
    )
    assert other.overall.low != one.overall.low  # the seed, not chance, makes them equal


def test_without_resamples_there_are_no_intervals(demo):
    result, loaded, made = demo
    for options in (None, {**INTERVALS, "resamples": 0}):
        model = dtassess.build_report(result, loaded, made, "en", DATE, uncertainty=options)
        assert model.overall.low is None and model.dimensions[0].high is None
        assert model.reliability.interval_label == ""
        assert len(model.methodology.reliability) == 1  # the thresholds only


def test_the_html_report_shows_caveats_and_intervals(demo, tmp_path):
    from dtassess.reporting.documents import render_report
    from dtassess.reporting.report import attachment_for
    from dtassess.reporting.templating import template_dir

    result, loaded, made = demo
    model = dtassess.build_report(result, loaded, made, "en", DATE, uncertainty=INTERVALS)
    html = render_report(model, attachment_for(result, made), template_dir(), fmt="html").decode(
        "utf-8"
    )
    assert "Scores and reliability" in html and "90% interval" in html
    assert "its questions do not hang together (alpha 0.00)" in html
    assert 'class="caveat-mark"' in html
    assert "Reliability marks: a score is marked" in html


# --------------------------------------------------------------------------- any questionnaire


def samm_like(tmp_path: Path, unanswered: str = "zero") -> Path:
    """A 0-3 questionnaire without a catalogue of actions (as SAMM converted), answered by four
    respondents of one organisation who leave some questions open."""
    dims = [
        dimension(
            top,
            dimensions=[
                dimension(
                    f"{top}.{sub}", [choice_question(f"{top}.{sub}.q{i}", CHOICES) for i in (1, 2)]
                )
                for sub in ("a", "b")
            ],
        )
        for top in ("g", "d")
    ]
    path = tmp_path / "samm.yaml"
    text = questionnaire_text(
        "samm", dimensions=dims, levels=(0, 1, 2), score_range=[0, 3], unanswered=unanswered
    )
    path.write_text(text, encoding="utf-8")
    folder = tmp_path / "responses"
    folder.mkdir()
    picks = [(1, 2, 1, None), (2, 1, 1, 2), (1, 1, None, 1), (2, 2, 1, 1)]
    for k, levels in enumerate(picks):
        answers = {}
        for top in ("g", "d"):
            for j, qid in enumerate(("a.q1", "a.q2", "b.q1", "b.q2")):
                if levels[j] is not None:
                    answers[f"{top}.{qid}"] = "npl"[levels[j] - 1]
        doc = {"questionnaire": "samm@1.0", "organization": {"id": "o"},
               "respondent": {"id": f"r{k}"}, "answers": answers}  # fmt: skip
        (folder / f"r{k}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def samm_report(tmp_path, lang="en", unanswered="zero"):
    path = samm_like(tmp_path, unanswered)
    loaded = dtassess.load_responses([tmp_path / "responses"], path)
    result = dtassess.score(loaded, by="organization")
    (made,) = dtassess.build_roadmaps(result, loaded, min_group_size=1)
    return dtassess.build_report(result, loaded, made, lang, DATE, 1), made


@pytest.mark.parametrize(
    ("lang", "unanswered", "words"),
    [
        ("en", "zero", ["Scores are reported on 0-3", "unanswered questions count as zero"]),
        ("zh", "zero", ["得分换算为 0–3 分", "未作答的题目按 0 分计入"]),
        ("en", "exclude", ["Scores are reported on 0-3", "unanswered questions leave the"]),
        ("zh", "exclude", ["得分换算为 0–3 分", "未作答的题目不计入分母"]),
    ],
)
def test_the_methodology_states_the_questionnaires_range_and_policy(
    tmp_path, lang, unanswered, words
):
    model, _ = samm_report(tmp_path, lang, unanswered)
    text = " ".join(model.methodology.formulas)
    for word in words:
        assert word in text
    assert "0-100" not in text and "0–100" not in text
    assert model.methodology.unanswered == unanswered


def test_the_demo_methodology_still_says_0_100_and_leave_the_denominator(demo):
    result, loaded, made = demo
    text = " ".join(dtassess.build_report(result, loaded, made, "en", DATE).methodology.formulas)
    assert "Scores are reported on 0-100" in text
    assert "unanswered questions leave the denominator" in text


def test_question_scores_are_on_the_questionnaires_range(tmp_path):
    """A 0-3 questionnaire's questions score 0-3 like its dimensions, not 0-100."""
    model, _ = samm_report(tmp_path)
    rows = {r.id: r for d in model.dimensions for r in d.questions}
    # g.a.q1: answers n, p, n, p -> shares 0, 1/3, 0, 1/3 -> mean 1/6 of 3 points
    assert rows["g.a.q1"].score == 0.5
    assert rows["g.a.q1"].spread == "0–1"
    assert all(r.score is None or 0 <= r.score <= 3 for r in rows.values())
    assert all(f.score is None or f.score <= 3 for f in model.findings.weakest)
    assert all(d.sd is None or d.sd <= 3 for d in model.findings.disagreements)


def test_without_a_catalogue_the_model_lists_the_gaps(tmp_path):
    model, made = samm_report(tmp_path)
    assert made.catalogue is False and model.roadmap.catalogue is False
    assert model.roadmap.actions == 0
    assert [g.title for g in model.roadmap.gaps] == ["Dimension g", "Dimension d"]
    assert all(g.points > 0 and g.target_name for g in model.roadmap.gaps)
    assert model.findings.weakest  # the weakest questions the page lists beneath


@pytest.mark.parametrize(
    ("lang", "said", "not_said"),
    [
        ("en", "This questionnaire has no catalogue of actions", "Every dimension has reached"),
        ("zh", "本问卷未附行动目录", "各维度均已达到目标等级"),
    ],
)
def test_without_a_catalogue_the_html_says_so(tmp_path, lang, said, not_said):
    from dtassess.reporting.documents import render_report
    from dtassess.reporting.templating import template_dir

    model, _ = samm_report(tmp_path, lang)
    html = render_report(model, b"{}", template_dir(), fmt="html").decode("utf-8")
    assert said in html and not_said not in html
    assert model.labels["gaps_to_target"] in html
    assert model.labels["weakest_questions"] in html
    assert 'id="sec-timeline"' not in html  # no empty phases, projection or timeline


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "Every dimension has reached"), ("zh", "各维度均已达到")]
)
def test_at_target_the_report_still_says_no_new_actions(tmp_path, lang, said):
    """The old sentence stays where it is true: every dimension at its target."""
    from dtassess.reporting.documents import render_report
    from dtassess.reporting.templating import template_dir
    from dtassess.roadmap import Targets

    path = samm_like(tmp_path)
    loaded = dtassess.load_responses([tmp_path / "responses"], path)
    result = dtassess.score(loaded, by="organization")
    (made,) = dtassess.build_roadmaps(result, loaded, Targets(everywhere=1), min_group_size=1)
    model = dtassess.build_report(result, loaded, made, lang, DATE, 1)
    assert model.roadmap.gaps == []
    html = render_report(model, b"{}", template_dir(), fmt="html").decode("utf-8")
    assert said in html and model.labels["no_catalogue"] not in html


@pytest.mark.parametrize(
    ("lang", "words", "not_said"),
    [
        ("en", ["no catalogue of actions", "Dimension g", "Weakest questions"], "at its target"),
        ("zh", ["问卷未附行动目录", "维度 g", "最薄弱的题目"], "均已达到目标"),
    ],
)
def test_roadmap_in_the_terminal_without_a_catalogue(tmp_path, lang, words, not_said):
    path = samm_like(tmp_path)
    found = cli(
        "roadmap", tmp_path / "responses", "-q", path, "--min-group-size", "1", "--lang", lang
    )
    assert found.exit_code == 0, found.stderr
    out = " ".join(found.stdout.split())
    for word in words:
        assert word in out
    assert not_said not in out


def test_roadmap_json_without_a_catalogue(tmp_path):
    path = samm_like(tmp_path)
    found = cli(
        "roadmap", tmp_path / "responses", "-q", path, "--min-group-size", "1", "--format", "json"
    )
    assert found.exit_code == 0, found.stderr
    (made,) = json.loads(found.stdout)["roadmaps"]
    assert made["catalogue"] is False and made["projected"] is False
    assert {d["id"] for d in made["dimensions"]} == {"g", "g.a", "g.b", "d", "d.a", "d.b"}
    assert all(d["gap_score"] <= 3 for d in made["dimensions"])
    assert {o["reason"] for o in made["outcomes"]} == {"no_actions"}


# --------------------------------------------------------------------------- PDFs


@pytest.mark.slow
def test_the_pdfs_carry_the_words(tmp_path):
    """The PDF text: the demo's reliability table with a caveat and its intervals; a 0-3
    questionnaire without a catalogue says so and states its range and policy."""
    from pypdf import PdfReader

    out = tmp_path / "demo.pdf"
    found = cli("report", SAMPLES, "-o", out, "--lang", "en", "--date", "2026-11-25")
    assert found.exit_code == 0, found.stderr
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    text = " ".join(text.split())
    assert "Scores and reliability" in text and "90% interval" in text
    assert "(alpha 0.00)" in text
    path = samm_like(tmp_path)
    out = tmp_path / "samm.pdf"
    found = cli("report", tmp_path / "responses", "-q", path, "-o", out, "--lang", "en",
                "--min-group-size", "1", "--date", "2026-11-25")  # fmt: skip
    assert found.exit_code == 0, found.stderr
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "This questionnaire has no catalogue of actions" in text
    assert "Scores are reported on 0-3" in text and "count as zero" in text
    assert "no new actions" not in text
