"""The house rules of ``bot/``, read from its source: the core names no platform, imports no
adapter or platform library, and no two of its modules import each other round a circle.

A platform's facts belong to its adapter (``adapters/<p>/``): what it can do, its settings, the
samples of its own templates. Here they are refused in any import, name, string, docstring or
comment, so that the next platform is added without touching the core.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
PLATFORM_WORDS = re.compile(r"telegram|discord", re.IGNORECASE)
FOREIGN_PACKAGES = {"telegram", "discord", "adapters"}


def modules() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def label(path: Path) -> str:
    return str(path.relative_to(BOT.parent))


def imported(tree: ast.AST, here: str) -> Iterator[tuple[int, str, list[str]]]:
    """Each import: its line, the module it names, and the names it takes from it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*package[:-1], base] if base else package[:-1])
            yield node.lineno, base, [alias.name for alias in node.names]


def named(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every identifier and every string in the code, with its line."""
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield line, node.value
        elif isinstance(node, ast.Name):
            yield line, node.id
        elif isinstance(node, ast.Attribute):
            yield line, node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield line, node.name
        elif isinstance(node, ast.arg) or (isinstance(node, ast.keyword) and node.arg):
            yield line, str(node.arg)
        elif isinstance(node, ast.alias):
            yield line, node.asname or node.name


def comments(source: str) -> Iterator[tuple[int, str]]:
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


@pytest.mark.parametrize("path", modules(), ids=label)
def test_the_core_imports_no_platform_and_no_adapter(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        f"{label(path)}:{line} imports {name}"
        for line, name, _ in imported(tree, module_name(path))
        if name.split(".")[0] in FOREIGN_PACKAGES
    ]
    assert found == []


@pytest.mark.parametrize("path", modules(), ids=label)
def test_the_core_names_no_platform(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    found = [
        f"{label(path)}:{line}: {text[:60]!r}"
        for line, text in [*named(ast.parse(source)), *comments(source)]
        if PLATFORM_WORDS.search(text)
    ]
    assert found == []


def test_the_rules_catch_what_they_are_for() -> None:
    """The checks above find a platform wherever it hides, so their silence means something."""
    source = (
        "import discord\n"
        "from adapters.telegram import settings\n"
        "TOKEN = 'TELEGRAM_TOKEN'\n"
        "def send(discord_id: str) -> None:\n"
        "    '''On Telegram.'''\n"
        "    settings.telegram_token  # a Discord snowflake\n"
    )
    tree = ast.parse(source)
    assert {name for _, name, _ in imported(tree, "bot.x")} == {"discord", "adapters.telegram"}
    hits = [text for _, text in [*named(tree), *comments(source)] if PLATFORM_WORDS.search(text)]
    assert len(hits) == 6, hits


def import_graph() -> dict[str, set[str]]:
    """Which module of ``bot`` and ``adapters`` imports which, at run time (``TYPE_CHECKING``
    blocks aside)."""
    adapters = sorted((BOT.parent / "adapters").rglob("*.py"))
    names = {module_name(path): path for path in [*modules(), *adapters]}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        edges: set[str] = set()
        for _, base, taken in imported(tree, name):
            for target in [f"{base}.{item}" for item in taken] or [base]:
                if target in names:
                    edges.add(target)
                elif base in names:
                    edges.add(base)
        graph[name] = edges - {name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other round a circle (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_modules_of_the_core_or_the_adapters_import_each_other_round_a_circle() -> None:
    """A circle means two modules can be neither read nor changed apart. Calls and restarts
    build on the craving flow's danger path; the craving's own "call me" and "I used" buttons
    are answered by the calls and relapse flows, so that path runs one way."""
    assert circles(import_graph()) == []


def test_a_circle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
