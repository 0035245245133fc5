"""The scoring engine: each formula, the worked example of docs/scoring.md, and invariants."""

from __future__ import annotations

import re
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, MINI, ROOT, choice_question, dimension, questionnaire_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtassess.errors import DtassessError
from dtassess.inputs.conditions import NA
from dtassess.inputs.questionnaire import (
    Questionnaire,
    check_questionnaire_text,
    load_questionnaire,
)
from dtassess.inputs.responses import ResponseSet, load_responses
from dtassess.scoring import engine
from dtassess.scoring.engine import (
    AGREEMENT_MIN,
    CONSISTENCY_MIN,
    GROUPINGS,
    STAT_COLUMNS,
    STATISTICS,
    agreement,
    compile_model,
    group_scores,
    levels_of,
    score_respondents,
)
from dtassess.scoring.scores import score

WORKED = load_questionnaire(DATA / "worked.yaml")
MINI_Q = load_questionnaire(MINI)
GOV = load_questionnaire("gov-dt")


def frame(q: Questionnaire, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {x.id: pd.Series([r.get(x.id) for r in rows], dtype=object) for x in q.questions}
    )


def scores_of(q: Questionnaire, rows: list[dict]) -> pd.DataFrame:
    return score_respondents(q, frame(q, rows)).score


# --------------------------------------------------------------------------- the worked example


def worked_table() -> list[dict]:
    text = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    block = re.search(r"worked-example:start -->\n(.*?)<!-- worked-example:end", text, re.S)
    assert block, "docs/scoring.md lost its worked-example table"
    rows = []
    for line in block.group(1).strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        group, node, value, level, coverage, n, sd = cells
        rows.append(
            {
                "group": group,
                "node": node,
                "score": float(value),
                "level": int(level),
                "coverage": float(coverage),
                "n": int(n),
                "sd": float(sd) if sd else None,
            }
        )
    return rows


def test_worked_example_number_by_number():
    responses = load_responses([DATA / "worked"], WORKED)
    by_respondent = score(responses, by="respondent").table
    by_org = score(responses, by="organization").table
    expected = worked_table()
    assert len(expected) == 12
    for row in expected:
        if row["group"] == "demo":
            got = by_org[by_org["node"] == row["node"]].iloc[0]
        else:
            sel = (by_respondent["respondent"] == row["group"]) & (
                by_respondent["node"] == row["node"]
            )
            got = by_respondent[sel].iloc[0]
        assert got["score"] == pytest.approx(row["score"], abs=0.005), row
        assert got["level"] == row["level"], row
        assert got["coverage"] == pytest.approx(row["coverage"], abs=0.00005), row
        assert got["n"] == row["n"], row
        if row["sd"] is None:
            assert np.isnan(got["sd"]), row
        else:
            assert got["sd"] == pytest.approx(row["sd"], abs=0.005), row


# --------------------------------------------------------------------------- formulas


def rule_questionnaire(rule: str) -> Questionnaire:
    options = {"a": 0, "b": 0.5, "c": 1}
    questions = [choice_question(f"q{i}", options, weight=w) for i, w in ((1, 1), (2, 2), (3, 1))]
    d = dimension("d", questions, aggregate=rule)
    text = questionnaire_text("r", dimensions=[d], levels=(0, 50))
    q, problems = check_questionnaire_text(text, "r.yaml")
    assert q is not None, [p.format() for p in problems]
    return q


RULE_ROWS = [
    {"q1": "b", "q3": "c"},  # q2 unanswered
    {},
    {"q1": "a", "q2": "b", "q3": "c"},
]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("mean", [75, None, 50]),
        ("min", [50, None, 0]),
        ("geomean", [100 * np.sqrt(0.5), None, 0]),
    ],
)
def test_aggregation_rules_leave_missing_children_out(rule, expected):
    got = scores_of(rule_questionnaire(rule), RULE_ROWS)["d"]
    for value, want in zip(got, expected, strict=True):
        if want is None:
            assert np.isnan(value)
        else:
            assert value == pytest.approx(want)


