"""Comparing periods answered with different versions of a questionnaire.

A questionnaire changes between assessments: a question is reworded under a new id, one is
dropped, one is added. A version map says which old question is which new one; only questions
that both versions ask the same way are compared, and what was left out is listed, so that a
change is never the artefact of a changed question. The format is in docs/scoring.md
("Periods").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DtassessError, ExitCode, Problem, did_you_mean
from .questionnaire import Question, Questionnaire, read_text
from .yamlsource import MAX_YAML_BYTES, SyntaxProblem, load_with_marks

DROPPED = "dropped"
KEYS = ("from", "to", "questions")


@dataclass
class VersionMap:
    """Old question id -> new id (or DROPPED), between the questionnaire `source` names and
    the one `target` names."""

    path: str
    source: str  # a bundled id or a file, as written
    target: str | None
    questions: dict[str, str] = field(default_factory=dict)


@dataclass
class Comparison:
    """Which questions of the newer questionnaire can be compared with the older one."""

    old: Questionnaire
    new: Questionnaire
    pairs: dict[str, str]  # new id -> old id, for comparable questions
    left_out: list[tuple[str, str]]  # (question, why): not compared

    @property
    def excluded(self) -> set[str]:
        """Questions of the newer questionnaire that comparisons leave out."""
        return {x.id for x in self.new.questions if x.id not in self.pairs}


def load_version_map(path: str | Path) -> VersionMap:
    """Read a version map (structure only; `compare` checks it against the questionnaires)."""
    path = str(path)
    text = read_text(Path(path), limit=MAX_YAML_BYTES)
    try:
        marked = load_with_marks(text, path)
    except SyntaxProblem as exc:
        raise DtassessError(
            Problem("V001", exc.message, path, exc.line, exc.column), ExitCode.BAD_INPUT
        ) from None
    data = marked.data
    problems: list[Problem] = []

    def add(where: tuple, message: str, key: bool = False) -> None:
        problems.append(Problem("V001", message, path, *marked.where(where, key=key)))

    if not isinstance(data, dict):
        raise DtassessError(
            Problem(
                "V001", "a version map is a mapping with from:, to: and questions:", path, 1, 1
            ),
            ExitCode.BAD_INPUT,
        )
    for where, at in marked.duplicate_keys:
        problems.append(Problem("V001", f"'{where[-1]}' is given twice; keep one", path, *at))
    for key in data:
        if key not in KEYS:
            add((key,), f"unknown key '{key}' (expected {', '.join(KEYS)})", key=True)
    source = data.get("from")
    if not isinstance(source, str) or not source:
        add(
            ("from",),
            "from: names the older questionnaire (a bundled id such as gov-dt@1.0 or a file)",
        )
    target = data.get("to")
    if target is not None and not isinstance(target, str):
        add(("to",), "to: names the newer questionnaire (gov-dt@2.0)")
    questions = data.get("questions") or {}
    if not isinstance(questions, dict):
        add(("questions",), "questions: maps old question ids to new ids or to 'dropped'")
        questions = {}
    for old, new in questions.items():
        if not isinstance(new, str):
            add(("questions", old), f"'{old}': expected a new question id or 'dropped'")
    if problems:
        raise DtassessError(problems, ExitCode.BAD_INPUT)
    clean = {str(k): v for k, v in questions.items()}
    assert isinstance(source, str)  # else a problem above
    return VersionMap(path, source, target, clean)


def compare(old: Questionnaire, new: Questionnaire, vmap: VersionMap | None) -> Comparison:
    """The comparable questions of two versions; raises DtassessError (V001) when the map
    names questions that do not exist."""
    renames = dict(vmap.questions) if vmap else {}
    problems = []
    for old_id, new_id in renames.items():
        if not old.has_question(old_id):
            hint = did_you_mean(old_id, [x.id for x in old.questions])
            problems.append(_problem(vmap, f"'{old_id}' is no question of {old.ref}{hint}"))
        elif new_id != DROPPED and not new.has_question(new_id):
            hint = did_you_mean(new_id, [x.id for x in new.questions])
            problems.append(_problem(vmap, f"'{new_id}' is no question of {new.ref}{hint}"))
    if problems:
        raise DtassessError(problems, ExitCode.BAD_INPUT)
    pairs: dict[str, str] = {}
    left_out: list[tuple[str, str]] = []
    for x in old.questions:
        target = renames.get(x.id, x.id)
        if target == DROPPED:
            left_out.append((x.id, f"dropped after {old.ref}"))
            continue
        if not new.has_question(target):
            left_out.append((x.id, f"not in {new.ref} and not in the version map"))
            continue
        why = _incompatible(x, new.question(target))
        if why:
            left_out.append((target, why))
            continue
        if target in pairs:
            left_out.append((target, f"two questions of {old.ref} map to it"))
            del pairs[target]
            continue
        pairs[target] = x.id
    for y in new.questions:
        if y.id not in pairs and not any(q == y.id for q, _ in left_out):
            left_out.append((y.id, f"new in {new.ref}"))
    return Comparison(old, new, pairs, left_out)


def same_version(q: Questionnaire) -> Comparison:
    """Every question compares with itself."""
    return Comparison(q, q, {x.id: x.id for x in q.questions}, [])


def _problem(vmap: VersionMap | None, message: str) -> Problem:
    return Problem("V001", message, vmap.path if vmap else "")


def _incompatible(old: Question, new: Question) -> str | None:
    """Why two questions cannot be compared, or None."""
    if old.type != new.type:
        return f"its type changed ({old.type} -> {new.type})"
    if old.options or new.options:
        before = {str(o.value): o.score for o in old.options}
        after = {str(o.value): o.score for o in new.options}
        if before != after:
            return "its options or their scores changed"
    if old.type == "number" and [(b.min, b.score) for b in old.bands] != [
        (b.min, b.score) for b in new.bands
    ]:
        return "its score bands changed"
    if old.type == "number" and (old.linear, old.linear and (old.min, old.max)) != (
        new.linear,
        new.linear and (new.min, new.max),
    ):
        return "its linear scoring or the range it runs over changed"
    return None


def renamed_answers(answers: Any, comparison: Comparison) -> Any:
    """An older version's answers frame under the newer version's question ids, with only the
    comparable questions."""
    import pandas as pd

    columns = {
        new_id: answers[old_id] if old_id in answers else pd.Series(None, index=answers.index)
        for new_id, old_id in comparison.pairs.items()
    }
    return pd.DataFrame(columns, index=answers.index)
