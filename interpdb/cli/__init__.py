"""The ``interpdb`` command: parse, call the service, render. No SQL and no stat calls here.

Each command lives in its own module; this one holds the group and the single
boundary that turns expected failures into a one-line message and an exit code
(1 for a failure, 2 for a usage error), never a traceback.
"""

from __future__ import annotations

from typing import Any

import click

from interpdb import __version__
from interpdb.cli._common import AppState

#: command name -> "module:attribute". Loaded when used, so a command pays only
#: for its own imports (``db`` pulls in pathlib, ``export`` the ORM helpers...).
COMMANDS = {
    "probe": "probe_cmd:command",
    "list": "list_cmd:command",
    "find": "find_cmd:command",
    "show": "show_cmd:command",
    "history": "history_cmd:command",
    "discover": "discover_cmd:command",
    "sql": "sql_cmd:command",
    "forget": "forget_cmd:forget",
    "prune": "forget_cmd:prune",
    "db": "db_cmd:command",
    "export": "export_cmd:command",
    "import": "export_cmd:import_command",
}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        from importlib import import_module

        module, attribute = target.split(":")
        command = getattr(import_module(f"interpdb.cli.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Kept so each probe can record who asked (the command line), in-process too.
        ctx.meta["interpdb.argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from interpdb.errors import BadRequest, InventoryError

        try:
            return super().invoke(ctx)
        except BadRequest as error:
            raise click.UsageError(str(error)) from None
        except InventoryError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="interpdb")
@click.option(
    "--db",
    metavar="PATH_OR_URL",
    envvar="INTERPDB_DB",
    help="Database file or SQLAlchemy URL [env: INTERPDB_DB; default: the user data directory].",
)
@click.option("-q", "--quiet", is_flag=True, help="Print data only: no hints or notes on stderr.")
@click.option("-v", "--verbose", count=True, help="Say on stderr why each interpreter was (not) probed.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, quiet: bool, verbose: int) -> None:
    """What is this Python interpreter, and is what I know about it still true?

    interpdb probes interpreters once, keeps the answer with the stat fingerprint
    of everything that decides it, and probes again only when that fingerprint
    changes or you ask.
    """
    ctx.obj = AppState(db=db, quiet=quiet, verbose=verbose)


def main() -> None:
    cli(prog_name="interpdb")
