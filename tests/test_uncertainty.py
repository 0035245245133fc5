"""Uncertainty and sensitivity (docs/scoring.md, section 9): intervals that cover a known truth,
replicates that are the engine's own scores on resampled and reweighted data, ranks, seeds."""

from __future__ import annotations

import importlib.util
from itertools import product

import numpy as np
import pandas as pd
import pytest
from conftest import MINI, ROOT, choice_question, dimension, level_question
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtassess.inputs.questionnaire import check_questionnaire_text, load_questionnaire
from dtassess.inputs.responses import ResponseSet
from dtassess.scoring.engine import GROUPINGS, compile_model
from dtassess.scoring.scores import score
from dtassess.scoring.uncertainty import (
    RESULT_COLUMNS,
    SOURCES,
    draw,
    format_interval,
    format_rank,
    interval_matters,
    intervals,
    prepare,
    replicate_means,
    reweighted,
    sensitivity,
)

_spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

GOV = load_questionnaire("gov-dt")
WORKED = load_questionnaire(ROOT / "tests" / "data" / "worked.yaml")
MINI_Q = load_questionnaire(MINI)


def synthetic(q, n: int, seed: int = 0, organizations: int = 6, units: int = 3) -> ResponseSet:
    answers = generate.synthetic_answers(q, n, seed=seed)
    meta = generate.synthetic_meta(n, seed=seed, organizations=organizations, units=units)
    return ResponseSet(q, meta, answers, pd.DataFrame())


def meta_frame(orgs, units=None, periods=None) -> pd.DataFrame:
    n = len(orgs)
    return pd.DataFrame(
        {
            "organization": list(orgs),
            "organization_name": list(orgs),
            "unit": list(units) if units is not None else [None] * n,
            "period": list(periods) if periods is not None else ["2026"] * n,
            "respondent": [f"r{i}" for i in range(n)],
            "role": [None] * n,
            "source": [f"f{i}" for i in range(n)],
        },
        dtype=object,
    )


def rows_of(table: pd.DataFrame, **where) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    return table[mask]


# ----------------------------------------------------------------------- agreement with the engine


@pytest.mark.slow
@pytest.mark.parametrize("by", ["unit", "organization"])
@pytest.mark.parametrize("q", [GOV, WORKED, MINI_Q], ids=["gov-dt", "worked", "mini"])
def test_point_estimate_is_the_engine_group_score(q, by):
    responses = synthetic(q, 500, seed=4)
    got = intervals(responses, by=by, resamples=20).table
    expected = score(responses, by=by).table
    assert list(got.columns) == [*GROUPINGS[by], *RESULT_COLUMNS]
    keys = [*GROUPINGS[by], "node"]
    pd.testing.assert_frame_equal(got[keys], expected[keys])  # same groups, same order
    np.testing.assert_allclose(got["score"], expected["score"], rtol=0, atol=1e-12)
    assert (got["respondents"].to_numpy() == expected["respondents"].to_numpy()).all()


@pytest.mark.slow
@pytest.mark.parametrize("q", [GOV, WORKED, MINI_Q], ids=["gov-dt", "worked", "mini"])
def test_each_replicate_is_the_engine_on_resampled_and_reweighted_responses(q):
    """Replicate by replicate: the vectorised group scores equal `dtassess.score` run on the
    respondents the bootstrap drew, under a questionnaire with the drawn weights."""
    responses = synthetic(q, 300, seed=7, organizations=5)
    setup = prepare(responses, "unit")
    counts, question, node = draw(setup, 0, 3, SOURCES, 0.3, 2024)
    means = replicate_means(setup, counts, question, node)  # nodes x replicates x groups
    model = compile_model(q)
    for b in range(3):
        factors = dict(zip([x.id for x in model.questions], question[b], strict=True))
        factors.update(zip(model.node_ids[1:], node[b, 1:], strict=True))
        rows = np.repeat(setup.rows, counts[b].astype(int))
        resampled = ResponseSet(
            reweighted(q, factors),
            responses.meta.iloc[rows].reset_index(drop=True),
            responses.answers.iloc[rows].reset_index(drop=True),
            pd.DataFrame(),
        )
        expected = score(resampled, by="unit").table
        np.testing.assert_allclose(means[:, b, :].T.reshape(-1), expected["score"], atol=1e-12)


