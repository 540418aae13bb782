"""Search volumes exported elsewhere: Keyword Planner web UI, Semrush and Ahrefs files.

`read_export` reads one file and says what it found; `import_export` stores it
in the keyword_metrics table beside looked-up volumes, labelled "import of
FILE (FORMAT)", and with a persona also makes its keywords that persona's
candidates so they are scored like the expanded ones.

What is detected, so a user never has to say:

- the encoding: UTF-16 with a byte-order mark (the Keyword Planner's and
  Ahrefs' "CSV" download), UTF-8 with or without one, UTF-16 without one (by
  its zero bytes), and Windows-1252 for a file that is none of these (what
  Excel writes when it saves a CSV), with a note saying so;
- the separator (tab, comma or semicolon) and the header: the first of the
  first HEADER_SEARCH_ROWS rows that has a "Keyword" cell, so the two lines
  the Keyword Planner writes before it ("Keyword Stats 2024-05-01 at
  10_00_00" and the date range) are skipped;
- the format, from the column names (English, as every export seen writes
  them, whatever the language of the UI);
- the decimal mark, from the file as a whole: "170.0" or "99.44" prove a
  point, "0,45" or "1.234,56" a comma; a number that could be either
  ("1.300", "1,300") follows the file, and where the file says nothing a lone
  mark before exactly three digits groups thousands, since volumes are whole
  and the Keyword Planner gives bids two decimals.

Keyword Planner volumes written as ranges ("1K – 10K", "100 – 1K", with an en
dash or a hyphen; what accounts with little ad spend get) are stored at the
range's geometric midpoint, the square root of low × high (1K – 10K → 3,162),
and the range as written is kept in `ImportedFile.volume_ranges`. The ranges
are cut on a log scale, a factor of ten each, and keyword volumes crowd
towards the bottom of each; the geometric midpoint is the middle of the range
on that scale and is never more than √10 ≈ 3.2 times too high or too low,
where the arithmetic one (5,500) can be 5.5 times too high. A range from 0 is
taken from 1 (0 – 10 → 3), since the square root of 0 × 10 would call it no
searches at all.

Rows whose keyword or volume cannot be read are skipped and reported with
their line; a cell of another column that cannot be read is left empty and
noted, and the row imported. Real Keyword Planner files (see
tests/data/imports/keyword-planner-export-es-CO.tsv) have rows where a
missing Three month change or YoY change cell moves every later cell one
column left, so that the Competition column holds the competition index.
When the competition level is found in one of the change columns, with only
percentages before it, the row is realigned: the level and the cells after it
are read where the header says they belong. Which of the two changes is
missing cannot be told, and neither is stored, so nothing read depends on it.
A row that is misaligned in any other way keeps only its keyword and volume,
which come before any shift, and is noted.

From Semrush and Ahrefs only the keyword and its volume are read: their CPC
is an average cost per click, not a top-of-page bid range, and their
Keyword Difficulty, Competitive Density and Difficulty are their own scores,
not the Keyword Planner's competition; stored in those columns they would be
read as something they are not. Ahrefs' "Global volume" is worldwide and
never read as the volume.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from longtail import delimited
from longtail.delimited import decimal_mark_proved, quoted_columns
from longtail.errors import InputError, Problem
from longtail.markets import DEFAULT_NETWORK, GEO_TARGETS, LANGUAGES, NETWORKS
from longtail.planner.metrics import KeywordMetrics
from longtail.text import normalise_keyword

if TYPE_CHECKING:
    from longtail.store import Market, Store

KEYWORD_PLANNER = "Keyword Planner export"
SEMRUSH = "Semrush export"
AHREFS = "Ahrefs export"
FORMATS = (KEYWORD_PLANNER, SEMRUSH, AHREFS)

# The market volumes are stored for when neither options nor a persona say:
# the persona schema's own defaults (personas.Market).
DEFAULT_GEO = "US"
DEFAULT_LANGUAGE = "en"

# Candidates an import adds are stored under this source, so an expansion
# rerun (which replaces only its own source) keeps them.
IMPORT_SOURCE = "import"

# The Keyword Planner writes two lines before its header; a few more are
# allowed for files that passed through other hands.
HEADER_SEARCH_ROWS = 20

# Separators, in the order a tie is settled: tab first, since that is what
# the Keyword Planner and Ahrefs write.
DELIMITERS = ("\t", ",", ";")

# What to do about a file the csv module cannot read.
_EXPORT_AGAIN = "export the keywords again and import that file"

# Column names as normalised by _column_key. Keyword Planner names: its web UI
# export (e.g. "Keyword, Currency, Segmentation, Avg. monthly searches, Three
# month change, YoY change, Competition, Competition (indexed value), Top of
# page bid (low range), Top of page bid (high range), ..., Searches: May 2025");
# Semrush: Keyword Magic Tool ("Keyword, Intent, Volume, Trend, Keyword
# Difficulty, CPC (USD), Competitive Density, SERP Features, Number of
# Results") and API exports ("Keyword;Search Volume;CPC;Competition;...");
# Ahrefs: Keywords Explorer ("#, Keyword, Country, Difficulty, Volume, CPC,
# CPS, Parent Keyword, Last Update, SERP Features, Global volume, Traffic
# potential, ...") and Site Explorer ("Keyword, Volume, KD, CPC, ..."). Headers
# as published in real exports, collected in public keyword tools' format
# notes and the file in tests/data/imports.
KEYWORD = "keyword"
KP_VOLUME = "avg. monthly searches"
KP_CURRENCY = "currency"
KP_COMPETITION = "competition"
KP_COMPETITION_INDEX = "competition (indexed value)"
KP_LOW_BID = "top of page bid (low range)"
KP_HIGH_BID = "top of page bid (high range)"
VOLUME = "volume"
SEMRUSH_VOLUMES = ("volume", "search volume")
AHREFS_COUNTRY = "country"

# Columns only one of the two tools writes, which tell their files apart
# (both have Keyword and Volume).
SEMRUSH_MARKERS = frozenset(
    {
        "keyword difficulty",
        "keyword difficulty index",
        "competitive density",
        "number of results",
        "intent",
        "trend",
        "keyword intents",
        "search volume",
        "database",
        "competition",
    }
)
AHREFS_MARKERS = frozenset(
    {
        "difficulty",
        "kd",
        "cps",
        "parent keyword",
        "parent topic",
        "global volume",
        "traffic potential",
        "global traffic potential",
        "country",
        "first seen",
        "last update",
        "intents",
        "return rate",
    }
)
_SEMRUSH_CPC = re.compile(r"^cpc \([a-z]{3}\)$")  # "CPC (USD)", "CPC (EUR)"

EXPECTED_COLUMNS = (
    "a Keyword Planner export (Keyword, Avg. monthly searches, ...), a Semrush export "
    "(Keyword, Volume or Search Volume, Keyword Difficulty, ...) or an Ahrefs export "
    "(Keyword, Volume, Difficulty or KD, ...)"
)

# "Searches: Jan 2024": the Keyword Planner's monthly columns, English month
# abbreviations whatever the UI language.
_MONTH_COLUMN = re.compile(r"^searches: ?([a-z]{3})[a-z]*\.? (\d{4})$")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

# Competition labels the Keyword Planner UI writes, per UI language, as
# (low, medium, high), compared without case or accents. English, Spanish,
# German, French and Portuguese as seen in exports (the es-CO file in
# tests/data/imports: Alto / Medio / Bajo); the other languages longtail has
# codes for (markets.LANGUAGES) with their ordinary words for low / medium /
# high, both genders where the adjective agrees with "competition".
COMPETITION_LABELS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "en": (("low",), ("medium",), ("high",)),
    "es": (("bajo", "baja"), ("medio", "media"), ("alto", "alta")),
    "de": (("niedrig",), ("mittel",), ("hoch",)),
    "fr": (("faible",), ("moyen", "moyenne"), ("élevé", "élevée")),
    "pt": (("baixo", "baixa"), ("médio", "média"), ("alto", "alta")),
    "it": (("basso", "bassa"), ("medio", "media"), ("alto", "alta")),
    "nl": (("laag",), ("gemiddeld",), ("hoog",)),
    "pl": (("niski", "niska"), ("średni", "średnia"), ("wysoki", "wysoka")),
    "sv": (("låg",), ("medel",), ("hög",)),
    "da": (("lav",), ("middel",), ("høj",)),
    "no": (("lav",), ("middels",), ("høy",)),
    "fi": (("matala",), ("keskitaso",), ("korkea",)),
    "cs": (("nízká", "nízký"), ("střední",), ("vysoká", "vysoký")),
    "ja": (("低",), ("中",), ("高",)),
}
COMPETITION_LEVELS = ("LOW", "MEDIUM", "HIGH")  # KeywordPlanCompetitionLevelEnum names

# Cells that hold a change in percent, as the Keyword Planner writes them
# ("200%", "-67%", "+5 %"); "∞" stands for growth from nothing.
_PERCENT = re.compile(r"^[+\-−]?[\d.,]+ ?%$|^[+\-]?∞$")

# Digits with thousands or decimal marks, nothing else (after spaces, no-break
# spaces and the Swiss apostrophe are dropped: those only ever group).
_NUMBER = re.compile(r"^[+-]?\d[\d.,]*$")
_GROUPING_SPACE = re.compile(r"[\s\u00a0\u202f']")
# "1K", "1.5K", "10M": the suffixes the Keyword Planner writes in ranges.
_SUFFIXED = re.compile(r"^(\d+(?:[.,]\d+)?) ?([kmb])$", re.IGNORECASE)
_SUFFIX_FACTOR = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
# "1K – 10K", "100 – 1K", "0-10": en dash, em dash, figure dash or hyphen.
_RANGE = re.compile(r"^(\d[\d.,]*\s?[kmb]?)\s*[-–—‒]\s*(\d[\d.,]*\s?[kmb]?)$", re.IGNORECASE)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class VolumeRange:
    """A volume the export gives as a range ("1K – 10K"), and the figure stored for it."""

    text: str  # as written in the file
    low: int
    high: int

    @property
    def midpoint(self) -> int:
        """The geometric midpoint, √(low × high); a range from 0 is taken from 1."""
        return round(math.sqrt(max(self.low, 1) * self.high))


@dataclass(frozen=True)
class ImportedFile:
    """What one export holds, as read: metrics per keyword and what could not be read."""

    path: Path
    format: str  # one of FORMATS
    rows: list[KeywordMetrics]  # normalised keywords, first occurrence of each, file order
    # The currency of the bids (the Keyword Planner's Currency column); None
    # when the file has no bids longtail stores.
    currency: str | None
    skipped: list[Problem]  # rows not imported, each with its line
    notes: list[Problem]  # rows imported with a cell left empty, realigned rows, file notes
    duplicates: int  # rows whose keyword an earlier row already had
    volume_ranges: dict[str, VolumeRange] = field(default_factory=dict)  # by keyword
    countries: tuple[str, ...] = ()  # Ahrefs' Country column, ISO codes, sorted
    encoding: str = "utf-8"
    delimiter: str = "\t"

    @property
    def with_volume(self) -> int:
        """Rows that have an average monthly volume (0 included: Google says nobody searched)."""
        return sum(1 for row in self.rows if row.avg_monthly_searches is not None)

    @property
    def without_volume(self) -> int:
        """Rows whose volume cell was empty."""
        return len(self.rows) - self.with_volume

    @property
    def source(self) -> str:
        """Where these volumes came from, as stored and as the exports show it."""
        return f"import of {self.path.name} ({self.format})"


@dataclass(frozen=True)
class ImportResult:
    """What an import stored, and for which market and persona."""

    file: ImportedFile
    market: Market
    persona_id: str | None
    metrics_stored: int
    candidates_added: int
    # Things the user should know about how the file meets the database:
    # a market that is not the persona's, bids in another currency, Ahrefs
    # countries that are not the market's.
    warnings: list[str]


# ---------------------------------------------------------------- public API


def read_export(path: Path) -> ImportedFile:
    """Read a Keyword Planner, Semrush or Ahrefs export; raises InputError if it is none."""
    path = Path(path)
    text, encoding, notes = _decode(path)
    delimiter, header_index = _find_header(path, text)
    records = delimited.records(path, text, delimiter, _EXPORT_AGAIN)
    _, header = next(itertools.islice(records, header_index, None))
    columns = {_column_key(name): index for index, name in reversed(list(enumerate(header)))}
    export_format = _detect_format(path, header, columns)
    data = [(line, cells) for line, cells in records if any(cell.strip() for cell in cells)]
    reader = _RowReader(path, export_format, header, columns, data, notes)
    return reader.read(encoding, delimiter)


def resolve_market(
    store: Store,
    persona_id: str | None,
    *,
    geo: str | Sequence[str] | None = None,
    language: str | None = None,
    network: str | None = None,
) -> Market:
    """The market to store volumes for: what is given, else the persona's, else US / en.

    Raises InputError for an unknown persona (naming the stored ones) or an
    unknown country, language or network.
    """
    from longtail.store import Market

    if persona_id is not None:
        base = store.persona_market(persona_id)
        if base is None:
            raise InputError(_unknown_persona(store, persona_id))
    else:
        base = Market(DEFAULT_GEO, DEFAULT_LANGUAGE, DEFAULT_NETWORK)
    return Market(
        _geo(geo) if geo is not None else base.geo,
        _language(language) if language is not None else base.language,
        _network(network) if network is not None else base.network,
    )


def import_export(
    store: Store,
    path: Path,
    *,
    persona_id: str | None = None,
    geo: str | Sequence[str] | None = None,
    language: str | None = None,
    network: str | None = None,
) -> ImportResult:
    """Read `path` and store its volumes (and, with a persona, its keywords) in one transaction.

    The market is `geo`, `language` and `network` where given, else the
    persona's, else US / en / google-search. Rerunning updates the rows.
    """
    from longtail.expand import Candidate  # a dataclass; spaCy loads only in expand()

    market = resolve_market(store, persona_id, geo=geo, language=language, network=network)
    imported = read_export(path)
    candidates = (
        []
        if persona_id is None
        else [
            Candidate(row.keyword, persona_id, IMPORT_SOURCE, imported.path.name, IMPORT_SOURCE)
            for row in imported.rows
        ]
    )
    with store.transaction():
        stored = store.save_metrics(market, imported.rows, imported.source)
        if candidates:
            store.add_candidates(candidates, IMPORT_SOURCE)
    return ImportResult(
        file=imported,
        market=market,
        persona_id=persona_id,
        metrics_stored=stored,
        candidates_added=len(candidates),
        warnings=_warnings(store, imported, market, persona_id),
    )


def competition_level(label: str) -> str | None:
    """LOW, MEDIUM or HIGH for a competition label in any UI language; None if unknown."""
    return _COMPETITION_BY_LABEL.get(_fold(label))


def parse_volume(text: str, decimal_mark: str | None = None) -> int | VolumeRange:
    """A volume cell as a whole number of searches, or a VolumeRange; ValueError if neither.

    "170.0" → 170, "1,300" → 1300, "1.300" → 1300 (unless `decimal_mark` is
    "."), "1K – 10K" → VolumeRange(1000, 10000).
    """
    cell = text.strip()
    if cell.isascii() and cell.isdigit():
        return int(cell)  # most cells: no mark, no range, nothing to decide
    matched = _RANGE.match(cell)
    if matched:
        low, high = (_whole(_amount(part, decimal_mark)) for part in matched.groups())
        if low > high:
            raise ValueError(f"{text!r} is a range from high to low")
        return VolumeRange(cell, low, high)
    return _whole(_amount(cell, decimal_mark))


def parse_decimal(text: str, decimal_mark: str | None = None) -> float:
    """A number as exports write it: "99.44", "0,45", "1,234.56", "1.234,56", "2 452,86".

    `decimal_mark` is the file's, when known; it settles "1.300" and "1,300".
    """
    cell = text.strip()
    if cell.isascii() and cell.isdigit():
        return float(cell)  # most cells: no mark to decide about
    cell = _GROUPING_SPACE.sub("", cell)
    if not _NUMBER.match(cell):
        raise ValueError(f"{text!r} is not a number")
    decimal = _decimal_mark_of(cell, decimal_mark)
    whole, _, fraction = cell.partition(decimal) if decimal else (cell, "", "")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("+-")
    # Whatever mark is left in the whole part groups thousands: 1-3 digits, then threes.
    groups = whole.split("," if "," in whole else ".")
    if (
        not all(group.isdigit() for group in groups)
        or (len(groups) > 1 and not (len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])))
        or (fraction and not fraction.isdigit())
    ):
        raise ValueError(f"{text!r} is not a number")
    return float(f"{sign}{''.join(groups)}.{fraction or 0}")


# ---------------------------------------------------------------- reading


def _decode(path: Path) -> tuple[str, str, list[Problem]]:
    """The file's text, the encoding it was read in, and a note when it was a guess."""
    text, encoding = delimited.read_text(path, "an export to import", _EXPORT_AGAIN)
    notes: list[Problem] = []
    if encoding == delimited.GUESSED_ENCODING:
        notes.append(
            Problem(
                path.name,
                "the file is not UTF-8 or UTF-16; it was read as Windows-1252 (what Excel "
                "writes). If accented letters look wrong, save it as UTF-8 and import again",
            )
        )
    return text, encoding, notes


