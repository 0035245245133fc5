"""Report templates: find and check a template folder, read its branding, render HTML.

A template folder holds `report.html.j2`, `style.css`, `brand.yaml` and whatever they refer to
(a logo). The bundled one is in `report_templates/`; `dtassess template init DIR` copies it for an
agency to brand, and `--template DIR` uses the copy. Autoescaping is on for every template, so
text from questionnaires and answers can never become markup.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from .errors import DtassessError, Problem
from .resources import bundled_dir

REQUIRED = ("report.html.j2", "style.css", "brand.yaml")
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
BRAND_FIELDS = {
    "primary": "#1e3a5f",
    "accent": "#b7791f",
    "logo": None,
    "cover_text": None,
    "author": None,
}


def template_dir(path: str | Path | None = None) -> Path:
    """The template folder to use, checked for every file a report needs."""
    folder = Path(path) if path is not None else bundled_dir("report_templates")
    if not folder.is_dir():
        raise DtassessError(Problem("F004", f"template folder not found: {folder}", str(folder)))
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise DtassessError(
            Problem(
                "F004",
                f"template folder {folder} is missing {', '.join(missing)}; start from a "
                "complete copy with: dtassess template init DIR",
                str(folder),
            )
        )
    return folder


def load_brand(folder: Path) -> dict[str, Any]:
    """brand.yaml, checked: colours are #rgb or #rrggbb, the logo is a file in the folder."""
    from .questionnaire import read_text
    from .yamlsource import MAX_YAML_BYTES, SyntaxProblem, load_with_marks

    path = folder / "brand.yaml"
    try:
        marked = load_with_marks(read_text(path, limit=MAX_YAML_BYTES), str(path))
    except SyntaxProblem as exc:
        raise DtassessError(
            Problem("F005", exc.message, str(path), exc.line, exc.column, snippet=exc.snippet)
        ) from None
    data = marked.data if isinstance(marked.data, dict) else {}
    problems = []
    for key in data:
        if key not in BRAND_FIELDS:
            line, col = marked.where((key,), key=True)
            problems.append(
                Problem(
                    "F005",
                    f"unknown field '{key}' (known: {', '.join(BRAND_FIELDS)})",
                    str(path),
                    line,
                    col,
                )
            )
    brand = {**BRAND_FIELDS, **{k: v for k, v in data.items() if k in BRAND_FIELDS}}
    for key in ("primary", "accent"):
        if not isinstance(brand[key], str) or not COLOUR.match(brand[key]):
            line, col = marked.where((key,))
            problems.append(
                Problem(
                    "F005",
                    f'{key} must be a colour like "#1e3a5f", got {brand[key]!r}',
                    str(path),
                    line,
                    col,
                )
            )
    logo = brand["logo"]
    if logo is not None:
        target = (folder / str(logo)).resolve()
        if folder.resolve() not in target.parents or not target.is_file():
            line, col = marked.where(("logo",))
            problems.append(
                Problem(
                    "F005", f"logo {logo!r} must name a file inside {folder}", str(path), line, col
                )
            )
    if problems:
        raise DtassessError(problems)
    return brand


def render_html(
    model: dict[str, Any], charts: dict[str, Any], folder: Path, name: str = "report.html.j2"
) -> str:
    """The report as HTML from the folder's template `name`; template faults become messages."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # The charts are built by dtassess.charts, which escapes every label it draws.
    safe_charts = {
        k: ({i: Markup(s) for i, s in v.items()} if isinstance(v, dict) else Markup(v))
        for k, v in charts.items()
    }
    brand = load_brand(folder)
    if not (folder / name).is_file():
        raise DtassessError(
            Problem(
                "F004",
                f"the template folder {folder} has no {name} (made by an older dtassess?): copy "
                "it from a new 'dtassess template init' folder",
                str(folder),
            )
        )
    try:
        template = env.get_template(name)
        return template.render(report=model, charts=safe_charts, brand=brand, lang=model["lang"])
    except jinja2.TemplateSyntaxError as exc:
        raise DtassessError(
            Problem(
                "F005", f"template error: {exc.message}", str(folder / (exc.name or "")), exc.lineno
            )
        ) from None
    except jinja2.TemplateError as exc:
        raise DtassessError(Problem("F005", f"template error: {exc}", str(folder / name))) from None


def init_template(destination: str | Path, force: bool = False) -> list[Path]:
    """Copy the bundled template folder to `destination` for an agency to brand."""
    source = bundled_dir("report_templates")
    target = Path(destination)
    if target.exists() and any(target.iterdir()) and not force:
        raise DtassessError(
            Problem(
                "F003",
                f"{target} is not empty; choose a new folder or pass --force to overwrite the "
                "template files in it",
                str(target),
            )
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for item in sorted(source.iterdir()):
        if item.is_file():
            shutil.copy2(item, target / item.name)
            written.append(target / item.name)
    return written
