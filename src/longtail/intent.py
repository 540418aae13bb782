"""Search intent: one primary label per keyword, from its words alone.

Every keyword is labelled informational, commercial, transactional or
navigational, the four classes SEO and PPC tools share (Broder's
navigational/informational/transactional taxonomy, "A Taxonomy of Web
Search", SIGIR Forum 36(2), 2002, with commercial investigation added
between the last two by the SEO industry). The label comes from the
modifier lists in the configuration, the brand names given, question words
and question syntax, and a few built-in signal words below.

Everything is a whole-word or whole-phrase match on the normalised keyword,
never a substring: "buyer" is not "buy", "topaz" is not "top", "reviewer" is
not "review". Hyphens separate words for matching ("top-rated" holds
"rated") and a possessive "'s" is dropped ("patagonia's" is the brand
"patagonia"; "buyer's" is "buyer", still not "buy").

Which signal wins, first that applies:

1. Comparison ("vs", "versus", "compare", "comparison", "alternatives", or
   two different brands): commercial. Someone weighing two options has not
   chosen a shop or a product yet, whatever else the keyword says
   ("nike vs hoka", "cheap hoka alternatives").
2. Navigational words: "login", "sign in", "official site" anywhere, or
   "website", "site", "store", "account", "customer service" after a
   brand: navigational, also in a question ("where is the ridgeline store").
3. A question (a question word first, or a trailing "?"): transactional when
   it asks where or how to buy ("where to buy tents"), commercial when it
   asks which is best ("what is the best tent"), else informational. Price
   words do not make a question transactional: "how much does a tent cost"
   asks for a figure, not for a checkout. Questions come before brands
   because a question asks for an answer, which any site may give
   ("how to clean ridgeline tents").
4. A brand: navigational; the searcher names where they want to go. Except
   with a review word ("hoka reviews"): reviews are read on other sites.
5. Transactional: a purchase word means the searcher is at the checkout
   stage; "best" or "top" beside it only qualifies what to buy ("best
   price trail shoes", "cheap tent reviews").
6. Commercial: an informational word beside a commercial one is usually the
   format of the comparison ("best tents guide"); the searcher still picks
   a product.
7. Informational.
8. Default, a plain product phrase ("trail running shoes"): commercial.
   A bare product noun phrase is the shopper still choosing among products
   of that kind, commercial investigation; DataForSEO's intent classifier
   gives a bare category ("seo tools") commercial as its primary intent and
   transactional second (https://dataforseo.com/help-center/search-intent-and-its-types),
   and keyword-intent tagging guides list product categories ("summer
   dresses", "beach accessories") as commercial
   (https://smartdigimarketing.com/keyword-intent-tagging). Commercial is
   also the cautious choice for scoring: it does not credit a keyword with
   the conversion rate of one that says "buy".

The classifier is pure Python with no parse, so the `intent` command starts
fast and labels lists that come from elsewhere: 100,000 keywords take about
half a second.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from longtail import config
from longtail.text import normalise_keyword

INTENTS = config.INTENTS

INFORMATIONAL, COMMERCIAL, TRANSACTIONAL, NAVIGATIONAL = INTENTS

# The label for a keyword with no signal at all; see rule 8 above.
DEFAULT_INTENT = COMMERCIAL
DEFAULT_REASON = "default: a product phrase"

# Built-in signal words, beyond the configurable modifier lists: the common
# modifiers of keyword-intent guides (https://smartdigimarketing.com/keyword-intent-tagging,
# https://www.toolsurf.com/apps/keyword-intent-checker,
# https://dataforseo.com/help-center/search-intent-and-its-types: "buy",
# "price", "discount", "deals", "coupon", "free shipping" transactional;
# "best", "top", "review", "comparison" commercial; "how to", "what is",
# "guide" informational; a brand with "login" or "website" navigational).
# Singular and plural are listed where both are searched: matching is by
# whole word, so "review" does not match "reviews".
COMMERCIAL_WORDS = (
    "best",
    "top",
    "review",
    "reviews",
    "reviewed",
    "rated",
    "ratings",
    "vs",
    "versus",
    "compare",
    "compared",
    "comparison",
    "alternative",
    "alternatives",
)
TRANSACTIONAL_WORDS = (
    "buy",
    "purchase",
    "price",
    "prices",
    "pricing",
    "cost",
    "costs",
    "cheap",
    # The comparative and superlative of "cheap" are decided explicitly as
    # transactional: the searcher has chosen the product and looks for where
    # it costs least, the last step before paying.
    "cheaper",
    "cheapest",
    "deal",
    "deals",
    "discount",
    "discounts",
    "coupon",
    "coupons",
    "promo code",
    "sale",
    "for sale",
    "clearance",
    "order",
    "shop",
    "near me",
    "free shipping",
    "online",
)
INFORMATIONAL_WORDS = (
    "how",
    "what",
    "why",
    "guide",
    "guides",
    "tips",
    "ideas",
    "tutorial",
    "diy",
    "meaning",
    "definition",
    "examples",
    "instructions",
)
# Navigational wherever they stand: whoever types them wants a site's page.
NAVIGATIONAL_WORDS = ("login", "log in", "sign in", "official site", "official website")
# Navigational after a brand ("ridgeline store"); alone they are ordinary
# words ("camping store near me", "tent site").
AFTER_BRAND_WORDS = ("website", "site", "store", "stores", "account", "customer service")

# Words that also name products and places ("tank top", "crop top", "bike
# shop", "mail order"): they are signals only as a keyword's first word,
# where they are the modifier ("top tents", "shop hiking boots", "order tent
# stakes"). A product that starts with one ("shop vac", "top sheet") is
# still read as the modifier; telling them apart needs a parse.
START_ONLY_WORDS = frozenset({"top", "shop", "order"})

# A comparison means no shop or product is chosen yet (rule 1).
COMPARISON_WORDS = frozenset(
    {"vs", "versus", "compare", "compared", "comparison", "alternative", "alternatives"}
)
# Reviews and ratings are read on other sites than the brand's (rule 4).
REVIEW_WORDS = frozenset({"review", "reviews", "reviewed", "rated", "ratings"})
# Price words in a question ask for a figure, not for a checkout (rule 3).
PRICE_WORDS = frozenset({"price", "prices", "pricing", "cost", "costs"})

# A question word first makes the keyword a question. The wh-words always;
# the auxiliaries that never start a product name whenever another word
# follows ("is gore-tex worth it", "does merino smell"); "can", "will" and
# "have" only before a subject ("can i", "will it"), because "can opener",
# "can cooler" and "can lights" are products a home shop sells.
WH_WORDS = frozenset({"how", "what", "why", "when", "where", "which", "who", "whom", "whose"})
AUXILIARIES = frozenset(
    {"do", "does", "did", "is", "are", "was", "were", "should", "would", "could", "has"}
)
AUXILIARIES_BEFORE_SUBJECT = frozenset({"can", "will", "have"})
SUBJECT_WORDS = frozenset(
    {"i", "you", "we", "they", "it", "he", "she", "a", "an", "the", "my", "your", "our"}
    | {"their", "this", "that", "these", "those", "there", "any", "some"}
)

# Text that normalise_keyword leaves as it is once lowercased and spaced:
# ASCII letters and digits, single spaces, hyphens inside words.
_ALREADY_NORMAL = re.compile(r"[a-z0-9]+(?:[ -][a-z0-9]+)*")

PRODUCT_PLACEHOLDER = "{product}"
_PLACEHOLDER = re.compile(re.escape(PRODUCT_PLACEHOLDER))

# What a signal does in the precedence above, beyond its intent.
_PLAIN, _COMPARISON, _REVIEW, _PRICE, _NAV_ANYWHERE, _AFTER_BRAND, _BRAND = range(7)


@dataclass(frozen=True, slots=True)
class _Signal:
    """One modifier word or phrase, brand or built-in signal, as words to match."""

    words: tuple[str, ...]
    intent: str
    reason: str
    kind: int
    start_only: bool


@dataclass(frozen=True, slots=True)
class _Match:
    """A signal found in a keyword, and where: the index of its first word."""

    signal: _Signal
    position: int


def _match_words(text: str) -> tuple[str, ...]:
    """The words a keyword or modifier is matched by: normalised, hyphens split, "'s" dropped."""
    plain = " ".join(text.lower().split())
    if _ALREADY_NORMAL.fullmatch(plain):
        # Most keywords are plain ASCII words, which normalise_keyword would
        # only lowercase and space; its full work would take three quarters
        # of the time of labelling them.
        return tuple(plain.replace("-", " ").split())
    return tuple(
        word[:-2] if word.endswith("'s") else word
        for word in normalise_keyword(text).replace("-", " ").split()
    )


class IntentClassifier:
    """Labels keywords with one search intent, from modifiers, brands and question syntax.

    Build one per configuration and reuse it: the modifier phrases and
    brands are indexed once, so each keyword costs a few dictionary lookups.
    """

    def __init__(self, modifiers: config.Modifiers, brands: Sequence[str] = ()) -> None:
        signals: dict[tuple[str, ...], _Signal] = {}
        # Built-ins first, so that a phrase the configuration lists replaces
        # the built-in meaning: a user who files "cheap {product}" under
        # commercial gets "cheap" as commercial, not transactional as well.
        built_in = (
            (COMMERCIAL, COMMERCIAL_WORDS),
            (TRANSACTIONAL, TRANSACTIONAL_WORDS),
            (INFORMATIONAL, INFORMATIONAL_WORDS),
        )
        for intent, phrases in built_in:
            for phrase in phrases:
                label = 'comparison "{}"' if phrase in COMPARISON_WORDS else 'word "{}"'
                self._add(signals, phrase, intent, label, replace=False)
        for phrase in NAVIGATIONAL_WORDS:
            self._add(signals, phrase, NAVIGATIONAL, 'navigational word "{}"', replace=False)
        for phrase in AFTER_BRAND_WORDS:
            self._add(signals, phrase, NAVIGATIONAL, '"{}" after a brand', replace=False)
        configured: set[tuple[str, ...]] = set()
        for intent in (TRANSACTIONAL, COMMERCIAL, INFORMATIONAL):
            for phrase in _modifier_phrases(modifiers.of(intent)):
                words = _match_words(phrase)
                # A phrase in two lists keeps the stronger intent, in the
                # order of the precedence, as if both had been found.
                if words and words not in configured:
                    configured.add(words)
                    self._add(signals, phrase, intent, 'modifier "{}"', replace=True)
        # The configuration's navigational list holds the shop's brand names.
        for brand in [*_modifier_phrases(modifiers.of(NAVIGATIONAL)), *brands]:
            self._add(signals, brand, NAVIGATIONAL, 'brand "{}"', replace=True, brand=True)
            # Searchers drop a brand's leading "the": "north face jacket".
            name = normalise_keyword(brand)
            if name.startswith("the "):
                short = name.removeprefix("the ")
                self._add(signals, short, NAVIGATIONAL, 'brand "{}"', replace=True, brand=True)
        index: dict[str, list[_Signal]] = {}
        for signal in signals.values():
            index.setdefault(signal.words[0], []).append(signal)
        for found in index.values():
            # Longest first, so that "for sale" is reported rather than "sale".
            found.sort(key=lambda signal: -len(signal.words))
        self._index: dict[str, tuple[_Signal, ...]] = {
            word: tuple(found) for word, found in index.items()
        }

    @staticmethod
    def _add(
        signals: dict[tuple[str, ...], _Signal],
        phrase: str,
        intent: str,
        reason: str,
        *,
        replace: bool,
        brand: bool = False,
    ) -> None:
        """Index `phrase`; `reason` has "{}" where the phrase goes, as normalised."""
        words = _match_words(phrase)
        if not words or (not replace and words in signals):
            return
        signals[words] = _Signal(
            words=words,
            intent=intent,
            reason=reason.format(normalise_keyword(phrase)),
            kind=_BRAND if brand else _kind_of(words, intent),
            start_only=not brand and len(words) == 1 and words[0] in START_ONLY_WORDS,
        )

    def classify(self, keyword: str) -> str:
        """The keyword's one primary intent."""
        return self.explain(keyword)[0]

    def explain(self, keyword: str) -> tuple[str, str]:
        """The keyword's intent and the signal that decided it, e.g. 'modifier "best"'."""
        words = _match_words(keyword)
        matches = self._matches(words)
        return _decide(words, keyword.rstrip().endswith("?"), matches)

    def _matches(self, words: tuple[str, ...]) -> list[_Match]:
        index = self._index
        found: list[_Match] = []
        for position, word in enumerate(words):
            candidates = index.get(word)
            if candidates is None:
                continue
            for signal in candidates:
                size = len(signal.words)
                if (size == 1 or words[position : position + size] == signal.words) and (
                    position == 0 or not signal.start_only
                ):
                    found.append(_Match(signal, position))
                    # Only the longest phrase starting here: "for sale"
                    # must not also count as "sale" and "for".
                    break
        return found


