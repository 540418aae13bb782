"""Exports are reopened the way their users open them: openpyxl for .xlsx, csv for .csv."""

from __future__ import annotations

import csv
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from longtail import export
from longtail.errors import ExportError, InputError
from longtail.export import neutralise, write_csv, write_export, write_workbook

KEYWORD_COLUMNS = [
    "keyword",
    "persona_id",
    "persona_name",
    "source_field",
    "pattern",
    "avg_monthly_searches",
    "segment_clv",
    "value",
    "currency",
    "competition",
    "low_top_of_page_bid",
    "high_top_of_page_bid",
    "close_variant_of",
]

SAMPLE_VOLUMES = (
    "Recorded sample fixtures in fixtures/keyword_planner — sample data, not real search volumes"
)
ABOUT = [
    ("Volumes", SAMPLE_VOLUMES),
    ("Generated", "2026-12-04 17:30 UTC"),
    ("longtail", "0.1.0"),
    ("Value", "avg monthly searches × segment CLV"),
]


def make_keywords(keywords: list[str] | None = None) -> pd.DataFrame:
    """Three scored keywords as the score module hands them over, one without volume."""
    names = keywords or [
        "waterproof trail running shoes",
        "lightweight hydration vest",
        "trail shoes for wide feet",
    ]
    rows = len(names)
    return pd.DataFrame(
        {
            "keyword": names,
            "persona_id": ["trail-runner", "trail-runner", "commuter"][:rows],
            "persona_name": ["Weekend trail runner", "Weekend trail runner", "Bike commuter"][
                :rows
            ],
            "source_field": ["products", "products", "qualifiers"][:rows],
            "pattern": ["ADJ NOUN NOUN", "ADJ NOUN", "NOUN ADP ADJ NOUN"][:rows],
            "avg_monthly_searches": pd.array([12_100, 880, None][:rows], dtype="Int64"),
            "segment_clv": [441.0, 441.0, 1_234.5][:rows],
            "value": [5_336_100.0, 388_080.0, float("nan")][:rows],
            "currency": ["USD", "USD", "EUR"][:rows],
            "competition": pd.Series(["HIGH", "LOW", None][:rows], dtype=object),
            "low_top_of_page_bid": [0.85, float("nan"), 1.2][:rows],
            "high_top_of_page_bid": [2.65, float("nan"), 3.4][:rows],
            "close_variant_of": pd.Series([None, "light weight hydration vest", None][:rows]),
        }
    )


def make_summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "persona_id": ["trail-runner", "commuter"],
            "persona_name": ["Weekend trail runner", "Bike commuter"],
            "segment_clv": [441.0, 1_234.5],
            "currency": ["USD", "EUR"],
            "keywords": [2, 1],
            "keywords_with_volume": [2, 0],
            "total_monthly_searches": [12_980, 0],
            "total_value": [5_724_180.0, 0.0],
        }
    )


def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    return list(load_workbook(path)[sheet].iter_rows(values_only=True))


