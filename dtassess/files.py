"""Reading and writing files so that nothing hangs and nothing the user owns is lost.

Reading: only regular files are opened (a FIFO or a device behind a committed symlink would block
or never end), and a size limit is checked before a byte is read. Writing: atomically, and never
over a file that exists unless asked to.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from .errors import DtassessError, Problem


def file_kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(path: Path, mode: int, code: str) -> DtassessError:
    kind = file_kind(mode)
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


# --------------------------------------------------------------------------- names from data

# A name's bytes in UTF-8: file systems allow 255; room is left for a copy's " (2)" and for the
# folders the name is later zipped or synced into.
NAME_BYTES = 160
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"{port}{n}" for port in ("com", "lpt") for n in "0123456789¹²³"]
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _clean(text: str) -> str:
    """Letters, marks and digits of any script kept, `-` `_` `.` kept, every other run of
    characters (separators, control and format characters, spaces, `<>:"|?*`) one `_`."""
    kept: list[str] = []
    replaced = False
    for ch in unicodedata.normalize("NFC", text):
        if ch in "-_." or unicodedata.category(ch)[0] in "LMN":
            kept.append(ch)
            replaced = False
        elif not replaced:
            kept.append("_")
            replaced = True
    name = "".join(kept)
    while ".." in name:
        name = name.replace("..", ".")
    # A leading dot hides a file and a leading dash reads as an option; Windows drops a
    # trailing dot.
    name = name.lstrip(".-").rstrip(".")
    if name.split(".", 1)[0].casefold() in _RESERVED:
        name = "_" + name
    return name or "unnamed"


def _fit(stem: str, suffix: str, tag: str | None, limit: int) -> str:
    """`stem` + (`-tag`) + `suffix` in at most `limit` bytes, the stem cut between characters."""
    room = limit - len(suffix.encode()) - (len(tag) + 1 if tag else 0)
    raw = stem.encode("utf-8")
    if len(raw) > room and tag is None:
        tag = _digest(stem)
        room -= len(tag) + 1
    cut = raw[: max(room, 1)].decode("utf-8", "ignore").rstrip(".") or "_"
    return f"{cut}-{tag}{suffix}" if tag else f"{cut}{suffix}"


def safe_names(
    stems: Sequence[str],
    suffix: str = "",
    keys: Sequence[object] | None = None,
    limit: int = NAME_BYTES,
) -> list[str]:
    """File names made from data (organization ids, units, periods, respondent ids), safe on
    every file system: no path separators, no `..`, no control characters, no leading dot or
    dash, no Windows device name (CON, NUL, COM1, ... also with an extension, in any case), at
    most `limit` bytes of UTF-8 (a cut name ends in a hash of the whole). Chinese and other
    scripts stay as they are.

    Names that come out equal (compared without case, as on Windows and macOS) all get `-` and
    a short hash of their key (by default the stem as given), so every run names the same
    input the same way, in whatever order it comes. `suffix` is dtassess's own (`.pdf`).
    """
    keys = list(stems) if keys is None else list(keys)
    cleaned = [_clean(str(stem)) for stem in stems]
    names = [_fit(stem, suffix, None, limit) for stem in cleaned]
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        groups.setdefault(name.casefold(), []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        seen: dict[str, int] = {}
        for i in members:
            key = str(keys[i])
            # Outputs that not even their keys tell apart are told apart by their order.
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                key += f"\x1f{seen[key]}"
            names[i] = _fit(cleaned[i], suffix, _digest(key), limit)
    return names


def inside(folder: str | Path, name: str) -> Path:
    """`folder / name`, after making sure that the name cannot lead anywhere else."""
    path = Path(folder) / name
    normal = Path(os.path.normpath(path))
    if (
        name in ("", ".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or normal.parent != Path(os.path.normpath(folder))
    ):
        raise ValueError(f"output name {name!r} would leave {folder}")
    return path


# --------------------------------------------------------------------------- writing


def _existing(path: Path, force: bool) -> Problem | None:
    """Why `path` may not be written: it is not a regular file (never replaced, F012), or it
    exists, even as a dangling symbolic link, and `force` is false (F003)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Problem("F013", f"cannot write {path}: {exc.strerror}", str(path))
    link = stat.S_ISLNK(info.st_mode)
    if link:
        try:
            info = os.stat(path)
        except OSError:
            if force:
                return None
            return Problem(
                "F003",
                f"{path} is a symbolic link to {os.readlink(path)}, which does not exist; pass "
                "--force to replace the link",
                str(path),
            )
    kind = file_kind(info.st_mode)
    if kind is not None:
        through = " (through a symbolic link)" if link else ""
        return Problem(
            "F012",
            f"{path} is {kind}{through}; dtassess writes only regular files and never replaces "
            "this, even with --force: give another output",
            str(path),
        )
    if force:
        return None
    return Problem("F003", f"{path} already exists; pass --force to replace it", str(path))


def refuse_existing(paths: Sequence[str | Path], force: bool) -> None:
    """Stop before any work when an output exists (F003) or is a directory, FIFO or device
    (F012, even with `force`), naming every one of them."""
    problems = [p for p in (_existing(Path(path), force) for path in paths) if p is not None]
    if problems:
        raise DtassessError(problems)


def cannot_write(path: str | Path, exc: OSError) -> DtassessError:
    """A full disk, a read-only or forbidden folder: exit 2 naming the path."""
    reason = exc.strerror or str(exc)
    return DtassessError(
        Problem("F013", f"cannot write {path}: {reason}; nothing was written", str(path))
    )


# Errors of os.link on file systems without hard links; the exclusive create then reserves the
# name instead.
_NO_LINKS = {errno.EPERM, errno.EMLINK, errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP}


