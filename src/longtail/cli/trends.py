"""`longtail trends`: Google Trends' shape of demand for each persona's top keywords."""

from __future__ import annotations

import calendar
from typing import TYPE_CHECKING

import click

from longtail.cli.common import open_db
from longtail.cli.output import table

if TYPE_CHECKING:
    from longtail.pipeline import TrendsResult


@click.command("trends")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    # longtail.pipeline.DEFAULT_TRENDS_TOP, written out so --help imports nothing.
    default=5,
    show_default=True,
    metavar="N",
    help="Compare each persona's N best keywords: highest value, else most searched. "
    "Every 4 more cost 2 requests.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    # longtail.trends.DEFAULT_RATE: one request every 10 seconds.
    default=0.1,
    show_default=True,
    metavar="N",
    help="Google Trends requests per second (0.1 = one every 10 seconds). Google publishes "
    "no limit and answers bursts with HTTP 429; lower it if refusals keep coming.",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    # longtail.trends.DEFAULT_MAX_WAIT
    default=180.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to keep retrying one refused request (backoff with jitter) before "
    "giving up on Trends for this run; 0 gives up at the first refusal.",
)
@click.option(
    "--max-age",
    type=click.IntRange(min=0),
    # longtail.pipeline.DEFAULT_TRENDS_MAX_AGE
    default=30,
    show_default=True,
    metavar="DAYS",
    help="Reuse Trends results fetched within this many days; 0 asks for everything again.",
)
@click.option(
    "--no-rising",
    is_flag=True,
    help="Skip the rising queries of the personas' products; only compare keywords.",
)
@click.pass_context
def trends_command(
    ctx: click.Context, top: int, rate: float, max_wait: float, max_age: int, no_rising: bool
) -> None:
    """Add Google Trends' seasonality, direction and rising queries to the research.

    Keyword Planner says how often a keyword is searched in an average month;
    Google Trends says when in the year, and whether that is growing. For
    each persona's --top keywords, five years of weekly interest are fetched
    in the persona's country, five keywords at a time, each batch with the
    most searched keyword as its anchor so that all batches share one scale
    (Trends figures are relative: 100 is each answer's highest point). Each
    keyword keeps

    \b
      seasonal index  12 months, 1.0 = an average month (1.5: half again)
      direction       rising, flat or falling: last 12 months vs first 12, ±20%
      peak months     months at least 20% above an average month

    stored for scoring: a keyword's monthly volume times the index is the
    searches to expect in each coming month. Rising queries for each
    persona's products are stored as candidates (source trends-rising) for
    `longtail volumes` to look up.
    A persona selling in several countries is compared worldwide: Trends
    compares in one country or in all.

    Google Trends has no official API; longtail goes through pytrends,
    paces the requests (--rate) and retries refusals for up to --max-wait
    seconds. If Google keeps refusing, the command says what it skipped and
    ends normally, keeping what it fetched; results are cached for
    --max-age days, so a rerun asks only for what is missing. Run
    `longtail volumes` first: the top keywords are the most searched ones.

    Example:

    \b
        longtail trends
        longtail trends --top 10 --rate 0.05 --no-rising
    """
    from datetime import timedelta

    from longtail.pipeline import trends_stage
    from longtail.trends import TrendsFetcher

    store = open_db(ctx)
    fetcher = TrendsFetcher(rate=rate, max_wait=max_wait)
    result = trends_stage(
        store, fetcher, top=top, max_age=timedelta(days=max_age), rising=not no_rising
    )
    click.echo(trends_report(result))
    if result.skipped:
        click.echo(f"Warning: {result.skipped}", err=True)


def trends_report(result: TrendsResult) -> str:
    """A table of the top keywords' trends and one line of counts."""
    from longtail.trends import OK, geo_label

    rows = [
        (
            trend.keyword,
            geo_label(trend.geo),
            result.volumes.get((trend.keyword, trend.geo)),
            trend.direction if trend.status == OK else "no data",
            ", ".join(calendar.month_abbr[month] for month in trend.peak_months) or None,
        )
        for trend in result.trends
    ]
    lines = []
    if rows:
        lines.append(
            table(["keyword", "geo", "searches/mo", "trend", "peak months"], rows, right=[2])
        )
    requests = "1 request" if result.requests == 1 else f"{result.requests:,} requests"
    counts = [
        requests,
        f"{result.keywords_asked:,} keywords asked",
        f"{result.from_cache:,} served from cache",
        f"{result.without_data:,} without data",
    ]
    if result.retries:
        counts.append("1 retry" if result.retries == 1 else f"{result.retries:,} retries")
    lines.append(f"Trends: {', '.join(counts)}.")
    asked = result.products_asked + result.products_from_cache
    if asked:
        lines.append(
            f"Rising queries: {asked:,} products ({result.products_from_cache:,} from cache); "
            f"{result.rising_added:,} new candidates (source trends-rising)"
            + ("; run `longtail volumes` to look them up." if result.rising_added else ".")
        )
    if not rows and not result.skipped:
        lines.append("No keyword has a search volume yet: run `longtail volumes` to compare them.")
    return "\n".join(lines) + "\n"
