"""Google Trends: batching on one scale, seasonality, retries, no-data answers and the cache.

The HTTP exchanges are vcrpy cassettes in fixtures/trends/ (SAMPLE DATA, not
real Google Trends figures; written by scripts/make_trends_cassettes.py),
replayed through the real pytrends code in record mode `none`: a request no
cassette holds fails the test, and the network is blocked. The expected
numbers below are worked out by hand from the patterns that script
describes, not read back from the cassettes.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from longtail.cli import cli
from longtail.clv import estimate_clv
from longtail.errors import InputError
from longtail.expand import Candidate
from longtail.personas import Persona, load_personas
from longtail.pipeline import trends_stage
from longtail.planner.metrics import KeywordMetrics
from longtail.store import TRENDS_SOURCE, Store
from longtail.trends import (
    FALLING,
    FLAT,
    NO_DATA,
    OK,
    RISING,
    KeywordTrend,
    TrendsFetcher,
    choose_anchor,
    compare_keywords,
    direction,
    expected_searches,
    peak_months,
    plan_batches,
    rescale,
    seasonal_index,
    trends_geo,
)

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = Path(__file__).parent / "data" / "personas"

pytestmark = pytest.mark.block_network


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {"record_mode": "none"}


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(ROOT / "fixtures" / "trends")


# ---------------------------------------------------------------- the sample project

ANCHOR = "trail running shoes"
# (persona, keyword, Keyword Planner volume or None, close variant of)
SAMPLE_KEYWORDS: list[tuple[str, str, int | None, str | None]] = [
    ("trail-runner", "trail running shoes", 14_800, None),
    ("trail-runner", "hydration vest", 9_900, None),
    ("trail-runner", "waterproof trail running shoes", 5_400, None),
    ("trail-runner", "lightweight waterproof jacket", 3_600, None),
    ("trail-runner", "trail running shoes for wide feet", 1_900, None),
    # Sixth by volume: outside --top 5.
    ("trail-runner", "trail running gaiters", 880, None),
    # Never compared: a close variant, and a keyword without volume.
    ("trail-runner", "trail running shoe", 14_800, "trail running shoes"),
    ("trail-runner", "ultralight trail gaiters", None, None),
    ("gift-buyer", "insulated water bottle", 8_100, None),
    ("gift-buyer", "camping gift set", 2_400, None),
]
# The seven top keywords of the two US personas, most searched first; the
# cassettes hold them as two batches: the anchor and four, the anchor and two.
US_TOP = [
    "trail running shoes",
    "hydration vest",
    "insulated water bottle",
    "waterproof trail running shoes",
    "lightweight waterproof jacket",
    "camping gift set",
    "trail running shoes for wide feet",
]


def personas(geo: list[str] | None = None) -> list[Persona]:
    """The two test personas, in the US unless `geo` says otherwise."""
    found = load_personas([PERSONAS])
    if geo is None:
        return found
    return [
        p.model_copy(update={"market": p.market.model_copy(update={"geo": geo})}) for p in found
    ]


def add_keyword(
    store: Store, persona_id: str, keyword: str, searches: int | None, variant: str | None = None
) -> None:
    market = store.persona_market(persona_id)
    assert market is not None
    store.add_candidates([Candidate(keyword, persona_id, "products", keyword, "product")], "expand")
    store.save_metrics(
        market, [KeywordMetrics(keyword, searches, (), None, None, None, None, variant)], "sample"
    )


def sample_store(path: Path, geo: list[str] | None = None) -> Store:
    """A project database with the sample personas, candidates and volumes."""
    store = Store(path)
    store.save_personas([(p, estimate_clv(p.clv)) for p in personas(geo)])
    for persona_id, keyword, searches, variant in SAMPLE_KEYWORDS:
        add_keyword(store, persona_id, keyword, searches, variant)
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return sample_store(tmp_path / "project.db")


class CeilingJitter(Random):
    """Full jitter at its ceiling: every backoff waits its bound, 10, 20, 40, 60 s."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.fixture
def fetcher(planner_clock: Any) -> Callable[..., TrendsFetcher]:
    """TrendsFetchers pacing at 1 request/s on the fake clock: nothing really sleeps."""

    def make(**options: Any) -> TrendsFetcher:
        options.setdefault("rate", 1.0)
        return TrendsFetcher(
            clock=planner_clock, sleep=planner_clock.sleep, random=CeilingJitter(), **options
        )

    return make


