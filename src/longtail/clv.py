"""Customer lifetime value of a segment.

The simple formula, for shops without much data: average order value ×
purchases per year × retention in years, times gross margin when given (profit
CLV, the figure to bid against). A persona may also state its CLV outright.
"""

from __future__ import annotations

from dataclasses import dataclass

from longtail.personas import ClvInputs


@dataclass(frozen=True)
class ClvEstimate:
    """A segment's CLV and how it was reached."""

    value: float
    method: str  # "stated" or "simple-formula"
    formula: str  # the inputs written out, e.g. "140 × 2.5/yr × 3 yr × 0.42 margin"


def estimate_clv(inputs: ClvInputs) -> ClvEstimate:
    """The CLV a persona states, or the simple formula over its inputs."""
    if inputs.value is not None:
        return ClvEstimate(inputs.value, "stated", f"stated: {_number(inputs.value)}")
    # The persona schema guarantees all three when no value is stated.
    assert inputs.average_order_value is not None
    assert inputs.purchases_per_year is not None
    assert inputs.retention_years is not None
    value = inputs.average_order_value * inputs.purchases_per_year * inputs.retention_years
    formula = (
        f"{_number(inputs.average_order_value)} order × {_number(inputs.purchases_per_year)}/yr"
        f" × {_number(inputs.retention_years)} yr"
    )
    if inputs.gross_margin is not None:
        value *= inputs.gross_margin
        formula += f" × {_number(inputs.gross_margin)} margin"
    return ClvEstimate(value, "simple-formula", formula)


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")
