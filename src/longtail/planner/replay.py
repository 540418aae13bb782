"""A loopback gRPC server that answers KeywordPlanIdeaService from recorded fixtures.

Tests and the `--replay DIR` offline mode point a real `GoogleAdsClient`
(`longtail.planner.client.replay_client`) at this server, so the whole client
stack (interceptors, proto-plus, TLS, error translation) runs as it does
against Google.

Fixtures directory
------------------

    fixtures/keyword_planner/
      manifest.json
      historical_trail_running.json
      ideas_trail_running_page1.json
      ...

`manifest.json` describes the recording::

    {"label": "Sample data: trail running (not real Keyword Planner figures)",
     "api_version": "v26",
     "note": "..."}

`label` (required) is shown to users of `--replay`; `api_version` (required)
is the Google Ads API version the messages were recorded in and must be one
the installed google-ads library ships; other keys are kept for people.

Every other `*.json` file is one recorded exchange::

    {"method": "GenerateKeywordHistoricalMetrics",
     "request": <GenerateKeywordHistoricalMetricsRequest.to_json(...)>,
     "response": <GenerateKeywordHistoricalMetricsResponse.to_json(...)>}

`request` and `response` are the proto3 JSON form of the messages (camelCase
field names, enums by name, int64 as strings), exactly as proto-plus
`Type.to_json` writes them and `Type.from_json` reads them; `write_fixture`
produces them. Customer ids are always written as `REPLAY_CUSTOMER_ID`.

How requests are answered
-------------------------

- GenerateKeywordHistoricalMetrics: every recorded result is indexed by its
  `text` and its `close_variants` (case folded, whitespace collapsed), across
  all fixture files. Any request is answered: for each keyword asked, the
  recorded result covering it, each result once per response with
  close_variants as recorded; for a keyword nothing covers, a result with
  only `text` set and no `keyword_metrics` (a keyword without data).
- GenerateKeywordIdeas: the recorded exchange whose request equals the one
  received (customer id aside) is replayed. Page tokens are part of the
  request, so recorded pages are followed page by page. A request nobody
  recorded fails with NOT_FOUND, naming the seeds.

Requests may arrive in any API version the installed library ships: recorded
messages are re-read with that version's classes, so fixtures outlive a
library upgrade.

TLS
---

The client only speaks TLS, so the server presents a self-signed certificate
for localhost and 127.0.0.1, and gRPC is told to trust it through
GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (pointed at a roots file holding any roots
the variable already named, plus the certificate). gRPC reads that variable
once per process, when the first secure channel opens, so one certificate is
made per process (in a temporary directory) and shared by every server; start
a server before any secure channel opens.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Required, Self, TypedDict

import grpc

from longtail.errors import FixtureError, InputError, OperationError, Problem
from longtail.planner.client import REPLAY_CUSTOMER_ID
from longtail.planner.metrics import (
    HISTORICAL_METRICS,
    MONTH_NAMES,
    geo_target_constants,
    keyword_plan_network,
    language_constant,
    match_key,
    normalise_customer_id,
)
from longtail.planner.service import KEYWORD_IDEAS

MANIFEST = "manifest.json"
ROOTS_VARIABLE = "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"


# Method -> (request class, response class) in
# google.ads.googleads.vNN.services.types.keyword_plan_idea_service.
# The ideas response really is singular ("Idea").
_MESSAGE_NAMES: dict[str, tuple[str, str]] = {
    HISTORICAL_METRICS: (
        "GenerateKeywordHistoricalMetricsRequest",
        "GenerateKeywordHistoricalMetricsResponse",
    ),
    KEYWORD_IDEAS: ("GenerateKeywordIdeasRequest", "GenerateKeywordIdeaResponse"),
}
FIXTURE_METHODS = tuple(_MESSAGE_NAMES)

# Status codes a Fault may use: what the real service answers with.
FAULT_STATUSES = (
    "RESOURCE_EXHAUSTED",
    "UNAVAILABLE",
    "UNAUTHENTICATED",
    "INVALID_ARGUMENT",
    "PERMISSION_DENIED",
    "INTERNAL",
    "DEADLINE_EXCEEDED",
)

# Messages Google sends with these errors (the Explorer one as reported by
# users of planning services), so replayed faults read like real ones.
_FAULT_MESSAGES: dict[tuple[str, str], str] = {
    ("authorization_error", "DEVELOPER_TOKEN_NOT_APPROVED"): (
        "This method is not allowed for use with explorer access. "
        "Please apply for basic or standard access."
    ),
    ("authorization_error", "USER_PERMISSION_DENIED"): (
        "User doesn't have permission to access customer."
    ),
    ("request_error", "INVALID_CUSTOMER_ID"): "Invalid customer ID.",
    (
        "authentication_error",
        "CUSTOMER_NOT_FOUND",
    ): "No customer found for the provided customer id.",
    ("authentication_error", "OAUTH_TOKEN_INVALID"): "Oauth token is invalid.",
    ("quota_error", "RESOURCE_EXHAUSTED"): "Too many requests.",
    ("quota_error", "RESOURCE_TEMPORARILY_EXHAUSTED"): "Too many requests.",
}
_DEFAULT_QUOTA_ERROR = "quota_error:RESOURCE_TEMPORARILY_EXHAUSTED"
_FAULT_ERROR = re.compile(r"([a-z_]+):([A-Z0-9_]+)")
_METHOD_PATH = "google.ads.googleads.{version}.services.KeywordPlanIdeaService"

_CERT_FILE = "longtail-replay-cert.pem"
_KEY_FILE = "longtail-replay-key.pem"
_ROOTS_FILE = "longtail-replay-roots.pem"


class SampleResult(TypedDict, total=False):
    """One historical metrics result for `historical_metrics_response`.

    Only `text` is required; a result without any metric has no
    `keyword_metrics` at all, the way a keyword without data looks.
    `monthly_searches` holds (year, calendar month 1..12, searches).
    """

    text: Required[str]
    close_variants: Sequence[str]
    avg_monthly_searches: int
    monthly_searches: Sequence[tuple[int, int, int]]
    competition: str  # "LOW" | "MEDIUM" | "HIGH"
    competition_index: int
    low_top_of_page_bid_micros: int
    high_top_of_page_bid_micros: int


_METRIC_KEYS = (
    "avg_monthly_searches",
    "monthly_searches",
    "competition",
    "competition_index",
    "low_top_of_page_bid_micros",
    "high_top_of_page_bid_micros",
)


@dataclass(frozen=True)
class Fault:
    """Make the `call`-th request (1-based, per method) fail like the real API would.

    `error` ("authorization_error:DEVELOPER_TOKEN_NOT_APPROVED", an ErrorCode
    field and enum name) goes into a serialized GoogleAdsFailure in the
    `google.ads.googleads.vNN.errors.googleadsfailure-bin` trailing metadata,
    in the version of the request. `retry_delay_seconds` adds
    QuotaErrorDetails.retry_delay to that failure (and implies
    quota_error:RESOURCE_TEMPORARILY_EXHAUSTED when `error` is None).
    Every fault carries a `request-id` of "replay-<method>-<call>".
    """

    method: str
    call: int
    status: str
    error: str | None
    retry_delay_seconds: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.method not in FIXTURE_METHODS:
            problems.append(f"method must be one of {', '.join(FIXTURE_METHODS)}")
        if self.call < 1:
            problems.append("call counts from 1")
        if self.status not in FAULT_STATUSES:
            problems.append(f"status must be one of {', '.join(FAULT_STATUSES)}")
        if self.error is not None and not _FAULT_ERROR.fullmatch(self.error):
            problems.append(
                'error must look like "authorization_error:DEVELOPER_TOKEN_NOT_APPROVED"'
            )
        if self.retry_delay_seconds is not None and self.retry_delay_seconds < 0:
            problems.append("retry_delay_seconds cannot be negative")
        if problems:
            raise InputError(f"Bad replay fault {self!r}: {'; '.join(problems)}.")

    @property
    def error_code(self) -> tuple[str, str] | None:
        """(ErrorCode field, enum name) that goes into the GoogleAdsFailure, if any."""
        error = self.error
        if error is None and self.retry_delay_seconds is not None:
            error = _DEFAULT_QUOTA_ERROR
        if error is None:
            return None
        category, name = error.split(":")
        return category, name


@dataclass(frozen=True)
class _Exchange:
    path: Path
    method: str
    request_json: str
    response_json: str


@dataclass(frozen=True)
class _Fixtures:
    label: str
    api_version: str
    exchanges: tuple[_Exchange, ...]


@dataclass
class _Served:
    """The recorded exchanges, read with one API version's classes."""

    historical_results: list[Any] = field(default_factory=list)
    covering: dict[str, int] = field(default_factory=dict)
    idea_pages: list[tuple[str, Any]] = field(default_factory=list)


