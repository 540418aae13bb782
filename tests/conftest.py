"""Shared pytest fixtures.

Planner fixtures (prefix `planner_`): a fixtures directory of SAMPLE Keyword
Planner data in the exact wire format (not real figures), a replay server
for the whole session, a factory for servers with injected faults, a fake
clock, and a factory for PlanningServices that pace and retry on that clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from longtail.planner.client import REPLAY_CUSTOMER_ID, replay_client
from longtail.planner.replay import (
    HISTORICAL_METRICS,
    Fault,
    ReplayServer,
    SampleResult,
    historical_metrics_request,
    historical_metrics_response,
    write_fixture,
    write_manifest,
)
from longtail.planner.service import Pacer, PlanningService

# Sample data, invented for tests: shaped like Keyword Planner results, not
# taken from it. Months are listed newest first on purpose; the lookup must
# return them oldest first.
PLANNER_SAMPLE_RESULTS: list[SampleResult] = [
    {
        "text": "trail running shoes",
        "close_variants": ["trail running shoe"],
        "avg_monthly_searches": 14_800,
        "monthly_searches": [
            (2025, 3, 18_100),
            (2025, 2, 12_100),
            (2025, 1, 14_800),
            (2024, 12, 9_900),
        ],
        "competition": "HIGH",
        "competition_index": 87,
        "low_top_of_page_bid_micros": 610_000,
        "high_top_of_page_bid_micros": 2_340_000,
    },
    {
        "text": "waterproof hiking boots",
        "avg_monthly_searches": 9_900,
        "monthly_searches": [(2025, 1, 8_100), (2025, 2, 9_900)],
        "competition": "MEDIUM",
        "competition_index": 54,
        "low_top_of_page_bid_micros": 450_000,
        "high_top_of_page_bid_micros": 1_890_000,
    },
    # Recorded without metrics: how a keyword Google has no data for looks.
    {"text": "ultralight trail gaiters"},
]


@pytest.fixture(scope="session")
def planner_fixtures_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A replay fixtures directory holding PLANNER_SAMPLE_RESULTS."""
    directory = tmp_path_factory.mktemp("keyword_planner")
    write_manifest(
        directory,
        label="Sample data: trail running (not real Keyword Planner figures)",
        note="Written by tests/conftest.py for the planner tests.",
    )
    request = historical_metrics_request([result["text"] for result in PLANNER_SAMPLE_RESULTS])
    write_fixture(
        directory / "historical_trail_running.json",
        HISTORICAL_METRICS,
        request,
        historical_metrics_response(PLANNER_SAMPLE_RESULTS),
    )
    return directory


@pytest.fixture(scope="session")
def planner_replay_server(planner_fixtures_dir: Path) -> Iterator[ReplayServer]:
    """One replay server for the session; its `requests` accumulate across tests."""
    with ReplayServer(planner_fixtures_dir) as server:
        yield server


@pytest.fixture(scope="session")
def planner_client(planner_replay_server: ReplayServer) -> Any:
    """A real GoogleAdsClient aimed at the session's replay server."""
    return replay_client(planner_replay_server.endpoint)


@pytest.fixture
def planner_start_replay(
    planner_fixtures_dir: Path,
) -> Iterator[Callable[..., ReplayServer]]:
    """Start a fresh replay server (own request log, optional faults) for one test."""
    servers: list[ReplayServer] = []

    def start(faults: Sequence[Fault] = (), fixtures_dir: Path | None = None) -> ReplayServer:
        server = ReplayServer(fixtures_dir or planner_fixtures_dir, faults).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class FakeClock:
    """Time that passes only when something sleeps on it; every sleep is kept in `sleeps`."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def planner_clock() -> FakeClock:
    """A fresh FakeClock for one test."""
    return FakeClock()


@pytest.fixture
def planner_service(
    planner_clock: FakeClock, planner_client: Any
) -> Iterator[Callable[..., PlanningService]]:
    """Make PlanningServices that pace (rate 1) and retry on `planner_clock`, never really sleeping.

    `make(client=None, customer_id=REPLAY_CUSTOMER_ID, rate=1.0, **options)`
    uses the session's client unless given another; `options` go to
    PlanningService (retry, recorder, random, pacer, sleep). Closed after the test.
    """
    services: list[PlanningService] = []

    def make(
        client: Any = None,
        customer_id: str = REPLAY_CUSTOMER_ID,
        rate: float = 1.0,
        **options: Any,
    ) -> PlanningService:
        options.setdefault("pacer", Pacer(rate, clock=planner_clock, sleep=planner_clock.sleep))
        options.setdefault("sleep", planner_clock.sleep)
        service = PlanningService(
            planner_client if client is None else client, customer_id, **options
        )
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()
