"""Changes and trends over several periods, checked by hand and against NumPy's own fit."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import jsonschema
import numpy as np
import pandas as pd
import pytest
from conftest import MINI, cli
from hypothesis import given, settings
from hypothesis import strategies as st

from dtassess.scoring.periods import add_changes, ordered_periods, period_key

SCHEMA = json.loads(files("dtassess").joinpath("schemas/scores.schema.json").read_text("utf-8"))


def table(rows):
    return pd.DataFrame(rows, columns=["organization", "unit", "period", "node", "score"])


def test_changes_and_trends_by_hand():
    out = add_changes(
        table(
            [
                ("qs", "A", "2026", "overall", 65.0),
                ("qs", "A", "2024", "overall", 40.0),
                ("qs", "A", "2025", "overall", 50.0),
                ("qs", "B", "2024", "overall", 60.0),
                ("qs", "B", "2026", "overall", 50.0),  # no 2025: compared with 2024
                ("qs", "C", "2026", "overall", 30.0),
                ("qs", "A", "2025", "security", np.nan),
                ("qs", "A", "2026", "security", 20.0),
            ]
        ),
        ["organization", "unit"],
    )
    got = {(r.unit, r.period, r.node): r for r in out.itertuples()}
    a26 = got["A", "2026", "overall"]
    assert (a26.previous_period, a26.change, a26.periods) == ("2025", 15.0, 3)
    # slope of (0, 40), (1, 50), (2, 65): (3 * 180 - 3 * 155) / (3 * 5 - 3 * 3) = 12.5
    assert a26.trend == pytest.approx(12.5)
    assert got["A", "2025", "overall"].change == 10.0
    a24 = got["A", "2024", "overall"]
    assert a24.previous_period is None and np.isnan(a24.change)
    b26 = got["B", "2026", "overall"]
    # positions 0 and 2 of the three periods given: (50 - 60) / 2 = -5 points per period
    assert (b26.previous_period, b26.change, b26.trend) == ("2024", -10.0, pytest.approx(-5.0))
    c26 = got["C", "2026", "overall"]
    assert np.isnan(c26.change) and np.isnan(c26.trend) and c26.periods == 1
    sec = got["A", "2026", "security"]
    assert sec.previous_period == "2025" and np.isnan(sec.change) and np.isnan(sec.trend)
    assert list(out.index) == list(range(8))  # rows keep their order


def test_period_order_is_natural():
    assert ordered_periods(["2026", "2025H2", "2025H1", "2024"]) == ["2024", "2025H1", "2025H2",
                                                                      "2026"]  # fmt: skip
    assert sorted(["2026-Q10", "2026-Q2"], key=period_key) == ["2026-Q2", "2026-Q10"]
    assert ordered_periods([None, "2026"]) == ["", "2026"]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(["2022", "2023", "2024", "2025", "2026"]),
            st.one_of(st.none(), st.floats(0, 100)),
        ),
        min_size=1,
        max_size=30,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_trend_is_the_least_squares_slope(rows):
    frame = table([("o", u, p, "overall", np.nan if s is None else s) for u, p, s in rows])
    out = add_changes(frame, ["organization", "unit"])
    positions = {p: i for i, p in enumerate(sorted(frame["period"].unique()))}
    for _, part in out.groupby("unit"):
        known = part.dropna(subset=["score"])
        xs = [positions[p] for p in known["period"]]
        if len(known) >= 2:
            expected = np.polyfit(xs, known["score"].to_numpy(), 1)[0]
            assert part["trend"].iloc[0] == pytest.approx(expected, abs=1e-6)
        else:
            assert part["trend"].isna().all()
        ordered = part.assign(pos=[positions[p] for p in part["period"]]).sort_values("pos")
        scores = ordered["score"].to_numpy()
        assert np.allclose(ordered["change"].to_numpy()[1:], np.diff(scores), equal_nan=True)


# --------------------------------------------------------------------------- through the CLI


def response(folder, name, version, period, answers):
    lines = [f"questionnaire: mini@{version}", "organization: {id: qs, name: 青山县}",
             f"period: '{period}'", f"respondent: {{id: {name}}}", "answers:"]  # fmt: skip
    lines += [f"  {k}: {v}" for k, v in answers.items()]
    path = folder / f"{name}-{period}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_change_and_trend_in_the_outputs(tmp_path):
    for period, level in (("2024", 1), ("2025", 2), ("2026", 4)):
        response(tmp_path, "r1", "1.0", period,
                 {"strategy.plan.exists": "yes", "strategy.plan.quality": level})  # fmt: skip
    result = cli("score", tmp_path, "-q", MINI, "--format", "json", "--min-group-size", "1")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["periods"] == ["2024", "2025", "2026"]
    last = doc["groups"][-1]
    assert last["period"] == "2026" and last["previous_period"] == "2025"
    # levels 1, 2, 4 score 0, 25, 75: change +50, slope of (0, 0), (1, 25), (2, 75) = 37.5
    assert last["scores"]["strategy"]["change"] == 50
    assert last["scores"]["overall"]["trend"] == 37.5
    assert doc["groups"][0]["scores"]["overall"]["change"] is None
    table = cli("score", tmp_path, "-q", MINI, "--lang", "en", "--min-group-size", "1")
    assert "Change" in table.stdout and "+50.0" in table.stdout
    csv_text = cli("score", tmp_path, "-q", MINI, "--format", "csv", "--min-group-size", "1")
    header = csv_text.stdout.splitlines()[0].split(",")
    assert header[-3:] == ["previous_period", "change", "trend"]


V2_BANDS = "bands: [{min: 0, score: 0}, {min: 2, score: 0.5}, {min: 20, score: 1}]"


def two_versions(tmp_path):
    text = MINI.read_text(encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(text, encoding="utf-8")
    v2 = text.replace('version: "1.0"', 'version: "2.0"').replace(
        "strategy.plan.quality", "strategy.plan.maturity"
    )
    v2 = re.sub(r"bands: \[.*\]", V2_BANDS, v2)
    assert V2_BANDS in v2
    (tmp_path / "mini-v2.yaml").write_text(v2, encoding="utf-8")
    (tmp_path / "map.yaml").write_text(
        "from: mini.yaml\nto: mini-v2.yaml\n"
        "questions:\n  strategy.plan.quality: strategy.plan.maturity\n",
        encoding="utf-8",
    )
    answers = tmp_path / "answers"
    answers.mkdir()
    response(answers, "r1", "1.0", "2025", {"strategy.plan.exists": "yes",
             "strategy.plan.quality": 2, "security.budget": 12,
             "security.tools": "[mfa]"})  # fmt: skip
    response(answers, "r1", "2.0", "2026", {"strategy.plan.exists": "yes",
             "strategy.plan.maturity": 4, "security.budget": 3,
             "security.tools": "[mfa, backup]"})  # fmt: skip
    return answers


def test_versions_compare_only_comparable_questions(tmp_path):
    answers = two_versions(tmp_path)
    result = cli("score", answers, "--version-map", tmp_path / "map.yaml", "--format", "json",
                 "--min-group-size", "1")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "leave out 1 question(s)" in result.stderr
    assert "security.budget (its score bands changed)" in result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["questionnaire"]["version"] == "2.0"
    assert doc["left_out"] == [{"question": "security.budget", "reason": "its score bands changed"}]
    old, new = doc["groups"]
    # Each period's own score, from its own version: 2025 min(budget 100, tools 50) = 50 ...
    assert old["scores"]["security"]["score"] == 50 and old["scores"]["overall"]["score"] == 37.5
    # ... 2026 under v2's bands: min(budget 3 -> 50, tools 100) = 50; overall (75 + 50) / 2
    assert new["scores"]["overall"]["score"] == 62.5
    # Changes compare without the budget question: 2025 (25 + 50) / 2, 2026 (75 + 100) / 2
    assert old["scores"]["overall"]["comparable_score"] == 37.5
    assert new["scores"]["overall"]["comparable_score"] == 87.5
    assert new["scores"]["overall"]["change"] == 50
    assert new["scores"]["security"]["change"] == 50


def test_version_map_problems(tmp_path):
    answers = two_versions(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("from: mini.yaml\nto: mini-v2.yaml\nquestions:\n  strategy.plan.qualty: x\n",
                   encoding="utf-8")  # fmt: skip
    result = cli("score", answers, "--version-map", bad)
    assert result.exit_code == 2
    assert "did you mean 'strategy.plan.quality'" in result.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text("form: mini.yaml\n", encoding="utf-8")
    result = cli("score", answers, "--version-map", typo)
    assert result.exit_code == 2 and f"{typo}:1:1: " in result.stderr
    assert "unknown key 'form'" in result.stderr
    only_new = tmp_path / "only-new"
    only_new.mkdir()
    (only_new / "a.yaml").write_text((answers / "r1-2026.yaml").read_text("utf-8"), "utf-8")
    result = cli("score", only_new, "--version-map", tmp_path / "map.yaml")
    assert result.exit_code == 2 and "no response answers the older questionnaire" in (
        result.stderr
    )


def test_the_annual_sample_tells_its_story():
    from dtassess.resources import annual_sample_dir

    result = cli("score", annual_sample_dir(), "--by", "unit", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "withheld 1 group(s)" in result.stderr  # market regulation, two respondents in 2026
    doc = json.loads(result.stdout)
    assert doc["periods"] == ["2024", "2025", "2026"]
    overall = {(g["unit"], g["period"]): g["scores"]["overall"] for g in doc["groups"]}
    assert ("县市场监督管理局", "2026") not in overall
    assert ("县市场监督管理局", "2025") in overall
    health = [overall["县卫生健康局", p] for p in ("2025", "2026")]
    finance = [overall["县财政局", p] for p in ("2025", "2026")]
    assert all(s["change"] > 5 for s in health) and health[1]["trend"] > 10
    assert all(s["change"] < -5 for s in finance) and finance[1]["trend"] < -5
    latest = {u: s["score"] for (u, p), s in overall.items() if p == "2026"}
    assert max(latest, key=latest.get) == "县政务服务和数据管理局"


@pytest.mark.slow
def test_annual_report_across_versions_lists_what_it_left_out(tmp_path):
    answers = two_versions(tmp_path)
    out = tmp_path / "annual.html"
    result = cli("report", answers, "--annual", "--version-map", tmp_path / "map.yaml",
                 "--min-group-size", "1", "--resamples", "0", "--format", "html",
                 "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "比较时未纳入的题目" in html and "its score bands changed" in html
    assert "+50.0" in html  # the comparable change, not the raw one (+25)


@pytest.mark.slow
def test_annual_drivers_reach_back_to_the_older_version(tmp_path):
    """The questions that moved a unit compare 2025's answers (version 1.0, renamed to 2.0's
    ids) with 2026's; a question whose bands changed between the versions is left out."""
    import datetime as dt

    from dtassess.inputs.loading import load_periods
    from dtassess.reporting.annual import annual_models

    answers = two_versions(tmp_path)
    # a unit, so that the annual report has one to follow
    for path in answers.iterdir():
        text = path.read_text(encoding="utf-8").replace("answers:", "unit: 信息中心\nanswers:")
        path.write_text(text, encoding="utf-8")
    current, older = load_periods(
        [answers], tmp_path / "mini-v2.yaml", version_map=tmp_path / "map.yaml"
    )
    (model,) = annual_models(current, older, lang="en", date=dt.date(2026, 12, 5), min_group_size=1)
    moved = {q.id: q for entry in model.movers.up for q in entry.questions}
    assert "strategy.plan.maturity" in moved  # level 2 in 2025 (as quality), 4 in 2026
    assert moved["strategy.plan.maturity"].now > moved["strategy.plan.maturity"].before
    every = [q.id for e in model.movers.up + model.movers.down for q in e.questions]
    assert "security.budget" not in every  # its bands changed: not comparable


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (
            {"bands": [{"min": 0, "score": 0}, {"min": 5, "score": 1}]},
            {"scoring": "linear", "min": 0, "max": 10},
            "its score bands changed",
        ),
        (
            {"scoring": "linear", "min": 0, "max": 10},
            {"scoring": "linear", "min": 0, "max": 20},
            "the range it runs over changed",
        ),
        (
            {"scoring": "linear", "min": 0, "max": 10},
            {"scoring": "linear", "min": 0, "max": 10},
            None,
        ),
    ],
)
def test_a_number_scored_linearly_compares_only_on_the_same_line(old, new, why):
    from conftest import dimension, question, questionnaire_text

    from dtassess.inputs.questionnaire import check_questionnaire_text
    from dtassess.inputs.versions import _incompatible

    def number(fields):
        asked = question("d.n", "number", **fields)
        text = questionnaire_text("n", dimensions=[dimension("d", [asked])])
        q, problems = check_questionnaire_text(text)
        assert q is not None, problems
        return q.question("d.n")

    found = _incompatible(number(old), number(new))
    assert found is None if why is None else why in found
