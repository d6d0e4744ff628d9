"""The contract reaches every promise: each method of each repository protocol is called by the
contract suite on every backend, and every backend implements the protocols method for method.

The contract runs in a child pytest whose stores note each repository method called on them
(``HOMEGROUP_STORE_CALLS``, see conftest), so a method counts only if a contract test really
called it, on that backend."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from bot.storage.memory import MemoryTransaction, _Tables
from bot.storage.port import Transaction
from bot.storage.sql.transaction import SqlTransaction
from tests.conftest import BACKENDS, CALLS_FILE, postgres_answers

TESTS = Path(__file__).parent


def promised() -> set[str]:
    """Every ``area.method`` of the repository protocols a transaction holds."""
    return {
        f"{area}.{name}"
        for area, protocol in get_type_hints(Transaction).items()
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


def test_the_contract_calls_every_method_of_every_repository_on_every_backend(
    tmp_path: Path,
) -> None:
    noted = tmp_path / "calls.txt"
    contract = sorted(str(path) for path in TESTS.glob("test_store_contract*.py"))
    for own_stores in (__file__, str(TESTS / "test_store_contract_agreement.py")):
        contract.remove(own_stores)  # its stores are not the fixture's, and note nothing
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *contract],
        env={**os.environ, CALLS_FILE: str(noted)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    called = set(noted.read_text(encoding="utf-8").split("\n")) - {""}
    missed = {
        f"{backend} {method}"
        for backend in BACKENDS
        if backend != "postgres" or postgres_answers()  # else its tests skipped
        for method in promised()
        if f"{backend} {method}" not in called
    }
    assert not missed, "the contract never calls these: " + ", ".join(sorted(missed))


class _NoConnection:
    """Stands in for a connection: building a transaction sends nothing."""


def _transactions() -> dict[str, Any]:
    return {
        "sqlite": SqlTransaction(_NoConnection()),  # type: ignore[arg-type]
        "postgres": SqlTransaction(_NoConnection()),  # type: ignore[arg-type]
        "memory": MemoryTransaction(_Tables()),
    }


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_every_backend_implements_the_protocols_method_for_method(backend: str) -> None:
    tx = _transactions()[backend]
    for area, protocol in get_type_hints(Transaction).items():
        repository = type(getattr(tx, area))
        wanted = {
            name: member
            for name, member in vars(protocol).items()
            if callable(member) and not name.startswith("_")
        }
        for name, method in wanted.items():
            found = getattr(repository, name, None)
            assert found is not None, f"{backend}: {area}.{name} is missing"
            assert inspect.signature(found) == inspect.signature(method), f"{area}.{name}"
            assert inspect.iscoroutinefunction(found), f"{backend}: {area}.{name}"
