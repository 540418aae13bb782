"""The stages of a keyword research run, each reading and writing the store.

`longtail run` calls these in order; each command calls one of them. Heavy
libraries (spaCy, google-ads, pandas) are imported inside the stage that
needs them, so the CLI stays quick to start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from longtail import __version__
from longtail.clv import ClvEstimate, estimate_clv
from longtail.errors import InputError
from longtail.personas import Persona, load_personas
from longtail.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from longtail.planner.lookup import LookupStats

LIVE_SOURCE = "Google Ads Keyword Planner (live account)"
REPLAY_PREFIX = "replay"


@dataclass(frozen=True)
class ExpandResult:
    """What the expansion stored."""

    personas: list[Persona]
    candidates: int
    per_persona: list[dict[str, Any]]


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


def expand_stage(store: Store, loaded: Sequence[tuple[Persona, ClvEstimate]]) -> ExpandResult:
    """Store validated personas with their candidate keywords, in one transaction.

    Callers validate first (`load_stage`), so invalid persona files leave the
    database untouched.
    """
    from longtail.expand import expand_personas

    personas = [persona for persona, _ in loaded]
    candidates = expand_personas(personas)
    with store.transaction():
        store.save_personas(loaded)
        written = store.replace_candidates([p.id for p in personas], candidates)
    ids = {p.id for p in personas}
    summary = [row for row in store.candidate_summary() if row["persona_id"] in ids]
    return ExpandResult(personas, written, summary)


class PlannerSession:
    """Where volumes come from for one command: a live account, or recorded fixtures.

    `connect` builds the client the first time it is called. With fixtures,
    the replay server starts in a child process as soon as the session opens
    and is only waited for at `connect`, so it loads while personas expand.
    """

    def __init__(self, replay: Path | None) -> None:
        self.replay = replay
        self._server: Any = None
        self._connection: tuple[Any, str, str] | None = None

    def __enter__(self) -> PlannerSession:
        if self.replay is None:
            from longtail.planner.client import live_client

            # Credentials are checked at once: a missing google-ads.yaml should
            # be reported before minutes of work, not after.
            client, customer_id = live_client()
            self._connection = (client, customer_id, LIVE_SOURCE)
        else:
            from longtail.planner.replay import ReplayProcess

            self._server = ReplayProcess(self.replay).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.stop()

    def connect(self) -> tuple[Any, str, str]:
        """The client, the customer id to plan for, and the label of the volumes' source."""
        if self._connection is None:
            from longtail.planner.client import REPLAY_CUSTOMER_ID, replay_client

            client = replay_client(self._server.endpoint)
            source = f"{REPLAY_PREFIX} of {self.replay}: {self._server.label}"
            self._connection = (client, REPLAY_CUSTOMER_ID, source)
        return self._connection


def volumes_stage(
    store: Store, planner: PlannerSession, max_age: timedelta | None = None
) -> LookupStats:
    """Look up volumes for every stored candidate that has none fresh enough."""
    from longtail.planner.lookup import DEFAULT_MAX_AGE, lookup_volumes

    if store.candidate_count() == 0:
        raise InputError("no candidate keywords in the database yet; run `longtail expand` first")
    client, customer_id, source = planner.connect()
    return lookup_volumes(
        store, client, customer_id, source=source, max_age=max_age or DEFAULT_MAX_AGE
    )


def score_stage(store: Store) -> pd.DataFrame:
    """Score every (keyword, persona) pair and store the scores."""
    from longtail.score import score_keywords

    inputs = store.scoring_inputs()
    if inputs.empty:
        raise InputError("no candidate keywords in the database yet; run `longtail expand` first")
    scored = score_keywords(inputs)
    store.save_scores(scored)
    return scored


def export_stage(store: Store, path: Path) -> ExportResult:
    """Write the stored scores to `path` (.xlsx or .csv)."""
    from longtail.export import write_export
    from longtail.score import segment_summary

    keywords = store.scored_keywords()
    if keywords.empty:
        raise InputError("nothing scored yet; run `longtail score` (or `longtail run`) first")
    summary = segment_summary(keywords)
    about = about_lines(store)
    write_export(path, keywords, summary, about)
    return ExportResult(path, len(keywords), len(summary), about)


def run_all(
    store_path: str | Path,
    paths: Sequence[Path],
    *,
    replay: Path | None,
    max_age: timedelta | None,
    output: Path,
    on_stage: Callable[[object], None],
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
            },
        )
        status = "failed"
        try:
            with PlannerSession(replay) as planner:
                on_stage(expand_stage(store, loaded))
                on_stage(volumes_stage(store, planner, max_age))
            on_stage(score_stage(store))
            on_stage(export_stage(store, output))
            status = "finished"
        finally:
            store.finish_run(run_id, status, {"output": str(output)})
    finally:
        store.close()


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
            ("Volumes", f"{source['source']} ({source['keywords']} keywords, fetched {span})")
        )
    lines.append(("Generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")))
    lines.append(("longtail", __version__))
    return lines


def _day(timestamp: str) -> str:
    return timestamp[:10]
