"""The project database: its schema and every read and write of it.

SQLite through sqlite-utils, `./longtail.db` by default. Every stage reads
its input from here and writes its output here, so a stage can be rerun alone
or resumed after a crash. Reruns upsert: a row is identified by its natural
key (persona and keyword; keyword and market) and never duplicated.

Bulk writes go through the connection's `executemany` inside one transaction
(`Database.atomic`, savepoints when nested): sqlite-utils' `insert_all`
commits per batch and caps batch size at 999 ÷ columns, which measured
several times slower on 100k+ rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from longtail.errors import InputError, OperationError

if TYPE_CHECKING:
    import pandas as pd

    from longtail.clv import ClvEstimate
    from longtail.expand import Candidate
    from longtail.personas import Persona
    from longtail.planner.ideas import KeywordIdea
    from longtail.planner.metrics import KeywordMetrics
    from longtail.trends import KeywordTrend, RelatedQueries

DEFAULT_DB = "longtail.db"
SCHEMA_VERSION = 5

PERSONAS = "personas"
CANDIDATES = "candidates"
KEYWORD_METRICS = "keyword_metrics"
SCORES = "scores"
RUNS = "runs"
# The assumptions the last scoring used, for the export's Assumptions sheet.
ASSUMPTIONS = "assumptions"
# CLV computed from an order history (`longtail clv --apply`): it stands in for
# the persona file's estimate in scoring, and survives re-reading the files.
APPLIED_CLV = "applied_clv"
# Google Trends per keyword and geo, and related queries per seed
# and geo, each with its fetch time (longtail.trends).
TRENDS = "trends"
TRENDS_RELATED = "trends_related"

# The scores' economics columns, in the order they are stored and exported.
ECONOMICS_COLUMNS: list[tuple[str, type]] = [
    ("intent", str),
    ("expected_clicks", float),
    ("conversion_rate", float),
    ("expected_customers", float),
    ("expected_monthly_value", float),
    ("break_even_cpc", float),
    ("bid_margin_low", float),
    ("bid_margin_high", float),
    ("bid_check", str),
    ("next_12_months_searches", float),
    ("peak_month", str),
    ("seasonality", str),
]

# (table, column, type) added after schema 1, in the order they came.
ADDED_COLUMNS: list[tuple[str, str, type]] = [
    # Keyword Planner concept annotations of ideas: JSON [[name, group type]],
    # and BRAND / OTHER_BRANDS / NON_BRAND, so brand terms can be set apart.
    ("keyword_metrics", "concepts", str),
    ("keyword_metrics", "brand", str),
    # Schema 3: the search intent of each candidate (longtail.intent).
    ("candidates", "intent", str),
    # Schema 4: the rank of a keyword among its segment's.
    ("scores", "segment_rank", int),
    # Schema 5: the economics beside the value (longtail.score).
    *((SCORES, column, kind) for column, kind in ECONOMICS_COLUMNS),
]

# Where a candidate came from: the spaCy expansion, Keyword Planner ideas;
# imports and Trends queries keep their own rows beside these.
EXPANSION_SOURCE = "expand"
IDEA_SOURCE = "planner-idea"
# Rising queries Google Trends relates to a persona's products.
TRENDS_SOURCE = "trends-rising"


@dataclass(frozen=True)
class Market:
    """The part of a Keyword Planner request that decides what volumes mean."""

    geo: str  # comma-joined sorted ISO codes, "US" or "CA,US"
    language: str
    network: str

    @classmethod
    def of(cls, persona: Persona) -> Market:
        """The market a persona searches in."""
        return cls(
            ",".join(sorted(persona.market.geo)), persona.market.language, persona.market.network
        )

    @property
    def geo_codes(self) -> list[str]:
        """The market's countries as a list of ISO codes."""
        return self.geo.split(",")


