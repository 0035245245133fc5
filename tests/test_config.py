"""Settings given once (dtassess.toml, [tool.dtassess], DTASSESS_*), `dtassess config`,
`dtassess help`, shell completion, --help in words, and the core install without its extras.

docs/config.md and docs/errors.md (C001-C006) describe what is checked here.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from conftest import MINI, ROOT, cli, run
from test_docs import commands

from dtassess import config


@pytest.fixture
def office(tmp_path, monkeypatch, answers):
    """A working directory two folders below a settings file's folder, and no DTASSESS_*."""
    for name in list(os.environ):
        if name.startswith("DTASSESS_"):
            monkeypatch.delenv(name)
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)

    def settings(text: str, name: str = "dtassess.toml") -> None:
        (tmp_path / name).write_text(text, encoding="utf-8")

    return settings


def shown(*args: str) -> dict[tuple[str, str], dict]:
    result = cli("config", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return {(row["command"], row["option"]): row for row in json.loads(result.stdout)["settings"]}


def test_the_file_above_the_working_directory_the_environment_and_the_option(
    office, tmp_path, answers, monkeypatch
):
    office('min-group-size = 5\n\n[score]\nformat = "csv"\nby = "unit"\n')
    rows = shown("score")
    assert rows["score", "format"]["value"] == "csv"
    assert rows["score", "format"]["source"] == f"{tmp_path / 'dtassess.toml'}:4"
    assert rows["score", "min-group-size"]["source"].endswith("dtassess.toml:1")
    assert rows["score", "stat"] == {
        "command": "score", "option": "stat", "value": "mean", "source": "default"
    }  # fmt: skip
    # the file's defaults reach the command: CSV by unit, groups under 5 withheld
    result = cli("score", answers, "-q", MINI)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("organization,unit,") and result.stdout.count("\n") == 1
    assert "withheld 1 group(s) with fewer than 5 respondents" in result.stderr
    assert cli("score", answers, "-q", MINI, "--min-group-size", "1").stdout.startswith(
        "organization,unit,"
    )
    # the environment wins over the file, the option over both
    monkeypatch.setenv("DTASSESS_FORMAT", "json")
    monkeypatch.setenv("DTASSESS_MIN_GROUP_SIZE", "1")
    assert shown("score")["score", "format"]["source"] == "DTASSESS_FORMAT"
    result = cli("score", answers, "-q", MINI)
    assert json.loads(result.stdout)["groups"], result.output
    result = cli("score", answers, "-q", MINI, "--format", "csv")
    assert result.stdout.startswith("organization,unit,")


def test_pyproject_tool_table_and_paths_from_the_files_folder(office, tmp_path):
    office('[tool.other]\nx = 1\n\n[tool.dtassess.report]\ntemplate = "tpl"\n', "pyproject.toml")
    rows = shown()
    assert rows["report", "template"]["value"] == str(tmp_path / "tpl")
    assert rows["report", "template"]["source"] == f"{tmp_path / 'pyproject.toml'}:5"


def test_a_pyproject_without_the_table_is_passed_over(office, tmp_path):
    office("lang = 'en'\n")
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert shown()["form, questionnaires, report, roadmap, score, survey", "lang"]["value"] == "en"


def test_a_commands_table_wins_over_the_top_level_wherever_written(office):
    office("score = {min-group-size = 1}\nmin-group-size = 5\n")
    rows = shown()
    assert rows["score", "min-group-size"]["value"] == "1"
    assert rows["report, roadmap", "min-group-size"]["value"] == "5"


def test_a_shared_key_sets_the_commands_whose_option_takes_its_value(office):
    office('format = "csv"\n')
    rows = shown()
    assert ("score", "format") in rows and ("validate", "format") not in rows


def test_dtassess_config_names_the_file_or_reads_none(office, tmp_path, monkeypatch):
    office("lang = 'en'\n")
    other = tmp_path / "elsewhere.toml"
    other.write_text("lang = 'zh'\n", encoding="utf-8")
    monkeypatch.setenv("DTASSESS_CONFIG", str(other))
    assert {row["value"] for row in shown().values()} == {"zh"}
    monkeypatch.setenv("DTASSESS_CONFIG", "")
    assert shown() == {}


BAD_FILES = [
    # (settings file, code, line, column, words in the message)
    ("lang = \n", "C001", 1, 8, "TOML syntax error"),
    ('[score]\nby = "unit"\nby = "unit"\n', "C001", 3, 12, "TOML syntax error"),
    ("min-group-size = 0\n", "C003", 1, 1, "greater than or equal to 1"),
    ('\n[score]\n  stat = "mode"\n', "C003", 3, 3, "'mode' is not one of"),
    ('[score]\nquiet = "yes"\n', "C003", 2, 1, "true or false"),
    ("[score]\nfail-under = {overall = 'high'}\n", "C003", 2, 1, "is not a number"),
    ("[report]\ntemplate = ['a', 'b']\n", "C003", 2, 1, "not a list"),
    ('[score]\nfail_undr = "overall=3"\n', "C002", 2, 1, "did you mean 'fail-under'"),
    ('langauge = "en"\n', "C002", 1, 1, "did you mean 'lang'"),
    ('[scor]\nby = "unit"\n', "C002", 1, 1, "did you mean 'score'"),
    ('[archive.ad]\nto = "a"\n', "C002", 1, 1, "did you mean 'add'"),
    ('[report]\noutput = "r.pdf"\n', "C002", 2, 1, "command line of each run"),
    ("force = true\n", "C002", 1, 1, "command line of each run"),
    ('[score]\njunit = "scores.xml"\n', "C002", 2, 1, "command line of each run"),
    ('[score]\njson = "scores.json"\n', "C002", 2, 1, "command line of each run"),
    # hostile: nesting that would exhaust the parser's stack, refused before parsing it
    ("x = " + "[" * 101 + "]" * 101 + "\n", "C001", 1, 105, "nested more than 100 levels"),
    ("# [[\nx = " + "{a = " * 101 + "1" + "}" * 101, "C001", 2, 505, "nested more than 100"),
]


@pytest.mark.parametrize(("text", "code", "line", "column", "words"), BAD_FILES)
def test_a_bad_settings_file_is_refused_at_its_place(office, tmp_path, text, code, line, column,
                                                     words):  # fmt: skip
    office(text)
    path = tmp_path / "dtassess.toml"
    with pytest.raises(config.DtassessError) as caught:
        config.load(_group(), path.parent / "a", {})
    [problem] = caught.value.problems
    assert (problem.code, problem.path, problem.line, problem.column) == (
        code, str(path), line, column
    )  # fmt: skip
    assert words in problem.message
    # every command, before it does anything: exit 2 with the place
    result = cli("score", ROOT / "no-such-file")
    assert result.exit_code == 2
    place = f"{path}:{line}" + (f":{column}" if column else "")
    assert result.stderr.startswith(place + ": "), result.stderr


def test_nesting_hidden_in_multi_line_strings_is_caught_when_parsed(office, tmp_path):
    """Brackets in a multi-line string may hide nesting from the count before parsing; the
    parser's own recursion limit is then caught: C001, never an internal error."""
    office('x = """\n' + "]" * 10 + '\n"""\ny = ' + "[" * 50 + '"""\n' + "]" * 60 + '\n""",'
           + "[" * 3000 + "]" * 3050 + "\n")  # fmt: skip
    result = cli("config")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"{tmp_path / 'dtassess.toml'}: arrays and tables nested more than 100 levels deep\n"
    )


