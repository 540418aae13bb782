"""Keyword text normalisation, shared by the expansion, the planner cache and the store.

A keyword is compared, cached and stored in one spelling: lowercase, NFKC,
straight quotes, single spaces, and only the punctuation that changes what a
searcher typed (hyphens and apostrophes inside words, decimal points in
numbers such as "2.5l"). This module stays free of spaCy so that the planner
and the store can import it cheaply.
"""

from __future__ import annotations

import re
import unicodedata

# Trademark signs are decoration in product names, and NFKC would turn "™"
# into the letters "TM" ("gore-tex™" → "gore-textm"), so they go first.
_DECORATION = str.maketrans("", "", "™®©℠")

# Quote and hyphen look-alikes that NFKC leaves alone. En and em dashes
# separate words ("shoes – waterproof"), so they become spaces, not hyphens.
_LOOKALIKES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "−": "-",
        "–": " ",
        "—": " ",
    }
)

# Dotted abbreviations ("u.s.", "e.g.") read as one word, not as letters.
_ABBREVIATION = re.compile(r"\b(?:[^\W\d_]\.){2,}")

# "1,000" is one number in an English query; other commas separate words.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")

# What survives: a hyphen between letters or digits ("all-day", "t-shirt"),
# an apostrophe after a letter or digit and before a letter ("women's",
# "90's"), a decimal point between digits ("2.5l"). Every other punctuation
# mark or symbol, and the underscore, becomes a space.
_PUNCTUATION = re.compile(
    r"(?P<keep>(?<=[^\W_])-(?=[^\W_])|(?<=[^\W_])'(?=[^\W\d_])|(?<=\d)\.(?=\d))|[^\w\s]|_"
)


def _keep_or_space(match: re.Match[str]) -> str:
    return match.group() if match.group("keep") else " "


def normalise_keyword(text: str) -> str:
    """The one spelling longtail stores a keyword in.

    "Women’s  Trail-Shoes, 2.5L!" becomes "women's trail-shoes 2.5l".
    """
    text = text.translate(_DECORATION)
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_LOOKALIKES).lower()
    text = _ABBREVIATION.sub(lambda match: match.group().replace(".", ""), text)
    text = _THOUSANDS.sub("", text)
    text = _PUNCTUATION.sub(_keep_or_space, text)
    return " ".join(text.split())
