"""The pipeline commands: expand, volumes, score, export, and run (all of them)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from longtail.cli.common import (
    config_option,
    max_age_option,
    model_option,
    open_db,
    paths_or_default,
    persona_paths,
    rate_option,
    replay_option,
)
from longtail.cli.output import table

if TYPE_CHECKING:
    import pandas as pd

    from longtail.expand import Candidate
    from longtail.pipeline import ExpandResult, Explanation, ExportResult, IdeasResult
    from longtail.planner.lookup import LookupStats

TOP_ROWS = 10
# Exports of fewer rows are done before a progress bar would be read.
PROGRESS_ROWS = 50_000

output_option = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write: .xlsx for a workbook, .csv for one row per keyword and persona.",
)


@click.command()
@persona_paths
@config_option
@model_option
@click.option(
    "--show", is_flag=True, help="Also list every candidate with the text and pattern it came from."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "json"]),
    help="Write the candidates to stdout as CSV or JSON for other tools; "
    "the summary goes to stderr.",
)
@click.pass_context
def expand(
    ctx: click.Context,
    paths: tuple[Path, ...],
    config_path: Path | None,
    model: str | None,
    show: bool,
    output_format: str | None,
) -> None:
    """Turn each persona's words into candidate keywords and store them.

    PATHS are persona files or folders of them (default: personas/). Every
    file is validated first; if any is invalid nothing is stored. Rerunning
    replaces each persona's expanded candidates with the new set.

    Candidates come from the personas' noun phrases, products with their
    qualifiers, pain points turned into solutions, and the modifier lists
    and brands of the config (--config, else ./longtail.toml, over the
    bundled defaults). Each has expansion.min_words to max_words words (two
    to six by default), and each persona keeps at most
    expansion.per_persona_cap of them (300 by default).

    Example:

    \b
        longtail expand personas/
        longtail expand personas/ --show
        longtail expand personas/ --format csv > candidates.csv
    """
    from longtail.config import load_config
    from longtail.expand import check_modifiers, load_nlp
    from longtail.pipeline import expand_stage, load_stage

    config = load_config(config_path)
    check_modifiers(config.modifiers)
    loaded = load_stage(paths_or_default(paths))
    # A missing model is reported before the database is created or touched;
    # the stage then finds it loaded.
    load_nlp(model or config.expansion.model or None)
    result = expand_stage(open_db(ctx), loaded, config=config, model=model)
    if output_format is not None:
        writer = _candidates_csv if output_format == "csv" else _candidates_json
        click.echo(writer(result.expanded), nl=False)
        click.echo(_expand_report(result), err=True)
        return
    if show:
        click.echo(_candidates_listing(result.expanded))
    click.echo(_expand_report(result))


annotations_option = click.option(
    "--annotations",
    is_flag=True,
    help="Ask Google for concept annotations, which mark brand and non-brand ideas.",
)


@click.command()
@replay_option
@rate_option
@annotations_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Ideas kept per persona, the most searched first.",
)
@click.option(
    "--geo",
    metavar="CODES",
    help="Ask for ideas in these countries instead of the persona's: GB, or CA,US.",
)
@click.option("--language", metavar="CODE", help="Ask for ideas in this language instead.")
@click.option(
    "--network",
    type=click.Choice(["google-search", "google-search-and-partners"]),
    help="Ask for ideas on this network instead.",
)
@click.pass_context
def ideas(
    ctx: click.Context,
    replay: Path | None,
    rate: float,
    annotations: bool,
    limit: int,
    geo: str | None,
    language: str | None,
    network: str | None,
) -> None:
    """Widen each persona's products with Keyword Planner keyword ideas.

    The persona's products are sent as seeds (20 a request at most) to
    GenerateKeywordIdeas in the persona's market, every page is followed,
    and the most searched ideas are stored as the persona's candidates
    (source planner-idea, with the seed each came from), together with the
    volumes Google sent, so the volume lookup does not ask for them again.
    Adult keywords are never asked for. Run `longtail expand` first.

    Example, offline on the recorded sample fixtures:

    \b
        longtail ideas --replay fixtures/keyword_planner --annotations
    """
    from longtail.pipeline import PlannerSession, ideas_stage

    store = open_db(ctx)
    with PlannerSession(replay, rate) as planner:
        result = ideas_stage(
            store,
            planner,
            annotations=annotations,
            limit=limit,
            geo=geo.split(",") if geo else None,
            language=language,
            network=network,
        )
    click.echo(_ideas_report(result))


@click.command()
@replay_option
@max_age_option
@rate_option
@click.option(
    "--dry-run",
    is_flag=True,
    help="Say how many requests the lookup would send and how long pacing takes; send none.",
)
@click.pass_context
def volumes(
    ctx: click.Context, replay: Path | None, max_age: int, rate: float, dry_run: bool
) -> None:
    """Look up monthly search volumes for the stored candidates.

    Uses the Google Ads Keyword Planner: the account in google-ads.yaml
    (GOOGLE_ADS_CONFIGURATION_FILE_PATH, default ~/google-ads.yaml) or the
    GOOGLE_ADS_* environment variables, planning for LONGTAIL_CUSTOMER_ID
    (default: the config's login_customer_id). Volumes fetched within
    --max-age days are reused, not asked again. Requests are paced at --rate
    per second and retried when Google asks to wait.

    Example, offline on the recorded sample fixtures:

    \b
        longtail volumes --replay fixtures/keyword_planner

    Example, what a live lookup would send, without sending it:

    \b
        longtail volumes --dry-run
    """
    from longtail.pipeline import PlannerSession, plan_volumes_stage, volumes_stage

    store = open_db(ctx)
    if dry_run:
        click.echo(plan_volumes_stage(store, replay, timedelta(days=max_age), rate).line())
        return
    with PlannerSession(replay, rate) as planner:
        stats = volumes_stage(store, planner, timedelta(days=max_age))
    click.echo(_volumes_report(stats))


@click.command()
@config_option
@click.option(
    "--explain",
    "explain_keyword",
    metavar="KEYWORD",
    help="Also show how KEYWORD's figures follow from their inputs, for each persona.",
)
@click.pass_context
def score(ctx: click.Context, config_path: Path | None, explain_keyword: str | None) -> None:
    """Score every keyword for every persona that produced it.

    \b
    value                  = avg monthly searches × segment CLV
    expected clicks        = searches × organic CTR at the target position
    expected customers     = expected clicks × conversion rate (by intent)
    expected monthly value = expected customers × segment CLV
    break-even CPC         = conversion rate × segment CLV

    Keywords whose top-of-page bids exceed their break-even CPC are flagged
    (bid check), not dropped. Keywords Google has no data for keep empty
    figures and rank last. The assumptions (CTR curve, conversion rates)
    come from the [economics] section of --config, else ./longtail.toml,
    over the bundled defaults; a persona file may set its own
    conversion_rates. Prints the top keywords, or with --explain how one
    keyword's figures were reached.

    Examples:

    \b
        longtail score
        longtail score --explain "waterproof trail running shoes"
    """
    from longtail.config import load_config
    from longtail.pipeline import explain_stage, score_stage

    config = load_config(config_path)
    store = open_db(ctx)
    scored = score_stage(store, config)
    if explain_keyword is None:
        click.echo(_score_report(scored))
        return
    click.echo(_score_report(scored).splitlines()[-1])
    for explanation in explain_stage(store, scored, explain_keyword, config):
        click.echo("\n" + _explanation(explanation), nl=False)


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write: .xlsx for the workbook, .csv for one row per keyword and persona "
    "(or the Editor import with --format editor). Not needed for --format jsonl.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["xlsx", "csv", "editor", "jsonl"]),
    help="What to write [default: by the extension of -o]. editor: a CSV for Google Ads "
    "Editor's import; jsonl: one JSON object per line, to stdout without -o.",
)
@click.option(
    "--excel",
    is_flag=True,
    help="Start CSV files with a byte order mark, so Excel reads them as UTF-8.",
)
@click.option(
    "--daily-budget",
    type=click.FloatRange(min=0, min_open=True),
    metavar="AMOUNT",
    help="Each campaign's daily budget in the Editor import; Editor asks for one before "
    "posting when it is left out.",
)
@config_option
@click.pass_context
def export(
    ctx: click.Context,
    output: Path | None,
    output_format: str | None,
    excel: bool,
    daily_budget: float | None,
    config_path: Path | None,
) -> None:
    """Write the scored keywords to a workbook, a CSV, or a Google Ads Editor import.

    \b
    .xlsx   Summary (segments, a value chart, where volumes came from),
            Keywords (every column, by value, with ad group and max CPC),
            Ad groups, Negatives, Content plan, Assumptions
    .csv    one row per keyword and persona, UTF-8 (--excel adds a BOM)
    editor  campaigns (Paused), ad groups, keywords by match type with max
            CPC and final URL, campaign negatives: one file Editor imports
    jsonl   one JSON object per keyword and persona, for pipes

    Ad groups, match types, bids and negatives follow the [groups] section
    of --config, else ./longtail.toml, over the bundled defaults. Text that a
    spreadsheet would run as a formula is made inert. Files are written
    whole or not at all.

    Examples:

    \b
        longtail export -o keywords.xlsx
        longtail export -o campaigns.csv --format editor --daily-budget 20
        longtail export --format jsonl | jq .keyword
    """
    from longtail.config import load_config
    from longtail.pipeline import export_stage

    config = load_config(config_path)
    store = open_db(ctx)
    with _progress(store.score_count(), output, output_format) as advance:
        result = export_stage(
            store,
            output,
            output_format=output_format,
            excel=excel,
            daily_budget=daily_budget,
            config=config,
            progress=advance,
        )
    if result.path is not None:
        click.echo(_export_report(result))


@contextlib.contextmanager
def _progress(
    rows: int, output: Path | None, output_format: str | None
) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for an export big enough to take more than a moment."""
    if output is None or output_format == "jsonl" or rows < PROGRESS_ROWS:
        yield None
        return
    with click.progressbar(length=rows, label=f"Writing {output}", file=sys.stderr) as bar:
        yield bar.update


@click.command()
@persona_paths
@replay_option
@max_age_option
@rate_option
@click.option(
    "--ideas",
    "with_ideas",
    is_flag=True,
    help="Also widen each persona with Keyword Planner ideas before the volumes.",
)
@click.option(
    "--trends",
    "with_trends",
    is_flag=True,
    help="Also fetch Google Trends (live, paced: minutes) for each persona's top keywords, "
    "for seasonality and rising queries; if Google refuses, the run goes on without.",
)
@config_option
@model_option
@output_option
@click.pass_context
def run(
    ctx: click.Context,
    paths: tuple[Path, ...],
    replay: Path | None,
    max_age: int,
    rate: float,
    with_ideas: bool,
    with_trends: bool,
    config_path: Path | None,
    model: str | None,
    output: Path,
) -> None:
    """Run the whole job: expand, (ideas,) volumes, (trends,) score, export.

    PATHS are persona files or folders of them (default: personas/). Each
    stage stores its results, so after a failure the single commands can
    pick up from where it stopped.

    Example, offline on the recorded sample fixtures:

    \b
        longtail run personas/ --replay fixtures/keyword_planner -o keywords.xlsx
    """
    from longtail.config import load_config
    from longtail.expand import check_modifiers
    from longtail.pipeline import run_all

    # The settings are checked before anything is stored, like the personas.
    config = load_config(config_path)
    check_modifiers(config.modifiers)
    run_all(
        ctx.obj["db_path"],
        paths_or_default(paths),
        replay=replay,
        max_age=timedelta(days=max_age),
        output=output,
        on_stage=lambda result: click.echo(_report(result)),
        rate=rate,
        ideas=with_ideas,
        trends=with_trends,
        config=config,
        model=model,
    )


@click.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="New folder to write the fixtures to.",
)
@click.option(
    "--ideas", "with_ideas", is_flag=True, help="Record keyword ideas for every persona too."
)
@annotations_option
@replay_option
@rate_option
@click.pass_context
def record(
    ctx: click.Context,
    output: Path,
    with_ideas: bool,
    annotations: bool,
    replay: Path | None,
    rate: float,
) -> None:
    """Record Keyword Planner answers as fixtures that --replay can serve.

    Looks up every stored candidate afresh (and, with --ideas, every
    persona's ideas) on the live account, storing the results as `volumes`
    does, and writes each request and answer to a JSON file in the new
    folder OUTPUT. Customer ids and credentials are scrubbed from every
    file. Commit the folder to run your own keywords offline, in tests or
    demos.

    Example:

    \b
        longtail record -o fixtures/my-shop --ideas
        longtail volumes --replay fixtures/my-shop
    """
    from longtail.pipeline import PlannerSession, record_stage

    store = open_db(ctx)
    with PlannerSession(replay, rate, record_to=output) as planner:
        result = record_stage(store, planner, ideas=with_ideas, annotations=annotations)
    if result.ideas is not None:
        click.echo(_ideas_report(result.ideas))
    click.echo(_volumes_report(result.volumes))
    click.echo(f"Recorded {len(result.files)} exchanges in {result.directory}.")


