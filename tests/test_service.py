"""PlanningService: pacing, retries, recording and failures, through the real GoogleAdsClient
and the loopback replay server, on a fake clock that only moves when something sleeps.

The figures come from the SAMPLE fixtures in conftest.py, not from Google.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from random import Random
from typing import Any

import pytest

from conftest import FakeClock
from longtail.clv import estimate_clv
from longtail.errors import InputError, PlannerError
from longtail.expand import Candidate
from longtail.personas import load_personas
from longtail.pipeline import LIVE_SOURCE, plan_volumes_stage, replay_source
from longtail.planner.client import replay_client
from longtail.planner.lookup import lookup_volumes, plan_lookup
from longtail.planner.metrics import KeywordMetrics
from longtail.planner.replay import (
    HISTORICAL_METRICS,
    KEYWORD_IDEAS,
    Fault,
    ReplayServer,
    fixture_label,
    historical_metrics_request,
    keyword_ideas_request,
    keyword_ideas_response,
    write_fixture,
    write_manifest,
)
from longtail.planner.service import Pacer, PlanningService, RetryPolicy, format_duration
from longtail.store import Store

StartReplay = Callable[..., ReplayServer]
MakeService = Callable[..., PlanningService]

PERSONAS = Path(__file__).parent / "data" / "personas"
SOURCE = "Sample data: service tests"


def ask(service: PlanningService, keywords: tuple[str, ...] = ("trail running shoes",)) -> Any:
    return service.send(HISTORICAL_METRICS, historical_metrics_request(list(keywords)))


def quota_faults(calls: range, retry_delay: float | None = None) -> list[Fault]:
    """RESOURCE_EXHAUSTED on each of `calls`, as Google sends it (ResourceExhausted)."""
    return [
        Fault(
            HISTORICAL_METRICS,
            call=call,
            status="RESOURCE_EXHAUSTED",
            error=None,
            retry_delay_seconds=retry_delay,
        )
        for call in calls
    ]


class RetrySleeps:
    """The service's own (retry) sleeps, kept apart from the pacer's, on the same clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.sleep(seconds)


# ---------------------------------------------------------------- pacing


def test_three_requests_at_rate_one_wait_two_seconds_and_none_before_the_first(
    planner_start_replay: StartReplay, planner_service: MakeService, planner_clock: FakeClock
) -> None:
    server = planner_start_replay()
    service = planner_service(replay_client(server.endpoint))

    for _ in range(3):
        ask(service)

    assert planner_clock.sleeps == pytest.approx([1.0, 1.0])
    assert service.waited == pytest.approx(2.0)
    assert (service.requests, service.retries) == (3, 0)
    assert len(server.requests) == 3


def test_two_customers_do_not_wait_for_each_other(
    planner_service: MakeService, planner_clock: FakeClock
) -> None:
    pacer = Pacer(1.0, clock=planner_clock, sleep=planner_clock.sleep)
    first = planner_service(customer_id="111-111-1111", pacer=pacer)
    second = planner_service(customer_id="2222222222", pacer=pacer)

    ask(first)
    ask(second)
    assert planner_clock.sleeps == []

    ask(first)
    assert planner_clock.sleeps == pytest.approx([1.0])


def test_pacer_spaces_slots_by_one_over_the_rate_and_forgets_idle_time(
    planner_clock: FakeClock,
) -> None:
    pacer = Pacer(2.0, clock=planner_clock, sleep=planner_clock.sleep)

    waits = [pacer.wait("123-456-7890") for _ in range(3)]
    planner_clock.now += 10  # idle for a while: the next request may go at once
    waits.append(pacer.wait("1234567890"))

    assert waits == pytest.approx([0.0, 0.5, 0.5, 0.0])


def test_pacer_refuses_a_rate_of_zero() -> None:
    with pytest.raises(ValueError, match="more than 0"):
        Pacer(0)


# ---------------------------------------------------------------- retries


def test_resource_exhausted_waits_googles_retry_delay_then_succeeds(
    planner_start_replay: StartReplay, planner_service: MakeService, planner_clock: FakeClock
) -> None:
    server = planner_start_replay(quota_faults(range(1, 2), retry_delay=7))
    service = planner_service(replay_client(server.endpoint))

    response = ask(service)

    assert [result.text for result in response.results] == ["trail running shoes"]
    # One wait of Google's 7 s; the pacing second has long passed by then.
    assert planner_clock.sleeps == pytest.approx([7.0])
    assert server.requests == [(HISTORICAL_METRICS, 1), (HISTORICAL_METRICS, 1)]
    assert (service.requests, service.retries) == (2, 1)
    assert service.waited == pytest.approx(7.0)


