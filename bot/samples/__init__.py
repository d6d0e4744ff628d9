"""Sample contexts for every template, one module per flow area.

They ship with the package: `homegroup run` renders every deployment override against its
bundled template's samples before it starts, and tests/test_render.py renders every template.
A module joins by existing here with a ``SAMPLES`` dict (template key to contexts).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

WHO: dict[str, str] = {"id": "7", "name": "Sam"}
"""The member a turn is for: the core puts them in every reply's context as ``who``."""


def all_samples() -> dict[str, list[dict[str, Any]]]:
    """Sample contexts per template key, gathered from every module of this package."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found = importlib.import_module(f"{__name__}.{module.name}").SAMPLES
        repeated = merged.keys() & {str(k) for k in found}
        if repeated:
            raise ValueError(f"bot/samples/{module.name}.py repeats {', '.join(sorted(repeated))}")
        merged.update({str(k): list(v) for k, v in found.items()})
    return merged


def as_sent(sample: dict[str, Any]) -> dict[str, Any]:
    """A sample context as the core sends it: with ``who``, unless the sample names its own."""
    return {"who": WHO, **sample}
