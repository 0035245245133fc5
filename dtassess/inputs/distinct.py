"""Inputs named more than once are read once.

`score a.yaml ./a.yaml`, a folder and a file inside it, a symlink beside its target, or two hard
links to one file would otherwise count the same respondents twice. A file is the same file when
its device and inode numbers are (symlinks followed), whatever path names it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import Problem


def distinct_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """`paths` in their order, each file kept under the first path that names it, and an F015
    warning for every later path to a file already kept.

    A path that cannot be looked up is kept: reading it reports why."""
    first: dict[tuple[int, int], Path] = {}
    kept: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            kept.append(path)
            continue
        key = (info.st_dev, info.st_ino)
        if info.st_ino == 0:  # a file system without inode numbers: no way to tell
            kept.append(path)
        elif key not in first:
            first[key] = path
            kept.append(path)
        else:
            problems.append(_repeated(path, first[key]))
    return kept, problems


def _repeated(path: Path, first: Path) -> Problem:
    if str(path) == str(first):
        why = "this file is named more than once (perhaps also inside a folder given)"
    else:
        why = f"this is the same file as {first} (through a link or another path)"
    return Problem("F015", f"{why}; it is read once", str(path), severity="warning")
