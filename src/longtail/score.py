"""What a keyword is worth to a segment, and what it would bring and may cost.

The headline figure is exactly `value = avg monthly searches × segment CLV`.
Beside it, the economics a PPC specialist plans with, each from the
assumptions in the config's [economics] section (defaults.toml cites them):

- expected_clicks = avg monthly searches × organic CTR at the target position;
- conversion_rate by intent (the persona's own where its file gives one);
- expected_customers = expected_clicks × conversion_rate, a month;
- expected_monthly_value = expected_customers × segment CLV;
- break_even_cpc = conversion_rate × segment CLV: what a click is worth, so
  the most a click can cost before a customer costs more than they bring
  (CLV is profit CLV where the persona gives a gross margin);
- bid_margin_low / _high = break_even_cpc − the top-of-page bids, and
  bid_check, which flags (never hides) keywords whose bids exceed it;
- next_12_months_searches and peak_month from the seasonal profile of the
  monthly volumes.

Pure functions over DataFrames, vectorised; the store provides the inputs and
keeps the outputs.
"""

from __future__ import annotations

import calendar
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from longtail.config import INTENTS, EconomicsConfig, default_config, source_label

MONTHS = 12
# Keywords without an intent label (some imports) convert like a bare product
# phrase, which intent.py labels commercial.
FALLBACK_INTENT = "commercial"

LOW_BID_ABOVE = "low bid above break-even"
HIGH_BID_ABOVE = "high bid above break-even"
WITHIN = "within break-even"

MIN_SEARCH_SHARE = "min search share (reach)"

SEASONALITY_MONTHLY = "Keyword Planner monthly volumes"
SEASONALITY_FLAT = "flat: no monthly volumes"
SEASONALITY_TRENDS = "Google Trends, 5 years"


