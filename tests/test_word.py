"""The Word report (`report --format docx`) and the charts as pictures (`report --charts DIR`),
read back as a user's Word would read them: python-docx opens the file; its headings, tables,
pictures and fonts are compared with the report model and with the PDF template's HTML.

Most tests build the document in-process with stand-in pictures (fast); the ones that draw the
charts for real (WeasyPrint and pdftoppm) are marked slow."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile

import docx
import pytest
from conftest import SAMPLES, cli
from docx.oxml.ns import qn
from PIL import Image

from dtassess import cli as commands
from dtassess.errors import DtassessError
from dtassess.inputs.responses import load_responses
from dtassess.reporting.documents import _drawn, report_charts
from dtassess.reporting.images import Chart, svg_size
from dtassess.reporting.report import build_report
from dtassess.reporting.templating import load_brand, render_html, template_dir
from dtassess.reporting.word import FONTS, render_docx
from dtassess.roadmap import build_roadmaps
from dtassess.scoring.scores import score

DATE = "2026-11-25"
INTERVALS = {"resamples": 200, "level": 0.9, "weight_spread": 0.2, "seed": 0}
# zh with the default group size; en with 2, so that two units are shown and the heat map drawn.
GROUP_SIZE = {"zh": 3, "en": 2}


@pytest.fixture(scope="module")
def models():
    loaded = load_responses([SAMPLES])
    result = score(loaded, by="organization")
    found = {}
    for lang, k in GROUP_SIZE.items():
        (roadmap,) = build_roadmaps(result, loaded, min_group_size=k)
        day = dt.date.fromisoformat(DATE)
        found[lang] = build_report(result, loaded, roadmap, lang, day, k, INTERVALS)
    return found


def stand_in_pictures(model) -> list[Chart]:
    """The report's charts with a blank PNG of each chart's shape (no rasterising)."""
    charts = []
    for chart in report_charts(model, template_dir()):
        width, height = svg_size(chart.svg)
        out = io.BytesIO()
        Image.new("RGB", (int(width), int(height)), "white").save(out, "PNG")
        charts.append(Chart(chart.id, chart.title, chart.svg, out.getvalue()))
    return charts


@pytest.fixture(scope="module")
def documents(models):
    brand = load_brand(template_dir())
    return {
        lang: render_docx(model, stand_in_pictures(model), brand) for lang, model in models.items()
    }


@pytest.fixture
def codes(monkeypatch):
    """The codes of the problems the command reports, in order."""
    found: list[str] = []
    shown = commands.report_problems

    def record(problems):
        found.extend(p.code for p in problems)
        shown(problems)

    monkeypatch.setattr(commands, "report_problems", record)
    return found


def opened(data: bytes):
    return docx.Document(io.BytesIO(data))


def rows_of(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def table_after(document, heading: str, nth: int = 0):
    """The first table after the nth paragraph whose text is `heading`."""
    body = document.element.body
    seen = -1
    found = False
    for element in body.iterchildren():
        if element.tag == qn("w:p"):
            text = "".join(t.text or "" for t in element.iter(qn("w:t")))
            if text == heading:
                seen += 1
                found = seen == nth
        elif element.tag == qn("w:tbl") and found:
            return docx.table.Table(element, document)
    raise AssertionError(f"no table after {heading!r} #{nth}")


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chapters_and_sections_are_word_headings(lang, models, documents):
    model, document = models[lang], opened(documents[lang])
    by_style: dict[str, list[str]] = {}
    for paragraph in document.paragraphs:
        by_style.setdefault(paragraph.style.name, []).append(paragraph.text)
    L = model.labels
    findings = {"zh": "主要发现", "en": "Key findings"}[lang]
    assert by_style["Title"] == [model.title]
    assert by_style["Heading 1"] == [
        L["summary"],
        *[d.title for d in model.dimensions],
        findings,
        L["roadmap"],
        L["methodology"],
        L["provenance"],
    ]
    sections = by_style["Heading 2"]
    for label in ("key_messages", "strengths", "gaps", "reliability", "weakest", "projection",
                  "timeline", "scale", "weights"):  # fmt: skip
        assert L[label] in sections, label
    assert sections.count(L["reliability"]) == len(model.dimensions)
    assert by_style["Heading 3"] == [
        f"{i}. {block.title}" for i, block in enumerate(model.roadmap.initiatives, 1)
    ]
    assert [p.text for p in document.paragraphs if p.style.name == "List Number"] == [
        m.text for m in model.key_messages
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_tables_hold_the_models_numbers_rounded_as_in_the_pdf(lang, models, documents):
    model, document = models[lang], opened(documents[lang])
    L = model.labels
    for index, d in enumerate(model.dimensions):
        rows = rows_of(table_after(document, L["reliability"], index))
        expected = []
        for x in [d, *d.subdimensions]:
            mark = " ※" if x.caveats else ""
            expected.append(
                [
                    x.title,
                    f"{x.score:.1f}{mark}",
                    f"{x.low:.1f}–{x.high:.1f}",
                    f"{x.coverage * 100:.1f}%",
                    f"{x.n} / {model.respondents}",
                ]
            )
        assert [r[:5] for r in rows[1:]] == expected
        assert rows[0][2] == model.reliability.interval_label
    # The projection's last row is the overall score now and after each phase.
    total = rows_of(table_after(document, L["projection"]))[-1]
    assert total[:2] == [L["overall"], f"{model.overall.score:.1f} {model.overall.level_name}"]
    assert total[2:] == [
        f"{p.overall_after.score:.1f} {p.overall_after.level_name}" for p in model.roadmap.phases
    ]
    weights = rows_of(table_after(document, L["weights"]))[1:]
    assert [(r[0], r[1]) for r in weights] == [
        (w.title, f"{w.weight:g}") for w in model.methodology.weights
    ]
    files = rows_of(table_after(document, {"zh": "输入文件", "en": "Input files"}[lang]))[1:]
    assert [r[2] for r in files] == [f.sha256 for f in model.provenance.files]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_phase_is_a_table_of_its_actions(lang, models, documents):
    model, document = models[lang], opened(documents[lang])
    L = model.labels
    for phase in model.roadmap.phases:
        table = table_after(document, phase.label)
        rows = table.rows[1:]
        assert [r.cells[0].text for r in rows] == [
            f"{phase.phase}.{i}" for i in range(1, len(phase.actions) + 1)
        ]
        for row, action in zip(rows, phase.actions, strict=True):
            title, *rest = row.cells[1].paragraphs[0].runs
            wins = f" ({L['quick_win']})" if action.quick_win else ""
            assert (title.text, title.bold) == (action.title + wins, True)
            assert [r.text for r in rest] == (
                [f"\n{action.description}"] if action.description else []
            )
            assert not any(r.bold for r in rest)
            assert [c.text for c in row.cells[2:]] == [
                action.dimension,
                action.reach_name,
                action.effort,
                action.impact,
            ]


def html_question_rows(page: str) -> list[list[str]]:
    """Every question row of the HTML report: question, typical answer, score, spread."""
    pattern = re.compile(
        r'<tr>\s*<td>(.*?)</td>\s*<td class="answer">(.*?)</td>\s*'
        r'<td class="num strong">(.*?)</td>\s*<td class="num muted">(.*?)</td>',
        re.S,
    )
    return [[html.unescape(cell) for cell in match] for match in pattern.findall(page)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_question_rows_print_what_the_pdf_prints(lang, models, documents):
    model, document = models[lang], opened(documents[lang])
    page = render_html(model, _drawn(model, load_brand(template_dir())), template_dir())
    answers = {"zh": "各题回答情况", "en": "Answers by question"}[lang]
    in_word = []
    for index, d in enumerate(model.dimensions):
        rows = rows_of(table_after(document, answers, index))[1:]
        groups = {q.dimension for q in d.questions}
        # A group row is one merged cell holding the sub-dimension's title.
        in_word += [r for r in rows if not (len(set(r)) == 1 and r[0] in groups)]
    assert in_word == html_question_rows(page)
    assert len(in_word) == sum(len(d.questions) for d in model.dimensions)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_is_a_picture_with_its_numbers_as_alternative_text(lang, models, documents):
    model, data = models[lang], documents[lang]
    document = opened(data)
    charts = report_charts(model, template_dir())
    expected = ["radar", *(["heatmap"] if lang == "en" else []),
                *[f"bars-{d.id}" for d in model.dimensions], "timeline"]  # fmt: skip
    assert [c.id for c in charts] == expected
    assert len(document.inline_shapes) == len(charts)
    described = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert described[0].startswith(model.labels["radar"] + ": ")
    assert f"{model.radar[0].title} {model.radar[0].score:.1f}" in described[0]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        assert media and all(package.read(n).startswith(b"\x89PNG\r\n\x1a\n") for n in media)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_fonts_are_named_for_east_asian_text(lang, documents):
    document = opened(documents[lang])
    body, heading = FONTS[lang]["body"], FONTS[lang]["heading"]

    def fonts(style_name: str) -> dict[str, str]:
        rfonts = document.styles[style_name].element.rPr.rFonts
        return {k.split("}")[1]: v for k, v in rfonts.attrib.items()}

    assert fonts("Normal") == {"ascii": body[0], "hAnsi": body[0], "cs": body[0],
                               "eastAsia": "宋体"}  # fmt: skip
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        assert fonts(name)["eastAsia"] == heading[1] == "黑体"
        assert not any(k.endswith("Theme") for k in fonts(name))  # a theme would win
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert rpr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
    assert rpr.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"


def test_the_fields_are_updated_on_opening_in_the_settings_order(documents):
    with zipfile.ZipFile(io.BytesIO(documents["zh"])) as package:
        settings = ET.fromstring(package.read("word/settings.xml"))
    names = [child.tag.rpartition("}")[2] for child in settings]
    assert names.index("updateFields") == names.index("compat") - 1
    assert settings.find(qn("w:updateFields")).get(qn("w:val")) == "true"


def test_same_model_and_date_give_the_same_bytes(models, documents):
    model = models["zh"]
    again = render_docx(model, stand_in_pictures(model), load_brand(template_dir()))
    assert again == documents["zh"]
    props = opened(again).core_properties
    moment = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    assert props.created == props.modified == props.last_printed == moment
    assert props.title == f"{model.title} · {model.organization.name}"
    with zipfile.ZipFile(io.BytesIO(again)) as package:
        assert {i.date_time for i in package.infolist()} == {(2026, 11, 25, 0, 0, 0)}
        assert not [n for n in package.namelist() if "thumbnail" in n]
        assert b"thumbnail" not in package.read("_rels/.rels")


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize(
    ("extra", "code"), [(["--format", "docx"], "U001"), (["--charts", "charts"], "U001")]
)
def test_annual_reports_are_not_word_documents(extra, code, tmp_path, codes, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("report", SAMPLES, "--annual", "-o", "a.docx", *extra)
    assert (result.exit_code, codes) == (2, [code])
    assert "--annual is a PDF or HTML report" in result.stderr
    assert not any(tmp_path.iterdir())


def test_charts_into_a_file_stop_before_any_work(tmp_path, codes):
    (tmp_path / "afile").write_text("x", "utf-8")
    result = cli("report", SAMPLES, "-o", tmp_path / "r.html", "--format", "html",
                 "--charts", tmp_path / "afile")  # fmt: skip
    assert (result.exit_code, codes) == (2, ["F013"])
    assert "--charts takes a folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.parametrize(
    "organization",
    ["../../escape", "/etc/passwd", "..", "con", "a/b\\c", "\x00nul", ".hidden", "-rf"],
)
def test_chart_names_stay_inside_the_folder(organization, tmp_path):
    from dtassess.inputs.questionnaire import load_questionnaire
    from dtassess.pipeline import _chart_paths

    q = load_questionnaire("gov-dt")
    folder = tmp_path / "charts"
    paths = _chart_paths(folder, [(organization, "2026", "zh")], q)
    assert len(paths) == len(q.dimensions) + 3
    for svg, png in paths.values():
        for path in (svg, png):
            assert path.parent == folder
            assert not path.name.startswith((".", "-"))
            assert "/" not in path.name and "\\" not in path.name and "\x00" not in path.name
        assert svg.suffix == ".svg" and png.suffix == ".png"


@pytest.mark.slow
def test_report_as_word_and_charts_for_slides(tmp_path, codes):
    out, charts = tmp_path / "r.docx", tmp_path / "slides"
    args = ["report", SAMPLES, "-o", out, "--format", "docx", "--date", DATE,
            "--lang", "en", "--charts", charts, "--resamples", "50"]  # fmt: skip
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in charts.iterdir())
    ids = ["bars-culture", "bars-investment", "bars-security", "bars-strategy", "radar",
           "timeline"]  # fmt: skip
    assert names == sorted(f"qingshan-2026-en-{i}.{ext}" for i in ids for ext in ("png", "svg"))
    for name in names:
        path = charts / name
        if name.endswith(".svg"):
            root = ET.fromstring(path.read_bytes())
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
            width, height = svg_size(path.read_text("utf-8"))
            picture = Image.open(charts / name.replace(".svg", ".png"))
            picture.verify()
            # Twice the chart's size (192 dpi for CSS's 96 px an inch), to a pixel.
            assert abs(picture.size[0] - 2 * width) <= 1 and abs(picture.size[1] - 2 * height) <= 1
    document = opened(out.read_bytes())
    assert len(document.inline_shapes) == 1 + len(ids)  # the template's logo, then the charts
    # The PNGs in the document are the ones in the folder, and the logo drawn from its SVG.
    with zipfile.ZipFile(out) as package:
        media = {package.read(n) for n in package.namelist() if n.startswith("word/media/")}
    pictures = {(charts / n).read_bytes() for n in names if n.endswith(".png")}
    assert pictures < media and len(media - pictures) == 1
    (logo,) = media - pictures
    assert Image.open(io.BytesIO(logo)).size == (300, 300)  # logo.svg is square
    # Again: every output exists, nothing is replaced, before any work.
    codes.clear()
    before = {p: p.stat().st_mtime_ns for p in [out, *charts.iterdir()]}
    result = cli(*args)
    assert (result.exit_code, set(codes)) == (2, {"F003"})
    assert len(codes) == 1 + len(names)
    assert {p: p.stat().st_mtime_ns for p in [out, *charts.iterdir()]} == before


@pytest.mark.slow
def test_the_same_chart_gives_the_same_picture(models):
    import dtassess.reporting.images as images

    svg = report_charts(models["zh"], template_dir())[1].svg
    images._DRAWN.clear()
    (first,) = images.rasterise([svg])
    images._DRAWN.clear()
    assert images.rasterise([svg, "", svg]) == [first, b"", first]


@pytest.mark.slow
def test_without_pdftoppm_nothing_is_written(tmp_path, monkeypatch, codes):
    import dtassess.reporting.images as images

    images._DRAWN.clear()
    monkeypatch.setattr(images.shutil, "which", lambda name: None)
    out, charts = tmp_path / "r.docx", tmp_path / "slides"
    result = cli("report", SAMPLES, "-o", out, "--format", "docx", "--lang", "en",
                 "--charts", charts, "--resamples", "0")  # fmt: skip
    assert (result.exit_code, codes) == (2, ["P004"])
    assert "apt-get install poppler-utils" in result.stderr
    assert not out.exists() and not charts.exists()


@pytest.mark.slow
def test_per_unit_reports_write_each_units_charts(tmp_path, codes, monkeypatch):
    import dtassess.reporting.images as images

    # The pictures themselves are checked above; here, which files and who they belong to.
    monkeypatch.setattr(images, "rasterise", lambda svgs: [b"PNG" for _ in svgs])
    out = tmp_path / "units"
    args = ["--min-group-size", "2", "--resamples", "0", "--charts", out / "charts"]
    result = cli("report", SAMPLES, "--per-unit", "-o", out, "--format", "html", "--lang", "en",
                 *args)  # fmt: skip
    assert (result.exit_code, codes) == (0, []), result.stderr
    reports = sorted(p for p in out.iterdir() if p.suffix == ".html")
    pictures = sorted((out / "charts").iterdir())
    assert len(reports) == 2 and len(pictures) == 2 * 2 * 6
    for report in reports:
        unit = report.stem.removesuffix("-en")
        assert len([p for p in pictures if p.name.startswith(unit + "-en-")]) == 12
    # Standard error names each file with its unit.
    said = [line for line in result.stderr.splitlines() if line.startswith("wrote ")]
    assert len(said) == len(reports) + len(pictures)


def test_control_characters_leave_the_document_valid(tmp_path):
    """Names, units, roles and notes with characters XML cannot carry (as tests/
    test_hostile_markup.py makes them): they go, the visible text stays."""
    import shutil

    folder = tmp_path / "responses"
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
    loaded = load_responses([folder])
    result = score(loaded, by="organization")
    (roadmap,) = build_roadmaps(result, loaded, min_group_size=1)
    model = build_report(result, loaded, roadmap, "zh", dt.date(2026, 11, 25), 1)
    data = render_docx(model, stand_in_pictures(model), load_brand(template_dir()))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if name.endswith(".xml"):
                ET.fromstring(package.read(name))  # strict XML
        body = package.read("word/document.xml").decode("utf-8")
    for words in ("青山县人民[31m政府", "控制字符的备注", "分管副局长", "县政务服务局"):
        assert words in body, words
    svg = report_charts(model, template_dir())[0].svg
    ET.fromstring(svg.encode("utf-8"))


def test_a_png_logo_goes_on_the_cover_as_it_is(tmp_path, models):
    from dtassess.reporting.images import logo_picture

    folder = tmp_path / "brand"
    assert cli("template", "init", folder).exit_code == 0
    picture = io.BytesIO()
    Image.new("RGB", (120, 60), "navy").save(picture, "PNG")
    (folder / "seal.png").write_bytes(picture.getvalue())
    brand_file = folder / "brand.yaml"
    brand_file.write_text(
        brand_file.read_text("utf-8").replace("logo: logo.svg", "logo: seal.png"), "utf-8"
    )
    brand = load_brand(folder)
    logo = logo_picture(folder, brand["logo"])
    assert logo == picture.getvalue()
    model = models["zh"]
    document = opened(render_docx(model, stand_in_pictures(model), brand, logo))
    shapes = document.inline_shapes
    assert len(shapes) == 1 + len(report_charts(model, folder))
    assert shapes[0]._inline.docPr.get("descr") == brand["author"]["zh"]
    assert round(shapes[0].height.cm, 2) == 2.0 and round(shapes[0].width.cm, 2) == 4.0
    (folder / "seal.bmp").write_bytes(b"BM")
    assert logo_picture(folder, "seal.bmp") is None and logo_picture(folder, None) is None


def test_a_logo_that_is_not_its_kind_of_picture_is_a_branding_error(tmp_path, codes, monkeypatch):
    import dtassess.reporting.images as images

    monkeypatch.setattr(images, "rasterise", blank_pngs)
    folder = tmp_path / "brand"
    assert cli("template", "init", folder).exit_code == 0
    (folder / "seal.jpg").write_text("<html>not a picture</html>", "utf-8")
    brand_file = folder / "brand.yaml"
    brand_file.write_text(
        brand_file.read_text("utf-8").replace("logo: logo.svg", "logo: seal.jpg"), "utf-8"
    )
    out = tmp_path / "r.docx"
    result = cli("report", SAMPLES, "-o", out, "--format", "docx", "--template", folder,
                 "--lang", "en", "--resamples", "0")  # fmt: skip
    assert (result.exit_code, codes) == (2, ["F005"])
    assert f"{folder / 'seal.jpg'}: the logo is not a JPEG picture" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_a_catalogue_the_word_report_lists_the_gaps(lang, tmp_path):
    from test_reliability import samm_report

    model, _ = samm_report(tmp_path, lang)
    document = opened(render_docx(model, stand_in_pictures(model), load_brand(template_dir())))
    L = model.labels
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert L["gaps_to_target"] in headings and L["timeline"] not in headings
    gaps = rows_of(table_after(document, L["gaps_to_target"]))[1:]
    assert [(r[0], r[1], r[4]) for r in gaps] == [
        (g.title, f"{g.score:.1f}", f"{g.points:.1f}") for g in model.roadmap.gaps
    ]
    assert model.labels["no_catalogue"] in [p.text for p in document.paragraphs]
    # No intervals made: no interval column; scores out of the questionnaire's 3 points.
    reliability = rows_of(table_after(document, L["reliability"]))
    assert len(reliability[0]) == 5
    assert rows_of(table_after(document, L["summary"]))[0][1].endswith(" / 3")
    assert len(document.inline_shapes) == 1 + len(model.dimensions)  # radar and bars


def blank_pngs(svgs):
    out = []
    for svg in svgs:
        picture = io.BytesIO()
        Image.new("RGB", (8, 8), "white").save(picture, "PNG")
        out.append(picture.getvalue() if svg else b"")
    return out


@pytest.mark.slow
def test_a_word_report_goes_to_standard_output_when_it_is_piped(tmp_path, monkeypatch, codes):
    import dtassess.reporting.images as images

    monkeypatch.setattr(images, "rasterise", blank_pngs)
    monkeypatch.chdir(tmp_path)
    result = cli("report", SAMPLES, "-o", "-", "--format", "docx", "--lang", "en",
                 "--resamples", "0", "--date", DATE)  # fmt: skip
    assert (result.exit_code, codes) == (0, []), result.stderr
    document = opened(result.stdout_bytes)
    assert document.paragraphs and document.core_properties.created.year == 2026
    assert not any(tmp_path.iterdir())


def test_chinese_in_an_english_reports_charts_needs_a_cjk_font(models, monkeypatch, codes):
    import dtassess.reporting.images as images
    import dtassess.reporting.render

    monkeypatch.setattr(dtassess.reporting.render, "font_families_for_lang", lambda lang: [])
    images._DRAWN.clear()
    chart = report_charts(models["en"], template_dir())[1]  # the heat map: units in Chinese
    assert chart.id == "heatmap"
    with pytest.raises(DtassessError) as stopped:
        images.rasterise([chart.svg])
    assert [p.code for p in stopped.value.problems] == ["P001"]
