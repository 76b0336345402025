"""The ``interpdb`` command: parse, call the service, render. No SQL and no stat calls here.

Each command lives in its own module; this one holds the group and the single
boundary that turns expected failures into a one-line message and an exit code
(1 for a failure, 2 for a usage error), never a traceback.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from interpdb import __version__
from interpdb.cli._common import AppState, message_line
from interpdb.errors import OutputError, flush_output
from interpdb.store import gate

#: command name -> "module:attribute". Loaded when used, so a command pays only
#: for its own imports (``db`` pulls in pathlib, ``export`` the ORM helpers...).
COMMANDS = {
    "probe": "probe_cmd:command",
    "list": "list_cmd:command",
    "find": "find_cmd:command",
    "show": "show_cmd:command",
    "history": "history_cmd:command",
    "hosts": "hosts_cmd:command",
    "discover": "discover_cmd:command",
    "sql": "sql_cmd:command",
    "forget": "forget_cmd:forget",
    "prune": "forget_cmd:prune",
    "db": "db_cmd:command",
    "export": "export_cmd:command",
    "import": "export_cmd:import_command",
    "schema": "schema_cmd:command",
}


#: Flags of the group that may also be written after the command.
_GLOBAL_FLAGS = frozenset({"-q", "--quiet", "--verbose", "--read-only"})
_VERBOSE = re.compile(r"-v+")


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
        return super().parse_args(ctx, self._hoist_global_options(ctx, args))

    def _hoist_global_options(self, ctx: click.Context, args: list[str]) -> list[str]:
        """``interpdb list --db X`` as ``interpdb --db X list``: the global options may follow the command.

        Only tokens in option position move: a value of the command's own options (``sql
        -p -q=1``), anything after ``--`` and anything a nested group's command owns stay put.
        """
        index = 0
        while index < len(args) and args[index].startswith("-"):  # the group's own options first
            index += 2 if args[index] == "--db" else 1
        if index >= len(args) or args[index] not in COMMANDS:
            return args
        command = self.get_command(ctx, args[index])
        takes_value = set()
        if command is not None:
            for param in command.params:
                if isinstance(param, click.Option) and not param.is_flag and not param.count:
                    takes_value.update(param.opts)
        head, rest, moved = list(args[: index + 1]), args[index + 1 :], []
        kept: list[str] = []
        position = 0
        while position < len(rest):
            token = rest[position]
            if token == "--":
                kept.extend(rest[position:])
                break
            if token in takes_value:
                kept.extend(rest[position : position + 2])
                position += 2
                continue
            if token == "--db" and position + 1 < len(rest):
                moved.extend(rest[position : position + 2])
                position += 2
                continue
            if token.startswith("--db=") or token in _GLOBAL_FLAGS or _VERBOSE.fullmatch(token):
                moved.append(token)
            else:
                kept.append(token)
            position += 1
        return [*head[:index], *moved, head[index], *kept]

    def invoke(self, ctx: click.Context) -> Any:
        from interpdb.errors import Interrupted, InventoryError, report

        try:
            with stop_on_signals():
                return super().invoke(ctx)
        except (InventoryError, Interrupted, KeyboardInterrupt) as error:
            code, lines = report(error, quiet=bool(getattr(ctx.obj, "quiet", False)))
            for line in lines:
                message_line(line)
            ctx.exit(code)

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
            # -q silences the hint, where it was given before the mistake or after it.
            quiet = any(token in ("-q", "--quiet") for token in (sys.argv[1:] if args is None else args))
            if error.ctx is not None and not quiet:
                message_line(f"`{error.ctx.command_path} --help` shows the usage", "hint")
            sys.exit(error.exit_code)
        except click.ClickException as error:
            message_line(error.format_message(), "error")
            sys.exit(error.exit_code)
        except click.Abort:
            message_line("aborted", "error")
            sys.exit(1)
        except OutputError as failed:
            sys.exit(flush_output(0, failed.error))
        except OSError as error:
            if not _written_by_click(error):
                raise
            sys.exit(flush_output(0, error))  # --help or --version to a full disk or a closed stdout

        sys.exit(flush_output(code if isinstance(code, int) else 0))


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop a command as Ctrl-C does: finished probes kept, running ones
    killed, one line, exit 128 + the signal (``errors.report``)."""
    from interpdb.errors import stop_on_signals as install

    restore = install()
    try:
        yield
    finally:
        restore()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="interpdb")
@click.option(
    "--db",
    metavar="PATH_OR_URL",
    envvar="INTERPDB_DB",
    callback=lambda ctx, _param, value: _db_given(ctx, value),
    help="Database file or SQLAlchemy URL [env: INTERPDB_DB; default: the user data directory].",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Open the store read-only: nothing is probed or written, changed interpreters show as stale "
    "[env: INTERPDB_READ_ONLY].",
)
@click.option("-q", "--quiet", is_flag=True, help="Print data only: no hints or notes on stderr.")
@click.option("-v", "--verbose", count=True, help="Say on stderr why each interpreter was (not) probed.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, read_only: bool, quiet: bool, verbose: int) -> None:
    """What is this Python interpreter, and is what I know about it still true?

    interpdb probes interpreters once, keeps the answer with the stat fingerprint
    of everything that decides it, and probes again only when that fingerprint
    changes or you ask.
    """
    gate.read_only_requested(read_only)  # a value of INTERPDB_READ_ONLY that means nothing: one line, exit 2
    ctx.obj = AppState(db=db, quiet=quiet, verbose=verbose, read_only=read_only)


def _db_given(ctx: click.Context, value: str | None) -> str | None:
    """``--db ""`` is a mistake (``--db "$UNSET"``), not a wish for the default store, which
    it would quietly use; an empty INTERPDB_DB counts as unset, as an empty XDG variable does."""
    if value == "" and ctx.get_parameter_source("db") is click.core.ParameterSource.COMMANDLINE:
        raise click.BadParameter("is empty: name a database file or a URL", param_hint="'--db'")
    return value or None


def _written_by_click(error: OSError) -> bool:
    """Did ``error`` come from ``click.echo``: click's help or version on stdout, or a
    message line on a stderr that cannot be written either (then nothing more is said)?
    A command's data goes through ``errors.write_output`` and its own ``OutputError``."""
    import traceback

    return any(
        frame.f_code.co_name == "echo" and frame.f_globals.get("__name__") == "click.utils"
        for frame, _line in traceback.walk_tb(error.__traceback__)
    )


def main() -> None:
    from interpdb.errors import standard_streams

    standard_streams()
    cli(prog_name="interpdb")