def sum_questionnaire(**top) -> Questionnaire:
    """d (sum) holds q1 (1 point), q2 (2 points, may be N/A) and s (a sum worth 3 points of
    s1 and s2); score_range 0-6, the sum's points."""
    options = {"a": 0, "b": 0.5, "c": 1}
    sub = dimension("s", [choice_question(f"s{i}", options) for i in (1, 2)], aggregate="sum",
                    weight=3)  # fmt: skip
    questions = [choice_question("q1", options), choice_question("q2", options, weight=2,
                                                                  allow_na=True)]  # fmt: skip
    d = dimension("d", questions, aggregate="sum", dimensions=[sub])
    text = questionnaire_text("sums", dimensions=[d], levels=(0, 3), score_range=[0, 6], **top)
    q, problems = check_questionnaire_text(text, "s.yaml")
    assert q is not None, [p.format() for p in problems]
    return q


@pytest.mark.parametrize(
    ("row", "d", "s"),
    [
        # every child worth its weight in points: 0.5 + 2 x 1 + 3 x (1 + 0.5) / 2
        ({"q1": "b", "q2": "c", "s1": "c", "s2": "b"}, 4.75, 4.5),
        # an unanswered child that applies adds nothing, and its points stay in the range
        ({"q1": "c", "s1": "c"}, 1 + 3 * 0.5, 3),
        # N/A leaves the range: 1 + 3 of 4 points, reported on 0-6
        ({"q1": "c", "q2": NA, "s1": "c", "s2": "c"}, 6, 6),
        # a sub-dimension that applies but has no answer adds nothing
        ({"q1": "c", "q2": "c"}, 3, None),
        ({}, None, None),
    ],
)
def test_sum_adds_points_over_the_range_of_what_applies(row, d, s):
    got = scores_of(sum_questionnaire(), [row]).iloc[0]
    for node, want in (("d", d), ("s", s)):
        if want is None:
            assert np.isnan(got[node]), node
        else:
            assert got[node] == pytest.approx(want), node


def test_sum_equals_the_weighted_mean_when_every_child_is_answered():
    """Points over the full range are the weighted mean's position: the two rules differ only
    in what a missing child does."""
    import random

    rnd = random.Random(5)
    rows = [{k: rnd.choice("abc") for k in ("q1", "q2", "s1", "s2")} for _ in range(40)]
    summed = scores_of(sum_questionnaire(), rows)
    # the same tree, weights and range, with mean everywhere
    options = {"a": 0, "b": 0.5, "c": 1}
    sub = dimension("s", [choice_question(f"s{i}", options) for i in (1, 2)], weight=3)
    questions = [choice_question("q1", options), choice_question("q2", options, weight=2,
                                                                  allow_na=True)]  # fmt: skip
    d = dimension("d", questions, dimensions=[sub])
    q, _ = check_questionnaire_text(
        questionnaire_text("means", dimensions=[d], levels=(0, 3), score_range=[0, 6]), "m.yaml"
    )
    assert q is not None
    averaged = scores_of(q, rows)
    np.testing.assert_allclose(summed[["d", "s"]], averaged[["d", "s"]], rtol=0, atol=1e-12)


def test_sum_under_unanswered_zero_scores_an_empty_node_zero():
    got = scores_of(sum_questionnaire(unanswered="zero"), [{}, {"q1": "c"}])
    assert list(got["d"]) == pytest.approx([0, 1])


def linear_questionnaire() -> Questionnaire:
    q = {"id": "d.n", "type": "number", "text": {"zh": "数", "en": "N"}, "scoring": "linear",
         "min": 2, "max": 10, "allow_na": True}  # fmt: skip
    text = questionnaire_text("n", dimensions=[dimension("d", [q])], levels=(0, 0.5),
                              score_range=[0, 1])  # fmt: skip
    model, problems = check_questionnaire_text(text, "n.yaml")
    assert model is not None, [p.format() for p in problems]
    return model


def test_number_scored_linearly_between_min_and_max():
    q = linear_questionnaire()
    values = [2, 10, 6, 3.3, NA, None, "7.5"]
    got = scores_of(q, [{"d.n": v} for v in values])["d"]
    expected = [0, 1, 0.5, 1.3 / 8, None, None, 5.5 / 8]
    for value, want in zip(got, expected, strict=True):
        assert np.isnan(value) if want is None else value == pytest.approx(want, abs=1e-12)
    # a categorical column (numbers and "na") scores the same
    column = pd.Series([2, 10, NA, 6], dtype="category")
    cat = score_respondents(q, pd.DataFrame({"d.n": column})).score["d"]
    assert list(cat.fillna(-1)) == pytest.approx([0, 1, -1, 0.5])