def _find_header(path: Path, text: str) -> tuple[str, int]:
    """The separator, and which record is the header: the first with a Keyword column."""
    found: list[tuple[int, int, int, str]] = []  # (record, -cells, separator order, separator)
    first_rows: dict[str, list[str]] = {}
    for order, delimiter in enumerate(DELIMITERS):
        try:
            records = list(
                itertools.islice(
                    delimited.records(path, text, delimiter, _EXPORT_AGAIN),
                    HEADER_SEARCH_ROWS,
                )
            )
        except InputError:
            continue
        nonblank = [cells for _, cells in records if any(cell.strip() for cell in cells)]
        if nonblank:
            first_rows[delimiter] = nonblank[0]
        for index, (_, cells) in enumerate(records):
            if KEYWORD in (_column_key(cell) for cell in cells):
                found.append((index, -len(cells), order, delimiter))
                break
    if not found:
        widest = max(first_rows.values(), key=len, default=[])
        raise InputError(
            f"{path} is not a keyword export longtail can read: no 'Keyword' column in its "
            f"first {HEADER_SEARCH_ROWS} rows (the first row has {quoted_columns(widest)}). "
            f"Expected {EXPECTED_COLUMNS}."
        )
    index, _, _, delimiter = min(found)
    return delimiter, index


