"""The export people judge longtail by, end to end and reopened: the workbook with openpyxl,
the CSV, the Google Ads Editor import and JSON lines with their own readers.

The project is the README demo (real personas, real spaCy, the real Google Ads client over
the replay server, a real SQLite file) with two hostile keywords added to one persona.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from longtail import export
from longtail.cli import cli
from longtail.config import load_config
from longtail.expand import Candidate
from longtail.groups import EDITOR_COLUMNS
from longtail.store import Market, Store

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = ROOT / "personas"
FIXTURES = ROOT / "fixtures" / "keyword_planner"
HOSTILE = ['=HYPERLINK("x")', "-free"]


def longtail(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database with two keywords a spreadsheet would run as formulas."""
    work = tmp_path_factory.mktemp("campaigns")
    db = work / "longtail.db"
    result = longtail("--db", db, "run", PERSONAS, "--replay", FIXTURES, "-o", work / "k.csv")
    assert result.exit_code == 0, result.output
    store = Store(db)
    store.add_candidates(
        [Candidate(k, "trail-runner", "products", k, "product", "transactional") for k in HOSTILE],
        "expand",
    )
    market = store.persona_market("trail-runner")
    assert market is not None
    from longtail.planner.metrics import KeywordMetrics

    store.save_metrics(
        Market(market.geo, market.language, market.network),
        [KeywordMetrics(k, 500, (), "LOW", 10, 0.5, 1.5, None) for k in HOSTILE],
        "sample",
    )
    store.close()
    assert longtail("--db", db, "score").exit_code == 0
    return db


def scores(db: Path) -> dict[tuple[str, str], dict[str, object]]:
    store = Store(db)
    try:
        frame = store.scored_keywords()
    finally:
        store.close()
    return {(r["persona_id"], r["keyword"]): r for r in frame.to_dict("records")}


@pytest.fixture(scope="module")
def workbook(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "keywords.xlsx"
    result = longtail("--db", project, "export", "-o", path)
    assert result.exit_code == 0, result.output
    assert "ad groups" in result.output and "negatives" in result.output
    return path


@pytest.fixture(scope="module")
def editor(project: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    path = tmp_path_factory.mktemp("editor") / "campaigns.csv"
    result = longtail(
        "--db", project, "export", "-o", path, "--format", "editor", "--daily-budget", "25"
    )
    assert result.exit_code == 0, result.output
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == EDITOR_COLUMNS
        return list(reader)


def sheet_rows(path: Path, name: str) -> list[dict[str, object]]:
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:] if any(row)]


