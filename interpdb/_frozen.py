"""Frozen value classes without importing ``dataclasses`` (and, through it, ``inspect``).

A warm ``find`` or ``list`` builds a handful of value types (``Record``, ``Entry``,
``Refresh``, ``Request``...). Declaring them with ``dataclasses`` costs the import of
``dataclasses`` and ``inspect`` (with ``ast``, ``dis``, ``tokenize``: about 10-20 ms
on a loaded machine) plus a few ms per decorated class, more than the work a warm
answer does. :func:`frozen` gives the same class from the same one definition (the
annotated fields, their defaults, :func:`field` for a factory or ``compare=False``):
``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__match_args__`` and
assignment refused. The methods are closures over the class's fields (:func:`_methods`):
nothing is compiled at run time, which a warm ``find`` would pay for every class it uses.

They stay dataclasses for anyone who asks: ``dataclasses.fields``, ``replace``,
``asdict`` and ``is_dataclass`` work, because ``__dataclass_fields__`` is built on
first access by letting ``dataclasses`` itself decorate a twin of the class (so the
``Field`` objects are genuine). Only that first access imports ``dataclasses``.
"""

from __future__ import annotations

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_kwargs: object) -> Callable[[T], T]:
        return lambda decorated: decorated


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen value (``dataclasses.FrozenInstanceError`` does the same)."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class _Field:
    __slots__ = ("compare", "default", "default_factory", "hash")

    def __init__(self, default: Any, default_factory: Any, compare: bool, hash: bool | None) -> None:
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.hash = hash


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    compare: bool = True,
    hash: bool | None = None,
) -> Any:
    """A field's default, factory and whether it takes part in ``==`` and ``hash`` (as ``dataclasses.field``)."""
    return _Field(default, default_factory, compare, hash)


class _LazyFields:
    """``__dataclass_fields__``, computed on first access with ``dataclasses`` itself."""

    def __init__(self, specs: dict[str, _Field]) -> None:
        self.specs = specs

    def __get__(self, instance: object, owner: type) -> Any:
        import dataclasses

        namespace: dict[str, Any] = {
            "__annotations__": dict(owner.__dict__["__annotations__"]),  # noqa: RUF063 (no typing_extensions at run time)
            "__module__": owner.__module__,
            "__qualname__": owner.__qualname__,
        }
        for name, spec in self.specs.items():
            namespace[name] = dataclasses.field(
                default=spec.default if spec.default is not MISSING else dataclasses.MISSING,
                default_factory=spec.default_factory if spec.default_factory is not MISSING else dataclasses.MISSING,
                compare=spec.compare,
                hash=spec.hash,
            )
        twin: Any = dataclasses.dataclass(frozen=True)(type(owner.__name__, (), namespace))
        fields = twin.__dataclass_fields__
        type.__setattr__(owner, "__dataclass_fields__", fields)
        type.__setattr__(owner, "__dataclass_params__", twin.__dataclass_params__)
        return fields