def stored(store: Store, keyword: str, geo: str = "US") -> KeywordTrend:
    return store.fresh_trends(geo, [keyword], timedelta(days=1))[keyword]


def week(trend: KeywordTrend, day: str) -> float:
    return dict(trend.series)[day]


def table_count(db: Store | Path, table: str, where: str = "1") -> int:
    conn = db.conn if isinstance(db, Store) else sqlite3.connect(db)
    return int(conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0])


# ---------------------------------------------------------------- batches and the anchor


def test_batches_hold_the_anchor_and_at_most_four_others() -> None:
    others = [f"keyword {i}" for i in range(1, 10)]
    batches = plan_batches([others[0], "anchor", *others, others[3]], "anchor")
    assert batches == [
        ["anchor", "keyword 1", "keyword 2", "keyword 3", "keyword 4"],
        ["anchor", "keyword 5", "keyword 6", "keyword 7", "keyword 8"],
        ["anchor", "keyword 9"],
    ]
    assert plan_batches(["anchor"], "anchor") == [["anchor"]]


def test_the_anchor_is_the_most_searched_keyword_ties_alphabetical() -> None:
    volumes = {"b shoes": 900, "a shoes": 900, "c shoes": 100, "d shoes": None}
    assert choose_anchor(["c shoes", "b shoes", "a shoes", "d shoes"], volumes) == "a shoes"


def test_rescaling_matches_the_anchor_to_the_reference() -> None:
    weeks = pd.to_datetime(["2024-01-07", "2024-01-14", "2024-01-21"])
    batch = pd.DataFrame({"anchor": [10.0, 30.0, 20.0], "other": [5.0, 15.0, 40.0]}, index=weeks)
    # The reference covers only the last two weeks: means 50 against 25, factor 2.
    reference = pd.Series([20.0, 80.0], index=weeks[1:])
    scaled = rescale(batch, "anchor", reference)
    assert scaled is not None
    assert scaled["other"].tolist() == [10.0, 30.0, 80.0]
    assert scaled["anchor"].tolist() == [20.0, 60.0, 40.0]
    # Without a reference the batch is its own scale.
    unscaled = rescale(batch, "anchor")
    assert unscaled is not None and unscaled["other"].tolist() == [5.0, 15.0, 40.0]


def test_a_batch_whose_anchor_has_no_interest_cannot_be_scaled() -> None:
    weeks = pd.to_datetime(["2024-01-07", "2024-01-14"])
    silent = pd.DataFrame({"anchor": [0.0, 0.0], "other": [50.0, 100.0]}, index=weeks)
    assert rescale(silent, "anchor") is None
    assert rescale(silent.drop(columns="anchor"), "anchor") is None


def test_personas_in_one_country_are_compared_there_and_in_several_worldwide() -> None:
    assert trends_geo(["gb"]) == "GB"
    assert trends_geo(["CA", "US"]) == ""


# ---------------------------------------------------------------- seasonality


def two_years_weekly() -> pd.Series:
    """Sundays of 2023 and 2024: 10 a week in 2023 and 30 in 2024, but June 40 and 80.

    June has four Sundays in 2023 and five in 2024, so pooling its weeks (62.2)
    and averaging its two years (60) differ.
    """
    weeks = pd.date_range("2023-01-01", "2024-12-29", freq="W-SUN")
    values = [
        (40.0 if d.year == 2023 else 80.0) if d.month == 6 else (10.0 if d.year == 2023 else 30.0)
        for d in weeks
    ]
    return pd.Series(values, index=weeks)


def test_seasonal_index_of_a_hand_computed_series() -> None:
    # Each month over the two years: 20, June 60; their mean 280 / 12.
    # So every month 20 / (280/12) = 6/7, and June 60 / (280/12) = 18/7.
    index = seasonal_index(two_years_weekly())
    assert index is not None
    assert list(index) == pytest.approx([6 / 7] * 5 + [18 / 7] + [6 / 7] * 6)
    assert sum(index) == pytest.approx(12.0)
    assert peak_months(index) == (6,)
    # First year (11 × 10 + 40) / 12 = 12.5, last (11 × 30 + 80) / 12 = 34.2.
    assert direction(two_years_weekly()) == RISING


