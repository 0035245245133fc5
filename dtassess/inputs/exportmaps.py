"""Mapping files given per export, when several exports are imported or scored together:
`--mapping wjx.xlsx=wjx-map.yaml --mapping tencent.csv=tencent-map.yaml`, and at most one
`--mapping MAP.yaml` without an export for the others. docs/import.md, Mapping files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import DtassessError, ExitCode, Problem
from .mapping import Mapping, load_mapping
from .questionnaire import Questionnaire


class PerExport:
    """The mapping each export is read with: its own, else the one given for all, else none."""

    def __init__(self, default: Mapping | None, named: dict[Path, Mapping]) -> None:
        self.default = default
        self.named = named

    def get(self, path: str | Path) -> Mapping | None:
        return self.named.get(_key(path), self.default)


def _key(path: str | Path) -> Path:
    return Path(os.path.abspath(path))


def _export_named(name: str, exports: Sequence[str | Path]) -> Path | None:
    """The export a `--mapping EXPORT=` names: by its path as given or its file name."""
    for export in exports:
        if name == str(export) or _key(name) == _key(export):
            return _key(export)
    by_name = [e for e in exports if Path(e).name == name]
    if len(by_name) == 1:
        return _key(by_name[0])
    return None


def _refused(message: str) -> DtassessError:
    return DtassessError(Problem("I019", message), ExitCode.BAD_INPUT)


def load_mappings(
    spec: str | Path | Sequence[str | Path] | None,
    exports: Sequence[str | Path],
    q: Questionnaire,
) -> Mapping | PerExport | None:
    """The mapping files `--mapping` gives, each checked (I011): one for every export
    (`MAP.yaml`), or one per export (`EXPORT=MAP.yaml`). Raises DtassessError (I019, exit 2)
    when a `--mapping` names an export that is not given, or two apply to one export."""
    if spec is None:
        return None
    items = [spec] if isinstance(spec, str | Path) else list(spec)
    default: Mapping | None = None
    named: dict[Path, Mapping] = {}
    plain = 0
    for item in items:
        text = os.fspath(item)
        left, sep, right = text.partition("=")
        target = _export_named(left, exports) if sep and right else None
        if sep and target is None and not Path(text).exists():
            given = ", ".join(str(e) for e in exports) or "none"
            raise _refused(
                f"--mapping {text}: '{left}' is none of the exports given ({given}); write "
                "--mapping EXPORT=MAP.yaml with an export's path or file name, or --mapping "
                "MAP.yaml for every export"
            )
        if target is None:
            plain += 1
            if plain > 1:
                raise _refused(
                    f"--mapping {text}: a second mapping file for every export; name the "
                    "export each one is for (--mapping EXPORT=MAP.yaml)"
                )
            default = load_mapping(text, q)
            continue
        if target in named:
            raise _refused(f"--mapping {text}: a second mapping file for {left}")
        named[target] = load_mapping(right, q)
    if not named:
        return default
    return PerExport(default, named)


def mapping_of(mapping: Mapping | PerExport | None, path: str | Path) -> Mapping | None:
    """The mapping one export is read with."""
    return mapping.get(path) if isinstance(mapping, PerExport) else mapping