COMMANDS = [expand, ideas, volumes, score, export, run, record]


# ---------------------------------------------------------------- reports


def _report(result: object) -> str:
    """The report of whichever stage produced `result`."""
    import pandas as pd

    from longtail.pipeline import ExpandResult, ExportResult, IdeasResult, TrendsResult
    from longtail.planner.lookup import LookupStats

    if isinstance(result, TrendsResult):
        from longtail.cli.trends import trends_report

        warning = f"Warning: {result.skipped}\n" if result.skipped else ""
        return trends_report(result) + warning
    if isinstance(result, ExpandResult):
        return _expand_report(result)
    if isinstance(result, IdeasResult):
        return _ideas_report(result)
    if isinstance(result, LookupStats):
        return _volumes_report(result)
    if isinstance(result, pd.DataFrame):
        return _score_report(result)
    assert isinstance(result, ExportResult)
    return _export_report(result)


def _expand_report(result: ExpandResult) -> str:
    rows = [
        (
            row["persona_id"],
            row["candidates"],
            row["long_tail"] or 0,
            f"{(row['long_tail'] or 0) / row['candidates']:.0%}" if row["candidates"] else "-",
        )
        for row in result.per_persona
    ]
    lines = [
        table(["persona", "candidates", "long tail", "share"], rows, right=[1, 2, 3]),
        f"Stored {result.candidates:,} candidates for {len(result.personas)} personas.",
        "",
    ]
    if result.expanded:
        lines += [_breakdown(result, "pattern"), "", _breakdown(result, "intent"), ""]
    return "\n".join(lines)


