"""Where the bundled folders are, from a source checkout and from an installed wheel.

The repository keeps `questionnaires/` and `report_templates/` at its top level; the wheel carries
them inside the package (see pyproject.toml). Looking in the package first and beside it second
makes both work without copying anything.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


@cache
def _bundled_index() -> dict[str, Path]:
    """Map `id` and `id@version` to each bundled questionnaire file, read from its header."""
    index: dict[str, Path] = {}
    folder = bundled_dir("questionnaires")
    if not folder.is_dir():
        return index
    for path in sorted(folder.glob("*.yaml")):
        head = path.read_text(encoding="utf-8")[:2000]
        qid = re.search(r"^id:\s*['\"]?([\w.-]+)", head, re.M)
        version = re.search(r"^version:\s*['\"]?([\w.-]+)", head, re.M)
        if not qid:
            continue
        index.setdefault(qid.group(1), path)
        if version:
            index[f"{qid.group(1)}@{version.group(1)}"] = path
    return index


def bundled_questionnaire_refs() -> list[str]:
    """The ids of the questionnaires bundled with dtassess, sorted."""
    return sorted(k for k in _bundled_index() if "@" not in k)


def bundled_questionnaire_path(ref: str) -> Path | None:
    """The bundled file for `gov-dt` or `gov-dt@1.0` (None if there is none)."""
    return _bundled_index().get(ref)


def sample_responses_dir() -> Path:
    """The sample county's response files, one period (what `dtassess demo` reports on)."""
    return bundled_dir("questionnaires") / "samples"


def annual_sample_dir() -> Path:
    """Three years of the sample county's units (scripts/annual_sample.py), one folder a year."""
    return bundled_dir("questionnaires") / "samples-annual"


def doc_topics() -> dict[str, Path]:
    """`dtassess help TOPIC`: the documentation pages, by name (`cli`, `errors`, `report` ...).

    The wheel carries docs/ inside the package, as it does the questionnaires, so that what
    --help cites is there in an installed copy too."""
    folder = bundled_dir("docs")
    return {path.stem: path for path in sorted(folder.glob("*.md"))} if folder.is_dir() else {}
