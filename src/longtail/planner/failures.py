"""What a failed Keyword Planner request means, told the way a user can act on it.

Google reports failures in two shapes:

- `google.ads.googleads.errors.GoogleAdsException`, which the client's
  exception interceptor builds whenever the trailing metadata carries a
  `GoogleAdsFailure` (authorization, bad request, most quota errors);
- `google.api_core.exceptions.GoogleAPICallError` subclasses for the statuses
  the interceptor leaves alone (RESOURCE_EXHAUSTED and INTERNAL, by design of
  google-ads' interceptor) and for calls without a GoogleAdsFailure
  (UNAVAILABLE from the network, DEADLINE_EXCEEDED). Their GoogleAdsFailure,
  when Google sent one, is still in the trailing metadata.

`describe_google_ads_exception` and `describe_api_call_error` turn either into
a message with the request id, each error and what to do; `retry_delay_seconds`
reads the QuotaErrorDetails.retry_delay Google asks a client to wait;
`error_codes` and `status_name` let `longtail.planner.service` decide what to
retry. Nothing here imports the Google Ads library at module level.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from typing import Any

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
_MARKET_HINT = (
    "Google refused a value of the request; the ones you choose are the market's: check "
    "market.geo, market.language and market.network in the persona file (or --geo, "
    "--language, --network), e.g. geo: US, language: en, network: google-search."
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
    # KeywordPlanIdeaError.INVALID_VALUE: "The input has an invalid value"; in
    # longtail's requests the values a user chooses are the market's.
    ("keyword_plan_idea_error", "INVALID_VALUE"): _MARKET_HINT,
    ("criterion_error", "CANNOT_TARGET_LANGUAGE"): _MARKET_HINT,
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


def describe_google_ads_exception(exc: Any) -> str:
    """A user-facing account of a GoogleAdsException: request id, each error, what to do."""
    status = status_name(exc.error)
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
    status = status_name(exc)
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


def describe_failure(exc: Any, client: Any) -> str:
    """`describe_google_ads_exception` or `describe_api_call_error`, secrets removed.

    `exc` is a GoogleAdsException when it carries a `failure`, otherwise a
    GoogleAPICallError; `client` is the GoogleAdsClient whose tokens must not
    appear in the message.
    """
    if getattr(exc, "failure", None) is not None:
        return redact(describe_google_ads_exception(exc), client)
    return redact(describe_api_call_error(exc), client)


def retry_delay_seconds(exc: Any) -> float | None:
    """QuotaErrorDetails.retry_delay of a failed call, in seconds, when Google sent one.

    Reads the GoogleAdsFailure of a GoogleAdsException (`exc.failure`) or the
    one in a GoogleAPICallError's trailing metadata.
    """
    failure = _failure_of(exc)
    if failure is None:
        return None
    for error in failure.errors:
        if "details" in error and "quota_error_details" in error.details:
            quota = error.details.quota_error_details
            if "retry_delay" in quota:
                # proto-plus hands Duration over as a datetime.timedelta.
                return float(quota.retry_delay.total_seconds())
    return None


def error_codes(exc: Any) -> list[tuple[str, str]]:
    """(ErrorCode field, enum name) of every error in the failure of `exc`; [] without one."""
    failure = _failure_of(exc)
    if failure is None:
        return []
    return [_error_code(error.error_code) for error in failure.errors]


def status_name(error: Any) -> str:
    """The gRPC status name of a grpc.RpcError, GoogleAPICallError or GoogleAdsException."""
    if getattr(error, "failure", None) is not None and hasattr(error, "error"):
        # A GoogleAdsException keeps the grpc.Call it was made from as `error`.
        error = error.error
    code = getattr(error, "grpc_status_code", None)
    if code is None and callable(getattr(error, "code", None)):
        code = error.code()
    return str(getattr(code, "name", code))


def client_secrets(client: Any) -> list[str | None]:
    """The credentials a client carries: developer token and OAuth tokens (None when absent)."""
    credentials = getattr(client, "credentials", None)
    return [
        getattr(client, "developer_token", None),
        getattr(credentials, "token", None),
        getattr(credentials, "refresh_token", None),
        getattr(credentials, "client_secret", None),
    ]


def redact(message: str, client: Any) -> str:
    """Remove the developer token and OAuth tokens, should Google ever echo them."""
    for secret in client_secrets(client):
        # Very short values would blank out ordinary words.
        if isinstance(secret, str) and len(secret) >= 8:
            message = message.replace(secret, "[redacted]")
    return message


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


def _failure_of(exc: Any) -> Any:
    """The GoogleAdsFailure of a GoogleAdsException, or from a call error's metadata."""
    failure = getattr(exc, "failure", None)
    if failure is not None:
        return failure
    return _failure_from_metadata(_trailing_metadata(exc))


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
