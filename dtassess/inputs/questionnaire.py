"""The questionnaire: load a YAML file, check it, and build the immutable model.

`check_questionnaire` collects every problem with its line and column instead of stopping at the
first, so that an author fixes a file in one pass. `load_questionnaire` is the strict twin: it
returns the model or raises `DtassessError` with those problems. The format is documented in
docs/questionnaire-format.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DtassessError, ExitCode, Problem, did_you_mean, errors_only
from ..files import read_bytes
from ..labels import translations
from ..resources import bundled_questionnaire_path
from . import conditions
from .yamlsource import MAX_QUESTIONNAIRE_BYTES, Marked, SyntaxProblem, load_with_marks

QUESTION_TYPES = ("level", "likert", "single", "multi", "boolean", "number", "text")
AGGREGATES = ("mean", "min", "geomean", "sum")
UNANSWERED_POLICIES = ("exclude", "zero")
NUMBER_SCORING = ("bands", "linear")
EFFORTS = IMPACTS = ("low", "medium", "high")
HORIZONS = ("short", "medium", "long")
ACTION_FIELDS = {
    "id",
    "reach",
    "title",
    "description",
    "effort",
    "impact",
    "horizon",
    "initiative",
    "moves",
    "when",
    "requires",
    "person_months",
    "duration_months",
}
# A published framework's own ids (OWASP SAMM's G-SM-1-A) are ids as they stand: letters of
# either case, digits, underscores, and hyphens between them; ids that differ only in case are
# refused (Q005), so that a lowercased id in a file name or an anchor names one node.
ID_RE = re.compile(
    r"^[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*(?:\.[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*)*$"
)
QUESTIONNAIRE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Answers use "na" for "not applicable"; an option may not take that value.
RESERVED_VALUES = {conditions.NA}
# The node id of the whole questionnaire in every score table.
OVERALL = "overall"

Text = dict[str, str]


@dataclass(frozen=True)
class Option:
    value: Any
    label: Text
    score: float  # normalised 0-1
    exclusive: bool = False


@dataclass(frozen=True)
class Band:
    min: float
    score: float


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: Text
    dimension: str
    help: Text | None = None
    weight: float = 1.0
    required: bool = False
    allow_na: bool = False
    scored: bool = True
    when: conditions.Condition | None = None
    options: tuple[Option, ...] = ()
    bands: tuple[Band, ...] = ()
    min: float | None = None
    max: float | None = None
    unit: Text | None = None
    linear: bool = False  # a number scored (value - min) / (max - min) instead of by bands

    @property
    def is_scored(self) -> bool:
        return self.scored and self.type != "text"

    def number_score(self, value: float) -> float | None:
        """A number answer's 0-1 score: on the line from min to max, or its band's (None below
        the first band)."""
        if self.linear:
            assert self.min is not None and self.max is not None
            return min(1.0, max(0.0, (value - self.min) / (self.max - self.min)))
        found = None
        for band in self.bands:
            if value >= band.min:
                found = band.score
        return found

    def option(self, value: Any) -> Option | None:
        """The option whose value is exactly `value`."""
        for opt in self.options:
            if opt.value == value and type(opt.value) is type(value):
                return opt
        return None

    def match(self, value: Any) -> Option | None:
        """The option an answer names, forgiving the ways files and programs write it."""
        opt = self.option(value)
        if opt is not None:
            return opt
        if isinstance(value, bool):
            # True/False written by a program for a yes/no question
            return self.option("yes" if value else "no") if self.type == "boolean" else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        # 3 and "3" name the same option: a spreadsheet or a hand-written file may give either.
        text = str(value).strip()
        for option in self.options:
            if str(option.value) == text:
                return option
        return None


@dataclass(frozen=True)
class Action:
    id: str
    dimension: str
    reach: int
    title: Text
    description: Text | None
    effort: str
    impact: str
    horizon: str | None  # "not before this phase"; None: no constraint
    # What the action changes in the answers, in each question's own terms, as written
    # (docs/questionnaire-format.md): (question id, value) pairs; a multi's values as a tuple.
    moves: tuple[tuple[str, Any], ...] = ()
    when: conditions.Condition | None = None  # proposed only when this holds for the group
    requires: tuple[str, ...] = ()  # prerequisite action ids
    initiative: str | None = None
    person_months: float | None = None  # overrides the effort size's default
    duration_months: float | None = None


@dataclass(frozen=True)
class Initiative:
    """A handful of related actions under one owner, with a KPI tied to a question or dimension."""

    id: str
    title: Text
    owner: Text
    kpi_node: str
    kpi_text: Text
    summary: Text | None = None


@dataclass(frozen=True)
class Dimension:
    id: str
    title: Text
    parent: str | None
    depth: int  # 1 for the top dimensions; `overall` is depth 0
    weight: float = 1.0
    aggregate: str = "mean"
    description: Text | None = None
    dimensions: tuple[Dimension, ...] = ()
    questions: tuple[Question, ...] = ()
    actions: tuple[Action, ...] = ()

    def walk(self) -> Iterator[Dimension]:
        """This dimension and every one below it, parents first."""
        yield self
        for child in self.dimensions:
            yield from child.walk()


@dataclass(frozen=True)
class Level:
    level: int
    name: Text
    min: float
    description: Text | None = None


@dataclass(frozen=True)
class Questionnaire:
    """A checked questionnaire: its scale, its dimensions and their questions, in languages."""

    id: str
    version: str
    title: Text
    locales: tuple[str, ...]
    scale: tuple[Level, ...]
    dimensions: tuple[Dimension, ...]
    description: Text | None = None
    score_range: tuple[float, float] = (0.0, 100.0)
    unanswered: str = "exclude"
    aggregate: str = "mean"
    path: str = ""
    hash: str = ""
    initiatives: tuple[Initiative, ...] = ()
    _questions: dict[str, Question] = field(default_factory=dict, repr=False, compare=False)
    _nodes: dict[str, Dimension] = field(default_factory=dict, repr=False, compare=False)
    # Derived data (the engine's compiled arrays) memoised per questionnaire object.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for top in self.dimensions:
            for dim in top.walk():
                self._nodes[dim.id] = dim
                for q in dim.questions:
                    self._questions[q.id] = q

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question in document order (the order a survey asks them)."""
        return tuple(self._questions.values())

    def question(self, qid: str) -> Question:
        return self._questions[qid]

    def has_question(self, qid: str) -> bool:
        return qid in self._questions

    @property
    def nodes(self) -> tuple[Dimension, ...]:
        """Every dimension, parents before children, in document order."""
        return tuple(self._nodes.values())

    def node(self, node_id: str) -> Dimension:
        return self._nodes[node_id]

    @property
    def node_ids(self) -> tuple[str, ...]:
        """`overall` followed by every dimension id."""
        return ("overall", *self._nodes)

    def title_of(self, node_id: str, lang: str | None = None) -> str:
        if node_id == "overall":
            return localize(translations("questionnaire", "overall"), lang or self.locales[0])
        return localize(self._nodes[node_id].title, lang or self.locales[0])

    @property
    def actions(self) -> tuple[Action, ...]:
        """Every catalogue action, in document order."""
        return tuple(a for dim in self._nodes.values() for a in dim.actions)

    def level_for(self, score: float) -> Level | None:
        """The highest level whose start is not above `score` (None for no score)."""
        if score is None or score != score:
            return None
        rounded = round(float(score), 9)  # so that 59.99999999997 does not miss level 60
        found = None
        for level in self.scale:
            if rounded >= level.min:
                found = level
        return found


