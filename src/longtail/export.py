"""Write scored keywords to the files a PPC specialist opens: .xlsx and .csv.

Every file is written to a temporary name beside the target and renamed onto
it, so a crash or a full disk never leaves a half-written spreadsheet where
the last good one was. Text that a spreadsheet would run as a formula is
neutralised in every format.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import xlsxwriter

from longtail.errors import ExportError, InputError

# Excel's specification and limits, "Worksheet and workbook specifications and limits":
# https://support.microsoft.com/office/excel-specifications-and-limits-1672b34d-7043-467e-8e27-269d656771c3
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767

# OWASP "CSV Injection": cells starting with these are run as formulas by
# Excel, LibreOffice and Google Sheets. https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

SUPPORTED_EXTENSIONS = (".xlsx", ".csv")

THOUSANDS_FORMAT = "#,##0"
# No currency symbol: segments may be priced in different currencies, which
# the currency column states row by row.
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
ONE_DECIMAL_FORMAT = "#,##0.0"

HEADERS: dict[str, str] = {
    "keyword": "Keyword",
    "persona_id": "Persona ID",
    "persona_name": "Persona",
    "source_field": "Source field",
    "pattern": "Pattern",
    "avg_monthly_searches": "Avg. monthly searches",
    "segment_clv": "Segment CLV",
    "value": "Value",
    "currency": "Currency",
    "competition": "Competition",
    "low_top_of_page_bid": "Top of page bid (low)",
    "high_top_of_page_bid": "Top of page bid (high)",
    "close_variant_of": "Close variant of",
    "intent": "Intent",
    "rank": "Rank",
    "segment_rank": "Rank in segment",
    "expected_clicks": "Expected clicks / mo",
    "conversion_rate": "Conversion rate",
    "expected_customers": "Expected customers / mo",
    "expected_monthly_value": "Expected monthly value",
    "break_even_cpc": "Break-even CPC",
    "bid_margin_low": "Margin vs low bid",
    "bid_margin_high": "Margin vs high bid",
    "bid_check": "Bid check",
    "next_12_months_searches": "Searches, next 12 months",
    "peak_month": "Peak month",
    "seasonality": "Seasonality",
    "value_rank": "Rank by value",
    "monthly_value_rank": "Rank by monthly value",
    "search_share": "Share of expected value",
    "reach": "Reach",
    "channels": "Channels",
    "ad_group": "Ad group",
    "max_cpc": "Max CPC",
    "campaign": "Campaign",
    "theme": "Theme",
    "top_keyword": "Top keyword",
    "final_url": "Final URL",
    "match_type": "Match type",
    "topic": "Topic",
    "product": "Product",
    "keyword_count": "Keyword count",
    "keywords": "Keywords",
    "keywords_with_volume": "Keywords with volume",
    "total_monthly_searches": "Total monthly searches",
    "total_value": "Total value",
}

NUMBER_FORMATS: dict[str, str] = {
    "avg_monthly_searches": THOUSANDS_FORMAT,
    "rank": THOUSANDS_FORMAT,
    "segment_rank": THOUSANDS_FORMAT,
    "keywords": THOUSANDS_FORMAT,
    "keywords_with_volume": THOUSANDS_FORMAT,
    "total_monthly_searches": THOUSANDS_FORMAT,
    "segment_clv": MONEY_FORMAT,
    "value": MONEY_FORMAT,
    "low_top_of_page_bid": MONEY_FORMAT,
    "high_top_of_page_bid": MONEY_FORMAT,
    "total_value": MONEY_FORMAT,
    "expected_clicks": ONE_DECIMAL_FORMAT,
    "conversion_rate": PERCENT_FORMAT,
    "expected_customers": MONEY_FORMAT,
    "expected_monthly_value": MONEY_FORMAT,
    "break_even_cpc": MONEY_FORMAT,
    "bid_margin_low": MONEY_FORMAT,
    "bid_margin_high": MONEY_FORMAT,
    "next_12_months_searches": THOUSANDS_FORMAT,
    "value_rank": THOUSANDS_FORMAT,
    "monthly_value_rank": THOUSANDS_FORMAT,
    "search_share": PERCENT_FORMAT,
    "max_cpc": MONEY_FORMAT,
    "keyword_count": THOUSANDS_FORMAT,
}

# Widths are measured on a sample: scanning a million rows for the longest
# keyword costs more than it is worth.
WIDTH_SAMPLE_ROWS = 1_000
MAX_COLUMN_WIDTH = 60
MIN_COLUMN_WIDTH = 8

# csv.writer's defaults, which the fast path writes too: minimal quoting, CRLF.
CSV_LINE_END = "\r\n"
_CSV_SPECIAL = re.compile(r'[,"\r\n]')

# Decimal places of floats in CSV: Google's bids are micros, nothing is finer.
CSV_DECIMALS = 6

# Rows are converted to Python values a slice at a time, so the memory on top
# of the DataFrame stays at one slice whatever the number of keywords.
CHUNK_ROWS = 10_000

# Control characters that XML 1.0, and so an .xlsx file, cannot hold at all;
# tab, line feed and carriage return are allowed.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


About = Sequence[tuple[str, str]]
# Told how many more rows were written, to move a progress bar.
Progress = Callable[[int], None]
Assumptions = Sequence[tuple[str, str, str]]


def neutralise(value: object) -> object:
    """Prefix text a spreadsheet would run as a formula with `'`; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _header_for(column: object) -> str:
    """The header a user reads for a column: plain words for known names."""
    name = str(column)
    return HEADERS.get(name, name.replace("_", " ").title())