class _Running:
    """`with` starts a server and stops it, whatever happens inside."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class ReplayServer(_Running):
    """gRPC server on 127.0.0.1 serving KeywordPlanIdeaService from recorded JSON fixtures.

    It speaks TLS with this process's self-signed certificate. `endpoint` is
    "localhost:PORT" once started, `requests` lists (method, keyword count)
    per request received, and `label` comes from the fixtures' manifest.
    """

    def __init__(self, fixtures_dir: Path, faults: Sequence[Fault] = ()) -> None:
        self.fixtures_dir = Path(fixtures_dir)
        self._fixtures = _load_fixtures(self.fixtures_dir)
        self.label: str = self._fixtures.label
        self._faults = {(fault.method, fault.call): fault for fault in faults}
        for fault in faults:
            if fault.error_code is not None:
                # Refuse a misspelt error code now rather than on the failing call.
                _error_code_message(
                    _errors_module(self._fixtures.api_version), fault.error_code, fault
                )
        self.endpoint: str = ""
        self.requests: list[tuple[str, int]] = []
        # Seconds spent handling requests, for benchmarks that subtract the
        # server's own share from the client's wall time.
        self.busy_seconds = 0.0
        self._calls: Counter[str] = Counter()
        self._served: dict[str, _Served] = {}
        self._lock = threading.Lock()
        self._server: Any = None

    def start(self) -> Self:
        """Listen on an OS-chosen port of 127.0.0.1; `endpoint` names it."""
        if self._server is not None:
            return self
        key_pem, cert_pem = _process_certificate()
        server = grpc.server(ThreadPoolExecutor(max_workers=4, thread_name_prefix="replay"))
        server.add_generic_rpc_handlers(
            [
                grpc.method_handlers_generic_handler(
                    _METHOD_PATH.format(version=version), self._method_handlers(version)
                )
                for version in installed_api_versions()
            ]
        )
        credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)])
        port = server.add_secure_port("127.0.0.1:0", credentials)
        if not port:
            raise OperationError("The replay server could not listen on 127.0.0.1.")
        server.start()
        self._server = server
        # "localhost" because that is the name the certificate is for.
        self.endpoint = f"localhost:{port}"
        return self

    def stop(self) -> None:
        """Stop listening; calls in flight are cancelled."""
        if self._server is not None:
            self._server.stop(grace=None).wait()
            self._server = None

    def _method_handlers(self, version: str) -> dict[str, Any]:
        handlers = {}
        for method in FIXTURE_METHODS:
            # Message classes load on the first request of a version: each
            # version costs about a second to import.
            handlers[method] = grpc.unary_unary_rpc_method_handler(
                functools.partial(self._handle, version, method)
            )
        return handlers

    def _handle(self, version: str, method: str, payload: bytes, context: Any) -> bytes:
        # Raw bytes in and out, so `busy_seconds` covers the server's whole
        # share of a request: parsing it, answering, and writing the answer.
        started = time.perf_counter()
        try:
            request = _deserialize(version, method, payload)
            return _serialize(version, method, self._answer(version, method, request, context))
        finally:
            with self._lock:
                self.busy_seconds += time.perf_counter() - started

    def _answer(self, version: str, method: str, request: Any, context: Any) -> Any:
        with self._lock:
            self.requests.append((method, _keyword_count(method, request)))
            self._calls[method] += 1
            call = self._calls[method]
        fault = self._faults.get((method, call))
        if fault is not None:
            _abort_with_fault(context, version, fault)
        served = self._served_version(version)
        if method == HISTORICAL_METRICS:
            return _historical_metrics_answer(version, served, request)
        return self._keyword_ideas_answer(version, served, request, context)

    def _served_version(self, version: str) -> _Served:
        with self._lock:
            served = self._served.get(version)
            if served is None:
                served = _read_exchanges(self._fixtures, version)
                self._served[version] = served
            return served

    def _keyword_ideas_answer(
        self, version: str, served: _Served, request: Any, context: Any
    ) -> Any:
        request_class, _ = message_classes(KEYWORD_IDEAS, version)
        key = _ideas_key(request_class, request)
        for recorded_key, response in served.idea_pages:
            if recorded_key == key:
                return response
        seeds = ", ".join(_seed_keywords(request)) or "(no keyword seeds)"
        context.abort(
            grpc.StatusCode.NOT_FOUND,
            f"No recorded GenerateKeywordIdeas exchange in {self.fixtures_dir} matches this "
            f"request (seeds: {seeds}; page token {request.page_token or 'none'}). Record it "
            "with `longtail record`, or replay with the seeds that were recorded.",
        )


def installed_api_versions() -> list[str]:
    """The Google Ads API versions the installed library ships, oldest first ("v23", ...)."""
    spec = importlib.util.find_spec("google.ads.googleads")
    locations = list(spec.submodule_search_locations or []) if spec else []
    versions = {
        entry.name
        for location in locations
        for entry in Path(location).iterdir()
        if entry.is_dir() and re.fullmatch(r"v\d+", entry.name)
    }
    return sorted(versions, key=lambda version: int(version[1:]))


def newest_api_version() -> str:
    """The newest API version installed: the one GoogleAdsClient uses by default."""
    return installed_api_versions()[-1]


def message_classes(method: str, api_version: str | None = None) -> tuple[Any, Any]:
    """The proto-plus (request, response) classes of a KeywordPlanIdeaService method."""
    if method not in _MESSAGE_NAMES:
        raise ValueError(f"method must be one of {', '.join(FIXTURE_METHODS)}, not {method!r}")
    module = _services_module(api_version or newest_api_version())
    request_name, response_name = _MESSAGE_NAMES[method]
    return getattr(module, request_name), getattr(module, response_name)


def historical_metrics_request(
    keywords: Sequence[str],
    *,
    geo: Sequence[str] = ("US",),
    language: str = "en",
    network: str = "google-search",
    customer_id: str = REPLAY_CUSTOMER_ID,
    api_version: str | None = None,
) -> Any:
    """A GenerateKeywordHistoricalMetricsRequest as `fetch_historical_metrics` sends it."""
    request_class, _ = message_classes(HISTORICAL_METRICS, api_version)
    return request_class(
        customer_id=normalise_customer_id(customer_id),
        keywords=list(keywords),
        geo_target_constants=geo_target_constants(geo),
        language=language_constant(language),
        keyword_plan_network=keyword_plan_network(network),
    )


def historical_metrics_response(
    results: Sequence[SampleResult], *, api_version: str | None = None
) -> Any:
    """A GenerateKeywordHistoricalMetricsResponse built from plain values.

    Months are calendar months (1..12) and are written as MonthOfYearEnum
    names; competition is "LOW", "MEDIUM" or "HIGH"; bids are in micros.
    """
    _, response_class = message_classes(HISTORICAL_METRICS, api_version)
    return response_class(results=[_result_message(r, "keyword_metrics") for r in results])


def keyword_ideas_request(
    seeds: Sequence[str],
    *,
    geo: Sequence[str] = ("US",),
    language: str = "en",
    network: str = "google-search",
    page_token: str = "",
    customer_id: str = REPLAY_CUSTOMER_ID,
    api_version: str | None = None,
) -> Any:
    """A GenerateKeywordIdeasRequest as `longtail.planner.ideas.fetch_keyword_ideas` sends it."""
    request_class, _ = message_classes(KEYWORD_IDEAS, api_version)
    return request_class(
        customer_id=normalise_customer_id(customer_id),
        keyword_seed={"keywords": list(seeds)},
        geo_target_constants=geo_target_constants(geo),
        language=language_constant(language),
        keyword_plan_network=keyword_plan_network(network),
        include_adult_keywords=False,
        page_token=page_token,
    )


def keyword_ideas_response(
    results: Sequence[SampleResult],
    *,
    next_page_token: str = "",
    concepts: dict[str, Sequence[tuple[str, str]]] | None = None,
    api_version: str | None = None,
) -> Any:
    """One GenerateKeywordIdeaResponse page built from plain values (as for historical metrics).

    `concepts` maps an idea's text to its (concept name, concept group type)
    annotations, e.g. [("Ridgeline", "BRAND")].
    """
    _, response_class = message_classes(KEYWORD_IDEAS, api_version)
    messages = []
    for result in results:
        message = _result_message(result, "keyword_idea_metrics")
        annotated = (concepts or {}).get(result["text"])
        if annotated:
            message["keyword_annotations"] = {
                "concepts": [
                    {"name": name, "concept_group": {"name": name, "type_": kind}}
                    for name, kind in annotated
                ]
            }
        messages.append(message)
    return response_class(
        results=messages, next_page_token=next_page_token, total_size=len(messages)
    )


def _result_message(result: SampleResult, metrics_field: str) -> dict[str, Any]:
    """A result (historical metrics or idea) as a dict: text, close variants, metrics if any."""
    message: dict[str, Any] = {
        "text": result["text"],
        "close_variants": list(result.get("close_variants", ())),
    }
    metrics = _metrics_message(result)
    if metrics is not None:
        message[metrics_field] = metrics
    return message


def _metrics_message(result: SampleResult) -> dict[str, Any] | None:
    """KeywordPlanHistoricalMetrics as a dict, or None for a result without data."""
    if not any(key in result for key in _METRIC_KEYS):
        return None
    metrics: dict[str, Any] = {
        "monthly_search_volumes": [
            {"year": year, "month": MONTH_NAMES[month - 1], "monthly_searches": searches}
            for year, month, searches in result.get("monthly_searches", ())
        ]
    }
    for key in _METRIC_KEYS:
        if key != "monthly_searches" and key in result:
            metrics[key] = result[key]  # type: ignore[literal-required]
    return metrics


def write_manifest(
    fixtures_dir: Path, *, label: str, api_version: str | None = None, note: str | None = None
) -> Path:
    """Write `fixtures_dir/manifest.json`; api_version defaults to the newest installed."""
    manifest: dict[str, str] = {"label": label, "api_version": api_version or newest_api_version()}
    if note:
        manifest["note"] = note
    path = Path(fixtures_dir) / MANIFEST
    _write_json(path, manifest)
    return path


def write_fixture(path: Path, method: str, request: Any, response: Any) -> None:
    """Write one recorded exchange as a fixture file (JSON, customer id scrubbed).

    `request` and `response` are proto-plus messages of `method`, for example
    from `historical_metrics_request` and `historical_metrics_response`.
    """
    request_class, response_class = message_classes(method, _api_version_of(request))
    for message, expected in ((request, request_class), (response, response_class)):
        if type(message).__name__ != expected.__name__:
            raise TypeError(
                f"{method} fixtures take a {expected.__name__}, not {type(message).__name__}"
            )
    request_data = json.loads(_to_json(type(request), request))
    if "customerId" in request_data:
        # Recordings must never carry a real account's id.
        request_data["customerId"] = REPLAY_CUSTOMER_ID
    _write_json(
        Path(path),
        {
            "method": method,
            "request": request_data,
            "response": json.loads(_to_json(type(response), response)),
        },
    )


# --- reading fixtures -------------------------------------------------------


def fixture_label(fixtures_dir: Path) -> str:
    """The label in a fixtures directory's manifest.json, read without serving anything.

    For `longtail volumes --dry-run --replay DIR`, which must know which cached
    volumes count without starting a server. The manifest is checked as the
    server checks it; the exchanges are not read.
    """
    label, _ = _read_manifest(Path(fixtures_dir))
    return label


def _load_fixtures(fixtures_dir: Path) -> _Fixtures:
    label, api_version = _read_manifest(fixtures_dir)
    exchanges = []
    for path in sorted(fixtures_dir.glob("*.json")):
        if path.name != MANIFEST:
            exchanges.append(_load_exchange(path, api_version))
    if not exchanges:
        raise FixtureError(
            f"{fixtures_dir}: no recorded exchanges; add *.json fixture files beside "
            "manifest.json (write them with longtail.planner.replay.write_fixture)."
        )
    return _Fixtures(label=label, api_version=api_version, exchanges=tuple(exchanges))


def _read_manifest(fixtures_dir: Path) -> tuple[str, str]:
    """(label, api_version) from `fixtures_dir/manifest.json`, checked."""
    if not fixtures_dir.is_dir():
        raise FixtureError(
            f"{fixtures_dir}: no such fixtures directory. Give the directory that holds "
            "manifest.json, for example --replay fixtures/keyword_planner."
        )
    manifest_path = fixtures_dir / MANIFEST
    if not manifest_path.is_file():
        raise FixtureError(
            str(
                Problem(
                    file=str(manifest_path),
                    message='missing. A fixtures directory needs a manifest.json like {"label": '
                    '"Sample data: ...", "api_version": "v26"}.',
                )
            )
        )
    manifest = _read_json(manifest_path)
    if not isinstance(manifest, dict):
        _fail(manifest_path, 'must be a JSON object like {"label": "...", "api_version": "v26"}')
    label = manifest.get("label")
    if not isinstance(label, str) or not label.strip():
        _fail(manifest_path, "must name the recording in a non-empty string", "label")
    api_version = manifest.get("api_version")
    installed = installed_api_versions()
    if api_version not in installed:
        _fail(
            manifest_path,
            f"{api_version!r} is not an API version the installed google-ads library ships "
            f"({', '.join(installed)}); set the version the fixtures were recorded in.",
            "api_version",
        )
    return label.strip(), str(api_version)


def _load_exchange(path: Path, api_version: str) -> _Exchange:
    data = _read_json(path)
    if not isinstance(data, dict):
        _fail(path, 'must be a JSON object {"method": ..., "request": {...}, "response": {...}}')
    method = data.get("method")
    if method not in _MESSAGE_NAMES:
        _fail(path, f"must be one of {', '.join(FIXTURE_METHODS)}, not {method!r}", "method")
    texts = {}
    for part, message_class in zip(
        ("request", "response"), message_classes(method, api_version), strict=True
    ):
        if not isinstance(data.get(part), dict):
            _fail(path, f"must be the JSON object of a {message_class.__name__}", part)
        texts[part] = json.dumps(data[part])
        try:
            message_class.from_json(texts[part])
        except Exception as exc:  # json_format.ParseError and friends
            _fail(
                path,
                f"not a valid {message_class.__name__} in {api_version}: {exc}. Fix the field "
                "or write the file again with longtail.planner.replay.write_fixture.",
                part,
            )
    return _Exchange(
        path=path, method=method, request_json=texts["request"], response_json=texts["response"]
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FixtureError(
            str(
                Problem(
                    file=str(path),
                    line=exc.lineno,
                    message=f"not valid JSON: {exc.msg} (column {exc.colno}).",
                )
            )
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"{path}: cannot be read as UTF-8 text: {exc}") from None


def _fail(path: Path, message: str, field_name: str | None = None) -> Any:
    raise FixtureError(str(Problem(file=str(path), message=message, field=field_name)))


def _read_exchanges(fixtures: _Fixtures, version: str) -> _Served:
    # Fields a newer or older version lacks are dropped rather than refused:
    # the recording was already checked in its own version.
    lenient = version != fixtures.api_version
    served = _Served()
    for exchange in fixtures.exchanges:
        request_class, response_class = message_classes(exchange.method, version)
        response = response_class.from_json(exchange.response_json, ignore_unknown_fields=lenient)
        if exchange.method == HISTORICAL_METRICS:
            served.historical_results.extend(response.results)
        else:
            request = request_class.from_json(exchange.request_json, ignore_unknown_fields=lenient)
            served.idea_pages.append((_ideas_key(request_class, request), response))
    # A keyword that is one result's text and another's close variant maps to
    # the result it is the text of, as in metrics_for_results.
    for position, result in enumerate(served.historical_results):
        served.covering.setdefault(match_key(result.text), position)
    for position, result in enumerate(served.historical_results):
        for variant in result.close_variants:
            served.covering.setdefault(match_key(variant), position)
    return served


# --- answering ----------------------------------------------------------------


def _historical_metrics_answer(version: str, served: _Served, request: Any) -> Any:
    _, response_class = message_classes(HISTORICAL_METRICS, version)
    results = []
    answered: set[int] = set()
    unknown: set[str] = set()
    for keyword in request.keywords:
        normalised = match_key(keyword)
        position = served.covering.get(normalised)
        if position is None:
            if normalised not in unknown:
                unknown.add(normalised)
                # What a keyword without data looks like: text, no metrics.
                results.append({"text": keyword})
        elif position not in answered:
            answered.add(position)
            results.append(served.historical_results[position])
    return response_class(results=results)


# Request fields that do not change which ideas Google returns: the customer
# id (fixtures scrub it), the annotations asked for (a recording with them
# serves a request without them), and the page size (a recording made with
# a smaller page still answers page by page).
_IDEAS_KEY_IGNORES = ("customerId", "keywordAnnotation", "pageSize")


def _ideas_key(request_class: Any, request: Any) -> str:
    """The request in canonical JSON, without the fields that do not pick the ideas."""
    data = json.loads(_to_json(request_class, request))
    for name in _IDEAS_KEY_IGNORES:
        data.pop(name, None)
    return json.dumps(data, sort_keys=True)


def _seed_keywords(request: Any) -> list[str]:
    for seed in ("keyword_seed", "keyword_and_url_seed"):
        if seed in request:
            return list(getattr(request, seed).keywords)
    return []


def _keyword_count(method: str, request: Any) -> int:
    if method == HISTORICAL_METRICS:
        return len(request.keywords)
    return len(_seed_keywords(request))


def _abort_with_fault(context: Any, version: str, fault: Fault) -> None:
    request_id = f"replay-{fault.method}-{fault.call}"
    metadata: list[tuple[str, str | bytes]] = [("request-id", request_id)]
    details = f"Replayed {fault.status} fault."
    if fault.error_code is not None:
        errors_module = _errors_module(version)
        message = _error_code_message(errors_module, fault.error_code, fault)
        error: dict[str, Any] = {
            "error_code": {fault.error_code[0]: fault.error_code[1]},
            "message": message,
        }
        if fault.retry_delay_seconds is not None:
            error["details"] = {
                "quota_error_details": {
                    "rate_scope": "DEVELOPER",
                    "rate_name": "Requests per developer per customer",
                    "retry_delay": timedelta(seconds=fault.retry_delay_seconds),
                }
            }
        failure = errors_module.GoogleAdsFailure(errors=[error], request_id=request_id)
        metadata.append(
            (
                f"google.ads.googleads.{version}.errors.googleadsfailure-bin",
                errors_module.GoogleAdsFailure.serialize(failure),
            )
        )
        details = message
    context.set_trailing_metadata(metadata)
    context.abort(getattr(grpc.StatusCode, fault.status), details)


def _error_code_message(
    errors_module: ModuleType, error_code: tuple[str, str], fault: Fault
) -> str:
    """The message for a fault's error, after checking the ErrorCode exists."""
    category, name = error_code
    fields = errors_module.ErrorCode.meta.fields
    if category not in fields or not hasattr(fields[category].enum, name):
        raise InputError(
            f"Bad replay fault {fault!r}: {category}:{name} is not a Google Ads ErrorCode "
            "(see google.ads.googleads.vNN.errors, e.g. authorization_error:"
            "DEVELOPER_TOKEN_NOT_APPROVED or quota_error:RESOURCE_EXHAUSTED)."
        )
    message = _FAULT_MESSAGES.get(error_code, f"Replayed fault: {category}.{name}.")
    if fault.retry_delay_seconds is not None:
        message += f" Retry in {fault.retry_delay_seconds:g} seconds."
    return message