def _breakdown(result: ExpandResult, by: str) -> str:
    """Candidates per persona by pattern or by intent (`-`: not labelled), one column each."""
    from longtail.config import INTENTS
    from longtail.expand import PATTERNS

    def value(candidate: Candidate) -> str:
        found = candidate.pattern if by == "pattern" else candidate.intent
        return found or "-"

    counts = Counter((c.persona_id, value(c)) for c in result.expanded)
    present = {name for _, name in counts}
    order = [*(PATTERNS if by == "pattern" else INTENTS), "-"]
    columns = [name for name in order if name in present]
    columns += sorted(present - set(columns))
    rows = [
        (persona.id, *(counts[(persona.id, name)] for name in columns))
        for persona in result.personas
    ]
    return table([f"by {by}", *columns], rows, right=range(1, len(columns) + 1))


# Source phrases longer than this are cut in the --show listing; --format has them whole.
SHOW_SOURCE_WIDTH = 60

EXPORT_COLUMNS = (
    "keyword",
    "persona_id",
    "source_field",
    "source_phrase",
    "pattern",
    "intent",
    "long_tail",
)


def _candidates_listing(candidates: Sequence[Candidate]) -> str:
    """Every candidate with its provenance, persona by persona."""
    blocks = []
    for persona_id in dict.fromkeys(c.persona_id for c in candidates):
        rows = []
        for c in candidates:
            if c.persona_id != persona_id:
                continue
            source = c.source_phrase
            if len(source) > SHOW_SOURCE_WIDTH:
                source = source[: SHOW_SOURCE_WIDTH - 1].rstrip() + "…"
            via = f" with {c.modifier}" if c.modifier else ""
            rows.append(
                (c.keyword, ", ".join(c.patterns or (c.pattern,)), c.intent,
                 f"{c.source_field}: {source}{via}")
            )  # fmt: skip
        blocks.append(
            f"{persona_id}: {len(rows):,} candidates\n"
            + table(["keyword", "patterns", "intent", "from"], rows)
            + "\n"
        )
    return "\n".join(blocks)


