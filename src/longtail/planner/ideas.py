"""Keyword ideas from the Keyword Planner: a persona's seeds widened by Google.

`fetch_keyword_ideas` sends the seeds to
`KeywordPlanIdeaService.GenerateKeywordIdeas`, at most 20 a request, and
follows every page at the largest page size. Ideas carry the same historical
metrics as a GenerateKeywordHistoricalMetrics result, so they are kept too:
the volume lookup that follows finds them fresh in the store and does not ask
for them again.

Google does not say which seed of a request an idea came from. Each idea is
credited to the seed it shares the most words with (the first seed of the
request when it shares none), which is the seed a marketer would name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from longtail.planner.metrics import (
    KeywordMetrics,
    enum_name,
    geo_target_constants,
    keyword_metrics_from,
    keyword_plan_network,
    language_constant,
)
from longtail.planner.service import KEYWORD_IDEAS
from longtail.text import normalise_keyword

if TYPE_CHECKING:
    from longtail.planner.service import PlanningService

# KeywordSeed.keywords: "1 to 20 seed keywords per request" (DESIGN.md, from
# the GenerateKeywordIdeasRequest reference).
SEEDS_PER_REQUEST = 20

# GenerateKeywordIdeasRequest.page_size: "A maximum of 10,000 results may be
# returned, if the page_size exceeds this, it is ignored."
IDEAS_PAGE_SIZE = 10_000


@dataclass(frozen=True)
class KeywordIdea:
    """One idea Google returned, with the seed it is credited to and its metrics."""

    keyword: str  # normalised with longtail.text.normalise_keyword
    seed: str
    metrics: KeywordMetrics
    # (concept name, concept group type) pairs, e.g. ("Nike", "OTHER_BRANDS");
    # present only when annotations were asked for.
    concepts: tuple[tuple[str, str], ...] = ()


def fetch_keyword_ideas(
    service: PlanningService,
    seeds: Sequence[str],
    *,
    geo: Sequence[str],
    language: str,
    network: str = "google-search",
    annotations: bool = False,
    on_page: Callable[[list[KeywordIdea]], None] | None = None,
    seeds_per_request: int = SEEDS_PER_REQUEST,
    page_size: int = IDEAS_PAGE_SIZE,
) -> list[KeywordIdea]:
    """Every idea for `seeds`, each once (first seen wins), in the order Google returned them.

    `on_page` is called after each page so a caller can store it before the
    next request. Adult keywords are never asked for.
    """
    if not 1 <= seeds_per_request <= SEEDS_PER_REQUEST:
        raise ValueError(f"seeds_per_request must be 1..{SEEDS_PER_REQUEST}")
    geo_names = geo_target_constants(geo)
    language_name = language_constant(language)
    network_name = keyword_plan_network(network)
    unique_seeds = list(dict.fromkeys(s for s in map(normalise_keyword, seeds) if s))

    seen: dict[str, KeywordIdea] = {}
    for group in _groups(unique_seeds, seeds_per_request):
        request = service.client.get_type("GenerateKeywordIdeasRequest")
        request.customer_id = service.customer_id
        request.keyword_seed.keywords.extend(group)
        request.geo_target_constants.extend(geo_names)
        request.language = language_name
        request.keyword_plan_network = network_name
        request.include_adult_keywords = False
        request.page_size = page_size
        if annotations:
            request.keyword_annotation.append("KEYWORD_CONCEPT")
        while True:
            response = service.send(KEYWORD_IDEAS, request)
            results = type(response).pb(response).results
            page = [idea for idea in _ideas(results, group) if idea.keyword not in seen]
            for idea in page:
                seen[idea.keyword] = idea
            if on_page is not None:
                on_page(page)
            if not response.next_page_token:
                break
            # "The request fields must match across pages": only the token changes.
            request.page_token = response.next_page_token
    return list(seen.values())


def credited_seed(keyword: str, seeds: Sequence[str]) -> str:
    """The seed sharing the most words with `keyword`; the first seed on a tie or none."""
    words = set(keyword.split())
    best, best_shared = seeds[0], 0
    for seed in seeds:
        shared = len(words & set(seed.split()))
        if shared > best_shared:
            best, best_shared = seed, shared
    return best


def _ideas(results: Any, seeds: Sequence[str]) -> Iterator[KeywordIdea]:
    """KeywordIdeas from raw protobuf GenerateKeywordIdeaResult messages."""
    for result in results:
        keyword = normalise_keyword(result.text)
        if not keyword:
            continue
        if result.HasField("keyword_idea_metrics"):
            metrics = keyword_metrics_from(keyword, result.keyword_idea_metrics, None)
        else:
            metrics = KeywordMetrics.no_data(keyword)
        concepts = tuple(
            (concept.name, enum_name(concept.concept_group, "type_"))
            for concept in result.keyword_annotations.concepts
        )
        yield KeywordIdea(keyword, credited_seed(keyword, seeds), metrics, concepts)


def _groups(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
