"""User configuration: the expansion's limits and model, the intent modifiers, the economics.

Read from `--config FILE`, else `longtail.toml` in the working folder, over
the bundled defaults (`longtail/data/defaults.toml`, documented in the
README). A key the user leaves out keeps its default; a misspelt key is an
error with a did-you-mean, so a typo never silently does nothing.
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from longtail.errors import InputError

CONFIG_FILE = "longtail.toml"
INTENTS = ("informational", "commercial", "transactional", "navigational")
COST_BASES = ("high", "low", "mid", "bid")


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
class EconomicsConfig:
    """What scoring assumes beyond value = searches × CLV; defaults.toml says where each is from."""

    target_position: int = 3
    ctr_curve: tuple[float, ...] = ()
    paid_ctr: float = 0.0642
    bid_fraction: float = 1.0
    cost_basis: str = "high"
    min_search_share: float = 0.05
    # intent -> share of clicks that become customers
    conversion_rates: tuple[tuple[str, float], ...] = ()

    @property
    def ctr(self) -> float:
        """The organic click-through rate at the target position."""
        return self.ctr_curve[self.target_position - 1]

    def conversion_rate(self, intent: str) -> float:
        """The default conversion rate of an intent."""
        return dict(self.conversion_rates)[intent]


# ---------------------------------------------------------------- [groups]

# Google Ads Editor's "Criterion Type" values, by the names the config uses.
MATCH_TYPES = {"exact": "Exact", "phrase": "Phrase", "broad": "Broad"}
NEGATIVE_MATCH_TYPES = {"exact": "Negative Exact", "phrase": "Negative Phrase"}
# Long-tail keywords are specific: exact and phrase match reach the searches
# they name and their close variants; broad match reaches related searches
# as well, which a user asks for explicitly.
DEFAULT_MATCH_TYPES = ("exact", "phrase")

# Broad match modifier ("+trail +shoes") was retired: phrase match took over
# its behaviour in February 2021 and no new BMM keywords could be made from
# July 2021 (https://support.google.com/google-ads/answer/10286719,
# https://ads-developers.googleblog.com/2021/06/broad-match-modifier-upcoming-changes.html);
# the API now rejects one with CriterionError.BROAD_MATCH_MODIFIER_KEYWORD_NOT_ALLOWED.
RETIRED_MATCH_TYPES = frozenset(
    {"bmm", "broad match modifier", "broad match modified", "modified broad", "broad modified"}
    | {"modified broad match", "+broad"}
)

# Searchers not yet shopping: their keywords go to the content plan, not to ads.
DEFAULT_AD_INTENTS = ("commercial", "transactional", "navigational")

# Microsoft Advertising advises at most 20 keywords per ad group to keep its
# ads relevant (reported by Brad Geddes, https://bgtheory.com/blog/there-is-not-a-magic-number-for-how-many-keywords-should-be-in-an-ad-group/),
# and PPC guides give 5 to 20 closely related keywords as the working range
# (https://adsbot.co/how-many-keywords-should-be-in-an-ad-group-in-google-ads).
DEFAULT_MAX_KEYWORDS_PER_GROUP = 20

# Bidding the whole break-even CPC leaves no profit on a converting click;
# 80% of it keeps a fifth of what the click is worth.
DEFAULT_CPC_FRACTION = 0.8

DEFAULT_CAMPAIGN_NAME = "Long-tail keywords"


@dataclass(frozen=True)
class GroupingConfig:
    """How keywords become ad groups, bids and negatives; `[groups]` in longtail.toml."""

    max_keywords_per_group: int = DEFAULT_MAX_KEYWORDS_PER_GROUP
    match_types: tuple[str, ...] = DEFAULT_MATCH_TYPES
    # Max CPC = break-even CPC × cpc_fraction, capped by the high top-of-page bid.
    cpc_fraction: float = DEFAULT_CPC_FRACTION
    negative_match_type: str = "phrase"
    bundled_negatives: bool = True  # data/negatives.txt
    extra_negatives: tuple[str, ...] = ()
    # Other personas' brands as negatives, so each brand's searches go to its own campaign.
    exclude_other_brands: bool = False
    single_campaign: bool = False  # one campaign, an ad group per persona and theme
    campaign_name: str = DEFAULT_CAMPAIGN_NAME  # of the single campaign
    ad_intents: tuple[str, ...] = DEFAULT_AD_INTENTS

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name in ("extra_negatives", "ad_intents"):  # a list given in code is kept as a tuple
            object.__setattr__(self, name, tuple(getattr(self, name)))
        size = self.max_keywords_per_group
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            problems.append(
                f"groups.max_keywords_per_group: {size!r} is not a whole number of at least 1"
            )
        try:
            object.__setattr__(self, "match_types", check_match_types(self.match_types))
        except InputError as error:
            problems.append(str(error))
        fraction = self.cpc_fraction
        if (
            not isinstance(fraction, int | float)
            or isinstance(fraction, bool)
            or not 0 < fraction <= 1
        ):
            problems.append(
                f"groups.cpc_fraction: {fraction!r} is not a number above 0 and at most 1; "
                "write 80% of the break-even CPC as 0.8 (more than 1 bids above what a "
                "click is worth)"
            )
        negative = str(self.negative_match_type).strip().lower()
        if negative not in NEGATIVE_MATCH_TYPES:
            problems.append(
                f"groups.negative_match_type: {self.negative_match_type!r} is not a negative "
                'match type longtail writes; use "phrase" or "exact"'
            )
        else:
            object.__setattr__(self, "negative_match_type", negative)
        unknown = [i for i in self.ad_intents if i not in INTENTS]
        if unknown:
            problems.append(
                f"groups.ad_intents: {', '.join(map(repr, unknown))} "
                f"{'is not an intent' if len(unknown) == 1 else 'are not intents'}; "
                f"use some of: {', '.join(INTENTS)}"
            )
        if not str(self.campaign_name).strip():
            problems.append('groups.campaign_name: is empty; name the campaign, e.g. "Long-tail"')
        if problems:
            raise InputError("\n".join(problems))


def check_match_types(names: Iterable[str]) -> tuple[str, ...]:
    """The match types, lowercased and once each; InputError for BMM or an unknown one."""
    chosen: list[str] = []
    for name in names:
        plain = " ".join(str(name).lower().replace("_", " ").replace("-", " ").split())
        if plain in RETIRED_MATCH_TYPES or "modifier" in plain:
            raise InputError(
                f"groups.match_types: {name!r}: broad match modifier was retired by Google "
                "in 2021 and new BMM keywords are refused; phrase match now reaches the "
                'same searches, so use "phrase" (and "broad" for wider reach)'
            )
        if plain not in MATCH_TYPES:
            close = difflib.get_close_matches(plain, list(MATCH_TYPES), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "use exact, phrase or broad"
            raise InputError(f"groups.match_types: {name!r} is not a match type; {hint}")
        if plain not in chosen:
            chosen.append(plain)
    if not chosen:
        raise InputError('groups.match_types: is empty; give at least one, e.g. ["exact"]')
    return tuple(chosen)


_CONFIG_TYPES: dict[str, tuple[type, ...]] = {
    "max_keywords_per_group": (int,),
    "match_types": (list,),
    "cpc_fraction": (int, float),
    "negative_match_type": (str,),
    "bundled_negatives": (bool,),
    "extra_negatives": (list,),
    "exclude_other_brands": (bool,),
    "single_campaign": (bool,),
    "campaign_name": (str,),
    "ad_intents": (list,),
}
_TYPE_NAMES = {
    int: "a whole number",
    float: "a number",
    str: "text in quotes",
    bool: "true or false",
    list: 'a list of text, e.g. ["exact", "phrase"]',
}


def grouping_config(values: Mapping[str, Any], source: str = "defaults") -> GroupingConfig:
    """A GroupingConfig from a `[groups]` table, every problem reported at once as `source: ...`."""
    problems: list[str] = []
    given: dict[str, Any] = {}
    for key, value in values.items():
        kinds = _CONFIG_TYPES.get(key)
        if kinds is None:
            close = difflib.get_close_matches(key, list(_CONFIG_TYPES), n=1, cutoff=0.6)
            hint = (
                f"did you mean groups.{close[0]}?"
                if close
                else f"known: {', '.join(_CONFIG_TYPES)}"
            )
            problems.append(f"{source}: groups.{key} is not a setting longtail knows; {hint}")
            continue
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if wrong_bool or not isinstance(value, kinds):
            problems.append(f"{source}: groups.{key}: {value!r} is not {_TYPE_NAMES[kinds[-1]]}")
            continue
        if isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                problems.append(f"{source}: groups.{key}: every entry must be text in quotes")
                continue
            value = tuple(value)
        given[key] = value
    if not problems:
        try:
            return GroupingConfig(**given)
        except InputError as error:
            problems.extend(f"{source}: {line}" for line in str(error).splitlines())
    raise InputError("\n".join(problems))


@dataclass(frozen=True)
class Config:
    """Everything a user can configure, with where it was read from."""

    expansion: ExpansionConfig
    modifiers: Modifiers
    source: str  # "defaults" or the file read
    economics: EconomicsConfig = field(default_factory=lambda: default_config().economics)
    groups: GroupingConfig = field(default_factory=lambda: default_config().groups)


def default_config_text() -> str:
    """The bundled defaults, as a user would copy them."""
    return resources.files("longtail").joinpath("data/defaults.toml").read_text("utf-8")


def default_config() -> Config:
    """The bundled defaults alone, whatever the working folder holds."""
    return _bundled_defaults()


@functools.cache
def _bundled_defaults() -> Config:
    # Read once a process: the defaults never change, and a Config is frozen.
    return _build(tomllib.loads(default_config_text()), {}, "defaults")


def source_label(source: str) -> str:
    """Where a setting came from, as the Assumptions sheet says it."""
    return "longtail's defaults" if source == "defaults" else source


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
                if isinstance(values[key], dict) and isinstance(value, dict):
                    # A sub-table merges key by key: one rate given keeps the others.
                    for inner in value:
                        if inner not in values[key]:
                            problems.append(
                                _unknown(
                                    source,
                                    f"{section}.{key}.{inner}",
                                    sorted(values[key]),
                                    prefix=f"{section}.{key}.",
                                )
                            )
                    section_values[key] = {**values[key], **value}
                else:
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
    problems.extend(_economics_problems(source, merged["economics"]))
    groups: GroupingConfig | None = None
    try:
        groups = grouping_config(merged["groups"], source)
    except InputError as error:
        problems.extend(str(error).splitlines())
    if problems:
        raise InputError("\n".join(problems))
    assert groups is not None
    economics = merged["economics"]
    return Config(
        expansion=ExpansionConfig(**expansion),
        modifiers=Modifiers(**{i: tuple(merged["modifiers"][i]) for i in INTENTS}),
        source=source,
        economics=EconomicsConfig(
            target_position=economics["target_position"],
            ctr_curve=tuple(float(rate) for rate in economics["ctr_curve"]),
            paid_ctr=float(economics["paid_ctr"]),
            bid_fraction=float(economics["bid_fraction"]),
            cost_basis=economics["cost_basis"],
            min_search_share=float(economics["min_search_share"]),
            conversion_rates=tuple(
                (intent, float(economics["conversion_rates"][intent])) for intent in INTENTS
            ),
        ),
        groups=groups,
    )


def _is_rate(value: object) -> bool:
    """A share between 0 and 1 written as a number (not a bool, not "3%")."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _economics_problems(source: str, economics: dict[str, Any]) -> list[str]:
    """What is wrong with the [economics] settings, each with how to write it right."""
    problems = []
    curve = economics["ctr_curve"]
    if not isinstance(curve, list) or not curve or not all(_is_rate(rate) for rate in curve):
        problems.append(
            f"{source}: economics.ctr_curve must list the click-through rate of positions 1, "
            "2, 3, ... as shares between 0 and 1, e.g. [0.285, 0.157, 0.110]"
        )
        curve = []
    position = economics["target_position"]
    if not isinstance(position, int) or isinstance(position, bool) or position < 1:
        problems.append(
            f"{source}: economics.target_position: {position!r} is not a position (1 is the top)"
        )
    elif curve and position > len(curve):
        problems.append(
            f"{source}: economics.target_position is {position} but economics.ctr_curve gives "
            f"rates for positions 1 to {len(curve)} only; add rates or choose one of those"
        )
    for key in ("paid_ctr", "min_search_share"):
        if not _is_rate(economics[key]):
            problems.append(
                f"{source}: economics.{key}: {economics[key]!r} is not a share between 0 and 1; "
                "write 6.42% as 0.0642"
            )
    fraction = economics["bid_fraction"]
    if not _is_rate(fraction) or fraction == 0:
        problems.append(
            f"{source}: economics.bid_fraction: {fraction!r} must be more than 0 and at most 1 "
            "(1 bids the whole break-even CPC)"
        )
    if economics["cost_basis"] not in COST_BASES:
        problems.append(
            f"{source}: economics.cost_basis: {economics['cost_basis']!r} is not one of "
            f"{', '.join(COST_BASES)}"
        )
    rates = economics["conversion_rates"]
    if not isinstance(rates, dict):
        problems.append(
            f"{source}: economics.conversion_rates must be a table, e.g. "
            "[economics.conversion_rates] with transactional = 0.03"
        )
    else:
        for intent in INTENTS:
            if intent in rates and not _is_rate(rates[intent]):
                problems.append(
                    f"{source}: economics.conversion_rates.{intent}: {rates[intent]!r} is not a "
                    "share between 0 and 1; write 3% as 0.03"
                )
    return problems


def _unknown(source: str, key: str, known: list[str], prefix: str = "") -> str:
    name = key.removeprefix(prefix)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {prefix}{close[0]}?" if close else f"known: {', '.join(known)}"
    return f"{source}: {key} is not a setting longtail knows; {hint}"