def expected_cells(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """What the sheet should hold for `frame`: its values, with every NA as an empty cell."""
    return [
        tuple(None if pd.isna(value) else value for value in row)
        for row in frame.itertuples(index=False, name=None)
    ]


def read_csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


@pytest.fixture
def workbook_path(tmp_path: Path) -> Path:
    path = tmp_path / "keywords.xlsx"
    write_workbook(path, make_keywords(), make_summary(), ABOUT)
    return path


# --- workbook ---------------------------------------------------------------


def test_workbook_has_summary_then_keywords(workbook_path: Path) -> None:
    assert load_workbook(workbook_path).sheetnames == ["Summary", "Keywords", "Assumptions"]


def test_keywords_headers_are_plain_words_in_arrival_order(workbook_path: Path) -> None:
    header = sheet_rows(workbook_path, "Keywords")[0]
    assert header == (
        "Keyword",
        "Persona ID",
        "Persona",
        "Source field",
        "Pattern",
        "Avg. monthly searches",
        "Segment CLV",
        "Value",
        "Currency",
        "Competition",
        "Top of page bid (low)",
        "Top of page bid (high)",
        "Close variant of",
    )


def test_keywords_values_equal_the_frame_with_na_as_empty(workbook_path: Path) -> None:
    rows = sheet_rows(workbook_path, "Keywords")[1:]
    assert rows == expected_cells(make_keywords())
    # The keyword without volume: searches, value and its missing bids are empty cells.
    assert rows[2][5] is None
    assert rows[2][7] is None
    assert rows[1][10] is None


def test_numeric_columns_carry_number_formats(workbook_path: Path) -> None:
    sheet = load_workbook(workbook_path)["Keywords"]
    formats = {
        sheet.cell(1, column).value: sheet.cell(2, column).number_format for column in range(1, 14)
    }
    assert formats["Avg. monthly searches"] == "#,##0"
    for header in ("Segment CLV", "Value", "Top of page bid (low)", "Top of page bid (high)"):
        assert formats[header] == "#,##0.00", header
    assert formats["Keyword"] == "General"


def test_header_is_bold_frozen_and_filtered(workbook_path: Path) -> None:
    workbook = load_workbook(workbook_path)
    keywords = workbook["Keywords"]
    assert all(cell.font.bold for cell in keywords[1])
    assert not keywords.cell(2, 1).font.bold
    assert keywords.freeze_panes == "A2"
    # 13 columns (A..M), header plus three keywords.
    assert keywords.auto_filter.ref == "A1:M4"
    summary = workbook["Summary"]
    assert summary.freeze_panes == "A2"
    # The filter covers the segment table only, not the about lines below it.
    assert summary.auto_filter.ref == "A1:H3"


def test_summary_shows_segments_then_a_blank_row_then_the_about_lines(
    workbook_path: Path,
) -> None:
    rows = sheet_rows(workbook_path, "Summary")
    assert rows[0] == (
        "Persona ID",
        "Persona",
        "Segment CLV",
        "Currency",
        "Keywords",
        "Keywords with volume",
        "Total monthly searches",
        "Total value",
    )
    assert rows[1:3] == expected_cells(make_summary())
    assert all(value is None for value in rows[3])
    assert [row[:2] for row in rows[4:]] == ABOUT


def test_summary_number_formats(workbook_path: Path) -> None:
    sheet = load_workbook(workbook_path)["Summary"]
    assert sheet["C2"].number_format == "#,##0.00"  # segment CLV
    assert [sheet.cell(2, column).number_format for column in (5, 6, 7)] == ["#,##0"] * 3
    assert sheet["H2"].number_format == "#,##0.00"  # total value


def test_column_widths_fit_the_text_and_are_capped(tmp_path: Path) -> None:
    long_keyword = "x" * 200
    frame = make_keywords(["short", long_keyword, "mid length keyword text"])
    path = tmp_path / "keywords.xlsx"
    write_workbook(path, frame, make_summary(), ABOUT)
    sheet = load_workbook(path)["Keywords"]
    # Excel stores widths with its padding: about 0.71 of a character over.
    assert sheet.column_dimensions["A"].width == pytest.approx(60, abs=1)
    # "Weekend trail runner" is 20 characters; its column must show all of it.
    assert sheet.column_dimensions["C"].width >= 20
    assert sheet.column_dimensions["C"].width < 30


def test_unknown_columns_are_written_in_order_with_title_cased_headers(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"ad_group_theme": [1.5], "keyword": ["trail shoes"], "intent": ["commercial"]}
    )
    path = tmp_path / "keywords.xlsx"
    write_workbook(path, frame, make_summary(), ABOUT)
    assert sheet_rows(path, "Keywords") == [
        ("Ad Group Theme", "Keyword", "Intent"),
        (1.5, "trail shoes", "commercial"),
    ]


def test_text_longer_than_an_excel_cell_is_truncated(tmp_path: Path) -> None:
    frame = make_keywords(["k" * 40_000])
    path = tmp_path / "keywords.xlsx"
    write_workbook(path, frame, make_summary(), ABOUT)
    assert sheet_rows(path, "Keywords")[1][0] == "k" * 32_767


def test_control_characters_xml_cannot_hold_are_dropped_from_xlsx(tmp_path: Path) -> None:
    frame = make_keywords(["trail\x00shoes\x1b", "tab\tstays"])
    path = tmp_path / "keywords.xlsx"
    write_workbook(path, frame, make_summary(), ABOUT)
    assert [row[0] for row in sheet_rows(path, "Keywords")[1:]] == ["trailshoes", "tab\tstays"]


