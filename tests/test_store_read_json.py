"""``store.read.loads``: ``json.loads`` without importing ``json``, held to ``json.loads`` itself.

Stored answers are decoded by CPython's own scanner (``_json.make_scanner``) so that a warm
``find`` need not import ``json`` (and through it ``re`` and ``enum``). Whatever text a
store holds, hand-edited or damaged, it must decode to what ``json.loads`` gives, or be
refused as ``json.loads`` refuses it (a ``ValueError``), so a damaged row stays an
``error`` row and never a traceback.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interpdb.store.read import loads

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**20, max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)
_SPACE = st.text(alphabet=" \t\n\r", max_size=3)


def _same(left: Any, right: Any) -> bool:
    """Equal, NaN included (``nan != nan``), and of the same types (``1`` is not ``1.0``)."""
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same(left[k], right[k]) for k in left)
    return bool(left == right)


def _agree(text: str) -> None:
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError) as refused:
        with pytest.raises(type(refused) if isinstance(refused, RecursionError) else ValueError):
            loads(text)
        return
    assert _same(loads(text), expected), text


@given(_VALUES, _SPACE, _SPACE, st.sampled_from([None, 0, 2]), st.booleans())
def test_what_json_writes_decodes_as_json_loads_decodes_it(
    value: object, before: str, after: str, indent: int | None, ascii_only: bool
) -> None:
    _agree(before + json.dumps(value, indent=indent, ensure_ascii=ascii_only) + after)


@given(st.text(max_size=40))
def test_any_text_is_decoded_or_refused_as_json_loads_does(text: str) -> None:
    _agree(text)


@given(_VALUES, st.integers(min_value=0, max_value=200), st.text(max_size=3))
def test_damaged_json_is_refused_as_json_loads_refuses_it(value: object, at: int, junk: str) -> None:
    """A stored answer cut short or with something spliced in: the same verdict."""
    text = json.dumps(value)
    at = min(at, len(text))
    _agree(text[:at])
    _agree(text[:at] + junk + text[at:])


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "[Infinity, -Infinity]",
        "1e400",
        '"\\ud800"',  # a lone surrogate, as json.dumps writes one
        "\ufeff{}",  # a byte order mark: json.loads refuses it
        '{"a": 1, "a": 2}',  # the last wins
        "[" * 100_000 + "]" * 100_000,  # deeper than the recursion limit
        "",
        "  ",
    ],
)
def test_edge_cases(text: str) -> None:
    _agree(text)


def test_bytes_are_json_loads() -> None:
    """A damaged store's text read as bytes goes to ``json.loads``, which decodes UTF-8 (and -16, -32)."""
    assert loads('{"é": [1]}'.encode()) == {"é": [1]}
    assert loads('{"é": [1]}'.encode("utf-16")) == {"é": [1]}


def test_decoding_imports_neither_json_nor_re() -> None:
    """The point of it: in a fresh interpreter, a decode leaves ``json``, ``re`` and ``enum`` unimported."""
    code = (
        "import sys\n"
        "from interpdb.store.read import loads\n"
        "assert loads('{\"sys_path\": [\"/x\"], \"n\": 1.5}') == {'sys_path': ['/x'], 'n': 1.5}\n"
        "print(' '.join(m for m in ('json', 're', 'enum') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == [], out


def test_damaged_json_is_refused_as_a_value_error_without_json_imported() -> None:
    """What a warm answer meets: ``json`` not imported. CPython 3.10 and 3.11's scanner reports
    most malformed texts (a string or object cut short) through ``json.decoder``, which it only
    looks up among imported modules: without it, a SystemError and a traceback, not an error row."""
    code = (
        "import sys\n"
        "from interpdb.store.read import loads\n"
        "for text in sys.argv[1:]:\n"
        "    try:\n"
        "        loads(text)\n"
        "    except ValueError as refused:\n"
        "        print(type(refused).__name__, refused)\n"
    )
    damaged = ['{"sys_path": ["/usr/li', '{"a" 1}', "{", '"abc', "[1,", '{"a": tru', "[1] x"]
    done = subprocess.run([sys.executable, "-c", code, *damaged], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    refusals = done.stdout.splitlines()
    assert len(refusals) == len(damaged) and all(r.startswith(("ValueError", "JSONDecodeError")) for r in refusals)
