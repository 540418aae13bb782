"""PPC campaign setup from scored keywords: ad groups, match types, bids, negatives, content.

Ad groups. Every distinct keyword is parsed once (one `nlp.pipe` pass) and
read as a product, its qualifiers and its intent words:

- the *head* is the last noun before any preposition ("shoes" in "waterproof
  trail running shoes for men"), its lemma compared ("shoe"); a possessive
  ("women's") is never the head;
- the *product* is the head with the nouns and gerunds right before it
  ("trail running shoe"), and with a word that nearly every keyword of that
  product has before it (`DOMINANT_SHARE`), whatever the tagger calls it:
  "liquid chalk", "rotomolded cooler", "down quilt";
- *qualifiers* are the other content words: those before the product,
  nearest first ("waterproof"), since English puts the adjective that says
  most about what kind of thing it is next to the noun (the usual order is
  opinion, size, age, shape, colour, origin, material, purpose), then words
  after the head, then each prepositional phrase as a whole ("for men");
- *intent words* are no part of a theme: the intent classifier's signal
  words (`longtail.intent`: "best", "buy", "cheap", "review", "sale", "near
  me") and the configured modifiers ("how to choose", "size chart"), so
  "best trail running shoes" and "trail running shoes sale" are one theme
  with "trail running shoes".

The tagger reads a keyword without a sentence around it and so reads one
word differently in different keywords; what it says is put to the vote of
all the keywords parsed together: whether a word is a noun ("vest" in
"hydration vest price"), whether two words are one product name ("chalk
bag", though "chalk" was read as a verb in "chalk bag for bouldering"), and
a "preposition" that starts a keyword ("down quilt") is none anywhere.

A keyword's theme is its product and its first qualifier. Within each
persona, keywords of one theme make an ad group, named after the theme in
the words of its most searched keyword ("Waterproof trail running shoes");
themes whose names read the same are one group. A group of one keyword,
the most specific first, joins the nearest group with the same head: the
one whose theme shares most lemmas with it, then the one with fewest theme
words it lacks, then the largest. A keyword whose head no other group has
(the only "sock" among shoes) stays alone: a different product needs an ad
of its own, and an ad for shoes answers a search for socks badly. A group
over `max_keywords_per_group` is cut into parts of equal size, ordered by
each keyword's next qualifier and then alphabetically, named "... 1/2",
"... 2/2". Informational keywords go to the content plan, not to ads
(`ad_intents`).

Campaigns, bids and negatives follow from the persona (`CampaignPersona`)
and `GroupingConfig`; every function returns a plain DataFrame, sorted the
same way whatever the order of its input, for the export to write.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from longtail import intent
from longtail.config import (
    MATCH_TYPES,
    NEGATIVE_MATCH_TYPES,
    GroupingConfig,
    Modifiers,
)
from longtail.errors import InputError
from longtail.expand import DEFECT_VERBS, NounLemmas, Word, load_nlp, words_of
from longtail.markets import GEO_TARGETS, LANGUAGES
from longtail.text import normalise_keyword

if TYPE_CHECKING:
    from spacy.language import Language

    from longtail.personas import Persona

# ---------------------------------------------------------------- constants

# Google Ads Editor's "Networks" values for our persona networks ("Import a CSV
# file", https://support.google.com/google-ads/editor/answer/57747).
EDITOR_NETWORKS = {
    "google-search": "Google search",
    "google-search-and-partners": "Google search;Search partners",
}
# The columns of the Editor import, in English as Editor needs them to read
# them without a mapping (same page); a blank field changes nothing.
EDITOR_COLUMNS = (
    "Campaign",
    "Campaign Type",
    "Networks",
    "Budget",
    "Languages",
    "Location ID",
    "Ad Group",
    "Keyword",
    "Criterion Type",
    "Max CPC",
    "Final URL",
    "Status",
)
CAMPAIGN_STATUS = "Paused"  # reviewed in Google Ads before a cent is spent

# An ad group's name "must contain fewer than 255 UTF-8 full-width
# characters" (google-ads v26, resources/types/ad_group.py, AdGroup.name);
# full-width (East Asian wide) characters count twice here, to be safe.
NAME_LIMIT = 254

# ISO 4217 minor units (digits after the decimal point), from the ISO 4217
# list of the maintenance agency, SIX (https://www.six-group.com/en/products-services/financial-information/data-standards.html);
# every currency not named here has 2. A bid is a whole number of minor units:
# the API rejects finer ones (BiddingError.BID_TOO_MANY_FRACTIONAL_DIGITS). An
# account's billable unit (CurrencyConstant.billable_unit_micros) is the final word.
_ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX"}
_ZERO_DECIMAL |= {"UYI", "VND", "VUV", "XAF", "XOF", "XPF"}
CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(sorted(_ZERO_DECIMAL), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
DEFAULT_CURRENCY_EXPONENT = 2

SOURCE_PERSONA = "persona"
SOURCE_CONFIG = "config"
SOURCE_BUNDLED = "bundled"
SOURCE_OTHER_BRAND = "other-brand"
# Which negative is kept when two say the same: the user's own words first.
_SOURCES = (SOURCE_PERSONA, SOURCE_CONFIG, SOURCE_BUNDLED, SOURCE_OTHER_BRAND)

GROUP_COLUMNS = ("keyword", "persona_id", "intent", "avg_monthly_searches", "value")
CPC_COLUMNS = ("break_even_cpc", "high_top_of_page_bid", "currency")

# Auxiliaries ("is", "are", "do") are grammar, never a product or a quality.
_NON_CONTENT_POS = frozenset({"AUX"})
# Prepositions that searches use as prepositions only; any other word tagged
# one ("down", "under", "over") may start a product name (see _read_keywords).
_PREPOSITIONS = frozenset(
    {"for", "with", "without", "of", "to", "from", "by", "near", "at", "in", "on", "into"}
)
# A word before a product in this share of its keywords is part of its name.
DOMINANT_SHARE = 0.8


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class CampaignPersona:
    """What a campaign needs of a persona: its names, market, negatives, brands and page."""

    id: str
    name: str
    geo: tuple[str, ...] = ("US",)
    language: str = "en"
    currency: str = "USD"
    negative_keywords: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    landing_page: str | None = None
    network: str = "google-search"

    @classmethod
    def of(cls, persona: Persona) -> CampaignPersona:
        """The campaign view of a validated persona."""
        return cls(
            id=persona.id,
            name=persona.name,
            geo=tuple(persona.market.geo),
            language=persona.market.language,
            currency=persona.market.currency,
            negative_keywords=tuple(persona.negative_keywords),
            brands=tuple(persona.brands),
            landing_page=persona.landing_page,
            network=persona.market.network,
        )


# ---------------------------------------------------------------- reading keywords


@dataclass(frozen=True, slots=True)
class _Reading:
    """What grouping needs of one parsed keyword."""

    product: str  # lemma key of the head with its compound: "trail running shoe"
    head: str  # the head's lemma: "shoe"
    modifiers: tuple[str, ...]  # qualifier keys, the theme's first: ("waterproof", "for man")
    keys: frozenset[str]  # lemma keys of its content words, for the nearest group
    name: str  # the product and first qualifier as the keyword writes them
    theme_keys: frozenset[str]  # lemma keys of the content words of `name`


class _Signals:
    """Intent words and configured modifier phrases, matched as whole words."""

    def __init__(self, modifiers: Modifiers | None) -> None:
        phrases: list[str] = [
            *intent.COMMERCIAL_WORDS,
            *intent.TRANSACTIONAL_WORDS,
            *intent.INFORMATIONAL_WORDS,
            *intent.NAVIGATIONAL_WORDS,
            # What the expansion puts after a product for a delivery problem.
            *(after for _, after in DEFECT_VERBS.values() if after),
        ]
        if modifiers is not None:
            for name in ("commercial", "transactional", "informational"):
                for template in modifiers.of(name):
                    phrases.extend(template.split(intent.PRODUCT_PLACEHOLDER))
        index: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            words = tuple(normalise_keyword(phrase).split())
            if words and words not in index.get(words[0], []):
                index.setdefault(words[0], []).append(words)
        for found in index.values():
            found.sort(key=len, reverse=True)  # "for sale" before "sale"
        self.index = index

    def mask(self, texts: Sequence[str]) -> list[bool]:
        """Which of the words belong to an intent word or modifier phrase."""
        covered = [False] * len(texts)
        for i, text in enumerate(texts):
            for words in self.index.get(text, ()):
                # "top", "shop", "order" are modifiers only first: "tank top" is a product.
                if len(words) == 1 and text in intent.START_ONLY_WORDS and i > 0:
                    continue
                if tuple(texts[i : i + len(words)]) == words:
                    covered[i : i + len(words)] = [True] * len(words)
                    break
        return covered


def _possessive(word: Word) -> bool:
    return word.text.endswith(("'s", "'"))


def _nounlike(word: Word) -> bool:
    """Whether the tagger read the word as part of a compound product name."""
    return (word.pos == "NOUN" or word.tag == "VBG") and not _possessive(word)


class _Votes(NamedTuple):
    """How the batch's words were tagged, by majority, and which words start keywords."""

    compounds: Mapping[tuple[str, str], int]  # (word, next word): > 0 when one product name
    nouns: Mapping[str, int]  # word: > 0 when mostly a noun
    leading: frozenset[str]  # "prepositions" that start a keyword: "down", "under"

    def compound(self, word: Word, following: Word) -> bool:
        return self.compounds.get((word.text, following.text), 0) > 0

    def noun(self, word: Word) -> bool:
        return (word.noun or self.nouns.get(word.text, 0) > 0) and not _possessive(word)


