"""The ``interpdb`` command: parse, call the service, render. No SQL and no stat calls here.

Each command lives in its own module; this one holds the group and the single
boundary that turns expected failures into a one-line message and an exit code
(1 for a failure, 2 for a usage error), never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from interpdb import __version__
from interpdb.cli._common import AppState, message_line

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
        from interpdb.errors import InventoryError

        try:
            return super().invoke(ctx)
        except InventoryError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt:
            message_line("interrupted", "error")
            ctx.exit(130)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's own main, with its messages in interpdb's style: ``error: ...`` (not ``Error: ...``),
        a usage error's ``hint:`` to the command's help, untrusted text escaped."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            message_line(error.format_message(), "error")
            if error.ctx is not None:
                message_line(f"`{error.ctx.command_path} --help` shows the usage", "hint")
            sys.exit(error.exit_code)
        except click.ClickException as error:
            message_line(error.format_message(), "error")
            sys.exit(error.exit_code)
        except click.Abort:
            message_line("aborted", "error")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


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
