"""The stages of a keyword research run, each reading and writing the store.

`longtail run` calls these in order; each command calls one of them. Heavy
libraries (spaCy, google-ads, pandas) are imported inside the stage that
needs them, so the CLI stays quick to start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from longtail import __version__
from longtail.clv import ClvEstimate, estimate_clv
from longtail.errors import InputError
from longtail.personas import Persona, load_personas
from longtail.planner.service import DEFAULT_RATE
from longtail.store import Store, brand_of

if TYPE_CHECKING:
    import pandas as pd
    from google.ads.googleads.client import GoogleAdsClient

    from longtail.config import Config
    from longtail.expand import Candidate
    from longtail.forecast import Forecast
    from longtail.planner.lookup import LookupPlan, LookupStats
    from longtail.planner.record import Recorder
    from longtail.planner.service import PlanningService
    from longtail.trends import KeywordTrend, RelatedQueries, TrendsFetcher

LIVE_SOURCE = "Google Ads Keyword Planner (live account)"
REPLAY_PREFIX = "replay"


@dataclass(frozen=True)
class ExpandResult:
    """What the expansion stored."""

    personas: list[Persona]
    candidates: int
    per_persona: list[dict[str, Any]]
    # The candidates as stored, with their unstored details (every pattern, modifier).
    expanded: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class ExportResult:
    """What the export wrote."""

    path: Path | None  # None: standard output
    keywords: int
    segments: int
    about: list[tuple[str, str]]
    output_format: str = "xlsx"
    # What else the file holds, in words: "34 ad groups", "208 negatives".
    contents: tuple[str, ...] = ()


@dataclass(frozen=True)
class CampaignPlan:
    """The scored keywords set up for PPC: groups, keyword rows, negatives, campaigns, content."""

    keywords: pd.DataFrame  # the scored keywords with ad_group and max_cpc
    keyword_rows: pd.DataFrame  # one per keyword and match type
    ad_groups: pd.DataFrame
    negatives: pd.DataFrame  # applied ones
    negatives_sheet: pd.DataFrame  # applied and left out, with why
    campaigns: pd.DataFrame
    content_plan: pd.DataFrame


def load_stage(paths: Sequence[Path]) -> list[tuple[Persona, ClvEstimate]]:
    """Validate every persona file and estimate each segment's CLV; writes nothing."""
    return [(persona, estimate_clv(persona.clv)) for persona in load_personas(paths)]


def expand_stage(
    store: Store,
    loaded: Sequence[tuple[Persona, ClvEstimate]],
    config: Config | None = None,
    model: str | None = None,
) -> ExpandResult:
    """Store validated personas with their candidate keywords, in one transaction.

    Callers validate first (`load_stage`), so invalid persona files leave the
    database untouched. `config` defaults to load_config(); `model` overrides
    its expansion.model.
    """
    from longtail.config import load_config
    from longtail.expand import expand_personas, load_nlp

    settings = config if config is not None else load_config()
    nlp = load_nlp(model or settings.expansion.model or None)
    personas = [persona for persona, _ in loaded]
    candidates = label_intents(expand_personas(personas, nlp, settings), personas, settings)
    with store.transaction():
        store.save_personas(loaded)
        written = store.replace_candidates([p.id for p in personas], candidates)
    ids = {p.id for p in personas}
    summary = [row for row in store.candidate_summary() if row["persona_id"] in ids]
    return ExpandResult(personas, written, summary, tuple(candidates))


def label_intents(
    candidates: Sequence[Candidate], personas: Sequence[Persona], config: Config
) -> list[Candidate]:
    """Each candidate with its search intent, judged with its persona's brands."""
    from dataclasses import replace

    from longtail.intent import IntentClassifier

    classifiers = {
        p.id: IntentClassifier(config.modifiers, brands=[*p.brands, *config.modifiers.navigational])
        for p in personas
    }
    return [replace(c, intent=classifiers[c.persona_id].classify(c.keyword)) for c in candidates]


