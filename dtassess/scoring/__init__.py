"""Stage 2, scoring: numbers from a ResponseSet, with no file read and nothing drawn.

- `engine`: the questionnaire compiled to arrays, answers to matrices, respondents scored
  block by block, group statistics (rWG, alpha).
- `grouped`: group statistics straight from the answers, for scores by unit or organization.
- `scores`: `score` and `ScoreResult`, the stage's one call (by respondent, unit or
  organization); above `engine` and `grouped`, which both build it.
- `periods`: several periods: their order, each group's change and trend (`score_periods`);
  reading them is the inputs' job (`inputs.loading.load_periods`).
- `uncertainty`: bootstrap intervals of group scores.
- `thresholds`: `--fail-under` bars checked against scores.
- `distributed/`: the same scores computed by a Dask cluster for inputs larger than memory.

A module here imports this package, `inputs` and the ground floor only: tests/test_layout.py
checks it.
"""