def _export_row(candidate: Candidate) -> dict[str, object]:
    return {
        "keyword": candidate.keyword,
        "persona_id": candidate.persona_id,
        "source_field": candidate.source_field,
        "source_phrase": candidate.source_phrase,
        "pattern": candidate.pattern,
        "intent": candidate.intent,
        "long_tail": candidate.long_tail,
    }


def _candidates_csv(candidates: Sequence[Candidate]) -> str:
    """One row per candidate; an unlabelled intent is empty, long_tail true or false."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for candidate in candidates:
        row = _export_row(candidate)
        row["intent"] = row["intent"] or ""
        row["long_tail"] = "true" if row["long_tail"] else "false"
        writer.writerow(row)
    return out.getvalue()


def _candidates_json(candidates: Sequence[Candidate]) -> str:
    """A JSON array: the CSV's columns, plus every pattern that made each and its modifier."""
    rows = [
        {**_export_row(c), "patterns": list(c.patterns), "modifier": c.modifier} for c in candidates
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def _ideas_report(result: IdeasResult) -> str:
    rows = [
        (r["persona_id"], r["market"], r["seeds"], r["ideas"], r["kept"], r["brand"])
        for r in result.per_persona
    ]
    noun = "request" if result.requests == 1 else "requests"
    kept = sum(r["kept"] for r in result.per_persona)
    return "\n".join(
        [
            table(
                ["persona", "market", "seeds", "ideas", "kept", "brand"], rows, right=[2, 3, 4, 5]
            ),
            f"Ideas: {result.requests} {noun}; stored {kept:,} ideas as candidates.",
            "",
        ]
    )


def _volumes_report(stats: LookupStats) -> str:
    return f"Volumes: {stats.line()}.\n"


def _score_report(scored: pd.DataFrame) -> str:
    import pandas as pd

    columns = [
        "rank",
        "keyword",
        "persona_id",
        "avg_monthly_searches",
        "value",
        "expected_customers",
        "expected_monthly_value",
        "break_even_cpc",
    ]
    top = scored[columns].head(TOP_ROWS).astype(object)
    top = top.where(pd.notna(top), None)
    rows = list(top.itertuples(index=False, name=None))
    with_value = int(scored["value"].notna().sum())
    flagged = int(
        scored["bid_check"].isin(["low bid above break-even", "high bid above break-even"]).sum()
    )
    return "\n".join(
        [
            table(
                [
                    "rank",
                    "keyword",
                    "persona",
                    "searches/mo",
                    "value",
                    "customers/mo",
                    "monthly value",
                    "break-even CPC",
                ],
                rows,
                right=[0, 3, 4, 5, 6, 7],
            ),
            f"Scored {len(scored):,} keyword–persona pairs; {with_value:,} have volume data; "
            f"{flagged:,} have a top-of-page bid above their break-even CPC (see bid_check).",
            "",
        ]
    )


def _explanation(explanation: Explanation) -> str:
    rows = [(what, figure, how) for what, figure, how in explanation.lines]
    return "\n".join(
        [
            f"{explanation.keyword!r} for {explanation.persona_id} ({explanation.persona_name}):",
            table(["", "figure", "how"], rows, right=[1]),
            "",
        ]
    )


def _export_report(result: ExportResult) -> str:
    sources = "; ".join(text for label, text in result.about if label == "Volumes")
    what = {"editor": "a Google Ads Editor import of ", "jsonl": "JSON lines of "}.get(
        result.output_format, ""
    )
    contents = f"\nIt holds {', '.join(result.contents)}." if result.contents else ""
    return (
        f"Wrote {result.path}: {what}{result.keywords:,} keywords for {result.segments} "
        f"segments.{contents}\nVolumes: {sources}"
    )