def test_resource_exhausted_without_a_delay_backs_off_exponentially_with_jitter(
    planner_start_replay: StartReplay, planner_service: MakeService, planner_clock: FakeClock
) -> None:
    server = planner_start_replay(quota_faults(range(1, 5)))
    retry_sleeps = RetrySleeps(planner_clock)
    policy = RetryPolicy(base_delay=2.0, max_delay=10.0)
    service = planner_service(
        replay_client(server.endpoint), retry=policy, random=Random(3), sleep=retry_sleeps
    )
    start = planner_clock.now

    ask(service)

    ceilings = [2.0, 4.0, 8.0, 10.0]  # base × 2ⁿ, capped at max_delay
    assert len(retry_sleeps.sleeps) == len(ceilings)
    for slept, ceiling in zip(retry_sleeps.sleeps, ceilings, strict=True):
        assert 0.0 <= slept <= ceiling
    # Jitter: not simply the ceilings.
    assert retry_sleeps.sleeps != ceilings
    assert len(server.requests) == 5
    assert (service.requests, service.retries) == (5, 4)
    # Each retry is paced too: a backoff shorter than a second is topped up,
    # so 4 retries take at least 4 s. Backoff and pacing both count as waiting.
    assert planner_clock.now - start >= 4.0
    assert service.waited == pytest.approx(sum(planner_clock.sleeps))


def test_the_same_seed_gives_the_same_backoff() -> None:
    policy = RetryPolicy()
    first, second = Random(11), Random(11)

    assert [policy.backoff(n, first) for n in range(6)] == [
        policy.backoff(n, second) for n in range(6)
    ]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("UNAVAILABLE", None),  # the network or Google's front end: api_core ServiceUnavailable
        ("UNAVAILABLE", "internal_error:TRANSIENT_ERROR"),  # a GoogleAdsException
        ("DEADLINE_EXCEEDED", None),
        ("DEADLINE_EXCEEDED", "internal_error:DEADLINE_EXCEEDED"),
        # Google: "The user should retry their request in these cases."
        ("INTERNAL", "internal_error:TRANSIENT_ERROR"),
    ],
)
def test_transient_errors_are_retried_with_backoff_then_succeed(
    planner_start_replay: StartReplay,
    planner_service: MakeService,
    planner_clock: FakeClock,
    status: str,
    error: str | None,
) -> None:
    server = planner_start_replay([Fault(HISTORICAL_METRICS, call=1, status=status, error=error)])
    retry_sleeps = RetrySleeps(planner_clock)
    service = planner_service(replay_client(server.endpoint), random=Random(5), sleep=retry_sleeps)

    response = ask(service)

    assert response.results[0].text == "trail running shoes"
    assert len(server.requests) == 2
    assert (service.requests, service.retries) == (2, 1)
    [backoff] = retry_sleeps.sleeps
    assert 0.0 <= backoff <= RetryPolicy().base_delay


def test_quota_error_in_a_google_ads_exception_is_retried_after_its_delay(
    planner_start_replay: StartReplay, planner_service: MakeService, planner_clock: FakeClock
) -> None:
    # Any status the client's interceptor turns into a GoogleAdsException
    # (all but RESOURCE_EXHAUSTED and INTERNAL): the quota error code decides.
    server = planner_start_replay(
        [
            Fault(
                HISTORICAL_METRICS,
                call=1,
                status="INVALID_ARGUMENT",
                error="quota_error:RESOURCE_TEMPORARILY_EXHAUSTED",
                retry_delay_seconds=5,
            )
        ]
    )
    service = planner_service(replay_client(server.endpoint))

    ask(service)

    assert planner_clock.sleeps == pytest.approx([5.0])
    assert len(server.requests) == 2