class PlannerSession:
    """Where volumes come from for one command: a live account, or recorded fixtures.

    `connect` builds the PlanningService the first time it is called, paced
    at `rate` requests per second per customer; leaving the `with` block
    closes it. With fixtures, the replay server starts in a child process as
    soon as the session opens and is only waited for at `connect`, so it
    loads while personas expand.
    """

    def __init__(
        self, replay: Path | None, rate: float = DEFAULT_RATE, record_to: Path | None = None
    ) -> None:
        self.replay = replay
        self.rate = rate
        # With record_to, every exchange is also written there as a fixture.
        self.record_to = record_to
        self.recorder: Recorder | None = None
        self._server: Any = None
        self._live: tuple[GoogleAdsClient, str] | None = None
        self._connection: tuple[PlanningService, str] | None = None

    def __enter__(self) -> PlannerSession:
        if self.replay is None:
            from longtail.planner.client import live_client

            # Credentials are checked at once: a missing google-ads.yaml should
            # be reported before minutes of work, not after.
            self._live = live_client()
        else:
            from longtail.planner.replay import ReplayProcess

            self._server = ReplayProcess(self.replay).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection[0].close()
        if self._server is not None:
            self._server.stop()

    def connect(self) -> tuple[PlanningService, str]:
        """The PlanningService every request goes through, and the label of the volumes' source."""
        if self._connection is None:
            from longtail.planner.service import Pacer, PlanningService

            if self._live is not None:
                client, customer_id = self._live
                source = LIVE_SOURCE
            else:
                from longtail.planner.client import REPLAY_CUSTOMER_ID, replay_client

                assert self.replay is not None and self._server is not None, "not entered"
                client = replay_client(self._server.endpoint)
                customer_id = REPLAY_CUSTOMER_ID
                source = replay_source(self.replay, self._server.label)
            if self.record_to is not None:
                from longtail.planner.failures import client_secrets
                from longtail.planner.record import Recorder

                self.recorder = Recorder(self.record_to, customer_id, client_secrets(client))
            service = PlanningService(
                client, customer_id, pacer=Pacer(self.rate), recorder=self.recorder
            )
            self._connection = (service, source)
        return self._connection


@dataclass(frozen=True)
class IdeasResult:
    """What the Keyword Planner ideas stage found and kept, per persona."""

    per_persona: list[dict[str, Any]]
    requests: int


# Ideas kept per persona: Google returns thousands for a handful of seeds, and
# every kept idea costs a share of the volume lookup and of the export.
DEFAULT_IDEAS_PER_PERSONA = 100


def ideas_stage(
    store: Store,
    planner: PlannerSession,
    *,
    annotations: bool = False,
    limit: int = DEFAULT_IDEAS_PER_PERSONA,
    geo: Sequence[str] | None = None,
    language: str | None = None,
    network: str | None = None,
    config: Config | None = None,
) -> IdeasResult:
    """Widen each stored persona's products with Keyword Planner ideas; keep the top `limit`.

    Ideas are asked for in the persona's market unless `geo`, `language` or
    `network` say otherwise (to borrow ideas from another market); the ideas
    are stored as the persona's candidates, with the metrics Google sent, in
    the market they were asked in. The most searched ideas are kept first.
    """
    from longtail.config import load_config
    from longtail.expand import filter_keywords, load_nlp
    from longtail.intent import IntentClassifier
    from longtail.planner.ideas import fetch_keyword_ideas
    from longtail.store import Market

    settings = config if config is not None else load_config()
    nlp = load_nlp(settings.expansion.model or None)

    seeds = store.seeds()
    if not seeds:
        raise InputError("no personas in the database yet; run `longtail expand` first")
    service, source = planner.connect()
    before = service.requests
    rows = []
    for persona_id, products in seeds.items():
        market = store.persona_market(persona_id)
        assert market is not None  # seeds() lists stored personas only
        asked = Market(
            ",".join(sorted(code.upper() for code in geo)) if geo else market.geo,
            language or market.language,
            network or market.network,
        )
        ideas = fetch_keyword_ideas(
            service,
            products,
            geo=asked.geo_codes,
            language=asked.language,
            network=asked.network,
            annotations=annotations,
        )
        # Ideas obey the same rules as generated candidates (length, edges, a noun).
        accepted = set(filter_keywords([idea.keyword for idea in ideas], nlp, settings.expansion))
        ideas = [idea for idea in ideas if idea.keyword in accepted]
        # Most searched first; a stable sort keeps Google's order among equals.
        ranked = sorted(
            ideas, key=lambda idea: idea.metrics.avg_monthly_searches or 0, reverse=True
        )
        kept = ranked[:limit]
        classifier = IntentClassifier(
            settings.modifiers,
            brands=[*store.persona_brands(persona_id), *settings.modifiers.navigational],
        )
        intents = {idea.keyword: classifier.classify(idea.keyword) for idea in kept}
        store.save_ideas(persona_id, asked, kept, source, intents)
        rows.append(
            {
                "persona_id": persona_id,
                "market": f"{asked.geo}/{asked.language}",
                "seeds": len(products),
                "ideas": len(ideas),
                "kept": len(kept),
                "brand": sum(
                    1 for idea in kept if brand_of(idea.concepts) in {"BRAND", "OTHER_BRANDS"}
                ),
            }
        )
    return IdeasResult(rows, service.requests - before)


