"""Google Ads Keyword Planner: search volumes for keywords.

- `longtail.planner.metrics`: `fetch_historical_metrics`, batched
  GenerateKeywordHistoricalMetrics lookups mapped back to the keywords asked.
- `longtail.planner.client`: building a `GoogleAdsClient`, live from
  google-ads.yaml / GOOGLE_ADS_* variables, or aimed at a replay server.
- `longtail.planner.replay`: a loopback gRPC server that answers
  KeywordPlanIdeaService from recorded JSON fixtures (tests and `--replay`).

Nothing is imported here: the Google Ads library takes about a second to load,
so each module loads it only inside the functions that need it.
"""

import os

# gRPC's C core logs at INFO to stderr (a "GOAWAY" line whenever a replay
# server shuts down); users see our messages, not its. GRPC_VERBOSITY set by
# the user still wins.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
