"""Customer lifetime value of a segment: from the persona file, or from an order history.

The simple formula, for shops without much data: average order value ×
purchases per year × retention in years, times gross margin when given (profit
CLV, the figure to bid against). A persona may also state its CLV outright.

From data (`longtail clv --orders FILE`): `read_orders` reads an order
history, one row per order with a customer id, an order date, an amount and
the customer's segment (a segment column, or a customer → persona mapping
read by `read_mapping`); `segment_clv` computes each segment's figures and
`clv_report` sets them beside the personas' own estimates. By default:

- average order value (AOV) = revenue ÷ orders;
- purchases per year = orders ÷ customers ÷ the years the file covers, from
  its first to its last order date (`--frequency per-customer-year`);
- repeat rate = the share of customers with two or more orders;
- lifespan in years = 1 ÷ (1 − repeat rate), at most `lifespan_cap` (10):
  a customer who comes back with the probability of the repeat rate each
  time stays for that many purchase cycles on average (`--lifespan
  repeat-rate`);
- CLV = AOV × purchases per year × lifespan × gross margin, the margin taken
  from the persona file, 1 (revenue CLV) where it gives none.

The alternatives, for when the defaults do not fit the shop:

- `repeat-interval` purchases per year: how often customers who come back
  buy, the number of gaps between their consecutive orders ÷ the years
  those orders span; customers with one order do not count. It reads higher
  than per-customer-year, which spreads the orders over every customer and
  the whole file, so pair it with a lifespan that counts one-off buyers.
- `observed` lifespan: the average over customers of the years from their
  first to their last order, one-order customers counting 0. It never
  exceeds the years the file covers, so it reads low for long-lived
  customers and for files shorter than a customer's life.

Decisions, each said where the figures are shown:

- Years between two dates are calendar years: 2024-03-01 to 2026-03-01 is
  exactly 2; a part year is its days over that year's length. An order
  history whose first and last order fall on the same day covers no
  measurable time: purchases per year is unknown (not extrapolated from a
  floor), and so is CLV, and the segments are flagged.
- A negative amount is a refund: it reduces the segment's revenue (so AOV is
  net of refunds) and is not an order; it makes no one a customer and does
  not stretch the years covered. An amount of 0 is an order (a free one).
- Rows that cannot be used (no customer, a date or amount that cannot be
  read, no segment, a customer the mapping does not name) are skipped and
  reported with their 1-based line; the rest is used. A file with no usable
  order is an error.
- A segment with fewer than `min_customers` customers (30) is flagged too
  few to trust: with 30 customers a repeat rate of 50% is known to about ±9
  points (its standard error, √(0.5 × 0.5 ÷ 30)); with 10, to ±16.
- Segment names are compared with persona ids without case. A segment no
  persona has is still computed, with margin 1, and flagged "no persona";
  a persona without orders keeps its file's estimate only.
- A customer whose orders carry two segments counts in each, with the orders
  labelled with it; a note says how many such customers there are.
- Dates: ISO (2026-03-01, also with a time), month first (03/01/2026) or day
  first (01/03/2026, 01.03.2026, 01-03-2026); which of the two slash forms a
  file uses is told from the dates that can only be read one way (a day
  after the 12th). A file with none of those, or with both, needs
  `date_format` ("us" or "eu", or a strptime pattern such as "%d %b %Y").
  Dots are read day first, as only day-first countries write them.
- Amounts: "1,234.56", "1.234,56", "1 234,56", "$120", "120 EUR", "-$12.50",
  "(12.50)". Currency symbols and codes are dropped and kept in
  `OrdersFile.currencies`; which of "." and "," is the decimal mark is
  decided for the whole file from the amounts that show it ("12.50",
  "1.234,56"), and a lone mark before three digits with no word from the
  file groups thousands, as in the keyword imports.
- The file: UTF-8 (with or without a byte-order mark) or UTF-16 with one;
  anything else is read as Windows-1252 (what Excel saves) with a note. The
  separator (comma, semicolon or tab) is the one the header row uses most.
- Columns: named by `OrderColumns`, compared without case, spaces or
  hyphens ("Customer ID" is customer_id); unnamed ones are found by their
  usual names (CUSTOMER_COLUMNS, DATE_COLUMNS, AMOUNT_COLUMNS,
  SEGMENT_COLUMNS). Other columns are ignored.

pandas is imported inside the functions that read and compute, so that
importing this module (for `estimate_clv`) stays cheap.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from longtail import delimited
from longtail.delimited import decimal_mark_proved, quoted_columns
from longtail.errors import InputError, Problem, ProblemsError
from longtail.personas import ClvInputs

if TYPE_CHECKING:
    import pandas as pd

    from longtail.personas import Persona
    from longtail.store import Store


@dataclass(frozen=True)
class ClvEstimate:
    """A segment's CLV and how it was reached."""

    value: float
    method: str  # "stated", "simple-formula" or "orders" (ORDERS_METHOD)
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