def test_replicates_of_sums_are_the_engine_on_resampled_and_reweighted_responses():
    """A sum's range counts the children that apply: the replicates' tree keeps that rule."""
    text = (ROOT / "tests" / "data" / "worked.yaml").read_text(encoding="utf-8")
    for rule in ("geomean", "min"):
        text = text.replace(f"aggregate: {rule}", "aggregate: sum")
    text = text.replace("dimensions:\n", "aggregate: sum\ndimensions:\n", 1)
    q, problems = check_questionnaire_text(text, "sums.yaml")
    assert q is not None and compile_model(q).has_sum, problems
    responses = synthetic(q, 120, seed=3, organizations=3)
    setup = prepare(responses, "unit")
    counts, question, node = draw(setup, 0, 2, SOURCES, 0.3, 7)
    means = replicate_means(setup, counts, question, node)
    model = compile_model(q)
    for b in range(2):
        factors = dict(zip([x.id for x in model.questions], question[b], strict=True))
        factors.update(zip(model.node_ids[1:], node[b, 1:], strict=True))
        rows = np.repeat(setup.rows, counts[b].astype(int))
        resampled = ResponseSet(
            reweighted(q, factors),
            responses.meta.iloc[rows].reset_index(drop=True),
            responses.answers.iloc[rows].reset_index(drop=True),
            pd.DataFrame(),
        )
        expected = score(resampled, by="unit").table
        np.testing.assert_allclose(means[:, b, :].T.reshape(-1), expected["score"], atol=1e-12)


@pytest.mark.slow
def test_zero_spread_without_resampling_collapses_every_interval():
    responses = synthetic(WORKED, 300, seed=1)
    table = intervals(responses, by="unit", sources=["weights"], weight_spread=0.0).table
    scored = table["score"].notna()
    assert scored.any() and table.loc[~scored, ["low", "high"]].isna().all().all()
    for bound in ("low", "high"):
        np.testing.assert_allclose(table.loc[scored, bound], table.loc[scored, "score"], atol=1e-12)
    assert (table.loc[scored, "rank_low"] == table.loc[scored, "rank"]).all()
    assert (table.loc[scored, "rank_high"] == table.loc[scored, "rank"]).all()


@pytest.mark.slow
def test_weight_perturbation_widens_intervals():
    responses = synthetic(GOV, 600, seed=2, organizations=8, units=2)
    width = {}
    for name, sources in {"respondents": ["respondents"], "weights": ["weights"]}.items():
        table = intervals(responses, by="unit", resamples=300, sources=sources).table
        width[name] = (table["high"] - table["low"]).to_numpy()
    both = intervals(responses, by="unit", resamples=300).table
    width["both"] = (both["high"] - both["low"]).to_numpy()
    assert width["weights"].mean() > 0.1  # weights alone move the scores
    assert width["both"].mean() > width["respondents"].mean()
    wider = intervals(responses, by="unit", resamples=300, weight_spread=0.5).table
    assert (wider["high"] - wider["low"]).mean() > width["both"].mean()


# ----------------------------------------------------------------------- coverage of a known truth

# Each question: its option scores, and each unit's probabilities of choosing each option.
QUESTIONS = {
    "a.one": (1, [0.0, 0.5, 1.0], [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]),
    "a.two": (3, [0.0, 0.25, 1.0], [[0.3, 0.3, 0.4], [0.5, 0.4, 0.1], [0.05, 0.15, 0.8]]),
    "b.one": (1, [0.0, 0.5, 1.0], [[0.1, 0.6, 0.3], [0.4, 0.4, 0.2], [0.2, 0.2, 0.6]]),
    "b.two": (1, [0.0, 1.0], [[0.3, 0.7], [0.5, 0.5], [0.1, 0.9]]),
}


def truth_questionnaire(make_questionnaire):
    def questions(prefix: str) -> list[dict]:
        return [
            choice_question(qid, {f"o{i}": s for i, s in enumerate(scores)}, weight=weight)
            for qid, (weight, scores, _) in QUESTIONS.items()
            if qid.startswith(prefix)
        ]

    a = dimension("a", questions("a."), weight=2)
    b = dimension("b", questions("b."), aggregate="min")
    return load_questionnaire(make_questionnaire("truth.yaml", qid="truth", levels=(0, 50),
                                                 dimensions=[a, b]))  # fmt: skip


