"""Volume lookup for every stored candidate: cache first, then the Keyword Planner.

Candidates are grouped by the market their personas search in, keywords whose
metrics are fresh in the store are skipped, and each batch is written as soon
as it arrives, so a run killed mid-way loses nothing and a rerun asks only for
what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from longtail.planner.metrics import (
    HISTORICAL_METRICS_BATCH,
    KeywordMetrics,
    fetch_historical_metrics,
)

if TYPE_CHECKING:
    from longtail.store import Store

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
        noun = "request" if self.requests == 1 else "requests"
        return (
            f"{self.requests} {noun}, {self.keywords_asked} keywords asked, "
            f"{self.from_cache} served from cache, {self.close_variants} merged as close "
            f"variants, {self.without_data} without data"
        )


def lookup_volumes(
    store: Store,
    client: Any,
    customer_id: str,
    *,
    source: str,
    max_age: timedelta = DEFAULT_MAX_AGE,
    batch_size: int = HISTORICAL_METRICS_BATCH,
) -> LookupStats:
    """Fetch historical metrics for every candidate not fresh in the store; store each batch."""
    stats = LookupStats()
    for market, keywords in store.keywords_by_market().items():
        stats.markets.append(f"{market.geo}/{market.language}/{market.network}")
        fresh = store.fresh_keywords(market, keywords, source, max_age)
        missing = [keyword for keyword in keywords if keyword not in fresh]
        stats.from_cache += len(fresh)
        stats.keywords_asked += len(missing)
        if not missing:
            continue

        def save(batch: list[KeywordMetrics], market: Any = market) -> None:
            store.save_metrics(market, batch, source)
            stats.count(batch)

        fetch_historical_metrics(
            client,
            customer_id,
            missing,
            geo=market.geo_codes,
            language=market.language,
            network=market.network,
            on_batch=save,
            batch_size=batch_size,
        )
    return stats
