"""Imports of volume exports: the real es-CO Keyword Planner file value by value, sample
Keyword Planner / Semrush / Ahrefs files in their tools' layouts, and the `longtail import`
command end to end on a real SQLite file (tests/data/imports/README.md says which file is
which)."""

from __future__ import annotations

import codecs
import csv
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from longtail.cli import cli
from longtail.errors import InputError
from longtail.imports import (
    AHREFS,
    COMPETITION_LABELS,
    KEYWORD_PLANNER,
    SEMRUSH,
    VolumeRange,
    competition_level,
    import_export,
    parse_decimal,
    parse_volume,
    read_export,
)
from longtail.planner.metrics import KeywordMetrics
from longtail.store import open_store

DATA = Path(__file__).parent / "data"
IMPORTS = DATA / "imports"
ES_CO = IMPORTS / "keyword-planner-export-es-CO.tsv"
UTF16 = IMPORTS / "keyword-planner-utf16.csv"
GERMAN = IMPORTS / "keyword-planner-de.csv"
SEMRUSH_FILE = IMPORTS / "semrush-broad-match_us_2024-05-01.csv"
AHREFS_FILE = IMPORTS / "ahrefs-keywords-explorer_us.csv"
BAD_ROWS = IMPORTS / "keyword-planner-bad-rows.csv"


