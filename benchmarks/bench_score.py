"""Scoring 1,000,000 (keyword, persona) rows and writing them to CSV, against bare pandas.

longtail: merge the keyword metrics onto the candidates (what the store's
join hands the scorer), `score_keywords` with the bundled economics, and
`write_csv` (formula text neutralised). The baseline: the same merge, value =
searches × CLV, a sort by value and `DataFrame.to_csv`, nothing else. Both
start from the same synthetic frames: 200,000 keywords, each with 12 monthly
volumes and bids, for 5 personas. Each variant runs in its own process, so
its peak memory (ru_maxrss) is its own; the data it starts from is reported
beside it.

Run: python benchmarks/bench_score.py [--keywords N] [--personas N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from longtail.export import write_csv
from longtail.score import default_economics, score_keywords

INTENTS = ["informational", "commercial", "transactional", "navigational"]


def frames(keywords: int, personas: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Candidates (keyword × persona), keyword metrics, personas: synthetic, seeded."""
    rng = np.random.default_rng(7)
    words = np.array([f"keyword {i} for trail runners" for i in range(keywords)], dtype=object)
    people = pd.DataFrame(
        {
            "persona_id": [f"persona-{p}" for p in range(personas)],
            "persona_name": [f"Persona {p}" for p in range(personas)],
            "segment_clv": rng.uniform(30, 900, personas).round(2),
            "currency": "USD",
        }
    )
    searches = rng.integers(10, 50_000, keywords)
    low = rng.uniform(0.2, 3, keywords).round(2)
    monthly = [
        json.dumps([[2025, m, int(s * f)] for m, f in enumerate(rng.uniform(0.5, 1.5, 12), 1)])
        for s in searches
    ]
    metrics = pd.DataFrame(
        {
            "keyword": pd.array(words, dtype="string"),
            "avg_monthly_searches": pd.array(searches, dtype="Int64"),
            "low_top_of_page_bid": low,
            "high_top_of_page_bid": (low * rng.uniform(1.5, 4, keywords)).round(2),
            "monthly_searches": pd.array(monthly, dtype="string"),
        }
    )
    candidates = pd.DataFrame(
        {
            "keyword": pd.array(np.tile(words, personas), dtype="string"),
            "persona_id": pd.array(np.repeat(people["persona_id"], keywords), dtype="string"),
            "intent": pd.array(rng.choice(INTENTS, keywords * personas), dtype="string"),
        }
    )
    return candidates, metrics, people


def run_longtail(
    candidates: pd.DataFrame, metrics: pd.DataFrame, people: pd.DataFrame, out: Path
) -> None:
    inputs = candidates.merge(people, on="persona_id").merge(metrics, on="keyword", how="left")
    scored = score_keywords(inputs, default_economics(), {})
    write_csv(out, scored.drop(columns=["monthly_searches"]))


def run_baseline(
    candidates: pd.DataFrame, metrics: pd.DataFrame, people: pd.DataFrame, out: Path
) -> None:
    inputs = candidates.merge(people, on="persona_id").merge(metrics, on="keyword", how="left")
    inputs["value"] = inputs["avg_monthly_searches"] * inputs["segment_clv"]
    inputs = inputs.sort_values("value", ascending=False)
    inputs.drop(columns=["monthly_searches"]).to_csv(out, index=False)


def child(variant: str, keywords: int, personas: int, repeat: int) -> None:
    """Time one variant in this process; print JSON with its timings and memory."""
    data = frames(keywords, personas)
    ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    call = run_longtail if variant == "longtail" else run_baseline
    timings = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "scores.csv"
        for _ in range(repeat):
            start = time.perf_counter()
            call(*data, out)
            timings.append(time.perf_counter() - start)
        size = out.stat().st_size
        columns = len(out.open().readline().split(","))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": statistics.median(timings),
                "ready_mib": ready / 1024,
                "peak_mib": peak / 1024,
                "bytes": size,
                "columns": columns,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keywords", type=int, default=200_000)
    parser.add_argument("--personas", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variant", choices=["longtail", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        child(args.variant, args.keywords, args.personas, args.repeat)
        return
    rows = args.keywords * args.personas
    results = {}
    for variant in ("baseline", "longtail"):
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--variant",
                variant,
                "--keywords",
                str(args.keywords),
                "--personas",
                str(args.personas),
                "--repeat",
                str(args.repeat),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results[variant] = json.loads(done.stdout)
    ours, bare = results["longtail"], results["baseline"]
    for name, result in (
        ("baseline (merge, multiply, sort, to_csv)", bare),
        ("longtail (score_keywords + write_csv)", ours),
    ):
        print(
            f"{name}: {result['seconds']:.2f} s for {rows:,} rows, {result['columns']} columns, "
            f"{result['bytes'] / 2**20:,.0f} MiB of CSV; peak memory {result['peak_mib']:,.0f} MiB "
            f"({result['peak_mib'] - result['ready_mib']:,.0f} MiB above the input data's "
            f"{result['ready_mib']:,.0f} MiB)"
        )
    ratio = ours["seconds"] / bare["seconds"]
    verdict = "within" if ratio <= 1.5 else "OVER"
    print(f"ratio {ratio:.2f}x ({verdict} the 1.5x target)")


if __name__ == "__main__":
    main()