def _figure(value: float) -> str:
    """A measured figure to two decimals, or three significant digits when below 1, so that
    a short lifespan (0.045 yr) does not print as 0.04 or 0."""
    places = 2 if value == 0 else max(2, 2 - math.floor(math.log10(abs(value))))
    return f"{value:,.{places}f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- CLV from orders

ORDERS_METHOD = "orders"

PER_CUSTOMER_YEAR = "per-customer-year"
REPEAT_INTERVAL = "repeat-interval"
FREQUENCIES = (PER_CUSTOMER_YEAR, REPEAT_INTERVAL)  # the first is the default
REPEAT_RATE = "repeat-rate"
OBSERVED = "observed"
LIFESPANS = (REPEAT_RATE, OBSERVED)  # the first is the default

# The default: a repeat rate of 90% already means 10 years, and the
# geometric lifetime behind 1 ÷ (1 − repeat rate) grows without bound as the
# rate nears 1, far past anything a few years of orders can vouch for.
DEFAULT_LIFESPAN_CAP = 10.0
# The sample size below which a repeat rate is too loose to bid on: see the
# module docstring (±9 points at 30 customers).
DEFAULT_MIN_CUSTOMERS = 30

ISO, US, EU, AUTO = "iso", "us", "eu", "auto"
DATE_FORMATS = (AUTO, ISO, US, EU)
DATE_FORMAT_NAMES = {
    ISO: "ISO (2026-03-01)",
    US: "month first (03/01/2026)",
    EU: "day first (01/03/2026, 01.03.2026)",
}

# Header names looked for when a column is not named, as _column_key writes
# them: the defaults first, then what shop exports call them
# (Shopify's "Created at" and "Total", WooCommerce's "Order Total").
CUSTOMER_COLUMNS = ("customer_id", "customer", "customerid", "client_id")
DATE_COLUMNS = ("order_date", "date", "orderdate", "created_at")
AMOUNT_COLUMNS = ("amount", "total", "revenue", "order_total", "order_amount")
SEGMENT_COLUMNS = ("segment", "persona_id", "persona")
MAPPING_PERSONA_COLUMNS = ("persona_id", "persona", "segment")

# Why a row was skipped: one of these, in the order they are checked.
NO_CUSTOMER = "no customer"
BAD_DATE = "unreadable date"
BAD_AMOUNT = "unreadable amount"
NO_SEGMENT = "no segment"
NOT_MAPPED = "customer not in the mapping"

# Symbols whose currency is certain, for comparing with the personas'
# currencies ("$" is also CAD, AUD, ...; "¥" JPY or CNY).
_SYMBOL_CURRENCIES = {"€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₺": "TRY", "₽": "RUB"}

# Currency marks that are neither a symbol nor an ISO code, as shops print
# them: Nordic kroner, złoty, koruna, forint, franc.
_LOCAL_CURRENCIES = frozenset({"kr", "zł", "kč", "ft", "fr"})

_DELIMITERS = (",", ";", "\t")  # a tie goes to the first
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}.*)?$")
_PART_DATE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?:[T ,]+\d{1,2}:\d{2}.*)?$")
# "120", "-89.9", "12,50": an amount with nothing to decide.
_PLAIN_AMOUNT = re.compile(r"^-?\d+(?:[.,]\d{1,2})?$")
# A number with a currency mark before or after it, a sign, or accounting
# parentheses: "$1,234.56", "-€12", "120 EUR", "(12.50)", "US$ 99".
_AMOUNT = re.compile(
    r"^(?P<open>\()?\s*(?P<sign>[-−+])?\s*(?P<before>[^\d\s.,()+\-−]*)\s*(?P<sign2>[-−+])?\s*"
    r"(?P<number>\d[\d\s\u00a0\u202f'.,]*?)\s*(?P<after>[^\d\s.,()+\-−]*)\s*(?P<close>\))?$"
)


@dataclass(frozen=True)
class OrderColumns:
    """Which columns of an orders file hold what; None looks for the usual names."""

    customer: str | None = None
    date: str | None = None
    amount: str | None = None
    segment: str | None = None  # not needed with a customer → persona mapping