def true_scores(unit: int) -> dict[str, float]:
    """Each node's expected respondent score (0-100) in a unit: the truth the group mean
    estimates. Answers are independent, so the expectation of min(b.one, b.two) is a sum over
    pairs of options, and means are linear."""
    mean = {
        qid: float(np.dot(scores, probs[unit])) for qid, (_, scores, probs) in QUESTIONS.items()
    }
    a = (1 * mean["a.one"] + 3 * mean["a.two"]) / 4
    _, s1, p1 = QUESTIONS["b.one"]
    _, s2, p2 = QUESTIONS["b.two"]
    b = sum(
        p1[unit][i] * p2[unit][j] * min(s1[i], s2[j])
        for i, j in product(range(len(s1)), range(len(s2)))
    )
    return {"a": 100 * a, "b": 100 * b, "overall": 100 * (2 * a + b) / 3}


@pytest.mark.slow
def test_90_percent_intervals_cover_the_truth_in_about_90_percent_of_trials(make_questionnaire):
    q = truth_questionnaire(make_questionnaire)
    units, size, trials = 3, 40, 200
    truth = {u: true_scores(u) for u in range(units)}
    hits = {node: 0 for node in ("overall", "a", "b")}
    for trial in range(trials):
        rng = np.random.default_rng([2026, trial])
        answers = pd.DataFrame(
            {
                qid: np.concatenate(
                    [
                        rng.choice([f"o{i}" for i in range(len(scores))], size=size, p=probs[u])
                        for u in range(units)
                    ]
                ).astype(object)
                for qid, (_, scores, probs) in QUESTIONS.items()
            }
        )
        meta = meta_frame([f"unit{u}" for u in range(units) for _ in range(size)])
        table = intervals(
            ResponseSet(q, meta, answers, pd.DataFrame()),
            resamples=500,
            level=0.90,
            sources=["respondents"],
            seed=trial,
        ).table
        for row in table.itertuples():
            t = truth[int(row.organization[-1])][row.node]
            hits[row.node] += row.low <= t <= row.high
    rates = {node: count / (units * trials) for node, count in hits.items()}
    for node, rate in rates.items():
        assert 0.84 <= rate <= 0.96, (node, rates)
    assert 0.86 <= sum(hits.values()) / (3 * units * trials) <= 0.94, rates


# --------------------------------------------------------------------------- seeds


@pytest.mark.slow
def test_same_seed_same_table_and_another_seed_another():
    responses = synthetic(GOV, 400, seed=3)
    first = intervals(responses, by="unit", resamples=100, seed=11)
    again = intervals(responses, by="unit", resamples=100, seed=11)
    pd.testing.assert_frame_equal(first.table, again.table, check_exact=True)
    assert (first.seed, first.resamples, first.weight_spread) == (11, 100, 0.2)
    other = intervals(responses, by="unit", resamples=100, seed=12).table
    named = intervals(responses, by="unit", resamples=100, seed=11, sources="respondents")
    assert named.sources == ("respondents",) and named.weight_spread == 0.0
    assert not np.allclose(first.table["low"], other["low"], equal_nan=True)


def test_no_seed_records_the_one_drawn():
    responses = synthetic(MINI_Q, 200, seed=3)
    fresh = intervals(responses, resamples=50, seed=None)
    again = intervals(responses, resamples=50, seed=fresh.seed)
    pd.testing.assert_frame_equal(fresh.table, again.table, check_exact=True)


def test_sources_draw_from_their_own_streams():
    """Respondents alone and both sources draw the same bootstrap: with spread 0 they agree."""
    responses = synthetic(WORKED, 300, seed=5)
    alone = intervals(responses, resamples=80, sources=["respondents"], seed=3).table
    both = intervals(responses, resamples=80, weight_spread=0.0, seed=3).table
    np.testing.assert_allclose(both["low"], alone["low"], atol=1e-9)
    np.testing.assert_allclose(both["high"], alone["high"], atol=1e-9)


# --------------------------------------------------------------------------- ranks


@pytest.fixture
def ranked_q(make_questionnaire):
    two = dimension("d", [level_question("d.q1"), level_question("d.q2")])
    return load_questionnaire(make_questionnaire("rank.yaml", qid="rank", dimensions=[two]))


