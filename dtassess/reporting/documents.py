"""Any report model to a document: PDF or self-contained HTML, one or many on all cores.

`render_report` renders a typed model: the organisation report (`report.ReportModel`, also as
an editable Word document, `word`) or the annual report (`annual.AnnualModel`); it sits above
both, so that neither imports the other's
renderer (`annual` builds on `report`'s pieces, `report` knows nothing of `annual`).
`render_many` runs it in worker processes: WeasyPrint's layout is CPU-bound and
single-threaded; the models are frozen dataclasses, which pickle to the workers as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .report import ATTACHMENT, ReportModel, charts_for, finish_document

if TYPE_CHECKING:
    from .annual import AnnualModel
    from .images import Chart

# What `render_report` takes: model, the JSON attachment (None for an annual model, which
# carries its own), template folder, format, variant.
Job = tuple["ReportModel | AnnualModel", bytes | None, Path, str, str | None]


def render_report(
    model: ReportModel | AnnualModel,
    attachment: bytes | None,
    folder: Path,
    fmt: str = "pdf",
    variant: str | None = None,
) -> bytes:
    """One report as PDF, self-contained HTML or (an organisation's report only) DOCX bytes.

    An AnnualModel is rendered by `annual.render_annual`: it carries its numbers itself, and
    `attachment` is None for it."""
    if not isinstance(model, ReportModel):
        from .annual import render_annual

        return render_annual(model, folder, fmt, variant)
    from .templating import load_brand, render_html

    if attachment is None:
        raise ValueError("an organisation's report carries its scores: attachment_for(...)")
    brand = load_brand(folder)
    if fmt == "docx":
        from .images import logo_picture
        from .word import render_docx

        logo = logo_picture(folder, brand.get("logo"))  # a bad logo stops before the charts
        return render_docx(model, report_charts(model, folder, pictures=True), brand, logo)
    charts = _drawn(model, brand)
    html = render_html(model, charts, folder)
    return finish_document(
        model,
        html,
        folder,
        fmt,
        (ATTACHMENT, attachment, "dtassess scores and roadmap (JSON)"),
        variant,
    )


def _drawn(model: ReportModel, brand: dict) -> dict:
    """The report's charts as SVG (charts_for), in the brand's colours."""
    meta = model.methodology
    rings = [level.min for level in meta.scale]
    palette = {"primary": brand["primary"], "accent": brand["accent"]}
    return charts_for(model, (meta.score_range[0], meta.score_range[1]), rings, palette)


def report_charts(model: ReportModel, folder: Path, pictures: bool = False) -> list[Chart]:
    """Every chart the report shows, in its order, as the PDF draws it (the template folder's
    brand colours): `radar`, `heatmap` (when drawn), `bars-<dimension id>` each, `timeline`
    (when the roadmap has one); with `pictures`, each with its PNG too."""
    from .images import Chart, rasterise
    from .output import markup_text
    from .templating import load_brand

    drawn = _drawn(model, load_brand(folder))
    words = model.labels
    found = [Chart("radar", words["radar"], drawn["radar"])]
    found.append(Chart("heatmap", words["heatmap"], drawn["heatmap"]))
    for dim in model.dimensions:
        title = f"{words['subdimension']} · {dim.title}"
        found.append(Chart(f"bars-{dim.id}", title, drawn["bars"][dim.id]))
    if model.roadmap.catalogue:
        found.append(Chart("timeline", words["timeline"], drawn["timeline"]))
    # As in the HTML: no character that XML cannot carry (a name or unit may hold one).
    found = [Chart(c.id, c.title, markup_text(c.svg)) for c in found if c.svg]
    if not pictures:
        return found
    pngs = rasterise([chart.svg for chart in found])
    return [Chart(c.id, c.title, c.svg, png) for c, png in zip(found, pngs, strict=True)]


def _render_job(job: Job) -> bytes:
    """Worker entry point for rendering several reports on all cores."""
    return render_report(*job)


def render_many(
    jobs: Sequence[Job], workers: int | None = None, progress: Callable[[], None] | None = None
) -> list[bytes]:
    """Render reports in parallel processes (WeasyPrint layout is CPU-bound and single-threaded);
    `progress` is called as each report is done."""
    import os

    tick = progress or (lambda: None)
    if len(jobs) <= 1:
        done = []
        for job in jobs:
            done.append(render_report(*job))
            tick()
        return done
    from ..pools import process_pool

    count = min(len(jobs), workers or os.cpu_count() or 1)
    with process_pool(count) as pool:
        futures = [pool.submit(_render_job, job) for job in jobs]
        for future in futures:
            future.add_done_callback(lambda _: tick())
        return [future.result() for future in futures]
