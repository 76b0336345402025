"""Output for people and for streams: tables that fit, escaped untrusted text, ndjson, --json, one message style."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Cli, python_for
from hypothesis import given
from hypothesis import strategies as st

from interpdb import render
from interpdb.cli._common import ProgressBar

#: A folder named by someone who wants to drive the terminal: colour, a window title, a newline.
HOSTILE = "red\x1b[31m title\x1b]0;pwned\x07 new\nline"
RAW = ("\x1b", "\x07", "\x9b")


def _controls(text: str) -> list[str]:
    """The C0, DEL and C1 characters in ``text``, the line breaks between lines excepted."""
    return [c for line in text.split("\n") for c in line if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F]


@pytest.fixture
def hostile(tmp_path: Path, base_python: Path) -> Path:
    """A real interpreter reached through a symlink in a folder with escapes and a newline in its name."""
    folder = tmp_path / HOSTILE
    folder.mkdir()
    (folder / "python3").symlink_to(base_python)
    return folder / "python3"


# -- render.safe ------------------------------------------------------------------------------


def test_safe_shows_every_control_character_as_an_escape() -> None:
    """C0, DEL and C1 become visible escapes; a newline is ``\\n``; printable text is untouched."""
    for code in [*range(0x20), *range(0x7F, 0xA0)]:
        shown = render.safe(f"a{chr(code)}b")
        assert not _controls(shown) and "\n" not in shown, hex(code)
        assert shown.startswith("a\\") and shown.endswith("b")
    assert render.safe("x\ny\tz\r") == "x\\ny\\tz\\r"
    assert render.safe("\x1b[31m\x1b]0;t\x07") == "\\x1b[31m\\x1b]0;t\\x07"
    assert render.safe("\x9b") == "\\x9b"
    assert render.safe("caf\u00e9 \u00fc ~/py") == "caf\u00e9 \u00fc ~/py"
    assert render.safe(os.fsdecode(b"bad\xff")) == "bad\\xff"  # an undecodable byte, as surrogateescape carries it
    assert render.safe("a\u202eb\u2028c") == "a\\u202eb\\u2028c"  # bidi override, line separator


@given(st.text())
def test_safe_never_lets_a_control_character_through(text: str) -> None:
    shown = render.safe(text)
    assert not _controls(shown) and "\n" not in shown
    if text.isprintable():
        assert shown == text


# -- render.table -----------------------------------------------------------------------------


def test_table_leaves_out_empty_columns_but_not_named_ones_and_wide_keeps_them() -> None:
    """A command's own columns give way when empty; a column named (``--columns``, a string, or
    a query's own, by the first row, as ``sql`` shows them) is shown empty as it is."""
    rows = [{"id": 1, "path": "/a/python", "note": ""}, {"id": 2, "path": "/b/python", "note": None}]
    own = [render.Column("id"), render.Column("path"), render.Column("note")]
    expected = ["id  path", "--  ---------", " 1  /a/python", " 2  /b/python"]
    assert render.table(rows, own, width=80).splitlines() == expected
    assert render.table(rows, own, width=80, wide=True).splitlines()[0] == "id  path       note"
    assert render.table(rows, width=80).splitlines()[0] == "id  path       note"
    assert render.table(rows, ["id", "note"], width=80).splitlines()[0] == "id  note"
    asked = [render.Column("id"), render.Column("note", keep=True)]
    assert render.table(rows, asked, width=80).splitlines()[0] == "id  note"


def test_table_shortens_paths_in_the_middle_keeping_the_file_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/me")
    path = "/home/me/.pyenv/versions/3.12.1/bin/python3.12"
    rows = [{"path": path, "version": "3.12.1"}]
    columns = [render.Column("path", kind="path"), render.Column("version", kind="fixed")]
    assert render.table(rows, columns, width=80).splitlines()[2] == "~/.pyenv/versions/3.12.1/bin/python3.12  3.12.1"
    narrow = render.table(rows, columns, width=34).splitlines()
    assert max(len(line) for line in narrow) <= 34
    assert narrow[2].startswith("~/.pyenv/") and narrow[2].split()[0].endswith("/bin/python3.12")
    assert "\u2026" in narrow[2] or "..." in narrow[2]
    assert render.table(rows, columns, width=34, wide=True).splitlines()[2].startswith(path)


