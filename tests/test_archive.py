"""The results archive (docs/archive.md): round trip, idempotence, partitions, crash safety."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from conftest import MINI, ROOT, SAMPLES, cli, dedent, run

from dtassess.archive import (
    add_to_archive,
    archive_contents,
    archived_periods,
    content_hash,
    load_archive,
)
from dtassess.errors import DtassessError
from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.inputs.responses import META_COLUMNS, ResponseSet, load_responses
from dtassess.scoring.scores import score

BY = ("respondent", "unit", "organization")


def mini_response(respondent: str, period: str | None, answers: str, unit: str = "信息中心"):
    period_line = f'period: "{period}"\n' if period is not None else ""
    return (
        "questionnaire: mini@1.0\n"
        "organization: {id: dushan, name: 独山县人民政府}\n"
        f"unit: {unit}\n{period_line}"
        f"respondent: {{id: {respondent}, role: CIO}}\n"
        "answers:\n" + textwrap.indent(dedent(answers), "  ")
    )


@pytest.fixture
def mini_files(tmp_path: Path):
    """Mini responses over two periods and two units: every answer type, na, notes."""
    folder = tmp_path / "mini"
    folder.mkdir()
    rows = {
        "a25": ("2025", "strategy.plan.exists: yes\nstrategy.plan.quality: 2\n"
                "security.budget: 4\nsecurity.tools: [mfa]\n"),
        "b25": ("2025", "strategy.plan.exists: no\nsecurity.budget: na\n"
                "security.tools: [none]\n"),
        "a26": ("2026", "strategy.plan.exists: yes\nstrategy.plan.quality:\n"
                "  value: 4\n  note: 已印发\n  evidence: [规划.pdf, 纪要.pdf]\n"
                "security.budget: 12.5\nsecurity.tools: [mfa, backup]\n"),
        "b26": ("2026", "security.tools: []\n"),
        "c26": ("2026", "strategy.plan.exists: yes\nstrategy.plan.quality: 5\n"
                "security.budget: na\n"),
    }  # fmt: skip
    for name, (period, answers) in rows.items():
        unit = "办公室" if name == "c26" else "信息中心"
        text = mini_response(name, period, answers, unit=unit)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def tree(folder: Path) -> dict[str, tuple]:
    """Every file under folder (links followed): content hash, size and mtime."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path.relative_to(folder))] = (digest, stat.st_size, stat.st_mtime_ns)
    return found


def assert_same_scores(a, b) -> None:
    """Equal tables by respondent, unit and organization: labels equal, scores to 1e-12."""

    def plain(table: pd.DataFrame) -> pd.DataFrame:
        return table.astype({c: object for c in table.columns if table[c].dtype.kind not in "fiub"})

    for by in BY:
        left = plain(score(a, by=by).table)
        right = plain(score(b, by=by).table)
        pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=0, atol=1e-12)


def by_period(rs: ResponseSet) -> ResponseSet:
    """The responses in the archive's order: period by period, each in the order added."""
    order = np.argsort(rs.meta["period"].to_numpy(dtype=str), kind="stable")
    new_row = np.empty(len(order), dtype=int)
    new_row[order] = np.arange(len(order))
    notes = rs.notes.assign(row=new_row[rs.notes["row"].to_numpy(dtype=int)])
    return ResponseSet(
        rs.questionnaire,
        rs.meta.iloc[order].reset_index(drop=True),
        rs.answers.iloc[order].reset_index(drop=True),
        notes.sort_values("row", kind="stable").reset_index(drop=True),
    )


def assert_same_answers(a, b) -> None:
    """Cell by cell, types included: 3 stays the int 3, numbers floats, multi tuples."""
    assert list(a.answers.columns) == list(b.answers.columns)
    for qid in a.answers.columns:
        left = a.answers[qid].astype(object).tolist()
        right = b.answers[qid].astype(object).tolist()
        assert [(type(v), v) for v in left] == [(type(v), v) for v in right], qid
    pd.testing.assert_frame_equal(a.meta.astype(object), b.meta.astype(object))
    pd.testing.assert_frame_equal(
        a.notes.reset_index(drop=True), b.notes.reset_index(drop=True), check_dtype=False
    )