@dataclass(frozen=True)
class ClvDefinitions:
    """Which definition of each figure to use, and when a segment is too small to trust."""

    frequency: str = PER_CUSTOMER_YEAR  # one of FREQUENCIES
    lifespan: str = REPEAT_RATE  # one of LIFESPANS
    lifespan_cap: float = DEFAULT_LIFESPAN_CAP  # years
    min_customers: int = DEFAULT_MIN_CUSTOMERS

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise InputError(
                f"unknown purchases-per-year definition {self.frequency!r}; "
                f"use one of: {', '.join(FREQUENCIES)}"
            )
        if self.lifespan not in LIFESPANS:
            raise InputError(
                f"unknown lifespan definition {self.lifespan!r}; use one of: {', '.join(LIFESPANS)}"
            )
        if not self.lifespan_cap > 0:
            raise InputError(f"the lifespan cap must be more than 0 years, not {self.lifespan_cap}")
        if self.min_customers < 1:
            raise InputError(f"the minimum customers must be 1 or more, not {self.min_customers}")

    def describe(self, orders: OrdersFile) -> dict[str, str]:
        """Each figure's definition in words, with the alternative chosen; keyed like the JSON."""
        covered = (
            f"{_number(orders.years_covered)}: {orders.first_order} to {orders.last_order}"
            if orders.years_covered is not None
            else f"unknown: every order is on {orders.first_order}"
        )
        frequency = {
            PER_CUSTOMER_YEAR: f"orders ÷ customers ÷ years the file covers ({covered})",
            REPEAT_INTERVAL: "gaps between consecutive orders of customers with two or more "
            "÷ the years those orders span (one-order customers do not count)",
        }[self.frequency]
        lifespan = {
            REPEAT_RATE: "1 ÷ (1 − repeat rate)",
            OBSERVED: "average years from each customer's first to last order (one order: 0)",
        }[self.lifespan]
        return {
            "average_order_value": "revenue ÷ orders; refunds (negative amounts) reduce "
            "revenue and are not orders",
            "purchases_per_year": f"{frequency} [--frequency {self.frequency}; "
            f"{_others(FREQUENCIES, self.frequency)}]",
            "repeat_rate": "share of customers with two or more orders",
            "lifespan_years": f"{lifespan}, at most {_number(self.lifespan_cap)} years "
            f"[--lifespan {self.lifespan}; {_others(LIFESPANS, self.lifespan)}]",
            "gross_margin": "the persona's gross_margin; 1 where it gives none or there is "
            "no persona",
            "clv_orders": "AOV × purchases/yr × lifespan × margin",
            "flag": f"too few customers to trust: fewer than {self.min_customers}",
        }


def _others(choices: Sequence[str], chosen: str) -> str:
    return "also: " + ", ".join(choice for choice in choices if choice != chosen)


@dataclass(frozen=True)
class SkippedRow:
    """An order row left out, with its 1-based line in the file and why."""

    line: int
    reason: str  # NO_CUSTOMER, BAD_DATE, BAD_AMOUNT, NO_SEGMENT or NOT_MAPPED
    column: str | None  # the header of the cell at fault, as written
    message: str  # what is wrong with it, e.g. "'2025-02-30' is not a date"

    def problem(self, file: str) -> Problem:
        """This row as a Problem located in `file`."""
        return Problem(file, self.message, field=self.column, line=self.line)


@dataclass(frozen=True)
class OrdersFile:
    """An order history as read: the usable rows, and what could not be used."""

    path: Path
    # One row per order or refund used: line (int), customer and segment
    # (strings), date (datetime64, midnight), amount (float, refunds < 0).
    frame: pd.DataFrame
    rows_read: int  # data rows in the file, blank lines not counted
    skipped: list[SkippedRow]
    columns: dict[str, str]  # "customer", "date", "amount", "segment" → header as written
    segments_from: str  # where segments came from, in words
    date_format: str  # ISO, US, EU or a strptime pattern, as used
    decimal_mark: str | None  # "." or ",", None where the file never shows one
    currencies: tuple[str, ...]  # currency symbols and codes the amounts carried, sorted
    first_order: date
    last_order: date
    years_covered: float | None  # None when every order falls on one day
    notes: list[str] = field(default_factory=list)

    @property
    def orders(self) -> int:
        """Rows counted as orders (amount ≥ 0)."""
        return int((self.frame["amount"] >= 0).sum())

    @property
    def refunds(self) -> int:
        """Rows counted as refunds (amount < 0)."""
        return int((self.frame["amount"] < 0).sum())

    @property
    def customers(self) -> int:
        """Distinct customers with at least one order."""
        return int(self.frame.loc[self.frame["amount"] >= 0, "customer"].nunique())

    @property
    def skipped_reasons(self) -> dict[str, int]:
        """How many rows were skipped for each reason, most first."""
        return dict(Counter(row.reason for row in self.skipped).most_common())


@dataclass(frozen=True)
class SegmentClv:
    """One segment's figures from the orders, beside its persona's estimate."""

    segment: str
    customers: int  # with at least one order
    orders: int
    refunds: int
    revenue: float  # net of refunds
    average_order_value: float | None  # None without orders
    purchases_per_year: float | None  # None when it cannot be computed (see flags)
    repeat_rate: float | None  # None without customers
    lifespan_years: float | None  # after the cap
    lifespan_capped: bool
    gross_margin: float  # 1 where the persona gives none
    margin_given: bool  # the persona gave gross_margin
    clv: float | None
    has_persona: bool
    too_few_customers: bool
    flags: tuple[str, ...]  # in words, for the table
    persona_estimate: ClvEstimate | None = None  # the persona file's, by clv_report

    def estimate(self, source: str) -> ClvEstimate:
        """This segment's CLV as the store keeps it, its inputs written out."""
        if (
            self.clv is None
            or self.average_order_value is None
            or self.purchases_per_year is None
            or self.lifespan_years is None
        ):
            raise ValueError(f"{self.segment} has no CLV from orders: {'; '.join(self.flags)}")
        formula = (
            f"{_figure(self.average_order_value)} order × {_figure(self.purchases_per_year)}/yr"
            f" × {_figure(self.lifespan_years)} yr"
        )
        if self.margin_given:
            formula += f" × {_number(self.gross_margin)} margin"
        return ClvEstimate(self.clv, ORDERS_METHOD, f"{formula} (from {source})")


