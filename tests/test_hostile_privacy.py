"""Small groups stay private everywhere: `roadmap` and every kind of `report` withhold
organisations, units, roles and quotes of fewer than --min-group-size respondents, as `score`
does, with the same default (3) in the CLI and the Python API."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES, cli, run

import dtassess
from dtassess import roadmap
from dtassess.inputs.loading import load_inputs
from dtassess.inputs.responses import load_responses
from dtassess.reporting import annual, report
from dtassess.resources import annual_sample_dir
from dtassess.scoring.scores import score

SAMPLE_FILES = sorted(SAMPLES.glob("*.yaml"))
ANNUAL = annual_sample_dir()
DATE = dt.date(2026, 11, 25)

ONE = (
    "{who} has 1 respondent, fewer than --min-group-size 3: its results could identify who "
    "answered, so nothing is reported; --min-group-size 1 reports it anyway (as for one "
    "official interviewed with 'dtassess survey')"
)
WITHHELD = (
    "withheld 1 {kind}(s) with fewer than 3 respondents: their results could identify "
    "individual respondents (--min-group-size 1 shows them)"
)


def people(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    """One response file per (organization, unit, role), the answers and notes taken in turn
    from the bundled sample county; respondent ids person-00, person-01, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, (org, unit, role) in enumerate(rows):
        text = SAMPLE_FILES[i % len(SAMPLE_FILES)].read_text(encoding="utf-8")
        text = re.sub(r"(?m)^organization: .*$", f"organization: {{id: {org}, name: {org}}}", text)
        text = re.sub(r"(?m)^unit: .*$", f"unit: {unit}", text)
        text = re.sub(r"(?m)^respondent: .*$", f"respondent: {{id: person-{i:02d}, role: {role}}}",
                      text)  # fmt: skip
        (folder / f"{i:02d}.yaml").write_text(text, encoding="utf-8")
    return folder


def alone(tmp_path: Path) -> Path:
    """A consultant's single interview: one official of one organisation."""
    return people(tmp_path / "one", [("solo-org", "UNIT-SOLO", "ROLE-SOLO")])


# ----------------------------------------------------------------- one respondent, every command

COMMANDS = [
    # (arguments after the responses, the output given with -o or None, who the message names)
    (("roadmap",), None, "solo-org (2026)"),
    (("roadmap", "--format", "json"), None, "solo-org (2026)"),
    (("report", "--format", "html"), "r.html", "solo-org (2026)"),
    (("report", "--format", "pdf", "--lang", "en"), "r.pdf", "solo-org (2026)"),
    (("report", "--per-unit", "--format", "html"), "units", "solo-org / UNIT-SOLO (2026)"),
    (("report", "--annual", "--format", "html", "--resamples", "0"), "a.html", "solo-org (2026)"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "output", "who"), COMMANDS)
def test_one_respondent_is_not_reported_without_min_group_size_1(tmp_path, args, output, who):
    answers = alone(tmp_path)
    extra = ("-o", tmp_path / output) if output else ()
    result = cli(args[0], answers, *args[1:], *extra)
    assert result.exit_code == 1
    assert result.stderr == ONE.format(who=who) + "\n"
    assert result.stdout == ""
    if output:
        assert not (tmp_path / output).exists()


@pytest.mark.slow
def test_one_respondent_roadmap_as_a_subprocess(tmp_path):
    result = run("roadmap", alone(tmp_path), "--format", "json")
    assert result.returncode == 1
    assert result.stderr == ONE.format(who="solo-org (2026)") + "\n" and result.stdout == ""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "output"),
    [
        (("roadmap", "--format", "json"), None),
        (("report", "--format", "html"), "r.html"),
        (("report", "--per-unit", "--format", "html"), "units"),
        (("report", "--annual", "--format", "html", "--resamples", "0"), "a.html"),
    ],
)
def test_min_group_size_1_reports_one_respondent_in_full(tmp_path, args, output):
    """The consultant who interviewed one official: `survey`, then `report --min-group-size 1`."""
    extra = ("-o", tmp_path / output) if output else ()
    result = cli(args[0], alone(tmp_path), *args[1:], *extra, "--min-group-size", "1")
    assert result.exit_code == 0, result.stderr
    assert "withheld" not in result.stderr
    if output is None:
        (found,) = json.loads(result.stdout)["roadmaps"]
        assert found["group"] == {"organization": "solo-org", "organization_name": "solo-org",
                                  "period": "2026", "respondents": 1}  # fmt: skip
        return
    path = tmp_path / output
    html = (next(path.iterdir()) if path.is_dir() else path).read_text(encoding="utf-8")
    assert "solo-org" in html or "UNIT-SOLO" in html
    if args == ("report", "--format", "html"):
        assert "ROLE-SOLO · UNIT-SOLO · person-00" in html  # the quotes say who, as asked


