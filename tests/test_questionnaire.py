"""The questionnaire checker: one case per kind of bad input, each with its code and place."""

from __future__ import annotations

import pytest
from conftest import (
    MINI,
    action,
    choice_question,
    cli,
    dedent,
    dimension,
    level_question,
    question,
    questionnaire_text,
)

from dtassess.inputs.questionnaire import check_questionnaire_text, load_questionnaire

HEAD = """\
id: t
version: "1"
title: {zh: 测试, en: Test}
scale:
  - {level: 1, name: {zh: 低, en: Low}, min: 0}
  - {level: 2, name: {zh: 高, en: High}, min: 50}
dimensions:
  - id: d
    title: {zh: 维度, en: Dim}
    questions:
"""
# Questions start on line 11 of every case built with `qs`.


def qs(body: str) -> str:
    return HEAD + "\n".join("      " + line for line in dedent(body).splitlines()) + "\n"


GOOD_Q = """\
- id: a
  type: boolean
  text: {zh: 甲, en: A}
"""


def problems_of(text: str):
    model, problems = check_questionnaire_text(text, "t.yaml")
    return model, [(p.code, p.line, p.column) for p in problems], problems


def test_the_minimal_case_is_valid():
    model, found, _ = problems_of(qs(GOOD_Q))
    assert found == []
    assert model is not None and [q.id for q in model.questions] == ["a"]