@dataclass(frozen=True)
class ClvReport:
    """CLV per segment from an order history, beside the personas' own estimates."""

    orders: OrdersFile
    definitions: ClvDefinitions
    segments: list[SegmentClv]  # every segment the orders name, highest CLV first
    without_orders: list[tuple[str, ClvEstimate]]  # personas no order names, by id
    notes: list[str]  # what to know about the figures: short files, currencies, ...

    def to_apply(self, include_flagged: bool = False) -> tuple[dict[str, ClvEstimate], list[str]]:
        """The estimates `--apply` stores, by persona id, and why each other segment is not.

        A segment needs a persona and a CLV; one with too few customers only
        with `include_flagged`.
        """
        applied: dict[str, ClvEstimate] = {}
        not_applied: list[str] = []
        for segment in self.segments:
            if not segment.has_persona:
                not_applied.append(f"{segment.segment} (no persona has this id)")
            elif segment.clv is None:
                not_applied.append(f"{segment.segment} ({'; '.join(segment.flags)})")
            elif segment.too_few_customers and not include_flagged:
                not_applied.append(
                    f"{segment.segment} (too few customers to trust: {segment.customers}; "
                    "--include-flagged applies it anyway)"
                )
            else:
                applied[segment.segment] = segment.estimate(str(self.orders.path))
        return applied, not_applied


@dataclass(frozen=True)
class AppliedClv:
    """What `apply_report` stored for scoring."""

    applied: dict[str, ClvEstimate]  # by persona id
    previous: dict[str, float]  # the persona files' CLVs they stand in for
    not_applied: list[str]  # segments left out, each with why


# ---------------------------------------------------------------- public API


def read_orders(
    path: Path,
    columns: OrderColumns = OrderColumns(),
    mapping: Mapping[str, str] | None = None,
    *,
    date_format: str = AUTO,
) -> OrdersFile:
    """Read an order history; bad rows are skipped and listed, unusable files raise InputError.

    `mapping` (customer id → persona id, from `read_mapping`) gives each
    customer's segment instead of a segment column. `date_format` is "auto",
    "iso", "us", "eu" or a strptime pattern.
    """
    import pandas as pd

    path = Path(path)
    if date_format not in DATE_FORMATS and "%" not in date_format:
        raise InputError(
            f"unknown date format {date_format!r}; use auto, iso, us (03/01/2026), "
            "eu (01/03/2026) or a strptime pattern such as '%d %b %Y'"
        )
    text, notes = _decode(path, "an orders CSV")
    header_line, header, data = _table(path, text)
    index = _order_columns(path, header, columns, need_segment=mapping is None)
    folded_mapping = (
        None if mapping is None else {k.strip(): v.strip().casefold() for k, v in mapping.items()}
    )

    dates = _DateReader(path, [(line, _cell(cells, index["date"])) for line, cells in data])
    fmt = dates.resolve(date_format)
    amounts = _AmountReader([_cell(cells, index["amount"]) for _, cells in data])
    if amounts.conflicting:
        notes.append(
            "some amounts use '.' and others ',' as decimal mark; each was read on its own"
        )

    names = {role: header[i].strip().lstrip("\ufeff") for role, i in index.items()}
    lines: list[int] = []
    customers: list[str] = []
    segments: list[str] = []
    days: list[date] = []
    values: list[float] = []
    skipped: list[SkippedRow] = []
    for line, cells in data:
        customer = _cell(cells, index["customer"])
        if not customer:
            skipped.append(SkippedRow(line, NO_CUSTOMER, names["customer"], "is empty"))
            continue
        day = dates.parse(_cell(cells, index["date"]), fmt)
        if isinstance(day, str):
            skipped.append(SkippedRow(line, BAD_DATE, names["date"], day))
            continue
        amount = amounts.parse(_cell(cells, index["amount"]))
        if isinstance(amount, str):
            skipped.append(SkippedRow(line, BAD_AMOUNT, names["amount"], amount))
            continue
        if folded_mapping is None:
            segment = _cell(cells, index["segment"]).casefold()
            if not segment:
                skipped.append(SkippedRow(line, NO_SEGMENT, names["segment"], "is empty"))
                continue
        else:
            found = folded_mapping.get(customer)
            if found is None:
                message = f"customer {customer!r} is not in the customer → persona mapping"
                skipped.append(SkippedRow(line, NOT_MAPPED, names["customer"], message))
                continue
            segment = found
        lines.append(line)
        customers.append(customer)
        segments.append(segment)
        days.append(day)
        values.append(amount)

    frame = pd.DataFrame(
        {
            "line": pd.Series(lines, dtype="int64"),
            # Ids are text, never numbers pandas guessed (STYLE.md): "007" stays "007".
            "customer": pd.Series(customers, dtype="string"),
            "segment": pd.Series(segments, dtype="string"),
            "date": pd.to_datetime(pd.Series(days, dtype="object")),
            "amount": pd.Series(values, dtype="float64"),
        }
    )
    bought = frame[frame["amount"] >= 0]
    if bought.empty:
        shown = [row.problem(str(path)) for row in skipped[:20]]
        why = (
            f"; the first {len(shown)} of {len(skipped):,} skipped rows:"
            if shown
            else ": every row is a refund (a negative amount)"
        )
        raise ProblemsError(
            shown,
            f"no order could be read from {path} (header on line {header_line}: "
            f"{', '.join(names.values())}){why}",
        )
    first, last = bought["date"].min().date(), bought["date"].max().date()
    years = (
        float(_calendar_years(pd.Series([first]), pd.Series([last])).iloc[0])
        if last > first
        else None
    )

    multi = bought.groupby("customer")["segment"].nunique()
    if (multi > 1).any():
        count = int((multi > 1).sum())
        who = "1 customer has" if count == 1 else f"{count:,} customers have"
        notes.append(
            f"{who} orders in more than one segment; each segment counts the orders "
            "labelled with it"
        )
    if years is not None and years < 1:
        notes.append(
            f"the orders cover only {_number(years)} years ({first} to {last}): purchases per "
            "year is extrapolated from less than a year"
        )
    return OrdersFile(
        path=path,
        frame=frame,
        rows_read=len(data),
        skipped=skipped,
        columns=names,
        segments_from=(
            "the customer → persona mapping"
            if mapping is not None
            else f"the {names['segment']!r} column"
        ),
        date_format=fmt,
        decimal_mark=amounts.mark,
        currencies=tuple(sorted(amounts.currencies)),
        first_order=first,
        last_order=last,
        years_covered=years,
        notes=notes,
    )


