"""Ad groups, match types, max CPC, negatives, campaigns and the content plan.

Grouping runs the English model longtail installs, loaded once per process;
keyword volumes and bids here are made up for the test, and every expected
figure is worked out by hand in the test that checks it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from spacy.language import Language

from longtail.config import GroupingConfig, check_match_types, grouping_config, load_config
from longtail.errors import InputError
from longtail.expand import expand_personas, load_nlp
from longtail.groups import (
    NAME_LIMIT,
    CampaignPersona,
    ad_groups,
    bundled_negatives,
    campaigns,
    content_plan,
    currency_exponent,
    group_keywords,
    keyword_rows,
    max_cpc,
    negatives,
)
from longtail.intent import IntentClassifier
from longtail.personas import load_personas

EXAMPLE_PERSONAS = Path(__file__).resolve().parent.parent / "personas"

RUNNER = CampaignPersona(
    id="trail-runner",
    name="Weekend trail runner",
    geo=("US", "CA"),
    language="en",
    currency="USD",
    negative_keywords=("Free", "used", "[cheap shoes]"),
    brands=("Hoka",),
    landing_page="https://ridgeline.example/trail",
)
CLIMBER = CampaignPersona(
    id="climber",
    name="Climbing gym beginner",
    geo=("US",),
    language="en",
    currency="USD",
    negative_keywords=("rental",),
    brands=("La Sportiva", "hoka"),
)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_nlp()


def scored(
    entries: Sequence[tuple[str, int | None]],
    persona: CampaignPersona = RUNNER,
    intent: str | None = "commercial",
    **columns: Any,
) -> pd.DataFrame:
    """Scored keyword rows of one persona: (keyword, avg monthly searches), value = 2 × volume."""
    volumes = pd.array([volume for _, volume in entries], dtype="Int64")
    frame = pd.DataFrame(
        {
            "keyword": pd.array([keyword for keyword, _ in entries], dtype="string"),
            "persona_id": persona.id,
            "persona_name": persona.name,
            "intent": pd.array([intent] * len(entries), dtype="string"),
            "avg_monthly_searches": volumes,
            "value": pd.Series(volumes, dtype="Float64").astype("float64") * 2,
            "currency": persona.currency,
            "high_top_of_page_bid": math.nan,
            "break_even_cpc": 1.0,
        }
    )
    for name, value in columns.items():
        frame[name] = value
    return frame


def members(grouped: pd.DataFrame) -> dict[str, set[str]]:
    """Each ad group's keywords."""
    found: dict[str, set[str]] = {}
    for name, keyword in zip(grouped["ad_group"], grouped["keyword"], strict=True):
        if not pd.isna(name):
            found.setdefault(str(name), set()).add(str(keyword))
    return found


# ---------------------------------------------------------------- grouping


def test_keywords_with_the_same_head_product_and_modifier_form_one_ad_group(
    nlp: Language,
) -> None:
    grouped = group_keywords(
        scored(
            [
                ("waterproof trail running shoes", 1000),
                ("waterproof trail running shoes for men", 200),
                ("trail running socks", 300),
                ("best trail running socks", 50),
                ("trail running shoes", 500),
                ("best trail running shoes", 100),
            ]
        ),
        nlp,
    )
    assert members(grouped) == {
        "Waterproof trail running shoes": {
            "waterproof trail running shoes",
            "waterproof trail running shoes for men",
        },
        "Trail running shoes": {"trail running shoes", "best trail running shoes"},
        "Trail running socks": {"trail running socks", "best trail running socks"},
    }
    themes = dict(zip(grouped["keyword"], grouped["theme"], strict=True))
    assert themes["waterproof trail running shoes for men"] == "trail running shoe | waterproof"
    assert themes["best trail running socks"] == "trail running sock"
    products = dict(zip(grouped["keyword"], grouped["product"], strict=True))
    assert products["waterproof trail running shoes for men"] == "trail running shoe"


