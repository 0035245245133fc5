"""Results as CI systems read them: JUnit XML, a Markdown job summary, GitHub workflow commands
and a GitLab code-quality report (docs/ci.md).

Each is drawn from one scoring run (the result, its `--fail-under` checks and `--fail-on-drop`
checks), so that the files of one `dtassess score` run cannot disagree. Test and group names
come from response files: characters XML cannot carry are left out (`markup_text`), Markdown's
own characters are escaped, and a workflow command's separators are percent-encoded.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import visible
from ..inputs.questionnaire import localize
from .output import _full, _key_fields, markup_text

if TYPE_CHECKING:
    import datetime as dt

    from ..errors import Problem
    from ..scoring.scores import ScoreResult
    from ..scoring.thresholds import Check, Drop


# --------------------------------------------------------------------------- the run's findings


@dataclass
class Group:
    """One group's test cases: its keys, the checks of its bars and drops, its scores."""

    keys: dict[str, str]
    checks: list[Check] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    scores: dict[str, float | None] = field(default_factory=dict)
    respondents: int | None = None
    withheld: bool = False

    @property
    def name(self) -> str:
        return " · ".join(v for v in self.keys.values() if v)


def _key(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(v or "") for v in values)


def groups_of(
    result: ScoreResult, checks: Sequence[Check] | None, drops: Sequence[Drop] | None
) -> list[Group]:
    """The groups shown, in table order, each with its checks; then the groups withheld."""
    keys = _key_fields(result)
    found: dict[tuple[str, ...], Group] = {}
    for row in result.table.itertuples(index=False):
        key = _key(getattr(row, k) for k in keys)
        group = found.get(key)
        if group is None:
            group = found[key] = Group(dict(zip(keys, key, strict=True)))
            group.respondents = int(row.respondents)
        group.scores[row.node] = _full(row.score)
    for check in checks or ():
        found[_key(check.group.values())].checks.append(check)
    for drop in drops or ():
        found[_key(drop.group.values())].drops.append(drop)
    shown = list(found.values())
    return shown + [
        Group(dict(zip(keys, key, strict=True)), respondents=size, withheld=True)
        for key, size in withheld_groups(result)
    ]


def withheld_groups(result: ScoreResult) -> list[tuple[tuple[str, ...], int]]:
    """The groups `--min-group-size` left out, with their sizes, in the responses' order.

    Worked out from the respondents' keys, which the result keeps; a result without them (PDF
    reports, a Dask run) names none."""
    if not result.withheld or result.by == "respondent":
        return []
    keys = _key_fields(result)
    meta = result.meta
    if not all(k in meta for k in keys):
        return []
    sizes: dict[tuple[str, ...], int] = {}
    for values in zip(*(meta[k] for k in keys), strict=True):
        key = _key(values)
        sizes[key] = sizes.get(key, 0) + 1
    return [(key, size) for key, size in sizes.items() if size < result.min_group_size]


def group_sources(result: ScoreResult) -> dict[tuple[str, ...], str]:
    """Each group's first response file (or export), where an annotation about it points."""
    keys = _key_fields(result)
    meta = result.meta
    if "source" not in meta or not all(k in meta for k in keys):
        return {}
    found: dict[tuple[str, ...], str] = {}
    for *values, source in zip(*(meta[k] for k in keys), meta["source"], strict=True):
        key = _key(values)
        if source and (key not in found or str(source) < found[key]):
            found[key] = str(source)
    return found


