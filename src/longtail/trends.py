"""Google Trends through pytrends: the shape of demand over five years, and rising queries.

Keyword Planner says how often a keyword is searched; Trends says when in
the year and whether that is growing. Trends figures are relative: each
answer is scaled so that its highest point is 100. This module

- compares keywords five at a time (`plan_batches`), one anchor keyword in
  every batch, and puts every batch on the anchor's scale (`rescale`);
- turns a keyword's weekly series into a 12-month `seasonal_index`, its
  `direction` and its `peak_months`, and a Keyword Planner volume into
  `expected_searches` for the coming months;
- fetches through `TrendsFetcher`, the one place Trends requests go out:
  paced, retried on HTTP 429 and 5xx with backoff up to a bound, and
  raising TrendsUnavailable when Google keeps refusing.

pytrends is unofficial and no longer maintained, and Google answers it with
429s and sometimes with empty or malformed frames. An empty or malformed
answer is no data (`NO_DATA`), never zero interest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from random import Random
from typing import TYPE_CHECKING, Any, TypeVar

from longtail.errors import TrendsUnavailable
from longtail.planner.service import Pacer, RetryPolicy, format_duration

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

# Trends compares at most five search terms at once: "You can compare up to
# 5 groups of terms at one time" (https://support.google.com/trends/answer/4359550).
TERMS_PER_REQUEST = 5
# Five years, which Trends answers week by week: long enough that every
# calendar month is seen about five times.
TIMEFRAME = "today 5-y"
# The language of Trends' labels only; queries come back as people typed them.
HOST_LANGUAGE = "en-US"
# Minutes from UTC. pytrends turns the answer's times into naive UTC dates;
# weekly points start at midnight UTC whatever the offset, so 0 says what it is.
TIMEZONE_OFFSET = 0
# (connect, read) seconds; pytrends' default read timeout of 5 s is often too
# short for a five-term comparison.
REQUEST_TIMEOUT = (10.0, 30.0)
# Trends geo for "worldwide": pytrends takes one country code, or none.
WORLDWIDE = ""

# Requests per second. Google publishes no Trends quota; pytrends users
# report that about ten a minute get through where faster runs meet 429s
# (https://github.com/GeneralMills/pytrends/issues/66). One every 10 s stays
# under that.
DEFAULT_RATE = 0.1
# Seconds longtail keeps retrying one refused request before it gives up on
# Trends for the run. Google's 429s for Trends tend to last far longer than
# a run should hang, so the bound is short and a rerun picks up the rest.
DEFAULT_MAX_WAIT = 180.0
# Backoff with full jitter (RetryPolicy): the n-th retry waits up to
# min(60, 10 × 2ⁿ) seconds.
RETRY_BASE_DELAY = 10.0
RETRY_MAX_DELAY = 60.0
# HTTP statuses retried: 429 Too Many Requests, and the 5xx pytrends itself
# counts as transient (TrendReq.ERROR_CODES) plus 503 Service Unavailable.
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})

OK = "ok"
NO_DATA = "no-data"

RISING = "rising"
FLAT = "flat"
FALLING = "falling"
# A keyword is rising when its last twelve months average at least 20% more
# than its first twelve, falling when at least 20% less. Comparing whole
# years sets each month against itself, so the season cancels out, as in a
# seasonal difference (Hyndman & Athanasopoulos, Forecasting: Principles and
# Practice, 3rd ed., §9.1, https://otexts.com/fpp3/stationarity.html). Trends
# figures are drawn from a sample and move by a few points between fetches;
# 20% over four years is well clear of that.
DIRECTION_CHANGE = 0.2
# A peak month is at least 20% above the average month (index ≥ 1.2).
PEAK_INDEX = 1.2
MONTHS = 12


@dataclass(frozen=True)
class KeywordTrend:
    """What Trends says about one keyword in one geo."""

    keyword: str
    geo: str  # Trends geo: one ISO country code, or "" for worldwide
    status: str  # OK, or NO_DATA when Google gave nothing usable
    anchor: str | None  # the keyword whose scale `series` is on
    # (week start as ISO date, interest on the anchor's scale), oldest first.
    series: tuple[tuple[str, float], ...] = ()
    seasonal_index: tuple[float, ...] | None = None  # January..December, averaging 1.0
    direction: str | None = None  # RISING, FLAT or FALLING; None under two years of data
    peak_months: tuple[int, ...] = ()  # 1..12, strongest first

    @classmethod
    def no_data(cls, keyword: str, geo: str, anchor: str | None) -> KeywordTrend:
        """A keyword Trends gave nothing usable for: no series, no index, not zeros."""
        return cls(keyword, geo, NO_DATA, anchor)


@dataclass(frozen=True)
class RelatedQueries:
    """The queries Trends relates to one seed: the most searched, and the fastest rising."""

    seed: str
    geo: str
    status: str  # OK, or NO_DATA
    # (query, value): 0..100 relative interest for top queries; for rising
    # ones the percent growth (Google shows "Breakout" above 5000).
    top: tuple[tuple[str, int], ...] = ()
    rising: tuple[tuple[str, int], ...] = ()


# ---------------------------------------------------------------- geo and batches


def trends_geo(codes: Sequence[str]) -> str:
    """The Trends geo for a persona's countries: the one code, or worldwide for several.

    Trends compares in one place at a time, so a persona selling in several
    countries is compared worldwide.
    """
    return codes[0].upper() if len(codes) == 1 else WORLDWIDE


def geo_label(geo: str) -> str:
    """A Trends geo as people read it: "US", or "worldwide"."""
    return geo or "worldwide"


def choose_anchor(keywords: Sequence[str], volumes: Mapping[str, int | None]) -> str:
    """The keyword every batch is compared with: the most searched, by Keyword Planner volume.

    The anchor must register in every batch, or that batch cannot be put on
    the common scale: the most searched keyword is the likeliest to, and as
    it is usually the highest line in each batch, the others are measured
    against it directly. Ties go to the first in alphabetical order, so a
    rerun picks the same anchor.
    """
    if not keywords:
        raise ValueError("choose_anchor needs at least one keyword")
    return min(keywords, key=lambda keyword: (-(volumes.get(keyword) or 0), keyword))


def plan_batches(keywords: Sequence[str], anchor: str) -> list[list[str]]:
    """Batches of at most TERMS_PER_REQUEST terms, each the anchor and up to four others.

    Keywords keep their order; the anchor alone is one batch when nothing
    else is asked.
    """
    others = [k for k in dict.fromkeys(keywords) if k != anchor]
    room = TERMS_PER_REQUEST - 1
    if not others:
        return [[anchor]]
    return [[anchor, *others[i : i + room]] for i in range(0, len(others), room)]


# ---------------------------------------------------------------- series


def rescale(
    frame: pd.DataFrame, anchor: str, reference: pd.Series | None = None
) -> dict[str, pd.Series] | None:
    """Every column of one batch on the reference scale; None when the batch cannot be scaled.

    Each batch is scaled by mean(reference) / mean(anchor in this batch), the
    means taken over the weeks both cover, so the anchor's line matches the
    reference and every keyword of the batch moves with it. Without a
    reference the batch is the reference (factor 1). An anchor with no
    interest in the batch (missing, all zero) leaves the factor undefined:
    the batch's keywords are then no data, not zero.
    """
    if anchor not in frame.columns:
        return None
    anchor_series = frame[anchor].astype("float64")
    scale = anchor_series if reference is None else reference.astype("float64")
    common = anchor_series.index.intersection(scale.index)
    if len(common) == 0:
        return None
    anchor_mean = float(anchor_series.loc[common].mean())
    scale_mean = float(scale.loc[common].mean())
    if not (anchor_mean > 0 and scale_mean > 0):
        return None
    factor = scale_mean / anchor_mean
    return {str(column): frame[column].astype("float64") * factor for column in frame.columns}


def monthly_interest(series: pd.Series) -> pd.Series:
    """Mean weekly interest per calendar month of each year, oldest first.

    A week counts in the month it starts in.
    """
    weekly = series.dropna()
    index: Any = weekly.index
    return weekly.groupby(index.to_period("M")).mean()


def seasonal_index(series: pd.Series) -> tuple[float, ...] | None:
    """Twelve values, January to December: how each month compares with an average month.

    Each month's index is its mean interest over the years (the mean of that
    month's means in each year of the window) divided by the mean of those
    twelve means, so the index averages exactly 1.0: 1.5 is a month with half
    again the searches of an average month. None when some calendar month has
    no data, or there is no interest at all.
    """
    monthly = monthly_interest(series)
    if monthly.empty:
        return None
    months: Any = monthly.index
    by_month = monthly.groupby(months.month).mean()
    if len(by_month) < MONTHS:
        return None
    average = float(by_month.mean())
    if not average > 0:
        return None
    return tuple(float(by_month[month]) / average for month in range(1, MONTHS + 1))


def direction(series: pd.Series) -> str | None:
    """RISING, FLAT or FALLING: the last twelve months' mean against the first twelve's.

    RISING when the last year averages at least 1 + DIRECTION_CHANGE times
    the first, FALLING when at most 1 − DIRECTION_CHANGE times, else FLAT;
    interest from nothing is RISING. None under 24 months of data or without
    any interest.
    """
    monthly = monthly_interest(series)
    if len(monthly) < 2 * MONTHS:
        return None
    first = float(monthly.iloc[:MONTHS].mean())
    last = float(monthly.iloc[-MONTHS:].mean())
    if first <= 0:
        return RISING if last > 0 else None
    ratio = last / first
    if ratio >= 1 + DIRECTION_CHANGE:
        return RISING
    if ratio <= 1 - DIRECTION_CHANGE:
        return FALLING
    return FLAT


def peak_months(index: Sequence[float]) -> tuple[int, ...]:
    """The months (1..12) at least PEAK_INDEX times an average month, strongest first.

    Even demand has no peak months.
    """
    peaks = [month for month, value in enumerate(index, start=1) if value >= PEAK_INDEX]
    return tuple(sorted(peaks, key=lambda month: (-index[month - 1], month)))


def expected_searches(
    avg_monthly_searches: float, index: Sequence[float], after: date
) -> list[tuple[str, float]]:
    """Searches to expect in each of the 12 months after `after`'s month, as ("YYYY-MM", n).

    Keyword Planner's average month times the month's seasonal index: as the
    index averages 1.0, the twelve months add up to twelve average months.
    """
    if len(index) != MONTHS:
        raise ValueError(f"a seasonal index has 12 values, not {len(index)}")
    months = []
    year, month = after.year, after.month
    for _ in range(MONTHS):
        year, month = (year + 1, 1) if month == MONTHS else (year, month + 1)
        months.append((f"{year:04d}-{month:02d}", avg_monthly_searches * index[month - 1]))
    return months


def keyword_trend(keyword: str, geo: str, anchor: str, series: pd.Series) -> KeywordTrend:
    """The stored summary of one keyword's series on the anchor's scale.

    A series without any interest (every week 0: too little to register) is
    no data: its seasonality and direction are unknown, not flat.
    """
    index = seasonal_index(series)
    if index is None:
        return KeywordTrend.no_data(keyword, geo, anchor)
    weekly = series.dropna()
    weeks: Any = weekly.index
    points = tuple(
        (week.date().isoformat(), round(float(value), 2))
        for week, value in zip(weeks, weekly, strict=True)
    )
    return KeywordTrend(
        keyword=keyword,
        geo=geo,
        status=OK,
        anchor=anchor,
        series=points,
        seasonal_index=tuple(round(value, 4) for value in index),
        direction=direction(series),
        peak_months=peak_months(index),
    )


def series_of(trend: KeywordTrend) -> pd.Series:
    """A stored trend's weekly series as a pandas Series indexed by week start."""
    import pandas as pd

    return pd.Series(
        [value for _, value in trend.series],
        index=pd.to_datetime([week for week, _ in trend.series]),
        dtype="float64",
    )


