"""The one place Keyword Planner requests go out: paced, retried, recorded, reported.

Every planning request of a command goes through one `PlanningService`:

- **paced**: a shared `Pacer` holds each customer to `rate` requests a second,
  because Google allows planning services about one request per second per
  customer ("Planning Service requests: 1 QPS",
  https://developers.google.com/google-ads/api/docs/best-practices/quotas);
- **retried** when Google says to: RESOURCE_EXHAUSTED after the
  QuotaErrorDetails.retry_delay Google sends (exponential backoff with full
  jitter when it sends none), UNAVAILABLE, DEADLINE_EXCEEDED and Google's
  internal TRANSIENT_ERROR with backoff, all within
  `RetryPolicy.max_total_wait` for one request. Anything else fails at once:
  retrying a refused token or a bad request only burns quota;
- **recorded**: a `recorder(method, request, response)` sees every answer
  (`longtail record` writes them as fixtures);
- **reported**: a failure becomes a PlannerError whose message says what
  happened and what to do (`longtail.planner.failures`), tokens removed.

The google-ads library's own retry is switched off per call (`retry=None`):
its KeywordPlanIdeaService methods are wrapped without a default retry today
(transports/base.py, `wrap_method(..., default_timeout=None)`), and passing
None keeps it that way whatever a later release defaults to, so this is the
only retry and requests can be counted exactly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from longtail.errors import PlannerError
from longtail.planner.failures import describe_failure, error_codes, retry_delay_seconds
from longtail.planner.failures import status_name as failure_status
from longtail.planner.metrics import HISTORICAL_METRICS, normalise_customer_id

if TYPE_CHECKING:
    from google.ads.googleads.client import GoogleAdsClient

KEYWORD_IDEAS = "GenerateKeywordIdeas"

# PlanningService.send's method names (the RPC names, as in fixtures) and the
# KeywordPlanIdeaServiceClient method that sends each.
SERVICE_METHODS: dict[str, str] = {
    HISTORICAL_METRICS: "generate_keyword_historical_metrics",
    KEYWORD_IDEAS: "generate_keyword_ideas",
}

# Requests per second per customer for planning services. Source: "Planning
# Service requests | 1 QPS" on
# https://developers.google.com/google-ads/api/docs/best-practices/quotas
DEFAULT_RATE = 1.0

# gRPC statuses retried with backoff. UNAVAILABLE is "most likely a transient
# condition, which can be corrected by retrying with a backoff"
# (https://grpc.github.io/grpc/core/md_doc_statuscodes.html); DEADLINE_EXCEEDED
# is an answer that did not come in time, and may well come on a second try.
_TRANSIENT_STATUSES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED"})
# InternalError.TRANSIENT_ERROR, whatever the status: "The user should retry
# their request in these cases" (InternalErrorEnum.InternalError, API reference).
_TRANSIENT_ERRORS = frozenset({("internal_error", "TRANSIENT_ERROR")})
_QUOTA_STATUS = "RESOURCE_EXHAUSTED"
# QuotaError enum values that mean "too many requests" (QuotaErrorEnum.QuotaError
# in the API reference); ACCESS_PROHIBITED is a refusal and is not retried.
_QUOTA_ERRORS = frozenset(
    {("quota_error", "RESOURCE_EXHAUSTED"), ("quota_error", "RESOURCE_TEMPORARILY_EXHAUSTED")}
)

# Every caller in longtail stores each answer before the next request, so a
# rerun resumes where this one stopped.
_RERUN_HINT = (
    "Wait, then run the command again: results so far are stored, so a rerun only asks "
    "for the rest. If quota errors keep coming, lower --rate."
)


class Pacer:
    """At most `rate` planning requests per second per customer.

    Google allows KeywordPlanIdeaService about one request per second per
    customer; `rate` defaults to that. Each `wait` books the customer's next
    free slot, `1 / rate` seconds after the one before, and sleeps until it;
    the first request of a customer goes at once. Slots are booked under a
    lock, so services on several threads sharing one Pacer keep the spacing.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be more than 0 requests per second, not {rate}")
        self.rate = rate
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, customer_id: str) -> float:
        """Sleep until `customer_id` may send its next request; returns the seconds slept."""
        customer = customer_id.replace("-", "")
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(customer, now))
            self._next_slot[customer] = slot + self._interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
            return delay
        return 0.0


@dataclass(frozen=True)
class RetryPolicy:
    """How long one request may be retried before longtail gives up on it.

    `max_total_wait` bounds the seconds spent waiting between the tries of one
    request (Google's retry delays, backoff and the pacing of the retries).
    Without a retry_delay from Google, the n-th retry (0-based) waits a random
    time between 0 and min(max_delay, base_delay × 2ⁿ): exponential backoff
    with "full jitter", so clients that failed together do not retry together
    (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
    """

    max_total_wait: float = 300.0
    base_delay: float = 2.0
    max_delay: float = 60.0

    def backoff(self, retry_number: int, random: Random) -> float:
        """Seconds to wait before retry `retry_number` (0-based) when Google names no delay."""
        ceiling = min(self.max_delay, self.base_delay * 2**retry_number)
        return random.uniform(0.0, ceiling)


