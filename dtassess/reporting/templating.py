"""Report templates: find and check a template folder, read its branding, render HTML.

A template folder holds `report.html.j2`, `style.css`, `brand.yaml` and whatever they refer to
(a logo). The bundled one is in `report_templates/`; `dtassess template init DIR` copies it for an
agency to brand, and `--template DIR` uses the copy. Every template, bundled or not, renders in
Jinja2's sandbox with autoescaping on: a template is data, it cannot run Python, and text from
questionnaires and answers can never become markup.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DtassessError, Problem, shorten
from ..resources import bundled_dir

if TYPE_CHECKING:
    from .report import Document

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
    from ..inputs.questionnaire import read_text
    from ..inputs.yamlsource import MAX_YAML_BYTES, SyntaxProblem, load_with_marks

    path = folder / "brand.yaml"
    try:
        marked = load_with_marks(read_text(path, limit=MAX_YAML_BYTES), str(path))
    except SyntaxProblem as exc:
        raise DtassessError(
            Problem("F005", exc.message, str(path), exc.line, exc.column, snippet=exc.snippet)
        ) from None
    data = marked.data if isinstance(marked.data, dict) else {}
    problems = [
        Problem(
            "F005",
            f"'{shorten(str(where[-1]))}' is given twice; YAML would keep the last one silently",
            str(path),
            *place,
        )
        for where, place in marked.duplicate_keys
    ]
    for key in data:
        if key not in BRAND_FIELDS:
            line, col = marked.where((key,), key=True)
            problems.append(
                Problem(
                    "F005",
                    f"unknown field '{shorten(str(key))}' (known: {', '.join(BRAND_FIELDS)})",
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
                    f'{key} must be a colour like "#1e3a5f", got {shorten(repr(brand[key]))}',
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


def _environment(folder: Path) -> Any:
    """The one Jinja2 environment of every report, bundled template or an agency's: a sandbox
    (no attribute of Python internals, no method that changes data, ranges bounded), autoescape
    on, and templates loaded only from the folder itself."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    root = folder.resolve()

    class FolderLoader(jinja2.FileSystemLoader):
        # FileSystemLoader refuses `..`, but follows a symbolic link out of the folder.
        def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
            source, filename, uptodate = super().get_source(environment, template)
            resolved = Path(filename).resolve()
            if root not in resolved.parents or not resolved.is_file():
                raise jinja2.TemplateNotFound(template)
            return source, filename, uptodate

    return ImmutableSandboxedEnvironment(
        loader=FolderLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template_place(exc: BaseException, folder: Path, name: str) -> tuple[str, int | None]:
    """The template file and line a rendering error happened at (Jinja2 puts the template's
    lines into the traceback), or the top template without a line."""
    import traceback

    root = folder.resolve()
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and Path(frame.filename).resolve().parent == root:
            return frame.filename, frame.lineno
    return str(folder / name), None


def render_html(
    model: Document, charts: dict[str, Any], folder: Path, name: str = "report.html.j2"
) -> str:
    """The report as HTML from the folder's template `name`; template faults become messages.

    The template reads the model (report.ReportModel or annual.AnnualModel) as `report`, its
    fields as attributes (`report.overall.score`), which the sandbox allows: none starts with
    an underscore."""
    import jinja2
    from jinja2.sandbox import SecurityError
    from markupsafe import Markup

    env = _environment(folder)
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
        return template.render(report=model, charts=safe_charts, brand=brand, lang=model.lang)
    except jinja2.TemplateSyntaxError as exc:
        raise DtassessError(
            Problem(
                "F005", f"template error: {exc.message}", str(folder / (exc.name or "")), exc.lineno
            )
        ) from None
    except SecurityError as exc:
        path, line = _template_place(exc, folder, name)
        fix = "a template lays out the report data and may not call into Python or change data"
        if Path(path).name == "_words.j2":
            # Copies made before templates ran in the sandbox built a dict with update().
            fix = "copy _words.j2 from a new 'dtassess template init' folder"
        raise DtassessError(
            Problem(
                "F005",
                f"template not allowed: {shorten(str(exc).rstrip('.'), 200)}; {fix} "
                "(docs/report.md)",
                path,
                line,
            )
        ) from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        # A template's own mistakes ({{ 1 / 0 }}, a filter given the wrong thing) are the
        # template's problem, named at its line, not a crash of dtassess.
        path, line = _template_place(exc, folder, name)
        text = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {exc}"
        problem = Problem("F005", f"template error: {shorten(text, 200)}", path, line)
        raise DtassessError(problem) from None


def init_template(destination: str | Path, force: bool = False) -> list[Path]:
    """Copy the bundled template folder to `destination` for an agency to brand."""
    source = bundled_dir("report_templates")
    target = Path(destination)
    if target.exists() and not target.is_dir():
        raise DtassessError(
            Problem("F012", f"{target} is not a folder; give a new folder", str(target))
        )
    if target.exists() and any(target.iterdir()) and not force:
        raise DtassessError(
            Problem(
                "F003",
                f"{target} is not empty; choose a new folder or pass --force to overwrite the "
                "template files in it",
                str(target),
            )
        )
    from ..files import write_files

    # Through write_files: all files or none, and never into a FIFO or device already there.
    items = [(target / f.name, f.read_bytes()) for f in sorted(source.iterdir()) if f.is_file()]
    return write_files(items, force=True)
