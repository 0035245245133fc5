"""Worker processes that end when the process that started them ends.

A pool's workers wait on pipes whose other ends they inherited themselves, so when the parent is
killed (kill -9, the OOM killer, a CI job's timeout) no end-of-file ever reaches them and they
wait for good. Every worker therefore asks the kernel to kill it when its parent dies (Linux:
prctl PR_SET_PDEATHSIG), or, where that is not available, watches its parent from a thread.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_SECONDS = 1.0  # how often a worker without the death signal looks at its parent


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor of `workers` processes that die with this one."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(),
        initializer=end_with_parent,
        initargs=(os.getpid(),),
    )


def _context() -> multiprocessing.context.BaseContext:
    # The worker's parent must be this process for the check in end_with_parent: fork (the
    # default on Linux up to Python 3.13) and spawn give that, a fork server would not.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def end_with_parent(parent: int) -> None:
    """Worker initializer: end this process when `parent` (its parent's pid) ends."""
    if not _death_signal():
        threading.Thread(target=_watch, args=(parent,), name="watch-parent", daemon=True).start()
    # The parent may have died before the death signal was asked for: it would never come.
    if os.getppid() != parent:
        os._exit(1)


def _death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where it cannot.

    SIGKILL, because a worker holds nothing to clean up and may be deep in C code (YAML parsing,
    PDF layout) where a catchable signal would wait."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)
