"""Control characters in names, units, roles and notes never reach XML or HTML: the JUnit file
parses with a strict XML parser and the HTML report holds none of them (docs/report.md)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import SAMPLES, cli

from dtassess.reporting.output import markup_text

# What XML 1.0 cannot carry, and what HTML calls a parse error.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@pytest.fixture(scope="module")
def responses(tmp_path_factory) -> Path:
    """The sample county with control characters (YAML escapes) in its organization's name,
    a unit, a role and a note."""
    folder = tmp_path_factory.mktemp("control") / "responses"
    shutil.copytree(SAMPLES, folder)
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text("utf-8").replace(
            "name: 青山县人民政府", r'name: "青山县\x01人民\e[31m政府\x7f"'
        )
        if path.name.startswith("01"):
            text = text.replace("unit: 县政务服务和数据管理局", r'unit: "县政务\x0b服务\x00局"')
            text = text.replace("role: 分管副局长", r'role: "分管\x1f副局长"')
            text = text.replace(
                "note: 方案附有对照", 'note: "控制\\x0c字符\\x08的备注\\x85"\n    # note: ', 1
            )
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("by", ["organization", "unit", "respondent"])
def test_junit_parses_with_a_strict_xml_parser(responses, by):
    result = cli(
        "score", responses, "--by", by, "--format", "junit", "--min-group-size", "1",
        "--fail-under", "overall=90",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    suite = ET.fromstring(result.stdout.encode("utf-8"))
    assert int(suite.get("failures")) >= 1
    assert not CONTROL.search(result.stdout)
    if by != "organization":  # the unit is named, without its control characters
        assert any(" · 县政务服务局 · " in c.get("classname") for c in suite.iter("testcase"))


def test_junit_without_bars_parses_too(responses):
    result = cli("score", responses, "--by", "unit", "--format", "junit", "--min-group-size", "1")
    assert result.exit_code == 0, result.output
    ET.fromstring(result.stdout.encode("utf-8"))


@pytest.mark.slow
def test_the_html_report_holds_no_control_character(responses, tmp_path):
    out = tmp_path / "report.html"
    # groups of one shown, so that the role and unit with control characters reach the page
    result = cli(
        "report", responses, "--format", "html", "-o", out, "--lang", "zh",
        "--min-group-size", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert not CONTROL.search(html)
    # the visible text stays, only the invisible characters go
    for words in ("青山县人民[31m政府", "控制字符的备注", "分管副局长"):
        assert words in html, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00b\x08c\x0bd\x0ce\x1ff", "abcdef"),
        ("tab\tline\nreturn\r", "tab\tline\nreturn\r"),  # legal in XML and HTML
        ("del\x7f c1\x85\x9f", "del c1"),
        ("lone \ud800 surrogate \udfff", "lone  surrogate "),
        ("non\ufffe\uffffchars", "nonchars"),
        ("青山县 😀 \u2028 ok", "青山县 😀 \u2028 ok"),
    ],
)
def test_markup_text_removes_what_xml_and_html_cannot_carry(text, expected):
    assert markup_text(text) == expected
