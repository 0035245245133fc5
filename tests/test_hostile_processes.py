"""Worker processes end with their parent: kill -9 of a run over many files leaves nothing behind.

Linux only (the processes are found through /proc); a single core never starts a pool.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES

from dtassess.pools import end_with_parent
from dtassess.resources import annual_sample_dir

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
    reason="needs /proc and at least two cores (one core checks files without a pool)",
)

FILES = 1200  # more than responses.PARALLEL_FILES


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has ended


def _comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return None


def _workers(parent: int) -> set[int]:
    """Children of `parent` running the same program (a pool's forks, not e.g. fc-list)."""
    name = _comm(parent)
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields and int(fields[1]) == parent and _comm(int(entry)) == name:
                found.add(int(entry))
    return found


def _kill_once_workers_run(args: list[str], cwd: Path) -> set[int]:
    """Start `python -m dtassess ARGS`, SIGKILL it as soon as its pool's workers exist, and
    return the workers' pids."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "dtassess", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 30
        while not workers and child.poll() is None and time.monotonic() < deadline:
            workers = _workers(child.pid)
            time.sleep(0.005)
        time.sleep(0.05)  # the pool's other workers are forked right after the first
        workers |= _workers(child.pid)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return workers


def _left_after(workers: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.02)
    left = {p for p in workers if _alive(p)}
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    return left


@pytest.fixture(scope="module")
def many_responses(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    text = (SAMPLES / "01-zhengshuju-fujuzhang.yaml").read_text(encoding="utf-8")
    for i in range(FILES):
        (folder / f"r{i:04d}.yaml").write_text(text.replace("id: r-01", f"id: r-{i:04d}"), "utf-8")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--responses", "{many}"],
        ["archive", "add", "{many}", "--to", "{tmp}/archive"],
        ["report", str(annual_sample_dir()), "--per-unit", "--format", "html", "-o", "{tmp}/u"],
    ],
    ids=["validate", "archive-add", "report-per-unit"],
)
def test_kill_9_of_the_parent_ends_its_workers(tmp_path, many_responses, args):
    args = [a.format(many=many_responses, tmp=tmp_path) for a in args]
    workers = _kill_once_workers_run(args, tmp_path)
    assert workers, "the run ended before its workers were seen"
    assert _left_after(workers, 3.0) == set()


WATCHED = textwrap.dedent(
    """
    import sys, time
    import dtassess.pools as pools

    pools._death_signal = lambda: False  # as where prctl is not available

    def wait(_):
        time.sleep(60)

    if __name__ == "__main__":
        pool = pools.process_pool(2)
        futures = [pool.submit(wait, i) for i in range(2)]
        print("started", flush=True)
        time.sleep(60)
    """
)


@pytest.mark.slow
def test_without_the_death_signal_a_worker_watches_its_parent(tmp_path):
    script = tmp_path / "watched.py"
    script.write_text(WATCHED, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 10
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = _workers(child.pid)
            time.sleep(0.01)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert len(workers) == 2
    assert _left_after(workers, 3.0) == set()


@pytest.mark.parametrize(("parent_offset", "exit_code"), [(0, 0), (1_000_000, 1)])
def test_a_worker_whose_parent_died_before_it_started_ends_at_once(parent_offset, exit_code):
    # A parent pid that is not the worker's stands for a parent that died between the fork and
    # the request for the death signal (the worker has been handed to another process).
    fork = multiprocessing.get_context("fork")
    worker = fork.Process(target=end_with_parent, args=(os.getpid() + parent_offset,))
    worker.start()
    worker.join(10)
    assert worker.exitcode == exit_code
