"""The README's commands and sample output stay in step with the code and CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

RUN_COMMAND = (
    "pip install -e . && longtail run personas/ --replay fixtures/keyword_planner -o keywords.xlsx"
)
TEST_COMMAND = "pip install -e '.[test]' && pytest"


def test_readme_gives_the_two_quick_start_commands() -> None:
    assert f"```\n{RUN_COMMAND}\n```" in README
    assert f"```\n{TEST_COMMAND}\n```" in README


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert TEST_COMMAND in ci


def test_readme_output_matches_what_the_commands_print() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "update_readme.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_readme_documents_the_bundled_defaults_verbatim() -> None:
    from longtail.config import default_config_text

    assert f"```toml\n{default_config_text().rstrip()}\n```" in README