def test_seasonal_index_needs_every_month_and_some_interest() -> None:
    series = two_years_weekly()
    assert seasonal_index(series[series.index.month != 3]) is None
    assert seasonal_index(series * 0) is None


def monthly(first_year: float, last_year: float, years: int = 3) -> pd.Series:
    months = pd.date_range("2021-01-01", periods=12 * years, freq="MS")
    middle = [50.0] * (12 * (years - 2))
    return pd.Series([first_year] * 12 + middle + [last_year] * 12, index=months)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (100.0, 120.0, RISING),
        (100.0, 119.0, FLAT),
        (100.0, 81.0, FLAT),
        (100.0, 80.0, FALLING),
        (0.0, 5.0, RISING),
        (0.0, 0.0, None),
    ],
)
def test_direction_compares_the_last_year_with_the_first(
    first: float, last: float, expected: str | None
) -> None:
    assert direction(monthly(first, last)) == expected


def test_direction_needs_two_years() -> None:
    assert direction(monthly(100.0, 200.0, years=2)[1:]) is None


def test_peak_months_are_strongest_first_and_even_demand_has_none() -> None:
    index = [0.5, 0.5, 1.0, 1.3, 2.0, 1.21, 1.0, 1.0, 1.0, 1.0, 0.5, 1.19]
    assert peak_months(index) == (5, 4, 6)
    assert peak_months([1.0] * 12) == ()


def test_expected_searches_scale_the_volume_month_by_month() -> None:
    index = [1.0] * 10 + [0.5, 1.5]
    expected = expected_searches(1_000, index, after=date(2025, 10, 20))
    assert expected[:3] == [("2025-11", 500.0), ("2025-12", 1_500.0), ("2026-01", 1_000.0)]
    assert expected[-1] == ("2026-10", 1_000.0)
    assert sum(searches for _, searches in expected) == pytest.approx(12_000)


# ---------------------------------------------------------------- through pytrends


@pytest.mark.vcr("us_top_keywords.yaml")
def test_two_batches_share_the_anchor_and_land_on_one_scale(
    store: Store, fetcher: Callable[..., TrendsFetcher], vcr: Any
) -> None:
    result = trends_stage(store, fetcher(), rising=False)

    # The cookie request, then explore and interest over time for each batch.
    assert (result.requests, vcr.play_count) == (5, 5)
    assert (result.keywords_asked, result.from_cache) == (7, 0)
    assert [t.keyword for t in result.trends] == US_TOP
    assert {stored(store, k).anchor for k in US_TOP} == {ANCHOR}
    # Batch 1 is the scale: the anchor is 50 in June, the hydration vest starts at 25.
    anchor = stored(store, ANCHOR)
    assert week(anchor, "2020-06-14") == 50.0
    assert week(stored(store, "hydration vest"), "2020-06-14") == 25.0
    # In batch 2 the anchor stands twice as high (100 in June), so batch 2 is
    # halved: the gift set's recorded 36 is 18, the wide-feet shoes' June 50 is 25.
    gift_set = stored(store, "camping gift set")
    assert {value for _, value in gift_set.series} == {18.0}
    assert week(stored(store, "trail running shoes for wide feet"), "2024-06-16") == 25.0
    # 260 complete weeks: the partial last one (8 June 2025) is left out.
    assert len(anchor.series) == 260
    assert anchor.series[-1][0] == "2025-06-01"


