"""Templates are data, not code: every template renders in Jinja2's sandbox, loads files only
from its own folder, and a fault is F005 at the template's file and line."""

from __future__ import annotations

import os
import re

import pytest
from conftest import MINI, cli, run


@pytest.fixture
def template(tmp_path):
    folder = tmp_path / "tpl"
    assert cli("template", "init", folder).exit_code == 0
    return folder


def with_line(folder, text, name="report.html.j2"):
    """Put `text` on a line of its own after <body>; its line number."""
    path = folder / name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("<body")) + 1
    lines.insert(at, text + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return at + 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "payload",
    [
        "{{ cycler.__init__.__globals__.os.popen('touch MARK').read() }}",
        "{{ lipsum.__globals__['os'].popen('touch MARK').read() }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ report.labels.update({'report': 'changed'}) }}",
        # the model's sections are frozen dataclasses; its lists are lists
        "{% set _ = report.dimensions.clear() %}",
        "{% set _ = report.overall.__setattr__('score', 100) %}",
    ],
)
def test_a_template_cannot_run_python_or_change_data(tmp_path, template, answers, payload):
    line = with_line(template, payload)
    out = tmp_path / "r.html"
    result = run("report", answers, "-q", MINI, "--format", "html", "-o", out, "--template",
                 template, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert f"{template / 'report.html.j2'}:{line}: template not allowed:" in result.stderr
    assert not (tmp_path / "MARK").exists() and not out.exists()


def test_a_template_includes_nothing_from_outside_its_folder(tmp_path, template, answers):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    (template / "leak.j2").symlink_to(secret)
    with_line(template, '{% include "leak.j2" %}')
    out = tmp_path / "r.html"
    result = cli("report", answers, "-q", MINI, "--format", "html", "-o", out, "--template",
                 template)  # fmt: skip
    assert result.exit_code == 2 and "F005" not in result.stderr
    assert "template error: leak.j2" in result.stderr and not out.exists()


def test_a_template_runtime_error_is_located(tmp_path, template, answers):
    line = with_line(template, "{{ 1 / 0 }}")
    result = cli("report", answers, "-q", MINI, "--format", "html", "-o", tmp_path / "r.html",
                 "--template", template)  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert f"{template / 'report.html.j2'}:{line}: template error: ZeroDivisionError" in (
        result.stderr
    )


def test_a_template_reads_the_typed_model_by_attribute_or_by_key(tmp_path, template, answers):
    """An agency's template written against the model as dicts (`report["overall"]["score"]`)
    reads the typed model the same; a misspelt field is F005 at its line, naming the field."""
    reads = [
        'report["overall"]["score"]',
        "report.overall.score",
        'report.organization["name"]',
        'report.roadmap["phases"][0]["label"]',
    ]
    with_line(template, '<p id="k">' + "|".join("{{ " + r + " }}" for r in reads) + "</p>")
    out = tmp_path / "r.html"
    result = cli("report", answers, "-q", MINI, "--format", "html", "-o", out, "--template",
                 template)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    by_key, by_name, name, phase = re.search(
        r'<p id="k">(.*?)\|(.*?)\|(.*?)\|(.*?)</p>', out.read_text(encoding="utf-8")
    ).groups()
    assert by_key == by_name != "" and name and phase

    line = with_line(template, "{{ report.overall.scroe }}")
    result = cli("report", answers, "-q", MINI, "--format", "html", "-o", tmp_path / "s.html",
                 "--template", template)  # fmt: skip
    assert result.exit_code == 2
    assert f"{template / 'report.html.j2'}:{line}: template error:" in result.stderr
    assert "has no attribute 'scroe'" in result.stderr


@pytest.mark.slow
def test_an_older_words_template_that_changes_a_dict_says_how_to_fix_it(template, answers):
    words = template / "_words.j2"
    text = words.read_text(encoding="utf-8")
    new = "{%- set w = dict(base, **report.labels) -%}"
    old = (
        "{%- set w = {} -%}\n{%- for key, value in base.items() -%}\n"
        "  {%- set _ = w.update({key: report.labels.get(key) or value}) -%}\n{%- endfor -%}"
    )
    assert new in text
    words.write_text(text.replace(new, old), encoding="utf-8")
    line = text[: text.index(new)].count("\n") + 3
    result = cli("report", answers, "-q", MINI, "--format", "html", "-o",
                 template.parent / "r.html", "--template", template)  # fmt: skip
    assert result.exit_code == 2
    assert f"{words}:{line}: template not allowed: access to attribute 'update'" in result.stderr
    assert "copy _words.j2 from a new 'dtassess template init' folder" in result.stderr


def test_template_init_never_writes_into_a_fifo_or_over_a_file(tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    os.mkfifo(folder / "style.css")
    result = cli("template", "init", folder, "--force")
    assert result.exit_code == 2, result.stderr
    assert f"{folder / 'style.css'}: {folder / 'style.css'} is a FIFO" in result.stderr
    assert os.listdir(folder) == ["style.css"]
    plain = tmp_path / "file"
    plain.write_text("mine", encoding="utf-8")
    result = cli("template", "init", plain, "--force")
    assert result.exit_code == 2 and f"{plain}: {plain} is not a folder" in result.stderr
