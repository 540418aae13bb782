"""The budget forecast: never more than the budget, best return first, month by month."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from longtail.config import EconomicsConfig
from longtail.errors import InputError
from longtail.forecast import allocate_budget
from longtail.score import score_keywords

ECONOMICS = EconomicsConfig(
    target_position=1,
    ctr_curve=(0.3,),
    paid_ctr=0.1,
    bid_fraction=1.0,
    cost_basis="high",
    min_search_share=0.05,
    conversion_rates=(
        ("informational", 0.01),
        ("commercial", 0.03),
        ("transactional", 0.03),
        ("navigational", 0.03),
    ),
)
JANUARY = date(2027, 1, 1)


def scored(currency: str = "USD") -> pd.DataFrame:
    """Three keywords of one segment (CLV 441, so a click is worth 3% × 441 = 13.23)."""
    inputs = pd.DataFrame(
        {
            "keyword": ["cheap return", "dear return", "priced out"],
            "persona_id": ["runner"] * 3,
            "persona_name": ["Runner"] * 3,
            "intent": pd.array(["transactional"] * 3, "string"),
            "avg_monthly_searches": pd.array([1000, 500, 800], dtype="Int64"),
            "segment_clv": [441.0] * 3,
            "currency": [currency] * 3,
            "low_top_of_page_bid": [1.0, 2.0, 10.0],
            # Cost a click: 2 and 5 are under the break-even 13.23; 20 is over it.
            "high_top_of_page_bid": [2.0, 5.0, 20.0],
            "monthly_searches": pd.array(
                [json.dumps([[2026, 1, 50], [2026, 2, 150]]), None, None], "string"
            ),
        }
    )
    return score_keywords(inputs, ECONOMICS, {})


def test_the_best_return_is_bought_first_and_the_next_in_part() -> None:
    # Jan: "cheap return" offers 1,000 × 0.5 (seasonal) × 10% = 50 clicks at 2 = 100;
    # "dear return" offers 500 × 10% = 50 clicks at 5 = 250. A budget of 200 buys
    # all of the first and 100 / 5 = 20 clicks of the second.
    forecast = allocate_budget(scored(), 200, ECONOMICS, JANUARY, months=1)
    january = forecast.months.iloc[0]
    assert january["month"] == "Jan 2027"
    assert january["spend"] == pytest.approx(200)
    assert january["clicks"] == pytest.approx(50 + 20)
    assert january["customers"] == pytest.approx(70 * 0.03)
    assert january["lifetime_value"] == pytest.approx(70 * 0.03 * 441)
    spend = dict(zip(forecast.keywords.keyword, forecast.keywords.spend, strict=True))
    assert spend == pytest.approx({"cheap return": 100, "dear return": 100})


def test_a_keyword_costing_more_than_its_bid_is_left_out() -> None:
    forecast = allocate_budget(scored(), 10_000, ECONOMICS, JANUARY, months=1)
    assert "priced out" not in set(forecast.keywords.keyword)
    assert (forecast.candidates, forecast.priced_out) == (3, 1)


def test_a_budget_above_what_is_on_offer_leaves_the_rest_unspent() -> None:
    forecast = allocate_budget(scored(), 10_000, ECONOMICS, JANUARY, months=2)
    january, february = forecast.months.to_dict("records")
    assert january["spend"] == pytest.approx(100 + 250)
    # February is the peak of "cheap return" (factor 1.5): 150 clicks at 2.
    assert february["spend"] == pytest.approx(300 + 250)
    assert january["unspent"] == pytest.approx(10_000 - 350)


@pytest.mark.parametrize("budget", [1, 37.5, 100, 199.99, 349, 350, 351, 5_000])
def test_spend_never_exceeds_the_budget_in_any_month(budget: float) -> None:
    forecast = allocate_budget(scored(), budget, ECONOMICS, JANUARY)
    assert len(forecast.months) == 12
    assert (forecast.months["spend"] <= budget + 1e-9).all()
    assert forecast.spend <= 12 * budget + 1e-6
    assert forecast.keywords["spend"].sum() == pytest.approx(forecast.spend)


def test_a_lower_bid_fraction_prices_more_keywords_out() -> None:
    # Bidding 20% of 13.23 = 2.646: "dear return" (5 a click) is out, "cheap return" (2) in.
    low_bids = replace(ECONOMICS, bid_fraction=0.2)
    forecast = allocate_budget(scored(), 1_000, low_bids, JANUARY, months=1)
    assert list(forecast.keywords.keyword) == ["cheap return"]
    assert forecast.keywords.bid.iloc[0] == pytest.approx(2.646)


def test_cost_basis_low_uses_the_low_bid() -> None:
    forecast = allocate_budget(
        scored(), 50, replace(ECONOMICS, cost_basis="low"), JANUARY, months=1
    )
    # At 1 a click "cheap return" offers 50 clicks for 50: all the budget buys.
    assert forecast.keywords.iloc[0]["cost_per_click"] == pytest.approx(1.0)
    assert forecast.months.iloc[0]["clicks"] == pytest.approx(50)


def test_segments_in_several_currencies_need_the_budgets_currency() -> None:
    both = pd.concat([scored("USD"), scored("EUR")], ignore_index=True)
    with pytest.raises(InputError, match="choose with --currency"):
        allocate_budget(both, 100, ECONOMICS, JANUARY)
    euros = allocate_budget(both, 100, ECONOMICS, JANUARY, currency="eur", months=1)
    assert euros.currency == "EUR" and euros.months.iloc[0]["spend"] == pytest.approx(100)
    with pytest.raises(InputError, match="no segment prices in it"):
        allocate_budget(both, 100, ECONOMICS, JANUARY, currency="GBP")


def test_a_budget_must_be_above_zero() -> None:
    with pytest.raises(InputError, match="above 0"):
        allocate_budget(scored(), 0, ECONOMICS, JANUARY)
