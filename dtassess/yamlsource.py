"""Reading YAML (and JSON) so that every value can be traced back to its line and column.

Two ways in, one set of rules:

- `fast_load` builds plain Python data with libyaml's C parser, for the hot path (thousands of
  response files), and knows nothing about positions;
- `load_with_marks` walks the composed node tree and records where each value sits, for
  questionnaires and for locating the problems that a fast load turned up.

Both read YAML with YAML 1.2's idea of a boolean: only true/false. Under YAML 1.1 an unquoted
`no`, `yes`, `on` or `off` silently becomes a boolean; in a questionnaire that turns the option
"No" into False. Timestamps stay text too, so that `period: 2026-03` is not reinterpreted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class SafeLoader12(_BASE):  # type: ignore[misc, valid-type]
    """Safe loader with YAML 1.2 booleans and no implicit timestamps."""

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class-level table
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


SafeLoader12.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

Path = tuple[Any, ...]


@dataclass
class Marked:
    """Data plus where each part of it came from (1-based line and column)."""

    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    # Scalars written in quotes start one column before their text.
    quoted: set[Path] = field(default_factory=set)
    duplicate_keys: list[tuple[Path, tuple[int, int]]] = field(default_factory=list)

    def where(self, path: Path, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of `path`, or of its nearest ancestor that has a place."""
        table = self.key_marks if key else self.marks
        p = tuple(path)
        while True:
            if p in table:
                return table[p]
            if key and p in self.marks:
                return self.marks[p]
            if not p:
                return (None, None)
            p = p[:-1]


class SyntaxProblem(Exception):
    def __init__(self, message: str, line: int | None, column: int | None, snippet: str | None):
        super().__init__(message)
        self.message, self.line, self.column, self.snippet = message, line, column, snippet


def _snippet(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    src = lines[line - 1]
    return f"    {src}\n    {' ' * (column - 1)}^"


def _yaml_syntax(exc: yaml.YAMLError, text: str) -> SyntaxProblem:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    msg = f"YAML syntax error: {problem}"
    if context:
        msg += f" ({context})"
    if mark is None:
        return SyntaxProblem(msg, None, None, None)
    line, col = mark.line + 1, mark.column + 1
    return SyntaxProblem(msg, line, col, _snippet(text, line, col))


def _is_json(path: str) -> bool:
    return path.lower().endswith(".json")


def fast_load(text: str, path: str = "") -> Any:
    """Parse YAML or JSON quickly; raises SyntaxProblem."""
    if _is_json(path):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SyntaxProblem(
                f"JSON syntax error: {exc.msg}",
                exc.lineno,
                exc.colno,
                _snippet(text, exc.lineno, exc.colno),
            ) from None
    try:
        return yaml.load(text, Loader=SafeLoader12)
    except yaml.YAMLError as exc:
        raise _yaml_syntax(exc, text) from None


def load_with_marks(text: str, path: str = "") -> Marked:
    """Parse YAML (or JSON, which is YAML) and record the place of every value."""
    if _is_json(path):
        fast_load(text, path)  # JSON's own syntax messages are clearer than YAML's
    loader = SafeLoader12(text)
    try:
        node = loader.get_single_node()
        result = Marked(None)
        if node is not None:
            result.data = _build(loader, node, (), result)
        return result
    except yaml.YAMLError as exc:
        raise _yaml_syntax(exc, text) from None
    finally:
        loader.dispose()


def _build(loader: Any, node: yaml.Node, path: Path, out: Marked) -> Any:
    out.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                key = str(key)
            child = (*path, key)
            where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result:
                out.duplicate_keys.append((child, where))
            out.key_marks[child] = where
            result[key] = _build(loader, value_node, child, out)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), out) for i, item in enumerate(node.value)]
    if getattr(node, "style", None) in ("'", '"'):
        out.quoted.add(path)
    return loader.construct_object(node, deep=True)
