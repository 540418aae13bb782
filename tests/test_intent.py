"""Search intent: hand-labelled keywords, whole-word matching, the configuration, the command."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from longtail import config, intent
from longtail.cli import cli
from longtail.cli import intent as intent_cli
from longtail.intent import IntentClassifier

BRANDS = ("Ridgeline", "Nike", "Hoka", "The North Face")


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory) -> config.Modifiers:
    """The bundled modifier lists, whatever longtail.toml the working folder holds."""
    return config.load_config(cwd=tmp_path_factory.mktemp("no-config")).modifiers


@pytest.fixture(scope="module")
def plain(defaults: config.Modifiers) -> IntentClassifier:
    return IntentClassifier(defaults)


@pytest.fixture(scope="module")
def branded(defaults: config.Modifiers) -> IntentClassifier:
    return IntentClassifier(defaults, BRANDS)


def longtail(*args: str | Path, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


# Hand-labelled searches of an outdoor, fashion and home shop; no brands given.
LABELLED = [
    # Plain product phrases: commercial investigation, the default.
    ("trail running shoes", "commercial"),
    ("waterproof hiking boots", "commercial"),
    ("lightweight down jacket", "commercial"),
    ("linen duvet cover", "commercial"),
    # "for" + an audience narrows the product; it says nothing of intent.
    ("trail running shoes for women", "commercial"),
    ("hiking boots for beginners", "commercial"),
    # Brand + product when the brand is not given: just a product phrase.
    ("ridgeline tent", "commercial"),
    # Comparison and evaluation.
    ("best trail running shoes", "commercial"),
    ("top rated hiking backpacks", "commercial"),
    ("top-rated hiking backpacks", "commercial"),
    ("hydration vest reviews", "commercial"),
    ("merino base layer comparison", "commercial"),
    ("tent vs hammock camping", "commercial"),
    ("down versus synthetic sleeping bag", "commercial"),
    ("patagonia alternatives", "commercial"),
    ("nike vs hoka", "commercial"),
    # An informational word beside a commercial one is the comparison's format.
    ("best tents guide", "commercial"),
    # Purchase.
    ("buy trail running shoes", "transactional"),
    ("trail running shoes price", "transactional"),
    # "best" qualifies what to buy; "price" says the buyer is at the till.
    ("best price trail shoes", "transactional"),
    ("cheap camping chairs", "transactional"),
    # "cheapest" is decided as transactional: the product is chosen, the
    # searcher looks for where it costs least.
    ("cheapest 4 person tent", "transactional"),
    ("kayaks for sale", "transactional"),
    ("outdoor gear store near me", "transactional"),
    ("hiking boots free shipping", "transactional"),
    ("rain jacket discount code", "transactional"),
    ("sleeping bag deals", "transactional"),
    ("order tent stakes online", "transactional"),
    ("shop wool socks", "transactional"),
    ("cheap tent reviews", "transactional"),
    # Questions and how-tos.
    ("how to clean hiking boots", "informational"),
    ("how to choose a sleeping bag", "informational"),
    ("what is gore-tex", "informational"),
    ("why do my feet hurt after hiking", "informational"),
    ("can i wash a down jacket", "informational"),
    ("is merino wool itchy", "informational"),
    ("are trail shoes waterproof?", "informational"),
    # A question about price asks for a figure, not for a checkout.
    ("how much does a tent cost", "informational"),
    # A question that asks where to buy, or which is best, is not just a question.
    ("where to buy hiking boots", "transactional"),
    ("what is the best backpacking tent", "commercial"),
    ("which trail shoes are best for wide feet", "commercial"),
    # A buyer's guide is the page that answers a searcher who has not yet
    # narrowed to products: informational, like other guides. Buying guides
    # are the page informational e-commerce queries need (1Digital, "Ecommerce
    # keyword intent", https://www.1digitalagency.com/blog/ecommerce-keyword-intent-the-definitive-guide-to-informational-vs-commercial-vs--88919/).
    # "buyer's" is not "buy".
    ("buyer's guide hiking boots", "informational"),
    ("buying guide hiking boots", "informational"),
    ("camping gift ideas for dad", "informational"),
    ("diy camping shower", "informational"),
    ("layering tips for winter hiking", "informational"),
    ("hiking boots size chart", "informational"),
    ("tent setup tutorial", "informational"),
    # Words that are products too only count where they are modifiers.
    ("tank top", "commercial"),
    ("tank top size chart", "informational"),
    ("mail order camping gear", "commercial"),
    ("can opener", "commercial"),
    # A login is always someone's site, known brand or not.
    ("north face login", "navigational"),
]


@pytest.mark.parametrize(("keyword", "label"), LABELLED)
def test_labels_hand_labelled_keywords(plain: IntentClassifier, keyword: str, label: str) -> None:
    assert plain.classify(keyword) == label


# The same shop with its brands and the personas' brands given.
LABELLED_WITH_BRANDS = [
    ("ridgeline tent", "navigational"),
    ("ridgeline 2 person tent", "navigational"),
    # The brand names where the searcher will buy.
    ("buy ridgeline tent", "navigational"),
    ("best ridgeline backpack", "navigational"),
    ("ridgeline store", "navigational"),
    ("ridgeline login", "navigational"),
    ("where is the ridgeline store", "navigational"),
    # Searchers drop "the" from "The North Face"; "'s" is the same brand.
    ("north face jacket", "navigational"),
    ("the north face jacket", "navigational"),
    ("hoka's new trail shoe", "navigational"),
    # Weighing two brands is a comparison, not a visit to either site.
    ("nike vs hoka", "commercial"),
    ("nike or hoka for trail running", "commercial"),
    ("cheap hoka alternatives", "commercial"),
    # Reviews are read on other sites.
    ("hoka reviews", "commercial"),
    # A question asks for an answer, which any site may give.
    ("how to clean ridgeline tents", "informational"),
    ("where can i buy ridgeline tents", "transactional"),
    # Brands change nothing where none is named.
    ("trail running shoes", "commercial"),
    ("tents for sale", "transactional"),
]


@pytest.mark.parametrize(("keyword", "label"), LABELLED_WITH_BRANDS)
def test_labels_hand_labelled_keywords_with_brands(
    branded: IntentClassifier, keyword: str, label: str
) -> None:
    assert branded.classify(keyword) == label


@pytest.mark.parametrize(
    ("keyword", "not_like"),
    [
        ("buyer hiking boots", "buy"),
        ("topaz earrings", "top"),
        ("tent reviewer", "review"),
        ("shopping bags", "shop"),
        ("pricey tents", "price"),
        ("salesman backpack", "sale"),
        ("orderly closet organizer", "order"),
        ("bestseller tents", "best"),
    ],
)
def test_matches_whole_words_never_substrings(
    plain: IntentClassifier, keyword: str, not_like: str
) -> None:
    assert plain.explain(keyword) == ("commercial", "default: a product phrase"), not_like


@pytest.mark.parametrize("keyword", ["reindeer sweater", "hokanson tent", "nikester shoes"])
def test_matches_brands_as_whole_words(keyword: str, defaults: config.Modifiers) -> None:
    classifier = IntentClassifier(defaults, ["REI", "Hoka", "Nike"])
    assert classifier.classify(keyword) == "commercial"


def test_a_question_word_later_in_the_keyword_is_not_a_question(plain: IntentClassifier) -> None:
    # "when" and "where" are question words only first; "how" is also a word anywhere.
    assert plain.classify("tent for when it rains") == "commercial"
    assert plain.explain("tents how to pitch") == ("informational", 'word "how"')


def test_extra_transactional_modifier_from_the_configuration(
    defaults: config.Modifiers,
) -> None:
    assert IntentClassifier(defaults).classify("wholesale tents") == "commercial"
    extended = dataclasses.replace(
        defaults, transactional=(*defaults.transactional, "wholesale {product}")
    )
    assert IntentClassifier(extended).explain("wholesale tents") == (
        "transactional",
        'modifier "wholesale"',
    )


def test_a_configured_list_overrides_the_built_in_meaning(defaults: config.Modifiers) -> None:
    # A shop that counts "cheap" as shoppers still comparing moves it to commercial.
    moved = dataclasses.replace(
        defaults,
        commercial=(*defaults.commercial, "cheap {product}"),
        transactional=tuple(p for p in defaults.transactional if p != "cheap {product}"),
    )
    assert IntentClassifier(moved).explain("cheap tents") == ("commercial", 'modifier "cheap"')


def test_a_phrase_in_two_lists_keeps_the_stronger_intent(defaults: config.Modifiers) -> None:
    twice = dataclasses.replace(
        defaults, informational=(*defaults.informational, "{product} deals")
    )
    assert IntentClassifier(twice).classify("tent deals") == "transactional"


def test_a_placeholder_in_the_middle_gives_two_modifiers() -> None:
    modifiers = config.Modifiers(informational=("how to pack {product} for travel",))
    classifier = IntentClassifier(modifiers)
    assert classifier.explain("sleeping bag for travel") == (
        "informational",
        'modifier "for travel"',
    )
    assert classifier.explain("how to pack a tent") == ("informational", 'question word "how"')


def test_the_configurations_navigational_list_holds_brands(defaults: config.Modifiers) -> None:
    shop = dataclasses.replace(defaults, navigational=("Ridgeline Outfitters",))
    assert IntentClassifier(shop).explain("ridgeline outfitters tent") == (
        "navigational",
        'brand "ridgeline outfitters"',
    )
    assert IntentClassifier(shop).classify("ridgeline tent") == "commercial"


@pytest.mark.parametrize(
    ("keyword", "explained"),
    [
        ("best trail running shoes", ("commercial", 'modifier "best"')),
        ("how to clean hiking boots", ("informational", 'question word "how"')),
        ("are crocs waterproof?", ("informational", 'question word "are"')),
        ("crocs waterproof?", ("informational", "question mark")),
        ("ridgeline tent", ("navigational", 'brand "ridgeline"')),
        ("where is the ridgeline store", ("navigational", 'brand "ridgeline" with "store"')),
        ("north face login", ("navigational", 'navigational word "login"')),
        ("nike vs hoka", ("commercial", 'comparison "vs"')),
        ("nike or hoka", ("commercial", 'brands "nike" and "hoka"')),
        ("tents for sale", ("transactional", 'word "for sale"')),
        ("camping store near me", ("transactional", 'modifier "near me"')),
        ("cheapest tents", ("transactional", 'word "cheapest"')),
        ("where to buy tents", ("transactional", 'modifier "buy"')),
        ("trail running shoes", ("commercial", "default: a product phrase")),
    ],
)
def test_explains_the_signal_that_decided(
    branded: IntentClassifier, keyword: str, explained: tuple[str, str]
) -> None:
    assert branded.explain(keyword) == explained


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Best  Trail-Running SHOES", "best trail-running shoes"),
        ("Women’s Hiking Boots Sale!", "women's hiking boots sale"),
        ("HOW TO CLEAN A TENT", "how to clean a tent"),
        ("Ridgeline® Tent", "ridgeline tent"),
    ],
)
def test_labels_keywords_as_written_like_their_normalised_spelling(
    branded: IntentClassifier, written: str, normalised: str
) -> None:
    assert branded.explain(written) == branded.explain(normalised)
    assert branded.explain(written)[1] != "default: a product phrase"


@pytest.fixture
def default_cache_cleared() -> Iterator[None]:
    intent._default_modifiers.cache_clear()
    yield
    intent._default_modifiers.cache_clear()


@pytest.mark.usefixtures("default_cache_cleared")
def test_classify_reads_the_working_folders_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, defaults: config.Modifiers
) -> None:
    (tmp_path / "longtail.toml").write_text(
        '[modifiers]\nextra_transactional = ["wholesale {product}"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert intent.classify("wholesale tents") == "transactional"
    assert intent.classify("wholesale tents", modifiers=defaults) == "commercial"
    assert intent.classify("ridgeline tent", brands=["Ridgeline"]) == "navigational"
    assert intent.INTENTS == ("informational", "commercial", "transactional", "navigational")


# ---------------------------------------------------------------- the command


def test_command_labels_its_arguments() -> None:
    result = longtail("intent", "best trail running shoes", "how to clean hiking boots")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "keyword                    intent\n"
        "best trail running shoes   commercial\n"
        "how to clean hiking boots  informational\n"
    )


def test_command_reads_stdin_one_keyword_a_line_skipping_blanks() -> None:
    result = longtail("intent", input="tents for sale\r\n\n   \n  diy tent footprint  \n")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "keyword             intent\n"
        "tents for sale      transactional\n"
        "diy tent footprint  informational\n"
    )


def test_command_reads_stdin_where_a_dash_stands() -> None:
    result = longtail("intent", "tents for sale", "-", "best tents", input="how to pitch a tent\n")
    assert result.exit_code == 0, result.output
    assert [line.split("  ")[0] for line in result.output.splitlines()[1:]] == [
        "tents for sale",
        "how to pitch a tent",
        "best tents",
    ]


def test_command_explains() -> None:
    result = longtail("intent", "--explain", "best tents", "Tents For Sale")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "keyword         intent         reason\n"
        'best tents      commercial     modifier "best"\n'
        'Tents For Sale  transactional  word "for sale"\n'
    )


def test_command_writes_csv_with_reasons_and_no_formulas() -> None:
    result = longtail("intent", "--format", "csv", input="best tents\n=cheap tents\n")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "keyword,intent,reason\n"
        'best tents,commercial,"modifier ""best"""\n'
        '\'=cheap tents,transactional,"modifier ""cheap"""\n'
    )