def longtail(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def metrics(
    keyword: str,
    volume: int | None,
    competition: str | None = None,
    index: int | None = None,
    low: float | None = None,
    high: float | None = None,
    monthly: tuple[tuple[int, int, int], ...] = (),
) -> KeywordMetrics:
    return KeywordMetrics(keyword, volume, monthly, competition, index, low, high, None)


def volume_only(keyword: str, volume: int | None) -> KeywordMetrics:
    """What Semrush and Ahrefs rows become: a volume and nothing else."""
    return metrics(keyword, volume)


# ---------------------------------------------------------------- the real es-CO export

# Read off the file by eye, column by column: the expected values, not the code's.
ES_CO_ROWS = [
    metrics("acero al carbono sarten", 170, "HIGH", 89, 99.44, 717.28),
    metrics("antiadherente triforce", 70, "HIGH", 93),  # stops after the index
    metrics("arrocera", 2900, "HIGH", 99, 89.64, 577.80),
    metrics("bateria de ollas", 3600, "HIGH", 100, 200.90, 1104.35),
    # Line 6, shifted: "-71%  Medio  51  298.38  2452.86" under 3-month, YoY, Competition...
    metrics("cacerola vitroceramica", 50, "MEDIUM", 51, 298.38, 2452.86),
    metrics("catalogo royal prestige", 480, "LOW", 28, 32.67, 249.51),
    metrics("el teflon es toxico", 90, "LOW", 0),
    metrics("olla a presion", 12100, "HIGH", 100, 127.23, 919.29),
    metrics("olla a presión universal", 5400, "HIGH", 100, 106.22, 970.80),
    metrics("olla multifuncional", 18100, "HIGH", 100, 118.89, 704.80),
    metrics("olla arrocera pequeña", 2400, "HIGH", 100, 68.41, 452.22),
    metrics("sarten antiadherente", 4400, "HIGH", 100, 109.53, 862.27),
    metrics("sartén de hierro fundido desventajas", 140, "LOW", 6, 87.07, 501.83),
    metrics("sartenes de cerámica ventajas y desventajas", 110, "LOW", 30),
    # Line 16, shifted and short: "-40%  Bajo  21".
    metrics("wok holstein 30 cm precio", 50, "LOW", 21),
    metrics("olla express", 9900, "HIGH", 100, 97.68, 751.71),
    metrics("chocolatera royal prestige precio", 170, "MEDIUM", 41, 26.93, 312.07),
]


def test_reads_the_real_es_co_export_value_by_value() -> None:
    imported = read_export(ES_CO)
    assert imported.format == KEYWORD_PLANNER
    assert (imported.encoding, imported.delimiter) == ("utf-8", "\t")
    assert imported.currency == "COP"
    assert imported.rows == ES_CO_ROWS
    assert (imported.skipped, imported.duplicates, imported.volume_ranges) == ([], 0, {})
    assert (imported.with_volume, imported.without_volume) == (17, 0)


def test_realigns_the_rows_where_a_change_cell_is_missing_and_says_so() -> None:
    notes = read_export(ES_CO).notes
    assert [note.line for note in notes] == [6, 16]
    assert "Competition 'Medio'" in notes[0].message
    assert "Competition 'Bajo'" in notes[1].message
    assert all("shifted one column left" in note.message for note in notes)


def test_a_row_misaligned_beyond_repair_keeps_only_keyword_and_volume(tmp_path: Path) -> None:
    # The competition level itself is missing: "51" stands under Competition with
    # both changes present, so nothing tells where the cells belong.
    text = ES_CO.read_text(encoding="utf-8").splitlines()
    text.append("olla de barro\tCOP\t\t320.0\t0%\t-12%\t51\t298.38\t2452.86")
    export = tmp_path / "shifted.tsv"
    export.write_text("\n".join(text) + "\n", encoding="utf-8")
    imported = read_export(export)
    assert imported.rows[-1] == metrics("olla de barro", 320)
    assert imported.notes[-1].line == 19
    assert "Competition holds '51'" in imported.notes[-1].message


# ---------------------------------------------------------------- other Keyword Planner files


def test_reads_a_utf16_export_with_preamble_ranges_and_monthly_searches() -> None:
    imported = read_export(UTF16)
    assert (imported.format, imported.encoding, imported.delimiter) == (
        KEYWORD_PLANNER,
        "utf-16",
        "\t",
    )
    assert imported.currency == "USD"
    jacket_months = (
        (2023, 5, 1000),
        (2023, 6, 1300),
        (2023, 7, 1600),
        (2023, 8, 1600),
        (2023, 9, 1300),
        (2023, 10, 1300),
        (2023, 11, 1000),
        (2023, 12, 880),
        (2024, 1, 1000),
        (2024, 2, 1300),
        (2024, 3, 1600),
        (2024, 4, 1600),
    )
    # December 2023 is blank for this one: left out, as the API leaves out
    # months without a volume.
    plan_months = (
        (2023, 5, 9900),
        (2023, 6, 12100),
        (2023, 7, 14800),
        (2023, 8, 14800),
        (2023, 9, 12100),
        (2023, 10, 9900),
        (2023, 11, 8100),
        (2024, 1, 12100),
        (2024, 2, 14800),
        (2024, 3, 14800),
        (2024, 4, 12100),
    )
    assert imported.rows == [
        # 10K – 100K: √(10,000 × 100,000) = 31,622.8
        metrics("trail running shoes", 31623, "HIGH", 87, 0.61, 2.34),
        # "Hydration Vest", 1K – 10K: √(1,000 × 10,000) = 3,162.3
        metrics("hydration vest", 3162, "MEDIUM", 54, 0.45, 1.89),
        metrics("waterproof trail running jacket", 1300, "LOW", 12, 0.38, 1.52, jacket_months),
        # "100 - 1K" with a hyphen: √(100 × 1,000) = 316.2
        metrics("trail running shoes for wide feet", 316),
        metrics("ultramarathon training plan", 12100, "HIGH", 70, 0.20, 0.95, plan_months),
    ]
    assert imported.volume_ranges == {
        "trail running shoes": VolumeRange("10K – 100K", 10_000, 100_000),
        "hydration vest": VolumeRange("1K – 10K", 1_000, 10_000),
        "trail running shoes for wide feet": VolumeRange("100 - 1K", 100, 1_000),
    }
    assert (imported.skipped, imported.notes) == ([], [])


def test_reads_a_comma_separated_german_export_with_dot_grouping_and_decimal_commas() -> None:
    imported = read_export(GERMAN)
    assert (imported.format, imported.encoding, imported.delimiter) == (
        KEYWORD_PLANNER,
        "utf-8-sig",
        ",",
    )
    assert imported.currency == "EUR"
    assert imported.rows == [
        metrics("wanderschuhe damen", 1300, "HIGH", 78, 0.45, 1.89),
        metrics("trailrunning schuhe", 12100, "MEDIUM", 41, 0.32, 1.05),
        metrics("laufweste", 880, "LOW", 9, 0.12, 0.60),
        # "Sehr hoch" is no label longtail knows: no competition, the rest kept.
        metrics("regenjacke wandern", 1000, None, 95, 1234.50, 2345.75),
    ]
    assert [(note.line, note.message) for note in imported.notes] == [
        (
            7,
            "Competition 'Sehr hoch' is not a competition level longtail knows; "
            "the row was imported without it",
        )
    ]


def test_reports_bad_rows_with_their_lines_and_imports_the_rest() -> None:
    imported = read_export(BAD_ROWS)
    assert [(p.line, p.field, p.message) for p in imported.skipped] == [
        (4, "Avg. monthly searches", "'n/a' is not a search volume"),
        (5, "Keyword", "no keyword"),
        (6, "Avg. monthly searches", "'12.5' is not a search volume"),
        (9, "Keyword", "'!!!' has no letters or digits to search for"),
    ]
    assert imported.rows == [
        metrics("trail running shoes", 14800, "HIGH", 87, 0.61, 2.34),  # line 7's 20000 lost
        metrics("hydration vest", 9900, "MEDIUM", 54, 0.45, 1.89),  # not line 10's 1000
        metrics("running belt", 880, "LOW", None, None, 0.90),
        metrics("trail running poles", None),
    ]
    assert imported.duplicates == 2
    assert (imported.with_volume, imported.without_volume) == (3, 1)
    assert [(p.line, p.message) for p in imported.notes] == [
        (8, "Competition (indexed value): '150' is not a whole number from 0 to 100; left empty"),
        (8, "Top of page bid (low range): 'abc' is not a number; left empty"),
    ]


def test_the_files_own_numbers_decide_what_an_ambiguous_one_means(tmp_path: Path) -> None:
    header = "Keyword\tCurrency\tAvg. monthly searches\tTop of page bid (high range)\n"
    # "0,45" proves the comma is this file's decimal mark, so "1,250" is 1.25 euros,
    # not 1,250, and "1.300" groups thousands.
    comma = tmp_path / "comma.tsv"
    comma.write_text(header + "laufweste\tEUR\t1.300\t0,45\nstirnlampe\tEUR\t90\t1,250\n")
    assert [m.high_top_of_page_bid for m in read_export(comma).rows] == [0.45, 1.25]
    assert read_export(comma).rows[0].avg_monthly_searches == 1300
    # "170.0" proves the point is the decimal mark: "1.300" would be 1.3 searches.
    point = tmp_path / "point.tsv"
    point.write_text(header + "arrocera\tCOP\t170.0\t\nolla\tCOP\t1.300\t\n")
    imported = read_export(point)
    assert [m.keyword for m in imported.rows] == ["arrocera"]
    assert [(p.line, p.message) for p in imported.skipped] == [
        (3, "'1.300' is not a search volume")
    ]


def test_reads_utf16_without_a_byte_order_mark(tmp_path: Path) -> None:
    export = tmp_path / "no-bom.csv"
    text = UTF16.read_bytes().decode("utf-16")
    export.write_bytes(text.encode("utf-16-le"))
    imported = read_export(export)
    assert imported.encoding == "utf-16-le"
    assert imported.rows == read_export(UTF16).rows


def test_reads_windows_1252_and_says_it_guessed(tmp_path: Path) -> None:
    export = tmp_path / "excel.csv"
    export.write_bytes(
        "Keyword,Currency,Avg. monthly searches\nsartén de hierro,COP,140\n".encode("cp1252")
    )
    imported = read_export(export)
    assert imported.rows == [metrics("sartén de hierro", 140)]
    assert imported.encoding == "cp1252"
    assert "Windows-1252" in imported.notes[0].message


# ---------------------------------------------------------------- Semrush and Ahrefs


def test_reads_a_semrush_export_volumes_only() -> None:
    imported = read_export(SEMRUSH_FILE)
    assert (imported.format, imported.encoding, imported.delimiter) == (
        SEMRUSH,
        "utf-8-sig",
        ",",
    )
    # CPC and Keyword Difficulty are not the Keyword Planner's bids and competition.
    assert imported.rows == [
        volume_only("trail running shoes", 22200),
        volume_only("best trail running shoes for beginners", 720),
        volume_only("trail shoes vs running shoes", 0),
    ]
    assert imported.currency is None
    assert imported.duplicates == 1  # "Trail Running Shoes" again, 18,100


def test_reads_a_semicolon_separated_semrush_api_export(tmp_path: Path) -> None:
    export = tmp_path / "semrush-api.csv"
    export.write_text(
        "Keyword;Search Volume;CPC;Competition;Number of Results;Keyword Difficulty Index\n"
        "hydration vest;4400;0.92;1.00;12400000;41\n",
        encoding="utf-8",
    )
    imported = read_export(export)
    assert (imported.format, imported.delimiter) == (SEMRUSH, ";")
    assert imported.rows == [volume_only("hydration vest", 4400)]


def test_reads_a_utf16_ahrefs_export_by_volume_not_global_volume() -> None:
    imported = read_export(AHREFS_FILE)
    assert (imported.format, imported.encoding, imported.delimiter) == (AHREFS, "utf-16", "\t")
    assert imported.rows == [
        volume_only("hydration vest", 4400),  # Global volume 12000
        volume_only("running hydration vest women", 350),
        volume_only("how to fill a hydration bladder", 150),
    ]
    assert imported.countries == ("US",)


# ---------------------------------------------------------------- files that are not exports


def test_a_file_without_volumes_names_the_columns_found_and_expected() -> None:
    with pytest.raises(InputError) as raised:
        read_export(IMPORTS / "keyword-notes.csv")
    message = str(raised.value)
    assert message.startswith(f"{IMPORTS / 'keyword-notes.csv'} is not a keyword export")
    assert "it has the columns 'Keyword', 'Notes'" in message
    assert "Avg. monthly searches" in message and "Keyword Difficulty" in message


def test_a_file_without_a_keyword_column_names_its_first_row() -> None:
    with pytest.raises(InputError) as raised:
        read_export(IMPORTS / "search-console-queries.csv")
    message = str(raised.value)
    assert "no 'Keyword' column in its first 20 rows" in message
    assert "'Top queries', 'Clicks', 'Impressions', 'CTR', 'Position'" in message


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.csv", "missing.csv: no such file"),
        (lambda d: d, "is a folder"),
        (lambda d: _write(d / "empty.csv", b"\n\n"), "empty.csv is empty"),
        (lambda d: _write(d / "odd.csv", codecs.BOM_UTF16_LE + b"K\x00e"), "cannot be read"),
    ],
    ids=["missing", "folder", "empty", "broken-utf16"],
)
def test_unreadable_files_are_input_errors(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        read_export(make(tmp_path))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("label", "level"),
    [
        ("High", "HIGH"),
        ("alto", "HIGH"),
        ("ALTA", "HIGH"),
        (" Medio ", "MEDIUM"),
        ("Bajo", "LOW"),
        ("Niedrig", "LOW"),
        ("Mittel", "MEDIUM"),
        ("Hoch", "HIGH"),
        ("Faible", "LOW"),
        ("Moyenne", "MEDIUM"),
        ("Élevé", "HIGH"),
        ("Elevee", "HIGH"),
        ("Baixo", "LOW"),
        ("Médio", "MEDIUM"),
        ("Wysoka", "HIGH"),
        ("Låg", "LOW"),
        ("高", "HIGH"),
        ("Sehr hoch", None),
        ("51", None),
    ],
)
def test_competition_labels_of_every_ui_language(label: str, level: str | None) -> None:
    assert competition_level(label) == level


