"""The report model: everything a report shows, as plain data, in one language.

`build_report` gathers scores, the roadmap, the answers and the provenance of one organisation
into a dict that the Jinja2 templates only lay out: no template computes anything, so the PDF,
the HTML and the JSON attachment cannot disagree. Labels come from dtassess/labels.py
(`LABELS`, zh and en).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..inputs.questionnaire import Questionnaire, localize
from ..labels import by_language
from ..roadmap import MIN_GROUP_SIZE, PHASES, Roadmap

if TYPE_CHECKING:
    from ..inputs.responses import ResponseSet
    from ..scoring.scores import ScoreResult

# The texts live in dtassess/labels.py with every other language\'s; the name stays for readers.
LABELS = by_language("report")

FORMULAS = by_language("formulas")


def source_files(sources: list[str]) -> list[str]:
    """The files that responses came from, each once and sorted: a response file, or the
    export that a row (`export.csv:17`) was read from."""
    files = set()
    for source in sources:
        head, _, row = source.rpartition(":")
        files.add(head if row.isdigit() and head and not Path(source).exists() else source)
    return sorted(files)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _num(value: Any, digits: int = 1) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def build_report(
    result: ScoreResult,
    responses: ResponseSet,
    roadmap: Roadmap,
    lang: str,
    date: dt.date,
    min_group_size: int = MIN_GROUP_SIZE,
) -> dict[str, Any]:
    """The plain-data model of one organisation's report in one language.

    As `dtassess report`, it refuses (ValueError) an organisation of fewer than
    `min_group_size` respondents, lists no unit or role of fewer, and quotes a note with its
    unit and role only where that many respondents share them (docs/report.md, Small groups).
    """
    q = result.questionnaire
    words = LABELS.get(lang, LABELS["en"])
    group = roadmap.group
    if group["respondents"] < min_group_size:
        raise ValueError(
            f"{group['organization']} has {group['respondents']} respondent(s), fewer than "
            f"min_group_size={min_group_size}: its report could identify them"
        )
    meta = responses.meta
    mask = (meta["organization"].fillna("") == group["organization"]) & (
        meta["period"].fillna("") == (group["period"] or "")
    )
    rows = [i for i, keep in enumerate(mask.to_numpy()) if keep]
    current = roadmap.current

    def level_name(level: int | None) -> str:
        if not level:
            return "—"
        return localize(next(lv.name for lv in q.scale if lv.level == level), lang)

    def level_text(level: int | None) -> str:
        if not level:
            return ""
        found = next(lv for lv in q.scale if lv.level == level)
        return localize(found.description, lang)

    def node_entry(node_id: str) -> dict[str, Any]:
        table = result.table
        row = table[
            (table["node"] == node_id)
            & (table["organization"] == group["organization"])
            & (table["period"] == (group["period"] or ""))
        ].iloc[0]
        level = int(row["level"]) or None
        return {
            "id": node_id,
            "title": q.title_of(node_id, lang),
            "score": _num(row["score"]),
            "level": level,
            "level_name": level_name(level),
            "level_description": level_text(level),
            "coverage": _num(row["coverage"], 3),
            "n": int(row["n"]),
            "sd": _num(row["sd"]),
        }

    # Each node's own target, derived as every other's (docs/roadmap.md), never its children's max.
    targets_by_top = {top.id: roadmap.targets.get(top.id) for top in q.dimensions}

    dimensions = []
    for top in q.dimensions:
        entry = node_entry(top.id)
        entry["description"] = localize(top.description, lang)
        entry["aggregate"] = top.aggregate
        entry["target"] = targets_by_top[top.id]
        entry["target_name"] = level_name(targets_by_top[top.id])
        entry["subdimensions"] = []
        for sub in top.dimensions:
            sub_entry = node_entry(sub.id)
            sub_target = roadmap.targets.get(sub.id)
            sub_entry["target"] = sub_target
            sub_entry["target_name"] = level_name(sub_target)
            sub_entry["aggregate"] = sub.aggregate
            entry["subdimensions"].append(sub_entry)
        entry["questions"] = _question_rows(q, responses, rows, top, lang)
        entry["notes"] = _notes(q, responses, rows, top, lang, min_group_size)
        dimensions.append(entry)

    leaves = [d for d in q.nodes if not d.dimensions and current[d.id]["score"] is not None]
    ranked = sorted(leaves, key=lambda d: (-current[d.id]["score"], d.id))
    strengths = [node_entry(d.id) for d in ranked[:3]]
    weakest_first = sorted(leaves, key=lambda d: (current[d.id]["score"], d.id))
    gap_list = [node_entry(d.id) for d in weakest_first[:3]]

    phases = []
    for phase in roadmap.phases:
        actions = [_action(q, a, lang, level_name) for a in phase.actions]
        moved = []
        for top in q.dimensions:
            before = current[top.id]
            after = phase.projection[top.id]
            moved.append(
                {
                    "title": localize(top.title, lang),
                    "score_before": _num(before["score"]),
                    "score_after": _num(after["score"]),
                    "level_before": level_name(before["level"]),
                    "level_after": level_name(after["level"]),
                }
            )
        overall_after = phase.projection["overall"]
        phases.append(
            {
                "phase": phase.phase,
                "label": words[f"phase_{phase.phase}"],
                "months": list(phase.months),
                "actions": actions,
                "projection": moved,
                "overall_after": {
                    "score": _num(overall_after["score"]),
                    "level": overall_after["level"],
                    "level_name": level_name(overall_after["level"]),
                },
            }
        )

    sources = source_files(meta["source"].iloc[rows].tolist())
    units = Counter(meta["unit"].iloc[rows].fillna("—").tolist())
    roles = Counter(meta["role"].iloc[rows].fillna("—").tolist())
    by_unit, small_units = _listed(units, min_group_size)
    by_role, small_roles = _listed(roles, min_group_size)
    model = {
        "lang": lang,
        "labels": words,
        "title": words["report"],
        "organization": {
            "id": group["organization"],
            "name": group["organization_name"] or group["organization"],
        },
        "period": group["period"],
        "date": date.isoformat(),
        "questionnaire": {
            "id": q.id,
            "version": q.version,
            "title": localize(q.title, lang),
            "hash": q.hash,
        },
        "overall": node_entry("overall"),
        "respondents": group["respondents"],
        "summary": {
            "strengths": strengths,
            "gaps": gap_list,
            "first_phase": phases[0]["actions"] if phases else [],
        },
        "radar": [
            {
                "title": localize(top.title, lang),
                "score": _num(current[top.id]["score"]),
                "target": _target_score(q, targets_by_top[top.id]),
            }
            for top in q.dimensions
        ],
        "dimensions": dimensions,
        "findings": _findings(roadmap, lang),
        "roadmap": {"phases": phases, "actions": sum(len(p["actions"]) for p in phases)},
        "methodology": {
            "scale": [
                {
                    "level": lv.level,
                    "name": localize(lv.name, lang),
                    "description": localize(lv.description, lang),
                    "min": lv.min,
                    "max": nxt.min if nxt else q.score_range[1],
                }
                for lv, nxt in zip(q.scale, [*q.scale[1:], None], strict=True)
            ],
            "weights": [
                {
                    "title": localize(d.title, lang),
                    "depth": d.depth,
                    "weight": d.weight,
                    "aggregate": d.aggregate,
                }
                for d in q.nodes
            ],
            "formulas": FORMULAS.get(lang, FORMULAS["en"]),
            "by_unit": by_unit,
            "by_role": by_role,
            "small_units": small_units,
            "small_roles": small_roles,
            "min_group_size": min_group_size,
            "score_range": list(q.score_range),
        },
        "provenance": {
            "questionnaire": q.ref,
            "questionnaire_hash": q.hash,
            # A file name such as 03-caizheng-xinxihua.yaml names a unit and a role: shown only
            # where groups of one are (min_group_size 1); the digest still identifies the file.
            "files": [
                {"path": Path(s).name if min_group_size <= 1 else "", "sha256": file_sha256(s)}
                for s in sources
            ],
            "names_withheld": min_group_size > 1,
            "tool": f"dtassess {__version__}",
        },
    }
    return model


def _listed(counts: Counter, min_group_size: int) -> tuple[list[tuple[str, int]], int]:
    """The groups of `min_group_size` or more respondents, sorted, and how many were smaller."""
    listed = sorted((k, n) for k, n in counts.items() if n >= min_group_size)
    return listed, len(counts) - len(listed)


def _target_score(q: Questionnaire, level: int | None) -> float | None:
    if level is None:
        return None
    return next(lv.min for lv in q.scale if lv.level == level)


def _action(q: Questionnaire, action, lang: str, level_name) -> dict[str, Any]:
    words = LABELS.get(lang, LABELS["en"])
    return {
        "id": action.id,
        "title": localize(action.title, lang),
        "description": localize(action.description, lang),
        "dimension": q.title_of(action.dimension, lang),
        "reach": action.reach,
        "reach_name": level_name(action.reach),
        "effort": words[action.effort],
        "impact": words[action.impact],
        "phase": action.phase,
        "priority": round(action.priority, 4),
        "start_month": action.start_month,
        "finish_month": action.finish_month,
        "quick_win": action.quick_win,
    }


def _question_rows(q, responses, rows, top, lang) -> list[dict[str, Any]]:
    """One row per question of a top dimension: the typical answer in words, and the spread."""
    from ..scoring.engine import answer_matrix

    subset = responses.answers.iloc[rows].reset_index(drop=True)
    matrix = answer_matrix(q, subset)
    index = {x.id: j for j, x in enumerate(q.questions) if x.is_scored}
    scored = [x for x in q.questions if x.is_scored]
    out = []
    for dim in top.walk():
        for question in dim.questions:
            values = [v for v in subset[question.id].tolist() if v is not None]
            entry: dict[str, Any] = {
                "id": question.id,
                "dimension": localize(dim.title, lang),
                "text": localize(question.text, lang),
                "answers": len([v for v in values if v != "na"]),
                "na": len([v for v in values if v == "na"]),
            }
            if question.id in index:
                j = scored.index(question)
                valid = matrix.valid[:, j] > 0
                scores = matrix.scores[valid, j]
                entry["score"] = _num(scores.mean() * 100) if len(scores) else None
                entry["spread"] = (
                    f"{_num(scores.min() * 100, 0):g}–{_num(scores.max() * 100, 0):g}"
                    if len(scores) > 1
                    else ""
                )
            else:
                entry["score"] = None
                entry["spread"] = ""
            entry["answer"] = _answer_in_words(question, values, lang)
            out.append(entry)
    return out


def _answer_in_words(question, values, lang: str) -> str:
    answered = [v for v in values if v != "na"]
    if not answered:
        return "N/A" if values else "—"
    if question.type == "number":
        numbers = sorted(float(v) for v in answered)
        middle = numbers[(len(numbers) - 1) // 2]
        unit = localize(question.unit, lang)
        return f"{middle:g}{(' ' + unit) if unit else ''}"
    if question.type == "text":
        return "; ".join(str(v) for v in answered)
    if question.type == "multi":
        counts = Counter(x for v in answered for x in (v if isinstance(v, tuple) else (v,)))
        labels = []
        for option in question.options:
            if counts.get(option.value):
                labels.append(f"{localize(option.label, lang)} ({counts[option.value]})")
        return "; ".join(labels)
    picks = sorted(
        (question.match(v) for v in answered if question.match(v) is not None),
        key=lambda o: o.score,
    )
    if not picks:
        return "—"
    middle = picks[(len(picks) - 1) // 2]
    label = localize(middle.label, lang)
    return f"{middle.value}. {label}" if question.type == "level" else label


def _notes(q, responses, rows, top, lang, min_group_size=MIN_GROUP_SIZE) -> list[dict[str, Any]]:
    inside = {x.id for d in top.walk() for x in d.questions}
    notes = responses.notes
    who = _attributions(responses.meta, rows, min_group_size)
    ids = responses.meta["respondent"]
    order = {x.id: i for i, x in enumerate(q.questions)}
    found = []
    for row in notes.itertuples(index=False):
        if row.row not in rows or row.question not in inside:
            continue
        entry = {
            "question": localize(q.question(row.question).text, lang),
            **who[row.row],
            "note": row.note,
            "evidence": list(row.evidence),
        }
        # In questionnaire order, then by respondent id even where the id is not shown.
        found.append(((order[row.question], str(ids.iloc[row.row])), entry))
    found.sort(key=lambda pair: pair[0])
    return [entry for _, entry in found]


def _attributions(meta, rows, min_group_size: int) -> dict[int, dict[str, str]]:
    """Who each respondent's quotes name: the unit only when `min_group_size` or more of the
    report's respondents are in it, the role only when that many of the unit share it, the
    respondent id only when groups of one are shown (`min_group_size` 1). A role held by one
    person of a unit names that person as surely as a unit of one does."""
    people = meta.iloc[rows]
    units = people["unit"].fillna("").astype(str).tolist()
    roles = people["role"].fillna("").astype(str).tolist()
    unit_size = Counter(units)
    cell_size = Counter(zip(units, roles, strict=True))
    found = {}
    for row, unit, role, respondent in zip(
        rows, units, roles, people["respondent"].tolist(), strict=True
    ):
        named = unit_size[unit] >= min_group_size
        found[row] = {
            "unit": unit if named else "",
            "role": role if named and cell_size[(unit, role)] >= min_group_size else "",
            "respondent": str(respondent or "") if min_group_size <= 1 else "",
        }
    return found


def _findings(roadmap: Roadmap, lang: str) -> dict[str, list[dict[str, Any]]]:
    def text(entry: dict | None) -> str | None:
        return None if entry is None else localize(entry["label"], lang)

    weakest = [
        {
            "text": localize(f["text"], lang),
            "score": _num(f["score"] * 100),
            "weight_share": _num(f["weight_share"] * 100),
            "chosen": text(f["chosen"]),
            "next": text(f["next"]),
        }
        for f in roadmap.findings["weakest"]
    ]
    disagreements = [
        {
            "text": localize(f["text"], lang),
            "sd": _num(f["sd"] * 100),
            "lowest": text(f.get("lowest")),
            "highest": text(f.get("highest")),
        }
        for f in roadmap.findings["disagreements"]
    ]
    return {"weakest": weakest, "disagreements": disagreements}


def report_phases() -> tuple[dict[str, Any], ...]:
    return PHASES


# --------------------------------------------------------------------------- rendering

ATTACHMENT = "dtassess-results.json"


def charts_for(
    model: dict[str, Any],
    score_range: tuple[float, float],
    rings: list[float],
    palette: dict[str, str] | None = None,
):
    """Every chart of the report, drawn once from the model, for PDF and HTML alike.

    The brand's colours go into the SVG itself: WeasyPrint does not apply the page's
    stylesheet inside an SVG image.
    """
    from . import charts

    words = model["labels"]
    return {
        "radar": charts.radar(model["radar"], score_range, rings, words, palette=palette),
        "timeline": charts.timeline(model["roadmap"]["phases"], words, palette=palette),
        "bars": {
            dim["id"]: charts.bars(dim["subdimensions"], score_range, rings, palette=palette)
            for dim in model["dimensions"]
        },
    }


def finish_document(
    model: dict[str, Any],
    html: str,
    folder: Path,
    fmt: str,
    attachment: tuple[str, bytes, str],
    variant: str | None = None,
) -> bytes:
    """A rendered report's HTML as self-contained HTML, or as a PDF carrying `attachment`
    (name, bytes, description), its metadata taken from the model."""
    from .output import markup_text
    from .render import render_html_file, render_pdf

    # Names, units and notes can hold control characters that no HTML (or XML) may carry.
    html = markup_text(html)
    if fmt == "html":
        return render_html_file(html, root=folder).encode("utf-8")
    pdf = render_pdf(
        html,
        root=folder,
        lang=model["lang"],
        title=markup_text(f"{model['title']} · {model['organization']['name']}"),
        author=markup_text(model["organization"]["name"] or ""),
        subject=markup_text(model["questionnaire"]["title"]),
        created=dt.date.fromisoformat(model["date"]),
        attachments=[attachment],
        variant=variant,
    )
    return pdf.data if hasattr(pdf, "data") else pdf


def attachment_for(result: ScoreResult, roadmap: Roadmap) -> bytes:
    """The numbers that travel inside the PDF: this organisation's scores and its roadmap."""
    import json

    from .output import to_json_dict

    doc = to_json_dict(result)
    group = roadmap.group
    doc["groups"] = [
        g
        for g in doc["groups"]
        if g["organization"] == group["organization"] and g["period"] == group["period"]
    ]
    doc["respondents"] = group["respondents"]
    doc["roadmap"] = roadmap.to_dict()
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def report_names(roadmaps: Sequence[Roadmap], lang: str, fmt: str) -> list[str]:
    """File names of organisations' reports written to one folder: organisation, period and
    language, made safe (dtassess.files.safe_names)."""
    from ..files import safe_names

    keys = [(r.group["organization"], r.group["period"], lang) for r in roadmaps]
    stems = ["-".join(str(p) for p in key if p) for key in keys]
    return safe_names(stems, f".{fmt}", keys=keys)