def export_format(path: Path | None, output_format: str | None) -> str:
    """The format to write: `output_format`, else the one the extension of `path` names."""
    if output_format == "jsonl":
        return "jsonl"  # to the file, or to standard output without one
    if path is None:
        raise InputError(
            "Give the file to write with -o, e.g. -o keywords.xlsx; "
            "only --format jsonl writes to standard output."
        )
    extension = Path(path).suffix.lower()
    if output_format == "editor":
        if extension != ".csv":
            raise InputError(
                f"Cannot write {path}: the Google Ads Editor import is a .csv file; "
                f"name it e.g. {Path(path).with_suffix('.csv').name}."
            )
        return "editor"
    by_extension = {".xlsx": "xlsx", ".csv": "csv"}.get(extension)
    if by_extension is None:
        named = f"extension '{Path(path).suffix}'" if Path(path).suffix else "no extension"
        supported = " or ".join(SUPPORTED_EXTENSIONS)
        raise InputError(
            f"Cannot export to {path}: {named} is not supported. "
            f"Name the file with {supported}, e.g. {Path(path).with_suffix('.xlsx').name}."
        )
    if output_format is not None and output_format != by_extension:
        raise InputError(
            f"Cannot write {path} as {output_format}: its extension says {by_extension}. "
            f"Name it e.g. {Path(path).with_suffix('.' + output_format).name}."
        )
    return by_extension


def write_export(
    path: Path,
    keywords: pd.DataFrame,
    summary: pd.DataFrame,
    about: About,
    assumptions: Assumptions = (),
) -> None:
    """Write the keywords in the format the extension of `path` names (.xlsx or .csv)."""
    if export_format(path, None) == "xlsx":
        write_workbook(Path(path), keywords, summary, about, assumptions)
    else:
        write_csv(Path(path), keywords)


def write_csv(
    path: Path,
    keywords: pd.DataFrame,
    bom: bool = False,
    progress: Progress | None = None,
) -> None:
    """Write one row per keyword and persona as UTF-8 CSV, machine column names, NA empty.

    `bom` starts the file with a byte order mark, which Excel needs to read
    UTF-8 rather than the system's code page.
    """
    path = Path(path)

    def write(stream: IO[bytes]) -> None:
        _write_csv_text(stream, keywords, bom, progress)

    _write_atomically(path, write)