def test_every_listed_label_reads_as_its_own_level() -> None:
    # A label two languages use for different levels would read wrong in one of them.
    for language, levels in COMPETITION_LABELS.items():
        for level, labels in zip(("LOW", "MEDIUM", "HIGH"), levels, strict=True):
            for label in labels:
                assert competition_level(label) == level, (language, label)


@pytest.mark.parametrize(
    ("cell", "mark", "volume"),
    [
        ("170.0", None, 170),
        ("1,300", None, 1300),
        ("1.300", None, 1300),
        ("1.300", ",", 1300),
        ("1 300", None, 1300),
        ("1,234,567", None, 1_234_567),
        ("0", None, 0),
        ("1K – 10K", None, VolumeRange("1K – 10K", 1_000, 10_000)),
        ("10K–100K", None, VolumeRange("10K–100K", 10_000, 100_000)),
        ("0 - 10", None, VolumeRange("0 - 10", 0, 10)),
        ("1M – 10M", None, VolumeRange("1M – 10M", 1_000_000, 10_000_000)),
    ],
)
def test_parses_volumes(cell: str, mark: str | None, volume: int | VolumeRange) -> None:
    assert parse_volume(cell, mark) == volume


@pytest.mark.parametrize(
    ("cell", "mark"),
    [("n/a", None), ("12.5", None), ("1.300", "."), ("-5", None), ("10K – 1K", None)],
)
def test_rejects_what_is_not_a_volume(cell: str, mark: str | None) -> None:
    with pytest.raises(ValueError):
        parse_volume(cell, mark)