def test_workbook_has_every_sheet_with_frozen_filtered_bold_headers(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == [
        "Summary",
        "Keywords",
        "Ad groups",
        "Negatives",
        "Content plan",
        "Assumptions",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert all(cell.font.bold for cell in sheet[1] if cell.value), sheet.title
        assert len(sheet.title) <= 31


def test_summary_carries_a_native_bar_chart_of_value_by_segment(workbook: Path) -> None:
    summary = openpyxl.load_workbook(workbook)["Summary"]
    (chart,) = summary._charts
    assert chart.tagname == "barChart"
    values = chart.series[0].val.numRef.f
    assert values.replace("'", "") == "Summary!$H$2:$H$6"  # Total value, a bar per segment
    assert summary["H1"].value == "Total value"


def test_keywords_sheet_values_equal_the_store_with_ad_group_and_max_cpc(
    workbook: Path, project: Path
) -> None:
    stored = scores(project)
    rows = sheet_rows(workbook, "Keywords")
    assert len(rows) == len(stored)
    settings = load_config().groups
    for row in rows:
        expected = stored[(str(row["Persona ID"]), str(row["Keyword"]).removeprefix("'"))]
        assert row["Value"] == pytest.approx(expected["value"], nan_ok=True) or (
            row["Value"] is None
        )
        cpc = row["Max CPC"]
        if cpc is not None:
            cap = expected["break_even_cpc"] * settings.cpc_fraction  # type: ignore[operator]
            assert cpc <= cap + 1e-9
            high = expected["high_top_of_page_bid"]
            if high == high and high:  # not NaN, not 0
                assert cpc <= high + 1e-9  # type: ignore[operator]
    sheet = openpyxl.load_workbook(workbook)["Keywords"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("Max CPC") + 1
    assert sheet.cell(2, column).number_format == "#,##0.00"


def test_ad_group_totals_add_up_the_keywords_of_each_group(workbook: Path) -> None:
    keywords = sheet_rows(workbook, "Keywords")
    groups = sheet_rows(workbook, "Ad groups")
    assert groups
    for group in groups[:20]:
        members = [
            k
            for k in keywords
            if k["Ad group"] == group["Ad group"] and k["Persona ID"] == group["Persona ID"]
        ]
        assert len(members) == group["Keywords"]
        assert group["Total value"] == pytest.approx(sum(k["Value"] or 0 for k in members))


def test_content_plan_holds_informational_keywords_only(workbook: Path) -> None:
    intents = {
        (k["Persona ID"], k["Keyword"]): k["Intent"] for k in sheet_rows(workbook, "Keywords")
    }
    topics = sheet_rows(workbook, "Content plan")
    assert topics
    for topic in topics:
        for keyword in str(topic["Keywords"]).split("; "):
            assert intents[(topic["Persona ID"], keyword)] == "informational"


def test_editor_import_has_paused_search_campaigns_with_budget_and_locations(
    editor: list[dict[str, str]],
) -> None:
    campaigns = [r for r in editor if r["Campaign Type"]]
    assert len(campaigns) == len(list(PERSONAS.glob("*.yaml")))
    for row in campaigns:
        assert (row["Campaign Type"], row["Status"], row["Budget"]) == ("Search", "Paused", "25.00")
        assert row["Networks"] == "Google search" and row["Languages"] == "en"
    locations = [r for r in editor if r["Location ID"]]
    assert {r["Location ID"] for r in locations} == {"2840"}  # the example shop sells in the US
    assert len(locations) == len(campaigns)


def test_editor_keywords_have_one_row_per_match_type_within_the_bid_caps(
    editor: list[dict[str, str]], project: Path
) -> None:
    stored = {keyword: row for (_, keyword), row in scores(project).items()}
    keywords = [r for r in editor if r["Criterion Type"] in {"Exact", "Phrase", "Broad"}]
    assert {r["Criterion Type"] for r in keywords} == {"Exact", "Phrase"}
    by_text: dict[tuple[str, str], set[str]] = {}
    for row in keywords:
        assert row["Ad Group"] and row["Status"] == "Enabled"
        by_text.setdefault((row["Campaign"], row["Keyword"]), set()).add(row["Criterion Type"])
        if row["Max CPC"]:
            cpc = float(row["Max CPC"])
            source = stored[row["Keyword"].removeprefix("'")]
            assert cpc <= float(source["break_even_cpc"]) * 0.8 + 1e-9  # type: ignore[arg-type]
            assert re.fullmatch(r"\d+\.\d{2}", row["Max CPC"])  # whole cents
    assert all(kinds == {"Exact", "Phrase"} for kinds in by_text.values())


def test_editor_negatives_are_campaign_level_and_never_block_a_keyword(
    editor: list[dict[str, str]],
) -> None:
    negatives = [r for r in editor if r["Criterion Type"].startswith("Negative")]
    assert negatives and {r["Criterion Type"] for r in negatives} <= {
        "Negative Phrase",
        "Negative Exact",
    }
    assert all(r["Ad Group"] == "" for r in negatives)
    assert "jobs" in {r["Keyword"] for r in negatives}  # bundled, and in every persona file
    for negative in negatives:
        words = negative["Keyword"].split()
        for row in editor:
            if row["Campaign"] == negative["Campaign"] and row["Criterion Type"] in {
                "Exact",
                "Phrase",
            }:
                keyword = row["Keyword"].split()
                spans = [keyword[i : i + len(words)] for i in range(len(keyword))]
                assert words not in spans, (negative["Keyword"], row["Keyword"])


def test_formula_text_is_inert_in_every_format(
    project: Path, workbook: Path, editor: list[dict[str, str]], tmp_path: Path
) -> None:
    sheet = openpyxl.load_workbook(workbook)["Keywords"]
    cells = {cell.value: cell for cell in sheet["A"]}
    for keyword in HOSTILE:
        assert cells[keyword].data_type == "s"  # text, never a formula ("f")
    assert {"'" + k for k in HOSTILE} <= {r["Keyword"] for r in editor}

    path = tmp_path / "k.csv"
    assert longtail("--db", project, "export", "-o", path).exit_code == 0
    with path.open(encoding="utf-8", newline="") as handle:
        texts = {row["keyword"] for row in csv.DictReader(handle)}
    assert {"'" + k for k in HOSTILE} <= texts and not set(HOSTILE) & texts

    lines = longtail("--db", project, "export", "--format", "jsonl").output.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == len(scores(project))
    assert {"'" + k for k in HOSTILE} <= {r["keyword"] for r in records}


def test_excel_flag_starts_csv_files_with_a_bom(project: Path, tmp_path: Path) -> None:
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    assert longtail("--db", project, "export", "-o", plain).exit_code == 0
    assert longtail("--db", project, "export", "-o", excel, "--excel").exit_code == 0
    assert excel.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert excel.read_bytes()[3:] == plain.read_bytes()


def test_a_crash_during_the_editor_export_leaves_no_file(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "campaigns.csv"
    path.write_text("the last good file\n")

    def crash(self: object, start: int, stop: int) -> list[str]:
        raise KeyboardInterrupt  # the user pressed Ctrl-C halfway

    monkeypatch.setattr(export._CsvColumn, "cells", crash)
    result = CliRunner().invoke(
        cli, ["--db", str(project), "export", "-o", str(path), "--format", "editor"]
    )
    assert (result.exit_code, result.output.strip()) == (1, "Aborted!")
    assert path.read_text() == "the last good file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["campaigns.csv"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-o", "x.xlsx", "--format", "editor"], "the Google Ads Editor import is a .csv file"),
        (["-o", "x.xlsx", "--format", "csv"], "its extension says xlsx"),
        ([], "Give the file to write with -o"),
    ],
)
def test_export_format_mistakes_are_bad_input(
    project: Path, arguments: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["--db", str(project), "export", *arguments])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Trail/Runner: [EU]?", "Trail-Runner- -EU--"),
        ("'quoted'", "quoted"),
        ("x" * 40, "x" * 31),
        ("history", "History-"),
        ("\x07", "Sheet"),
    ],
)
def test_sheet_names_from_hostile_names_are_ones_excel_accepts(name: str, title: str) -> None:
    assert export.sheet_title(name) == title
    book = openpyxl.Workbook(write_only=True)
    book.create_sheet(export.sheet_title(name))  # openpyxl refuses what Excel would