# --------------------------------------------------------------------------- round trip


@pytest.mark.slow
def test_round_trip_of_the_samples_scores_equal(tmp_path):
    original = load_responses([SAMPLES])
    done = add_to_archive(original, tmp_path / "arc")
    assert (done.added, done.already_archived, done.periods, done.snapshot) == (5, 0, ["2026"], 1)
    back = load_archive(tmp_path / "arc")
    assert back.questionnaire.hash == original.questionnaire.hash
    assert_same_answers(original, back)
    assert_same_scores(original, back)


@pytest.mark.slow
def test_round_trip_of_every_answer_type_over_two_periods(mini_files, tmp_path):
    original = load_responses([mini_files], MINI)
    add_to_archive(original, tmp_path / "arc")
    assert archived_periods(tmp_path / "arc") == ["2025", "2026"]
    back = load_archive(tmp_path / "arc")
    assert_same_answers(by_period(original), back)
    assert_same_scores(original, back)
    only = load_archive(tmp_path / "arc", periods=["2026"])
    assert only.meta["respondent"].tolist() == ["a26", "b26", "c26"]
    assert only.answers["security.tools"].tolist() == [("mfa", "backup"), (), None]
    assert only.answers["security.budget"].tolist() == [12.5, None, "na"]
    assert only.answers["strategy.plan.quality"].tolist() == [4, None, 5]
    with pytest.raises(DtassessError) as caught:
        load_archive(tmp_path / "arc", periods=["2024"])
    assert caught.value.problems[0].code == "A005"


@pytest.mark.slow
def test_results_hold_both_groupings_recomputed_with_every_group(tmp_path):
    original = load_responses([SAMPLES])
    add_to_archive(original, tmp_path / "arc")
    results = pd.read_parquet(tmp_path / "arc" / "current" / "results")
    assert set(results["grouping"]) == {"unit", "organization"}
    for grouping in ("unit", "organization"):
        mine = results[results["grouping"] == grouping].reset_index(drop=True)
        expected = score(original, by=grouping, min_group_size=1).table
        assert len(mine) == len(expected)
        np.testing.assert_allclose(mine["score"], expected["score"], rtol=0, atol=1e-12)
        assert mine["respondents"].tolist() == expected["respondents"].tolist()
        assert mine["node"].tolist() == expected["node"].tolist()
    organization = results[results["grouping"] == "organization"]
    assert organization["unit"].isna().all() and (organization["respondents"] == 5).all()


# --------------------------------------------------------------------------- idempotence


@pytest.mark.slow
def test_adding_the_same_files_twice_changes_nothing(tmp_path):
    archive = tmp_path / "arc"
    first = cli("archive", "add", SAMPLES, "--to", archive)
    assert first.exit_code == 0, first.stderr
    assert "5 response(s) added, 0 already archived; period(s): 2026" in first.stderr
    before = tree(archive)
    link = os.readlink(archive / "current")
    second = cli("archive", "add", SAMPLES, "--to", archive)
    assert second.exit_code == 0, second.stderr
    assert "0 response(s) added, 5 already archived" in second.stderr
    assert tree(archive) == before
    assert os.readlink(archive / "current") == link == "snapshots/000001"
    assert sorted(p.name for p in (archive / "snapshots").iterdir()) == ["000001"]


