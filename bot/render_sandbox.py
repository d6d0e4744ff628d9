"""The sandbox a deployment's override renders in: Jinja's, with a deadline and a size limit.

Jinja's immutable sandbox keeps an override from reaching what it should not, but not from
looping or allocating. :class:`CappedSandbox` refuses the common blow-ups at once (a string or
list multiplied or added past the size budget, a huge power, a wide format, ``lipsum`` or a
filter asked for more than the budget), checks the deadline at every call, attribute, operator
and piece of output, and counts the output as it is made. A loop that calls nothing escapes
every hook: the process it runs in is killed for that (``bot.render_guard``).
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jinja2
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

SOFT_SHARE = 0.75
"""The sandbox stops an override itself at this share of the time budget, so its worker lives
on; the bot kills the worker only at the whole budget."""
_WIDE_PERCENT = re.compile(r"%[-#0 +]*(?:\*|\d{6,}|\d*\.(?:\*|\d{6,}))")
"""A ``%`` format whose width or precision alone could reach the size budget."""
_WIDE_FIELD = re.compile(r"\{[^{}]*:[^{}]*\d{6,}[^{}]*\}")
"""The same for a ``str.format`` field."""
_PADDING = frozenset({"center", "ljust", "rjust", "zfill"})


@dataclass(frozen=True, slots=True)
class Budget:
    """What rendering one override may spend before it is stopped."""

    seconds: float = 1.0
    """Wall time for one render, compiling the template included."""
    characters: int = 80_000
    """The output before blank lines are folded, and any one string or list made on the way."""
    memory: int = 256 * 2**20
    """Bytes a worker may grow by."""


class OverrideSpent(Exception):
    """An override ran past its budget and was stopped."""

    def __init__(self, what: str, frames: tuple[tuple[str, int], ...] = ()) -> None:
        super().__init__(what)
        self.what = what
        """``time``, ``characters``, ``memory`` or ``crash``."""
        self.frames = frames
        """Where in the override files it was when stopped, deepest last (files and lines)."""


class CappedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with a deadline and a size limit on what an override makes."""

    # Intercepted operators are also never folded when the template compiles, so that
    # ``'x' * 10**9`` is not built by the compiler either.
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, budget: Budget, **options: Any) -> None:
        super().__init__(**options)
        self._limit = budget.characters
        self._soft = budget.seconds * SOFT_SHARE
        self._deadline = math.inf
        self.globals["lipsum"] = self._lipsum
        self.filters.update(_capped_filters(self.filters, self._limit))

    @contextlib.contextmanager
    def budgeted(self) -> Iterator[None]:
        """Start the clock for one render."""
        self._deadline = time.monotonic() + self._soft
        try:
            yield
        finally:
            self._deadline = math.inf

    def check(self) -> None:
        if time.monotonic() > self._deadline:
            raise OverrideSpent("time")

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self.check()
        if operator == "*":
            _fits(_repeated(left, right) or _repeated(right, left), self._limit)
        elif operator == "+" and isinstance(left, str | list | tuple):
            _fits(
                len(left) + (len(right) if isinstance(right, str | list | tuple) else 0),
                self._limit,
            )
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            _fits((abs(left).bit_length() - 1) * right // 3, self._limit)
        elif operator == "%" and isinstance(left, str):
            _narrow(left, _WIDE_PERCENT)
        return super().call_binop(context, operator, left, right)

    # Named as Jinja names them, so that no keyword a template passes can clash.
    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.check()
        method = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        text = getattr(method, "__self__", None)
        if isinstance(text, str):
            __self._check_str_method(text, method.__name__, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.check()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.check()
        return super().getitem(obj, argument)

    def _check_str_method(
        self, text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        first = args[0] if args else next(iter(kwargs.values()), None)
        if name in _PADDING and isinstance(first, int):
            _fits(first, self._limit)
        elif name == "expandtabs" and isinstance(first, int):
            _fits(len(text) * max(first, 1), self._limit)
        elif name == "replace" and len(args) >= 2:
            _fits(_replaced_size(text, args[0], args[1]), self._limit)
        elif name in ("format", "format_map"):
            _narrow(text, _WIDE_FIELD)

    def _lipsum(self, n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        self.check()
        _fits(n * max * 12, self._limit)  # a lorem word is at most 12 characters with its space
        return generate_lorem_ipsum(n, html, min, max)


class Overridable(Protocol):
    """What rendering an override needs of a renderer: its sandbox and its budget."""

    @property
    def budget(self) -> Budget: ...

    def override_environment(self, locale: str) -> CappedSandbox: ...


def render_override(
    renderer: Overridable, template: str, values: Mapping[str, Any], locale: str
) -> str:
    """Render ``template`` with the overrides in place, inside its budget; what a worker does."""
    sandbox = renderer.override_environment(locale)
    limit = renderer.budget.characters
    pieces: list[str] = []
    size = 0
    with sandbox.budgeted():
        for piece in sandbox.get_template(f"{template}.j2").generate(values):
            size += len(piece)
            if size > limit:
                raise OverrideSpent("characters")
            sandbox.check()
            pieces.append(piece)
    return "".join(pieces)


def _capped_filters(
    filters: Mapping[str, Callable[..., Any]], limit: int
) -> dict[str, Callable[..., Any]]:
    """Jinja's filters that could make more than ``limit`` from a short call, refused first."""
    center, indent, fmt, replace = (
        filters["center"],
        filters["indent"],
        filters["format"],
        filters["replace"],
    )
    batch, slice_ = filters["batch"], filters["slice"]

    def capped_center(value: Any, width: int = 80) -> Any:
        if isinstance(width, int):
            _fits(width, limit)
        return center(value, width)

    def capped_indent(s: Any, width: Any = 4, first: bool = False, blank: bool = False) -> Any:
        lines = str(s).count("\n") + 1
        step = width if isinstance(width, int) else len(str(width))
        _fits(len(str(s)) + lines * step, limit)
        return indent(s, width, first, blank)

    def capped_format(value: Any, *args: Any, **kwargs: Any) -> Any:
        _narrow(str(value), _WIDE_PERCENT)
        return fmt(value, *args, **kwargs)

    @jinja2.pass_eval_context
    def capped_replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: Any = None) -> Any:
        _fits(_replaced_size(str(s), old, new), limit)
        return replace(eval_ctx, s, old, new, count)

    def capped_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
        if isinstance(linecount, int):
            _fits(linecount, limit)
        return batch(value, linecount, fill_with)

    def capped_slice(value: Any, slices: int, fill_with: Any = None) -> Any:
        if isinstance(slices, int):
            _fits(slices, limit)
        return slice_(value, slices, fill_with)

    return {
        "center": capped_center,
        "indent": capped_indent,
        "format": capped_format,
        "replace": capped_replace,
        "batch": capped_batch,
        "slice": capped_slice,
    }


def _fits(size: int, limit: int) -> None:
    if size > limit:
        raise OverrideSpent("characters")


def _narrow(text: str, wide: re.Pattern[str]) -> None:
    if wide.search(text):
        raise OverrideSpent("characters")


def _repeated(sequence: Any, times: Any) -> int:
    """The length of ``sequence * times``, or 0 when that is not repeating a sequence."""
    if isinstance(sequence, str | list | tuple) and isinstance(times, int):
        return len(sequence) * times
    return 0


def _replaced_size(text: str, old: Any, new: Any) -> int:
    old, new = str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    return len(text) + found * max(len(new) - len(old), 0)
