"""What every table, view and column of the database means, and the example queries: one source.

docs/schema.md shows these descriptions as its per-table sections and its
example queries (the blocks between ``<!-- schema_docs: NAME -->`` markers are
written from here by ``scripts/update_schema_docs.py``, and a test fails when
they are out of date); ``interpdb db datasette-metadata`` gives the same words
to Datasette. A new column is described here, once.

The text is Markdown as docs/schema.md shows it; ``plain`` turns it into the
plain text that Datasette's column descriptions take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One row of a section's table: the columns it names share a type and a meaning."""

    names: tuple[str, ...]
    type: str
    meaning: str
    #: a view or table whose column of the same name says what this one means
    #: (``probes``' facts are ``interpreters_current``'s)
    same_as: str | None = None


@dataclass(frozen=True)
class Relation:
    """A table or a view, as docs/schema.md describes it."""

    name: str
    kind: str  # "view" or "table"
    stability: str  # "stable", "internal, read it only"
    description: str
    columns: tuple[Column, ...]
    #: the column Datasette shows in place of a foreign key that points here
    label_column: str | None = None
    #: Datasette's default order for a log: newest first
    sort_desc: str | None = None

    def column_names(self) -> list[str]:
        return [name for column in self.columns for name in column.names]


@dataclass(frozen=True)
class Example:
    """An example query: ``name`` is its Datasette canned query's name; the SQL opens with its title comment."""

    name: str
    sql: str

    @property
    def title(self) -> str:
        return self.comments[0]

    @property
    def comments(self) -> list[str]:
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("-- "):
                break
            lines.append(line[3:])
        return lines


_TRIGGERS = (
    "`new`, `changed`, `refresh`, `refresh-interpreter`, `probe-changed`, `max-age`; "
    "`forget` and `unforget` for the events `forget` and a probe of a forgotten path write"
)
_OUTCOMES = (
    "`ok`, `error` or `missing` (the path is gone; nothing was run); `forgotten` and `remembered` for those two events"
)

#: Facts of a probe, as ``probes`` and ``interpreters_current`` both carry them.
_FACTS = (
    Column(("implementation",), "text", "`cpython`, `pypy`, `graalpy`... (`sys.implementation.name`)"),
    Column(("implementation_version",), "text", "the implementation's own version (PyPy's 7.3.x)"),
    Column(("python_version",), "text", "`platform.python_version()`, e.g. `3.12.1`, `3.13.0rc2`"),
    Column(
        ("version_major", "version_minor", "version_micro"),
        "integer",
        "`sys.version_info[:3]`, for numeric comparisons",
    ),
    Column(("is_venv",), "boolean", "a virtual environment (`sys.prefix != sys.base_prefix`)"),
    Column(("free_threaded",), "boolean", "a free-threaded (no-GIL) build"),
    Column(("debug_build",), "boolean", "a debug build (`sys.gettotalrefcount` exists)"),
    Column(("pointer_size",), "integer", "32 or 64"),
    Column(("platform",), "text", "`sysconfig.get_platform()`, e.g. `linux-x86_64`"),
    Column(("executable",), "text", "`sys.executable` as the interpreter reports it"),
    Column(("real_executable",), "text", "`sys.executable` with every symlink resolved"),
    Column(("prefix",), "text", "`sys.prefix`"),
    Column(("base_prefix",), "text", "`sys.base_prefix` (equals `prefix` outside a venv)"),
)

