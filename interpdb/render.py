"""Turn rows into text: a table for people, or ``json``, ``ndjson``, ``csv`` for programs.

The default ``table`` is drawn here, with the standard library only (no tabulate,
no click), so that a warm ``list`` costs what its JSON costs. It fits the
terminal: columns empty on every row are left out, the least important columns
give way first (shortened, then dropped), and paths are shortened in the middle
with the home folder shown as ``~``. ``wide=True`` prints every column whole.
tabulate is imported only for its own named formats (``github``, ``grid``...).

Text from outside (paths, interpreter messages, stored rows) is untrusted: every
cell and every message line goes through :func:`safe` before a terminal sees it.
JSON, NDJSON and CSV carry the exact text.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from interpdb._stdlib import datetime

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Any

# ``json`` and ``re`` are imported where they are used, not here: a warm ``find`` or
# ``list`` needs neither (``json`` imports ``re``, ``re`` imports ``enum``: a few ms).

#: The formats interpdb draws itself; any tabulate format name is accepted besides.
FORMATS = ("table", "json", "ndjson", "csv")
#: What a table is fitted to when stdout is not a terminal and ``COLUMNS`` is unset.
DEFAULT_WIDTH = 80
_GAP = "  "

# C0 controls, DEL, C1 controls, lone surrogates (undecodable bytes under
# surrogateescape), the Unicode line/paragraph separators and the bidirectional
# overrides and isolates (which reorder what a terminal shows: "Trojan Source").
# A pattern, compiled on first use through ``re``'s cache (0.5 ms): most text is printable.
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as surrogateescape carries it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def safe(text: object) -> str:
    """``text`` with every control character visible as an escape (``\\x1b``, ``\\n``).

    The one function for text that reaches a terminal: table cells, ``error:``,
    ``hint:`` and ``note:`` lines, plain output on a terminal. A backslash is left
    as it is: the display is for reading, the exact text is in the JSON.
    """
    text = str(text)
    if text.isprintable():  # the common case, and a quick test
        return text
    import re

    return re.sub(_UNSAFE, _escape, text)


def plain(text: str) -> str:
    """A data line on stdout (``find``'s path): exact for a pipe or ``$(...)``, escaped for a terminal."""
    return safe(text) if _stdout_is_terminal() else text


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def terminal_width() -> int:
    """``COLUMNS`` when set to a positive number, else the terminal's width, else 80.

    Like ``shutil.get_terminal_size`` on stdout, without importing shutil (which
    pulls in compression modules): a pipe gets the same table as an 80-column
    terminal, so what a script sees does not depend on where it ran.
    """
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or DEFAULT_WIDTH  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return DEFAULT_WIDTH


def when(value: datetime | None) -> str:
    """The one time format of tables and CSV: UTC, to the second, with a ``Z``. A time
    with an offset (``sql`` of a PostgreSQL ``timestamptz``, in the session's zone) is
    moved to UTC first: its wall-clock time with a ``Z`` was hours off."""
    if value is None:
        return ""
    offset = value.utcoffset()
    return (value - offset if offset else value).strftime("%Y-%m-%d %H:%M:%SZ")


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


class Column:
    """How one column of a table gives way when the terminal is too narrow.

    ``kind``: ``path`` is shortened in the middle (the file name kept); ``text``
    is cut at the end; ``fixed`` is never cut. In both others a path in the home
    folder is shown from ``~``.
    ``drop``: 0, always shown; otherwise the column may be left out, the highest
    numbers first (a shortenable column is first shortened to ``min_width``).
    ``keep``: shown even when it is empty on every row (a column asked for by name);
    other columns empty on every row are left out.
    """

    __slots__ = ("align", "drop", "header", "keep", "kind", "min_width", "name")

    def __init__(
        self,
        name: str,
        header: str | None = None,
        *,
        kind: str = "text",
        drop: int = 0,
        min_width: int | None = None,
        align: str | None = None,
        keep: bool = False,
    ) -> None:
        self.name = name
        self.keep = keep
        # A query's own column names reach here too (``sql``): shown escaped, as cells are.
        self.header = safe(name if header is None else header)
        self.kind = kind
        self.drop = drop
        self.min_width = min_width if min_width is not None else (20 if kind == "path" else 12)
        self.align = align

    def asked(self) -> Column:
        """This column as ``--columns`` names it: shortened when it must be, never dropped,
        shown even when empty."""
        return Column(self.name, self.header, kind=self.kind, min_width=self.min_width, align=self.align, keep=True)

    def __repr__(self) -> str:
        return f"Column({self.name!r})"


def table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column | str] | None = None,
    width: int | None = None,
    *,
    wide: bool = False,
    headers: bool = True,
) -> str:
    """The default table: ``columns`` (default: the keys of the first row) fitted to ``width``.

    ``width`` None means :func:`terminal_width`. A column named by a string (or by
    the first row: a query's) is shown even when empty on every row, as is a
    ``Column`` with ``keep``; other empty columns are left out. ``wide`` keeps every
    column whole and unshortened, empty ones too. A cell that is a list or tuple is drawn as
    one line per item; any other cell is one line (its newlines shown as ``\\n``).
    No final newline.
    """
    if not rows:
        return ""
    specs = [c if isinstance(c, Column) else Column(c, keep=True) for c in (columns or list(rows[0]))]
    home = None if wide else _home()
    cells = {spec.name: [_lines(row.get(spec.name), spec, home) for row in rows] for spec in specs}
    if not wide:
        specs = [s for s in specs if s.keep or any(line for cell in cells[s.name] for line in cell)]
        if not specs:
            return ""
    widths = {
        s.name: max([_width(s.header) if headers else 0, *(_width(x) for c in cells[s.name] for x in c)]) for s in specs
    }
    limit = None if wide else (width if width is not None else terminal_width())
    if limit is not None:
        specs = _fit(specs, widths, limit)
    aligns = {
        s.name: s.align or ("right" if all(_is_number(row.get(s.name)) for row in rows) else "left") for s in specs
    }
    ellipsis = _ellipsis()
    drawn = {s.name: [[_shorten(x, widths[s.name], s.kind, ellipsis) for x in c] for c in cells[s.name]] for s in specs}
    for s in specs:  # a shortened path may come out narrower than its column was allowed
        widths[s.name] = max([_width(s.header) if headers else 0, *(_width(x) for c in drawn[s.name] for x in c)])
    out = []
    if headers:
        out.append(_join([_pad(s.header, widths[s.name], aligns[s.name]) for s in specs]))
        out.append(_join(["-" * widths[s.name] for s in specs]))
    for index in range(len(rows)):
        row_cells = [drawn[s.name][index] for s in specs]
        for line in range(max(len(d) for d in row_cells) or 1):
            out.append(
                _join(
                    [
                        _pad(d[line] if line < len(d) else "", widths[s.name], aligns[s.name])
                        for s, d in zip(specs, row_cells)
                    ]
                )
            )
    if limit is not None and any(_width(line) > limit for line in out):
        # Even at their narrowest the columns do not fit: cut each line, visibly, rather than let it wrap.
        out = [line if _width(line) <= limit else _cut(line, limit - len(ellipsis)) + ellipsis for line in out]
    return "\n".join(out)


