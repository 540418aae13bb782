"""Write examples/orders.csv, a SAMPLE order history for the example shop.

Every order is invented here, deterministically from a fixed seed: customers
of the five example personas (Ridgeline Outfitters, personas/*.yaml) buying
over two years, at the average order value, purchase frequency and retention
their persona files give, so that `longtail clv --orders examples/orders.csv`
has something plausible to measure. None of it is a real shop's data.

- Each customer first buys on a day drawn evenly from the two years, stays a
  time drawn from an exponential distribution around the persona's
  retention years, and in between buys again at the persona's purchases per
  year (a Poisson process); amounts scatter log-normally around the
  persona's average order value.
- The gift buyer states its CLV instead of the formula's inputs: its
  customers are modelled as one-off buyers of gifts around $75.
- The climbing beginners are a new segment with few customers, so the
  "too few customers to trust" flag shows.
- About 2% of orders are refunded in full a few days later (a negative
  amount), and two rows are broken on purpose (no customer id; a date that
  does not exist) to show how bad rows are reported.

Run from the repository root after changing the personas' CLV inputs:

    python scripts/make_sample_orders.py
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from longtail.personas import load_personas

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "examples" / "orders.csv"

SEED = 20260301
START = date(2024, 1, 1)
END = date(2025, 12, 31)
REFUND_SHARE = 0.02
# How widely one order's amount scatters around the average (log-normal sigma).
AMOUNT_SPREAD = 0.35

# Customers per segment; the climbing beginners are few on purpose (see above).
CUSTOMERS = {
    "trail-runner": 170,
    "thru-hiker": 90,
    "family-camper": 130,
    "gift-buyer": 120,
    "climbing-beginner": 18,
}


@dataclass(frozen=True)
class Behaviour:
    """How a segment's customers buy: the simple formula's inputs."""

    average_order_value: float
    purchases_per_year: float
    retention_years: float


# Personas that state their CLV give no inputs to model: one-off gift buyers.
STATED = {"gift-buyer": Behaviour(75.0, 1.0, 0.3)}


def behaviours() -> dict[str, Behaviour]:
    """Each example persona's buying, from its YAML file (or STATED)."""
    found = {}
    for persona in load_personas([ROOT / "personas"]):
        clv = persona.clv
        if persona.id in STATED:
            found[persona.id] = STATED[persona.id]
            continue
        assert clv.average_order_value and clv.purchases_per_year and clv.retention_years
        found[persona.id] = Behaviour(
            clv.average_order_value, clv.purchases_per_year, clv.retention_years
        )
    return found


def exponential(rng: random.Random, mean: float) -> float:
    # Written out from random() rather than rng.expovariate, so that the file
    # stays the same whatever Python version draws it.
    return -math.log(1.0 - rng.random()) * mean


def amount(rng: random.Random, average: float) -> float:
    """A log-normal amount with mean `average` (Box-Muller from two uniforms)."""
    normal = math.sqrt(-2.0 * math.log(1.0 - rng.random())) * math.cos(2 * math.pi * rng.random())
    value = average * math.exp(AMOUNT_SPREAD * normal - AMOUNT_SPREAD**2 / 2)
    return round(max(value, 5.0), 2)


def orders() -> list[list[str]]:
    """Every row of the sample file, header first, in date order."""
    rng = random.Random(SEED)
    days = (END - START).days
    ids = rng.sample(range(10_000, 100_000), sum(CUSTOMERS.values()))
    rows: list[tuple[date, str, float, str]] = []
    customer = 0
    for segment, behaviour in sorted(behaviours().items()):
        for _ in range(CUSTOMERS[segment]):
            customer_id = f"C{ids[customer]}"
            customer += 1
            first = START + timedelta(days=rng.randrange(days + 1))
            leaves = first + timedelta(days=exponential(rng, behaviour.retention_years) * 365)
            when = first
            while when <= min(leaves, END):
                value = amount(rng, behaviour.average_order_value)
                rows.append((when, customer_id, value, segment))
                if rng.random() < REFUND_SHARE:
                    refunded = when + timedelta(days=rng.randrange(3, 21))
                    if refunded <= END:
                        rows.append((refunded, customer_id, -value, segment))
                gap = exponential(rng, 1 / behaviour.purchases_per_year)
                when += timedelta(days=max(1, round(gap * 365)))
    rows.sort(key=lambda row: (row[0], row[1], -row[2]))
    table = [["order_id", "customer_id", "order_date", "amount", "segment"]]
    for number, (when, customer_id, value, segment) in enumerate(rows, start=1001):
        table.append([f"R{number}", customer_id, when.isoformat(), f"{value:.2f}", segment])
    # The two broken rows, at fixed places.
    table[40][1] = ""
    table[len(table) // 2][2] = "2025-02-30"
    return table


def main() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows(orders())
    print(f"Wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
