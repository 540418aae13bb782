"""Google Ads Keyword Planner: search volumes and keyword ideas.

- `longtail.planner.service`: `PlanningService`, the one place requests go
  out: paced per customer, retried when Google says to, recorded, reported.
- `longtail.planner.metrics`: `fetch_historical_metrics`, batched
  GenerateKeywordHistoricalMetrics lookups mapped back to the keywords asked.
- `longtail.planner.ideas`: `fetch_keyword_ideas`, GenerateKeywordIdeas with
  every page followed.
- `longtail.planner.lookup`: the volume lookup of every stored candidate,
  cache first; `plan_lookup` for dry runs.
- `longtail.planner.failures`: what a failure means and what to do about it.
- `longtail.planner.client`: building a `GoogleAdsClient`, live from
  google-ads.yaml / GOOGLE_ADS_* variables, or aimed at a replay server.
- `longtail.planner.replay`: a loopback gRPC server that answers
  KeywordPlanIdeaService from recorded JSON fixtures (tests and `--replay`).
- `longtail.planner.record`: writing live exchanges as such fixtures.

Nothing is imported here: the Google Ads library takes about a second to load,
so each module loads it only inside the functions that need it.
"""

import os

# gRPC's C core logs at INFO to stderr (a "GOAWAY" line whenever a replay
# server shuts down); users see our messages, not its. GRPC_VERBOSITY set by
# the user still wins.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