class PlanningService:
    """Every Keyword Planner request: paced, retried, recorded, failures as PlannerError.

    Paced per customer, retried when Google says to, recorded when asked.
    `client` is a ready GoogleAdsClient (live or aimed at a replay server);
    `customer_id` the account to plan for, with or without dashes. The
    KeywordPlanIdeaService stub is made at the first request and closed by
    `close` (or leaving a `with` block). `requests` counts requests sent,
    retries included; `retries` the retries; `waited` the seconds slept for
    pacing and retries. `sleep` is for the retry delays; the pacer sleeps
    with its own.
    """

    def __init__(
        self,
        client: GoogleAdsClient,
        customer_id: str,
        *,
        pacer: Pacer | None = None,
        retry: RetryPolicy | None = None,
        recorder: Callable[[str, Any, Any], None] | None = None,
        random: Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.customer_id = normalise_customer_id(customer_id)
        self.pacer = pacer if pacer is not None else Pacer()
        self.retry = retry if retry is not None else RetryPolicy()
        self.recorder = recorder
        self._random = random if random is not None else Random()
        self._sleep = sleep
        self._stub: Any = None
        self.requests = 0
        self.retries = 0
        self.waited = 0.0

    def send(self, method: str, request: Any) -> Any:
        """Send one request of `method`; returns its response message.

        `method` is "GenerateKeywordHistoricalMetrics" or "GenerateKeywordIdeas".
        An empty `request.customer_id` is set to this service's customer.
        For GenerateKeywordIdeas the answer is ONE page, the
        GenerateKeywordIdeaResponse: the caller sets `page_token` from its
        `next_page_token` and sends again, so every page is paced, retried
        and recorded like any other request. (The library's pager would fetch
        the next pages itself, outside all three; only the page it already
        holds is taken from it.)

        Raises PlannerError when Google refuses the request, or when it is
        still failing once the retries have waited `retry.max_total_wait`.
        """
        from google.ads.googleads.errors import GoogleAdsException
        from google.api_core.exceptions import GoogleAPICallError

        call = self._call(method)
        if not request.customer_id:
            request.customer_id = self.customer_id
        tries = 0
        waited_between_tries = 0.0
        while True:
            paced = self.pacer.wait(self.customer_id)
            self.waited += paced
            if tries:
                waited_between_tries += paced
            tries += 1
            self.requests += 1
            try:
                response = call(request)
            except (GoogleAdsException, GoogleAPICallError) as exc:
                delay = self._retry_delay(exc, retry_number=tries - 1)
                if delay is None:
                    raise PlannerError(describe_failure(exc, self.client)) from exc
                if waited_between_tries + delay > self.retry.max_total_wait:
                    raise PlannerError(
                        self._gave_up(method, tries, waited_between_tries, delay, exc)
                    ) from exc
                self._sleep(delay)
                self.waited += delay
                waited_between_tries += delay
                self.retries += 1
                continue
            if self.recorder is not None:
                self.recorder(method, request, response)
            return response

    def close(self) -> None:
        """Close the KeywordPlanIdeaService channel, if a request opened one."""
        stub, self._stub = self._stub, None
        if stub is not None:
            stub.transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str) -> Callable[[Any], Any]:
        """The function that sends one request of `method` without any retry of the library's."""
        if method not in SERVICE_METHODS:
            raise ValueError(f"method must be one of {', '.join(SERVICE_METHODS)}, not {method!r}")
        if self._stub is None:
            # get_service and get_type both default to the newest API version
            # the installed library ships, so requests and stub agree.
            self._stub = self.client.get_service("KeywordPlanIdeaService")
        stub_method = getattr(self._stub, SERVICE_METHODS[method])
        if method == KEYWORD_IDEAS:
            # `pages` yields the page the pager already holds before it sends
            # anything, so next() takes the first page without another request.
            return lambda request: next(iter(stub_method(request=request, retry=None).pages))
        return lambda request: stub_method(request=request, retry=None)

    def _retry_delay(self, exc: Exception, *, retry_number: int) -> float | None:
        """Seconds to wait before retrying after `exc`, or None when it must not be retried.

        `retry_number` counts the retries of this request so far (0 for the
        first), for the backoff when Google names no delay.
        """
        status = failure_status(exc)
        codes = error_codes(exc)
        quota = any(code in _QUOTA_ERRORS for code in codes)
        if status == _QUOTA_STATUS:
            # RESOURCE_EXHAUSTED arrives as api_core's ResourceExhausted; a
            # GoogleAdsFailure with it, if any, must name a quota exhaustion.
            quota = quota or not codes
        transient = status in _TRANSIENT_STATUSES or any(c in _TRANSIENT_ERRORS for c in codes)
        if not quota and not transient:
            return None
        delay = retry_delay_seconds(exc)
        if delay is None:
            delay = self.retry.backoff(retry_number, self._random)
        return delay

    def _gave_up(
        self, method: str, tries: int, waited: float, next_delay: float, exc: Exception
    ) -> str:
        limit = format_duration(self.retry.max_total_wait)
        times = "1 try" if tries == 1 else f"{tries} tries"
        return "\n".join(
            [
                f"Keyword Planner {method} request still failing after {times} and "
                f"{format_duration(waited)} of waiting; the next try would wait "
                f"{format_duration(next_delay)} more, past the {limit} longtail waits for one "
                "request. The last answer:",
                describe_failure(exc, self.client),
                _RERUN_HINT,
            ]
        )


def format_duration(seconds: float) -> str:
    """Seconds as people read them: "0.5 s", "7 s", "2 min 5 s", "1 h 3 min"."""
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
