"""Stage 1, inputs: everything read from the user's files, checked and located, before a
number is computed.

- `yamlsource`: YAML with line and column for every value (every YAML file's reader).
- `conditions`: the skip-logic expression language, parsed and evaluated on whole columns.
- `questionnaire`: questionnaires (`load_questionnaire`), checked with their places.
- `skips`: which answers skip logic hides, row by row; shared by the export reader (I008) and
  the scoring engine, which is why it lives here and not in scoring.
- `responses`: response files (`load_responses`) and `ResponseSet`, the frame every later
  stage takes.
- `tables`: CSV, XLSX and Parquet read as columns with their places.
- `mapping`: mapping files, and the header normalisation exports and mappings compare by.
- `exports`: online-form exports (`load_exports`) and writing them as response files.
- `versions`: version maps between two editions of a questionnaire.
- `loading`: all of the above at once, one or several periods (`load_periods`).
- `distinct`: the same file given twice is read once (F015).

A module here imports only this package and the ground floor (`errors`, `files`, `resources`,
`pools`), never scoring or reporting: tests/test_layout.py checks it.
"""