def test_a_lone_keyword_joins_the_nearest_group_of_its_product_or_stays_alone(
    nlp: Language,
) -> None:
    grouped = group_keywords(
        scored(
            [
                ("trail running shoes", 500),
                ("best trail running shoes", 100),
                ("waterproof trail running shoes", 400),
                ("waterproof trail running shoes review", 100),
                ("trail running shoes for wide feet", 90),
                ("hydration vest for ultramarathons", 80),
            ]
        ),
        nlp,
    )
    assert members(grouped) == {
        # Shares "trail running shoe" with both shoe groups and lacks nothing of this one.
        "Trail running shoes": {
            "trail running shoes",
            "best trail running shoes",
            "trail running shoes for wide feet",
        },
        "Waterproof trail running shoes": {
            "waterproof trail running shoes",
            "waterproof trail running shoes review",
        },
        # No other vest: a different product is never merged into shoes.
        "Hydration vest for ultramarathons": {"hydration vest for ultramarathons"},
    }


def test_of_two_lone_keywords_the_more_specific_joins_the_more_general(nlp: Language) -> None:
    grouped = group_keywords(
        scored(
            [
                ("lightweight hydration vest", 100),
                ("lightweight hydration vest for ultramarathons", 200),
            ]
        ),
        nlp,
    )
    # Named after the general one, though the specific one is searched more.
    assert members(grouped) == {
        "Lightweight hydration vest": {
            "lightweight hydration vest",
            "lightweight hydration vest for ultramarathons",
        }
    }


def test_a_group_over_the_limit_is_cut_into_numbered_parts(nlp: Language) -> None:
    keywords = [
        ("trail running shoes", 5),
        ("best trail running shoes", 4),
        ("buy trail running shoes", 3),
        ("cheap trail running shoes", 2),
        ("trail running shoes sale", 1),
    ]
    grouped = group_keywords(scored(keywords), nlp, GroupingConfig(max_keywords_per_group=3))
    # One theme (intent words are not part of it), cut 3 + 2, alphabetically.
    assert members(grouped) == {
        "Trail running shoes 1/2": {
            "best trail running shoes",
            "buy trail running shoes",
            "cheap trail running shoes",
        },
        "Trail running shoes 2/2": {"trail running shoes", "trail running shoes sale"},
    }
    whole = group_keywords(scored(keywords), nlp)
    assert members(whole) == {"Trail running shoes": {keyword for keyword, _ in keywords}}


def test_a_group_is_cut_by_its_keywords_next_qualifier_first(nlp: Language) -> None:
    grouped = group_keywords(
        scored(
            [
                ("lightweight hydration vest", 9),
                ("cheap lightweight hydration vest", 8),
                ("lightweight hydration vest for women", 7),
                ("lightweight hydration vest for ultramarathons", 6),
                ("best lightweight hydration vest for women", 5),
                ("hydration vest", 4),
                ("best hydration vest", 3),
                ("buy hydration vest", 2),
            ]
        ),
        nlp,
        GroupingConfig(max_keywords_per_group=3),
    )
    # Alphabetically "best lightweight ... for women" would open part 1; by
    # the next qualifier both "for women" keywords stay together in part 2.
    assert members(grouped) == {
        "Hydration vest": {"hydration vest", "best hydration vest", "buy hydration vest"},
        "Lightweight hydration vest 1/2": {
            "lightweight hydration vest",
            "cheap lightweight hydration vest",
            "lightweight hydration vest for ultramarathons",
        },
        "Lightweight hydration vest 2/2": {
            "lightweight hydration vest for women",
            "best lightweight hydration vest for women",
        },
    }


def test_a_group_is_named_after_its_most_searched_keyword(nlp: Language) -> None:
    grouped = group_keywords(
        scored([("trail running shoe", 10), ("trail running shoes", 1000)]), nlp
    )
    assert set(grouped["ad_group"]) == {"Trail running shoes"}
    singular = group_keywords(
        scored([("trail running shoe", 1000), ("trail running shoes", 10)]), nlp
    )
    assert set(singular["ad_group"]) == {"Trail running shoe"}


