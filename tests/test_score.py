"""Scoring: value = avg monthly searches × segment CLV, highest first, no-data last."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from longtail.config import EconomicsConfig
from longtail.score import (
    assumptions,
    default_economics,
    explain,
    months_from,
    next_month,
    score_keywords,
    seasonal_profiles,
    segment_summary,
)


def inputs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "keyword": [
                "trail running shoes",
                "hydration vest",
                "trail running shoes",
                "tent pegs",
            ],
            "persona_id": ["runner", "runner", "gift", "gift"],
            "persona_name": ["Runner", "Runner", "Gift", "Gift"],
            "avg_monthly_searches": pd.array([1000, 50, 1000, None], dtype="Int64"),
            "segment_clv": [441.0, 441.0, 55.0, 55.0],
            "currency": ["USD"] * 4,
        }
    )


def test_value_is_volume_times_the_segment_clv() -> None:
    scored = score_keywords(inputs())
    by_pair = {(r.persona_id, r.keyword): r.value for r in scored.itertuples()}
    assert by_pair[("runner", "trail running shoes")] == pytest.approx(441_000.0)
    assert by_pair[("gift", "trail running shoes")] == pytest.approx(55_000.0)
    assert by_pair[("runner", "hydration vest")] == pytest.approx(22_050.0)


def test_sorted_by_value_with_no_data_last_and_unranked() -> None:
    scored = score_keywords(inputs())
    assert list(scored["keyword"]) == [
        "trail running shoes",
        "trail running shoes",
        "hydration vest",
        "tent pegs",
    ]
    assert list(scored["rank"][:3]) == [1, 2, 3]
    assert pd.isna(scored["value"].iloc[3]) and pd.isna(scored["rank"].iloc[3])


def test_a_keyword_of_two_personas_is_scored_for_each() -> None:
    scored = score_keywords(inputs())
    assert sorted(scored.loc[scored.keyword == "trail running shoes", "persona_id"]) == [
        "gift",
        "runner",
    ]


def test_summary_has_one_row_per_segment_ordered_by_value() -> None:
    summary = segment_summary(score_keywords(inputs()))
    assert list(summary["persona_id"]) == ["runner", "gift"]
    runner, gift = summary.to_dict("records")
    assert (
        runner["keywords"],
        runner["keywords_with_volume"],
        runner["total_monthly_searches"],
    ) == (2, 2, 1050)
    assert runner["total_value"] == pytest.approx(441_000.0 + 22_050.0)
    assert (gift["keywords"], gift["keywords_with_volume"], gift["total_monthly_searches"]) == (
        2,
        1,
        1000,
    )
    assert gift["total_value"] == pytest.approx(55_000.0)


def test_each_keyword_is_ranked_within_its_segment_too() -> None:
    scored = score_keywords(inputs())
    ranks = {(r.persona_id, r.keyword): r.segment_rank for r in scored.itertuples()}
    assert ranks[("runner", "trail running shoes")] == 1
    assert ranks[("runner", "hydration vest")] == 2
    # The gift segment's best keyword is its first, though third overall.
    assert ranks[("gift", "trail running shoes")] == 1
    assert pd.isna(ranks[("gift", "tent pegs")])


# ---------------------------------------------------------------- economics

# A small curve and round rates, so each figure below is worked out by hand.
ECONOMICS = EconomicsConfig(
    target_position=2,
    ctr_curve=(0.3, 0.2, 0.1),
    paid_ctr=0.1,
    bid_fraction=1.0,
    cost_basis="high",
    min_search_share=0.05,
    conversion_rates=(
        ("informational", 0.005),
        ("commercial", 0.02),
        ("transactional", 0.03),
        ("navigational", 0.04),
    ),
)


def economics_inputs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "keyword": ["buy trail shoes", "trail shoes review", "trail shoes", "shoe guide"],
            "persona_id": ["runner", "runner", "gift", "gift"],
            "persona_name": ["Runner", "Runner", "Gift", "Gift"],
            "intent": pd.array(["transactional", "commercial", "transactional", None], "string"),
            "avg_monthly_searches": pd.array([1000, 500, 200, None], dtype="Int64"),
            "segment_clv": [441.0, 441.0, 55.0, 55.0],
            "currency": ["USD"] * 4,
            "low_top_of_page_bid": [0.61, 5.00, 3.00, None],
            "high_top_of_page_bid": [2.34, 20.00, 4.00, None],
            "monthly_searches": pd.array(
                [
                    json.dumps([[2025, 1, 100], [2025, 2, 300]]),
                    json.dumps([[2024, 1, 100], [2025, 1, 300], [2025, 7, 400]]),
                    None,
                    None,
                ],
                "string",
            ),
        }
    )


def scored_row(
    persona: str, keyword: str, rates: dict[str, dict[str, float]] | None = None
) -> pd.Series:
    scored = score_keywords(economics_inputs(), ECONOMICS, rates or {})
    return scored[(scored.persona_id == persona) & (scored.keyword == keyword)].iloc[0]


def test_expected_clicks_customers_and_monthly_value_by_hand() -> None:
    row = scored_row("runner", "buy trail shoes")
    assert row.value == pytest.approx(1000 * 441.0)  # the headline figure, kept exactly so
    assert row.expected_clicks == pytest.approx(200.0)  # 1,000 × 20% at position 2
    assert row.conversion_rate == pytest.approx(0.03)  # transactional
    assert row.expected_customers == pytest.approx(6.0)  # 200 × 3%
    assert row.expected_monthly_value == pytest.approx(2646.0)  # 6 × 441


def test_break_even_cpc_and_its_margins_against_the_bids_by_hand() -> None:
    row = scored_row("runner", "buy trail shoes")
    assert row.break_even_cpc == pytest.approx(13.23)  # 3% × 441
    assert row.bid_margin_low == pytest.approx(13.23 - 0.61)
    assert row.bid_margin_high == pytest.approx(13.23 - 2.34)
    assert row.bid_check == "within break-even"


def test_bids_above_break_even_are_flagged_not_hidden() -> None:
    scored = score_keywords(economics_inputs(), ECONOMICS, {})
    checks = dict(zip(scored.keyword, scored.bid_check, strict=True))
    # 2% × 441 = 8.82: the low bid (5) is under it, the high (20) over.
    assert checks["trail shoes review"] == "high bid above break-even"
    # 3% × 55 = 1.65: even the low bid (3) is over it.
    assert checks["trail shoes"] == "low bid above break-even"
    assert pd.isna(checks["shoe guide"])  # no bids: nothing to check
    assert len(scored) == 4


def test_a_persona_file_rate_overrides_the_default_for_its_segment_only() -> None:
    rates = {"gift": {"transactional": 0.05}}
    assert scored_row("gift", "trail shoes", rates).conversion_rate == pytest.approx(0.05)
    assert scored_row("gift", "trail shoes", rates).break_even_cpc == pytest.approx(2.75)
    assert scored_row("runner", "buy trail shoes", rates).conversion_rate == pytest.approx(0.03)


def test_a_keyword_without_intent_converts_like_a_commercial_one() -> None:
    row = scored_row("gift", "shoe guide")
    assert row.conversion_rate == pytest.approx(0.02)
    assert row.break_even_cpc == pytest.approx(1.1)  # 2% × 55, known without volume
    assert pd.isna(row.value) and pd.isna(row.expected_clicks) and pd.isna(row.expected_customers)


def test_seasonal_index_is_each_month_over_the_mean_of_the_months_given() -> None:
    profiles = seasonal_profiles(economics_inputs()["monthly_searches"])
    rows = profiles.for_rows()
    # Jan 100, Feb 300: mean 200, so Jan 0.5 and Feb 1.5; the months not given stay 1.
    assert rows[0, 0] == pytest.approx(0.5) and rows[0, 1] == pytest.approx(1.5)
    assert rows[0, 2:] == pytest.approx([1.0] * 10)
    # Two Januaries (100, 300) average 200; July 400; their mean 300.
    assert rows[1, 0] == pytest.approx(200 / 300) and rows[1, 6] == pytest.approx(400 / 300)
    assert rows[2] == pytest.approx([1.0] * 12)  # no series: flat, not zero


def test_next_twelve_months_and_peak_month_from_the_profile() -> None:
    scored = score_keywords(economics_inputs(), ECONOMICS, {})
    by_keyword = {row.keyword: row for row in scored.itertuples()}
    # 1,000 × (0.5 + 1.5 + 10 × 1): twelve months hold each calendar month once.
    assert by_keyword["buy trail shoes"].next_12_months_searches == pytest.approx(12_000)
    assert by_keyword["buy trail shoes"].peak_month == "Feb"
    assert by_keyword["trail shoes review"].peak_month == "Jul"
    assert by_keyword["trail shoes review"].seasonality == "Keyword Planner monthly volumes"
    assert pd.isna(by_keyword["trail shoes"].peak_month)
    assert by_keyword["trail shoes"].seasonality == "flat: no monthly volumes"


def test_months_from_wraps_the_year() -> None:
    assert next_month(date(2026, 12, 4)) == date(2027, 1, 1)
    assert months_from(date(2026, 11, 1), 3) == [(2026, 11), (2026, 12), (2027, 1)]


def test_segments_are_ranked_by_value_and_by_expected_monthly_value() -> None:
    scored = score_keywords(economics_inputs(), ECONOMICS, {})
    summary = segment_summary(scored, {"gift": ["instagram", "tiktok"]}, min_search_share=0.05)
    runner, gift = summary.to_dict("records")
    # runner: 2,646 + 500 × 20% × 2% × 441 = 2,646 + 882; gift: 200 × 20% × 3% × 55 = 66.
    assert runner["expected_monthly_value"] == pytest.approx(3528.0)
    assert gift["expected_monthly_value"] == pytest.approx(66.0)
    assert (runner["value_rank"], runner["monthly_value_rank"]) == (1, 1)
    assert (gift["value_rank"], gift["monthly_value_rank"]) == (2, 2)
    assert gift["search_share"] == pytest.approx(66 / 3594)
    assert runner["reach"] == "search"
    assert gift["reach"] == "little search demand: reach through instagram, tiktok"
    assert gift["channels"] == "instagram, tiktok"


def test_a_segment_without_channels_is_told_to_list_them() -> None:
    scored = score_keywords(economics_inputs(), ECONOMICS, {})
    gift = segment_summary(scored, {}, min_search_share=0.05).iloc[1]
    assert gift["reach"] == "little search demand: list this segment's channels in its persona file"


def test_explain_shows_each_figure_with_its_inputs() -> None:
    row = scored_row("gift", "trail shoes", {"gift": {"transactional": 0.05}})
    lines = {
        what: (figure, how)
        for what, figure, how in explain(
            row.to_dict(), ECONOMICS, {"gift": {"transactional": 0.05}}, "stated: 55"
        )
    }
    assert lines["segment CLV"] == ("55.00 USD", "stated: 55")
    assert lines["value"] == ("11,000.00 USD", "200 × 55.00 USD")
    assert lines["expected clicks / month"] == (
        "40.0",
        "200 × 20.0% organic CTR at position 2",
    )
    assert lines["conversion rate"] == ("5.00%", "transactional (persona file)")
    assert lines["expected customers / month"] == ("2.00", "40.0 × 5.00%")
    assert lines["expected monthly value"] == ("110.00 USD", "2.00 × 55.00 USD")
    assert lines["break-even CPC"] == ("2.75 USD", "5.00% × 55.00 USD")
    assert lines["margin vs low bid"] == ("-0.25 USD", "2.75 USD − 3.00 USD")
    assert lines["bid check"][0] == "low bid above break-even"


def test_explain_of_a_keyword_without_volume_says_so() -> None:
    row = scored_row("gift", "shoe guide")
    lines = explain(row.to_dict(), ECONOMICS, {}, None)
    assert lines[0] == ("avg monthly searches", "no data", "Keyword Planner, the persona's market")
    assert lines[-1][0:2] == ("value", "none")


def test_assumptions_list_every_input_with_its_source() -> None:
    rows = assumptions(ECONOMICS, {"gift": {"transactional": 0.05}}, "longtail.toml")
    table = {what: (value, source) for what, value, source in rows}
    assert table["target organic position"] == ("2", "longtail.toml")
    assert table["organic CTR by position"][0] == "1: 30.0%, 2: 20.0%, 3: 10.0%"
    assert table["CTR at the target position"][0] == "20.0%"
    assert table["conversion rate, transactional"] == ("3.00%", "longtail.toml")
    assert table["conversion rate, transactional, gift"] == ("5.00%", "persona file")
    assert table["paid CTR (forecast)"][0] == "10.00%"


def test_the_bundled_ctr_curve_is_sistrix_2020() -> None:
    economics = default_economics()
    assert economics.ctr_curve[:3] == (0.285, 0.157, 0.110)
    assert economics.ctr_curve[9] == 0.025
    assert economics.ctr == 0.110  # position 3 by default


def test_a_malformed_monthly_series_counts_as_no_data_for_those_months() -> None:
    series = pd.Series(
        ['[[2025, 1, 100], [2025, 2, "x"], [2025, 3, 300]]', "[[2025, 13, 5]]", "not json"],
        dtype="string",
    )
    # The unreadable parts of a series are skipped, never read as zero searches.
    profiles = seasonal_profiles(series)
    rows = profiles.for_rows()
    assert rows[0, 0] == pytest.approx(0.5) and rows[0, 2] == pytest.approx(1.5)
    assert rows[0, 1] == pytest.approx(1.0)
    assert rows[1] == pytest.approx([1.0] * 12)
    assert rows[2] == pytest.approx([1.0] * 12)
    assert profiles.source[profiles.row_profile[2]] == "flat: no monthly volumes"


def test_a_google_trends_index_replaces_the_keyword_planner_profile() -> None:
    inputs = economics_inputs()
    trends = [2.0, 0.0] + [1.0] * 10  # a stored Trends index: January doubled, no February
    inputs["trends_index"] = pd.array([json.dumps(trends), None, "[1, 2]", None], "string")
    scored = score_keywords(inputs, ECONOMICS, {})
    by_keyword = {row.keyword: row for row in scored.itertuples()}
    assert by_keyword["buy trail shoes"].seasonality == "Google Trends, 5 years"
    assert by_keyword["buy trail shoes"].peak_month == "Jan"  # Keyword Planner said Feb
    # A row without a usable index (none, or not twelve factors) keeps its own profile.
    assert by_keyword["trail shoes review"].peak_month == "Jul"
    assert by_keyword["trail shoes"].seasonality == "flat: no monthly volumes"


def test_scoring_leaves_its_inputs_as_they_were() -> None:
    given = economics_inputs()
    before = given.copy()
    score_keywords(given, ECONOMICS, {})
    pd.testing.assert_frame_equal(given, before)
