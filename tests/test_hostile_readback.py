"""`dtassess score report.pdf` on PDFs from anyone: a broken, forged or hostile report is a
located problem naming the PDF (exit 2), never a traceback, and nothing named inside a PDF is
opened (docs/errors.md, F001, F006, F010)."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINI, SAMPLES, cli
from pypdf import PdfWriter

import dtassess
from dtassess.reporting.report import ATTACHMENT, attachment_for


@pytest.fixture(scope="module")
def results() -> dict:
    """What a real report of the sample county carries, without rendering one."""
    loaded = dtassess.load_responses([SAMPLES])
    result = dtassess.score(loaded)
    roadmap = dtassess.build_roadmaps(result, loaded)[0]
    return json.loads(attachment_for(result, roadmap))


def pdf_bytes(payload: bytes | None, name: str = ATTACHMENT, password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    if payload is not None:
        writer.add_attachment(name, payload)
    if password is not None:
        writer.encrypt(password, "owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def write_pdf(tmp_path: Path, data: bytes, name: str = "report.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def edited(results: dict, change) -> bytes:
    doc = copy.deepcopy(results)
    change(doc)
    return json.dumps(doc).encode()


def _set(path: str, value):
    """A change that sets the field at `path` (dots and [i]) to `value`."""

    def change(doc):
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value

    return change


def _drop(path: str):
    def change(doc):
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return change


@pytest.mark.slow
def test_a_real_reports_results_pass(results, tmp_path):
    pdf = write_pdf(tmp_path, pdf_bytes(json.dumps(results).encode()))
    result = cli("score", pdf, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["groups"][0]["organization"] == "qingshan"


# (payload, fragment of the message) -> F010, exit 2, at the PDF
RAW = [
    (b"not json {", "is not JSON: Expecting value (line 1, column 1)"),
    (b"   \n", "is empty"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"a": NaN}', "NaN is not a number JSON allows"),
    (b'{"a": 1e400}', "the number 1e400 is too large"),
    (b'{"n": ' + b"9" * 5000 + b"}", "not results that dtassess writes"),
    (b"\xff\xfe{}", "is not UTF-8 text"),
    (b"[]", "the document: expected object, got a list"),
    (b'"text"', "expected object, got the text 'text'"),
    (b"{}", "the document: missing 'groups'"),
    (b'{"groups": [], "organization": "a\\ud800"}', "it holds half a character"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("payload", "fragment"), RAW, ids=[f[1][:30] for f in RAW])
def test_an_attachment_that_is_not_results_is_f010(tmp_path, payload, fragment):
    pdf = write_pdf(tmp_path, pdf_bytes(payload))
    result = cli("score", pdf)
    assert result.exit_code == 2, result.output
    assert f"{pdf}: {ATTACHMENT}" in result.stderr and fragment in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


# (change to real results, fragment) -> F010, exit 2, at the PDF
FORGED = [
    (_drop("questionnaire"), "the document: missing 'questionnaire'"),
    (_set("groups", "all"), "groups: expected array, got the text 'all'"),
    (_set("groups[0].respondents", "five"), "groups[0].respondents: expected integer"),
    (_set("groups[0].respondents", True), "groups[0].respondents: expected integer, got true"),
    (_set("groups[0].respondents", 0), "groups[0].respondents: 0 is below 1"),
    (_set("groups[0].scores", []), "groups[0].scores: expected object, got a list"),
    (_drop("groups.0.scores.overall"), "groups[0].scores: missing 'overall'"),
    (_set("groups[0].scores.overall.score", "36"), "scores.overall.score: expected number or"),
    (_set("groups[0].scores.overall.coverage", 7), "scores.overall.coverage: 7 is above 1"),
    (_set("groups[0].scores.overall.n", None), "scores.overall.n: expected integer, got null"),
    (_set("groups[0].scores.overall.flags", ["x"]), "flags[0]: expected one of"),
    (_set("questionnaire.id", {"$ref": "x"}), "questionnaire.id: expected string"),
    (_set("format", "dtassess.scores/9"), "format: expected 'dtassess.scores/1'"),
    (_set("groups[0].scores.overall.score", 1e6), "outside the questionnaire's score range"),
    # a group's keys beyond organization and unit are --by fields: strings (or null)
    (_set("groups[0].extra", 1), "groups[0].extra: expected string or null, got 1"),
    (_set("groups[0].extra", {"a": 1}), "groups[0].extra: expected string or null"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("change", "fragment"), FORGED, ids=[f[1][:40] for f in FORGED])
def test_results_of_the_wrong_shape_are_f010(results, tmp_path, change, fragment):
    pdf = write_pdf(tmp_path, pdf_bytes(edited(results, change)))
    result = cli("score", pdf, "--format", "json")
    assert result.exit_code == 2, result.output
    assert f"{pdf}: {ATTACHMENT}: " in result.stderr and fragment in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_many_wrong_fields_are_listed_up_to_a_bound(results, tmp_path):
    def change(doc):
        for values in doc["groups"][0]["scores"].values():
            values["n"] = values["sd"] = "many"

    pdf = write_pdf(tmp_path, pdf_bytes(edited(results, change)))
    result = cli("score", pdf)
    assert result.exit_code == 2
    assert result.stderr.count(": expected ") == 20 and ": 18 more" in result.stderr


def test_a_huge_attachment_is_refused(results, tmp_path, monkeypatch):
    from dtassess.reporting import readback

    monkeypatch.setattr(readback, "RESULTS_LIMIT", 10_000)
    pdf = write_pdf(tmp_path, pdf_bytes(json.dumps(results).encode()))
    result = cli("score", pdf)
    assert result.exit_code == 2 and "dtassess reads results of up to 10,000" in result.stderr


@pytest.mark.slow
def test_a_compression_bomb_is_refused(tmp_path):
    """80 MB of blanks in a 80 KB attachment: refused once pypdf's inflate limit is reached."""
    import zlib

    from pypdf.generic import NameObject

    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    stream = writer.add_attachment(ATTACHMENT, b"x").pdf_object["/EF"]["/F"].get_object()
    stream._data = zlib.compress(b" " * (80 * 2**20), 1)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf = write_pdf(tmp_path, buffer.getvalue())
    result = cli("score", pdf)
    assert result.exit_code == 2, result.output
    assert f"{pdf}: {ATTACHMENT} in this PDF inflates to more than dtassess reads" in result.stderr