def compare_keywords(
    fetcher: TrendsFetcher,
    keywords: Sequence[str],
    anchor: str,
    geo: str,
    reference: pd.Series | None = None,
) -> Iterator[list[KeywordTrend]]:
    """Interest over time of `keywords` in `geo`, batch by batch, all on one scale.

    Yields each batch's KeywordTrends as it arrives, so the caller can store
    them before the next request. The scale is `reference` (the anchor's
    stored series, so new rows match the stored ones) or else that of the
    first batch the anchor registers in. The anchor itself is yielded when
    it is among `keywords`, once. TrendsUnavailable from the fetcher ends
    the iteration; what was yielded before stands.
    """
    anchor_pending = anchor in keywords
    for batch in plan_batches(keywords, anchor):
        frame = fetcher.interest_over_time(batch, geo)
        scaled = None if frame is None else rescale(frame, anchor, reference)
        others = [k for k in batch if k != anchor]
        if scaled is None:
            yield [KeywordTrend.no_data(k, geo, anchor) for k in others]
            continue
        if reference is None:
            reference = scaled[anchor]
        found = [keyword_trend(k, geo, anchor, scaled[k]) for k in others]
        if anchor_pending:
            found.insert(0, keyword_trend(anchor, geo, anchor, scaled[anchor]))
            anchor_pending = False
        yield found
    if anchor_pending:
        yield [KeywordTrend.no_data(anchor, geo, anchor)]