@pytest.mark.slow
def test_a_superset_adds_only_the_new_rows_and_rescores_the_period(tmp_path):
    some = tmp_path / "some"
    some.mkdir()
    files = sorted(SAMPLES.glob("*.yaml"))
    for path in files[:3]:
        shutil.copy(path, some / path.name)
    archive = tmp_path / "arc"
    add_to_archive(load_responses([some]), archive)
    first_answers = pd.read_parquet(archive / "current" / "answers")
    everything = load_responses([SAMPLES])
    done = add_to_archive(everything, archive)
    assert (done.added, done.already_archived, done.snapshot) == (2, 3, 2)
    answers = pd.read_parquet(archive / "current" / "answers")
    assert len(answers) == 5
    # the rows archived first keep their place and their first source
    assert answers["content_hash"][:3].tolist() == first_answers["content_hash"].tolist()
    assert answers["source"][:3].tolist() == [str(some / p.name) for p in files[:3]]
    results = pd.read_parquet(archive / "current" / "results")
    expected = score(everything, by="organization").table
    mine = results[results["grouping"] == "organization"].reset_index(drop=True)
    np.testing.assert_allclose(mine["score"], expected["score"], rtol=0, atol=1e-12)
    assert (mine["respondents"] == 5).all()
    assert archive_contents(archive)[0]["respondents"] == 5


def test_another_period_is_neither_read_nor_rewritten(mini_files, tmp_path):
    archive = tmp_path / "arc"
    q = load_questionnaire(MINI)
    responses = load_responses([mini_files], q)
    add_to_archive(responses, archive)
    old = archive / "current" / "answers" / "period=2025"
    inode = next(old.iterdir()).stat().st_ino
    extra = mini_files.parent / "extra"
    extra.mkdir()
    (extra / "d26.yaml").write_text(
        mini_response("d26", "2026", "security.tools: [backup]\n"), encoding="utf-8"
    )
    done = add_to_archive(load_responses([extra], q), archive)
    assert done.periods == ["2026"] and done.added == 1
    new = archive / "current" / "answers" / "period=2025"
    assert next(new.iterdir()).stat().st_ino == inode  # the same file, hard-linked
    assert [p["respondents"] for p in archive_contents(archive)] == [2, 4]


# --------------------------------------------------------------------------- the dataset


def test_the_dataset_reads_with_pandas_and_pyarrow_partitioned_by_period(mini_files, tmp_path):
    archive = tmp_path / "arc"
    add_to_archive(load_responses([mini_files], MINI), archive)
    current = archive / "current"
    assert sorted(p.name for p in (current / "answers").iterdir()) == [
        "period=2025",
        "period=2026",
    ]
    answers = pd.read_parquet(current / "answers")
    assert sorted(answers["period"].astype(str).unique()) == ["2025", "2026"]
    assert list(answers.columns[:9]) == [
        "organization", "organization_name", "unit", "respondent", "role", "source",
        "content_hash", "questionnaire", "questionnaire_hash",
    ]  # fmt: skip
    hive = ds.partitioning(pa.schema([("period", pa.string())]), flavor="hive")
    table = ds.dataset(current / "answers", format="parquet", partitioning=hive).to_table()
    assert table.schema.field("security.budget").type == pa.float64()
    assert table.schema.field("security.tools").type == pa.list_(pa.string())
    assert table.schema.field("strategy.plan.quality").type == pa.string()
    rows = table.sort_by("respondent").to_pylist()
    b25 = next(r for r in rows if r["respondent"] == "b25")
    assert b25["period"] == "2025" and b25["security.budget"] is None
    assert b25["not_applicable"] == ["security.budget"]
    a26 = next(r for r in rows if r["respondent"] == "a26")
    assert a26["notes"] == [
        {
            "question": "strategy.plan.quality",
            "note": "已印发",
            "evidence": ["规划.pdf", "纪要.pdf"],
        }
    ]
    results = ds.dataset(current / "results", format="parquet", partitioning=hive).to_table()
    assert set(results.column("period").to_pylist()) == {"2025", "2026"}
    assert results.schema.field("score").type == pa.float64()


