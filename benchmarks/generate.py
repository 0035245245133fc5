"""Synthetic responses for any questionnaire: answer frames for the engine, and response files.

Each respondent has a latent maturity (Beta(2.2, 2.2)), shifted per top dimension, and every
answer is that maturity plus noise mapped onto the question's options or bands, so that node
scores spread the way real surveys do instead of all sitting near 50.

    python benchmarks/generate.py -q gov-dt -n 1000 --out /tmp/answers
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from dtassess.inputs.conditions import NA
from dtassess.inputs.questionnaire import Question, Questionnaire, load_questionnaire

ROLES = ("CIO", "deputy head", "IT section chief", "data officer", "security officer", "staff")
NOISE = 0.15  # spread of one answer around the respondent's (dimension) maturity
DIMENSION_SPREAD = 0.10  # how far a respondent's top dimensions drift from their overall maturity


def _object_index(values: list) -> pd.Index:
    # tupleize_cols=False: multi answers are tuples, which pandas would otherwise turn into
    # a MultiIndex; dtype=object keeps level numbers as Python ints, as files give them.
    # fromiter, not np.array: tuples of one length would otherwise become a 2-D array.
    array = np.fromiter(values, dtype=object, count=len(values))
    return pd.Index(array, dtype=object, tupleize_cols=False)


def _categorical(codes: np.ndarray, categories: list) -> pd.Categorical:
    dtype = pd.CategoricalDtype(_object_index(categories))
    return pd.Categorical.from_codes(codes, dtype=dtype)


def _top_dimension(q: Questionnaire) -> dict[str, int]:
    """Question id -> index of the top dimension it sits under."""
    tops = {top.id: i for i, top in enumerate(q.dimensions)}
    result = {}
    for question in q.questions:
        node = q.node(question.dimension)
        while node.parent is not None:
            node = q.node(node.parent)
        result[question.id] = tops[node.id]
    return result


def _omitted(
    rng: np.random.Generator, n: int, missing: float, na: float, allow_na: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Rows left unanswered, and rows answered "not applicable"."""
    draw = rng.random(n, dtype=np.float32)
    unanswered = draw < missing
    not_applicable = (draw >= missing) & (draw < missing + na) if allow_na else np.zeros(n, bool)
    return unanswered, not_applicable


def _choice(
    question: Question, target: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, list]:
    """Codes into the options (in option order) for a single-choice question.

    Options are ranked by score; options with the same score form one rank and share its
    respondents at random, so that ties (several "compliant" grades) are all used.
    """
    scores = np.array([o.score for o in question.options])
    ranks = np.unique(scores)
    rank = np.minimum((target * len(ranks)).astype(np.intp), len(ranks) - 1)
    members = [np.flatnonzero(scores == s) for s in ranks]
    if all(len(m) == 1 for m in members):
        codes = np.array([m[0] for m in members])[rank]
    else:
        # Pick the k-th member of the rank with k uniform, via a padded rank x member table.
        width = max(len(m) for m in members)
        table = np.zeros((len(ranks), width), dtype=np.intp)
        for i, m in enumerate(members):
            table[i] = np.resize(m, width)
        sizes = np.array([len(m) for m in members])
        pick = (rng.random(len(target)) * sizes[rank]).astype(np.intp)
        codes = table[rank, pick]
    return codes, [o.value for o in question.options]


def _multi(
    question: Question, target: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, list]:
    """Codes into the distinct choices made, each a tuple in option order.

    Each ordinary option is ticked with a probability that grows with maturity; a respondent who
    ticks none picks one of the exclusive options ("none of these") alone when there is one,
    and otherwise gives the empty choice.
    """
    options = question.options
    ordinary = [i for i, o in enumerate(options) if not o.exclusive]
    exclusive = [i for i, o in enumerate(options) if o.exclusive]
    n = len(target)
    bits = np.zeros(n, dtype=np.int64)
    for i in ordinary:
        ticked = rng.random(n, dtype=np.float32) < 0.15 + 0.8 * target
        bits |= ticked.astype(np.int64) << i
    if exclusive:
        alone = np.array([1 << i for i in exclusive], dtype=np.int64)
        none = bits == 0
        bits[none] = alone[rng.integers(0, len(exclusive), int(none.sum()))]
    distinct, codes = np.unique(bits, return_inverse=True)
    choices = [
        tuple(o.value for i, o in enumerate(options) if (int(mask) >> i) & 1) for mask in distinct
    ]
    return codes.reshape(-1), choices


def _number_range(question: Question) -> tuple[float, float]:
    low = question.min
    if question.bands and (low is None or low < question.bands[0].min):
        low = question.bands[0].min
    low = 0.0 if low is None else low
    high = question.max
    if high is None:
        mins = [b.min for b in question.bands]
        step = mins[-1] - mins[-2] if len(mins) > 1 else 1.0
        high = (mins[-1] + step) if mins else low + 100.0
    return low, max(high, low)