def test_grouping_is_the_same_whatever_the_order_of_the_rows(nlp: Language) -> None:
    entries = [
        ("waterproof trail running shoes", 1000),
        ("waterproof trail running shoes for men", 200),
        ("trail running shoes", 500),
        ("best trail running shoes", None),
        ("trail running socks", 300),
        ("hydration vest", 300),
        ("buy hydration vest", 300),
    ]
    frame = pd.concat([scored(entries), scored(entries, CLIMBER)], ignore_index=True)
    expected = group_keywords(frame, nlp)
    shuffled = frame.sample(frac=1, random_state=random.Random(7).randrange(1000))
    pd.testing.assert_frame_equal(group_keywords(shuffled, nlp), expected)
    # Sorted by persona, ad group, then most searched; each persona grouped on its own.
    assert list(expected["persona_id"]) == ["climber"] * 7 + ["trail-runner"] * 7
    runner = expected[expected["persona_id"] == "trail-runner"]
    assert list(runner["keyword"]) == [
        "buy hydration vest",
        "hydration vest",
        "trail running shoes",
        "best trail running shoes",
        "trail running socks",
        "waterproof trail running shoes",
        "waterproof trail running shoes for men",
    ]
    assert members(runner) == members(expected[expected["persona_id"] == "climber"])


def test_ad_group_names_fit_google_ads_limit_and_end_on_a_whole_word(nlp: Language) -> None:
    long_phrase = " ".join(["trail"] * 60 + ["shoes"])  # 305 characters
    grouped = group_keywords(scored([("a" * 300, 10), (long_phrase, 5)]), nlp)
    names = list(grouped["ad_group"])
    assert names[0] == "A" + "a" * (NAME_LIMIT - 1)
    assert len(names[1]) <= NAME_LIMIT
    assert set(names[1].split()) == {"Trail", "trail"}  # no cut "tra"


def test_informational_keywords_get_no_ad_group_unless_asked(nlp: Language) -> None:
    frame = pd.concat(
        [
            scored([("trail running shoes", 100), ("best trail running shoes", 50)]),
            scored([("how to choose trail running shoes", 80)], intent="informational"),
            scored([("trail running socks", 10)], intent=None),
        ],
        ignore_index=True,
    )
    grouped = group_keywords(frame, nlp)
    assert members(grouped) == {
        "Trail running shoes": {"trail running shoes", "best trail running shoes"},
        "Trail running socks": {"trail running socks"},
    }
    asked = group_keywords(frame, nlp, GroupingConfig(ad_intents=("commercial", "informational")))
    assert "how to choose trail running shoes" in members(asked)["Trail running shoes"]


