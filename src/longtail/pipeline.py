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

    path: Path
    keywords: int
    segments: int
    about: list[tuple[str, str]]


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


def export_stage(store: Store, path: Path) -> ExportResult:
    """Write the stored scores to `path` (.xlsx or .csv)."""
    from longtail.export import write_export
    from longtail.score import segment_summary

    keywords = store.scored_keywords()
    if keywords.empty:
        raise InputError("nothing scored yet; run `longtail score` (or `longtail run`) first")
    # Beside each segment, where it would rather be reached: a segment with
    # little search demand says so through its channels.
    summary = segment_summary(keywords, store.persona_channels(), _min_search_share(store))
    about = about_lines(store)
    formulas = store.persona_clv_formulas()
    clv_rows = [
        (
            f"segment CLV, {row.persona_id}",
            f"{row.segment_clv:,.2f} {row.currency}",
            formulas.get(str(row.persona_id), ""),
        )
        for row in summary.itertuples()
    ]
    write_export(path, keywords, summary, about, [*store.assumptions(), *clv_rows])
    return ExportResult(path, len(keywords), len(summary), about)


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
    config: Config | None = None,
    model: str | None = None,
) -> None:
    """Every stage in order, recorded as one run; `on_stage` gets each stage's result.

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
            },
        )
        status = "failed"
        try:
            with PlannerSession(replay, rate) as planner:
                on_stage(expand_stage(store, loaded, config=config, model=model))
                if ideas:
                    on_stage(ideas_stage(store, planner, config=config))
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