def write_editor_csv(path: Path, rows: pd.DataFrame, bom: bool = False) -> None:
    """Write the Google Ads Editor import: its English headers as given, one item per row."""
    path = Path(path)

    def write(stream: IO[bytes]) -> None:
        _write_csv_text(stream, rows, bom, None)

    _write_atomically(path, write)


def write_jsonl(path: Path | None, keywords: pd.DataFrame) -> None:
    """One JSON object per keyword and persona: to `path` (atomically), else to stdout.

    NA is null; text a spreadsheet would run as a formula is neutralised here
    too, since JSON lines end up in spreadsheets as well.
    """
    columns = [str(column) for column in keywords.columns]

    def lines() -> Iterator[str]:
        for row in _rows(keywords):
            record = {name: _json_value(value) for name, value in zip(columns, row, strict=True)}
            yield json.dumps(record, ensure_ascii=False) + "\n"

    if path is None:
        sys.stdout.writelines(lines())
        sys.stdout.flush()
        return

    def write(binary: IO[bytes]) -> None:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
        text.writelines(lines())
        text.flush()
        text.detach()

    _write_atomically(Path(path), write)


def _json_value(value: object) -> object:
    """A value for JSON: text neutralised, floats to micros as in CSV, no NaN or infinity."""
    if isinstance(value, float):
        return round(value, CSV_DECIMALS) if math.isfinite(value) else None
    return neutralise(value)


def _write_csv_text(
    stream: IO[bytes], frame: pd.DataFrame, bom: bool, progress: Progress | None
) -> None:
    # newline="" because the csv module writes its own line endings.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if bom else "utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow([neutralise(str(column)) for column in frame.columns])
    columns = [_CsvColumn(frame.iloc[:, index]) for index in range(frame.shape[1])]
    for start in range(0, len(frame), CHUNK_ROWS):
        cells = [column.cells(start, start + CHUNK_ROWS) for column in columns]
        # The same text csv.writer makes (minimal quoting, CRLF), joined a slice
        # at a time: a tenth of the calls per cell.
        lines = map(",".join, zip(*cells, strict=True))
        text.write(CSV_LINE_END.join(lines) + CSV_LINE_END)
        if progress is not None:
            progress(min(CHUNK_ROWS, len(frame) - start))
    text.flush()
    # Hand the binary stream back so the caller can fsync and close it.
    text.detach()