def test_a_settings_file_that_is_not_text_or_too_large(office, tmp_path):
    (tmp_path / "dtassess.toml").write_bytes(b'lang = "\xff"\n')
    result = cli("config")
    assert result.exit_code == 2 and f"{tmp_path / 'dtassess.toml'}:1: not UTF-8" in result.stderr
    (tmp_path / "dtassess.toml").write_bytes(b"# " + b"x" * (1 << 20) + b"\n")
    result = cli("config")
    assert result.exit_code == 2 and "up to 1,048,576 bytes" in result.stderr


def test_a_settings_file_that_is_a_fifo_is_never_waited_for(office, tmp_path, monkeypatch):
    os.mkfifo(tmp_path / "dtassess.toml")
    assert shown() == {}  # not a regular file: not a settings file, looked past
    monkeypatch.setenv("DTASSESS_CONFIG", str(tmp_path / "dtassess.toml"))
    result = cli("config")
    assert result.exit_code == 2 and "not a regular file" in result.stderr, result.stderr
    monkeypatch.setenv("DTASSESS_CONFIG", str(tmp_path / "missing.toml"))
    result = cli("config")
    assert result.exit_code == 2 and str(tmp_path / "missing.toml") in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("DTASSESS_MIN_GROUP_SIZE", "0", "greater than or equal to 1"),
        ("DTASSESS_MIN_GROUP_SIZE", "three", "valid integer"),
        ("DTASSESS_QUIET", "maybe", "1, true or yes"),
        ("DTASSESS_FORMAT", "xml", "'xml' is not one of"),
    ],
)
def test_a_bad_environment_variable(office, monkeypatch, variable, value, words):
    monkeypatch.setenv(variable, value)
    result = cli("validate", MINI)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{variable}: ") and words in result.stderr, result.stderr


