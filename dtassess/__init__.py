"""dtassess: digital-transformation maturity assessment — questionnaires, scoring, roadmaps.

The public API mirrors the commands:

    import dtassess
    q = dtassess.load_questionnaire("gov-dt")
    responses = dtassess.load_responses(["answers/"], q)
    result = dtassess.score(responses, by="organization")
    result.table                       # one row per group and dimension

Names are imported on first use so that `dtassess --help` does not pay for pandas.

The package follows the data, a folder per stage, each importing only the stages below it
(tests/test_layout.py): the ground floor (`errors`, `files`, `resources`, `pools`: used by every
stage), `inputs/` (files read and checked), `scoring/` (numbers), `roadmap` (actions),
`reporting/` (documents and machine outputs), the use cases (`pipeline`: a command's whole work
in one call, such as `write_reports`; `archive`: answers stored with their scores), and at the
top the front ends: `cli` (options in, one pipeline call, printing out) and `survey` (a
terminal that writes response files). Loaders are all named `load_*`; `read_exports`,
`import_exports` and `load_inputs` are the old names, kept for one release.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # inputs
    "load_questionnaire": "inputs.questionnaire",
    "check_questionnaire": "inputs.questionnaire",
    "Questionnaire": "inputs.questionnaire",
    "load_responses": "inputs.responses",
    "check_responses": "inputs.responses",
    "ResponseSet": "inputs.responses",
    "load_exports": "inputs.exports",
    "to_responses": "inputs.exports",
    "write_responses": "inputs.exports",
    "load_periods": "inputs.loading",
    # scoring
    "score": "scoring.scores",
    "ScoreResult": "scoring.scores",
    "score_respondents": "scoring.engine",
    "score_periods": "scoring.periods",
    "intervals": "scoring.uncertainty",
    "parse_bars": "scoring.thresholds",
    "check_bars": "scoring.thresholds",
    "score_dask": "scoring.distributed",
    # roadmap
    "build_roadmaps": "roadmap",
    "parse_targets": "roadmap",
    "load_targets": "roadmap",
    # reporting
    "build_report": "reporting.report",
    "render_report": "reporting.documents",
    "to_json_dict": "reporting.output",
    # the archive
    "add_to_archive": "archive",
    "load_archive": "archive",
    "archived_periods": "archive",
    "archive_contents": "archive",
    # use cases: a command's whole work in one call (dtassess/pipeline.py, docs/api.md)
    "assess": "pipeline",  # score as `dtassess score` does, on pandas or Dask
    "Assessment": "pipeline",  # what assess found: scores, bars checked, language
    "ReportOptions": "pipeline",  # the options of `dtassess report`, as named fields
    "write_reports": "pipeline",  # the roadmap report of every organization
    "write_annual_reports": "pipeline",  # the annual report of every organization
    "write_unit_reports": "pipeline",  # one roadmap report per unit of the latest period
    "write_demo": "pipeline",  # the bundled sample county's six reports
    "archive_responses": "pipeline",  # responses and their scores added to an archive
    "Done": "pipeline",  # what a use case did: files written, warnings, notices
    "NothingToReport": "pipeline",  # every group withheld: nothing written
    # bundled files, problems
    "bundled_questionnaire_refs": "resources",
    "sample_responses_dir": "resources",
    "annual_sample_dir": "resources",
    "DtassessError": "errors",
    "Problem": "errors",
    "ExitCode": "errors",
    # old names, kept for one release: load_exports, load_exports + to_responses, load_periods
    "read_exports": "inputs.exports",
    "import_exports": "inputs.exports",
    "load_inputs": "inputs.loading",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dtassess' has no attribute '{name}'")
    return getattr(import_module(f".{module}", __name__), name)