def localize(text: Text | None, lang: str, fallback: str = "") -> str:
    if not text:
        return fallback
    if lang in text:
        return text[lang]
    return next(iter(text.values()))


def content_hash(data: Any) -> str:
    """Hash of the questionnaire's content, blind to comments, layout and key order."""
    canon = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canon.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- loading


def read_text(path: Path, code: str = "F001", limit: int | None = None) -> str:
    """A regular file's text (UTF-8, a BOM dropped), or a problem naming the file."""
    data = read_bytes(path, limit, code)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DtassessError(
            Problem(code, f"cannot read {path} as UTF-8 text ({exc.reason})", str(path))
        ) from None


def resolve_questionnaire(ref: str | Path) -> Path:
    """A path to a questionnaire file, or the bundled file named by `id` or `id@version`."""
    path = Path(ref)
    if path.exists() or str(ref).endswith((".yaml", ".yml", ".json")) or "/" in str(ref):
        return path
    found = bundled_questionnaire_path(str(ref))
    if found is None:
        from ..resources import bundled_questionnaire_refs

        known = bundled_questionnaire_refs()
        raise DtassessError(
            Problem(
                "F002",
                f"unknown questionnaire '{ref}': not a file, and not one of the bundled "
                f"questionnaires ({', '.join(known)}){did_you_mean(str(ref), known)}",
            )
        )
    return found


def check_questionnaire(source: str | Path) -> tuple[Questionnaire | None, list[Problem]]:
    """Check a questionnaire file; the model is returned only when there is no error."""
    path = resolve_questionnaire(source)
    text = read_text(path, limit=MAX_QUESTIONNAIRE_BYTES)
    return check_questionnaire_text(text, str(path))


def check_questionnaire_text(
    text: str, path: str = ""
) -> tuple[Questionnaire | None, list[Problem]]:
    try:
        marked = load_with_marks(text, path)
    except SyntaxProblem as exc:
        return None, [Problem("Q001", exc.message, path, exc.line, exc.column, snippet=exc.snippet)]
    builder = _Builder(marked, path)
    model = builder.build()
    problems = sorted(builder.problems, key=lambda p: (p.line or 0, p.column or 0))
    return (None if errors_only(problems) else model), problems


def load_questionnaire(source: str | Path) -> Questionnaire:
    """Load and check a questionnaire; raises DtassessError listing every error."""
    model, problems = check_questionnaire(source)
    if model is None:
        raise DtassessError(errors_only(problems), ExitCode.BAD_INPUT)
    return model


# --------------------------------------------------------------------------- checking

