"""Writing scored keywords to .xlsx and .csv, against the bare libraries writing the same frame.

longtail: `write_workbook`'s Keywords sheet (bold frozen header, filter, column
widths, number formats, formula text neutralised; the small sheets empty)
and `write_csv`. Baselines, in the same run on the same DataFrame: xlsxwriter
writing the rows as plain values (the library longtail writes with, in
constant-memory mode, without formats), openpyxl's write-only
mode likewise (what longtail used before), and `DataFrame.to_csv`. Each variant runs in
its own process so that its peak memory (ru_maxrss) is its own, reported
beside the memory the DataFrame itself took.

Run: python benchmarks/bench_export.py [--rows N] [--repeat N]
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
import xlsxwriter
from openpyxl import Workbook

from longtail.export import write_csv, write_workbook

VARIANTS = ("xlsxwriter", "openpyxl", "longtail-xlsx", "pandas-csv", "longtail-csv")


def keywords(rows: int) -> pd.DataFrame:
    """A scored-keywords frame of `rows` rows and the export's kinds of column, seeded."""
    rng = np.random.default_rng(11)
    searches = rng.integers(10, 50_000, rows)
    clv = rng.choice([34.0, 153.0, 441.0, 494.0, 882.0], rows)
    return pd.DataFrame(
        {
            "keyword": pd.array([f"keyword {i} for trail runners" for i in range(rows)], "string"),
            "persona_id": pd.array(rng.choice(["runner", "hiker", "gift"], rows), "string"),
            "intent": pd.array(rng.choice(["commercial", "transactional"], rows), "string"),
            "avg_monthly_searches": pd.array(searches, dtype="Int64"),
            "segment_clv": clv,
            "value": searches * clv,
            "expected_clicks": searches * 0.11,
            "break_even_cpc": clv * 0.03,
            "high_top_of_page_bid": rng.uniform(0.3, 9, rows).round(2),
            "rank": pd.array(np.arange(1, rows + 1), dtype="Int64"),
        }
    )


def run(variant: str, frame: pd.DataFrame, out: Path) -> None:
    if variant == "xlsxwriter":
        book = xlsxwriter.Workbook(out, {"constant_memory": True})
        sheet = book.add_worksheet("Keywords")
        sheet.write_row(0, 0, list(frame.columns))
        plain = frame.astype(object).where(frame.notna(), None)
        for number, row in enumerate(plain.itertuples(index=False), start=1):
            sheet.write_row(number, 0, row)
        book.close()
    elif variant == "openpyxl":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Keywords")
        sheet.append(list(frame.columns))
        for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
            sheet.append(row)
        book.save(out)
    elif variant == "longtail-xlsx":
        empty = pd.DataFrame({"persona_id": [], "total_value": []})
        write_workbook(out, frame, empty, about=[])
    elif variant == "pandas-csv":
        frame.to_csv(out, index=False)
    else:
        write_csv(out, frame)


def child(variant: str, rows: int, repeat: int) -> None:
    """Time one variant in this process; print JSON with its timings and memory."""
    frame = keywords(rows)
    ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timings = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / ("k.csv" if variant.endswith("csv") else "k.xlsx")
        for _ in range(repeat):
            start = time.perf_counter()
            run(variant, frame, out)
            timings.append(time.perf_counter() - start)
        size = out.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    frame_mib = frame.memory_usage(deep=True).sum() / 2**20
    print(
        json.dumps(
            {
                "seconds": statistics.median(timings),
                "ready_mib": ready / 1024,
                "peak_mib": peak / 1024,
                "frame_mib": frame_mib,
                "mib": size / 2**20,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        child(args.variant, args.rows, args.repeat)
        return
    results = {}
    for variant in VARIANTS:
        argv = [sys.executable, __file__, "--variant", variant, "--rows", str(args.rows)]
        done = subprocess.run(
            [*argv, "--repeat", str(args.repeat)], check=True, capture_output=True, text=True
        )
        results[variant] = json.loads(done.stdout)
        result = results[variant]
        print(
            f"{variant}: {result['seconds']:.2f} s for {args.rows:,} rows "
            f"({result['mib']:,.0f} MiB file); peak memory {result['peak_mib']:,.0f} MiB, "
            f"{result['peak_mib'] - result['ready_mib']:,.0f} MiB above the process with its "
            f"DataFrame ({result['frame_mib']:,.0f} MiB deep)"
        )
    for ours, bare in (
        ("longtail-xlsx", "xlsxwriter"),
        ("longtail-xlsx", "openpyxl"),
        ("longtail-csv", "pandas-csv"),
    ):
        ratio = results[ours]["seconds"] / results[bare]["seconds"]
        verdict = "within" if ratio <= 1.2 else "OVER"
        print(f"{ours} / {bare}: {ratio:.2f}x ({verdict} the 1.2x target)")


if __name__ == "__main__":
    main()
