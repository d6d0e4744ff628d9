"""Sample contexts for every template, one module per flow area.

They ship with the package: `homegroup run` renders every deployment override against its
bundled template's samples before it starts, and tests/core/test_render.py renders every template.
A module joins by existing here with a ``SAMPLES`` dict (template key to contexts); an
adapter's own templates have theirs in the adapter, passed to ``all_samples``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from bot import contexts

WHO: dict[str, str] = {"id": "7", "name": "Sam"}
"""The member a turn is for: the core puts them in every reply's context as ``who``."""


def all_samples(
    *more: Mapping[str, list[dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """Sample contexts per template key, gathered from every module of this package, and from
    ``more`` (an adapter's samples for its own templates)."""
    sources = [
        (
            f"bot/samples/{module.name}.py",
            importlib.import_module(f"{__name__}.{module.name}").SAMPLES,
        )
        for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    ]
    sources += [("an adapter's samples", samples) for samples in more]
    merged: dict[str, list[dict[str, Any]]] = {}
    for where, samples in sources:
        repeated = merged.keys() & {str(k) for k in samples}
        if repeated:
            raise ValueError(f"{where} repeats {', '.join(sorted(repeated))}")
        merged.update({str(k): list(v) for k, v in samples.items()})
    return _with_presets(merged)


PRESET: dict[str, Any] = {"preset": "uk", "emergency": "999"}
"""A group's preset crisis lines, for templates that print them (``bot.contexts.Crisis``)."""


def _with_presets(samples: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Every template that prints crisis lines is sampled with a preset's too, so each of its
    branches renders in every language."""
    kinds = contexts.registry()
    for key, given in samples.items():
        kind = kinds.get(key)
        printed = kind is not None and "preset" in contexts.fields(kind)
        if printed and given and not any("preset" in context for context in given):
            given.append({**given[0], **PRESET})
    return samples


def as_sent(sample: dict[str, Any]) -> dict[str, Any]:
    """A sample context as the core sends it: with ``who``, unless the sample names its own."""
    return {"who": WHO, **sample}
