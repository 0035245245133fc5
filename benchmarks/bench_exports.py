"""Scoring online-form exports end to end: one CSV export and one Parquet file of N respondents.

Writes N synthetic gov-dt respondents (benchmarks/generate.py) as a Wenjuanxing-style CSV
export — fixed columns 序号 and 提交答卷时间, organization, unit and role columns, then one column
per question headed `N、question text`, answers as option values or level numbers, multi-select
answers joined with ┋ — and as a Parquet file of the same table. Then times the real command,

    dtassess score EXPORT -q gov-dt --by unit --format json -o OUT

in a fresh process per run, with its peak memory (max RSS), against baselines measured in the
same run: reading the same file with pandas alone (`pd.read_csv`, `pd.read_parquet`), which is
what any tool has to do before it can score anything.

    python benchmarks/bench_exports.py                 # 1,000,000 respondents
    python benchmarks/bench_exports.py -n 100000 --runs 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from generate import synthetic_answers, synthetic_meta

from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.inputs.skips import hidden_rows

# Runs a command and prints its wall time and the peak RSS of the process tree's largest member.
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "t = time.perf_counter() - t\n"
    "assert r.returncode in (0, 1), r.stderr.decode()[-2000:]\n"
    "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
)


def export_table(n: int, seed: int = 0) -> pa.Table:
    """The export as an Arrow table of text cells, built column by column from categoricals."""
    q = load_questionnaire("gov-dt")
    answers = synthetic_answers(q, n, seed)
    meta = synthetic_meta(n, seed)
    # A form does not show a question that skip logic hides: its cell stays empty.
    for qid, hidden in hidden_rows(q, answers).items():
        if qid in answers:
            answers[qid] = answers[qid].where(~hidden)
    columns: dict[str, pa.Array] = {
        "序号": pa.array(np.arange(1, n + 1).astype(str)),
        "提交答卷时间": pa.array(np.full(n, "2026/3/2 10:01:05")),
        "机构": _text(meta["organization"]),
        "机构名称": _text(meta["organization_name"]),
        "部门": _text(meta["unit"]),
        "岗位": _text(meta["role"]),
    }
    for number, question in enumerate(q.questions, start=1):
        if question.id not in answers:
            continue
        header = f"{number}、{question.text['zh']}"
        columns[header] = _text(answers[question.id])
    return pa.table(columns)


def _text(series: pd.Series) -> pa.Array:
    if isinstance(series.dtype, pd.CategoricalDtype):
        cells = [_cell(v) for v in series.cat.categories] + [""]
        return pa.array(np.array(cells, dtype=object)[series.cat.codes.to_numpy()], pa.string())
    values = series.to_numpy(dtype=float)
    text = np.where(np.isnan(values), "", np.char.mod("%g", np.nan_to_num(values)))
    return pa.array(text.astype(object), pa.string())


def _cell(value: object) -> str:
    if isinstance(value, tuple):
        return "┋".join(map(str, value))
    return str(value)


def measure(command: list[str], runs: int) -> tuple[float, int]:
    """Best wall time of `runs` runs, and the peak memory of that best run."""
    best = (float("inf"), 0)
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True
        )
        seconds, peak = out.stdout.split()
        best = min(best, (float(seconds), int(peak)))
    return best


def baseline(code: str, path: Path, runs: int) -> tuple[float, int]:
    return measure([sys.executable, "-c", f"import pandas as pd; {code}('{path}')"], runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="respondents")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (best kept)")
    args = parser.parse_args(argv)
    dtassess = str(Path(sys.executable).with_name("dtassess"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        table = export_table(args.n)
        csv_path, parquet_path = folder / "问卷星导出.csv", folder / "answers.parquet"
        pacsv.write_csv(table, csv_path)
        pq.write_table(table, parquet_path)
        del table
        print(
            f"{args.n:,} respondents: CSV {csv_path.stat().st_size / 2**20:,.0f} MiB, "
            f"Parquet {parquet_path.stat().st_size / 2**20:,.0f} MiB "
            f"(written in {time.perf_counter() - started:.1f} s)"
        )
        print(f"{'':34} {'seconds':>8} {'peak MiB':>9} {'vs pandas read':>15}")
        for label, path, reader in (
            ("CSV export", csv_path, "pd.read_csv"),
            ("Parquet", parquet_path, "pd.read_parquet"),
        ):
            out = folder / "scores.json"
            command = [dtassess, "score", str(path), "-q", "gov-dt", "--by", "unit"]
            command += ["--format", "json", "-o", str(out), "--force", "--quiet"]
            seconds, peak = measure(command, args.runs)
            base_seconds, base_peak = baseline(reader, path, args.runs)
            groups = len(
                {(g["organization"], g["unit"]) for g in json.loads(out.read_text())["groups"]}
            )
            print(
                f"{'dtassess score ' + label:34} {seconds:8.2f} {peak / 2**20:9.0f} "
                f"{seconds / base_seconds:14.2f}x"
            )
            base = f"  baseline: {reader} alone"
            print(f"{base:34} {base_seconds:8.2f} {base_peak / 2**20:9.0f}")
            print(f"{'':34} ({groups} units scored)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
