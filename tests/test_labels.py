"""The label catalogues (dtassess/labels.py): every language has the same keys and the same
placeholders, and every key the code or a bundled template asks for is there.

The scan is `ast` over the modules that print or lay out labels, and a regular expression over
the templates: a key built at run time (`words[status]`, `L["hl_" ~ kind]`) is not seen, so
those families are listed below by hand.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from conftest import cli as run_cli

from dtassess import cli, labels, pipeline
from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.reporting import annual, output, report
from dtassess.reporting.output import questionnaire_summary

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dtassess"
TEMPLATES = ROOT / "report_templates"

# module -> (the catalogue views it reads, by their name there -> area; the area of a `words`
# handed in by a caller or taken from a model's "labels")
READERS = {
    "reporting/report.py": ({"LABELS": "report", "FORMULAS": "formulas"}, "report"),
    "reporting/annual.py": ({"WORDS": "annual"}, "annual"),
    "reporting/output.py": ({"LABELS": "tables", "ROADMAP_WORDS": "roadmap"}, None),
    "reporting/reliability.py": ({"WORDS": "reliability"}, "reliability"),
    "survey.py": ({"WORDS": "survey"}, "survey"),
    "cli.py": ({"MESSAGES": "cli"}, None),
    "pipeline.py": ({"MESSAGES": "cli"}, None),
}
# keys the code builds at run time
BUILT = {
    "report": {f"phase_{n}" for n in (1, 2, 3)} | {"low", "medium", "high"},
    "annual": {"reached", "progress", "not_yet"} | {f"hl_{k}" for k in ("top", "up", "down")},
    "cli": {f"progress_{k}" for k in ("reading", "dask", "rendering")},
}


def keys(tree, path=""):
    if isinstance(tree, dict):
        return {k for key, value in tree.items() for k in keys(value, f"{path}/{key}")} | {path}
    if isinstance(tree, list):
        return {k for i, value in enumerate(tree) for k in keys(value, f"{path}[{i}]")} | {path}
    return {path}


def leaves(tree, path=""):
    if isinstance(tree, dict):
        return [x for key, value in tree.items() for x in leaves(value, f"{path}/{key}")]
    if isinstance(tree, list):
        return [x for i, value in enumerate(tree) for x in leaves(value, f"{path}[{i}]")]
    return [(path, tree)]


def fields(text: str) -> tuple[list[str], int]:
    """The named placeholders, and how many positional ones (`{}` or `{0}`) a text takes."""
    names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    named = sorted({f for f in names if f and not f.isdigit()})
    numbered = {int(f) for f in names if f.isdigit()}
    auto = sum(1 for f in names if f == "")
    return named, max(auto, max(numbered, default=-1) + 1)


def test_every_language_has_the_same_keys():
    assert set(labels.CATALOGUES) == {"zh", "en"}
    assert keys(labels.ZH) == keys(labels.EN)


def test_every_text_takes_the_same_placeholders_in_every_language():
    en = dict(leaves(labels.EN))
    for path, text in leaves(labels.ZH):
        assert isinstance(text, str) and text.strip(), path
        assert fields(text) == fields(en[path]), path


def test_the_placeholder_reader_counts_numbered_and_unnumbered_alike():
    assert fields("{1} answers in {0}, kept as {2}") == fields("{} 中的 {} 个，另存为 {}")
    assert fields("{count} of {k}") == (["count", "k"], 0)


def test_an_unknown_language_reads_english():
    assert labels.labels("report", "fr") is labels.EN["report"]
    assert labels.labels("survey", "zh") is labels.ZH["survey"]


def test_the_modules_read_the_catalogue():
    """The old names are views of the catalogue, not copies that could drift from it."""
    assert report.LABELS["zh"] is labels.ZH["report"]
    assert annual.WORDS["en"] is labels.EN["annual"]
    assert output.ROADMAP_WORDS["zh"] is labels.ZH["roadmap"]
    assert cli.MESSAGES is pipeline.MESSAGES is labels.EN["cli"]


def test_the_cli_speaks_from_the_catalogue(tmp_path, monkeypatch):
    """What the command says besides problems comes from the catalogue's cli area (English,
    whatever --lang the report takes: docs/cli.md)."""
    monkeypatch.setitem(labels.EN["cli"], "wrote", "made {path}")
    monkeypatch.setitem(labels.EN["cli"], "template_next", "now brand {folder}")
    result = run_cli("template", "init", str(tmp_path / "brand"))
    assert result.exit_code == 0
    assert f"made {tmp_path / 'brand'}" in result.stderr
    assert f"now brand {tmp_path / 'brand'}" in result.stderr
    assert "wrote " not in result.stderr


def test_texts_a_questionnaire_does_not_write_come_from_the_catalogue(monkeypatch):
    q = load_questionnaire("gov-dt")
    assert labels.translations("questionnaire", "overall") == {"zh": "总体", "en": "Overall"}
    monkeypatch.setitem(labels.EN["questionnaire"], "overall", "All of it")
    assert q.title_of("overall", "en") == "All of it"
    assert questionnaire_summary(q)["nodes"][0]["title"]["en"] == "All of it"


def used_in_module(relative: str) -> list[tuple[str, str, int]]:
    """(area, key, line) for every constant key the module reads from a label table."""
    views, default = READERS[relative]
    tree = ast.parse((PACKAGE / relative).read_text("utf-8"))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        bound = {"words": default} if default else {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                named = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
                for view in named & set(views):
                    bound[node.targets[0].id] = views[view]
        for node in ast.walk(function):
            if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Constant):
                continue
            table = node.value
            if isinstance(table, ast.Call) and isinstance(table.func, ast.Attribute):
                table = table.func.value  # WORDS.get(lang, WORDS["en"])["range"]
            name = table.id if isinstance(table, ast.Name) else None
            area = views.get(name) if name in views else bound.get(name)
            if area and node.slice.value not in ("zh", "en"):
                found.append((area, node.slice.value, node.lineno))
    return found


def test_the_scan_sees_the_keys_the_code_reads():
    used = {(area, key) for relative in READERS for area, key, _ in used_in_module(relative)}
    assert {("tables", "flag"), ("roadmap", "after"), ("survey", "range")} <= used
    assert {("report", "report"), ("annual", "trend")} <= used
    assert {("cli", "wrote"), ("cli", "imported"), ("cli", "withheld")} <= used


@pytest.mark.slow
@pytest.mark.parametrize("relative", sorted(READERS))
def test_every_key_the_code_reads_is_in_the_catalogue(relative):
    missing = [
        f"{relative}:{line}: {area}.{key}"
        for area, key, line in used_in_module(relative)
        if key not in labels.EN[area]
    ]
    assert missing == []


def test_every_key_built_at_run_time_is_in_the_catalogue():
    for area, built in BUILT.items():
        assert built <= set(labels.EN[area]), area


def template_keys(name: str, table: str) -> set[str]:
    text = (TEMPLATES / name).read_text("utf-8")
    return set(re.findall(rf"\b{table}\.([A-Za-z_]\w*)", text))


def test_every_label_a_bundled_template_reads_is_in_the_catalogue():
    extra = set(re.findall(r'^\s*"(\w+)":', (TEMPLATES / "_words.j2").read_text("utf-8"), re.M))
    assert template_keys("report.html.j2", "L") - set(labels.EN["report"]) == set()
    assert template_keys("report.html.j2", "W") - set(labels.EN["report"]) - extra == set()
    assert template_keys("annual.html.j2", "L") - set(labels.EN["annual"]) == set()
    assert len(template_keys("report.html.j2", "L")) > 30  # the scan reads something