# --- messages -------------------------------------------------------------------


@functools.cache
def _services_module(version: str) -> ModuleType:
    return importlib.import_module(
        f"google.ads.googleads.{version}.services.types.keyword_plan_idea_service"
    )


@functools.cache
def _errors_module(version: str) -> ModuleType:
    return importlib.import_module(f"google.ads.googleads.{version}.errors.types.errors")


def _deserialize(version: str, method: str, payload: bytes) -> Any:
    request_class, _ = message_classes(method, version)
    return request_class.deserialize(payload)


def _serialize(version: str, method: str, message: Any) -> bytes:
    _, response_class = message_classes(method, version)
    return bytes(response_class.serialize(message))


def _to_json(message_class: Any, message: Any) -> str:
    # Enum names rather than numbers, and no empty fields: fixtures are for
    # people to read and diff.
    return str(
        message_class.to_json(
            message,
            use_integers_for_enums=False,
            always_print_fields_with_no_presence=False,
            indent=None,
        )
    )


def _api_version_of(message: Any) -> str:
    match = re.match(r"google\.ads\.googleads\.(v\d+)\.", type(message).__module__)
    if match is None:
        raise TypeError(f"{type(message).__name__} is not a Google Ads API message")
    return match.group(1)


def _write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    # Write beside the target and rename, so a crash never leaves half a file.
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