@dataclass(slots=True)
class _Parse:
    """A keyword's words, and where its product is on the first reading."""

    words: tuple[Word, ...]
    signal: list[bool]  # an intent word or modifier
    content: list[bool]  # a word that may name a product or a quality
    prepositions: list[bool]  # where a prepositional phrase starts
    head: int
    start: int  # the product's first word
    before: tuple[str, ...]  # the content words right before the product, nearest first


def _read_keywords(
    keywords: Iterable[str], nlp: Language, modifiers: Modifiers | None = None
) -> dict[str, _Reading]:
    """Each distinct keyword's product, head, qualifiers and name, from one `nlp.pipe` pass;
    the tagger's readings put to the vote of the batch (module docstring)."""
    texts = list(dict.fromkeys(keywords))
    signals = _Signals(modifiers)
    parsed = [words_of(doc) for doc in nlp.pipe(texts)]
    masks = [signals.mask([w.text for w in words]) for words in parsed]
    # Each pair of adjacent words votes on whether the first is part of the
    # product name the second continues, so the batch reads "chalk bag" alike
    # where the tagger took "chalk" for a verb; each word votes on whether it
    # is a noun, so "vest" heads "hydration vest price", tagged a verb there.
    compounds: Counter[tuple[str, str]] = Counter()
    nouns: Counter[str] = Counter()
    leading: set[str] = set()
    for words, mask in zip(parsed, masks, strict=True):
        plain = [i for i in range(len(words)) if not mask[i]]
        for i in plain:
            word = words[i]
            nouns[word.text] += 1 if word.noun else -1
            if i + 1 < len(words) and not mask[i + 1]:
                compounds[word.text, words[i + 1].text] += 1 if _nounlike(word) else -1
        # No search starts with a preposition, so a "preposition" that starts
        # one is a product's word ("down quilt", "under armour shoes").
        if plain and words[plain[0]].pos == "ADP" and words[plain[0]].text not in _PREPOSITIONS:
            leading.add(words[plain[0]].text)
    votes = _Votes(compounds, nouns, frozenset(leading))
    noun_lemma = NounLemmas.of(nlp)
    first = [_parse(words, mask, votes) for words, mask in zip(parsed, masks, strict=True)]

    def lemma(word: Word) -> str:
        """A product word's lemma: a noun's, even where the tagger read it otherwise."""
        return noun_lemma(word.text) if word.pos != "NOUN" and votes.noun(word) else word.key

    def product_of(parse: _Parse) -> str:
        return " ".join(lemma(word) for word in parse.words[parse.start : parse.head + 1])

    # A word that nearly every keyword of a product has before it is part of
    # the product's name, whatever the tagger calls it: "liquid chalk",
    # "rotomolded cooler", "down quilt".
    before: dict[str, list[tuple[str, ...]]] = {}
    for parse in first:
        before.setdefault(product_of(parse), []).append(parse.before)
    for parse in first:
        extension = _dominant(before[product_of(parse)])
        if parse.before[: len(extension)] == extension:
            parse.start -= len(extension)
    return {
        text: _reading(
            text,
            parse,
            lemma(parse.words[parse.head]) if parse.words else text,
            product_of(parse) if parse.words else text,
            lemma,
        )
        for text, parse in zip(texts, first, strict=True)
    }


