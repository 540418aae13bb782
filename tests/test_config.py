"""The configuration file: defaults, overrides, extensions, and errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from longtail.config import load_config
from longtail.errors import InputError


def test_without_a_file_the_bundled_defaults_apply(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    assert config.source == "defaults"
    assert (config.expansion.min_words, config.expansion.max_words) == (2, 6)
    assert config.expansion.per_persona_cap == 300
    assert "best {product}" in config.modifiers.commercial
    assert "{product} near me" in config.modifiers.transactional


def test_longtail_toml_in_the_working_folder_overrides_only_what_it_names(
    tmp_path: Path,
) -> None:
    (tmp_path / "longtail.toml").write_text(
        "[expansion]\nper_persona_cap = 50\n\n[modifiers]\ncommercial = ['top rated {product}']\n"
    )
    config = load_config(cwd=tmp_path)
    assert config.source == str(tmp_path / "longtail.toml")
    assert config.expansion.per_persona_cap == 50
    assert config.expansion.max_words == 6
    assert config.modifiers.commercial == ("top rated {product}",)
    assert "buy {product}" in config.modifiers.transactional


def test_extra_lists_add_to_the_defaults(tmp_path: Path) -> None:
    file = tmp_path / "mine.toml"
    file.write_text("[modifiers]\nextra_transactional = ['wholesale {product}']\n")
    config = load_config(file)
    assert config.modifiers.transactional[-1] == "wholesale {product}"
    assert "buy {product}" in config.modifiers.transactional


def test_a_misspelt_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    file = tmp_path / "longtail.toml"
    file.write_text("[expansion]\nper_persona_capp = 50\n")
    with pytest.raises(InputError) as raised:
        load_config(file)
    assert str(raised.value) == (
        f"{file}: expansion.per_persona_capp is not a setting longtail knows; "
        "did you mean expansion.per_persona_cap?"
    )


def test_an_unknown_section_lists_the_known_ones(tmp_path: Path) -> None:
    file = tmp_path / "longtail.toml"
    file.write_text("[scoring]\nctr = 0.3\n")
    with pytest.raises(InputError, match=r"scoring is not a setting longtail knows; known: "):
        load_config(file)


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "longtail.toml"
    file.write_text("[expansion]\nmax_words = \n")
    with pytest.raises(InputError) as raised:
        load_config(file)
    message = str(raised.value)
    assert message.startswith(f"{file}: invalid TOML: ")
    assert "line 2" in message


def test_limits_must_be_whole_numbers_in_order(tmp_path: Path) -> None:
    file = tmp_path / "longtail.toml"
    file.write_text("[expansion]\nmin_words = 4\nmax_words = 3\n")
    with pytest.raises(InputError, match="min_words \\(4\\) is more than max_words \\(3\\)"):
        load_config(file)
    file.write_text("[expansion]\nper_persona_cap = 'lots'\n")
    with pytest.raises(InputError, match="per_persona_cap: 'lots' is not a whole number"):
        load_config(file)


def test_modifiers_must_be_lists_of_text(tmp_path: Path) -> None:
    file = tmp_path / "longtail.toml"
    file.write_text("[modifiers]\ncommercial = 'best {product}'\n")
    with pytest.raises(InputError, match=r"modifiers\.commercial must be a list of text"):
        load_config(file)


def test_a_missing_config_file_given_explicitly_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such config file; check --config"):
        load_config(tmp_path / "nope.toml")


def test_economics_defaults_carry_the_cited_curve_and_rates(tmp_path: Path) -> None:
    economics = load_config(cwd=tmp_path).economics
    assert economics.target_position == 3
    assert economics.ctr == 0.110
    assert economics.conversion_rate("transactional") == 0.03
    assert economics.paid_ctr == 0.0642


def test_one_conversion_rate_given_keeps_the_others(tmp_path: Path) -> None:
    file = tmp_path / "longtail.toml"
    file.write_text(
        "[economics]\ntarget_position = 1\n\n[economics.conversion_rates]\ncommercial = 0.025\n"
    )
    economics = load_config(file).economics
    assert economics.ctr == 0.285
    assert economics.conversion_rate("commercial") == 0.025
    assert economics.conversion_rate("transactional") == 0.03


def test_economics_errors_say_how_to_write_each_setting(tmp_path: Path) -> None:
    file = tmp_path / "longtail.toml"
    file.write_text(
        "[economics]\ntarget_position = 11\npaid_ctr = '6%'\nbid_fraction = 0\n"
        "cost_basis = 'average'\n\n[economics.conversion_rates]\ntransactonal = 0.03\n"
        "commercial = 2\n"
    )
    with pytest.raises(InputError) as raised:
        load_config(file)
    assert str(raised.value).splitlines() == [
        f"{file}: economics.conversion_rates.transactonal is not a setting longtail knows; "
        "did you mean economics.conversion_rates.transactional?",
        f"{file}: economics.target_position is 11 but economics.ctr_curve gives rates for "
        "positions 1 to 10 only; add rates or choose one of those",
        f"{file}: economics.paid_ctr: '6%' is not a share between 0 and 1; write 6.42% as 0.0642",
        f"{file}: economics.bid_fraction: 0 must be more than 0 and at most 1 "
        "(1 bids the whole break-even CPC)",
        f"{file}: economics.cost_basis: 'average' is not one of high, low, mid, bid",
        f"{file}: economics.conversion_rates.commercial: 2 is not a share between 0 and 1; "
        "write 3% as 0.03",
    ]


def test_a_ctr_curve_must_be_shares(tmp_path: Path) -> None:
    file = tmp_path / "longtail.toml"
    file.write_text("[economics]\nctr_curve = [28.5, 15.7]\n")
    with pytest.raises(InputError, match=r"economics.ctr_curve must list the click-through rate"):
        load_config(file)
