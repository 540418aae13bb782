"""Persona loading and validation: every problem reported, located, with a fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from longtail.errors import PersonaError
from longtail.personas import load_personas

DATA = Path(__file__).parent / "data"
VALID = DATA / "personas"
BROKEN = DATA / "broken"


def problems_of(*paths: Path) -> list[str]:
    with pytest.raises(PersonaError) as caught:
        load_personas(list(paths))
    return [str(problem) for problem in caught.value.problems]


def test_loads_a_folder_sorted_by_file_name() -> None:
    personas = load_personas([VALID])
    assert [p.id for p in personas] == ["gift-buyer", "trail-runner"]
    runner = personas[1]
    assert runner.products == ["trail running shoes", "hydration vest", "waterproof jacket"]
    assert runner.market.geo == ["US"]
    assert runner.clv.gross_margin == 0.42
    assert runner.source == VALID / "trail-runner.yaml"


def test_defaults_market_to_us_english_usd_google_search() -> None:
    gift = load_personas([VALID / "gift-buyer.yaml"])[0]
    assert (gift.market.geo, gift.market.language, gift.market.currency, gift.market.network) == (
        ["US"],
        "en",
        "USD",
        "google-search",
    )


def test_reports_invalid_yaml_with_its_line() -> None:
    [problem] = problems_of(BROKEN / "bad-yaml.yaml")
    assert problem.startswith(f"{BROKEN / 'bad-yaml.yaml'}:6: invalid YAML: ")
    assert problem.endswith("check indentation and quoting")


def test_reports_wrong_types_by_field_and_line() -> None:
    file = BROKEN / "wrong-types.yaml"
    assert problems_of(file) == [
        f"{file}:5: interests: expected a list like [a, b], got a mapping",
        f"{file}:7: clv.average_order_value: 'about 140 dollars' is not a number; "
        "write it without units, e.g. 140",
    ]


def test_reports_every_missing_field_at_once() -> None:
    file = BROKEN / "missing-fields.yaml"
    problems = problems_of(file)
    assert len(problems) == 3
    assert problems[0].startswith(f"{file}:1: description: is required; add it, e.g. ")
    assert problems[1].startswith(f"{file}:1: products: is required; add it, e.g. ")
    assert problems[2] == (
        f"{file}:3: clv: needs either value (the CLV itself) or all of average_order_value, "
        "purchases_per_year and retention_years; missing: retention_years"
    )


def test_rejects_margin_above_one_and_negative_frequency() -> None:
    file = BROKEN / "out-of-range.yaml"
    assert problems_of(file) == [
        f"{file}:7: clv.purchases_per_year: -1 must be greater than 0",
        f"{file}:9: clv.gross_margin: 1.4 is not between 0 and 1; write 42% as 0.42",
    ]


def test_unknown_field_suggests_the_known_one() -> None:
    file = BROKEN / "unknown-field.yaml"
    assert problems_of(file) == [
        f"{file}:5: pain_point: is not a persona field; did you mean 'pain_points'?"
    ]


def test_unknown_nested_field_without_a_close_match_lists_the_fields(tmp_path: Path) -> None:
    file = tmp_path / "p.yaml"
    file.write_text(
        "id: p\nname: P\ndescription: d\nproducts: [tent pegs]\nclv: {value: 10, discount: 3}\n"
    )
    assert problems_of(file) == [
        f"{file}:5: clv.discount: is not a clv field; the fields are: average_order_value, "
        "gross_margin, purchases_per_year, retention_years, value"
    ]


def test_duplicate_ids_across_files_name_both_files(tmp_path: Path) -> None:
    shutil.copy(VALID / "trail-runner.yaml", tmp_path / "a.yaml")
    shutil.copy(BROKEN / "duplicate-id.yaml", tmp_path / "b.yaml")
    assert problems_of(tmp_path) == [
        f"{tmp_path / 'b.yaml'}: id: 'trail-runner' is already the id of "
        f"{tmp_path / 'a.yaml'}; give each persona its own id"
    ]


def test_collects_problems_from_every_file_before_failing() -> None:
    with pytest.raises(PersonaError) as caught:
        load_personas([VALID, BROKEN / "unknown-field.yaml", BROKEN / "out-of-range.yaml"])
    files = {problem.file for problem in caught.value.problems}
    assert files == {str(BROKEN / "unknown-field.yaml"), str(BROKEN / "out-of-range.yaml")}
    assert caught.value.summary.startswith("3 problems in 2 of 4 persona files; ")


def test_top_level_list_is_not_a_persona() -> None:
    file = BROKEN / "not-a-mapping.yaml"
    assert problems_of(file) == [
        f"{file}:1: must be a mapping of fields (id: ..., name: ...), not a list"
    ]


def test_unknown_country_and_language_suggest_or_list(tmp_path: Path) -> None:
    file = tmp_path / "p.yaml"
    file.write_text(
        "id: p\nname: P\ndescription: d\nproducts: [tent pegs]\nclv: {value: 10}\n"
        "market:\n  geo: [us, UK]\n  language: english\n"
    )
    problems = problems_of(file)
    assert problems[0].startswith(
        f"{file}:7: market.geo[1]: 'UK' is not a country code "
        "longtail knows; use one of: AR, AT, AU"
    )
    assert problems[1].startswith(f"{file}:8: market.language: 'english' is not a language code")


def test_lowercase_country_and_currency_are_accepted(tmp_path: Path) -> None:
    file = tmp_path / "p.yaml"
    file.write_text(
        "id: p\nname: P\ndescription: d\nproducts: tent pegs\nclv: {value: 10}\n"
        "market: {geo: gb, currency: gbp}\n"
    )
    [persona] = load_personas([file])
    assert (persona.market.geo, persona.market.currency, persona.products) == (
        ["GB"],
        "GBP",
        ["tent pegs"],
    )


def test_empty_folder_and_missing_path_are_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert problems_of(tmp_path, missing) == [
        f"{tmp_path}: no persona files (*.yaml, *.yml) in this folder",
        f"{missing}: no such file or folder",
    ]


def test_empty_file_says_what_a_persona_needs(tmp_path: Path) -> None:
    file = tmp_path / "empty.yaml"
    file.write_text("# nothing yet\n")
    assert problems_of(file) == [
        f"{file}: is empty; a persona needs at least id, name, description, products and clv"
    ]


def test_invalid_id_says_what_an_id_looks_like(tmp_path: Path) -> None:
    file = tmp_path / "p.yaml"
    file.write_text(
        "id: Trail Runner\nname: P\ndescription: d\nproducts: [x y]\nclv: {value: 10}\n"
    )
    assert problems_of(file) == [
        f"{file}:1: id: 'Trail Runner' is not a valid id; use lowercase letters, digits and "
        "hyphens, e.g. trail-runner"
    ]


def test_example_personas_are_valid() -> None:
    personas = load_personas([Path(__file__).parent.parent / "personas"])
    assert len(personas) >= 4
    assert len({p.id for p in personas}) == len(personas)


def test_conversion_rates_are_shares_by_intent_with_misspellings_caught(tmp_path: Path) -> None:
    file = tmp_path / "p.yaml"
    file.write_text(
        "id: p\nname: P\ndescription: d\nproducts: [tent pegs]\nclv: {value: 10}\n"
        "conversion_rates:\n  transactional: 3\n  transactonal: 0.03\n"
    )
    assert problems_of(file) == [
        f"{file}:7: conversion_rates.transactional: 3 is not between 0 and 1; write 42% as 0.42",
        f"{file}:8: conversion_rates.transactonal: is not a conversion_rates field; "
        "did you mean 'transactional'?",
    ]


def test_conversion_rates_a_persona_sets_are_the_ones_given(tmp_path: Path) -> None:
    file = tmp_path / "p.yaml"
    file.write_text(
        "id: p\nname: P\ndescription: d\nproducts: [tent pegs]\nclv: {value: 10}\n"
        "conversion_rates: {commercial: 0.02}\n"
    )
    (persona,) = load_personas([file])
    assert persona.conversion_rates.given() == {"commercial": 0.02}