# --- the process's certificate ----------------------------------------------------

_certificate: tuple[bytes, bytes] | None = None
_certificate_lock = threading.Lock()


def _process_certificate() -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM) of this process's replay certificate, made once.

    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH is pointed at a roots file holding the
    certificate, after the roots the variable named before (some systems set
    it to their CA bundle), so everything trusted stays trusted. A roots file
    that a parent process's replay server made is reused, so commands run as
    subprocesses replay too.
    """
    global _certificate
    with _certificate_lock:
        if _certificate is not None:
            return _certificate
        configured = os.environ.get(ROOTS_VARIABLE)
        existing_roots = b""
        if configured:
            configured_path = Path(configured)
            key_path = configured_path.with_name(_KEY_FILE)
            cert_path = configured_path.with_name(_CERT_FILE)
            if configured_path.name == _ROOTS_FILE and key_path.is_file() and cert_path.is_file():
                _certificate = (key_path.read_bytes(), cert_path.read_bytes())
                return _certificate
            try:
                existing_roots = configured_path.read_bytes()
            except OSError as exc:
                raise OperationError(
                    f"{ROOTS_VARIABLE} is set to {configured}, which cannot be read ({exc}). "
                    "The replay server adds its certificate to those roots; point the "
                    f"variable at a readable PEM file or unset it."
                ) from None
        key_pem, cert_pem = _self_signed_certificate()
        directory = Path(tempfile.mkdtemp(prefix="longtail-replay-"))
        atexit.register(shutil.rmtree, directory, True)
        key_path = directory / _KEY_FILE
        key_path.touch(mode=0o600)
        key_path.write_bytes(key_pem)
        (directory / _CERT_FILE).write_bytes(cert_pem)
        roots_path = directory / _ROOTS_FILE
        separator = b"\n" if existing_roots and not existing_roots.endswith(b"\n") else b""
        roots_path.write_bytes(existing_roots + separator + cert_pem)
        os.environ[ROOTS_VARIABLE] = str(roots_path)
        _certificate = (key_pem, cert_pem)
        return _certificate


def _self_signed_certificate() -> tuple[bytes, bytes]:
    """A fresh P-256 key and a self-signed certificate for localhost and 127.0.0.1."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        # One process's lifetime; a week covers any test session or replay run.
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        # It is its own trust root, so it must be a CA as well as a server.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


