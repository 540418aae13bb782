"""`longtail run` on the demo against the bare cost of its heavy imports.

Baseline: one process that loads the spaCy model and imports pandas and the
google-ads client, which any run must pay. The run uses a fresh database each
time, so nothing is served from a cache.
Run from the repository root: python benchmarks/bench_run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import LONGTAIL, PYTHON, report, time_command

ROOT = Path(__file__).resolve().parent.parent

BASELINE = """
from longtail.expand import load_nlp
load_nlp()
import pandas
from google.ads.googleads.client import GoogleAdsClient
"""

# What any Keyword Planner request must also import: the service's message
# classes, which GoogleAdsClient.get_service loads (about 0.45 s here).
WITH_SERVICE = (
    BASELINE
    + """
import importlib
from google.ads.googleads.client import _DEFAULT_VERSION
importlib.import_module(
    f"google.ads.googleads.{_DEFAULT_VERSION}.services.services.keyword_plan_idea_service"
)
"""
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    longtail = LONGTAIL
    work = Path(tempfile.mkdtemp())
    counter = iter(range(1000))

    def argv() -> list[str]:
        n = next(counter)
        return [
            longtail,
            "--db",
            str(work / f"{n}.db"),
            "run",
            "personas/",
            "--replay",
            "fixtures/keyword_planner",
            "-o",
            str(work / f"{n}.xlsx"),
        ]

    baseline = time_command([PYTHON, "-c", BASELINE], args.repeat, cwd=str(ROOT))
    with_service = time_command([PYTHON, "-c", WITH_SERVICE], args.repeat, cwd=str(ROOT))
    timings = [time_command(argv(), 1, cwd=str(ROOT)) for _ in range(args.repeat)]
    measured = sorted(timings)[len(timings) // 2]
    name = "longtail run (demo, replay)"
    report(name, measured, "spaCy model + pandas + google-ads client", baseline, target=1.5)
    report(name, measured, "the same + KeywordPlanIdeaService classes", with_service, target=1.5)


if __name__ == "__main__":
    main()
