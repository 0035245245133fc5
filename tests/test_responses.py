"""Response files: one case per kind of bad input, with its code, place and exit code."""

from __future__ import annotations

import pytest
from conftest import MINI, cli, dedent

from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.inputs.responses import check_response_text, load_responses

Q = load_questionnaire(MINI)

HEAD = """\
questionnaire: mini@1.0
organization: {id: qs, name: 青山县}
period: "2026"
answers:
"""
# Answers start on line 5.


def answers(body: str) -> str:
    return HEAD + "\n".join("  " + line for line in dedent(body).splitlines()) + "\n"


def found(text: str, name: str = "r.yaml"):
    response, problems = check_response_text(text, name, Q)
    return response, problems


def test_a_good_response_in_canonical_form():
    text = answers(
        """\
        strategy.plan.exists: yes
        strategy.plan.quality: {value: "4", note: 有量化目标, evidence: [规划.pdf]}
        security.budget: "7.5"
        security.tools: [backup, mfa]
        """
    )
    response, problems = found(text)
    assert problems == []
    assert response.answers == {
        "strategy.plan.exists": "yes",
        "strategy.plan.quality": 4,
        "security.budget": 7.5,
        "security.tools": ("mfa", "backup"),
    }
    assert response.notes["strategy.plan.quality"] == {
        "note": "有量化目标",
        "evidence": ["规划.pdf"],
    }
    assert response.respondent == "r" and response.period == "2026"


def test_missing_answers_are_not_errors():
    response, problems = found(answers("strategy.plan.exists: no\n"))
    assert problems == [] and response.answers == {"strategy.plan.exists": "no"}


