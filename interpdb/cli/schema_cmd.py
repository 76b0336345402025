"""``interpdb schema [NAME]``: the JSON Schema of a JSON document interpdb prints."""

from __future__ import annotations

import click

from interpdb.cli._common import emit
from interpdb.json_schemas import NAMES


@click.command("schema", short_help="Print the JSON Schema of a command's JSON output.")
@click.argument("name", required=False, type=click.Choice(NAMES), metavar="[NAME]")
def command(name: str | None) -> None:
    """Print the JSON Schema (Draft 2020-12) of NAME's JSON output; without NAME, list the names.

    NAME is the command whose JSON it describes: list, probe, discover,
    prune, find, show, history, hosts, sql or export. Keys may be added without a schema_version bump;
    removing, renaming or retyping one bumps it (README, "JSON").

    \b
      interpdb schema                 the names
      interpdb schema list > list.schema.json
    """
    from interpdb.json_schemas import schema, title

    if name is None:
        width = max(map(len, NAMES))
        emit("\n".join(f"{n:<{width}}  {title(n)}" for n in NAMES))
        return
    from interpdb.render import to_json

    emit(to_json(schema(name)))