def _refuse(self: object, name: str, value: object = None) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _methods(cls: type, specs: dict[str, _Field]) -> dict[str, Any]:
    """``cls``'s ``__init__``, ``__eq__``, ``__hash__`` and ``__repr__``, as closures over its fields.

    No source is generated and compiled (``dataclasses`` ``exec``s a function per method:
    about 0.1-0.5 ms a class, 5 ms on a warm ``find``). ``__init__`` fills the instance's
    ``__dict__`` from the defaults, then the positional values (``zip``), then the keywords,
    all in C, and checks what a generated signature would have checked: too many values,
    an unknown or repeated name, a required field missing. ``__eq__`` and ``__hash__``
    compare tuples read with ``operator.attrgetter``.
    """
    from operator import attrgetter

    names = tuple(specs)
    fields = specs.keys()
    count = len(names)
    defaults = {name: spec.default for name, spec in specs.items() if spec.default is not MISSING}
    factories = {name: spec.default_factory for name, spec in specs.items() if spec.default_factory is not MISSING}
    qualname = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) == count and not kwargs:  # every field given in order: a fingerprint row
            self.__dict__.update(zip(names, args))
            return
        if len(args) > count:
            raise TypeError(
                f"{qualname}.__init__() takes {count + 1} positional arguments but {len(args) + 1} were given"
            )
        values = self.__dict__
        values.update(defaults)
        values.update(zip(names, args))
        if kwargs:
            if not kwargs.keys() <= specs.keys():
                unknown = kwargs.keys() - specs.keys()
                raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {min(unknown)!r}")
            repeated = kwargs.keys() & names[: len(args)] if args else ()
            if repeated:
                raise TypeError(f"{qualname}.__init__() got multiple values for argument {min(repeated)!r}")
            values.update(kwargs)
        if not fields <= values.keys():
            for name, factory in factories.items():
                if name not in values:
                    values[name] = factory()
            if not fields <= values.keys():
                missing = [name for name in names if name not in values]
                raise TypeError(f"{qualname}.__init__() missing required argument(s): {', '.join(missing)}")

    def values_of(fields: list[str]) -> Callable[[Any], tuple[Any, ...]]:
        if not fields:
            return lambda instance: ()
        if len(fields) == 1:
            one = attrgetter(fields[0])
            return lambda instance: (one(instance),)
        return attrgetter(*fields)

    compared = values_of([n for n, s in specs.items() if s.compare])
    hashed = values_of([n for n, s in specs.items() if (s.compare if s.hash is None else s.hash)])

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return compared(self) == compared(other)

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    made = {"__init__": __init__, "__eq__": __eq__, "__hash__": __hash__, "__repr__": __repr__}
    for method, function in made.items():
        function.__qualname__ = f"{qualname}.{method}"
    return made


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen value class of its annotated fields, in order (see the module docstring)."""
    names = list(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063 (its own fields, as dataclasses reads them)
    specs: dict[str, _Field] = {}
    defaulted = False
    for name in names:
        value = cls.__dict__.get(name, MISSING)
        specs[name] = spec = value if isinstance(value, _Field) else _Field(value, MISSING, True, None)
        if spec.default is not MISSING or spec.default_factory is not MISSING:
            defaulted = True
        elif defaulted:
            raise TypeError(f"non-default field {name!r} follows a default one in {cls.__qualname__}")
    own = cls.__dict__
    if "__slots__" in own and "__dict__" not in own["__slots__"]:
        raise TypeError(f"{cls.__qualname__}: a frozen class keeps its fields in __dict__; drop __slots__")
    # As dataclasses does: what the class defines itself stays (``Version.__eq__``), and
    # ``__hash__`` is generated unless defined (a class body with ``__eq__`` alone sets it to None).
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    methods = _methods(cls, specs)
    type.__setattr__(cls, "__frozen_init__", methods["__init__"])
    for method, function in methods.items():
        if method in own and (method != "__hash__" or explicit_hash):
            continue
        type.__setattr__(cls, method, function)
    for name, spec in specs.items():
        if isinstance(cls.__dict__.get(name), _Field):
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
    cls.__setattr__ = _refuse  # type: ignore[method-assign]
    cls.__delattr__ = _refuse  # type: ignore[method-assign]
    type.__setattr__(cls, "__match_args__", tuple(names))
    cls.__dataclass_fields__ = _LazyFields(specs)  # type: ignore[attr-defined]
    return cls


def replace(obj: T, **changes: Any) -> T:
    """A copy of ``obj`` with ``changes`` (``dataclasses.replace`` for :func:`frozen` classes).

    The copy takes the fields from the instance's ``__dict__`` rather than calling the
    generated ``__init__`` again (a 10,000-venv ``list`` replaces records tens of
    thousands of times); a class with an ``__init__`` of its own gets it called.
    """
    cls = type(obj)
    fields = cls_fields(cls)
    for name in changes:
        if name not in fields:
            raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {name!r}")
    if cls.__init__ is not getattr(cls, "__frozen_init__", None):  # an __init__ of its own: run it
        return cls(**{name: changes[name] if name in changes else getattr(obj, name) for name in fields})
    copy = object.__new__(cls)
    values = copy.__dict__
    current = obj.__dict__
    values.update(current if len(current) == len(fields) else {name: current[name] for name in fields})
    values.update(changes)
    return copy


def cls_fields(cls: type) -> tuple[str, ...]:
    """The field names of a :func:`frozen` class, in order."""
    return cls.__match_args__  # type: ignore[attr-defined, no-any-return]
