"""What a CI pipeline reads (docs/ci.md): JUnit checked against the schema Jenkins reads, several
outputs from one run, GitHub annotations and GitLab code quality, `--fail-on-drop`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from conftest import DATA, SAMPLES, cli

from dtassess import pipeline
from dtassess.errors import DtassessError

XSD = DATA / "junit-jenkins.xsd"
SCHEMA = json.loads((Path(__file__).parent.parent / "dtassess" / "schemas" /
                     "scores.schema.json").read_text("utf-8"))  # fmt: skip


def valid_junit(path: Path) -> ET.Element:
    """The file, checked against the JUnit schema of Jenkins' xUnit plugin (lxml)."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.parse(str(path))
    assert schema.validate(document), schema.error_log
    return ET.parse(path).getroot()


def cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}


def outcome(case: ET.Element) -> tuple[str, str | None]:
    """("failure", type), ("skipped", type) or ("passed", None)."""
    for kind in ("failure", "skipped", "error"):
        found = case.find(kind)
        if found is not None:
            return kind, found.get("type")
    return "passed", None


def properties(root: ET.Element, suite: str) -> dict[str, str]:
    (found,) = [s for s in root.iter("testsuite") if s.get("name") == suite]
    return {p.get("name"): p.get("value") for p in found.iter("property")}


