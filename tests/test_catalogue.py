"""The roadmap catalogue's new fields (moves, when, requires, initiatives, months): one case per
kind of mistake, each with its code and place, as `dtassess validate` prints it."""

from __future__ import annotations

import pytest
from conftest import cli

from dtassess.inputs.questionnaire import check_questionnaire_text

HEAD = """\
id: t
version: "1"
title: {zh: 测试, en: Test}
scale:
  - {level: 1, name: {zh: 低, en: Low}, min: 0}
  - {level: 2, name: {zh: 中, en: Mid}, min: 40}
  - {level: 3, name: {zh: 高, en: High}, min: 80}
dimensions:
  - id: d
    title: {zh: 维度, en: Dim}
    questions:
      - id: plan
        type: level
        text: {zh: 预案, en: Plan}
        options:
          - {level: 1, label: {zh: 无, en: None}}
          - {level: 2, label: {zh: 有, en: Some}}
          - {level: 3, label: {zh: 全, en: Full}}
      - id: drill
        type: boolean
        text: {zh: 演练, en: Drill}
      - id: covers
        type: multi
        text: {zh: 覆盖, en: Covers}
        options:
          - {value: backup, label: {zh: 备份, en: Backup}, score: 0.5}
          - {value: network, label: {zh: 网络, en: Network}, score: 0.5}
          - {value: none, label: {zh: 无, en: None}, score: 0, exclusive: true}
      - id: hours
        type: number
        text: {zh: 小时, en: Hours}
        min: 0
        max: 100
        bands: [{min: 0, score: 0}, {min: 10, score: 1}]
      - id: notes
        type: text
        text: {zh: 说明, en: Notes}
    actions:
"""
# Actions start on line 39 (44 with INITIATIVES above).

A1 = """\
      - id: a1
        reach: 2
        title: {zh: 甲, en: A}
        effort: low
        impact: high
"""


def action(extra: str = "", head: str = HEAD, aid: str = "a2") -> str:
    return (
        head
        + A1
        + f"""\
      - id: {aid}
        reach: 3
        title: {{zh: 乙, en: B}}
        effort: medium
        impact: medium
        moves: {{plan: 3}}
"""
        + extra
    )


def found(text: str) -> list[tuple[str, int, int]]:
    _, problems = check_questionnaire_text(text, "t.yaml")
    return [(p.code, p.line, p.column) for p in problems]


def test_a_catalogue_in_the_new_shape_is_valid():
    text = action(
        "        when: \"drill != 'yes'\"\n"
        "        requires: [a1]\n"
        "        person_months: 2.5\n"
        "        duration_months: 3\n"
        "        horizon: long\n"
    ).replace("moves: {plan: 3}", "moves: {plan: 3, drill: 'yes', covers: [backup], hours: 12}")
    text = text.replace(
        "        impact: high\n", "        impact: high\n        moves: {plan: 2}\n"
    )
    model, problems = check_questionnaire_text(text, "t.yaml")
    assert problems == [] and model is not None
    a2 = model.actions[1]
    assert a2.moves == (("plan", 3), ("drill", "yes"), ("covers", ("backup",)), ("hours", 12))
    assert a2.requires == ("a1",) and a2.horizon == "long"
    assert (a2.person_months, a2.duration_months) == (2.5, 3.0)
    assert a2.when is not None and a2.when.names == ("drill",)
    assert model.actions[0].horizon is None  # horizon is optional now


INITIATIVES = """\
initiatives:
  - id: ir
    title: {zh: 应急, en: Incident response}
    owner: {zh: 信息中心, en: IT centre}
    kpi: {node: d, text: {zh: 每年演练, en: A drill every year}}
"""

