"""Timing helpers shared by the benchmark scripts: medians of repeated runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def time_command(argv: Sequence[str], repeat: int, cwd: str | None = None) -> float:
    """Median wall time of running `argv` to completion, in seconds."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, cwd=cwd, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def time_call(
    call: Callable[[], object], repeat: int, setup: Callable[[], object] | None = None
) -> float:
    """Median wall time of `call()`, running `setup()` untimed before each call."""
    timings = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def report(name: str, measured: float, baseline_name: str, baseline: float, target: float) -> None:
    """Print one benchmark line: both times and their ratio against the target."""
    ratio = measured / baseline
    verdict = "within" if ratio <= target else "OVER"
    print(
        f"{name}: {measured:.3f} s; {baseline_name}: {baseline:.3f} s; "
        f"ratio {ratio:.2f}x ({verdict} the {target}x target)"
    )


PYTHON = sys.executable
# The console script installed beside this interpreter (the venv's own).
LONGTAIL = str(Path(sys.executable).with_name("longtail"))