@pytest.mark.slow
def test_content_hash_follows_its_documented_definition(tmp_path):
    original = load_responses([SAMPLES])
    add_to_archive(original, tmp_path / "arc")
    q = original.questionnaire
    row = original.meta.iloc[0]
    answers = original.answers.iloc[0]
    notes = original.notes[original.notes["row"] == 0]
    document = {
        "questionnaire": q.ref,
        "questionnaire_hash": q.hash,
        **{name: row[name] for name in META_COLUMNS if name != "source"},
        "answers": [
            [x.id, list(answers[x.id]) if isinstance(answers[x.id], tuple) else answers[x.id]]
            for x in q.questions
            if answers[x.id] is not None
        ],
        "notes": [[n.question, n.note, list(n.evidence)] for n in notes.itertuples()],
    }
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    archived = pd.read_parquet(tmp_path / "arc" / "current" / "answers")["content_hash"][0]
    assert archived == expected
    pairs = document["answers"]
    meta = {k: row[k] for k in META_COLUMNS}
    assert content_hash(q.ref, q.hash, meta, pairs, document["notes"]) == expected


@pytest.mark.slow
def test_reading_with_another_questionnaire_leaves_out_what_it_does_not_ask(mini_files, tmp_path):
    add_to_archive(load_responses([mini_files], MINI), tmp_path / "arc")
    text = MINI.read_text(encoding="utf-8")
    start = text.index("      - id: security.tools")
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text(text[:start], encoding="utf-8")
    back = load_archive(tmp_path / "arc", questionnaire=smaller)
    assert "security.tools" not in back.answers.columns
    assert [(p.code, p.severity) for p in back.problems] == [("A003", "warning")]
    assert "security.tools" in back.problems[0].message
    assert len(score(back, by="unit").table) > 0


# --------------------------------------------------------------------------- refusals


def test_responses_without_a_period_are_refused(mini_files, tmp_path):
    bad = mini_files / "nope.yaml"
    bad.write_text(mini_response("nope", None, "security.tools: [mfa]\n"), encoding="utf-8")
    archive = tmp_path / "arc"
    result = cli("archive", "add", mini_files, "-q", MINI, "--to", archive)
    assert result.exit_code == 2
    assert f"{bad}: this response has no period" in result.stderr
    assert "Traceback" not in result.stderr
    assert not archive.exists() or not (archive / "current").exists()


@pytest.mark.slow
def test_a_changed_answer_for_an_archived_respondent_is_refused_unless_replaced(
    mini_files, tmp_path
):
    archive = tmp_path / "arc"
    assert cli("archive", "add", mini_files, "-q", MINI, "--to", archive).exit_code == 0
    before = tree(archive)
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "b26.yaml").write_text(
        mini_response("b26", "2026", "security.tools: [mfa]\n"), encoding="utf-8"
    )
    refused = cli("archive", "add", changed, "-q", MINI, "--to", archive)
    assert refused.exit_code == 2
    assert "respondent dushan · 信息中心 · 2026 · b26 is already archived" in refused.stderr
    assert tree(archive) == before
    replaced = cli("archive", "add", changed, "-q", MINI, "--to", archive, "--replace")
    assert replaced.exit_code == 0, replaced.stderr
    assert "1 response(s) added, 0 already archived, 1 replaced" in replaced.stderr
    back = load_archive(archive, periods=["2026"])
    assert len(back) == 3
    assert back.answers["security.tools"][back.meta["respondent"] == "b26"].tolist() == [("mfa",)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("file", "A002", "not a dtassess archive: it is a file"),
        ("foreign", "A002", "the folder holds other files"),
        ("other-questionnaire", "A003", "keeps answers to questionnaire 'mini'"),
    ],
)
def test_what_is_not_an_archive_or_not_this_archive(setup, code, message, mini_files, tmp_path):
    archive = tmp_path / "arc"
    if setup == "file":
        archive.write_text("x", encoding="utf-8")
    elif setup == "foreign":
        archive.mkdir()
        (archive / "notes.txt").write_text("mine", encoding="utf-8")
    else:
        add_to_archive(load_responses([mini_files], MINI), archive)
    with pytest.raises(DtassessError) as caught:
        add_to_archive(load_responses([SAMPLES]), archive)
    assert caught.value.problems[0].code == code
    assert message in caught.value.problems[0].message
    result = cli("archive", "add", SAMPLES, "--to", archive)
    assert result.exit_code == 2 and message in result.stderr