RELATIONS: tuple[Relation, ...] = (
    Relation(
        "interpreters_current",
        "view",
        "stable",
        """One row per interpreter (path on a host) with the facts of its current probe,
whatever that probe's outcome. The probe columns are NULL while an interpreter
has no probe, and the facts are NULL when the current probe failed
(`outcome` `error` or `missing`).""",
        (
            Column(("interpreter_id",), "integer", "`interpreters.id`"),
            Column(("host",), "text", "name of the machine the path is on (`os.uname().nodename`)"),
            Column(("path",), "text", "the interpreter's absolute path as given (not resolved)"),
            Column(("created_at",), "datetime", "when interpdb first recorded this path"),
            Column(("forgotten_at",), "datetime, NULL", "when it was forgotten; NULL = visible"),
            Column(("probe_id",), "integer", "the current probe, `probes.id`"),
            Column(("probed_at",), "datetime", "when the current probe ran"),
            Column(("trigger",), "text", f"why it ran: {_TRIGGERS}"),
            Column(("outcome",), "text", _OUTCOMES),
            Column(("error",), "text, NULL", "one-line reason when `outcome` is not `ok`"),
            *_FACTS,
            Column(("host_id",), "text", "the host's stable id (`interpreters.host_id`)"),
        ),
    ),
    Relation(
        "probe_audit",
        "view",
        "stable",
        """One row per probe, every attempt ever made: the audit log behind
`interpdb history`.""",
        (
            Column(("probe_id",), "integer", "`probes.id`"),
            Column(("interpreter_id",), "integer", "`interpreters.id`"),
            Column(("host", "path"), "text", "the interpreter probed"),
            Column(("probed_at",), "datetime", "when"),
            Column(("trigger",), "text", "why (values as above)"),
            Column(("outcome", "error"), "text", "as above"),
            Column(("duration_ms",), "float", "how long the probe took, in milliseconds (0 for `missing`)"),
            Column(
                ("changes",),
                "text (JSON)",
                "the fingerprint changes that caused it, as JSON text: see [`probes.changes`](#json-columns)",
            ),
            Column(("interpdb_version",), "text", "the interpdb that ran it"),
            Column(
                ("command",),
                "text, NULL",
                "the command line that caused it, e.g. `interpdb list --refresh`; passwords in URLs and "
                "`password=` values are stored as `***` (revision `0003_scrub_secrets` scrubbed older rows)",
            ),
            Column(("python_version",), "text, NULL", "the answer's Python version (NULL when it failed)"),
            Column(("implementation",), "text, NULL", "the answer's implementation"),
            Column(("host_id",), "text", "the host's stable id (`interpreters.host_id`)"),
        ),
        sort_desc="probed_at",
    ),
    Relation(
        "current_sys_path",
        "view",
        "stable",
        """`sys.path` of each interpreter's current probe, one row per entry. An
interpreter whose current probe failed has no rows.""",
        (
            Column(("interpreter_id",), "integer", "`interpreters.id`"),
            Column(("host",), "text", "machine name the path is on"),
            Column(("path",), "text", "the interpreter's path"),
            Column(("probe_id",), "integer", "the current probe"),
            Column(("position",), "integer", "index in `sys.path`, from 0"),
            Column(("entry",), "text", "the `sys.path` entry"),
            Column(("host_id",), "text", "the host's stable id (`interpreters.host_id`)"),
        ),
    ),
    Relation(
        "hosts",
        "view",
        "stable",
        """One row per host that has interpreters in the store (a fleet database holds
many): what `interpdb hosts` shows. A host is its `host_id`; its name is one of
the names its rows carry (a renamed host has had two).""",
        (
            Column(("host_id",), "text", "the host's stable id (`interpreters.host_id`)"),
            Column(("host",), "text", "its name"),
            Column(
                ("interpreters",),
                "integer",
                "its interpreter rows, forgotten ones not counted: one a path, so an alias, a shim or "
                "a failed path counts once each (`list --all --aliases`)",
            ),
            Column(("ok",), "integer", "how many of those answered their latest probe"),
            Column(("last_probed_at",), "datetime", "its latest current probe"),
            Column(("interpdb_version",), "text", "the interpdb that took its latest probe"),
        ),
    ),
    Relation(
        "interpreters",
        "table",
        "stable",
        """One row per path per host. Several paths can lead to the same real interpreter
(`/usr/bin/python3` and `/usr/bin/python3.11`); each is its own row, since each
has its own fingerprint.""",
        (
            Column(("id",), "integer, primary key", ""),
            Column(
                ("host",),
                "varchar(255)",
                "the machine's name (`os.uname().nodename`) when it last recorded a probe of the path",
            ),
            Column(("path",), "text", "absolute path as given"),
            Column(("created_at",), "datetime", "first recorded"),
            Column(
                ("current_probe_id",),
                "integer, NULL",
                "the latest probe of this path, whatever its outcome (`probes.id`)",
            ),
            Column(
                ("forgotten_at",),
                "datetime, NULL",
                "set when a user forgets the interpreter; the row and its history stay. NULL = visible",
            ),
            Column(
                ("host_id",),
                "varchar(255)",
                "the machine's stable id: `/etc/machine-id`, a generated id, or `INTERPDB_HOST`; "
                "(`host_id`, `path`) is unique. Rows from before revision `0004_host_identity` have "
                "`host_id` = `host`",
            ),
        ),
        label_column="path",
    ),
    Relation(
        "probes",
        "table",
        "stable",
        """One row per probe attempt, appended and never updated or deleted by later
probes; `forget` (and a probe that brings a forgotten interpreter back) appends an
event row too, trigger `forget` or `unforget`, outcome `forgotten` or `remembered`,
with no answer. Deleting an interpreter deletes its probes (`ON DELETE CASCADE`).""",
        (
            Column(("id",), "integer, primary key", ""),
            Column(("interpreter_id",), "integer", "`interpreters.id`"),
            Column(("probed_at",), "datetime", "when"),
            Column(("trigger",), "varchar(32)", f"why: {_TRIGGERS}"),
            Column(
                ("changes",),
                "JSON",
                "the fingerprint changes found before it ran (a list, see [JSON columns](#json-columns); "
                "`[]` for `new`, "
                "or when nothing had changed)",
            ),
            Column(("outcome",), "varchar(16)", _OUTCOMES),
            Column(("error",), "text, NULL", "one-line reason for `error` and `missing`"),
            Column(("duration_ms",), "float", "milliseconds the probe took"),
            Column(("interpdb_version",), "varchar(64)", "the interpdb that ran it"),
            Column(("probe_hash",), "varchar(64)", "*internal*: hash of the probe script that ran (opaque)"),
            Column(("command",), "text, NULL", "the command line that caused it"),
            Column(
                tuple(name for column in _FACTS for name in column.names),
                "as there",
                "the answer's facts, as columns people filter on; same meaning as in `interpreters_current`; "
                "NULL when the probe failed",
                same_as="interpreters_current",
            ),
            Column(
                ("version_releaselevel",),
                "varchar(16), NULL",
                "`sys.version_info.releaselevel`: `alpha`, `beta`, `candidate`, `final`",
            ),
            Column(
                ("data",),
                "JSON, NULL",
                "the whole probe document (see [JSON columns](#json-columns)); NULL, or JSON `null`, "
                "when the probe failed",
            ),
        ),
        label_column="probed_at",
        sort_desc="probed_at",
    ),
    Relation(
        "fingerprint_entries",
        "table",
        "stable",
        """The stat fingerprint of each probe: one row per file, directory or value the
answer depends on. A probe is fresh while every entry of the current probe still
matches the disk.""",
        (
            Column(("id",), "integer, primary key", "*internal*"),
            Column(("probe_id",), "integer", "`probes.id`"),
            Column(("position",), "integer", "order within the fingerprint, from 0"),
            Column(
                ("role",),
                "varchar(32)",
                "what the entry guards: `link`, `site-file`, `module`... ([every role](#fingerprint_entries-stable))",
            ),
            Column(
                ("path",),
                "text",
                "the file or directory; for value roles a name (`uname`, `probe-script`, `HOME`...)",
            ),
            Column(
                ("exists",),
                "boolean",
                'the path existed (a value was set). **`exists` is an SQL keyword: write `"exists"`, '
                "with the double quotes**",
            ),
            Column(("mtime_ns", "ctime_ns"), "bigint, NULL", "`st_mtime_ns`, `st_ctime_ns`"),
            Column(("size",), "bigint, NULL", "`st_size`"),
            Column(("ino", "dev"), "bigint, NULL", "`st_ino`, `st_dev`"),
            Column(
                ("target",),
                "text, NULL",
                "a symlink's target (`link`), or the value "
                "(`host`, `env`, `launcher-env`, `cwd`, `probe`, `library-path`)",
            ),
        ),
    ),
    Relation(
        "interpreter_sources",
        "table",
        "stable",
        "Which discovery sources found each path (a path can be found by several).",
        (
            Column(("interpreter_id",), "integer", "`interpreters.id`; primary key with `source`"),
            Column(
                ("source",),
                "varchar(32)",
                "`path`, `venv`, `pyenv`, `conda`, `uv`, `asdf`, `mise`, `hatch`, `pdm`, `rye`, `system`...",
            ),
            Column(("first_seen_at",), "datetime", "when this source first reported the path"),
        ),
    ),
    Relation(
        "sys_path_entries",
        "table",
        "stable",
        """`sys.path` of every `ok` probe as rows (probes from before this table existed
were filled in by the migration), so "who has X on `sys.path`" is a join, not a
JSON search. Indexed on `path`.""",
        (
            Column(("probe_id",), "integer", "`probes.id`; primary key with `position`"),
            Column(("position",), "integer", "index in `sys.path`, from 0"),
            Column(("path",), "text", 'the entry, as in `data["sys_path"]`'),
        ),
    ),
    Relation(
        "alembic_version",
        "table",
        "internal, read it only",
        "The schema revision the database is at (Alembic's bookkeeping).",
        (Column(("version_num",), "varchar(32)", "the schema revision, e.g. `0002_interface`"),),
    ),
)

