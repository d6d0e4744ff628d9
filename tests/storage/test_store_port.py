"""The storage port names protocols only, and the SQL repositories implement every one of them
with the same methods and signatures."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any, get_type_hints

import bot.storage.port as port
from bot.storage.port import Transaction
from bot.storage.sql.transaction import SqlTransaction


class _NoConnection:
    """Stands in for a connection: building a transaction sends nothing."""


def _repositories() -> dict[str, tuple[type, type]]:
    """Each repository attribute of a transaction: (its protocol, the SQL class behind it)."""
    sql = SqlTransaction(_NoConnection())  # type: ignore[arg-type]
    return {
        name: (protocol, type(getattr(sql, name)))
        for name, protocol in get_type_hints(Transaction).items()
    }


def _methods(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


def test_every_repository_protocol_is_an_attribute_of_the_transaction() -> None:
    protocols = {
        name
        for name, value in vars(port).items()
        if name.endswith("Repository") and inspect.isclass(value)
    }
    assert protocols == {protocol.__name__ for protocol, _ in _repositories().values()}


def test_the_sql_repositories_implement_their_protocols_method_for_method() -> None:
    for area, (protocol, sql) in _repositories().items():
        wanted = _methods(protocol)
        assert wanted, area
        assert set(_methods(sql)) == set(wanted), area
        for name, method in wanted.items():
            assert inspect.signature(getattr(sql, name)) == inspect.signature(method), (
                f"{area}.{name}"
            )
            assert inspect.iscoroutinefunction(getattr(sql, name)), f"{area}.{name}"


def test_the_port_imports_no_concrete_storage_class() -> None:
    tree = ast.parse(Path(port.__file__).read_text(encoding="utf-8"))
    modules = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [m for m in modules if m and m.startswith("bot.storage")], modules
    concrete = [
        name
        for name, value in vars(port).items()
        if inspect.isclass(value)
        and value.__module__ == port.__name__
        and not getattr(value, "_is_protocol", False)
    ]
    assert concrete == []


def test_no_module_in_storage_imports_one_that_imports_it_back() -> None:
    folder = Path(port.__file__).parent
    imports: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        module = ".".join(("bot", *path.relative_to(folder.parent).with_suffix("").parts))
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports[module] = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.")
        }

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in imports.get(start, set()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    circles = [module for module in imports if reaches(module, module, {module})]
    assert circles == []
