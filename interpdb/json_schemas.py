"""The published JSON Schemas (Draft 2020-12) of every JSON document interpdb prints.

They live in one file, ``interpdb/schemas/interpdb.schema.json``, whose ``$defs``
hold each document (named after its command) and the parts they share (a record,
a history event, a fingerprint change...), so each part is written once.
``schema(NAME)`` gives one document as a standalone schema: its own definition at
the top, and only the ``$defs`` it refers to.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: The documents, in the order ``interpdb schema`` lists them.
NAMES = ("list", "probe", "discover", "prune", "find", "show", "history", "hosts", "sql", "export")


@cache
def _source() -> dict[str, Any]:
    from importlib.resources import files

    text = files("interpdb").joinpath("schemas").joinpath("interpdb.schema.json").read_text(encoding="utf-8")
    source: dict[str, Any] = json.loads(text)
    return source


def title(name: str) -> str:
    return str(_source()["$defs"][name]["title"])


def schema(name: str) -> dict[str, Any]:
    """The standalone schema of the document ``name`` (one of ``NAMES``)."""
    if name not in NAMES:
        raise KeyError(name)
    defs = _source()["$defs"]
    used: dict[str, Any] = {}
    pending = _refs(defs[name])
    while pending:
        ref = pending.pop()
        if ref not in used:
            used[ref] = defs[ref]
            pending |= _refs(defs[ref])
    document = {"$schema": DRAFT, **defs[name]}
    if used:
        document["$defs"] = dict(sorted(used.items()))
    return document


def _refs(node: Any) -> set[str]:
    """The ``#/$defs/NAME`` names ``node`` refers to, at any depth."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            found.add(ref[len("#/$defs/") :])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found
