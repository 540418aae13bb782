"""Volume lookup for every stored candidate: cache first, then the Keyword Planner.

Candidates are grouped by the market their personas search in, keywords whose
metrics are fresh in the store are skipped, and each batch is written as soon
as it arrives, so a run killed mid-way loses nothing and a rerun asks only for
what is missing. `plan_lookup` works the same out without sending anything,
for `longtail volumes --dry-run`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from longtail.planner.metrics import (
    HISTORICAL_METRICS_BATCH,
    KeywordMetrics,
    fetch_historical_metrics,
    unique_keywords,
)
from longtail.planner.service import DEFAULT_RATE, format_duration

if TYPE_CHECKING:
    from longtail.planner.service import PlanningService
    from longtail.store import Market, Store

# Keyword Planner data is refreshed monthly; older cached figures are fetched again.
DEFAULT_MAX_AGE = timedelta(days=30)


@dataclass
class LookupStats:
    """What a lookup did, for its one line of stats."""

    requests: int = 0
    keywords_asked: int = 0
    from_cache: int = 0
    with_volume: int = 0
    close_variants: int = 0
    without_data: int = 0
    markets: list[str] = field(default_factory=list)
    # Requests sent again after a quota or transient error, and the seconds
    # slept for pacing and retries.
    retries: int = 0
    seconds_waited: float = 0.0

    def count(self, batch: list[KeywordMetrics]) -> None:
        """Add one answered request's results."""
        self.requests += 1
        for metrics in batch:
            if metrics.avg_monthly_searches is None:
                self.without_data += 1
            else:
                self.with_volume += 1
            if metrics.close_variant_of is not None:
                self.close_variants += 1

    def line(self) -> str:
        """The one-line summary printed after every lookup."""
        parts = [
            _count(self.requests, "request"),
            f"{self.keywords_asked:,} keywords asked",
            f"{self.from_cache:,} served from cache",
            f"{self.close_variants:,} merged as close variants",
            f"{self.without_data:,} without data",
        ]
        if self.retries:
            parts.append(_count(self.retries, "retry", "retries"))
        if self.seconds_waited:
            parts.append(f"waited {format_duration(self.seconds_waited)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class MarketPlan:
    """What a lookup would ask in one market (geo/language/network)."""

    market: str  # "US/en/google-search"
    keywords_to_ask: int
    from_cache: int
    requests: int


@dataclass(frozen=True)
class LookupPlan:
    """What `lookup_volumes` would send, worked out from the store alone."""

    markets: tuple[MarketPlan, ...]
    batch_size: int
    rate: float  # requests per second per customer

    @property
    def requests(self) -> int:
        """Requests in all markets, one per batch of missing keywords."""
        return sum(market.requests for market in self.markets)

    @property
    def keywords_to_ask(self) -> int:
        """Keywords not fresh in the store, as they would be sent."""
        return sum(market.keywords_to_ask for market in self.markets)

    @property
    def from_cache(self) -> int:
        """Keywords the store already holds fresh figures for."""
        return sum(market.from_cache for market in self.markets)

    @property
    def pacing_seconds(self) -> float:
        """The least time the requests take at `rate`: the first goes at once."""
        return max(self.requests - 1, 0) / self.rate

    def line(self) -> str:
        """The dry run's one-line answer: requests, keywords, cache, markets, pacing."""
        if not self.requests:
            return (
                f"Would send no requests: all {self.from_cache:,} keywords are served from "
                "cache. Nothing was sent."
            )
        asking = sum(1 for market in self.markets if market.requests)
        if self.requests == 1:
            pacing = "one request needs no pacing"
        else:
            rate = _count(self.rate, "request")
            pacing = f"pacing at {rate}/s takes at least {format_duration(self.pacing_seconds)}"
        return (
            f"Would send {_count(self.requests, 'request')} for {self.keywords_to_ask:,} "
            f"keywords ({self.from_cache:,} served from cache) in {_count(asking, 'market')}; "
            f"{pacing}. Nothing was sent."
        )


def lookup_volumes(
    store: Store,
    service: PlanningService,
    *,
    source: str,
    max_age: timedelta = DEFAULT_MAX_AGE,
    batch_size: int = HISTORICAL_METRICS_BATCH,
) -> LookupStats:
    """Fetch historical metrics for every candidate not fresh in the store; store each batch.

    Every request goes through `service`. When one fails for good the
    PlannerError propagates, and the batches before it are already stored
    under `source`, so a rerun asks only for the rest.
    """
    stats = LookupStats()
    retries_before, waited_before = service.retries, service.waited
    for market, missing, from_cache in _missing_by_market(store, source, max_age):
        stats.markets.append(_market_label(market))
        stats.from_cache += from_cache
        stats.keywords_asked += len(missing)
        if not missing:
            continue

        def save(batch: list[KeywordMetrics], market: Market = market) -> None:
            store.save_metrics(market, batch, source)
            stats.count(batch)

        fetch_historical_metrics(
            service,
            missing,
            geo=market.geo_codes,
            language=market.language,
            network=market.network,
            on_batch=save,
            batch_size=batch_size,
        )
    stats.retries = service.retries - retries_before
    stats.seconds_waited = service.waited - waited_before
    return stats


def plan_lookup(
    store: Store,
    *,
    source: str,
    max_age: timedelta = DEFAULT_MAX_AGE,
    batch_size: int = HISTORICAL_METRICS_BATCH,
    rate: float = DEFAULT_RATE,
) -> LookupPlan:
    """What `lookup_volumes` with the same arguments would send, without sending anything.

    Keywords are counted as `fetch_historical_metrics` sends them (one per
    spelling that differs only in case or spacing), so `requests` is exact.
    """
    if not 1 <= batch_size <= HISTORICAL_METRICS_BATCH:
        raise ValueError(f"batch_size must be 1..{HISTORICAL_METRICS_BATCH}, not {batch_size}")
    if not rate > 0:
        raise ValueError(f"rate must be more than 0 requests per second, not {rate}")
    markets = []
    for market, missing, from_cache in _missing_by_market(store, source, max_age):
        to_ask = len(unique_keywords(missing))
        markets.append(
            MarketPlan(
                market=_market_label(market),
                keywords_to_ask=to_ask,
                from_cache=from_cache,
                requests=math.ceil(to_ask / batch_size),
            )
        )
    return LookupPlan(markets=tuple(markets), batch_size=batch_size, rate=rate)


def _missing_by_market(
    store: Store, source: str, max_age: timedelta
) -> Iterator[tuple[Market, list[str], int]]:
    """Per market: the keywords without fresh metrics from `source`, and how many have them."""
    for market, keywords in store.keywords_by_market().items():
        fresh = store.fresh_keywords(market, keywords, source, max_age)
        yield market, [keyword for keyword in keywords if keyword not in fresh], len(fresh)


def _market_label(market: Market) -> str:
    return f"{market.geo}/{market.language}/{market.network}"


def _count(number: float, noun: str, plural: str | None = None) -> str:
    """ "1 request", "3 requests", "0.5 requests", with thousands separators."""
    word = noun if number == 1 else (plural or f"{noun}s")
    shown = f"{number:,}" if isinstance(number, int) else f"{number:,g}"
    return f"{shown} {word}"