@pytest.mark.vcr("us_top_keywords.yaml")
def test_seasonality_direction_and_peaks_come_from_the_recorded_series(
    store: Store, fetcher: Callable[..., TrendsFetcher]
) -> None:
    trends_stage(store, fetcher(), rising=False)

    # The anchor's months are 10 10 20 25 45 50 40 28 22 15 15 20: mean 25.
    anchor = stored(store, ANCHOR)
    assert anchor.seasonal_index == pytest.approx(
        [0.4, 0.4, 0.8, 1.0, 1.8, 2.0, 1.6, 1.12, 0.88, 0.6, 0.6, 0.8]
    )
    assert (anchor.peak_months, anchor.direction) == ((6, 5, 7), FLAT)
    # 40 25 25 25 25 30 30 30 30 40 80 100: mean 40.
    bottle = stored(store, "insulated water bottle")
    assert bottle.seasonal_index == pytest.approx(
        [1.0, 0.625, 0.625, 0.625, 0.625, 0.75, 0.75, 0.75, 0.75, 1.0, 2.0, 2.5]
    )
    assert (bottle.peak_months, bottle.direction) == ((12, 11), FLAT)
    assert stored(store, "hydration vest").direction == RISING  # 25 up to 100
    assert stored(store, "waterproof trail running shoes").direction == FALLING  # 60 down to 20
    gift_set = stored(store, "camping gift set")
    assert gift_set.seasonal_index == pytest.approx([1.0] * 12)
    assert gift_set.peak_months == ()
    # Rescaled by half, the wide-feet shoes keep the anchor's seasonality.
    assert stored(store, "trail running shoes for wide feet").seasonal_index == pytest.approx(
        anchor.seasonal_index
    )


@pytest.mark.vcr("us_top_keywords.yaml")
def test_a_keyword_too_rare_to_register_is_no_data_not_zero(
    store: Store, fetcher: Callable[..., TrendsFetcher]
) -> None:
    result = trends_stage(store, fetcher(), rising=False)

    assert result.without_data == 1
    row = store.conn.execute(
        "SELECT status, series, seasonal_index, direction, peak_months FROM trends "
        "WHERE keyword = 'lightweight waterproof jacket'"
    ).fetchone()
    assert row == (NO_DATA, None, None, None, None)
    indexes = store.seasonal_indexes()
    assert set(indexes) == {(k, "US") for k in US_TOP if k != "lightweight waterproof jacket"}
    assert indexes[("camping gift set", "US")] == pytest.approx([1.0] * 12)


@pytest.mark.vcr("us_rate_limited_then_ok.yaml")
def test_429_then_503_are_retried_with_backoff_and_then_succeed(
    store: Store, fetcher: Callable[..., TrendsFetcher], planner_clock: Any, vcr: Any
) -> None:
    trends = fetcher()
    result = trends_stage(store, trends, rising=False)

    assert result.skipped is None
    assert (result.retries, result.requests, vcr.play_count) == (2, 7, 7)
    assert vcr.all_played
    # Pacing 1 s before the first explore; backoff 10 s after the 429, 20 s
    # after the 503; then 1 s of pacing before each of the three requests left.
    assert planner_clock.sleeps == [1.0, 10.0, 20.0, 1.0, 1.0, 1.0]
    assert result.seconds_waited == 34.0
    assert {value for _, value in stored(store, "camping gift set").series} == {18.0}
    assert table_count(store, "trends", "status = 'ok'") == 6


@pytest.mark.vcr("us_rate_limited.yaml")
def test_429_until_giving_up_leaves_the_store_untouched_and_says_what_was_skipped(
    store: Store, fetcher: Callable[..., TrendsFetcher], planner_clock: Any, vcr: Any
) -> None:
    candidates = table_count(store, "candidates")
    result = trends_stage(store, fetcher())

    # Waits 10, 20, 40 and 60 s (130 s); a fifth 60 s would pass the 180 s bound.
    assert planner_clock.sleeps == [1.0, 10.0, 20.0, 40.0, 60.0]
    assert (result.requests, result.retries, vcr.play_count) == (6, 4, 6)
    assert result.skipped == (
        "Google Trends still refused the explore request (HTTP 429) after 5 tries and "
        "2 min 10 s of waiting; skipped interest over time for 7 keywords in US and rising "
        "queries for 5 products. What was fetched is stored: run `longtail trends` again "
        "later and it asks only for what is missing (a lower --rate helps)."
    )
    assert (result.trends, result.keywords_asked, result.rising_added) == ([], 0, 0)
    assert table_count(store, "trends") == table_count(store, "trends_related") == 0
    assert table_count(store, "candidates") == candidates