def _number(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else repr(float(value))


def _rounded(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


# --------------------------------------------------------------------------- JUnit


def to_junit(
    result: ScoreResult,
    checks: Sequence[Check] | None = None,
    drops: Sequence[Drop] | None = None,
    started: dt.datetime | None = None,
    seconds: float = 0.0,
    nodes: tuple[Sequence[str], Sequence[str]] = ((), ()),
) -> str:
    """JUnit XML: a test suite per group, a test case per node checked (docs/ci.md).

    A case is named by its node, its class by its group, never by the bar, so that a CI keeps
    a case's history when a bar changes. Without bars or drops each group gets one passing case,
    `overall`. A withheld group's cases, those of the `nodes` with bars and with drop limits,
    are skipped, with the reason."""
    from xml.etree import ElementTree as ET

    groups = groups_of(result, checks, drops)
    root = ET.Element("testsuites", name=f"dtassess {result.questionnaire.ref}")
    bar_nodes = list(dict.fromkeys([*nodes[0], *(c.node for c in checks or ())]))
    drop_nodes = list(dict.fromkeys([*nodes[1], *(d.node for d in drops or ())]))
    for group in groups:
        checked = checks is not None or drops is not None
        if checked and not group.withheld and not group.checks and not group.drops:
            continue  # an earlier period's group, with only drops checked: history
        suite = ET.SubElement(root, "testsuite", name=group.name)
        _properties(suite, group)
        if group.withheld:
            _withheld_cases(suite, group, result, bar_nodes, drop_nodes, checks, drops)
        elif checks is None and drops is None:
            case = _case(suite, group, "overall")
            ET.SubElement(
                case, "system-out"
            ).text = f"overall: {_rounded(group.scores.get('overall'))}"
        for check in group.checks:
            _bar_case(suite, group, check)
        for drop in group.drops:
            _drop_case(suite, group, drop)
        _count(suite)
        if started is not None:
            suite.set("timestamp", started.strftime("%Y-%m-%dT%H:%M:%S"))
    # Every group comes out of the one run: each suite takes an equal share of its duration, so
    # that a reader adding up the suites gets the run's.
    for suite in root:
        suite.set("time", f"{seconds / len(root):.3f}")
    for total in ("tests", "failures", "errors"):
        root.set(total, str(sum(int(s.get(total, 0)) for s in root)))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    # ElementTree writes control characters as they are, which no XML parser accepts.
    return markup_text(ET.tostring(root, encoding="unicode", xml_declaration=True)) + "\n"


def _case(suite: Any, group: Group, name: str) -> Any:
    from xml.etree import ElementTree as ET

    return ET.SubElement(suite, "testcase", classname=group.name, name=name)


def _properties(suite: Any, group: Group) -> None:
    """What a reader needs beside the cases: the group's keys, size, and every number checked."""
    from xml.etree import ElementTree as ET

    found = [(k, v) for k, v in group.keys.items() if v]
    if group.respondents is not None and not group.withheld:
        found.append(("respondents", str(group.respondents)))
    for check in group.checks:
        found += [
            (f"{check.node}.score", _number(check.score)),
            (f"{check.node}.bar", f"{check.bar:g}"),
        ]
    for drop in group.drops:
        found += [
            (f"{drop.node}.change", _number(drop.change)),
            (f"{drop.node}.previous_period", drop.previous_period or ""),
            (f"{drop.node}.max_drop", f"{drop.limit:g}"),
        ]
    if not group.checks and not group.drops and "overall" in group.scores:
        found.append(("overall.score", _number(group.scores["overall"])))
    properties = ET.SubElement(suite, "properties")
    for name, value in dict(found).items():
        ET.SubElement(properties, "property", name=name, value=value)


def _bar_case(suite: Any, group: Group, check: Check) -> None:
    from xml.etree import ElementTree as ET

    case = _case(suite, group, check.node)
    if check.passed:
        text = f"{check.node}: {_rounded(check.score)}, bar {check.bar:g}: met"
        ET.SubElement(case, "system-out").text = text
        return
    failure = ET.SubElement(case, "failure", message=check.describe(), type="below_bar")
    failure.text = check.describe()


def _drop_case(suite: Any, group: Group, drop: Drop) -> None:
    from xml.etree import ElementTree as ET

    case = _case(suite, group, f"{drop.node} change")
    if not drop.compared:
        ET.SubElement(case, "skipped", message=drop.describe(), type="not_compared")
    elif drop.passed:
        ET.SubElement(case, "system-out").text = drop.describe()
    else:
        failure = ET.SubElement(case, "failure", message=drop.describe(), type="drop")
        failure.text = drop.describe()


def _withheld_cases(
    suite: Any,
    group: Group,
    result: ScoreResult,
    bar_nodes: list[str],
    drop_nodes: list[str],
    checks: Sequence[Check] | None,
    drops: Sequence[Drop] | None,
) -> None:
    """The cases the group would have had, each skipped: its history stays in one place."""
    from xml.etree import ElementTree as ET

    names = bar_nodes + [f"{n} change" for n in drop_nodes]
    if checks is None and drops is None:
        names = ["overall"]
    why = withheld_reason(group, result.min_group_size)
    for name in names:
        case = _case(suite, group, name)
        ET.SubElement(case, "skipped", message=why, type="withheld")


def withheld_reason(group: Group, k: int) -> str:
    size = group.respondents or 0
    people = "1 respondent" if size == 1 else f"{size} respondents"
    return (
        f"withheld: {people}, fewer than --min-group-size {k}; its results could identify who "
        "answered"
    )


def _count(suite: Any) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    suite.set("errors", "0")
    suite.set("skipped", str(sum(c.find("skipped") is not None for c in cases)))


# --------------------------------------------------------------------------- Markdown


# Enough for text inside a line or a table cell: emphasis, code, links, HTML, cells, strikes.
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~"})


def md(text: str) -> str:
    """Text from the inputs as Markdown shows it: its markup characters escaped, one line."""
    return " ".join(markup_text(str(text)).split()).translate(_MARKDOWN_SPECIAL)


def to_markdown(
    result: ScoreResult,
    checks: Sequence[Check] | None,
    drops: Sequence[Drop] | None,
    lang: str,
) -> str:
    """A summary for a job page ($GITHUB_STEP_SUMMARY): the verdict, then a table per check."""
    q = result.questionnaire
    groups = groups_of(result, checks, drops)
    shown = [g for g in groups if not g.withheld]
    missed = [c for c in checks or () if not c.passed] + [d for d in drops or () if not d.passed]
    lines = [f"## dtassess: {md(localize(q.title, lang))} · {md(q.ref)}", ""]
    lines += [_verdict(checks, drops, missed, shown), ""]
    if checks is not None and checks:
        lines += ["| group | node | score | bar | |", "| --- | --- | ---: | ---: | --- |"]
        for check in checks:
            mark = "met" if check.passed else "**below**"
            lines.append(
                f"| {md(_name(check.group))} | {md(q.title_of(check.node, lang))} "
                f"| {_rounded(check.score)} | {check.bar:g} | {mark} |"
            )
        lines.append("")
    if drops is not None and drops:
        lines += [
            "| group | node | score | change | since | may fall | |",
            "| --- | --- | ---: | ---: | --- | ---: | --- |",
        ]
        for drop in drops:
            change = "—" if drop.change is None else f"{drop.change:+.1f}"
            mark = "not compared" if not drop.compared else "ok" if drop.passed else "**fell**"
            lines.append(
                f"| {md(_name(drop.group))} | {md(q.title_of(drop.node, lang))} "
                f"| {_rounded(drop.score)} | {change} | {md(drop.previous_period or '—')} "
                f"| {drop.limit:g} | {mark} |"
            )
        lines.append("")
    if checks is None and drops is None and shown:
        lines += ["| group | respondents | overall |", "| --- | ---: | ---: |"]
        for group in shown:
            score = _rounded(group.scores.get("overall"))
            lines.append(f"| {md(group.name)} | {group.respondents} | {score} |")
        lines.append("")
    withheld = [g for g in groups if g.withheld]
    if withheld or result.withheld:
        count = len(withheld) or result.withheld
        lines += [
            f"{count} group(s) withheld: fewer than --min-group-size {result.min_group_size} "
            "respondents, whose results could identify who answered.",
            "",
        ]
    return "\n".join(lines)


def _name(keys: dict[str, str]) -> str:
    return " · ".join(v for v in keys.values() if v)


def _verdict(
    checks: Sequence[Check] | None,
    drops: Sequence[Drop] | None,
    missed: list,
    shown: list[Group],
) -> str:
    if checks is None and drops is None:
        return f"{len(shown)} group(s) scored; no bars given."
    counted = len(checks or ()) + sum(d.compared for d in drops or ())
    if missed:
        return f"**Failed**: {len(missed)} of {counted} check(s) missed."
    if not counted:
        return "**Failed**: nothing was checked (every group withheld, or nothing to compare)."
    return f"**Passed**: all {counted} check(s) met."


# --------------------------------------------------------------------------- annotations


@dataclass(frozen=True)
class Finding:
    """One thing to annotate: a problem, a missed bar, a drop; at a file or nowhere."""

    severity: str  # "error" | "warning"
    code: str  # a problem code, "below_bar" or "drop"
    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None


def findings(
    problems: Sequence[Problem],
    checks: Sequence[Check] | None = None,
    drops: Sequence[Drop] | None = None,
    sources: dict[tuple[str, ...], str] | None = None,
) -> list[Finding]:
    """Problems at their places; each missed bar or drop at its group's first response file."""
    found = [Finding(p.severity, p.code, p.message, p.path, p.line, p.column) for p in problems]
    sources = sources or {}
    for check in checks or ():
        if not check.passed:
            where = sources.get(_key(check.group.values()), "")
            found.append(Finding("error", "below_bar", check.describe(), where))
    for drop in drops or ():
        if not drop.passed:
            where = sources.get(_key(drop.group.values()), "")
            found.append(Finding("error", "drop", drop.describe(), where))
    return found


def _escape_data(text: str) -> str:
    """A command's message: one line (GitHub's own escapes), no control character a log
    viewer would act on (shown as `\\x1b`, as in every message)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return visible(text)


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(items: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands, one a line: `::error file=F,line=L,col=C,title=T::M`."""
    lines = []
    for item in items:
        fields = []
        if item.path:
            fields.append(f"file={_escape_property(item.path)}")
            if item.line is not None:
                fields.append(f"line={item.line}")
                if item.column is not None:
                    fields.append(f"col={item.column}")
        fields.append(f"title={_escape_property('dtassess ' + item.code)}")
        command = "error" if item.severity == "error" else "warning"
        lines.append(f"::{command} {','.join(fields)}::{_escape_data(item.message)}")
    return "".join(line + "\n" for line in lines)


def to_code_quality(items: Sequence[Finding]) -> str:
    """A GitLab code-quality report: a JSON list, each entry located at a path and line.

    An entry without a file (a bar of an organisation read from a form export is at the export)
    is located at `dtassess`, as GitLab requires a path."""
    entries = []
    for item in items:
        line = item.line or 1
        path = item.path or "dtassess"
        digest = hashlib.sha256(
            "\0".join((item.code, path, str(line), item.message)).encode("utf-8", "replace")
        ).hexdigest()
        entries.append(
            {
                "description": f"{item.code}: {item.message}",
                "check_name": item.code,
                "fingerprint": digest,
                "severity": "major" if item.severity == "error" else "minor",
                "location": {"path": path, "lines": {"begin": line}},
            }
        )
    return json.dumps(entries, ensure_ascii=False, indent=2) + "\n"
