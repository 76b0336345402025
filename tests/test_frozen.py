"""``interpdb._frozen``: the warm path's value classes behave as the frozen dataclasses they replace."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from interpdb._frozen import field, frozen, replace
from interpdb.fingerprint import Change, Entry
from interpdb.policy import Refresh
from interpdb.records import Record
from interpdb.versions import Version


@frozen
class Sample:
    name: str
    size: int = 0
    tags: tuple[str, ...] = field(default=(), compare=False)
    data: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@dataclasses.dataclass(frozen=True)
class Twin:
    name: str
    size: int = 0
    tags: tuple[str, ...] = dataclasses.field(default=(), compare=False)
    data: dict[str, int] = dataclasses.field(default_factory=dict, compare=False, hash=False)


def test_the_generated_methods_are_the_dataclass_ones() -> None:
    """``__init__`` defaults and factories, ``repr``, ``==`` and ``hash`` over the compared fields."""
    ours, theirs = Sample("a", 2, ("x",)), Twin("a", 2, ("x",))
    assert repr(ours).replace("Sample", "Twin") == repr(theirs)
    assert ours == Sample("a", 2, ("y",), {"k": 1}) and ours != Sample("a", 3)
    assert hash(ours) == hash(Sample("a", 2)) and hash(ours) != hash(Sample("b", 2))
    assert ours != theirs  # another class is never equal, as with dataclasses
    assert Sample("a").data is not Sample("a").data  # a fresh default per instance
    # dataclasses add __match_args__ from Python 3.10 on; ours has it everywhere
    names = tuple(f.name for f in dataclasses.fields(Twin))
    assert Sample.__match_args__ == getattr(Twin, "__match_args__", names) == names
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]


def test_fields_cannot_be_assigned() -> None:
    entry = Entry("exe", "/usr/bin/python3", True)
    with pytest.raises(AttributeError):
        entry.path = "/elsewhere"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del entry.path  # type: ignore[misc]


def test_they_are_still_dataclasses_for_api_users() -> None:
    """``dataclasses.fields``, ``replace``, ``asdict`` and ``is_dataclass`` keep working."""
    assert dataclasses.is_dataclass(Record) and dataclasses.is_dataclass(Entry("exe", "/p", True))
    names = [f.name for f in dataclasses.fields(Record)]
    assert names[:4] == ["id", "host", "path", "status"] and "forgotten_at" in names and "damaged" in names
    assert {f.name for f in dataclasses.fields(Record) if not f.compare} >= {"data", "entries", "aliases"}
    change = Change("exe", "/p", "modified", ("mtime_ns",))
    assert dataclasses.asdict(change) == {"role": "exe", "path": "/p", "kind": "modified", "fields": ("mtime_ns",)}
    assert (
        dataclasses.replace(change, kind="removed")
        == replace(change, kind="removed")
        == Change("exe", "/p", "removed", ("mtime_ns",))
    )
    with pytest.raises(TypeError):
        replace(change, nonsense=1)


def test_defaults_factories_and_pickling() -> None:
    refresh = Refresh()
    assert refresh.started is not None and Refresh().started >= refresh.started  # default_factory ran
    assert pickle.loads(pickle.dumps(Entry("exe", "/p", True, size=3))) == Entry("exe", "/p", True, size=3)


def test_a_class_keeps_the_methods_it_defines() -> None:
    """``Version`` defines ``__eq__``/``__hash__``/``__lt__``: ``3.12 == 3.12.0`` as PEP 440 says."""
    assert Version((3, 12)) == Version((3, 12, 0)) and hash(Version((3, 12))) == hash(Version((3, 12, 0)))
    assert Version((3, 12)) < Version((3, 13))


def test_init_replace_and_slots_edges() -> None:
    """A required field is missing even when ``__dict__`` holds something else; ``replace`` runs an
    ``__init__`` a subclass defines and copies fields only; ``__slots__`` without a ``__dict__`` is refused."""

    class Noted(Sample):
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.__dict__["note"] = "made by hand"
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="name"):
        Noted(size=1)
    noted = Noted("a", 2)
    changed = replace(noted, size=3)
    assert type(changed) is Noted and changed == Noted("a", 3) and changed.__dict__["note"] == "made by hand"
    plain = replace(Sample("a", 2, ("t",)), name="b")
    assert plain == Sample("b", 2) and plain.tags == ("t",) and set(plain.__dict__) == {"name", "size", "tags", "data"}
    with pytest.raises(TypeError, match="__slots__"):

        @frozen
        class Slotted:
            __slots__ = ("a",)
            a: int
