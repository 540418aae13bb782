"""The `longtail` command line: parses, calls the library, prints.

Only click and longtail's light modules are imported here; each command
imports what it needs when it runs, so `longtail --help` starts fast.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Any

import click

from longtail import __version__
from longtail.errors import LongtailError

DEBUG_VARIABLE = "LONGTAIL_DEBUG"


class ReportedError(click.ClickException):
    """A LongtailError as click shows it: the message, the error's exit code."""

    def __init__(self, error: LongtailError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code  # type: ignore[misc]  # click reads it per instance


class LongtailGroup(click.Group):
    """Turns longtail's errors into messages and exit codes; tracebacks only when debugging."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # In the order a run goes through them, not alphabetical.
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`... --format jsonl | head`): click ends
            # quietly with exit code 1, as for any command in a closed pipe.
            raise
        except LongtailError as error:
            if os.environ.get(DEBUG_VARIABLE) == "1":
                raise
            raise ReportedError(error) from error
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:
            if os.environ.get(DEBUG_VARIABLE) == "1":
                raise
            raise click.ClickException(
                f"unexpected {type(error).__name__}: {error}\n"
                f"This is a bug in longtail. Rerun with {DEBUG_VARIABLE}=1 to see the "
                "traceback, and report it."
            ) from error


@click.group(cls=LongtailGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="longtail")
@click.option(
    "--db",
    "db_path",
    envvar="LONGTAIL_DB",
    default="longtail.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Project database (SQLite). Also set by LONGTAIL_DB.",
)
@click.pass_context
def cli(ctx: click.Context, db_path: str) -> None:
    """Keyword research from buyer personas, ranked by what a customer is worth.

    longtail reads one YAML file per customer segment, expands each persona's
    words into long-tail keywords, looks up their search volumes in the Google
    Ads Keyword Planner, and ranks every keyword by

    \b
        value = avg monthly searches × segment CLV

    Every stage keeps its results in the project database, so each command
    can be run alone or again. The whole job in one go, offline on the
    recorded sample fixtures:

    \b
        longtail run personas/ --replay fixtures/keyword_planner -o keywords.xlsx

    Set LONGTAIL_DEBUG=1 to see tracebacks.
    """
    ctx.obj = {"db_path": db_path}
    if os.environ.get(DEBUG_VARIABLE) != "1":
        # Imported here, not at the top: logging costs `longtail --help` a
        # sixth of its start-up, and only a running command needs it.
        import logging

        # The Google Ads library logs every failed request with its customer id
        # and headers; longtail reports the failure itself, without them.
        logging.getLogger("google.ads.googleads").setLevel(logging.CRITICAL)


def main() -> None:
    """Console-script entry point.

    Once the command is done and its output flushed, the process ends without
    the interpreter's teardown: freeing spaCy's and the Google Ads library's
    tens of thousands of objects one by one takes a third of a second and
    does nothing a finished command needs. Exit handlers still run.
    """
    try:
        cli(prog_name="longtail")
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if isinstance(exit_.code, str):
            click.echo(exit_.code, err=True)
    if os.environ.get(DEBUG_VARIABLE) == "1":
        sys.exit(code)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _register() -> None:
    from longtail.cli import clv, forecast, imports, intent, personas, pipeline, trends

    cli.add_command(personas.personas)
    for command in pipeline.COMMANDS:
        cli.add_command(command)
    cli.add_command(imports.import_command)
    cli.add_command(intent.intent_command)
    cli.add_command(clv.clv_command)
    cli.add_command(forecast.forecast_command)
    cli.add_command(trends.trends_command)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
