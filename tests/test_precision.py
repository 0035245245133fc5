"""Machine outputs carry every number at full double precision (docs/json-output.md): JSON, CSV,
Parquet, roadmap JSON and the results inside a PDF read back to the very doubles the engine
computed; only what people read (the terminal table) is rounded. The pandas and Dask engines'
JSON agree to 1e-12 in tests/test_distributed.py."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from conftest import SAMPLES, cli

import dtassess

ALL = ("--min-group-size", "1")


@pytest.fixture(scope="module")
def result():
    return dtassess.score(dtassess.load_responses([SAMPLES]), by="unit")


def _engine_values(result, column: str) -> list[float]:
    return [float(v) for v in result.table[column]]


@pytest.mark.slow
def test_json_numbers_are_the_engines_doubles(result):
    out = cli("score", SAMPLES, "--by", "unit", "--format", "json", *ALL)
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    found = [values["score"] for g in doc["groups"] for values in g["scores"].values()]
    expected = _engine_values(result, "score")
    assert found == [None if pd.isna(v) else v for v in expected]
    assert any(v is not None and v != round(v, 4) for v in found)


@pytest.mark.slow
def test_csv_numbers_read_back_to_the_engines_doubles(result):
    out = cli("score", SAMPLES, "--by", "unit", "--format", "csv", *ALL)
    assert out.exit_code == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    for column in ("score", "sd", "coverage", "median"):
        found = [float(r[column]) if r[column] else float("nan") for r in rows]
        expected = _engine_values(result, column)
        assert pd.Series(found).equals(pd.Series(expected)), column


@pytest.mark.slow
def test_parquet_numbers_are_doubles(result, tmp_path):
    path = tmp_path / "s.parquet"
    out = cli("score", SAMPLES, "--by", "unit", "--format", "parquet", "-o", path, *ALL)
    assert out.exit_code == 0, out.stderr
    frame = pd.read_parquet(path)
    assert frame["score"].dtype == "float64"
    assert frame["score"].equals(result.table["score"].reset_index(drop=True))


@pytest.mark.slow
def test_roadmap_json_keeps_full_precision():
    out = cli("roadmap", SAMPLES, "--format", "json")
    assert out.exit_code == 0, out.stderr
    current = json.loads(out.stdout)["roadmaps"][0]["current"]["overall"]["score"]
    org = dtassess.score(dtassess.load_responses([SAMPLES]), by="organization").table
    expected = org[org["node"] == "overall"]["score"].iloc[0]
    assert current == expected and current != round(current, 4)


@pytest.mark.slow
def test_the_terminal_table_still_rounds_for_people():
    out = cli("score", SAMPLES, "--lang", "en", *ALL)
    assert out.exit_code == 0, out.stderr
    assert "36.0" in out.stdout and "35.952" not in out.stdout