_MISSING = object()


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'" if len(value) < 40 else "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Builder:
    """Walks the parsed YAML once, checking as it builds the model."""

    def __init__(self, marked: Marked, path: str) -> None:
        self.m = marked
        self.action_places: dict[str, tuple] = {}  # action id -> its path, for later checks
        self.path = path
        self.problems: list[Problem] = []
        self.locales: tuple[str, ...] = ("zh", "en")
        self.ids: dict[str, tuple] = {}  # every id -> its path, for duplicate detection
        self.folded: dict[str, str] = {}  # every id in lower case -> the id as written
        self.levels: tuple[int, ...] = ()

    # -- reporting

    def error(self, code: str, where: tuple, message: str, key: bool = False, **kw: Any) -> None:
        line, col = self.m.where(where, key=key)
        self.problems.append(Problem(code, message, self.path, line, col, **kw))

    def warn(self, code: str, where: tuple, message: str, key: bool = False) -> None:
        self.error(code, where, message, key=key, severity="warning")

    # -- field readers; each reports and returns a usable fallback

    def mapping(self, value: Any, where: tuple, what: str) -> dict:
        if isinstance(value, dict):
            return value
        self.error("Q002", where, f"{what} must be a mapping of fields, got {_type_name(value)}")
        return {}

    def known_fields(self, data: dict, where: tuple, allowed: set[str], what: str) -> None:
        for key in data:
            if key not in allowed:
                self.error(
                    "Q004",
                    (*where, key),
                    f"{what}: unknown field '{key}'{did_you_mean(str(key), allowed)}",
                    key=True,
                )

    def get(self, data: dict, where: tuple, name: str, what: str, required: bool = False) -> Any:
        if name not in data:
            if required:
                self.error("Q003", where, f"{what}: missing required field '{name}'", key=True)
            return _MISSING
        return data[name]

    def text(self, data: dict, where: tuple, name: str, what: str, required: bool = True):
        value = self.get(data, where, name, what, required)
        if value is _MISSING:
            return None
        here = (*where, name)
        if isinstance(value, str) and len(self.locales) == 1:
            return {self.locales[0]: value}
        if not isinstance(value, dict):
            example = ", ".join(f"{loc}: ..." for loc in self.locales)
            self.error(
                "Q002",
                here,
                f"{what}: '{name}' must give the text in every locale, like {{{example}}}; "
                f"got {_type_name(value)}",
            )
            return None
        result: Text = {}
        for loc, txt in value.items():
            if loc not in self.locales:
                self.error(
                    "Q009",
                    (*here, loc),
                    f"{what}: '{name}' has locale '{loc}', which is not in the questionnaire's "
                    f"locales ({', '.join(self.locales)})",
                    key=True,
                )
            elif not isinstance(txt, str | int | float) or isinstance(txt, bool):
                self.error("Q002", (*here, loc), f"{what}: '{name}.{loc}' must be text")
            else:
                result[loc] = str(txt)
        for loc in self.locales:
            if loc not in value or (loc in result and not result[loc].strip()):
                self.error(
                    "Q009",
                    here,
                    f"{what}: '{name}' is missing the '{loc}' translation",
                )
        return result

    def number(self, data, where, name, what, default=None, required=False, positive=False):
        value = self.get(data, where, name, what, required)
        if value is _MISSING:
            return default
        if not _is_number(value):
            code = "Q006" if name == "weight" else "Q002"
            self.error(
                code, (*where, name), f"{what}: {name} must be a number, got {_type_name(value)}"
            )
            return default
        if not math.isfinite(value):
            # .inf or .nan: a weight would empty the overall score, a bound or a threshold
            # would compare false with everything.
            self.error(
                "Q006" if name == "weight" else "Q002",
                (*where, name),
                f"{what}: {name} must be a finite number, got {value}",
            )
            return default
        if positive and not value > 0:
            self.error(
                "Q006",
                (*where, name),
                f"{what}: {name} must be a positive number (got {value}); use e.g. 1",
            )
            return default
        return float(value)

    def flag(self, data, where, name, what, default=False) -> bool:
        value = self.get(data, where, name, what)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            hint = ""
            if isinstance(value, str) and value.lower() in ("yes", "no", "on", "off", "y", "n"):
                hint = " (dtassess reads YAML 1.2: only true and false are booleans)"
            self.error(
                "Q002",
                (*where, name),
                f"{what}: {name} must be true or false, got {_type_name(value)}{hint}",
            )
            return default
        return value

    def choice(self, data, where, name, what, allowed, default=None, required=False):
        value = self.get(data, where, name, what, required)
        if value is _MISSING:
            return default
        if value not in allowed:
            self.error(
                "Q015",
                (*where, name),
                f"{what}: {name} must be one of {', '.join(allowed)}, got {_type_name(value)}"
                + (did_you_mean(value, allowed) if isinstance(value, str) else ""),
            )
            return default
        return value

    def ident(self, data, where, what, pattern=ID_RE) -> str | None:
        value = self.get(data, where, "id", what, required=True)
        if value is _MISSING:
            return None
        here = (*where, "id")
        if not isinstance(value, str) or not pattern.match(value):
            self.error(
                "Q014",
                here,
                f"{what}: id {_type_name(value)} is malformed; use letters, digits, "
                "underscores and hyphens between them, segments joined by dots (e.g. "
                "strategy.roadmap or G-SM-1-A)"
                if pattern is ID_RE
                else f"{what}: id {_type_name(value)} is malformed; use lowercase letters, "
                "digits, - and _",
            )
            return None
        if value.lower() == OVERALL and what in ("dimension", "question"):
            self.error(
                "Q021",
                here,
                f"{what}: the id '{OVERALL}' is reserved for the whole questionnaire's score; "
                "choose another",
            )
            return None
        if value in self.ids:
            line, _ = self.m.where(self.ids[value])
            self.error("Q005", here, f"duplicate id '{value}' (first used on line {line})")
            return None
        first = self.folded.get(value.lower())
        if first is not None:
            line, _ = self.m.where(self.ids[first])
            self.error(
                "Q005",
                here,
                f"id '{value}' differs from '{first}' (line {line}) only in case; ids that "
                "differ only in case would name one file or anchor, so make them differ",
            )
            return None
        self.ids[value] = here
        self.folded[value.lower()] = value
        return value

    # -- the tree

    def build(self) -> Questionnaire | None:
        for key_path, (line, col) in self.m.duplicate_keys:
            self.problems.append(
                Problem(
                    "Q019",
                    f"key '{key_path[-1]}' appears twice in the same mapping; the second would "
                    "silently replace the first",
                    self.path,
                    line,
                    col,
                )
            )
        root = self.mapping(self.m.data, (), "the questionnaire")
        if not root:
            if isinstance(self.m.data, dict) or self.m.data is None:
                self.error(
                    "Q003",
                    (),
                    "the questionnaire is empty; it needs id, version, title, scale and dimensions",
                )
            return None
        what = "questionnaire"
        self.known_fields(
            root,
            (),
            {
                "id",
                "version",
                "title",
                "description",
                "locales",
                "score_range",
                "unanswered",
                "aggregate",
                "scale",
                "dimensions",
                "initiatives",
            },
            what,
        )
        locales = self.get(root, (), "locales", what)
        if locales is not _MISSING:
            if (
                isinstance(locales, list)
                and locales
                and all(isinstance(x, str) and x for x in locales)
                and len(set(locales)) == len(locales)
            ):
                self.locales = tuple(locales)
            else:
                self.error(
                    "Q002",
                    ("locales",),
                    "questionnaire: locales must be a list of distinct locale codes, e.g. [zh, en]",
                )
        qid = self.ident(root, (), what, QUESTIONNAIRE_ID_RE)
        version = self.get(root, (), "version", what, required=True)
        if version is not _MISSING and not isinstance(version, str):
            self.error(
                "Q002",
                ("version",),
                f'questionnaire: version must be text; write it in quotes (version: "{version}") '
                "so that 1.10 does not become 1.1",
            )
            version = str(version)
        title = self.text(root, (), "title", what)
        description = self.text(root, (), "description", what, required=False)
        score_range = self.score_range(root)
        unanswered = self.choice(root, (), "unanswered", what, UNANSWERED_POLICIES, "exclude")
        aggregate = self.choice(root, (), "aggregate", what, AGGREGATES, "mean")
        scale = self.scale(root, score_range)
        dims_raw = self.get(root, (), "dimensions", what, required=True)
        dimensions: list[Dimension] = []
        if dims_raw is not _MISSING:
            if not isinstance(dims_raw, list) or not dims_raw:
                self.error(
                    "Q002", ("dimensions",), "questionnaire: dimensions must be a non-empty list"
                )
            else:
                for i, raw in enumerate(dims_raw):
                    dim = self.dimension(raw, ("dimensions", i), parent=None, depth=1)
                    if dim is not None:
                        dimensions.append(dim)
        initiatives = self.initiatives(root)
        model = None
        if qid and title is not None and scale and dimensions and version is not _MISSING:
            model = Questionnaire(
                id=qid,
                version=version,
                title=title,
                description=description,
                locales=self.locales,
                scale=scale,
                dimensions=tuple(dimensions),
                score_range=score_range,
                unanswered=unanswered,
                aggregate=aggregate,
                path=self.path,
                hash=content_hash(self.m.data),
                initiatives=initiatives,
            )
            self.check_conditions(model)
            self.check_actions(model, "initiatives" in root)
        return model

    def score_range(self, root: dict) -> tuple[float, float]:
        value = self.get(root, (), "score_range", "questionnaire")
        if value is _MISSING:
            return (0.0, 100.0)
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(_is_number(v) and math.isfinite(v) for v in value)
            and value[0] < value[1]
        ):
            return (float(value[0]), float(value[1]))
        self.error(
            "Q002",
            ("score_range",),
            "questionnaire: score_range must be two increasing finite numbers, e.g. [0, 100] or "
            "[0, 3]",
        )
        return (0.0, 100.0)

    def scale(self, root: dict, score_range: tuple[float, float]) -> tuple[Level, ...]:
        raw = self.get(root, (), "scale", "questionnaire", required=True)
        if raw is _MISSING:
            return ()
        if not isinstance(raw, list) or len(raw) < 2:
            self.error("Q002", ("scale",), "questionnaire: scale must list at least two levels")
            return ()
        levels: list[Level] = []
        for i, item in enumerate(raw):
            where = ("scale", i)
            what = f"scale level {i + 1}"
            data = self.mapping(item, where, what)
            if not data:
                continue
            self.known_fields(data, where, {"level", "name", "description", "min"}, what)
            number = self.get(data, where, "level", what, required=True)
            name = self.text(data, where, "name", what)
            desc = self.text(data, where, "description", what, required=False)
            start = self.number(data, where, "min", what, required=True)
            if number is _MISSING or start is None or name is None:
                continue
            if number != i + 1 or isinstance(number, bool):
                self.error(
                    "Q008",
                    (*where, "level"),
                    f"{what}: levels must be numbered 1, 2, 3 ... from the lowest; expected "
                    f"level {i + 1}, got {_type_name(number)}",
                )
                continue
            if levels and start <= levels[-1].min:
                self.error(
                    "Q008",
                    (*where, "min"),
                    f"{what}: min {start:g} must be above the previous level's min "
                    f"{levels[-1].min:g}; list levels from the lowest, with increasing thresholds",
                )
                continue
            if not levels and start != score_range[0]:
                self.error(
                    "Q008",
                    (*where, "min"),
                    f"{what}: the lowest level must start at the bottom of the score range "
                    f"({score_range[0]:g}), got {start:g}",
                )
                continue
            if start >= score_range[1]:
                self.error(
                    "Q008",
                    (*where, "min"),
                    f"{what}: min {start:g} is not below the top of the score range "
                    f"({score_range[1]:g})",
                )
                continue
            levels.append(Level(int(number), name, start, desc))
        if len(levels) != len(raw):
            return ()
        self.levels = tuple(lv.level for lv in levels)
        return tuple(levels)

    def dimension(self, raw: Any, where: tuple, parent: str | None, depth: int) -> Dimension | None:
        data = self.mapping(raw, where, "dimension")
        if not data:
            return None
        did = self.ident(data, where, "dimension")
        what = f"dimension '{did or '?'}'"
        self.known_fields(
            data,
            where,
            {
                "id",
                "title",
                "description",
                "weight",
                "aggregate",
                "dimensions",
                "questions",
                "actions",
            },
            what,
        )
        title = self.text(data, where, "title", what)
        description = self.text(data, where, "description", what, required=False)
        weight = self.number(data, where, "weight", what, default=1.0, positive=True)
        aggregate = self.choice(data, where, "aggregate", what, AGGREGATES, "mean")
        children: list[Dimension] = []
        for i, item in enumerate(self.list_of(data, where, "dimensions", what)):
            child = self.dimension(item, (*where, "dimensions", i), did, depth + 1)
            if child is not None:
                children.append(child)
        questions: list[Question] = []
        for i, item in enumerate(self.list_of(data, where, "questions", what)):
            q = self.question(item, (*where, "questions", i), did)
            if q is not None:
                questions.append(q)
        actions: list[Action] = []
        for i, item in enumerate(self.list_of(data, where, "actions", what)):
            a = self.action(item, (*where, "actions", i), did)
            if a is not None:
                actions.append(a)
        if "dimensions" not in data and "questions" not in data:
            self.error(
                "Q020",
                where,
                f"{what} has neither questions nor sub-dimensions, so it can never be scored",
            )
        if did is None or title is None:
            return None
        return Dimension(
            id=did,
            title=title,
            parent=parent,
            depth=depth,
            weight=weight,
            aggregate=aggregate,
            description=description,
            dimensions=tuple(children),
            questions=tuple(questions),
            actions=tuple(actions),
        )

    def list_of(self, data: dict, where: tuple, name: str, what: str) -> list:
        value = self.get(data, where, name, what)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.error(
                "Q002", (*where, name), f"{what}: {name} must be a list, got {_type_name(value)}"
            )
            return []
        return value

    def question(self, raw: Any, where: tuple, dimension: str | None) -> Question | None:
        data = self.mapping(raw, where, "question")
        if not data:
            return None
        qid = self.ident(data, where, "question")
        what = f"question '{qid or '?'}'"
        allowed = {
            "id",
            "type",
            "text",
            "help",
            "weight",
            "required",
            "allow_na",
            "scored",
            "when",
            "options",
            "bands",
            "min",
            "max",
            "unit",
            "scores",
            "scoring",
        }
        self.known_fields(data, where, allowed, what)
        qtype = self.choice(data, where, "type", what, QUESTION_TYPES, required=True)
        text = self.text(data, where, "text", what)
        help_ = self.text(data, where, "help", what, required=False)
        weight = self.number(data, where, "weight", what, default=1.0, positive=True)
        required = self.flag(data, where, "required", what)
        allow_na = self.flag(data, where, "allow_na", what)
        scored = self.flag(data, where, "scored", what, default=True)
        when = self.when(data, where, what)
        options: tuple[Option, ...] = ()
        bands: tuple[Band, ...] = ()
        linear = False
        lo = self.number(data, where, "min", what)
        hi = self.number(data, where, "max", what)
        unit = self.text(data, where, "unit", what, required=False)
        misplaced = {
            "options": qtype in ("boolean", "number", "text"),
            "bands": qtype != "number",
            "scores": qtype != "boolean",
            "min": qtype != "number",
            "max": qtype != "number",
            "unit": qtype != "number",
            "scoring": qtype != "number",
        }
        for name, bad in misplaced.items():
            if bad and name in data and qtype is not None:
                self.error(
                    "Q004", (*where, name), f"{what}: a {qtype} question has no '{name}'", key=True
                )
        if qtype in ("level", "likert", "single", "multi"):
            options = self.options(data, where, what, qtype)
        elif qtype == "boolean":
            options = self.boolean_options(data, where, what)
        elif qtype == "number":
            scoring = self.choice(data, where, "scoring", what, NUMBER_SCORING)
            linear = scoring == "linear"
            if linear:
                self.linear_bounds(data, where, what)
            elif scoring is not None or "scoring" not in data:  # else reported: Q015
                bands = self.bands(data, where, what, scored)
            if lo is not None and hi is not None and lo >= hi:
                self.error("Q002", (*where, "max"), f"{what}: max must be above min")
        if qid is None or qtype is None or text is None or dimension is None:
            return None
        return Question(
            id=qid,
            type=qtype,
            text=text,
            dimension=dimension,
            help=help_,
            weight=weight,
            required=required,
            allow_na=allow_na,
            scored=scored,
            when=when,
            options=options,
            bands=bands,
            min=lo,
            max=hi,
            unit=unit,
            linear=linear and lo is not None and hi is not None and lo < hi,
        )

    def linear_bounds(self, data: dict, where: tuple, what: str) -> None:
        """A number scored on a line needs both ends of it, and no bands."""
        for name in ("min", "max"):
            if name not in data:
                self.error(
                    "Q003",
                    where,
                    f"{what}: scoring: linear needs '{name}' (the value that scores "
                    f"{0 if name == 'min' else 1})",
                    key=True,
                )
        if "bands" in data:
            self.error(
                "Q004",
                (*where, "bands"),
                f"{what}: a number scored linearly has no bands; give scoring: bands, or drop "
                "the bands",
                key=True,
            )

    def when(
        self, data: dict, where: tuple, what: str, code: str = "Q010"
    ) -> conditions.Condition | None:
        value = self.get(data, where, "when", what)
        if value is _MISSING or value is None:
            return None
        here = (*where, "when")
        if not isinstance(value, str):
            self.error(
                "Q002", here, f"{what}: when must be a condition in text, e.g. \"q == 'yes'\""
            )
            return None
        try:
            return conditions.parse(value)
        except conditions.ConditionError as exc:
            line, col = self.when_column(here, exc.column)
            self.problems.append(
                Problem(code, f"{what}: when: {exc.message}", self.path, line, col)
            )
            return None

    def when_column(self, here: tuple, offset: int) -> tuple[int | None, int | None]:
        line, col = self.m.where(here)
        if col is None:
            return line, col
        return line, col + offset - 1 + (1 if here in self.m.quoted else 0)

    def options(self, data: dict, where: tuple, what: str, qtype: str) -> tuple[Option, ...]:
        raw = self.get(data, where, "options", what, required=True)
        if raw is _MISSING:
            return ()
        if not isinstance(raw, list) or not raw:
            self.error("Q002", (*where, "options"), f"{what}: options must be a non-empty list")
            return ()
        result: list[Option] = []
        seen: dict[Any, int] = {}
        n = len(raw)
        for i, item in enumerate(raw):
            here = (*where, "options", i)
            owhat = f"{what}, option {i + 1}"
            od = self.mapping(item, here, owhat)
            if not od:
                continue
            key = "level" if qtype == "level" else "value"
            allowed = {key, "label", "score"} | ({"exclusive"} if qtype == "multi" else set())
            self.known_fields(od, here, allowed, owhat)
            value = self.get(od, here, key, owhat, required=True)
            label = self.text(od, here, "label", owhat)
            score = self.get(od, here, "score", owhat)
            exclusive = self.flag(od, here, "exclusive", owhat) if qtype == "multi" else False
            if value is _MISSING:
                continue
            if qtype == "level":
                if not _is_number(value) or value not in self.levels or value != int(value):
                    self.error(
                        "Q016",
                        (*here, "level"),
                        f"{owhat}: level must be one of the scale's levels "
                        f"({', '.join(map(str, self.levels)) or 'none defined'}), got "
                        f"{_type_name(value)}",
                    )
                    continue
                value = int(value)
            elif (
                isinstance(value, bool)
                or not isinstance(value, str | int | float)
                or (isinstance(value, float) and not math.isfinite(value))
            ):
                self.error("Q002", (*here, key), f"{owhat}: value must be text or a finite number")
                continue
            if isinstance(value, str) and value in RESERVED_VALUES:
                self.error(
                    "Q015",
                    (*here, key),
                    f"{owhat}: '{value}' is reserved for 'not applicable'; use allow_na: true "
                    "instead of an option",
                )
                continue
            if value in seen:
                self.error("Q005", (*here, key), f"{owhat}: value {value!r} is used twice")
                continue
            seen[value] = i
            if score is _MISSING:
                if qtype in ("single", "multi"):
                    self.error(
                        "Q007",
                        here,
                        f"{owhat} ({value!r}) has no score; give each option a score from 0 to 1",
                    )
                    continue
                if qtype == "level":
                    top = max(self.levels)
                    score = (value - 1) / (top - 1) if top > 1 else 1.0
                else:
                    score = i / (n - 1) if n > 1 else 1.0
            elif not _is_number(score) or not 0 <= score <= 1:
                self.error(
                    "Q018",
                    (*here, "score"),
                    f"{owhat}: score must be a number from 0 to 1, got {_type_name(score)}; "
                    "divide by the scale's maximum",
                )
                continue
            if label is None:
                continue
            result.append(Option(value, label, float(score), exclusive))
        if qtype == "level" and self.levels:
            got = sorted(o.value for o in result)
            if len(got) == len(raw) and got != list(self.levels):
                self.error(
                    "Q016",
                    (*where, "options"),
                    f"{what}: a level question needs exactly one option per scale level "
                    f"({', '.join(map(str, self.levels))}); got {', '.join(map(str, got))}",
                )
        return tuple(result)

    def boolean_options(self, data: dict, where: tuple, what: str) -> tuple[Option, ...]:
        scores = {"yes": 1.0, "no": 0.0}
        raw = self.get(data, where, "scores", what)
        if raw is not _MISSING:
            raw = self.mapping(raw, (*where, "scores"), f"{what}: scores")
            self.known_fields(raw, (*where, "scores"), {"yes", "no"}, f"{what}: scores")
            for key in ("yes", "no"):
                if key in raw:
                    value = raw[key]
                    if not _is_number(value) or not 0 <= value <= 1:
                        self.error(
                            "Q018",
                            (*where, "scores", key),
                            f"{what}: scores.{key} must be a number from 0 to 1",
                        )
                    else:
                        scores[key] = float(value)
        labels = {v: translations("questionnaire", v) for v in ("yes", "no")}
        return tuple(
            Option(v, {loc: labels[v].get(loc, labels[v]["en"]) for loc in self.locales}, scores[v])
            for v in ("yes", "no")
        )

    def bands(self, data: dict, where: tuple, what: str, scored: bool) -> tuple[Band, ...]:
        raw = self.get(data, where, "bands", what, required=scored)
        if raw is _MISSING:
            return ()
        if not isinstance(raw, list) or not raw:
            self.error(
                "Q002",
                (*where, "bands"),
                f"{what}: bands must be a list like [{{min: 0, score: 0}}, {{min: 5, score: 1}}]",
            )
            return ()
        result: list[Band] = []
        for i, item in enumerate(raw):
            here = (*where, "bands", i)
            bwhat = f"{what}, band {i + 1}"
            bd = self.mapping(item, here, bwhat)
            if not bd:
                continue
            self.known_fields(bd, here, {"min", "score"}, bwhat)
            lo = self.number(bd, here, "min", bwhat, required=True)
            if "score" not in bd:
                self.error("Q007", here, f"{bwhat} has no score; give it a score from 0 to 1")
                continue
            score = bd["score"]
            if not _is_number(score) or not 0 <= score <= 1:
                self.error("Q018", (*here, "score"), f"{bwhat}: score must be a number from 0 to 1")
                continue
            if lo is None:
                continue
            if result and lo <= result[-1].min:
                self.error(
                    "Q017",
                    (*here, "min"),
                    f"{bwhat}: min {lo:g} must be above the previous band's min "
                    f"{result[-1].min:g}; list bands in increasing order",
                )
                continue
            result.append(Band(lo, float(score)))
        return tuple(result)

    def action(self, raw: Any, where: tuple, dimension: str | None) -> Action | None:
        data = self.mapping(raw, where, "action")
        if not data:
            return None
        aid = self.ident(data, where, "action")
        what = f"action '{aid or '?'}'"
        self.known_fields(data, where, ACTION_FIELDS, what)
        reach = self.get(data, where, "reach", what, required=True)
        if (
            reach is not _MISSING
            and self.levels
            and (not _is_number(reach) or reach not in self.levels[1:] or reach != int(reach))
        ):
            self.error(
                "Q015",
                (*where, "reach"),
                f"{what}: reach must be a level above the lowest "
                f"({', '.join(map(str, self.levels[1:]))}), got {_type_name(reach)}",
            )
            reach = _MISSING
        title = self.text(data, where, "title", what)
        description = self.text(data, where, "description", what, required=False)
        effort = self.choice(data, where, "effort", what, EFFORTS, required=True)
        impact = self.choice(data, where, "impact", what, IMPACTS, required=True)
        horizon = self.choice(data, where, "horizon", what, HORIZONS)
        moves = self.moves(data, where, what)
        when = self.when(data, where, what, code="Q024")
        requires = self.requires(data, where, what)
        initiative = self.get(data, where, "initiative", what)
        if initiative is _MISSING:
            initiative = None
        elif not isinstance(initiative, str):
            self.error(
                "Q002", (*where, "initiative"), f"{what}: initiative must be an initiative's id"
            )
            initiative = None
        person_months = self.amount(data, where, "person_months", what)
        duration_months = self.amount(data, where, "duration_months", what)
        if aid is None or dimension is None or None in (title, effort, impact) or reach is _MISSING:
            return None
        self.action_places[aid] = where
        return Action(
            aid,
            dimension,
            int(reach),
            title,
            description,
            effort,
            impact,
            horizon,
            moves,
            when,
            requires,
            initiative,
            person_months,
            duration_months,
        )

    def moves(self, data: dict, where: tuple, what: str) -> tuple[tuple[str, Any], ...]:
        """The moves as written; whether each names a question and a valid answer to it is
        checked once every question is known (`check_actions`)."""
        raw = self.get(data, where, "moves", what)
        if raw is _MISSING:
            return ()
        if not isinstance(raw, dict) or not raw:
            self.error(
                "Q022",
                (*where, "moves"),
                f"{what}: moves must map question ids to the answer the action brings, e.g. "
                f"{{security.incident.plan: 3}}; got {_type_name(raw)}",
            )
            return ()
        found = []
        for qid, value in raw.items():
            if not isinstance(qid, str):
                self.error(
                    "Q022", (*where, "moves", qid), f"{what}: moves: {qid!r} is not a question id"
                )
                continue
            found.append((qid, tuple(value) if isinstance(value, list) else value))
        return tuple(found)

    def requires(self, data: dict, where: tuple, what: str) -> tuple[str, ...]:
        raw = self.get(data, where, "requires", what)
        if raw is _MISSING:
            return ()
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            self.error(
                "Q002",
                (*where, "requires"),
                f"{what}: requires must be a list of action ids, got {_type_name(raw)}",
            )
            return ()
        return tuple(dict.fromkeys(raw))

    def amount(self, data: dict, where: tuple, name: str, what: str) -> float | None:
        """person_months and duration_months: a finite number above zero."""
        value = self.get(data, where, name, what)
        if value is _MISSING:
            return None
        if not _is_number(value) or not math.isfinite(value) or not value > 0:
            self.error(
                "Q028",
                (*where, name),
                f"{what}: {name} must be a finite number above 0 (months), got {_type_name(value)}",
            )
            return None
        return float(value)

    def initiatives(self, root: dict) -> tuple[Initiative, ...]:
        raw = self.list_of(root, (), "initiatives", "questionnaire")
        found: list[Initiative] = []
        for i, item in enumerate(raw):
            where = ("initiatives", i)
            data = self.mapping(item, where, "initiative")
            if not data:
                continue
            iid = self.ident(data, where, "initiative")
            what = f"initiative '{iid or '?'}'"
            self.known_fields(data, where, {"id", "title", "owner", "kpi", "summary"}, what)
            title = self.text(data, where, "title", what)
            owner = self.text(data, where, "owner", what)
            summary = self.text(data, where, "summary", what, required=False)
            kpi = self.get(data, where, "kpi", what, required=True)
            node, text = None, None
            if kpi is not _MISSING:
                kpi = self.mapping(kpi, (*where, "kpi"), f"{what}: kpi")
                self.known_fields(kpi, (*where, "kpi"), {"node", "text"}, f"{what}: kpi")
                node = self.get(kpi, (*where, "kpi"), "node", f"{what}: kpi", required=True)
                text = self.text(kpi, (*where, "kpi"), "text", f"{what}: kpi")
                if node is _MISSING:
                    node = None
                elif not isinstance(node, str):
                    self.error(
                        "Q002",
                        (*where, "kpi", "node"),
                        f"{what}: kpi.node must be a question or dimension id",
                    )
                    node = None
            if iid is None or node is None or text is None or None in (title, owner):
                continue
            found.append(Initiative(iid, title, owner, node, text, summary))
        return tuple(found)

    # -- the actions catalogue across the whole questionnaire

    def check_actions(self, model: Questionnaire, listed: bool) -> None:
        """Moves, conditions, prerequisites and initiatives name what exists (Q022-Q029)."""
        actions = {a.id: a for a in model.actions}
        initiatives = {i.id for i in model.initiatives}
        for index, item in enumerate(model.initiatives):
            node = item.kpi_node
            if node != OVERALL and node not in model._nodes and not model.has_question(node):
                known = [*model._nodes, *model._questions]
                self.error(
                    "Q027",
                    ("initiatives", index, "kpi", "node"),
                    f"initiative '{item.id}': kpi.node '{node}' is neither a "
                    f"question nor a dimension{did_you_mean(node, known)}",
                )
        unprojected: list[str] = []
        for action in actions.values():
            where = self.action_places[action.id]
            what = f"action '{action.id}'"
            self.check_moves(model, action, where, what)
            if not action.moves:
                unprojected.append(action.id)
            if action.when is not None:
                self.check_action_when(model, action, where, what)
            for i, rid in enumerate(action.requires):
                if rid not in actions:
                    self.error(
                        "Q025",
                        (*where, "requires", i),
                        f"{what}: requires unknown action '{rid}'{did_you_mean(rid, actions)}",
                    )
            self.check_initiative(action, where, what, initiatives, listed)
        edges = {a.id: [r for r in a.requires if r in actions] for a in actions.values()}
        reported: set[str] = set()
        for aid, cycle in _cycle_members(edges).items():
            if reported & set(cycle):
                continue
            reported.update(cycle)
            self.error(
                "Q026",
                (*self.action_places[aid], "requires"),
                f"action '{aid}': prerequisites form a cycle ({' -> '.join(cycle)}); an action "
                "cannot wait for itself",
            )
        if unprojected:
            first = self.action_places[unprojected[0]]
            self.warn(
                "Q029",
                (*first, "id"),
                f"{len(unprojected)} action(s) have no 'moves' (first: '{unprojected[0]}'): the "
                "roadmap lists them but cannot project what they change; give each action the "
                "answers it brings (docs/questionnaire-format.md)",
            )

    def check_moves(self, model: Questionnaire, action: Action, where: tuple, what: str) -> None:
        for qid, value in action.moves:
            if not model.has_question(qid):
                hint = did_you_mean(qid, model._questions)
                if not hint and qid in model._nodes:
                    hint = " (that is a dimension; moves name questions)"
                self.error(
                    "Q022",
                    (*where, "moves", qid),
                    f"{what}: moves names unknown question '{qid}'{hint}",
                    key=True,
                )
                continue
            reason = move_problem(model.question(qid), value)
            if reason:
                self.error("Q023", (*where, "moves", qid), f"{what}: moves {qid}: {reason}")

    def check_action_when(self, model, action: Action, where: tuple, what: str) -> None:
        here = (*where, "when")
        if action.when is None:
            return
        for name, offset in zip(action.when.names, action.when.name_columns, strict=True):
            if model.has_question(name):
                continue
            line, col = self.when_column(here, offset)
            hint = did_you_mean(name, model._questions)
            if not hint and name in model._nodes:
                hint = " (that is a dimension; conditions compare answers to questions)"
            self.problems.append(
                Problem(
                    "Q024",
                    f"{what}: when names unknown question '{name}'{hint}",
                    self.path,
                    line,
                    col,
                )
            )

    def check_initiative(self, action, where, what, initiatives: set[str], listed: bool) -> None:
        if action.initiative is None:
            if listed:
                self.error(
                    "Q027",
                    (*where, "id"),
                    f"{what}: the questionnaire lists initiatives, so every action names one "
                    f"(initiative: {next(iter(initiatives), 'ID')})",
                )
        elif not listed:
            self.error(
                "Q027",
                (*where, "initiative"),
                f"{what}: initiative '{action.initiative}' given, but the questionnaire has no "
                "top-level 'initiatives:' list",
            )
        elif action.initiative not in initiatives:
            self.error(
                "Q027",
                (*where, "initiative"),
                f"{what}: unknown initiative '{action.initiative}'"
                f"{did_you_mean(action.initiative, initiatives)}",
            )

    # -- skip logic across the whole questionnaire

    def check_conditions(self, model: Questionnaire) -> None:
        order = {q.id: i for i, q in enumerate(model.questions)}
        edges: dict[str, list[str]] = {}
        for q in model.questions:
            if q.when is None:
                continue
            here = (*self.ids[q.id][:-1], "when")
            edges[q.id] = [n for n in q.when.names if n in order]
            for name, offset in zip(q.when.names, q.when.name_columns, strict=True):
                line, col = self.when_column(here, offset)
                if name not in order:
                    hint = did_you_mean(name, order)
                    if not hint and name in model._nodes:
                        hint = " (that is a dimension; conditions compare answers to questions)"
                    self.problems.append(
                        Problem(
                            "Q011",
                            f"question '{q.id}': when names unknown question '{name}'{hint}",
                            self.path,
                            line,
                            col,
                        )
                    )
        cyclic = _cycle_members(edges)
        for q in model.questions:
            if q.when is None:
                continue
            here = (*self.ids[q.id][:-1], "when")
            for name, offset in zip(q.when.names, q.when.name_columns, strict=True):
                if name not in order or order[name] < order[q.id]:
                    continue
                line, col = self.when_column(here, offset)
                if q.id in cyclic and name in cyclic[q.id]:
                    path = cyclic[q.id]
                    self.problems.append(
                        Problem(
                            "Q013",
                            f"question '{q.id}': skip logic forms a cycle "
                            f"({' -> '.join(path)}); a question's condition may only use "
                            "answers given before it",
                            self.path,
                            line,
                            col,
                        )
                    )
                else:
                    self.problems.append(
                        Problem(
                            "Q012",
                            f"question '{q.id}': when refers to '{name}', which is asked later"
                            if name != q.id
                            else f"question '{q.id}': when refers to the question itself",
                            self.path,
                            line,
                            col,
                        )
                    )


