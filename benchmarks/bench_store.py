"""Writing 100,000 candidate rows through the store against raw sqlite3.executemany.

Both write into the same table schema in a new file, in one transaction.
Run: python benchmarks/bench_store.py [--rows N] [--repeat N]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

from common import report, time_call

from longtail.expand import Candidate
from longtail.store import CANDIDATES, Store


def candidates(rows: int) -> list[Candidate]:
    """Synthetic candidates spread over ten personas."""
    return [
        Candidate(
            f"keyword number {i} for trail runners",
            f"persona-{i % 10}",
            "products",
            f"source phrase {i}",
            "product+qualifier",
        )
        for i in range(rows)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = candidates(args.rows)
    persona_ids = [f"persona-{i}" for i in range(10)]
    work = Path(tempfile.mkdtemp())
    counter = iter(range(10_000))

    stores: list[Store] = []
    raw: list[sqlite3.Connection] = []

    def fresh_store() -> None:
        stores.append(Store(work / f"store-{next(counter)}.db"))

    def fresh_raw() -> None:
        # The same schema, made by the store, then written with bare sqlite3.
        path = work / f"raw-{next(counter)}.db"
        Store(path).close()
        raw.append(sqlite3.connect(path))

    def store_write() -> None:
        stores[-1].replace_candidates(persona_ids, rows)

    def raw_write() -> None:
        conn = raw[-1]
        with conn:
            conn.executemany(
                f"INSERT INTO {CANDIDATES} (persona_id, keyword, source, source_field, "
                "source_phrase, pattern, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.persona_id,
                        c.keyword,
                        "expand",
                        c.source_field,
                        c.source_phrase,
                        c.pattern,
                        "2026-01-01T00:00:00+00:00",
                    )
                    for c in rows
                ],
            )

    baseline = time_call(raw_write, args.repeat, setup=fresh_raw)
    measured = time_call(store_write, args.repeat, setup=fresh_store)
    report(
        f"Store.replace_candidates ({args.rows:,} rows)",
        measured,
        "raw sqlite3 executemany",
        baseline,
        target=1.5,
    )


if __name__ == "__main__":
    main()