def read_mapping(path: Path) -> dict[str, str]:
    """A customer → persona mapping CSV (customer_id, persona_id); any bad row raises.

    Every row must name both, and a customer only one persona: a customer
    counted in the wrong segment would change its figures silently.
    """
    path = Path(path)
    text, _ = _decode(path, "a customer → persona mapping CSV")
    _, header, data = _table(path, text)
    keys = [_column_key(name) for name in header]
    customer = next((keys.index(n) for n in CUSTOMER_COLUMNS if n in keys), None)
    persona = next((keys.index(n) for n in MAPPING_PERSONA_COLUMNS if n in keys), None)
    if customer is None or persona is None:
        raise InputError(
            f"{path} is not a customer → persona mapping: its first row has "
            f"{quoted_columns(header)}; it needs a header row with customer_id and persona_id, "
            "then one customer a row"
        )
    mapping: dict[str, str] = {}
    where: dict[str, int] = {}
    problems: list[Problem] = []
    for line, cells in data:
        customer_id, persona_id = _cell(cells, customer), _cell(cells, persona)
        if not customer_id or not persona_id:
            missing = header[customer] if not customer_id else header[persona]
            problems.append(Problem(str(path), "is empty", field=missing, line=line))
        elif mapping.get(customer_id, persona_id) != persona_id:
            problems.append(
                Problem(
                    str(path),
                    f"customer {customer_id!r} is mapped to {persona_id!r} here and to "
                    f"{mapping[customer_id]!r} on line {where[customer_id]}; give each "
                    "customer one persona",
                    line=line,
                )
            )
        else:
            mapping[customer_id] = persona_id
            where.setdefault(customer_id, line)
    if problems:
        raise ProblemsError(
            problems,
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the mapping "
            f"{path}; fix them and run again:",
        )
    if not mapping:
        raise InputError(f"{path} maps no customer; add rows of customer_id,persona_id")
    return mapping