def test_an_environment_value_that_suits_one_command_is_no_problem_for_another(office, monkeypatch):
    monkeypatch.setenv("DTASSESS_FORMAT", "csv")  # score takes csv, validate does not
    assert cli("validate", MINI).exit_code == 0
    monkeypatch.setenv("DTASSESS_QUIET", "1")
    assert shown("score")["score", "quiet"]["value"] == "true"


def test_config_of_an_unknown_command(office):
    result = cli("config", "scroe")
    assert result.exit_code == 2 and "no command 'scroe' (did you mean 'score'?)" in result.stderr


def _group():
    import typer.main

    from dtassess.cli import app

    return typer.main.get_command(app)


# --------------------------------------------------------------------------- help


def test_help_prints_the_bundled_pages():
    listed = cli("help")
    assert listed.exit_code == 0 and "dtassess help errors" in listed.stdout
    page = cli("help", "config")
    assert page.exit_code == 0 and page.stdout.startswith("# Settings: dtassess.toml")
    missing = cli("help", "erors")
    assert missing.exit_code == 2 and "did you mean 'errors'" in missing.stderr


def test_every_page_help_names_is_a_topic_and_the_wheel_carries_them():
    text = (ROOT / "dtassess" / "cli.py").read_text(encoding="utf-8")
    topics = set(re.findall(r"dtassess help (\w+)", text))
    assert topics and all((ROOT / "docs" / f"{t}.md").is_file() for t in topics)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"docs" = "dtassess/docs"' in pyproject


@pytest.mark.parametrize("command", commands())
def test_help_names_values_in_words_and_cites_no_source_file(command):
    result = cli(*command.split(), "--help")
    assert result.exit_code == 0
    text = result.stdout
    assert "docs/" not in text and ".md" not in text
    # placeholders are words (FILE, LANG) or choices, never Python types
    assert re.findall(r"<(?:str|bool|int|float|path|list\[[^]]*\])>", text) == []
    assert "{" not in text


# --------------------------------------------------------------------------- completion


@pytest.mark.slow
@pytest.mark.parametrize(
    ("shell", "env", "expected"),
    [
        ("bash", {"COMP_WORDS": "dtassess score --by r", "COMP_CWORD": "3"}, "respondent\nrole\n"),
        ("bash", {"COMP_WORDS": "dtassess report --lang ", "COMP_CWORD": "3"}, "zh\nen\n"),
        ("bash", {"COMP_WORDS": "dtassess survey -q gov", "COMP_CWORD": "3"}, "gov-dt\n"),
        ("zsh", {"_TYPER_COMPLETE_ARGS": "dtassess sco"}, '"score":"Score responses'),
        (
            "fish",
            {
                "_TYPER_COMPLETE_ARGS": "dtassess score --min-g",
                "_TYPER_COMPLETE_FISH_ACTION": "get-args",
            },
            "--min-group-size\tWithhold",
        ),
    ],
)
def test_shell_completion(shell, env, expected, tmp_path):
    done = run(cwd=tmp_path, env={"_DTASSESS_COMPLETE": f"complete_{shell}", **env})
    assert done.returncode == 0 and expected in done.stdout, done.stdout + done.stderr
    script = run(
        "--show-completion", shell, cwd=tmp_path,
        env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )  # fmt: skip
    assert script.returncode == 0 and "_DTASSESS_COMPLETE" in script.stdout