def test_example_personas_make_groups_within_the_rules(nlp: Language, tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    candidates = expand_personas(load_personas([EXAMPLE_PERSONAS]), nlp, config)
    labels = IntentClassifier(config.modifiers)
    frame = pd.DataFrame(
        {
            "keyword": [c.keyword for c in candidates],
            "persona_id": [c.persona_id for c in candidates],
            "intent": [labels.classify(c.keyword) for c in candidates],
            "avg_monthly_searches": pd.array(
                [len(c.keyword) * 10 for c in candidates], dtype="Int64"
            ),
            "value": [len(c.keyword) * 25.0 for c in candidates],
        }
    )
    grouped = group_keywords(frame, nlp, modifiers=config.modifiers)
    assert len(grouped) == len(frame)
    ads = grouped[grouped["intent"] != "informational"]
    assert ads["ad_group"].notna().all()
    assert grouped.loc[grouped["intent"] == "informational", "ad_group"].isna().all()
    sizes = ads.groupby(["persona_id", "ad_group"]).size()
    assert sizes.max() <= 20
    assert ads["ad_group"].str.len().max() <= NAME_LIMIT
    for _, rows in ads.groupby("persona_id"):
        names = set(rows["ad_group"])
        assert len({name.casefold() for name in names}) == len(names)
    # The example shop's own products come out as groups of their own.
    runner = members(ads[ads["persona_id"] == "trail-runner"])
    assert "trail running shoes" in runner["Trail running shoes"]
    assert "buy hydration vest" in runner["Hydration vest"]
    assert "hydration vest price" in runner["Hydration vest"]


# ---------------------------------------------------------------- match types


def test_keywords_go_to_ads_as_exact_and_phrase_by_default(nlp: Language) -> None:
    grouped = group_keywords(
        scored([("trail running shoes", 100), ("buy hydration vest", 80)]), nlp
    )
    rows = keyword_rows(grouped, [RUNNER])
    assert list(zip(rows["ad_group"], rows["keyword"], rows["match_type"], strict=True)) == [
        ("Hydration vest", "buy hydration vest", "Exact"),
        ("Hydration vest", "buy hydration vest", "Phrase"),
        ("Trail running shoes", "trail running shoes", "Exact"),
        ("Trail running shoes", "trail running shoes", "Phrase"),
    ]
    assert set(rows["campaign"]) == {"Weekend trail runner"}
    assert set(rows["final_url"]) == {"https://ridgeline.example/trail"}
    broad = keyword_rows(grouped, [RUNNER], GroupingConfig(match_types=("exact", "broad")))
    assert list(broad["match_type"]) == ["Exact", "Broad", "Exact", "Broad"]


@pytest.mark.parametrize(
    "name", ["bmm", "BMM", "broad match modifier", "Broad_Match_Modifier", "modified broad"]
)
def test_broad_match_modifier_is_refused_as_retired(name: str) -> None:
    with pytest.raises(InputError, match=r"groups\.match_types: .*retired by Google in 2021"):
        GroupingConfig(match_types=("exact", name))


def test_match_types_are_checked_and_kept_once_in_order() -> None:
    assert check_match_types(["Phrase", "exact", "phrase"]) == ("phrase", "exact")
    with pytest.raises(InputError, match=r"'phrse' is not a match type; did you mean 'phrase'"):
        check_match_types(["phrse"])
    with pytest.raises(InputError, match="is empty"):
        check_match_types([])


# ---------------------------------------------------------------- max CPC


@pytest.mark.parametrize(
    ("break_even", "high_bid", "currency", "expected"),
    [
        (2.0, math.nan, "USD", 1.60),  # 2.00 × 0.8
        (5.0, 2.345, "USD", 2.34),  # 4.00 capped at 2.345, rounded down
        (2.0, 0.0, "USD", 1.60),  # a zero high bid is no data, not a cap
        (2.999, math.nan, "USD", 2.39),  # 2.3992 rounded down, not to 2.40
        (0.7, math.nan, "USD", 0.56),  # 0.7 × 0.8 is 0.5599999999999999 in floats
        (0.004, math.nan, "USD", 0.01),  # never below one cent
        (154.99, math.nan, "JPY", 123.0),  # 123.992 yen, whole yen
        (0.5, math.nan, "JPY", 1.0),  # never below one yen
        (1.5432, math.nan, "KWD", 1.234),  # 1.23456 dinar, three decimals
        (2.0, math.nan, "eur", 1.60),
    ],
)
def test_max_cpc_is_a_fraction_of_break_even_capped_and_rounded_down(
    break_even: float, high_bid: float, currency: str, expected: float
) -> None:
    frame = pd.DataFrame(
        {"break_even_cpc": [break_even], "high_top_of_page_bid": [high_bid], "currency": [currency]}
    )
    assert max_cpc(frame).iloc[0] == pytest.approx(expected, abs=1e-9)


def test_max_cpc_is_empty_without_break_even_and_follows_the_fraction() -> None:
    frame = pd.DataFrame(
        {
            "break_even_cpc": [math.nan, 2.0, 3.0],
            "high_top_of_page_bid": [2.0, math.nan, 1.0],
            "currency": ["USD", "USD", "USD"],
        }
    )
    bids = max_cpc(frame, GroupingConfig(cpc_fraction=0.5))
    assert math.isnan(bids.iloc[0])  # the campaign's default bid applies
    assert list(bids.iloc[1:]) == [1.00, 1.00]  # 2 × 0.5; 3 × 0.5 = 1.5 capped at 1
    assert [currency_exponent(c) for c in ("JPY", "KRW", "BHD", "USD", None)] == [0, 0, 3, 2, 2]


def test_keyword_rows_carry_each_keywords_max_cpc(nlp: Language) -> None:
    frame = scored([("trail running shoes", 100), ("buy hydration vest", 80)])
    frame["break_even_cpc"] = [2.0, math.nan]
    frame["high_top_of_page_bid"] = [1.5, 3.0]
    rows = keyword_rows(group_keywords(frame, nlp), [RUNNER])
    bids = dict(zip(rows["keyword"], rows["max_cpc"], strict=False))
    assert bids["trail running shoes"] == 1.5  # 1.60 capped at the high bid
    assert math.isnan(bids["buy hydration vest"])


@pytest.mark.parametrize("fraction", [0, 1.5, -0.2])
def test_a_cpc_fraction_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(InputError, match=r"groups\.cpc_fraction: .* at most 1"):
        GroupingConfig(cpc_fraction=fraction)


# ---------------------------------------------------------------- negatives


def two_campaigns(nlp: Language) -> pd.DataFrame:
    frame = pd.concat(
        [
            scored(
                [
                    ("trail running shoes", 100),
                    ("best trail running shoes", 90),
                    ("trail running shoes free shipping", 50),
                ]
            ),
            scored([("climbing shoes", 70), ("la sportiva climbing shoes", 20)], CLIMBER),
        ],
        ignore_index=True,
    )
    return group_keywords(frame, nlp)


def test_negatives_come_from_persona_config_bundle_and_other_brands(nlp: Language) -> None:
    found = negatives(
        two_campaigns(nlp),
        [RUNNER, CLIMBER],
        GroupingConfig(extra_negatives=("Wholesale",), exclude_other_brands=True),
        bundled=("free", "jobs", "used"),
    )
    rows = list(found.negatives.itertuples(index=False, name=None))
    assert rows == [
        ("Climbing gym beginner", "rental", "Negative Phrase", "persona"),
        ("Climbing gym beginner", "wholesale", "Negative Phrase", "config"),
        ("Climbing gym beginner", "free", "Negative Phrase", "bundled"),
        ("Climbing gym beginner", "jobs", "Negative Phrase", "bundled"),
        ("Climbing gym beginner", "used", "Negative Phrase", "bundled"),
        # The runner's "Hoka" is the climber's brand too, so not a negative here.
        ("Weekend trail runner", "cheap shoes", "Negative Exact", "persona"),
        ("Weekend trail runner", "used", "Negative Phrase", "persona"),
        ("Weekend trail runner", "wholesale", "Negative Phrase", "config"),
        ("Weekend trail runner", "jobs", "Negative Phrase", "bundled"),
        ("Weekend trail runner", "la sportiva", "Negative Phrase", "other-brand"),
    ]
    # "Free" (persona) and "free" (bundled) are one negative, and it would
    # block the runner's own free-shipping keyword: left out and reported.
    assert list(found.conflicts.itertuples(index=False, name=None)) == [
        (
            "Weekend trail runner",
            "free",
            "Negative Phrase",
            "persona",
            "trail running shoes free shipping",
            "Trail running shoes",
        )
    ]


def test_other_brands_are_not_negatives_unless_asked(nlp: Language) -> None:
    found = negatives(two_campaigns(nlp), [RUNNER, CLIMBER], bundled=())
    assert "other-brand" not in set(found.negatives["source"])


def test_an_exact_negative_conflicts_only_with_the_same_keyword(nlp: Language) -> None:
    runner = CampaignPersona(
        id="trail-runner",
        name="Weekend trail runner",
        negative_keywords=("[trail running shoes]", "[trail running]", "-shoes"),
    )
    found = negatives(two_campaigns(nlp), [runner, CLIMBER], bundled=())
    kept = found.negatives[found.negatives["campaign"] == "Weekend trail runner"]
    assert list(zip(kept["keyword"], kept["match_type"], strict=True)) == [
        ("trail running", "Negative Exact")
    ]
    blocked = {(row.negative, row.keyword) for row in found.conflicts.itertuples()}
    assert blocked == {
        ("trail running shoes", "trail running shoes"),
        ("shoes", "trail running shoes"),
        ("shoes", "best trail running shoes"),
        ("shoes", "trail running shoes free shipping"),
    }


def test_negatives_can_default_to_exact_match(nlp: Language) -> None:
    found = negatives(
        two_campaigns(nlp),
        [RUNNER, CLIMBER],
        GroupingConfig(negative_match_type="Exact", exclude_other_brands=True),
        bundled=("jobs",),
    )
    types = dict(zip(found.negatives["keyword"], found.negatives["match_type"], strict=False))
    assert types["jobs"] == "Negative Exact"
    assert types["la sportiva"] == "Negative Phrase"  # a brand blocks every search with it
    # As an exact negative "free" blocks only the search "free": no conflict.
    assert found.conflicts.empty


def test_the_bundled_list_holds_non_buying_terms_without_comments() -> None:
    terms = bundled_negatives()
    assert {"free", "jobs", "job", "diy", "used", "second hand", "secondhand", "pdf"} <= set(terms)
    assert all(term == term.strip() and term and not term.startswith("#") for term in terms)
    assert len(terms) == len(set(terms))
    assert "manual" not in terms  # "manual coffee grinder" is bought


# ---------------------------------------------------------------- campaigns


def test_each_persona_gets_a_paused_campaign_with_its_market() -> None:
    frame = campaigns([RUNNER, CLIMBER])
    assert frame.to_dict("records") == [
        {
            "campaign": "Climbing gym beginner",
            "persona_ids": "climber",
            "status": "Paused",
            "geo": "US",
            "language": "en",
            "currency": "USD",
            "geo_target_ids": "2840",
            "language_ids": "1000",
            "networks": "Google search",
        },
        {
            "campaign": "Weekend trail runner",
            "persona_ids": "trail-runner",
            "status": "Paused",
            "geo": "US;CA",
            "language": "en",
            "currency": "USD",
            "geo_target_ids": "2840;2124",
            "language_ids": "1000",
            "networks": "Google search",
        },
    ]


def test_a_persona_on_search_partners_too_gets_both_networks() -> None:
    partners = CampaignPersona(id="p", name="P", network="google-search-and-partners")
    assert campaigns([partners])["networks"].tolist() == ["Google search;Search partners"]


def test_personas_of_one_name_get_campaigns_of_their_own() -> None:
    twin = CampaignPersona(id="trail-runner-eu", name="Weekend trail runner")
    assert list(campaigns([RUNNER, twin])["campaign"]) == [
        "Weekend trail runner (trail-runner)",
        "Weekend trail runner (trail-runner-eu)",
    ]


def test_single_campaign_has_an_ad_group_per_persona_and_theme(nlp: Language) -> None:
    settings = GroupingConfig(single_campaign=True, exclude_other_brands=True)
    frame = campaigns([RUNNER, CLIMBER], settings)
    assert frame[["campaign", "persona_ids", "status", "geo"]].to_dict("records") == [
        {
            "campaign": "Long-tail keywords",
            "persona_ids": "trail-runner;climber",
            "status": "Paused",
            "geo": "US;CA",
        }
    ]
    grouped = two_campaigns(nlp)
    rows = keyword_rows(grouped, [RUNNER, CLIMBER], settings)
    assert set(rows["campaign"]) == {"Long-tail keywords"}
    assert set(rows["ad_group"]) == {
        "Climbing gym beginner - Climbing shoes",
        "Weekend trail runner - Trail running shoes",
    }
    found = negatives(grouped, [RUNNER, CLIMBER], settings, bundled=())
    # Every brand has keywords in the one campaign: no brand is a negative there.
    assert set(found.negatives["source"]) == {"persona"}
    assert set(found.negatives["campaign"]) == {"Long-tail keywords"}
    assert {"rental", "used", "cheap shoes"} <= set(found.negatives["keyword"])


def test_single_campaign_refuses_personas_of_two_currencies() -> None:
    euro = CampaignPersona(id="eu", name="EU runner", currency="EUR")
    with pytest.raises(InputError, match=r"EUR, USD.*single_campaign = false"):
        campaigns([RUNNER, euro], GroupingConfig(single_campaign=True))


def test_keywords_of_a_persona_not_given_are_refused(nlp: Language) -> None:
    with pytest.raises(InputError, match="'climber'"):
        keyword_rows(two_campaigns(nlp), [RUNNER])


def test_ad_groups_sum_their_keywords(nlp: Language) -> None:
    summary = ad_groups(two_campaigns(nlp), [RUNNER, CLIMBER])
    runner = summary[summary["campaign"] == "Weekend trail runner"].iloc[0]
    assert runner["ad_group"] == "Trail running shoes"
    assert runner["keywords"] == 3
    assert runner["top_keyword"] == "trail running shoes"
    assert runner["total_monthly_searches"] == 100 + 90 + 50
    assert runner["total_value"] == pytest.approx(2 * 240)


# ---------------------------------------------------------------- content plan


def test_content_plan_groups_informational_keywords_into_topics(nlp: Language) -> None:
    frame = pd.concat(
        [
            scored(
                [
                    ("how to choose trail running shoes", 500),
                    ("trail running shoes guide", 300),
                    ("how to clean trail running shoes", None),
                    ("how to prevent blisters", 900),
                ],
                intent="informational",
            ),
            scored([("best trail running shoes", 5000)]),
            scored([("how to choose climbing shoes", 100)], CLIMBER, intent="informational"),
        ],
        ignore_index=True,
    )
    plan = content_plan(frame, nlp)
    assert plan[["persona_id", "topic", "keywords", "keyword_count"]].to_dict("records") == [
        {
            "persona_id": "trail-runner",
            "topic": "How to prevent blisters",
            "keywords": "how to prevent blisters",
            "keyword_count": 1,
        },
        {
            "persona_id": "trail-runner",
            "topic": "How to choose trail running shoes",
            "keywords": "how to choose trail running shoes; trail running shoes guide; "
            "how to clean trail running shoes",
            "keyword_count": 3,
        },
        {
            "persona_id": "climber",
            "topic": "How to choose climbing shoes",
            "keywords": "how to choose climbing shoes",
            "keyword_count": 1,
        },
    ]
    assert list(plan["total_monthly_searches"]) == [900, 500 + 300, 100]
    assert list(plan["total_value"]) == pytest.approx([1800.0, 1600.0, 200.0])
    # The grouped keywords' products are used as they are: the same plan.
    pd.testing.assert_frame_equal(content_plan(group_keywords(frame, nlp)), plan)


def test_a_topic_without_any_volume_has_no_totals(nlp: Language) -> None:
    plan = content_plan(scored([("what is liquid chalk", None)], intent="informational"), nlp)
    assert plan["topic"].tolist() == ["What is liquid chalk"]
    assert pd.isna(plan["total_monthly_searches"].iloc[0])
    assert math.isnan(plan["total_value"].iloc[0])


# ---------------------------------------------------------------- configuration


def test_grouping_config_reads_a_toml_table() -> None:
    settings = grouping_config(
        {"match_types": ["exact", "broad"], "cpc_fraction": 1, "extra_negatives": ["rent"]}
    )
    assert settings.match_types == ("exact", "broad")
    assert settings.cpc_fraction == 1
    assert settings.extra_negatives == ("rent",)
    assert settings.max_keywords_per_group == 20


def test_grouping_config_reports_every_problem_with_its_source() -> None:
    with pytest.raises(InputError) as error:
        grouping_config(
            {
                "max_keywords_per_group": "20",
                "single_campaign": "yes",
                "extra_negatives": "free",
                "match_type": ["exact"],
            },
            "longtail.toml",
        )
    assert str(error.value).splitlines() == [
        "longtail.toml: groups.max_keywords_per_group: '20' is not a whole number",
        "longtail.toml: groups.single_campaign: 'yes' is not true or false",
        "longtail.toml: groups.extra_negatives: 'free' is not a list of text, e.g. [\"exact\", "
        '"phrase"]',
        "longtail.toml: groups.match_type is not a setting longtail knows; "
        "did you mean groups.match_types?",
    ]
    with pytest.raises(InputError, match=r"^longtail.toml: groups.ad_intents: 'shopping'"):
        grouping_config({"ad_intents": ["shopping"]}, "longtail.toml")
