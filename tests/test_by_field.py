"""`--by` any response field: role, or a profile question's answer, in score, roadmap and report.

Seven respondents of one organisation: three leaders, three staff and one intern, who say so
both as their role and in a profile question. Leaders answer high, staff low; the intern is a
group of one, withheld under the default --min-group-size 3 in every command.
"""

from __future__ import annotations

import csv
import io
import json
from importlib.resources import files

import jsonschema
import pytest
import yaml
from conftest import (
    action,
    choice_question,
    cli,
    dimension,
    level_question,
    question,
    questionnaire_text,
    run,
)

from dtassess import pipeline
from dtassess.errors import DtassessError

SCHEMA = json.loads(files("dtassess").joinpath("schemas/scores.schema.json").read_text("utf-8"))
PEOPLE = [("leader", 4), ("leader", 5), ("leader", 4), ("staff", 2), ("staff", 1),
          ("staff", 2), ("intern", 3)]  # fmt: skip
POSITIONS = {"leader": 1, "staff": 0, "intern": 0}


@pytest.fixture
def folder(tmp_path):
    positions = choice_question("d.position", POSITIONS, scored=False)
    tools = question("d.tools", "multi", scored=False, options=[
        {"value": "a", "label": {"zh": "甲", "en": "A"}, "score": 0}])  # fmt: skip
    moves = {"d.q1": 5}
    d = dimension("d", [positions, tools, level_question("d.q1")],
                  actions=[action("d.a3", reach=3, moves=moves)])  # fmt: skip
    path = tmp_path / "q.yaml"
    path.write_text(questionnaire_text("byq", dimensions=[d]), "utf-8")
    answers = tmp_path / "answers"
    answers.mkdir()
    for i, (who, level) in enumerate(PEOPLE):
        doc = {"questionnaire": "byq@1.0", "organization": {"id": "qs", "name": "青山"},
               "period": "2026", "respondent": {"id": f"r{i}", "role": who},
               "answers": {"d.position": who, "d.q1": level}}  # fmt: skip
        (answers / f"r{i}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return answers


def score_json(folder, *args):
    result = cli("score", folder, "-q", folder.parent / "q.yaml", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("field", ["role", "d.position"])
def test_score_by_a_field_compares_leaders_with_staff_and_withholds_the_intern(folder, field):
    doc, stderr = score_json(folder, "--by", field)
    jsonschema.validate(doc, SCHEMA)
    assert doc["by"] == field
    found = {g[field]: g for g in doc["groups"]}
    assert set(found) == {"leader", "staff"}  # the intern alone: withheld
    assert "withheld 1 group(s) with fewer than 3 respondents" in stderr
    assert all(g["organization"] == "qs" and g["period"] == "2026" for g in doc["groups"])
    assert found["leader"]["respondents"] == 3
    # level questions score (level - 1) / 4 on 0-100
    assert found["leader"]["scores"]["overall"]["score"] == pytest.approx((75 + 100 + 75) / 3)
    assert found["staff"]["scores"]["overall"]["score"] == pytest.approx((25 + 0 + 25) / 3)
    doc, _ = score_json(folder, "--by", field, "--min-group-size", "1")
    assert {g[field] for g in doc["groups"]} == {"leader", "staff", "intern"}


def test_score_by_a_profile_question_names_it_in_the_csv_and_the_table(folder):
    q = folder.parent / "q.yaml"
    result = cli("score", folder, "-q", q, "--by", "d.position", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:3] == ["organization", "d.position", "period"]
    assert {r["d.position"] for r in rows} == {"leader", "staff"}
    result = run("score", folder, "-q", q, "--by", "role")
    assert result.returncode == 0, result.stderr
    assert "青山 · leader · 2026" in result.stdout and "staff" in result.stdout


@pytest.mark.parametrize(
    ("command", "by", "code", "words"),
    [
        (
            "score",
            "rol",
            "Q030",
            "not a response field (organization, unit, role, respondent) "
            "nor a question of byq@1.0 (did you mean 'role'?)",
        ),
        ("score", "d.positon", "Q030", "did you mean 'd.position'"),
        ("score", "source", "Q030", "not a response field"),
        ("roadmap", "d.tools", "Q031", "a multi question cannot name one group per respondent"),
        ("score", "d.tools", "Q031", "a multi question"),
        ("roadmap", "respondent", "Q032", "a roadmap is for a group of respondents"),
        ("report", "respondent", "Q032", "a report is for a group of respondents"),
    ],
)
def test_a_field_that_cannot_group_is_refused_with_its_code(folder, command, by, code, words):
    out = folder.parent / "out"
    extra = ["-o", out] if command == "report" else []
    result = cli(command, folder, "-q", folder.parent / "q.yaml", "--by", by, *extra)
    assert result.exit_code == 2, result.stdout
    assert words in result.stderr
    result = run(command, folder, "-q", folder.parent / "q.yaml", "--by", by, *extra,
                 "--format", "json" if command != "report" else "html")  # fmt: skip
    assert result.returncode == 2 and words in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
    q = str(folder.parent / "q.yaml")
    calls = {
        "score": lambda: pipeline.assess([folder], q, by),
        "roadmap": lambda: pipeline.plan_roadmaps([folder], q, by=by),
        "report": lambda: pipeline.report_grouping(by),
    }
    with pytest.raises(DtassessError) as caught:
        calls[command]()
    assert [p.code for p in caught.value.problems] == [code]


def test_report_by_with_annual_or_per_unit_is_refused(folder, tmp_path):
    for given in ("--annual", "--per-unit"):
        result = cli("report", folder, "--by", "role", given, "-o", tmp_path / "r")
        assert result.exit_code == 2
        assert f"--by role with {given}" in result.stderr


def test_roadmap_by_role_plans_each_group_and_withholds_the_small_one(folder):
    q = folder.parent / "q.yaml"
    result = cli("roadmap", folder, "-q", q, "--by", "role", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "withheld 1 group(s) with fewer than 3 respondents" in result.stderr
    roadmaps = json.loads(result.stdout)["roadmaps"]
    groups = {r["group"]["role"]: r for r in roadmaps}
    assert set(groups) == {"leader", "staff"}
    assert groups["staff"]["group"]["by"] == "role"
    assert groups["staff"]["group"]["respondents"] == 3
    # staff are at level 1 (16.7): the level-3 action is theirs; leaders are past it
    planned = {r: [a["id"] for p in g["phases"] for a in p["actions"]] for r, g in groups.items()}
    assert planned["staff"] == ["d.a3"] and planned["leader"] == []
    result = cli("roadmap", folder, "-q", q, "--by", "role")
    assert result.exit_code == 0 and "青山 · staff · 2026" in result.stdout
    result = cli("roadmap", folder, "-q", q, "--by", "role", "--min-group-size", "4")
    assert result.exit_code == 1
    assert "no group has 4 or more respondents (qs / intern (2026): 1;" in result.stderr


def test_report_by_a_profile_question_writes_one_report_per_group(folder, tmp_path):
    out = tmp_path / "reports"
    result = cli("report", folder, "-q", folder.parent / "q.yaml", "--by", "d.position", "-o",
                 out, "--format", "html", "--resamples", "0", "--date", "2026-01-01")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["qs-2026-leader-zh.html", "qs-2026-staff-zh.html"]
    assert "withheld 1 group(s)" in result.stderr
    html = (out / "qs-2026-staff-zh.html").read_text(encoding="utf-8")
    assert "青山 · staff" in html


def test_the_dask_engine_refuses_a_field_it_cannot_group_by(folder):
    result = cli("score", folder, "-q", folder.parent / "q.yaml", "--engine", "dask", "--by",
                 "role")  # fmt: skip
    assert result.exit_code == 2
    assert "--engine dask does not take --by role (it groups by organization or unit)" in (
        result.stderr
    )


def test_report_by_a_field_to_standard_output_asks_for_a_folder(folder):
    result = cli("report", folder, "-q", folder.parent / "q.yaml", "--by", "role", "-o", "-",
                 "--format", "html")  # fmt: skip
    assert result.exit_code == 2
    assert "-o -: --by role writes one report per group; give a folder" in result.stderr
