"""How long `pip install` takes, and how much it installs, for the core and each extra.

    python benchmarks/bench_install.py [--extras core,report,parquet,dask,all] [--keep DIR]

For each, a fresh virtual environment (`python -m venv`), then `pip install --no-cache-dir
'.[EXTRA]'` from this checkout (so every package is downloaded, as on a CI runner without a
cache) is timed, and the environment's growth is measured (`du` of the folder before and after:
the packages, their compiled files and scripts). Needs the package registry; takes a minute or
two. The environments are made in a temporary folder and removed, unless --keep names one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def measure(extra: str, where: Path) -> tuple[float, int]:
    venv = where / f"venv-{extra}"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    before = size(venv)
    spec = str(ROOT) if extra == "core" else f"{ROOT}[{extra}]"
    start = time.perf_counter()
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-cache-dir", spec],
        check=True,
    )
    return time.perf_counter() - start, size(venv) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extras", default="core,report,parquet,dask,all")
    parser.add_argument("--keep", type=Path, help="make the environments here and keep them")
    args = parser.parse_args()
    where = args.keep or Path(tempfile.mkdtemp(prefix="dtassess-install-"))
    where.mkdir(parents=True, exist_ok=True)
    try:
        print(f"{'install':<28} {'time':>8} {'size':>9}")
        for extra in args.extras.split(","):
            seconds, grown = measure(extra, where)
            name = "dtassess" if extra == "core" else f"dtassess[{extra}]"
            print(f"{name:<28} {seconds:>7.1f}s {grown / 2**20:>6.0f} MiB", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
