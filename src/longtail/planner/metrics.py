"""Historical search volumes from the Keyword Planner.

`fetch_historical_metrics` sends the keywords to
`KeywordPlanIdeaService.GenerateKeywordHistoricalMetrics` in batches, each
through a `longtail.planner.service.PlanningService` (which paces, retries and
reports failures; see `longtail.planner.failures` for the messages), and maps
every result back to the keywords asked. Google merges close variants into one
result ("car" and "cars"), and which spelling survives as the result's `text`
is not fixed, so each result is matched through its `text` and its
`close_variants`, compared case-insensitively with whitespace collapsed.
Keywords that no result covers come back with every metric None.

The Google Ads library is imported only inside the functions that need it, so
importing this module (for `KeywordMetrics`, say) stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from longtail.errors import InputError
from longtail.markets import GEO_TARGETS, LANGUAGES, NETWORKS

if TYPE_CHECKING:
    from google.ads.googleads.client import GoogleAdsClient

    from longtail.planner.service import PlanningService

# The KeywordPlanIdeaService method this module calls, as PlanningService.send names it.
HISTORICAL_METRICS = "GenerateKeywordHistoricalMetrics"

# Keywords per GenerateKeywordHistoricalMetrics request. Source: the `keywords`
# field of GenerateKeywordHistoricalMetricsRequest, "A maximum of 10,000
# keywords can be used." https://developers.google.com/google-ads/api/reference/rpc/latest/GenerateKeywordHistoricalMetricsRequest
HISTORICAL_METRICS_BATCH = 10_000

# Locations per request. Source: the same request's `geo_target_constants`
# field, "Maximum is 10."
MAX_GEO_TARGETS = 10

# Bids come in micros of the account currency. Source: KeywordPlanHistoricalMetrics
# `low_top_of_page_bid_micros` / `high_top_of_page_bid_micros`.
MICROS_PER_UNIT = 1_000_000

# MonthOfYearEnum names in calendar order. The enum's numbers are off by one
# (UNSPECIFIED = 0, UNKNOWN = 1, JANUARY = 2), so months are read by name.
MONTH_NAMES = (
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
)

# KeywordPlanCompetitionLevelEnum names that carry information; UNSPECIFIED
# and UNKNOWN become None.
_COMPETITION_LEVELS = frozenset({"LOW", "MEDIUM", "HIGH"})

_CUSTOMER_ID = re.compile(r"\d{10}")


@dataclass(frozen=True)
class KeywordMetrics:
    """Keyword Planner's historical metrics for one keyword as asked."""

    keyword: str
    avg_monthly_searches: int | None
    # (year, month 1..12, searches), oldest first; months Google has no
    # volume for are left out.
    monthly_searches: tuple[tuple[int, int, int], ...]
    competition: str | None
    competition_index: int | None
    # Account currency units (micros / 1,000,000).
    low_top_of_page_bid: float | None
    high_top_of_page_bid: float | None
    close_variant_of: str | None

    @classmethod
    def no_data(cls, keyword: str) -> KeywordMetrics:
        """Metrics for a keyword Google has no data for: every metric None."""
        return cls(
            keyword=keyword,
            avg_monthly_searches=None,
            monthly_searches=(),
            competition=None,
            competition_index=None,
            low_top_of_page_bid=None,
            high_top_of_page_bid=None,
            close_variant_of=None,
        )


def match_key(keyword: str) -> str:
    """The form Google's results are matched in: case folded, whitespace collapsed."""
    return " ".join(keyword.split()).casefold()


def normalise_customer_id(customer_id: str) -> str:
    """A customer id as the API wants it, ten digits: "123-456-7890" -> "1234567890"."""
    digits = customer_id.strip().replace("-", "")
    if not _CUSTOMER_ID.fullmatch(digits):
        raise InputError(
            f"Customer id {customer_id!r} is not a Google Ads customer id: use the 10-digit id "
            "shown at the top right of Google Ads, with or without dashes (123-456-7890)."
        )
    return digits


