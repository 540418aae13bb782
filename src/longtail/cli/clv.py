"""`longtail clv`: CLV per segment from an order history, beside the personas' estimates.

The figures and their definitions are longtail.clv's; this module parses the
options, calls it and prints. Nothing heavy is imported until the command
runs: longtail.clv brings pydantic (through the persona schema) and pandas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from longtail.cli.common import DEFAULT_PERSONAS, open_db
from longtail.cli.output import table

if TYPE_CHECKING:
    from longtail.clv import AppliedClv, ClvEstimate, ClvReport, OrdersFile, SegmentClv

# longtail.clv's FREQUENCIES, LIFESPANS, DEFAULT_LIFESPAN_CAP and
# DEFAULT_MIN_CUSTOMERS, written out so that --help does not import it;
# tests/test_clv.py checks that they agree.
FREQUENCIES = ("per-customer-year", "repeat-interval")
LIFESPANS = ("repeat-rate", "observed")
DEFAULT_LIFESPAN_CAP = 10.0
DEFAULT_MIN_CUSTOMERS = 30
FORMATS = ("table", "csv", "json")

# Skipped rows listed one a line before the rest are counted, as `import` does.
MAX_LISTED = 20

TABLE_HEADERS = [
    "segment",
    "customers",
    "orders",
    "revenue",
    "AOV",
    "purchases/yr",
    "repeat rate",
    "lifespan",
    "margin",
    "CLV (orders)",
    "CLV (persona file)",
    "flag",
]
# The --format csv header, and the keys of each segment in --format json.
CSV_COLUMNS = [
    "segment",
    "customers",
    "orders",
    "refunds",
    "revenue",
    "average_order_value",
    "purchases_per_year",
    "repeat_rate",
    "lifespan_years",
    "lifespan_capped",
    "gross_margin",
    "clv_orders",
    "clv_persona_file",
    "flag",
]
# The definitions printed beneath the table: (label, key in ClvDefinitions.describe).
DEFINITION_LABELS = [
    ("AOV", "average_order_value"),
    ("purchases/yr", "purchases_per_year"),
    ("repeat rate", "repeat_rate"),
    ("lifespan", "lifespan_years"),
    ("margin", "gross_margin"),
    ("CLV (orders)", "clv_orders"),
    ("flag", "flag"),
]
NO_ORDERS = "no orders in the file"


@click.command(name="clv")
@click.option(
    "--orders",
    "orders_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="The order history: a CSV with a customer id, order date and amount per row, "
    "and a segment column unless --mapping is given.",
)
@click.option(
    "--personas",
    "persona_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Persona file or folder to compare with and take gross margins from; repeat for "
    "several. Default: personas/. Their ids are the segment names.",
)
@click.option(
    "--segment-column",
    metavar="NAME",
    help="The column naming each order's segment (a persona id). Default: segment, "
    "persona_id or persona.",
)
@click.option(
    "--mapping",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="A CSV with customer_id and persona_id columns giving each customer's segment, "
    "instead of a segment column.",
)
@click.option(
    "--customer-column",
    metavar="NAME",
    help="Default: customer_id, customer, customerid or client_id.",
)
@click.option(
    "--date-column",
    metavar="NAME",
    help="Default: order_date, date, orderdate or created_at.",
)
@click.option(
    "--amount-column",
    metavar="NAME",
    help="Default: amount, total, revenue, order_total or order_amount.",
)
@click.option(
    "--date-format",
    default="auto",
    show_default=True,
    metavar="FORMAT",
    help="iso (2026-03-01), us (03/01/2026), eu (01/03/2026, 01.03.2026), a strptime "
    "pattern such as '%d %b %Y', or auto: told from the dates.",
)
@click.option(
    "--frequency",
    type=click.Choice(FREQUENCIES),
    default=FREQUENCIES[0],
    show_default=True,
    help="Purchases per year: orders ÷ customers ÷ years covered, or how often customers "
    "who come back buy (repeat-interval).",
)
@click.option(
    "--lifespan",
    type=click.Choice(LIFESPANS),
    default=LIFESPANS[0],
    show_default=True,
    help="Lifespan: 1 ÷ (1 − repeat rate), or the average first-to-last-order span (observed).",
)
@click.option(
    "--lifespan-cap",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_LIFESPAN_CAP,
    show_default=True,
    metavar="YEARS",
    help="The longest lifespan a segment is credited with.",
)
@click.option(
    "--min-customers",
    type=click.IntRange(min=1),
    default=DEFAULT_MIN_CUSTOMERS,
    show_default=True,
    metavar="N",
    help="Segments with fewer customers are flagged too few to trust.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for reading; csv and json print the figures alone, the rest goes to stderr.",
)
@click.option(
    "--apply",
    is_flag=True,
    help="Store the CLVs from orders as the personas' CLV for scoring; the persona files "
    "stay as written. Run `longtail score` after.",
)
@click.option(
    "--include-flagged",
    is_flag=True,
    help="With --apply, also apply segments with too few customers to trust.",
)
@click.pass_context
def clv_command(
    ctx: click.Context,
    orders_file: Path,
    persona_paths: tuple[Path, ...],
    segment_column: str | None,
    mapping: Path | None,
    customer_column: str | None,
    date_column: str | None,
    amount_column: str | None,
    date_format: str,
    frequency: str,
    lifespan: str,
    lifespan_cap: float,
    min_customers: int,
    output_format: str,
    apply: bool,
    include_flagged: bool,
) -> None:
    """Measure each segment's CLV from an order history.

    Reads one order a row: customer id, order date, amount, and the segment
    (a persona id) from a segment column or from --mapping; shows each
    segment's figures beside its persona file's estimate. By default:

    \b
      AOV           = revenue ÷ orders
      purchases/yr  = orders ÷ customers ÷ years the file covers (first to
                      last order date, in calendar years)
      repeat rate   = share of customers with two or more orders
      lifespan      = 1 ÷ (1 − repeat rate), at most --lifespan-cap years
      CLV (orders)  = AOV × purchases/yr × lifespan × gross margin (the
                      persona's; 1 when it gives none)

    --frequency repeat-interval and --lifespan observed choose the
    alternatives; the definitions used are printed beneath the table.

    The file is UTF-8 (a byte-order mark is fine), separated by commas,
    semicolons or tabs. Columns are found by their usual names, without
    case (Customer ID, Date, Total, ...), or named with the --*-column
    options. Dates may be ISO, month first or day first: a day after the
    12th tells which, or --date-format says. Amounts may carry
    currency symbols or codes and either decimal mark ("$1,234.56",
    "1.234,56 EUR"). A negative amount is a refund: it reduces revenue and
    is not an order.

    Rows that cannot be used are listed with their line and skipped. A
    segment with fewer than --min-customers customers is flagged, one no
    persona has is computed and flagged, and personas without orders show
    their own estimate only. If every order is on one day, purchases per
    year cannot be known and is left empty.

    --apply stores the CLVs of segments that have a persona and are not
    flagged (with --include-flagged, flagged ones too) as the CLV scoring
    uses, in the project database; the persona files stay as written.

    Example:

    \b
        longtail clv --orders examples/orders.csv
        longtail clv --orders orders.csv --mapping customers.csv --apply
        longtail clv --orders shop.csv --date-column "Created at" --format csv
    """
    if include_flagged and not apply:
        raise click.UsageError("--include-flagged only changes what --apply stores; add --apply")
    from longtail.clv import (
        ClvDefinitions,
        OrderColumns,
        apply_report,
        clv_report,
        read_mapping,
        read_orders,
    )
    from longtail.pipeline import load_stage

    definitions = ClvDefinitions(frequency, lifespan, lifespan_cap, min_customers)
    personas = load_stage(list(persona_paths) or [DEFAULT_PERSONAS])
    customer_personas = read_mapping(mapping) if mapping is not None else None
    columns = OrderColumns(customer_column, date_column, amount_column, segment_column)
    orders = read_orders(orders_file, columns, customer_personas, date_format=date_format)
    report = clv_report(orders, personas, definitions)
    applied = apply_report(open_db(ctx), report, include_flagged=include_flagged) if apply else None
    if output_format == "table":
        click.echo(table_report(report, applied))
        return
    click.echo(csv_report(report) if output_format == "csv" else json_report(report, applied))
    # The figures alone on stdout, so they can be piped; what a reader needs
    # besides goes to stderr.
    click.echo("\n".join(_file_summary(report.orders) + _notes(report)), err=True)
    if applied is not None:
        click.echo("\n".join(_applied(applied)), err=True)


# ---------------------------------------------------------------- table


def table_report(report: ClvReport, applied: AppliedClv | None) -> str:
    """The table, its definitions and what was applied, as the terminal shows them."""
    rows: list[Sequence[object]] = [_table_row(segment) for segment in report.segments]
    rows += [
        [persona_id, *["-"] * 9, estimate.value, NO_ORDERS]
        for persona_id, estimate in report.without_orders
    ]
    definitions = report.definitions.describe(report.orders)
    lines = [
        *_file_summary(report.orders),
        "",
        table(TABLE_HEADERS, rows, right=range(1, 11)),
        "",
        "Definitions:",
        *(f"  {label:<12} = {definitions[key]}" for label, key in DEFINITION_LABELS),
        *_notes(report),
        "",
    ]
    if applied is None:
        lines.append(
            "Nothing applied: --apply stores CLV (orders) as the personas' CLV for scoring."
        )
    else:
        lines += _applied(applied)
    return "\n".join(lines)


def _table_row(segment: SegmentClv) -> list[object]:
    lifespan: object = segment.lifespan_years
    if segment.lifespan_years is not None and segment.lifespan_capped:
        lifespan = f"{segment.lifespan_years:,.2f} (cap)"
    persona = segment.persona_estimate
    return [
        segment.segment,
        segment.customers,
        segment.orders,
        segment.revenue,
        segment.average_order_value,
        segment.purchases_per_year,
        None if segment.repeat_rate is None else f"{segment.repeat_rate:.0%}",
        lifespan,
        segment.gross_margin,
        segment.clv,
        None if persona is None else persona.value,
        "; ".join(segment.flags),
    ]


def _file_summary(orders: OrdersFile) -> list[str]:
    skipped = len(orders.skipped)
    reasons = ", ".join(f"{count:,} {reason}" for reason, count in orders.skipped_reasons.items())
    lines = [
        f"{orders.path}: {_count(orders.rows_read, 'row')}: {_count(orders.orders, 'order')}, "
        f"{_count(orders.refunds, 'refund')}, "
        + (f"{skipped:,} skipped ({reasons}):" if skipped else "none skipped.")
    ]
    lines += [
        f"  line {row.line}: {row.column}: {row.message}" if row.column else f"  line {row.line}"
        for row in orders.skipped[:MAX_LISTED]
    ]
    if skipped > MAX_LISTED:
        lines.append(f"  … and {skipped - MAX_LISTED:,} more")
    covered = (
        f"Orders from {orders.first_order} to {orders.last_order} ({_years(orders.years_covered)})"
        if orders.years_covered is not None
        else f"Orders all on {orders.first_order}"
    )
    segments = orders.frame["segment"].nunique()
    lines.append(
        f"{covered}; {_count(orders.customers, 'customer')} in "
        f"{_count(segments, 'segment')}, from {orders.segments_from}."
    )
    return lines


def _notes(report: ClvReport) -> list[str]:
    return [f"Note: {note}." for note in report.notes]


def _applied(applied: AppliedClv) -> list[str]:
    lines = []
    if applied.applied:
        lines.append("Applied for scoring (the persona files stay as written):")
        rows = [
            [
                persona_id,
                estimate.value,
                _was(applied.previous.get(persona_id)),
                estimate.formula,
            ]
            for persona_id, estimate in applied.applied.items()
        ]
        lines += [f"  {line}" for line in table(["", "", "", ""], rows, right=[1]).splitlines()[1:]]
        lines.append("Run `longtail score` to rank the keywords with them.")
    else:
        lines.append("Nothing applied.")
    if applied.not_applied:
        lines.append("Not applied: " + ", ".join(applied.not_applied) + ".")
    return lines


def _was(previous: float | None) -> str:
    return "" if previous is None else f"(file: {previous:,.2f})"


def _years(years: float) -> str:
    shown = f"{years:,.2f}".rstrip("0").rstrip(".")
    return f"{shown} year" if shown == "1" else f"{shown} years"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


# ---------------------------------------------------------------- csv and json


def _records(report: ClvReport) -> list[dict[str, Any]]:
    """One record a segment, keyed like CSV_COLUMNS; money to the cent, ratios to 4 places."""
    records = [
        {
            "segment": s.segment,
            "customers": s.customers,
            "orders": s.orders,
            "refunds": s.refunds,
            "revenue": _round(s.revenue, 2),
            "average_order_value": _round(s.average_order_value, 2),
            "purchases_per_year": _round(s.purchases_per_year, 4),
            "repeat_rate": _round(s.repeat_rate, 4),
            "lifespan_years": _round(s.lifespan_years, 4),
            "lifespan_capped": s.lifespan_capped,
            "gross_margin": s.gross_margin,
            "clv_orders": _round(s.clv, 2),
            "clv_persona_file": _persona_value(s.persona_estimate),
            "flag": list(s.flags),
        }
        for s in report.segments
    ]
    records += [
        {
            **dict.fromkeys(CSV_COLUMNS),
            "segment": persona_id,
            "clv_persona_file": _persona_value(estimate),
            "flag": [NO_ORDERS],
        }
        for persona_id, estimate in report.without_orders
    ]
    return records


def csv_report(report: ClvReport) -> str:
    """The figures as CSV, one segment a row, flags joined with "; "."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in _records(report):
        capped = record["lifespan_capped"]
        writer.writerow(
            {
                **record,
                # As JSON writes them, which spreadsheets read as booleans too.
                "lifespan_capped": "" if capped is None else str(capped).lower(),
                "flag": "; ".join(record["flag"]),
            }
        )
    return out.getvalue().rstrip("\n")


def json_report(report: ClvReport, applied: AppliedClv | None) -> str:
    """The figures, the definitions used and what was read, skipped and applied, as JSON."""
    orders = report.orders
    document: dict[str, Any] = {
        "orders_file": str(orders.path),
        "rows": orders.rows_read,
        "orders": orders.orders,
        "refunds": orders.refunds,
        "customers": orders.customers,
        "skipped": [
            {"line": row.line, "column": row.column, "reason": row.reason, "message": row.message}
            for row in orders.skipped
        ],
        "first_order": orders.first_order.isoformat(),
        "last_order": orders.last_order.isoformat(),
        "years_covered": _round(orders.years_covered, 4),
        "segments_from": orders.segments_from,
        "date_format": orders.date_format,
        "currencies": list(orders.currencies),
        "definitions": {
            "frequency": report.definitions.frequency,
            "lifespan": report.definitions.lifespan,
            "lifespan_cap": report.definitions.lifespan_cap,
            "min_customers": report.definitions.min_customers,
            **report.definitions.describe(orders),
        },
        "segments": _records(report),
        "notes": report.notes,
    }
    if applied is not None:
        document["applied"] = {
            persona_id: {"value": _round(estimate.value, 2), "formula": estimate.formula}
            for persona_id, estimate in applied.applied.items()
        }
        document["not_applied"] = applied.not_applied
    return json.dumps(document, indent=2, ensure_ascii=False)


def _persona_value(estimate: ClvEstimate | None) -> float | None:
    return None if estimate is None else _round(estimate.value, 2)


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)
