"""Writing files so that nothing the user owns is lost: atomically, and never over a file
that exists unless asked to."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import DtassessError, Problem


def write_atomic(path: str | Path, data: str | bytes, force: bool = False) -> Path:
    """Write to a temporary file beside `path`, then rename it into place.

    A crash leaves either the old file or the new one, never half of one.
    """
    target = Path(path)
    if target.exists() and not force:
        raise DtassessError(
            Problem("F003", f"{target} already exists; pass --force to replace it", str(target))
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp makes the file private; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def refuse_existing(paths: list[Path], force: bool) -> None:
    """Stop before any work when an output exists, naming every one of them."""
    if force:
        return
    existing = [p for p in paths if Path(p).exists()]
    if existing:
        raise DtassessError(
            [
                Problem("F003", f"{p} already exists; pass --force to replace it", str(p))
                for p in existing
            ]
        )