def test_a_shortened_path_keeps_the_folder_that_tells_it_apart() -> None:
    """Forty venvs side by side read ``/tmp/many/…/bin/python`` forty times: the end part
    now takes a whole folder name when the start keeps its first folder."""
    shown = {render._shorten(f"/tmp/many/v{i}/bin/python", 22, "path", "…") for i in range(10, 50)}
    assert len(shown) == 40 and "/tmp/…/v12/bin/python" in shown
    assert render._shorten("~/.pyenv/versions/3.12.1/bin/python3.12", 26, "path", "…") == "~/.pyenv/…/bin/python3.12"


def test_table_drops_the_least_important_columns_first() -> None:
    rows = [{"path": "/p" * 20, "status": "cached", "when": "2026-01-01 00:00:00Z", "extra": "x" * 30}]
    columns = [
        render.Column("path", kind="path"),
        render.Column("status", kind="fixed"),
        render.Column("when", kind="fixed", drop=3),
        render.Column("extra", drop=9),
    ]
    assert render.table(rows, columns, width=200).splitlines()[0].split() == ["path", "status", "when", "extra"]
    assert render.table(rows, columns, width=72).splitlines()[0].split() == ["path", "status", "when"]
    assert render.table(rows, columns, width=50).splitlines()[0].split() == ["path", "status"]


def test_table_cells_are_escaped_and_lists_are_lines() -> None:
    text = render.table([{"a": "x\x1b[31m\ny", "b": ["one", "two\x07"]}], width=80)
    assert text.splitlines() == [
        "a             b",
        "------------  -------",
        "x\\x1b[31m\\ny  one",
        "              two\\x07",
    ]


def test_table_measures_wide_characters_by_their_columns() -> None:
    lines = render.table([{"name": "\u4e2d\u6587", "v": 1}, {"name": "ab", "v": 2}], width=80).splitlines()
    assert lines[2] == "\u4e2d\u6587  1" and lines[3] == "ab    2"  # two characters, four columns


def test_terminal_width_is_columns_then_the_terminal_then_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "132")
    assert render.terminal_width() == 132
    monkeypatch.setenv("COLUMNS", "nonsense")
    assert render.terminal_width() == 80  # pytest's stdout is not a terminal
    monkeypatch.delenv("COLUMNS")
    assert render.terminal_width() == 80


# -- the commands' tables ---------------------------------------------------------------------