# ---------------------------------------------------------------- fetching

# What pytrends raises when an answer is not the JSON it expects: a
# JSONDecodeError (a ValueError), or a KeyError / IndexError / TypeError
# while it picks the answer apart. Each is no data, not a failure.
_MALFORMED = (ValueError, KeyError, IndexError, TypeError, AttributeError)

_PACER_KEY = "trends.google.com"


class TrendsFetcher:
    """Every Google Trends request: paced, retried on 429 and 5xx, given up on cleanly.

    Wraps one `pytrends.request.TrendReq`, made at the first request (its
    constructor fetches a cookie from trends.google.com, which counts as a
    request). pytrends' own retries stay off (`retries=0`, `backoff_factor=0`),
    so this is the only retry and `requests` counts every HTTP answer
    exactly; with either above 0 pytrends 4.9 passes urllib3's
    `method_whitelist`, which urllib3 2 no longer takes. `retries`
    counts the tries sent again and `waited` the seconds slept for pacing and
    backoff. Requests are paced at `rate` per second; a refused one is tried
    again after backoff with full jitter (`retry`, or RetryPolicy with
    `max_wait` as its bound), and when the next wait would pass the bound
    TrendsUnavailable is raised. `clock`, `sleep` and `random` are for tests.
    """

    def __init__(
        self,
        *,
        rate: float = DEFAULT_RATE,
        max_wait: float = DEFAULT_MAX_WAIT,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        random: Random | None = None,
    ) -> None:
        self.pacer = Pacer(rate, clock=clock, sleep=sleep)
        self.retry = (
            retry
            if retry is not None
            else RetryPolicy(
                max_total_wait=max_wait, base_delay=RETRY_BASE_DELAY, max_delay=RETRY_MAX_DELAY
            )
        )
        self._sleep = sleep
        self._random = random if random is not None else Random()
        self._session: Any = None
        self._status: int | None = None
        self.requests = 0
        self.retries = 0
        self.waited = 0.0

    def interest_over_time(self, keywords: Sequence[str], geo: str) -> pd.DataFrame | None:
        """Weekly interest of up to five keywords in `geo`, complete weeks only; None for no data.

        One column per keyword, indexed by week start; the last, partial week
        (`isPartial`) is left out, as it is lower only for being unfinished.
        """
        if not 0 < len(keywords) <= TERMS_PER_REQUEST:
            raise ValueError(f"Trends compares 1 to {TERMS_PER_REQUEST} keywords, not {keywords}")
        session = self._connect()
        # An explore answer without a TIMESERIES widget leaves pytrends'
        # widget of the previous batch in place; cleared, it cannot be reused.
        session.interest_over_time_widget = {}
        if not self._explore(session, keywords, geo):
            return None
        if not session.interest_over_time_widget.get("token"):
            return None
        try:
            frame = self._send("interest over time", session.interest_over_time)
        except _MALFORMED:
            return None
        return complete_weeks(frame, keywords)

    def related_queries(self, seed: str, geo: str) -> RelatedQueries:
        """The top and rising queries Trends relates to `seed` in `geo` over the timeframe."""
        session = self._connect()
        if not self._explore(session, [seed], geo) or not session.related_queries_widget_list:
            return RelatedQueries(seed, geo, NO_DATA)
        try:
            answer = self._send("related queries", session.related_queries)
        except _MALFORMED:
            return RelatedQueries(seed, geo, NO_DATA)
        frames = answer.get(seed) if isinstance(answer, dict) else None
        if not isinstance(frames, dict):
            return RelatedQueries(seed, geo, NO_DATA)
        top, rising = _query_rows(frames.get("top")), _query_rows(frames.get("rising"))
        if top is None and rising is None:
            return RelatedQueries(seed, geo, NO_DATA)
        return RelatedQueries(seed, geo, OK, top or (), rising or ())

    def _explore(self, session: Any, keywords: Sequence[str], geo: str) -> bool:
        """Ask Trends for the widgets of `keywords`; False when the answer is malformed."""
        # build_payload keeps the previous geo when given "" (`geo or self.geo`),
        # so worldwide after a country would silently stay in that country.
        session.geo = geo
        try:
            self._send(
                "explore",
                lambda: session.build_payload(list(keywords), timeframe=TIMEFRAME, geo=geo),
            )
        except _MALFORMED:
            return False
        return True

    def _connect(self) -> Any:
        """The pytrends session, made (and its cookie fetched) at the first request."""
        if self._session is None:
            from pytrends.request import TrendReq

            self._session = self._send(
                "cookie",
                lambda: TrendReq(
                    hl=HOST_LANGUAGE,
                    tz=TIMEZONE_OFFSET,
                    timeout=REQUEST_TIMEOUT,
                    retries=0,
                    backoff_factor=0,
                    requests_args={"hooks": {"response": [self._answered]}},
                ),
            )
        return self._session

    def _answered(self, response: Any, *args: Any, **kwargs: Any) -> None:
        """requests' response hook: counts every HTTP answer and keeps its status."""
        self.requests += 1
        self._status = int(response.status_code)

    def _send(self, what: str, call: Callable[[], T]) -> T:
        """Run one pytrends call (one HTTP request), paced and retried; returns its result.

        Raises TrendsUnavailable when Google refuses in a way retrying cannot
        mend, or keeps refusing past `retry.max_total_wait`. Malformed answers
        propagate as pytrends raises them, for the caller to treat as no data.
        """
        import requests
        from pytrends.exceptions import ResponseError

        tries = 0
        waited_between_tries = 0.0
        while True:
            paced = self.pacer.wait(_PACER_KEY)
            self.waited += paced
            if tries:
                waited_between_tries += paced
            tries += 1
            self._status = None
            response: Any = None
            try:
                result = call()
            except ResponseError as exc:
                response = exc.response
                status: int | None = int(response.status_code)
            except requests.Timeout:
                status = None
            except requests.ConnectionError as exc:
                raise TrendsUnavailable(
                    f"cannot reach trends.google.com for the {what} request ({exc})"
                ) from exc
            else:
                # The cookie request is not checked by pytrends: a refusal
                # there comes back as a session without a cookie.
                if self._status not in RETRIED_STATUSES:
                    return result
                status = self._status
            if status is not None and status not in RETRIED_STATUSES:
                raise TrendsUnavailable(
                    f"Google Trends answered the {what} request with HTTP {status}"
                    f"{_content_type(response)}, which retrying will not change"
                )
            delay = _retry_after(response)
            if delay is None:
                delay = self.retry.backoff(tries - 1, self._random)
            if waited_between_tries + delay > self.retry.max_total_wait:
                outcome = (
                    f"still refused the {what} request (HTTP {status})"
                    if status is not None
                    else f"still did not answer the {what} request in time"
                )
                times = "1 try" if tries == 1 else f"{tries} tries"
                raise TrendsUnavailable(
                    f"Google Trends {outcome} after {times} and "
                    f"{format_duration(waited_between_tries)} of waiting"
                )
            self._sleep(delay)
            self.waited += delay
            waited_between_tries += delay
            self.retries += 1


