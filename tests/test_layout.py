"""The package's layout: stages that import only the stages below them, and no import cycles.

Every `import` in dtassess is read with `ast`: at the top of a module, inside functions and
under `if TYPE_CHECKING:` alike, relative or absolute, since a cycle through a function's
import is still a cycle for a reader and for the next refactoring. The stages, lowest first:

    ground floor   errors, files, resources, pools, labels, defaults (and the root package, for
                   __version__)
    inputs         dtassess/inputs/      files read, checked and located
    scoring        dtassess/scoring/     numbers from a ResponseSet
    roadmap        dtassess/roadmap.py   actions from scores
    reporting      dtassess/reporting/   documents and machine outputs
    forms          dtassess/forms/       a questionnaire written for form tools and paper (its
                                         printable PDF uses the reporting stage's renderer)
    use cases      archive, pipeline     what a command does, as one call
    front ends     survey, surveyfile, survey_app, survey_question, survey_wrap, survey_screens,
                   cli, __main__

A module may import its own stage and the stages below, never one above. The use cases sit
above every stage: the archive stores answers with their scores (it calls `scores.score`), the
pipeline runs a command's whole work (load, score, build, write) and returns what it did. The
front ends talk to people: the survey writes response files from a terminal, the CLI parses
options, calls one pipeline function per command and prints.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dtassess"

GROUND = {
    "dtassess",
    "dtassess.errors",
    "dtassess.files",
    "dtassess.resources",
    "dtassess.pools",
    "dtassess.labels",
    "dtassess.defaults",
    "dtassess.extras",
}
USE_CASES = {"dtassess.archive", "dtassess.pipeline"}
FRONT_ENDS = {
    "dtassess.survey",
    "dtassess.surveyfile",
    "dtassess.survey_app",
    "dtassess.survey_question",
    "dtassess.survey_wrap",
    "dtassess.survey_screens",
    "dtassess.cli",
    "dtassess.config",
    "dtassess.__main__",
}
STAGES = (
    "ground",
    "inputs",
    "scoring",
    "roadmap",
    "reporting",
    "forms",
    "use cases",
    "front ends",
)


def stage_of(module: str) -> str:
    if module in GROUND:
        return "ground"
    if module in USE_CASES:
        return "use cases"
    if module in FRONT_ENDS:
        return "front ends"
    if module == "dtassess.roadmap":
        return "roadmap"
    parts = module.split(".")
    if len(parts) > 2 and parts[1] in ("inputs", "scoring", "reporting", "forms"):
        return parts[1]
    if module in ("dtassess.inputs", "dtassess.scoring", "dtassess.reporting", "dtassess.forms"):
        return parts[1]
    raise AssertionError(f"{module} belongs to no stage: place it in tests/test_layout.py")


def modules() -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def imports_of(name: str, path: Path, package: bool, known: set[str]) -> list[tuple[str, str]]:
    """(imported module, the names taken from it) for every dtassess import in the file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names if a.name.split(".")[0] == "dtassess"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "dtassess":
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                out.append((sub, "") if sub in known else (source, alias.name))
    resolved = []
    for target, taken in out:
        while target not in known and "." in target:
            target = target.rsplit(".", 1)[0]
        if target != name:
            resolved.append((target, taken))
    return resolved


def graph() -> dict[str, list[tuple[str, str]]]:
    found = modules()
    return {name: imports_of(name, *where, set(found)) for name, where in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


@pytest.mark.slow
def test_the_reader_sees_imports_inside_functions_and_relative_ones():
    found = graph()
    # a function-level import (scores -> grouped is at the top; cli's are all in functions)
    assert any(t == "dtassess.reporting.output" for t, _ in found["dtassess.cli"])
    # `from .. import __version__` in a subpackage resolves to the root package
    assert ("dtassess", "__version__") in found["dtassess.reporting.report"]
    # `from .. import engine, scores` resolves to the modules, not to their package
    assert {t for t, _ in found["dtassess.scoring.distributed"]} >= {
        "dtassess.scoring.engine",
        "dtassess.scoring.scores",
    }


@pytest.mark.slow
def test_no_import_cycles():
    edges = {name: {t for t, _ in found} for name, found in graph().items()}
    assert cycles(edges) == []


def test_cycles_are_found_when_there_are_some():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.slow
def test_every_module_imports_only_its_own_stage_and_the_ones_below():
    against = []
    for name, found in graph().items():
        rank = STAGES.index(stage_of(name))
        for target, _ in found:
            if STAGES.index(stage_of(target)) > rank:
                against.append(f"{name} ({stage_of(name)}) -> {target} ({stage_of(target)})")
    assert against == []


@pytest.mark.slow
def test_the_root_package_is_taken_only_for_its_version():
    """The root package names the whole public API lazily; importing anything else from it
    would be an import from every stage at once."""
    taken = {
        (name, what)
        for name, found in graph().items()
        for target, what in found
        if target == "dtassess" and what != "__version__"
    }
    assert taken == set()


@pytest.mark.parametrize(
    "package", ["dtassess.inputs", "dtassess.scoring", "dtassess.reporting", "dtassess.forms"]
)
def test_stage_packages_import_nothing(package):
    """Importing one module of a stage must not import the stage: the packages' __init__ files
    are their documentation only."""
    path, _ = modules()[package]
    tree = ast.parse(path.read_text("utf-8"))
    assert [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)] == []


def test_importing_the_packages_imports_neither_pandas_nor_weasyprint():
    """The CLI's --help imports dtassess and dtassess.cli (tests/test_cli.py runs it); the
    stage packages must be as light."""
    code = (
        "import sys, dtassess, dtassess.cli, dtassess.inputs, dtassess.scoring, "
        "dtassess.reporting\n"
        "print([m for m in ('pandas', 'numpy', 'weasyprint', 'textual') if m in sys.modules])\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_the_survey_starts_without_numpy():
    # Importing numpy was a fifth of the full-screen survey's start-up; skip logic for one
    # respondent is plain Python (conditions.Condition.evaluate_one).
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "import dtassess.survey_app\n"
        "from dtassess.inputs.questionnaire import load_questionnaire\n"
        "from dtassess.survey import Survey\n"
        "s = Survey(load_questionnaire('gov-dt'), Path('unused.yaml'))\n"
        "s.answers['strategy.vision.has_plan'] = 'no'\n"
        "assert len(s.visible()) > 10\n"
        "print('numpy' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
