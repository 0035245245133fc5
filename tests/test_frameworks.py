"""The format carries a published framework: OWASP SAMM v2, read from ../shared/frameworks.

The model is built into a dtassess questionnaire at test time (the data stay outside the
repository), answered at random, and scored by dtassess and by SAMM's own rules side by side.
"""

from __future__ import annotations

import json
import random

import pytest
import yaml
from conftest import ROOT

from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.scoring.engine import score_respondents

SAMM = ROOT.parent / "shared" / "frameworks" / "samm-v2" / "model.json"

pytestmark = pytest.mark.skipif(
    not SAMM.exists(), reason="shared/frameworks is not beside the repo"
)


def slug(text: str) -> str:
    return text.lower().replace("-", ".")


def samm_questionnaire(model: dict) -> dict:
    functions = []
    for bf in model["business_functions"]:
        practices = []
        for practice in bf["practices"]:
            streams = []
            for stream in practice["streams"]:
                questions = []
                for level in stream["levels"]:
                    answers = model["answer_sets"][level["answer_set"]]["options"]
                    questions.append(
                        {
                            "id": slug(level["question_id"]),
                            "type": "single",
                            "text": level["question"],
                            "options": [
                                {"value": a["order"], "label": a["label"], "score": a["value"]}
                                for a in answers
                            ],
                        }
                    )
                streams.append({"id": slug(stream["id"]), "title": stream["name"],
                                "questions": questions})  # fmt: skip
            practices.append({"id": slug(practice["id"]), "title": practice["name"],
                              "dimensions": streams})  # fmt: skip
        functions.append({"id": slug(bf["id"]), "title": bf["name"], "dimensions": practices})
    return {
        "id": "samm",
        "version": "2.2",
        "title": model["model"],
        "locales": ["en"],
        "score_range": [0, 3],
        "scale": [
            {"level": 1, "name": "0+", "min": 0},
            {"level": 2, "name": "1+", "min": 1},
            {"level": 3, "name": "2+", "min": 2},
        ],
        "dimensions": functions,
    }


def test_samm_scores_equal_samm_rules(tmp_path):
    model = json.loads(SAMM.read_text(encoding="utf-8"))
    path = tmp_path / "samm.yaml"
    path.write_text(yaml.safe_dump(samm_questionnaire(model), allow_unicode=True), "utf-8")
    q = load_questionnaire(path)
    assert len(q.questions) == 90
    # The answer labels include "No": it must stay the text it is.
    assert q.questions[0].options[0].label == {"en": "No"}

    import pandas as pd

    rnd = random.Random(7)
    rows = [{x.id: rnd.choice(x.options).value for x in q.questions} for _ in range(25)]
    got = score_respondents(q, pd.DataFrame(rows, dtype=object)).score

    value = {x.id: {o.value: o.score for o in x.options} for x in q.questions}
    for i, answers in enumerate(rows):
        function_scores = []
        for bf in model["business_functions"]:
            practice_scores = []
            for practice in bf["practices"]:
                stream_scores = []
                for stream in practice["streams"]:
                    ids = [slug(level["question_id"]) for level in stream["levels"]]
                    total = sum(value[qid][answers[qid]] for qid in ids)  # SAMM: summed
                    stream_scores.append(total)
                    assert got.loc[i, slug(stream["id"])] == pytest.approx(total)
                practice_score = sum(stream_scores) / len(stream_scores)
                assert got.loc[i, slug(practice["id"])] == pytest.approx(practice_score)
                practice_scores.append(practice_score)
            function_scores.append(sum(practice_scores) / len(practice_scores))
        assert got.loc[i, "overall"] == pytest.approx(sum(function_scores) / len(function_scores))


@pytest.mark.slow
def test_samm_scores_in_the_json_equal_samm_rules_to_1e_9(tmp_path):
    """Machines read SAMM's own 0-3 figures from `score --format json`, unscaled and unrounded."""
    from conftest import cli

    model = json.loads(SAMM.read_text(encoding="utf-8"))
    path = tmp_path / "samm.yaml"
    path.write_text(yaml.safe_dump(samm_questionnaire(model), allow_unicode=True), "utf-8")
    q = load_questionnaire(path)
    value = {x.id: {o.value: o.score for o in x.options} for x in q.questions}
    rnd = random.Random(11)
    folder = tmp_path / "responses"
    folder.mkdir()
    expected = {}
    for i in range(6):
        answers = {x.id: rnd.choice(x.options).value for x in q.questions}
        doc = {"questionnaire": "samm@2.2", "organization": {"id": "o"},
               "respondent": {"id": f"r{i}"}, "answers": answers}  # fmt: skip
        (folder / f"r{i}.yaml").write_text(yaml.safe_dump(doc), "utf-8")

        def stream_total(stream, answers=answers):
            ids = [slug(level["question_id"]) for level in stream["levels"]]
            return sum(value[qid][answers[qid]] for qid in ids)  # SAMM: summed

        functions = []
        for bf in model["business_functions"]:
            practices = [
                sum(stream_total(s) for s in p["streams"]) / len(p["streams"])
                for p in bf["practices"]
            ]
            functions.append(sum(practices) / len(practices))
        expected[f"r{i}"] = sum(functions) / len(functions)
    result = cli("score", folder, "-q", path, "--by", "respondent", "--format", "json")
    assert result.exit_code == 0, result.stderr
    found = {g["respondent"]: g["scores"]["overall"]["score"]
             for g in json.loads(result.stdout)["groups"]}  # fmt: skip
    assert found.keys() == expected.keys()
    for key, score in found.items():
        assert abs(score - expected[key]) <= 1e-9, key
