"""Markets: ISO country and language codes and their Google Ads ids.

Google Ads names a country by a geo target constant and a language by a
language constant. The ids below are the ones Google publishes:
geo targets: https://developers.google.com/google-ads/api/data/geotargets
languages:   https://developers.google.com/google-ads/api/data/codes-formats#languages
Kept free of heavy imports so persona validation can use it.
"""

from __future__ import annotations

# ISO 3166-1 alpha-2 -> geo target constant id (country level).
GEO_TARGETS: dict[str, int] = {
    "AR": 2032,
    "AT": 2040,
    "AU": 2036,
    "BE": 2056,
    "BR": 2076,
    "CA": 2124,
    "CH": 2756,
    "CL": 2152,
    "CO": 2170,
    "CZ": 2203,
    "DE": 2276,
    "DK": 2208,
    "ES": 2724,
    "FI": 2246,
    "FR": 2250,
    "GB": 2826,
    "IE": 2372,
    "IN": 2356,
    "IT": 2380,
    "JP": 2392,
    "MX": 2484,
    "NL": 2528,
    "NO": 2578,
    "NZ": 2554,
    "PL": 2616,
    "PT": 2620,
    "SE": 2752,
    "SG": 2702,
    "US": 2840,
    "ZA": 2710,
}

# ISO 639-1 -> language constant id.
LANGUAGES: dict[str, int] = {
    "cs": 1021,
    "da": 1009,
    "de": 1001,
    "en": 1000,
    "es": 1003,
    "fi": 1011,
    "fr": 1002,
    "it": 1004,
    "ja": 1005,
    "nl": 1010,
    "no": 1013,
    "pl": 1030,
    "pt": 1014,
    "sv": 1015,
}

# The Keyword Planner's networks, by the names users write in persona files.
# Values are KeywordPlanNetworkEnum names.
NETWORKS: dict[str, str] = {
    "google-search": "GOOGLE_SEARCH",
    "google-search-and-partners": "GOOGLE_SEARCH_AND_PARTNERS",
}

DEFAULT_NETWORK = "google-search"