def geo_target_constants(geo: Sequence[str]) -> list[str]:
    """Resource names ("geoTargetConstants/2840") for ISO country codes ("US")."""
    codes = [geo] if isinstance(geo, str) else list(geo)
    if len(codes) > MAX_GEO_TARGETS:
        raise InputError(
            f"{len(codes)} countries given; the Keyword Planner takes at most "
            f"{MAX_GEO_TARGETS} per lookup. Split them into several runs."
        )
    names = []
    for code in codes:
        geo_id = GEO_TARGETS.get(code.strip().upper())
        if geo_id is None:
            valid = ", ".join(sorted(GEO_TARGETS))
            raise InputError(f"Unknown country code {code!r} in geo. Use one of: {valid}.")
        names.append(f"geoTargetConstants/{geo_id}")
    return names


def language_constant(language: str) -> str:
    """The resource name ("languageConstants/1000") for an ISO language code ("en")."""
    language_id = LANGUAGES.get(language.strip().lower())
    if language_id is None:
        raise InputError(
            f"Unknown language code {language!r}. Use one of: {', '.join(sorted(LANGUAGES))}."
        )
    return f"languageConstants/{language_id}"


def keyword_plan_network(network: str) -> str:
    """The KeywordPlanNetworkEnum name for a network as users write it ("google-search")."""
    enum_name = NETWORKS.get(network.strip().lower())
    if enum_name is None:
        raise InputError(f"Unknown network {network!r}. Use one of: {', '.join(sorted(NETWORKS))}.")
    return enum_name


def unique_keywords(keywords: Iterable[str]) -> list[str]:
    """The keywords a lookup sends: one spelling per match key (the first), blanks left out."""
    unique: dict[str, str] = {}
    for keyword in keywords:
        normalised = match_key(keyword)
        if normalised:
            unique.setdefault(normalised, keyword)
    return list(unique.values())


def fetch_historical_metrics(
    service: PlanningService,
    keywords: Sequence[str],
    *,
    geo: Sequence[str],
    language: str,
    network: str = "google-search",
    on_batch: Callable[[list[KeywordMetrics]], None] | None = None,
    batch_size: int = HISTORICAL_METRICS_BATCH,
) -> list[KeywordMetrics]:
    """One KeywordMetrics for every keyword asked, in batches of at most 10,000.

    `on_batch` is called after each batch with the metrics of the keywords
    sent in it, so a caller can store them before the next request (a crash
    then loses at most one batch). Keywords that differ only in case or
    spacing are sent once; blank ones are not sent and come back without data.
    `batch_size` (at most HISTORICAL_METRICS_BATCH) exists for tests and for
    callers that want smaller steps. Every request goes through `service`, for
    the customer it plans for; a request that fails for good raises
    PlannerError, after the batches before it were handed to `on_batch`.
    """
    if not 1 <= batch_size <= HISTORICAL_METRICS_BATCH:
        raise ValueError(f"batch_size must be 1..{HISTORICAL_METRICS_BATCH}, not {batch_size}")
    geo_names = geo_target_constants(geo)
    language_name = language_constant(language)
    network_name = keyword_plan_network(network)

    found: dict[str, KeywordMetrics] = {}
    for batch in _batches(unique_keywords(keywords), batch_size):
        request = _historical_metrics_request(
            service.client, service.customer_id, batch, geo_names, language_name, network_name
        )
        response = service.send(HISTORICAL_METRICS, request)
        # The raw protobuf results: proto-plus wraps every field access, which
        # costs more than the request itself on a 10,000-keyword answer.
        batch_metrics = metrics_for_results(batch, type(response).pb(response).results)
        for sent in batch_metrics:
            found[match_key(sent.keyword)] = sent
        if on_batch is not None:
            on_batch(batch_metrics)

    results = []
    for keyword in keywords:
        metrics = found.get(match_key(keyword))
        if metrics is None:
            results.append(KeywordMetrics.no_data(keyword))
        elif metrics.keyword != keyword:
            # A repeat in another case or spacing is reported as asked.
            results.append(replace(metrics, keyword=keyword))
        else:
            results.append(metrics)
    return results