@pytest.mark.vcr("us_refused_midway.yaml", "us_top_keywords.yaml")
def test_refused_midway_keeps_what_came_and_a_rerun_asks_for_the_rest(
    store: Store, fetcher: Callable[..., TrendsFetcher]
) -> None:
    first = trends_stage(store, fetcher(max_wait=0), rising=False)

    assert first.skipped is not None
    assert first.skipped.startswith(
        "Google Trends still refused the explore request (HTTP 429) after 1 try and 0 s of "
        "waiting; skipped interest over time for 2 keywords in US. What was fetched is stored"
    )
    assert [t.keyword for t in first.trends] == US_TOP[:5]
    assert table_count(store, "trends") == 5

    second = trends_stage(store, fetcher(), rising=False)

    assert second.skipped is None
    assert (second.requests, second.keywords_asked, second.from_cache) == (3, 2, 5)
    # Scaled to the stored anchor, as if both batches had come in one run.
    assert {value for _, value in stored(store, "camping gift set").series} == {18.0}
    assert [t.keyword for t in second.trends] == US_TOP


@pytest.mark.vcr("gb_no_data.yaml")
def test_empty_frames_make_no_data_rows_never_zeros(
    tmp_path: Path, fetcher: Callable[..., TrendsFetcher]
) -> None:
    store = Store(tmp_path / "gb.db")
    [runner] = [p for p in personas(["GB"]) if p.id == "trail-runner"]
    store.save_personas([(runner, estimate_clv(runner.clv))])
    add_keyword(store, "trail-runner", ANCHOR, 14_800)
    add_keyword(store, "trail-runner", "fell running shoes", 1_000)

    result = trends_stage(store, fetcher(), rising=False)

    assert (result.keywords_asked, result.without_data) == (2, 2)
    rows = store.conn.execute(
        "SELECT keyword, geo, status, series, seasonal_index FROM trends ORDER BY keyword"
    ).fetchall()
    assert rows == [
        ("fell running shoes", "GB", NO_DATA, None, None),
        (ANCHOR, "GB", NO_DATA, None, None),
    ]
    assert store.seasonal_indexes() == {}


@pytest.mark.vcr("gb_no_data.yaml")
def test_malformed_answers_are_no_data(fetcher: Callable[..., TrendsFetcher], vcr: Any) -> None:
    trends = fetcher()
    # Interest over time cut off in the middle of its JSON.
    assert trends.interest_over_time([ANCHOR, "bog running shoes"], "GB") is None
    # An explore answer without the interest-over-time widget: nothing more is asked.
    before = vcr.play_count
    assert trends.interest_over_time([ANCHOR, "peat running shoes"], "GB") is None
    assert vcr.play_count == before + 1
    # Related searches without any ranked list.
    assert trends.related_queries("fell running shoes", "GB").status == NO_DATA


@pytest.mark.vcr("gb_no_data.yaml")
def test_keywords_of_a_batch_whose_anchor_does_not_register_are_no_data(
    fetcher: Callable[..., TrendsFetcher],
) -> None:
    # Mountain running shoes have interest, but the anchor is 0 all along,
    # so there is nothing to put them on the anchor's scale with.
    batches = list(compare_keywords(fetcher(), [ANCHOR, "mountain running shoes"], ANCHOR, "GB"))
    assert batches == [
        [KeywordTrend.no_data("mountain running shoes", "GB", ANCHOR)],
        [KeywordTrend.no_data(ANCHOR, "GB", ANCHOR)],
    ]


@pytest.mark.vcr("geo_switch.yaml")
def test_worldwide_after_a_country_is_asked_worldwide(
    fetcher: Callable[..., TrendsFetcher],
) -> None:
    # pytrends keeps the last geo when given "": were it sent, the request
    # would be for the US again, which the cassette does not hold.
    trends = fetcher()
    in_us = trends.interest_over_time([ANCHOR], "US")
    worldwide = trends.interest_over_time([ANCHOR], "")
    assert in_us is not None and worldwide is not None
    assert in_us[ANCHOR].max() == 100.0 and in_us.loc["2024-12-01", ANCHOR] == 40.0
    assert worldwide.loc["2024-12-01", ANCHOR] == 100.0


