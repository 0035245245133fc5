"""Group statistics: mean and median, rWG(J) agreement, Cronbach's alpha, small-group withholding.

The expected numbers are worked out by hand below (docs/scoring.md, section 6). Every question
of the fixture is a five-level question, so its 0-1 scores are u/4 for u = level - 1 in 0..4:
a variance of u is a variance of scores times 16, and the uniform null variance of five evenly
spaced options is (5 + 1) / (12 * 4) = 1/8.
"""

from __future__ import annotations

import json
import warnings
from importlib.resources import files
from itertools import pairwise
from unittest import mock

import jsonschema
import numpy as np
import pandas as pd
import pytest
from conftest import cli, dimension, level_question, questionnaire_text
from hypothesis import given, settings
from hypothesis import strategies as st

import dtassess
from dtassess.inputs.questionnaire import check_questionnaire_text, load_questionnaire
from dtassess.inputs.responses import ResponseSet
from dtassess.scoring import engine, grouped
from dtassess.scoring.grouped import GroupMoments, group_medians
from dtassess.scoring.scores import score

SCHEMA = json.loads(files("dtassess").joinpath("schemas/scores.schema.json").read_text("utf-8"))

QUESTIONNAIRE = questionnaire_text(
    "agree", dimensions=[dimension("d", [level_question(f"d.q{n}") for n in (1, 2, 3)])]
)

# Levels per respondent and question (None: unanswered), one list per organisation.
GROUPS = {
    # hand-worked below
    "x": [(3, 3, 4), (4, 4, 4), (2, 3, 3), (3, None, 3)],
    # everyone gives the same answers: perfect agreement, no variance at all
    "y": [(2, 4, 5), (2, 4, 5), (2, 4, 5)],
    # each level once per question (uniform-like), q2 reversed: no agreement, no consistency
    "z": [(1, 5, 1), (2, 4, 2), (3, 3, 3), (4, 2, 4), (5, 1, 5)],
    # three respondents, but only two answer every question
    "w": [(1, 2, 3), (2, 2, 3), (3, None, 3)],
    # too few to publish under the CLI's default --min-group-size 3
    "small": [(1, 1, 1), (5, 5, 5)],
}


@pytest.fixture
def fixture(write):
    q = write("agree.yaml", QUESTIONNAIRE)
    for org, rows in GROUPS.items():
        for i, levels in enumerate(rows):
            answers = "".join(
                f"  d.q{n}: {v}\n" for n, v in enumerate(levels, start=1) if v is not None
            )
            write(
                f"r/{org}/{i}.yaml",
                f"questionnaire: agree@1.0\norganization: {org}\nrespondent: {org}{i}\n"
                f'period: "2026"\nanswers:\n{answers}',
            )
    return q, q.parent / "r"


def node(result, org: str, node_id: str = "d") -> dict:
    table = result.table
    row = table[(table["organization"] == org) & (table["node"] == node_id)]
    assert len(row) == 1
    return row.iloc[0].to_dict()


def test_rwg_and_alpha_by_hand(fixture):
    q, responses = fixture
    result = score(dtassess.load_responses([responses], q))
    x = node(result, "x")
    # rWG(J), over the respondents who answered each question (ddof 1), in u:
    #   q1: 2, 3, 1, 2  mean 2    SS 0+1+1+0 = 2          var 2/3 -> scores 2/48 = 1/24
    #   q2: 2, 3, 2     mean 7/3  SS 1/9+4/9+1/9 = 2/3    var 1/3 -> scores 1/48
    #   q3: 3, 3, 2, 2  mean 5/2  SS 4 * 1/4 = 1          var 1/3 -> scores 1/48
    #   s2 = (2/48 + 1/48 + 1/48) / 3 = 1/36;  sigma2_EU = 1/8
    #   r = 1 - (1/36) / (1/8) = 7/9;  rWG(3) = 3*(7/9) / (3*(7/9) + 2/9) = 21/23
    assert x["rwg"] == pytest.approx(21 / 23)
    assert x["rwg"] == pytest.approx(0.9130434783)
    # alpha over the complete cases R1, R2, R3 (R4 skipped q2), k = 3, in u:
    #   q1: 2, 3, 1 var 1;  q2: 2, 3, 2 var 1/3;  q3: 3, 3, 2 var 1/3  -> sum 5/3
    #   totals 2+2+3 = 7, 3+3+3 = 9, 1+2+2 = 5: mean 7, SS 0 + 4 + 4 = 8, var 4
    #   alpha = 3/2 * (1 - (5/3) / 4) = 3/2 * 7/12 = 7/8
    assert x["alpha"] == pytest.approx(7 / 8)
    assert x["alpha"] == pytest.approx(0.875)
    assert not x["low_agreement"] and not x["low_consistency"]
    # overall has the same three questions
    overall = node(result, "x", "overall")
    assert overall["rwg"] == pytest.approx(21 / 23) and overall["alpha"] == pytest.approx(7 / 8)
    # mean and median of the respondents' scores of d (0-100):
    #   R1 (50+50+75)/3 = 58.33, R2 75, R3 (25+50+50)/3 = 41.67, R4 (50+50)/2 = 50
    assert x["mean"] == pytest.approx((175 / 3 + 75 + 125 / 3 + 50) / 4)
    assert x["median"] == pytest.approx((175 / 3 + 50) / 2)
    assert x["score"] == x["mean"]


