"""What a keyword is worth to a segment: value = avg monthly searches × segment CLV.

Pure functions over DataFrames, vectorised; the store provides the inputs and
keeps the outputs.
"""

from __future__ import annotations

import pandas as pd


def score_keywords(inputs: pd.DataFrame) -> pd.DataFrame:
    """Add `value`, `rank` and `segment_rank` to each (keyword, persona) row; highest value first.

    A keyword without volume data keeps an empty value rather than zero:
    "Google has no data" is not "nobody searches for it". A keyword that
    several personas produce is scored once for each of them, with its own CLV.
    """
    scored = inputs.copy()
    scored["value"] = scored["avg_monthly_searches"].astype("Float64") * scored["segment_clv"]
    scored["value"] = scored["value"].astype("float64")
    scored = scored.sort_values(
        ["value", "persona_id", "keyword"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)
    scored["rank"] = scored["value"].rank(method="min", ascending=False).astype("Int64")
    scored["segment_rank"] = (
        scored.groupby("persona_id")["value"].rank(method="min", ascending=False).astype("Int64")
    )
    return scored


def segment_summary(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per segment: CLV, keywords, how many have volume, total volume and value."""
    grouped = scored.groupby(
        ["persona_id", "persona_name", "segment_clv", "currency"], dropna=False, sort=False
    )
    summary = grouped.agg(
        keywords=("keyword", "size"),
        keywords_with_volume=("avg_monthly_searches", "count"),
        total_monthly_searches=("avg_monthly_searches", "sum"),
        total_value=("value", "sum"),
    ).reset_index()
    summary["total_monthly_searches"] = summary["total_monthly_searches"].astype("int64")
    return summary.sort_values(
        ["total_value", "persona_id"], ascending=[False, True], ignore_index=True
    )