def segment_clv(
    orders: OrdersFile,
    *,
    margins: Mapping[str, float | None],
    definitions: ClvDefinitions = ClvDefinitions(),
) -> list[SegmentClv]:
    """Each segment's AOV, purchases per year, repeat rate, lifespan and CLV, flagged.

    `margins` maps each persona id to its gross margin (None: the persona
    gives none, so 1); a segment it does not name has no persona, and
    margin 1. Sorted by segment name.
    """
    import pandas as pd

    frame = orders.frame
    bought = frame[frame["amount"] >= 0]
    per_customer = bought.groupby(["segment", "customer"]).agg(
        orders=("amount", "size"), first=("date", "min"), last=("date", "max")
    )
    per_customer["span"] = _calendar_years(per_customer["first"], per_customer["last"]).to_numpy()
    per_customer["repeat"] = per_customer["orders"] >= 2
    repeaters = per_customer[per_customer["repeat"]]
    by_segment = per_customer.groupby(level="segment")
    names = sorted(frame["segment"].unique())
    seg = pd.DataFrame(
        {
            "customers": by_segment.size(),
            "orders": by_segment["orders"].sum(),
            "repeat_customers": by_segment["repeat"].sum(),
            "observed": by_segment["span"].mean(),
            "repeat_gaps": (repeaters["orders"] - 1).groupby(level="segment").sum(),
            "repeat_span": repeaters["span"].groupby(level="segment").sum(),
        }
    ).reindex(names)
    counts = ["customers", "orders", "repeat_customers", "repeat_gaps", "repeat_span"]
    seg[counts] = seg[counts].fillna(0)
    seg["revenue"] = frame.groupby("segment")["amount"].sum().reindex(names)
    seg["refunds"] = (frame["amount"] < 0).groupby(frame["segment"]).sum().reindex(names)

    has_orders = seg["orders"] > 0
    seg["aov"] = (seg["revenue"] / seg["orders"]).where(has_orders)
    if definitions.frequency == PER_CUSTOMER_YEAR:
        years = orders.years_covered
        seg["frequency"] = (
            seg["orders"] / seg["customers"] / years if years is not None else math.nan
        )
    else:
        seg["frequency"] = (seg["repeat_gaps"] / seg["repeat_span"]).where(seg["repeat_span"] > 0)
    seg["repeat_rate"] = (seg["repeat_customers"] / seg["customers"]).where(has_orders)
    if definitions.lifespan == REPEAT_RATE:
        # A repeat rate of 1 divides by zero: infinite, then the cap.
        uncapped = 1 / (1 - seg["repeat_rate"])
    else:
        uncapped = seg["observed"]
    seg["lifespan"] = uncapped.clip(upper=definitions.lifespan_cap)
    seg["capped"] = uncapped > definitions.lifespan_cap
    seg["margin"] = [_margin(margins, name) for name in names]
    seg["clv"] = seg["aov"] * seg["frequency"] * seg["lifespan"] * seg["margin"]

    results = []
    for name, row in seg.iterrows():
        segment = str(name)
        customers = int(row["customers"])
        too_few = customers < definitions.min_customers
        has_persona = segment in margins
        flags = []
        if too_few:
            flags.append(f"too few customers to trust ({customers} < {definitions.min_customers})")
        if not has_persona:
            flags.append("no persona")
        if not row["orders"]:
            flags.append("no orders, only refunds")
        elif math.isnan(row["frequency"]):
            flags.append(
                f"every order is on {orders.first_order}: purchases per year unknown"
                if definitions.frequency == PER_CUSTOMER_YEAR
                else "no customer has orders on two different days: purchases per year unknown"
            )
        results.append(
            SegmentClv(
                segment=segment,
                customers=customers,
                orders=int(row["orders"]),
                refunds=int(row["refunds"]),
                revenue=float(row["revenue"]),
                average_order_value=_optional(row["aov"]),
                purchases_per_year=_optional(row["frequency"]),
                repeat_rate=_optional(row["repeat_rate"]),
                lifespan_years=_optional(row["lifespan"]),
                lifespan_capped=bool(row["capped"]),
                gross_margin=float(row["margin"]),
                margin_given=margins.get(segment) is not None,
                clv=_optional(row["clv"]),
                has_persona=has_persona,
                too_few_customers=too_few,
                flags=tuple(flags),
            )
        )
    return results


def clv_report(
    orders: OrdersFile,
    personas: Sequence[tuple[Persona, ClvEstimate]],
    definitions: ClvDefinitions = ClvDefinitions(),
) -> ClvReport:
    """CLV per segment from `orders` beside each persona's estimate, with gross margins
    taken from the personas."""
    by_id = {persona.id: (persona, estimate) for persona, estimate in personas}
    margins = {persona.id: persona.clv.gross_margin for persona, _ in personas}
    segments = [
        replace(segment, persona_estimate=by_id[segment.segment][1])
        if segment.has_persona
        else segment
        for segment in segment_clv(orders, margins=margins, definitions=definitions)
    ]
    segments.sort(key=lambda s: (s.clv is None, -(s.clv or 0.0), s.segment))
    named = {segment.segment for segment in segments}
    without = [(pid, estimate) for pid, (_, estimate) in sorted(by_id.items()) if pid not in named]
    notes = list(orders.notes)
    # "€" and "EUR" are one currency; "$" and "USD" may not be (CAD, AUD, ...).
    currencies = {_SYMBOL_CURRENCIES.get(mark, mark) for mark in orders.currencies}
    codes = {code for code in currencies if re.fullmatch(r"[A-Z]{3}", code)}
    if len(codes) > 1:
        notes.append(
            f"the amounts carry several currencies ({', '.join(sorted(codes))}); they were "
            "added up as written, unconverted"
        )
    elif codes:
        (code,) = codes
        other = sorted(
            persona.id
            for persona, _ in personas
            if persona.id in named and persona.market.currency != code
        )
        if other:
            notes.append(
                f"the amounts are in {code}, but the CLV of {', '.join(other)} is in "
                f"{by_id[other[0]][0].market.currency}: convert before comparing or applying"
            )
    return ClvReport(orders, definitions, segments, without, notes)


def apply_report(store: Store, report: ClvReport, *, include_flagged: bool = False) -> AppliedClv:
    """Store the report's CLVs as the personas' CLV for scoring (the persona files stay)."""
    applied, not_applied = report.to_apply(include_flagged)
    store.apply_clv(applied)
    previous = {
        segment.segment: segment.persona_estimate.value
        for segment in report.segments
        if segment.segment in applied and segment.persona_estimate is not None
    }
    return AppliedClv(applied, previous, not_applied)