BAD = [
    # (name, text, code, line, column, words in the message)
    ("yaml syntax", "id: t\ntitle: {zh: [x\n", "Q001", 3, 1, "YAML syntax error"),
    (
        "wrong type: text not localised",
        qs("- id: a\n  type: boolean\n  text: hello\n"),
        "Q002",
        13,
        15,
        "must give the text in every locale",
    ),
    (
        "missing field",
        qs("- id: a\n  type: boolean\n"),
        "Q003",
        11,
        9,
        "missing required field 'text'",
    ),
    (
        "unknown field with a suggestion",
        qs(GOOD_Q + "  wieght: 2\n"),
        "Q004",
        14,
        9,
        "did you mean 'weight'",
    ),
    (
        "duplicate id",
        qs(GOOD_Q + GOOD_Q),
        "Q005",
        14,
        13,
        "duplicate id 'a' (first used on line 11)",
    ),
    ("negative weight", qs(GOOD_Q + "  weight: -1\n"), "Q006", 14, 17, "positive number (got -1)"),
    ("weight as text", qs(GOOD_Q + "  weight: heavy\n"), "Q006", 14, 17, "must be a number"),
    (
        "option without score",
        qs(
            """\
            - id: a
              type: single
              text: {zh: 甲, en: A}
              options:
                - {value: x, label: {zh: 甲, en: A}}
            """
        ),
        "Q007",
        15,
        13,
        "has no score",
    ),
    (
        "scale out of order",
        qs(GOOD_Q).replace("min: 50", "min: 0"),
        "Q008",
        6,
        46,
        "must be above the previous level's min",
    ),
    (
        "a level starting at the top of the range",
        qs(GOOD_Q).replace("min: 50", "min: 100"),
        "Q008",
        6,
        46,
        "min 100 is not below the top of the score range (100)",
    ),
    (
        "a level starting above the top of a 0-3 range",
        qs(GOOD_Q).replace("min: 50", "min: 3").replace("scale:", "score_range: [0, 3]\nscale:"),
        "Q008",
        7,
        46,
        "min 3 is not below the top of the score range (3)",
    ),
    (
        "the first level above the bottom of the range",
        qs(GOOD_Q).replace("min: 0}", "min: 10}"),
        "Q008",
        5,
        45,
        "the lowest level must start at the bottom of the score range (0), got 10",
    ),
    (
        "levels numbered out of order",
        qs(GOOD_Q).replace("level: 2", "level: 3"),
        "Q008",
        6,
        13,
        "expected level 2, got the number 3",
    ),
    (
        "missing translation",
        qs("- id: a\n  type: boolean\n  text: {zh: 甲}\n"),
        "Q009",
        13,
        15,
        "missing the 'en' translation",
    ),
    (
        "condition does not parse",
        qs(GOOD_Q + "- id: b\n  type: boolean\n  text: {zh: 乙, en: B}\n  when: \"a = 'yes'\"\n"),
        "Q010",
        17,
        18,
        "'=='",
    ),
    (
        "condition names an unknown question",
        qs(GOOD_Q + "- id: b\n  type: boolean\n  text: {zh: 乙, en: B}\n  when: \"aa == 'yes'\"\n"),
        "Q011",
        17,
        16,
        "unknown question 'aa'",
    ),
    (
        "condition refers to a later question",
        qs(
            "- id: a\n  type: boolean\n  text: {zh: 甲, en: A}\n  when: \"b == 'yes'\"\n"
            "- id: b\n  type: boolean\n  text: {zh: 乙, en: B}\n"
        ),
        "Q012",
        14,
        16,
        "'b', which is asked later",
    ),
    (
        "conditions form a cycle",
        qs(
            "- id: a\n  type: boolean\n  text: {zh: 甲, en: A}\n  when: \"b == 'yes'\"\n"
            "- id: b\n  type: boolean\n  text: {zh: 乙, en: B}\n  when: \"a == 'yes'\"\n"
        ),
        "Q013",
        14,
        16,
        "forms a cycle (a -> b -> a)",
    ),
    (
        "condition refers to itself",
        qs("- id: a\n  type: boolean\n  text: {zh: 甲, en: A}\n  when: \"a == 'yes'\"\n"),
        "Q013",
        14,
        16,
        "cycle",
    ),
    ("malformed id", qs(GOOD_Q.replace("id: a", "id: Bad--Id")), "Q014", 11, 13, "malformed"),
    ("id ending in a hyphen", qs(GOOD_Q.replace("id: a", "id: G-SM-")), "Q014", 11, 13, "hyphens"),
    ("id with a space", qs(GOOD_Q.replace("id: a", "id: G SM")), "Q014", 11, 13, "malformed"),
    (
        "ids that differ only in case",
        qs(GOOD_Q.replace("id: a", "id: G-SM-1-A") + GOOD_Q.replace("id: a", "id: g-sm-1-a")),
        "Q005",
        14,
        13,
        "differs from 'G-SM-1-A' (line 11) only in case",
    ),
    (
        "linear scoring without max",
        qs("- id: a\n  type: number\n  text: {zh: 甲, en: A}\n  scoring: linear\n  min: 0\n"),
        "Q003",
        11,
        9,
        "scoring: linear needs 'max'",
    ),
    (
        "linear scoring with bands",
        qs(
            "- id: a\n  type: number\n  text: {zh: 甲, en: A}\n  scoring: linear\n  min: 0\n"
            "  max: 1\n  bands: [{min: 0, score: 0}]\n"
        ),
        "Q004",
        17,
        9,
        "scored linearly has no bands",
    ),
    (
        "unknown number scoring",
        qs("- id: a\n  type: number\n  text: {zh: 甲, en: A}\n  scoring: linar\n"),
        "Q015",
        14,
        18,
        "did you mean 'linear'",
    ),
    (
        "scoring on a boolean",
        qs("- id: a\n  type: boolean\n  text: {zh: 甲, en: A}\n  scoring: linear\n"),
        "Q004",
        14,
        9,
        "a boolean question has no 'scoring'",
    ),
    (
        "unknown aggregate names sum",
        qs(GOOD_Q).replace("    questions:", "    aggregate: total\n    questions:"),
        "Q015",
        10,
        16,
        "mean, min, geomean, sum",
    ),
    ("Overall in capitals", qs(GOOD_Q.replace("id: a", "id: Overall")), "Q021", 11, 13, "reserved"),
    (
        "unknown type with a suggestion",
        qs(GOOD_Q.replace("boolean", "boolen")),
        "Q015",
        12,
        15,
        "did you mean 'boolean'",
    ),
    (
        "level options do not match the scale",
        qs(
            """\
            - id: a
              type: level
              text: {zh: 甲, en: A}
              options:
                - {level: 1, label: {zh: 低, en: Low}}
            """
        ),
        "Q016",
        15,
        11,
        "exactly one option per scale level",
    ),
    (
        "bands out of order",
        qs(
            """\
            - id: a
              type: number
              text: {zh: 甲, en: A}
              bands: [{min: 5, score: 1}, {min: 1, score: 0}]
            """
        ),
        "Q017",
        14,
        43,
        "must be above the previous band's min",
    ),
    (
        "score outside 0-1",
        qs(
            """\
            - id: a
              type: single
              text: {zh: 甲, en: A}
              options:
                - {value: x, label: {zh: 甲, en: A}, score: 5}
            """
        ),
        "Q018",
        15,
        54,
        "from 0 to 1",
    ),
    ("duplicate key", qs(GOOD_Q + "  text: {zh: 乙, en: B}\n"), "Q019", 14, 9, "appears twice"),
    (
        "dimension with nothing in it",
        HEAD.replace("    questions:\n", "  - id: e\n    title: {zh: 空, en: Empty}\n") + "",
        "Q020",
        10,
        5,
        "neither questions nor sub-dimensions",
    ),
    (
        "yes where a boolean is expected",
        qs(GOOD_Q + "  required: yes\n"),
        "Q002",
        14,
        19,
        "only true and false are booleans",
    ),
    (
        "version as a number",
        qs(GOOD_Q).replace('version: "1"', "version: 1.10"),
        "Q002",
        2,
        10,
        'version: "1.1"',
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "code", "line", "column", "words"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_questionnaire(text, code, line, column, words, write):
    _, found, problems = problems_of(text)
    assert (code, line, column) in found, [p.format() for p in problems]
    match = next(p for p in problems if (p.code, p.line, p.column) == (code, line, column))
    assert words in match.message
    # The CLI prints the same problem as path:line:column and exits 1.
    path = write("t.yaml", text)
    result = cli("validate", path)
    assert result.exit_code == 1
    assert f"{path}:{line}:{column}: " in result.stdout


def test_syntax_error_shows_the_line_with_a_caret():
    _, _, problems = problems_of("id: t\nversion: [1\ntitle: x\n")
    assert problems[0].snippet is not None and "^" in problems[0].snippet


def test_option_written_no_stays_text():
    text = qs(
        """\
        - id: a
          type: single
          text: {zh: 甲, en: A}
          options:
            - {value: No, label: {zh: 否, en: No}, score: 0}
            - {value: Yes, label: {zh: 是, en: Yes}, score: 1}
        """
    )
    model, found, _ = problems_of(text)
    assert found == []
    assert [o.value for o in model.question("a").options] == ["No", "Yes"]
    assert model.question("a").options[0].label == {"zh": "否", "en": "No"}


def test_every_problem_is_reported_in_one_run():
    text = qs(GOOD_Q + "  weight: 0\n  wieght: 1\n- id: b\n  type: levle\n  text: {zh: 乙}\n")
    _, found, _ = problems_of(text)
    assert {code for code, _, _ in found} >= {"Q006", "Q004", "Q015", "Q009"}


def test_defaults_scores_and_levels():
    q = load_questionnaire(MINI)
    quality = q.question("strategy.plan.quality")
    assert [o.score for o in quality.options] == [0, 0.25, 0.5, 0.75, 1]
    exists = q.question("strategy.plan.exists")
    assert not exists.is_scored and [o.value for o in exists.options] == ["yes", "no"]
    assert q.level_for(39.999999999999) is not None and q.level_for(40).level == 3
    assert q.level_for(float("nan")) is None
    assert q.node_ids == ("overall", "strategy", "strategy.plan", "security")


def test_content_hash_ignores_comments_and_layout(write):
    a = write("a.yaml", MINI.read_text(encoding="utf-8"))
    b = write("b.yaml", "# a comment\n\n" + MINI.read_text(encoding="utf-8"))
    c = write("c.yaml", MINI.read_text(encoding="utf-8").replace("weight: 2", "weight: 3"))
    assert load_questionnaire(a).hash == load_questionnaire(b).hash
    assert load_questionnaire(a).hash != load_questionnaire(c).hash


def test_missing_file_is_a_usage_error(tmp_path):
    result = cli("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "file not found" in result.stderr


def test_unknown_bundled_id_suggests_the_right_one():
    result = cli("score", "tests/data", "-q", "gov-td")
    assert result.exit_code == 2
    assert "unknown questionnaire 'gov-td'" in result.stderr


def test_the_shared_factory_builds_what_it_is_asked_for(make_questionnaire):
    """tests/conftest.py's questionnaire parts: every kind the tests use loads clean."""
    tools = [{"value": v, "label": {"zh": v, "en": v}, "score": 0.5} for v in ("mfa", "backup")]
    plan = dimension(
        "p",
        [
            question("p.has"),
            level_question("p.quality", when="p.has == 'yes'", weight=2),
            question("p.budget", "number", min=0, max=100, bands=[{"min": 0, "score": 1}]),
            question("p.tools", "multi", options=tools),
            choice_question("p.way", {"a": 0, "b": 1}),
        ],
        actions=[action("p.draft", reach=2, moves={"p.quality": 2, "p.tools": ["mfa"]})],
    )
    other = dimension("o", dimensions=[dimension("o.x", [level_question("o.x.q")])])
    path = make_questionnaire("f.yaml", qid="f", version="2.0", dimensions=[plan, other],
                              unanswered="zero")  # fmt: skip
    model, problems = check_questionnaire_text(path.read_text("utf-8"), str(path))
    assert [p.format() for p in problems] == []
    assert model.ref == "f@2.0" and model.unanswered == "zero"
    assert [q.id for q in model.questions] == [
        "p.has", "p.quality", "p.budget", "p.tools", "p.way", "o.x.q"
    ]  # fmt: skip
    assert model.question("p.quality").when is not None
    assert [a.id for a in model.node("p").actions] == ["p.draft"]
    assert model.node("p").actions[0].moves == (("p.quality", 2), ("p.tools", ("mfa",)))
    assert len(model.scale) == 5 and check_questionnaire_text(questionnaire_text(), "t")[0]