def _detect_format(path: Path, header: list[str], columns: dict[str, int]) -> str:
    names = set(columns)
    if KP_VOLUME in names:
        return KEYWORD_PLANNER
    semrush = len(names & SEMRUSH_MARKERS) + sum(1 for name in names if _SEMRUSH_CPC.match(name))
    ahrefs = len(names & AHREFS_MARKERS)
    if semrush > ahrefs and any(name in names for name in SEMRUSH_VOLUMES):
        return SEMRUSH
    if VOLUME in names and ahrefs > semrush:
        return AHREFS
    raise InputError(
        f"{path} is not a keyword export longtail can read: it has the columns "
        f"{quoted_columns(header)}. Expected {EXPECTED_COLUMNS}."
    )


class _RowReader:
    """Turns the data records of one export into KeywordMetrics, noting what it cannot read."""

    def __init__(
        self,
        path: Path,
        export_format: str,
        header: list[str],
        columns: dict[str, int],
        data: list[tuple[int, list[str]]],
        notes: list[Problem],
    ) -> None:
        self.path = path
        self.format = export_format
        self.header = [" ".join(name.split()) for name in header]
        self.columns = columns
        self.data = data
        self.notes = notes
        self.skipped: list[Problem] = []
        self.ranges: dict[str, VolumeRange] = {}
        volume_names = (KP_VOLUME,) if export_format == KEYWORD_PLANNER else SEMRUSH_VOLUMES
        self.volume_column = next(columns[name] for name in volume_names if name in columns)
        # (year, month, column), oldest first: the order monthly_searches keeps.
        self.months: list[tuple[int, int, int]] = []
        for name, index in columns.items():
            month = _month_column(name)
            if month is not None:
                self.months.append((*month, index))
        self.months.sort()
        self.decimal_mark = self._decimal_mark()

    def read(self, encoding: str, delimiter: str) -> ImportedFile:
        """Every data row read, skipped or noted; duplicates counted."""
        rows: list[KeywordMetrics] = []
        seen: set[str] = set()
        duplicates = 0
        currencies: set[str] = set()
        countries: set[str] = set()
        keyword_column = self.columns[KEYWORD]
        for line, raw in self.data:
            cells = [cell.strip() for cell in raw]
            cells += [""] * (len(self.header) - len(cells))  # short rows: missing cells empty
            written = cells[keyword_column]
            keyword = normalise_keyword(written)
            if not keyword:
                reason = f"{written!r} has no letters or digits to search for" if written else ""
                self._skip(line, reason or "no keyword", keyword_column)
                continue
            if keyword in seen:
                duplicates += 1  # the first readable row of a keyword is the one kept
                continue
            try:
                volume, volume_range = self._volume(cells[self.volume_column])
            except ValueError as error:
                self._skip(line, str(error), self.volume_column)
                continue
            seen.add(keyword)
            if volume_range is not None:
                self.ranges[keyword] = volume_range
            if self.format == KEYWORD_PLANNER:
                metrics = self._keyword_planner_metrics(keyword, volume, cells, line)
                currency = self._cell(cells, KP_CURRENCY).upper()
                has_bid = metrics.low_top_of_page_bid is not None or (
                    metrics.high_top_of_page_bid is not None
                )
                if currency and has_bid:
                    currencies.add(currency)
            else:
                metrics = KeywordMetrics(keyword, volume, (), None, None, None, None, None)
                country = self._cell(cells, AHREFS_COUNTRY).upper()
                if self.format == AHREFS and country:
                    countries.add(country)
            rows.append(metrics)
        if len(currencies) > 1:
            self.notes.append(
                Problem(
                    self.path.name,
                    f"bids are in several currencies ({', '.join(sorted(currencies))}); "
                    "they are stored as they are, unconverted",
                )
            )
        return ImportedFile(
            path=self.path,
            format=self.format,
            rows=rows,
            currency=", ".join(sorted(currencies)) or None,
            skipped=self.skipped,
            notes=self.notes,
            duplicates=duplicates,
            volume_ranges=self.ranges,
            countries=tuple(sorted(countries)),
            encoding=encoding,
            delimiter=delimiter,
        )

    # ------------------------------------------------------------ cells

    def _cell(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name)
        return "" if index is None else cells[index]

    def _volume(self, cell: str) -> tuple[int | None, VolumeRange | None]:
        """The volume to store and, when the cell is a range, the range."""
        if not cell:
            return None, None
        try:
            volume = parse_volume(cell, self.decimal_mark)
        except ValueError:
            raise ValueError(f"{cell!r} is not a search volume") from None
        if isinstance(volume, VolumeRange):
            return volume.midpoint, volume
        return volume, None

    def _skip(self, line: int, reason: str, column: int) -> None:
        self.skipped.append(Problem(self.path.name, reason, self.header[column], line))

    def _keyword_planner_metrics(
        self, keyword: str, volume: int | None, cells: list[str], line: int
    ) -> KeywordMetrics:
        cells = self._aligned(cells, line)
        competition_cell = self._cell(cells, KP_COMPETITION)
        competition = competition_level(competition_cell) if competition_cell else None
        if competition_cell and competition is None:
            self._note(
                line,
                f"Competition {competition_cell!r} is not a competition level longtail knows; "
                "the row was imported without it",
            )
        index = self._number(cells, KP_COMPETITION_INDEX, line, whole=True, upper=100)
        monthly = []
        for year, month, column in self.months:
            cell = cells[column]
            if not cell:
                continue  # a month without a volume is left out, as the API does
            try:
                searches = parse_volume(cell, self.decimal_mark)
            except ValueError:
                self._note(
                    line, f"{self.header[column]}: {cell!r} is not a search volume; left out"
                )
                continue
            midpoint = searches.midpoint if isinstance(searches, VolumeRange) else searches
            monthly.append((year, month, midpoint))
        return KeywordMetrics(
            keyword=keyword,
            avg_monthly_searches=volume,
            monthly_searches=tuple(monthly),
            competition=competition,
            competition_index=None if index is None else int(index),
            low_top_of_page_bid=self._number(cells, KP_LOW_BID, line),
            high_top_of_page_bid=self._number(cells, KP_HIGH_BID, line),
            close_variant_of=None,
        )

    def _number(
        self,
        cells: list[str],
        name: str,
        line: int,
        *,
        whole: bool = False,
        upper: float | None = None,
    ) -> float | None:
        cell = self._cell(cells, name)
        if not cell:
            return None
        column = self.header[self.columns[name]]
        try:
            number = parse_decimal(cell, self.decimal_mark)
        except ValueError:
            self._note(line, f"{column}: {cell!r} is not a number; left empty")
            return None
        if number < 0 or (upper is not None and number > upper) or (whole and number % 1):
            expected = f"a whole number from 0 to {upper:g}" if upper is not None else "≥ 0"
            self._note(line, f"{column}: {cell!r} is not {expected}; left empty")
            return None
        return number

    def _note(self, line: int, message: str) -> None:
        self.notes.append(Problem(self.path.name, message, line=line))

    # ------------------------------------------------------------ alignment

    def _aligned(self, cells: list[str], line: int) -> list[str]:
        """The row's cells under the columns they belong to; see the module docstring."""
        competition = self.columns.get(KP_COMPETITION)
        if competition is None or competition <= self.volume_column:
            return cells
        found = cells[competition]
        if not found or not _looks_numeric(found):
            return cells  # a level, blank, or an unknown label: in its place
        changes = range(self.volume_column + 1, competition)
        for position in changes:
            if competition_level(cells[position]) is not None and all(
                not cells[before] or _PERCENT.match(cells[before])
                for before in range(self.volume_column + 1, position)
            ):
                missing = competition - position
                names = " or ".join(self.header[c] for c in changes)
                gap = f"a {names} cell" if missing == 1 else f"{missing} {names} cells"
                self._note(
                    line,
                    f"cells shifted {_columns(missing)} left ({gap} missing); Competition "
                    f"{cells[position]!r} and the cells after it were read from where they "
                    "stood. Neither change is stored, so which one is missing does not matter",
                )
                return cells[:position] + [""] * missing + cells[position:]
        self._note(
            line,
            f"Competition holds {found!r}, not a competition level, and no level is in the "
            "columns before it: the cells do not line up with the header, so only the "
            f"keyword and {self.header[self.volume_column]} were read",
        )
        return cells[: self.volume_column + 1] + [""] * (len(cells) - self.volume_column - 1)

    def _decimal_mark(self) -> str | None:
        """The file's decimal mark, when its numbers say so without contradiction."""
        numeric = {self.volume_column, *(index for _, _, index in self.months)}
        numeric |= {
            self.columns[name]
            for name in (KP_COMPETITION_INDEX, KP_LOW_BID, KP_HIGH_BID)
            if name in self.columns
        }
        marks = set()
        for _, cells in self.data:
            for index in numeric:
                if index < len(cells) and (mark := _decimal_evidence(cells[index])):
                    marks.add(mark)
        return marks.pop() if len(marks) == 1 else None


