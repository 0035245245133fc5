"""Scores as machines and people read them: JSON (docs/json-output.md), CSV, a terminal table.

All three are drawn from the same long table that `engine.group_scores` returns, so they cannot
disagree. Machine outputs (JSON, CSV, Parquet) carry every number at full double precision, so
that two engines or a published framework's own figures can be compared exactly; only the terminal
table rounds, for people (and the CI outputs' messages, reporting/ci.py).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from keyword import iskeyword
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..inputs.questionnaire import Questionnaire, localize
from ..labels import by_language, translations

if TYPE_CHECKING:
    from rich.console import Console

    from ..scoring.scores import ScoreResult
    from ..scoring.thresholds import Check, Drop

SCHEMA_ID = "dtassess.scores/1"
DECIMALS = 4  # for people: the terminal table's numbers (machine outputs are never rounded)


def _full(value: Any) -> float | None:
    """A number for machines: a Python float at full precision (JSON writes it so that it reads
    back to the same double), None for missing or NaN."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _num(value: Any, decimals: int = DECIMALS) -> float | None:
    """A number for people, rounded to `decimals`."""
    value = _full(value)
    return None if value is None else round(value, decimals)


def _key_fields(result: ScoreResult) -> list[str]:
    from ..scoring.engine import group_keys

    return list(group_keys(result.by))


def _rows(result: ScoreResult) -> list[Any]:
    """The table's rows, each column an attribute by its name: a profile question's id (a key
    with `--by profile.position`) is no Python name, which itertuples would rename."""
    table = result.table
    named = all(
        isinstance(c, str) and c.isidentifier() and not iskeyword(c) and not c.startswith("_")
        for c in table.columns
    )
    if named:
        return list(table.itertuples(index=False))
    from types import SimpleNamespace

    return [SimpleNamespace(**row) for row in table.to_dict("records")]


def _groups(result: ScoreResult) -> list[list[Any]]:
    """The table's rows, one list per group.

    Every group has exactly one row per node, in node order, so the table is cut into runs of
    that length; two groups with equal keys (one respondent id in two files) stay apart.
    """
    rows = _rows(result)
    size = len(result.questionnaire.node_ids)
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def questionnaire_summary(q: Questionnaire) -> dict[str, Any]:
    nodes = [
        {
            "id": "overall",
            "parent": None,
            "depth": 0,
            "weight": 1.0,
            "aggregate": q.aggregate,
            "title": translations("questionnaire", "overall"),
        }
    ]
    for dim in q.nodes:
        nodes.append(
            {
                "id": dim.id,
                "parent": dim.parent or "overall",
                "depth": dim.depth,
                "weight": dim.weight,
                "aggregate": dim.aggregate,
                "title": dict(dim.title),
            }
        )
    return {
        "id": q.id,
        "version": q.version,
        "hash": q.hash,
        "title": dict(q.title),
        "score_range": list(q.score_range),
        "unanswered": q.unanswered,
        "scale": [{"level": lv.level, "name": dict(lv.name), "min": lv.min} for lv in q.scale],
        "nodes": nodes,
    }


FLAGS = ("low_agreement", "low_consistency")


def _flags(row: Any) -> list[str]:
    """The names of a row's flags that are set (docs/scoring.md, section 6)."""
    return [name for name in FLAGS if bool(getattr(row, name, False))]


def to_json_dict(
    result: ScoreResult, checks: list[Check] | None = None, drops: list[Drop] | None = None
) -> dict[str, Any]:
    """The documented JSON document (schema: dtassess/schemas/scores.schema.json)."""
    keys = _key_fields(result)
    groups: list[dict[str, Any]] = []
    for rows in _groups(result):
        first = rows[0]
        group: dict[str, Any] = {k: (getattr(first, k) or None) for k in keys}
        group["organization_name"] = first.organization_name or None
        group["respondents"] = int(first.respondents)
        group["scores"] = {
            row.node: {
                "score": _full(row.score),
                "level": int(row.level) or None,
                "coverage": _full(row.coverage),
                "n": int(row.n),
                "sd": _full(row.sd),
                "mean": _full(row.mean),
                "median": _full(row.median),
                "rwg": _full(row.rwg),
                "alpha": _full(row.alpha),
                "flags": _flags(row),
                **_changes(result, row),
            }
            for row in rows
        }
        if result.periods:
            group["previous_period"] = first.previous_period or None
        groups.append(group)
    doc: dict[str, Any] = {
        "format": SCHEMA_ID,
        "tool": {"name": "dtassess", "version": __version__},
        "questionnaire": questionnaire_summary(result.questionnaire),
        "by": result.by,
        "statistic": result.statistic,
        "respondents": len(result.meta),
        "groups": groups,
    }
    if result.periods:
        doc["periods"] = list(result.periods)
    if result.left_out:
        doc["left_out"] = [{"question": q, "reason": why} for q, why in result.left_out]
    if checks is not None:
        doc["thresholds"] = [
            {
                "group": c.group,
                "node": c.node,
                "bar": c.bar,
                "score": _full(c.score),
                "passed": c.passed,
            }
            for c in checks
        ]
    if drops is not None:
        doc["drops"] = [
            {
                "group": d.group,
                "node": d.node,
                "max_drop": d.limit,
                "score": _full(d.score),
                "previous_period": d.previous_period,
                "change": _full(d.change),
                "passed": d.passed,
            }
            for d in drops
        ]
    return doc