EXAMPLES: tuple[Example, ...] = (
    Example(
        "hosts_with_38",
        """\
-- Fleet: hosts that still have a Python 3.8, and where.
SELECT host, host_id, path, python_version
FROM interpreters_current
WHERE version_major = 3 AND version_minor = 8 AND outcome = 'ok' AND forgotten_at IS NULL
ORDER BY host, path;
""",
    ),
    Example(
        "reprobed_this_week",
        """\
-- Fleet: interpreters re-probed this week (their fingerprint changed, and they were run), per host.
SELECT a.host, COUNT(DISTINCT a.interpreter_id) AS reprobed
FROM probe_audit a
WHERE a.trigger IN ('changed', 'probe-changed') AND a.outcome <> 'missing' AND a.probed_at >= :since
GROUP BY a.host
ORDER BY a.host;
""",
    ),
    Example(
        "known_interpreters",
        """\
-- The paths interpdb knows (what `interpdb list --all --aliases` shows), newest Python first.
SELECT interpreter_id, path, implementation, python_version, is_venv, outcome, probed_at
FROM interpreters_current
WHERE forgotten_at IS NULL
ORDER BY version_major DESC, version_minor DESC, version_micro DESC, path;
""",
    ),
    Example(
        "on_sys_path",
        """\
-- Which interpreters have this directory on sys.path? (--param dir=/some/dir)
SELECT interpreter_id, path, position
FROM current_sys_path
WHERE entry = :dir
ORDER BY path;
""",
    ),
    Example(
        "under_sys_path",
        """\
-- Which interpreters have anything under this directory on sys.path?
SELECT DISTINCT interpreter_id, path
FROM current_sys_path
WHERE entry = :dir OR substr(entry, 1, length(:dir) + 1) = :dir || '/'
ORDER BY path;
""",
    ),
    Example(
        "ever_on_sys_path",
        """\
-- Which interpreters ever had this directory on sys.path, and when was it last seen there?
SELECT i.id AS interpreter_id, i.path, MAX(p.probed_at) AS last_seen
FROM sys_path_entries s
JOIN probes p ON p.id = s.probe_id
JOIN interpreters i ON i.id = p.interpreter_id
WHERE s.path = :dir
GROUP BY i.id, i.path
ORDER BY i.path;
""",
    ),
    Example(
        "probes_of",
        """\
-- When and why was this interpreter (re-)probed? (--param path=/usr/bin/python3)
SELECT probe_id, probed_at, trigger, outcome, error, changes, command
FROM probe_audit
WHERE path = :path
ORDER BY probed_at DESC, probe_id DESC;
""",
    ),
    Example(
        "changes_of",
        """\
-- What changed on disk before each re-probe of this interpreter, one row per change.
-- SQLite's json_each, and on PostgreSQL: json_array_elements(CAST(a.changes AS json)) AS c,
-- with c ->> 'role' and so on.
SELECT a.probe_id, a.probed_at, a.trigger,
       json_extract(c.value, '$.role') AS role,
       json_extract(c.value, '$.kind') AS kind,
       json_extract(c.value, '$.path') AS changed_path
FROM probe_audit a, json_each(a.changes) c
WHERE a.path = :path
ORDER BY a.probed_at DESC, a.probe_id DESC;
""",
    ),
    Example(
        "failed_this_week",
        """\
-- Probes that failed in the last week.
-- Not the forget events (outcome forgotten, remembered).
-- SQLite's datetime(), and on PostgreSQL: probed_at >= (now() AT TIME ZONE 'UTC') - interval '7 days'.
SELECT probe_id, probed_at, path, trigger, outcome, error
FROM probe_audit
WHERE outcome IN ('error', 'missing') AND probed_at >= datetime('now', '-7 days')
ORDER BY probed_at DESC;
""",
    ),
    Example(
        "per_source",
        """\
-- How many interpreters each discovery source found.
SELECT s.source, COUNT(*) AS interpreters
FROM interpreter_sources s
JOIN interpreters i ON i.id = s.interpreter_id
WHERE i.forgotten_at IS NULL
GROUP BY s.source
ORDER BY s.source;
""",
    ),
    Example(
        "venvs",
        """\
-- Virtual environments and the installation each is based on.
SELECT path, python_version, prefix, base_prefix
FROM interpreters_current
WHERE is_venv AND forgotten_at IS NULL
ORDER BY base_prefix, path;
""",
    ),
    Example(
        "venv_bases",
        """\
-- Each venv with the known base interpreters whose prefix is its base prefix.
SELECT v.path AS venv, b.path AS base_interpreter
FROM interpreters_current v
JOIN interpreters_current b ON b.prefix = v.base_prefix AND NOT b.is_venv
WHERE v.is_venv AND v.forgotten_at IS NULL AND b.forgotten_at IS NULL
ORDER BY v.path, b.path;
""",
    ),
    Example(
        "fingerprint_of",
        """\
-- The current fingerprint of one interpreter ("exists" needs its quotes).
SELECT e.position, e.role, e.path, e."exists", e.mtime_ns, e.size, e.target
FROM fingerprint_entries e
JOIN interpreters_current c ON c.probe_id = e.probe_id
WHERE c.path = :path
ORDER BY e.position;
""",
    ),
)