def complete_weeks(frame: Any, keywords: Sequence[str]) -> pd.DataFrame | None:
    """pytrends' interest frame as numbers per keyword, partial weeks dropped; None if unusable.

    Empty frames, frames missing a keyword's column, and values that are not
    numbers are no data.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return None
    if any(keyword not in frame.columns for keyword in keywords):
        return None
    if "isPartial" in frame.columns:
        frame = frame[~frame["isPartial"].astype(bool)]
    values = frame[list(keywords)].apply(pd.to_numeric, errors="coerce")
    if values.empty or values.isna().any().any():
        return None
    if not isinstance(values.index, pd.DatetimeIndex):
        return None
    numbers: pd.DataFrame = values.astype("float64")
    return numbers


def _query_rows(frame: Any) -> tuple[tuple[str, int], ...] | None:
    """(query, value) rows of one related-queries frame; None when there is no frame."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return None
    rows = []
    for query, value in zip(frame.get("query", []), frame.get("value", []), strict=False):
        if isinstance(query, str) and query.strip() and pd.notna(value):
            try:
                rows.append((query.strip(), int(value)))
            except (TypeError, ValueError):
                continue
    return tuple(rows) if rows else None


def _retry_after(response: Any) -> float | None:
    """Seconds a response's Retry-After header asks for (RFC 9110 §10.2.3), when it gives some."""
    if response is None:
        return None
    value = str(response.headers.get("Retry-After", "")).strip()
    return float(value) if value.isdigit() else None


def _content_type(response: Any) -> str:
    """ " (text/html)" for a response with that content type, else ""."""
    if response is None:
        return ""
    kind = str(response.headers.get("Content-Type", "")).split(";")[0].strip()
    return f" ({kind})" if kind else ""