def _modifier_phrases(phrases: Iterable[str]) -> list[str]:
    """Modifier words without the product: "best {product}" → "best"; a phrase per side."""
    found = []
    for phrase in phrases:
        for part in _PLACEHOLDER.split(phrase):
            if part.strip():
                found.append(" ".join(part.split()))
    return found


def _kind_of(words: tuple[str, ...], intent: str) -> int:
    if intent == COMMERCIAL:
        if COMPARISON_WORDS.intersection(words):
            return _COMPARISON
        if REVIEW_WORDS.intersection(words):
            return _REVIEW
    if intent == TRANSACTIONAL and set(words) <= PRICE_WORDS:
        return _PRICE
    if intent == NAVIGATIONAL:
        return _AFTER_BRAND if " ".join(words) in AFTER_BRAND_WORDS else _NAV_ANYWHERE
    return _PLAIN


def _is_question(words: tuple[str, ...], question_mark: bool) -> str | None:
    """Why the keyword reads as a question, or None."""
    first = words[0] if words else None
    follows = words[1] if len(words) > 1 else None
    if (
        first in WH_WORDS
        or (first in AUXILIARIES and follows is not None)
        or (first in AUXILIARIES_BEFORE_SUBJECT and follows in SUBJECT_WORDS)
    ):
        return f'question word "{first}"'
    return "question mark" if question_mark else None