def level_answers(levels: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(levels, columns=["d.q1", "d.q2"], dtype=object)


def test_clearly_separated_units_have_distinct_ranks_and_twins_do_not(ranked_q):
    rng = np.random.default_rng(0)
    groups = {
        "high": rng.integers(4, 6, size=(30, 2)),  # levels 4-5
        "twin1": rng.integers(2, 5, size=(30, 2)),  # levels 2-4
        "twin2": rng.integers(2, 5, size=(30, 2)),
        "low": rng.integers(1, 2, size=(30, 2)),  # level 1
    }
    answers = level_answers([tuple(int(v) for v in row) for g in groups.values() for row in g])
    meta = meta_frame([name for name, g in groups.items() for _ in g])
    table = intervals(ResponseSet(ranked_q, meta, answers, pd.DataFrame()), seed=1).table
    overall = rows_of(table, node="overall").set_index("organization")
    assert overall.loc["high", ["rank", "rank_low", "rank_high"]].tolist() == [1, 1, 1]
    assert overall.loc["low", ["rank", "rank_low", "rank_high"]].tolist() == [4, 4, 4]
    assert overall.loc["high", "rank_distinct"] and overall.loc["low", "rank_distinct"]
    assert not overall.loc["twin1", "rank_distinct"] and not overall.loc["twin2", "rank_distinct"]
    assert sorted(overall.loc[["twin1", "twin2"], "rank"]) == [2, 3]
    for twin in ("twin1", "twin2"):
        assert overall.loc[twin, "rank_low"] == 2 and overall.loc[twin, "rank_high"] == 3
    assert (overall["ranked"] == 4).all()


def test_identical_units_share_a_rank_and_are_not_distinct(ranked_q):
    rows = [(3, 4), (2, 5), (4, 4)]
    answers = level_answers(rows * 2 + [(1, 1)])
    meta = meta_frame(["x"] * 3 + ["y"] * 3 + ["z"])
    table = intervals(ResponseSet(ranked_q, meta, answers, pd.DataFrame())).table
    overall = rows_of(table, node="overall").set_index("organization")
    assert overall.loc[["x", "y", "z"], "rank"].tolist() == [1, 1, 3]  # competition ranks
    assert not overall.loc["x", "rank_distinct"] and not overall.loc["y", "rank_distinct"]


def test_ranks_are_within_each_period(ranked_q):
    rows = [(5, 5), (4, 5), (1, 1), (1, 2), (3, 3), (3, 2)]
    answers = level_answers(rows * 2)
    orgs = ["a", "a", "b", "b", "c", "c"] * 2
    periods = ["2025"] * 6 + ["2026"] * 6
    meta = meta_frame(orgs, periods=periods)
    table = intervals(ResponseSet(ranked_q, meta, answers, pd.DataFrame()), resamples=50).table
    overall = rows_of(table, node="overall")
    for period in ("2025", "2026"):
        ranked = rows_of(overall, period=period).set_index("organization")
        assert ranked["rank"].tolist() == [1, 3, 2]
        assert (ranked["ranked"] == 3).all()
    assert overall["rank"].max() == 3


def test_a_group_of_one_has_an_interval_from_the_weights_alone(ranked_q):
    answers = level_answers([(1, 5), (2, 3), (4, 4), (3, 3)])
    meta = meta_frame(["solo", "many", "many", "many"])
    responses = ResponseSet(ranked_q, meta, answers, pd.DataFrame())
    both = rows_of(intervals(responses).table, organization="solo", node="d").iloc[0]
    assert both["low"] < both["score"] < both["high"]  # 0 and 100 weighted by 0.8-1.2 each
    assert both["score"] == 50
    # the weights give (0·f1 + 100·f2) / (f1 + f2), f uniform on [0.8, 1.2]: at most 60
    assert both["low"] >= 40 and both["high"] <= 60
    alone = intervals(responses, sources=["respondents"]).table
    solo = rows_of(alone, organization="solo", node="d").iloc[0]
    assert solo["low"] == solo["score"] == solo["high"]  # the bootstrap of one is itself
    assert solo["replicates"] == 1000


def test_nodes_without_scores_get_no_interval_and_no_rank():
    # mini: security.budget and security.tools; strategy's only scored question is hidden
    # unless strategy.plan.exists is yes
    answers = pd.DataFrame(
        {
            "strategy.plan.exists": ["no", "no", "yes", "yes", "yes", "no"],
            "strategy.plan.quality": [None, None, 3, 4, 5, None],
            "security.budget": [3, 12, 6, 8, "na", 11],
            "security.tools": [("mfa",), ("mfa", "backup"), ("none",), None, ("backup",), None],
        },
        dtype=object,
    )
    meta = meta_frame(["empty", "empty", "full", "full", "full", "partial"])
    table = intervals(ResponseSet(MINI_Q, meta, answers, pd.DataFrame()), resamples=200).table
    empty = rows_of(table, organization="empty", node="strategy").iloc[0]
    assert np.isnan(empty["score"]) and np.isnan(empty["low"]) and np.isnan(empty["high"])
    assert empty["replicates"] == 0 and pd.isna(empty["rank"]) and not empty["rank_distinct"]
    full = rows_of(table, organization="full", node="strategy").iloc[0]
    assert full["rank"] == 1 and full["ranked"] == 1 and full["rank_distinct"]  # alone
    # the other nodes rank all three groups
    assert (rows_of(table, node="security")["ranked"] == 3).all()


def test_replicates_without_a_score_are_left_out():
    # one of five respondents answers strategy: a bootstrap draw misses them with
    # probability (4/5)^5, so about a third of the replicates have no strategy score
    answers = pd.DataFrame(
        {
            "strategy.plan.exists": ["yes", "no", "no", "no", "no"],
            "strategy.plan.quality": [4, None, None, None, None],
            "security.budget": [3, 12, 6, 8, 1],
        },
        dtype=object,
    )
    meta = meta_frame(["o"] * 5)
    table = intervals(ResponseSet(MINI_Q, meta, answers, pd.DataFrame()), seed=5).table
    row = rows_of(table, node="strategy").iloc[0]
    assert 600 < row["replicates"] < 740  # 1000 · (1 - 0.8^5) = 672
    assert row["low"] == pytest.approx(75) and row["high"] == pytest.approx(75)
    assert row["score"] == 75


def test_small_groups_are_withheld_before_anything_is_drawn(ranked_q):
    answers = level_answers([(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)])
    meta = meta_frame(["a", "a", "a", "b", "b"])
    result = intervals(ResponseSet(ranked_q, meta, answers, pd.DataFrame()), min_group_size=3)
    assert set(result.table["organization"]) == {"a"} and result.withheld == 1
    assert (result.table["ranked"] == 1).all()
    nothing = intervals(ResponseSet(ranked_q, meta, answers, pd.DataFrame()), min_group_size=9)
    assert nothing.table.empty and nothing.withheld == 2
    assert list(nothing.table.columns) == ["organization", "period", *RESULT_COLUMNS]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"by": "respondent"},
        {"resamples": 1},
        {"resamples": 10.5},
        {"level": 1.0},
        {"level": 0},
        {"weight_spread": 1.0},
        {"weight_spread": -0.1},
        {"sources": []},
        {"sources": ["answers"]},
    ],
)
def test_bad_arguments_say_what_is_expected(kwargs):
    responses = synthetic(MINI_Q, 10)
    with pytest.raises(ValueError, match="must"):
        intervals(responses, **kwargs)