def _dominant(sequences: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The words, nearest first, that at least DOMINANT_SHARE of the sequences start with."""
    extension: tuple[str, ...] = ()
    while True:
        k = len(extension)
        following = Counter(s[k] for s in sequences if len(s) > k and s[:k] == extension)
        if not following:
            return extension
        count, word = max((n, w) for w, n in following.items())
        if count < 2 or count < DOMINANT_SHARE * len(sequences):
            return extension
        extension = (*extension, word)


def _parse(words: tuple[Word, ...], signal: list[bool], votes: _Votes) -> _Parse:
    n = len(words)
    content = [
        not signal[i]
        and (not word.function or word.text in votes.leading)
        and word.pos not in _NON_CONTENT_POS
        for i, word in enumerate(words)
    ]
    prepositions = [
        bool(i) and word.pos == "ADP" and not signal[i] and word.text not in votes.leading
        for i, word in enumerate(words)
    ]
    split = next((i for i in range(n) if prepositions[i]), n)
    candidates = [i for i in range(split) if content[i]]
    nouns = [i for i in candidates if votes.noun(words[i])]
    if nouns or candidates:
        head = (nouns or candidates)[-1]
    else:  # only a prepositional phrase, or only intent words: the last noun anywhere
        rest = [i for i in range(n) if content[i]] or [max(n - 1, 0)]
        head = ([i for i in rest if n and votes.noun(words[i])] or rest)[-1]
    start = head
    while start and content[start - 1] and votes.compound(words[start - 1], words[start]):
        start -= 1
    preceding: list[str] = []
    i = start - 1
    while i >= 0 and content[i] and not _possessive(words[i]):
        preceding.append(words[i].text)
        i -= 1
    return _Parse(words, signal, content, prepositions, head, start, tuple(preceding))


def _reading(
    text: str, parse: _Parse, head_key: str, product: str, lemma: Callable[[Word], str]
) -> _Reading:
    words, content, n = parse.words, parse.content, len(parse.words)
    if not n:
        return _Reading(text, text, (), frozenset({text}), text, frozenset({text}))
    head, start = parse.head, parse.start
    split = next((i for i in range(head + 1, n) if parse.prepositions[i]), n)
    # Qualifiers: before the product nearest first, after the head, then
    # each prepositional phrase whole ("for wide feet").
    spans: list[tuple[str, list[int]]] = [
        (words[i].key, [i]) for i in reversed(range(start)) if content[i]
    ]
    spans.extend((words[i].key, [i]) for i in range(head + 1, split) if content[i])
    i = split
    while i < n:
        j = i + 1
        while j < n and not parse.prepositions[j]:
            j += 1
        parts = [k for k in range(i + 1, j) if content[k]]
        if parts:
            key = " ".join([words[i].text, *(words[k].key for k in parts)])
            spans.append((key, [k for k in range(i, parts[-1] + 1) if not parse.signal[k]]))
        i = j
    product_keys = {lemma(words[k]) for k in range(start, head + 1)}
    main = [k for k in (spans[0][1] if spans else []) if content[k]]
    others = {words[k].key for k in range(n) if content[k] and not start <= k <= head}
    shown = sorted({*range(start, head + 1), *(spans[0][1] if spans else [])})
    return _Reading(
        product=product,
        head=head_key,
        modifiers=tuple(key for key, _ in spans),
        keys=frozenset(product_keys | others),
        name=" ".join(words[k].text for k in shown),
        theme_keys=frozenset(product_keys | {words[k].key for k in main}),
    )


# ---------------------------------------------------------------- ad groups


@dataclass
class _Member:
    row: int  # position in the persona's frame
    keyword: str
    volume: int  # -1 when unknown
    value: float  # -inf when unknown
    reading: _Reading

    @property
    def order(self) -> tuple[int, float, str]:
        """Most searched first, then most valuable, then alphabetical."""
        return (-self.volume, -self.value, self.keyword)


@dataclass
class _Group:
    product: str
    modifier: str
    head: str
    keys: frozenset[str]  # the theme's lemmas
    name: str
    members: list[_Member] = field(default_factory=list)
    merged: bool = False

    @property
    def theme(self) -> str:
        return f"{self.product} | {self.modifier}" if self.modifier else self.product

    @property
    def volume(self) -> int:
        return sum(max(m.volume, 0) for m in self.members)


def group_keywords(
    keywords: pd.DataFrame,
    nlp: Language | None = None,
    settings: GroupingConfig | None = None,
    modifiers: Modifiers | None = None,
) -> pd.DataFrame:
    """The keywords with `product`, `theme` and `ad_group` added; see the module docstring.

    One row per input row. `product` is the head product's lemma key ("trail
    running shoe"); `theme` the group's product and first qualifier
    ("trail running shoe | waterproof"); `ad_group` the group's name, unique
    within the persona. Keywords whose intent is not in `settings.ad_intents`
    (informational, by default) get no theme or ad group; a keyword without
    an intent label is grouped. `modifiers` (the config's) are read as intent
    words, beside the intent classifier's own. Sorted by persona, ad group
    (ungrouped last), volume (most searched first) and keyword.
    """
    settings = settings or GroupingConfig()
    _require(keywords, GROUP_COLUMNS, "group")
    frame = keywords.reset_index(drop=True)
    readings = _read_keywords(frame["keyword"].astype(str), nlp or load_nlp(), modifiers)
    frame["product"] = pd.array([readings[k].product for k in frame["keyword"]], dtype="string")
    themes: list[str | None] = [None] * len(frame)
    names: list[str | None] = [None] * len(frame)
    in_ads = frame["intent"].isna() | frame["intent"].isin(settings.ad_intents)
    volumes = frame["avg_monthly_searches"].astype("Float64").fillna(-1).astype("int64")
    values = frame["value"].astype("float64").fillna(-math.inf)
    for _, rows in frame[in_ads].groupby("persona_id", sort=True):
        members = [
            _Member(
                int(row),
                str(frame.at[row, "keyword"]),
                int(volumes[row]),
                float(values[row]),
                readings[str(frame.at[row, "keyword"])],
            )
            for row in rows.index
        ]
        for theme, name, grouped in _group_persona(members, settings.max_keywords_per_group):
            for member in grouped:
                themes[member.row] = theme
                names[member.row] = name
    frame["theme"] = pd.array(themes, dtype="string")
    frame["ad_group"] = pd.array(names, dtype="string")
    order = pd.DataFrame(
        {
            "persona_id": frame["persona_id"],
            "ad_group": frame["ad_group"],
            "volume": -volumes,
            "keyword": frame["keyword"],
        }
    )
    ordered = order.sort_values(
        ["persona_id", "ad_group", "volume", "keyword"], na_position="last", kind="stable"
    ).index
    return frame.loc[ordered].reset_index(drop=True)


def _group_persona(members: list[_Member], max_size: int) -> list[tuple[str, str, list[_Member]]]:
    """One persona's keywords as (theme, ad group name, members), by the module's rules."""
    themes: dict[tuple[str, str], _Group] = {}
    for member in sorted(members, key=lambda m: m.order):
        reading = member.reading
        modifier = reading.modifiers[0] if reading.modifiers else ""
        group = themes.get((reading.product, modifier))
        if group is None:
            # The most searched member comes first, so it names the theme.
            group = _Group(
                reading.product,
                modifier,
                reading.head,
                reading.theme_keys,
                _sentence_case(reading.name),
            )
            themes[reading.product, modifier] = group
        group.members.append(member)

    # Themes that read the same are one: the tagger took a word two ways.
    by_name: dict[str, _Group] = {}
    for group in sorted(themes.values(), key=lambda g: (-len(g.members), -g.volume, g.theme)):
        same = by_name.get(group.name.casefold())
        if same is None:
            by_name[group.name.casefold()] = group
        else:
            same.members.extend(group.members)
    groups = sorted(by_name.values(), key=lambda g: g.name)

    # The most specific first, so of two lone keywords the more specific
    # joins the more general: "... for men" joins "waterproof trail running shoes".
    for group in sorted(groups, key=lambda g: (-len(g.keys), g.name)):
        if group.merged or len(group.members) != 1:
            continue
        keys = group.members[0].reading.keys
        nearest = [g for g in groups if g is not group and not g.merged and g.head == group.head]
        if not nearest:
            continue  # no other group of this product: it stays alone
        target = min(
            nearest,
            key=lambda g: (
                -len(keys & g.keys),
                len(g.keys - keys),
                -len(g.members),
                -g.volume,
                g.name,
            ),
        )
        target.members.extend(group.members)
        group.merged = True

    result: list[tuple[str, str, list[_Member]]] = []
    for group in groups:
        if group.merged:
            continue
        if len(group.members) <= max_size:
            result.append((group.theme, _fit(group.name), group.members))
            continue
        ordered = sorted(
            group.members, key=lambda m: (_next_modifier(m.reading, group.modifier), m.keyword)
        )
        parts = math.ceil(len(ordered) / max_size)
        size, extra = divmod(len(ordered), parts)
        start = 0
        for part in range(parts):
            end = start + size + (1 if part < extra else 0)
            suffix = f" {part + 1}/{parts}"
            result.append((group.theme, _fit(group.name, suffix), ordered[start:end]))
            start = end
    unique = _unique_names([name for _, name, _ in result])
    return [
        (theme, name, grouped) for (theme, _, grouped), name in zip(result, unique, strict=True)
    ]


def _next_modifier(reading: _Reading, theme_modifier: str) -> str:
    return next((m for m in reading.modifiers if m != theme_modifier), "")


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "FW" else 1 for c in text)


def _fit(name: str, suffix: str = "", limit: int = NAME_LIMIT) -> str:
    """`name` + `suffix` within Google Ads' name limit, cut at a word where it must be cut."""
    if _width(name + suffix) <= limit:
        return name + suffix
    room = limit - _width(suffix)
    cut = ""
    for char in name:
        if _width(cut + char) > room:
            break
        cut += char
    # Mid-word: back to the last whole word, when there is one.
    mid_word = cut and not cut[-1].isspace() and not name[len(cut)].isspace()
    if mid_word and " " in cut.strip():
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + suffix


def _unique_names(names: Sequence[str]) -> list[str]:
    """The names, a later duplicate (by case) numbered " (2)", " (3)"."""
    seen: set[str] = set()
    unique: list[str] = []
    for name in names:
        candidate, number = name, 1
        while candidate.casefold() in seen:
            number += 1
            candidate = _fit(name, f" ({number})")
        seen.add(candidate.casefold())
        unique.append(candidate)
    return unique


# ---------------------------------------------------------------- campaigns


def campaign_names(
    personas: Sequence[CampaignPersona], settings: GroupingConfig | None = None
) -> dict[str, str]:
    """Each persona id's campaign: its persona's name (with the id when two share a name),
    or the one campaign."""
    settings = settings or GroupingConfig()
    if settings.single_campaign:
        return {persona.id: _fit(settings.campaign_name.strip()) for persona in personas}
    return dict(zip([p.id for p in personas], _persona_labels(personas), strict=True))


def _persona_labels(personas: Sequence[CampaignPersona]) -> list[str]:
    counts = Counter(persona.name.casefold() for persona in personas)
    labels = [
        persona.name if counts[persona.name.casefold()] == 1 else f"{persona.name} ({persona.id})"
        for persona in personas
    ]
    return _unique_names([_fit(label) for label in labels])


def campaigns(
    personas: Sequence[CampaignPersona], settings: GroupingConfig | None = None
) -> pd.DataFrame:
    """One row per campaign: campaign, persona_ids, status (Paused), geo, language, currency,
    and the Google Ads geo target and language constant ids.

    Codes and ids are joined with ";". The single campaign targets every
    persona's countries and languages; its personas must share one currency,
    since a Google Ads account bids in one.
    """
    settings = settings or GroupingConfig()
    _unique_ids(personas)
    if settings.single_campaign:
        currencies = sorted({persona.currency.upper() for persona in personas})
        if len(currencies) > 1:
            raise InputError(
                f"groups.single_campaign: the personas bid in {', '.join(currencies)}, and one "
                "campaign bids in its account's one currency; set single_campaign = false "
                "for a campaign per persona, or give the personas one market.currency"
            )
        members = [list(personas)] if personas else []
    else:
        members = [[persona] for persona in personas]
    names = campaign_names(personas, settings)
    rows = []
    for group in members:
        geo = list(dict.fromkeys(code for persona in group for code in persona.geo))
        languages = list(dict.fromkeys(persona.language for persona in group))
        rows.append(
            {
                "campaign": names[group[0].id],
                "persona_ids": ";".join(persona.id for persona in group),
                "status": CAMPAIGN_STATUS,
                "geo": ";".join(geo),
                "language": ";".join(languages),
                "currency": group[0].currency.upper(),
                "geo_target_ids": ";".join(str(GEO_TARGETS.get(code, "")) for code in geo),
                "language_ids": ";".join(str(LANGUAGES.get(code, "")) for code in languages),
                "networks": EDITOR_NETWORKS[
                    "google-search-and-partners"
                    if any(p.network == "google-search-and-partners" for p in group)
                    else "google-search"
                ],
            }
        )
    columns = ["campaign", "persona_ids", "status", "geo", "language", "currency"]
    frame = pd.DataFrame(rows, columns=[*columns, "geo_target_ids", "language_ids", "networks"])
    return frame.astype("string").sort_values("campaign", ignore_index=True)


def _unique_ids(personas: Sequence[CampaignPersona]) -> dict[str, CampaignPersona]:
    by_id: dict[str, CampaignPersona] = {}
    for persona in personas:
        if persona.id in by_id:
            raise InputError(
                f"persona id {persona.id!r} is given twice; give each persona its own id"
            )
        by_id[persona.id] = persona
    return by_id


def _placed(
    grouped: pd.DataFrame, personas: Sequence[CampaignPersona], settings: GroupingConfig
) -> pd.DataFrame:
    """The grouped keywords that go into ads, with their campaign and final ad group name."""
    _require(
        grouped,
        ("keyword", "persona_id", "ad_group"),
        "place",
        "group them first with longtail.groups.group_keywords",
    )
    by_id = _unique_ids(personas)
    placed = grouped[grouped["ad_group"].notna()].reset_index(drop=True)
    missing = sorted(set(placed["persona_id"].astype(str)) - set(by_id))
    if missing:
        raise InputError(
            f"keywords of persona {', '.join(map(repr, missing))} but no such persona was "
            "given; pass every persona whose keywords are grouped"
        )
    names = campaign_names(personas, settings)
    placed["campaign"] = pd.array([names[p] for p in placed["persona_id"]], dtype="string")
    if settings.single_campaign:
        labels = dict(zip(by_id, _persona_labels(personas), strict=True))
        pairs = list(dict.fromkeys(zip(placed["persona_id"], placed["ad_group"], strict=True)))
        # Unique again in case the limit cut two long names to one.
        full = _unique_names([_fit(f"{labels[p]} - {name}") for p, name in sorted(pairs)])
        named = dict(zip(sorted(pairs), full, strict=True))
        placed["ad_group"] = pd.array(
            [named[pair] for pair in zip(placed["persona_id"], placed["ad_group"], strict=True)],
            dtype="string",
        )
    return placed


def keyword_rows(
    grouped: pd.DataFrame,
    personas: Sequence[CampaignPersona],
    settings: GroupingConfig | None = None,
) -> pd.DataFrame:
    """One row per grouped keyword and match type, for Google Ads Editor.

    Columns: campaign, ad_group, keyword, match_type (Exact, Phrase, Broad),
    max_cpc (see `max_cpc`; empty where the campaign's default bid applies),
    currency, final_url (the persona's landing page), persona_id, intent,
    avg_monthly_searches, value. `grouped` is `group_keywords`' output with
    the CPC columns. In the single campaign an ad group is named
    "<persona> - <theme>".
    """
    settings = settings or GroupingConfig()
    placed = _placed(grouped, personas, settings)
    placed["max_cpc"] = max_cpc(placed, settings)
    pages = {persona.id: persona.landing_page for persona in personas}
    placed["final_url"] = pd.array([pages[p] for p in placed["persona_id"]], dtype="string")
    placed["_volume"] = -placed["avg_monthly_searches"].astype("Float64").fillna(-1)
    placed = placed.sort_values(
        ["campaign", "ad_group", "_volume", "keyword"], kind="stable", ignore_index=True
    )
    labels = [MATCH_TYPES[name] for name in settings.match_types]
    rows = placed.loc[placed.index.repeat(len(labels))].reset_index(drop=True)
    rows["match_type"] = pd.array(np.tile(labels, len(placed)), dtype="string")
    columns = ["campaign", "ad_group", "keyword", "match_type", "max_cpc", "currency"]
    columns += ["final_url", "persona_id", "intent", "avg_monthly_searches", "value"]
    return rows[columns]


def ad_groups(
    grouped: pd.DataFrame,
    personas: Sequence[CampaignPersona],
    settings: GroupingConfig | None = None,
) -> pd.DataFrame:
    """One row per ad group: campaign, ad_group, persona_id, theme, keywords (how many),
    top_keyword (most searched), total_monthly_searches, total_value, final_url;
    each campaign's most valuable first."""
    settings = settings or GroupingConfig()
    placed = _placed(grouped, personas, settings)
    placed["_volume"] = -placed["avg_monthly_searches"].astype("Float64").fillna(-1)
    placed = placed.sort_values(["campaign", "ad_group", "_volume", "keyword"], kind="stable")
    summary = (
        placed.groupby(["campaign", "ad_group"], sort=False)
        .agg(
            persona_id=("persona_id", "first"),
            theme=("theme", "first"),
            keywords=("keyword", "size"),
            top_keyword=("keyword", "first"),
            total_monthly_searches=("avg_monthly_searches", lambda s: s.sum(min_count=1)),
            total_value=("value", lambda s: s.sum(min_count=1)),
        )
        .reset_index()
    )
    summary["total_monthly_searches"] = summary["total_monthly_searches"].astype("Int64")
    summary["total_value"] = summary["total_value"].astype("float64")
    pages = {persona.id: persona.landing_page for persona in personas}
    summary["final_url"] = pd.array([pages[p] for p in summary["persona_id"]], dtype="string")
    return summary.sort_values(
        ["campaign", "total_value", "ad_group"],
        ascending=[True, False, True],
        na_position="last",
        ignore_index=True,
    )


# ---------------------------------------------------------------- bids


def currency_exponent(currency: object) -> int:
    """Digits after the decimal point of the currency's minor unit (ISO 4217); 2 when unknown."""
    if not isinstance(currency, str):
        return DEFAULT_CURRENCY_EXPONENT
    return CURRENCY_EXPONENTS.get(currency.strip().upper(), DEFAULT_CURRENCY_EXPONENT)


def max_cpc(keywords: pd.DataFrame, settings: GroupingConfig | None = None) -> pd.Series:
    """Each keyword's max CPC: break-even CPC × `cpc_fraction`, capped by the high
    top-of-page bid, rounded down to the currency's minor unit, at least one minor unit.

    Empty (NaN) where the break-even CPC is unknown: the keyword then bids
    the ad group's or campaign's default. A high top-of-page bid that is
    unknown or zero (the Keyword Planner had no bid data) caps nothing.
    Rounding down keeps every bid at or below the fraction of break-even;
    one minor unit (0.01 USD, 1 JPY) is the smallest bid there is.
    """
    settings = settings or GroupingConfig()
    _require(
        keywords,
        CPC_COLUMNS,
        "bid on",
        "score them first with `longtail score`, which adds break_even_cpc",
    )
    bid = keywords["break_even_cpc"].astype("float64") * settings.cpc_fraction
    high = keywords["high_top_of_page_bid"].astype("float64")
    bid = bid.where(bid.isna() | ~(high > 0) | (bid <= high), high)
    scale = 10.0 ** keywords["currency"].map(currency_exponent).astype("float64")
    # Rounded to a millionth of a unit first: 1.15 × 100 is 114.99999999999999
    # in floating point, and 1.15 must stay 1.15.
    scaled = (bid * scale).round(6).to_numpy(dtype="float64", na_value=np.nan)
    units = pd.Series(np.floor(scaled), index=keywords.index).clip(lower=1)
    return (units / scale).rename("max_cpc")


# ---------------------------------------------------------------- negatives


class Negatives(NamedTuple):
    """Campaign-level negatives, and the ones left out because they would block a keyword."""

    # campaign, keyword, match_type (Negative Phrase / Negative Exact), source
    negatives: pd.DataFrame
    # campaign, negative, match_type, source, keyword (blocked), ad_group
    conflicts: pd.DataFrame


def bundled_negatives() -> tuple[str, ...]:
    """The bundled non-buying terms, data/negatives.txt, in its order."""
    text = resources.files("longtail").joinpath("data/negatives.txt").read_text("utf-8")
    terms = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(term for term in terms if term)


def _negative(term: str, default: str) -> tuple[str, str]:
    """The normalised text and match type of a negative as a user writes it: "[free]" is
    exact, '"free"' phrase, a leading "-" (as in a search) dropped; else `default`."""
    text = term.strip().removeprefix("-").strip()
    match_type = default
    if len(text) > 1 and text[0] == "[" and text[-1] == "]":
        text, match_type = text[1:-1], "exact"
    elif len(text) > 1 and text[0] == text[-1] == '"':
        text, match_type = text[1:-1], "phrase"
    return normalise_keyword(text), match_type


def negatives(
    grouped: pd.DataFrame,
    personas: Sequence[CampaignPersona],
    settings: GroupingConfig | None = None,
    bundled: Sequence[str] | None = None,
) -> Negatives:
    """Each campaign's negative keywords, and the conflicts that were left out.

    A campaign gets its persona's `negative_keywords` (the single campaign,
    every persona's), `extra_negatives`, the bundled list (`bundled`, or
    data/negatives.txt when `bundled_negatives` is on) and, with
    `exclude_other_brands`, the other personas' brands that are not its own
    (never in the single campaign, which has every brand's keywords).
    Negatives are compared normalised, so "Free" and "free" are one; the
    first source in persona, config, bundled, other-brand order is kept. A
    negative that one of the campaign's own keywords contains as a phrase
    (or equals, for an exact negative) would stop that keyword's ads: it is
    left out and returned in `conflicts`, one row per keyword it would block.
    """
    settings = settings or GroupingConfig()
    placed = _placed(grouped, personas, settings)
    names = campaign_names(personas, settings)
    default = settings.negative_match_type
    if bundled is None:
        bundled = bundled_negatives() if settings.bundled_negatives else ()

    chosen: dict[tuple[str, str], tuple[str, str]] = {}  # (campaign, text) -> (type, source)

    def add(campaign: str, term: str, source: str) -> None:
        text, match_type = _negative(term, default)
        if text and (campaign, text) not in chosen:
            chosen[campaign, text] = (match_type, source)

    for persona in personas:
        for term in persona.negative_keywords:
            add(names[persona.id], term, SOURCE_PERSONA)
    for campaign in dict.fromkeys(names.values()):
        for term in settings.extra_negatives:
            add(campaign, term, SOURCE_CONFIG)
        for term in bundled:
            add(campaign, term, SOURCE_BUNDLED)
    if settings.exclude_other_brands and not settings.single_campaign:
        for persona in personas:
            own = {normalise_keyword(brand) for brand in persona.brands}
            for other in personas:
                for brand in other.brands if other.id != persona.id else ():
                    if normalise_keyword(brand) not in own:
                        # Phrase whatever the default: "hoka" must block "hoka trail shoes".
                        add(names[persona.id], f'"{brand}"', SOURCE_OTHER_BRAND)

    positives: dict[str, list[tuple[str, str]]] = {}
    for campaign, keyword, ad_group in zip(
        placed["campaign"], placed["keyword"], placed["ad_group"], strict=True
    ):
        positives.setdefault(str(campaign), []).append((str(keyword), str(ad_group)))
    kept: list[tuple[str, str, str, str]] = []
    conflicts: list[tuple[str, str, str, str, str, str]] = []
    for (campaign, text), (match_type, source) in chosen.items():
        label = NEGATIVE_MATCH_TYPES[match_type]
        padded = f" {text} "
        blocked = sorted(
            {
                (keyword, ad_group)
                for keyword, ad_group in positives.get(campaign, [])
                if (keyword == text if match_type == "exact" else padded in f" {keyword} ")
            }
        )
        if blocked:
            conflicts.extend((campaign, text, label, source, kw, group) for kw, group in blocked)
        else:
            kept.append((campaign, text, label, source))
    rank = {source: i for i, source in enumerate(_SOURCES)}
    kept.sort(key=lambda row: (row[0], rank[row[3]], row[1]))
    conflicts.sort(key=lambda row: (row[0], rank[row[3]], row[1], row[4]))
    return Negatives(
        pd.DataFrame(kept, columns=["campaign", "keyword", "match_type", "source"]).astype(
            "string"
        ),
        pd.DataFrame(
            conflicts,
            columns=["campaign", "negative", "match_type", "source", "keyword", "ad_group"],
        ).astype("string"),
    )


# ---------------------------------------------------------------- content plan


def content_plan(
    keywords: pd.DataFrame,
    nlp: Language | None = None,
    modifiers: Modifiers | None = None,
) -> pd.DataFrame:
    """Informational keywords as article topics, one per persona and head product.

    Columns: persona_id, persona_name, topic (the most searched keyword,
    sentence case), product, keywords (most searched first, "; " between),
    keyword_count, total_monthly_searches and total_value (of the keywords
    with data; empty when none has any), currency. Most valuable first.
    `keywords` may be `group_keywords`' output, whose `product` column is
    used as it is; otherwise the keywords are parsed with `nlp`.
    """
    _require(keywords, (*GROUP_COLUMNS, "persona_name", "currency"), "plan content for")
    informational = keywords[keywords["intent"].eq("informational").fillna(False).astype(bool)]
    informational = informational.reset_index(drop=True)
    if "product" not in informational.columns:
        readings = _read_keywords(
            informational["keyword"].astype(str), nlp or load_nlp(), modifiers
        )
        informational["product"] = pd.array(
            [readings[k].product for k in informational["keyword"]], dtype="string"
        )
    informational["_volume"] = -informational["avg_monthly_searches"].astype("Float64").fillna(-1)
    informational["_value"] = -informational["value"].astype("float64").fillna(-math.inf)
    ordered = informational.sort_values(
        ["persona_id", "product", "_volume", "_value", "keyword"], kind="stable"
    )
    plan = (
        ordered.groupby(["persona_id", "product"], sort=False)
        .agg(
            persona_name=("persona_name", "first"),
            topic=("keyword", "first"),
            keywords=("keyword", "; ".join),
            keyword_count=("keyword", "size"),
            total_monthly_searches=("avg_monthly_searches", lambda s: s.sum(min_count=1)),
            total_value=("value", lambda s: s.sum(min_count=1)),
            currency=("currency", "first"),
        )
        .reset_index()
    )
    plan["topic"] = plan["topic"].map(_sentence_case)
    plan["total_monthly_searches"] = plan["total_monthly_searches"].astype("Int64")
    plan["total_value"] = plan["total_value"].astype("float64")
    columns = ["persona_id", "persona_name", "topic", "product", "keywords", "keyword_count"]
    columns += ["total_monthly_searches", "total_value", "currency"]
    return plan[columns].sort_values(
        ["total_value", "persona_id", "topic"],
        ascending=[False, True, True],
        na_position="last",
        ignore_index=True,
    )


# ---------------------------------------------------------------- helpers


def _require(
    frame: pd.DataFrame,
    columns: Sequence[str],
    what: str,
    fix: str = "score them first with `longtail score`",
) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(
            f"cannot {what} keywords without the column(s) {', '.join(missing)}; {fix}"
        )


def editor_rows(
    campaign_table: pd.DataFrame,
    keyword_table: pd.DataFrame,
    negative_table: pd.DataFrame,
    daily_budget: float | None = None,
) -> pd.DataFrame:
    """The Google Ads Editor import: `campaigns`, `keyword_rows` and `negatives` as its rows.

    Per campaign: one campaign row (type Search, its networks and languages,
    status Paused, the daily budget when given: Editor asks for one before
    posting), one row per country (Location ID, Google's geo target id),
    then its keywords, one per row with its Criterion Type (Exact, Phrase,
    Broad), Max CPC (blank: the ad group's default bid) and Final URL, then
    its campaign-level negatives (Negative Phrase or Negative Exact, no ad
    group).
    """
    rows: list[dict[str, object]] = []
    budget = "" if daily_budget is None else f"{daily_budget:.2f}"
    keywords = dict(tuple(keyword_table.groupby("campaign", sort=False)))
    negatives_of = dict(tuple(negative_table.groupby("campaign", sort=False)))
    for campaign in campaign_table.itertuples():
        name = str(campaign.campaign)
        rows.append(
            {
                "Campaign": name,
                "Campaign Type": "Search",
                "Networks": campaign.networks,
                "Budget": budget,
                "Languages": campaign.language,
                "Status": CAMPAIGN_STATUS,
            }
        )
        for location in str(campaign.geo_target_ids).split(";"):
            if location:
                rows.append({"Campaign": name, "Location ID": location})
        if name in keywords:
            for keyword in keywords[name].to_dict("records"):
                cpc = keyword["max_cpc"]
                rows.append(
                    {
                        "Campaign": name,
                        "Ad Group": keyword["ad_group"],
                        "Keyword": keyword["keyword"],
                        "Criterion Type": keyword["match_type"],
                        "Max CPC": "" if _blank(cpc) else _money_text(cpc, keyword["currency"]),
                        "Final URL": "" if _blank(keyword["final_url"]) else keyword["final_url"],
                        "Status": "Enabled",
                    }
                )
        if name in negatives_of:
            for negative in negatives_of[name].to_dict("records"):
                rows.append(
                    {
                        "Campaign": name,
                        "Keyword": negative["keyword"],
                        "Criterion Type": negative["match_type"],
                        "Status": "Enabled",
                    }
                )
    return pd.DataFrame(rows, columns=list(EDITOR_COLUMNS)).fillna("").astype("string")


def _money_text(amount: Any, currency: object) -> str:
    """An amount with as many decimals as the currency has."""
    return f"{float(amount):.{currency_exponent(currency)}f}"


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