def move_problem(question: Question, value: Any) -> str | None:
    """Why `value` cannot be what an action brings to `question` (None when it can): the answer
    a response file could give, in the question's own terms, never 'na'."""
    if isinstance(value, str) and value.strip().lower() == conditions.NA:
        return "'na' (not applicable) is not something an action brings"
    kind = question.type
    if kind == "text":
        return "a text question is not scored, so an action cannot move it"
    if kind == "number":
        if not _is_number(value) or not math.isfinite(value):
            return f"expected a number, got {_type_name(value)}"
        if (question.min is not None and value < question.min) or (
            question.max is not None and value > question.max
        ):
            return f"{value:g} is outside the question's min and max"
        return None
    if kind == "boolean":
        if isinstance(value, bool) or value in ("yes", "no"):
            return None
        return f'expected "yes" or "no", got {_type_name(value)}'
    items = value if isinstance(value, tuple) else (value,)
    if kind != "multi" and isinstance(value, tuple | dict):
        return f"expected one option, got {_type_name(value)}"
    if not items:
        return "expected the options the action adds, got an empty list"
    for item in items:
        opt = None if isinstance(item, bool | dict | list) else question.match(item)
        if opt is None:
            values = ", ".join(repr(o.value) for o in question.options)
            return f"{_type_name(item)} is not an option (options: {values})"
        if opt.exclusive:
            return f"option {opt.value!r} excludes the others, so no action adds it"
    return None


def _cycle_members(edges: dict[str, list[str]]) -> dict[str, list[str]]:
    """For each question on a cycle of conditions, the cycle as a path of ids."""
    found: dict[str, list[str]] = {}
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                for member in cycle[:-1]:
                    found.setdefault(member, cycle)
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for start in edges:
        if start not in state:
            visit(start)
    return found
