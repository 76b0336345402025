"""interpdb as virtualenv's interpreter discovery (``--discovery interpdb``), and so tox's.

virtualenv asks a discovery plugin for one ``PythonInfo``: everything it needs to know
about the base interpreter to build an environment from it. Its builtin discovery
probes candidates with its own script and caches the answer on the executable's
modification time, so a ``.pth`` file or a ``pyvenv.cfg`` edited since goes unseen.

This plugin answers each ``-p`` request (tried in order; ``--try-first-with`` paths
first) with :meth:`interpdb.Inventory.find`, under interpdb's freshness rule, and then
turns the chosen record into a ``PythonInfo``:

- ``PythonInfo`` holds fields that interpdb's probe does not collect (``sysconfig``
  variables, the makefile, the distutils scheme, Tcl/Tk, stream encodings), so it
  cannot be built from the record alone without guessing. The plugin therefore runs
  virtualenv's own interrogation **once per interpdb probe** and keeps the answer in a
  side cache (``<user cache dir>/interpdb/virtualenv``) keyed by that probe: the store,
  the host, the path, the probe's id and time, and the interrogation script's hash.
- While interpdb's record is fresh (its fingerprint matches), the answer comes from
  that cache and no interpreter is run at all: neither interpdb's probe nor
  virtualenv's. Once the fingerprint changes, interpdb probes again, the key changes,
  and virtualenv's interrogation runs once more, so the answer follows the change.
- A request for a virtual environment, or an alias such as ``python3``, is resolved to
  its base interpreter as virtualenv resolves it (``PythonInfo.resolve_to_system``),
  each step again through the store and the side cache. Only a venv whose base
  virtualenv's script cannot name by itself falls back to virtualenv's own walk.

Requests use ``interpdb find``'s grammar, plus the spellings tox and virtualenv use that
it lacks: ``py312`` / ``py3`` / ``py`` (tox's factors), ``cpython312`` and ``pypy310``,
and virtualenv's pointer-size and machine suffixes (``3.12-64``, ``3.12-64-arm64``).
A request that matches nothing (or is no request at all) is passed over, so virtualenv
ends with its usual ``failed to find interpreter`` error.

This module imports virtualenv: install ``interpdb[virtualenv]``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from virtualenv.config.cli.parser import ExtendAction
from virtualenv.discovery.discover import Discover
from virtualenv.discovery.py_info import PythonInfo

from interpdb.errors import InventoryError
from interpdb.location import ENV_VAR, cache_dir

if TYPE_CHECKING:
    from argparse import ArgumentParser

    from virtualenv.config.cli.parser import VirtualEnvOptions

    from interpdb.records import Record
    from interpdb.service import Inventory

LOGGER = logging.getLogger(__name__)
#: Bumped when the side cache's layout changes, so old entries are not read.
CACHE_LAYOUT = 1
#: How many alias/venv -> base steps are followed through the store before giving up.
MAX_HOPS = 4
_TOX_FACTOR = re.compile(r"^py(?:(?P<major>[0-9])(?P<minor>[0-9]+)?)?(?P<t>t)?$")
_PLATFORM = re.compile(r"^(?P<request>.+?)(?:-(?P<bits>32|64))?(?:-(?P<machine>[a-z][a-z0-9_]*))?$")
#: Machine names a suffix without the bitness may be (``cpython3.12-arm64``): any other
#: word after a dash is part of the request (``cpython-3.12-linux-x86_64-gnu``, ``my-venv``).
_MACHINES = frozenset(
    {"x86_64", "amd64", "x64", "aarch64", "arm64", "i386", "i686", "x86", "armv6l", "armv7l", "armv7"}
    | {"ppc64", "ppc64le", "s390x", "riscv64", "loongarch64"}
)
_UNDOTTED = re.compile(r"^(?P<name>cpython|pypy|graalpy)(?P<major>[0-9])(?P<minor>[0-9]+)(?P<t>t)?$")


def interpdb_request(spec: str) -> str:
    """virtualenv's and tox's spellings in ``interpdb find``'s grammar; anything else unchanged.

    ``py312`` -> ``3.12``, ``py3`` -> ``3``, ``py`` -> ``any``, ``py313t`` -> ``3.13t``,
    ``cpython312`` -> ``cpython3.12``, ``pypy310`` -> ``pypy3.10``.
    """
    text = spec.strip()
    lowered = text.lower()
    factor = _TOX_FACTOR.match(lowered)
    if factor:
        if factor.group("major") is None:
            return "any" if factor.group("t") is None else text
        version = factor.group("major") + (f".{factor.group('minor')}" if factor.group("minor") else "")
        return version + (factor.group("t") or "")
    undotted = _UNDOTTED.match(lowered)
    if undotted:
        return f"{undotted.group('name')}{undotted.group('major')}.{undotted.group('minor')}{undotted.group('t') or ''}"
    return text


def split_platform(request: str) -> tuple[str, int | None, str | None]:
    """virtualenv's ``-64`` / ``-32`` and ``-arm64`` suffixes: (request, pointer bits, machine).

    ``3.12-64`` -> (``3.12``, 64, None); ``cpython3.12-64-arm64`` -> (``cpython3.12``, 64,
    ``arm64``). A path keeps its dashes, and so does a folder here (``my-venv``) and a
    word that is no machine (``gnu`` in uv's ``cpython-3.12-linux-x86_64-gnu``).
    """
    match = _PLATFORM.match(request)
    if match is None or "/" in request or os.path.exists(request):
        return request, None, None
    bits, machine = match.group("bits"), match.group("machine")
    if machine is not None and bits is None and machine not in _MACHINES:
        return request, None, None
    return match.group("request"), int(bits) if bits else None, machine


class InterpdbDiscovery(Discover):
    """Answer ``-p`` requests from interpdb's store; see the module docstring."""

    def __init__(self, options: VirtualEnvOptions) -> None:
        super().__init__(options)
        self.python_spec: list[str] = list(getattr(options, "python", None) or [sys.executable])
        self.try_first_with: list[str] = list(getattr(options, "try_first_with", None) or [])
        self.app_data: Any = getattr(options, "app_data", None)

    def __repr__(self) -> str:
        spec = self.python_spec[0] if len(self.python_spec) == 1 else self.python_spec
        return f"{self.__class__.__name__} discover of python_spec={spec!r}"

    @classmethod
    def add_parser_arguments(cls, parser: ArgumentParser) -> None:
        """The builtin discovery's two options, with the same names, so configs carry over."""
        parser.add_argument(
            "-p",
            "--python",
            dest="python",
            metavar="py",
            type=str,
            nargs=1,
            action=ExtendAction,
            default=[],
            help="interpreter to create the environment from, as `interpdb find` takes it (3.12, py312, "
            ">=3.10, pypy3.10, a path); answered from interpdb's store; first found wins",
        )
        parser.add_argument(
            "--try-first-with",
            dest="try_first_with",
            metavar="py_exe",
            type=str,
            nargs=1,
            action=ExtendAction,
            default=[],
            help="interpreters to try before interpdb's own ranking",
        )

    def run(self) -> PythonInfo | None:
        from interpdb.service import Inventory

        try:
            with Inventory(db=self._env.get(ENV_VAR) or None, command="virtualenv --discovery interpdb") as inventory:
                for spec in self.python_spec:
                    record = self._choose(inventory, spec)
                    if record is not None:
                        info = _Answer(inventory, self._env, self.app_data).info(record)
                        if info is not None:
                            return info
        except InventoryError as error:  # the store cannot be used: say why before virtualenv's "failed to find"
            LOGGER.error("interpdb: %s", error)
        return None

    def _choose(self, inventory: Inventory, spec: str) -> Record | None:
        """The record that answers ``spec``: a matching ``--try-first-with`` path, else ``find``'s best."""
        from interpdb.request import parse_request, rank
        from interpdb.service import source_rank

        bare, bits, machine = split_platform(spec.strip())
        text = interpdb_request(bare)
        try:
            request = parse_request(text)
        except ValueError as error:
            LOGGER.info("interpdb: %s", error)
            return None

        def fits(record: Record) -> bool:
            return request.matches(record, arch=machine) and (bits is None or record.pointer_size == bits)

        if request.path is None:
            tried = [path for path in self.try_first_with if os.path.exists(path)]
            if tried:
                for record in inventory.probe(tried).records:
                    if fits(record):
                        LOGGER.info("interpdb: %s answers %r (--try-first-with)", record.path, spec)
                        return record
        best, considered = inventory.find(text, arch=machine)  # an InventoryError now is the store's: run() says it
        if best is not None and not fits(best):  # find knows no pointer size: the best one that has it
            _best, considered = inventory.find(text, arch=machine, exhaustive=True)  # every candidate, checked
            ranked = rank(
                considered.records,
                request,
                active_venv=os.environ.get("VIRTUAL_ENV"),
                source_order=source_rank(considered),
                arch=machine,
            )
            best = next((record for record in ranked if fits(record)), None)
        if best is None and request.path is not None:
            # -p PATH of an interpreter ``forget`` hid: find leaves it out, but virtualenv was
            # asked for that file by name, as its builtin discovery would answer it. Answered
            # as stored (revalidated), and left forgotten.
            named = inventory.probe([request.path], revive=False).records
            best = next((r for r in named if r.outcome == "ok" and r.status != "error" and fits(r)), None)
        if best is None:
            LOGGER.info("interpdb: nothing answers %r among %d interpreters", spec, len(considered.records))
        else:
            LOGGER.info("interpdb: %s (%s) answers %r", best.path, best.status, spec)
        return best


class _Answer:
    """One record's ``PythonInfo``, resolved to its base as virtualenv's builtin discovery does."""

    def __init__(self, inventory: Inventory, env: Mapping[str, str], app_data: Any) -> None:
        self.inventory = inventory
        self.env = env
        self.app_data = app_data

    def info(self, record: Record) -> PythonInfo | None:
        start = record.path
        info = self._interrogated(record)
        for _ in range(MAX_HOPS):
            if info is None:
                return None
            system = info.system_executable
            if system is None:
                # A venv whose base virtualenv's script could not name cheaply: virtualenv
                # walks the prefixes itself, with its own probes and cache.
                LOGGER.info("interpdb: %s names no base interpreter; virtualenv resolves it", start)
                resolved: PythonInfo = PythonInfo.resolve_to_system(self.app_data, info, env=self.env)
                return resolved
            if os.path.abspath(system) == os.path.abspath(info.executable):
                break
            base = self._record_of(system)
            info = self._interrogated(base) if base is not None else None
        else:
            return None
        if info is not None and info.executable != start:
            info = copy.copy(info)  # as resolve_to_system does: the base's facts, the path asked for
            info.executable = start
        return info

    def _record_of(self, path: str) -> Record | None:
        records = self.inventory.probe([path]).records
        return records[0] if records else None

    def _interrogated(self, record: Record) -> PythonInfo | None:
        """virtualenv's facts about ``record``, once per interpdb probe of it."""
        if record.outcome != "ok" or record.status not in ("cached", "probed"):
            return None
        entry = _CacheEntry(self.inventory, record)
        info = entry.load()
        if info is None:
            info = PythonInfo.from_exe(
                record.path, None, raise_on_error=False, ignore_cache=True, resolve_to_host=False, env=self.env
            )
            if info is None:
                return None
            entry.save(info)
        info.executable = record.path
        return info


class _CacheEntry:
    """A file holding one ``PythonInfo``, named after the interpdb probe it belongs to.

    Folder 0700, files 0600 (they list a user's environments, like the store). Writing
    an entry removes the older entries of the same interpreter.
    """

    def __init__(self, inventory: Inventory, record: Record) -> None:
        identity = [inventory.location.url, record.host, record.path]
        probe = [
            CACHE_LAYOUT,
            record.id,
            record.probe_id,
            record.probed_at.isoformat() if record.probed_at else None,
            _script_identity(),
        ]
        self.folder = os.path.join(cache_dir(), "virtualenv")
        self.prefix = _digest(identity)[:24] + "-"
        self.path = os.path.join(self.folder, self.prefix + _digest(probe)[:24] + ".json")

    def load(self) -> PythonInfo | None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            info: PythonInfo = PythonInfo.from_dict(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        system = info.system_executable
        if system is not None and not os.path.isfile(system):
            return None  # its base is gone: ask again
        return info

    def save(self, info: PythonInfo) -> None:
        try:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".entry-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp files are 0600
                json.dump(info.to_dict(), out, sort_keys=True)
            os.replace(temporary, self.path)
            for name in os.listdir(self.folder):
                if name.startswith(self.prefix) and os.path.join(self.folder, name) != self.path:
                    os.unlink(os.path.join(self.folder, name))
        except OSError as error:  # a read-only cache costs a probe next time, nothing more
            LOGGER.info("interpdb: cannot keep virtualenv's answer in %s: %s", self.folder, error)


def _digest(value: Sequence[object]) -> str:
    return hashlib.sha256(json.dumps(value, default=str).encode("utf-8")).hexdigest()


def _script_identity() -> str:
    """virtualenv's interrogation script and version: a new one asks every interpreter again."""
    import virtualenv

    parts = [str(getattr(virtualenv, "__version__", ""))]
    try:
        import python_discovery

        parts.append(str(getattr(python_discovery, "__version__", "")))
        script = os.path.join(os.path.dirname(python_discovery.__file__), "_py_info_collect.py")
        with open(script, "rb") as handle:
            parts.append(hashlib.sha256(handle.read()).hexdigest())
    except (ImportError, OSError):
        pass
    return "/".join(parts)


__all__ = ["InterpdbDiscovery", "interpdb_request", "split_platform"]
