"""How long `dtassess --help` takes to start, and whether it imports what it should not.

    python benchmarks/bench_startup.py [--runs 10]

Times, as the median of --runs fresh interpreters each (after one untimed warm-up run, so that
bytecode is compiled): `python -c pass` as the baseline, `python -c "import dtassess.cli"` and
`python -m dtassess --help`. Then runs `python -X importtime -m dtassess --help` and reports
whether pandas, numpy or weasyprint were imported (the CLI defers them to the commands that use
them) and which packages cost the most.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

WATCHED = ("pandas", "numpy", "weasyprint")
COMMANDS = (
    ("python -c pass", ["-c", "pass"]),
    ('python -c "import dtassess.cli"', ["-c", "import dtassess.cli"]),
    ("python -m dtassess --help", ["-m", "dtassess", "--help"]),
)


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    # A wide terminal keeps rich from spending time on wrapping; output is thrown away.
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, check=True, **kwargs
    )


def median_seconds(args: list[str], runs: int) -> float:
    run(args)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run(args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def imports(args: list[str]) -> tuple[set[str], list[tuple[str, float]]]:
    """Every package imported, and the outermost imports with their cumulative seconds."""
    stderr = run(["-X", "importtime", *args]).stderr
    packages: set[str] = set()
    outermost: list[tuple[str, float]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.split("|")
        if not cumulative.strip().isdigit():
            continue  # the header line
        module = name[1:]  # nesting shows as extra indentation after "| "
        packages.add(module.strip().split(".")[0])
        if module == module.lstrip():
            outermost.append((module, int(cumulative) / 1e6))
    return packages, outermost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    version = sys.version.split()[0]
    print(f"startup, median of {args.runs} runs ({sys.executable}, Python {version})")
    baseline = None
    for label, command in COMMANDS:
        seconds = median_seconds(command, args.runs)
        extra = "" if baseline is None else f"   (+{(seconds - baseline) * 1000:.0f} ms)"
        baseline = seconds if baseline is None else baseline
        print(f"  {label:<34} {seconds * 1000:7.1f} ms{extra}")
    packages, outermost = imports(["-m", "dtassess", "--help"])
    print("imported by `python -m dtassess --help` (python -X importtime):")
    for package in WATCHED:
        print(f"  {package:<12} {'YES' if package in packages else 'no'}")
    heaviest = sorted(outermost, key=lambda item: -item[1])[:5]
    listing = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in heaviest)
    print(f"  slowest outermost imports (cumulative, importtime's overhead included): {listing}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
