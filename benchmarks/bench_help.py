"""`longtail --help` against the --help of a bare one-command click program.

The help path must import neither spaCy, pandas, google-ads nor sqlite-utils.
Run: python benchmarks/bench_help.py [--repeat N]
"""

from __future__ import annotations

import argparse

from common import LONGTAIL, PYTHON, report, time_command

BARE = """
import click

@click.command()
def hello():
    "Say hello."

hello()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    longtail = LONGTAIL
    bare = time_command([PYTHON, "-c", BARE, "--help"], args.repeat)
    measured = time_command([longtail, "--help"], args.repeat)
    report("longtail --help", measured, "bare click --help", bare, target=1.5)


if __name__ == "__main__":
    main()