class _Batch:
    """Outputs staged in hidden folders beside them, then put in place all together, or none.

    Without --force a file is linked into place, which fails if the name exists by then (a
    concurrent run): the check and the write are one step. With --force it is renamed over the
    old file, kept meanwhile as a hard link so that a failure can put it back.
    """

    def __init__(self, force: bool, owned: frozenset[Path] = frozenset()) -> None:
        self.force = force
        self.owned = owned  # replaced as with force (write_files)
        self.staging: dict[Path, Path] = {}
        self.staged: list[tuple[Path, Path, int]] = []
        self.placed: list[tuple[Path, int, Path | None]] = []
        self.made: list[Path] = []
        self.current: Path | None = None

    def _folder(self, parent: Path) -> Path:
        if parent not in self.staging:
            missing = []
            for folder in [parent, *parent.parents]:
                if os.path.lexists(folder):
                    break
                missing.append(folder)
            for folder in reversed(missing):
                self.current = folder
                os.mkdir(folder)
                self.made.append(folder)
            self.current = parent
            self.staging[parent] = Path(
                tempfile.mkdtemp(prefix=".dtassess-", suffix=".tmp", dir=parent)
            )
        return self.staging[parent]

    def stage(self, target: Path, data: str | bytes) -> None:
        raw = data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data
        folder = self._folder(target.parent)
        self.current = target
        staged = folder / str(len(self.staged))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(staged, flags, 0o666)  # the umask applies, as for any new file
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            inode = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        self.staged.append((target, staged, inode))

    def commit(self) -> None:
        for target, staged, inode in sorted(self.staged, key=lambda item: str(item[0])):
            self.current = target
            force = self.force or target in self.owned
            problem = _existing(target, force)
            if problem is not None:
                raise DtassessError(problem)
            if force:
                backup = self._keep(target, staged)
                os.replace(staged, target)
                self.placed.append((target, inode, backup))
                continue
            try:
                os.link(staged, target, follow_symlinks=False)
            except FileExistsError:
                raise DtassessError(_existing(target, False) or _raced(target)) from None
            except OSError as exc:
                if exc.errno not in _NO_LINKS:
                    raise
                try:
                    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
                except FileExistsError:
                    raise DtassessError(_raced(target)) from None
                try:
                    os.replace(staged, target)
                except OSError:
                    os.unlink(target)
                    raise
                self.placed.append((target, inode, None))
                continue
            self.placed.append((target, inode, None))
        for parent in self.staging:
            _sync_folder(parent)

    def _keep(self, target: Path, staged: Path) -> Path | None:
        """A hard link to the file `target` replaces, to put back if a later one fails."""
        if not os.path.lexists(target):
            return None
        backup = staged.with_name(staged.name + ".old")
        try:
            os.link(target, backup, follow_symlinks=False)
        except OSError:
            return None
        return backup

    def rollback(self) -> None:
        for target, inode, backup in reversed(self.placed):
            try:
                if os.lstat(target).st_ino != inode:
                    continue  # not ours any more
                if backup is not None:
                    os.replace(backup, target)
                else:
                    os.unlink(target)
            except OSError:
                pass
        self.placed.clear()

    def cleanup(self) -> None:
        import shutil

        for folder in self.staging.values():
            shutil.rmtree(folder, ignore_errors=True)
        for folder in reversed(self.made):
            try:
                os.rmdir(folder)
            except OSError:
                break


def _raced(target: Path) -> Problem:
    return Problem(
        "F003",
        f"{target} appeared while this run was writing it (another run?); pass --force to "
        "replace it",
        str(target),
    )


def _sync_folder(folder: Path) -> None:
    """Make the new names durable; some file systems cannot, which costs only durability."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_files(
    items: Sequence[tuple[str | Path, str | bytes]],
    force: bool = False,
    owned: Sequence[str | Path] = (),
) -> list[Path]:
    """Write every `(path, data)` or none of them.

    Nothing is replaced unless `force`, or the path is among `owned` (outputs the command owns,
    such as `score --junit FILE`); a directory, FIFO or device never is (F012). A symbolic
    link at a path counts as the file it names; with `force` the link itself is replaced, never
    written through. A full disk or a read-only folder is F013 (exit 2), and whatever this call
    had put in place is removed again: the old files are what remains.
    """
    targets = [Path(path) for path, _ in items]
    mine = frozenset(Path(path) for path in owned)
    refuse_existing([t for t in targets if t not in mine], force)
    refuse_existing([t for t in targets if t in mine], True)
    batch = _Batch(force, mine)
    try:
        for target, (_, data) in zip(targets, items, strict=True):
            batch.stage(target, data)
        batch.commit()
    except OSError as exc:
        batch.rollback()
        raise cannot_write(batch.current or targets[0], exc) from exc
    except BaseException:
        batch.rollback()
        raise
    finally:
        batch.cleanup()
    return targets


def write_atomic(path: str | Path, data: str | bytes, force: bool = False) -> Path:
    """Write one file atomically: the old file or the new one, never half of one."""
    return write_files([(path, data)], force)[0]


def remove_outputs(paths: Sequence[str | Path]) -> list[Path]:
    """Remove the outputs of a run that failed, so that none of an earlier run stays to be read
    as this run's (`score --junit FILE` ..., docs/ci.md); return those removed.

    Only a regular file goes, or a symbolic link to one or to nothing (the link itself, never
    what it names); a directory, FIFO or device, or a link to one, is never touched. One that
    cannot be removed is left: the run's own error says what went wrong."""
    removed = []
    for path in map(Path, paths):
        try:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode) and os.path.exists(path):
                info = os.stat(path)  # a link counts as what it names
            if stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
                os.unlink(path)
                removed.append(path)
        except OSError:
            continue
    return removed
