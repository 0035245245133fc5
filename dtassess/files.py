"""Reading and writing files so that nothing hangs and nothing the user owns is lost.

Reading: only regular files are opened (a FIFO or a device behind a committed symlink would block
or never end), and a size limit is checked before a byte is read. Writing: atomically, and never
over a file that exists unless asked to.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import DtassessError, Problem


def _not_regular(path: Path, mode: int, code: str) -> DtassessError:
    kind = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    if code == "F001" and not stat.S_ISDIR(mode):
        code = "F007"
    return DtassessError(
        Problem(
            code,
            f"this is {kind}, not a regular file; dtassess reads only regular files",
            str(path),
        )
    )


def _missing(path: Path, code: str, exc: OSError) -> DtassessError:
    if isinstance(exc, FileNotFoundError):
        return DtassessError(Problem(code, f"file not found: {path}", str(path)))
    return DtassessError(Problem(code, f"cannot read {path}: {exc.strerror}", str(path)))


def require_regular_file(path: str | Path, code: str = "F001") -> Path:
    """Refuse anything but a regular file (symlinks followed) before a reader opens it by name.

    For readers that take a path (pyarrow, openpyxl); `read_bytes` checks the open descriptor
    itself, which leaves no window between the check and the read.
    """
    target = Path(path)
    try:
        mode = os.stat(target).st_mode
    except OSError as exc:
        raise _missing(target, code, exc) from None
    if not stat.S_ISREG(mode):
        raise _not_regular(target, mode, code)
    return target


def read_bytes(path: str | Path, limit: int | None = None, code: str = "F001") -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or a located problem.

    Opened without blocking, so a FIFO is refused instead of waiting for a writer; the size is
    checked on the open descriptor before reading, and the read stops one byte past the limit in
    case the file grows meanwhile.
    """
    target = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        if isinstance(exc, IsADirectoryError):
            raise _not_regular(target, stat.S_IFDIR, code) from None
        raise _missing(target, code, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(target, info.st_mode, code)
        if limit is not None and info.st_size > limit:
            raise too_large(target, info.st_size, limit)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
    except OSError as exc:
        raise _missing(target, code, exc) from None
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:
        raise too_large(target, len(data), limit)
    return data


def too_large(path: Path, size: int, limit: int) -> DtassessError:
    return DtassessError(
        Problem(
            "F008",
            f"the file is {size:,} bytes; dtassess reads files of this kind up to {limit:,} bytes",
            str(path),
        )
    )


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
