"""Building the GoogleAdsClient that the planner functions are handed.

Live credentials are looked up in a fixed order:

1. the `config_path` given (a `--google-ads-config` style flag);
2. the file named by GOOGLE_ADS_CONFIGURATION_FILE_PATH;
3. GOOGLE_ADS_DEVELOPER_TOKEN and the other GOOGLE_ADS_* variables;
4. ~/google-ads.yaml.

The planning customer id is LONGTAIL_CUSTOMER_ID, else login_customer_id from
that configuration. For offline runs, `replay_client` aims a real client at a
local replay server (see `longtail.planner.replay`).

The Google Ads library is imported inside the functions: it takes about a
second to load and most commands never need it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from longtail.errors import CredentialsError, InputError
from longtail.planner.metrics import normalise_customer_id

if TYPE_CHECKING:
    from google.ads.googleads.client import GoogleAdsClient

# Sample customer id for replayed runs; the replay server accepts any id and
# this one belongs to no real account.
REPLAY_CUSTOMER_ID = "1234567890"

CONFIG_PATH_VARIABLE = "GOOGLE_ADS_CONFIGURATION_FILE_PATH"
CUSTOMER_ID_VARIABLE = "LONGTAIL_CUSTOMER_ID"
DEFAULT_CONFIG_FILE = "google-ads.yaml"

# The variables GoogleAdsClient.load_from_env reads credentials from; any of
# them set means the user chose the environment over a file.
CREDENTIAL_VARIABLES = (
    "GOOGLE_ADS_DEVELOPER_TOKEN",
    "GOOGLE_ADS_CLIENT_ID",
    "GOOGLE_ADS_CLIENT_SECRET",
    "GOOGLE_ADS_REFRESH_TOKEN",
    "GOOGLE_ADS_JSON_KEY_FILE_PATH",
    "GOOGLE_ADS_USE_APPLICATION_DEFAULT_CREDENTIALS",
)

# Configuration keys and variables whose values must never reach a message.
_SECRET_KEYS = ("developer_token", "client_secret", "refresh_token")
_SECRET_VARIABLES = (
    "GOOGLE_ADS_DEVELOPER_TOKEN",
    "GOOGLE_ADS_CLIENT_SECRET",
    "GOOGLE_ADS_REFRESH_TOKEN",
)


def replay_client(endpoint: str) -> GoogleAdsClient:
    """A real GoogleAdsClient aimed at a local replay server (`endpoint`, "localhost:PORT").

    Credentials(token="replay") that never refresh, developer_token="replay",
    use_proto_plus=True.
    """
    from google.ads.googleads.client import GoogleAdsClient
    from google.oauth2.credentials import Credentials

    # A token without expiry or refresh token is always fresh to google-auth,
    # so nothing ever goes to Google's OAuth servers.
    credentials = Credentials(token="replay")  # type: ignore[no-untyped-call]
    return GoogleAdsClient(
        credentials=credentials,
        developer_token="replay",
        endpoint=endpoint,
        use_proto_plus=True,
    )


def live_client(config_path: str | None = None) -> tuple[GoogleAdsClient, str]:
    """Client and planning customer id from google-ads.yaml or GOOGLE_ADS_* variables.

    The file is `config_path`, else GOOGLE_ADS_CONFIGURATION_FILE_PATH, else
    ~/google-ads.yaml when no GOOGLE_ADS_* credential variable is set (those
    go through GoogleAdsClient.load_from_env). The customer id is
    LONGTAIL_CUSTOMER_ID, else login_customer_id from the configuration.
    """
    from google.ads.googleads.client import GoogleAdsClient

    default_path = Path("~", DEFAULT_CONFIG_FILE).expanduser()
    file_path: Path | None = None
    if config_path is not None:
        file_path = Path(config_path).expanduser()
        where = f"{file_path} (given as the Google Ads configuration file)"
    elif os.environ.get(CONFIG_PATH_VARIABLE):
        file_path = Path(os.environ[CONFIG_PATH_VARIABLE]).expanduser()
        where = f"{file_path} (from {CONFIG_PATH_VARIABLE})"
    elif any(name in os.environ for name in CREDENTIAL_VARIABLES):
        where = "the GOOGLE_ADS_* environment variables"
    elif default_path.is_file():
        file_path = default_path
        where = str(file_path)
    else:
        raise CredentialsError(_no_credentials_message(default_path))

    if file_path is not None and not file_path.is_file():
        raise CredentialsError(
            f"Google Ads configuration file {where} does not exist. Create it (see "
            "https://developers.google.com/google-ads/api/docs/client-libs/python/configuration), "
            f"point {CONFIG_PATH_VARIABLE} at an existing file, or run offline with "
            "--replay fixtures/keyword_planner."
        )

    secrets = _configured_secrets(file_path)
    try:
        if file_path is not None:
            client = GoogleAdsClient.load_from_storage(str(file_path))
        else:
            client = GoogleAdsClient.load_from_env()
    except Exception as exc:
        # The library reports bad configuration as ValueError, a missing or
        # unreadable file as OSError, bad YAML as yaml.YAMLError and OAuth
        # failures as google.auth errors; all mean "fix your credentials".
        raise CredentialsError(
            _redact(f"Could not load Google Ads credentials from {where}: {_reason(exc)}", secrets)
        ) from None

    # Everything in longtail.planner reads proto-plus messages (field presence
    # through `in`), whatever the configuration says.
    client.use_proto_plus = True
    return client, _planning_customer_id(client, where)


def _planning_customer_id(client: Any, where: str) -> str:
    from_environment = os.environ.get(CUSTOMER_ID_VARIABLE, "").strip()
    if from_environment:
        source, customer_id = CUSTOMER_ID_VARIABLE, from_environment
    elif client.login_customer_id:
        source, customer_id = f"login_customer_id in {where}", str(client.login_customer_id)
    else:
        raise CredentialsError(
            "No Google Ads customer id to plan with: set the LONGTAIL_CUSTOMER_ID environment "
            "variable, or login_customer_id in google-ads.yaml (GOOGLE_ADS_LOGIN_CUSTOMER_ID), "
            "to the 10-digit id of your account (123-456-7890)."
        )
    try:
        return normalise_customer_id(customer_id)
    except InputError as exc:
        raise CredentialsError(f"{source}: {exc}") from None


def _no_credentials_message(default_path: Path) -> str:
    return (
        "No Google Ads credentials found. Either:\n"
        f"  - create {default_path} (or point {CONFIG_PATH_VARIABLE} at a google-ads.yaml), or\n"
        "  - set the GOOGLE_ADS_DEVELOPER_TOKEN, GOOGLE_ADS_CLIENT_ID, GOOGLE_ADS_CLIENT_SECRET, "
        "GOOGLE_ADS_REFRESH_TOKEN and GOOGLE_ADS_LOGIN_CUSTOMER_ID environment variables.\n"
        "See https://developers.google.com/google-ads/api/docs/client-libs/python/configuration. "
        "To run without an account, use the recorded sample data: --replay fixtures/keyword_planner"
    )


def _configured_secrets(file_path: Path | None) -> list[str]:
    """The secret values in the chosen configuration, to keep them out of messages."""
    secrets = [os.environ[name] for name in _SECRET_VARIABLES if os.environ.get(name)]
    if file_path is not None:
        import yaml

        try:
            config = yaml.safe_load(file_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            config = None
        if isinstance(config, dict):
            secrets.extend(str(config[key]) for key in _SECRET_KEYS if config.get(key))
    return secrets


def _reason(exc: Exception) -> str:
    import yaml

    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, yaml.YAMLError) and mark is not None:
        # PyYAML's own message quotes the offending line, which may hold a token.
        problem = getattr(exc, "problem", None) or "syntax error"
        return f"not valid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(exc) or type(exc).__name__


def _redact(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            message = message.replace(secret, "[redacted]")
    return message