def test_range_midpoints_are_geometric() -> None:
    assert [VolumeRange("", low, high).midpoint for low, high in [(0, 10), (100, 1_000)]] == [
        3,  # from 1, not 0: √(1 × 10)
        316,
    ]
    assert VolumeRange("", 1_000, 10_000).midpoint == 3162


@pytest.mark.parametrize(
    ("cell", "mark", "number"),
    [
        ("99.44", None, 99.44),
        ("0,45", None, 0.45),
        ("1,234.56", None, 1234.56),
        ("1.234,56", None, 1234.56),
        ("2 452,86", None, 2452.86),
        ("2\u00a0452,86", None, 2452.86),
        ("1,300", ".", 1300.0),
        ("1,300", ",", 1.3),
        ("717.28", None, 717.28),
    ],
)
def test_parses_decimals_in_either_locale(cell: str, mark: str | None, number: float) -> None:
    assert parse_decimal(cell, mark) == pytest.approx(number)


@pytest.mark.parametrize("cell", ["abc", "1,2,3", "12.34.5", "99.44", "$1.20"])
def test_rejects_what_is_not_a_decimal(cell: str) -> None:
    # "99.44" is no number in a file whose decimal mark is the comma.
    with pytest.raises(ValueError):
        parse_decimal(cell, "," if cell == "99.44" else None)