def test_negative_numbers_stay_numbers(tmp_path: Path) -> None:
    frame = make_keywords(["trail shoes"])
    frame["value"] = [-12.5]
    xlsx, csv_path = tmp_path / "keywords.xlsx", tmp_path / "keywords.csv"
    write_workbook(xlsx, frame, make_summary(), ABOUT)
    write_csv(csv_path, frame)
    cell = load_workbook(xlsx)["Keywords"]["H2"]
    assert (cell.value, cell.data_type) == (-12.5, "n")
    assert read_csv_rows(csv_path)[1][7] == "-12.5"


def test_empty_keywords_still_get_headers_and_a_filter(tmp_path: Path) -> None:
    path = tmp_path / "keywords.xlsx"
    write_workbook(path, make_keywords().iloc[0:0], make_summary(), ABOUT)
    sheet = load_workbook(path)["Keywords"]
    assert sheet["A1"].value == "Keyword"
    assert sheet.max_row == 1
    assert sheet.auto_filter.ref == "A1:M1"


def test_more_rows_than_excel_holds_asks_for_csv(tmp_path: Path) -> None:
    frame = pd.DataFrame({"keyword": ["k"] * 1_048_576})
    path = tmp_path / "keywords.xlsx"
    with pytest.raises(ExportError, match=r"1,048,576 rows.*\.csv") as raised:
        write_workbook(path, frame, make_summary(), ABOUT)
    assert "keywords.csv" in str(raised.value)
    assert list(tmp_path.iterdir()) == []


# --- csv --------------------------------------------------------------------


def test_csv_has_machine_headers_rows_and_empty_na(tmp_path: Path) -> None:
    path = tmp_path / "keywords.csv"
    write_csv(path, make_keywords())
    rows = read_csv_rows(path)
    assert rows[0] == KEYWORD_COLUMNS
    assert rows[1] == [
        "waterproof trail running shoes",
        "trail-runner",
        "Weekend trail runner",
        "products",
        "ADJ NOUN NOUN",
        "12100",
        "441.0",
        "5336100.0",
        "USD",
        "HIGH",
        "0.85",
        "2.65",
        "",
    ]
    # No volume: searches, value, and close variant are empty, not "nan" or "<NA>".
    assert rows[3][5] == ""
    assert rows[3][7] == ""
    assert rows[3][12] == ""
    assert rows[2][10:12] == ["", ""]
    assert len(rows) == 4


def test_csv_is_utf8(tmp_path: Path) -> None:
    path = tmp_path / "keywords.csv"
    write_csv(path, make_keywords(["laufschuhe für breite füße"]))
    assert "laufschuhe für breite füße".encode() in path.read_bytes()


# --- formula injection ------------------------------------------------------

HOSTILE = ['=HYPERLINK("x")', "-free", "@sum", "+1", "\tcmd", "=1+1"]


def test_formula_like_text_is_inert_in_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "keywords.xlsx"
    frame = pd.DataFrame({"keyword": HOSTILE, "persona_name": ["#N/A"] * len(HOSTILE)})
    write_workbook(path, frame, make_summary(), ABOUT)
    sheet = load_workbook(path)["Keywords"]
    cells = [sheet.cell(row, 1) for row in range(2, len(HOSTILE) + 2)]
    assert [cell.value for cell in cells] == HOSTILE
    assert [cell.data_type for cell in cells] == ["s"] * len(HOSTILE)
    # "#N/A" is a persona's text, not Excel's error value.
    assert (sheet["B2"].value, sheet["B2"].data_type) == ("#N/A", "s")
    # What Excel reads: no formula element anywhere in the sheet.
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert "HYPERLINK" in xml


def test_formula_like_text_is_inert_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "keywords.csv"
    write_csv(path, pd.DataFrame({"keyword": HOSTILE}))
    assert [row[0] for row in read_csv_rows(path)[1:]] == ["'" + text for text in HOSTILE]


