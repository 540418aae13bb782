"""`longtail import`: volumes from Keyword Planner, Semrush and Ahrefs exports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from longtail.cli.common import open_db

if TYPE_CHECKING:
    from longtail.errors import Problem
    from longtail.imports import ImportResult

# Problems listed one a line before the rest are counted: enough to see what
# is wrong with a file, few enough that the summary stays on one screen.
MAX_LISTED = 20


@click.command(name="import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--persona",
    "persona_id",
    metavar="ID",
    help="Also add the keywords to this stored persona's candidates, so `longtail score` "
    "ranks them; its market is the default one.",
)
@click.option(
    "--geo",
    metavar="CODES",
    help="Countries the volumes are for: CO, or CA,US. Default: the persona's, else US.",
)
@click.option(
    "--language",
    metavar="CODE",
    help="Language the volumes are for: es. Default: the persona's, else en.",
)
@click.option(
    "--network",
    metavar="NAME",
    help="google-search or google-search-and-partners. Default: the persona's, else google-search.",
)
@click.pass_context
def import_command(
    ctx: click.Context,
    file: Path,
    persona_id: str | None,
    geo: str | None,
    language: str | None,
    network: str | None,
) -> None:
    """Read search volumes from a Keyword Planner, Semrush or Ahrefs export.

    FILE is the export as downloaded: UTF-16 or UTF-8, tab-, comma- or
    semicolon-separated, all detected. The volumes are stored like looked-up
    ones, for the market of --geo, --language and --network, and the exports
    say they came from "import of FILE". Rows that cannot be read are listed
    with their line and left out; the rest is imported. Importing a file
    again updates its rows.

    \b
    Keyword Planner  Tools > Keyword Planner > Download keyword ideas (.csv).
                     Reads Keyword, Avg. monthly searches, Competition (in
                     any UI language: Low, Bajo, Niedrig, Faible, ...),
                     Competition (indexed value), Top of page bid (low and
                     high range) in the file's Currency, and the
                     Searches: Mon YYYY columns. A range such as 1K – 10K
                     is stored at its geometric midpoint, 3,162.
    Semrush          Keyword Magic Tool or keyword list export: Keyword and
                     Volume (or Search Volume).
    Ahrefs           Keywords Explorer export: Keyword and Volume (the
                     country's, never Global volume).

    From Semrush and Ahrefs only volumes are read: their CPC and difficulty
    are not the Keyword Planner's bids and competition.

    Example:

    \b
        longtail import "Keyword Stats 2024-05-01 at 10_00_00.csv" --geo CO --language es
        longtail import semrush-broad-match_us.csv --persona trail-runner
    """
    from longtail.imports import import_export

    result = import_export(
        open_db(ctx), file, persona_id=persona_id, geo=geo, language=language, network=network
    )
    click.echo(import_report(result))


def import_report(result: ImportResult) -> str:
    """What an import did, in the words of the summary users read."""
    imported = result.file
    market = result.market
    skipped = len(imported.skipped)
    lines = [
        f"Imported {_count(len(imported.rows), 'keyword')} from {imported.path.name} "
        f"({imported.format}, {market.language}-{market.geo}): {imported.with_volume:,} with "
        f"volume, {imported.without_volume:,} without; "
        + (f"{_count(skipped, 'row')} skipped:" if skipped else "no rows skipped.")
    ]
    lines += _listed(imported.skipped)
    if imported.duplicates:
        lines.append(
            f"{_count(imported.duplicates, 'repeated keyword')} left out: the first row of "
            "each was kept."
        )
    if imported.volume_ranges:
        example = next(iter(imported.volume_ranges.values()))
        lines.append(
            f"{_count(len(imported.volume_ranges), 'volume')} given as ranges, stored at the "
            f"range's geometric midpoint ({example.text} → {example.midpoint:,})."
        )
    if imported.notes:
        lines.append("Notes:")
        lines += _listed(imported.notes)
    lines.append(
        f'Stored for {market.geo} / {market.language} / {market.network} as "{imported.source}".'
    )
    if result.persona_id is not None:
        lines.append(
            f"Added {_count(result.candidates_added, 'keyword')} to the candidates of "
            f"{result.persona_id}; `longtail score` ranks them."
        )
    lines += result.warnings
    return "\n".join(lines)


def _listed(problems: Sequence[Problem]) -> list[str]:
    shown = [
        f"  line {problem.line}: {problem.message}" if problem.line else f"  {problem.message}"
        for problem in problems[:MAX_LISTED]
    ]
    if len(problems) > MAX_LISTED:
        shown.append(f"  … and {len(problems) - MAX_LISTED:,} more")
    return shown


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"