@pytest.fixture
def known(run: Cli, make_venv: Callable[..., Path], tmp_path: Path) -> list[Path]:
    venv = make_venv("a-venv-in-a-folder-with-a-long-name-so-that-its-path-must-be-shortened")
    pythons = [python_for("3.11"), python_for("3.12"), venv]
    run("probe", *pythons)
    (venv.parent.parent / "lib" / "python3.12" / "site-packages" / "x.pth").write_text(str(tmp_path) + "\n")
    run("probe", venv)
    return pythons


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--no-discover"],
        ["list", "--no-discover", "--aliases", "--all"],
        ["history"],
        ["history", "--diff"],
        ["show", "3"],
        ["sql", "SELECT * FROM probe_audit"],
        ["hosts"],
        ["discover", "--offline", "--source", "pyenv"],
    ],
    ids=" ".join,
)
def test_default_tables_fit_the_width(
    run: Cli, known: list[Path], monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """At 60, 80, 100 and 120 columns no line is wider; ``--wide`` is not held to it."""
    for width in (60, 80, 100, 120):
        monkeypatch.setenv("COLUMNS", str(width))
        lines = run(*args).stdout.splitlines()
        assert lines and max(len(line) for line in lines) <= width, (width, "\n".join(lines))
    monkeypatch.setenv("COLUMNS", "60")
    wide = run(*args, "--wide").stdout.splitlines()
    assert max(len(line) for line in wide) > 60


def test_list_table_shows_what_a_person_scans_first(run: Cli, known: list[Path]) -> None:
    """80 columns: id, path, impl, version, venv, status; no empty column; times in UTC with a Z."""
    header, _rule, *rows = run("list", "--no-discover").stdout.splitlines()
    assert header.split() == ["id", "path", "impl", "version", "venv", "status"]
    assert len(rows) == 3
    assert sorted(row.split()[3] for row in rows)[0].startswith("3.11")
    assert {row.split()[4] for row in rows} == {"yes", "no"}
    wide = run("list", "--no-discover", "--wide").stdout
    assert str(known[2]) in wide and "aliases" in wide and "note" in wide
    assert wide.splitlines()[2].endswith("Z")  # probed at
    # Every column: this host's name too (the cell was blank, while CSV named it).
    from interpdb import hostid

    assert wide.splitlines()[0].split()[1] == "host"
    assert {row.split()[1] for row in wide.splitlines()[2:]} == {hostid.current().name}


def test_columns_chooses_table_and_csv_columns(run: Cli, known: list[Path]) -> None:
    assert run("list", "--no-discover", "--columns", "version,path").stdout.splitlines()[0].split() == [
        "version",
        "path",
    ]
    rows = list(
        csv.reader(io.StringIO(run("list", "--no-discover", "--columns", "path,venv", "--format", "csv").stdout))
    )
    assert rows[0] == ["path", "venv"] and {tuple(r) for r in rows[1:]} >= {(str(known[2]), "yes")}
    assert run("history", "--columns", "probe,trigger", "--format", "csv").stdout.splitlines()[0] == "probe,trigger"
    # Naming the diff column asks for it: no need to also say --diff.
    diffs = list(csv.reader(io.StringIO(run("history", "--columns", "trigger,diff", "--format", "csv").stdout)))
    assert diffs[0] == ["trigger", "diff"] and "(first probe)" in {row[1] for row in diffs[1:]}
    assert run("history", "--columns", "diff").stdout.split()[0] == "diff"
    bad = run("list", "--columns", "path,colour", code=2)
    assert bad.stderr.splitlines()[0].startswith("error: ") and "'colour'" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert "whole records" in run("list", "--columns", "path", "--json", code=2).stderr
    assert "no column 'nope'" in run("sql", "SELECT 1 AS a", "--columns", "nope", code=2).stderr


def test_csv_of_no_rows_is_still_its_header(run: Cli, known: list[Path]) -> None:
    """A program reading CSV by header (csv.DictReader, pandas) gets the columns of an
    empty result too, as for a full one; the note for people stays on stderr."""
    from interpdb import auditing, listing

    def header(*args: str) -> list[str]:
        result = run(*args, "--format", "csv")
        return result.stdout.splitlines()

    assert header("list", "--no-discover", "--version", "3.99") == [",".join(listing.COLUMN_NAMES)]
    assert header("list", "--no-discover")[0] == ",".join(listing.COLUMN_NAMES)  # the same order, rows or none
    assert header("history", "--trigger", "max-age") == [",".join(auditing.COLUMN_NAMES[:-1])]
    assert header("history", "--trigger", "max-age", "--diff") == [",".join(auditing.COLUMN_NAMES)]
    assert header("sql", "SELECT 1 AS a, 2 AS a WHERE 0") == ["a,a_2"]
    assert header("sql", "SELECT 1 AS a, 2 AS b WHERE 0", "--columns", "b") == ["b"]
    assert header("prune", "--missing-for", "1d", "--dry-run") == ["id,path,missing_since"]
    hosts = header("hosts")
    assert hosts[0].endswith(",current") and hosts[1].endswith(",yes")  # a boolean, as everywhere in CSV
    refused = run("sql", "SELECT 1 AS a WHERE 0", "--format", "csv", "--columns", "b", code=2)
    assert "the query has no column 'b'" in refused.stderr


def test_a_named_tabulate_format_has_csvs_columns_in_csvs_order(run: Cli, known: list[Path]) -> None:
    """``--format github`` (and tsv...) ordered the columns as the row dict happened to, not
    as CSV and the table do (the CHANGELOG said CSV follows the table's order)."""
    from interpdb import auditing, listing

    def header(*args: str) -> list[str]:
        return [name.strip() for name in run(*args, "--format", "tsv").stdout.splitlines()[0].split("\t")]

    assert header("list", "--no-discover") == list(listing.COLUMN_NAMES)
    assert header("history") == list(auditing.COLUMN_NAMES[:-1])


def test_stale_rows_say_why_in_the_table(run: Cli, make_venv: Callable[..., Path]) -> None:
    """``list --offline`` and ``show --offline`` name what changed, not only the JSON."""
    python = make_venv()
    run("probe", python)
    cfg = python.parent.parent / "pyvenv.cfg"
    cfg.write_text(cfg.read_text() + "# edited\n")
    [row] = run("list", "--offline", "--no-discover").stdout.splitlines()[2:]
    assert "stale" in row and "pyvenv.cfg modified" in row
    shown = run("show", python, "--offline", "--wide").stdout
    [line] = [line for line in shown.splitlines() if line.startswith("stale because")]
    assert f"pyvenv.cfg modified: {cfg}" in line
    assert [line.split()[-1] for line in shown.splitlines() if str(cfg) in line and "pyvenv.cfg" in line][-1] == "no"
    assert run.count() == 1


# -- untrusted text ---------------------------------------------------------------------------


def test_a_hostile_path_is_escaped_in_every_table_and_exact_in_json(run: Cli, hostile: Path) -> None:
    """ESC, BEL and the newline of a folder name never reach the terminal; JSON and CSV keep them."""
    [record] = json.loads(run("probe", hostile, "--format", "json").stdout)
    assert record["path"] == str(hostile)
    for args in (
        ["probe", hostile],
        ["list", "--no-discover"],
        ["list", "--no-discover", "--wide"],
        ["show", hostile],
        ["history"],
        ["history", hostile, "--diff", "--wide"],
        ["list", "--no-discover", "--format", "github"],
    ):
        out = run(*args).stdout
        assert not any(raw in out for raw in RAW), args
        assert not _controls(out), args
    lines = run("list", "--no-discover", "--wide").stdout.splitlines()
    assert len(lines) == 3 and "\\x1b[31m title\\x1b]0;pwned\\x07 new\\nline" in lines[2]
    [row] = list(csv.DictReader(io.StringIO(run("list", "--no-discover", "--format", "csv").stdout)))
    assert row["path"] == str(hostile)
    assert [
        json.loads(line)["path"] for line in run("list", "--no-discover", "--format", "ndjson").stdout.splitlines()
    ] == [str(hostile)]
    assert json.loads(run("history", "--json").stdout)[0]["path"] == str(hostile)


def test_error_lines_escape_untrusted_text(run: Cli, hostile: Path, fake: Callable[[str, str], Path]) -> None:
    """Errors about a hostile path, and what a broken interpreter wrote to stderr, are one escaped line each."""
    missing = hostile.parent / "nothing"
    result = run("show", missing, code=1)
    assert result.stderr == f"error: {render.safe(str(missing))}: no such file\n"
    broken = hostile.parent / "python"
    broken.write_text("#!/bin/sh\nprintf 'boom \\033[31mred\\033]0;t\\007\\n' >&2\nexit 3\n")
    broken.chmod(0o755)
    result = run("probe", broken, code=1)
    assert not _controls(result.stderr) and not _controls(result.stdout)
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and "\\x1b[31m title" in line
    assert not _controls(run("history", "--wide").stdout)


def test_find_prints_the_exact_path_to_a_pipe(run: Cli, hostile: Path) -> None:
    """``$(interpdb find ...)`` gets the path byte for byte (a terminal sees it escaped: tests/test_terminal.py)."""
    run("probe", hostile)
    assert run("find", str(hostile)).stdout == f"{hostile}\n"


# -- streams and shorthands --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--no-discover"],
        ["probe", "PYTHON"],
        ["discover", "--source", "venv"],
        ["history"],
        ["history", "--diff"],
        ["sql", "SELECT id, path FROM interpreters ORDER BY id"],
        ["prune", "--missing-for", "1s", "--dry-run"],
    ],
    ids=" ".join,
)
def test_ndjson_is_the_json_array_one_object_a_line(run: Cli, known: list[Path], args: list[str]) -> None:
    args = [str(known[1]) if a == "PYTHON" else a for a in args]
    array = json.loads(run(*args, "--format", "json").stdout)
    lines = run(*args, "--format", "ndjson").stdout.splitlines()
    assert [json.loads(line) for line in lines] == array
    assert all(line.startswith("{") and line.endswith("}") for line in lines)
    assert run(*args, "--json").stdout == run(*args, "--format", "json").stdout