@pytest.mark.vcr("us_top_keywords.yaml")
def test_a_rerun_is_served_from_the_cache_without_a_request(
    store: Store, fetcher: Callable[..., TrendsFetcher], vcr: Any
) -> None:
    first = trends_stage(store, fetcher())
    played = vcr.play_count
    again = fetcher()
    second = trends_stage(store, again)

    assert (again.requests, vcr.play_count) == (0, played)
    assert (second.keywords_asked, second.from_cache) == (0, 7)
    assert (second.products_asked, second.products_from_cache) == (0, 5)
    assert second.trends == first.trends
    assert second.rising_added == 0
    assert table_count(store, "trends") == 7


@pytest.mark.vcr("us_top_keywords.yaml", "us_new_keyword.yaml")
def test_a_rerun_asks_only_for_a_new_keyword_and_puts_it_on_the_stored_scale(
    store: Store, fetcher: Callable[..., TrendsFetcher]
) -> None:
    trends_stage(store, fetcher(), rising=False)
    add_keyword(store, "trail-runner", "trail running vest", 2_900)

    second = trends_stage(store, fetcher(), rising=False)

    # The cookie, then one batch: the anchor and the new keyword.
    assert (second.requests, second.keywords_asked, second.from_cache) == (3, 1, 6)
    # The anchor stands twice as high as stored, so the recorded 60 is 30.
    new = stored(store, "trail running vest")
    assert new.anchor == ANCHOR
    assert {value for _, value in new.series} == {30.0}
    # The stored anchor row is the scale, and stays as it was.
    assert week(stored(store, ANCHOR), "2020-06-14") == 50.0


@pytest.mark.vcr("us_top_keywords.yaml")
def test_rising_queries_become_trends_rising_candidates(
    store: Store, fetcher: Callable[..., TrendsFetcher]
) -> None:
    result = trends_stage(store, fetcher())

    assert (result.products_asked, result.rising_added) == (5, 4)
    added = store.conn.execute(
        "SELECT persona_id, keyword, source_field, source_phrase, intent FROM candidates "
        "WHERE source = ? ORDER BY persona_id, keyword",
        (TRENDS_SOURCE,),
    ).fetchall()
    assert [row[:4] for row in added] == [
        ("gift-buyer", "insulated water bottle with straw", "seed", "insulated water bottle"),
        ("trail-runner", "hydration vest for women", "seed", "hydration vest"),
        ("trail-runner", "trail running shoes for mud", "seed", "trail running shoes"),
        ("trail-runner", "zero drop trail running shoes", "seed", "trail running shoes"),
    ]
    assert all(row[4] for row in added), "every new candidate has an intent"
    # Already a candidate: it keeps where it came from. One word: refused by the rules.
    assert store.conn.execute(
        "SELECT source FROM candidates WHERE keyword = 'trail running shoes for wide feet'"
    ).fetchone() == ("expand",)
    assert table_count(store, "candidates", "keyword = 'camelbak'") == 0
    related = dict(store.conn.execute("SELECT seed, status FROM trends_related").fetchall())
    assert related == {
        "trail running shoes": OK,
        "hydration vest": OK,
        "waterproof jacket": OK,
        "camping gift set": NO_DATA,
        "insulated water bottle": OK,
    }


def test_top_keywords_go_by_stored_value_then_volume(store: Store) -> None:
    top = store.top_keywords(3)
    assert top == {
        "gift-buyer": [("insulated water bottle", 8_100), ("camping gift set", 2_400)],
        "trail-runner": [
            ("trail running shoes", 14_800),
            ("hydration vest", 9_900),
            ("waterproof trail running shoes", 5_400),
        ],
    }
    # A score, once there is one, ranks above volume.
    store.conn.execute(
        "INSERT INTO scores (persona_id, keyword, value) "
        "VALUES ('trail-runner', 'trail running gaiters', 1e9)"
    )
    assert store.top_keywords(1)["trail-runner"] == [("trail running gaiters", 880)]


def test_the_stage_needs_personas(tmp_path: Path, fetcher: Callable[..., TrendsFetcher]) -> None:
    with pytest.raises(InputError, match="run `longtail expand` first"):
        trends_stage(Store(tmp_path / "empty.db"), fetcher())


# ---------------------------------------------------------------- the command