def test_perfect_agreement_gives_rwg_1_and_no_alpha(fixture):
    q, responses = fixture
    y = node(score(dtassess.load_responses([responses], q)), "y")
    assert y["rwg"] == 1.0 and not y["low_agreement"]
    assert np.isnan(y["alpha"]) and not y["low_consistency"]  # zero total variance


def test_uniform_disagreement_gives_low_rwg_and_is_flagged(fixture):
    q, responses = fixture
    z = node(score(dtassess.load_responses([responses], q)), "z")
    # each question's u are 0..4: var 5/2 -> scores 5/32 > 1/8, so r = 1 - 5/4 clamps to 0
    assert z["rwg"] == 0.0 and z["low_agreement"]
    # q1 = q3 = u, q2 = 4 - u: totals 4 + u, var 5/2; sum of item variances 15/2
    #   alpha = 3/2 * (1 - 3) = -3
    assert z["alpha"] == pytest.approx(-3.0) and z["low_consistency"]


def test_alpha_needs_three_complete_cases(fixture):
    q, responses = fixture
    w = node(score(dtassess.load_responses([responses], q)), "w")
    assert np.isnan(w["alpha"]) and not w["low_consistency"]
    # rWG still uses every respondent per question: q1 u 0,1,2 var 1 -> 1/16; q2 u 1,1 var 0;
    #   q3 u 2,2,2 var 0; s2 = (1/16) / 3 = 1/48; r = 1 - (1/48) / (1/8) = 5/6
    #   rWG(3) = 3*(5/6) / (3*(5/6) + 1/6) = 15/16
    assert w["rwg"] == pytest.approx(15 / 16)


def test_by_respondent_has_no_group_statistics(fixture):
    q, responses = fixture
    table = score(dtassess.load_responses([responses], q), by="respondent").table
    assert table["rwg"].isna().all() and table["alpha"].isna().all()
    assert not table["low_agreement"].any() and not table["low_consistency"].any()
    pd.testing.assert_series_equal(table["mean"], table["score"], check_names=False)
    pd.testing.assert_series_equal(table["median"], table["score"], check_names=False)


def test_api_withholds_nothing_unless_asked(fixture):
    q, responses = fixture
    loaded = dtassess.load_responses([responses], q)
    everything = score(loaded)
    assert set(everything.table["organization"]) == set(GROUPS) and everything.withheld == 0
    some = score(loaded, min_group_size=4)
    assert set(some.table["organization"]) == {"x", "z"} and some.withheld == 3
    assert len(score(loaded, by="respondent", min_group_size=4).table) == 17 * 2


