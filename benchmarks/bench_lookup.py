"""100,000 candidates across two geos looked up through the replay server.

Reports the requests made against the minimum possible (ceil(keywords /
10,000) per geo/language/network group), a second run's requests (the cache
should answer everything), and the client's wall time per request beyond the
replay server's own handling time and the pacing.

The keywords are synthetic and the fixtures hold SAMPLE metrics for one in ten
of them, in the Keyword Planner wire format; nothing here is a real volume.
Run: python benchmarks/bench_lookup.py [--keywords N] [--rate R]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from longtail.clv import estimate_clv
from longtail.expand import Candidate
from longtail.personas import Persona
from longtail.planner.client import REPLAY_CUSTOMER_ID, replay_client
from longtail.planner.lookup import lookup_volumes
from longtail.planner.metrics import HISTORICAL_METRICS, HISTORICAL_METRICS_BATCH
from longtail.planner.replay import (
    ReplayServer,
    SampleResult,
    historical_metrics_request,
    historical_metrics_response,
    write_fixture,
    write_manifest,
)
from longtail.planner.service import Pacer, PlanningService
from longtail.store import Store

GEOS = ("US", "GB")


def persona(geo: str) -> Persona:
    return Persona.model_validate(
        {
            "id": f"shoppers-{geo.lower()}",
            "name": f"Shoppers in {geo}",
            "description": "Synthetic persona for the lookup benchmark.",
            "products": ["trail running shoes"],
            "market": {"geo": geo, "language": "en"},
            "clv": {"value": 100},
        }
    )


def keywords_for(geo: str, count: int) -> list[str]:
    return [f"{geo.lower()} sample keyword {n}" for n in range(count)]


def write_fixtures(directory: Path, per_geo: int) -> None:
    write_manifest(directory, label="benchmark sample data (not real figures)")
    for geo in GEOS:
        known = keywords_for(geo, per_geo)[::10]
        results: list[SampleResult] = [
            {"text": k, "avg_monthly_searches": 90, "monthly_searches": [(2026, 1, 90)]}
            for k in known
        ]
        write_fixture(
            directory / f"historical_{geo.lower()}.json",
            HISTORICAL_METRICS,
            historical_metrics_request(known, geo=[geo]),
            historical_metrics_response(results),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keywords", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=1.0, help="requests per second (pacing)")
    args = parser.parse_args()
    per_geo = args.keywords // len(GEOS)
    work = Path(tempfile.mkdtemp())
    fixtures = work / "fixtures"
    fixtures.mkdir()
    write_fixtures(fixtures, per_geo)

    store = Store(work / "bench.db")
    personas = [persona(geo) for geo in GEOS]
    store.save_personas([(p, estimate_clv(p.clv)) for p in personas])
    for p, geo in zip(personas, GEOS, strict=True):
        store.replace_candidates(
            [p.id],
            [Candidate(k, p.id, "products", k, "product") for k in keywords_for(geo, per_geo)],
        )
    minimum = len(GEOS) * math.ceil(per_geo / HISTORICAL_METRICS_BATCH)

    with ReplayServer(fixtures) as server:
        client = replay_client(server.endpoint)
        with PlanningService(client, REPLAY_CUSTOMER_ID, pacer=Pacer(args.rate)) as service:
            started = time.perf_counter()
            first = lookup_volumes(store, service, source="bench")
            wall = time.perf_counter() - started
            pacing = service.waited
        busy = server.busy_seconds
        with PlanningService(client, REPLAY_CUSTOMER_ID, pacer=Pacer(args.rate)) as service:
            second = lookup_volumes(store, service, source="bench")

    requests = first.requests
    beyond = (wall - busy - pacing) / requests
    print(f"{args.keywords:,} candidates in {len(GEOS)} geos")
    print(
        f"first run: {requests} requests; minimum possible {minimum} "
        f"({'equal' if requests == minimum else 'NOT equal'})"
    )
    print(f"second run: {second.requests} requests ({second.from_cache:,} served from cache)")
    print(
        f"wall {wall:.2f} s = server {busy:.2f} s + pacing {pacing:.2f} s + client "
        f"{wall - busy - pacing:.2f} s; client time per request beyond the server's and "
        f"the pacing: {beyond:.3f} s ({beyond / (busy / requests):.2f}x the server's own "
        "time per request)"
    )
    print(f"stats: {first.line()}")


if __name__ == "__main__":
    main()