def test_command_writes_tsv_unquoted() -> None:
    result = longtail("intent", "--format", "tsv", "best tents", "tent\tstakes")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "keyword\tintent\treason\n"
        'best tents\tcommercial\tmodifier "best"\n'
        "tent stakes\tcommercial\tdefault: a product phrase\n"
    )


def test_command_writes_json_lines() -> None:
    result = longtail("intent", "--format", "json", "nike vs hoka", "Women’s boots")
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.output.splitlines()] == [
        {"keyword": "nike vs hoka", "intent": "commercial", "reason": 'comparison "vs"'},
        {"keyword": "Women’s boots", "intent": "commercial", "reason": "default: a product phrase"},
    ]
    assert "Women’s" in result.output  # as written, not as \u escapes


def test_command_takes_brands() -> None:
    without = longtail("intent", "--format", "tsv", "ridgeline tent")
    with_brand = longtail(
        "intent", "--format", "tsv", "--brand", "Ridgeline", "--brand", "Hoka", "ridgeline tent"
    )
    assert without.output.splitlines()[1] == "ridgeline tent\tcommercial\tdefault: a product phrase"
    assert with_brand.output.splitlines()[1] == 'ridgeline tent\tnavigational\tbrand "ridgeline"'


def test_command_reads_the_config_file(tmp_path: Path) -> None:
    settings = tmp_path / "shop.toml"
    settings.write_text(
        "[modifiers]\n"
        'extra_transactional = ["wholesale {product}"]\n'
        'navigational = ["Ridgeline"]\n',
        encoding="utf-8",
    )
    result = longtail(
        "intent", "--config", settings, "--format", "csv", "wholesale tents", "ridgeline tent"
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "keyword,intent,reason\n"
        'wholesale tents,transactional,"modifier ""wholesale"""\n'
        'ridgeline tent,navigational,"brand ""ridgeline"""\n'
    )


