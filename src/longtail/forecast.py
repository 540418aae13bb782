"""Spread a monthly PPC budget over keywords by expected return, month by month.

For each scored (keyword, persona) with volume and a break-even CPC:

- bid = bid_fraction × break-even CPC;
- cost per click = the top-of-page bid the cost basis names (Keyword
  Planner's high or low range, their mid-point) or the bid itself; the bid
  where Keyword Planner gave no bids. A keyword whose cost per click is above
  the bid cannot be bought at that bid and is left out ("priced out");
- return = value of a click ÷ its cost = break-even CPC ÷ cost per click
  (a click is worth conversion rate × CLV, which is the break-even CPC);
- clicks on offer in a month = avg monthly searches × the month's seasonal
  factor (Google Trends' where stored, else Keyword Planner's) × paid CTR.

Each month the budget buys clicks from the highest return down until it is
spent or nothing is left to buy: with returns that do not fall as a keyword's
clicks are bought, this greedy fill gets the most lifetime value a budget can
buy (the fractional knapsack). The last keyword funded may be funded in part.
Spend never exceeds the budget.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from longtail.config import EconomicsConfig
from longtail.errors import InputError
from longtail.score import MONTHS, months_from, seasonal_profiles, with_trends


@dataclass(frozen=True)
class Forecast:
    """A budget's allocation: the months, the keywords funded, and what was left out."""

    budget: float
    currency: str
    months: pd.DataFrame  # one row per month
    keywords: pd.DataFrame  # one row per keyword funded in any month
    candidates: int  # keywords with volume and a break-even CPC
    priced_out: int  # of those, costing more a click than the bid

    @property
    def spend(self) -> float:
        """Total spend over the months."""
        return float(self.months["spend"].sum())


def allocate_budget(
    scored: pd.DataFrame,
    budget: float,
    economics: EconomicsConfig,
    first_month: date,
    months: int = MONTHS,
    currency: str | None = None,
) -> Forecast:
    """Spread `budget` a month over `months` months from `first_month`'s, by expected return.

    `scored` is score_keywords' output with the monthly volumes
    (`monthly_searches`). Keywords are those of `currency`, which may be left
    out when every segment prices in one.
    """
    if not budget > 0:
        raise InputError(f"--budget {budget:g}: give a monthly budget above 0, e.g. --budget 2000")
    currencies = sorted(scored["currency"].dropna().unique())
    if currency is None:
        if len(currencies) > 1:
            raise InputError(
                f"the segments price in {', '.join(currencies)}; a budget is in one currency: "
                f"choose with --currency, e.g. --currency {currencies[0]}"
            )
        currency = currencies[0] if currencies else ""
    elif currency.upper() not in currencies:
        raise InputError(
            f"--currency {currency}: no segment prices in it; the segments use "
            f"{', '.join(currencies) or 'no currency yet'}"
        )
    currency = currency.upper()

    rows = scored[
        (scored["currency"] == currency)
        & (scored["avg_monthly_searches"].fillna(0) > 0)
        & (scored["break_even_cpc"].fillna(0) > 0)
    ].reset_index(drop=True)
    bid = rows["break_even_cpc"].to_numpy("float64") * economics.bid_fraction
    cost = _cost_per_click(rows, bid, economics.cost_basis)
    priced_out = cost > bid * (1 + 1e-9)
    rows = rows[~priced_out].reset_index(drop=True)
    bid, cost = bid[~priced_out], cost[~priced_out]
    worth = rows["break_even_cpc"].to_numpy("float64")
    ret = worth / cost
    # Highest return first; among equals, the higher value, then the input order.
    order = np.lexsort((-rows["value"].to_numpy("float64"), -ret))
    rows, bid, cost, ret, worth = (
        rows.iloc[order].reset_index(drop=True),
        *(a[order] for a in (bid, cost, ret, worth)),
    )

    profiles = seasonal_profiles(rows["monthly_searches"])
    if "trends_index" in rows:
        profiles = with_trends(profiles, rows["trends_index"])
    factors = profiles.for_rows()
    searches = rows["avg_monthly_searches"].to_numpy("float64")
    rate = rows["conversion_rate"].to_numpy("float64")
    clv = rows["segment_clv"].to_numpy("float64")
    ahead = months_from(first_month, months)
    month_rows = []
    spent = np.zeros((len(rows), len(ahead)))
    for column, (year, month) in enumerate(ahead):
        clicks_on_offer = searches * factors[:, month - 1] * economics.paid_ctr
        cost_on_offer = clicks_on_offer * cost
        before = np.cumsum(cost_on_offer) - cost_on_offer
        spend = np.clip(budget - before, 0.0, cost_on_offer)
        spent[:, column] = spend
        clicks = np.divide(spend, cost, out=np.zeros_like(spend), where=cost > 0)
        customers = clicks * rate
        month_rows.append(
            {
                "month": f"{calendar.month_abbr[month]} {year}",
                "spend": float(spend.sum()),
                "clicks": float(clicks.sum()),
                "customers": float(customers.sum()),
                "lifetime_value": float((customers * clv).sum()),
                "keywords_funded": int((spend > 0).sum()),
                "unspent": float(max(budget - spend.sum(), 0.0)),
            }
        )
    months_frame = pd.DataFrame(month_rows)
    months_frame["return"] = np.divide(
        months_frame["lifetime_value"],
        months_frame["spend"],
        out=np.zeros(len(months_frame)),
        where=months_frame["spend"] > 0,
    )

    total_spend = spent.sum(axis=1)
    funded = total_spend > 0
    clicks_bought = total_spend / cost
    keywords = pd.DataFrame(
        {
            "keyword": rows["keyword"],
            "persona_id": rows["persona_id"],
            "bid": bid,
            "cost_per_click": cost,
            "return": ret,
            "spend": total_spend,
            "clicks": clicks_bought,
            "customers": clicks_bought * rate,
            "lifetime_value": clicks_bought * rate * clv,
            "months_funded": (spent > 0).sum(axis=1),
        }
    )[funded].reset_index(drop=True)
    return Forecast(
        budget=float(budget),
        currency=currency,
        months=months_frame,
        keywords=keywords,
        candidates=len(priced_out),
        priced_out=int(priced_out.sum()),
    )


def _cost_per_click(rows: pd.DataFrame, bid: np.ndarray, basis: str) -> np.ndarray:
    """What a click is assumed to cost under `basis`; the bid where there are no bids."""
    low = rows["low_top_of_page_bid"].to_numpy("float64", na_value=np.nan)
    high = rows["high_top_of_page_bid"].to_numpy("float64", na_value=np.nan)
    chosen = {"high": high, "low": low, "mid": (low + high) / 2, "bid": bid}[basis]
    # A bid of 0 from Google means no data, not free clicks.
    return np.where(np.isfinite(chosen) & (chosen > 0), chosen, bid)
