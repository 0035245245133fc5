"""Any report model to a document: PDF or self-contained HTML, one or many on all cores.

`render_report` renders the organisation report (`report`) and the annual report (`annual`,
a model of `kind: annual`); it sits above both, so that neither imports the other's renderer
(`annual` builds on `report`'s pieces, `report` knows nothing of `annual`). `render_many` runs
it in worker processes: WeasyPrint's layout is CPU-bound and single-threaded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .report import ATTACHMENT, charts_for, finish_document


def render_report(
    model: dict[str, Any],
    attachment: bytes,
    folder: Path,
    fmt: str = "pdf",
    variant: str | None = None,
) -> bytes:
    """One report as PDF or self-contained HTML bytes.

    An annual model (`kind: annual`) is rendered by `annual.render_annual`: it carries its
    numbers itself."""
    if model.get("kind") == "annual":
        from .annual import render_annual

        return render_annual(model, folder, fmt, variant)
    from .templating import load_brand, render_html

    meta = model["methodology"]
    rings = [level["min"] for level in meta["scale"]]
    brand = load_brand(folder)
    palette = {"primary": brand["primary"], "accent": brand["accent"]}
    charts = charts_for(model, tuple(meta["score_range"]), rings, palette)
    html = render_html(model, charts, folder)
    return finish_document(
        model,
        html,
        folder,
        fmt,
        (ATTACHMENT, attachment, "dtassess scores and roadmap (JSON)"),
        variant,
    )


def _render_job(job: tuple) -> bytes:
    """Worker entry point for rendering several reports on all cores."""
    return render_report(*job)


def render_many(
    jobs: list[tuple], workers: int | None = None, progress: Callable[[], None] | None = None
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