def test_number_scored_linearly_refuses_values_outside_min_and_max():
    with pytest.raises(DtassessError) as caught:
        scores_of(linear_questionnaire(), [{"d.n": 5}, {"d.n": 11}])
    assert caught.value.problems[0].code == "R005"


def test_level_question_scores_and_number_bands():
    rows = [{"plan.strategy": k, "people.training": t} for k, t in [(1, 0), (3, 8), (5, 15.9)]]
    got = scores_of(WORKED, rows)
    assert list(got["plan"]) == pytest.approx([0, 50, 100])
    assert list(got["people"]) == pytest.approx([0, 50, 50])


def test_likert_without_scores_is_evenly_spaced():
    got = scores_of(WORKED, [{"plan.goals": v} for v in (1, 2, 3, 4)])
    assert list(got["plan"]) == pytest.approx([0, 100 / 3, 200 / 3, 100])


def test_multi_sums_and_caps_at_one():
    rows = [
        {"security.measures": ("mfa",)},
        {"security.measures": ("mfa", "backup", "audit")},
        {"security.measures": ()},
    ]
    assert list(scores_of(WORKED, rows)["security"]) == pytest.approx([40, 100, 0])


def test_na_hidden_and_unanswered_leave_the_denominator():
    rows = [
        {"security.plan": "no", "security.drill": 5, "security.measures": ("mfa",)},
        {"people.roles": NA, "people.training": 16},
        {},
    ]
    got = score_respondents(WORKED, frame(WORKED, rows))
    # drill is hidden: its 5 is ignored, so security = min(0.4, 0)
    assert got.score.loc[0, "security"] == pytest.approx(0)
    assert got.score.loc[1, "people"] == pytest.approx(100)
    assert got.score.loc[2].isna().all()
    assert got.coverage.loc[2, "overall"] == 0


def test_unanswered_zero_policy():
    text = (
        (DATA / "worked.yaml")
        .read_text(encoding="utf-8")
        .replace("locales: [zh, en]", "locales: [zh, en]\nunanswered: zero")
    )
    q, problems = check_questionnaire_text(text, "zero.yaml")
    assert problems == [] and q is not None
    got = score_respondents(q, frame(q, [{"plan.strategy": 5, "people.roles": NA}]))
    assert got.score.loc[0, "plan"] == pytest.approx(2 / 3 * 100)  # goals counts as 0
    assert got.score.loc[0, "people"] == pytest.approx(0)  # training 0; roles N/A is still out
    assert got.coverage.loc[0, "plan"] == pytest.approx(2 / 3)


def test_condition_on_a_hidden_question_sees_no_answer(write):
    text = (
        (DATA / "worked.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "when: \"security.plan == 'yes'\"",
            "when: \"security.plan == 'yes' or plan.strategy >= 3\"",
        )
    )
    q, _ = check_questionnaire_text(text, "w.yaml")
    got = scores_of(q, [{"security.plan": "no", "plan.strategy": 4, "security.drill": 1}])
    assert got.loc[0, "security"] == 0  # drill shown (strategy >= 3) and scored 0


def test_levels_of_scores():
    got = levels_of(WORKED, np.array([0, 19.99, 20, 59.9999999999, 80, 100, np.nan]))
    assert list(got) == [1, 1, 2, 4, 5, 5, 0]


def test_integer_columns_score_like_object_columns():
    rows = [{"plan.strategy": k, "plan.goals": 1 + k % 4} for k in range(1, 6)]
    as_objects = frame(WORKED, rows)
    as_ints = as_objects.copy()
    as_ints["plan.strategy"] = as_ints["plan.strategy"].astype("int64")
    as_ints["plan.goals"] = as_ints["plan.goals"].astype("float64")
    pd.testing.assert_frame_equal(
        score_respondents(WORKED, as_objects).score, score_respondents(WORKED, as_ints).score
    )


def test_invalid_values_in_a_frame_are_refused():
    with pytest.raises(DtassessError, match="not among its options"):
        score_respondents(WORKED, frame(WORKED, [{"plan.strategy": 9}]))
    with pytest.raises(DtassessError, match="not among its options"):
        score_respondents(WORKED, frame(WORKED, [{"security.measures": ("mfa", "x")}]))


