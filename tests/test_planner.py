"""Keyword Planner lookups through the real GoogleAdsClient and a loopback replay server.

The figures come from the SAMPLE fixtures in conftest.py, not from Google.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from longtail.errors import CredentialsError, FixtureError, InputError, PlannerError
from longtail.planner.client import (
    CREDENTIAL_VARIABLES,
    REPLAY_CUSTOMER_ID,
    live_client,
    replay_client,
)
from longtail.planner.metrics import KeywordMetrics, fetch_historical_metrics
from longtail.planner.replay import (
    HISTORICAL_METRICS,
    KEYWORD_IDEAS,
    Fault,
    ReplayServer,
    historical_metrics_request,
    historical_metrics_response,
    installed_api_versions,
    message_classes,
    newest_api_version,
    write_fixture,
    write_manifest,
)
from longtail.planner.service import PlanningService, RetryPolicy

StartReplay = Callable[..., ReplayServer]
MakeService = Callable[..., PlanningService]


def lookup(service: PlanningService, keywords: list[str], **options: Any) -> list[KeywordMetrics]:
    options.setdefault("geo", ["US"])
    options.setdefault("language", "en")
    return fetch_historical_metrics(service, keywords, **options)


def test_known_keyword_has_its_recorded_metrics(
    planner_service: MakeService, planner_fixtures_dir: Path
) -> None:
    [boots] = fetch_historical_metrics(
        planner_service(customer_id="123-456-7890"),  # dashes as Google Ads shows the id
        ["waterproof hiking boots"],
        geo=["US"],
        language="en",
    )

    assert boots == KeywordMetrics(
        keyword="waterproof hiking boots",
        avg_monthly_searches=9_900,
        monthly_searches=((2025, 1, 8_100), (2025, 2, 9_900)),
        competition="MEDIUM",
        competition_index=54,
        low_top_of_page_bid=0.45,
        high_top_of_page_bid=1.89,
        close_variant_of=None,
    )
    # The month numbers above come from the MonthOfYearEnum names on the wire
    # (JANUARY is 2 there), not from arithmetic shared with the lookup.
    recorded = json.loads((planner_fixtures_dir / "historical_trail_running.json").read_text())
    [recorded_boots] = [
        result
        for result in recorded["response"]["results"]
        if result["text"] == "waterproof hiking boots"
    ]
    assert [
        (volume["year"], volume["month"])
        for volume in recorded_boots["keywordMetrics"]["monthlySearchVolumes"]
    ] == [("2025", "JANUARY"), ("2025", "FEBRUARY")]


def test_monthly_searches_come_oldest_first(planner_service: MakeService) -> None:
    [shoes] = lookup(planner_service(), ["trail running shoes"])

    # Recorded newest first; December 2024 is the oldest month.
    assert shoes.monthly_searches == (
        (2024, 12, 9_900),
        (2025, 1, 14_800),
        (2025, 2, 12_100),
        (2025, 3, 18_100),
    )


def test_close_variant_gets_the_metrics_of_the_result_it_was_merged_into(
    planner_service: MakeService,
) -> None:
    variant, surviving = lookup(planner_service(), ["Trail  Running Shoe", "trail running shoes"])

    assert variant.keyword == "Trail  Running Shoe"
    assert variant.close_variant_of == "trail running shoes"
    assert surviving.close_variant_of is None
    for metrics in (variant, surviving):
        assert metrics.avg_monthly_searches == 14_800
        assert metrics.competition == "HIGH"
        assert metrics.competition_index == 87
        assert metrics.low_top_of_page_bid == 0.61
        assert metrics.high_top_of_page_bid == 2.34


def test_keywords_without_data_come_back_with_every_metric_none(
    planner_service: MakeService,
) -> None:
    results = lookup(
        planner_service(),
        ["moon boots for cats", "ultralight trail gaiters", "waterproof hiking boots"],
    )

    # Neither recorded at all nor recorded without metrics yields numbers.
    assert results[:2] == [
        KeywordMetrics.no_data("moon boots for cats"),
        KeywordMetrics.no_data("ultralight trail gaiters"),
    ]
    assert results[2].avg_monthly_searches == 9_900


def test_more_keywords_than_a_batch_are_sent_in_several_requests(
    planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    server = planner_start_replay()
    keywords = [f"sample keyword {number}" for number in range(23)] + ["trail running shoes"]
    batches: list[list[KeywordMetrics]] = []

    results = lookup(
        planner_service(replay_client(server.endpoint)),
        keywords,
        batch_size=10,
        on_batch=batches.append,
    )

    assert server.requests == [
        (HISTORICAL_METRICS, 10),
        (HISTORICAL_METRICS, 10),
        (HISTORICAL_METRICS, 4),
    ]
    assert [len(batch) for batch in batches] == [10, 10, 4]
    assert [metrics.keyword for metrics in results] == keywords
    assert batches[-1][-1].avg_monthly_searches == 14_800


def test_the_api_limit_of_ten_thousand_keywords_a_request_is_used_in_full(
    planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    server = planner_start_replay()
    keywords = [f"sample keyword {number}" for number in range(10_001)]

    results = lookup(planner_service(replay_client(server.endpoint)), keywords)

    assert server.requests == [(HISTORICAL_METRICS, 10_000), (HISTORICAL_METRICS, 1)]
    assert len(results) == 10_001


def test_explorer_access_error_names_request_id_and_fix_but_no_token(
    planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    server = planner_start_replay(
        [
            Fault(
                HISTORICAL_METRICS,
                call=1,
                status="PERMISSION_DENIED",
                error="authorization_error:DEVELOPER_TOKEN_NOT_APPROVED",
            )
        ]
    )
    client = replay_client(server.endpoint)
    # Distinctive secrets, so their absence from the message means something.
    client.developer_token = "fake-devtoken-0042"
    client.credentials = Credentials(token="fake-oauth-0042")  # type: ignore[no-untyped-call]

    with pytest.raises(PlannerError) as raised:
        lookup(planner_service(client), ["trail running shoes"])

    message = str(raised.value)
    assert "replay-GenerateKeywordHistoricalMetrics-1" in message
    assert "PERMISSION_DENIED" in message
    assert "authorization_error.DEVELOPER_TOKEN_NOT_APPROVED" in message
    assert "Keyword Planner needs Basic access or higher for the developer token" in message
    assert "API Center of your manager account" in message
    assert "-0042" not in message


def test_bad_customer_id_error_says_which_setting_to_fix(
    planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    server = planner_start_replay(
        [
            Fault(
                HISTORICAL_METRICS,
                call=1,
                status="INVALID_ARGUMENT",
                error="request_error:INVALID_CUSTOMER_ID",
            )
        ]
    )

    with pytest.raises(PlannerError) as raised:
        lookup(planner_service(replay_client(server.endpoint)), ["trail running shoes"])

    message = str(raised.value)
    assert "request_error.INVALID_CUSTOMER_ID" in message
    assert "LONGTAIL_CUSTOMER_ID" in message
    assert "login_customer_id" in message


def test_quota_wait_beyond_the_retry_budget_says_it_is_the_quota_and_how_long_to_wait(
    planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    server = planner_start_replay(
        [
            Fault(
                HISTORICAL_METRICS,
                call=2,
                status="RESOURCE_EXHAUSTED",
                error=None,
                retry_delay_seconds=30,
            )
        ]
    )
    batches: list[list[KeywordMetrics]] = []

    # Google's 30 s are more than this policy waits for one request: no retry.
    service = planner_service(replay_client(server.endpoint), retry=RetryPolicy(max_total_wait=10))

    with pytest.raises(PlannerError) as raised:
        lookup(
            service,
            ["trail running shoes", "waterproof hiking boots"],
            batch_size=1,
            on_batch=batches.append,
        )

    message = str(raised.value)
    assert "RESOURCE_EXHAUSTED" in message
    assert "quota" in message
    assert "wait 30 seconds" in message
    assert "replay-GenerateKeywordHistoricalMetrics-2" in message
    assert "after 1 try" in message
    assert len(server.requests) == 2
    # The batch before the failure was already handed over.
    assert [[metrics.keyword for metrics in batch] for batch in batches] == [
        ["trail running shoes"]
    ]


def test_unknown_country_code_is_an_input_error_listing_valid_codes(
    planner_service: MakeService, planner_replay_server: ReplayServer
) -> None:
    requests_before = len(planner_replay_server.requests)

    with pytest.raises(InputError) as raised:
        lookup(planner_service(), ["trail running shoes"], geo=["US", "XX"])

    assert "'XX'" in str(raised.value)
    assert "DE, DK" in str(raised.value)
    assert len(planner_replay_server.requests) == requests_before


def test_live_client_without_any_credentials_names_both_ways_and_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in (
        *CREDENTIAL_VARIABLES,
        "GOOGLE_ADS_CONFIGURATION_FILE_PATH",
        "LONGTAIL_CUSTOMER_ID",
    ):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(CredentialsError) as raised:
        live_client()

    message = str(raised.value)
    assert str(tmp_path / "google-ads.yaml") in message
    assert "GOOGLE_ADS_CONFIGURATION_FILE_PATH" in message
    for variable in (
        "GOOGLE_ADS_DEVELOPER_TOKEN",
        "GOOGLE_ADS_CLIENT_ID",
        "GOOGLE_ADS_CLIENT_SECRET",
        "GOOGLE_ADS_REFRESH_TOKEN",
        "GOOGLE_ADS_LOGIN_CUSTOMER_ID",
    ):
        assert variable in message
    assert "--replay fixtures/keyword_planner" in message


def test_live_client_reports_library_config_errors_without_secrets(tmp_path: Path) -> None:
    config = tmp_path / "google-ads.yaml"
    # No use_proto_plus: the library refuses the file before any network call.
    config.write_text(
        "developer_token: fake-devtoken-0042\n"
        "client_id: sample-client-id\n"
        "client_secret: fake-client-0042\n"
        "refresh_token: fake-refresh-0042\n",
        encoding="utf-8",
    )

    with pytest.raises(CredentialsError) as raised:
        live_client(str(config))

    message = str(raised.value)
    assert str(config) in message
    assert "use_proto_plus" in message
    assert "-0042" not in message


def test_malformed_fixture_file_is_named_with_its_line(tmp_path: Path) -> None:
    write_manifest(tmp_path, label="Sample data: broken")
    broken = tmp_path / "historical_broken.json"
    broken.write_text('{\n  "method": "GenerateKeywordHistoricalMetrics",\n  "request": {,\n}\n')

    with pytest.raises(FixtureError) as raised:
        ReplayServer(tmp_path)

    assert f"{broken}:3:" in str(raised.value)
    assert "not valid JSON" in str(raised.value)


def test_fixture_with_a_field_the_api_lacks_is_refused(tmp_path: Path) -> None:
    write_manifest(tmp_path, label="Sample data: wrong field")
    wrong = tmp_path / "historical_wrong.json"
    wrong.write_text(
        json.dumps(
            {
                "method": HISTORICAL_METRICS,
                "request": {"keywords": ["trail running shoes"]},
                "response": {"results": [{"text": "trail running shoes", "searches": "10"}]},
            }
        )
    )

    with pytest.raises(FixtureError) as raised:
        ReplayServer(tmp_path)

    assert str(wrong) in str(raised.value)
    assert "response" in str(raised.value)
    assert "searches" in str(raised.value)


def test_missing_fixtures_directory_is_a_fixture_error(tmp_path: Path) -> None:
    with pytest.raises(FixtureError) as raised:
        ReplayServer(tmp_path / "nowhere")

    assert str(tmp_path / "nowhere") in str(raised.value)


def test_fault_with_an_error_code_google_does_not_have_is_refused(
    planner_fixtures_dir: Path,
) -> None:
    fault = Fault(
        HISTORICAL_METRICS,
        call=1,
        status="PERMISSION_DENIED",
        error="authorization_error:NOT_A_REAL_ERROR",
    )

    with pytest.raises(InputError) as raised:
        ReplayServer(planner_fixtures_dir, [fault])

    assert "authorization_error:NOT_A_REAL_ERROR" in str(raised.value)


def test_recorded_keyword_idea_pages_are_followed_by_page_token(
    tmp_path: Path, planner_start_replay: StartReplay
) -> None:
    write_manifest(tmp_path, label="Sample data: two pages of ideas")
    request_class, response_class = message_classes(KEYWORD_IDEAS)
    first = request_class(
        customer_id=REPLAY_CUSTOMER_ID,
        language="languageConstants/1000",
        geo_target_constants=["geoTargetConstants/2840"],
        keyword_seed={"keywords": ["trail running"]},
    )
    second = request_class(first)
    second.page_token = "sample-page-2"
    write_fixture(
        tmp_path / "ideas_page1.json",
        KEYWORD_IDEAS,
        first,
        response_class(
            results=[{"text": "trail running shoes"}, {"text": "trail running vest"}],
            next_page_token="sample-page-2",
            total_size=3,
        ),
    )
    write_fixture(
        tmp_path / "ideas_page2.json",
        KEYWORD_IDEAS,
        second,
        response_class(results=[{"text": "trail running poles"}], total_size=3),
    )
    server = planner_start_replay(fixtures_dir=tmp_path)
    service = replay_client(server.endpoint).get_service("KeywordPlanIdeaService")

    ideas = [idea.text for idea in service.generate_keyword_ideas(request=first)]

    assert ideas == ["trail running shoes", "trail running vest", "trail running poles"]
    assert server.requests == [(KEYWORD_IDEAS, 1), (KEYWORD_IDEAS, 1)]


def test_fixtures_recorded_in_an_older_api_version_replay_to_the_newest_client(
    tmp_path: Path, planner_start_replay: StartReplay, planner_service: MakeService
) -> None:
    older = installed_api_versions()[0]
    assert older != newest_api_version()
    write_manifest(tmp_path, label="Sample data: older recording", api_version=older)
    write_fixture(
        tmp_path / "historical_old.json",
        HISTORICAL_METRICS,
        historical_metrics_request(["tent pegs"], api_version=older),
        historical_metrics_response(
            [{"text": "tent pegs", "avg_monthly_searches": 2_400, "competition": "LOW"}],
            api_version=older,
        ),
    )
    server = planner_start_replay(fixtures_dir=tmp_path)

    [pegs] = lookup(planner_service(replay_client(server.endpoint)), ["tent pegs"])

    assert (pegs.avg_monthly_searches, pegs.competition) == (2_400, "LOW")