def test_formula_like_about_text_and_headers_are_inert(tmp_path: Path) -> None:
    path = tmp_path / "keywords.xlsx"
    frame = pd.DataFrame({"=cmd": ["x"]})
    write_workbook(path, frame, make_summary(), [("=label", "=2+2")])
    workbook = load_workbook(path)
    header = workbook["Keywords"]["A1"]
    assert (header.value, header.data_type) == ("=Cmd", "s")
    about = workbook["Summary"]["A5"], workbook["Summary"]["B5"]
    assert [(cell.value, cell.data_type) for cell in about] == [("=label", "s"), ("=2+2", "s")]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_neutralise_prefixes_text_a_spreadsheet_would_run(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["trail shoes", "", "a=b", -5, -1.5, None, 0])
def test_neutralise_leaves_other_values_alone(value: object) -> None:
    assert neutralise(value) == value


# --- write_export -----------------------------------------------------------


def test_write_export_writes_xlsx_or_csv_by_extension(tmp_path: Path) -> None:
    xlsx, csv_path = tmp_path / "out.XLSX", tmp_path / "out.csv"
    write_export(xlsx, make_keywords(), make_summary(), ABOUT)
    write_export(csv_path, make_keywords(), make_summary(), ABOUT)
    assert load_workbook(xlsx).sheetnames == ["Summary", "Keywords", "Assumptions"]
    assert read_csv_rows(csv_path)[0] == KEYWORD_COLUMNS


@pytest.mark.parametrize(("name", "named"), [("out.ods", "'.ods'"), ("out", "no extension")])
def test_write_export_rejects_other_extensions(tmp_path: Path, name: str, named: str) -> None:
    with pytest.raises(InputError) as raised:
        write_export(tmp_path / name, make_keywords(), make_summary(), ABOUT)
    message = str(raised.value)
    assert named in message
    assert ".xlsx" in message and ".csv" in message
    assert not isinstance(raised.value, ExportError)
    assert list(tmp_path.iterdir()) == []


# --- atomic writes and failures ---------------------------------------------


def test_failure_mid_workbook_leaves_target_untouched_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "keywords.xlsx"
    path.write_bytes(b"the previous export")
    frame = make_keywords()
    frame["keyword"] = pd.Series(["fine", {"not": "a cell value"}, "fine"], dtype=object)
    with pytest.raises(ExportError) as raised:
        write_workbook(path, frame, make_summary(), ABOUT)
    # Row 3: the header is row 1, so the frame's second row.
    assert "Keywords sheet, row 3, column 'keyword'" in str(raised.value)
    assert "dict" in str(raised.value)
    assert path.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["keywords.xlsx"]


@pytest.mark.parametrize("name", ["keywords.csv", "keywords.xlsx"])
def test_failed_rename_leaves_target_untouched_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"the previous export")
    renamed: list[Path] = []

    def refuse(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        renamed.append(Path(source))
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ExportError, match="close it") as raised:
        write_export(path, make_keywords(), make_summary(), ABOUT)
    assert str(path) in str(raised.value)
    # The temporary file was beside the target, hidden, and named after it.
    assert renamed[0].parent == tmp_path
    assert renamed[0].name.startswith(f".{name}.tmp-")
    assert path.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_rewrite_replaces_the_previous_export(tmp_path: Path) -> None:
    path = tmp_path / "keywords.csv"
    write_csv(path, make_keywords())
    write_csv(path, make_keywords(["only one"]))
    assert [row[0] for row in read_csv_rows(path)] == ["keyword", "only one"]
    assert [p.name for p in tmp_path.iterdir()] == ["keywords.csv"]


def test_written_file_gets_normal_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_csv(tmp_path / "keywords.csv", make_keywords())
    finally:
        os.umask(previous)
    # A temporary file from tempfile would be 0600: unreadable to colleagues.
    assert stat.S_IMODE((tmp_path / "keywords.csv").stat().st_mode) == 0o644


def test_missing_directory_is_an_export_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "keywords.xlsx"
    with pytest.raises(ExportError) as raised:
        write_export(path, make_keywords(), make_summary(), ABOUT)
    message = str(raised.value)
    assert str(path) in message
    assert "does not exist" in message and "mkdir" in message
    assert not (tmp_path / "reports").exists()


