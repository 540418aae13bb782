"""Regenerate the command output shown in README.md by running the commands.

Each block in the README between

    <!-- output: longtail personas list -->
    ```
    ...
    ```
    <!-- /output -->

is replaced with what the command prints, run from a scratch folder holding
copies of personas/ and fixtures/ with its own database, so the README shows
exactly what a user sees after the quick start. Commands of one README run in
order against the same database, as a user would type them.

    python scripts/update_readme.py          # rewrite README.md
    python scripts/update_readme.py --check  # exit 1 if README.md is out of step
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(
    r"(<!-- output: (?P<command>.+?) -->\n```[a-z]*\n)(?P<body>.*?)(```\n<!-- /output -->)",
    re.DOTALL,
)
LONGTAIL = str(Path(sys.executable).with_name("longtail"))
# Dates and times change from run to run; --check compares without them.
VOLATILE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2} UTC)?")


def run(command: str, workdir: Path) -> str:
    """What `command` prints (stdout and stderr, as a terminal shows them)."""
    argv = shlex.split(command)
    assert argv[0] == "longtail", f"README blocks run longtail only, not {argv[0]}"
    env = {**os.environ, "LONGTAIL_DB": str(workdir / "longtail.db"), "COLUMNS": "80"}
    env.pop("LONGTAIL_DEBUG", None)
    done = subprocess.run(
        [LONGTAIL, *argv[1:]], cwd=workdir, env=env, capture_output=True, text=True
    )
    return done.stdout + done.stderr


def render(text: str) -> str:
    """README text with every output block filled in afresh."""
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        shutil.copytree(ROOT / "personas", workdir / "personas")
        shutil.copytree(ROOT / "fixtures", workdir / "fixtures")
        shutil.copytree(ROOT / "tests" / "data", workdir / "tests" / "data")
        shutil.copytree(ROOT / "examples", workdir / "examples")

        def fill(match: re.Match[str]) -> str:
            output = run(match["command"], workdir)
            if not output.endswith("\n"):
                output += "\n"
            return match.group(1) + output + match.group(4)

        return BLOCK.sub(fill, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if VOLATILE.sub("<date>", fresh) != VOLATILE.sub("<date>", current):
            sys.exit("README.md is out of step with the code: run python scripts/update_readme.py")
        print("README.md is in step with the code")
    else:
        README.write_text(fresh, encoding="utf-8")
        print(f"updated {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