def _changes(result: ScoreResult, row: Any) -> dict[str, Any]:
    """A node's change and trend over several periods (nothing with one period)."""
    if not result.periods:
        return {}
    found = {"change": _full(row.change), "trend": _full(row.trend)}
    if result.left_out:
        found["comparable_score"] = _full(row.comparable_score)
    return found


def to_json(
    result: ScoreResult, checks: list[Check] | None = None, drops: list[Drop] | None = None
) -> str:
    return json.dumps(to_json_dict(result, checks, drops), ensure_ascii=False, indent=2) + "\n"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice
    for CSV injection); numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def rows_for(result: ScoreResult, lang: str) -> tuple[list[str], list[list[Any]]]:
    """The header and rows shared by CSV and Parquet: one row per group and node."""
    q = result.questionnaire
    keys = _key_fields(result)
    header = [*keys, "organization_name", "respondents", "node", "title", "depth", "score",
              "level", "level_name", "coverage", "n", "sd", "mean", "median", "rwg", "alpha",
              "low_agreement", "low_consistency"]  # fmt: skip
    extra = list(_change_columns(result))
    header += extra
    names = {lv.level: localize(lv.name, lang) for lv in q.scale}
    rows = [
        [
            *(getattr(row, k) or "" for k in keys),
            row.organization_name or "",
            int(row.respondents),
            row.node,
            q.title_of(row.node, lang),
            int(row.depth),
            _full(row.score),
            int(row.level) or None,
            names.get(int(row.level), ""),
            _full(row.coverage),
            int(row.n),
            _full(row.sd),
            _full(row.mean),
            _full(row.median),
            _full(row.rwg),
            _full(row.alpha),
            bool(row.low_agreement),
            bool(row.low_consistency),
            *(
                (getattr(row, c) or "") if c == "previous_period" else _full(getattr(row, c))
                for c in extra
            ),
        ]
        for row in _rows(result)
    ]
    return header, rows


def _change_columns(result: ScoreResult) -> tuple[str, ...]:
    if not result.periods:
        return ()
    both = ("comparable_score",) if result.left_out else ()
    return ("previous_period", *both, "change", "trend")


