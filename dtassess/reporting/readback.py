"""The results a PDF report carries (`dtassess-results.json`), read back and checked.

A PDF handed to `dtassess score report.pdf` may come from anyone: its attachment is parsed with
bounds (size, nesting, no NaN or infinite numbers) and checked against the JSON Schema of the
scores (dtassess/schemas/scores.schema.json) before a single value is used, so that a broken or
forged report is a problem naming the PDF (F010), never a traceback. Nothing read from a PDF is
used as a path: the questionnaire it names is looked up among the bundled ones only.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import DtassessError, Problem, shorten
from ..inputs.yamlsource import lone_surrogate

#: The largest attachment read: one organization's scores and roadmap are some tens of KB.
RESULTS_LIMIT = 32 * 2**20
#: At most this many schema problems are listed per PDF (a forged file can have thousands).
MAX_LISTED = 20
_CODE = "F010"

# Fields of a node's scores that reports written before the group statistics lack; the reader
# takes them as missing (the schema of `score --format json` requires them).
_OPTIONAL_IN_REPORTS = ("sd", "mean", "median", "rwg", "alpha", "flags")


@cache
def report_schema() -> dict[str, Any]:
    """The scores schema as a reader of older reports applies it."""
    from importlib.resources import files

    text = files("dtassess").joinpath("schemas/scores.schema.json").read_text("utf-8")
    schema = json.loads(text)
    node = schema["$defs"]["nodeScore"]
    node["required"] = [k for k in node["required"] if k not in _OPTIONAL_IN_REPORTS]
    return schema


def parse_results(data: bytes, where: str, name: str) -> dict[str, Any]:
    """The attachment `name` of the PDF `where` as a checked scores document, or F010."""

    def fail(message: str) -> DtassessError:
        return DtassessError(Problem(_CODE, f"{name} in this PDF {message}", where))

    if len(data) > RESULTS_LIMIT:
        raise fail(f"is {len(data):,} bytes; dtassess reads results of up to {RESULTS_LIMIT:,}")
    if not data.strip():
        raise fail("is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        doc = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise fail(f"is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise fail("is not results that dtassess writes: nested too deeply") from None
    except ValueError as exc:  # NaN, an infinite number, an integer of thousands of digits
        raise fail(f"is not results that dtassess writes: {shorten(str(exc), 80)}") from None
    if "\\u" in text and lone_surrogate(text) is not None:
        raise fail("is not results that dtassess writes: it holds half a character (\\ud800)")
    found = list(check(doc, report_schema()))
    if found:
        shown = [Problem(_CODE, f"{name}: {message}", where) for message in found[:MAX_LISTED]]
        if len(found) > MAX_LISTED:
            shown.append(Problem(_CODE, f"{name}: {len(found) - MAX_LISTED} more", where))
        raise DtassessError(shown)
    return doc


def _no_constant(word: str) -> Any:
    raise ValueError(f"{word} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {shorten(text, 30)} is too large")
    return value


def results_questionnaire(docs: list[tuple[Path, dict[str, Any]]], questionnaire: Any = None):
    """The questionnaire that every report answers: `questionnaire` (-q), which the reports must
    name, or else the bundled questionnaire they name. Never a path taken from a PDF."""
    from ..resources import bundled_questionnaire_path

    refs = {f"{d['questionnaire']['id']}@{d['questionnaire']['version']}" for _, d in docs}
    if len(refs) > 1:
        shown = ", ".join(shorten(r) for r in sorted(refs))
        raise DtassessError(
            Problem("F006", f"the reports answer different questionnaires: {shown}")
        )
    if not refs:
        return questionnaire
    ref = refs.pop()
    if questionnaire is not None:
        if ref != questionnaire.ref:
            path = next(str(p) for p, _ in docs)
            raise DtassessError(
                Problem(
                    "F006",
                    f"the report answers {shorten(ref)}, not {questionnaire.ref} given with -q",
                    path,
                )
            )
        return questionnaire
    from ..inputs.questionnaire import load_questionnaire

    found = bundled_questionnaire_path(ref)
    if found is None:
        path = next(str(p) for p, _ in docs)
        raise DtassessError(
            Problem(
                "F006",
                f"the report answers {shorten(ref)}, which is not a bundled questionnaire: give "
                "its file with -q",
                path,
            )
        )
    return load_questionnaire(found)


def check_ranges(doc: dict[str, Any], q: Any, where: str, name: str) -> None:
    """Scores outside the questionnaire's range are not results dtassess wrote (F010)."""
    low, high = q.score_range
    slack = 1e-9 * (high - low)
    for i, group in enumerate(doc["groups"]):
        for node, values in group["scores"].items():
            for field in ("score", "mean", "median"):
                value = values.get(field)
                if value is not None and not low - slack <= value <= high + slack:
                    raise DtassessError(
                        Problem(
                            _CODE,
                            f"{name}: groups[{i}].scores.{shorten(node)}.{field}: {value!r} is "
                            f"outside the questionnaire's score range {low:g}-{high:g}",
                            where,
                        )
                    )


