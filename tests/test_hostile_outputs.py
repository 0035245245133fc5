"""Outputs go only where asked, never half: names made from data, `-o` and `--force`, full disks
and read-only folders."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import pytest
import yaml
from conftest import MINI, cli, mini_response

from dtassess.errors import DtassessError
from dtassess.files import NAME_BYTES, safe_names, write_files

# --------------------------------------------------------------------------- names from data


@pytest.mark.parametrize(
    ("stem", "name"),
    [
        ("../../x", "_._x.pdf"),
        ("/abs/path", "_abs_path.pdf"),
        ("a\\b", "a_b.pdf"),
        ("..", "unnamed.pdf"),
        ("CON", "_CON.pdf"),
        ("nul.x-2026", "_nul.x-2026.pdf"),
        ("Com1.tar", "_Com1.tar.pdf"),
        ("lpt9", "_lpt9.pdf"),
        ("x\nunit: INJECTED\n#", "x_unit_INJECTED_.pdf"),
        ("-rf", "rf.pdf"),
        (".hidden", "hidden.pdf"),
        ("trailing. . .", "trailing._._.pdf"),
        ("a\x00b\x1b[31m", "a_b_31m.pdf"),
        ("\u202egpj.exe", "_gpj.exe.pdf"),
        ("青山县-2026-zh", "青山县-2026-zh.pdf"),
        ("县卫生健康局 信息科", "县卫生健康局_信息科.pdf"),
    ],
)
def test_a_name_from_data_is_safe(stem, name):
    assert safe_names([stem], ".pdf") == [name]


def test_a_long_name_is_cut_between_characters_and_keeps_a_hash_of_the_whole():
    long_a, long_b = "长" * 100 + "甲", "长" * 100 + "乙"
    names = safe_names([long_a, long_b], ".pdf")
    for name in names:
        assert len(name.encode("utf-8")) <= NAME_BYTES
        assert name.startswith("长" * 40) and name.endswith(".pdf")
    assert names[0] != names[1]


def test_clashing_names_get_a_hash_whatever_the_order():
    stems = ["a/b", "a_b", "A_B", "c"]
    names = safe_names(stems, ".pdf")
    assert len({n.casefold() for n in names}) == 4
    assert names[3] == "c.pdf"
    assert safe_names(stems[::-1], ".pdf") == names[::-1]


def tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "mode",
    [
        ("--min-group-size", "1"),
        ("--per-unit", "--min-group-size", "1"),
        ("--annual", "--resamples", "0", "--min-group-size", "1"),
    ],
    ids=["per-organization", "per-unit", "annual"],
)
def test_organization_ids_and_units_cannot_write_outside_the_folder(tmp_path, mode):
    work = tmp_path / "a" / "b"
    inputs = work / "in"
    inputs.mkdir(parents=True)
    mini_response(inputs, "1.yaml", "../../escaped", unit="../../unit")
    mini_response(inputs, "2.yaml", str(tmp_path / "absolute"))
    mini_response(inputs, "3.yaml", "nul.x")
    out = work / "out"
    result = cli("report", inputs, "-q", MINI, "--format", "html", "-o", out, *mode)
    assert result.exit_code == 0, result.stderr
    assert tree(tmp_path) == sorted(
        [
            "a",
            "a/b",
            "a/b/in",
            "a/b/out",
            *(f"a/b/in/{n}.yaml" for n in (1, 2, 3)),
            *(f"a/b/out/{p.name}" for p in out.iterdir()),
        ]
    )
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 3
    assert all(not n.startswith((".", "-")) and not n.lower().startswith("nul.") for n in names)


@pytest.mark.slow
def test_per_unit_reports_are_named_by_their_unit(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for k in range(2):
        mini_response(inputs, f"{k}.yaml", "qingshan", unit=f"信息科{k}", respondent=f"r{k}")
    out = tmp_path / "out"
    result = cli("report", inputs, "-q", MINI, "--format", "html", "-o", out, "--per-unit",
                 "--min-group-size", "1")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "qingshan-2026-信息科0-zh.html",
        "qingshan-2026-信息科1-zh.html",
    ]


def write_csv(path, rows):
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_an_export_name_with_line_breaks_cannot_add_a_field(tmp_path):
    export = write_csv(
        tmp_path / "x\nunit: INJECTED\n#.csv",
        [["organization", "respondent", "strategy.plan.exists"], ["qs", "r1", "yes"]],
    )
    out = tmp_path / "out"
    result = cli("import", export, "-q", MINI, "-o", out)
    assert result.exit_code == 0, result.stderr
    (written,) = out.iterdir()
    text = written.read_text(encoding="utf-8")
    assert (
        text.startswith("# imported by dtassess from ") and "\\nunit: INJECTED\\n#.csv:2\n" in text
    )
    assert "unit" not in yaml.safe_load(text)
    assert cli("validate", "--responses", out, "-q", MINI).exit_code == 0


def test_a_cell_with_line_breaks_stays_one_value(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text(
        'organization,unit,respondent,strategy.plan.exists\nqs,"it\nunit: INJECTED",r1,yes\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert cli("import", export, "-q", MINI, "-o", out).exit_code == 0
    (written,) = out.iterdir()
    text = written.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["unit"] == "it\nunit: INJECTED"
    assert all(not line.startswith("unit: INJECTED") for line in text.splitlines())


def test_imported_names_are_safe_and_the_same_in_any_row_order(tmp_path):
    header = ["organization", "respondent", "strategy.plan.exists"]
    rows = [["青山", "NUL", "yes"], ["qs", "li wei", "yes"], ["qs", "li-wei", "no"]]
    names = {}
    for order, body in (("forward", rows), ("backward", rows[::-1])):
        export = write_csv(tmp_path / f"{order}.csv", [header, *body])
        out = tmp_path / order
        assert cli("import", export, "-q", MINI, "-o", out).exit_code == 0
        names[order] = {
            p.name: yaml.safe_load(p.read_text(encoding="utf-8"))["respondent"]["id"]
            for p in out.iterdir()
        }
    assert names["forward"] == names["backward"]
    assert "_nul.yaml" in names["forward"]
    assert sorted(names["forward"].values()) == ["NUL", "li wei", "li-wei"]


# --------------------------------------------------------------------------- -o and --force


def score(answers, output, *extra):
    return cli("score", answers, "-q", MINI, "--format", "json", "-o", output, *extra)


@pytest.mark.slow
def test_a_directory_fifo_or_device_is_never_replaced(tmp_path, answers):
    folder = tmp_path / "folder"
    folder.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    device = tmp_path / "null"
    device.symlink_to("/dev/null")
    for target, kind in ((folder, "a directory"), (fifo, "a FIFO"), (device, "a device")):
        for extra in ((), ("--force",)):
            result = score(answers, target, *extra)
            assert result.exit_code == 2, result.stderr
            assert f"{target}: {target} is {kind}" in result.stderr
            assert "never replaces" in result.stderr
    assert folder.is_dir() and stat.S_ISFIFO(os.lstat(fifo).st_mode) and device.is_symlink()


def test_a_dangling_symlink_is_replaced_only_with_force_and_never_written_through(
    tmp_path, answers
):
    link = tmp_path / "result.json"
    elsewhere = tmp_path / "elsewhere.json"
    link.symlink_to(elsewhere)
    result = score(answers, link)
    assert result.exit_code == 2
    assert (
        f"{link}: {link} is a symbolic link to {elsewhere}, which does not exist" in result.stderr
    )
    assert link.is_symlink()
    assert score(answers, link, "--force").exit_code == 0
    assert not link.is_symlink() and link.is_file() and not elsewhere.exists()


def test_a_file_that_appears_during_the_write_is_not_replaced(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    real_fsync = os.fsync

    def other_run_wins(fd):
        real_fsync(fd)
        if not target.exists():
            target.write_text("theirs", encoding="utf-8")

    monkeypatch.setattr(os, "fsync", other_run_wins)
    with pytest.raises(DtassessError) as caught:
        write_files([(target, "ours")])
    assert caught.value.problems[0].code == "F003"
    assert target.read_text(encoding="utf-8") == "theirs"
    assert os.listdir(tmp_path) == ["out.json"]


def test_without_hard_links_the_name_is_still_taken_exclusively(tmp_path, monkeypatch):
    fail_with(monkeypatch, "link", errno.EPERM)  # FAT, some network shares
    target = tmp_path / "out.json"
    assert write_files([(target, "one")]) == [target]
    with pytest.raises(DtassessError) as caught:
        write_files([(target, "two")])
    assert caught.value.problems[0].code == "F003"
    assert write_files([(target, "three")], force=True) == [target]
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "three" and os.listdir(tmp_path) == ["out.json"]


@pytest.mark.slow
def test_two_runs_on_one_output_cannot_both_succeed(tmp_path, answers):
    target = tmp_path / "out.json"
    args = ["score", str(answers), "-q", str(MINI), "--format", "json", "-o", str(target)]
    env = {**os.environ}
    runs = [
        subprocess.Popen([sys.executable, "-m", "dtassess", *args], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]  # fmt: skip
    results = [(p.wait(timeout=60), p.stderr.read()) for p in runs]
    assert sorted(code for code, _ in results) == [0, 2, 2, 2], results
    assert all("F003" in err or "already exists" in err or "appeared" in err
               for code, err in results if code)  # fmt: skip


def fail_with(monkeypatch, function, error, after=0, once=False):
    """Make os.<function> fail with `error` from its call number `after` + 1 on (or only
    there)."""
    real = getattr(os, function)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > after and not (once and len(calls) > after + 1):
            raise OSError(error, os.strerror(error))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, function, failing)


@pytest.mark.parametrize(
    ("function", "error", "reason"),
    [
        ("fsync", errno.ENOSPC, "No space left on device"),
        ("write", errno.ENOSPC, "No space left on device"),
        ("mkdir", errno.EROFS, "Read-only file system"),
        ("mkdir", errno.EACCES, "Permission denied"),
    ],
)
def test_a_full_disk_or_read_only_folder_is_exit_2_naming_the_path(
    tmp_path, answers, monkeypatch, function, error, reason
):
    target = tmp_path / "out" / "result.json"
    target.parent.mkdir()
    fail_with(monkeypatch, function, error)
    result = score(answers, target)
    monkeypatch.undo()
    assert result.exit_code == 2, result.stderr
    # A file that cannot be made names itself, a folder that cannot, the folder.
    where = target.parent if function == "mkdir" else target
    assert f"{where}: cannot write {where}: {reason}; nothing was written" in result.stderr
    assert os.listdir(target.parent) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder(tmp_path, answers):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = score(answers, folder / "result.json")
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 2 and "Permission denied" in result.stderr


def export_of(tmp_path, n):
    rows = [["organization", "respondent", "strategy.plan.exists"]]
    rows += [["qs", f"r{k}", "yes"] for k in range(n)]
    return write_csv(tmp_path / "export.csv", rows)


def test_import_writes_all_files_or_none(tmp_path, monkeypatch):
    export = export_of(tmp_path, 5)
    out = tmp_path / "out"
    fail_with(monkeypatch, "fsync", errno.ENOSPC, after=3)
    result = cli("import", export, "-q", MINI, "-o", out)
    monkeypatch.undo()
    assert result.exit_code == 2, result.stderr
    assert "No space left on device; nothing was written" in result.stderr
    assert not out.exists()  # the folder it made is gone too


def test_import_with_force_keeps_the_old_files_when_it_fails(tmp_path, monkeypatch):
    export = export_of(tmp_path, 5)
    out = tmp_path / "out"
    assert cli("import", export, "-q", MINI, "-o", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for path in out.iterdir():
        path.write_text("mine", encoding="utf-8")
    fail_with(monkeypatch, "replace", errno.EIO, after=3, once=True)
    result = cli("import", export, "-q", MINI, "-o", out, "--force")
    monkeypatch.undo()
    assert result.exit_code == 2, result.stderr
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == {
        name: "mine" for name in before
    }


@pytest.mark.slow
def test_reports_to_a_folder_are_written_all_or_none(tmp_path, monkeypatch):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for org in ("a", "b", "c"):
        mini_response(inputs, f"{org}.yaml", org)
    out = tmp_path / "out"
    out.mkdir()
    fail_with(monkeypatch, "fsync", errno.ENOSPC, after=2)
    result = cli(
        "report", inputs, "-q", MINI, "--format", "html", "-o", out, "--min-group-size", "1"
    )
    monkeypatch.undo()
    assert result.exit_code == 2, result.stderr
    assert "cannot write" in result.stderr and os.listdir(out) == []
