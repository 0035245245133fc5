"""Published frameworks as dtassess questionnaires, built from ../shared/frameworks at test time.

The data stay outside the repository (their licences ask for attribution and share-alike, and
they are large); these builders turn them into the questionnaire format as
docs/questionnaire-format.md ("Published frameworks") walks through, with the frameworks' own
ids. `python tests/frameworks.py OUT_FOLDER` writes both questionnaires for a look.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ROOT.parent / "shared" / "frameworks"
SAMM = FRAMEWORKS / "samm-v2" / "model.json"
GTMI = FRAMEWORKS / "gtmi" / "published.csv"
GTMI_PARTS = ("CGSI", "PSDI", "DCEI", "GTEI")
GTMI_GROUPS = {"D": 1, "C": 2, "B": 3, "A": 4}  # the group's level in the questionnaire


def samm_model() -> dict[str, Any]:
    return json.loads(SAMM.read_text(encoding="utf-8"))


def samm_questionnaire(model: dict[str, Any]) -> dict[str, Any]:
    """Business functions > security practices > streams (a sum of their three questions)."""

    def question(level: dict) -> dict:
        answers = model["answer_sets"][level["answer_set"]]["options"]
        return {
            "id": level["question_id"],  # SAMM's own id, such as G-SM-1-A
            "type": "single",
            "text": level["question"],
            "options": [
                {"value": a["order"], "label": a["label"], "score": a["value"]} for a in answers
            ],
        }

    def stream(item: dict) -> dict:
        questions = [question(level) for level in item["levels"]]
        return {"id": item["id"], "title": item["name"], "aggregate": "sum",
                "questions": questions}  # fmt: skip

    def practice(item: dict) -> dict:
        return {"id": item["id"], "title": item["name"],
                "dimensions": [stream(s) for s in item["streams"]]}  # fmt: skip

    functions = [
        {"id": bf["id"], "title": bf["name"], "dimensions": [practice(p) for p in bf["practices"]]}
        for bf in model["business_functions"]
    ]
    return {
        "id": "samm",
        "version": "2.2",
        "title": model["model"],
        "locales": ["en"],
        "score_range": [0, 3],
        "scale": [  # SAMM's 0+, 1+, 2+; a level's min lies below the top of the range (3)
            {"level": 1, "name": "0+", "min": 0},
            {"level": 2, "name": "1+", "min": 1},
            {"level": 3, "name": "2+", "min": 2},
        ],
        "dimensions": functions,
    }


def samm_scores(model: dict[str, Any], answers: dict[str, int]) -> dict[str, float]:
    """SAMM's own rules: a stream sums its answers' values, a practice averages its streams, a
    business function its practices, the overall score the functions."""
    value = {
        level["question_id"]: {
            a["order"]: a["value"] for a in model["answer_sets"][level["answer_set"]]["options"]
        }
        for bf in model["business_functions"]
        for p in bf["practices"]
        for s in p["streams"]
        for level in s["levels"]
    }
    found: dict[str, float] = {}
    for bf in model["business_functions"]:
        for p in bf["practices"]:
            for s in p["streams"]:
                found[s["id"]] = sum(
                    value[lv["question_id"]][answers[lv["question_id"]]] for lv in s["levels"]
                )
            found[p["id"]] = sum(found[s["id"]] for s in p["streams"]) / len(p["streams"])
        found[bf["id"]] = sum(found[p["id"]] for p in bf["practices"]) / len(bf["practices"])
    functions = model["business_functions"]
    found["overall"] = sum(found[bf["id"]] for bf in functions) / len(functions)
    return found


def gtmi_published() -> list[dict[str, str]]:
    with GTMI.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def gtmi_questionnaire() -> dict[str, Any]:
    """Four focus areas, each its published 0-1 index as a number scored linearly; the GTMI is
    their simple mean; groups D, C, B, A start at 0, 0.25, 0.5, 0.75."""
    return {
        "id": "gtmi",
        "version": "2022",
        "title": "World Bank GovTech Maturity Index",
        "locales": ["en"],
        "score_range": [0, 1],
        "scale": [
            {"level": GTMI_GROUPS[g], "name": g, "min": low}
            for g, low in (("D", 0), ("C", 0.25), ("B", 0.5), ("A", 0.75))
        ],
        "dimensions": [
            {
                "id": part,
                "title": part,
                "questions": [
                    {
                        "id": f"{part}.index",
                        "type": "number",
                        "text": f"{part} (published, 0-1)",
                        "scoring": "linear",
                        "min": 0,
                        "max": 1,
                    }
                ],
            }
            for part in GTMI_PARTS
        ],
    }


def gtmi_response(row: dict[str, str]) -> dict[str, Any]:
    return {
        "questionnaire": "gtmi@2022",
        "organization": {"id": row["code"], "name": row["name"]},
        "period": row["year"],
        "respondent": {"id": f"{row['code']}-{row['year']}"},
        "answers": {f"{part}.index": float(row[part]) for part in GTMI_PARTS},
    }


if __name__ == "__main__":
    import yaml

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in (("samm.yaml", samm_questionnaire(samm_model())),
                      ("gtmi.yaml", gtmi_questionnaire())):  # fmt: skip
        (out / name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
