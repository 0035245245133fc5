"""Stage 4, reporting: scores and roadmaps turned into what people and programs read.

- `output`: machine outputs (JSON, CSV, Parquet) and the terminal's tables.
- `ci`: what CI systems read (JUnit XML, a Markdown job summary, GitHub workflow commands, a
  GitLab code-quality report), from one scoring run; builds on `output`.
- `charts`: the report's SVG charts, drawn by hand.
- `templating`: report templates and brand files, rendered with Jinja2 to HTML.
- `render`: HTML to PDF (WeasyPrint, imported only when a PDF is made) or self-contained HTML;
  attachments read back from PDFs.
- `readback`: the results a PDF report carries, checked against the JSON schema.
- `summary`: the executive summary's key messages, the initiatives and outcomes in words, the
  heat map of units and the organisation's place among its peers; `report` builds on it.
- `reliability`: the caveats (few answers, low coverage, agreement, consistency) beside a score.
- `report`: the organisation report's model, and its rendering.
- `annual`: the annual report's model (units, periods, intervals) and its rendering; it builds
  on `report`'s pieces.
- `images`: the charts as PNG pictures (WeasyPrint lays them out, poppler's pdftoppm draws).
- `word`: the organisation report as an editable Word document, from its model.
- `documents`: any report model to a document, one or many on all cores; above `report` and
  `annual`, since it renders both kinds.

A module here imports this package, `roadmap`, `scoring`, `inputs` and the ground floor only:
tests/test_layout.py checks it.
"""
