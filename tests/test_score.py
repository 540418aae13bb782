"""Scoring: value = avg monthly searches × segment CLV, highest first, no-data last."""

from __future__ import annotations

import pandas as pd
import pytest

from longtail.score import score_keywords, segment_summary


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