def test_directory_as_target_is_an_export_error(tmp_path: Path) -> None:
    (tmp_path / "keywords.csv").mkdir()
    with pytest.raises(ExportError, match="is a directory"):
        write_csv(tmp_path / "keywords.csv", make_keywords())


def test_file_as_parent_directory_is_an_export_error(tmp_path: Path) -> None:
    (tmp_path / "reports").write_text("not a directory")
    with pytest.raises(ExportError, match="is a file, not a directory"):
        write_csv(tmp_path / "reports" / "keywords.csv", make_keywords())


def test_permission_denied_is_an_export_error_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root (as in CI) may write anywhere, so the refusal is the filesystem's answer, faked.
    real_open = os.open

    def deny_in_tmp_path(file: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if Path(file).parent == tmp_path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", deny_in_tmp_path)
    with pytest.raises(ExportError) as raised:
        write_export(tmp_path / "keywords.xlsx", make_keywords(), make_summary(), ABOUT)
    message = str(raised.value)
    assert str(tmp_path / "keywords.xlsx") in message
    assert "no permission" in message and "directory you can write to" in message
    assert list(tmp_path.iterdir()) == []


def test_large_frames_are_written_in_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slices smaller than the frame exercise the boundaries a million rows would cross.
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    frame = make_keywords()
    xlsx, csv_path = tmp_path / "keywords.xlsx", tmp_path / "keywords.csv"
    write_workbook(xlsx, frame, make_summary(), ABOUT)
    write_csv(csv_path, frame)
    assert sheet_rows(xlsx, "Keywords")[1:] == expected_cells(frame)
    assert [row[0] for row in read_csv_rows(csv_path)[1:]] == list(frame["keyword"])


def test_csv_text_is_what_the_csv_module_reads_back_exactly(tmp_path: Path) -> None:
    many = 50  # enough rows that text columns take the per-value path, few that take the other
    frame = pd.DataFrame(
        {
            "keyword": pd.array(
                ['say "hi", then', "line\nbreak", '=HYPERLINK("x")', "-free", None, "plain"]
                + [f"kw {i}" for i in range(many)],
                dtype="string",
            ),
            "persona_id": pd.array(["a,b", "c"] * ((many + 6) // 2), dtype="string"),
            "searches": pd.array([1, None] * ((many + 6) // 2), dtype="Int64"),
            "value": [0.1 + 0.2, float("nan"), 1e-7, 123456789.123456789, -2.5, float("inf")]
            + [1.0] * many,
        }
    )
    path = tmp_path / "k.csv"
    write_csv(path, frame)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["keyword", "persona_id", "searches", "value"]
    assert rows[1] == ['say "hi", then', "a,b", "1", "0.3"]
    assert rows[2] == ["line\nbreak", "c", "", ""]
    assert rows[3][0] == '\'=HYPERLINK("x")' and rows[4][0] == "'-free"
    assert rows[3][3] == "0.0"  # 1e-7 rounds to micros
    assert rows[4][3] == "123456789.123457"
    assert rows[5] == ["", "a,b", "1", "-2.5"]  # NA text is empty
    assert rows[6] == ["plain", "c", "", ""]  # so are NA ints and infinity
    assert len(rows) == many + 7
    assert path.read_bytes().count(b"\r\n") == many + 7  # csv's own line ends, CRLF


def test_csv_of_distinct_and_repeated_numbers_reads_back_rounded_to_micros(
    tmp_path: Path,
) -> None:
    rows = 300
    distinct = [i * 1.000_000_123_4 for i in range(rows)]  # every value its own
    repeated = [[0.015, 0.03, float("nan")][i % 3] for i in range(rows)]
    counts = pd.array([i if i % 7 else None for i in range(rows)], dtype="Int64")
    frame = pd.DataFrame({"distinct": distinct, "repeated": repeated, "count": counts})
    path = tmp_path / "n.csv"
    write_csv(path, frame)
    with path.open(encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert [float(r["distinct"]) for r in read] == [round(v, 6) for v in distinct]
    assert [r["repeated"] for r in read[:4]] == ["0.015", "0.03", "", "0.015"]
    assert [r["count"] for r in read[:8]] == ["", "1", "2", "3", "4", "5", "6", ""]
