"""normalise_keyword: the one spelling a keyword is compared, cached and stored in."""

from __future__ import annotations

import pytest

from longtail.text import normalise_keyword


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Trail Running Shoes", "trail running shoes"),
        ("HYDRATION VEST", "hydration vest"),
    ],
)
def test_lowercases(written: str, normalised: str) -> None:
    assert normalise_keyword(written) == normalised


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("  trail   running\tshoes \n", "trail running shoes"),
        ("hydration\u00a0vest", "hydration vest"),  # no-break space, as pasted from a web page
        ("", ""),
        ("   ", ""),
    ],
)
def test_collapses_whitespace(written: str, normalised: str) -> None:
    assert normalise_keyword(written) == normalised


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("durable, waterproof gear", "durable waterproof gear"),
        ("tent!", "tent"),
        ("shoes/boots", "shoes boots"),
        ("(ultralight) tent", "ultralight tent"),
        ("$100 tents", "100 tents"),
        ("snake_case tent", "snake case tent"),
        ("trail--running", "trail running"),
        ("-hyphen- at the edges-", "hyphen at the edges"),
        ("shoes – waterproof", "shoes waterproof"),  # an en dash separates, it does not join
        ("gore-tex™ jacket", "gore-tex jacket"),  # NFKC alone would make "gore-textm"
        ("patagonia® fleece", "patagonia fleece"),
    ],
)
def test_strips_punctuation_and_symbols(written: str, normalised: str) -> None:
    assert normalise_keyword(written) == normalised


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("all-day hiking boots", "all-day hiking boots"),
        ("thru-hiking gear", "thru-hiking gear"),
        ("t-shirt", "t-shirt"),
        ("women's trail shoes", "women's trail shoes"),
        ("o'neill wetsuit", "o'neill wetsuit"),
        ("90's windbreaker", "90's windbreaker"),
        ("runners' gear", "runners gear"),  # a trailing apostrophe is not inside a word
        ("'quoted' gear", "quoted gear"),
    ],
)
def test_keeps_hyphens_and_apostrophes_inside_words(written: str, normalised: str) -> None:
    assert normalise_keyword(written) == normalised


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("2.5L hydration bladder", "2.5l hydration bladder"),
        ("10K race shoes", "10k race shoes"),
        ("3.5 inch shorts", "3.5 inch shorts"),
        ("20l daypack.", "20l daypack"),
        ("1,000 mile socks", "1000 mile socks"),
        ("tents, 2 person", "tents 2 person"),
        ("version 3.5.", "version 3.5"),
    ],
)
def test_keeps_numbers_with_decimals_and_units(written: str, normalised: str) -> None:
    assert normalise_keyword(written) == normalised


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("women’s trail shoes", "women's trail shoes"),
        ("women‘s trail shoes", "women's trail shoes"),
        ("“best” trail shoes", "best trail shoes"),
        ("kid`s boots", "kid's boots"),
    ],
)
def test_straightens_curly_quotes(written: str, normalised: str) -> None:
    assert normalise_keyword(written) == normalised


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("ﬁtted sheet", "fitted sheet"),  # ligature
        ("ＴＥＮＴ", "tent"),  # full-width letters
        ("trail\u2011running", "trail-running"),  # non-breaking hyphen
        ("cafe\u0301 stove", "café stove"),  # combining accent composes
    ],
)
def test_applies_unicode_nfkc(written: str, normalised: str) -> None:
    assert normalise_keyword(written) == normalised


def test_reads_dotted_abbreviations_as_one_word() -> None:
    assert normalise_keyword("U.S. made tents") == "us made tents"


def test_is_idempotent() -> None:
    once = normalise_keyword("  Women’s  GORE-TEX™ Trail-Shoes, 2.5L (10K)! ")
    assert once == "women's gore-tex trail-shoes 2.5l 10k"
    assert normalise_keyword(once) == once