def _fit(specs: list[Column], widths: dict[str, int], width: int) -> list[Column]:
    """Shorten, then drop, the least important columns until the table is ``width`` wide (or can't be).

    Columns with ``drop`` 2 and up give way first (shortened, then dropped); then
    the others are shortened; a ``drop=1`` column goes only if that is not enough.
    """
    for spec in sorted((s for s in specs if s.drop > 1), key=lambda s: -s.drop):
        if _total(specs, widths) <= width:
            return specs
        if spec.kind != "fixed":
            widths[spec.name] -= min(_total(specs, widths) - width, max(0, widths[spec.name] - _floor(spec)))
        if _total(specs, widths) > width:
            specs = [s for s in specs if s is not spec]
    for last in [None, *(s for s in specs if s.drop == 1)]:
        if last is not None:
            specs = [s for s in specs if s is not last]
        trial = dict(widths)
        if _squeeze(specs, trial, width):
            break
    widths.update(trial)  # as narrow as it goes: the terminal wraps what is left over
    return specs


def _squeeze(specs: list[Column], widths: dict[str, int], width: int) -> bool:
    """Shorten the widest shortenable column, one column of text at a time, until the table fits."""
    excess = _total(specs, widths) - width
    while excess > 0:
        room = [s for s in specs if s.kind != "fixed" and widths[s.name] > _floor(s)]
        if not room:
            return False
        widest = max(room, key=lambda s: widths[s.name] - _floor(s))
        widths[widest.name] -= 1
        excess -= 1
    return True


def _total(specs: list[Column], widths: dict[str, int]) -> int:
    return sum(widths[s.name] for s in specs) + len(_GAP) * (len(specs) - 1)


def _floor(spec: Column) -> int:
    return max(spec.min_width, _width(spec.header))


def _lines(value: Any, spec: Column, home: str | None) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else [value]
    lines = [safe(_text(item)) for item in items]
    if home and spec.kind != "fixed":
        lines = [_tilde(line, home) for line in lines]
    return lines


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return str(value)


def _home() -> str | None:
    home = os.environ.get("HOME", "").rstrip("/")
    return home or None


