"""Turn rows into text: ``table`` (any tabulate format), ``json`` or ``csv``.

tabulate is imported only when a table is drawn: ``--format json`` never pays for it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FORMATS = ("table", "json", "csv")


def to_json(document: Any) -> str:
    return json.dumps(document, sort_keys=True, indent=2, default=str)


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else value


def to_table(rows: Sequence[Mapping[str, Any]], fmt: str = "table") -> str:
    from tabulate import tabulate

    if not rows:
        return ""
    tablefmt = "simple" if fmt == "table" else fmt
    return str(tabulate([[_cell(v) for v in row.values()] for row in rows], headers=list(rows[0]), tablefmt=tablefmt))


def table_formats() -> list[str]:
    from tabulate import tabulate_formats

    return list(tabulate_formats)


def render(rows: Sequence[Mapping[str, Any]], fmt: str, document: Any = None) -> str:
    """``document`` (default: ``rows``) is what JSON prints; tables and CSV show ``rows``.

    Like JSON and tables, the text has no final newline: the caller's echo adds it.
    """
    if fmt == "json":
        return to_json(rows if document is None else document)
    if fmt == "csv":
        return to_csv(rows).removesuffix("\n")  # the last row's terminator; a quoted cell keeps its own
    return to_table(rows, fmt)