def _decide(words: tuple[str, ...], question_mark: bool, matches: list[_Match]) -> tuple[str, str]:
    """Apply the precedence in the module docstring to the signals found."""
    question = _is_question(words, question_mark)
    if not matches and question is None:
        # The common case, a plain product phrase, without the work below.
        return DEFAULT_INTENT, DEFAULT_REASON
    brands = _distinct_brands(matches)
    of_kind: dict[int, list[_Match]] = {}
    of_intent: dict[str, list[_Match]] = {}
    for match in matches:
        of_kind.setdefault(match.signal.kind, []).append(match)
        if match.signal.kind != _BRAND:
            of_intent.setdefault(match.signal.intent, []).append(match)

    # 1. A comparison.
    if _COMPARISON in of_kind:
        return COMMERCIAL, _strongest(of_kind[_COMPARISON]).signal.reason
    if len(brands) >= 2:
        return COMMERCIAL, f'brands "{brands[0]}" and "{brands[1]}"'
    # 2. Navigational words.
    if _NAV_ANYWHERE in of_kind:
        return NAVIGATIONAL, _strongest(of_kind[_NAV_ANYWHERE]).signal.reason
    if brands and _AFTER_BRAND in of_kind:
        first_brand = min(m.position for m in of_kind[_BRAND])
        after = [m for m in of_kind[_AFTER_BRAND] if m.position > first_brand]
        if after:
            word = " ".join(_strongest(after).signal.words)
            return NAVIGATIONAL, f'brand "{brands[0]}" with "{word}"'
    # 3. A question.
    if question is not None:
        actions = [m for m in of_intent.get(TRANSACTIONAL, ()) if m.signal.kind != _PRICE]
        if actions:
            return TRANSACTIONAL, _strongest(actions).signal.reason
        if COMMERCIAL in of_intent:
            return COMMERCIAL, _strongest(of_intent[COMMERCIAL]).signal.reason
        return INFORMATIONAL, question
    # 4. A brand, unless the keyword asks for reviews of it.
    if brands and _REVIEW not in of_kind:
        return NAVIGATIONAL, f'brand "{brands[0]}"'
    # 5.–7. The modifiers, strongest intent first.
    for intent in (TRANSACTIONAL, COMMERCIAL, INFORMATIONAL):
        if intent in of_intent:
            return intent, _strongest(of_intent[intent]).signal.reason
    # 8. A plain product phrase.
    return DEFAULT_INTENT, DEFAULT_REASON


