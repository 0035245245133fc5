"""The format carries published frameworks: OWASP SAMM v2 and the World Bank GTMI, read from
../shared/frameworks (skipped where it is absent).

Each framework is built into a dtassess questionnaire at test time (tests/frameworks.py), with
its own ids, and scored through `dtassess score --format json`; the JSON's figures, in the
framework's own range, equal the framework's own rules (SAMM) or its published figures (GTMI).
"""

from __future__ import annotations

import json
import random

import pytest
import yaml
from conftest import cli
from frameworks import (
    GTMI,
    GTMI_GROUPS,
    SAMM,
    gtmi_published,
    gtmi_questionnaire,
    gtmi_response,
    samm_model,
    samm_questionnaire,
    samm_scores,
)

from dtassess.inputs.questionnaire import load_questionnaire


def written(tmp_path, name: str, doc: dict):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


@pytest.mark.skipif(not SAMM.exists(), reason="../shared/frameworks is not beside the repo")
def test_samm_stream_practice_function_and_overall_scores_to_1e_6(tmp_path):
    model = samm_model()
    path = written(tmp_path, "samm.yaml", samm_questionnaire(model))
    q = load_questionnaire(path)
    assert len(q.questions) == 90 and q.questions[0].id == "G-SM-1-A"
    assert q.node("G-SM-A").aggregate == "sum"
    rnd = random.Random(16)
    folder = tmp_path / "responses"
    folder.mkdir()
    expected = {}
    for i in range(12):
        answers = {x.id: rnd.choice(x.options).value for x in q.questions}
        doc = {"questionnaire": "samm@2.2", "organization": {"id": "o"},
               "respondent": {"id": f"r{i}"}, "answers": answers}  # fmt: skip
        (folder / f"r{i}.json").write_text(json.dumps(doc), "utf-8")
        expected[f"r{i}"] = samm_scores(model, answers)
    result = cli("score", folder, "-q", path, "--by", "respondent", "--format", "json")
    assert result.exit_code == 0, result.stderr
    groups = json.loads(result.stdout)["groups"]
    assert {g["respondent"] for g in groups} == set(expected)
    nodes = set(expected["r0"])
    assert len(nodes) == 30 + 15 + 5 + 1
    for group in groups:
        want = expected[group["respondent"]]
        got = {node: group["scores"][node]["score"] for node in nodes}
        assert got == pytest.approx(want, abs=1e-6), group["respondent"]
        assert all(0 <= v <= 3 for v in got.values())


@pytest.mark.skipif(not GTMI.exists(), reason="../shared/frameworks is not beside the repo")
def test_gtmi_and_its_group_for_every_economy_and_edition_to_1e_6(tmp_path):
    path = written(tmp_path, "gtmi.yaml", gtmi_questionnaire())
    rows = gtmi_published()
    assert {r["year"] for r in rows} == {"2020", "2022", "2025"}
    folder = tmp_path / "responses"
    folder.mkdir()
    for i, row in enumerate(rows):
        (folder / f"{i}.json").write_text(json.dumps(gtmi_response(row)), "utf-8")
    result = cli("score", folder, "-q", path, "--format", "json", "--min-group-size", "1")
    assert result.exit_code == 0, result.stderr
    found = {
        (g["organization"], g["period"]): g["scores"] for g in json.loads(result.stdout)["groups"]
    }
    assert len(found) == len(rows) == 593
    for row in rows:
        scores = found[(row["code"], row["year"])]
        assert scores["overall"]["score"] == pytest.approx(float(row["GTMI"]), abs=1e-6)
        assert scores["overall"]["level"] == GTMI_GROUPS[row["group"]], row["code"]
        for part in ("CGSI", "PSDI", "DCEI", "GTEI"):
            assert scores[part]["score"] == pytest.approx(float(row[part]), abs=1e-6)


def test_the_walk_through_questionnaires_load_and_score_as_the_frameworks_do():
    """docs/questionnaire-format.md's two examples are valid files that score as described."""
    import re

    import pandas as pd
    from conftest import ROOT

    from dtassess.inputs.questionnaire import check_questionnaire_text
    from dtassess.scoring.engine import score_respondents

    text = (ROOT / "docs" / "questionnaire-format.md").read_text(encoding="utf-8")
    section = text[text.index("## Published frameworks") :]
    samm, gtmi = (
        check_questionnaire_text(block, "doc.yaml")[0]
        for block in re.findall(r"```yaml\n(.*?)```", section, re.S)[:2]
    )
    assert samm is not None and gtmi is not None
    got = score_respondents(samm, pd.DataFrame({"G-SM-1-A": [2, 3, None]}, dtype=object)).score
    # The example's stream holds one question (the others are "likewise"): a range of 1 point,
    # so 0.5 of it is reported as 1.5 on 0-3; unanswered, no score.
    assert list(got["G-SM-A"].fillna(-1)) == pytest.approx([1.5, 3, -1])
    got = score_respondents(gtmi, pd.DataFrame({"CGSI.index": [0.6055]})).score
    assert got.loc[0, "CGSI"] == got.loc[0, "overall"] == pytest.approx(0.6055, abs=1e-12)
    assert gtmi.level_for(0.6055).name == {"en": "B"}


def test_framework_ids_appear_as_written_in_json_csv_and_the_report(tmp_path):
    """Ids with capitals and hyphens, a skip condition that names one, and a report whose
    chapter anchors and contents links are made from them."""
    import csv as csvlib
    import io

    from conftest import choice_question, dimension, questionnaire_text

    options = {"n": 0, "s": 0.5, "y": 1}
    stream = dimension(
        "G-SM-A",
        [
            choice_question("G-SM-1-A", options),
            choice_question("G-SM-2-A", options, when="G-SM-1-A != 'n'"),
        ],
        aggregate="sum",
    )
    practice = dimension("G-SM", dimensions=[stream])
    text = questionnaire_text("frame", dimensions=[practice], levels=(0, 1), score_range=[0, 2])
    path = tmp_path / "frame.yaml"
    path.write_text(text, "utf-8")
    folder = tmp_path / "answers"
    folder.mkdir()
    for i, answers in enumerate([{"G-SM-1-A": "y", "G-SM-2-A": "s"}, {"G-SM-1-A": "n"},
                                 {"G-SM-1-A": "s", "G-SM-2-A": "y"}]):  # fmt: skip
        doc = {"questionnaire": "frame@1.0", "organization": {"id": "org"},
               "respondent": {"id": f"r{i}"}, "answers": answers}  # fmt: skip
        (folder / f"r{i}.yaml").write_text(yaml.safe_dump(doc), "utf-8")
    result = cli("score", folder, "-q", path, "--by", "respondent", "--format", "json")
    assert result.exit_code == 0, result.stderr
    got = {
        g["respondent"]: g["scores"]["G-SM-A"]["score"] for g in json.loads(result.stdout)["groups"]
    }
    # r1's second question is hidden by the condition: it leaves the sum's range
    assert got == pytest.approx({"r0": 1.5, "r1": 0.0, "r2": 1.5})
    result = cli("score", folder, "-q", path, "--by", "respondent", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    nodes = {row["node"] for row in csvlib.DictReader(io.StringIO(result.stdout))}
    assert {"G-SM", "G-SM-A"} <= nodes
    out = tmp_path / "report.html"
    result = cli("report", folder, "-q", path, "-o", out, "--format", "html", "--resamples", "0",
                 "--date", "2026-01-01")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert 'id="dim-G-SM"' in html and 'href="#dim-G-SM"' in html