# --- the server in a child process -----------------------------------------------

# How long a child replay server may take to load its fixtures and listen.
CHILD_START_TIMEOUT_SECONDS = 60


class ReplayProcess(_Running):
    """A ReplayServer in a child process, for `--replay`.

    The child loads the fixtures and the Google Ads message classes on the
    machine's other core while this process loads spaCy and expands the
    personas, and the gRPC server's threads never compete with the client's
    for this interpreter's lock. The certificate is made here, before the
    child starts, so both processes trust the same one (the child finds it
    through the inherited GRPC_DEFAULT_SSL_ROOTS_FILE_PATH).
    """

    def __init__(self, fixtures_dir: Path) -> None:
        self.fixtures_dir = Path(fixtures_dir)
        if not self.fixtures_dir.is_dir():
            # Said here rather than by the child, so the message names the option.
            raise FixtureError(
                f"{self.fixtures_dir}: no such fixtures directory; give --replay the folder "
                "that holds manifest.json, e.g. --replay fixtures/keyword_planner"
            )
        self._child: subprocess.Popen[str] | None = None
        self._ready: dict[str, str] | None = None

    def start(self) -> Self:
        """Start the child; returns at once, while it loads."""
        _process_certificate()
        self._child = subprocess.Popen(
            [sys.executable, "-m", "longtail.planner.replay", str(self.fixtures_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return self

    def _wait_ready(self) -> dict[str, str]:
        if self._ready is None:
            assert self._child is not None and self._child.stdout is not None, "not started"
            line = self._child.stdout.readline()
            try:
                answer = json.loads(line) if line else {}
            except json.JSONDecodeError:
                answer = {}
            if "error" in answer:
                raise FixtureError(answer["error"])
            if "endpoint" not in answer:
                self.stop()
                detail = self._child.stderr.read() if self._child.stderr else ""
                raise OperationError(
                    "The replay server did not start. Run with LONGTAIL_DEBUG=1 to see why."
                    + (f"\n{detail.strip()}" if os.environ.get("LONGTAIL_DEBUG") == "1" else "")
                )
            self._ready = answer
        return self._ready

    @property
    def endpoint(self) -> str:
        """ "localhost:PORT", once the child listens (waits for it)."""
        return self._wait_ready()["endpoint"]

    @property
    def label(self) -> str:
        """The fixtures' label from their manifest (waits for the child)."""
        return self._wait_ready()["label"]

    def stop(self) -> None:
        """End the child.

        SIGTERM rather than a polite shutdown: the child only reads fixtures,
        so it has nothing to save, and its interpreter teardown would cost a
        sixth of a second for nothing.
        """
        child, self._child = self._child, None
        if child is None:
            return
        child.terminate()
        child.wait()
        for stream in (child.stdin, child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def _serve_for_parent(fixtures_dir: str) -> None:
    """The child's side: serve until the parent ends us or closes our stdin."""
    try:
        server = ReplayServer(Path(fixtures_dir)).start()
    except (FixtureError, OperationError) as error:
        print(json.dumps({"error": str(error)}), flush=True)
        return
    print(json.dumps({"endpoint": server.endpoint, "label": server.label}), flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    _serve_for_parent(sys.argv[1])