# --------------------------------------------------------------------------- invariants


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 60),  # respondents, spread over up to `organizations` groups
    seed=st.integers(0, 2**16),
    organizations=st.integers(1, 6),
    spread=st.sampled_from([0.0, 0.1, 0.3]),
    sources=st.sampled_from([["respondents"], ["weights"], SOURCES]),
)
def test_intervals_are_ordered_and_ranks_stay_in_range(n, seed, organizations, spread, sources):
    responses = synthetic(WORKED, n, seed=seed, organizations=organizations, units=1)
    table = intervals(
        responses, resamples=200, weight_spread=spread, sources=sources, seed=seed
    ).table
    scored = table["score"].notna().to_numpy()
    assert table.loc[~scored, ["low", "high"]].isna().all().all()
    s, low, high = (table.loc[scored, c].to_numpy() for c in ("score", "low", "high"))
    assert (low <= high).all() and ((low >= -1e-9) & (high <= 100 + 1e-9)).all()
    if sources == ["respondents"]:
        # a bootstrap of means holds its point; perturbed weights need not (docs/scoring.md 9)
        assert (low <= s + 1e-9).all() and (s <= high + 1e-9).all()
    ranks = table.loc[scored, ["rank", "rank_low", "rank_high", "ranked"]].astype(int)
    assert (ranks["rank"] >= 1).all() and (ranks["rank"] <= ranks["ranked"]).all()
    assert (ranks["rank_low"] >= 1).all() and (ranks["rank_high"] <= ranks["ranked"]).all()
    assert (ranks["rank_low"] <= ranks["rank_high"]).all()
    assert table.loc[~scored, "rank"].isna().all()


