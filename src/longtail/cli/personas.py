"""`longtail personas`: check and show the persona files."""

from __future__ import annotations

from pathlib import Path

import click

from longtail.cli.common import paths_or_default, persona_paths
from longtail.cli.output import table


@click.group()
def personas() -> None:
    """Check and show buyer personas (one YAML file per customer segment)."""


@personas.command()
@persona_paths
def validate(paths: tuple[Path, ...]) -> None:
    """Check persona files and report every problem at once.

    PATHS are persona files or folders of them (default: personas/). Each
    problem names its file, line and field, and says how to fix it. Exits
    with 2 when any file is invalid. Writes nothing.

    Example:

    \b
        longtail personas validate personas/
    """
    from longtail.pipeline import load_stage

    loaded = load_stage(paths_or_default(paths))
    noun = "persona" if len(loaded) == 1 else "personas"
    click.echo(f"{len(loaded)} {noun} valid: {', '.join(p.id for p, _ in loaded)}")


@personas.command(name="list")
@persona_paths
def list_personas(paths: tuple[Path, ...]) -> None:
    """Show each persona with its CLV and the inputs it came from.

    PATHS are persona files or folders of them (default: personas/).

    Example:

    \b
        longtail personas list
    """
    from longtail.pipeline import load_stage

    loaded = load_stage(paths_or_default(paths))
    rows = [
        (
            persona.id,
            persona.name,
            clv.value,
            persona.market.currency,
            ",".join(persona.market.geo),
            clv.formula,
        )
        for persona, clv in sorted(loaded, key=lambda item: -item[1].value)
    ]
    click.echo(table(["id", "name", "CLV", "currency", "geo", "CLV from"], rows, right=[2]))