# ---------------------------------------------------------------- storing


@pytest.fixture(scope="module")
def expanded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database after `longtail expand tests/data/personas` (once: spaCy is slow to load)."""
    db = tmp_path_factory.mktemp("expanded") / "expanded.db"
    assert longtail("--db", db, "expand", DATA / "personas").exit_code == 0
    return db


@pytest.fixture
def db(expanded_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project.db"
    shutil.copy(expanded_db, copy)
    return copy


def stored_metrics(db: Path) -> list[tuple[object, ...]]:
    return (
        sqlite3.connect(db)
        .execute(
            "SELECT keyword, geo, language, network, avg_monthly_searches, competition, "
            "competition_index, low_top_of_page_bid, high_top_of_page_bid, source "
            "FROM keyword_metrics ORDER BY keyword"
        )
        .fetchall()
    )


def test_an_import_is_all_or_nothing(db: Path) -> None:
    store = open_store(db)
    # The disk fills up, say, after the volumes are written and before the candidates are.
    store.conn.execute(
        "CREATE TRIGGER full_disk BEFORE INSERT ON candidates WHEN NEW.source = 'import' "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    with pytest.raises(sqlite3.DatabaseError, match="disk is full"):
        import_export(store, UTF16, persona_id="trail-runner")
    store.close()
    assert stored_metrics(db) == []
    assert sqlite3.connect(db).execute(
        "SELECT count(*) FROM candidates WHERE source = 'import'"
    ).fetchone() == (0,)


def test_the_cli_imports_the_es_co_export_and_prints_the_summary(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    result = longtail("--db", db, "import", ES_CO, "--geo", "co", "--language", "ES")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Imported 17 keywords from keyword-planner-export-es-CO.tsv (Keyword Planner export, "
        "es-CO): 17 with volume, 0 without; no rows skipped.\n"
        "Notes:\n"
        "  line 6: cells shifted one column left (a Three month change or YoY change cell "
        "missing); Competition 'Medio' and the cells after it were read from where they stood. "
        "Neither change is stored, so which one is missing does not matter\n"
        "  line 16: cells shifted one column left (a Three month change or YoY change cell "
        "missing); Competition 'Bajo' and the cells after it were read from where they stood. "
        "Neither change is stored, so which one is missing does not matter\n"
        'Stored for CO / es / google-search as "import of keyword-planner-export-es-CO.tsv '
        '(Keyword Planner export)".\n'
    )
    source = "import of keyword-planner-export-es-CO.tsv (Keyword Planner export)"
    expected = sorted(
        (
            m.keyword,
            "CO",
            "es",
            "google-search",
            m.avg_monthly_searches,
            m.competition,
            m.competition_index,
            m.low_top_of_page_bid,
            m.high_top_of_page_bid,
            source,
        )
        for m in ES_CO_ROWS
    )
    assert stored_metrics(db) == expected


def test_the_cli_lists_skipped_rows_and_counts_repeats(tmp_path: Path) -> None:
    result = longtail("--db", tmp_path / "p.db", "import", BAD_ROWS)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:8] == [
        "Imported 4 keywords from keyword-planner-bad-rows.csv (Keyword Planner export, "
        "en-US): 3 with volume, 1 without; 4 rows skipped:",
        "  line 4: 'n/a' is not a search volume",
        "  line 5: no keyword",
        "  line 6: '12.5' is not a search volume",
        "  line 9: '!!!' has no letters or digits to search for",
        "2 repeated keywords left out: the first row of each was kept.",
        "Notes:",
        "  line 8: Competition (indexed value): '150' is not a whole number from 0 to 100; "
        "left empty",
    ]
    assert [row[:2] for row in stored_metrics(tmp_path / "p.db")] == [
        ("hydration vest", "US"),
        ("running belt", "US"),
        ("trail running poles", "US"),
        ("trail running shoes", "US"),
    ]


def test_importing_again_updates_rows_and_never_duplicates_them(db: Path) -> None:
    for _ in range(2):
        result = longtail("--db", db, "import", UTF16, "--persona", "trail-runner")
        assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM keyword_metrics").fetchone() == (5,)
    assert conn.execute(
        "SELECT count(*), count(DISTINCT keyword) FROM candidates WHERE source = 'import'"
    ).fetchone() == (5, 5)


def test_persona_import_is_scored_and_exported_at_volume_times_clv(
    db: Path, tmp_path: Path
) -> None:
    result = longtail("--db", db, "import", UTF16, "--persona", "trail-runner")
    assert result.exit_code == 0, result.output
    assert (
        "3 volumes given as ranges, stored at the range's geometric midpoint "
        "(10K – 100K → 31,623)." in result.output.splitlines()
    )
    assert "Added 5 keywords to the candidates of trail-runner" in result.output

    conn = sqlite3.connect(db)
    source = "import of keyword-planner-utf16.csv (Keyword Planner export)"
    # The persona's market: US / en / google-search, from its file.
    assert {row[1:4] + row[-1:] for row in stored_metrics(db)} == {
        ("US", "en", "google-search", source)
    }
    assert json.loads(
        conn.execute(
            "SELECT monthly_searches FROM keyword_metrics WHERE keyword = ?",
            ("waterproof trail running jacket",),
        ).fetchone()[0]
    )[:2] == [[2023, 5, 1000], [2023, 6, 1300]]
    candidates = conn.execute(
        "SELECT keyword, source_field, source_phrase, pattern FROM candidates "
        "WHERE persona_id = 'trail-runner' AND source = 'import' ORDER BY keyword"
    ).fetchall()
    assert candidates == [
        (keyword, "import", "keyword-planner-utf16.csv", "import")
        for keyword in sorted(
            [
                "trail running shoes",
                "hydration vest",
                "waterproof trail running jacket",
                "trail running shoes for wide feet",
                "ultramarathon training plan",
            ]
        )
    ]

    assert longtail("--db", db, "score").exit_code == 0
    out = tmp_path / "x.csv"
    export = longtail("--db", db, "export", "-o", out)
    assert export.exit_code == 0, export.output
    assert f"Volumes: {source} (5 keywords" in export.output
    with out.open(newline="", encoding="utf-8") as stream:
        rows = {
            row["keyword"]: row
            for row in csv.DictReader(stream)
            if row["persona_id"] == "trail-runner"
        }
    clv = _simple_clv(DATA / "personas" / "trail-runner.yaml")
    for keyword, volume in {
        "trail running shoes": 31623,
        "hydration vest": 3162,
        "waterproof trail running jacket": 1300,
        "trail running shoes for wide feet": 316,
        "ultramarathon training plan": 12100,
    }.items():
        assert int(rows[keyword]["avg_monthly_searches"]) == volume
        assert float(rows[keyword]["value"]) == pytest.approx(volume * clv)


def _simple_clv(persona_file: Path) -> float:
    """The simple formula, computed from the YAML here rather than by longtail."""
    clv = yaml.safe_load(persona_file.read_text())["clv"]
    value = clv["average_order_value"] * clv["purchases_per_year"] * clv["retention_years"]
    return float(value * clv.get("gross_margin", 1))


def test_an_unknown_persona_exits_2_naming_the_stored_ones(db: Path) -> None:
    result = longtail("--db", db, "import", UTF16, "--persona", "trail-runer")
    assert result.exit_code == 2
    assert "no persona 'trail-runer'" in result.output
    assert "gift-buyer, trail-runner" in result.output
    assert "`longtail expand`" in result.output
    assert stored_metrics(db) == []


def test_a_persona_in_an_empty_database_says_to_expand_first(tmp_path: Path) -> None:
    result = longtail("--db", tmp_path / "empty.db", "import", UTF16, "--persona", "trail-runner")
    assert result.exit_code == 2
    assert "has no personas yet. Run `longtail expand`" in result.output


def test_a_market_other_than_the_personas_is_stored_with_a_warning(db: Path) -> None:
    result = longtail("--db", db, "import", UTF16, "--persona", "trail-runner", "--geo", "GB")
    assert result.exit_code == 0, result.output
    assert (
        "trail-runner searches in US / en / google-search, but the volumes were stored for "
        "GB / en / google-search: its scores will not use them." in result.output
    )
    assert {row[1] for row in stored_metrics(db)} == {"GB"}


def test_ahrefs_countries_other_than_the_market_are_pointed_out(tmp_path: Path) -> None:
    result = longtail("--db", tmp_path / "p.db", "import", AHREFS_FILE, "--geo", "GB,IE")
    assert result.exit_code == 0, result.output
    assert "(Ahrefs export, en-GB,IE)" in result.output
    assert "Country column says US" in result.output and "--geo US" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--geo", "XX"], "Unknown country code 'XX' in --geo"),
        (["--language", "klingon"], "Unknown language code 'klingon' in --language"),
        (["--network", "display"], "Unknown network 'display' in --network"),
    ],
)
def test_unknown_market_codes_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = longtail("--db", tmp_path / "p.db", "import", ES_CO, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_the_cli_rejects_an_unknown_format_with_exit_2(tmp_path: Path) -> None:
    result = longtail("--db", tmp_path / "p.db", "import", IMPORTS / "keyword-notes.csv")
    assert result.exit_code == 2
    assert "it has the columns 'Keyword', 'Notes'" in result.output
    assert "Traceback" not in result.output


def test_the_cli_rejects_a_missing_file_with_exit_2(tmp_path: Path) -> None:
    result = longtail("--db", tmp_path / "p.db", "import", tmp_path / "nope.csv")
    assert (result.exit_code, result.output) == (
        2,
        f"Error: {tmp_path / 'nope.csv'}: no such file; give the path of an export to import\n",
    )


def test_help_teaches_the_formats() -> None:
    result = longtail("import", "--help")
    assert result.exit_code == 0
    for words in ("Keyword Planner", "Semrush", "Ahrefs", "1K – 10K", "geometric midpoint"):
        assert words in result.output
    assert "Example:" in result.output and "longtail import" in result.output