def test_quota_past_the_bounded_wait_gives_up_saying_tries_wait_and_rerun(
    planner_start_replay: StartReplay, planner_service: MakeService, planner_clock: FakeClock
) -> None:
    server = planner_start_replay(quota_faults(range(1, 20), retry_delay=100))
    service = planner_service(replay_client(server.endpoint), retry=RetryPolicy(max_total_wait=300))

    with pytest.raises(PlannerError) as raised:
        ask(service)

    # 3 waits of 100 s fill the 300 s; a 4th would pass them.
    assert planner_clock.sleeps == pytest.approx([100.0, 100.0, 100.0])
    assert len(server.requests) == 4
    assert (service.requests, service.retries) == (4, 3)
    message = str(raised.value)
    assert "after 4 tries and 5 min of waiting" in message
    assert "RESOURCE_EXHAUSTED" in message
    assert "replay-GenerateKeywordHistoricalMetrics-4" in message
    assert "Google asks to wait 100 seconds" in message
    assert "run the command again" in message
    assert "a rerun only asks for the rest" in message


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("INVALID_ARGUMENT", "request_error:INVALID_CUSTOMER_ID"),
        ("INVALID_ARGUMENT", None),
        ("PERMISSION_DENIED", "authorization_error:DEVELOPER_TOKEN_NOT_APPROVED"),
        ("PERMISSION_DENIED", None),
        ("UNAUTHENTICATED", "authentication_error:OAUTH_TOKEN_INVALID"),
        ("INTERNAL", None),
        # RESOURCE_EXHAUSTED that is a refusal, not a rate: no use waiting.
        ("RESOURCE_EXHAUSTED", "quota_error:ACCESS_PROHIBITED"),
    ],
)
def test_refusals_fail_at_once_after_one_request(
    planner_start_replay: StartReplay,
    planner_service: MakeService,
    planner_clock: FakeClock,
    status: str,
    error: str | None,
) -> None:
    server = planner_start_replay([Fault(HISTORICAL_METRICS, call=1, status=status, error=error)])
    service = planner_service(replay_client(server.endpoint))

    with pytest.raises(PlannerError) as raised:
        ask(service)

    assert len(server.requests) == 1
    assert planner_clock.sleeps == []
    assert (service.requests, service.retries) == (1, 0)
    assert status in str(raised.value)
    assert "replay-GenerateKeywordHistoricalMetrics-1" in str(raised.value)


# ---------------------------------------------------------------- recording, pages, ids