def write_workbook(
    path: Path,
    keywords: pd.DataFrame,
    summary: pd.DataFrame,
    about: About,
    assumptions: Assumptions = (),
    sheets: Sequence[tuple[str, pd.DataFrame]] = (),
    progress: Progress | None = None,
) -> None:
    """Write the workbook: Summary (a row per segment, a chart, `about` beneath), Keywords,
    the `sheets` given (Ad groups, Negatives, Content plan), and Assumptions."""
    path = Path(path)
    for sheet, frame in (("Summary", summary), ("Keywords", keywords), *sheets):
        # One row is the header; the rest must fit under it.
        if len(frame) > EXCEL_MAX_ROWS - 1:
            raise ExportError(
                f"Cannot write {path}: the {sheet} sheet would have {len(frame):,} rows and "
                f"Excel holds at most {EXCEL_MAX_ROWS - 1:,} under the header. "
                f"Export to .csv instead, e.g. {path.with_suffix('.csv').name}."
            )

    def write(stream: IO[bytes]) -> None:
        # Constant-memory mode writes each row out as it comes, so memory stays
        # flat for a million keywords; rows must then come in order, and every
        # column's width and number format is set before the first row. Text
        # is never read as a formula, a number or a link: it is data.
        book = xlsxwriter.Workbook(
            stream,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        styles = _Styles(book)
        first = book.add_worksheet("Summary")
        _write_table(path, first, summary, styles, about=about)
        _add_value_chart(book, first, summary)
        _write_table(path, book.add_worksheet("Keywords"), keywords, styles, progress)
        for title, frame in sheets:
            _write_table(path, book.add_worksheet(sheet_title(title)), frame, styles)
        table = pd.DataFrame(
            [*assumptions, *((label, text, "") for label, text in about)],
            columns=["assumption", "value", "source"],
        )
        _write_table(path, book.add_worksheet("Assumptions"), table, styles)
        book.close()

    _write_atomically(path, write)


class _Styles:
    """The workbook's formats, made once each: bold headers and the number formats."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.bold = book.add_format({"bold": True})
        self._numbers: dict[str, Any] = {}

    def number(self, number_format: str | None) -> Any:
        if number_format is None:
            return None
        if number_format not in self._numbers:
            self._numbers[number_format] = self.book.add_format({"num_format": number_format})
        return self._numbers[number_format]


# Excel's rules for sheet names: at most 31 characters, none of : \ / ? * [ ],
# not starting or ending with an apostrophe, not "History" (reserved).
_SHEET_FORBIDDEN = re.compile(r"[:\\/?*\[\]]")
SHEET_NAME_MAX = 31


def sheet_title(name: str) -> str:
    """A name Excel accepts for a sheet: forbidden characters replaced, at most 31 long."""
    title = _SHEET_FORBIDDEN.sub("-", _XML_ILLEGAL.sub("", name)).strip().strip("'").strip()
    title = title[:SHEET_NAME_MAX].strip() or "Sheet"
    return "History-" if title.lower() == "history" else title


def _add_value_chart(book: Any, sheet: Any, summary: pd.DataFrame) -> None:
    """A native bar chart of total value by segment, beside the Summary table."""
    columns = [str(column) for column in summary.columns]
    if summary.empty or "total_value" not in columns or "persona_name" not in columns:
        return
    rows = len(summary)
    value, name = columns.index("total_value"), columns.index("persona_name")
    chart = book.add_chart({"type": "bar"})  # horizontal: segment names read along the axis
    chart.add_series(
        {
            "name": [sheet.name, 0, value],
            "categories": [sheet.name, 1, name, rows, name],
            "values": [sheet.name, 1, value, rows, value],
        }
    )
    chart.set_title({"name": "Value by segment"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 640, "height": max(288, 40 * rows)})
    sheet.insert_chart(1, len(columns) + 1, chart)


def _write_table(
    path: Path,
    sheet: Any,
    frame: pd.DataFrame,
    styles: _Styles,
    progress: Progress | None = None,
    about: About = (),
) -> None:
    """Write `frame` under a bold, frozen, filtered header; `about` lines after a blank row."""
    columns = [str(column) for column in frame.columns]
    formats = [NUMBER_FORMATS.get(column) for column in columns]
    headers = [_header_for(column) for column in columns]

    widths = _column_widths(frame, headers, formats)
    if about:
        # Labels sit in column A and should fit; the texts may spill right over empty cells.
        label_width = max(len(label) for label, _ in about) + 2
        first = widths[0] if widths else MIN_COLUMN_WIDTH
        widths = [min(max(first, label_width), MAX_COLUMN_WIDTH), *widths[1:]]
    # A column's number format is every cell's in it that has none of its own:
    # the cells are written as plain values, as fast as the library goes.
    for index, (width, number_format) in enumerate(zip(widths, formats, strict=False)):
        sheet.set_column(index, index, width, styles.number(number_format))
    for index in range(len(formats), len(widths)):
        sheet.set_column(index, index, widths[index])
    if columns:
        sheet.freeze_panes(1, 0)
        # The filter covers the table only, so sorting it never moves the about lines.
        sheet.autofilter(0, 0, len(frame), len(columns) - 1)

    sheet.write_row(0, 0, [_xlsx_text(header) for header in headers], styles.bold)
    for row_number, row in enumerate(_rows(frame), start=1):
        try:
            sheet.write_row(row_number, 0, [_xlsx_value(value) for value in row])
        except (TypeError, ValueError) as error:
            raise _unwritable(path, sheet.name, row_number + 1, columns, row) from error
        if progress is not None and row_number % CHUNK_ROWS == 0:
            progress(CHUNK_ROWS)

    if about:
        start = len(frame) + 2  # after a blank row
        for offset, (label, text) in enumerate(about):
            sheet.write_string(start + offset, 0, _xlsx_text(label), styles.bold)
            sheet.write_string(start + offset, 1, _xlsx_text(text))


def _rows(frame: pd.DataFrame) -> Iterator[tuple[object, ...]]:
    """Rows as tuples of plain Python values, NA as None, converted a slice at a time."""
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        yield from zip(
            *(_plain_values(part.iloc[:, index]) for index in range(part.shape[1])), strict=True
        )


class _CsvColumn:
    """One column's values as CSV fields: text neutralised and quoted, floats rounded, NA empty.

    A column with few distinct values (persona, intent, CLV, conversion rate)
    has each value made into a field once and spread by its codes; the rest
    are made a slice at a time.
    """

    def __init__(self, column: pd.Series) -> None:
        self.column = column
        self.codes: np.ndarray[Any, np.dtype[np.int32]] | None = None
        self.fields: np.ndarray[Any, np.dtype[np.object_]] | None = None
        if pd.api.types.is_float_dtype(column.dtype):
            self.kind = "float"
        elif pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(
            column.dtype
        ):
            self.kind = "other"
        else:
            self.kind = "text"
            # Hashing a million distinct keywords costs more than it saves: decide
            # from the first slice whether the column repeats itself.
            sample = column.iloc[:CHUNK_ROWS]
            if len(pd.unique(sample)) * 2 >= len(sample):
                return
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        if len(uniques) * 2 < len(column):
            distinct = pd.Series(uniques, dtype=column.dtype)
            # Code -1 (NA) takes the last field, "".
            self.fields = np.array([*self._fields(distinct), ""], dtype=object)
            # Four bytes a row rather than eight: a million rows, twenty columns.
            self.codes = codes.astype(np.int32)

    def cells(self, start: int, stop: int) -> list[str]:
        """The fields of rows start to stop."""
        if self.fields is not None and self.codes is not None:
            spread: list[str] = self.fields[self.codes[start:stop]].tolist()
            return spread
        return self._fields(self.column.iloc[start:stop])

    def _fields(self, part: pd.Series) -> list[str]:
        if self.kind == "float":
            # A float's shortest repr takes three times as long at 17 digits as
            # at 6, and the figures mean nothing past micros (Google's bids).
            values = part.round(CSV_DECIMALS).to_numpy("float64", na_value=np.nan)
            cells = np.array(list(map(repr, values.tolist())), dtype=object)
            cells[~np.isfinite(values)] = ""
            floats: list[str] = cells.tolist()
            return floats
        if self.kind == "other":
            return ["" if value is None else str(value) for value in _plain_values(part)]
        return _csv_text_fields(_plain_values(part))


def _csv_text_fields(values: list[object]) -> list[str]:
    """Text fields as csv.writer writes them, formula text neutralised, in one tight loop."""
    search = _CSV_SPECIAL.search
    fields = []
    for value in values:
        if value is None:
            fields.append("")
            continue
        text = value if isinstance(value, str) else str(value)
        if text.startswith(FORMULA_PREFIXES):
            text = "'" + text
        if search(text):
            text = '"' + text.replace('"', '""') + '"'
        fields.append(text)
    return fields


def _plain_values(column: pd.Series) -> list[object]:
    """A column's values as Python objects, every kind of NA (NaN, NA, NaT) as None."""
    # A copy, since the NA mask is written into it and the frame is not ours.
    values = column.to_numpy(dtype=object, copy=True)
    values[column.isna().to_numpy()] = None
    return values.tolist()


def _xlsx_value(value: object) -> object:
    """One value as an .xlsx cell takes it: text Excel can hold, no NaN or infinity.

    Text is written as text whatever it starts with (the workbook never reads
    strings as formulas), so "=HYPERLINK(...)" stays inert data.
    """
    if isinstance(value, str):
        return _xlsx_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        # Excel has no infinity: an empty cell beats a file Excel must repair.
        return None
    if value is None or isinstance(value, bool | int | float):
        return value
    raise TypeError(f"{type(value).__name__} is not a cell value")


def _xlsx_text(value: str) -> str:
    """Text Excel can store: no XML-illegal characters, no more than a cell holds."""
    if _XML_ILLEGAL.search(value):
        value = _XML_ILLEGAL.sub("", value)
    return value[:EXCEL_MAX_CELL_CHARS]


def _unwritable(
    path: Path, sheet: str, row_number: int, columns: Sequence[str], row: Sequence[object]
) -> ExportError:
    """The error for a row no cell can hold, naming the cell and the value."""
    for column, value in zip(columns, row, strict=True):
        try:
            _xlsx_value(value)
        except TypeError:
            return ExportError(
                f"Cannot write {path}: the {sheet} sheet, row {row_number}, column "
                f"'{column}' holds {value!r:.80} ({type(value).__name__}), which no spreadsheet "
                "cell can hold. This is a bug in the step that produced the column: please "
                "report it, or export to .csv meanwhile."
            )
    return ExportError(
        f"Cannot write {path}: the {sheet} sheet, row {row_number}, holds a value no "
        "spreadsheet cell can hold. Please report it, or export to .csv meanwhile."
    )


def _column_widths(
    frame: pd.DataFrame, headers: Sequence[str], formats: Sequence[str | None]
) -> list[float]:
    """Widths in characters that fit the header and the first rows, capped."""
    widths = [max(len(header) + 2, MIN_COLUMN_WIDTH) for header in headers]
    for row in _rows(frame.head(WIDTH_SAMPLE_ROWS)):
        for index, (value, number_format) in enumerate(zip(row, formats, strict=True)):
            shown = _shown(value, number_format)
            # +1 leaves room so the last character does not touch the border.
            widths[index] = max(widths[index], len(shown) + 1)
    return [min(width, MAX_COLUMN_WIDTH) for width in widths]


def _shown(value: object, number_format: str | None) -> str:
    """Roughly the text Excel displays for a value, to size its column."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        if number_format == THOUSANDS_FORMAT:
            return f"{value:,.0f}"
        if number_format == MONEY_FORMAT:
            return f"{value:,.2f}"
    return str(value)


def _write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Run `write` on a temporary file beside `path`, then rename it onto `path`."""
    directory = path.parent
    if path.is_dir():
        raise ExportError(f"Cannot write {path}: it is a directory. Give a file name to write.")
    if directory.exists() and not directory.is_dir():
        raise ExportError(
            f"Cannot write {path}: {directory} is a file, not a directory. Choose another path."
        )
    if not directory.is_dir():
        raise ExportError(
            f"Cannot write {path}: the directory {directory} does not exist. "
            f"Create it first (mkdir -p {directory}) or choose another path."
        )

    temporary, stream = _open_temporary(path)
    try:
        with stream:
            write(stream)
            stream.flush()
            # Without fsync a crash after the rename can leave an empty file
            # under the target's name on some filesystems.
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ExportError(
                f"Cannot write {path}: {error.strerror or error}. "
                "If the file is open in Excel or another program, close it; "
                "check there is free disk space, then run again."
            ) from error
        raise
    _sync_directory(directory)


def _open_temporary(path: Path) -> tuple[Path, IO[bytes]]:
    """Create `.NAME.tmp-XXXX` beside `path`, honouring the umask as a normal file would."""
    for _ in range(100):
        temporary = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
        try:
            # O_EXCL: never write into a file another process just created.
            descriptor = os.open(
                temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            )
        except FileExistsError:
            continue
        except PermissionError as error:
            raise ExportError(
                f"Cannot write {path}: no permission to create files in {path.parent}. "
                "Choose a directory you can write to."
            ) from error
        except OSError as error:
            raise ExportError(
                f"Cannot write {path}: {error.strerror or error}. Choose another path."
            ) from error
        return temporary, os.fdopen(descriptor, "wb")
    raise ExportError(f"Cannot write {path}: no free temporary name in {path.parent}.")


def _sync_directory(directory: Path) -> None:
    """Persist the rename itself; best effort, as Windows cannot open directories."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
