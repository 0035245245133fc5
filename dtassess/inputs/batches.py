"""An import's outcome as a whole: a bar on the cells it may reject (`--max-rejected`), and
response-file names that never take the place of another batch's files (a second export whose
序号 restarts at 1). docs/import.md, Output."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from ..errors import DtassessError, ExitCode, Problem


def too_many_rejected(rejected: int, allowed: int, rows: int) -> DtassessError:
    """The error of an import that rejected more cells than `--max-rejected` allows (I017)."""
    return DtassessError(
        Problem(
            "I017",
            f"{rejected:,} cell(s) of {rows:,} row(s) were rejected, more than --max-rejected "
            f"{allowed:,} allows; nothing was written (the problems above say which cells and "
            "why: fix the export or a --mapping file, or raise the bar)",
        ),
        ExitCode.INVALID,
    )


# The first line of every response file an import writes (exports.write_responses).
IMPORTED = "# imported by dtassess from "


def export_of(source: str) -> str:
    """The file name of the export a response came from (`b1/wjx.xlsx:17` -> `wjx.xlsx`)."""
    return os.path.basename(source.rsplit(":", 1)[0])


def _recorded_export(path: Path) -> str | None:
    """The export named by the first line of a response file an import wrote; None for a
    file that is no such response file (the user's own, a link, a folder)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            first = handle.readline(4096).decode("utf-8", "replace").rstrip("\r\n")
    except OSError:
        return None
    if not first.startswith(IMPORTED):
        return None
    return export_of(first[len(IMPORTED) :])


def clear_of_other_batches(targets: list[Path], sources: list[str]) -> tuple[list[Path], int]:
    """Names that never take the place of a file imported from another export: where a target
    holds a response imported from an export of another file name (a second batch whose 序号
    restarts at 1 makes the first batch's names again), the new file's name gets `-` and a
    short hash of its export's file name and row (`qs-1-5e0c2a91.yaml`), the same on every
    run. A file from the same export stays the target (a re-import: F003, or --force)."""
    placed, renamed = [], 0
    for target, source in zip(targets, sources, strict=True):
        recorded = _recorded_export(target) if os.path.lexists(target) else None
        if recorded is not None and recorded != export_of(source):
            row = source.rsplit(":", 1)[-1]
            digest = hashlib.sha256(f"{export_of(source)}:{row}".encode()).hexdigest()[:8]
            target = target.with_name(f"{target.stem}-{digest}{target.suffix}")
            renamed += 1
        placed.append(target)
    return placed, renamed