BAD = [
    # (name, text, code, line, column, words)
    (
        "moves unknown question",
        action().replace("{plan: 3}", "{plann: 3}"),
        "Q022",
        49,
        17,
        "unknown question 'plann'",
    ),
    (
        "moves a dimension",
        action().replace("{plan: 3}", "{d: 3}"),
        "Q022",
        49,
        17,
        "that is a dimension",
    ),
    (
        "moves not a mapping",
        action().replace("{plan: 3}", "[plan]"),
        "Q022",
        49,
        16,
        "moves must map",
    ),
    (
        "level outside the scale",
        action().replace("{plan: 3}", "{plan: 4}"),
        "Q023",
        49,
        23,
        "not an option",
    ),
    (
        "boolean not yes/no",
        action().replace("{plan: 3}", "{drill: maybe}"),
        "Q023",
        49,
        24,
        '"yes" or "no"',
    ),
    (
        "multi exclusive option",
        action().replace("{plan: 3}", "{covers: [none]}"),
        "Q023",
        49,
        25,
        "excludes the others",
    ),
    (
        "number out of range",
        action().replace("{plan: 3}", "{hours: 500}"),
        "Q023",
        49,
        24,
        "outside",
    ),
    (
        "text question",
        action().replace("{plan: 3}", "{notes: done}"),
        "Q023",
        49,
        24,
        "text question",
    ),
    ("na", action().replace("{plan: 3}", "{plan: na}"), "Q023", 49, 23, "not applicable"),
    ("when does not parse", action("        when: \"drill = 'yes'\"\n"), "Q024", 50, 22, "when:"),
    (
        "when names unknown",
        action("        when: \"dril == 'yes'\"\n"),
        "Q024",
        50,
        16,
        "unknown question 'dril'",
    ),
    (
        "requires unknown",
        action("        requires: [a1, a9]\n"),
        "Q025",
        50,
        24,
        "unknown action 'a9'",
    ),
    ("requires itself", action("        requires: [a2]\n"), "Q026", 50, 19, "a2 -> a2"),
    ("months zero", action("        person_months: 0\n"), "Q028", 50, 24, "above 0"),
    ("months infinite", action("        duration_months: .inf\n"), "Q028", 50, 26, "finite"),
    (
        "initiative without list",
        action("        initiative: ir\n"),
        "Q027",
        50,
        21,
        "no top-level 'initiatives:'",
    ),
    (
        "initiative unknown",
        action("        initiative: iq\n", head=INITIATIVES + HEAD),
        "Q027",
        55,
        21,
        "unknown initiative 'iq'",
    ),
    (
        "initiative missing",
        action("        initiative: ir\n", head=INITIATIVES + HEAD),
        "Q027",
        44,
        13,
        "every action names one",
    ),
    (
        "kpi node unknown",
        action(
            "        initiative: ir\n", head=INITIATIVES.replace("node: d,", "node: dd,") + HEAD
        ),
        "Q027",
        5,
        17,
        "neither a question nor a dimension",
    ),
    (
        "initiative without owner",
        action(
            "", head=INITIATIVES.replace("    owner: {zh: 信息中心, en: IT centre}\n", "") + HEAD
        ),
        "Q003",
        2,
        5,
        "missing required field 'owner'",
    ),
    ("no moves", action(), "Q029", 39, 13, "1 action(s) have no 'moves'"),
]


@pytest.mark.parametrize(
    ("text", "code", "line", "column", "words"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_catalogue(text, code, line, column, words, write):
    _, problems = check_questionnaire_text(text, "t.yaml")
    where = [(p.code, p.line, p.column) for p in problems]
    assert (code, line, column) in where, [p.format() for p in problems]
    match = next(p for p in problems if (p.code, p.line, p.column) == (code, line, column))
    assert words in match.message
    path = write("t.yaml", text)
    result = cli("validate", path)
    assert result.exit_code == (0 if code == "Q029" else 1)
    assert f"{path}:{line}:{column}: " in result.stdout


def test_a_cycle_of_prerequisites_is_named_once():
    text = action("        requires: [a1]\n").replace(
        "        impact: high\n", "        impact: high\n        requires: [a2]\n", 1
    )
    _, problems = check_questionnaire_text(text, "t.yaml")
    cycles = [p for p in problems if p.code == "Q026"]
    assert len(cycles) == 1 and "a1 -> a2 -> a1" in cycles[0].message