def test_ndjson_and_json_shorthand_for_one_document(run: Cli, known: list[Path]) -> None:
    [line] = run("show", known[1], "--format", "ndjson").stdout.splitlines()
    assert json.loads(line) == json.loads(run("show", known[1], "--json").stdout)
    [line] = run("find", "3.12", "--no-discover", "--format", "ndjson").stdout.splitlines()
    assert json.loads(line)["path"] == str(known[1])
    assert json.loads(run("find", "3.12", "--no-discover", "--json").stdout)["path"] == str(known[1])


def test_json_shorthand_conflicts_with_another_format(run: Cli) -> None:
    for args in (["list", "--json", "--format", "csv"], ["find", "3", "--json", "--format", "path"]):
        result = run(*args, code=2)
        assert result.stderr.splitlines()[0] == f"error: --json is --format json: it cannot go with --format {args[-1]}"


# -- one message style --------------------------------------------------------------------------


def test_usage_errors_are_an_error_line_and_a_hint(run: Cli) -> None:
    result = run("list", "--format", "nonsense", code=2)
    assert result.stderr.splitlines() == [
        "error: Invalid value for '--format': 'nonsense': use table, json, ndjson, csv or a tabulate format name",
        "hint: `cli list --help` shows the usage",  # CliRunner's program name; the console script says interpdb
    ]
    assert "Error:" not in run("show", "999", code=1).stderr


