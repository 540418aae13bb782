"""Historical search volumes from the Keyword Planner.

`fetch_historical_metrics` sends the keywords to
`KeywordPlanIdeaService.GenerateKeywordHistoricalMetrics` in batches and maps
every result back to the keywords asked. Google merges close variants into one
result ("car" and "cars"), and which spelling survives as the result's `text`
is not fixed, so each result is matched through its `text` and its
`close_variants`, compared case-insensitively with whitespace collapsed.
Keywords that no result covers come back with every metric None.

The Google Ads library is imported only inside the functions that need it, so
importing this module (for `KeywordMetrics`, say) stays cheap.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from longtail.errors import InputError, PlannerError
from longtail.markets import GEO_TARGETS, LANGUAGES, NETWORKS

if TYPE_CHECKING:
    from google.ads.googleads.client import GoogleAdsClient

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
_FAILURE_METADATA_KEY = re.compile(r"google\.ads\.googleads\.(v\d+)\.errors\.googleadsfailure-bin")

_BASIC_ACCESS_HINT = (
    "Keyword Planner needs Basic access or higher for the developer token; apply in the "
    "API Center of your manager account (Google Ads > Tools > API Center). A token with "
    "Test Account access only works with test accounts, and Explorer access cannot use "
    "planning services at all."
)
_CUSTOMER_ID_HINT = (
    "Check the customer id: LONGTAIL_CUSTOMER_ID (or login_customer_id in google-ads.yaml) "
    "must be the 10-digit id of a Google Ads account you can sign in to, as shown at the "
    "top right of Google Ads (123-456-7890)."
)
_QUOTA_HINT = (
    "This is the API quota: planning requests are limited to about one per second per "
    "customer, and each access level has a daily limit. Wait a little and run the command "
    "again."
)

# What to do about the GoogleAdsFailure errors users actually meet, keyed by
# (ErrorCode field, enum name). Enum names from google.ads.googleads.vNN.errors.
_HINTS: dict[tuple[str, str], str] = {
    # Explorer access on planning services ("This method is not allowed for use
    # with explorer access") and test-access tokens on real accounts both arrive
    # as DEVELOPER_TOKEN_NOT_APPROVED.
    ("authorization_error", "DEVELOPER_TOKEN_NOT_APPROVED"): _BASIC_ACCESS_HINT,
    # Its successor once access levels moved to Google Cloud projects.
    ("authorization_error", "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION"): (
        _BASIC_ACCESS_HINT.replace(
            "apply in the API Center of your manager account (Google Ads > Tools > API Center)",
            "apply on the Google Ads API page of your Google Cloud project "
            "(console.cloud.google.com/google/ads-apis/overview)",
        )
    ),
    ("authorization_error", "USER_PERMISSION_DENIED"): (
        "The signed-in Google account cannot use this customer id. If the account is managed "
        "by a manager account, set login_customer_id (GOOGLE_ADS_LOGIN_CUSTOMER_ID) to the "
        "manager's id. " + _CUSTOMER_ID_HINT
    ),
    ("authorization_error", "CUSTOMER_NOT_ENABLED"): (
        "The Google Ads account is not enabled yet or was closed; use an active account."
    ),
    ("request_error", "INVALID_CUSTOMER_ID"): _CUSTOMER_ID_HINT,
    ("authentication_error", "CUSTOMER_NOT_FOUND"): _CUSTOMER_ID_HINT,
    ("authentication_error", "CLIENT_CUSTOMER_ID_INVALID"): _CUSTOMER_ID_HINT,
    ("authentication_error", "DEVELOPER_TOKEN_INVALID"): (
        "The developer token is not valid: copy it again from the API Center of your manager "
        "account into developer_token (GOOGLE_ADS_DEVELOPER_TOKEN)."
    ),
    ("authentication_error", "OAUTH_TOKEN_EXPIRED"): (
        "The OAuth refresh token no longer works: generate a new one and put it in "
        "refresh_token (GOOGLE_ADS_REFRESH_TOKEN)."
    ),
    ("authentication_error", "OAUTH_TOKEN_REVOKED"): (
        "The OAuth refresh token was revoked: generate a new one and put it in "
        "refresh_token (GOOGLE_ADS_REFRESH_TOKEN)."
    ),
    ("authentication_error", "OAUTH_TOKEN_INVALID"): (
        "The OAuth credentials are not valid: check client_id, client_secret and "
        "refresh_token (GOOGLE_ADS_CLIENT_ID / _CLIENT_SECRET / _REFRESH_TOKEN)."
    ),
    ("quota_error", "RESOURCE_EXHAUSTED"): _QUOTA_HINT,
    ("quota_error", "RESOURCE_TEMPORARILY_EXHAUSTED"): _QUOTA_HINT,
}

# Hints for errors that reach us as google.api_core exceptions, by gRPC status.
_STATUS_HINTS: dict[str, str] = {
    "RESOURCE_EXHAUSTED": _QUOTA_HINT,
    "UNAVAILABLE": (
        "The Google Ads API could not be reached or is busy; check the network and try "
        "again in a few minutes."
    ),
    "DEADLINE_EXCEEDED": "The Google Ads API did not answer in time; try again in a few minutes.",
    "UNAUTHENTICATED": (
        "The OAuth credentials were rejected: check client_id, client_secret and refresh_token "
        "in google-ads.yaml or the GOOGLE_ADS_* variables."
    ),
    "PERMISSION_DENIED": _BASIC_ACCESS_HINT,
    "INTERNAL": "Google reported an internal error; try again in a few minutes.",
}


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


def fetch_historical_metrics(
    client: GoogleAdsClient,
    customer_id: str,
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
    callers that want smaller steps.
    """
    if not 1 <= batch_size <= HISTORICAL_METRICS_BATCH:
        raise ValueError(f"batch_size must be 1..{HISTORICAL_METRICS_BATCH}, not {batch_size}")
    planning_customer_id = normalise_customer_id(customer_id)
    geo_names = geo_target_constants(geo)
    language_name = language_constant(language)
    network_name = keyword_plan_network(network)

    # The first spelling of each normalised keyword is the one sent.
    unique: dict[str, str] = {}
    for keyword in keywords:
        normalised = match_key(keyword)
        if normalised:
            unique.setdefault(normalised, keyword)

    found: dict[str, KeywordMetrics] = {}
    if unique:
        service = client.get_service("KeywordPlanIdeaService")
        try:
            for batch in _batches(list(unique.values()), batch_size):
                request = _historical_metrics_request(
                    client, planning_customer_id, batch, geo_names, language_name, network_name
                )
                response = _send_historical_metrics_request(client, service, request)
                batch_metrics = metrics_for_results(batch, response.results)
                for sent in batch_metrics:
                    found[match_key(sent.keyword)] = sent
                if on_batch is not None:
                    on_batch(batch_metrics)
        finally:
            service.transport.close()

    results = []
    for keyword in keywords:
        metrics = found.get(match_key(keyword))
        if metrics is None:
            results.append(KeywordMetrics.no_data(keyword))
        else:
            # A repeat in another case or spacing is reported as asked.
            results.append(replace(metrics, keyword=keyword))
    return results


