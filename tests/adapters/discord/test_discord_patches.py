"""discord.py's process-wide state is changed in adapters/discord/patches.py alone, as it says."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import discord
import discord.gateway
import discord.http
import pytest
import yarl

from adapters.discord import patches
from adapters.discord.settings import DiscordSettings

ADAPTERS = Path(__file__).resolve().parents[3] / "adapters"
PATCHES = ADAPTERS / "discord" / "patches.py"


def test_apply_aims_discord_py_at_the_settings_quiets_its_log_and_its_voice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for owner, name in [
        (discord.http.Route, "BASE"),
        (discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY"),
        (discord.VoiceClient, "warn_nacl"),
        (discord.VoiceClient, "warn_dave"),
    ]:
        monkeypatch.setattr(owner, name, getattr(owner, name))  # given back after the test
    library_log = logging.getLogger("discord")
    level = library_log.level
    library_log.setLevel(logging.DEBUG)
    try:
        patches.apply(
            DiscordSettings(api_url="http://127.0.0.1:9/api/v10", gateway_url="ws://127.0.0.1:9")
        )

        assert discord.http.Route.BASE == "http://127.0.0.1:9/api/v10"
        assert yarl.URL("ws://127.0.0.1:9") == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        assert not library_log.isEnabledFor(logging.DEBUG)
        assert library_log.isEnabledFor(logging.INFO)
        assert discord.VoiceClient.warn_nacl is False
        assert discord.VoiceClient.warn_dave is False
    finally:
        library_log.setLevel(level)


def _discord_names(tree: ast.Module) -> set[str]:
    """The names a module binds to discord.py or something in it."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if alias.name.split(".")[0] == "discord"
            }
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "discord":
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def test_no_other_module_writes_to_discord_py() -> None:
    writes = []
    for path in sorted(ADAPTERS.rglob("*.py")):
        if path == PATCHES:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        names = _discord_names(tree)
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("setattr", "delattr")
                and node.args
            ):
                targets = [ast.Attribute(value=node.args[0], attr="?", ctx=ast.Store())]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root(target) in names:
                    writes.append(f"{path.relative_to(ADAPTERS)}:{node.lineno}")
    assert writes == []
