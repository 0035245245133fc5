"""Documentation that cannot drift from the code."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import MINI, ROOT, cli

from dtassess.cli import app
from dtassess.errors import CATALOGUE
from dtassess.inputs.yamlsource import fast_load

DOCS = ROOT / "docs"


def commands() -> list[str]:
    """Every command line, sub-commands of a group included (e.g. "template init")."""
    import typer.main

    found = []
    for name, command in sorted(typer.main.get_command(app).commands.items()):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found += [f"{name} {sub}" for sub in sorted(subcommands)]
        else:
            found.append(name)
    return found


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help_and_a_section(command):
    result = cli(*command.split(), "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout
    assert f"## dtassess {command}\n" in (DOCS / "cli.md").read_text(encoding="utf-8")


def test_error_catalogue_and_its_page_agree():
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| ([A-Z]\d{3}) \| ([^|]+?) \|", text, re.M))
    assert documented == CATALOGUE


def test_every_code_the_source_uses_is_catalogued():
    used = set()
    for path in (ROOT / "dtassess").rglob("*.py"):
        used |= set(re.findall(r"\"([A-Z]\d{3})\"", path.read_text(encoding="utf-8")))
    assert used <= set(CATALOGUE)
    assert set(CATALOGUE) - used == set(), "catalogued codes that nothing reports"


def test_format_page_example_is_the_mini_fixture():
    text = (DOCS / "questionnaire-format.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(id: mini.*?)```", text, re.S).group(1)
    assert yaml.safe_load(example) == yaml.safe_load(MINI.read_text(encoding="utf-8"))
    assert fast_load(example) == fast_load(MINI.read_text(encoding="utf-8"))


def test_readme_commands_and_ci():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "scripts/dev demo" in readme and "scripts/dev test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/dev test" in ci


def test_docs_links_resolve():
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def model_table(heading: str) -> list[tuple[str, str]]:
    """(field, type) rows of the docs/report.md table whose first header cell is `heading`."""
    lines = (DOCS / "report.md").read_text(encoding="utf-8").splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(f"| {heading} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append((cells[0].strip("`"), cells[1].strip("`")))
    return rows


@pytest.mark.parametrize(
    ("module", "name"),
    [("dtassess.reporting.report", "ReportModel"), ("dtassess.reporting.annual", "AnnualModel")],
)
def test_report_model_table_lists_the_model_fields(module, name):
    """The template section of docs/report.md lists each model's top-level fields and types,
    in order; every section of the model says what it holds."""
    import dataclasses
    import importlib

    model = getattr(importlib.import_module(module), name)
    fields = [(f.name, str(f.type)) for f in dataclasses.fields(model)]
    assert model_table(f"`{name}` field") == fields
    sections = [model]
    while sections:
        section = sections.pop()
        assert section.__doc__ and not section.__doc__.startswith(section.__name__ + "(")
        for field in dataclasses.fields(section):
            for word in re.findall(r"[A-Z]\w+", str(field.type)):
                found = getattr(importlib.import_module(section.__module__), word, None)
                if dataclasses.is_dataclass(found):
                    sections.append(found)
