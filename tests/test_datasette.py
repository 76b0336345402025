"""Datasette on a real store, with the metadata of ``interpdb db datasette-metadata``: every table, view and canned
query answers through its JSON API, a foreign key shows the path it points to, and the descriptions are the ones of
docs/schema.md (``interpdb.schema_docs``).

One Datasette server runs for the module, on 127.0.0.1 and a free port; it is stopped whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import PYTHONS, cli_runner, write_script

from interpdb import schema_docs
from interpdb.cli import cli

CHROMIUM = Path("/usr/bin/chromium")
_START_SECONDS = 60.0
_REQUEST_SECONDS = 20.0


@dataclass
class Served:
    url: str
    database: str
    db: Path
    venv: Path
    site: str
    broken: Path
    tmp: Path

    def get(self, endpoint: str, **params: str) -> Any:
        """A Datasette JSON endpoint, decoded."""
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{endpoint}?{query}", timeout=_REQUEST_SECONDS) as response:
            return json.load(response)

    def html(self, path: str) -> str:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=_REQUEST_SECONDS) as response:
            text: str = response.read().decode("utf-8")
            return text

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def _interpdb(db: Path | str, *args: str | os.PathLike[str], code: int = 0) -> str:
    result = cli_runner().invoke(cli, ["--db", str(db), *map(str, args)], catch_exceptions=False)
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    return result.stdout


def _store(tmp: Path) -> tuple[Path, Path, str, Path]:
    """Two pyenv Pythons, a venv found by discovery and re-probed after a .pth appeared, a broken interpreter,
    then a real `interpdb list` of this machine."""
    bases = [PYTHONS[line] for line in ("3.12", "3.11") if line in PYTHONS] or [Path(sys.executable)]
    db = tmp / "interpdb.sqlite3"
    broken = write_script(tmp / "broken-python", "exit 3")
    _interpdb(db, "probe", *bases, broken, code=1)
    venv = tmp / "venvs" / "a"
    subprocess.run([str(bases[0]), "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    _interpdb(db, "discover", "--source", "venv", "--scan", tmp / "venvs")
    [record] = json.loads(_interpdb(db, "probe", python, "--format", "json"))
    [site] = [p for p in record["site_packages"] if p.startswith(str(venv))]
    (Path(site) / "extra.pth").write_text(str(tmp) + "\n")
    [record] = json.loads(_interpdb(db, "probe", python, "--format", "json"))
    assert record["trigger"] == "changed"
    _interpdb(db, "list")  # and what a real `list` adds: PATH, pyenv and its shims, the system Pythons
    return db, python, site, broken


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + _START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"datasette exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/-/versions.json", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise AssertionError(f"datasette did not answer within {_START_SECONDS:.0f}s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    pytest.importorskip("datasette", reason="datasette is a test dependency: pip install -e '.[test]'")
    tmp = tmp_path_factory.mktemp("datasette")
    db, venv, site, broken = _store(tmp)
    metadata = tmp / "metadata.json"
    metadata.write_text(_interpdb(db, "db", "datasette-metadata"))
    database = db.stem
    command = [sys.executable, "-m", "datasette", "serve", str(db), "-m", str(metadata), "-h", "127.0.0.1"]
    for attempt in range(3):  # another process may take the free port before Datasette binds it
        log = tmp / f"datasette-{attempt}.log"
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            process = subprocess.Popen([*command, "-p", str(port)], stdout=out, stderr=subprocess.STDOUT)
        try:
            try:
                _wait_until_up(process, url, log)
            except AssertionError:
                if attempt < 2 and "address already in use" in log.read_text().lower():
                    continue
                raise
            yield Served(url, database, db, venv, site, broken, tmp)
            return
        finally:
            _stop(process)


def test_the_metadata_names_the_database_as_datasette_does(tmp_path: Path) -> None:
    """Datasette calls a file by its name without the suffix; --database overrides; a URL needs a name."""
    document = json.loads(_interpdb(tmp_path / "my.store.db", "db", "datasette-metadata"))
    [(name, database)] = document["databases"].items()
    assert name == "my.store"
    assert set(database["tables"]) == {r.name for r in schema_docs.RELATIONS}
    assert database["tables"]["interpreters"]["label_column"] == "path"
    assert set(database["queries"]) == {e.name for e in schema_docs.EXAMPLES}
    assert not (tmp_path / "my.store.db").exists(), "printing metadata created the database"
    named = json.loads(_interpdb(tmp_path / "x.db", "db", "datasette-metadata", "--database", "inventory"))
    assert list(named["databases"]) == ["inventory"]
    refused = _interpdb("postgresql://nobody@127.0.0.1/none", "db", "datasette-metadata", code=2)
    assert refused == ""


def _names(served: Served) -> list[tuple[str, str]]:
    return served.rows(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
    )


def test_every_table_and_view_answers_through_the_json_api(served: Served) -> None:
    """Datasette serves each table and view whole, with the rows SQLite holds."""
    names = _names(served)
    assert {name for name, _ in names} == {relation.name for relation in schema_docs.RELATIONS}
    sources = {row[0] for row in served.rows("SELECT DISTINCT source FROM interpreter_sources")}
    assert {"venv", "path"} <= sources, "the store is one a real `interpdb list` made"
    for name, kind in names:
        page = served.get(f"/{served.database}/{name}.json", _shape="objects", _size="max")
        assert page.get("is_view") == (kind == "view"), (name, {k: v for k, v in page.items() if k != "rows"})
        expected = served.rows(f'SELECT * FROM "{name}"')
        got = [tuple(row.values()) for row in page["rows"]]
        assert sorted(map(repr, got)) == sorted(map(repr, expected)), name
        assert expected, f"{name} is empty: nothing was checked"


def test_a_foreign_key_shows_the_path_it_points_to(served: Served) -> None:
    """Instead of ``15 15``: a probe's interpreter_id carries the interpreter's path, a fingerprint entry's probe_id
    the probe's time."""
    paths = dict(served.rows("SELECT id, path FROM interpreters"))
    probed = dict(served.rows("SELECT id, probed_at FROM probes"))
    cases = [
        ("probes", "interpreter_id", paths),
        ("interpreter_sources", "interpreter_id", paths),
        ("interpreters", "current_probe_id", probed),
        ("fingerprint_entries", "probe_id", probed),
        ("sys_path_entries", "probe_id", probed),
    ]
    for table, column, labels in cases:
        rows = served.get(f"/{served.database}/{table}.json", _shape="objects", _size="max", _labels="on")["rows"]
        assert rows, table
        for row in rows:
            cell = row[column]
            assert cell == {"value": cell["value"], "label": labels[cell["value"]]}, (table, column, cell)
    venv_rows = served.get(
        f"/{served.database}/interpreter_sources.json", _shape="objects", _labels="on", source="venv"
    )["rows"]
    assert [row["interpreter_id"]["label"] for row in venv_rows] == [str(served.venv)]