# ---------------------------------------------------------------- helpers


def _column_key(name: str) -> str:
    """A header cell as compared: byte-order mark, case and spacing dropped, "?" too."""
    return " ".join(name.replace("\ufeff", "").split()).casefold().rstrip("?").strip()


def _month_column(name: str) -> tuple[int, int] | None:
    matched = _MONTH_COLUMN.match(name)
    if not matched or matched.group(1) not in _MONTHS:
        return None
    return int(matched.group(2)), _MONTHS[matched.group(1)]


def _fold(label: str) -> str:
    """Casefolded, accents dropped (élevé → eleve), spacing collapsed."""
    decomposed = unicodedata.normalize("NFKD", label.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_COMPETITION_BY_LABEL = {
    _fold(label): level
    for levels in COMPETITION_LABELS.values()
    for level, labels in zip(COMPETITION_LEVELS, levels, strict=True)
    for label in labels
}


def _amount(text: str, decimal_mark: str | None) -> float:
    cell = text.strip()
    suffixed = _SUFFIXED.match(cell)
    if suffixed:
        # With a K or M the mark can only be a decimal one: "1.5K", "2,5K".
        number = float(suffixed.group(1).replace(",", "."))
        return number * _SUFFIX_FACTOR[suffixed.group(2).lower()]
    return parse_decimal(cell, decimal_mark)


def _whole(number: float) -> int:
    if number < 0 or number % 1:
        raise ValueError(f"{number:g} is not a whole number of searches")
    return int(number)


def _decimal_mark_of(cell: str, file_mark: str | None) -> str | None:
    """Which mark of a number cell (spaces removed) is its decimal mark; None for none."""
    dot, comma = cell.rfind("."), cell.rfind(",")
    if dot >= 0 and comma >= 0:
        return "." if dot > comma else ","  # "1,234.56", "1.234,56": the last one
    if dot < 0 and comma < 0:
        return None
    mark = "." if dot >= 0 else ","
    if cell.count(mark) > 1:
        return None  # "1.234.567": only grouping repeats
    if file_mark is not None:
        return mark if mark == file_mark else None
    # No word from the file: "1,300" and "1.300" group thousands.
    return None if len(cell) - cell.index(mark) - 1 == 3 else mark


def _decimal_evidence(cell: str) -> str | None:
    """The decimal mark a number cell proves, or None when it could be either."""
    if cell.isdigit():
        return None
    text = _GROUPING_SPACE.sub("", cell.strip())
    if not _NUMBER.match(text):
        return None
    return decimal_mark_proved(text)


def _looks_numeric(cell: str) -> bool:
    """A number or a percentage: what a misaligned row puts in the Competition column."""
    if _PERCENT.match(cell):
        return True
    try:
        parse_decimal(cell)
    except ValueError:
        return False
    return True


def _geo(geo: str | Sequence[str]) -> str:
    codes = geo.split(",") if isinstance(geo, str) else list(geo)
    cleaned = sorted({code.strip().upper() for code in codes if code.strip()})
    if not cleaned:
        raise InputError("--geo is empty; give a country code such as US, or several: CA,US")
    for code in cleaned:
        if code not in GEO_TARGETS:
            raise InputError(
                f"Unknown country code {code!r} in --geo. Use one of: {', '.join(GEO_TARGETS)}."
            )
    return ",".join(cleaned)


def _language(language: str) -> str:
    code = language.strip().lower()
    if code not in LANGUAGES:
        raise InputError(
            f"Unknown language code {language!r} in --language. "
            f"Use one of: {', '.join(sorted(LANGUAGES))}."
        )
    return code


def _network(network: str) -> str:
    name = network.strip().lower()
    if name not in NETWORKS:
        raise InputError(
            f"Unknown network {network!r} in --network. Use one of: {', '.join(sorted(NETWORKS))}."
        )
    return name


def _unknown_persona(store: Store, persona_id: str) -> str:
    stored = sorted(store.persona_ids())
    if not stored:
        return (
            f"no persona {persona_id!r}: the database {store.path} has no personas yet. "
            "Run `longtail expand` with the persona files first, then import again."
        )
    return (
        f"no persona {persona_id!r} in the database {store.path}; it has "
        f"{', '.join(stored)}. Run `longtail expand` with its persona file first, "
        "or pass one of those ids."
    )


def _warnings(
    store: Store, imported: ImportedFile, market: Market, persona_id: str | None
) -> list[str]:
    warnings = []
    if persona_id is not None:
        persona_market = store.persona_market(persona_id)
        if persona_market is not None and persona_market != market:
            warnings.append(
                f"{persona_id} searches in {_market_label(persona_market)}, but the volumes "
                f"were stored for {_market_label(market)}: its scores will not use them. "
                "Import again without --geo, --language and --network to store them for "
                "its market."
            )
        currency = next(
            (row["currency"] for row in store.personas() if row["id"] == persona_id), None
        )
        if imported.currency and currency and imported.currency != currency:
            warnings.append(
                f"The bids are in {imported.currency} and {persona_id}'s CLV in {currency}; "
                "values are unaffected, but convert before comparing bids with CLV."
            )
    foreign = [code for code in imported.countries if code not in market.geo_codes]
    if foreign:
        warnings.append(
            f"The file's Country column says {', '.join(imported.countries)}, but the volumes "
            f"were stored for {market.geo}. If they are {foreign[0]} volumes, import again "
            f"with --geo {foreign[0]}."
        )
    return warnings


def _market_label(market: Market) -> str:
    return f"{market.geo} / {market.language} / {market.network}"


def _columns(count: int) -> str:
    return "one column" if count == 1 else f"{count} columns"
