"""`Found`: what one pass over one partition sends back from a worker.

Its own module because both sides read it: `tasks` makes it on the workers, and `medians`
settles the passes from it; `tasks` builds on `medians`, so `Found` cannot live in `tasks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...errors import Problem
from .pieces import CellLog
from .stats import GroupStats


@dataclass
class Found:
    """What a pass of one partition found."""

    index: int
    error: list[Problem] | None = None
    stats: GroupStats | None = None
    log: CellLog | None = None
    column_problems: dict[int, list[Problem]] = field(default_factory=dict)
    headers: dict[int, tuple[list[str], bool]] = field(default_factory=dict)  # file -> header
    lines: dict[int, int] = field(default_factory=dict)  # CSV file -> lines of this range
    encodings: dict[int, set[str]] = field(default_factory=dict)  # CSV file -> encodings
    hist: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    gathered: tuple[np.ndarray, np.ndarray] | None = None
    spill: tuple[str, int] | None = None  # the worker that keeps the node scores, and rows
    rescored: bool = False  # a later pass that read and scored the data again
