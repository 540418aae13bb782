"""The project database: upserts without duplicates, caching by source and age, atomic stages."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from longtail.clv import estimate_clv
from longtail.errors import InputError
from longtail.expand import Candidate
from longtail.personas import load_personas
from longtail.planner.metrics import KeywordMetrics
from longtail.store import SCHEMA_VERSION, Market, Store

VALID = Path(__file__).parent / "data" / "personas"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "project.db")
    personas = load_personas([VALID])
    store.save_personas([(p, estimate_clv(p.clv)) for p in personas])
    return store


def candidate(keyword: str, persona_id: str = "trail-runner") -> Candidate:
    return Candidate(keyword, persona_id, "products", keyword, "product")


def metrics(keyword: str, searches: int | None, variant_of: str | None = None) -> KeywordMetrics:
    return KeywordMetrics(
        keyword=keyword,
        avg_monthly_searches=searches,
        monthly_searches=((2026, 1, searches or 0),),
        competition="HIGH",
        competition_index=80,
        low_top_of_page_bid=0.5,
        high_top_of_page_bid=2.25,
        close_variant_of=variant_of,
    )


US = Market("US", "en", "google-search")


def count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_saving_personas_twice_keeps_one_row_each(store: Store) -> None:
    personas = load_personas([VALID])
    store.save_personas([(p, estimate_clv(p.clv)) for p in personas])
    rows = store.personas()
    assert [r["id"] for r in rows] == ["gift-buyer", "trail-runner"]
    assert rows[1]["segment_clv"] == pytest.approx(441.0)
    assert rows[1]["geo"] == "US"


def test_rerunning_expansion_replaces_a_personas_candidates(store: Store) -> None:
    store.replace_candidates(
        ["trail-runner"], [candidate("trail running shoes"), candidate("hydration vest")]
    )
    store.replace_candidates(
        ["trail-runner"], [candidate("trail running shoes"), candidate("waterproof jacket")]
    )
    keywords = [r[0] for r in store.conn.execute("SELECT keyword FROM candidates ORDER BY 1")]
    assert keywords == ["trail running shoes", "waterproof jacket"]


def test_replacing_candidates_keeps_other_personas_and_sources(store: Store) -> None:
    store.replace_candidates(["gift-buyer"], [candidate("camping gift set", "gift-buyer")])
    store.replace_candidates(["trail-runner"], [candidate("trail shoes")], source="planner-idea")
    store.replace_candidates(["trail-runner"], [candidate("hydration vest")])
    rows = sorted(store.conn.execute("SELECT persona_id, keyword, source FROM candidates"))
    assert rows == [
        ("gift-buyer", "camping gift set", "expand"),
        ("trail-runner", "hydration vest", "expand"),
        ("trail-runner", "trail shoes", "planner-idea"),
    ]


def test_keywords_are_grouped_by_market_once_each(store: Store) -> None:
    store.replace_candidates(["trail-runner"], [candidate("insulated water bottle")])
    store.replace_candidates(
        ["gift-buyer"],
        [
            candidate("insulated water bottle", "gift-buyer"),
            candidate("camping gift set", "gift-buyer"),
        ],
    )
    assert store.keywords_by_market() == {US: ["camping gift set", "insulated water bottle"]}


def test_metrics_upsert_by_keyword_and_market(store: Store) -> None:
    store.save_metrics(US, [metrics("hydration vest", 100)], source="replay")
    store.save_metrics(US, [metrics("hydration vest", 250)], source="replay")
    store.save_metrics(
        Market("GB", "en", "google-search"), [metrics("hydration vest", 30)], source="replay"
    )
    rows = sorted(
        store.conn.execute(
            "SELECT geo, avg_monthly_searches, monthly_searches FROM keyword_metrics"
        )
    )
    assert rows == [("GB", 30, "[[2026, 1, 30]]"), ("US", 250, "[[2026, 1, 250]]")]


def test_fresh_keywords_count_only_the_same_source_within_max_age(store: Store) -> None:
    store.save_metrics(US, [metrics("hydration vest", 100), metrics("tent", None)], source="replay")
    asked = ["hydration vest", "tent", "trail running shoes"]
    assert store.fresh_keywords(US, asked, "replay", timedelta(days=30)) == {
        "hydration vest",
        "tent",
    }
    # Sample data from a replay never stands in for the live account.
    assert store.fresh_keywords(US, asked, "live", timedelta(days=30)) == set()
    store.conn.execute("UPDATE keyword_metrics SET fetched_at = '2020-01-01T00:00:00+00:00'")
    assert store.fresh_keywords(US, asked, "replay", timedelta(days=30)) == set()


def test_a_failed_transaction_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.replace_candidates(["trail-runner"], [candidate("hydration vest")])
        raise RuntimeError("crash between two writes")
    assert count(store, "candidates") == 0


def test_rejects_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(InputError, match="is not a longtail database"):
        Store(path)
    assert path.read_text().startswith("these are my notes")


def test_rejects_a_database_from_a_newer_longtail(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 99").connection.close()
    with pytest.raises(InputError, match="newer longtail"):
        Store(path)


def test_runs_record_start_and_end(store: Store) -> None:
    run_id = store.start_run("run", {"output": "k.xlsx"})
    store.finish_run(run_id, "finished", {"output": "k.xlsx"})
    row = store.conn.execute("SELECT command, status, finished_at FROM runs").fetchone()
    assert row[:2] == ("run", "finished") and row[2] is not None


def test_a_schema_1_database_gains_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE keyword_metrics (keyword TEXT, geo TEXT, language TEXT, network TEXT, "
        "avg_monthly_searches INTEGER, monthly_searches TEXT, competition TEXT, "
        "competition_index INTEGER, low_top_of_page_bid FLOAT, high_top_of_page_bid FLOAT, "
        "close_variant_of TEXT, source TEXT NOT NULL, fetched_at TEXT NOT NULL, "
        "PRIMARY KEY (keyword, geo, language, network))"
    )
    conn.execute(
        "INSERT INTO keyword_metrics (keyword, geo, language, network, avg_monthly_searches, "
        "source, fetched_at) VALUES ('tent', 'US', 'en', 'google-search', 90, 'replay', 'now')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = Store(path)
    row = store.conn.execute(
        "SELECT keyword, avg_monthly_searches, concepts, brand FROM keyword_metrics"
    ).fetchone()
    assert row == ("tent", 90, None, None)
    assert store.conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_ideas_are_candidates_with_their_seed_and_keep_concepts(store: Store) -> None:
    from longtail.planner.ideas import KeywordIdea

    ideas = [
        KeywordIdea(
            "ridgeline hydration vest",
            "hydration vest",
            metrics("ridgeline hydration vest", 40),
            (("Ridgeline", "BRAND"),),
        ),
        KeywordIdea(
            "best hydration vest",
            "hydration vest",
            metrics("best hydration vest", 900),
            (("Vest", "NON_BRAND"),),
        ),
    ]
    store.save_ideas("trail-runner", US, ideas, source="replay")
    rows = sorted(
        store.conn.execute(
            "SELECT keyword, source, source_field, source_phrase, pattern FROM candidates"
        )
    )
    assert rows == [
        ("best hydration vest", "planner-idea", "seed", "hydration vest", "planner-idea"),
        ("ridgeline hydration vest", "planner-idea", "seed", "hydration vest", "planner-idea"),
    ]
    brands = dict(store.conn.execute("SELECT keyword, brand FROM keyword_metrics"))
    assert brands == {"ridgeline hydration vest": "BRAND", "best hydration vest": "NON_BRAND"}
    # A later lookup without annotations keeps them.
    store.save_metrics(US, [metrics("ridgeline hydration vest", 50)], source="replay")
    assert store.conn.execute(
        "SELECT avg_monthly_searches, brand, concepts FROM keyword_metrics "
        "WHERE keyword = 'ridgeline hydration vest'"
    ).fetchone() == (50, "BRAND", '[["Ridgeline", "BRAND"]]')
    assert store.seeds()["trail-runner"] == [
        "trail running shoes",
        "hydration vest",
        "waterproof jacket",
    ]


def test_max_age_zero_counts_nothing_as_fresh(store: Store) -> None:
    store.save_metrics(US, [metrics("hydration vest", 100)], source="replay")
    assert store.fresh_keywords(US, ["hydration vest"], "replay", timedelta(0)) == set()


def test_applied_clv_replaces_the_files_estimate_in_scoring_and_survives_reloading(
    store: Store,
) -> None:
    from longtail.clv import ClvEstimate

    store.replace_candidates(["trail-runner"], [candidate("hydration vest")])
    store.apply_clv({"trail-runner": ClvEstimate(600.0, "orders", "from orders.csv")})
    personas = load_personas([VALID])
    store.save_personas([(p, estimate_clv(p.clv)) for p in personas])  # files read again
    inputs = store.scoring_inputs()
    assert inputs.loc[inputs.persona_id == "trail-runner", "segment_clv"].tolist() == [600.0]
    assert store.applied_clv()["trail-runner"]["clv_method"] == "orders"