def to_csv(result: ScoreResult, lang: str) -> str:
    """One row per group and node; cells that look like formulas are neutralised."""
    header, rows = rows_for(result, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        # Numbers are formatted after the check, so that a negative alpha stays a number; repr
        # is the shortest text that reads back to the same double.
        writer.writerow(
            ["" if v is None else repr(v) if isinstance(v, float) else _cell(v) for v in row]
        )
    return buffer.getvalue()


def to_parquet(result: ScoreResult, lang: str) -> bytes:
    """The CSV's rows as a Parquet file (typed columns, for pandas, DuckDB, Spark...)."""
    import pandas as pd

    header, rows = rows_for(result, lang)
    frame = pd.DataFrame(rows, columns=header)
    floats = ("score", "coverage", "sd", "mean", "median", "rwg", "alpha")
    for column in floats + tuple(c for c in _change_columns(result) if c != "previous_period"):
        frame[column] = frame[column].astype("float64")
    for column in FLAGS:
        frame[column] = frame[column].astype("bool")
    frame["level"] = frame["level"].astype("Int64")
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except ImportError as exc:
        from ..errors import DtassessError, Problem

        raise DtassessError(
            Problem("F001", f"Parquet output needs pyarrow: pip install pyarrow ({exc})")
        ) from None
    return buffer.getvalue()


# Characters XML 1.0 cannot carry at all (C0 controls but tab, line feed and carriage return;
# lone surrogates, which a JSON response can hold; U+FFFE and U+FFFF), and those HTML calls
# parse errors (DEL and the C1 controls).
_NOT_FOR_MARKUP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def markup_text(text: str) -> str:
    """`text` without the characters that would make XML invalid or HTML broken.

    They are removed, not escaped: XML 1.0 has no escape for them, and in a name, unit or note
    they carry nothing a reader could see. The input files and the JSON keep them unchanged.
    Used for the JUnit file and for every HTML (and so PDF) report (docs/report.md).
    """
    return _NOT_FOR_MARKUP.sub("", text)


def _fmt(value: Any) -> str:
    number = _num(value)
    return "" if number is None else f"{number:g}"


# The texts live in dtassess/labels.py with every other language\'s; the name stays for readers.
LABELS = by_language("tables")


def table_text(result: ScoreResult, lang: str) -> str:
    """The terminal's tables as plain text, 120 columns wide, for a file."""
    import io

    from rich.console import Console

    console = Console(record=True, width=120, file=io.StringIO())
    print_table(result, console, lang)
    return console.export_text()


def print_table(result: ScoreResult, console: Console, lang: str) -> None:
    """A rich table per group, the dimension tree indented, a bar beside each score."""
    from rich.table import Table
    from rich.text import Text

    q = result.questionnaire
    words = LABELS.get(lang, LABELS["en"])
    keys = _key_fields(result)
    low, high = q.score_range
    names = {lv.level: localize(lv.name, lang) for lv in q.scale}
    for rows in _groups(result):
        first = rows[0]
        parts = [first.organization_name or first.organization]
        parts += [str(getattr(first, k)) for k in keys[1:] if getattr(first, k)]
        # Names come from response files: no escape sequence of theirs reaches the terminal.
        title = markup_text(f"{localize(q.title, lang)} · " + " · ".join(parts))
        count = int(first.respondents)
        noun = words["respondent"] if count == 1 else words["respondents"]
        caption = f"{count} {noun} · {q.ref}"
        flagged = any(_flags(row) for row in rows)
        if flagged:
            caption += "\n" + words["flag"]
        # Text, not markup: a unit called "[/bold]" is a name, not a tag.
        table = Table(
            title=Text(title), caption=Text(caption), title_justify="left", caption_justify="left"
        )
        # Numbers are never cut short: long titles wrap, and bars go when the terminal is narrow.
        with_bars = console.width >= 100
        table.add_column(words["node"], overflow="fold")
        table.add_column(words["score"], justify="right", no_wrap=True)
        if with_bars:
            table.add_column("", no_wrap=True)
        table.add_column(words["level"], no_wrap=True)
        table.add_column(words["coverage"], justify="right", no_wrap=True)
        if result.periods:
            table.add_column(words["change"], justify="right", no_wrap=True)
        if result.by != "respondent":
            table.add_column(words["n"], justify="right", no_wrap=True)
            table.add_column(words["sd"], justify="right", no_wrap=True)
            if flagged:
                table.add_column("", no_wrap=True)  # "!" beside a flagged row, legend below
        for row in rows:
            label = "  " * int(row.depth) + markup_text(q.title_of(row.node, lang))
            style = "bold" if row.depth <= 1 else ""
            score = _num(row.score, 1)
            share = 0.0 if score is None else (score - low) / (high - low)
            bar = Text("█" * round(share * 10) + "░" * (10 - round(share * 10)), style="cyan")
            level = f"{int(row.level)} {names.get(int(row.level), '')}" if row.level else "—"
            coverage = _num(row.coverage, 2)
            cells: list[Text | str] = [
                Text(label, style=style),
                "—" if score is None else f"{score:.1f}",
                *([bar] if with_bars else []),
                level,
                "—" if coverage is None else f"{coverage:.0%}",
            ]
            if result.periods:
                cells.append(_signed(row.change))
            if result.by != "respondent":
                sd = _num(row.sd, 1)
                cells += [str(int(row.n)), "—" if sd is None else f"{sd:.1f}"]
                if flagged:
                    cells.append(Text("!" if _flags(row) else "", style="bold yellow"))
            table.add_row(*cells)
        console.print(table)


def _signed(value: Any) -> Any:
    from rich.text import Text

    change = _num(value, 1)
    if change is None:
        return "—"
    style = "green" if change > 0 else "red" if change < 0 else ""
    return Text(f"{change:+.1f}".replace("-", "−"), style=style)


ROADMAP_WORDS = by_language("roadmap")


def print_roadmap(roadmap: Any, q: Questionnaire, console: Console, lang: str) -> None:
    """The roadmap for people: one table per phase, and where the phase leads."""
    from rich.table import Table
    from rich.text import Text

    words = ROADMAP_WORDS.get(lang, ROADMAP_WORDS["en"])
    names = {lv.level: localize(lv.name, lang) for lv in q.scale}
    group = roadmap.group
    value = group.get(group["by"]) if group.get("by") else None  # --by unit, role, ...
    heading = " · ".join(
        str(x)
        for x in (group["organization_name"] or group["organization"], value, group["period"])
        if x
    )
    # A Text, not markup: a name such as "[/bold]" is shown as it is, never parsed.
    title = markup_text(f"{localize(q.title, lang)} · {heading}")
    console.print(Text(title, style="bold"), highlight=False)
    if not roadmap.actions and not roadmap.later:
        _print_gaps(roadmap, q, console, lang)
        return
    if not roadmap.projected:
        console.print(words["unprojected"], highlight=False)
    for phase in roadmap.phases:
        if not phase.actions:
            continue
        low, high = phase.months
        title = f"{words['phase']} {phase.phase} · {low}-{high} {words['months']}"
        table = Table(title=title, title_justify="left")
        table.add_column(words["action"], overflow="fold")
        table.add_column(words["dimension"], overflow="fold")
        table.add_column(words["reach"], no_wrap=True)
        table.add_column(words["effort"], no_wrap=True)
        table.add_column(words["impact"], no_wrap=True)
        for action in phase.actions:
            star = f" ({words['quick_win']})" if action.quick_win else ""
            table.add_row(
                markup_text(localize(action.title, lang)) + star,
                markup_text(q.title_of(action.dimension, lang)),
                f"{action.reach} {names.get(action.reach, '')}",
                words[action.effort],
                words[action.impact],
            )
        console.print(table)
        after = phase.projection["overall"]
        score = after["score"]
        level = after["level"]
        console.print(
            f"{words['after']}: {score:.1f} · {level} {names.get(level, '')}"
            if score is not None
            else f"{words['after']}: —",
            highlight=False,
        )
    if roadmap.later:
        text = words["later"].format(capacity=roadmap.capacity, count=len(roadmap.later))
        console.print(text, highlight=False)


def _print_gaps(roadmap: Any, q: Questionnaire, console: Console, lang: str) -> None:
    """A roadmap without actions: "nothing to do" only when every dimension is at its target;
    otherwise why there are no actions, the gaps by top dimension and the weakest questions."""
    from rich.table import Table
    from rich.text import Text

    words = ROADMAP_WORDS.get(lang, ROADMAP_WORDS["en"])
    names = {lv.level: localize(lv.name, lang) for lv in q.scale}
    gaps = [g for g in roadmap.dimensions if g.depth == 1 and g.gap_levels > 0]
    if not gaps:
        console.print(words["none"])
        return
    console.print(words["no_catalogue" if not roadmap.catalogue else "no_actions"], highlight=False)
    table = Table(title=words["gaps"], title_justify="left")
    table.add_column(words["dimension"], overflow="fold")
    table.add_column(words["score"], justify="right", no_wrap=True)
    table.add_column(words["level"], no_wrap=True)
    table.add_column(words["target"], no_wrap=True)
    table.add_column(words["to_target"], justify="right", no_wrap=True)
    for gap in gaps:
        table.add_row(
            markup_text(localize(gap.title, lang)),
            "—" if gap.score is None else f"{gap.score:.1f}",
            f"{gap.level} {names.get(gap.level, '')}" if gap.level else "—",
            f"{gap.target} {names.get(gap.target, '')}",
            f"{gap.gap_score:.1f}",
        )
    console.print(table)
    weakest = roadmap.findings.get("weakest") or []
    if weakest:
        low, high = q.score_range
        console.print(Text(words["weakest"], style="bold"), highlight=False)
        for entry in weakest:
            score = low + entry["score"] * (high - low)
            text = markup_text(localize(entry["text"], lang))
            console.print(Text(f"  {score:.1f}  {text}"), highlight=False)