def test_median_and_grouping_by_unit():
    meta = pd.DataFrame(
        {
            "organization": ["o", "o", "o", "o"],
            "organization_name": ["O", "O", "O", "O"],
            "unit": ["u1", "u1", "u1", "u2"],
            "period": ["2026"] * 4,
            "respondent": ["a", "b", "c", "d"],
            "role": [None] * 4,
            "source": ["-"] * 4,
        },
        dtype=object,
    )
    rows = [{"plan.strategy": k} for k in (1, 2, 5, 3)]
    per = score_respondents(WORKED, frame(WORKED, rows))
    med = group_scores(WORKED, meta, per, by="unit", statistic="median")
    plan = med[med["node"] == "plan"].set_index("unit")
    assert plan.loc["u1", "score"] == 25 and plan.loc["u2", "score"] == 50
    assert plan.loc["u1", "n"] == 3 and plan.loc["u1", "respondents"] == 3
    assert plan.loc["u1", "sd"] == pytest.approx(np.std([0, 25, 100], ddof=1))
    assert np.isnan(plan.loc["u2", "sd"])


# --------------------------------------------------------------------------- invariants


def option_answers(question):
    if question.type == "multi":
        plain = [o.value for o in question.options if not o.exclusive]
        excl = [(o.value,) for o in question.options if o.exclusive]
        subsets = st.lists(st.sampled_from(plain), unique=True).map(
            lambda xs: tuple(v for v in plain if v in xs)
        )
        return subsets | st.sampled_from(excl) if excl else subsets
    if question.type == "number":
        low = question.min if question.min is not None else question.bands[0].min
        low = max(low, question.bands[0].min)
        high = question.max if question.max is not None else low + 100
        return st.floats(low, high, allow_nan=False)
    return st.sampled_from([o.value for o in question.options])


def answer_strategy(q: Questionnaire):
    fields = {}
    for question in q.questions:
        if question.type == "text":
            continue
        choices = option_answers(question) | st.none()
        if question.allow_na:
            choices = choices | st.just(NA)
        fields[question.id] = choices
    return st.fixed_dictionaries(fields)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@SETTINGS
@given(st.lists(answer_strategy(GOV), min_size=1, max_size=8))
def test_scores_stay_in_range_and_coverage_in_0_1(rows):
    got = score_respondents(GOV, frame(GOV, rows))
    values = got.score.to_numpy()
    finite = values[~np.isnan(values)]
    assert ((finite >= 0) & (finite <= 100)).all()
    cover = got.coverage.to_numpy()
    assert ((cover[~np.isnan(cover)] >= 0) & (cover[~np.isnan(cover)] <= 1 + 1e-12)).all()


DRIVERS = {name for x in GOV.questions if x.when for name in x.when.names}
RAISABLE = [x for x in GOV.questions if x.is_scored and x.id not in DRIVERS and x.type != "multi"]


def better(question, value):
    """A strictly higher-scoring answer than `value`, if there is one."""
    if question.type == "number":
        return None if value is None or value == NA else value + 5
    current = question.option(value)
    if current is None:
        return None
    higher = [o.value for o in question.options if o.score > current.score]
    return higher[0] if higher else None


@pytest.mark.slow
@SETTINGS
@given(answer_strategy(GOV), st.sampled_from(RAISABLE))
def test_raising_one_answer_never_lowers_any_score(row, question):
    raised = better(question, row.get(question.id))
    if raised is None or (question.max is not None and raised > question.max):
        return
    before = scores_of(GOV, [row]).iloc[0]
    after = scores_of(GOV, [{**row, question.id: raised}]).iloc[0]
    both = before.notna() & after.notna()
    assert (after[both] >= before[both] - 1e-9).all()
    assert (after.notna() >= before.notna()).all()


NA_ALLOWED = [x for x in GOV.questions if x.allow_na]


@pytest.mark.slow
@SETTINGS
@given(answer_strategy(GOV), st.sampled_from(NA_ALLOWED))
def test_na_equals_absence(row, question):
    with_na = scores_of(GOV, [{**row, question.id: NA}])
    without = scores_of(GOV, [{**row, question.id: None}])
    pd.testing.assert_frame_equal(with_na, without)


