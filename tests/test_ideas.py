"""Keyword ideas and recordings through the real client and the replay server.

Fixture values here are SAMPLE DATA, invented for the tests in the Keyword
Planner wire format; none is a real search volume.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from longtail.cli import cli
from longtail.planner.client import replay_client
from longtail.planner.ideas import SEEDS_PER_REQUEST, credited_seed, fetch_keyword_ideas
from longtail.planner.metrics import fetch_historical_metrics
from longtail.planner.record import Recorder
from longtail.planner.replay import (
    HISTORICAL_METRICS,
    KEYWORD_IDEAS,
    ReplayServer,
    SampleResult,
    historical_metrics_request,
    historical_metrics_response,
    keyword_ideas_request,
    keyword_ideas_response,
    write_fixture,
    write_manifest,
)
from longtail.planner.service import PlanningService

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "keyword_planner"
DATA = Path(__file__).parent / "data"


def idea(text: str, searches: int) -> SampleResult:
    return {
        "text": text,
        "avg_monthly_searches": searches,
        "monthly_searches": [(2026, 1, searches)],
        "competition": "MEDIUM",
        "competition_index": 50,
        "low_top_of_page_bid_micros": 400_000,
        "high_top_of_page_bid_micros": 1_600_000,
    }


@pytest.fixture
def ideas_dir(tmp_path: Path) -> Path:
    """Two pages of ideas for two seeds, and 25 seeds split over two requests."""
    directory = tmp_path / "ideas"
    directory.mkdir()
    write_manifest(directory, label="sample ideas for tests (not real figures)")
    seeds = ["hydration vest", "trail running shoes"]
    first = keyword_ideas_response(
        [idea("best hydration vest", 1900), idea("Ridgeline Trail Running Shoes", 320)],
        next_page_token="page-2",
        concepts={"Ridgeline Trail Running Shoes": [("Ridgeline", "BRAND")]},
    )
    second = keyword_ideas_response(
        [idea("hydration vest for women", 590), idea("best hydration vest", 1900)]
    )
    write_fixture(directory / "p1.json", KEYWORD_IDEAS, keyword_ideas_request(seeds), first)
    write_fixture(
        directory / "p2.json",
        KEYWORD_IDEAS,
        keyword_ideas_request(seeds, page_token="page-2"),
        second,
    )
    many = [f"seed keyword {n}" for n in range(25)]
    write_fixture(
        directory / "m1.json",
        KEYWORD_IDEAS,
        keyword_ideas_request(many[:SEEDS_PER_REQUEST]),
        keyword_ideas_response([idea("seed keyword ideas", 90)]),
    )
    write_fixture(
        directory / "m2.json",
        KEYWORD_IDEAS,
        keyword_ideas_request(many[SEEDS_PER_REQUEST:]),
        keyword_ideas_response([idea("more seed keyword ideas", 40)]),
    )
    write_fixture(
        directory / "h.json",
        HISTORICAL_METRICS,
        historical_metrics_request(["hydration vest"]),
        historical_metrics_response([idea("hydration vest", 2400)]),
    )
    return directory


@pytest.fixture
def ideas_server(
    ideas_dir: Path, planner_start_replay: Callable[..., ReplayServer]
) -> ReplayServer:
    return planner_start_replay(fixtures_dir=ideas_dir)


def test_follows_every_page_and_keeps_each_idea_once(
    ideas_server: ReplayServer, planner_service: Callable[..., PlanningService]
) -> None:
    service = planner_service(client=replay_client(ideas_server.endpoint))
    pages: list[list[str]] = []
    ideas = fetch_keyword_ideas(
        service,
        ["Hydration vest", "trail running shoes"],
        geo=["US"],
        language="en",
        on_page=lambda page: pages.append([i.keyword for i in page]),
    )
    assert [i.keyword for i in ideas] == [
        "best hydration vest",
        "ridgeline trail running shoes",
        "hydration vest for women",
    ]
    assert pages == [
        ["best hydration vest", "ridgeline trail running shoes"],
        ["hydration vest for women"],
    ]
    assert ideas_server.requests == [(KEYWORD_IDEAS, 2), (KEYWORD_IDEAS, 2)]
    first = ideas[0]
    assert (
        first.metrics.avg_monthly_searches,
        first.metrics.low_top_of_page_bid,
        first.metrics.monthly_searches,
    ) == (1900, 0.4, ((2026, 1, 1900),))
    assert ideas[1].seed == "trail running shoes"
    assert ideas[1].concepts == (("Ridgeline", "BRAND"),)


def test_sends_at_most_twenty_seeds_a_request(
    ideas_server: ReplayServer, planner_service: Callable[..., PlanningService]
) -> None:
    service = planner_service(client=replay_client(ideas_server.endpoint))
    seeds = [f"seed keyword {n}" for n in range(25)]
    ideas = fetch_keyword_ideas(service, seeds, geo=["US"], language="en")
    assert ideas_server.requests == [(KEYWORD_IDEAS, 20), (KEYWORD_IDEAS, 5)]
    assert [i.keyword for i in ideas] == ["seed keyword ideas", "more seed keyword ideas"]


def test_every_page_is_paced(
    ideas_server: ReplayServer,
    planner_service: Callable[..., PlanningService],
    planner_clock: Any,
) -> None:
    service = planner_service(client=replay_client(ideas_server.endpoint), rate=0.5)
    fetch_keyword_ideas(
        service, ["hydration vest", "trail running shoes"], geo=["US"], language="en"
    )
    assert planner_clock.sleeps == [2.0]


def test_an_idea_is_credited_to_the_seed_it_shares_most_words_with() -> None:
    seeds = ["hydration vest", "trail running shoes"]
    assert credited_seed("waterproof trail shoes", seeds) == "trail running shoes"
    assert credited_seed("vest", seeds) == "hydration vest"
    assert credited_seed("headlamp", seeds) == "hydration vest"


def longtail(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_ideas_command_stores_candidates_and_their_volumes(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert longtail("--db", db, "expand", ROOT / "personas").exit_code == 0
    result = longtail(
        "--db",
        db,
        "ideas",
        "--replay",
        FIXTURES,
        "--annotations",
        "--rate",
        "1000",
        "--limit",
        "10",
    )
    assert result.exit_code == 0, result.output
    assert "Ideas: 5 requests; stored 50 ideas as candidates." in result.output
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT c.persona_id, c.keyword, c.source_phrase, m.avg_monthly_searches, m.source "
        "FROM candidates c JOIN keyword_metrics m USING (keyword) "
        "WHERE c.source = 'planner-idea' ORDER BY c.persona_id, m.avg_monthly_searches DESC"
    ).fetchall()
    assert len(rows) == 50
    recorded = {}
    for file in FIXTURES.glob("keyword_ideas_*.json"):
        for found in json.loads(file.read_text())["response"]["results"]:
            recorded[found["text"]] = int(found["keywordIdeaMetrics"]["avgMonthlySearches"])
    for _persona, keyword, seed, searches, source in rows:
        assert searches == recorded[keyword]
        assert seed in keyword
        assert source.startswith(f"replay of {FIXTURES}")
    # The ten kept per persona are its most searched.
    runner = [searches for persona, *_, searches, _ in rows if persona == "trail-runner"]
    persona_ideas = json.loads((FIXTURES / "keyword_ideas_trail-runner.json").read_text())
    best = sorted(
        (
            int(r["keywordIdeaMetrics"]["avgMonthlySearches"])
            for r in persona_ideas["response"]["results"]
        ),
        reverse=True,
    )[:10]
    assert sorted(runner, reverse=True) == best
    brands = dict(
        conn.execute("SELECT keyword, brand FROM keyword_metrics WHERE brand IS NOT NULL")
    )
    assert brands and all(
        (kind in {"BRAND", "OTHER_BRANDS"})
        == keyword.startswith(("ridgeline", "trailforge", "peakwell"))
        for keyword, kind in brands.items()
    )
    # Ideas are labelled like generated candidates: "ridgeline ..." names a brand.
    intents = dict(
        conn.execute("SELECT keyword, intent FROM candidates WHERE source = 'planner-idea'")
    )
    assert None not in intents.values()
    assert {intents[k] for k in intents if k.endswith(" sale")} == {"transactional"}
    # The lookup that follows does not ask again for what the ideas brought.
    volumes = longtail("--db", db, "volumes", "--replay", FIXTURES, "--dry-run")
    assert "(50 served from cache)" in volumes.output


def test_record_from_a_replay_then_replay_the_recording(tmp_path: Path) -> None:
    db, recording = tmp_path / "p.db", tmp_path / "recording"
    assert longtail("--db", db, "expand", DATA / "personas").exit_code == 0
    result = longtail("--db", db, "record", "-o", recording, "--replay", FIXTURES)
    assert result.exit_code == 0, result.output
    assert f"Recorded 1 exchanges in {recording}." in result.output
    first = dict(
        sqlite3.connect(db).execute("SELECT keyword, avg_monthly_searches FROM keyword_metrics")
    )

    replayed_db = tmp_path / "replayed.db"
    assert longtail("--db", replayed_db, "expand", DATA / "personas").exit_code == 0
    again = longtail("--db", replayed_db, "volumes", "--replay", recording)
    assert again.exit_code == 0, again.output
    second = dict(
        sqlite3.connect(replayed_db).execute(
            "SELECT keyword, avg_monthly_searches FROM keyword_metrics"
        )
    )
    assert second == first and any(v is not None for v in first.values())
    manifest = json.loads((recording / "manifest.json").read_text())
    assert manifest["label"].startswith("recorded from a live Google Ads account on ")


def test_record_with_ideas_replays_the_same_ideas(tmp_path: Path) -> None:
    db, recording = tmp_path / "p.db", tmp_path / "recording"
    assert longtail("--db", db, "expand", ROOT / "personas").exit_code == 0
    result = longtail(
        "--db", db, "record", "-o", recording, "--ideas", "--replay", FIXTURES, "--rate", "1000"
    )
    assert result.exit_code == 0, result.output
    assert f"Recorded 6 exchanges in {recording}." in result.output
    assert len(list(recording.glob("keyword_ideas_*.json"))) == 5

    query = "SELECT persona_id, keyword FROM candidates WHERE source = 'planner-idea' ORDER BY 1, 2"
    recorded = sqlite3.connect(db).execute(query).fetchall()
    replayed_db = tmp_path / "replayed.db"
    assert longtail("--db", replayed_db, "expand", ROOT / "personas").exit_code == 0
    again = longtail("--db", replayed_db, "ideas", "--replay", recording, "--rate", "1000")
    assert again.exit_code == 0, again.output
    assert sqlite3.connect(replayed_db).execute(query).fetchall() == recorded != []


def test_record_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert longtail("--db", db, "expand", DATA / "personas").exit_code == 0
    result = longtail("--db", db, "record", "-o", FIXTURES.parent, "--replay", FIXTURES)
    assert result.exit_code == 2 and "is not empty" in result.output


def test_recordings_carry_no_customer_id_or_token(
    ideas_server: ReplayServer,
    planner_service: Callable[..., PlanningService],
    tmp_path: Path,
) -> None:
    client = replay_client(ideas_server.endpoint)
    token = "dev-token-that-must-not-leak"
    recorder = Recorder(tmp_path / "rec", "987-654-3210", secrets=[token, "short"])
    service = planner_service(client=client, customer_id="987-654-3210", recorder=recorder)
    fetch_historical_metrics(service, ["hydration vest"], geo=["US"], language="en")
    fetch_keyword_ideas(
        service, ["hydration vest", "trail running shoes"], geo=["US"], language="en"
    )
    names = sorted(path.name for path in (tmp_path / "rec").iterdir())
    assert names == [
        "historical_metrics_001.json",
        "keyword_ideas_001.json",
        "keyword_ideas_002.json",
        "manifest.json",
    ]
    for path in recorder.files:
        text = path.read_text()
        assert "9876543210" not in text and "987-654-3210" not in text
        assert json.loads(text)["request"]["customerId"] == "1234567890"
    # The recording replays: the historical answer is the one recorded.
    with ReplayServer(tmp_path / "rec") as server:
        replayed = planner_service(client=replay_client(server.endpoint))
        [metrics] = fetch_historical_metrics(
            replayed, ["hydration vest"], geo=["US"], language="en"
        )
    assert metrics.avg_monthly_searches == 2400