def metrics_for_results(asked: Sequence[str], results: Iterable[Any]) -> list[KeywordMetrics]:
    """Map GenerateKeywordHistoricalMetricsResult messages back to the keywords asked.

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
        if result is None or "keyword_metrics" not in result:
            mapped.append(KeywordMetrics.no_data(keyword))
            continue
        merged_into = None if match_key(result.text) == normalised else result.text
        mapped.append(keyword_metrics_from(keyword, result.keyword_metrics, merged_into))
    return mapped


def keyword_metrics_from(
    keyword: str, metrics: Any, close_variant_of: str | None
) -> KeywordMetrics:
    """KeywordMetrics from a KeywordPlanHistoricalMetrics message (proto-plus)."""
    monthly = []
    for volume in metrics.monthly_search_volumes:
        month_name = getattr(volume.month, "name", None)
        # A month without a volume is "unavailable" per the API; leave it out.
        if month_name in MONTH_NAMES and "year" in volume and "monthly_searches" in volume:
            month = MONTH_NAMES.index(month_name) + 1
            monthly.append((int(volume.year), month, int(volume.monthly_searches)))
    competition = getattr(metrics.competition, "name", None)
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


def _optional_int(message: Any, field: str) -> int | None:
    # Optional proto fields read as 0 when unset; presence tells "no data" apart.
    return int(getattr(message, field)) if field in message else None


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


def _send_historical_metrics_request(client: GoogleAdsClient, service: Any, request: Any) -> Any:
    """Send one GenerateKeywordHistoricalMetrics request; failures become PlannerError.

    The one place a request goes out: retries and pacing belong here.
    """
    from google.ads.googleads.errors import GoogleAdsException
    from google.api_core.exceptions import GoogleAPICallError

    try:
        return service.generate_keyword_historical_metrics(request=request)
    except GoogleAdsException as exc:
        raise PlannerError(_redact(describe_google_ads_exception(exc), client)) from exc
    except GoogleAPICallError as exc:
        raise PlannerError(_redact(describe_api_call_error(exc), client)) from exc


def describe_google_ads_exception(exc: Any) -> str:
    """A user-facing account of a GoogleAdsException: request id, each error, what to do."""
    status = _status_name(exc.error)
    lines = [f"Keyword Planner request failed with status {status} (request id {exc.request_id}):"]
    hints: list[str] = []
    for error in exc.failure.errors:
        category, name = _error_code(error.error_code)
        line = f"  - {category}.{name}: {error.message}"
        field_path = _field_path(error)
        if field_path:
            line += f" (field: {field_path})"
        lines.append(line)
        hint = _HINTS.get((category, name))
        if hint and hint not in hints:
            hints.append(hint)
    if not hints and status in _STATUS_HINTS:
        hints.append(_STATUS_HINTS[status])
    lines.extend(hints)
    return "\n".join(lines)


def describe_api_call_error(exc: Any) -> str:
    """A user-facing account of a google.api_core GoogleAPICallError (quota, network)."""
    status = _status_name(exc)
    metadata = _trailing_metadata(exc)
    request_id = next((value for key, value in metadata if key == "request-id"), None)
    where = f" (request id {request_id})" if request_id else ""
    failure = _failure_from_metadata(metadata)
    if failure is not None and failure.errors:
        lines = [f"Keyword Planner request failed with status {status}{where}:"]
        for error in failure.errors:
            category, name = _error_code(error.error_code)
            lines.append(f"  - {category}.{name}: {error.message}")
    else:
        lines = [f"Keyword Planner request failed with status {status}{where}: {exc.message}"]
    delay = retry_delay_seconds(exc)
    if delay is not None:
        lines.append(f"Google asks to wait {delay:g} seconds before the next request.")
    hint = _STATUS_HINTS.get(status)
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def retry_delay_seconds(exc: Any) -> float | None:
    """QuotaErrorDetails.retry_delay of a failed call, in seconds, when Google sent one."""
    failure = _failure_from_metadata(_trailing_metadata(exc))
    if failure is None:
        return None
    for error in failure.errors:
        if "details" in error and "quota_error_details" in error.details:
            quota = error.details.quota_error_details
            if "retry_delay" in quota:
                # proto-plus hands Duration over as a datetime.timedelta.
                return float(quota.retry_delay.total_seconds())
    return None


def _status_name(error: Any) -> str:
    """The gRPC status name of a grpc.RpcError or GoogleAPICallError."""
    code = getattr(error, "grpc_status_code", None)
    if code is None and callable(getattr(error, "code", None)):
        code = error.code()
    return str(getattr(code, "name", code))


def _error_code(error_code: Any) -> tuple[str, str]:
    """(field, enum name) of the one ErrorCode oneof member that is set."""
    category = type(error_code).pb(error_code).WhichOneof("error_code")
    if category is None:
        return ("unknown_error", "UNKNOWN")
    value = getattr(error_code, category)
    return (category, str(getattr(value, "name", value)))


def _field_path(error: Any) -> str:
    if "location" not in error:
        return ""
    parts = []
    for element in error.location.field_path_elements:
        part = element.field_name
        if "index" in element:
            part += f"[{element.index}]"
        parts.append(part)
    return ".".join(parts)


def _trailing_metadata(exc: Any) -> list[tuple[str, Any]]:
    # api_core keeps the failed grpc.Call as `response`; its trailing metadata
    # carries the request id and the serialized GoogleAdsFailure.
    call = getattr(exc, "response", None)
    trailing = getattr(call, "trailing_metadata", None)
    if not callable(trailing):
        return []
    try:
        return list(trailing() or ())
    except Exception:  # the call object may not have completed; nothing to read
        return []


def _failure_from_metadata(metadata: Sequence[tuple[str, Any]]) -> Any:
    """The GoogleAdsFailure in trailing metadata, parsed with its own API version."""
    for key, value in metadata:
        match = _FAILURE_METADATA_KEY.fullmatch(key)
        if match is None:
            continue
        errors_module = importlib.import_module(
            f"google.ads.googleads.{match.group(1)}.errors.types.errors"
        )
        try:
            return errors_module.GoogleAdsFailure.deserialize(value)
        except Exception:  # a garbled failure must not hide the original error
            return None
    return None


def _redact(message: str, client: Any) -> str:
    """Remove the developer token and OAuth tokens, should Google ever echo them."""
    credentials = getattr(client, "credentials", None)
    secrets = [
        getattr(client, "developer_token", None),
        getattr(credentials, "token", None),
        getattr(credentials, "refresh_token", None),
        getattr(credentials, "client_secret", None),
    ]
    for secret in secrets:
        # Very short values would blank out ordinary words.
        if isinstance(secret, str) and len(secret) >= 8:
            message = message.replace(secret, "[redacted]")
    return message