def scores_from_reports(
    paths: list[Path], questionnaire: Questionnaire | None = None, min_group_size: int = 1
):
    """The scores that PDF reports carry, as a ScoreResult (grouped by organization), without
    the organizations of fewer than `min_group_size` respondents (as `score` withholds them)."""
    import pandas as pd

    from ..errors import DtassessError, Problem
    from ..scoring.engine import STAT_COLUMNS, levels_of, withhold_small_groups
    from ..scoring.scores import ScoreResult
    from .readback import check_ranges, parse_results, results_questionnaire
    from .render import read_attachment

    docs = []
    for path in paths:
        data = read_attachment(Path(path), ATTACHMENT)
        if data is None:
            raise DtassessError(
                Problem("F006", f"{path} carries no dtassess results ({ATTACHMENT})", str(path))
            )
        docs.append((path, parse_results(data, str(path), ATTACHMENT)))
    q = results_questionnaire(docs, questionnaire)
    for path, doc in docs:
        check_ranges(doc, q, str(path), ATTACHMENT)
    rows = []
    for _, doc in docs:
        for group in doc["groups"]:
            for node in q.node_ids:
                values = group["scores"].get(node, {})
                rows.append(
                    {
                        "organization": group["organization"] or "",
                        "period": group["period"] or "",
                        "organization_name": group["organization_name"] or "",
                        "respondents": group["respondents"],
                        "node": node,
                        "depth": 0 if node == "overall" else q.node(node).depth,
                        "score": values.get("score"),
                        "coverage": values.get("coverage"),
                        "n": values.get("n", 0),
                        "sd": values.get("sd"),
                        # reports written before group statistics lack the fields below
                        "mean": values.get("mean", values.get("score")),
                        "median": values.get("median"),
                        "rwg": values.get("rwg"),
                        "alpha": values.get("alpha"),
                        "low_agreement": "low_agreement" in values.get("flags", ()),
                        "low_consistency": "low_consistency" in values.get("flags", ()),
                    }
                )
    # columns named, so that reports without groups give an empty table, not a KeyError
    names = ["organization", "period", "organization_name", "respondents", "node", "depth",
             "score", "coverage", "n", "sd", "mean", "median", "rwg", "alpha", "low_agreement",
             "low_consistency"]  # fmt: skip
    table = pd.DataFrame(rows, columns=names)
    for column in ("score", "coverage", "sd", "mean", "median", "rwg", "alpha"):
        table[column] = pd.to_numeric(table[column]).astype(float)
    table["level"] = levels_of(q, table["score"].to_numpy())
    columns = ["organization", "period", "organization_name", "respondents", "node", "depth",
               "score", "level", "coverage", "n", "sd", *STAT_COLUMNS]  # fmt: skip
    table, withheld = withhold_small_groups(table[columns], "organization", min_group_size)
    respondents = sum(g["respondents"] for _, d in docs for g in d["groups"])
    meta = pd.DataFrame(index=range(respondents))
    return ScoreResult(
        q,
        "organization",
        "mean",
        meta,
        None,
        table,
        withheld,
        min_group_size,  # type: ignore[arg-type]
    )