def test_progress_bar_counts_shows_elapsed_and_erases_itself() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.start(3)  # a handful: no bar
    bar.finish()
    assert stream.getvalue() == ""
    bar.start(10)
    bar.advance(3)
    assert bar.line().startswith("probing [######--------------] 3/10 ")
    assert bar.line().endswith("s")
    bar.advance(7)
    bar.finish()
    drawn = stream.getvalue()
    assert "10/10" in drawn
    assert drawn.endswith("\r") and drawn.rsplit("\r", 2)[-2].strip() == ""  # the last thing written is a blank line


# -- a JSON array written in pieces, as json.dumps writes it whole --------------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.datetimes()  # not JSON: written through default=str, as json.dumps(default=str) does
)
_KEYS = st.text() | st.integers() | st.booleans() | st.floats(allow_nan=False)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(_KEYS, inner, max_size=3)
    ),
    max_leaves=25,
)


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, indent=2, default=str)


@given(st.lists(_DOCUMENTS, max_size=4))
def test_json_chunks_are_the_json_array_in_pieces(documents: list[object]) -> None:
    try:
        expected = _dumps(documents)
    except TypeError:
        return
    pieces = list(render.json_chunks(iter(documents)))
    assert "".join(pieces) == expected
    assert len(pieces) == len(documents) + 1  # one piece a document, then the closing bracket


@given(_DOCUMENTS)
def test_to_json_is_json_dumps_indented_with_sorted_keys(document: object) -> None:
    """The hand-written encoder writes exactly what ``json.dumps`` writes, NaN, keys that are not
    text and values that need ``default=str`` included (it hands those to ``json.dumps``)."""
    try:
        expected = _dumps(document)
    except TypeError:  # keys json.dumps cannot sort: the same refusal
        with pytest.raises(TypeError):
            render.to_json(document)
        return
    assert render.to_json(document) == expected


def test_to_json_writes_a_record_as_json_dumps_does(run: Cli, known: list[Path]) -> None:
    listed = json.loads(run("list", "--format", "json").stdout)
    assert listed and all(render.to_json(doc) == json.dumps(doc, sort_keys=True, indent=2) for doc in listed)


def test_light_list_and_its_answers_are_the_whole_list(run: Cli, known: list[Path]) -> None:
    """``list(light=True)`` keeps neither answers nor (venvs') fingerprints but the one entry
    that tells a venv by (its pyvenv.cfg); ``answers`` reads the answers back a batch at a
    time: the records are then the ones a whole list returns."""
    from interpdb import Inventory

    with Inventory() as inventory:
        whole = inventory.list(discover=False)
        light = inventory.list(discover=False, light=True)
        assert [r.path for r in light.records] == [r.path for r in whole.records]
        assert any(r.is_venv for r in light.records)
        venvs = [r for r in light.records if r.is_venv]
        assert all(not r.data and [e.role for e in r.entries] == ["pyvenv.cfg"] for r in venvs)
        assert all(r.entries for r in light.records if r.outcome == "ok" and not r.is_venv)
        answered = list(inventory.answers(light.records))
    assert [r.to_json() for r in answered] == [r.to_json() for r in whole.records]
    assert [r.data for r in answered] == [r.data for r in whole.records]


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_a_listing_is_written_as_it_is_rendered_and_reads_as_one(run: Cli, known: list[Path], fmt: str) -> None:
    """The fast path writes a JSON listing in pieces; the text is the full CLI's, whole."""
    from test_warm_path import run_entry

    fast, _modules, code = run_entry(["list", "--no-discover", "--format", fmt], run.db)
    assert code == 0
    assert fast == run("list", "--no-discover", "--format", fmt).stdout
    records = json.loads(fast) if fmt == "json" else [json.loads(line) for line in fast.splitlines()]
    assert {r["path"] for r in records} >= {str(p) for p in known}