def test_every_canned_query_answers_as_interpdb_sql_does(served: Served) -> None:
    """docs/schema.md's examples are Datasette's canned queries, and give the rows `interpdb sql` gives."""
    listed = served.get(f"/{served.database}.json")["queries"]
    assert sorted(q["name"] for q in listed) == sorted(e.name for e in schema_docs.EXAMPLES)
    params = {"dir": served.site, "path": str(served.venv), "since": "2000-01-01"}
    answered = set()
    for example in schema_docs.EXAMPLES:
        used = {name: value for name, value in params.items() if f":{name}" in example.sql}
        page = served.get(f"/{served.database}/{example.name}.json", _shape="objects", **used)
        args = [arg for name, value in used.items() for arg in ("--param", f"{name}={value}")]
        expected = json.loads(_interpdb(served.db, "sql", "--format", "json", *args, "--", example.sql))
        assert page["rows"] == expected, example.name
        if expected:
            answered.add(example.name)
    expected_answers = {"known_interpreters", "on_sys_path", "probes_of", "changes_of", "failed_this_week"}
    assert expected_answers | {"per_source"} <= answered


def test_descriptions_are_the_documented_ones(served: Served) -> None:
    """Each table and view page shows its docs/schema.md description and its columns' meanings."""
    from markupsafe import escape

    for relation in schema_docs.RELATIONS:
        page = served.html(f"/{served.database}/{relation.name}")
        assert str(escape(schema_docs.plain(relation.description))) in page, relation.name
        for column, meaning in schema_docs.column_meanings(relation).items():
            if meaning:
                assert str(escape(schema_docs.plain(meaning))) in page, (relation.name, column)


def _png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct bytes in the pixel data (1: a blank page)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, width, height, idat = 8, 0, 0, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no headless Chromium at {CHROMIUM} (apt-get install chromium)")
def test_a_screenshot_of_a_table_with_labelled_foreign_keys(served: Served) -> None:
    """Headless Chromium draws the interpreter_sources page, whose foreign key shows the venv's path."""
    shot = served.tmp / "interpreter_sources.png"
    page = f"{served.url}/{served.database}/interpreter_sources"
    assert str(served.venv) in served.html(f"/{served.database}/interpreter_sources")
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={served.tmp / 'chromium'}",
        f"--screenshot={shot}",
        "--window-size=1200,800",
        page,
    ]
    try:
        subprocess.run(command, capture_output=True, timeout=120, check=True)
    finally:
        shutil.rmtree(served.tmp / "chromium", ignore_errors=True)
    width, height, colours = _png_size_and_colours(shot.read_bytes())
    assert (width, height) == (1200, 800)
    assert colours > 16, "the screenshot is blank"