@dataclass(frozen=True)
class SeasonalProfiles:
    """Each row's seasonal index: 12 factors (January first) averaging 1, and their source."""

    index: np.ndarray[Any, np.dtype[np.float64]]  # shape (profiles, 12)
    row_profile: np.ndarray[Any, np.dtype[np.intp]]  # one profile number per row
    source: list[str | None]  # per profile

    def for_rows(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The (rows, 12) matrix of seasonal factors."""
        rows: np.ndarray[Any, np.dtype[np.float64]] = self.index[self.row_profile]
        return rows


def default_economics() -> EconomicsConfig:
    """The bundled [economics] assumptions."""
    return default_config().economics


def seasonal_profiles(monthly_searches: pd.Series) -> SeasonalProfiles:
    """Seasonal indexes from stored monthly volumes (JSON [[year, month, searches], ...]).

    A calendar month's factor is its searches over the mean of the months
    given, so twelve factors average 1 and avg searches × factor is that
    month's expected searches. With several years of one month, their mean
    counts. A month the series lacks, and a keyword with no series or only
    zeros, gets 1: no data is not a dip. Each distinct series is parsed once,
    all of them in one pass.
    """
    codes, uniques = pd.factorize(monthly_searches, use_na_sentinel=True)
    flat_profile = len(uniques)
    index = np.ones((flat_profile + 1, MONTHS))  # the last profile is the flat one
    profile, month, searches = _parse_series([str(text) for text in uniques])
    given = ~np.isnan(searches)
    totals = np.zeros((flat_profile, MONTHS))
    counts = np.zeros((flat_profile, MONTHS))
    np.add.at(totals, (profile[given], month[given]), searches[given])
    np.add.at(counts, (profile[given], month[given]), 1)
    has = counts > 0
    means = np.divide(totals, counts, out=np.zeros_like(totals), where=has)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = means.sum(axis=1) / has.sum(axis=1)
    usable = overall > 0  # NaN (no month given) compares False too
    factors = np.divide(
        means, overall[:, None], out=np.ones_like(means), where=has & usable[:, None]
    )
    index[:flat_profile] = factors
    source: list[str | None] = [SEASONALITY_MONTHLY if ok else SEASONALITY_FLAT for ok in usable]
    source.append(SEASONALITY_FLAT)
    row_profile = np.where(codes < 0, flat_profile, codes).astype(np.intp)
    return SeasonalProfiles(index, row_profile, source)


# Between two months of a series, "], [": where one line of numbers ends.
_BETWEEN_MONTHS = re.compile(r"\]\s*,\s*\[")
_BRACKETS = str.maketrans("", "", "[]")


def with_trends(profiles: SeasonalProfiles, trends_index: pd.Series) -> SeasonalProfiles:
    """`profiles` with Google Trends' seasonal index (JSON, 12 floats) where a row has one.

    Five years of Trends say more about a keyword's season than Keyword
    Planner's twelve months, so its index wins wherever it is stored.
    """
    codes, uniques = pd.factorize(trends_index, use_na_sentinel=True)
    indexes = [_json_index(str(text)) for text in uniques]
    usable = np.array([index is not None for index in indexes] + [False])
    if not usable[:-1].any():
        return profiles
    extra = np.array([index if index is not None else [1.0] * MONTHS for index in indexes])
    first = len(profiles.index)
    row_profile = np.where(
        usable[codes] & (codes >= 0), first + codes, profiles.row_profile
    ).astype(np.intp)
    return SeasonalProfiles(
        np.vstack([profiles.index, extra]),
        row_profile,
        [*profiles.source, *[SEASONALITY_TRENDS] * len(indexes)],
    )


def _json_index(text: str) -> list[float] | None:
    """Twelve positive factors from JSON, or None for anything else."""
    try:
        index = json.loads(text)
    except ValueError:
        return None
    if (
        isinstance(index, list)
        and len(index) == MONTHS
        and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in index)
    ):
        return [float(v) for v in index]
    return None


def _parse_series(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(series number, month index 0–11, searches) of every month of every series.

    The store writes each series as JSON [[year, month, searches], ...] with
    integers or null. Rather than a Python list per month, every series is
    turned into lines of "year, month, searches" and read by pandas' C
    parser in one go; text that does not read that way is read as JSON.
    """
    if not texts:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)
    lengths = np.array([text.count("[") - 1 for text in texts], dtype=np.intp)
    lines = _BETWEEN_MONTHS.sub("\n", "\n".join(texts)).translate(_BRACKETS)
    try:
        triples = pd.read_csv(
            io.StringIO(lines), header=None, names=["year", "month", "searches"], dtype="float64"
        ).to_numpy()
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        triples = np.zeros((0, 3))
    if len(triples) != lengths.sum():
        series = [_json_series(text) for text in texts]
        lengths = np.array([len(months) for months in series], dtype=np.intp)
        triples = np.array(
            [[_number_or_nan(value) for value in month] for months in series for month in months],
            dtype=np.float64,
        ).reshape(-1, 3)
    profile = np.repeat(np.arange(len(texts)), lengths)
    month = np.nan_to_num(triples[:, 1], nan=0).astype(np.intp) - 1
    # A month that is not 1 to 12 (a hand-edited database) counts as no data.
    searches = np.where((month >= 0) & (month < MONTHS), triples[:, 2], np.nan)
    return profile, np.clip(month, 0, MONTHS - 1), searches


def _json_series(text: str) -> list[list[object]]:
    """A series read as JSON; what is not a list of [year, month, searches] is no data."""
    try:
        series = json.loads(text)
    except ValueError:
        return []
    if not isinstance(series, list):
        return []
    return [month for month in series if isinstance(month, list) and len(month) == 3]


