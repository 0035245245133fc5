"""Time `dtassess.scoring.uncertainty.intervals` against a naive loop that re-runs `dtassess.score`.

    python benchmarks/bench_uncertainty.py                 # 100 units x ~30, 1,000 resamples
    python benchmarks/bench_uncertainty.py --units 300 --resamples 2000 -q tests/data/worked.yaml

- intervals: `intervals(responses, by="unit", resamples=N)` with both sources (a bootstrap of
  each unit's respondents and weights perturbed by up to --spread), best of --repeat runs; the
  same with respondents alone and with weights alone, for the share of each.
- naive: what one writes without the vectorised replicates: for each replicate, the resampled
  respondents as a new ResponseSet, a questionnaire with the perturbed weights
  (`uncertainty.reweighted`) and a full `dtassess.score(..., by="unit")`. Timed on --naive
  replicates and extrapolated linearly to N.

Generating the data is not timed. The naive replicates use the very draws of the vectorised run
(`uncertainty.draw`), and their group scores are checked against it to 1e-9 before anything is
printed; a difference exits with 1.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from bench_engine import best_of, machine, peak_rss
from generate import synthetic_answers, synthetic_meta

from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.inputs.responses import ResponseSet
from dtassess.scoring.engine import compile_model
from dtassess.scoring.scores import score
from dtassess.scoring.uncertainty import (
    SOURCES,
    batch_size,
    draw,
    intervals,
    prepare,
    replicate_means,
    reweighted,
)

TOLERANCE = 1e-9


def naive(responses: ResponseSet, count: int, spread: float, seed: int):
    """`count` replicates the slow way: (seconds, group scores nodes x replicates x groups)."""
    q = responses.questionnaire
    model = compile_model(q)
    setup = prepare(responses, "unit")
    counts, question, node = draw(setup, 0, count, SOURCES, spread, seed)
    ids = [x.id for x in model.questions]
    width = len(model.node_ids)
    out = np.empty((width, count, len(setup.starts)))
    start = time.perf_counter()
    for r in range(count):
        factors = dict(zip(ids, question[r], strict=True))
        factors.update(zip(model.node_ids[1:], node[r, 1:], strict=True))
        rows = np.repeat(setup.rows, counts[r].astype(int))
        resampled = ResponseSet(
            reweighted(q, factors),
            responses.meta.iloc[rows].reset_index(drop=True),
            responses.answers.iloc[rows].reset_index(drop=True),
            pd.DataFrame(),
        )
        table = score(resampled, by="unit").table
        out[:, r, :] = table["score"].to_numpy().reshape(-1, width).T
    seconds = time.perf_counter() - start
    # the vectorised replicates of the same draws
    expected = replicate_means(setup, counts, question, node)
    both = ~np.isnan(expected) & ~np.isnan(out)
    gap = np.where(both, np.abs(expected - out), 0.0).max() if both.any() else 0.0
    if (np.isnan(expected) != np.isnan(out)).any() or gap > TOLERANCE:
        print(f"RESULTS DISAGREE: naive and vectorised replicates differ by {gap:.2e}")
        raise SystemExit(1)
    return seconds, gap


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-q", "--questionnaire", default="gov-dt")
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--per-unit", type=int, default=30, help="respondents per unit (mean)")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=0.2, help="weight_spread")
    parser.add_argument("--repeat", type=int, default=3, help="best of (intervals)")
    parser.add_argument("--naive", type=int, default=5, help="replicates the naive loop runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    q = load_questionnaire(args.questionnaire)
    n = args.units * args.per_unit
    answers = synthetic_answers(q, n, seed=args.seed)
    meta = synthetic_meta(n, seed=args.seed, organizations=args.units, units=1)
    responses = ResponseSet(q, meta, answers, pd.DataFrame())
    sizes = meta["unit"].value_counts()
    sizes = sizes[sizes > 0]
    model = compile_model(q)
    print(
        f"{q.ref}: {len(model.questions)} scored questions, {len(model.node_ids)} nodes; "
        f"{n:,} respondents in {len(sizes)} units ({sizes.min()}-{sizes.max()} each); "
        f"{args.resamples:,} resamples, weight spread {args.spread:g}, seed {args.seed}",
        flush=True,
    )

    def run(sources):
        return lambda: intervals(
            responses,
            by="unit",
            resamples=args.resamples,
            weight_spread=args.spread,
            seed=args.seed,
            sources=sources,
        )

    intervals(responses, by="unit", resamples=10)  # imports and the compiled model, untimed
    both, result = best_of(args.repeat, run(SOURCES))
    alone, _ = best_of(args.repeat, run(("respondents",)))
    weights, _ = best_of(args.repeat, run(("weights",)))
    slow, gap = naive(responses, args.naive, args.spread, args.seed)
    per = slow / args.naive
    extrapolated = per * args.resamples
    setup = prepare(responses, "unit")
    print(f"{'':<34} {'seconds':>9}")
    print(f"{'intervals, both sources':<34} {both:>9.3f}")
    print(f"{'intervals, respondents only':<34} {alone:>9.3f}")
    print(f"{'intervals, weights only':<34} {weights:>9.3f}")
    print(f"{'naive loop (extrapolated)':<34} {extrapolated:>9.1f}*")
    print(
        f"* {args.naive} replicates of dtassess.score took {slow:.2f} s ({per:.3f} s each), "
        f"times {args.resamples:,}"
    )
    print(f"naive / intervals: {extrapolated / both:,.0f}x")
    print(
        f"results agree: the naive replicates and the vectorised ones of the same draws, "
        f"largest difference {gap:.1e} (tolerance {TOLERANCE:g})"
    )
    table = result.table
    overall = table[table["node"] == "overall"]
    width = (table["high"] - table["low"]).median()
    print(
        f"median interval width {width:.1f} points; overall ranks distinguishable "
        f"{int(overall['rank_distinct'].sum())} of {len(overall)} (synthetic units share one "
        f"population, so few are); replicates per batch {batch_size(setup)}"
    )
    print(f"peak RSS: {peak_rss():,.0f} MiB")
    print(f"machine: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
