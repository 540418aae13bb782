"""`longtail intent`: the search intent of keywords from anywhere, one label each.

Imports only the configuration and longtail.intent, never spaCy, pandas or
the database: labelling a pasted list must start at once.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from longtail.cli.output import table

FORMATS = ("table", "csv", "tsv", "json")

# The cells a spreadsheet runs as formulas (OWASP "CSV Injection",
# https://owasp.org/www-community/attacks/CSV_Injection); the same list as
# longtail.export.FORMULA_PREFIXES, which this command must not import
# because that module loads pandas.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

STDIN = "-"

NO_KEYWORDS = (
    "no keywords to label: give them as arguments, "
    '`longtail intent "best trail running shoes"`, or one a line on standard input, '
    "`cut -f1 keywords.tsv | longtail intent`"
)


@click.command(name="intent")
@click.argument("keywords", nargs=-1)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for reading; csv, tsv or json (one object a line) for a spreadsheet or "
    "a script, each with the reason.",
)
@click.option("--explain", is_flag=True, help="Add the reason for each label to the table.")
@click.option(
    "--brand",
    "brands",
    multiple=True,
    metavar="NAME",
    help="A brand name that makes a keyword navigational; repeat for more. Adds to the "
    "configuration's navigational list.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the modifier lists from this file. Default: ./longtail.toml when present, "
    "else the bundled defaults.",
)
def intent_command(
    keywords: tuple[str, ...],
    output_format: str,
    explain: bool,
    brands: tuple[str, ...],
    config_path: Path | None,
) -> None:
    """Label keywords informational, commercial, transactional or navigational.

    KEYWORDS are labelled one by one; with none, or with -, they are read
    from standard input, one a line (blank lines are skipped). Each keyword
    gets one label, from the modifier lists in the configuration ("best
    {product}" is commercial, "buy {product}" transactional), question words
    ("how to ..." is informational), brand names (navigational) and a few
    built-in words; a plain product phrase is commercial. Keywords are
    printed as given, in the order given, so the labels can be pasted beside
    the list they came from.

    Example:

    \b
        longtail intent "best trail running shoes" "how to clean hiking boots"
        longtail intent --explain --brand ridgeline "ridgeline tent" "tents for sale"
        cut -f1 keywords.tsv | longtail intent --format csv > intents.csv
    """
    from longtail.config import load_config
    from longtail.intent import IntentClassifier

    given = _keywords(keywords)
    classifier = IntentClassifier(load_config(config_path).modifiers, brands)
    labelled = [(keyword, *classifier.explain(keyword)) for keyword in given]
    click.echo(render(labelled, output_format, explain))


def _keywords(arguments: Sequence[str]) -> list[str]:
    """The keywords to label: the arguments, or the lines of stdin for none or "-"."""
    if arguments and STDIN not in arguments:
        given = [keyword.strip() for keyword in arguments]
        return [keyword for keyword in given if keyword]
    stdin = sys.stdin
    if not arguments and stdin.isatty():
        # Waiting for typed input would look like a hang to someone who ran
        # the command bare to see what it does.
        raise click.UsageError(NO_KEYWORDS)
    found: list[str] = []
    for argument in arguments or [STDIN]:
        if argument == STDIN:
            found.extend(line.strip() for line in stdin)
        else:
            found.append(argument.strip())
    found = [keyword for keyword in found if keyword]
    if not found:
        raise click.UsageError(NO_KEYWORDS)
    return found


def render(labelled: Sequence[tuple[str, str, str]], output_format: str, explain: bool) -> str:
    """Keywords with their intents (and reasons) in the chosen format, without a final newline."""
    if output_format == "json":
        return "\n".join(
            json.dumps({"keyword": k, "intent": i, "reason": r}, ensure_ascii=False)
            for k, i, r in labelled
        )
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["keyword", "intent", "reason"])
        writer.writerows((_cell(k), i, r) for k, i, r in labelled)
        return buffer.getvalue().removesuffix("\n")
    if output_format == "tsv":
        # Unquoted, as `cut` and `sort` read it: no value holds a newline,
        # and a tab inside a keyword becomes a space.
        rows = [("keyword", "intent", "reason")]
        rows += [(_cell(k.replace("\t", " ")), i, r) for k, i, r in labelled]
        return "\n".join("\t".join(row) for row in rows)
    if explain:
        return table(["keyword", "intent", "reason"], labelled)
    return table(["keyword", "intent"], [(k, i) for k, i, _ in labelled])


def _cell(keyword: str) -> str:
    """A keyword a spreadsheet would run as a formula, made text with a leading quote."""
    return "'" + keyword if keyword.startswith(FORMULA_PREFIXES) else keyword
