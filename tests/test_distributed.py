"""The Dask engine (dtassess.scoring.distributed): the pandas engine's table, computed by partition
on a local cluster of worker processes; its failures as clear problems (docs/distributed.md)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, cli, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtassess.errors import DtassessError
from dtassess.inputs.exports import load_exports
from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.scoring import engine, scores

pytest.importorskip(
    "distributed", reason="the Dask engine's tests need dask: pip install 'dtassess[dask]'"
)

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dtassess.scoring import distributed
from dtassess.scoring.distributed import DELAY_ENV, score_dask

# Dask clusters start and stop here: slow.
pytestmark = pytest.mark.slow


def assert_same_table(found: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The same rows, columns and dtypes, numbers equal to 1e-9; flags and levels exactly
    (both engines round indices and scores to 9 decimals before comparing them with a bar)."""
    pd.testing.assert_frame_equal(found, expected, check_exact=False, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- random exports


def _bench_exports():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(
        "bench_exports", ROOT / "benchmarks" / "bench_exports.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def export(n: int, seed: int, periods=("2026",), organizations: int = 4) -> pa.Table:
    """n gov-dt respondents as a Wenjuanxing-style export (benchmarks/bench_exports.py) with
    random organizations, units and periods, a few bad cells and rows without organization."""
    table = _bench_exports().export_table(n, seed)
    rng = np.random.default_rng(seed)
    org = rng.integers(0, organizations, n)
    unit = rng.integers(0, 3, n)

    def text(values) -> pa.Array:
        return pa.array(np.asarray(values, dtype=object), pa.string())

    units = np.array([f"unit-{o}-{u}" for o, u in zip(org, unit, strict=True)], dtype=object)
    units[rng.random(n) < 0.01] = "unit-small"  # small groups, for --min-group-size
    organization = np.array([f"org-{o}" for o in org], dtype=object)
    name = np.array([f"Agency {o}" for o in org], dtype=object)
    name[rng.random(n) < 0.2] = None  # an organization's name: its first given one
    gone = rng.random(n) < 0.01
    organization[gone], name[gone] = None, None  # I010: left out, with a warning
    columns = {
        "机构": text(organization),
        "机构名称": text(name),
        "部门": text(units),
        "年度": text(rng.choice(periods, n)),
    }
    for key, values in columns.items():
        if key in table.column_names:
            table = table.set_column(table.column_names.index(key), key, values)
        else:
            table = table.append_column(key, values)
    for number in (3, 12):  # a bad cell now and then (I003, I004)
        col = next(i for i, c in enumerate(table.column_names) if c.startswith(f"{number}、"))
        cells = table.column(col).to_numpy(zero_copy_only=False).astype(object)
        cells[rng.random(n) < 0.03] = "bogus"
        table = table.set_column(col, table.column_names[col], text(cells))
    return table


@pytest.fixture(scope="module")
def cluster():
    """LocalCluster(n_workers=2, threads_per_worker=1, processes=True), as dtassess starts one."""
    with distributed.local_cluster(workers=2) as local:
        yield local


@pytest.fixture(scope="module")
def q():
    return load_questionnaire("gov-dt")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A Parquet dataset of three files (small row groups) and one without rows, a CSV export,
    and a CSV export of two periods."""
    folder = tmp_path_factory.mktemp("exports")
    data = folder / "dataset"
    data.mkdir()
    table = export(1400, seed=1)
    pq.write_table(table.slice(0, 500), data / "part-0.parquet", row_group_size=60)
    pq.write_table(table.slice(500, 0), data / "part-1.parquet")  # no rows
    pq.write_table(table.slice(500, 700), data / "part-2.parquet", row_group_size=250)
    pq.write_table(table.slice(1200), data / "part-3.parquet", row_group_size=1000)
    pacsv.write_csv(export(600, seed=2), folder / "问卷星导出.csv")
    pacsv.write_csv(export(700, seed=3, periods=("2025", "2026")), folder / "two-years.csv")
    return folder


def parquet_files(folder):
    return sorted((folder / "dataset").glob("*.parquet"))


# --------------------------------------------------------------------------- the same table


@pytest.mark.parametrize(
    ("by", "statistic", "min_group_size", "per_worker", "piece_rows"),
    [
        ("organization", "mean", 1, 3, 100),
        ("unit", "median", 10, 2, 45),
    ],
)
def test_the_pandas_engines_table_and_warnings(
    cluster, q, dataset, by, statistic, min_group_size, per_worker, piece_rows
):
    inputs = [dataset / "dataset", dataset / "问卷星导出.csv"]
    found = score_dask(
        inputs,
        q,
        by,
        statistic,
        min_group_size,
        scheduler=cluster.scheduler_address,
        partitions=per_worker,
        piece_rows=piece_rows,
    )
    responses = load_exports([*parquet_files(dataset), dataset / "问卷星导出.csv"], q)
    expected = scores.score(responses, by, statistic, min_group_size)
    assert_same_table(found.table, expected.table)
    assert found.withheld == expected.withheld and (found.withheld > 0) == (min_group_size > 1)
    assert len(found.meta) == len(expected.meta)
    assert found.problems == responses.problems  # warnings, rows and all, as load_exports
    assert {p.code for p in found.problems} >= {"I003", "I010"}
    assert found.partitions > len(parquet_files(dataset)) and found.passes >= 2
    assert found.rescored == 0  # later passes read the node scores the workers kept
    from distributed import Client

    with Client(cluster.scheduler_address) as client:  # which are gone after the job
        left = client.run(lambda dask_worker: os.listdir(dask_worker.local_directory))
    assert not [name for names in left.values() for name in names if name.startswith("dtassess")]


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    n=st.integers(1, 240),
    seed=st.integers(0, 2**16),
    cuts=st.lists(st.integers(0, 240), max_size=3),
    per_worker=st.integers(1, 4),
    piece_rows=st.integers(5, 120),
    by=st.sampled_from(["organization", "unit"]),
    statistic=st.sampled_from(["mean", "median"]),
)
def test_random_datasets_give_the_pandas_engines_table(
    cluster, q, tmp_path_factory, n, seed, cuts, per_worker, piece_rows, by, statistic
):
    """Random exports cut into random files (some empty, groups across them), random
    partitions and pieces: the pandas engine's table every time."""
    folder = tmp_path_factory.mktemp("random")
    table = export(n, seed, organizations=3)
    bounds = sorted({0, n, *(min(c, n) for c in cuts)})
    files = []
    for k, (a, b) in enumerate(zip([0, *bounds], bounds, strict=False)):
        path = folder / f"part-{k}.parquet"
        pq.write_table(table.slice(a, b - a), path, row_group_size=max(1, (b - a) // 2 or 1))
        files.append(path)
    found = score_dask(
        [folder],
        q,
        by,
        statistic,
        scheduler=cluster.scheduler_address,
        partitions=per_worker,
        piece_rows=piece_rows,
    )
    responses = load_exports(files, q)
    assert_same_table(found.table, scores.score(responses, by, statistic).table)
    assert found.problems == responses.problems


def test_several_periods_get_changes_and_trends(cluster, q, dataset):
    found = score_dask(
        [dataset / "two-years.csv"],
        q,
        "unit",
        scheduler=cluster.scheduler_address,
        partitions=2,
        piece_rows=64,
    )
    from dtassess.scoring.periods import score_periods

    expected = score_periods(load_exports([dataset / "two-years.csv"], q), by="unit")
    assert found.periods == expected.periods == ("2025", "2026")
    assert_same_table(found.table, expected.table)


def test_groups_span_partitions_and_empty_partitions_are_scored(q, dataset):
    """The plan of the first test's inputs: every organization is in several partitions, the
    file without rows is a partition of its own, and the CSV export is cut by bytes."""
    sources = distributed.plan.sources_of([dataset / "dataset", dataset / "问卷星导出.csv"])
    plan = distributed.plan.plan_partitions(sources, 6)
    files = plan.files
    empty = [p for p in plan.parts if all(s.start == s.stop for s in p.segments)]
    assert [files[p.segments[0].file].label for p in empty] == [
        str(dataset / "dataset" / "part-1.parquet")
    ]
    csv_parts = [p for p in plan.parts if files[p.segments[0].file].kind == "csv"]
    assert len(csv_parts) >= 2 and all(p.split for p in csv_parts)
    seen: dict[str, int] = {}
    for part in plan.parts:
        orgs = set()
        for s in part.segments:
            if files[s.file].kind == "parquet" and s.stop > s.start:
                column = pq.read_table(files[s.file].path, columns=["机构"]).column(0)
                orgs |= set(column.slice(s.start, s.stop - s.start).to_pylist())
        for org in orgs - {None}:
            seen[org] = seen.get(org, 0) + 1
    assert seen and min(seen.values()) >= 2


def test_exact_medians_settle_over_several_passes(cluster, q, dataset, monkeypatch):
    """With few histogram bins and few scores fetched at a time, medians take many passes,
    and come out exactly the pandas engine's all the same."""
    monkeypatch.setattr(distributed, "FIRST_BINS", 2)  # read on the client, sent to the tasks
    monkeypatch.setattr(distributed.medians, "REFINE_BINS", 4)
    monkeypatch.setattr(distributed.medians, "REFINE_CELLS", 0)
    monkeypatch.setattr(distributed.medians, "GATHER_VALUES", 40)
    found = score_dask(
        [dataset / "问卷星导出.csv"],
        q,
        "organization",
        "median",
        scheduler=cluster.scheduler_address,
        partitions=1,
    )
    expected = scores.score(load_exports([dataset / "问卷星导出.csv"], q), "organization", "median")
    assert found.passes >= 4
    assert_same_table(found.table, expected.table)


def _forget_kept_scores(dask_worker) -> None:
    """On a worker (`client.run`): the node scores it keeps between passes, gone."""
    import glob
    import os

    for kept in glob.glob(os.path.join(dask_worker.local_directory, "dtassess-*")):
        os.remove(kept)


def _before_later_passes(monkeypatch, cluster, then=lambda: None) -> None:
    """Before each later pass is planned: the workers' kept scores dropped, then `then()`."""
    from distributed import Client

    ask = distributed.next_ask

    def forgetting(*args):
        with Client(cluster.scheduler_address) as client:
            client.run(_forget_kept_scores)
        then()
        return ask(*args)

    monkeypatch.setattr(distributed, "next_ask", forgetting)


def test_later_passes_score_the_data_again_without_the_kept_scores(
    cluster, q, dataset, monkeypatch
):
    """Workers keep each partition's node scores between passes; when they are gone (a
    restarted worker, a task moved elsewhere) the partition is read and scored again."""
    inputs = [dataset / "问卷星导出.csv"]
    _before_later_passes(monkeypatch, cluster)
    found = score_dask(inputs, q, "unit", scheduler=cluster.scheduler_address)
    assert found.rescored == found.partitions * (found.passes - 1) > 0
    assert_same_table(found.table, scores.score(load_exports(inputs, q), "unit").table)


def test_inputs_that_change_between_passes_stop_the_job(cluster, q, dataset, tmp_path, monkeypatch):
    """A later pass that reads the data again and finds other scores than the first pass
    counted: D003, no table."""
    path = tmp_path / "changing.csv"
    path.write_bytes((dataset / "问卷星导出.csv").read_bytes())
    _before_later_passes(monkeypatch, cluster, lambda: pacsv.write_csv(export(600, 9), path))
    with pytest.raises(DtassessError) as raised:
        score_dask([path], q, "unit", "median", scheduler=cluster.scheduler_address)
    problem = raised.value.problems[0]
    assert problem.code == "D003" and "changed while they were being scored" in problem.message


def test_histograms_of_different_sizes_merge_exactly(q, monkeypatch):
    """A piece with many groups gets fewer bins; merged, every bin of the coarser size holds
    exactly what one histogram of all the rows at that size holds."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    answers = generate.synthetic_answers(q, 900, seed=5)
    meta = generate.synthetic_meta(900, seed=5, organizations=3, units=4)
    fields = {k: meta[k].astype(object).to_numpy() for k in distributed.pieces.META_FIELDS}
    matrix = np.empty((900, len(engine.compile_model(q).questions)), order="F")
    scored = engine.score_respondents(q, answers, question_scores=matrix)
    shape = distributed.stats.Shape.of(q, 256)
    keys = tuple(engine.GROUPINGS["unit"])

    def stats(rows: slice, bins: int) -> distributed.stats.GroupStats:
        groups = len(set(zip(*(fields[k][rows] for k in keys), strict=True)))
        monkeypatch.setattr(distributed.stats, "FIRST_CELLS", bins * groups * shape.nodes)
        part = {k: v[rows] for k, v in fields.items()}
        return distributed.stats.piece_stats(
            shape,
            part,
            *distributed.stats.group_labels(part, keys),
            scored.score.to_numpy()[rows],
            scored.coverage.to_numpy()[rows],
            matrix[rows],
        )

    merged = distributed.stats.GroupStats(shape)
    for rows, bins in [(slice(0, 400), 256), (slice(400, 700), 8), (slice(700, 900), 64)]:
        merged.merge(stats(rows, bins))
    whole = stats(slice(0, 900), 8)
    assert merged.hist_count.shape[2] == whole.hist_count.shape[2] == 8
    order = [merged.index[k] for k in whole.keys]
    np.testing.assert_array_equal(merged.hist_count[order], whole.hist_count)
    np.testing.assert_array_equal(merged.hist_low[order], whole.hist_low)
    np.testing.assert_array_equal(merged.hist_high[order], whole.hist_high)
    np.testing.assert_allclose(
        merged.moments["node"].m2[order], whole.moments["node"].m2, rtol=1e-12, atol=1e-9
    )


def test_urls_are_opened_by_the_workers_through_fsspec(cluster, q, dataset):
    """Object storage is reached by URL (s3://, gs://); a file:// URL takes the same way
    through fsspec: a dataset folder and a CSV export, labelled as given."""
    inputs = [f"file://{dataset / 'dataset'}", f"file://{dataset / '问卷星导出.csv'}"]
    found = score_dask(inputs, q, "unit", scheduler=cluster.scheduler_address, piece_rows=200)
    responses = load_exports([*parquet_files(dataset), dataset / "问卷星导出.csv"], q)
    assert_same_table(found.table, scores.score(responses, "unit").table)
    assert {p.path for p in found.problems} >= {inputs[1]}
    assert all(p.path.startswith("file://") for p in found.problems if p.path)


def test_a_small_csv_with_line_breaks_in_cells_is_read_whole(cluster, q, tmp_path):
    notes = pa.array(np.full(120, "第一行\n第二行", dtype=object), pa.string())
    table = export(120, seed=4).append_column("备注", notes)  # no question: a warning (I002)
    path = tmp_path / "notes.csv"
    pacsv.write_csv(table, path)
    assert b'"\xe7\xac\xac' in path.read_bytes()  # quoted, with a line break inside
    found = score_dask([path], q, scheduler=cluster.scheduler_address, piece_rows=10)
    responses = load_exports([path], q)
    assert_same_table(found.table, scores.score(responses).table)
    assert found.problems == responses.problems


def test_columns_without_a_header_or_of_lists_are_reported_as_by_the_pandas_engine(
    cluster, q, tmp_path
):
    """A blank header (I012) in a CSV cut into pieces, a Parquet column without a name and one
    of lists (I014): the same warnings, counts and rows as load_exports gives."""
    table = export(300, seed=5)
    answers = pa.array(np.where(np.arange(300) % 3 == 0, "yes", ""), pa.string())
    csv_path, parquet_path = tmp_path / "blank.csv", tmp_path / "lists.parquet"
    pacsv.write_csv(table.append_column("", answers), csv_path)
    lists = pa.array([["a"]] * 300, pa.list_(pa.string()))
    pq.write_table(table.append_column("", answers).append_column("备注", lists), parquet_path)
    inputs = [parquet_path, csv_path]
    found = score_dask(inputs, q, scheduler=cluster.scheduler_address, piece_rows=40)
    responses = load_exports(inputs, q)
    assert found.problems == responses.problems
    codes = {(p.path, p.code) for p in found.problems}
    assert {(str(csv_path), "I012"), (str(parquet_path), "I012")} <= codes
    assert (str(parquet_path), "I014") in codes


# --------------------------------------------------------------------------- failures


def test_a_worker_killed_mid_job_is_retried_or_fails_clearly(cluster, q, dataset):
    """SIGKILL a worker while it scores: Dask runs its tasks again elsewhere, and the table is
    the whole table; or the job fails with a DtassessError. Never a partial table."""
    from distributed import Client

    inputs = [dataset / "dataset"]
    expected = scores.score(load_exports(parquet_files(dataset), q), "unit").table
    box: dict[str, object] = {}

    def job() -> None:
        try:
            box["result"] = score_dask(
                inputs, q, "unit", scheduler=cluster.scheduler_address, partitions=2, piece_rows=50
            )
        except Exception as exc:
            box["error"] = exc

    with Client(cluster.scheduler_address) as client:
        client.run(lambda: os.environ.__setitem__(DELAY_ENV, "0.2"))  # pieces take a while
        try:
            thread = threading.Thread(target=job)
            thread.start()
            victim = None
            deadline = time.monotonic() + 60
            while victim is None and time.monotonic() < deadline:
                for worker, keys in client.processing().items():
                    if any("dtassess-pass1" in str(k) for k in keys):
                        victim = worker
                time.sleep(0.05)
            assert victim is not None, "the job never ran"
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
            thread.join(180)
            assert not thread.is_alive()
        finally:
            client.run(lambda: os.environ.pop(DELAY_ENV, None))
    if "error" in box:
        error = box["error"]
        assert isinstance(error, DtassessError), error
        assert "nothing was scored" in error.problems[0].message
    else:
        assert_same_table(box["result"].table, expected)


def test_cluster_failures_become_problems_with_exit_code_2():
    from types import SimpleNamespace

    from distributed import KilledWorker
    from distributed.client import FutureCancelledError

    last = SimpleNamespace(address="tcp://10.0.0.5:40000")
    for exc, words in [
        (KilledWorker("dtassess-pass1-3", last, 3), "dtassess-pass1-3 ran on 4 workers"),
        (FutureCancelledError("k", reason="scheduler-connection-lost"), "FutureCancelledError"),
        (OSError("Timed out trying to connect"), "cannot reach it"),
    ]:
        problem = distributed.cluster.cluster_problem(exc, "tcp://10.0.0.1:8786")
        assert problem.exit_code == 2 and problem.problems[0].code == "D002"
        message = problem.problems[0].format()
        assert "tcp://10.0.0.1:8786" in message and words in message
        assert "nothing was scored" in message


def test_an_export_named_twice_is_scored_once(cluster, dataset, tmp_path):
    csv = dataset / "问卷星导出.csv"
    (tmp_path / "link.csv").symlink_to(csv)
    args = ("-q", "gov-dt", "--format", "json", "--min-group-size", "1")
    once = cli("score", csv, *args, "--engine", "dask", "--scheduler", cluster.scheduler_address)
    twice = cli(
        "score", csv, tmp_path / "link.csv", *args,
        "--engine", "dask", "--scheduler", cluster.scheduler_address,
    )  # fmt: skip
    assert once.exit_code == twice.exit_code == 0, twice.stderr
    assert twice.stdout == once.stdout
    assert f"link.csv: warning: this is the same file as {csv}" in twice.stderr


def test_an_unreachable_scheduler_exits_2_with_a_message(dataset):
    started = time.monotonic()
    result = run(
        "score",
        parquet_files(dataset)[0],
        "-q",
        "gov-dt",
        "--engine",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:1",
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"},
    )
    assert result.returncode == 2, result.stderr
    assert "tcp://127.0.0.1:1" in result.stderr and "nothing was scored" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert time.monotonic() - started < 60


def test_a_scheduler_without_workers_is_a_problem(q, dataset):
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty,
        pytest.raises(DtassessError, match="has no workers") as raised,
    ):
        score_dask([dataset / "dataset"], q, scheduler=empty.scheduler_address, timeout=1)
    assert raised.value.exit_code == 2 and raised.value.problems[0].code == "D002"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "respondent"], "does not take --by respondent"),
        (["--scheduler", "tcp://127.0.0.1:1", "--engine", "pandas"], "need --engine dask"),
    ],
)
def test_options_the_dask_engine_cannot_take(dataset, args, message):
    result = cli("score", dataset / "dataset", "-q", "gov-dt", "--engine", "dask", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_response_files_and_workbooks_are_refused_before_any_cluster_starts(q):
    for name in ("r01.yaml", "export.xlsx"):
        result = cli("score", ROOT / name, "-q", "gov-dt", "--engine", "dask")
        assert result.exit_code == 2
        assert "--engine dask scores Parquet files" in result.stderr
        with pytest.raises(DtassessError) as raised:
            score_dask([ROOT / name], q)
        assert raised.value.problems[0].code == "D001"
    with pytest.raises(ValueError, match="not available with the Dask engine"):
        score_dask(["x.parquet"], q, by="respondent")


def test_a_folder_without_parquet_files_is_refused(cluster):
    result = cli(
        "score",
        ROOT / "questionnaires" / "samples",
        "-q",
        "gov-dt",
        "--engine",
        "dask",
        "--scheduler",
        cluster.scheduler_address,
    )
    assert result.exit_code == 2 and "no .parquet files in this folder" in result.stderr


# --------------------------------------------------------------------------- the command


def test_the_command_prints_the_pandas_engines_json(cluster, dataset):
    common = ["-q", "gov-dt", "--by", "unit", "--format", "json", "--min-group-size", "5"]
    dask = cli(
        "score",
        dataset / "dataset",
        *common,
        "--engine",
        "dask",
        "--scheduler",
        cluster.scheduler_address,
        "--partitions",
        "3",
    )
    pandas = cli("score", *parquet_files(dataset), *common)
    assert dask.exit_code == pandas.exit_code == 0, dask.stderr
    assert dask.stderr == pandas.stderr  # the same warnings and withheld groups
    _same_json(json.loads(dask.stdout), json.loads(pandas.stdout))


def _same_json(found, expected, path="") -> None:
    """Equal; numbers (printed at full precision) to 1e-12 of their size, as the two engines
    add the same terms in another order."""
    if isinstance(expected, dict):
        assert found.keys() == expected.keys(), path
        for key in expected:
            _same_json(found[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(found) == len(expected), path
        for a, b in zip(found, expected, strict=True):
            _same_json(a, b, path)
    elif isinstance(expected, float) and isinstance(found, float | int):
        assert abs(found - expected) <= 1e-12 * max(1.0, abs(expected)), path
    else:
        assert found == expected, path


def test_the_json_holds_each_engines_numbers_exactly(cluster, q, dataset):
    """Every number in the JSON reads back to the very double the engine computed."""
    from dtassess.reporting.output import to_json

    files = parquet_files(dataset)[:1]
    keys = ["organization", "unit", "period"]
    for result in (
        score_dask(files, q, by="unit", scheduler=cluster.scheduler_address),
        scores.score(load_exports(files, q), "unit"),
    ):
        table = result.table.set_index([*keys, "node"])
        numbers = 0
        for group in json.loads(to_json(result))["groups"]:
            place = tuple(group[k] or "" for k in keys)
            for node, values in group["scores"].items():
                for column, value in values.items():
                    if isinstance(value, float):
                        numbers += 1
                        assert value == table.loc[(*place, node), column], (place, node, column)
        assert numbers > 500


def test_the_command_does_not_import_dask_unless_asked():
    code = (
        "import sys\n"
        "from dtassess.cli import app\n"
        "try:\n    app(['score', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('DASK', [m for m in ('dask', 'distributed') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "DASK []" in out.stdout and "--engine" in out.stdout


def test_a_local_cluster_is_started_and_shut_down(q, dataset, tmp_path):
    """Without --scheduler: a local cluster for the run, as users run the command."""
    out = tmp_path / "scores.json"
    result = run(
        "score",
        dataset / "问卷星导出.csv",
        "-q",
        "gov-dt",
        "--engine",
        "dask",
        "--format",
        "json",
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["respondents"] == len(load_exports([dataset / "问卷星导出.csv"], q))


def test_the_python_api_names_it_at_the_top(cluster, q, dataset):
    import dtassess

    assert dtassess.score_dask is score_dask and "score_dask" in dtassess.__all__
    result = dtassess.score_dask(
        [dataset / "问卷星导出.csv"], q, by="unit", scheduler=cluster.scheduler_address
    )
    assert dtassess.to_json_dict(result)["respondents"] == len(
        load_exports([dataset / "问卷星导出.csv"], q)
    )


def test_progress_is_told_as_tasks_finish(cluster, q, dataset):
    calls: list[tuple[int, int]] = []
    lock = threading.Lock()

    def progress(done: int, total: int) -> None:
        with lock:
            calls.append((done, total))

    found = score_dask(
        [dataset / "dataset"],
        q,
        "unit",
        "median",
        scheduler=cluster.scheduler_address,
        partitions=2,
        progress=progress,
    )
    total = found.partitions
    assert calls[0] == (0, total) and all(t == total for _, t in calls)
    # each pass counts 0 ... total, each task once
    assert sorted(done for done, _ in calls) == sorted(list(range(total + 1)) * found.passes)


def test_the_command_draws_a_progress_bar_on_a_terminal(cluster, dataset, tmp_path):
    import pexpect

    child = pexpect.spawn(
        sys.executable,
        ["-m", "dtassess", "score", str(dataset / "dataset"), "-q", "gov-dt", "--engine", "dask",
         "--scheduler", cluster.scheduler_address, "--format", "json", "-o",
         str(tmp_path / "s.json")],
        encoding="utf-8", timeout=120, env={**os.environ, "TERM": "xterm"},
    )  # fmt: skip
    child.expect("scoring on Dask")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["respondents"] > 0


def test_a_local_cluster_has_no_more_workers_than_memory_holds(monkeypatch):
    import psutil

    from dtassess.scoring.distributed import cluster

    def free(available: int):
        memory = psutil.virtual_memory()._replace(available=available)
        monkeypatch.setattr(psutil, "virtual_memory", lambda: memory)

    free(3 * cluster.WORKER_BYTES + 5)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert cluster.default_workers() == 3  # memory for three
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert cluster.default_workers() == 2  # cores for two
    free(100)
    assert cluster.default_workers() == 1  # never none