@dataclass(frozen=True)
class RecordResult:
    """What `longtail record` wrote."""

    directory: Path
    files: list[Path]
    ideas: IdeasResult | None
    volumes: LookupStats


def record_stage(
    store: Store, planner: PlannerSession, *, ideas: bool, annotations: bool = False
) -> RecordResult:
    """Look everything up afresh through `planner` (made with `record_to`), recording each exchange.

    Nothing is served from the cache: a recording must hold the answers for
    every stored candidate.
    """
    assert planner.record_to is not None, "PlannerSession(record_to=...) records"
    found = ideas_stage(store, planner, annotations=annotations) if ideas else None
    stats = volumes_stage(store, planner, max_age=timedelta(0))
    assert planner.recorder is not None
    return RecordResult(planner.record_to, list(planner.recorder.files), found, stats)


def replay_source(fixtures_dir: Path, label: str) -> str:
    """The source label of volumes replayed from `fixtures_dir` (its manifest's `label`)."""
    return f"{REPLAY_PREFIX} of {fixtures_dir}: {label}"


def volumes_stage(
    store: Store, planner: PlannerSession, max_age: timedelta | None = None
) -> LookupStats:
    """Look up volumes for every stored candidate that has none fresh enough."""
    from longtail.planner.lookup import DEFAULT_MAX_AGE, lookup_volumes

    if store.candidate_count() == 0:
        raise InputError("no candidate keywords in the database yet; run `longtail expand` first")
    service, source = planner.connect()
    return lookup_volumes(
        store, service, source=source, max_age=DEFAULT_MAX_AGE if max_age is None else max_age
    )


def plan_volumes_stage(
    store: Store,
    replay: Path | None,
    max_age: timedelta | None = None,
    rate: float = DEFAULT_RATE,
) -> LookupPlan:
    """What `volumes_stage` would send, without sending anything (`longtail volumes --dry-run`).

    Neither credentials nor a replay server are touched: which cached volumes
    count depends only on the source label, which for a replay is the label
    in the fixtures' manifest.json.
    """
    from longtail.planner.lookup import DEFAULT_MAX_AGE, plan_lookup

    if replay is None:
        source = LIVE_SOURCE
    else:
        from longtail.planner.replay import fixture_label

        source = replay_source(replay, fixture_label(replay))
    if store.candidate_count() == 0:
        raise InputError("no candidate keywords in the database yet; run `longtail expand` first")
    return plan_lookup(
        store,
        source=source,
        max_age=DEFAULT_MAX_AGE if max_age is None else max_age,
        rate=rate,
    )