def _strongest(matches: Sequence[_Match]) -> _Match:
    """The match to name as the reason: the longest phrase, then the first."""
    return min(matches, key=lambda match: (-len(match.signal.words), match.position))


def _distinct_brands(matches: Sequence[_Match]) -> list[str]:
    """Brand names found, in keyword order, each once; a brand inside a longer one not again."""
    found = sorted(
        (m for m in matches if m.signal.kind == _BRAND),
        key=lambda match: (match.position, -len(match.signal.words)),
    )
    names: list[str] = []
    covered_until = -1
    for match in found:
        if match.position <= covered_until:
            continue  # "face" inside "the north face", both given
        covered_until = match.position + len(match.signal.words) - 1
        name = " ".join(match.signal.words)
        if name not in names:
            names.append(name)
    return names


@functools.cache
def _default_modifiers() -> config.Modifiers:
    """The configured modifiers (./longtail.toml or the defaults), read once per process."""
    return config.load_config().modifiers


@functools.lru_cache(maxsize=16)
def _classifier(modifiers: config.Modifiers, brands: tuple[str, ...]) -> IntentClassifier:
    return IntentClassifier(modifiers, brands)


def classify(
    keyword: str, modifiers: config.Modifiers | None = None, brands: Sequence[str] = ()
) -> str:
    """One keyword's intent; the modifiers default to the configuration's, read once.

    For many keywords, build an IntentClassifier and call it instead: this
    looks the classifier up in a small cache on every call.
    """
    chosen = _default_modifiers() if modifiers is None else modifiers
    return _classifier(chosen, tuple(brands)).classify(keyword)
