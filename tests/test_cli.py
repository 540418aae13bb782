"""The command line end to end: real personas, real spaCy, the real Google Ads client over the
replay server, a real SQLite file, and the workbook reopened with openpyxl."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import openpyxl
import pytest
import yaml
from click.testing import CliRunner, Result

from longtail.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ROOT / "personas"
FIXTURES = ROOT / "fixtures" / "keyword_planner"
DATA = Path(__file__).parent / "data"


def longtail(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def expected_clv(persona_file: Path) -> float:
    """The simple formula, computed here from the YAML itself rather than by longtail."""
    clv = yaml.safe_load(persona_file.read_text())["clv"]
    if "value" in clv:
        return float(clv["value"])
    value = clv["average_order_value"] * clv["purchases_per_year"] * clv["retention_years"]
    return float(value * clv.get("gross_margin", 1))


def recorded_volumes() -> dict[str, int]:
    """avg monthly searches per keyword as the fixtures hold them, close variants included."""
    volumes: dict[str, int] = {}
    for file in FIXTURES.glob("historical_metrics_*.json"):
        for result in json.loads(file.read_text())["response"]["results"]:
            searches = result.get("keywordMetrics", {}).get("avgMonthlySearches")
            if searches is not None:
                for text in [result["text"], *result.get("closeVariants", [])]:
                    volumes[text] = int(searches)
    return volumes


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Result]:
    """One `longtail run` of the README demo: database, workbook, and what it printed."""
    work = tmp_path_factory.mktemp("demo")
    db, xlsx = work / "longtail.db", work / "keywords.xlsx"
    result = longtail("--db", db, "run", PERSONAS, "--replay", FIXTURES, "-o", xlsx)
    assert result.exit_code == 0, result.output
    return db, xlsx, result


def test_run_writes_keywords_valued_at_volume_times_clv(demo: tuple[Path, Path, Result]) -> None:
    _, xlsx, _ = demo
    clv = {yaml.safe_load(f.read_text())["id"]: expected_clv(f) for f in PERSONAS.glob("*.yaml")}
    volumes = recorded_volumes()
    sheet = openpyxl.load_workbook(xlsx)["Keywords"]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    column = {name: header.index(name) for name in header}
    assert rows, "the Keywords sheet is empty"
    values = []
    for row in rows:
        keyword, persona = row[column["Keyword"]], row[column["Persona ID"]]
        searches, value = row[column["Avg. monthly searches"]], row[column["Value"]]
        assert row[column["Segment CLV"]] == pytest.approx(clv[persona])
        if keyword in volumes:
            assert searches == volumes[keyword]
            assert value == pytest.approx(volumes[keyword] * clv[persona])
            values.append(value)
        else:
            assert searches is None and value is None, keyword
    assert values == sorted(values, reverse=True)
    # Keywords without data come after every keyword with a value.
    with_value = [row[column["Value"]] is not None for row in rows]
    assert with_value == sorted(with_value, reverse=True)
    assert len(values) < len(rows), "the fixtures should leave some keywords without data"


def test_summary_has_a_row_per_segment_and_says_where_volumes_came_from(
    demo: tuple[Path, Path, Result],
) -> None:
    _, xlsx, _ = demo
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == [
        "Summary",
        "Keywords",
        "Ad groups",
        "Negatives",
        "Content plan",
        "Assumptions",
    ]
    keywords = list(book["Keywords"].iter_rows(values_only=True))
    k_header = keywords[0]
    per_segment: dict[str, float] = {}
    for row in keywords[1:]:
        persona = row[k_header.index("Persona ID")]
        value = row[k_header.index("Value")] or 0.0
        per_segment[persona] = per_segment.get(persona, 0.0) + value

    summary = list(book["Summary"].iter_rows(values_only=True))
    header = summary[0]
    segments = [row for row in summary[1:] if row[0] in per_segment]
    assert {row[header.index("Persona ID")] for row in segments} == {
        yaml.safe_load(f.read_text())["id"] for f in PERSONAS.glob("*.yaml")
    }
    for row in segments:
        persona = row[header.index("Persona ID")]
        assert row[header.index("Total value")] == pytest.approx(per_segment[persona])
    totals = [row[header.index("Total value")] for row in segments]
    assert totals == sorted(totals, reverse=True)
    about = {row[0]: row[1] for row in summary if row and row[0] in {"Volumes", "longtail"}}
    assert about["Volumes"].startswith(f"replay of {FIXTURES}: sample fixtures")
    assert "not real search volumes" in about["Volumes"]


def test_workbook_has_frozen_headers_filters_and_number_formats(
    demo: tuple[Path, Path, Result],
) -> None:
    _, xlsx, _ = demo
    sheet = openpyxl.load_workbook(xlsx)["Keywords"]
    assert sheet.freeze_panes == "A2"
    assert (
        sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}"
        f"{sheet.max_row}"
    )
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(2, header.index("Avg. monthly searches") + 1).number_format == "#,##0"
    assert sheet.cell(2, header.index("Value") + 1).number_format == "#,##0.00"


def test_run_prints_each_stage(demo: tuple[Path, Path, Result]) -> None:
    db, xlsx, result = demo
    rows = (
        sqlite3.connect(db)
        .execute("SELECT count(*), count(DISTINCT persona_id) FROM candidates")
        .fetchone()
    )
    lines = result.output.splitlines()
    assert f"Stored {rows[0]:,} candidates for {rows[1]} personas." in lines
    assert (
        f"Volumes: 1 request, {rows[0] - duplicates(db):,} keywords asked, 0 served from "
        "cache" in result.output
    )
    assert any(
        line.startswith(f"Wrote {xlsx}: {rows[0]:,} keywords for 5 segments") for line in lines
    )


def duplicates(db: Path) -> int:
    """Candidates that several personas share are looked up once."""
    return int(
        sqlite3.connect(db)
        .execute("SELECT count(*) - count(DISTINCT keyword) FROM candidates")
        .fetchone()[0]
    )


def test_rerun_uses_the_cache_and_never_duplicates_rows(tmp_path: Path) -> None:
    db = tmp_path / "project.db"
    for _ in range(2):
        result = longtail(
            "--db", db, "run", PERSONAS, "--replay", FIXTURES, "-o", tmp_path / "k.csv"
        )
        assert result.exit_code == 0, result.output
    assert "0 requests, 0 keywords asked" in result.output
    conn = sqlite3.connect(db)
    for table, key in [
        ("candidates", "persona_id, keyword"),
        ("scores", "persona_id, keyword"),
        ("keyword_metrics", "keyword, geo, language, network"),
        ("personas", "id"),
    ]:
        total, distinct = conn.execute(
            f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT {key} FROM {table})) "
            f"FROM {table}"
        ).fetchone()
        assert total == distinct > 0, table
    assert conn.execute("SELECT count(*), min(status) FROM runs").fetchone() == (2, "finished")


def test_csv_export_has_one_row_per_keyword_and_persona(tmp_path: Path) -> None:
    db, out = tmp_path / "p.db", tmp_path / "keywords.csv"
    assert (
        longtail("--db", db, "run", DATA / "personas", "--replay", FIXTURES, "-o", out).exit_code
        == 0
    )
    with out.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    pairs = sqlite3.connect(db).execute("SELECT persona_id, keyword FROM candidates").fetchall()
    assert sorted((r["persona_id"], r["keyword"]) for r in rows) == sorted(pairs)
    assert {"keyword", "persona_id", "avg_monthly_searches", "segment_clv", "value"} <= set(rows[0])


def test_stages_run_one_by_one(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    expand = longtail("--db", db, "expand", DATA / "personas")
    assert expand.exit_code == 0 and "Stored" in expand.output
    volumes = longtail("--db", db, "volumes", "--replay", FIXTURES)
    assert volumes.exit_code == 0 and volumes.output.startswith("Volumes: 1 request")
    score = longtail("--db", db, "score")
    assert score.exit_code == 0 and score.output.startswith("rank  keyword")
    out = tmp_path / "k.xlsx"
    export = longtail("--db", db, "export", "-o", out)
    assert export.exit_code == 0 and out.exists()


def test_later_stages_before_earlier_ones_say_what_to_run(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    volumes = longtail("--db", db, "volumes", "--replay", FIXTURES)
    assert (volumes.exit_code, volumes.output) == (
        2,
        "Error: no candidate keywords in the database yet; run `longtail expand` first\n",
    )
    export = longtail("--db", db, "export", "-o", tmp_path / "k.xlsx")
    assert export.exit_code == 2 and "run `longtail score`" in export.output


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("bad-yaml.yaml", "bad-yaml.yaml:6: invalid YAML"),
        ("wrong-types.yaml", "wrong-types.yaml:7: clv.average_order_value: 'about 140 dollars'"),
        ("missing-fields.yaml", "missing-fields.yaml:1: description: is required"),
        ("out-of-range.yaml", "out-of-range.yaml:9: clv.gross_margin: 1.4 is not between 0 and 1"),
        ("unknown-field.yaml", "pain_point: is not a persona field; did you mean 'pain_points'?"),
        ("duplicate-id.yaml", "id: 'trail-runner' is already the id of"),
        ("not-a-mapping.yaml", "not-a-mapping.yaml:1: must be a mapping of fields"),
    ],
)
def test_broken_persona_exits_2_and_leaves_the_database_untouched(
    tmp_path: Path, broken: str, message: str
) -> None:
    folder = tmp_path / "personas"
    shutil.copytree(DATA / "personas", folder)
    db = tmp_path / "project.db"
    assert longtail("--db", db, "expand", folder).exit_code == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    shutil.copy(DATA / "broken" / broken, folder / broken)
    for args in (
        ["expand", folder],
        ["run", folder, "--replay", FIXTURES, "-o", tmp_path / "k.xlsx"],
        ["personas", "validate", folder],
    ):
        result = longtail("--db", db, *args)
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not (tmp_path / "k.xlsx").exists()


def test_broken_persona_never_creates_a_database(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    result = longtail("--db", db, "expand", DATA / "broken" / "out-of-range.yaml")
    assert result.exit_code == 2
    assert not db.exists()


def test_personas_validate_and_list(tmp_path: Path) -> None:
    validate = longtail("personas", "validate", DATA / "personas")
    assert validate.output == "2 personas valid: gift-buyer, trail-runner\n"
    listed = longtail("personas", "list", DATA / "personas").output.splitlines()
    assert listed[0].split() == ["id", "name", "CLV", "currency", "geo", "CLV", "from"]
    assert listed[1].startswith("trail-runner  Weekend trail runner")
    assert "441.00  USD       US   140 order × 2.5/yr × 3 yr × 0.42 margin" in listed[1]
    assert "55.00  USD       US   stated: 55" in listed[2]


def test_missing_credentials_name_both_ways_and_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in [v for v in __import__("os").environ if v.startswith("GOOGLE_ADS_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("HOME", str(tmp_path))
    db = tmp_path / "p.db"
    assert longtail("--db", db, "expand", DATA / "personas").exit_code == 0
    result = longtail("--db", db, "volumes")
    assert result.exit_code == 2
    assert "google-ads.yaml" in result.output and "GOOGLE_ADS_DEVELOPER_TOKEN" in result.output
    assert "--replay fixtures/keyword_planner" in result.output


def test_database_from_environment_variable(tmp_path: Path) -> None:
    db = tmp_path / "from-env.db"
    result = longtail("expand", DATA / "personas", env={"LONGTAIL_DB": str(db)})
    assert result.exit_code == 0
    assert sqlite3.connect(db).execute("SELECT count(*) FROM personas").fetchone() == (2,)


def test_debug_variable_shows_the_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--db", str(tmp_path / "p.db"), "expand", str(DATA / "broken" / "bad-yaml.yaml")]
    quiet = runner.invoke(cli, args)
    assert quiet.exit_code == 2 and not isinstance(quiet.exception, ValueError)
    loud = runner.invoke(cli, args, env={"LONGTAIL_DEBUG": "1"})
    assert type(loud.exception).__name__ == "PersonaError"


def test_unsupported_export_extension_is_bad_input(
    demo: tuple[Path, Path, Result], tmp_path: Path
) -> None:
    db, _, _ = demo
    result = longtail("--db", db, "export", "-o", tmp_path / "keywords.pdf")
    assert result.exit_code == 2 and "'.pdf' is not supported" in result.output


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, f"{prefix}{name} "))
    return found


@pytest.mark.parametrize(("name", "command"), all_commands(cli), ids=lambda x: str(x))
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    result = longtail(*name.split(), "--help")
    assert result.exit_code == 0
    assert command.help, f"{name} has no help text"
    if not isinstance(command, click.Group):
        assert "Example" in result.output and f"longtail {name}" in result.output


def test_version() -> None:
    assert longtail("--version").output.startswith("longtail, version ")


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from longtail.cli import cli\n"
        "try:\n"
        "    cli(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['spacy', 'pandas', 'google.ads', 'sqlite_utils', 'grpc', 'pydantic']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == ""


def test_replay_of_a_missing_folder_names_the_option(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert longtail("--db", db, "expand", DATA / "personas").exit_code == 0
    result = longtail("--db", db, "volumes", "--replay", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert f"{tmp_path / 'nowhere'}: no such fixtures directory" in result.output
    assert "--replay fixtures/keyword_planner" in result.output


def test_replay_of_broken_fixtures_names_the_file(tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, fixtures)
    (fixtures / "manifest.json").write_text('{"label": "x", "api_version": ')
    db = tmp_path / "p.db"
    assert longtail("--db", db, "expand", DATA / "personas").exit_code == 0
    result = longtail("--db", db, "volumes", "--replay", fixtures)
    assert result.exit_code == 2, result.output
    assert str(fixtures / "manifest.json") in result.output
    assert sqlite3.connect(db).execute("SELECT count(*) FROM keyword_metrics").fetchone() == (0,)


def keywords_per_market(db: Path) -> int:
    """Keywords a lookup asks for: each distinct keyword once per market that searches it."""
    return int(
        sqlite3.connect(db)
        .execute(
            "SELECT count(*) FROM (SELECT DISTINCT p.geo, p.language, p.network, c.keyword "
            "FROM candidates c JOIN personas p ON p.id = c.persona_id)"
        )
        .fetchone()[0]
    )


def test_volumes_dry_run_says_what_it_would_send_and_sends_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "personas"
    shutil.copytree(DATA / "personas", folder)
    # A second market: one request each, so pacing has one gap to wait.
    (folder / "trail-runner.yaml").write_text(
        (DATA / "personas" / "trail-runner.yaml")
        .read_text()
        .replace("market: {geo: US, language: en, currency: USD}", "market: {geo: GB}"),
    )
    db = tmp_path / "p.db"
    assert longtail("--db", db, "expand", folder).exit_code == 0
    keywords = keywords_per_market(db)

    result = longtail("--db", db, "volumes", "--dry-run", "--replay", FIXTURES)

    assert (result.exit_code, result.output) == (
        0,
        f"Would send 2 requests for {keywords:,} keywords (0 served from cache) in 2 markets; "
        "pacing at 1 request/s takes at least 1 s. Nothing was sent.\n",
    )
    slower = longtail("--db", db, "volumes", "--dry-run", "--replay", FIXTURES, "--rate", "0.25")
    assert "pacing at 0.25 requests/s takes at least 4 s." in slower.output
    assert sqlite3.connect(db).execute("SELECT count(*) FROM keyword_metrics").fetchone() == (0,)


def test_volumes_dry_run_counts_only_the_cache_of_its_own_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No credentials anywhere: a live dry run must not need them.
    for variable in [v for v in __import__("os").environ if v.startswith("GOOGLE_ADS_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("HOME", str(tmp_path))
    db = tmp_path / "p.db"
    assert longtail("--db", db, "expand", DATA / "personas").exit_code == 0
    keywords = keywords_per_market(db)
    assert longtail("--db", db, "volumes", "--replay", FIXTURES).exit_code == 0

    replayed = longtail("--db", db, "volumes", "--dry-run", "--replay", FIXTURES)
    live = longtail("--db", db, "volumes", "--dry-run")

    assert (replayed.exit_code, replayed.output) == (
        0,
        f"Would send no requests: all {keywords:,} keywords are served from cache. "
        "Nothing was sent.\n",
    )
    # Sample data from a replay never stands in for a live lookup.
    assert (live.exit_code, live.output) == (
        0,
        f"Would send 1 request for {keywords:,} keywords (0 served from cache) in 1 market; "
        "one request needs no pacing. Nothing was sent.\n",
    )


def test_volumes_dry_run_of_broken_fixtures_names_the_file(tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "manifest.json").write_text('{"api_version": "v26"}')
    db = tmp_path / "p.db"
    assert longtail("--db", db, "expand", DATA / "personas").exit_code == 0

    result = longtail("--db", db, "volumes", "--dry-run", "--replay", fixtures)

    assert result.exit_code == 2, result.output
    assert f"{fixtures / 'manifest.json'}: label:" in result.output


def test_rate_must_be_more_than_zero_and_is_taken_by_volumes_and_run(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert longtail("--db", db, "expand", DATA / "personas").exit_code == 0
    for command in (["volumes"], ["run", DATA / "personas", "-o", tmp_path / "k.csv"]):
        refused = longtail("--db", db, *command, "--replay", FIXTURES, "--rate", "0")
        assert refused.exit_code == 2
        assert "--rate" in refused.output
    ran = longtail(
        "--db",
        db,
        "run",
        DATA / "personas",
        "--replay",
        FIXTURES,
        "--rate",
        "4",
        "-o",
        tmp_path / "k.csv",
    )
    assert ran.exit_code == 0, ran.output
    assert "Volumes: 1 request" in ran.output


def test_the_rate_option_defaults_to_googles_planning_limit() -> None:
    from longtail.planner.service import DEFAULT_RATE

    for name in ("volumes", "run"):
        [rate] = [p for p in cli.commands[name].params if p.name == "rate"]
        assert rate.default == DEFAULT_RATE


def test_every_candidate_carries_its_intent_into_the_workbook(
    demo: tuple[Path, Path, Result],
) -> None:
    from longtail.config import INTENTS
    from longtail.intent import classify

    db, xlsx, _ = demo
    conn = sqlite3.connect(db)
    labels = dict(
        conn.execute("SELECT persona_id || '|' || keyword, intent FROM candidates").fetchall()
    )
    assert set(labels.values()) <= set(INTENTS)
    assert labels["trail-runner|hydration vest"] == classify("hydration vest")
    sheet = openpyxl.load_workbook(xlsx)["Keywords"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("Intent")
    for row in sheet.iter_rows(min_row=2, values_only=True):
        assert row[column] == labels[f"{row[header.index('Persona ID')]}|{row[0]}"]


def test_run_takes_the_config_and_refuses_a_bad_one_before_writing(tmp_path: Path) -> None:
    config = tmp_path / "shop.toml"
    config.write_text("[expansion]\nper_persona_cap = 5\n")
    db = tmp_path / "p.db"
    result = longtail(
        "--db",
        db,
        "run",
        DATA / "personas",
        "--replay",
        FIXTURES,
        "--config",
        config,
        "-o",
        tmp_path / "k.csv",
    )
    assert result.exit_code == 0, result.output
    per_persona = (
        sqlite3.connect(db)
        .execute("SELECT max(n) FROM (SELECT count(*) AS n FROM candidates GROUP BY persona_id)")
        .fetchone()
    )
    assert per_persona == (5,)

    config.write_text("[expansion]\nper_persona_capp = 5\n")
    fresh = tmp_path / "fresh.db"
    bad = longtail(
        "--db",
        fresh,
        "run",
        DATA / "personas",
        "--replay",
        FIXTURES,
        "--config",
        config,
        "-o",
        tmp_path / "k2.csv",
    )
    assert bad.exit_code == 2 and "did you mean expansion.per_persona_cap?" in bad.output
    assert not fresh.exists()


def test_summary_lists_each_segments_channels_and_keywords_their_ranks(
    demo: tuple[Path, Path, Result],
) -> None:
    _, xlsx, _ = demo
    book = openpyxl.load_workbook(xlsx)
    summary = list(book["Summary"].iter_rows(values_only=True))
    header = summary[0]
    channels = {row[0]: row[header.index("Channels")] for row in summary[1:6]}
    for file in PERSONAS.glob("*.yaml"):
        persona = yaml.safe_load(file.read_text())
        assert channels[persona["id"]] == ", ".join(persona.get("channels", []))
    keywords = list(book["Keywords"].iter_rows(values_only=True))
    k_header = keywords[0]
    rank, segment_rank = k_header.index("Rank"), k_header.index("Rank in segment")
    persona = k_header.index("Persona ID")
    firsts = {}
    for row in keywords[1:]:
        firsts.setdefault(row[persona], row)
    assert keywords[1][rank] == 1
    assert all(row[segment_rank] == 1 for row in firsts.values())


def test_workbook_economics_follow_from_the_rows_own_inputs(
    demo: tuple[Path, Path, Result],
) -> None:
    _, xlsx, _ = demo
    rows = list(openpyxl.load_workbook(xlsx)["Keywords"].iter_rows(values_only=True))
    header = rows[0]
    rates = {"informational": 0.005, "commercial": 0.015, "transactional": 0.03}
    checked = 0
    for row in rows[1:]:
        cell = dict(zip(header, row, strict=True))
        rate = rates[cell["Intent"]]
        assert cell["Conversion rate"] == pytest.approx(rate)
        assert cell["Break-even CPC"] == pytest.approx(rate * cell["Segment CLV"])
        if cell["Avg. monthly searches"] is None:
            assert cell["Expected clicks / mo"] is None
            continue
        clicks = cell["Avg. monthly searches"] * 0.110  # Sistrix, position 3
        assert cell["Expected clicks / mo"] == pytest.approx(clicks)
        assert cell["Expected customers / mo"] == pytest.approx(clicks * rate)
        assert cell["Expected monthly value"] == pytest.approx(clicks * rate * cell["Segment CLV"])
        if cell["Top of page bid (high)"] is not None:
            margin = cell["Break-even CPC"] - cell["Top of page bid (high)"]
            assert cell["Margin vs high bid"] == pytest.approx(margin)
            above = cell["Bid check"] != "within break-even"
            assert above == (margin < 0)
        checked += 1
    assert checked > 1000


def test_assumptions_sheet_lists_the_economics_the_clvs_and_the_source(
    demo: tuple[Path, Path, Result],
) -> None:
    _, xlsx, _ = demo
    rows = list(openpyxl.load_workbook(xlsx)["Assumptions"].iter_rows(values_only=True))
    assert rows[0] == ("Assumption", "Value", "Source")
    table = {row[0]: row[1:] for row in rows[1:]}
    assert table["CTR at the target position"][0] == "11.0%"
    assert table["conversion rate, transactional"] == ("3.00%", "longtail's defaults")
    clv = expected_clv(PERSONAS / "trail-runner.yaml")
    assert table["segment CLV, trail-runner"][0] == f"{clv:,.2f} USD"
    assert "not real search volumes" in table["Volumes"][0]
    assert table["longtail"][0] == longtail("--version").output.split()[-1]


def test_summary_ranks_segments_by_value_and_by_expected_monthly_value(
    demo: tuple[Path, Path, Result],
) -> None:
    _, xlsx, _ = demo
    summary = list(openpyxl.load_workbook(xlsx)["Summary"].iter_rows(values_only=True))
    header = summary[0]
    segments = [dict(zip(header, row, strict=False)) for row in summary[1:6]]
    by_monthly = sorted(segments, key=lambda s: -s["Expected monthly value"])
    assert [s["Rank by monthly value"] for s in by_monthly] == [1, 2, 3, 4, 5]
    assert [s["Rank by value"] for s in segments] == [1, 2, 3, 4, 5]
    total = sum(s["Expected monthly value"] for s in segments)
    for segment in segments:
        share = segment["Expected monthly value"] / total
        assert segment["Share of expected value"] == pytest.approx(share)
        assert (segment["Reach"] == "search") == (share >= 0.05)


def test_score_explain_prints_how_each_figure_was_reached(demo: tuple[Path, Path, Result]) -> None:
    db, _, _ = demo
    result = longtail("--db", db, "score", "--explain", "Down Quilt")
    assert result.exit_code == 0, result.output
    assert "'down quilt' for thru-hiker (Ultralight thru-hiker):" in result.output
    searches = recorded_volumes()["down quilt"]
    clv = expected_clv(PERSONAS / "thru-hiker.yaml")
    lines = {line.split("  ")[0]: line for line in result.output.splitlines()}
    assert f"{searches:,} × {clv:,.2f} USD" in lines["value"]
    assert f"{searches * 0.11:,.1f}" in lines["expected clicks / month"]
    assert f"{0.015 * clv:,.2f} USD" in lines["break-even CPC"]


def test_score_explain_of_an_unknown_keyword_suggests_close_ones(
    demo: tuple[Path, Path, Result],
) -> None:
    db, _, _ = demo
    result = CliRunner().invoke(cli, ["--db", str(db), "score", "--explain", "down quilts"])
    assert result.exit_code == 2
    assert "'down quilts' is not among the scored keywords; did you mean 'down quilt'" in (
        result.output
    )


def test_forecast_spreads_the_budget_and_never_exceeds_it(demo: tuple[Path, Path, Result]) -> None:
    db, _, _ = demo
    result = longtail(
        "--db", db, "forecast", "--budget", "1500", "--start", "2027-03", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    forecast = json.loads(result.output)
    assert [m["month"] for m in forecast["months"]][:2] == ["Mar 2027", "Apr 2027"]
    assert len(forecast["months"]) == 12
    assert all(m["spend"] <= 1500 + 1e-6 for m in forecast["months"])
    spend = sum(k["spend"] for k in forecast["keywords"])
    assert spend == pytest.approx(sum(m["spend"] for m in forecast["months"]))
    returns = [k["return"] for k in forecast["keywords"]]
    assert returns == sorted(returns, reverse=True)


def test_forecast_csv_lists_the_funded_keywords(demo: tuple[Path, Path, Result]) -> None:
    db, _, _ = demo
    result = longtail("--db", db, "forecast", "--budget", "300", "--months", "1", "--format", "csv")
    rows = list(csv.DictReader(result.output.splitlines()))
    assert rows and set(rows[0]) >= {"keyword", "persona_id", "bid", "cost_per_click", "spend"}
    assert sum(float(r["spend"]) for r in rows) == pytest.approx(300, abs=0.01)
    assert all(float(r["cost_per_click"]) <= float(r["bid"]) + 1e-6 for r in rows)


def test_forecast_before_scoring_says_what_to_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "x.db"), "forecast", "--budget", "100"]
    )
    assert result.exit_code == 2
    assert "nothing scored yet; run `longtail score`" in result.output


def test_a_persona_conversion_rate_reaches_the_break_even_cpc(tmp_path: Path) -> None:
    personas = tmp_path / "personas"
    shutil.copytree(PERSONAS, personas)
    file = personas / "gift-buyer.yaml"
    file.write_text(file.read_text() + "conversion_rates: {transactional: 0.08}\n")
    db, out = tmp_path / "l.db", tmp_path / "k.csv"
    result = longtail("--db", db, "run", personas, "--replay", FIXTURES, "-o", out)
    assert result.exit_code == 0, result.output
    rows = [
        r
        for r in csv.DictReader(out.open(encoding="utf-8"))
        if r["persona_id"] == "gift-buyer" and r["intent"] == "transactional"
    ]
    assert rows
    clv = expected_clv(file)
    assert all(float(r["break_even_cpc"]) == pytest.approx(0.08 * clv) for r in rows)


def test_a_stored_trends_index_reaches_the_scores_and_the_forecast(
    demo: tuple[Path, Path, Result], tmp_path: Path
) -> None:
    db = tmp_path / "trends.db"
    shutil.copy(demo[0], db)
    index = [3.0] + [12 / 11 - 3 / 11] * 11  # January three times an average month
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO trends (keyword, geo, status, seasonal_index, fetched_at) "
            "VALUES ('down quilt', 'US', 'ok', ?, '2026-12-01T00:00:00+00:00')",
            (json.dumps(index),),
        )
    assert longtail("--db", db, "score").exit_code == 0
    with sqlite3.connect(db) as conn:
        seasonality, peak = conn.execute(
            "SELECT seasonality, peak_month FROM scores WHERE keyword = 'down quilt'"
        ).fetchone()
    assert (seasonality, peak) == ("Google Trends, 5 years", "Jan")


class RefusingTrends:
    """Google Trends as it answers a busy IP: every request refused after the retries."""

    def __init__(self) -> None:
        self.asked = 0
        self.requests = self.retries = 0
        self.waited = 0.0

    def interest_over_time(self, keywords: object, geo: str) -> None:
        from longtail.errors import TrendsUnavailable

        self.asked += 1
        self.requests += 1
        raise TrendsUnavailable("Google Trends answered HTTP 429 (too many requests)")

    def related_queries(self, seed: str, geo: str) -> None:
        self.interest_over_time([seed], geo)


def test_run_with_trends_goes_on_without_them_when_google_refuses(tmp_path: Path) -> None:
    from longtail.pipeline import run_all

    printed: list[object] = []
    refusing = RefusingTrends()
    out = tmp_path / "k.csv"
    run_all(
        tmp_path / "l.db",
        [PERSONAS],
        replay=FIXTURES,
        max_age=None,
        output=out,
        on_stage=printed.append,
        trends=True,
        trends_fetcher=refusing,  # type: ignore[arg-type]
    )
    trends = [r for r in printed if type(r).__name__ == "TrendsResult"]
    assert len(trends) == 1 and refusing.asked == 1  # gave up at once, asked nothing more
    assert "longtail trends" in trends[0].skipped  # says how to retry
    from longtail.cli.pipeline import _report

    assert _report(trends[0]).splitlines()[-1] == f"Warning: {trends[0].skipped}"
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 1255 and {r["seasonality"] for r in rows} <= {
        "Keyword Planner monthly volumes",
        "flat: no monthly volumes",
    }