def metrics_for_results(asked: Sequence[str], results: Iterable[Any]) -> list[KeywordMetrics]:
    """Map GenerateKeywordHistoricalMetricsResult messages back to the keywords asked.

    `results` are raw protobuf messages (`type(response).pb(response).results`).
    A result covers its `text` and each of its `close_variants`. When a keyword
    is both one result's text and another's close variant, the text wins.
    """
    results = list(results)
    covering: dict[str, Any] = {}
    for result in results:
        covering.setdefault(match_key(result.text), result)
    for result in results:
        for variant in result.close_variants:
            covering.setdefault(match_key(variant), result)

    mapped = []
    for keyword in asked:
        normalised = match_key(keyword)
        result = covering.get(normalised)
        if result is None or not result.HasField("keyword_metrics"):
            mapped.append(KeywordMetrics.no_data(keyword))
            continue
        merged_into = None if match_key(result.text) == normalised else result.text
        mapped.append(keyword_metrics_from(keyword, result.keyword_metrics, merged_into))
    return mapped


def keyword_metrics_from(
    keyword: str, metrics: Any, close_variant_of: str | None
) -> KeywordMetrics:
    """KeywordMetrics from a raw protobuf KeywordPlanHistoricalMetrics message."""
    monthly = []
    for volume in metrics.monthly_search_volumes:
        month_name = enum_name(volume, "month")
        # A month without a volume is "unavailable" per the API; leave it out.
        if (
            month_name in MONTH_NAMES
            and volume.HasField("year")
            and volume.HasField("monthly_searches")
        ):
            month = MONTH_NAMES.index(month_name) + 1
            monthly.append((volume.year, month, volume.monthly_searches))
    competition = enum_name(metrics, "competition")
    return KeywordMetrics(
        keyword=keyword,
        avg_monthly_searches=_optional_int(metrics, "avg_monthly_searches"),
        monthly_searches=tuple(sorted(monthly)),
        competition=competition if competition in _COMPETITION_LEVELS else None,
        competition_index=_optional_int(metrics, "competition_index"),
        low_top_of_page_bid=_micros_to_units(metrics, "low_top_of_page_bid_micros"),
        high_top_of_page_bid=_micros_to_units(metrics, "high_top_of_page_bid_micros"),
        close_variant_of=close_variant_of,
    )


def enum_name(message: Any, field: str) -> str:
    """The name of the enum value a raw protobuf message holds in `field` ("JANUARY")."""
    # Read by name through the descriptor: MonthOfYearEnum's numbers are off
    # by one (JANUARY = 2), and names survive renumbering between versions.
    value = getattr(message, field)
    enum_type = message.DESCRIPTOR.fields_by_name[field].enum_type
    known = enum_type.values_by_number.get(value)
    return known.name if known is not None else "UNKNOWN"


def _optional_int(message: Any, field: str) -> int | None:
    # Optional proto fields read as 0 when unset; presence tells "no data" apart.
    return int(getattr(message, field)) if message.HasField(field) else None


def _micros_to_units(message: Any, field: str) -> float | None:
    micros = _optional_int(message, field)
    return None if micros is None else micros / MICROS_PER_UNIT


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _historical_metrics_request(
    client: GoogleAdsClient,
    customer_id: str,
    keywords: Sequence[str],
    geo_names: Sequence[str],
    language_name: str,
    network_name: str,
) -> Any:
    # get_type and get_service both default to the newest version the
    # installed library ships, so request and service always agree.
    request = client.get_type("GenerateKeywordHistoricalMetricsRequest")
    request.customer_id = customer_id
    request.keywords.extend(keywords)
    request.geo_target_constants.extend(geo_names)
    request.language = language_name
    request.keyword_plan_network = network_name
    return request
