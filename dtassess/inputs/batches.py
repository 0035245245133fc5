"""An import's outcome as a whole: a bar on the cells it may reject (`--max-rejected`), and
response-file names that never take the place of another batch's files (a second export whose
序号 restarts at 1). docs/import.md, Output."""

from __future__ import annotations

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
