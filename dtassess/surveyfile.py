"""The survey's response file, kept safe whatever the terminal in front of it does.

One `SurveyFile` per run: `open()` checks that the file can be written and locks it before the
first question, so that nothing typed is lost to a path that cannot take it or to a second run on
the same file; `save()` writes atomically and keeps the previous content as `FILE.bak` before the
first save of a run that discards answers; `close()` releases the lock. It knows nothing about
terminals, so any front end (the transcript survey, a full-screen app) can use it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
from pathlib import Path

from .errors import DtassessError, Problem, shorten
from .files import file_kind, write_atomic

LOCK_SUFFIX = ".lock"
BACKUP_SUFFIX = ".bak"


class SurveyFile:
    """A response file written by one survey run at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + LOCK_SUFFIX)
        self.backup_path = self.path.with_name(self.path.name + BACKUP_SUFFIX)
        self.backup_first = False  # set when this run replaces answers the file holds
        self.saves = 0
        self.saved_answers = 0
        self._lock_fd: int | None = None
        self._created: list[Path] = []

    # ------------------------------------------------------------------ open and close

    def open(self) -> SurveyFile:
        """Check that the file can be written, then lock it; a located problem otherwise."""
        try:
            self._check_kind()
            self._make_folder()
            self._lock()
        except BaseException:
            self.close()  # a folder made for nothing goes again
            raise
        return self

    def close(self) -> None:
        """Release the lock and remove the lock file (and any folder made for nothing)."""
        if self._lock_fd is not None:
            # Removed while still held: a run that opened it meanwhile finds it gone and retries.
            with contextlib.suppress(OSError):
                self.lock_path.unlink()
            os.close(self._lock_fd)
            self._lock_fd = None
        if not self.path.exists():
            for folder in reversed(self._created):
                with contextlib.suppress(OSError):
                    folder.rmdir()
        self._created = []

    def __enter__(self) -> SurveyFile:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_kind(self) -> None:
        try:
            mode = os.stat(self.path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return  # the folder's turn: _make_folder says what is wrong with it
        except OSError as exc:
            raise self._unwritable(exc.strerror or str(exc)) from None
        kind = file_kind(mode)
        if kind is not None:
            raise self._unwritable(f"it is {kind}; the survey writes a regular file")

    def _make_folder(self) -> None:
        missing = []
        folder = self.path.parent
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            try:
                made.mkdir()
            except FileExistsError:
                if not made.is_dir():
                    raise self._unwritable(f"{made} is not a folder") from None
            except OSError as exc:
                raise self._unwritable(
                    f"cannot create the folder {made}: {exc.strerror or exc}"
                ) from None
            else:
                self._created.append(made)
        if not self.path.parent.is_dir():
            raise self._unwritable(f"{self.path.parent} is not a folder")

    def _lock(self) -> None:
        import fcntl

        while True:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                # Creating the lock file is the first write into the folder: it is the probe.
                raise self._unwritable(
                    f"cannot create {self.lock_path.name} in {self.path.parent}: "
                    f"{exc.strerror or exc}"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise self._in_use(holder) from None
            except OSError as exc:
                os.close(fd)
                raise self._unwritable(f"cannot lock {self.lock_path}: {exc.strerror}") from None
            # The holder may have removed the file between our open and our lock: then the lock
            # is on a name nobody else sees, and we try again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.lock_path))
            except OSError:
                same = False
            if same:
                break
            os.close(fd)
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        holder = f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, holder.encode("utf-8"), 0)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                self.lock_path.unlink()
            raise self._unwritable(f"cannot write {self.lock_path}: {exc.strerror}") from None
        self._lock_fd = fd

    # ------------------------------------------------------------------ saving

    def save(self, text: str, answers: int = 0) -> None:
        """Replace the file's content (holding `answers` answers) atomically; before a run's
        first save that discards answers, the previous file is kept as FILE.bak (atomically
        too)."""
        try:
            if self.backup_first and self.path.is_file():
                write_atomic(self.backup_path, self.path.read_bytes(), force=True)
            self.backup_first = False
            write_atomic(self.path, text, force=True)
        except OSError as exc:
            raise self._save_failed(exc.strerror or str(exc)) from None
        except DtassessError as exc:
            cause = exc.__cause__
            why = getattr(cause, "strerror", None) or exc.problems[0].message
            raise self._save_failed(why) from None
        self.saves += 1
        self.saved_answers = answers

    # ------------------------------------------------------------------ problems

    def _unwritable(self, why: str) -> DtassessError:
        return DtassessError(
            Problem(
                "F018",
                f"the survey cannot write {self.path}: {why}; nothing was asked. "
                "Give another -o path",
                str(self.path),
            )
        )

    def _in_use(self, holder: str) -> DtassessError:
        who = f" ({holder})" if holder else ""
        return DtassessError(
            Problem(
                "F017",
                f"{self.path} is open in another survey{who}; finish or quit that survey "
                f"first (the lock {self.lock_path.name} is released when it ends)",
                str(self.path),
            )
        )

    def _save_failed(self, why: str) -> DtassessError:
        if self.saves:
            kept = (
                "the answers up to the previous one are in the file "
                f"({self.saved_answers} saved); the last answer was not saved"
            )
        elif self.path.exists():
            kept = "the file was not changed by this run; the last answer was not saved"
        else:
            kept = "nothing was saved"
        return DtassessError(
            Problem(
                "F018",
                f"cannot save {self.path}: {why}; {kept}. Fix the cause, then resume: "
                f"dtassess survey -o {self.path} --resume",
                str(self.path),
            )
        )


def _read_holder(fd: int) -> str:
    try:
        raw = os.pread(fd, 512, 0)
    except OSError:
        return ""
    return shorten(raw.decode("utf-8", "replace").strip(), 120)
