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

# The public names by stage, lowest first (docs/api.md lists them in this order); each one's
# docstring opens with a line that says what it is (tests/test_pipeline.py checks both).
_EXPORTS = {
    # ground floor: problems, bundled files
    "DtassessError": "errors",
    "Problem": "errors",
    "ExitCode": "errors",
    "bundled_questionnaire_refs": "resources",
    "sample_responses_dir": "resources",
    "annual_sample_dir": "resources",
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
    "parse_drops": "scoring.thresholds",
    "check_drops": "scoring.thresholds",
    "score_dask": "scoring.distributed",
    # roadmap
    "parse_targets": "roadmap",
    "load_targets": "roadmap",
    "build_roadmaps": "roadmap",
    # reporting
    "build_report": "reporting.report",
    "ReportModel": "reporting.report",
    "AnnualModel": "reporting.annual",
    "annual_models": "reporting.annual",
    "render_report": "reporting.documents",
    "to_json_dict": "reporting.output",
    "to_junit": "reporting.ci",
    "to_markdown": "reporting.ci",
    # the archive
    "add_to_archive": "archive",
    "load_archive": "archive",
    "archived_periods": "archive",
    "archive_contents": "archive",
    # use cases: a command's whole work in one call (dtassess/pipeline.py), in the order of
    # the data: check and load, score, plan, report, keep
    "validate_files": "pipeline",
    "Validation": "pipeline",
    "bundled_questionnaires": "pipeline",
    "Bundled": "pipeline",
    "import_responses": "pipeline",
    "Imported": "pipeline",
    "write_form": "pipeline",
    "assess": "pipeline",
    "Assessment": "pipeline",
    "plan_roadmaps": "pipeline",
    "Plan": "pipeline",
    "ReportOptions": "pipeline",
    "write_reports": "pipeline",
    "write_annual_reports": "pipeline",
    "write_unit_reports": "pipeline",
    "init_templates": "pipeline",
    "write_demo": "pipeline",
    "score_survey": "pipeline",
    "archive_responses": "pipeline",
    "Done": "pipeline",
    "NothingToReport": "pipeline",
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