@pytest.mark.slow
@SETTINGS
@given(st.lists(answer_strategy(GOV), min_size=2, max_size=8), st.randoms())
def test_order_of_respondents_changes_nothing(rows, rnd):
    units = ["甲", "乙", "丙"]
    meta = pd.DataFrame(
        {
            "organization": ["o"] * len(rows),
            "organization_name": ["O"] * len(rows),
            "unit": [units[i % 3] for i in range(len(rows))],
            "period": ["2026"] * len(rows),
            "respondent": [f"r{i}" for i in range(len(rows))],
            "role": [None] * len(rows),
            "source": [f"f{i}" for i in range(len(rows))],
        },
        dtype=object,
    )
    order = list(range(len(rows)))
    rnd.shuffle(order)

    def table(index):
        answers = frame(GOV, [rows[i] for i in index])
        m = meta.iloc[index].reset_index(drop=True)
        return score(ResponseSet(GOV, m, answers, pd.DataFrame()), by="unit").table

    pd.testing.assert_frame_equal(table(list(range(len(rows)))), table(order), rtol=1e-12)


def test_order_of_files_changes_nothing(write):
    body = "questionnaire: mini@1.0\norganization: qs\nanswers: {{security.budget: {b}}}\n"
    first = [write(f"x/{i}.yaml", body.format(b=b)) for i, b in enumerate([1, 6, 12])]
    second = [write(f"y/{2 - i}.yaml", body.format(b=b)) for i, b in enumerate([1, 6, 12])]
    a = score(load_responses(first, MINI_Q)).table
    b = score(load_responses(list(reversed(second)), MINI_Q)).table
    pd.testing.assert_frame_equal(a, b)


def test_boolean_true_false_from_a_program_drive_skip_logic():
    rows = [{"security.plan": True, "security.drill": 5}, {"security.plan": False}]
    got = scores_of(WORKED, rows)
    assert got.loc[0, "security"] == 100 and got.loc[1, "security"] == 0


@pytest.mark.slow
@SETTINGS
@given(st.lists(answer_strategy(GOV), min_size=1, max_size=12), st.integers(1, 5))
def test_scoring_in_row_blocks_changes_nothing(rows, block):
    answers = frame(GOV, rows)
    whole = score_respondents(GOV, answers)
    blocked = score_respondents(GOV, answers, block_rows=block)
    pd.testing.assert_frame_equal(whole.score, blocked.score)
    pd.testing.assert_frame_equal(whole.coverage, blocked.coverage)


@pytest.mark.slow
@SETTINGS
@given(st.lists(answer_strategy(WORKED), min_size=1, max_size=10))
def test_categorical_columns_score_like_object_columns(rows):
    """Readers hand over categoricals; a number column among them (numbers and "na") is
    judged per distinct value, an option column per category, both as cell by cell."""
    as_objects = frame(WORKED, rows)
    as_categories = as_objects.apply(lambda c: c.astype("category"))
    expected = score_respondents(WORKED, as_objects)
    got = score_respondents(WORKED, as_categories)
    pd.testing.assert_frame_equal(got.score, expected.score)
    pd.testing.assert_frame_equal(got.coverage, expected.coverage)


def test_categorical_number_columns_are_refused_as_object_columns():
    """An invalid number is reported by row, as for a column of objects."""
    for values in ([4.0, -1.0, 2.0], [4.0, "na", -1.0, "x"]):
        messages = []
        for dtype in ("category", object):
            frame = pd.DataFrame({"people.training": pd.Series(values, dtype=dtype)})
            with pytest.raises(DtassessError) as caught:
                score_respondents(WORKED, frame)
            messages.append([str(p) for p in caught.value.problems])
        assert messages[0] == messages[1]
        assert "row " in messages[0][0]


# --------------------------------------------------------------------------- the long table