def now() -> str:
    """The current UTC time as stored: ISO 8601, seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """One project database."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError(f"{self.path} is a folder; give --db a file name such as longtail.db")
        try:
            self.db = sqlite_utils.Database(self.path)
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise InputError(
                f"{self.path} is not a longtail database ({error}); "
                "point --db or LONGTAIL_DB at another file"
            ) from error

    @property
    def conn(self) -> sqlite3.Connection:
        """The underlying connection, for transactions."""
        conn: sqlite3.Connection = self.db.conn
        return conn

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside land together or not at all (nested blocks are savepoints)."""
        with self.db.atomic():
            yield

    # ------------------------------------------------------------ schema

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise InputError(
                f"{self.path} was written by a newer longtail (schema {version}); "
                "upgrade longtail or use another --db"
            )
        with self.db.atomic():
            self.db.table(PERSONAS).create(
                {
                    "id": str,
                    "name": str,
                    "source_file": str,
                    "segment_clv": float,
                    "clv_method": str,
                    "clv_formula": str,
                    "currency": str,
                    "geo": str,
                    "language": str,
                    "network": str,
                    "definition": str,
                    "loaded_at": str,
                },
                pk="id",
                not_null={"name", "segment_clv", "currency", "geo", "language", "network"},
                if_not_exists=True,
            )
            self.db.table(CANDIDATES).create(
                {
                    "persona_id": str,
                    "keyword": str,
                    "source": str,
                    "source_field": str,
                    "source_phrase": str,
                    "pattern": str,
                    "created_at": str,
                },
                pk=("persona_id", "keyword"),
                not_null={"source"},
                foreign_keys=[("persona_id", PERSONAS, "id")],
                if_not_exists=True,
            )
            self.db.table(KEYWORD_METRICS).create(
                {
                    "keyword": str,
                    "geo": str,
                    "language": str,
                    "network": str,
                    "avg_monthly_searches": int,
                    "monthly_searches": str,
                    "competition": str,
                    "competition_index": int,
                    "low_top_of_page_bid": float,
                    "high_top_of_page_bid": float,
                    "close_variant_of": str,
                    "source": str,
                    "fetched_at": str,
                },
                pk=("keyword", "geo", "language", "network"),
                not_null={"source", "fetched_at"},
                if_not_exists=True,
            )
            self.db.table(SCORES).create(
                {
                    "persona_id": str,
                    "keyword": str,
                    "avg_monthly_searches": int,
                    "segment_clv": float,
                    "value": float,
                    "rank": int,
                    "scored_at": str,
                },
                pk=("persona_id", "keyword"),
                if_not_exists=True,
            )
            self.db.table(APPLIED_CLV).create(
                {
                    "persona_id": str,
                    "segment_clv": float,
                    "clv_method": str,
                    "clv_formula": str,
                    "applied_at": str,
                },
                pk="persona_id",
                not_null={"segment_clv"},
                if_not_exists=True,
            )
            self.db.table(ASSUMPTIONS).create(
                {"position": int, "assumption": str, "value": str, "source": str},
                pk="position",
                if_not_exists=True,
            )
            self.db.table(RUNS).create(
                {
                    "id": int,
                    "command": str,
                    "started_at": str,
                    "finished_at": str,
                    "status": str,
                    "details": str,
                },
                pk="id",
                if_not_exists=True,
            )
            # new tables only, so no schema version of their own;
            # `if_not_exists` makes them appear in any older database.
            self.db.table(TRENDS).create(
                {
                    "keyword": str,
                    "geo": str,  # Trends geo: one ISO code, or "" for worldwide
                    "status": str,  # "ok", or "no-data": Google gave nothing usable
                    "anchor": str,  # the keyword whose scale `series` is on
                    "series": str,  # JSON [[week start, interest]], oldest first
                    "seasonal_index": str,  # JSON: 12 floats, January first
                    "direction": str,
                    "peak_months": str,  # JSON: months 1..12, strongest first
                    "fetched_at": str,
                },
                pk=("keyword", "geo"),
                not_null={"status", "fetched_at"},
                if_not_exists=True,
            )
            self.db.table(TRENDS_RELATED).create(
                {
                    "seed": str,
                    "geo": str,
                    "status": str,
                    "top": str,  # JSON [[query, 0..100]]
                    "rising": str,  # JSON [[query, percent growth]]
                    "fetched_at": str,
                },
                pk=("seed", "geo"),
                not_null={"status", "fetched_at"},
                if_not_exists=True,
            )
            # Columns later versions added: a database made by an older
            # longtail gains them, keeping its rows.
            for table, column, kind in ADDED_COLUMNS:
                if column not in self.db.table(table).columns_dict:
                    self.db.table(table).add_column(column, kind)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # ------------------------------------------------------------ personas

    def save_personas(self, personas: Sequence[tuple[Persona, ClvEstimate]]) -> None:
        """Upsert each persona with its CLV estimate."""
        loaded_at = now()
        rows = [
            (
                persona.id,
                persona.name,
                str(persona.source) if persona.source else None,
                clv.value,
                clv.method,
                clv.formula,
                persona.market.currency,
                Market.of(persona).geo,
                persona.market.language,
                persona.market.network,
                persona.model_dump_json(),
                loaded_at,
            )
            for persona, clv in personas
        ]
        with self.db.atomic():
            self.conn.executemany(
                f"""INSERT INTO {PERSONAS} (id, name, source_file, segment_clv, clv_method,
                    clv_formula, currency, geo, language, network, definition, loaded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                    source_file = excluded.source_file, segment_clv = excluded.segment_clv,
                    clv_method = excluded.clv_method, clv_formula = excluded.clv_formula,
                    currency = excluded.currency, geo = excluded.geo,
                    language = excluded.language, network = excluded.network,
                    definition = excluded.definition, loaded_at = excluded.loaded_at""",
                rows,
            )

    def personas(self) -> list[dict[str, Any]]:
        """Every stored persona, by id."""
        return list(self.db.query(f"SELECT * FROM {PERSONAS} ORDER BY id"))

    # ------------------------------------------------------------ candidates

    def replace_candidates(
        self,
        persona_ids: Iterable[str],
        candidates: Iterable[Candidate],
        source: str = EXPANSION_SOURCE,
    ) -> int:
        """Make `candidates` the personas' whole set from `source`; returns rows written.

        A persona whose text changed loses the candidates it no longer yields;
        candidates from other sources are kept. One transaction.
        """
        ids = list(persona_ids)
        with self.db.atomic():
            self.conn.executemany(
                f"DELETE FROM {CANDIDATES} WHERE persona_id = ? AND source = ?",
                [(persona_id, source) for persona_id in ids],
            )
            return self.add_candidates(candidates, source)

    def add_candidates(self, candidates: Iterable[Candidate], source: str) -> int:
        """Upsert candidates from `source` beside the ones stored; returns rows written.

        A (persona, keyword) already stored takes the new provenance: one row
        per pair, whichever source named it last. An intent already stored is
        kept when the new row has none.
        """
        created_at = now()
        rows = (
            (
                c.persona_id,
                c.keyword,
                source,
                c.source_field,
                c.source_phrase,
                c.pattern,
                c.intent,
                created_at,
            )
            for c in candidates
        )
        with self.db.atomic():
            cursor = self.conn.executemany(
                f"""INSERT INTO {CANDIDATES} (persona_id, keyword, source, source_field,
                    source_phrase, pattern, intent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (persona_id, keyword) DO UPDATE SET source = excluded.source,
                    source_field = excluded.source_field,
                    source_phrase = excluded.source_phrase, pattern = excluded.pattern,
                    intent = coalesce(excluded.intent, intent),
                    created_at = excluded.created_at""",
                rows,
            )
        return cursor.rowcount

    def persona_ids(self) -> set[str]:
        """The ids of the stored personas."""
        return {row[0] for row in self.conn.execute(f"SELECT id FROM {PERSONAS}")}

    def persona_market(self, persona_id: str) -> Market | None:
        """The market a stored persona searches in, or None when no such persona is stored."""
        row = self.conn.execute(
            f"SELECT geo, language, network FROM {PERSONAS} WHERE id = ?", (persona_id,)
        ).fetchone()
        return None if row is None else Market(*row)

    def candidate_count(self) -> int:
        """How many (persona, keyword) candidates are stored."""
        return int(self.db.execute(f"SELECT count(*) FROM {CANDIDATES}").fetchone()[0])

    def candidate_summary(self) -> list[dict[str, Any]]:
        """Candidates per persona: total and long tail (three words or more)."""
        return list(
            self.db.query(
                f"""SELECT p.id AS persona_id, p.name AS persona_name,
                    count(c.keyword) AS candidates,
                    sum(length(c.keyword) - length(replace(c.keyword, ' ', '')) >= 2)
                        AS long_tail
                FROM {PERSONAS} p LEFT JOIN {CANDIDATES} c ON c.persona_id = p.id
                GROUP BY p.id ORDER BY p.id"""
            )
        )

    def keywords_by_market(self) -> dict[Market, list[str]]:
        """Every distinct candidate keyword, grouped by the market its personas search in."""
        grouped: dict[Market, list[str]] = {}
        for row in self.db.execute(
            f"""SELECT DISTINCT p.geo, p.language, p.network, c.keyword
            FROM {CANDIDATES} c JOIN {PERSONAS} p ON p.id = c.persona_id
            ORDER BY p.geo, p.language, p.network, c.keyword"""
        ):
            grouped.setdefault(Market(row[0], row[1], row[2]), []).append(row[3])
        return grouped

    # ------------------------------------------------------------ metrics

    def fresh_keywords(
        self, market: Market, keywords: Sequence[str], source: str, max_age: timedelta
    ) -> set[str]:
        """The keywords whose metrics for `market` came from `source` within `max_age`.

        Only the same source counts: sample data from a replay must never
        stand in for a live lookup.
        """
        if max_age <= timedelta(0):
            # --max-age 0 means fetch everything again, even what came this second.
            return set()
        since = (datetime.now(UTC) - max_age).isoformat(timespec="seconds")
        with self.db.atomic():
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS asked (keyword TEXT PRIMARY KEY)")
            self.conn.execute("DELETE FROM asked")
            self.conn.executemany(
                "INSERT OR IGNORE INTO asked VALUES (?)", ((k,) for k in keywords)
            )
        rows = self.conn.execute(
            f"""SELECT m.keyword FROM {KEYWORD_METRICS} m JOIN asked a ON a.keyword = m.keyword
            WHERE m.geo = ? AND m.language = ? AND m.network = ? AND m.source = ?
              AND m.fetched_at >= ?""",
            (market.geo, market.language, market.network, source, since),
        )
        return {row[0] for row in rows}

    def save_metrics(
        self,
        market: Market,
        metrics: Iterable[KeywordMetrics],
        source: str,
        concepts: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    ) -> int:
        """Upsert one batch of Keyword Planner results for `market`; returns rows written.

        `concepts` maps a keyword to its concept annotations (name, group type),
        from keyword ideas; a later lookup without annotations keeps them.
        """
        fetched_at = now()
        concepts = concepts or {}
        rows = [
            (
                m.keyword,
                market.geo,
                market.language,
                market.network,
                m.avg_monthly_searches,
                json.dumps(m.monthly_searches) if m.monthly_searches else None,
                m.competition,
                m.competition_index,
                m.low_top_of_page_bid,
                m.high_top_of_page_bid,
                m.close_variant_of,
                source,
                fetched_at,
                json.dumps(concepts[m.keyword]) if m.keyword in concepts else None,
                brand_of(concepts[m.keyword]) if m.keyword in concepts else None,
            )
            for m in metrics
        ]
        with self.db.atomic():
            self.conn.executemany(
                f"""INSERT INTO {KEYWORD_METRICS} (keyword, geo, language, network,
                    avg_monthly_searches, monthly_searches, competition, competition_index,
                    low_top_of_page_bid, high_top_of_page_bid, close_variant_of, source,
                    fetched_at, concepts, brand)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (keyword, geo, language, network) DO UPDATE SET
                    avg_monthly_searches = excluded.avg_monthly_searches,
                    monthly_searches = excluded.monthly_searches,
                    competition = excluded.competition,
                    competition_index = excluded.competition_index,
                    low_top_of_page_bid = excluded.low_top_of_page_bid,
                    high_top_of_page_bid = excluded.high_top_of_page_bid,
                    close_variant_of = excluded.close_variant_of,
                    source = excluded.source, fetched_at = excluded.fetched_at,
                    concepts = coalesce(excluded.concepts, concepts),
                    brand = coalesce(excluded.brand, brand)""",
                rows,
            )
        return len(rows)

    def save_ideas(
        self,
        persona_id: str,
        market: Market,
        ideas: Sequence[KeywordIdea],
        source: str,
        intents: Mapping[str, str] | None = None,
    ) -> int:
        """Store one page of Keyword Planner ideas: candidates of the persona, and their metrics.

        The candidates keep the seed each idea is credited to; the metrics are
        stored under the lookup's `source`, so the volume lookup that follows
        finds them fresh and does not ask again.
        """
        from longtail.expand import Candidate  # a dataclass; spaCy loads only in expand()

        intents = intents or {}
        candidates = [
            Candidate(
                idea.keyword, persona_id, "seed", idea.seed, IDEA_SOURCE, intents.get(idea.keyword)
            )
            for idea in ideas
        ]
        concepts = {idea.keyword: idea.concepts for idea in ideas if idea.concepts}
        with self.db.atomic():
            self.add_candidates(candidates, IDEA_SOURCE)
            self.save_metrics(market, [idea.metrics for idea in ideas], source, concepts)
        return len(candidates)

    def persona_brands(self, persona_id: str) -> list[str]:
        """The brand names a stored persona's file gives."""
        row = self.conn.execute(
            f"SELECT definition FROM {PERSONAS} WHERE id = ?", (persona_id,)
        ).fetchone()
        brands: list[str] = json.loads(row[0]).get("brands", []) if row else []
        return brands

    def seeds(self) -> dict[str, list[str]]:
        """Each stored persona's seeds for Keyword Planner ideas: its products, as written."""
        return {
            row["id"]: json.loads(row["definition"])["products"]
            for row in self.db.query(f"SELECT id, definition FROM {PERSONAS} ORDER BY id")
        }

    def volume_sources(self) -> list[dict[str, Any]]:
        """Where the stored volumes of current candidates came from, and when."""
        return list(
            self.db.query(
                f"""SELECT m.source, count(*) AS keywords, min(m.fetched_at) AS first_fetched,
                    max(m.fetched_at) AS last_fetched
                FROM {KEYWORD_METRICS} m
                JOIN (SELECT DISTINCT c.keyword, p.geo, p.language, p.network
                      FROM {CANDIDATES} c JOIN {PERSONAS} p ON p.id = c.persona_id) k
                  ON k.keyword = m.keyword AND k.geo = m.geo AND k.language = m.language
                 AND k.network = m.network
                GROUP BY m.source ORDER BY m.source"""
            )
        )

    # ------------------------------------------------------------ scoring

    def scoring_inputs(self) -> pd.DataFrame:
        """One row per (persona, candidate) with the persona's CLV and the keyword's metrics."""
        import pandas as pd

        return pd.read_sql_query(
            f"""SELECT c.keyword, c.persona_id, p.name AS persona_name, c.source_field,
                c.pattern, c.intent, m.avg_monthly_searches,
                coalesce(a.segment_clv, p.segment_clv) AS segment_clv, p.currency,
                m.competition,
                m.low_top_of_page_bid, m.high_top_of_page_bid, m.close_variant_of,
                m.monthly_searches, t.seasonal_index AS trends_index
            FROM {CANDIDATES} c
            JOIN {PERSONAS} p ON p.id = c.persona_id
            LEFT JOIN {APPLIED_CLV} a ON a.persona_id = p.id
            LEFT JOIN {TRENDS} t ON t.keyword = c.keyword AND t.status = 'ok'
                 AND t.geo = {_TRENDS_GEO}
            LEFT JOIN {KEYWORD_METRICS} m ON m.keyword = c.keyword AND m.geo = p.geo
                 AND m.language = p.language AND m.network = p.network
            ORDER BY c.persona_id, c.keyword""",
            self.conn,
            dtype={
                **{k: v for k, v in _INPUT_DTYPES.items() if k != "value"},
                "monthly_searches": "string",
                "trends_index": "string",
            },
        )

    def save_scores(
        self, scores: pd.DataFrame, assumptions: Sequence[tuple[str, str, str]] = ()
    ) -> int:
        """Replace the scores and the assumptions they were made with (derived: always whole)."""
        scored_at = now()
        columns = [
            "persona_id",
            "keyword",
            "avg_monthly_searches",
            "segment_clv",
            "value",
            "rank",
            "segment_rank",
            *(column for column, _ in ECONOMICS_COLUMNS),
        ]
        frame = scores[columns]
        # Column by column to plain Python values, NA as None: far quicker than
        # converting the whole frame to objects row by row.
        values = [_sql_values(frame[column]) for column in columns]
        rows = zip(*values, [scored_at] * len(frame), strict=True)
        marks = ", ".join("?" * (len(columns) + 1))
        with self.db.atomic():
            self.conn.execute(f"DELETE FROM {SCORES}")
            self.conn.executemany(
                f"INSERT INTO {SCORES} ({', '.join(columns)}, scored_at) VALUES ({marks})", rows
            )
            self.conn.execute(f"DELETE FROM {ASSUMPTIONS}")
            self.conn.executemany(
                f"INSERT INTO {ASSUMPTIONS} (position, assumption, value, source) "
                "VALUES (?, ?, ?, ?)",
                [(n, *row) for n, row in enumerate(assumptions, start=1)],
            )
        return len(frame)

    def assumptions(self) -> list[tuple[str, str, str]]:
        """The assumptions the stored scores were made with, in order."""
        return [
            (row["assumption"], row["value"], row["source"])
            for row in self.db.query(f"SELECT * FROM {ASSUMPTIONS} ORDER BY position")
        ]

    def scored_keywords(self, with_monthly: bool = False) -> pd.DataFrame:
        """Every score with its provenance and metrics, highest value first, no-data last.

        `with_monthly` adds the monthly volumes (JSON) the seasonal profile comes from.
        """
        import pandas as pd

        monthly = ", m.monthly_searches, t.seasonal_index AS trends_index" if with_monthly else ""

        return pd.read_sql_query(
            f"""SELECT s.keyword, s.persona_id, p.name AS persona_name, c.source_field,
                c.pattern, s.intent, s.avg_monthly_searches, s.segment_clv, s.value, p.currency,
                s.expected_clicks, s.conversion_rate, s.expected_customers,
                s.expected_monthly_value, s.break_even_cpc, m.competition,
                m.low_top_of_page_bid, m.high_top_of_page_bid, s.bid_margin_low,
                s.bid_margin_high, s.bid_check, s.next_12_months_searches, s.peak_month,
                s.seasonality, m.close_variant_of, s.rank, s.segment_rank{monthly}
            FROM {SCORES} s
            JOIN {PERSONAS} p ON p.id = s.persona_id
            LEFT JOIN {TRENDS} t ON t.keyword = s.keyword AND t.status = 'ok'
                 AND t.geo = {_TRENDS_GEO}
            LEFT JOIN {CANDIDATES} c ON c.persona_id = s.persona_id AND c.keyword = s.keyword
            LEFT JOIN {KEYWORD_METRICS} m ON m.keyword = s.keyword AND m.geo = p.geo
                 AND m.language = p.language AND m.network = p.network
            ORDER BY s.value IS NULL, s.value DESC, s.persona_id, s.keyword""",
            self.conn,
            dtype={**_SCORED_DTYPES, "monthly_searches": "string", "trends_index": "string"}
            if with_monthly
            else _SCORED_DTYPES,
        )

    def score_count(self) -> int:
        """How many (persona, keyword) scores are stored."""
        return int(self.db.execute(f"SELECT count(*) FROM {SCORES}").fetchone()[0])

    def apply_clv(self, estimates: Mapping[str, ClvEstimate]) -> None:
        """Store CLVs computed from order history; scoring uses them over the files' estimates."""
        applied_at = now()
        with self.db.atomic():
            self.conn.executemany(
                f"""INSERT INTO {APPLIED_CLV} (persona_id, segment_clv, clv_method, clv_formula,
                    applied_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (persona_id) DO UPDATE SET segment_clv = excluded.segment_clv,
                    clv_method = excluded.clv_method, clv_formula = excluded.clv_formula,
                    applied_at = excluded.applied_at""",
                [
                    (persona_id, clv.value, clv.method, clv.formula, applied_at)
                    for persona_id, clv in estimates.items()
                ],
            )

    def persona_conversion_rates(self) -> dict[str, dict[str, float]]:
        """The conversion rates each stored persona's file sets, by intent."""
        rates: dict[str, dict[str, float]] = {}
        for row in self.db.query(f"SELECT id, definition FROM {PERSONAS}"):
            given = json.loads(row["definition"]).get("conversion_rates") or {}
            rates[row["id"]] = {k: v for k, v in given.items() if v is not None}
        return rates

    def persona_clv_formulas(self) -> dict[str, str]:
        """How each stored persona's CLV was reached: applied from orders, else the file's."""
        return {
            row["id"]: row["formula"] or row["method"] or ""
            for row in self.db.query(
                f"""SELECT p.id, coalesce(a.clv_formula, p.clv_formula) AS formula,
                    coalesce(a.clv_method, p.clv_method) AS method
                FROM {PERSONAS} p LEFT JOIN {APPLIED_CLV} a ON a.persona_id = p.id"""
            )
        }

    def persona_channels(self) -> dict[str, list[str]]:
        """Each stored persona's preferred channels, as its file lists them."""
        return {
            row["id"]: json.loads(row["definition"]).get("channels", [])
            for row in self.db.query(f"SELECT id, definition FROM {PERSONAS}")
        }

    def applied_clv(self) -> dict[str, dict[str, Any]]:
        """The CLVs applied from order history, by persona id."""
        return {row["persona_id"]: row for row in self.db.query(f"SELECT * FROM {APPLIED_CLV}")}

    # ------------------------------------------------------------ trends

    def top_keywords(self, per_persona: int) -> dict[str, list[tuple[str, int | None]]]:
        """Each persona's `per_persona` best keywords, with their Keyword Planner volume.

        Best by stored score value, then by volume; keywords with neither are
        left out, and so are close variants, which share the volume of the
        spelling Google merged them into.
        """
        top: dict[str, list[tuple[str, int | None]]] = {}
        rows = self.conn.execute(
            f"""SELECT persona_id, keyword, avg_monthly_searches FROM (
                SELECT c.persona_id, c.keyword, m.avg_monthly_searches,
                    row_number() OVER (PARTITION BY c.persona_id ORDER BY
                        s.value IS NULL, s.value DESC, m.avg_monthly_searches IS NULL,
                        m.avg_monthly_searches DESC, c.keyword) AS place
                FROM {CANDIDATES} c
                JOIN {PERSONAS} p ON p.id = c.persona_id
                LEFT JOIN {SCORES} s ON s.persona_id = c.persona_id AND s.keyword = c.keyword
                LEFT JOIN {KEYWORD_METRICS} m ON m.keyword = c.keyword AND m.geo = p.geo
                     AND m.language = p.language AND m.network = p.network
                WHERE m.close_variant_of IS NULL
                  AND (coalesce(s.value, 0) > 0 OR coalesce(m.avg_monthly_searches, 0) > 0))
            WHERE place <= ? ORDER BY persona_id, place""",
            (per_persona,),
        )
        for persona_id, keyword, searches in rows:
            top.setdefault(persona_id, []).append((keyword, searches))
        return top

    def candidate_keywords(self, persona_id: str) -> set[str]:
        """The keywords already among a persona's candidates, from any source."""
        rows = self.conn.execute(
            f"SELECT keyword FROM {CANDIDATES} WHERE persona_id = ?", (persona_id,)
        )
        return {row[0] for row in rows}

    def save_trends(self, trends: Iterable[KeywordTrend]) -> int:
        """Upsert keywords' Trends results with the time fetched; returns rows written."""
        fetched_at = now()
        rows = [
            (
                t.keyword,
                t.geo,
                t.status,
                t.anchor,
                json.dumps(t.series) if t.series else None,
                json.dumps(t.seasonal_index) if t.seasonal_index is not None else None,
                t.direction,
                json.dumps(t.peak_months) if t.seasonal_index is not None else None,
                fetched_at,
            )
            for t in trends
        ]
        with self.db.atomic():
            self.conn.executemany(
                f"""INSERT INTO {TRENDS} (keyword, geo, status, anchor, series, seasonal_index,
                    direction, peak_months, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (keyword, geo) DO UPDATE SET status = excluded.status,
                    anchor = excluded.anchor, series = excluded.series,
                    seasonal_index = excluded.seasonal_index, direction = excluded.direction,
                    peak_months = excluded.peak_months, fetched_at = excluded.fetched_at""",
                rows,
            )
        return len(rows)

    def fresh_trends(
        self, geo: str, keywords: Sequence[str], max_age: timedelta
    ) -> dict[str, KeywordTrend]:
        """The stored Trends results for `keywords` in `geo` fetched within `max_age`.

        No-data results count: Google was asked and had nothing, and asking
        again before `max_age` would most likely say the same.
        """
        from longtail.trends import KeywordTrend

        if max_age <= timedelta(0):
            return {}
        rows = self.conn.execute(
            f"""SELECT keyword, geo, status, anchor, series, seasonal_index, direction,
                peak_months FROM {TRENDS}
            WHERE geo = ? AND fetched_at >= ? AND keyword IN (SELECT value FROM json_each(?))""",
            (geo, _since(max_age), json.dumps(list(keywords))),
        )
        found = {}
        for keyword, geo_, status, anchor, series, index, direction, peaks in rows:
            found[keyword] = KeywordTrend(
                keyword=keyword,
                geo=geo_,
                status=status,
                anchor=anchor,
                series=tuple((week, value) for week, value in json.loads(series or "[]")),
                seasonal_index=tuple(json.loads(index)) if index else None,
                direction=direction,
                peak_months=tuple(json.loads(peaks or "[]")),
            )
        return found

    def seasonal_indexes(self) -> dict[tuple[str, str], list[float]]:
        """Every stored seasonal index, by (keyword, Trends geo): 12 floats, January first.

        The Trends geo of a persona is longtail.trends.trends_geo of its
        countries ("" for worldwide). Keywords without Trends data are absent.
        """
        rows = self.conn.execute(
            f"""SELECT keyword, geo, seasonal_index FROM {TRENDS}
            WHERE status = 'ok' AND seasonal_index IS NOT NULL"""
        )
        return {(keyword, geo): json.loads(index) for keyword, geo, index in rows}

    def save_related(self, related: RelatedQueries) -> None:
        """Upsert the related queries of one seed in one geo, with the time fetched."""
        with self.db.atomic():
            self.conn.execute(
                f"""INSERT INTO {TRENDS_RELATED} (seed, geo, status, top, rising, fetched_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (seed, geo) DO UPDATE SET status = excluded.status,
                    top = excluded.top, rising = excluded.rising,
                    fetched_at = excluded.fetched_at""",
                (
                    related.seed,
                    related.geo,
                    related.status,
                    json.dumps(related.top),
                    json.dumps(related.rising),
                    now(),
                ),
            )

    def fresh_related(
        self, geo: str, seeds: Sequence[str], max_age: timedelta
    ) -> dict[str, RelatedQueries]:
        """The stored related queries of `seeds` in `geo` fetched within `max_age`."""
        from longtail.trends import RelatedQueries

        if max_age <= timedelta(0):
            return {}
        rows = self.conn.execute(
            f"""SELECT seed, geo, status, top, rising FROM {TRENDS_RELATED}
            WHERE geo = ? AND fetched_at >= ? AND seed IN (SELECT value FROM json_each(?))""",
            (geo, _since(max_age), json.dumps(list(seeds))),
        )
        return {
            seed: RelatedQueries(
                seed,
                geo_,
                status,
                tuple((query, value) for query, value in json.loads(top or "[]")),
                tuple((query, value) for query, value in json.loads(rising or "[]")),
            )
            for seed, geo_, status, top, rising in rows
        }

    # ------------------------------------------------------------ runs

    def start_run(self, command: str, details: dict[str, Any]) -> int:
        """Record that a command started; returns the run id."""
        with self.db.atomic():
            cursor = self.conn.execute(
                f"INSERT INTO {RUNS} (command, started_at, status, details) VALUES (?, ?, ?, ?)",
                (command, now(), "running", json.dumps(details)),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run_id: int, status: str, details: dict[str, Any]) -> None:
        """Record how a run ended."""
        with self.db.atomic():
            self.conn.execute(
                f"UPDATE {RUNS} SET finished_at = ?, status = ?, details = ? WHERE id = ?",
                (now(), status, json.dumps(details), run_id),
            )


# Ids and text read as strings, never guessed (STYLE.md); counts as nullable ints.
_INPUT_DTYPES: dict[str, Any] = {
    "keyword": "string",
    "persona_id": "string",
    "persona_name": "string",
    "source_field": "string",
    "pattern": "string",
    "intent": "string",
    "avg_monthly_searches": "Int64",
    "segment_clv": "float64",
    "value": "float64",
    "currency": "string",
    "competition": "string",
    "low_top_of_page_bid": "float64",
    "high_top_of_page_bid": "float64",
    "close_variant_of": "string",
}
_SCORED_DTYPES: dict[str, Any] = {
    **_INPUT_DTYPES,
    **{column: "string" if kind is str else "float64" for column, kind in ECONOMICS_COLUMNS},
    "rank": "Int64",
    "segment_rank": "Int64",
}


# A persona's Trends geo in SQL, as longtail.trends.trends_geo has it: its one
# country, or worldwide ("") for several.
_TRENDS_GEO = "CASE WHEN instr(p.geo, ',') > 0 THEN '' ELSE p.geo END"


def _sql_values(column: pd.Series) -> list[Any]:
    """A column's values as Python objects sqlite3 takes, every kind of NA as None."""
    values = column.to_numpy(dtype=object, copy=True)
    values[column.isna().to_numpy()] = None
    return values.tolist()


def _since(max_age: timedelta) -> str:
    """The stored time `max_age` ago: rows fetched at or after it are fresh."""
    return (datetime.now(UTC) - max_age).isoformat(timespec="seconds")


def brand_of(concepts: Sequence[tuple[str, str]]) -> str | None:
    """The strongest brand signal among concept group types, or None without annotations."""
    kinds = {kind for _, kind in concepts}
    return next((k for k in ("BRAND", "OTHER_BRANDS", "NON_BRAND") if k in kinds), None)


def open_store(path: str | Path) -> Store:
    """Open (creating if needed) the project database at `path`."""
    try:
        return Store(path)
    except sqlite3.OperationalError as error:
        raise OperationError(f"cannot open the database {path}: {error}") from error