# ---------------------------------------------------------------- computing


def _margin(margins: Mapping[str, float | None], segment: str) -> float:
    margin = margins.get(segment)
    return 1.0 if margin is None else float(margin)


def _optional(value: Any) -> float | None:
    """A figure, or None where pandas has NaN (not computable)."""
    number = float(value)
    return None if math.isnan(number) else number


def _calendar_years(start: pd.Series, end: pd.Series) -> pd.Series:
    """Calendar years from each start to each end date: whole years, then the part year's days
    over that year's length (2024-03-01 to 2026-03-01 is 2.0; Feb 29 turns 28 in other years).
    """
    import pandas as pd

    start = pd.to_datetime(pd.Series(start.to_numpy()))
    end = pd.to_datetime(pd.Series(end.to_numpy()))
    if start.empty:
        return pd.Series(dtype="float64")
    before_anniversary = (end.dt.month < start.dt.month) | (
        (end.dt.month == start.dt.month) & (end.dt.day < start.dt.day)
    )
    whole = end.dt.year - start.dt.year - before_anniversary.astype("int64")
    anniversary = _add_years(start, whole)
    following = _add_years(start, whole + 1)
    part = (end - anniversary).dt.days / (following - anniversary).dt.days
    return (whole + part).astype("float64")


def _add_years(start: pd.Series, years: pd.Series) -> pd.Series:
    import pandas as pd

    year = start.dt.year + years
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    day = start.dt.day.where(~((start.dt.month == 2) & (start.dt.day == 29) & ~leap), 28)
    return pd.to_datetime(pd.DataFrame({"year": year, "month": start.dt.month, "day": day}))


# ---------------------------------------------------------------- reading


def _decode(path: Path, what: str) -> tuple[str, list[str]]:
    """The file's text, and a note when its encoding was a guess."""
    text, encoding = delimited.read_text(path, what, f"it should be {what} with a header row")
    if encoding != delimited.GUESSED_ENCODING:
        return text, []
    return text, [
        f"{path.name} is not UTF-8; it was read as Windows-1252 (what Excel writes). "
        "If names look wrong, save it as UTF-8"
    ]


def _table(path: Path, text: str) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """The header's line, the header, and the data records with their lines; blanks dropped."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(_DELIMITERS, key=first.count)
    records = [
        (line, cells)
        for line, cells in delimited.records(path, text, delimiter, "check the quotes on that line")
        if any(cell.strip() for cell in cells)
    ]
    if not records:
        raise InputError(f"{path} is empty; it should have a header row, then one row a line")
    (header_line, header), data = records[0], records[1:]
    if not data:
        raise InputError(f"{path} has a header row ({quoted_columns(header)}) but no rows after it")
    return header_line, header, data


def _order_columns(
    path: Path, header: list[str], columns: OrderColumns, *, need_segment: bool
) -> dict[str, int]:
    """Which cell of a row holds what; InputError naming the columns found when one is missing."""
    keys = [_column_key(name) for name in header]
    wanted = [
        ("customer", columns.customer, CUSTOMER_COLUMNS, "--customer-column"),
        ("date", columns.date, DATE_COLUMNS, "--date-column"),
        ("amount", columns.amount, AMOUNT_COLUMNS, "--amount-column"),
    ]
    if need_segment:
        wanted.append(("segment", columns.segment, SEGMENT_COLUMNS, "--segment-column"))
    index: dict[str, int] = {}
    for role, named, usual, option in wanted:
        names = (_column_key(named),) if named else usual
        found = next((keys.index(name) for name in names if name in keys), None)
        if found is not None:
            index[role] = found
            continue
        has = f"its columns are {quoted_columns(header)}"
        if named:
            raise InputError(f"{path} has no column {named!r} ({option}); {has}")
        fix = f"name it with {option}"
        if role == "segment":
            fix += ", or give each customer's persona with --mapping FILE"
        raise InputError(
            f"{path} has no {role} column: none is called {' or '.join(usual)}; {has}. {fix}"
        )
    return index


def _column_key(name: str) -> str:
    """A header cell as compared: no byte-order mark, case, or spaces and hyphens (→ _)."""
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().casefold())


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


class _DateReader:
    """Order dates: the file's format decided once, each distinct cell parsed once."""

    def __init__(self, path: Path, cells: list[tuple[int, str]]) -> None:
        self.path = path
        self.cells = cells
        self.cache: dict[str, date | str] = {}

    def resolve(self, requested: str) -> str:
        """The format to read with: as requested, or for "auto" what the dates show."""
        if requested != AUTO:
            return requested
        day_first: tuple[int, str] | None = None
        month_first: tuple[int, str] | None = None
        ambiguous: tuple[int, str] | None = None
        for line, cell in self.cells:
            matched = _PART_DATE.match(cell)
            if not matched:
                continue  # ISO, or not a date: nothing to decide
            first, second = int(matched.group(1)), int(matched.group(3))
            if matched.group(2) == ".":
                day_first = day_first or (line, cell)  # only day-first countries write dots
            elif first > 12 >= second:
                day_first = day_first or (line, cell)
            elif second > 12 >= first:
                month_first = month_first or (line, cell)
            elif first <= 12 and second <= 12:
                ambiguous = ambiguous or (line, cell)
        if day_first and month_first:
            raise InputError(
                f"{self.path}: the dates are written both ways: line {day_first[0]} has "
                f"{day_first[1]!r} (day first) and line {month_first[0]} has "
                f"{month_first[1]!r} (month first). Pass --date-format eu or us; the dates "
                "that do not fit are then skipped and listed"
            )
        if day_first:
            return EU
        if month_first:
            return US
        if ambiguous:
            raise InputError(
                f"{self.path}:{ambiguous[0]}: {ambiguous[1]!r} could be month first or day "
                "first, and no date in the file has a day after the 12th to tell; pass "
                "--date-format us (03/01/2026 is March 1) or --date-format eu (1 March)"
            )
        return ISO

    def parse(self, cell: str, fmt: str) -> date | str:
        """The date in `cell`, or what is wrong with it."""
        found = self.cache.get(cell)
        if found is None:
            found = self.cache[cell] = self._parse(cell, fmt)
        return found

    @staticmethod
    def _parse(cell: str, fmt: str) -> date | str:
        if not cell:
            return "is empty"
        try:
            if "%" in fmt:
                try:
                    return datetime.strptime(cell, fmt).date()
                except ValueError:
                    return f"{cell!r} is not a date in the format {fmt!r}"
            iso = _ISO_DATE.match(cell)
            if iso:
                return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
            part = _PART_DATE.match(cell)
            if part and fmt != ISO:
                first, second, year = int(part.group(1)), int(part.group(3)), int(part.group(4))
                month_first = fmt == US
                if month_first:
                    return date(year, first, second)
                return date(year, second, first)
        except ValueError:
            return f"{cell!r} is not a date (no such day or month)"
        return (
            f"{cell!r} is not a date in this file's format, {DATE_FORMAT_NAMES[fmt]}; for "
            "other forms pass --date-format with a strptime pattern such as '%d %b %Y'"
        )