def _number(question: Question, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Values spread over the bands (one band per maturity step), inside the question's bounds."""
    low, high = _number_range(question)
    if not question.bands:
        return np.round(low + target * (high - low), 2)
    starts = np.array([b.min for b in question.bands], dtype=float)
    # The top band is open above: give it the width of the band below it, within the bounds.
    step = starts[-1] - starts[-2] if len(starts) > 1 else 1.0
    ends = np.append(starts[1:], max(starts[-1], min(high, starts[-1] + step)))
    band = np.minimum((target * len(starts)).astype(np.intp), len(starts) - 1)
    within = rng.random(len(target))
    values = starts[band] + within * (ends[band] - starts[band])
    return np.clip(np.round(values, 2), low, high)


def synthetic_answers(
    q: Questionnaire, n: int, seed: int = 0, missing: float = 0.05, na: float = 0.03
) -> pd.DataFrame:
    """An answers frame for `engine.score_respondents`: one column per non-text question.

    Choice questions are Categorical over the option values (plus "na" where allowed), multi
    questions Categorical over tuples, number questions float64 with NaN for no answer. Skip
    logic is not applied: the engine hides those answers itself.
    """
    rng = np.random.default_rng(seed)
    maturity = rng.beta(2.2, 2.2, n)
    drift = rng.normal(0.0, DIMENSION_SPREAD, (len(q.dimensions), n))
    top = _top_dimension(q)
    columns: dict[str, object] = {}
    for question in q.questions:
        if question.type == "text":
            continue
        noise = rng.standard_normal(n, dtype=np.float32) * NOISE
        target = np.clip(maturity + drift[top[question.id]] + noise, 0.0, 0.999999)
        # A survey does not let a respondent past a required question.
        rate = 0.0 if question.required else missing
        unanswered, not_applicable = _omitted(rng, n, rate, na, question.allow_na)
        if question.type == "number":
            values = _number(question, target, rng)
            values[unanswered] = np.nan
            columns[question.id] = values
            continue
        if question.type == "multi":
            codes, categories = _multi(question, target, rng)
        else:
            codes, categories = _choice(question, target, rng)
        if question.allow_na:
            categories = [*categories, NA]
            codes[not_applicable] = len(categories) - 1
        codes[unanswered] = -1
        small = np.int8 if len(categories) < 127 else np.int16
        columns[question.id] = _categorical(codes.astype(small), categories)
    return pd.DataFrame(columns)


def synthetic_meta(
    n: int, seed: int = 0, organizations: int = 20, units: int = 6, period: str = "2026"
) -> pd.DataFrame:
    """Respondent metadata (dtassess.inputs.responses.META_COLUMNS); `units` is per organisation."""
    rng = np.random.default_rng([seed, 1])
    org = rng.integers(0, organizations, n)
    unit = org * units + rng.integers(0, units, n)
    unit_ids = [f"unit-{o + 1:03d}-{u + 1}" for o in range(organizations) for u in range(units)]
    respondent = [f"r{i + 1:07d}" for i in range(n)]
    return pd.DataFrame(
        {
            "organization": _categorical(org, [f"org-{i + 1:03d}" for i in range(organizations)]),
            "organization_name": _categorical(
                org, [f"Agency {i + 1}" for i in range(organizations)]
            ),
            "unit": _categorical(unit, unit_ids),
            "period": _categorical(np.zeros(n, dtype=np.int8), [period]),
            "respondent": respondent,
            "role": _categorical(rng.integers(0, len(ROLES), n), list(ROLES)),
            "source": [f"{r}.yaml" for r in respondent],
        }
    )


def _plain(value: object) -> object:
    """A cell as a response file writes it: lists for multi answers, Python numbers."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _rows(frame: pd.DataFrame) -> list[dict[str, object]]:
    """The frame as one dict per respondent, question id -> value (None for no answer)."""
    cells = {}
    for qid in frame.columns:
        column = frame[qid]
        if isinstance(column.dtype, pd.CategoricalDtype):
            lookup = [*column.cat.categories, None]  # code -1 lands on the last slot
            cells[qid] = [lookup[c] for c in column.cat.codes.to_numpy().tolist()]
        else:
            cells[qid] = [None if v != v else v for v in column.to_numpy().tolist()]
    return [dict(zip(cells, values, strict=True)) for values in zip(*cells.values(), strict=True)]


def response_documents(q: Questionnaire, n: int, seed: int = 0) -> list[dict]:
    """n response documents (docs/responses.md), skip logic applied as the survey applies it:
    a hidden question gets no answer, and so counts as unanswered for later conditions."""
    frame = synthetic_answers(q, n, seed)
    meta = synthetic_meta(n, seed).astype(object)
    rng = np.random.default_rng([seed, 2])
    documents = []
    for i, row in enumerate(_rows(frame)):
        answers: dict[str, object] = {}
        for question in q.questions:
            if question.when is not None and not question.when.evaluate_one(answers):
                continue
            if question.type == "text":
                value = f"synthetic note {i + 1}" if rng.random() < 0.5 else None
            else:
                value = row.get(question.id)
            if value is not None:
                answers[question.id] = value
        m = meta.iloc[i]
        documents.append(
            {
                "questionnaire": q.ref,
                "questionnaire_hash": q.hash,
                "organization": {"id": m["organization"], "name": m["organization_name"]},
                "unit": m["unit"],
                "period": m["period"],
                "respondent": {"id": m["respondent"], "role": m["role"]},
                "answers": {k: _plain(v) for k, v in answers.items()},
            }
        )
    return documents


def write_response_files(q: Questionnaire, n: int, directory: str | Path, seed: int = 0) -> int:
    """Write n response files (one YAML file per respondent) into directory; returns n."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for document in response_documents(q, n, seed):
        # Leaf mappings and lists in flow style ({id: .., name: ..}, [a, b]) as people write them.
        text = yaml.dump(
            document, Dumper=dumper, allow_unicode=True, sort_keys=False, default_flow_style=None
        )
        path = out / f"{document['respondent']['id']}.yaml"
        path.write_text(text, encoding="utf-8")
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-q", "--questionnaire", default="gov-dt", help="bundled id or a path")
    parser.add_argument("-n", type=int, default=1000, help="number of respondents")
    parser.add_argument("--out", required=True, help="directory for the response files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    q = load_questionnaire(args.questionnaire)
    start = time.perf_counter()
    write_response_files(q, args.n, args.out, args.seed)
    elapsed = time.perf_counter() - start
    print(f"wrote {args.n} response files to {args.out} in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