def test_cli_withholds_small_groups_and_says_why(fixture):
    q, responses = fixture
    result = cli("score", responses, "-q", q, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "withheld 1 group(s) with fewer than 3 respondents" in result.stderr
    assert "identify individual respondents" in result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert sorted(g["organization"] for g in doc["groups"]) == ["w", "x", "y", "z"]
    d = next(g for g in doc["groups"] if g["organization"] == "x")["scores"]["d"]
    assert d["rwg"] == pytest.approx(21 / 23, abs=1e-15) and d["rwg"] != round(d["rwg"], 4)
    assert d["alpha"] == pytest.approx(0.875, abs=1e-15) and d["flags"] == []
    z = next(g for g in doc["groups"] if g["organization"] == "z")["scores"]["d"]
    assert z["flags"] == ["low_agreement", "low_consistency"]

    shown = cli("score", responses, "-q", q, "--format", "json", "--min-group-size", "1")
    assert "withheld" not in shown.stderr
    assert len(json.loads(shown.stdout)["groups"]) == 5
    people = cli("score", responses, "-q", q, "--format", "json", "--by", "respondent")
    assert "withheld" not in people.stderr
    doc = json.loads(people.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert len(doc["groups"]) == 17
    assert cli("score", responses, "-q", q, "--min-group-size", "0").exit_code == 2


@pytest.mark.slow
def test_csv_and_table_show_the_statistics(fixture, tmp_path):
    q, responses = fixture
    import csv
    import io

    out = cli("score", responses, "-q", q, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    x = next(r for r in rows if r["organization"] == "x" and r["node"] == "d")
    assert float(x["rwg"]) == pytest.approx(21 / 23, abs=1e-15) and len(x["rwg"]) > 12
    assert (float(x["alpha"]), x["low_consistency"]) == (pytest.approx(0.875), "False")
    z = next(r for r in rows if r["organization"] == "z" and r["node"] == "d")
    assert (float(z["rwg"]), float(z["alpha"]), z["low_agreement"]) == (0, -3, "True")
    parquet = tmp_path / "s.parquet"
    assert cli("score", responses, "-q", q, "--format", "parquet", "-o", parquet).exit_code == 0
    frame = pd.read_parquet(parquet)
    assert frame["low_agreement"].dtype == bool and frame["rwg"].dtype == float
    table = cli("score", responses, "-q", q, "--lang", "en")
    assert "! low agreement among respondents (rWG < 0.70)" in table.stdout


# --------------------------------------------------------------------------- against a loop


def _reference(scores: pd.DataFrame, groups: pd.Series, null: float):
    """rWG(J) and alpha of one node by a plain loop over groups, straight from the formulas."""
    out = {}
    for key, frame in scores.groupby(groups):
        variances = [frame[c].dropna().var(ddof=1) for c in frame if frame[c].count() >= 2]
        rwg = np.nan
        if variances and len(frame) >= 2:
            r = min(1.0, max(0.0, 1 - np.mean(variances) / null))
            rwg = len(variances) * r / (len(variances) * r + 1 - r)
        complete = frame.dropna()
        alpha = np.nan
        total = complete.sum(axis=1).var(ddof=1) if len(complete) >= 3 else 0.0
        if len(complete) >= 3 and total > 1e-12:
            k = frame.shape[1]
            alpha = k / (k - 1) * (1 - complete.var(ddof=1).sum() / total)
        out[key] = (rwg, alpha)
    return out


def test_vectorised_statistics_equal_a_loop_over_groups(write):
    q = load_questionnaire(write("agree.yaml", QUESTIONNAIRE))
    rng = np.random.default_rng(7)
    n = 400
    levels = rng.integers(1, 6, size=(n, 3)).astype(object)
    levels[rng.random((n, 3)) < 0.15] = None
    answers = pd.DataFrame(levels, columns=["d.q1", "d.q2", "d.q3"])
    orgs = rng.choice([f"o{i}" for i in range(25)], size=n)
    result = score(_by_organization(q, answers, orgs))
    _assert_reference_agreement(result, answers, orgs, 1e-12)


def _by_organization(q, answers: pd.DataFrame, orgs: np.ndarray) -> ResponseSet:
    """The answers as responses of the organizations `orgs`, one row each."""
    n = len(answers)
    meta = pd.DataFrame(
        {
            "organization": orgs,
            "organization_name": orgs,
            "unit": [None] * n,
            "period": ["2026"] * n,
            "respondent": [f"r{i}" for i in range(n)],
            "role": [None] * n,
            "source": [f"f{i}" for i in range(n)],
        },
        dtype=object,
    )
    return ResponseSet(q, meta, answers, pd.DataFrame())


def _assert_reference_agreement(result, answers: pd.DataFrame, orgs, tolerance: float) -> None:
    """rWG and alpha of node d as `_reference` computes them, group by group."""
    scores01 = answers.apply(lambda c: pd.to_numeric(c).sub(1).div(4))
    expected = _reference(scores01, pd.Series(orgs), 1 / 8)
    table = result.table[result.table["node"] == "d"].set_index("organization")
    for org, (rwg, alpha) in expected.items():
        np.testing.assert_allclose(table.loc[org, "rwg"], rwg, rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(table.loc[org, "alpha"], alpha, rtol=tolerance, atol=tolerance)


# --------------------------------------------------------------------------- block by block
# `score` sums the group statistics block by block over respondents sorted by group (and,
# with threadpoolctl, in two threads); each is checked here against its formula per group,
# with blocks small enough to split groups and every NaN a respondent without a score.

SCORES = st.one_of(st.floats(-1e3, 1e3), st.just(np.nan), st.sampled_from([0.0, 0.25, 1 / 3]))
AGREE, _ = check_questionnaire_text(QUESTIONNAIRE, "agree.yaml")


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_group_moments_block_by_block_equal_the_formulas(data):
    sizes = data.draw(st.lists(st.integers(1, 9), min_size=1, max_size=6), label="sizes")
    groups, n, width = len(sizes), sum(sizes), 3
    values = np.array(
        data.draw(st.lists(SCORES, min_size=width * n, max_size=width * n), label="values")
    ).reshape(width, n)
    block = data.draw(st.integers(1, n), label="block")
    split = data.draw(st.integers(0, n), label="second accumulator from row")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    labels = np.repeat(np.arange(groups), sizes)
    parts = [GroupMoments(groups, width), GroupMoments(groups, width)]
    for begin, end in ((0, split), (split, n)):
        for start in range(begin, end, block):
            stop = min(start + block, end)
            first, last = labels[start], labels[stop - 1]
            starts = np.maximum(bounds[first : last + 1] - start, 0)
            chunk = values[:, start:stop]
            parts[begin > 0].add(first, starts, chunk, ~np.isnan(chunk))
    moments = parts[0]
    moments.merge(parts[1])
    for g in range(groups):
        part = values[:, bounds[g] : bounds[g + 1]]
        count = (~np.isnan(part)).sum(axis=1)
        assert (moments.count[:, g] == count).all()
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(part, axis=1)
            variance = np.where(count >= 2, np.nanvar(part, axis=1, ddof=1), np.nan)
        np.testing.assert_allclose(moments.means()[g], mean, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(moments.variances()[g], variance, rtol=1e-9, atol=1e-9)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_group_medians_are_the_exact_medians(data):
    sizes = data.draw(st.lists(st.integers(1, 12), min_size=1, max_size=6), label="sizes")
    n, width = sum(sizes), 4
    values = np.asfortranarray(
        np.array(data.draw(st.lists(SCORES, min_size=n * width, max_size=n * width))).reshape(
            n, width
        )
    )
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    counts = np.array([(~np.isnan(values[a:b])).sum(axis=0) for a, b in pairwise(bounds)])
    got = group_medians(values, bounds, counts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN groups
        expected = np.array([np.nanmedian(values[a:b], axis=0) for a, b in pairwise(bounds)])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_rwg_and_alpha_block_by_block_equal_a_loop_over_groups(data):
    q = AGREE
    n = data.draw(st.integers(1, 60), label="respondents")
    cell = st.one_of(st.integers(1, 5), st.none(), st.none())
    levels = np.array(data.draw(st.lists(cell, min_size=3 * n, max_size=3 * n)), dtype=object)
    answers = pd.DataFrame(levels.reshape(n, 3), columns=["d.q1", "d.q2", "d.q3"])
    orgs = np.array(data.draw(st.lists(st.sampled_from("abcde"), min_size=n, max_size=n)))
    block = data.draw(st.integers(1, 8), label="block rows")
    # many groups: each question's scores summed per group instead of counted per answer
    counted = data.draw(st.booleans(), label="counted")
    with (
        mock.patch.object(engine, "BLOCK_ROWS", block),
        mock.patch.object(grouped, "_too_many_cells", lambda *_: not counted),
    ):
        result = score(_by_organization(q, answers, orgs))
    _assert_reference_agreement(result, answers, orgs, 1e-9)
