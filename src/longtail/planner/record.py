"""Recording Keyword Planner exchanges as replayable fixtures, secrets scrubbed.

A `Recorder` is handed to the PlanningService of a live lookup; every
successful request and its response are written at once as a fixture file
(so a lookup killed mid-way keeps what it recorded), in the format the replay
server reads. Customer ids are replaced by the replay's sample id wherever
they appear, and any credential that could show up in a message is removed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from longtail.errors import InputError
from longtail.planner.client import REPLAY_CUSTOMER_ID
from longtail.planner.replay import FIXTURE_METHODS, write_fixture, write_manifest

# File name stems per method: historical_metrics_001.json, keyword_ideas_001.json.
_STEMS = {
    "GenerateKeywordHistoricalMetrics": "historical_metrics",
    "GenerateKeywordIdeas": "keyword_ideas",
}

# Values shorter than this are not scrubbed: they would blank out ordinary text.
_MIN_SECRET_LENGTH = 8


class Recorder:
    """Writes each exchange of a PlanningService into `directory` as a fixture."""

    def __init__(
        self, directory: Path, customer_id: str, secrets: Iterable[str | None] = ()
    ) -> None:
        self.directory = Path(directory)
        if self.directory.exists() and any(self.directory.iterdir()):
            raise InputError(
                f"{self.directory} is not empty; record into a new folder so no recording "
                "is mixed with another (e.g. -o fixtures/recorded-2026-12)"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        digits = re.sub(r"\D", "", customer_id)
        dashed = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}" if len(digits) == 10 else digits
        self._scrub = {digits: REPLAY_CUSTOMER_ID, dashed: REPLAY_CUSTOMER_ID}
        for secret in secrets:
            if secret and len(secret) >= _MIN_SECRET_LENGTH:
                self._scrub[secret] = "[scrubbed]"
        self.files: list[Path] = []
        self._counts: dict[str, int] = {}
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        write_manifest(
            self.directory,
            label=f"recorded from a live Google Ads account on {when}",
            note="Written by `longtail record`; customer ids and credentials scrubbed.",
        )

    def __call__(self, method: str, request: Any, response: Any) -> None:
        """Write one exchange (the PlanningService's recorder hook)."""
        if method not in FIXTURE_METHODS:
            return
        self._counts[method] = self._counts.get(method, 0) + 1
        path = self.directory / f"{_STEMS[method]}_{self._counts[method]:03d}.json"
        write_fixture(path, method, request, response)
        self._scrub_file(path)
        self.files.append(path)

    def _scrub_file(self, path: Path) -> None:
        # write_fixture already replaces the request's customerId; ids can also
        # hide in resource names or echoed text, so the whole file is swept.
        text = path.read_text(encoding="utf-8")
        for secret, replacement in self._scrub.items():
            if secret:
                text = text.replace(secret, replacement)
        json.loads(text)  # still valid JSON: nothing scrubbed broke the structure
        path.write_text(text, encoding="utf-8")
