"""`longtail forecast`: what a monthly PPC budget buys, month by month."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from longtail.cli.common import config_option, open_db
from longtail.cli.output import table

if TYPE_CHECKING:
    from longtail.forecast import Forecast

TOP_KEYWORDS = 10


@click.command("forecast")
@click.option(
    "--budget",
    required=True,
    type=float,
    metavar="AMOUNT",
    help="Monthly PPC budget, in the segments' currency.",
)
@click.option(
    "--months",
    type=click.IntRange(1, 24),
    default=12,
    show_default=True,
    help="How many months ahead, starting next month.",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m"]),
    metavar="YYYY-MM",
    help="First month of the forecast [default: next month].",
)
@click.option(
    "--currency", metavar="CODE", help="The budget's currency, when segments use several."
)
@click.option(
    "--bid-fraction",
    type=click.FloatRange(0, 1, min_open=True),
    metavar="F",
    help="Bid this fraction of each keyword's break-even CPC [default: economics.bid_fraction, 1].",
)
@click.option(
    "--cost-basis",
    type=click.Choice(["high", "low", "mid", "bid"]),
    help="What a click costs: Keyword Planner's high or low top-of-page bid, their "
    "mid-point, or the bid itself [default: economics.cost_basis, high].",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="csv and json give every funded keyword, for other tools.",
)
@config_option
@click.pass_context
def forecast_command(
    ctx: click.Context,
    budget: float,
    months: int,
    start: datetime | None,
    currency: str | None,
    bid_fraction: float | None,
    cost_basis: str | None,
    output_format: str,
    config_path: Path | None,
) -> None:
    """Spread a monthly PPC budget over the scored keywords by expected return.

    Each keyword is bid a fraction of its break-even CPC (conversion rate ×
    segment CLV) and is assumed to cost Keyword Planner's top-of-page bid a
    click; one that costs more than the bid is left out. Each month the
    budget buys clicks from the best return (value of a click ÷ its cost)
    down, as many as the month's searches (seasonal profile) × paid CTR
    offer, and never spends more than the budget. Reports the expected
    clicks, new customers and the lifetime value they bring, month by month.

    Run `longtail score` first; the assumptions are the [economics] section
    of --config, else ./longtail.toml, over the bundled defaults.

    Examples:

    \b
        longtail forecast --budget 2000
        longtail forecast --budget 2000 --start 2027-03 --months 6
        longtail forecast --budget 2000 --bid-fraction 0.7 --format csv > plan.csv
    """
    from dataclasses import replace

    from longtail.config import load_config
    from longtail.pipeline import forecast_stage

    config = load_config(config_path)
    economics = config.economics
    if bid_fraction is not None:
        economics = replace(economics, bid_fraction=bid_fraction)
    if cost_basis is not None:
        economics = replace(economics, cost_basis=cost_basis)
    result = forecast_stage(
        open_db(ctx),
        budget,
        replace(config, economics=economics),
        months=months,
        currency=currency,
        first_month=start.date() if start else None,
    )
    if output_format == "csv":
        click.echo(_csv(result), nl=False)
    elif output_format == "json":
        click.echo(_json(result))
    else:
        click.echo(_report(result))


def _report(result: Forecast) -> str:
    money = result.currency
    months = [
        (
            row.month,
            row.spend,
            row.clicks,
            row.customers,
            row.lifetime_value,
            row.keywords_funded,
        )
        for row in result.months.itertuples()
    ]
    top = [
        (row.keyword, row.persona_id, row.bid, row.cost_per_click, row.spend, row.lifetime_value)
        for row in result.keywords.sort_values("spend", ascending=False)
        .head(TOP_KEYWORDS)
        .itertuples()
    ]
    totals = result.months[["spend", "clicks", "customers", "lifetime_value"]].sum()
    lines = [
        f"Budget {result.budget:,.2f} {money} a month over {len(result.months)} months.",
        "",
        table(
            ["month", "spend", "clicks", "customers", "lifetime value", "keywords"],
            months,
            right=[1, 2, 3, 4, 5],
        ),
        "",
        f"In all: {totals['spend']:,.2f} {money} spent buys {totals['clicks']:,.0f} clicks, "
        f"{totals['customers']:,.1f} new customers and {totals['lifetime_value']:,.2f} {money} "
        "of lifetime value.",
        f"{result.candidates:,} keywords have volume and a break-even CPC; "
        f"{result.priced_out:,} cost more a click than their bid and are left out.",
    ]
    unspent = result.months["unspent"].sum()
    if unspent > 0.005:
        lines.append(
            f"{unspent:,.2f} {money} stays unspent: the keywords offer no more clicks at "
            "these bids. Widen the keywords (longtail ideas) or raise --bid-fraction."
        )
    if top:
        lines += [
            "",
            "Most funded keywords:",
            table(
                ["keyword", "persona", "bid", "cost/click", "spend", "lifetime value"],
                top,
                right=[2, 3, 4, 5],
            ),
        ]
    return "\n".join(lines) + "\n"


def _csv(result: Forecast) -> str:
    from longtail.export import neutralise

    buffer = io.StringIO()
    keywords = result.keywords.assign(keyword=result.keywords["keyword"].map(neutralise))
    keywords.to_csv(buffer, index=False, float_format="%.4f", lineterminator="\n")
    return buffer.getvalue()


def _json(result: Forecast) -> str:
    return json.dumps(
        {
            "budget": result.budget,
            "currency": result.currency,
            "candidates": result.candidates,
            "priced_out": result.priced_out,
            "months": result.months.to_dict("records"),
            "keywords": result.keywords.to_dict("records"),
        },
        indent=2,
    )