def longtail(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.vcr("us_top_keywords.yaml")
def test_trends_command_prints_each_keywords_trend_and_the_counts(tmp_path: Path) -> None:
    db = tmp_path / "project.db"
    sample_store(db).close()

    result = longtail("--db", db, "trends", "--rate", "1000")

    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["keyword", "geo", "searches/mo", "trend", "peak", "months"]
    rows = [line.split("  ") for line in lines[1:8]]
    assert [[cell.strip() for cell in row if cell.strip()] for row in rows] == [
        ["trail running shoes", "US", "14,800", "flat", "Jun, May, Jul"],
        ["hydration vest", "US", "9,900", "rising", "-"],
        ["insulated water bottle", "US", "8,100", "flat", "Dec, Nov"],
        ["waterproof trail running shoes", "US", "5,400", "falling", "-"],
        ["lightweight waterproof jacket", "US", "3,600", "no data", "-"],
        ["camping gift set", "US", "2,400", "flat", "-"],
        ["trail running shoes for wide feet", "US", "1,900", "flat", "Jun, May, Jul"],
    ]
    assert lines[8:] == [
        "Trends: 15 requests, 7 keywords asked, 0 served from cache, 1 without data.",
        "Rising queries: 5 products (0 from cache); 4 new candidates (source trends-rising); "
        "run `longtail volumes` to look them up.",
        "",
    ]
    assert table_count(db, "trends") == 7


@pytest.mark.vcr("us_rate_limited.yaml")
def test_trends_command_gives_up_with_one_warning_and_exit_0(tmp_path: Path) -> None:
    db = tmp_path / "project.db"
    sample_store(db).close()

    result = longtail("--db", db, "trends", "--rate", "1000", "--max-wait", "0")

    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "Warning: Google Trends still refused the explore request (HTTP 429) after 1 try and "
        "0 s of waiting; skipped interest over time for 7 keywords in US and rising queries for "
        "5 products. What was fetched is stored: run `longtail trends` again later and it asks "
        "only for what is missing (a lower --rate helps)."
    ]
    assert (
        result.stdout
        == "Trends: 2 requests, 0 keywords asked, 0 served from cache, 0 without data.\n\n"
    )
    assert "Traceback" not in result.output
    assert table_count(db, "trends") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--top", "0"], "Invalid value for '--top': 0 is not in the range x>=1."),
        (["--rate", "0"], "Invalid value for '--rate': 0.0 is not in the range x>0."),
        (["--max-age", "-1"], "Invalid value for '--max-age': -1 is not in the range x>=0."),
    ],
)
def test_trends_command_refuses_bad_options_with_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = longtail("--db", tmp_path / "p.db", "trends", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "p.db").exists()


def test_trends_command_without_personas_says_to_run_expand(tmp_path: Path) -> None:
    result = longtail("--db", tmp_path / "p.db", "trends")
    assert (result.exit_code, result.output) == (
        2,
        "Error: no personas in the database yet; run `longtail expand` first\n",
    )


def test_trends_help_imports_neither_pytrends_nor_pandas() -> None:
    code = (
        "import sys\n"
        "from longtail.cli import cli\n"
        "for args in (['--help'], ['trends', '--help']):\n"
        "    try:\n"
        "        cli(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(','.join(m for m in ['pytrends', 'pandas', 'requests'] if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == ""


def test_the_commands_defaults_are_the_librarys() -> None:
    from longtail.pipeline import DEFAULT_TRENDS_MAX_AGE, DEFAULT_TRENDS_TOP
    from longtail.trends import DEFAULT_MAX_WAIT, DEFAULT_RATE

    defaults = {p.name: p.default for p in cli.commands["trends"].params}
    assert defaults["top"] == DEFAULT_TRENDS_TOP
    assert defaults["rate"] == DEFAULT_RATE
    assert defaults["max_wait"] == DEFAULT_MAX_WAIT
    assert defaults["max_age"] == DEFAULT_TRENDS_MAX_AGE.days


def test_the_cassettes_are_what_the_script_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_trends_cassettes", ROOT / "scripts" / "make_trends_cassettes.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "OUT", tmp_path)
    monkeypatch.setattr(script, "ROOT", tmp_path)
    script.main()
    fixtures = ROOT / "fixtures" / "trends"
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == sorted(path.name for path in fixtures.iterdir())
    for name in written:
        assert (tmp_path / name).read_text() == (fixtures / name).read_text(), name
        assert "SAMPLE DATA, not real Google Trends figures" in (fixtures / name).read_text()
