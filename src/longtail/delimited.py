"""Reading the delimited text files users bring: keyword exports and order histories.

What the readers share: records with the line each starts on (quoted cells
may span lines), the names of separators and columns in messages, and which
decimal mark a number proves.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from longtail.errors import InputError

SEPARATOR_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}

# Bytes looked at to tell UTF-16 without a byte-order mark.
_SNIFF_BYTES = 4096
# Excel's "CSV" save on Windows: every byte decodes in it, so it is read as a guess.
GUESSED_ENCODING = "cp1252"


def read_text(path: Path, what: str, fix: str) -> tuple[str, str]:
    """The text of a file a user brings, and the encoding it was read in.

    UTF-16 (with a byte-order mark, or without one: ASCII letters leave every
    other byte zero) and UTF-8 (with or without a mark); failing those,
    Windows-1252, which the caller should say was a guess (GUESSED_ENCODING).
    `what` names the file in messages ("an orders CSV"); `fix` says what to
    do about an empty or unreadable one.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; give the path of {what}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder; give the path of {what}") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from error
    if not data.strip():
        raise InputError(f"{path} is empty; {fix}")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        head = data[:_SNIFF_BYTES]
        if head[1::2].count(0) > len(head) // 4:
            encoding = "utf-16-le"
        elif head[0::2].count(0) > len(head) // 4:
            encoding = "utf-16-be"
        else:
            encoding = "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        if encoding != "utf-8":
            raise InputError(
                f"{path} starts like {encoding.upper()} text but cannot be read as it; {fix}"
            ) from None
        return data.decode(GUESSED_ENCODING, errors="replace"), GUESSED_ENCODING


def records(path: Path, text: str, delimiter: str, fix: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the 1-based line of the file it starts on.

    A record the csv module cannot read stops the file with an InputError
    naming the line; `fix` says what to do about it.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for record in reader:
            yield line, record
            line = reader.line_num + 1
    except csv.Error as error:
        raise InputError(
            f"{path}:{reader.line_num}: cannot be read as {separator_name(delimiter)}-separated "
            f"text ({error}); {fix}"
        ) from error


def separator_name(delimiter: str) -> str:
    """ "tab", "comma" or "semicolon"."""
    return SEPARATOR_NAMES[delimiter]


def quoted_columns(names: Sequence[str]) -> str:
    """Header cells as a message shows them: quoted, spacing collapsed, blanks left out."""
    shown = [repr(" ".join(name.split())) for name in names if name.strip()]
    return ", ".join(shown) if shown else "no columns"


def decimal_mark_proved(number: str) -> str | None:
    """The decimal mark a number written without spaces proves, or None when it could be either.

    "12.50" proves ".", "1.234,56" proves ","; a lone mark before exactly three
    digits ("1,300") proves nothing, since it may group thousands.
    """
    dot, comma = number.rfind("."), number.rfind(",")
    if dot >= 0 and comma >= 0:
        return "." if dot > comma else ","
    if dot < 0 and comma < 0:
        return None
    mark = "." if dot >= 0 else ","
    if number.count(mark) > 1:
        return "," if mark == "." else "."  # "1.234.567": the repeated mark groups
    return None if len(number) - number.index(mark) - 1 == 3 else mark