def test_to_json_words_a_cycle_as_json_dumps_does() -> None:
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular"):
        render.to_json(looped)


def test_a_stream_that_fails_part_way_writes_what_it_rendered(capsys: pytest.CaptureFixture[str]) -> None:
    """``errors.write_pieces`` holds up to 64 KiB; a failure mid-stream still writes the pieces before it."""
    from interpdb.errors import InventoryError, write_pieces

    def pieces() -> Iterator[str]:
        yield from (f"line {n}\n" for n in range(50))
        raise InventoryError("the store went away")

    with pytest.raises(InventoryError):
        write_pieces(pieces())
    assert capsys.readouterr().out.splitlines() == [f"line {n}" for n in range(50)]


@given(
    st.text(alphabet="/ab ,:(=)\t\u3000\u2028~.x", max_size=30),
    st.text(alphabet="/ab.", min_size=1, max_size=4).filter(lambda home: not home.endswith("/")),
)
def test_tilde_shortens_home_where_the_pattern_did(text: str, home: str) -> None:
    """``_tilde`` is a scan, not a pattern (``re`` is not imported by a warm ``list``): the same
    places, at the start or after a space, comma, colon, ``(`` or ``=``, and only before ``/``,
    the end, a space, a comma or ``)``."""
    import re

    pattern = r"(?:(?<=^)|(?<=[\s,:(=]))" + re.escape(home) + r"(?=/|$|[\s,)])"
    assert render._tilde(text, home) == re.sub(pattern, "~", text)


def test_tilde_with_no_home_returns_the_text() -> None:
    """No home to shorten (``_home`` gives None for an empty or ``/`` HOME): never a loop on ``""``."""
    assert render._tilde("/x y", "") == "/x y"


def test_the_hosts_table_fits_80_columns_keeping_the_time_whole() -> None:
    """A machine id is 32 characters: at 80 columns it gives way (its start tells hosts apart),
    then the interpdb version; the time of the last probe is never cut."""
    from datetime import datetime, timezone

    from interpdb.cli.hosts_cmd import _row, _table_columns

    found = {
        "host": "build-box",
        "host_id": "3d1219c7c4c5404aaa1f6d2a48adfda4",
        "interpreters": 34,
        "ok": 24,
        "versions": ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"],
        "last_probed_at": datetime(2026, 12, 7, 19, 49, 59, tzinfo=timezone.utc),
        "interpdb_version": "0.1.0",
        "current": True,
    }
    for width in (80, 100, 160):
        lines = render.table([_row(found, True)], _table_columns(), width=width).splitlines()
        assert max(len(line) for line in lines) <= width, lines
        assert "2026-12-07 19:49:59Z" in lines[2] and lines[2].startswith("build-box  3d1219c7"), lines
    assert "0.1.0" in render.table([_row(found, True)], _table_columns(), width=100)


def test_a_stream_that_cannot_encode_a_path_escapes_it(make_venv: Callable[..., Path], tmp_path: Path) -> None:
    """PYTHONIOENCODING=ascii (or a Latin-1 terminal) and a path with an é: a traceback,
    and none of the other rows. Now \\xe9, on the warm path and click's alike."""
    import subprocess
    import sys

    python = make_venv("caf\u00e9")
    env = dict(os.environ, INTERPDB_DB=str(tmp_path / "s.sqlite3"))
    subprocess.run([sys.executable, "-m", "interpdb", "probe", str(python)], env=env, check=True, capture_output=True)
    env["PYTHONIOENCODING"] = "ascii"
    for args in (["find", str(python)], ["list", "--no-discover"], ["list", "--no-discover", "--format", "csv"]):
        done = subprocess.run([sys.executable, "-m", "interpdb", *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)
        assert "caf\\xe9" in done.stdout, (args, done.stdout)
