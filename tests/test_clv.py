"""CLV from the simple formula or stated outright."""

from __future__ import annotations

import pytest

from longtail.clv import estimate_clv
from longtail.personas import ClvInputs


def test_simple_formula_times_margin_is_profit_clv() -> None:
    estimate = estimate_clv(
        ClvInputs(
            average_order_value=140, purchases_per_year=2.5, retention_years=3, gross_margin=0.42
        )
    )
    # 140 × 2.5 × 3 = 1,050 revenue; × 0.42 = 441 profit
    assert estimate.value == pytest.approx(441.0)
    assert estimate.method == "simple-formula"
    assert estimate.formula == "140 order × 2.5/yr × 3 yr × 0.42 margin"


def test_simple_formula_without_margin_is_revenue_clv() -> None:
    estimate = estimate_clv(
        ClvInputs(average_order_value=80, purchases_per_year=1.5, retention_years=2)
    )
    assert estimate.value == pytest.approx(240.0)
    assert estimate.formula == "80 order × 1.5/yr × 2 yr"


def test_stated_value_wins_over_formula_inputs() -> None:
    estimate = estimate_clv(
        ClvInputs(value=1200, average_order_value=10, purchases_per_year=1, retention_years=1)
    )
    assert (estimate.value, estimate.method, estimate.formula) == (1200, "stated", "stated: 1,200")