def test_a_pdf_over_the_size_limit_is_refused(results, tmp_path, monkeypatch):
    from dtassess.reporting import render

    monkeypatch.setattr(render, "PDF_LIMIT", 500)
    pdf = write_pdf(tmp_path, pdf_bytes(json.dumps(results).encode()))
    result = cli("score", pdf)
    assert result.exit_code == 2 and f"{pdf}: the file is " in result.stderr
    assert "dtassess reads files of this kind up to 500 bytes" in result.stderr


@pytest.mark.slow
def test_reports_without_groups_give_no_groups(results, tmp_path):
    pdf = write_pdf(tmp_path, pdf_bytes(edited(results, _set("groups", []))))
    result = cli("score", pdf, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["groups"] == []


# --------------------------------------------------------------------------- the PDF itself


def _truncated(results) -> bytes:
    data = pdf_bytes(json.dumps(results).encode())
    return data[: len(data) // 3]


def _deep_pdf(results) -> bytes:
    """A catalog entry nested 50,000 arrays deep (pypdf parses arrays recursively)."""
    data = pdf_bytes(json.dumps(results).encode())
    return data.replace(b"/Type /Catalog", b"/Type /Catalog /X " + b"[" * 50_000 + b"]" * 50_000)


PDFS = [
    (lambda r: b"hello, not a PDF", "not a PDF file (no %PDF- header)"),
    (lambda r: b"", "not a PDF file"),
    (_truncated, "broken PDF, cannot read its attachments"),
    (_deep_pdf, "broken PDF, cannot read its attachments"),
    (
        lambda r: pdf_bytes(json.dumps(r).encode(), password="secret"),
        "the PDF is encrypted with a password",
    ),
]


@pytest.mark.parametrize(("make", "fragment"), PDFS, ids=[f[1][:30] for f in PDFS])
def test_a_broken_pdf_is_located(results, tmp_path, make, fragment):
    pdf = write_pdf(tmp_path, make(results))
    result = cli("score", pdf)
    assert result.exit_code == 2, result.output
    assert f"{pdf}: {fragment}" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_a_pdf_encrypted_only_for_its_owner_is_read(results, tmp_path):
    """An empty user password opens the PDF: its results are read as usual."""
    data = PdfWriter()
    data.add_blank_page(72, 72)
    data.add_attachment(ATTACHMENT, json.dumps(results).encode())
    data.encrypt("", "owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    data.write(buffer)
    pdf = write_pdf(tmp_path, buffer.getvalue())
    assert cli("score", pdf).exit_code == 0


@pytest.mark.slow
def test_a_fifo_named_pdf_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "report.pdf"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "dtassess", "score", str(fifo)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and f"{fifo}: " in result.stderr and "FIFO" in result.stderr


# --------------------------------------------------------------------------- names inside a PDF


def test_a_questionnaire_named_inside_a_pdf_is_never_opened(results, tmp_path):
    """The old reader opened any path the results named as their questionnaire."""
    planted = tmp_path / "planted@1.0.yaml"
    planted.write_text(MINI.read_text("utf-8"), encoding="utf-8")

    def change(doc):
        doc["questionnaire"]["id"] = str(tmp_path / "planted")
        doc["questionnaire"]["version"] = "1.0.yaml"

    pdf = write_pdf(tmp_path, pdf_bytes(edited(results, change)))
    result = cli("score", pdf)
    assert result.exit_code == 2, result.output
    assert f"{pdf}: the report answers " in result.stderr
    assert "which is not a bundled questionnaire: give its file with -q" in result.stderr


def test_a_report_of_another_questionnaire_than_q_is_refused(results, tmp_path):
    pdf = write_pdf(tmp_path, pdf_bytes(json.dumps(results).encode()))
    result = cli("score", pdf, "-q", MINI)
    assert result.exit_code == 2
    assert f"{pdf}: the report answers gov-dt@1.0, not " in result.stderr


def test_an_attachment_under_another_name_is_not_read(results, tmp_path):
    pdf = write_pdf(
        tmp_path, pdf_bytes(json.dumps(results).encode(), name="../../dtassess-results.json")
    )
    result = cli("score", pdf)
    assert result.exit_code == 2 and "carries no dtassess results" in result.stderr