def reference_group_scores(
    q, meta, scores, by="organization", statistic="mean", question_scores=None
):
    """`group_scores` as it was before the respondent table was built from codes: the groups'
    rows assembled through a MultiIndex, then one stable `sort_values` over the keys and the
    node. The engine must give exactly this table, by every grouping."""
    keys = list(GROUPINGS[by])
    model = compile_model(q)
    frame_keys = meta[keys].astype(object).where(meta[keys].notna(), "")
    names = meta.groupby("organization", sort=False)["organization_name"].first()
    if by == "respondent":
        stat = scores.score
        cover = scores.coverage
        count = scores.score.notna().astype(int)
        spread = pd.DataFrame(np.nan, index=stat.index, columns=stat.columns)
        group_index = pd.MultiIndex.from_frame(frame_keys)
        stat = stat.set_axis(group_index)
        cover = cover.set_axis(group_index)
        count = count.set_axis(group_index)
        spread = spread.set_axis(group_index)
        respondents = pd.Series(1, index=group_index)
        mean = median = stat
        empty = np.full(stat.shape, np.nan)
        rwg, alpha = empty, empty
    else:
        grouped = scores.score.groupby([frame_keys[k] for k in keys], sort=False, dropna=False)
        mean = grouped.mean()
        median = grouped.median()
        stat = median if statistic == "median" else mean
        spread = grouped.std(ddof=1)
        count = grouped.count()
        respondents = grouped.size()
        cover = scores.coverage.groupby(
            [frame_keys[k] for k in keys], sort=False, dropna=False
        ).mean()
        if question_scores is None:
            rwg = alpha = np.full(stat.shape, np.nan)
        else:
            codes = grouped.ngroup().to_numpy()
            rwg, alpha = agreement(
                q, question_scores, codes, respondents.to_numpy(), len(respondents)
            )
    long = pd.DataFrame(
        {
            "score": stat.to_numpy().ravel(),
            "coverage": cover.to_numpy().ravel(),
            "n": count.to_numpy().ravel(),
            "sd": spread.to_numpy().ravel(),
            "mean": mean.to_numpy().ravel(),
            "median": median.to_numpy().ravel(),
            "rwg": np.asarray(rwg).ravel(),
            "alpha": np.asarray(alpha).ravel(),
        }
    )
    long["low_agreement"] = np.round(long["rwg"].to_numpy(), 9) < AGREEMENT_MIN
    long["low_consistency"] = np.round(long["alpha"].to_numpy(), 9) < CONSISTENCY_MIN
    repeat = len(model.node_ids)
    index_frame = stat.index.to_frame(index=False)
    for k in keys:
        long[k] = np.repeat(index_frame[k].to_numpy(dtype=object), repeat)
    long["respondents"] = np.repeat(respondents.to_numpy(), repeat)
    long["node"] = np.tile(np.array(model.node_ids, dtype=object), len(stat))
    long["depth"] = np.tile(model.depth, len(stat))
    long["level"] = levels_of(q, long["score"].to_numpy())
    long["organization_name"] = long["organization"].map(names).fillna("")
    order = {node: i for i, node in enumerate(model.node_ids)}
    long["_node"] = long["node"].map(order)
    long = long.sort_values([*keys, "_node"], kind="stable").drop(columns="_node")
    columns = [
        *keys,
        "organization_name",
        "respondents",
        "node",
        "depth",
        "score",
        "level",
        "coverage",
        "n",
        "sd",
        *STAT_COLUMNS,
    ]
    return long[columns].reset_index(drop=True)


# Small pools, so that keys repeat: missing and empty values, numbers where a program wrote them,
# respondents without an id or with the same id.
KEY_VALUES = {
    "organization": ["o1", "o2", "甲", "", None],
    "unit": ["u1", "u2", "乙", "", None],
    "period": ["2026", "2025", "", None, 2026, 2025],
    "respondent": ["a", "b", "r1", "", None],
    "organization_name": ["O1", "O2", "名", None],
}


# Pandas 3 warns when no organisation has a name (fillna("") on float NaN); so did the old code.
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:'str' is not supported as a fill value")
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.data(),
    st.lists(answer_strategy(WORKED), max_size=12),
    st.sampled_from(STATISTICS),
    st.booleans(),
)
def test_group_table_is_the_reference_table(data, rows, statistic, categorical):
    n = len(rows)
    meta = pd.DataFrame(
        {
            name: data.draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n), label=name)
            for name, pool in KEY_VALUES.items()
        },
        dtype=object,
    )
    # Some respondents take another's keys: anonymous answers in one unit, a reused id.
    pairs = st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0)))
    for source, target in data.draw(st.lists(pairs, max_size=3 if n else 0), label="same keys"):
        meta.iloc[target, :4] = meta.iloc[source, :4]
    meta["role"], meta["source"] = None, [f"f{i}" for i in range(n)]
    if categorical:  # as columnar readers and benchmarks/generate.py give them
        meta = meta.astype({name: "category" for name in KEY_VALUES})
    answers = frame(WORKED, rows)
    matrix = np.empty((n, len(compile_model(WORKED).questions)), order="F")
    per = score_respondents(WORKED, answers, question_scores=matrix)
    for by in GROUPINGS:
        args = (WORKED, meta, per, by, statistic, None if by == "respondent" else matrix)
        try:
            expected = reference_group_scores(*args)
        except Exception as exc:  # e.g. no name for an organisation of a categorical column
            with pytest.raises(type(exc)):
                group_scores(*args)
            continue
        got = group_scores(*args)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert got.columns.dtype == expected.columns.dtype