@pytest.mark.slow
def test_old_snapshots_are_pruned_keeping_two_before_the_current_one(mini_files, tmp_path):
    archive = tmp_path / "arc"
    q = load_questionnaire(MINI)
    for i in range(5):
        folder = tmp_path / f"batch{i}"
        folder.mkdir()
        (folder / f"n{i}.yaml").write_text(
            mini_response(f"n{i}", "2026", "security.tools: [mfa]\n"), encoding="utf-8"
        )
        add_to_archive(load_responses([folder], q), archive)
    assert sorted(p.name for p in (archive / "snapshots").iterdir()) == [
        "000003",
        "000004",
        "000005",
    ]
    assert len(load_archive(archive)) == 5


# --------------------------------------------------------------------------- the commands


@pytest.mark.slow
def test_archive_list_for_people_and_for_programs(mini_files, tmp_path):
    archive = tmp_path / "arc"
    assert cli("archive", "add", mini_files, "-q", MINI, "--to", archive).exit_code == 0
    table = run("archive", "list", archive)
    assert table.returncode == 0, table.stderr
    lines = [line for line in table.stdout.splitlines() if "2025" in line or "2026" in line]
    assert len(lines) == 2 and "mini@1.0" in lines[0]
    assert [cell.strip() for cell in lines[1].split("│")[1:5]] == ["2026", "3", "1", "2"]
    doc = json.loads(cli("archive", "list", archive, "--format", "json").stdout)
    assert doc == json.loads(json.dumps(archive_contents(archive)))
    assert [(p["period"], p["respondents"], p["units"]) for p in doc] == [
        ("2025", 2, 1),
        ("2026", 3, 2),
    ]
    missing = cli("archive", "list", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "not a dtassess archive: no such folder" in missing.stderr


# --------------------------------------------------------------------------- crashes and locks


def _generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic(n: int, period: str = "2026") -> ResponseSet:
    """n generated gov-dt respondents (benchmarks/generate.py), as Categorical frames."""
    generate = _generator()
    q = load_questionnaire("gov-dt")
    meta = generate.synthetic_meta(n, seed=7, period=period)
    answers = generate.synthetic_answers(q, n, seed=7)
    return ResponseSet(
        q, meta, answers, pd.DataFrame(columns=["row", "question", "note", "evidence"])
    )


def _dtassess(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dtassess", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill reaches any worker too
    )


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 60) -> bool:
    """SIGKILL the process as soon as ready() holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.0005)
    proc.wait(timeout=timeout)
    return False


def _has(folder: Path, pattern: str):
    return lambda: any(True for _ in folder.glob(pattern)) if folder.is_dir() else False


def _reader_view(archive: Path) -> tuple:
    current = archive / "current"
    return (
        os.readlink(current),
        tree(current),
        pd.read_parquet(current / "answers"),
        pd.read_parquet(current / "results"),
    )


@pytest.mark.slow
def test_a_killed_add_leaves_the_archive_as_it_was(tmp_path):
    """Period 2026 holds 6,000 respondents: adding the 5 samples to it rereads, rescores and
    rewrites the period, and the add is killed at several moments of that work."""
    archive = tmp_path / "arc"
    big = synthetic(6_000)
    add_to_archive(big, archive)
    link, files, answers, results = _reader_view(archive)
    building = archive / "snapshots" / "000002"
    moments = {
        "snapshot folder made": lambda: building.is_dir(),
        "answers file written": _has(building, "answers/*/*.parquet"),
        "results file written": _has(building, "results/*/*.parquet"),
    }
    finished = False
    for moment, ready in moments.items():
        proc = _dtassess("archive", "add", SAMPLES, "--to", archive)
        killed = _kill_when(proc, ready)
        view = _reader_view(archive)
        if view[0] == link:
            assert killed, proc.stderr.read()
            assert view[1] == files, moment
            pd.testing.assert_frame_equal(view[2], answers)
            pd.testing.assert_frame_equal(view[3], results)
            assert len(load_archive(archive)) == 6_000
        else:
            # Only the last moment, a few milliseconds before the switch, may lose the race;
            # then the new state is whole.
            assert moment == "results file written", moment
            assert view[0] == "snapshots/000002"
            finished = True
    if not finished:
        assert building.is_dir()  # what the last kill left behind
    after = cli("archive", "add", SAMPLES, "--to", archive)
    assert after.exit_code == 0, after.stderr
    added = 0 if finished else 5
    assert f"{added} response(s) added, {5 - added} already archived" in after.stderr
    assert os.readlink(archive / "current") == "snapshots/000002"
    assert sorted(p.name for p in (archive / "snapshots").iterdir()) == ["000001", "000002"]
    assert not [p for p in archive.iterdir() if p.name.startswith(".current-")]
    assert archive_contents(archive)[0]["respondents"] == 6_005
    back = load_archive(archive)
    assert (back.meta["organization"] == "qingshan").sum() == 5
    # the new state is consistent: its results are the scores of the answers it holds
    results = pd.read_parquet(archive / "current" / "results")
    expected = score(back, by="organization").table
    mine = results[results["grouping"] == "organization"].reset_index(drop=True)
    np.testing.assert_allclose(mine["score"], expected["score"], rtol=0, atol=1e-12)
    assert mine["organization"].tolist() == expected["organization"].tolist()


@pytest.mark.slow
def test_generated_categorical_frames_round_trip(tmp_path):
    big = synthetic(1_000, period="2025")
    add_to_archive(big, tmp_path / "arc")
    back = load_archive(tmp_path / "arc")
    assert_same_scores(big, back)


def _blocked_on_a_lock(pid: int) -> bool:
    with open("/proc/locks", encoding="ascii") as handle:
        return any("->" in line and f" {pid} " in line for line in handle)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_an_add_waits_for_the_archive_lock(tmp_path):
    archive = tmp_path / "arc"
    archive.mkdir()
    fd = os.open(archive / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        proc = _dtassess("archive", "add", SAMPLES, "--to", archive)
        deadline = time.monotonic() + 60
        while not _blocked_on_a_lock(proc.pid) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.01)
        assert _blocked_on_a_lock(proc.pid)
        assert not (archive / "current").exists()
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    assert os.readlink(archive / "current") == "snapshots/000001"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")  # inside dask, pandas 3.1
def test_the_pages_reading_examples_run_as_written(tmp_path, monkeypatch):
    """docs/archive.md's pandas/pyarrow, DuckDB and Dask examples, run on an archive of the
    three-year sample from the folder they assume (Spark is not installed here)."""
    from dtassess.resources import annual_sample_dir

    page = (ROOT / "docs" / "archive.md").read_text(encoding="utf-8")
    reading = page[page.index("## Reading it") : page.index("**Spark**")]
    python = re.findall(r"```python\n(.*?)```", reading, re.S)
    sql = re.findall(r"```sql\n(.*?)```", reading, re.S)
    assert len(python) == 2 and len(sql) == 1
    add_to_archive(load_responses([annual_sample_dir()]), tmp_path / "archive")
    monkeypatch.chdir(tmp_path)

    pandas_names: dict = {}
    exec(python[0], pandas_names)
    assert sorted(pandas_names["answers"]["period"].unique()) == ["2024", "2025", "2026"]
    assert len(pandas_names["units"]) and (pandas_names["units"]["node"] == "overall").all()
    assert pandas_names["table"].schema.field("period").type == pa.string()

    duckdb = pytest.importorskip("duckdb")
    first, second = [s.strip() for s in sql[0].split(";") if s.strip()]
    units = duckdb.sql(first).fetchall()
    assert units and {row[0] for row in units} == {"2024", "2025", "2026"}
    assert all(row[5] >= 3 for row in units)
    roadmap = duckdb.sql(second).fetchall()
    assert sum(row[2] for row in roadmap) == len(load_responses([annual_sample_dir()]))

    dask_names: dict = {}
    exec(python[1], dask_names)
    results = dask_names["results"].compute()
    assert isinstance(results["period"].dtype, pd.CategoricalDtype)
    assert sorted(results["period"].astype(str).unique()) == ["2024", "2025", "2026"]