# --------------------------------------------------------------------------- the schema subset


def check(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, at: str = ""):
    """Messages for every place where `value` breaks `schema`: the JSON Schema keywords the
    scores schema uses (type, const, enum, required, properties, additionalProperties, items,
    minItems, maxItems, minimum, maximum, exclusiveMinimum, pattern, uniqueItems, $ref)."""
    root = root or schema
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    where = at or "the document"
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, kind) for kind in kinds):
            yield f"{where}: expected {' or '.join(kinds)}, got {_shown(value)}"
            return
    if "const" in schema and value != schema["const"]:
        yield f"{where}: expected {schema['const']!r}, got {_shown(value)}"
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(repr(x) for x in schema["enum"])
        yield f"{where}: expected one of {allowed}, got {_shown(value)}"
    if isinstance(value, dict):
        yield from _check_object(value, schema, root, at)
    elif isinstance(value, list):
        yield from _check_array(value, schema, root, at)
    elif isinstance(value, str) and "pattern" in schema:
        if not re.search(schema["pattern"], value):
            yield f"{where}: {_shown(value)} is not of the form {schema['pattern']}"
    elif _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            yield f"{where}: {value!r} is below {schema['minimum']}"
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            yield f"{where}: {value!r} is not above {schema['exclusiveMinimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield f"{where}: {value!r} is above {schema['maximum']}"


def _check_object(value: dict, schema: dict, root: dict, at: str):
    where = at or "the document"
    for key in schema.get("required", ()):
        if key not in value:
            yield f"{where}: missing '{key}'"
    known = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        inside = f"{at}.{shorten(key)}" if at else shorten(key)
        if key in known:
            yield from check(item, known[key], root, inside)
        elif extra is False:
            yield f"{where}: unknown field '{shorten(key)}'"
        elif isinstance(extra, dict):
            yield from check(item, extra, root, inside)


def _check_array(value: list, schema: dict, root: dict, at: str):
    where = at or "the document"
    if len(value) < schema.get("minItems", 0):
        yield f"{where}: expected at least {schema['minItems']} items, got {len(value)}"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        yield f"{where}: expected at most {schema['maxItems']} items, got {len(value)}"
    if schema.get("uniqueItems") and len({json.dumps(x, sort_keys=True) for x in value}) < len(
        value
    ):
        yield f"{where}: items repeat"
    if "items" in schema:
        for i, item in enumerate(value):
            yield from check(item, schema["items"], root, f"{at}[{i}]")


def _is(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":  # 2.0 is an integer to JSON Schema too
        is_int = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return is_int and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return False


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text '{shorten(value, 40)}'"
    return "null" if value is None else shorten(json.dumps(value), 40)