class _AmountReader:
    """Order amounts: currency marks dropped, the decimal mark decided for the whole file.

    Each distinct cell is read once: shops sell at a few prices, so amounts
    repeat, and most are plain ("120", "89.90"), which skip the general rule.
    """

    def __init__(self, cells: list[str]) -> None:
        self.currencies: set[str] = set()
        self.cache: dict[str, float | str] = {}
        marks = set()
        for cell in set(cells):
            matched = _AMOUNT.match(cell)
            if matched and (mark := _decimal_evidence(matched.group("number").strip())):
                marks.add(mark)
        self.conflicting = len(marks) > 1
        self.mark = marks.pop() if len(marks) == 1 else None

    def parse(self, cell: str) -> float | str:
        """The amount in `cell` (negative for a refund), or what is wrong with it."""
        found = self.cache.get(cell)
        if found is None:
            found = self.cache[cell] = self._parse(cell)
        return found

    def _parse(self, cell: str) -> float | str:
        from longtail.imports import parse_decimal  # light, but not needed for estimate_clv

        plain = _PLAIN_AMOUNT.match(cell)
        if plain:
            # One or two decimals prove their mark, so the file's mark is
            # this one (or the file has both and each cell decides).
            return float(cell.replace(",", "."))
        if not cell:
            return "is empty"
        matched = _AMOUNT.match(cell)
        wrong = f"{cell!r} is not an amount; write it like 120.50, 1,234.56, 1.234,56 or $120"
        if (
            not matched
            or bool(matched.group("open")) != bool(matched.group("close"))
            or (matched.group("sign") and matched.group("sign2"))
            or not all(_currency(matched.group(part)) for part in ("before", "after"))
        ):
            return wrong
        try:
            number = parse_decimal(matched.group("number").strip(), self.mark)
        except ValueError:
            return wrong
        for part in ("before", "after"):
            if matched.group(part):
                self.currencies.add(matched.group(part).upper())
        sign = matched.group("sign") or matched.group("sign2") or "+"
        negative = sign in "-−" or bool(matched.group("open"))
        return -number if negative else number


def _currency(mark: str) -> bool:
    """No mark, a symbol after at most two letters ($, €, US$, HK$), a three-letter code
    (EUR, usd) or one of the local marks in _LOCAL_CURRENCIES (kr, zł)."""
    if not mark:
        return True
    if unicodedata.category(mark[-1]) == "Sc":
        return len(mark) <= 3 and all(c.isascii() and c.isalpha() for c in mark[:-1])
    return (len(mark) == 3 and mark.isascii() and mark.isalpha()) or (
        mark.casefold() in _LOCAL_CURRENCIES
    )


def _decimal_evidence(number: str) -> str | None:
    """The decimal mark an amount proves ("12.50", "1.234,56"), or None when it could be either."""
    return decimal_mark_proved(re.sub(r"[\s\u00a0\u202f']", "", number))
