"""The scoring engine: each formula, the worked example of docs/scoring.md, and invariants."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, MINI, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtassess.conditions import NA
from dtassess.engine import group_scores, levels_of, score, score_respondents
from dtassess.errors import DtassessError
from dtassess.questionnaire import Questionnaire, check_questionnaire_text, load_questionnaire
from dtassess.responses import ResponseSet, load_responses

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
    text = "\n".join(
        [
            'id: r\nversion: "1"\ntitle: {zh: 规则, en: Rules}',
            "scale: [{level: 1, name: {zh: 低, en: Low}, min: 0},"
            " {level: 2, name: {zh: 高, en: High}, min: 50}]",
            "dimensions:",
            f"  - {{id: d, title: {{zh: 维, en: D}}, aggregate: {rule}, questions: [",
            *(
                f"      {{id: q{i}, type: single, weight: {w}, text: {{zh: 题, en: Q}}, options:"
                " [{value: a, label: {zh: 甲, en: A}, score: 0},"
                " {value: b, label: {zh: 乙, en: B}, score: 0.5},"
                " {value: c, label: {zh: 丙, en: C}, score: 1}]},"
                for i, w in ((1, 1), (2, 2), (3, 1))
            ),
            "  ]}",
        ]
    )
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


@SETTINGS
@given(answer_strategy(GOV), st.sampled_from(NA_ALLOWED))
def test_na_equals_absence(row, question):
    with_na = scores_of(GOV, [{**row, question.id: NA}])
    without = scores_of(GOV, [{**row, question.id: None}])
    pd.testing.assert_frame_equal(with_na, without)


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


@SETTINGS
@given(st.lists(answer_strategy(GOV), min_size=1, max_size=12), st.integers(1, 5))
def test_scoring_in_row_blocks_changes_nothing(rows, block):
    answers = frame(GOV, rows)
    whole = score_respondents(GOV, answers)
    blocked = score_respondents(GOV, answers, block_rows=block)
    pd.testing.assert_frame_equal(whole.score, blocked.score)
    pd.testing.assert_frame_equal(whole.coverage, blocked.coverage)