def test_min_group_size_0_is_a_usage_error(tmp_path):
    for command in ("roadmap", "report"):
        result = cli(command, alone(tmp_path), "--min-group-size", "0", "-o", tmp_path / "x")
        assert result.exit_code == 2 and "--min-group-size" in result.stderr
        assert not (tmp_path / "x").exists()


# ----------------------------------------------------------------- several organisations


@pytest.fixture
def two_orgs(tmp_path) -> Path:
    rows = [("big-org", "UNIT-BIG", "ROLE-BIG")] * 3 + [("tiny-org", "UNIT-TINY", "ROLE-TINY")]
    return people(tmp_path / "two", rows)


@pytest.mark.slow
def test_roadmap_withholds_the_small_organisation_and_says_so(two_orgs):
    result = cli("roadmap", two_orgs, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == WITHHELD.format(kind="organization") + "\n"
    (found,) = json.loads(result.stdout)["roadmaps"]
    assert found["group"]["organization"] == "big-org"
    assert "tiny-org" not in result.stdout
    table = cli("roadmap", two_orgs, "--lang", "en")
    assert table.exit_code == 0 and "big-org" in table.stdout and "tiny-org" not in table.stdout


@pytest.mark.slow
def test_report_folder_holds_only_the_organisations_large_enough(two_orgs, tmp_path):
    out = tmp_path / "reports"
    result = cli("report", two_orgs, "-o", out, "--format", "html", "--lang", "en")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == WITHHELD.format(kind="organization")
    assert [p.name for p in out.iterdir()] == ["big-org-2026-en.html"]
    assert "tiny-org" not in (out / "big-org-2026-en.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_annual_report_of_the_organisations_large_enough(two_orgs, tmp_path):
    out = tmp_path / "annual"
    result = cli("report", two_orgs, "--annual", "-o", out, "--format", "html", "--resamples", "0")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == WITHHELD.format(kind="organization")
    (written,) = out.iterdir()
    assert written.name.startswith("big-org-") and "tiny-org" not in written.read_text("utf-8")


@pytest.mark.slow
def test_per_unit_reports_withhold_the_small_unit(two_orgs, tmp_path):
    out = tmp_path / "units"
    result = cli("report", two_orgs, "--per-unit", "-o", out, "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == WITHHELD.format(kind="unit")
    (written,) = out.iterdir()
    html = written.read_text(encoding="utf-8")
    assert "UNIT-BIG" in html
    for word in ("UNIT-TINY", "ROLE-TINY", "tiny-org", "person-03"):
        assert word not in html


def test_no_organisation_large_enough_lists_each_with_its_respondents(tmp_path):
    rows = [("org-a", "U", "R"), ("org-b", "U", "R"), ("org-b", "U", "R")]
    result = cli("roadmap", people(tmp_path / "a", rows), "--format", "json")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "no organization has 3 or more respondents (org-a (2026): 1; org-b (2026): 2): their "
        "results could identify individual respondents, so nothing is reported; "
        "--min-group-size 1 reports them anyway\n"
    )


# ----------------------------------------------------------------- inside one report

# An organisation of five: three people of one unit who share a role, and two units of one.
MIXED = [("county", "UNIT-BIG", "ROLE-SHARED")] * 3 + [
    ("county", "UNIT-SOLO-A", "ROLE-A"),
    ("county", "UNIT-SOLO-B", "ROLE-B"),
]
SECRET = ("UNIT-SOLO-A", "UNIT-SOLO-B", "ROLE-A", "ROLE-B", "person-0")
# A note of respondent 04 (UNIT-SOLO-B): quoted, without saying whose it is.
SOLO_NOTE = "医政、公卫科室的任务和资金来源没有写清楚"


@pytest.mark.slow
def test_report_lists_no_small_unit_or_role_and_quotes_them_unattributed(tmp_path):
    out = tmp_path / "r.html"
    result = cli("report", people(tmp_path / "a", MIXED), "-o", out, "--format", "html",
                 "--lang", "en")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    for word in SECRET:
        assert word not in html, word
    assert "2 unit(s) with fewer than 3 respondents are not listed." in html
    assert "2 role(s) with fewer than 3 respondents are not listed." in html
    assert '<td>UNIT-BIG</td><td class="num">3</td>' in html
    assert "ROLE-SHARED · UNIT-BIG" in html  # three of the unit share the role
    assert SOLO_NOTE in html


def test_a_role_one_person_holds_in_a_large_unit_is_not_shown(tmp_path):
    rows = [("county", "UNIT-BIG", role) for role in ("ROLE-X", "ROLE-Y", "ROLE-Y")]
    loaded = load_responses([people(tmp_path / "a", rows)])
    result = score(loaded)
    (made,) = dtassess.build_roadmaps(result, loaded)
    model = dtassess.build_report(result, loaded, made, "en", DATE)
    quotes = [n for d in model.dimensions for n in d.notes]
    assert quotes and {(n.unit, n.role, n.respondent) for n in quotes} == {("UNIT-BIG", "", "")}
    assert model.methodology.by_unit == [("UNIT-BIG", 3)]
    assert model.methodology.by_role == [] and model.methodology.small_roles == 2


# ----------------------------------------------------------------- the annual report inside


@pytest.fixture(scope="module")
def thin_years(tmp_path_factory) -> Path:
    """The annual sample with two respondents left in 2024 (the agency too few that year) and
    one in 2025 for the education bureau (jiaoyu), which has four in 2026."""
    folder = tmp_path_factory.mktemp("years")
    shutil.copytree(ANNUAL, folder / "years")
    years = folder / "years"
    for path in (years / "2024").glob("*.yaml"):
        if path.name not in ("caizheng-1.yaml", "caizheng-2.yaml"):
            path.unlink()
    for name in ("jiaoyu-2.yaml", "jiaoyu-3.yaml"):
        (years / "2025" / name).unlink()
    return years


@pytest.mark.slow
def test_annual_report_leaves_out_small_periods_and_unit_periods(thin_years):
    loaded = load_inputs([thin_years])
    (model,) = annual.annual_models(loaded, lang="zh", date=DATE)
    assert model.periods == ["2025", "2026"] and model.withheld_periods == ["2024"]
    education = next(s for s in model.series if s.title == "县教育局")
    assert education.scores[0] is None and education.scores[1] is not None
    page = next(p for p in model.unit_pages if p.unit == "县教育局")
    assert [h.period for h in page.history] == ["2026"]
    movers = model.movers.up + model.movers.down
    assert all(not m.questions for m in movers if m.unit == "县教育局")
    html = annual.render_annual(model, dtassess.reporting.templating.template_dir(None), "html")
    assert "全机关受访者少于 3 人的期间不列示：2024。" in html.decode("utf-8")


def test_question_changes_skip_units_too_small_in_either_period(thin_years):
    loaded = load_inputs([thin_years])
    every = annual._question_changes(loaded.questionnaire, loaded, "qingshan", "2026", "2025")
    kept = annual._question_changes(
        loaded.questionnaire, loaded, "qingshan", "2026", "2025", min_group_size=3
    )
    assert "县教育局" in every and "县教育局" not in kept and "县财政局" in kept


# ----------------------------------------------------------------- the Python API


def test_api_defaults_are_the_commands():
    defaults = {
        name: inspect.signature(function).parameters["min_group_size"].default
        for name, function in [
            ("build_roadmaps", dtassess.build_roadmaps),
            ("small_groups", roadmap.small_groups),
            ("build_report", dtassess.build_report),
            ("annual_models", annual.annual_models),
            ("small_organizations", annual.small_organizations),
            ("unit_sets", annual.unit_sets),
        ]
    }
    assert set(defaults.values()) == {roadmap.MIN_GROUP_SIZE} == {3}
    from dtassess import cli as commands

    for command in (commands.score, commands.roadmap, commands.report):
        assert inspect.signature(command).parameters["min_group_size"].default == 3


@pytest.mark.slow
def test_api_withholds_by_default_and_reports_when_asked(tmp_path):
    loaded = load_responses([alone(tmp_path)])
    result = score(loaded)  # the engine keeps every group; the roadmap does not
    assert dtassess.build_roadmaps(result, loaded) == []
    assert roadmap.small_groups(result) == [
        {"organization": "solo-org", "period": "2026", "respondents": 1}
    ]
    (made,) = dtassess.build_roadmaps(result, loaded, min_group_size=1)
    with pytest.raises(ValueError, match="1 respondent"):
        dtassess.build_report(result, loaded, made, "en", DATE)
    model = report.build_report(result, loaded, made, "en", DATE, min_group_size=1)
    assert model.respondents == 1
    assert annual.annual_models(loaded, lang="en", date=DATE) == []
    assert len(annual.annual_models(loaded, lang="en", date=DATE, min_group_size=1)) == 1
    latest, units, small = annual.unit_sets(loaded)
    assert (latest, units) == ("2026", []) and small == [
        {"organization": "solo-org", "unit": "UNIT-SOLO", "period": "2026", "respondents": 1}
    ]


@pytest.mark.slow
def test_the_report_lists_input_files_by_digest_unless_groups_of_one_are_shown(tmp_path):
    folder = people(tmp_path / "a", [("county", "UNIT-BIG", "ROLE-SHARED")] * 3)
    (folder / "00.yaml").rename(folder / "caizheng-xinxihua-UNIT-SOLO.yaml")
    for k, extra in enumerate(([], ["--min-group-size", "1"])):
        out = tmp_path / f"r{k}.html"
        result = cli("report", folder, "-o", out, "--format", "html", "--lang", "en", *extra)
        assert result.exit_code == 0, result.stderr
        html = out.read_text(encoding="utf-8")
        assert ("caizheng-xinxihua-UNIT-SOLO.yaml" in html) == bool(extra)
        assert ("listed by their SHA-256 digest only" in html) != bool(extra)
        assert html.count('<td class="mono hash">') == 3
