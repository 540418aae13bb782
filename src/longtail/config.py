"""User configuration: the expansion's limits and model, and the intent modifier lists.

Read from `--config FILE`, else `longtail.toml` in the working folder, over
the bundled defaults (`longtail/data/defaults.toml`, documented in the
README). A key the user leaves out keeps its default; a misspelt key is an
error with a did-you-mean, so a typo never silently does nothing.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from longtail.errors import InputError

CONFIG_FILE = "longtail.toml"
INTENTS = ("informational", "commercial", "transactional", "navigational")


@dataclass(frozen=True)
class ExpansionConfig:
    """Limits of the long-tail expansion."""

    min_words: int = 2
    max_words: int = 6
    per_persona_cap: int = 300
    model: str = ""  # empty: the official model when installed, else the PyPI one


@dataclass(frozen=True)
class Modifiers:
    """Modifier phrases per intent; "{product}" marks where the product goes."""

    commercial: tuple[str, ...] = ()
    transactional: tuple[str, ...] = ()
    informational: tuple[str, ...] = ()
    navigational: tuple[str, ...] = ()

    def of(self, intent: str) -> tuple[str, ...]:
        """The modifiers of one intent."""
        phrases: tuple[str, ...] = getattr(self, intent)
        return phrases


@dataclass(frozen=True)
class Config:
    """Everything a user can configure, with where it was read from."""

    expansion: ExpansionConfig
    modifiers: Modifiers
    source: str  # "defaults" or the file read


def default_config_text() -> str:
    """The bundled defaults, as a user would copy them."""
    return resources.files("longtail").joinpath("data/defaults.toml").read_text("utf-8")


def load_config(path: Path | None = None, cwd: Path | None = None) -> Config:
    """The configuration: `path`, else ./longtail.toml when present, over the defaults."""
    defaults = tomllib.loads(default_config_text())
    chosen = path if path is not None else (cwd or Path.cwd()) / CONFIG_FILE
    if path is None and not chosen.exists():
        return _build(defaults, {}, "defaults")
    try:
        text = chosen.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError(f"{chosen}: no such config file; check --config") from error
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{chosen}: cannot be read as UTF-8 text ({error})") from error
    try:
        user = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message ends with "(at line N, column M)".
        raise InputError(f"{chosen}: invalid TOML: {error}; check quoting and brackets") from error
    return _build(defaults, user, str(chosen))


def _build(defaults: dict[str, Any], user: dict[str, Any], source: str) -> Config:
    problems: list[str] = []
    merged: dict[str, dict[str, Any]] = {}
    for section in user:
        if section not in defaults:
            problems.append(_unknown(source, section, list(defaults)))
    for section, values in defaults.items():
        given = user.get(section, {})
        if not isinstance(given, dict):
            problems.append(f"{source}: [{section}] must be a table of settings")
            given = {}
        allowed = set(values) | (
            {f"extra_{k}" for k in values} if section == "modifiers" else set()
        )
        for key in given:
            if key not in allowed:
                problems.append(
                    _unknown(source, f"{section}.{key}", sorted(allowed), prefix=f"{section}.")
                )
        section_values = dict(values)
        for key, value in given.items():
            if key in values:
                section_values[key] = value
        if section == "modifiers":
            for key in values:
                extra = given.get(f"extra_{key}", [])
                if isinstance(section_values[key], list) and isinstance(extra, list):
                    section_values[key] = [*section_values[key], *extra]
                else:
                    # Reported below: spreading a string would make a list of letters.
                    section_values[key] = None
        merged[section] = section_values
    expansion = merged["expansion"]
    for key in ("min_words", "max_words", "per_persona_cap"):
        if (
            not isinstance(expansion[key], int)
            or isinstance(expansion[key], bool)
            or (expansion[key] < 1)
        ):
            problems.append(
                f"{source}: expansion.{key}: {expansion[key]!r} is not a whole number of at least 1"
            )
    if not problems and expansion["min_words"] > expansion["max_words"]:
        problems.append(
            f"{source}: expansion.min_words ({expansion['min_words']}) is more than "
            f"max_words ({expansion['max_words']})"
        )
    if not isinstance(expansion["model"], str):
        problems.append(f'{source}: expansion.model must be text, e.g. "en_core_web_sm"')
    for intent in INTENTS:
        phrases = merged["modifiers"][intent]
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            problems.append(
                f'{source}: modifiers.{intent} must be a list of text, e.g. ["best {{product}}"]'
            )
    if problems:
        raise InputError("\n".join(problems))
    return Config(
        expansion=ExpansionConfig(**expansion),
        modifiers=Modifiers(**{i: tuple(merged["modifiers"][i]) for i in INTENTS}),
        source=source,
    )


def _unknown(source: str, key: str, known: list[str], prefix: str = "") -> str:
    name = key.removeprefix(prefix)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {prefix}{close[0]}?" if close else f"known: {', '.join(known)}"
    return f"{source}: {key} is not a setting longtail knows; {hint}"
