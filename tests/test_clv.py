"""CLV from the simple formula or stated outright, and from an order history."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from longtail import clv as clv_module
from longtail.cli import cli
from longtail.cli import clv as clv_cli
from longtail.clv import (
    ClvDefinitions,
    OrderColumns,
    SegmentClv,
    clv_report,
    estimate_clv,
    read_mapping,
    read_orders,
    segment_clv,
)
from longtail.errors import InputError, ProblemsError
from longtail.personas import ClvInputs
from longtail.pipeline import load_stage
from longtail.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
ORDERS = DATA / "orders"
HAND = ORDERS / "hand.csv"
PERSONAS = DATA / "personas"  # trail-runner (gross margin 0.42, file CLV 441), gift-buyer (55)
FIXTURES = ROOT / "fixtures" / "keyword_planner"

# The margins of tests/data/personas: trail-runner gives 0.42, gift-buyer none.
MARGINS: dict[str, float | None] = {"trail-runner": 0.42, "gift-buyer": None}


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


# ---------------------------------------------------------------- CLV from orders


def by_segment(segments: list[SegmentClv]) -> dict[str, SegmentClv]:
    return {segment.segment: segment for segment in segments}


def hand_segments(**definitions: Any) -> dict[str, SegmentClv]:
    orders = read_orders(HAND)
    return by_segment(
        segment_clv(orders, margins=MARGINS, definitions=ClvDefinitions(**definitions))
    )


# tests/data/orders/hand.csv, worked by hand. The file runs from 2024-03-01 to
# 2026-03-01: exactly 2 calendar years.
#   trail-runner  c1: 2024-03-01 120, 2024-09-01 60, 2025-03-01 90, 2026-03-01 130
#                     (4 orders, 400, first to last 2 years)
#                 c2: 2024-03-01 70, 2025-03-01 130 (2 orders, 200, 1 year)
#                 c3: 2025-06-15 100 (1 order, 0 years)
#   gift-buyer    c4: 2025-12-01 60 (1 order)
def test_clv_from_orders_by_the_default_definitions() -> None:
    orders = read_orders(HAND)
    assert (orders.first_order.isoformat(), orders.last_order.isoformat()) == (
        "2024-03-01",
        "2026-03-01",
    )
    assert orders.years_covered == pytest.approx(2.0)
    segments = hand_segments(min_customers=3)

    runner = segments["trail-runner"]
    assert (runner.customers, runner.orders) == (3, 7)
    assert runner.revenue == pytest.approx(700.0)  # 400 + 200 + 100
    assert runner.average_order_value == pytest.approx(100.0)  # 700 ÷ 7
    assert runner.purchases_per_year == pytest.approx(7 / 6)  # 7 orders ÷ 3 customers ÷ 2 years
    assert runner.repeat_rate == pytest.approx(2 / 3)  # c1 and c2 of 3 ordered twice or more
    assert runner.lifespan_years == pytest.approx(3.0)  # 1 ÷ (1 − 2/3)
    assert not runner.lifespan_capped
    assert runner.gross_margin == 0.42 and runner.margin_given
    assert runner.clv == pytest.approx(147.0)  # 100 × 7/6 × 3 × 0.42 = 350 × 0.42
    assert runner.flags == ()

    gift = segments["gift-buyer"]
    assert gift.average_order_value == pytest.approx(60.0)
    assert gift.purchases_per_year == pytest.approx(0.5)  # 1 order ÷ 1 customer ÷ 2 years
    assert gift.repeat_rate == 0.0
    assert gift.lifespan_years == pytest.approx(1.0)  # 1 ÷ (1 − 0)
    # The persona gives no gross margin: revenue CLV, 60 × 0.5 × 1 × 1.
    assert (gift.gross_margin, gift.margin_given) == (1.0, False)
    assert gift.clv == pytest.approx(30.0)
    assert gift.too_few_customers and gift.flags == ("too few customers to trust (1 < 3)",)


def test_without_a_margin_the_clv_is_revenue_clv() -> None:
    orders = read_orders(HAND)
    runner = by_segment(segment_clv(orders, margins={"trail-runner": None}))["trail-runner"]
    assert runner.clv == pytest.approx(350.0)  # 100 × 7/6 × 3, no margin


def test_lifespan_is_capped() -> None:
    runner = hand_segments(lifespan_cap=2)["trail-runner"]
    assert runner.lifespan_years == pytest.approx(2.0)  # 3 years, capped at 2
    assert runner.lifespan_capped
    assert runner.clv == pytest.approx(98.0)  # 100 × 7/6 × 2 × 0.42


def test_everyone_coming_back_means_the_cap_not_infinity(tmp_path: Path) -> None:
    orders = tmp_path / "loyal.csv"
    orders.write_text(
        "customer_id,order_date,amount,segment\n"
        "a,2024-01-01,10,trail-runner\na,2025-01-01,10,trail-runner\n"
    )
    runner = by_segment(segment_clv(read_orders(orders), margins={"trail-runner": None}))
    # Repeat rate 1: 1 ÷ 0 years, so the default cap of 10.
    assert runner["trail-runner"].repeat_rate == 1.0
    assert runner["trail-runner"].lifespan_years == 10.0
    assert runner["trail-runner"].lifespan_capped
    # 10 AOV × (2 orders ÷ 1 customer ÷ 1 year) × 10 years
    assert runner["trail-runner"].clv == pytest.approx(200.0)


def test_observed_lifespan_averages_first_to_last_order() -> None:
    runner = hand_segments(lifespan="observed")["trail-runner"]
    assert runner.lifespan_years == pytest.approx(1.0)  # (2 + 1 + 0 years) ÷ 3 customers
    assert runner.clv == pytest.approx(49.0)  # 100 × 7/6 × 1 × 0.42
    gift = hand_segments(lifespan="observed")["gift-buyer"]
    assert (gift.lifespan_years, gift.clv) == (0.0, 0.0)  # one order: no span


def test_repeat_interval_counts_how_often_returning_customers_buy() -> None:
    segments = hand_segments(frequency="repeat-interval")
    runner = segments["trail-runner"]
    # Gaps: c1 3 over 2 years, c2 1 over 1 year: 4 ÷ 3 a year; c3 does not count.
    assert runner.purchases_per_year == pytest.approx(4 / 3)
    assert runner.clv == pytest.approx(168.0)  # 100 × 4/3 × 3 × 0.42
    gift = segments["gift-buyer"]
    assert gift.purchases_per_year is None and gift.clv is None
    assert "no customer has orders on two different days" in "; ".join(gift.flags)


def test_unknown_definitions_are_bad_input() -> None:
    with pytest.raises(InputError, match="use one of: per-customer-year, repeat-interval"):
        ClvDefinitions(frequency="weekly")
    with pytest.raises(InputError, match="use one of: repeat-rate, observed"):
        ClvDefinitions(lifespan="forever")


def test_the_cli_offers_the_librarys_definitions_and_defaults() -> None:
    # Written out in the CLI module so that --help does not import pydantic.
    assert clv_cli.FREQUENCIES == clv_module.FREQUENCIES
    assert clv_cli.LIFESPANS == clv_module.LIFESPANS
    assert clv_cli.DEFAULT_LIFESPAN_CAP == clv_module.DEFAULT_LIFESPAN_CAP
    assert clv_cli.DEFAULT_MIN_CUSTOMERS == clv_module.DEFAULT_MIN_CUSTOMERS


def test_calendar_years_count_whole_years_then_the_part_year() -> None:
    import pandas as pd

    starts = pd.Series(pd.to_datetime(["2024-03-01", "2024-02-29", "2025-01-01", "2024-06-01"]))
    ends = pd.Series(pd.to_datetime(["2026-03-01", "2025-02-28", "2025-01-01", "2024-12-01"]))
    years = clv_module._calendar_years(starts, ends).tolist()
    # Two whole years; Feb 29 turns Feb 28 a year on; no time; 183 of the 365
    # days from 2024-06-01 to 2025-06-01.
    assert years == pytest.approx([2.0, 1.0, 0.0, 183 / 365])


# ---------------------------------------------------------------- reading


def test_bad_rows_are_reported_by_line_and_skipped() -> None:
    orders = read_orders(ORDERS / "bad-rows.csv")
    skipped = [(row.line, row.reason, row.column) for row in orders.skipped]
    assert skipped == [
        (3, "no customer", "customer_id"),
        (4, "unreadable date", "order_date"),  # 2025-13-01
        (5, "unreadable date", "order_date"),  # yesterday
        (6, "unreadable amount", "amount"),  # fifty
        (7, "unreadable amount", "amount"),  # empty
        (8, "no segment", "segment"),
        # Line 11 is the second line of line 10's quoted note, so n/a is on 13.
        (13, "unreadable amount", "amount"),
    ]
    assert "'2025-13-01' is not a date" in orders.skipped[1].message
    assert orders.skipped_reasons == {
        "unreadable amount": 3,
        "unreadable date": 2,
        "no customer": 1,
        "no segment": 1,
    }
    assert orders.frame["line"].tolist() == [2, 9, 10, 12, 14]
    assert (orders.rows_read, orders.orders, orders.refunds) == (12, 4, 1)


def test_a_refund_reduces_revenue_and_is_no_order() -> None:
    runner = by_segment(segment_clv(read_orders(ORDERS / "bad-rows.csv"), margins={}))
    segment = runner["trail-runner"]
    # Orders 50 (c1), 30 (c7), 30 (c8), 40 (c1); the refund of 20 by c1.
    assert (segment.orders, segment.refunds, segment.customers) == (4, 1, 3)
    assert segment.revenue == pytest.approx(130.0)  # 150 − 20
    assert segment.average_order_value == pytest.approx(32.5)  # 130 ÷ 4
    # 2025-01-01 to 2026-01-01 (the refund's date does not count): 1 year.
    assert segment.purchases_per_year == pytest.approx(4 / 3)


def test_european_dates_and_amounts_with_column_aliases() -> None:
    # Semicolons; Customer, Date, Total, Segment; 15/01/2025 says day first;
    # "65,44" says the comma is the decimal mark; € and EUR dropped.
    orders = read_orders(ORDERS / "european.csv")
    assert orders.columns == {
        "customer": "Customer",
        "date": "Date",
        "amount": "Total",
        "segment": "Segment",
    }
    assert (orders.date_format, orders.decimal_mark) == ("eu", ",")
    assert orders.currencies == ("EUR", "€")
    assert [d.isoformat() for d in orders.frame["date"].dt.date] == [
        "2025-01-15",
        "2025-02-03",  # 03/02/2025: 3 February
        "2025-02-01",
        "2026-02-28",
    ]
    assert orders.frame["amount"].tolist() == [1234.56, 65.44, 100.0, 1000.0]
    # "Trail-Runner" is the trail-runner segment: names are compared without case.
    assert orders.frame["segment"].tolist() == ["trail-runner"] * 3 + ["thru-hiker"]


def test_us_dates_dollar_amounts_and_accounting_refunds() -> None:
    # A byte-order mark; Customer ID, Order Date, Revenue, persona; 03/13/2025
    # says month first; "$1,234.50" says the dot is the decimal mark, so
    # "$1,300" is 1,300 dollars; ($34.50) is a refund.
    orders = read_orders(ORDERS / "us.csv")
    assert orders.columns["customer"] == "Customer ID"
    assert orders.date_format == "us"
    assert [d.isoformat() for d in orders.frame["date"].dt.date] == [
        "2025-03-13",
        "2025-04-01",  # 04/01/2025 14:05: the time is dropped
        "2025-04-02",
        "2025-12-31",
    ]
    assert orders.frame["amount"].tolist() == [1234.5, 1300.0, -34.5, 99.99]
    # Customer ids stay text.
    assert orders.frame["customer"].tolist() == ["7", "7", "7", "8"]


def test_columns_can_be_named(tmp_path: Path) -> None:
    export = tmp_path / "shop.csv"
    export.write_text(
        "Name,Email,Created at,Subtotal,Total,Tier\n"
        "#1,a@example.com,2025-01-01,90,100,gift-buyer\n"
        "#2,b@example.com,2025-02-01,45,50,gift-buyer\n"
    )
    orders = read_orders(export, OrderColumns(customer="email", amount="Subtotal", segment="TIER"))
    assert orders.columns == {
        "customer": "Email",
        "date": "Created at",  # found by its usual name
        "amount": "Subtotal",
        "segment": "Tier",
    }
    assert orders.frame["amount"].tolist() == [90.0, 45.0]
    with pytest.raises(InputError, match=r"no column 'Price' \(--amount-column\); its columns"):
        read_orders(export, OrderColumns(customer="email", amount="Price", segment="tier"))


def test_missing_columns_say_what_was_looked_for_and_how_to_fix(tmp_path: Path) -> None:
    export = tmp_path / "orders.csv"
    export.write_text("customer_id,order_date,amount\nc1,2025-01-01,10\n")
    with pytest.raises(InputError) as error:
        read_orders(export)
    message = str(error.value)
    assert "has no segment column: none is called segment or persona_id or persona" in message
    assert "--segment-column" in message and "--mapping FILE" in message


def test_a_mapping_file_gives_each_customers_segment() -> None:
    mapping = read_mapping(ORDERS / "customers.csv")
    assert mapping == {"a": "trail-runner", "b": "gift-buyer"}
    orders = read_orders(ORDERS / "no-segment.csv", mapping=mapping)
    assert orders.segments_from == "the customer → persona mapping"
    # z is in no mapping row: its order is skipped and reported by line.
    assert [(row.line, row.reason) for row in orders.skipped] == [
        (5, "customer not in the mapping")
    ]
    segments = by_segment(segment_clv(orders, margins=MARGINS))
    # a: 10 + 30; b: 20 + 40, over 2025-01-01 to 2026-01-01 (1 year).
    assert segments["trail-runner"].average_order_value == pytest.approx(20.0)
    assert segments["gift-buyer"].average_order_value == pytest.approx(30.0)
    assert segments["gift-buyer"].purchases_per_year == pytest.approx(2.0)


def test_a_mapping_that_names_two_personas_for_a_customer_is_bad_input(tmp_path: Path) -> None:
    mapping = tmp_path / "customers.csv"
    mapping.write_text("customer_id,persona_id\na,trail-runner\nb,\na,gift-buyer\n")
    with pytest.raises(ProblemsError) as error:
        read_mapping(mapping)
    assert [(p.line, p.field) for p in error.value.problems] == [(3, "persona_id"), (4, None)]
    assert "mapped to 'gift-buyer' here and to 'trail-runner' on line 2" in str(error.value)


def test_a_segment_with_few_customers_is_flagged(tmp_path: Path) -> None:
    segments = hand_segments()  # the default minimum, 30
    assert segments["trail-runner"].too_few_customers
    assert segments["trail-runner"].flags == ("too few customers to trust (3 < 30)",)
    assert not hand_segments(min_customers=3)["trail-runner"].too_few_customers


def test_a_segment_without_persona_is_computed_and_flagged() -> None:
    orders = read_orders(ORDERS / "unknown-segment.csv")
    segments = by_segment(segment_clv(orders, margins={"trail-runner": 0.5}))
    pro = segments["bouldering-pro"]
    assert not pro.has_persona and "no persona" in pro.flags
    # 80 × (2 orders ÷ 1 customer ÷ 1 year) × 1 ÷ (1 − 1) → the 10-year cap, margin 1.
    assert pro.clv == pytest.approx(80 * 2 * 10 * 1)
    assert segments["trail-runner"].has_persona


def test_an_order_history_of_one_day_has_no_purchases_per_year() -> None:
    orders = read_orders(ORDERS / "one-day.csv")
    assert orders.years_covered is None
    runner = by_segment(segment_clv(orders, margins=MARGINS))["trail-runner"]
    assert runner.average_order_value == pytest.approx(50.0)  # still known: 150 ÷ 3
    assert runner.purchases_per_year is None and runner.clv is None
    assert "every order is on 2026-03-01: purchases per year unknown" in runner.flags


def test_dates_that_read_both_ways_need_a_date_format(tmp_path: Path) -> None:
    ambiguous = tmp_path / "orders.csv"
    ambiguous.write_text(
        "customer_id,order_date,amount,segment\n"
        "a,03/01/2025,10,trail-runner\na,04/02/2025,10,trail-runner\n"
    )
    with pytest.raises(InputError, match=r"orders.csv:2: '03/01/2025' could be month first"):
        read_orders(ambiguous)
    us = read_orders(ambiguous, date_format="us")
    assert [d.isoformat() for d in us.frame["date"].dt.date] == ["2025-03-01", "2025-04-02"]
    eu = read_orders(ambiguous, date_format="eu")
    assert [d.isoformat() for d in eu.frame["date"].dt.date] == ["2025-01-03", "2025-02-04"]


def test_dates_written_both_ways_are_bad_input(tmp_path: Path) -> None:
    mixed = tmp_path / "orders.csv"
    mixed.write_text(
        "customer_id,order_date,amount,segment\n"
        "a,13/01/2025,10,trail-runner\na,01/13/2025,10,trail-runner\n"
    )
    with pytest.raises(InputError, match=r"line 2 has '13/01/2025' .* line 3 has '01/13/2025'"):
        read_orders(mixed)
    # Forced, the date that does not fit is a bad row.
    orders = read_orders(mixed, date_format="eu")
    assert [(row.line, row.reason) for row in orders.skipped] == [(3, "unreadable date")]


def test_a_strptime_pattern_reads_other_date_forms(tmp_path: Path) -> None:
    named = tmp_path / "orders.csv"
    named.write_text("customer_id,order_date,amount,segment\na,1 Mar 2025,10,trail-runner\n")
    orders = read_orders(named, date_format="%d %b %Y")
    assert orders.first_order.isoformat() == "2025-03-01"


def test_a_file_without_a_usable_order_is_bad_input(tmp_path: Path) -> None:
    broken = tmp_path / "orders.csv"
    broken.write_text("customer_id,order_date,amount,segment\n,2025-01-01,10,trail-runner\n")
    with pytest.raises(ProblemsError) as error:
        read_orders(broken)
    assert f"no order could be read from {broken}" in str(error.value)
    assert f"{broken}:2: customer_id: is empty" in str(error.value)


def test_a_customer_in_two_segments_counts_in_each_and_is_noted(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "customer_id,order_date,amount,segment\n"
        "a,2024-01-01,10,trail-runner\na,2025-01-01,30,gift-buyer\n"
    )
    read = read_orders(orders)
    assert read.notes == [
        "1 customer has orders in more than one segment; each segment counts the orders "
        "labelled with it"
    ]
    segments = by_segment(segment_clv(read, margins={}))
    assert (segments["trail-runner"].revenue, segments["gift-buyer"].revenue) == (10.0, 30.0)
    assert segments["trail-runner"].customers == segments["gift-buyer"].customers == 1


def test_an_excel_file_in_windows_1252_is_read_with_a_note(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    # "€" is byte 0x80 in Windows-1252, and no UTF-8 text has that byte alone.
    orders.write_bytes(
        b"customer_id;order_date;amount;segment\r\n"
        b"a;02.01.2025;12,50 \x80;trail-runner\r\na;02.01.2026;7,50 \x80;trail-runner\r\n"
    )
    read = read_orders(orders)
    assert read.frame["amount"].tolist() == [12.5, 7.5]
    assert read.date_format == "eu"  # dotted dates are day first
    assert read.first_order.isoformat() == "2025-01-02"
    assert read.currencies == ("€",)
    assert "read as Windows-1252" in read.notes[0]


def test_amounts_in_another_currency_than_the_personas_are_noted() -> None:
    # tests/data/personas are in USD; european.csv is in euros.
    report = clv_report(read_orders(ORDERS / "european.csv"), load_stage([PERSONAS]))
    assert report.notes == [
        "the amounts are in EUR, but the CLV of trail-runner is in USD: convert before "
        "comparing or applying"
    ]


def test_report_sets_segments_beside_the_personas_estimates() -> None:
    report = clv_report(
        read_orders(ORDERS / "unknown-segment.csv"),
        load_stage([PERSONAS]),
        ClvDefinitions(min_customers=1),
    )
    # Highest CLV first: bouldering-pro 1,600; trail-runner 100 × 2 × 10 × 0.42 = 840.
    assert [s.segment for s in report.segments] == ["bouldering-pro", "trail-runner"]
    runner = report.segments[1]
    assert runner.persona_estimate is not None and runner.persona_estimate.value == 441.0
    assert report.segments[0].persona_estimate is None
    # gift-buyer has no orders: its file's estimate only.
    assert [(pid, e.value) for pid, e in report.without_orders] == [("gift-buyer", 55.0)]
    applied, not_applied = report.to_apply()
    assert list(applied) == ["trail-runner"]
    assert applied["trail-runner"].method == "orders"
    assert applied["trail-runner"].value == pytest.approx(840.0)
    assert not_applied == ["bouldering-pro (no persona has this id)"]


def test_flagged_segments_are_applied_only_when_asked() -> None:
    report = clv_report(read_orders(HAND), load_stage([PERSONAS]), ClvDefinitions(min_customers=3))
    applied, not_applied = report.to_apply()
    assert list(applied) == ["trail-runner"]
    assert not_applied == [
        "gift-buyer (too few customers to trust: 1; --include-flagged applies it anyway)"
    ]
    applied, not_applied = report.to_apply(include_flagged=True)
    assert sorted(applied) == ["gift-buyer", "trail-runner"] and not_applied == []
    assert applied["gift-buyer"].formula == f"60 order × 0.5/yr × 1 yr (from {HAND})"


def test_sample_orders_are_what_the_script_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_sample_orders", ROOT / "scripts" / "make_sample_orders.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    # Registered first: its dataclass looks its own module up while being defined.
    monkeypatch.setitem(sys.modules, spec.name, script)
    spec.loader.exec_module(script)
    written = (ROOT / "examples" / "orders.csv").read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(written))) == script.orders()


def test_sample_orders_flag_only_the_small_segment() -> None:
    orders = read_orders(ROOT / "examples" / "orders.csv")
    segments = by_segment(segment_clv(orders, margins={}))
    assert sorted(segments) == [
        "climbing-beginner",
        "family-camper",
        "gift-buyer",
        "thru-hiker",
        "trail-runner",
    ]
    flagged = [name for name, segment in segments.items() if segment.too_few_customers]
    assert flagged == ["climbing-beginner"]
    assert [(row.line, row.reason) for row in orders.skipped] == [
        (41, "no customer"),
        (573, "unreadable date"),
    ]
    assert orders.refunds > 0


# ---------------------------------------------------------------- the command


def longtail(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def clv_command(db: Path, *args: str | Path) -> Result:
    return longtail("--db", db, "clv", "--orders", HAND, "--personas", PERSONAS, *args)


def test_command_prints_the_figures_beside_the_persona_files(tmp_path: Path) -> None:
    db = tmp_path / "project.db"
    result = clv_command(db, "--min-customers", "3")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{HAND}: 8 rows: 8 orders, 0 refunds, none skipped."
    assert lines[1] == (
        "Orders from 2024-03-01 to 2026-03-01 (2 years); 4 customers in 2 segments, "
        "from the 'segment' column."
    )
    header = lines[3].split("  ")
    assert [cell.strip() for cell in header if cell.strip()] == clv_cli.TABLE_HEADERS
    # segment, customers, orders, revenue, AOV, purchases/yr, repeat rate,
    # lifespan, margin, CLV (orders), CLV (persona file), flag
    assert lines[4].split() == [
        "trail-runner", "3", "7", "700.00", "100.00", "1.17", "67%", "3.00", "0.42",
        "147.00", "441.00",
    ]  # fmt: skip
    assert lines[5].split()[:11] == [
        "gift-buyer", "1", "1", "60.00", "60.00", "0.50", "0%", "1.00", "1.00",
        "30.00", "55.00",
    ]  # fmt: skip
    assert lines[5].endswith("too few customers to trust (1 < 3)")
    assert "  AOV          = revenue ÷ orders" in result.output
    assert "[--frequency per-customer-year; also: repeat-interval]" in result.output
    assert "1 ÷ (1 − repeat rate), at most 10 years [--lifespan repeat-rate" in result.output
    assert "Nothing applied" in result.output
    assert not db.exists(), "without --apply the database is not touched"


def test_command_prints_the_alternative_chosen(tmp_path: Path) -> None:
    result = clv_command(tmp_path / "p.db", "--lifespan", "observed", "--min-customers", "3")
    assert result.exit_code == 0, result.output
    runner = next(line for line in result.output.splitlines() if line.startswith("trail-runner"))
    assert runner.split()[7] == "1.00" and runner.split()[9] == "49.00"
    assert "[--lifespan observed; also: repeat-rate]" in result.output


def test_command_writes_csv(tmp_path: Path) -> None:
    result = clv_command(tmp_path / "p.db", "--format", "csv", "--lifespan-cap", "2")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout.splitlines()[0] == (
        "segment,customers,orders,refunds,revenue,average_order_value,purchases_per_year,"
        "repeat_rate,lifespan_years,lifespan_capped,gross_margin,clv_orders,"
        "clv_persona_file,flag"
    )
    runner = rows[0]
    assert runner["segment"] == "trail-runner"
    assert (runner["lifespan_years"], runner["lifespan_capped"]) == ("2.0", "true")
    assert runner["clv_orders"] == "98.0"  # 100 × 7/6 × 2 × 0.42
    assert runner["flag"] == "too few customers to trust (3 < 30)"
    # What a reader needs besides the figures goes to stderr.
    assert "8 orders" in result.stderr and "8 orders" not in result.stdout


def test_command_writes_json(tmp_path: Path) -> None:
    result = clv_command(tmp_path / "p.db", "--format", "json", "--frequency", "repeat-interval")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == [
        "orders_file", "rows", "orders", "refunds", "customers", "skipped", "first_order",
        "last_order", "years_covered", "segments_from", "date_format", "currencies",
        "definitions", "segments", "notes",
    ]  # fmt: skip
    assert list(document["segments"][0]) == clv_cli.CSV_COLUMNS
    runner = document["segments"][0]
    assert runner["segment"] == "trail-runner"
    assert runner["purchases_per_year"] == pytest.approx(1.3333)
    assert runner["clv_orders"] == pytest.approx(168.0)
    assert document["definitions"]["frequency"] == "repeat-interval"
    assert document["years_covered"] == 2.0


def test_command_lists_skipped_rows_with_their_lines(tmp_path: Path) -> None:
    result = longtail(
        "--db", tmp_path / "p.db", "clv", "--orders", ORDERS / "bad-rows.csv",
        "--personas", PERSONAS,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "12 rows: 4 orders, 1 refund, 7 skipped (3 unreadable amount, 2 unreadable date, "
        "1 no customer, 1 no segment):"
    ) in result.output
    assert "  line 13: amount: 'n/a' is not an amount" in result.output
    # gift-buyer has no orders in this file: its estimate only.
    gift = next(line for line in result.output.splitlines() if line.startswith("gift-buyer"))
    assert gift.split()[1:] == ["-"] * 9 + ["55.00", "no", "orders", "in", "the", "file"]


def test_bad_orders_exit_2_naming_the_file_and_line(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_date,amount,segment\na,03/01/2025,10,trail-runner\n")
    result = longtail("--db", tmp_path / "p.db", "clv", "--orders", orders, "--personas", PERSONAS)
    assert result.exit_code == 2
    assert f"Error: {orders}:2: '03/01/2025' could be month first or day first" in result.output
    assert "--date-format us" in result.output
    assert "Traceback" not in result.output


def test_include_flagged_needs_apply(tmp_path: Path) -> None:
    result = clv_command(tmp_path / "p.db", "--include-flagged")
    assert result.exit_code == 2 and "add --apply" in result.output


def test_apply_stores_the_clv_that_scoring_uses(tmp_path: Path) -> None:
    db = tmp_path / "project.db"
    assert longtail("--db", db, "expand", PERSONAS).exit_code == 0
    assert longtail("--db", db, "volumes", "--replay", FIXTURES).exit_code == 0

    result = clv_command(db, "--apply", "--min-customers", "3")
    assert result.exit_code == 0, result.output
    assert "trail-runner  147.00  (file: 441.00)  100 order × 1.17/yr × 3 yr × 0.42 margin" in (
        result.output
    )
    assert "Not applied: gift-buyer (too few customers to trust: 1;" in result.output
    store = Store(db)
    applied = store.applied_clv()
    store.close()
    assert set(applied) == {"trail-runner"}
    assert applied["trail-runner"]["segment_clv"] == pytest.approx(147.0)
    assert applied["trail-runner"]["clv_method"] == "orders"
    assert applied["trail-runner"]["clv_formula"].endswith(f"(from {HAND})")

    assert longtail("--db", db, "score").exit_code == 0
    rows = sqlite3.connect(db).execute(
        "SELECT persona_id, avg_monthly_searches, segment_clv, value FROM scores"
    )
    scored = {"trail-runner": 0, "gift-buyer": 0}
    for persona_id, searches, segment_clv_value, value in rows:
        # The applied CLV for trail-runner; the file's stated 55 for gift-buyer.
        expected = 147.0 if persona_id == "trail-runner" else 55.0
        assert segment_clv_value == pytest.approx(expected)
        if searches is not None:
            assert value == pytest.approx(searches * expected)
            scored[persona_id] += 1
    assert scored["trail-runner"] > 0 and scored["gift-buyer"] > 0


def test_the_persona_files_stay_as_written_after_apply(tmp_path: Path) -> None:
    before = {f.name: f.read_bytes() for f in PERSONAS.iterdir()}
    assert clv_command(tmp_path / "p.db", "--apply", "--include-flagged").exit_code == 0
    assert {f.name: f.read_bytes() for f in PERSONAS.iterdir()} == before