def _tilde(text: str, home: str) -> str:
    """``/home/me/x`` as ``~/x`` wherever a path starts (at the start, or after a space, comma or colon)."""
    if not home or home not in text:
        return text
    out: list[str] = []
    copied = 0  # text[:copied] is in ``out``
    at = text.find(home)
    while at >= 0:
        end = at + len(home)
        if (at == 0 or text[at - 1] in ",:(=" or text[at - 1].isspace()) and (
            end == len(text) or text[end] in "/,)" or text[end].isspace()
        ):
            out += (text[copied:at], "~")
            copied = end
            at = text.find(home, end)
        else:
            at = text.find(home, at + 1)
    out.append(text[copied:])
    return "".join(out)


def _shorten(text: str, width: int, kind: str, ellipsis: str) -> str:
    if _width(text) <= width or kind == "fixed":
        return text
    room = max(1, width - len(ellipsis))
    if kind != "path" or room < 4:
        return _cut(text, room) + ellipsis
    # A label before the path ("site-file added: /v/new.pth") stays whole when it leaves room.
    label = max(text.rfind(": /"), text.rfind(": ~"))
    if label > 0 and _width(text[: label + 2]) <= width // 2:
        return text[: label + 2] + _shorten(text[label + 2 :], width - _width(text[: label + 2]), kind, ellipsis)
    # Keep the end (the file name) rather than the start: ~/.pyenv/…/bin/python3.12
    name = len(text) - text.rstrip("/").rfind("/")
    tail = _cut_start(text, min(max(room * 2 // 3, name), room - 2))
    cut = tail.find("/")
    # The end part starts inside a folder's name: take the whole name when the start part
    # keeps its first folder whole (/tmp/…/v12/bin/python: that name is what tells 40 venvs
    # apart; ~/.pyenv/…/bin/python3.12 keeps saying whose it is), else start at the next
    # folder if that costs little.
    whole = text.rfind("/", 0, len(text) - len(tail))
    top = 2 if text.startswith("~/") else 1 if text.startswith("/") else 0
    first = text.find("/", top) + 1  # the start part's first folder, with its slash
    if cut != 0 and whole >= first > 0 and _width(text[whole:]) <= room - first:
        tail = text[whole:]
    elif 0 < cut <= len(tail) // 4:
        tail = tail[cut:]
    head = _cut(text, room - _width(tail))
    cut = head.rfind("/")
    if len(head) - cut - 1 <= len(head) // 4:  # and end the start part after one: ~/.pyenv/...
        head = head[: cut + 1]
    return head + ellipsis + tail


def _cut(text: str, width: int) -> str:
    while _width(text) > width:
        text = text[: max(0, len(text) - max(1, _width(text) - width))]
    return text


def _cut_start(text: str, width: int) -> str:
    while _width(text) > width:
        text = text[max(1, _width(text) - width) :]
    return text


def _width(text: str) -> int:
    """Terminal columns: East Asian wide characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    from unicodedata import combining, east_asian_width

    return sum(0 if combining(c) else 2 if east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, align: str) -> str:
    fill = " " * (width - _width(text))
    return fill + text if align == "right" else text + fill


def _join(parts: list[str]) -> str:
    return _GAP.join(parts).rstrip()


def _is_number(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _ellipsis() -> str:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return "\u2026" if encoding.startswith("utf") else "..."


def to_json(document: Any) -> str:
    """``json.dumps(document, sort_keys=True, indent=2, default=str)``, the same text, faster.

    The standard library indents with its pure-Python encoder (its C encoder only writes
    compact JSON before Python 3.14), a generator per container and a call per token.
    Records are dicts, lists, text, numbers, booleans and None: those are written here
    in one recursive pass, strings and floats by the functions ``json`` itself uses,
    which takes about a third less time (``scripts/bench.py`` row 4b: a long listing is
    mostly this). Anything else (another type, a key that is not text, a float that is
    not finite) is left to ``json.dumps`` for the whole document.
    """
    out: list[str] = []
    try:
        _pretty(document, "\n", out.append)
    except (_NotPlain, RecursionError):  # json.dumps words a cycle as it always has
        import json

        return json.dumps(document, sort_keys=True, indent=2, default=str)
    return "".join(out)


# What ``json.dumps`` writes a string with: CPython's own function, without importing ``json``.
try:
    from _json import encode_basestring_ascii as _string
except ImportError:  # a Python without json's accelerator module
    from json.encoder import encode_basestring_ascii as _string


class _NotPlain(Exception):
    """A value :func:`_pretty` leaves to ``json.dumps``."""


def _pretty(value: Any, indent: str, write: Callable[[str], object]) -> None:
    string = _string
    kind = value.__class__
    if kind is str:
        write(string(value))
    elif value is None:
        write("null")
    elif value is True:
        write("true")
    elif value is False:
        write("false")
    elif kind is int:
        write(int.__repr__(value))
    elif kind is dict:
        if not value:
            write("{}")
            return
        inner = indent + "  "
        separator = "{" + inner
        for key in sorted(value):
            if key.__class__ is not str:
                raise _NotPlain
            write(separator)
            write(string(key))
            write(": ")
            _pretty(value[key], inner, write)
            separator = "," + inner
        write(indent + "}")
    elif kind is list or kind is tuple:
        if not value:
            write("[]")
            return
        inner = indent + "  "
        separator = "[" + inner
        for item in value:
            write(separator)
            _pretty(item, inner, write)
            separator = "," + inner
        write(indent + "]")
    elif kind is float and value - value == 0.0:  # finite: not NaN, inf or -inf
        write(float.__repr__(value))
    else:
        raise _NotPlain


def json_chunks(documents: Iterable[Any]) -> Iterator[str]:
    """:func:`to_json` of the list of ``documents`` in pieces, one document at a time, each
    produced as it is asked for: a long listing is written without being held whole.

    A document inside the array is indented one level more: each of its lines gains two
    spaces (no JSON string holds a raw newline, so every newline starts a line)."""
    opening = "[\n  "
    for document in documents:
        yield opening + to_json(document).replace("\n", "\n  ")
        opening = ",\n  "
    yield "[]" if opening == "[\n  " else "\n]"


def ndjson(documents: Iterable[Any]) -> Iterator[str]:
    """One compact JSON object a line (``jq -c``'s form), each produced as it is asked for."""
    import json

    for document in documents:
        yield json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A header line (when the columns are known: ``columns``, else the first row's keys;
    none for no rows and no ``columns``) and a line a row.

    Exact text for a pipe or a file; on a terminal each cell's control characters are
    escaped, as :func:`plain` does for ``find``'s path (a path can hold ``\\x1b]0;...``).
    """
    if not rows and columns is None:
        return ""
    buffer = io.StringIO()
    fieldnames = list(columns) if columns is not None else list(rows[0])
    import csv  # CSV output only: JSON and tables do not pay for it

    terminal = _stdout_is_terminal()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames, lineterminator="\n", extrasaction="ignore")
    if terminal:  # a query's own column names too (sql 'SELECT 1 AS "\x1b]0;..."')
        writer.writerow({name: safe(name) for name in fieldnames})
    else:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(row.get(k), terminal) for k in fieldnames})
    return buffer.getvalue()


def _csv_cell(value: Any, terminal: bool = False) -> Any:
    if isinstance(value, (list, tuple, dict)):
        import json

        value = json.dumps(value, sort_keys=True)
    elif isinstance(value, bool):
        return yes_no(value)
    elif isinstance(value, datetime):
        return when(value)
    elif value is None:
        return ""
    return safe(value) if terminal and isinstance(value, str) else value


def to_tabulate(rows: Sequence[Mapping[str, Any]], fmt: str, columns: Sequence[str] | None = None) -> str:
    """A named tabulate format (``github``, ``grid``...): cells escaped, nothing shortened."""
    from tabulate import tabulate

    if not rows:
        return ""
    names = list(columns) if columns is not None else list(rows[0])
    body = [[_tabulate_cell(row.get(name)) for name in names] for row in rows]
    return str(tabulate(body, headers=[safe(name) for name in names], tablefmt=fmt))


def _tabulate_cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "\n".join(safe(_text(item)) for item in value)
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    return safe(_text(value))


def table_formats() -> list[str]:
    from tabulate import tabulate_formats

    return list(tabulate_formats)


def render(
    rows: Sequence[Mapping[str, Any]],
    fmt: str,
    document: Any = None,
    *,
    columns: Sequence[Column | str] | None = None,
    width: int | None = None,
    wide: bool = False,
    fields: Sequence[str] | None = None,
) -> str:
    """``document`` (default: ``rows``) is what JSON and NDJSON print; tables and CSV show ``rows``.

    ``columns`` chooses and orders the table and CSV columns (CSV: all of them
    unless chosen). ``fields``: every column, in order, for CSV's header when
    ``columns`` does not choose (a result of no rows is still a header). Like JSON
    and tables, the text has no final newline: the caller's echo adds it.
    """
    if fmt == "json":
        return to_json(rows if document is None else document)
    if fmt == "ndjson":
        return "\n".join(ndjson(rows if document is None else document))
    names = None if columns is None else [c.name if isinstance(c, Column) else c for c in columns]
    if fmt == "csv":
        # The last row's terminator goes (the caller's echo adds it); a quoted cell keeps its own.
        return to_csv(rows, names if names is not None else fields).removesuffix("\n")
    if fmt == "table":
        return table(rows, columns, width, wide=wide)
    return to_tabulate(rows, fmt, names if names is not None else fields)  # CSV's order, CSV's names