# --------------------------------------------------------------------------- extras

BLOCKER = '''
import sys

class _Blocker:
    """A core install: these modules are not there (found by no finder)."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"pyarrow", "weasyprint", "jinja2", "docx", "dask", "distributed"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Blocker())
'''


@pytest.fixture
def core_install(tmp_path):
    """Run dtassess as if installed without extras: a sitecustomize blocks their modules."""
    folder = tmp_path / "core"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = {"PYTHONPATH": f"{folder}{os.pathsep}{ROOT}", "DTASSESS_CONFIG": ""}

    def core(*args):
        return run(*args, cwd=tmp_path, env=env)

    return core


@pytest.mark.slow
def test_commands_that_need_an_extra_name_it(core_install, tmp_path, answers):
    cases = [
        (["report", answers, "-q", MINI, "-o", tmp_path / "r.pdf"], "report"),
        (["demo", "-o", tmp_path / "demo"], "report"),
        (["score", answers, "-q", MINI, "--format", "parquet", "-o", tmp_path / "s.pq"], "parquet"),
        (["score", answers, "-q", MINI, "--engine", "dask"], "dask"),
        (["archive", "list", tmp_path], "parquet"),
    ]
    for args, extra in cases:
        done = core_install(*args)
        assert done.returncode == 2, done.stderr
        assert f"needs the '{extra}' extra" in done.stderr, done.stderr
        assert f"pip install 'dtassess[{extra}]'" in done.stderr
    assert not (tmp_path / "demo").exists() and not (tmp_path / "r.pdf").exists()
    # a Parquet export reached without a check first: the same message, not an internal error
    (tmp_path / "e.parquet").write_bytes(b"PAR1")
    done = core_install("score", tmp_path / "e.parquet", "-q", MINI)
    assert done.returncode == 2 and "needs the 'parquet' extra" in done.stderr, done.stderr


@pytest.mark.slow
def test_the_core_validates_scores_plans_and_imports_csv(core_install, tmp_path, answers):
    assert core_install("validate", MINI).returncode == 0
    scored = core_install("score", answers, "-q", MINI, "--format", "json")
    assert scored.returncode == 0 and json.loads(scored.stdout)["groups"]
    assert core_install("roadmap", answers, "-q", MINI).returncode == 0
    rows = (
        "机构,姓名,是否有已印发的数字化规划？,规划的质量如何？\n"
        "qs,张三,是,有量化目标。\nqs,李四,否,\n"
    )
    (tmp_path / "e.csv").write_text(rows, encoding="utf-8")
    slim = core_install("import", tmp_path / "e.csv", "-q", MINI, "-o", tmp_path / "slim")
    assert slim.returncode == 0, slim.stderr
    full = cli("import", tmp_path / "e.csv", "-q", MINI, "-o", tmp_path / "full")
    assert full.exit_code == 0
    for path in sorted((tmp_path / "full").iterdir()):
        ours = (tmp_path / "slim" / path.name).read_text(encoding="utf-8")
        assert ours == path.read_text(encoding="utf-8").replace("full", "slim")


@pytest.mark.slow
def test_forms_need_the_core_and_a_printable_pdf_the_report_extra(core_install, tmp_path):
    # The tools' formats and the HTML are the core's; the PDF is laid out by WeasyPrint.
    done = core_install("form", "gov-dt", "--to", "pdf", "-o", tmp_path / "f.pdf")
    assert done.returncode == 2 and "needs the 'report' extra" in done.stderr, done.stderr
    for fmt, name in (("wjx", "f.txt"), ("xlsform", "f.xlsx"), ("html", "f.html")):
        done = core_install("form", "gov-dt", "--to", fmt, "-o", tmp_path / name)
        assert done.returncode == 0, done.stderr
