"""The optional parts of dtassess and the packages each needs (pyproject.toml, extras).

The core install scores, validates, imports, asks the survey and plans roadmaps; rendering
reports, Parquet and the Dask engine are extras, so that a validate-only CI job does not install
WeasyPrint or Arrow. A command that needs an extra checks for it before any work and says which
one to install (C006, exit 2); an import that fails deeper down is named the same way by the
CLI (`problem_for`). Only names are looked up here: nothing is imported.
"""

from __future__ import annotations

import functools
import importlib.util

from .errors import DtassessError, ExitCode, Problem

# extra -> the top-level modules it brings, in the order they are checked
EXTRAS: dict[str, tuple[str, ...]] = {
    "report": ("jinja2", "weasyprint", "docx"),
    "parquet": ("pyarrow",),
    "dask": ("dask", "distributed", "pyarrow"),
}
# a module missing at run time -> the extra that installs it (WeasyPrint's own dependencies
# included, for a broken install)
MODULE_EXTRA: dict[str, str] = {
    "jinja2": "report",
    "markupsafe": "report",
    "weasyprint": "report",
    "pydyf": "report",
    "tinycss2": "report",
    "cssselect2": "report",
    "docx": "report",
    "lxml": "report",
    "pyarrow": "parquet",
    "dask": "dask",
    "distributed": "dask",
}


@functools.cache
def installed(module: str) -> bool:
    """Whether a top-level module can be imported (without importing it; looked up once)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a blocked or half-installed module
        return False


def missing(extra: str) -> str | None:
    """The first module of an extra that is not installed, or None."""
    return next((m for m in EXTRAS[extra] if not installed(m)), None)


def needs(extra: str, module: str, what: str) -> Problem:
    return Problem(
        "C006",
        f"{what} needs the '{extra}' extra, which is not installed (no module '{module}'): "
        f"pip install 'dtassess[{extra}]'",
    )


def require(extra: str, what: str) -> None:
    """Raise C006 (exit 2) when an extra `what` needs is not installed."""
    module = missing(extra)
    if module is not None:
        raise DtassessError(needs(extra, module, what), ExitCode.BAD_INPUT)


def problem_for(exc: ImportError) -> Problem | None:
    """C006 for an import of an extra's module that failed, None for any other import."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    extra = MODULE_EXTRA.get(name)
    if extra is None:
        return None
    return needs(extra, name, "this command")