def test_command_reports_a_bad_config_file_as_bad_input(tmp_path: Path) -> None:
    settings = tmp_path / "shop.toml"
    settings.write_text('[modifiers]\nextra_transactionl = ["wholesale {product}"]\n')
    result = longtail("intent", "--config", settings, "tents")
    assert result.exit_code == 2
    assert "modifiers.extra_transactionl is not a setting" in result.output
    assert "did you mean modifiers.extra_transactional?" in result.output
    missing = longtail("intent", "--config", tmp_path / "nowhere.toml", "tents")
    assert missing.exit_code == 2
    assert "no such config file" in missing.output


@pytest.mark.parametrize("stdin", ["", "\n  \n"])
def test_command_without_keywords_says_how_to_give_them(stdin: str) -> None:
    result = CliRunner().invoke(cli, ["intent"], input=stdin)
    assert result.exit_code == 2
    assert "no keywords to label" in result.output
    assert 'longtail intent "best trail running shoes"' in result.output
    assert "cut -f1 keywords.tsv | longtail intent" in result.output


def test_command_neutralises_formulas_like_the_exports() -> None:
    from longtail.export import FORMULA_PREFIXES

    assert intent_cli.FORMULA_PREFIXES == FORMULA_PREFIXES


def test_command_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from longtail.cli import cli\n"
        "try:\n"
        "    cli(['intent', '--format', 'csv', 'best trail running shoes'])\n"
        "except SystemExit as exit_:\n"
        "    assert exit_.code == 0, exit_.code\n"
        "heavy = ['spacy', 'pandas', 'google.ads', 'sqlite_utils', 'grpc', 'pydantic']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[:2] == [
        "keyword,intent,reason",
        'best trail running shoes,commercial,"modifier ""best"""',
    ]
    assert lines[-1] == ""
