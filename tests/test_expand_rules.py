"""The expansion's cleaning and keyword rules on hand-built Docs and words.

Where the point is a rule rather than what the model happens to tag, the
Docs are built by hand (word/POS/dep/head), so each test pins the rule and
not the tagger. No modifiers are configured, so only the persona's own text
makes candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pytest
import spacy
from spacy.tokens import Doc

from longtail.config import Config, ExpansionConfig, Modifiers
from longtail.expand import (
    BAD_END,
    BAD_START,
    NO_NOUN,
    REPEATED_WORD,
    TOO_LONG,
    TOO_SHORT,
    Candidate,
    Frame,
    KeywordRules,
    Phrase,
    PhraseExpander,
    Word,
)
from longtail.personas import Persona

VOCAB = spacy.blank("en").vocab
CLV = {"average_order_value": 140, "purchases_per_year": 2.5, "retention_years": 3}


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
    interests: Sequence[Doc] = (),
    products: Sequence[Doc] = (PRODUCT,),
    qualifiers: Sequence[Doc] = (),
    pain_points: Sequence[Doc] = (),
    **expansion: int,
) -> dict[str, Candidate]:
    subject = Persona.model_validate(
        {
            "id": "family-camper",
            "name": "Family camper",
            "description": DESCRIPTION.text,
            "interests": [doc.text for doc in interests],
            "pain_points": [doc.text for doc in pain_points],
            "products": [doc.text for doc in products],
            "qualifiers": [doc.text for doc in qualifiers],
            "clv": CLV,
        }
    )
    nlp = HandParsed(DESCRIPTION, *interests, *products, *qualifiers, *pain_points)
    config = Config(ExpansionConfig(**expansion), Modifiers(), "test")
    found = PhraseExpander(nlp, config).expand([subject])  # type: ignore[arg-type]
    return {candidate.keyword: candidate for candidate in found}


# ---------------------------------------------------------------- KeywordRules on words


def word(text: str, pos: str = "NOUN", tag: str = "NN", **flags: bool) -> Word:
    return Word(text, text, pos, tag, noun=pos in {"NOUN", "PROPN"}, **flags)


SHOES = Phrase.of([word("trail"), word("running", "VERB", "VBG"), word("shoes", tag="NNS")])
FOR = word("for", "ADP", "IN", function=True)
RULES = KeywordRules(min_words=2, max_words=6)


@pytest.mark.parametrize(
    ("phrases", "reason"),
    [
        ([SHOES], None),
        ([Phrase.of([word("shoes")])], TOO_SHORT),
        ([SHOES, Phrase.of([FOR, word("wide", "ADJ", "JJ"), word("feet"), word("x")])], TOO_LONG),
        ([Phrase.of([word("the", "DET", "DT", function=True)]), SHOES], BAD_START),
        ([SHOES, Phrase.of([FOR])], BAD_END),
        ([Phrase.of([word("trail")]), SHOES], REPEATED_WORD),
        ([Phrase.of([word("fast", "ADV", "RB"), word("light", "ADJ", "JJ")])], NO_NOUN),
        # A question word may start a keyword, a pronoun object end one.
        ([Phrase.of([word("how", "SCONJ", "WRB", function=True)]), SHOES], None),
        (
            [
                SHOES,
                Phrase.of([FOR, word("her", "PRON", "PRP", function=True, object_pronoun=True)]),
            ],
            None,
        ),
    ],
)
def test_keyword_rules_give_the_broken_rule(phrases: list[Phrase], reason: str | None) -> None:
    assert RULES.check(phrases) == reason
    assert RULES.accept(phrases) is (reason is None)


def test_repeated_words_are_compared_by_lemma_key() -> None:
    trails = Word("trails", "trail", "NOUN", "NNS", noun=True)
    muddy = Phrase.of([FOR, word("muddy", "ADJ", "JJ"), trails])
    assert RULES.check([SHOES, muddy]) == REPEATED_WORD


def test_framed_check_agrees_with_the_general_one() -> None:
    empty = Phrase.of([])
    pieces = [
        empty,
        Phrase.of([word("best", "ADJ", "JJS")]),
        Phrase.of([word("the", "DET", "DT", function=True)]),
        Phrase.of([word("trail")]),
        Phrase.of([FOR, word("kids", tag="NNS")]),
        Phrase.of([FOR]),
        Phrase.of([word("how", "SCONJ", "WRB", function=True), word("to", "PART", "TO")]),
    ]
    inner = [SHOES, Phrase.of([word("tent")]), Phrase.of([word("quickly", "ADV", "RB")])]
    for rules in (RULES, KeywordRules(1, 3)):
        for before in pieces:
            for after in pieces:
                for phrase in inner:
                    frame = Frame.of(before, after)
                    assert rules.accept_framed(frame, phrase) == rules.accept(
                        [before, phrase, after]
                    ), (before.text, phrase.text, after.text)


def test_word_limits_must_make_sense() -> None:
    with pytest.raises(ValueError, match="min_words"):
        KeywordRules(min_words=4, max_words=3)


# ---------------------------------------------------------------- cleaning noun phrases


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
    assert not {"their own family tent", "own family tent", "few long weekends"} & found.keys()


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
                "all-day hiking boots",
                "all/DET/advmod/2",
                "-/PUNCT/punct/2",
                "day/NOUN/compound/4",
                "hiking/NOUN/compound/4",
                "boots/NOUN/ROOT/4",
            ),
        ]
    )
    assert "durable waterproof gear" in found
    # "all" is a determiner at the start, but the hyphen binds it to "day".
    assert "all-day hiking boots" in found
    assert "day hiking boots" not in found


def test_strips_quotes_around_a_word() -> None:
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


def test_leaves_articles_out_inside_a_phrase() -> None:
    found = hand_expand(
        pain_points=[
            hand_doc(
                "a leak in the tent",
                "a/DET/det/1",
                "leak/NOUN/ROOT/1",
                "in/ADP:IN/prep/1",
                "the/DET:DT/det/4",
                "tent/NOUN/pobj/2",
            )
        ]
    )
    assert "leak in tent" in found
    assert not any(" the " in keyword or keyword.startswith("a ") for keyword in found)


def test_a_sentence_about_the_problem_is_not_a_keyword_whole() -> None:
    # "shoes that leak": a relative clause, so only its noun phrases could stand alone.
    found = hand_expand(
        [hand_doc("shoes that leak", "shoes/NOUN/ROOT/0", "that/PRON:WDT/nsubj/2",
                  "leak/VERB:VBP/relcl/0")],
        min_words=1,
    )  # fmt: skip
    assert "shoes that leak" not in found
    assert "shoes" in found  # allowed once single words are
    assert "that" not in found


# ---------------------------------------------------------------- products on the persona's word


def test_trusts_a_product_the_tagger_misreads() -> None:
    # Read alone, "rotomolded cooler" comes back as a verb and an adjective.
    cooler = hand_doc("rotomolded cooler", "rotomolded/VERB/ROOT/0", "cooler/ADJ:JJR/dobj/0")
    found = hand_expand(
        products=[cooler],
        qualifiers=[
            hand_doc("large", "large/ADJ/ROOT/0"),
            hand_doc("for kids", "for/ADP:IN/ROOT/0", "kids/NOUN:NNS/pobj/0"),
        ],
    )
    assert found["rotomolded cooler"].pattern == "product"
    assert found["rotomolded cooler"].head == "cooler"
    assert found["large rotomolded cooler"].source_phrase == "large"
    assert found["rotomolded cooler for kids"].source_phrase == "for kids"
    assert found["large rotomolded cooler for kids"].source_phrase == "large + for kids"


def test_does_not_second_guess_the_first_word_of_a_product() -> None:
    # "down" read alone is a preposition to the tagger; in "down jacket" it is the fill.
    jacket = hand_doc("down jacket", "down/ADP:IN/advmod/1", "jacket/NOUN/ROOT/1")
    found = hand_expand(
        products=[jacket],
        qualifiers=[hand_doc("for kids", "for/ADP:IN/ROOT/0", "kids/NOUN:NNS/pobj/0")],
    )
    assert found["down jacket"].pattern == "product"
    assert found["down jacket for kids"].pattern == "product+qualifier"


def test_drops_a_qualified_product_that_would_start_or_end_with_a_function_word() -> None:
    found = hand_expand(
        qualifiers=[
            hand_doc(
                "that folds flat",
                "that/PRON:WDT/nsubj/1",
                "folds/VERB:VBZ/ROOT/1",
                "flat/ADV/advmod/1",
            ),
            # The model tags a dangling "the" PRON, as it does "her": only the
            # personal pronoun (PRP) as a preposition's object may close a keyword.
            hand_doc("for the", "for/ADP:IN/ROOT/0", "the/PRON:DT/pobj/0"),
            hand_doc("with it", "with/ADP:IN/ROOT/0", "it/PRON:PRP/nsubj/0"),
        ],
    )
    assert found.keys() == {"camping chair"}


def test_keeps_a_gift_search_that_ends_in_an_object_pronoun() -> None:
    found = hand_expand(
        qualifiers=[hand_doc("for her", "for/ADP:IN/ROOT/0", "her/PRON:PRP/pobj/0")]
    )
    assert found["camping chair for her"].pattern == "product+qualifier"


def test_a_product_with_a_prepositional_phrase_takes_no_second_one() -> None:
    bag = hand_doc(
        "sleeping bag for kids",
        "sleeping/NOUN/compound/1",
        "bag/NOUN/ROOT/1",
        "for/ADP:IN/prep/1",
        "kids/NOUN:NNS/pobj/2",
    )
    found = hand_expand(
        products=[bag],
        qualifiers=[
            hand_doc("warm", "warm/ADJ:JJ/ROOT/0"),
            hand_doc("for camping", "for/ADP:IN/ROOT/0", "camping/NOUN/pobj/0"),
        ],
    )
    assert "warm sleeping bag for kids" in found
    assert found["warm sleeping bag for kids"].head == "bag"
    assert not any(keyword.endswith("for camping") for keyword in found)