def test_respondents_sharing_all_keys_are_listed_node_by_node():
    meta = pd.DataFrame(
        {
            "organization": ["o"] * 4,
            "organization_name": ["O"] * 4,
            "unit": ["u", None, "u", "u"],
            "period": ["2026"] * 4,
            "respondent": [None, "z", None, "a"],
            "role": [None] * 4,
            "source": ["-"] * 4,
        },
        dtype=object,
    )
    rows = [{"plan.strategy": k} for k in (1, 2, 3, 4)]
    per = score_respondents(WORKED, frame(WORKED, rows))
    table = group_scores(WORKED, meta, per, by="respondent")
    nodes = list(compile_model(WORKED).node_ids)
    # An empty key sorts first; the two anonymous answers in unit u share every key, so a
    # stable sort by keys and node lists them node by node.
    expected = [(1, node) for node in nodes]
    expected += [(r, node) for node in nodes for r in (0, 2)]
    expected += [(3, node) for node in nodes]
    assert list(zip(table["unit"], table["respondent"], strict=True)) == [("", "z")] * len(
        nodes
    ) + [("u", "")] * (2 * len(nodes)) + [("u", "a")] * len(nodes)
    assert list(table["node"]) == [node for _, node in expected]
    want = [per.score.loc[r, node] for r, node in expected]
    np.testing.assert_array_equal(table["score"].to_numpy(), want)


# The table `score` builds straight from the answers (groups sorted, block by block, question
# variances counted per answer slot) is `group_scores` of `score_respondents`: the same keys,
# names, order and dtypes, and the same numbers - score, mean, median, sd and n to the last
# bit, coverage, rWG and alpha (summed in another order) to 1e-9.
EXACT = ["respondents", "depth", "score", "level", "n", "sd", "mean", "median"]
CLOSE = ["coverage", "rwg", "alpha"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:'str' is not supported as a fill value")
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.data(),
    st.lists(answer_strategy(WORKED), min_size=1, max_size=14),
    st.sampled_from(STATISTICS),
    st.booleans(),
    st.integers(1, 6),
)
def test_score_table_is_group_scores_of_score_respondents(
    data, rows, statistic, categorical, block
):
    n = len(rows)
    meta = pd.DataFrame(
        {
            name: data.draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n), label=name)
            for name, pool in KEY_VALUES.items()
        },
        dtype=object,
    )
    meta["role"], meta["source"] = None, [f"f{i}" for i in range(n)]
    if categorical:
        meta = meta.astype({name: "category" for name in KEY_VALUES})
    answers = frame(WORKED, rows)
    matrix = np.empty((n, len(compile_model(WORKED).questions)), order="F")
    per = score_respondents(WORKED, answers, question_scores=matrix)
    for by in ("unit", "organization"):
        try:
            expected = group_scores(WORKED, meta, per, by, statistic, matrix)
        except Exception as exc:  # as the reference test: the same error either way
            with pytest.raises(type(exc)):
                score(ResponseSet(WORKED, meta, answers, pd.DataFrame()), by, statistic)
            continue
        # blocks of a few rows: groups split between blocks, and (with threadpoolctl) threads
        with mock.patch.object(engine, "BLOCK_ROWS", block):
            result = score(ResponseSet(WORKED, meta, answers, pd.DataFrame()), by, statistic)
        got = result.table
        other = [c for c in expected.columns if c not in EXACT + CLOSE]
        pd.testing.assert_frame_equal(got[other], expected[other], check_exact=True)
        pd.testing.assert_frame_equal(got[EXACT], expected[EXACT], check_exact=True)
        pd.testing.assert_frame_equal(got[CLOSE], expected[CLOSE], rtol=1e-9, atol=1e-9)
        # the flags included: rWG and alpha are rounded to 9 decimals before their bars
        # per-respondent scores, computed when asked for
        pd.testing.assert_frame_equal(result.respondents.score, per.score)
        pd.testing.assert_frame_equal(result.respondents.coverage, per.coverage)
