"""Reading YAML (and JSON) so that every value can be traced back to its line and column.

Two ways in, one set of rules:

- `fast_load` builds plain Python data with libyaml's C parser, for the hot path (thousands of
  response files), and knows nothing about positions;
- `load_with_marks` walks the composed node tree and records where each value sits, for
  questionnaires and for locating the problems that a fast load turned up.

Both read YAML with YAML 1.2's idea of a boolean: only true/false. Under YAML 1.1 an unquoted
`no`, `yes`, `on` or `off` silently becomes a boolean; in a questionnaire that turns the option
"No" into False. Timestamps stay text too, so that `period: 2026-03` is not reinterpreted.

Both also refuse, with the place, what would make a small file cost without bound (docs/errors.md,
"Limits of YAML and JSON files"): more than MAX_VALUES values (counted from the parser's events
before anything is built), nesting deeper than MAX_DEPTH, aliases that would add more than
MAX_ALIAS_VALUES values (a "billion laughs" is a few hundred bytes) or that refer to their own
container, whole numbers of more than MAX_INT_DIGITS digits, and NUL characters. The nodes are
checked after composing and before anything is built, because building (and the walk that
records places) is what expands aliases. `fast_load` also refuses a key given twice in a mapping.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import shorten

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Deep enough for any questionnaire (a dimension level takes two); the walks over the data are
# recursive, and libyaml itself stops at 1,000.
MAX_DEPTH = 100
# Values that aliases may add by repeating what an anchor names; a questionnaire reusing an
# option list under every question stays far below.
MAX_ALIAS_VALUES = 100_000
# Values (scalars, lists, mappings) written in one file: seven times the bundled gov-dt (7,000),
# a hundred times a long response. What each value costs in memory and time (a node with its
# places, the checks) is what keeps a 1 MB file within a second and 200 MB.
MAX_VALUES = 50_000
# Whole numbers stay convertible to floats (below 1.8e308); Python itself refuses to read
# more than 4,300 digits.
MAX_INT_DIGITS = 300
# Size limits per kind of file (read_text(..., limit=)): a questionnaire ten times the size of
# the bundled gov-dt (200 KB); every other YAML or JSON file (responses, mapping files, version
# maps, targets files, brand.yaml) 1 MiB, a hundred times a response with long notes.
MAX_QUESTIONNAIRE_BYTES = 2 * 1024 * 1024
MAX_YAML_BYTES = 1024 * 1024
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


class _Refused(yaml.YAMLError):
    """A limit or rule broken while composing or building, with the place it was broken."""

    def __init__(self, message: str, mark: Any, kind: str = "limit") -> None:
        super().__init__(message)
        self.message, self.mark, self.kind = message, mark, kind


def _int_too_long(value: int) -> bool:
    return abs(value) >= _INT_LIMIT


_INT_LIMIT = 10**MAX_INT_DIGITS


def _too_many_digits() -> str:
    return (
        f"a whole number of more than {MAX_INT_DIGITS} digits; dtassess reads numbers up to "
        f"{MAX_INT_DIGITS} digits"
    )


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    # Counted before converting: int() of 5,000 digits raises ValueError, of a million is slow.
    # A sign and a 0x prefix pass; hex digits are fewer than decimal ones, hence the second test.
    if len(node.value) - node.value.count("_") > MAX_INT_DIGITS + 3:
        raise _Refused(_too_many_digits(), node.start_mark)
    value = yaml.SafeLoader.construct_yaml_int(loader, node)
    if _int_too_long(value):
        raise _Refused(_too_many_digits(), node.start_mark)
    return value


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    if len(mapping) != len(node.value):
        _refuse_duplicate(loader, node)
    return mapping


def _refuse_duplicate(loader: Any, node: yaml.MappingNode) -> None:
    first: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in first:
            line = first[key].line + 1
            raise _Refused(
                f"key {shorten(str(key), 60)!r} is given twice (first on line {line}); the later "
                "one would silently replace the earlier: keep one",
                key_node.start_mark,
                "duplicate",
            )
        first[key] = key_node.start_mark


SafeLoader12.construct_mapping = _construct_mapping  # type: ignore[method-assign]


# Whole numbers are bounded without a Python call per number (the hot path: thousands of
# response files of short answers). A number of more than MAX_INT_DIGITS digits is a token of
# at least 250 characters (as hex; decimal, octal, binary and base 60 need more): such plain
# tokens resolve, before YAML's own int, to a tag whose constructor counts digits first. A
# number tagged explicitly (`!!int 999...`) skips resolving, so a text with a `!` is read by a
# loader that counts the digits of every number.
_LONG_INT = "tag:dtassess:long-int"
_INT_TAG = "tag:yaml.org,2002:int"
for _first, _resolvers in SafeLoader12.yaml_implicit_resolvers.items():
    _int = [rx for tag, rx in _resolvers if tag == _INT_TAG]
    if _int:
        _long = re.compile(r"^(?=[^\n]{200})(?:" + _int[0].pattern + ")", re.X)
        _resolvers.insert(0, (_LONG_INT, _long))
SafeLoader12.add_constructor(_LONG_INT, _construct_int)


class _TaggedLoader(SafeLoader12):
    """SafeLoader12 that counts the digits of every whole number, tagged or not."""


_TaggedLoader.add_constructor(_INT_TAG, _construct_int)


def _loader(text: str) -> SafeLoader12:
    return (_TaggedLoader if "!" in text else SafeLoader12)(text)


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
    """A file that cannot be read as YAML or JSON. `kind` is "syntax", "limit" (a limit of
    this module) or "duplicate" (a key given twice, from `fast_load`)."""

    def __init__(
        self,
        message: str,
        line: int | None,
        column: int | None,
        snippet: str | None,
        kind: str = "syntax",
    ):
        super().__init__(message)
        self.message, self.line, self.column, self.snippet = message, line, column, snippet
        self.kind = kind


def _snippet(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    src = lines[line - 1]
    # A line can be a megabyte long: show a window around the column.
    start = max(0, column - 1 - _SNIPPET_WIDTH // 2)
    shown = src[start : start + _SNIPPET_WIDTH]
    caret = column - 1 - start
    if start:
        shown, caret = "…" + shown, caret + 1
    if start + _SNIPPET_WIDTH < len(src):
        shown += "…"
    # One character for one, so that the caret stays under the fault.
    shown = "".join(ch if ch.isprintable() else " " if ch == "\t" else "·" for ch in shown)
    return f"    {shown}\n    {' ' * caret}^"


_SNIPPET_WIDTH = 100


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _located(text: str, message: str, index: int, kind: str = "limit") -> SyntaxProblem:
    line, col = _line_column(text, index)
    return SyntaxProblem(message, line, col, _snippet(text, line, col), kind)


def _refuse_nul(text: str) -> None:
    index = text.find("\0")
    if index >= 0:
        raise _located(
            text,
            "a NUL character (a zero byte); a YAML or JSON file is text and never holds one "
            "(is this a binary file, or saved as UTF-16?)",
            index,
        )


# The characters YAML does not allow in a file (PyYAML's reader, which libyaml follows).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _yaml_syntax(exc: yaml.YAMLError, text: str) -> SyntaxProblem:
    if isinstance(exc, _Refused):
        line, col = exc.mark.line + 1, exc.mark.column + 1
        return SyntaxProblem(exc.message, line, col, _snippet(text, line, col), exc.kind)
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml counts its position in bytes; find the character itself.
        found = _NON_PRINTABLE.search(text)
        if found:
            char = found.group()
            return _located(
                text,
                f"YAML syntax error: control character U+{ord(char):04X} is not allowed in a "
                "YAML file",
                found.start(),
                "syntax",
            )
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    msg = f"YAML syntax error: {problem}"
    if context:
        msg += f" ({context})"
    if mark is None:
        return SyntaxProblem(msg, None, None, None)
    line, col = mark.line + 1, mark.column + 1
    if "maximum nesting depth" in problem:
        # libyaml's own limit (1,000 levels), met while it scans ahead of the events that
        # would have stopped at MAX_DEPTH: the same rule, said the same way.
        return SyntaxProblem(_too_deep(), line, col, _snippet(text, line, col), "limit")
    return SyntaxProblem(msg, line, col, _snippet(text, line, col))


def _is_json(path: str) -> bool:
    return path.lower().endswith(".json")


def fast_load(text: str, path: str = "") -> Any:
    """Parse YAML or JSON quickly; raises SyntaxProblem (also for a key given twice)."""
    _refuse_nul(text)
    if _is_json(path):
        return _json_load(text, duplicates=False)
    loader = _loader(text)
    try:
        _count_values(text)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, "&" in text)
        try:
            return loader.construct_document(node)
        except _CONSTRUCTOR_FAULTS:
            raise _scalar_fault(node) from None
    except yaml.YAMLError as exc:
        raise _yaml_syntax(exc, text) from None
    finally:
        loader.dispose()


def load_with_marks(text: str, path: str = "") -> Marked:
    """Parse YAML (or JSON, which is YAML) and record the place of every value.

    A key given twice is not refused here: it is kept in `duplicate_keys` for the caller to
    report among its other problems."""
    _refuse_nul(text)
    if _is_json(path):
        _json_load(text, duplicates=True)  # JSON's own syntax messages are clearer than YAML's
    return _marked(text)


def _marked(text: str) -> Marked:
    loader = _loader(text)
    try:
        _count_values(text)
        node = loader.get_single_node()
        result = Marked(None)
        if node is not None:
            _check_nodes(node, "&" in text)
            try:
                result.data = _build(loader, node, (), result)
            except _CONSTRUCTOR_FAULTS:
                raise _scalar_fault(node) from None
        return result
    except yaml.YAMLError as exc:
        raise _yaml_syntax(exc, text) from None
    finally:
        loader.dispose()


def _count_values(text: str) -> None:
    """Refuse a text of more than MAX_VALUES values before composing it: one pass over the
    parser's events, which keeps none of them. A value takes at least one character (`{a,b}`
    is two keys, two nulls), so shorter texts are passed without looking."""
    if len(text) <= MAX_VALUES:
        return
    count = depth = 0
    for event in yaml.parse(text, Loader=SafeLoader12):
        if isinstance(event, _VALUE_EVENTS):
            count += 1
            if count > MAX_VALUES:
                raise _Refused(_too_many_values(), event.start_mark)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                # Here too: libyaml would stop at 1,000 levels with a message of its own.
                if depth > MAX_DEPTH:
                    raise _Refused(_too_deep(), event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _too_many_values() -> str:
    return (
        f"more than {MAX_VALUES:,} values (texts, numbers, lists, mappings) in one file; "
        f"dtassess reads files of up to {MAX_VALUES:,}"
    )


_VALUE_EVENTS = (yaml.ScalarEvent, yaml.CollectionStartEvent, yaml.AliasEvent)


def _check_nodes(root: yaml.Node, anchors: bool) -> None:
    """Refuse a composed document that is nested too deep or whose aliases would expand it
    past MAX_ALIAS_VALUES values (or forever), before anything expands them.

    An alias is the very node its anchor names, so the document is a graph: one walk in document
    order finds every collection once; meeting a finished one again is an alias (it adds its
    size), meeting an unfinished one is an alias inside what it names. A text without `&` has
    no anchor, so no alias: a tree, whose depth alone is checked, level by level (the hot path:
    thousands of response files).
    """
    if not anchors:
        _check_depth(root)
        return
    size: dict[int, int] = {}  # id(collection) -> values in it, aliases expanded
    height: dict[int, int] = {}  # id(collection) -> levels of collections in it
    open_: set[int] = set()
    added = 0
    stack: list[tuple[yaml.Node, yaml.Node | None, int, bool]] = [(root, None, 1, False)]
    while stack:
        node, parent, depth, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            open_.discard(key)
            size[key] = 1 + sum(size.get(id(c), 1) for c in children)
            height[key] = 1 + max((height.get(id(c), 0) for c in children), default=0)
            continue
        place = parent.start_mark if parent is not None else node.start_mark
        if key in open_:
            raise _Refused(
                f"an alias here repeats the value that contains it (anchored on line "
                f"{node.start_mark.line + 1}), which would never end; aliases may only repeat "
                "a finished value",
                place,
            )
        if key in size:
            added += size[key]
            if added > MAX_ALIAS_VALUES:
                raise _Refused(
                    f"aliases (*name) here would repeat the anchored values past "
                    f"{MAX_ALIAS_VALUES:,} values in all; dtassess expands aliases only up to "
                    "that many",
                    place,
                )
            if depth + height[key] - 1 > MAX_DEPTH:
                raise _Refused(_too_deep(), place)
            continue
        if depth > MAX_DEPTH:
            raise _Refused(_too_deep(), node.start_mark)
        open_.add(key)
        stack.append((node, parent, depth, True))
        stack.extend(
            (c, node, depth + 1, False)
            for c in reversed(children)
            if isinstance(c, yaml.CollectionNode)
        )


_COLLECTIONS = (yaml.MappingNode, yaml.SequenceNode)

# What PyYAML's scalar constructors raise on a value their explicit tag cannot take (`!!int`
# with no value: IndexError; `!!bool x`: KeyError; `!!timestamp x`: AttributeError).
_CONSTRUCTOR_FAULTS = (ValueError, IndexError, KeyError, AttributeError, TypeError, OverflowError)
_TAG_NAMES = {
    "tag:yaml.org,2002:null": "nothing (null)",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:binary": "base64 data",
}


def _scalar_fault(root: yaml.Node) -> yaml.YAMLError:
    """The first scalar that its constructor cannot build, found again one by one (a rare path:
    the hot one pays nothing for it)."""
    loader = _TaggedLoader("")
    try:
        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if not isinstance(node, yaml.ScalarNode):
                stack.extend(reversed(_children(node)))
                continue
            construct = SafeLoader12.yaml_constructors.get(node.tag)
            try:
                if construct is not None:
                    construct(loader, node)
            except _CONSTRUCTOR_FAULTS:
                what = _TAG_NAMES.get(node.tag, node.tag)
                return _Refused(
                    f"YAML syntax error: {shorten(str(node.value), 40)!r} cannot be read as {what}",
                    node.start_mark,
                    "syntax",
                )
    finally:
        loader.dispose()
    return _Refused("YAML syntax error: a value cannot be read", root.start_mark, "syntax")


def _check_depth(root: yaml.Node) -> None:
    level = [root] if type(root) in _COLLECTIONS else []
    depth = 1
    while level:
        if depth > MAX_DEPTH:
            raise _Refused(_too_deep(), level[0].start_mark)
        deeper = []
        for node in level:
            if type(node) is yaml.MappingNode:
                for key, value in node.value:
                    if type(key) in _COLLECTIONS:
                        deeper.append(key)
                    if type(value) in _COLLECTIONS:
                        deeper.append(value)
            else:
                deeper.extend(item for item in node.value if type(item) in _COLLECTIONS)
        level, depth = deeper, depth + 1


def _children(node: yaml.CollectionNode) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value)


def _too_deep() -> str:
    return (
        f"lists and mappings nested more than {MAX_DEPTH} levels deep; dtassess reads files "
        f"nested up to {MAX_DEPTH} levels"
    )


class _DuplicateJsonKey(Exception):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateJsonKey
    return result


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _JsonTooLong
    return int(digits)


class _JsonTooLong(Exception):
    pass


def _json_load(text: str, duplicates: bool) -> Any:
    try:
        data = json.loads(
            text,
            parse_int=_json_int,
            object_pairs_hook=None if duplicates else _json_object,
        )
    except json.JSONDecodeError as exc:
        raise SyntaxProblem(
            f"JSON syntax error: {exc.msg}",
            exc.lineno,
            exc.colno,
            _snippet(text, exc.lineno, exc.colno),
        ) from None
    except _JsonTooLong:
        found = re.search(rf"\d{{{MAX_INT_DIGITS + 1}}}", text)
        raise _located(text, _too_many_digits(), found.start() if found else 0) from None
    except RecursionError:
        raise _located(text, _too_deep(), _json_too_deep_at(text)) from None
    except _DuplicateJsonKey:
        raise _json_duplicate(text) from None
    if "\\u" in text:
        _refuse_lone_surrogates(text)
    depth, values = _json_size(data)
    if depth > MAX_DEPTH:
        raise _located(text, _too_deep(), _json_too_deep_at(text))
    if values > MAX_VALUES:
        try:
            _count_values(text)  # JSON is YAML: the parser's events say where the limit is passed
        except yaml.YAMLError as exc:
            raise _yaml_syntax(exc, text) from None
        raise SyntaxProblem(_too_many_values(), None, None, None, "limit")
    return data


_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")


def lone_surrogate(text: str) -> re.Match[str] | None:
    """The first JSON escape of half a character in `text` (`\\ud800` alone), or None.

    JSON lets such an escape stand, but half a character cannot be written as UTF-8: every output
    (YAML, HTML, PDF, Parquet, the terminal) would fail on it later. Only a high half followed at
    once by a low half makes a character."""
    # An even run of backslashes before the u is escaped backslashes: text, not an escape.
    escapes = [m for m in _SURROGATE_ESCAPE.finditer(text) if len(m.group(1)) % 2]
    i = 0
    while i < len(escapes):
        half = escapes[i]
        if half.group(2)[1].lower() in "89ab" and i + 1 < len(escapes):
            other = escapes[i + 1]
            if (
                other.start() == half.end()
                and len(other.group(1)) == 1
                and other.group(2)[1].lower() in "cdef"
            ):
                i += 2
                continue
        return half
    return None


def _refuse_lone_surrogates(text: str) -> None:
    half = lone_surrogate(text)
    if half is not None:
        raise _located(
            text,
            f"the escape \\u{half.group(2)} is half of a character (a lone surrogate), which no "
            "text can hold; write the character itself, or both halves of its pair",
            half.end() - 6,
        )


def _json_size(data: Any) -> tuple[int, int]:
    """How deep JSON data is nested (up to MAX_DEPTH + 1) and how many values it holds, keys
    counted as in YAML."""
    deepest, values = 0, 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        values += 1
        if isinstance(value, dict):
            values += len(value)
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack.extend((v, depth + 1) for v in value)
    return deepest, values


def _json_too_deep_at(text: str) -> int:
    """Where the brackets of a JSON text first open more than MAX_DEPTH levels."""
    depth, in_string, escaped = 0, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return index
        elif char in "]}":
            depth -= 1
    return 0


def _json_duplicate(text: str) -> SyntaxProblem:
    """A JSON key given twice, placed by the YAML parser (JSON is YAML)."""
    try:
        marked = _marked(text)
    except SyntaxProblem:
        marked = Marked(None)
    if marked.duplicate_keys:
        path, (line, col) = marked.duplicate_keys[0]
        return SyntaxProblem(
            f"key {shorten(str(path[-1]), 60)!r} is given twice; the later one would silently "
            "replace the earlier: keep one",
            line,
            col,
            _snippet(text, line, col),
            "duplicate",
        )
    return SyntaxProblem(
        "a key is given twice in one object; keep one", None, None, None, "duplicate"
    )


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
