"""Datasette metadata for an interpdb store: what each table, view and column means, readable foreign keys, and the
example queries as canned queries.

Everything comes from ``interpdb.schema_docs``, the source docs/schema.md is written from, so Datasette and the
documentation say the same thing. The shape is Datasette 0.65's ``metadata.json`` (``datasette FILE -m
metadata.json``).
"""

from __future__ import annotations

from typing import Any

from interpdb.schema_docs import EXAMPLES, RELATIONS, column_meanings, plain

DESCRIPTION = (
    "interpdb's inventory of Python interpreters: every probe it ran, why, and the stat fingerprint that decides "
    "whether the answer is still true. The views interpreters_current, probe_audit and current_sys_path are the "
    "way in; the canned queries are the examples of interpdb's docs/schema.md."
)


def metadata(database: str) -> dict[str, Any]:
    """The metadata document for a store that Datasette names ``database`` (its file name without the suffix)."""
    tables: dict[str, Any] = {}
    for relation in RELATIONS:
        columns = column_meanings(relation)
        table: dict[str, Any] = {
            "description": plain(relation.description),
            "columns": {name: plain(meaning) for name, meaning in columns.items() if meaning},
        }
        if relation.label_column is not None:
            table["label_column"] = relation.label_column
        if relation.sort_desc is not None:
            table["sort_desc"] = relation.sort_desc
        tables[relation.name] = table
    queries: dict[str, Any] = {}
    for example in EXAMPLES:
        query = {"title": plain(example.title), "sql": example.sql}
        more = plain(" ".join(example.comments[1:]))
        if more:
            query["description"] = more
        queries[example.name] = query
    return {
        "title": "interpdb",
        "description": DESCRIPTION,
        "databases": {database: {"description": DESCRIPTION, "tables": tables, "queries": queries}},
    }
