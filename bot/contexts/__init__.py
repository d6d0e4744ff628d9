"""What each template is given to print: one ``TypedDict`` per template context.

A context crosses the outbox as JSON and may be printed by a deployment's override, so it stays
a plain dict with the key names templates know; the types say which keys, and of what kind, so
mypy checks the flows that build them and the renderer checks every context before it renders
(a wrong or missing key is a clear error instead of a half-printed message).

One module per flow area declares its types and a ``CONTEXTS`` table (template key to type); a
module joins by existing in this package. ``who`` (the member a turn is for) is added by the
turn to every answer, so any context may carry it; a type names it only when its template
prints it.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import types
from collections.abc import Callable, Iterator, Mapping
from typing import (
    Any,
    Literal,
    NotRequired,
    Required,
    TypedDict,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

AMBIENT = frozenset({"who"})
"""Keys any context may carry without its type naming them: the turn adds them for overrides."""


class Ref(TypedDict):
    """A person as a template prints or mentions them (``mention(who)``)."""

    id: str
    name: str


class Empty(TypedDict):
    """The context of a template that prints nothing it is given (buttons' labels, fixed text)."""


class Crisis(TypedDict):
    """A community's crisis lines as ``_resources.j2`` and ``_emergency.j2`` print them."""

    resources: str | None
    """The admins' own lines."""
    preset: NotRequired[str | None]
    """The preset's code (``uk``, ``legacy``); absent from rows queued before presets."""
    emergency: NotRequired[str | None]
    """The number to call, the admins' own before the preset's; absent as ``preset`` is."""


class Meeting(TypedDict):
    """A regular meeting as templates print it."""

    weekday: int
    """0 is Monday."""
    time: str
    """``HH:MM`` in the community's zone."""
    title: str
    link: str
    """Empty when the meeting has none."""


class Span(TypedDict):
    """A length of clean time in calendar terms: 8 months, 28 days."""

    years: int
    months: int
    days: int


class ContextError(ValueError):
    """A context does not match its template's type; says every key that is wrong."""

    def __init__(self, template: str, problems: list[str]) -> None:
        super().__init__(f"context of {template!r}: {'; '.join(problems)}")
        self.template = template
        self.problems = problems


@functools.cache
def registry() -> Mapping[str, type]:
    """Every typed template key and its context type, gathered from this package's modules."""
    merged: dict[str, type] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found: Mapping[str, type] = importlib.import_module(f"{__name__}.{module.name}").CONTEXTS
        repeated = merged.keys() & {str(k) for k in found}
        if repeated:
            raise ValueError(f"bot/contexts/{module.name}.py repeats {', '.join(sorted(repeated))}")
        merged.update({str(k): v for k, v in found.items()})
    return merged


def check(template: str, values: Mapping[str, Any], more: Mapping[str, type] | None = None) -> None:
    """Raise ContextError unless ``values`` is what ``template``'s type says (the core's, or
    one of ``more``: an adapter's own templates); a template with no type yet passes."""
    kind = (more or {}).get(template) or registry().get(template)
    if kind is None or fits(kind, values):
        return
    raise ContextError(template, problems(kind, values))


def fits(kind: type, values: Mapping[str, Any]) -> bool:
    """Whether ``values`` is a context of type ``kind``: what ``problems`` says, only faster."""
    return _fits(kind, top=True)(values)


def problems(kind: type, values: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``values`` as a context of type ``kind``: each misfit by its key."""
    return list(_problems(kind, values, "", top=True))


def fields(kind: type) -> frozenset[str]:
    """The keys a context type names, required or not."""
    return frozenset(_hints(kind)[0])


@functools.cache
def _hints(kind: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A type's keys with their kinds, and the keys it requires.

    Read from the annotations rather than ``__required_keys__``, which cannot see
    ``NotRequired`` in the postponed annotations every module here uses (Python < 3.14).
    """
    hints: dict[str, Any] = {}
    required: set[str] = set()
    total: frozenset[str] = getattr(kind, "__required_keys__", frozenset())
    for key, hint in get_type_hints(kind, include_extras=True).items():
        wrapper = get_origin(hint)
        hints[key] = get_args(hint)[0] if wrapper in (NotRequired, Required) else hint
        if wrapper is Required or (wrapper is not NotRequired and key in total):
            required.add(key)
    return hints, frozenset(required)


@functools.cache
def _fits(kind: Any, *, top: bool = False) -> Callable[[object], bool]:
    """Whether a value is a ``kind``, as one function made once a type: every render asks.

    It answers as ``_problems`` finds nothing (a test holds them equal); ``_problems`` says
    what is wrong, for the error, once this found something.
    """
    if kind is Any:
        return lambda value: True
    if is_typeddict(kind):
        hints, required = _hints(kind)
        items = {key: _fits(hint) for key, hint in hints.items()}
        if top:
            items = {key: _fits(Ref) for key in AMBIENT} | items

        def fits_mapping(value: object) -> bool:
            if not isinstance(value, Mapping) or not required <= value.keys():
                return False
            for key, item in value.items():
                fits = items.get(key)
                if fits is None or not fits(item):
                    return False
            return True

        return fits_mapping
    origin, args = get_origin(kind), get_args(kind)
    if origin in (Union, types.UnionType):
        arms = tuple(_fits(arm) for arm in args)
        if len(arms) == 2:
            first, second = arms
            return lambda value: first(value) or second(value)
        return lambda value: any(fits(value) for fits in arms)
    if origin is Literal:
        return lambda value: value in args
    if origin in (list, tuple):
        item = _fits(args[0] if args else Any)
        return lambda value: isinstance(value, list | tuple) and all(map(item, value))
    if origin is dict:
        item = _fits(args[1])
        return lambda value: (
            isinstance(value, Mapping)
            and all(isinstance(key, str) for key in value)
            and all(map(item, value.values()))
        )
    if kind is None or kind is types.NoneType:
        return lambda value: value is None
    if kind in (str, bool):
        return lambda value: isinstance(value, kind)
    _is(kind, None)  # a kind no context may use fails here, when first met
    return functools.partial(_is, kind)


def _problems(kind: Any, value: object, where: str, *, top: bool = False) -> Iterator[str]:
    """What is wrong with ``value`` as a ``kind``; nothing when it fits.

    Values name no member's words: a problem says the key and the kind expected, never the value.
    """
    at = where or "the context"
    if kind is Any:
        return
    if is_typeddict(kind):
        if not isinstance(value, Mapping):
            yield f"{at} is not a mapping"
            return
        hints, required = _hints(kind)
        prefix = f"{where}." if where else ""
        for key in sorted(required - value.keys()):
            yield f"{prefix}{key} is missing"
        for key, item in value.items():
            hint = hints.get(key)
            if hint is None and top and key in AMBIENT:
                hint = Ref
            if hint is None:
                yield f"{prefix}{key} is not expected"
            else:
                yield from _problems(hint, item, f"{prefix}{key}")
        return
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if not any(next(_problems(arm, value, where), None) is None for arm in get_args(kind)):
            yield f"{at} is not {_name(kind)}"
        return
    if origin is Literal:
        if value not in get_args(kind):
            yield f"{at} is not one of {', '.join(map(repr, get_args(kind)))}"
        return
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            yield f"{at} is not a list"
            return
        args = get_args(kind)
        item_kind = args[0] if args else Any
        for index, item in enumerate(value):
            yield from _problems(item_kind, item, f"{where}[{index}]")
        return
    if origin is dict:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            yield f"{at} is not a mapping of names"
            return
        for key, item in value.items():
            yield from _problems(get_args(kind)[1], item, f"{where}.{key}")
        return
    if not _is(kind, value):
        yield f"{at} is not {_name(kind)}"


def _is(kind: Any, value: object) -> bool:
    """Whether a plain value is a ``kind`` as JSON carries it: no bool passes for a number."""
    if kind is None or kind is types.NoneType:
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(kind, type):
        return isinstance(value, kind)
    raise TypeError(f"a context type may not use {kind!r}")


def _name(kind: Any) -> str:
    if get_origin(kind) in (Union, types.UnionType):
        return " or ".join(_name(arm) for arm in get_args(kind))
    if kind is None or kind is types.NoneType:
        return "None"
    return getattr(kind, "__name__", repr(kind))