def score_stage(store: Store, config: Config | None = None) -> pd.DataFrame:
    """Score every (keyword, persona) pair with the config's economics; store them and it."""
    from longtail.config import load_config
    from longtail.score import assumptions, score_keywords

    settings = config if config is not None else load_config()
    inputs = store.scoring_inputs()
    if inputs.empty:
        raise InputError("no candidate keywords in the database yet; run `longtail expand` first")
    rates = store.persona_conversion_rates()
    scored = score_keywords(inputs, settings.economics, rates)
    store.save_scores(scored, assumptions(settings.economics, rates, settings.source))
    return scored


@dataclass(frozen=True)
class Explanation:
    """How one keyword's figures for one persona follow from their inputs."""

    keyword: str
    persona_id: str
    persona_name: str
    lines: list[tuple[str, str, str]]


def explain_stage(
    store: Store, scored: pd.DataFrame, keyword: str, config: Config | None = None
) -> list[Explanation]:
    """Explain `keyword`'s figures for every persona that has it; unknown keywords are an error."""
    import difflib

    from longtail.config import load_config
    from longtail.score import explain
    from longtail.text import normalise_keyword

    settings = config if config is not None else load_config()
    wanted = normalise_keyword(keyword)
    rows = scored[scored["keyword"] == wanted]
    if rows.empty:
        known = scored["keyword"].dropna().unique().tolist()
        close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.6)
        hint = (
            f"did you mean {', '.join(repr(c) for c in close)}?"
            if close
            else "`longtail score` lists the top keywords; `longtail export` writes them all"
        )
        raise InputError(f"{keyword!r} is not among the scored keywords; {hint}")
    rates = store.persona_conversion_rates()
    formulas = store.persona_clv_formulas()
    return [
        Explanation(
            str(row["keyword"]),
            str(row["persona_id"]),
            str(row["persona_name"]),
            explain(row, settings.economics, rates, formulas.get(str(row["persona_id"]))),
        )
        for row in ({str(k): v for k, v in r.items()} for r in rows.to_dict("records"))
    ]


def forecast_stage(
    store: Store,
    budget: float,
    config: Config | None = None,
    *,
    months: int = 12,
    currency: str | None = None,
    first_month: date | None = None,
) -> Forecast:
    """Spread a monthly budget over the stored scores, from `first_month` (next month)."""
    from longtail.config import load_config
    from longtail.forecast import allocate_budget
    from longtail.score import next_month

    settings = config if config is not None else load_config()
    scored = store.scored_keywords(with_monthly=True)
    if scored.empty:
        raise InputError("nothing scored yet; run `longtail score` (or `longtail run`) first")
    return allocate_budget(
        scored,
        budget,
        settings.economics,
        first_month or next_month(datetime.now(UTC).date()),
        months=months,
        currency=currency,
    )


def plan_campaigns(
    store: Store, keywords: pd.DataFrame, config: Config | None = None
) -> CampaignPlan:
    """Group the scored keywords into campaigns and ad groups, with bids and negatives."""
    import pandas as pd

    from longtail import groups
    from longtail.config import load_config
    from longtail.expand import load_nlp

    settings = config if config is not None else load_config()
    wanted = set(keywords["persona_id"].dropna())
    personas = [
        groups.CampaignPersona.of(Persona.model_validate_json(row["definition"]))
        for row in store.personas()
        if row["id"] in wanted
    ]
    nlp = load_nlp(settings.expansion.model or None)
    grouped = groups.group_keywords(keywords, nlp, settings.groups, settings.modifiers)
    grouped["max_cpc"] = groups.max_cpc(grouped, settings.groups)
    placed = grouped[["persona_id", "keyword", "ad_group", "max_cpc"]]
    # Back in the scores' order (value first), with each keyword's ad group and bid.
    with_groups = keywords.merge(placed, on=["persona_id", "keyword"], how="left")
    found = groups.negatives(grouped, personas, settings.groups)
    applied = found.negatives.assign(status="applied")
    left_out = (
        found.conflicts.groupby(["campaign", "negative", "match_type", "source"], sort=False)
        .agg(blocked=("keyword", "size"), example=("keyword", "first"))
        .reset_index()
    )
    left_out["status"] = [
        f"left out: it would block {n} of the campaign's keywords, e.g. {example!r}"
        for n, example in zip(left_out["blocked"], left_out["example"], strict=True)
    ]
    sheet = pd.concat(
        [applied, left_out.rename(columns={"negative": "keyword"})[applied.columns]],
        ignore_index=True,
    )
    return CampaignPlan(
        keywords=with_groups,
        keyword_rows=groups.keyword_rows(grouped, personas, settings.groups),
        ad_groups=groups.ad_groups(grouped, personas, settings.groups),
        negatives=found.negatives,
        negatives_sheet=sheet,
        campaigns=groups.campaigns(personas, settings.groups),
        content_plan=groups.content_plan(grouped, nlp, settings.modifiers),
    )