BAD = [
    ("syntax", "questionnaire: mini\nanswers: [1\n", "R001", 3, 1, "YAML syntax error"),
    ("not a mapping", "- 1\n- 2\n", "R002", 1, 1, "must be a mapping"),
    (
        "wrong field type",
        HEAD.replace('"2026"', "[2026]") + "  security.budget: 1\n",
        "R002",
        3,
        9,
        "period must be text",
    ),
    (
        "missing organization",
        "questionnaire: mini@1.0\nanswers: {}\n",
        "R003",
        1,
        1,
        "missing field 'organization'",
    ),
    (
        "unknown question",
        answers("security.budgte: 3\n"),
        "R004",
        5,
        3,
        "did you mean 'security.budget'",
    ),
    (
        "value not an option",
        answers("security.tools: [mfa, firewall]\n"),
        "R005",
        5,
        19,
        "'firewall' is not one of its options",
    ),
    (
        "level out of the scale",
        answers("strategy.plan.exists: yes\nstrategy.plan.quality: 7\n"),
        "R005",
        6,
        26,
        "not one of its options (1, 2, 3, 4, 5)",
    ),
    ("wrong answer type", answers("security.budget: lots\n"), "R006", 5, 20, "expects a number"),
    (
        "list for a single choice",
        answers("strategy.plan.exists: [yes]\n"),
        "R006",
        5,
        25,
        "expects yes or no",
    ),
    (
        "answer hidden by skip logic",
        answers("strategy.plan.exists: no\nstrategy.plan.quality: 3\n"),
        "R007",
        6,
        3,
        "hidden by its condition",
    ),
    ("na not allowed", answers("security.tools: na\n"), "R008", 5, 19, "does not allow 'na'"),
    (
        "another questionnaire",
        HEAD.replace("mini@1.0", "gov-dt@1.0") + "  security.budget: 1\n",
        "R009",
        1,
        16,
        "answers questionnaire 'gov-dt@1.0'",
    ),
    (
        "number out of bounds",
        answers("security.budget: 150\n"),
        "R012",
        5,
        20,
        "outside the accepted range",
    ),
    (
        "exclusive option combined",
        answers("security.tools: [none, mfa]\n"),
        "R013",
        5,
        19,
        "excludes the others",
    ),
    (
        "unknown field",
        HEAD + "  security.budget: 1\nrespondant: r1\n",
        "R014",
        6,
        1,
        "did you mean 'respondent'",
    ),
    (
        "unknown answer field",
        answers("security.budget: {value: 1, notes: x}\n"),
        "R014",
        5,
        31,
        "did you mean 'note'",
    ),
    (
        "interview not a mapping",
        HEAD + "  security.budget: 1\ninterview: notes\n",
        "R002",
        6,
        12,
        "interview must be a mapping {notes: text",
    ),
    (
        "interview flagged not a list of ids",
        HEAD + "  security.budget: 1\ninterview: {flagged: security.budget}\n",
        "R002",
        6,
        12,
        "flagged: [question ids]",
    ),
    (
        "interview elapsed not seconds",
        HEAD + "  security.budget: 1\ninterview: {elapsed: {security: long}}\n",
        "R002",
        6,
        12,
        "elapsed: {area id: seconds}",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "code", "line", "column", "words"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_response(text, code, line, column, words, write):
    response, problems = found(text)
    places = [(p.code, p.line, p.column) for p in problems]
    assert (code, line, column) in places, [p.format() for p in problems]
    match = next(p for p in problems if (p.code, p.line, p.column) == (code, line, column))
    assert words in match.message
    assert response is None
    path = write("r.yaml", text)
    result = cli("validate", "--responses", path, "-q", MINI)
    assert result.exit_code == 1
    assert f"{path}:{line}:{column}: " in result.stdout
    scored = cli("score", path, "-q", MINI)
    assert scored.exit_code == 2
    assert f"{path}:{line}:{column}: " in scored.stderr
    assert "Traceback" not in scored.stderr + scored.stdout


WARNINGS = [
    ("older version", HEAD.replace("mini@1.0", "mini@0.9") + "  security.budget: 1\n", "R009"),
    (
        "changed questionnaire",
        HEAD + "  security.budget: 1\nquestionnaire_hash: sha256:0000\n",
        "R010",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("text", "code"), [c[1:] for c in WARNINGS], ids=[c[0] for c in WARNINGS])
def test_warnings_do_not_stop_scoring(text, code, write):
    response, problems = found(text)
    assert response is not None
    assert [p.code for p in problems] == [code] and problems[0].severity == "warning"
    path = write("r.yaml", text)
    result = cli("score", path, "-q", MINI, "--format", "json")
    assert result.exit_code == 0
    assert "warning:" in result.stderr


def test_required_unanswered_is_a_warning(write):
    text = MINI.read_text(encoding="utf-8").replace(
        "scored: false ", "scored: false\n            required: true "
    )
    qpath = write("q.yaml", text)
    q = load_questionnaire(qpath)
    _, problems = check_response_text(answers("security.budget: 1\n"), "r.yaml", q)
    assert [(p.code, p.severity) for p in problems] == [("R011", "warning")]


def test_json_responses_are_checked_with_places(write):
    path = write(
        "r.json",
        '{"questionnaire": "mini@1.0", "organization": "qs",\n'
        ' "answers": {"security.budget": "x"}}\n',
    )
    result = cli("validate", "--responses", path, "-q", MINI)
    assert result.exit_code == 1
    assert f"{path}:2:33: " in result.stdout


def test_json_syntax_error(write):
    path = write("r.json", '{"questionnaire": "mini@1.0",\n "answers": }\n')
    result = cli("validate", "--responses", path, "-q", MINI)
    assert result.exit_code == 1
    assert f"{path}:2:13: JSON syntax error" in result.stdout


def test_directory_without_responses(tmp_path):
    result = cli("score", tmp_path, "-q", MINI)
    assert result.exit_code == 2
    assert "no response files found" in result.stderr


def test_questionnaire_is_taken_from_the_responses(write):
    write("q/mini.yaml", MINI.read_text(encoding="utf-8"))
    path = write("r.yaml", answers("security.budget: 1\n"))
    result = cli("score", path)
    assert result.exit_code == 2
    assert "names questionnaire 'mini@1.0', which is not bundled" in result.stderr


def test_frames_keep_every_respondent(write):
    write("a/one.yaml", answers("security.budget: 1\n"))
    write(
        "a/two.yaml",
        answers("security.tools: na\n").replace("security.tools: na", "security.tools: []"),
    )
    loaded = load_responses(
        [write("a/three.yaml", answers("strategy.plan.exists: no\n")).parent], Q
    )
    assert list(loaded.meta["respondent"]) == ["one", "three", "two"]
    assert loaded.answers.shape == (3, len(Q.questions))
    assert loaded.answers.loc[2, "security.tools"] == ()


@pytest.mark.slow
def test_many_files_are_checked_on_every_core_with_the_same_result(monkeypatch):
    import pandas as pd
    from conftest import SAMPLES

    import dtassess.inputs.responses as responses

    serial = load_responses([SAMPLES])
    monkeypatch.setattr(responses, "PARALLEL_FILES", 2)
    monkeypatch.setattr(responses, "CHUNK_FILES", 2)
    parallel = load_responses([SAMPLES])
    pd.testing.assert_frame_equal(serial.meta, parallel.meta)
    pd.testing.assert_frame_equal(serial.answers, parallel.answers)
    assert serial.problems == parallel.problems


def test_files_naming_different_questionnaires_are_refused(write):
    write("d/a.yaml", answers("security.budget: 1\n"))
    write("d/b.yaml", answers("security.budget: 1\n").replace("mini@1.0", "gov-dt@1.0"))
    result = cli("score", write("d/c.yaml", answers("security.budget: 2\n")).parent)
    assert result.exit_code == 2
    assert "name different questionnaires" in result.stderr


@pytest.mark.slow
def test_concatenated_exports_keep_categories_and_every_answer():
    """concat_sets keeps categorical columns categorical (a union of categories) and float
    columns float; any other mix becomes objects with None for no answer. The answers are the
    same either way, and so are the scores."""
    import numpy as np
    import pandas as pd

    from dtassess.inputs.responses import ResponseSet, concat_sets
    from dtassess.scoring.scores import score

    q = load_questionnaire(MINI)
    ids = [x.id for x in q.questions]
    choice = q.question("strategy.plan.quality")  # a level question: options 1-5
    number = q.question("security.budget")
    values = [o.value for o in choice.options]

    def part(rows: int, options: list, with_number: bool) -> ResponseSet:
        meta = pd.DataFrame(
            {
                "organization": ["o"] * rows,
                "organization_name": [None] * rows,
                "unit": [f"u{i % 2}" for i in range(rows)],
                "period": ["2026"] * rows,
                "respondent": [f"r{i}" for i in range(rows)],
                "role": [None] * rows,
                "source": ["x"] * rows,
            },
            dtype=object,
        )
        cells = [options[i % len(options)] if i % 3 else None for i in range(rows)]
        answers = pd.DataFrame({choice.id: pd.Categorical(cells)})
        if with_number:
            answers[number.id] = np.where(np.arange(rows) % 2, float(number.bands[0].min), np.nan)
        return ResponseSet(q, meta, answers, pd.DataFrame(columns=["row", "question", "note"]))

    sets = [part(5, values[:1], True), part(7, values[1:], True), part(4, values, False)]
    joined = concat_sets(q, sets)
    assert isinstance(joined.answers[choice.id].dtype, pd.CategoricalDtype)
    expected = []
    for s in sets:
        column = s.answers[choice.id].astype(object)
        expected += [None if pd.isna(v) else v for v in column]
    got = [None if pd.isna(v) else v for v in joined.answers[choice.id].astype(object)]
    assert got == expected
    # one set lacks the number column: objects, None for no answer
    column = joined.answers[number.id]
    assert column.dtype == object and column.iloc[-4:].tolist() == [None] * 4
    assert column.iloc[:12].tolist() == [None, 0.0, None, 0.0, None] + [None, 0.0] * 3 + [None]
    as_objects = ResponseSet(
        q,
        joined.meta,
        joined.answers.astype(object).where(joined.answers.notna(), None),
        joined.notes,
    )
    assert list(joined.answers.columns) == ids
    pd.testing.assert_frame_equal(
        score(joined, "unit").table, score(as_objects, "unit").table, check_exact=True
    )


def test_the_interview_record_of_the_full_screen_survey_is_accepted():
    interview = "interview: {notes: 访谈于 10:40 结束, flagged: [security.budget], "
    interview += "elapsed: {security: 95}}\n"
    response, problems = found(HEAD + "  security.budget: 1\n" + interview)
    assert response is not None and problems == []