def relation(name: str) -> Relation:
    for candidate in RELATIONS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def column_meanings(rel: Relation) -> dict[str, str]:
    """``{column: meaning}`` in Markdown, a ``same_as`` row resolved to the other relation's words."""
    meanings: dict[str, str] = {}
    for column in rel.columns:
        for name in column.names:
            if column.same_as is not None:
                meanings[name] = column_meanings(relation(column.same_as))[name]
            else:
                meanings[name] = column.meaning
    return meanings


def plain(markdown: str) -> str:
    """The text without Markdown: one line, no backticks or emphasis, a link as its words."""
    text = re.sub(r"\[([^\]]*)\]\(#[^)]*\)", r"\1 in docs/schema.md", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("`", "").replace("**", "").replace("*", "")
    return " ".join(text.split())


# -- docs/schema.md --------------------------------------------------------------------

_BLOCK = re.compile(r"(<!-- schema_docs: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /schema_docs -->)", re.DOTALL)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _name(column: str) -> str:
    return f'`"{column}"`' if column == "exists" else f"`{column}`"


def relation_markdown(rel: Relation) -> str:
    """The section of docs/schema.md for one table or view: heading, description, column table."""
    lines = [f"### `{rel.name}` *({rel.stability})*", "", rel.description, ""]
    lines += ["| column | type | meaning |", "|---|---|---|"]
    for column in rel.columns:
        cells = (", ".join(_name(n) for n in column.names), _cell(column.type), _cell(column.meaning))
        lines.append("|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|")
    return "\n".join(lines) + "\n"


def examples_markdown() -> str:
    return "\n".join(f"```sql\n{example.sql}```\n" for example in EXAMPLES)


def block(name: str) -> str:
    """What goes between ``<!-- schema_docs: NAME -->`` and ``<!-- /schema_docs -->``."""
    if name == "examples":
        return examples_markdown()
    return relation_markdown(relation(name))


def update_markdown(text: str) -> str:
    """``text`` with every generated block rewritten from this module (the rest is left as it is)."""
    return _BLOCK.sub(lambda m: m.group(1) + block(m.group("name")) + m.group(4), text)


def blocks_in(text: str) -> list[str]:
    return [m.group("name") for m in _BLOCK.finditer(text)]