# --------------------------------------------------------------------------- showing intervals


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((62.4, 58.2, 66.49), "62 (58–66)"),
        ((62.4, 58.2, 66.5, 1), "62.4 (58.2–66.5)"),
        ((62.4,), "62"),
        ((62.4, float("nan"), float("nan")), "62"),
        ((float("nan"), 1.0, 2.0), "—"),
        ((None,), "—"),
    ],
)
def test_format_interval(args, text):
    assert format_interval(*args) == text


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((3, 2, 5, 12, True), "3 of 12 (2–5)"),
        ((3, 3, 3, 12, True), "3 of 12"),
        ((3, 2, 5, 12, False), "3 of 12 (2–5) *"),
        ((pd.NA, pd.NA, pd.NA, pd.NA, False), "—"),
    ],
)
def test_format_rank(args, text):
    assert format_rank(*args) == text


def test_interval_matters_when_wide_or_across_a_level():
    # mini's levels start at 0, 20, 40, 60, 80 on 0-100
    score = [50.0, 50.0, 59.0, 59.6, 50.0, np.nan]
    low = [48.0, 45.0, 58.0, 59.6, 47.6, np.nan]
    high = [52.0, 55.0, 61.0, 60.2, 52.6, np.nan]
    got = interval_matters(MINI_Q, score, low, high).tolist()
    # narrow; 10 wide; crosses 60; crosses 60 but both show as 60; 5 wide; no score
    assert got == [False, True, True, False, True, False]


def test_labelled_table_shows_intervals_where_they_matter():
    result = intervals(synthetic(GOV, 200, seed=8, organizations=4, units=1), resamples=100)
    labelled = result.labelled()
    row = labelled.iloc[0]
    assert row["score_text"] == format_interval(row["score"], row["low"], row["high"])
    assert row["rank_text"].startswith(f"{row['rank']} of {row['ranked']}")


# ------------------------------------------------------------------------ sensitivity, reweighting


@pytest.mark.slow
def test_sensitivity_says_which_source_matters():
    responses = synthetic(GOV, 400, seed=9, organizations=5, units=1)
    table = sensitivity(responses, resamples=100, weight_spread=0.0)
    model = compile_model(GOV)
    assert list(table["node"].unique()) == list(model.node_ids)
    assert set(table["sources"]) == {"respondents", "weights", "both"}
    weights = table[table["sources"] == "weights"]
    assert (weights["max_width"] < 1e-9).all()  # no spread: weights alone move nothing
    both = table[table["sources"] == "both"].set_index("node")["mean_width"]
    alone = table[table["sources"] == "respondents"].set_index("node")["mean_width"]
    np.testing.assert_allclose(both, alone, atol=1e-9)


@pytest.mark.slow
def test_reweighting_by_one_changes_nothing_and_scaling_all_weights_changes_nothing():
    responses = synthetic(WORKED, 100, seed=1)
    before = score(responses).table["score"]
    ids = [x.id for x in WORKED.questions] + list(compile_model(WORKED).node_ids[1:])
    for factor in (1.0, 3.0):
        q = reweighted(WORKED, dict.fromkeys(ids, factor))
        again = ResponseSet(q, responses.meta, responses.answers, pd.DataFrame())
        np.testing.assert_allclose(score(again).table["score"], before, atol=1e-12)
    heavier = reweighted(WORKED, {"plan": 10.0})
    assert heavier.node("plan").weight == 30.0 and WORKED.node("plan").weight == 3.0
