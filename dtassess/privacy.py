"""The smallest group dtassess shows, in one place on the ground floor.

The scores, typical answers and notes of fewer people than this could identify them
(docs/roadmap.md, docs/report.md): `dtassess score`, `roadmap` and `report` withhold smaller
groups unless `--min-group-size` lowers the bar. A plain constant in a module that imports
nothing, so that the CLI's option defaults read it without loading numpy or pandas.
"""

from __future__ import annotations

MIN_GROUP_SIZE = 3