def _number_or_nan(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return float("nan")


def next_month(today: date) -> date:
    """The first day of the month after `today`'s."""
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def months_from(first: date, months: int = MONTHS) -> list[tuple[int, int]]:
    """(year, month) of `months` consecutive months, the first `first`'s."""
    start = first.year * 12 + first.month - 1
    return [((start + offset) // 12, (start + offset) % 12 + 1) for offset in range(months)]


def conversion_rates(
    economics: EconomicsConfig, persona_rates: Mapping[str, Mapping[str, float]], persona_id: str
) -> dict[str, tuple[float, str]]:
    """Each intent's conversion rate for one persona, with where it came from."""
    own = persona_rates.get(persona_id, {})
    return {
        intent: (own[intent], "persona file")
        if intent in own
        else (economics.conversion_rate(intent), "config default")
        for intent in INTENTS
    }


def score_keywords(
    inputs: pd.DataFrame,
    economics: EconomicsConfig | None = None,
    persona_rates: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """Score each (keyword, persona) row; highest value first, ties in input order.

    `inputs` has keyword, persona_id, avg_monthly_searches and segment_clv,
    and optionally intent, low/high_top_of_page_bid and monthly_searches.
    `persona_rates` holds the conversion rates persona files set, by persona
    and intent. A keyword without volume data keeps empty figures rather than
    zero: "Google has no data" is not "nobody searches for it". A keyword that
    several personas produce is scored once for each, with its own CLV.
    """
    economics = economics or default_economics()
    # Shallow: with copy-on-write the new columns never reach `inputs`, and a
    # million rows are not copied once more before the sort copies them.
    scored = inputs.copy(deep=False)
    for column in ("intent", "monthly_searches"):
        if column not in scored:
            scored[column] = pd.Series(pd.NA, index=scored.index, dtype="string")
    for column in ("low_top_of_page_bid", "high_top_of_page_bid"):
        if column not in scored:
            scored[column] = np.nan

    searches = scored["avg_monthly_searches"].astype("Float64").to_numpy("float64", na_value=np.nan)
    clv = scored["segment_clv"].to_numpy("float64")
    rate = _conversion_rate(scored, economics, persona_rates or {})
    low = scored["low_top_of_page_bid"].to_numpy("float64", na_value=np.nan)
    high = scored["high_top_of_page_bid"].to_numpy("float64", na_value=np.nan)

    scored["value"] = searches * clv
    scored["expected_clicks"] = searches * economics.ctr
    scored["conversion_rate"] = rate
    scored["expected_customers"] = scored["expected_clicks"].to_numpy() * rate
    scored["expected_monthly_value"] = scored["expected_customers"].to_numpy() * clv
    break_even = rate * clv
    scored["break_even_cpc"] = break_even
    scored["bid_margin_low"] = break_even - low
    scored["bid_margin_high"] = break_even - high
    scored["bid_check"] = _bid_check(break_even, low, high)

    profiles = seasonal_profiles(scored["monthly_searches"])
    if "trends_index" in scored:
        profiles = with_trends(profiles, scored["trends_index"])
    # Twelve consecutive months hold every calendar month once, so the sum
    # over the next twelve is the sum of the factors, whichever month comes first.
    scored["next_12_months_searches"] = searches * profiles.index.sum(axis=1)[profiles.row_profile]
    scored["peak_month"] = _peak_months(profiles)
    scored["seasonality"] = _per_row(profiles, profiles.source)

    scored = scored.sort_values(
        "value", ascending=False, kind="stable", na_position="last"
    ).reset_index(drop=True)
    scored["rank"] = scored["value"].rank(method="min", ascending=False).astype("Int64")
    scored["segment_rank"] = (
        scored.groupby("persona_id", sort=False)["value"]
        .rank(method="min", ascending=False)
        .astype("Int64")
    )
    return scored


def _conversion_rate(
    scored: pd.DataFrame,
    economics: EconomicsConfig,
    persona_rates: Mapping[str, Mapping[str, float]],
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Each row's conversion rate: a (persona × intent) table looked up by codes, not by rows."""
    persona_codes, personas = pd.factorize(scored["persona_id"])
    intents = scored["intent"].astype("string").fillna(FALLBACK_INTENT)
    intent_codes = pd.Categorical(intents, categories=INTENTS).codes
    # An intent longtail does not know (a hand-edited database) converts like the fallback.
    intent_codes = np.where(intent_codes < 0, INTENTS.index(FALLBACK_INTENT), intent_codes)
    table = np.array(
        [
            [rate for rate, _ in conversion_rates(economics, persona_rates, str(p)).values()]
            for p in personas
        ]
    ).reshape(len(personas), len(INTENTS))
    return table[persona_codes, intent_codes] if len(scored) else np.zeros(0)


def _bid_check(
    break_even: np.ndarray[Any, np.dtype[np.float64]],
    low: np.ndarray[Any, np.dtype[np.float64]],
    high: np.ndarray[Any, np.dtype[np.float64]],
) -> pd.Series:
    """Whether the top-of-page bids exceed break-even; empty without bids or break-even."""
    with np.errstate(invalid="ignore"):
        checks = np.select(
            [low > break_even, high > break_even, (high <= break_even) | (low <= break_even)],
            [LOW_BID_ABOVE, HIGH_BID_ABOVE, WITHIN],
            default="",
        )
    return pd.Series(checks, dtype="string").replace("", pd.NA)


def _peak_months(profiles: SeasonalProfiles) -> pd.Series:
    """The calendar month with the highest factor; empty for a flat profile."""
    flat = np.isclose(profiles.index, 1.0).all(axis=1)
    names = np.array([None, *calendar.month_abbr[1:]], dtype=object)
    peaks = np.where(flat, 0, profiles.index.argmax(axis=1) + 1)
    return _per_row(profiles, names[peaks].tolist())


def _per_row(profiles: SeasonalProfiles, labels: Sequence[str | None]) -> pd.Series:
    """A label per profile spread to every row that has the profile; None is empty."""
    spread = np.array(labels, dtype=object)[profiles.row_profile]
    return pd.Series(spread, dtype="string")


def segment_summary(
    scored: pd.DataFrame,
    channels: Mapping[str, Sequence[str]] | None = None,
    min_search_share: float | None = None,
) -> pd.DataFrame:
    """One row per segment: CLV, keywords, volume, value, expected monthly value, ranks, reach.

    Segments are ranked by total value (value_rank) and by expected monthly
    value (monthly_value_rank). A segment whose share of all segments'
    expected monthly value is under `min_search_share` is better reached
    through its persona's other `channels`, and `reach` says so.
    """
    if min_search_share is None:
        min_search_share = default_economics().min_search_share
    channels = channels or {}
    if "expected_monthly_value" not in scored:
        scored = scored.assign(expected_monthly_value=np.nan, expected_customers=np.nan)
    grouped = scored.groupby(
        ["persona_id", "persona_name", "segment_clv", "currency"], dropna=False, sort=False
    )
    summary = grouped.agg(
        keywords=("keyword", "size"),
        keywords_with_volume=("avg_monthly_searches", "count"),
        total_monthly_searches=("avg_monthly_searches", "sum"),
        total_value=("value", "sum"),
        expected_customers=("expected_customers", "sum"),
        expected_monthly_value=("expected_monthly_value", "sum"),
    ).reset_index()
    summary["total_monthly_searches"] = summary["total_monthly_searches"].astype("int64")
    summary["value_rank"] = summary["total_value"].rank(method="min", ascending=False)
    summary["monthly_value_rank"] = summary["expected_monthly_value"].rank(
        method="min", ascending=False
    )
    for column in ("value_rank", "monthly_value_rank"):
        summary[column] = summary[column].astype("Int64")
    everything = summary["expected_monthly_value"].sum()
    summary["search_share"] = (
        summary["expected_monthly_value"] / everything if everything > 0 else 0.0
    )
    summary["channels"] = [", ".join(channels.get(str(p), [])) for p in summary["persona_id"]]
    summary["reach"] = [
        "search" if s >= min_search_share else _elsewhere(c)
        for s, c in zip(summary["search_share"], summary["channels"], strict=True)
    ]
    return summary.sort_values(
        ["total_value", "persona_id"], ascending=[False, True], ignore_index=True
    )


def _elsewhere(channels: str) -> str:
    if channels:
        return f"little search demand: reach through {channels}"
    return "little search demand: list this segment's channels in its persona file"


def explain(
    row: Mapping[str, Any],
    economics: EconomicsConfig,
    persona_rates: Mapping[str, Mapping[str, float]],
    clv_formula: str | None = None,
) -> list[tuple[str, str, str]]:
    """How one scored row's figures follow from its inputs: (what, figure, how) lines."""
    currency = str(row.get("currency") or "")
    searches = _number(row.get("avg_monthly_searches"))
    clv = float(row["segment_clv"])
    intent = str(row["intent"]) if _given(row.get("intent")) else None
    rate, rate_source = conversion_rates(economics, persona_rates, str(row["persona_id"]))[
        intent or FALLBACK_INTENT
    ]
    money = _money_format(currency)
    lines: list[tuple[str, str, str]] = [
        (
            "avg monthly searches",
            f"{searches:,.0f}" if searches is not None else "no data",
            "Keyword Planner, the persona's market",
        ),
        ("segment CLV", money(clv), clv_formula or "from the persona file"),
    ]
    if searches is None:
        lines.append(("value", "none", "no volume data: nothing is estimated from nothing"))
        return lines
    clicks = searches * economics.ctr
    customers = clicks * rate
    break_even = rate * clv
    lines += [
        ("value", money(searches * clv), f"{searches:,.0f} × {money(clv)}"),
        (
            "expected clicks / month",
            f"{clicks:,.1f}",
            f"{searches:,.0f} × {economics.ctr:.1%} organic CTR at position "
            f"{economics.target_position}",
        ),
        (
            "conversion rate",
            f"{rate:.2%}",
            f"{intent or f'no intent, taken as {FALLBACK_INTENT}'} ({rate_source})",
        ),
        ("expected customers / month", f"{customers:,.2f}", f"{clicks:,.1f} × {rate:.2%}"),
        (
            "expected monthly value",
            money(customers * clv),
            f"{customers:,.2f} × {money(clv)}",
        ),
        ("break-even CPC", money(break_even), f"{rate:.2%} × {money(clv)}"),
    ]
    low = _number(row.get("low_top_of_page_bid"))
    high = _number(row.get("high_top_of_page_bid"))
    if low is None and high is None:
        lines.append(("top-of-page bids", "none", "Keyword Planner gave no bids"))
    else:
        for label, bid in (("low", low), ("high", high)):
            if bid is not None:
                lines.append(
                    (
                        f"margin vs {label} bid",
                        money(break_even - bid),
                        f"{money(break_even)} − {money(bid)}",
                    )
                )
        lines.append(("bid check", str(row.get("bid_check") or ""), "flagged, not hidden"))
    ahead = _number(row.get("next_12_months_searches"))
    if ahead is not None:
        peak = row.get("peak_month")
        lines.append(
            (
                "next 12 months' searches",
                f"{ahead:,.0f}",
                f"{row.get('seasonality') or ''}" + (f"; peak in {peak}" if _given(peak) else ""),
            )
        )
    lines.append(
        (
            "rank",
            f"{row.get('rank')} overall",
            f"{row.get('segment_rank')} in its segment, by value",
        )
    )
    return lines


def assumptions(
    economics: EconomicsConfig, persona_rates: Mapping[str, Mapping[str, float]], source: str
) -> list[tuple[str, str, str]]:
    """Every assumption scoring used, as (assumption, value, source) rows for the export."""
    source = source_label(source)
    rows = [
        ("value", "avg monthly searches × segment CLV", "the headline figure"),
        ("target organic position", str(economics.target_position), source),
        (
            "organic CTR by position",
            ", ".join(f"{n}: {rate:.1%}" for n, rate in enumerate(economics.ctr_curve, start=1)),
            f"{source}; the default is Sistrix 2020, 80 million keywords",
        ),
        (
            "CTR at the target position",
            f"{economics.ctr:.1%}",
            "expected clicks = searches × this",
        ),
    ]
    for intent, rate in economics.conversion_rates:
        rows.append((f"conversion rate, {intent}", f"{rate:.2%}", source))
    rows.append(
        (
            "conversion rate, no intent",
            f"{economics.conversion_rate(FALLBACK_INTENT):.2%}",
            f"as {FALLBACK_INTENT}",
        )
    )
    for persona_id in sorted(persona_rates):
        for intent, rate in sorted(persona_rates[persona_id].items()):
            rows.append((f"conversion rate, {intent}, {persona_id}", f"{rate:.2%}", "persona file"))
    rows += [
        ("break-even CPC", "conversion rate × segment CLV", "profit CLV where a margin is given"),
        (
            "seasonality",
            "Google Trends' seasonal index where `longtail trends` stored one; else the "
            "monthly volumes ÷ their mean, by calendar month",
            "Google Trends (5 years), Keyword Planner (12 months)",
        ),
        ("paid CTR (forecast)", f"{economics.paid_ctr:.2%}", source),
        ("bid fraction (forecast)", f"{economics.bid_fraction:g}", source),
        ("cost per click basis (forecast)", economics.cost_basis, source),
        # A share, not a percentage: the export reads it back to mark each segment's reach.
        (MIN_SEARCH_SHARE, f"{economics.min_search_share:g}", source),
    ]
    return rows


def _money_format(currency: str) -> Any:
    suffix = f" {currency}" if currency else ""
    return lambda amount: f"{amount:,.2f}{suffix}"


def _given(value: object) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and np.isnan(value))
        and value is not pd.NA
        and value != ""
    )


def _number(value: object) -> float | None:
    if not _given(value):
        return None
    return float(value)  # type: ignore[arg-type]
