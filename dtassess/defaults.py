"""Defaults the command line shares with the library, in one place on the ground floor.

Plain constants in a module that imports nothing, so that the CLI's option defaults read them
without loading numpy or pandas (`--help` stays fast).
"""

from __future__ import annotations

# The smallest group dtassess shows: the scores, typical answers and notes of fewer people could
# identify them (docs/roadmap.md, docs/report.md). `score`, `roadmap` and `report` withhold
# smaller groups unless `--min-group-size` lowers the bar.
MIN_GROUP_SIZE = 3

# Person-months of work a roadmap phase absorbs: about two people's time for a year, what the
# IT centre of a county-level agency can give to change besides running its systems
# (docs/roadmap.md, Phases; `--capacity`).
CAPACITY = 24.0
