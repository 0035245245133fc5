"""dtassess: digital-transformation maturity assessment — questionnaires, scoring, roadmaps.

The public API mirrors the commands:

    import dtassess
    q = dtassess.load_questionnaire("gov-dt")
    responses = dtassess.load_responses(["answers/"], q)
    result = dtassess.score(responses, by="organization")
    result.table                       # one row per group and dimension

Names are imported on first use so that `dtassess --help` does not pay for pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_questionnaire": "questionnaire",
    "check_questionnaire": "questionnaire",
    "Questionnaire": "questionnaire",
    "load_responses": "responses",
    "check_responses": "responses",
    "ResponseSet": "responses",
    "import_exports": "imports",
    "write_responses": "imports",
    "score": "engine",
    "score_respondents": "engine",
    "ScoreResult": "engine",
    "build_roadmaps": "roadmap",
    "parse_targets": "roadmap",
    "load_targets": "roadmap",
    "build_report": "report",
    "render_report": "report",
    "parse_bars": "thresholds",
    "check_bars": "thresholds",
    "to_json_dict": "output",
    "intervals": "uncertainty",
    "score_periods": "periods",
    "score_dask": "distributed",
    "load_periods": "periods",
    "read_exports": "imports",
    "load_inputs": "imports",
    "add_to_archive": "archive",
    "load_archive": "archive",
    "archived_periods": "archive",
    "archive_contents": "archive",
    "bundled_questionnaire_refs": "resources",
    "sample_responses_dir": "resources",
    "annual_sample_dir": "resources",
    "DtassessError": "errors",
    "Problem": "errors",
    "ExitCode": "errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dtassess' has no attribute '{name}'")
    return getattr(import_module(f".{module}", __name__), name)