def export_stage(
    store: Store,
    path: Path | None,
    *,
    output_format: str | None = None,
    excel: bool = False,
    daily_budget: float | None = None,
    config: Config | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the stored scores as `output_format` (default: by the extension of `path`).

    xlsx: the workbook (Summary with a chart, Keywords, Ad groups, Negatives,
    Content plan, Assumptions); csv: one row per keyword and persona (`excel`
    adds a BOM so Excel reads UTF-8); editor: the Google Ads Editor import;
    jsonl: one JSON object per keyword and persona, to `path` or standard output.
    `progress` is called with the rows written as they are.
    """
    from longtail.config import load_config
    from longtail.export import (
        export_format,
        write_csv,
        write_editor_csv,
        write_jsonl,
        write_workbook,
    )
    from longtail.groups import editor_rows
    from longtail.score import segment_summary

    chosen = export_format(path, output_format)
    settings = config if config is not None else load_config()
    keywords = store.scored_keywords()
    if keywords.empty:
        raise InputError("nothing scored yet; run `longtail score` (or `longtail run`) first")
    # Beside each segment, where it would rather be reached: a segment with
    # little search demand says so through its channels.
    summary = segment_summary(keywords, store.persona_channels(), _min_search_share(store))
    about = about_lines(store)
    if chosen == "jsonl":
        write_jsonl(path, keywords)
        return ExportResult(path, len(keywords), len(summary), about, chosen)
    assert path is not None  # export_format requires it for the file formats
    if chosen == "csv":
        write_csv(path, keywords, bom=excel, progress=progress)
        return ExportResult(path, len(keywords), len(summary), about, chosen)
    plan = plan_campaigns(store, keywords, settings)
    if chosen == "editor":
        rows = editor_rows(plan.campaigns, plan.keyword_rows, plan.negatives, daily_budget)
        write_editor_csv(path, rows, bom=excel)
        return ExportResult(path, len(keywords), len(summary), about, chosen, _plan_contents(plan))
    formulas = store.persona_clv_formulas()
    clv_rows = [
        (
            f"segment CLV, {row.persona_id}",
            f"{row.segment_clv:,.2f} {row.currency}",
            formulas.get(str(row.persona_id), ""),
        )
        for row in summary.itertuples()
    ]
    write_workbook(
        path,
        plan.keywords,
        summary,
        about,
        [*store.assumptions(), *clv_rows, *_grouping_assumptions(settings)],
        sheets=[
            ("Ad groups", plan.ad_groups),
            ("Negatives", plan.negatives_sheet),
            ("Content plan", plan.content_plan),
        ],
        progress=progress,
    )
    return ExportResult(path, len(keywords), len(summary), about, chosen, _plan_contents(plan))


def _plan_contents(plan: CampaignPlan, workbook: bool = True) -> tuple[str, ...]:
    contents = (
        f"{len(plan.campaigns):,} campaigns",
        f"{len(plan.ad_groups):,} ad groups",
        f"{len(plan.keyword_rows):,} keyword rows",
        f"{len(plan.negatives):,} negatives",
    )
    # The content plan is a sheet of the workbook; Editor has no use for it.
    return (*contents, f"{len(plan.content_plan):,} article topics") if workbook else contents


def _grouping_assumptions(settings: Config) -> list[tuple[str, str, str]]:
    """The [groups] settings the campaign setup used, for the Assumptions sheet."""
    from longtail.config import source_label

    groups = settings.groups
    source = source_label(settings.source)
    return [
        ("max CPC", f"break-even CPC × {groups.cpc_fraction:g}, at most the high bid", source),
        ("match types", ", ".join(groups.match_types), source),
        ("keywords per ad group, at most", str(groups.max_keywords_per_group), source),
        ("negatives", f"{groups.negative_match_type} match, campaign level", source),
        ("ad intents", ", ".join(groups.ad_intents), source),
    ]


def run_all(
    store_path: str | Path,
    paths: Sequence[Path],
    *,
    replay: Path | None,
    max_age: timedelta | None,
    output: Path,
    on_stage: Callable[[object], None],
    rate: float = DEFAULT_RATE,
    ideas: bool = False,
    trends: bool = False,
    config: Config | None = None,
    model: str | None = None,
    trends_fetcher: TrendsFetcher | None = None,
) -> None:
    """Every stage in order, recorded as one run; `on_stage` gets each stage's result.

    With `trends`, Google Trends comes after the volumes (its top keywords are
    the most searched) through `trends_fetcher` (a paced TrendsFetcher by
    default); rising queries it adds are looked up before scoring.

    The personas are validated before the database is even opened, so a bad
    file changes nothing, not even the record of runs.
    """
    from longtail.store import open_store

    loaded = load_stage(paths)
    store = open_store(store_path)
    try:
        run_id = store.start_run(
            "run",
            {
                "paths": [str(p) for p in paths],
                "output": str(output),
                "replay": str(replay) if replay else None,
                "rate": rate,
                "ideas": ideas,
                "trends": trends,
            },
        )
        status = "failed"
        try:
            with PlannerSession(replay, rate) as planner:
                on_stage(expand_stage(store, loaded, config=config, model=model))
                if ideas:
                    on_stage(ideas_stage(store, planner, config=config))
                on_stage(volumes_stage(store, planner, max_age))
                if trends:
                    from longtail.trends import TrendsFetcher

                    found = trends_stage(store, trends_fetcher or TrendsFetcher())
                    on_stage(found)
                    if found.rising_added:
                        on_stage(volumes_stage(store, planner, max_age))
            on_stage(score_stage(store, config))
            on_stage(export_stage(store, output))
            status = "finished"
        finally:
            store.finish_run(run_id, status, {"output": str(output)})
    finally:
        store.close()


def _min_search_share(store: Store) -> float | None:
    """The min_search_share the stored scores were made with, if recorded."""
    from longtail.score import MIN_SEARCH_SHARE

    for assumption, value, _ in store.assumptions():
        if assumption == MIN_SEARCH_SHARE:
            return float(value)
    return None


def about_lines(store: Store) -> list[tuple[str, str]]:
    """What the export says about itself: where volumes came from, when, by what."""
    sources = store.volume_sources()
    lines = [("Value", "avg monthly searches × segment CLV (customer lifetime value)")]
    if not sources:
        lines.append(("Volumes", "none looked up yet: run `longtail volumes`"))
    for source in sources:
        when = _day(source["first_fetched"])
        last = _day(source["last_fetched"])
        span = when if when == last else f"{when} to {last}"
        lines.append(
            ("Volumes", f"{source['source']} ({source['keywords']:,} keywords, fetched {span})")
        )
    lines.append(("Generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")))
    lines.append(("longtail", __version__))
    return lines


def _day(timestamp: str) -> str:
    return timestamp[:10]


# ---------------------------------------------------------------- trends

# Top keywords compared per persona: each four more cost one explore and one
# interest request, at Trends' slow pace.
DEFAULT_TRENDS_TOP = 5
# Trends' weekly figures move little in a month; older results are asked again.
DEFAULT_TRENDS_MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class TrendsResult:
    """What the Trends stage asked, found and stored."""

    # Every top keyword's trend, asked now or served from cache, by geo.
    trends: list[KeywordTrend]
    # Keyword Planner volume of each top keyword, by (keyword, Trends geo).
    volumes: dict[tuple[str, str], int | None]
    keywords_asked: int
    from_cache: int
    products_asked: int
    products_from_cache: int
    # Rising queries stored as new candidates (source trends-rising).
    rising_added: int
    requests: int
    retries: int
    seconds_waited: float
    # The one warning when Google refused: what was skipped, how to retry.
    skipped: str | None = None

    @property
    def without_data(self) -> int:
        """Top keywords Trends has nothing usable for."""
        from longtail.trends import OK

        return sum(1 for trend in self.trends if trend.status != OK)


def trends_stage(
    store: Store,
    fetcher: TrendsFetcher,
    *,
    top: int = DEFAULT_TRENDS_TOP,
    max_age: timedelta = DEFAULT_TRENDS_MAX_AGE,
    rising: bool = True,
    config: Config | None = None,
) -> TrendsResult:
    """Google Trends for each persona's `top` keywords, and rising queries for its products.

    Keywords are compared in their persona's Trends geo (`trends_geo`), all
    personas of one geo together, so every keyword of a geo is on one scale:
    that of the geo's most searched top keyword, the anchor of every batch.
    Each batch is stored as it arrives; results fresher than `max_age` are
    not asked again. Rising queries become candidates of the persona
    (source trends-rising, filtered by the expansion's rules, intent
    labelled) when they are not candidates already.

    When Google keeps refusing (TrendsUnavailable), the stage stops asking,
    keeps what it stored, and says in `skipped` what it left out and how to
    retry; it does not raise.
    """
    from longtail.errors import TrendsUnavailable
    from longtail.text import normalise_keyword
    from longtail.trends import OK, choose_anchor, compare_keywords, series_of, trends_geo

    if top < 1:
        raise InputError(f"--top must be 1 or more, not {top}")
    personas = sorted(store.persona_ids())
    if not personas:
        raise InputError("no personas in the database yet; run `longtail expand` first")
    geos = {}
    for persona_id in personas:
        market = store.persona_market(persona_id)
        assert market is not None  # persona_ids() lists stored personas
        geos[persona_id] = trends_geo(market.geo_codes)
    volumes: dict[str, dict[str, int | None]] = {}
    for persona_id, ranked in store.top_keywords(top).items():
        for keyword, searches in ranked:
            volumes.setdefault(geos[persona_id], {})[keyword] = searches
    if not volumes and not rising:
        raise InputError(
            "no keyword has a search volume yet, so there are no top keywords to compare; "
            "run `longtail volumes` first"
        )
    # Products as Trends is asked for them, with the personas whose seeds they are.
    seeds: dict[tuple[str, str], list[tuple[str, str]]] = {}
    if rising:
        for persona_id, products in store.seeds().items():
            for product in products:
                seed = normalise_keyword(product)
                if seed:
                    seeds.setdefault((seed, geos[persona_id]), []).append((persona_id, product))

    trends: dict[tuple[str, str], KeywordTrend] = {}
    pending: dict[str, list[str]] = {}
    for geo, by_keyword in volumes.items():
        keywords = sorted(by_keyword, key=lambda k: (-(by_keyword[k] or 0), k))
        fresh = store.fresh_trends(geo, keywords, max_age)
        trends.update(((k, geo), fresh[k]) for k in keywords if k in fresh)
        pending[geo] = [k for k in keywords if k not in fresh]
    from_cache = len(trends)
    related: dict[tuple[str, str], RelatedQueries] = {}
    for seed, geo in seeds:
        cached = store.fresh_related(geo, [seed], max_age).get(seed)
        if cached is not None:
            related[(seed, geo)] = cached
    products_from_cache = len(related)
    skipped = None
    try:
        for geo, keywords in pending.items():
            if not keywords:
                continue
            by_keyword = volumes[geo]
            # Chosen among all the geo's top keywords, not only those asked,
            # so a rerun keeps the anchor and the scale of the stored rows.
            anchor = choose_anchor(sorted(by_keyword), by_keyword)
            stored = trends.get((anchor, geo))
            reference = series_of(stored) if stored is not None and stored.status == OK else None
            for batch in compare_keywords(fetcher, list(keywords), anchor, geo, reference):
                store.save_trends(batch)
                for trend in batch:
                    trends[(trend.keyword, geo)] = trend
                    keywords.remove(trend.keyword)
        for seed, geo in seeds:
            if (seed, geo) not in related:
                found = fetcher.related_queries(seed, geo)
                store.save_related(found)
                related[(seed, geo)] = found
    except TrendsUnavailable as error:
        skipped = _trends_skipped(
            str(error),
            {geo: len(keywords) for geo, keywords in pending.items() if keywords},
            len(seeds) - len(related),
        )

    added = _add_rising(store, seeds, related, config) if rising else 0
    ordered = sorted(
        trends.values(), key=lambda t: (t.geo, -(volumes[t.geo].get(t.keyword) or 0), t.keyword)
    )
    return TrendsResult(
        trends=ordered,
        volumes={(k, geo): v for geo, by_keyword in volumes.items() for k, v in by_keyword.items()},
        keywords_asked=len(trends) - from_cache,
        from_cache=from_cache,
        products_asked=len(related) - products_from_cache,
        products_from_cache=products_from_cache,
        rising_added=added,
        requests=fetcher.requests,
        retries=fetcher.retries,
        seconds_waited=fetcher.waited,
        skipped=skipped,
    )


def _add_rising(
    store: Store,
    seeds: dict[tuple[str, str], list[tuple[str, str]]],
    related: dict[tuple[str, str], RelatedQueries],
    config: Config | None,
) -> int:
    """Store the rising queries of each persona's products as its candidates; returns how many.

    Queries already among the persona's candidates keep their own
    provenance. The rest obey the expansion's rules like Keyword Planner
    ideas do, and are labelled with their intent.
    """
    from longtail.config import load_config
    from longtail.expand import Candidate, filter_keywords, load_nlp
    from longtail.intent import IntentClassifier
    from longtail.store import TRENDS_SOURCE
    from longtail.text import normalise_keyword

    # The product each persona's new query came from, first product first.
    wanted: dict[str, dict[str, str]] = {}
    for (seed, geo), askers in seeds.items():
        found = related.get((seed, geo))
        if found is None:
            continue
        for persona_id, product in askers:
            for query, _ in found.rising:
                keyword = normalise_keyword(query)
                if keyword:
                    wanted.setdefault(persona_id, {}).setdefault(keyword, product)
    known = {persona_id: store.candidate_keywords(persona_id) for persona_id in wanted}
    for persona_id, queries in wanted.items():
        for keyword in [k for k in queries if k in known[persona_id]]:
            del queries[keyword]
    # spaCy loads only when some query is new.
    if not any(wanted.values()):
        return 0
    settings = config if config is not None else load_config()
    nlp = load_nlp(settings.expansion.model or None)
    candidates = []
    for persona_id, queries in wanted.items():
        if not queries:
            continue
        classifier = IntentClassifier(
            settings.modifiers,
            brands=[*store.persona_brands(persona_id), *settings.modifiers.navigational],
        )
        # `in queries`: only the queries asked for, as asked, even should
        # the rules ever give one back spelt otherwise.
        candidates += [
            Candidate(
                keyword,
                persona_id,
                "seed",
                queries[keyword],
                TRENDS_SOURCE,
                classifier.classify(keyword),
            )
            for keyword in filter_keywords(list(queries), nlp, settings.expansion)
            if keyword in queries
        ]
    return store.add_candidates(candidates, TRENDS_SOURCE)


def _trends_skipped(reason: str, keywords: dict[str, int], products: int) -> str:
    """The one warning line when Google refused: what was left out, and how to retry."""
    from longtail.trends import geo_label

    parts = [
        f"interest over time for {count:,} keyword{'s' if count != 1 else ''} in {geo_label(geo)}"
        for geo, count in keywords.items()
    ]
    if products:
        parts.append(f"rising queries for {products:,} product{'s' if products != 1 else ''}")
    left_out = " and ".join(parts) if parts else "nothing"
    return (
        f"{reason}; skipped {left_out}. What was fetched is stored: run `longtail trends` "
        "again later and it asks only for what is missing (a lower --rate helps)."
    )
