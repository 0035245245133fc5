"""Score N response files end to end with the command, against loops that only load the files.

    python benchmarks/bench_files.py                  # 10,000 gov-dt files, 3 runs each
    python benchmarks/bench_files.py --files 1000 --runs 5

Writes --files synthetic gov-dt response files (benchmarks/generate.py's `write_response_files`,
one YAML file per respondent) into a temporary directory, then times three processes over them,
each --runs times after one untimed run of the command (which also brings the files into the page
cache), and reports the fastest and the median wall time:

- command: `dtassess score DIR --by unit --format json -q gov-dt`, the installed command as users
  run it, standard output captured; its JSON must count all N respondents, or the script exits 1.
- yaml.safe_load: a Python loop that reads every file and parses it with `yaml.safe_load`
  (PyYAML's pure-Python loader), as a naive tool would, and does nothing else.
- CSafeLoader: the same loop with `yaml.load(text, Loader=yaml.CSafeLoader)` (libyaml).

The loops run as fresh interpreters too, so that every row pays for start-up and imports. A
ratio is the loop's time over the command's (fastest over fastest): above 1, scoring the files
takes less time than only parsing them that way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from generate import write_response_files

from dtassess.inputs.questionnaire import load_questionnaire

# One process per run over every .yaml file under the directory (argv[1]), in sorted order.
LOOP = """
import sys
from pathlib import Path

import yaml

files = sorted(p for p in Path(sys.argv[1]).rglob("*") if p.suffix == ".yaml")
{setup}
for path in files:
    data = {load}
"""
LOOPS = (
    (
        "yaml.safe_load loop (pure Python)",
        LOOP.format(setup="", load='yaml.safe_load(path.read_text(encoding="utf-8"))'),
    ),
    (
        "yaml CSafeLoader loop (libyaml)",
        LOOP.format(
            setup="loader = yaml.CSafeLoader",
            load='yaml.load(path.read_text(encoding="utf-8"), Loader=loader)',
        ),
    ),
)


def command_line() -> list[str]:
    """The `dtassess` console script of this interpreter's environment (else `python -m`)."""
    script = Path(sys.executable).with_name("dtassess")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dtassess"]


def timed(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed with status {done.returncode}: {' '.join(args)}\n{done.stderr}")
    return seconds, done.stdout


def times(args: list[str], runs: int) -> tuple[list[float], str]:
    seconds, output = [], ""
    for _ in range(runs):
        elapsed, output = timed(args)
        seconds.append(elapsed)
    return seconds, output


def machine() -> str:
    libyaml = "with libyaml" if getattr(yaml, "__with_libyaml__", False) else "without libyaml"
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"PyYAML {yaml.__version__} {libyaml}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="number of response files")
    parser.add_argument("-q", "--questionnaire", default="gov-dt", help="bundled id or a path")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each process")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    q = load_questionnaire(args.questionnaire)
    folder = Path(tempfile.mkdtemp(prefix="dtassess-bench-files-"))
    try:
        start = time.perf_counter()
        write_response_files(q, args.files, folder, seed=args.seed)
        written = time.perf_counter() - start
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(
            f"{args.files:,} {q.ref} response files, {size / 1e6:.1f} MB, written in "
            f"{written:.1f} s; each process run {args.runs} times after one untimed run of the "
            "command",
            flush=True,
        )
        score = [
            *command_line(),
            "score",
            str(folder),
            "--by",
            "unit",
            "--format",
            "json",
            "-q",
            args.questionnaire,
        ]
        timed(score)  # untimed: bytecode, the page cache
        rows = [("dtassess score DIR --by unit --format json", *times(score, args.runs))]
        counted = json.loads(rows[0][2])["respondents"]
        if counted != args.files:
            print(f"the command scored {counted} respondents, not {args.files:,}")
            return 1
        for label, code in LOOPS:
            rows.append((label, *times([sys.executable, "-c", code, str(folder)], args.runs)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    header = ("", "min s", "median s", "files/s", "vs command")
    print("{:<44} {:>8} {:>9} {:>9} {:>11}".format(*header))
    fastest = min(rows[0][1])
    for label, seconds, _ in rows:
        best = min(seconds)
        print(
            f"{label:<44} {best:>8.2f} {statistics.median(seconds):>9.2f} "
            f"{args.files / best:>9,.0f} {best / fastest:>10.2f}x"
        )
    print(
        f"command's JSON counts all {args.files:,} respondents; vs command: fastest time over the "
        "command's fastest (above 1: slower than scoring)"
    )
    print(f"command: {' '.join(score[:2])} ...; machine: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