@pytest.fixture
def periods(tmp_path: Path) -> Path:
    """The samples as 2025, and again as 2026 with every security answer at its lowest."""
    folder = tmp_path / "answers"
    for period in ("2025", "2026"):
        (folder / period).mkdir(parents=True)
        for path in sorted(SAMPLES.glob("*.yaml")):
            text = path.read_text("utf-8").replace('period: "2026"', f'period: "{period}"')
            if period == "2026":
                text = re.sub(r"^(  security\.[a-z_.]+): [2-5]$", r"\1: 1", text, flags=re.M)
            (folder / period / path.name).write_text(text, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- JUnit


@pytest.mark.parametrize(
    ("args", "exit_code", "expected"),
    [
        (("--fail-under", "overall=30,security=40"), 1,
         {("qingshan · 2026", "overall"): ("passed", None),
          ("qingshan · 2026", "security"): ("failure", "below_bar")}),
        (("--fail-under", "overall=30,security=20"), 0,
         {("qingshan · 2026", "overall"): ("passed", None),
          ("qingshan · 2026", "security"): ("passed", None)}),
        ((), 0, {("qingshan · 2026", "overall"): ("passed", None)}),
        (("--by", "unit", "--fail-under", "overall=30"), 1,
         {("qingshan · 县政务服务和数据管理局 · 2026", "overall"): ("skipped", "withheld"),
          ("qingshan · 县财政局 · 2026", "overall"): ("skipped", "withheld"),
          ("qingshan · 县卫生健康局 · 2026", "overall"): ("skipped", "withheld")}),
        (("--by", "unit", "--min-group-size", "2", "--fail-under", "security=30"), 1,
         {("qingshan · 县政务服务和数据管理局 · 2026", "security"): ("passed", None),
          ("qingshan · 县卫生健康局 · 2026", "security"): ("failure", "below_bar"),
          ("qingshan · 县财政局 · 2026", "security"): ("skipped", "withheld")}),
    ],
    ids=["missed", "met", "no-bars", "all-withheld", "one-withheld"],
)  # fmt: skip
def test_junit_validates_and_names_cases_by_group_and_node(tmp_path, args, exit_code, expected):
    out = tmp_path / "scores.xml"
    result = cli("score", SAMPLES, *args, "--junit", out, "--quiet")
    assert result.exit_code == exit_code, result.output
    root = valid_junit(out)
    assert {key: outcome(case) for key, case in cases(root).items()} == expected
    assert int(root.get("tests")) == len(expected) > 0  # never 0, also when the job is red
    assert int(root.get("failures")) == sum(v[0] == "failure" for v in expected.values())


def test_a_changed_bar_keeps_the_test_names_and_shows_bar_and_score(tmp_path):
    low, high = tmp_path / "low.xml", tmp_path / "high.xml"
    cli("score", SAMPLES, "--fail-under", "overall=30,security=20", "--junit", low)
    cli("score", SAMPLES, "--fail-under", "overall=35,security=40", "--junit", high)
    assert cases(valid_junit(low)).keys() == cases(valid_junit(high)).keys()
    root = valid_junit(high)
    failure = cases(root)["qingshan · 2026", "security"].find("failure")
    assert failure.get("message") == "security: 32.2 is below the bar 40 (qingshan · 2026)"
    assert failure.text == failure.get("message")
    passed = cases(root)["qingshan · 2026", "overall"].find("system-out")
    assert passed.text == "overall: 36.0, bar 35: met"
    assert properties(root, "qingshan · 2026") == {
        "organization": "qingshan", "period": "2026", "respondents": "5",
        "overall.score": "35.952119408369406", "overall.bar": "35",
        "security.score": "32.25", "security.bar": "40",
    }  # fmt: skip


def test_junit_time_and_timestamp(tmp_path, monkeypatch):
    out = tmp_path / "s.xml"
    cli("score", SAMPLES, "--junit", out)
    root = valid_junit(out)
    (suite,) = root.iter("testsuite")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp"))
    assert 0 < float(root.get("time")) < 60 and suite.get("time") == root.get("time")
    # SOURCE_DATE_EPOCH (reproducible builds) fixes the timestamp, and the duration at 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")
    again = tmp_path / "again.xml"
    cli("score", SAMPLES, "--junit", again)
    cli("score", SAMPLES, "--junit", out)
    assert again.read_bytes() == out.read_bytes()
    (suite,) = valid_junit(out).iter("testsuite")
    assert (suite.get("timestamp"), suite.get("time")) == ("2027-01-01T00:00:00", "0.000")


def test_the_schema_refuses_what_jenkins_refuses(tmp_path):
    """The schema is not a rubber stamp: a case without a name, or properties inside a case."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(XSD)))
    for bad in (
        '<testsuite name="s" tests="1" failures="0" errors="0"><testcase/></testsuite>',
        '<testsuite name="s" tests="1" failures="0" errors="0"><testcase name="a">'
        "<properties/></testcase></testsuite>",
        '<testsuite name="s" tests="1" failures="0" errors="0" time="1s"/>',
    ):
        assert not schema.validate(etree.fromstring(bad)), bad


# --------------------------------------------------------------------------- one run, many files


def test_one_run_writes_every_output_and_replaces_the_last_runs(tmp_path):
    names = {"--junit": "s.xml", "--json": "s.json", "--markdown": "s.md",
             "--codequality": "cq.json"}  # fmt: skip
    for name in names.values():
        (tmp_path / name).write_text("an earlier run's\n", encoding="utf-8")
    args = [a for option, name in names.items() for a in (option, tmp_path / name)]
    result = cli("score", SAMPLES, "--fail-under", "overall=30,security=40", *args,
                 "--format", "github")  # fmt: skip
    assert result.exit_code == 1, result.output  # a missed bar: every file written all the same
    doc = json.loads((tmp_path / "s.json").read_text("utf-8"))
    jsonschema.validate(doc, SCHEMA)
    root = valid_junit(tmp_path / "s.xml")
    failed = {k[1] for k, case in cases(root).items() if outcome(case)[0] == "failure"}
    assert failed == {t["node"] for t in doc["thresholds"] if not t["passed"]} == {"security"}
    summary = (tmp_path / "s.md").read_text("utf-8")
    assert "**Failed**: 1 of 2 check(s) missed." in summary
    assert "| qingshan · 2026 | 数据隐私与安全 | 32.2 | 40 | **below** |" in summary
    (entry,) = json.loads((tmp_path / "cq.json").read_text("utf-8"))
    first = str(SAMPLES / "01-zhengshuju-fujuzhang.yaml")
    assert entry["location"] == {"path": first, "lines": {"begin": 1}}
    assert entry["check_name"] == "below_bar" and entry["severity"] == "major"
    assert result.stdout == (
        f"::error file={first},title=dtassess below_bar::"
        "security: 32.2 is below the bar 40 (qingshan · 2026)\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--fail-under", "overall:30"), "--fail-under: cannot read 'overall:30'"),
        (("--fail-under", "secruity=30"), "did you mean 'security'"),
        (("--fail-on-drop", "security=5"), "the responses hold only the period 2026"),
        (("-q", "nope"), "nope"),
    ],
    ids=["bad-bar", "unknown-node", "one-period", "bad-questionnaire"],
)
def test_a_failed_run_leaves_no_earlier_output(tmp_path, args, message):
    old = {name: tmp_path / name for name in ("s.xml", "s.json", "s.md", "main.xml")}
    for path in old.values():
        path.write_text("an earlier run's\n", encoding="utf-8")
    result = cli(
        "score", SAMPLES, *args, "--junit", old["s.xml"], "--json", old["s.json"],
        "--markdown", old["s.md"], "--format", "junit", "-o", old["main.xml"], "--force",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not any(path.exists() for path in old.values())
    assert f"removed {old['s.xml']}: this run failed" in result.stderr


def test_o_without_force_is_never_removed_and_a_directory_is_never_touched(tmp_path):
    mine = tmp_path / "mine.txt"
    mine.write_text("keep\n", encoding="utf-8")
    folder = tmp_path / "s.xml"
    folder.mkdir()
    result = cli("score", SAMPLES, "-o", mine, "--junit", folder)
    assert result.exit_code == 2
    assert f"{mine}: {mine} already exists" in result.stderr  # F003, before any work
    assert mine.read_text("utf-8") == "keep\n" and folder.is_dir()
    result = cli("score", SAMPLES, "--junit", folder)
    assert result.exit_code == 2 and "is a directory" in result.stderr  # F012
    assert folder.is_dir()
    # a failed run removes a link to a file (the link only), never a link to a device
    device, linked, kept = tmp_path / "null", tmp_path / "linked.xml", tmp_path / "kept.xml"
    device.symlink_to("/dev/null")
    kept.write_text("keep\n", encoding="utf-8")
    linked.symlink_to(kept)
    result = cli("score", SAMPLES, "--fail-under", "overall:30", "--junit", device,
                 "--json", linked)  # fmt: skip
    assert result.exit_code == 2
    assert device.is_symlink() and not linked.exists() and kept.read_text("utf-8") == "keep\n"


@pytest.mark.parametrize(
    ("args", "code_words"),
    [
        (("--junit", "-"), "--junit -: standard output carries --format's output"),
        (("--junit", "x.xml", "--json", "./x.xml"), "--junit and --json both name"),
        (("-o", "x.xml", "--junit", "x.xml"), "-o and --junit both name"),
        (("--json", "r/s.json"), "--json r/s.json is among the inputs"),
        (("--junit", "r/01.yaml"), "--junit r/01.yaml is among the inputs"),
    ],
)
def test_owned_outputs_are_files_of_their_own(tmp_path, monkeypatch, args, code_words):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(SAMPLES, tmp_path / "r")
    (tmp_path / "r" / "01.yaml").write_text("mine\n", encoding="utf-8")
    result = cli("score", "r", "r/01.yaml", *args)
    assert result.exit_code == 2
    assert code_words in result.stderr
    assert not (tmp_path / "x.xml").exists() and not (tmp_path / "r" / "s.json").exists()
    assert (tmp_path / "r" / "01.yaml").read_text("utf-8") == "mine\n"


def test_markdown_escapes_names_from_the_responses(tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(SAMPLES, folder)
    for path in folder.glob("*.yaml"):
        text = path.read_text("utf-8").replace("id: qingshan", "id: 'qing|shan *x* <b>'")
        path.write_text(text, encoding="utf-8")
    out = tmp_path / "s.md"
    result = cli("score", folder, "--markdown", out)
    assert result.exit_code == 0, result.output
    assert "| qing\\|shan \\*x\\* \\<b\\> · 2026 | 5 | 36.0 |" in out.read_text("utf-8")


# --------------------------------------------------------------------------- annotations


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "r, 100%"
    folder.mkdir()
    path = folder / "bad.yaml"
    path.write_text(
        "questionnaire: gov-dt@1.0\norganization: qingshan\nperiod: '2026'\nanswers:\n  nope: 1\n",
        encoding="utf-8",
    )
    return path


def test_validate_text_shows_the_code(broken):
    result = cli("validate", "--responses", broken)
    assert result.exit_code == 1
    assert re.search(rf"^{re.escape(str(broken))}:5:3: unknown question 'nope'.* \[R004\]$",
                     result.stdout, re.M), result.stdout  # fmt: skip


def test_validate_github_annotations_escape_the_path(broken):
    result = cli("validate", "--responses", broken, "--format", "github")
    assert result.exit_code == 1
    escaped = str(broken).replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
    line = result.stdout.splitlines()[0]
    assert line.startswith(f"::error file={escaped},line=5,col=3,title=dtassess R004::")
    assert "unknown question 'nope'" in line


def test_validate_code_quality(broken, tmp_path):
    out = tmp_path / "cq.json"
    result = cli("validate", "--responses", broken, "--codequality", out)
    assert result.exit_code == 1
    entries = json.loads(out.read_text("utf-8"))
    assert entries[0]["check_name"] == "R004"
    assert entries[0]["location"] == {"path": str(broken), "lines": {"begin": 5}}
    assert len({e["fingerprint"] for e in entries}) == len(entries)
    good = cli("validate", "--responses", SAMPLES, "--codequality", out)
    assert good.exit_code == 0 and json.loads(out.read_text("utf-8")) == []


def test_github_message_cannot_forge_a_second_command():
    from dtassess.reporting.ci import Finding, to_github

    text = to_github([Finding("warning", "R016", "a\n::error::forged 100%", "a,b:c.yaml", 2)])
    assert text == (
        "::warning file=a%2Cb%3Ac.yaml,line=2,title=dtassess R016::a%0A::error::forged 100%25\n"
    )


# --------------------------------------------------------------------------- --fail-on-drop


def test_a_drop_beyond_its_limit_fails_in_every_output(periods, tmp_path):
    out = {"xml": tmp_path / "s.xml", "json": tmp_path / "s.json", "md": tmp_path / "s.md"}
    result = cli(
        "score", periods / "2025", periods / "2026", "--fail-on-drop", "security=5,overall=10",
        "--junit", out["xml"], "--json", out["json"], "--markdown", out["md"],
        "--format", "github",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    text = "security: fell 27.5 points since 2025, more than 5 (qingshan · 2026)"
    assert f"dropped too far: {text}" in result.stderr
    assert f"title=dtassess drop::{text}" in result.stdout
    root = valid_junit(out["xml"])
    assert {k: outcome(c) for k, c in cases(root).items()} == {
        ("qingshan · 2026", "overall change"): ("passed", None),
        ("qingshan · 2026", "security change"): ("failure", "drop"),
    }
    assert properties(root, "qingshan · 2026")["security.previous_period"] == "2025"
    doc = json.loads(out["json"].read_text("utf-8"))
    jsonschema.validate(doc, SCHEMA)
    assert [(d["node"], d["previous_period"], round(d["change"], 1), d["passed"])
            for d in doc["drops"]] == [("overall", "2025", -6.9, True),
                                       ("security", "2025", -27.5, False)]  # fmt: skip
    assert "| qingshan · 2026 | 数据隐私与安全 | 4.8 | -27.5 | 2025 | 5 | **fell** |" in (
        out["md"].read_text("utf-8")
    )


def test_a_drop_within_its_limit_passes(periods):
    result = cli("score", periods, "--fail-on-drop", "security=30", "--format", "json")
    assert result.exit_code == 0, result.output
    (drop,) = json.loads(result.stdout)["drops"]
    assert drop["passed"] and drop["group"]["period"] == "2026"  # only the latest period


def test_a_group_without_an_earlier_period_is_not_compared(periods, tmp_path):
    new = periods / "2026" / "new.yaml"
    text = (SAMPLES / "01-zhengshuju-fujuzhang.yaml").read_text("utf-8")
    new.write_text(text.replace("id: qingshan", "id: newtown"), encoding="utf-8")
    out = tmp_path / "s.xml"
    result = cli("score", periods, "--fail-on-drop", "security=30", "--min-group-size", "1",
                 "--junit", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert outcome(cases(valid_junit(out))["newtown · 2026", "security change"]) == (
        "skipped", "not_compared",
    )  # fmt: skip
    # qingshan only in 2025, newtown only in 2026: periods, but nothing to compare
    result = cli("score", periods / "2025", new, "--fail-on-drop", "security=30",
                 "--min-group-size", "1")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "--fail-on-drop compared no group" in result.stderr


@pytest.mark.parametrize(
    ("spec", "code", "words"),
    [
        ("security:5", "T001", "--fail-on-drop: cannot read 'security:5'; write NODE=POINTS"),
        ("security=-1", "T001", "the drop for 'security' (-1) is outside the range of drops 0-100"),
        ("secruity=5", "T002", "'secruity' is not a dimension of gov-dt@1.0 (did you mean"),
        ("security=5", "U003", "compares each group with its previous period: the responses hold"),
    ],
)
def test_a_bad_drop_spec_exits_2(periods, spec, code, words):
    given = periods / "2026" if code == "U003" else periods
    result = cli("score", given, "--fail-on-drop", spec)
    assert result.exit_code == 2
    assert words in result.stderr
    with pytest.raises(DtassessError) as caught:
        pipeline.assess([given], fail_on_drop=spec)
    assert [p.code for p in caught.value.problems] == [code]


def test_the_previous_period_can_come_from_the_archive(periods, tmp_path):
    archive = tmp_path / "archive"
    added = cli("archive", "add", periods / "2025", "--to", archive)
    assert added.exit_code == 0, added.output
    args = ("--fail-on-drop", "security=5", "--format", "json")
    from_files = cli("score", periods, *args)
    from_archive = cli("score", periods / "2026", "--archive", archive, *args)
    assert from_archive.exit_code == from_files.exit_code == 1, from_archive.output
    assert json.loads(from_archive.stdout)["drops"] == json.loads(from_files.stdout)["drops"]
    with pytest.raises(DtassessError) as caught:
        pipeline.assess([periods / "2026"], engine="dask", archive=archive, questionnaire="gov-dt")
    assert [p.code for p in caught.value.problems] == ["U001"]