def test_recorder_sees_each_answered_request_and_no_failed_one(
    planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    server = planner_start_replay(
        [Fault(HISTORICAL_METRICS, call=1, status="UNAVAILABLE", error=None)]
    )
    recorded: list[tuple[str, list[str], list[str]]] = []

    def recorder(method: str, request: Any, response: Any) -> None:
        recorded.append(
            (method, list(request.keywords), [result.text for result in response.results])
        )

    service = planner_service(replay_client(server.endpoint), recorder=recorder)
    ask(service, ("waterproof hiking boots", "trail running shoe"))

    assert recorded == [
        (
            HISTORICAL_METRICS,
            ["waterproof hiking boots", "trail running shoe"],
            ["waterproof hiking boots", "trail running shoes"],
        )
    ]


def test_keyword_ideas_come_one_page_per_send_each_paced(
    tmp_path: Path,
    planner_start_replay: StartReplay,
    planner_service: MakeService,
    planner_clock: FakeClock,
) -> None:
    write_manifest(tmp_path, label="Sample data: two pages of ideas")
    first = keyword_ideas_request(["trail running"])
    second = keyword_ideas_request(["trail running"], page_token="sample-page-2")
    write_fixture(
        tmp_path / "ideas_page1.json",
        KEYWORD_IDEAS,
        first,
        keyword_ideas_response(
            [{"text": "trail running shoes"}, {"text": "trail running vest"}],
            next_page_token="sample-page-2",
        ),
    )
    write_fixture(
        tmp_path / "ideas_page2.json",
        KEYWORD_IDEAS,
        second,
        keyword_ideas_response([{"text": "trail running poles"}]),
    )
    server = planner_start_replay(fixtures_dir=tmp_path)
    service = planner_service(replay_client(server.endpoint))

    page = service.send(KEYWORD_IDEAS, first)

    # The pager did not go on to the second page by itself.
    assert [idea.text for idea in page.results] == ["trail running shoes", "trail running vest"]
    assert page.next_page_token == "sample-page-2"
    assert server.requests == [(KEYWORD_IDEAS, 1)]

    first.page_token = page.next_page_token
    last = service.send(KEYWORD_IDEAS, first)

    assert [idea.text for idea in last.results] == ["trail running poles"]
    assert not last.next_page_token
    assert len(server.requests) == 2
    assert planner_clock.sleeps == pytest.approx([1.0])


def test_customer_id_is_kept_without_dashes_and_fills_an_empty_request(
    planner_service: MakeService, planner_replay_server: ReplayServer
) -> None:
    service = planner_service(customer_id="123-456-7890")
    request = historical_metrics_request(["trail running shoes"])
    request.customer_id = ""

    ask(service)
    service.send(HISTORICAL_METRICS, request)

    assert service.customer_id == "1234567890"
    assert request.customer_id == "1234567890"


def test_a_customer_id_that_is_not_one_is_an_input_error(planner_client: Any) -> None:
    with pytest.raises(InputError, match="10-digit id"):
        PlanningService(planner_client, "12-34")


def test_an_unknown_method_is_refused_before_anything_is_sent(
    planner_service: MakeService, planner_replay_server: ReplayServer
) -> None:
    before = len(planner_replay_server.requests)
    with pytest.raises(ValueError, match="GenerateKeywordHistoricalMetrics"):
        planner_service().send("GenerateAdGroupThemes", historical_metrics_request(["x"]))
    assert len(planner_replay_server.requests) == before


def test_durations_read_as_people_say_them() -> None:
    assert [format_duration(s) for s in (0.5, 2, 7.0, 59.6, 60, 125, 300, 3_780)] == [
        "0.5 s",
        "2 s",
        "7 s",
        "1 min",
        "1 min",
        "2 min 5 s",
        "5 min",
        "1 h 3 min",
    ]


# ---------------------------------------------------------------- lookups: resume, stats, plans


def store_with(tmp_path: Path, keywords: Sequence[str], *, german: Sequence[str] = ()) -> Store:
    """A project database whose trail runner (US/en) has `keywords`, and a DE/de persona."""
    folder = tmp_path / "personas"
    folder.mkdir()
    for persona in PERSONAS.glob("*.yaml"):
        (folder / persona.name).write_text(persona.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "bergsteiger.yaml").write_text(
        "id: bergsteiger\nname: Bergsteiger\ndescription: Wanderer in den Alpen.\n"
        "products: [wanderschuhe]\nmarket: {geo: DE, language: de, currency: EUR}\n"
        "clv:\n  value: 300\n",
        encoding="utf-8",
    )
    store = Store(tmp_path / "project.db")
    personas = load_personas([folder])
    store.save_personas([(p, estimate_clv(p.clv)) for p in personas])
    candidates = [Candidate(k, "trail-runner", "products", k, "product") for k in keywords]
    candidates += [Candidate(k, "bergsteiger", "products", k, "product") for k in german]
    store.add_candidates(candidates, "expand")
    return store


KEYWORDS = [
    "hydration vest",
    "trail running shoe",
    "trail running shoes",
    "ultralight trail gaiters",
    "waterproof hiking boots",
]


def test_a_lookup_that_gives_up_keeps_its_batches_and_a_rerun_asks_only_for_the_rest(
    tmp_path: Path, planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    store = store_with(tmp_path, KEYWORDS)
    # The second request is refused for longer than longtail waits.
    failing = planner_start_replay(quota_faults(range(2, 10), retry_delay=600))
    with pytest.raises(PlannerError) as raised:
        lookup_volumes(
            store,
            planner_service(replay_client(failing.endpoint)),
            source=SOURCE,
            batch_size=2,
        )
    assert "a rerun only asks for the rest" in str(raised.value)
    assert failing.requests == [(HISTORICAL_METRICS, 2), (HISTORICAL_METRICS, 2)]

    plan = plan_lookup(store, source=SOURCE, batch_size=2)
    assert (plan.requests, plan.keywords_to_ask, plan.from_cache) == (2, 3, 2)

    working = planner_start_replay()
    stats = lookup_volumes(
        store, planner_service(replay_client(working.endpoint)), source=SOURCE, batch_size=2
    )

    assert working.requests == [(HISTORICAL_METRICS, 2), (HISTORICAL_METRICS, 1)]
    assert (stats.requests, stats.keywords_asked, stats.from_cache) == (2, 3, 2)
    assert store.fresh_keywords(store_market(store), KEYWORDS, SOURCE, timedelta(days=1)) == set(
        KEYWORDS
    )


def store_market(store: Store) -> Any:
    [market] = store.keywords_by_market()
    return market


def test_lookup_stats_add_retries_and_waiting_only_when_there_were_any(
    tmp_path: Path, planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    store = store_with(tmp_path, KEYWORDS)
    server = planner_start_replay(quota_faults(range(2, 3), retry_delay=7))

    stats = lookup_volumes(
        store, planner_service(replay_client(server.endpoint)), source=SOURCE, batch_size=2
    )

    assert (stats.requests, stats.retries) == (3, 1)
    # 1 s of pacing before the second request, Google's 7 s before its retry,
    # 1 s of pacing before the third.
    assert stats.seconds_waited == pytest.approx(9.0)
    # "trail running shoe" is merged into "trail running shoes"; the hydration
    # vest and the gaiters have no data in the sample fixtures.
    assert stats.line() == (
        "3 requests, 5 keywords asked, 0 served from cache, 1 merged as close variants, "
        "2 without data, 1 retry, waited 9 s"
    )
    quiet = lookup_volumes(
        store, planner_service(replay_client(server.endpoint)), source=SOURCE, batch_size=2
    )
    assert quiet.line() == (
        "0 requests, 0 keywords asked, 5 served from cache, 0 merged as close variants, "
        "0 without data"
    )


@pytest.mark.parametrize("batch_size", [1, 2, 3, 10_000])
def test_the_plan_counts_exactly_the_requests_the_lookup_then_sends(
    tmp_path: Path,
    planner_start_replay: StartReplay,
    planner_service: MakeService,
    batch_size: int,
) -> None:
    german = ["wanderschuhe", "wanderschuhe damen", "wanderstöcke"]
    store = store_with(tmp_path, KEYWORDS, german=german)
    server = planner_start_replay()

    plan = plan_lookup(store, source=SOURCE, batch_size=batch_size, rate=1.0)

    assert server.requests == []  # planning sends nothing
    expected = math.ceil(len(KEYWORDS) / batch_size) + math.ceil(len(german) / batch_size)
    assert plan.requests == expected
    assert [(m.market, m.keywords_to_ask) for m in plan.markets] == [
        ("DE/de/google-search", 3),
        ("US/en/google-search", 5),
    ]
    assert plan.pacing_seconds == pytest.approx(expected - 1)

    lookup_volumes(
        store,
        planner_service(replay_client(server.endpoint)),
        source=SOURCE,
        batch_size=batch_size,
    )
    assert len(server.requests) == plan.requests


def test_the_plan_line_says_requests_keywords_cache_markets_and_pacing(tmp_path: Path) -> None:
    store = store_with(tmp_path, KEYWORDS, german=["wanderschuhe"])

    assert plan_lookup(store, source=SOURCE, batch_size=2, rate=1.0).line() == (
        "Would send 4 requests for 6 keywords (0 served from cache) in 2 markets; pacing at "
        "1 request/s takes at least 3 s. Nothing was sent."
    )
    assert plan_lookup(store, source=SOURCE, rate=2.0).line() == (
        "Would send 2 requests for 6 keywords (0 served from cache) in 2 markets; pacing at "
        "2 requests/s takes at least 0.5 s. Nothing was sent."
    )


def test_the_volumes_dry_run_of_a_replay_counts_its_cache_and_starts_no_server(
    tmp_path: Path, planner_fixtures_dir: Path, planner_replay_server: ReplayServer
) -> None:
    store = store_with(tmp_path, KEYWORDS)
    market = store_market(store)
    replayed = replay_source(planner_fixtures_dir, fixture_label(planner_fixtures_dir))
    store.save_metrics(market, [KeywordMetrics.no_data(k) for k in KEYWORDS[:2]], replayed)
    # Live figures never stand in for a replay, nor the other way round.
    store.save_metrics(market, [KeywordMetrics.no_data(KEYWORDS[2])], LIVE_SOURCE)
    before = len(planner_replay_server.requests)

    plan = plan_volumes_stage(store, planner_fixtures_dir, timedelta(days=30), rate=1.0)

    assert plan.line() == (
        "Would send 1 request for 3 keywords (2 served from cache) in 1 market; one request "
        "needs no pacing. Nothing was sent."
    )
    assert len(planner_replay_server.requests) == before


def test_a_refused_market_value_says_which_persona_fields_to_check(
    planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    server = planner_start_replay(
        [
            Fault(
                HISTORICAL_METRICS,
                call=1,
                status="INVALID_ARGUMENT",
                error="keyword_plan_idea_error:INVALID_VALUE",
            )
        ]
    )
    service = planner_service(replay_client(server.endpoint))
    with pytest.raises(PlannerError) as raised:
        ask(service)
    message = str(raised.value)
    assert "keyword_plan_idea_error.INVALID_VALUE" in message
    assert "check market.geo, market.language and market.network" in message
