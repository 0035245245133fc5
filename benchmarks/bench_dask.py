"""Scoring a partitioned Parquet dataset with the pandas engine and with the Dask engine.

Writes N synthetic gov-dt respondents (benchmarks/generate.py, as the Wenjuanxing-style export
of bench_exports.py) as a Parquet dataset of files of 1,000,000 rows (row groups of 125,000),
generated a file at a time so that generation stays within memory. Then, each in a fresh
process, with wall time and peak memory (max RSS):

- the pandas engine: `load_exports(files)` and `scores.score(by="unit")`, stopped if its memory
  passes --pandas-limit;
- the Dask engine, `score_dask(dataset, by="unit")` on a local cluster of --workers worker
  processes (one thread each), with 1, 2 and 4 partitions per worker; the peak memory is the
  sum of the workers' peaks plus the client's (which also runs the scheduler).

The tables are checked against each other (1e-9). Data stays under --data (default
/tmp/dtassess-bench-dask), kept between runs of the same size.

    python benchmarks/bench_dask.py                        # 10,000,000 respondents
    python benchmarks/bench_dask.py --respondents 1000000  # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILE_ROWS = 1_000_000
GROUP_ROWS = 125_000


def generate(folder: Path, respondents: int) -> list[Path]:
    """The dataset, one file of up to FILE_ROWS rows at a time (reused when complete)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(HERE))
    from bench_exports import export_table

    stamp = folder / "respondents.txt"
    files = [folder / f"part-{i:03d}.parquet" for i in range(-(-respondents // FILE_ROWS) or 1)]
    if stamp.exists() and stamp.read_text() == str(respondents):
        return files
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    for i, path in enumerate(files):
        first = i * FILE_ROWS
        rows = min(FILE_ROWS, respondents - first)
        table = export_table(rows, seed=i)
        ids = pa.array(np.arange(first + 1, first + rows + 1).astype(str))
        table = table.set_column(0, table.column_names[0], ids)  # 序号: unique over the files
        pq.write_table(table, path, row_group_size=GROUP_ROWS)
        del table
    stamp.write_text(str(respondents))
    print(f"generated {respondents:,} respondents in {time.perf_counter() - started:.0f} s")
    return files


# --------------------------------------------------------------------------- measured runs


def run_pandas(files: list[str], out: str) -> dict:
    from dtassess.inputs.exports import load_exports
    from dtassess.inputs.questionnaire import load_questionnaire
    from dtassess.scoring import scores

    q = load_questionnaire("gov-dt")
    started = time.perf_counter()
    responses = load_exports(files, q)
    read = time.perf_counter() - started
    result = scores.score(responses, by="unit")
    seconds = time.perf_counter() - started
    result.table.to_pickle(out)
    return {"seconds": seconds, "read": read, "peak": _peak(), "cpu": _cpu()}


def run_dask(dataset: str, workers: int, partitions: int, out: str) -> dict:
    from distributed import Client

    from dtassess.inputs.questionnaire import load_questionnaire
    from dtassess.scoring.distributed import local_cluster, score_dask

    q = load_questionnaire("gov-dt")
    started = time.perf_counter()
    # the cluster `dtassess score --engine dask` starts, started here to measure its workers
    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.run(lambda: None)  # the workers are up
        startup = time.perf_counter() - started
        before = client.run(_cpu)
        started = time.perf_counter()
        result = score_dask([dataset], q, by="unit", scheduler=client, partitions=partitions)
        seconds = time.perf_counter() - started
        after = client.run(_cpu)
        peaks = client.run(_peak)
    result.table.to_pickle(out)
    return {
        "seconds": seconds,
        "startup": startup,
        "workers_cpu": sum(after[w] - before[w] for w in after),
        "workers_peak": sum(peaks.values()),
        "client_peak": _peak(),
        "partitions": result.partitions,
        "passes": result.passes,
    }


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu() -> float:
    """CPU seconds of this process so far: less sensitive than wall time to a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(args: list[str], limit: int) -> dict | None:
    """Run this script's `--run ...` in a fresh process; None when it passed `limit` bytes of
    memory (then it is stopped) or failed."""
    import psutil

    process = subprocess.Popen(
        [sys.executable, __file__, "--run", *args], stdout=subprocess.PIPE, text=True
    )
    watched = psutil.Process(process.pid)
    highest = 0
    while process.poll() is None:
        try:
            tree = [watched, *watched.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree)
        except psutil.Error:
            rss = 0
        highest = max(highest, rss)
        if rss > limit:
            for p in [watched, *watched.children(recursive=True)]:
                p.kill()
            process.wait()
            return {"killed": True, "rss": highest}
        time.sleep(0.2)
    output = process.stdout.read()
    if process.returncode != 0:
        print(output)
        return None
    return json.loads(output.strip().splitlines()[-1]) | {"rss_tree": highest}


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--run"]:
        kind, *rest = sys.argv[2:]
        if kind == "pandas":
            found = run_pandas(rest[:-1], rest[-1])
        else:
            found = run_dask(rest[0], int(rest[1]), int(rest[2]), rest[3])
        print(json.dumps(found))
        return 0
    import pandas as pd
    import psutil
    import pyarrow.parquet as pq

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", "-n", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partitions", default="1,2,4", help="partitions per worker to time")
    parser.add_argument("--data", type=Path, default=Path("/tmp/dtassess-bench-dask"))
    parser.add_argument(
        "--pandas-limit",
        type=float,
        default=0.8,
        help="stop the pandas engine past this share of the machine's memory",
    )
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args(argv)
    folder = args.data / f"n{args.respondents}"
    files = generate(folder, args.respondents)
    total = psutil.virtual_memory().total
    on_disk = sum(f.stat().st_size for f in files)
    in_memory = sum(
        pq.ParquetFile(f).metadata.row_group(i).total_byte_size
        for f in files
        for i in range(pq.ParquetFile(f).metadata.num_row_groups)
    )
    print(
        f"{args.respondents:,} respondents in {len(files)} Parquet files: "
        f"{on_disk / 2**20:,.0f} MiB on disk, {in_memory / 2**20:,.0f} MiB uncompressed; "
        f"machine: {os.cpu_count()} cores, {total / 2**30:.1f} GiB"
    )
    gib = 2**30
    with tempfile.TemporaryDirectory() as tmp:
        reference = None
        if not args.skip_pandas:
            out = str(Path(tmp) / "pandas.pkl")
            limit = int(args.pandas_limit * total)
            found = measured(["pandas", *map(str, files), out], limit)
            if found is None:
                print("pandas engine: failed (see above)")
            elif found.get("killed"):
                print(
                    f"pandas engine: stopped at {found['rss'] / gib:.1f} GiB "
                    f"(limit {limit / gib:.1f} GiB): it does not fit"
                )
            else:
                reference = pd.read_pickle(out)
                print(
                    f"pandas engine: {found['seconds']:.1f} s ({found['read']:.1f} s reading; "
                    f"{found['cpu']:.0f} CPU s), peak {found['peak'] / gib:.2f} GiB"
                )
        for per_worker in [int(p) for p in args.partitions.split(",")]:
            out = str(Path(tmp) / f"dask{per_worker}.pkl")
            command = ["dask", str(folder), str(args.workers), str(per_worker), out]
            found = measured(command, total)
            if found is None or found.get("killed"):
                print(f"dask, {per_worker} partition(s) per worker: failed")
                continue
            table = pd.read_pickle(out)
            same = ""
            if reference is not None:
                sys.path.insert(0, str(HERE.parent / "tests"))
                from test_distributed import assert_same_table

                assert_same_table(table, reference)
                same = ", table equal to the pandas engine's (1e-9)"
            print(
                f"dask, {args.workers} workers x {per_worker} partition(s) "
                f"({found['partitions']} partitions, {found['passes']} passes): "
                f"{found['seconds']:.1f} s (+{found['startup']:.1f} s cluster start; workers "
                f"{found['workers_cpu']:.0f} CPU s), peak "
                f"{found['workers_peak'] / gib:.2f} GiB workers + "
                f"{found['client_peak'] / gib:.2f} GiB client = "
                f"{(found['workers_peak'] + found['client_peak']) / gib:.2f} GiB{same}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
