"""Operations settings: tokens from files (container secrets), the HTTP address, JSON logs,
and the console's own database."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from adapters.discord.settings import DiscordSettings
from adapters.platforms import load_settings
from adapters.telegram.settings import TelegramSettings
from bot.settings import JsonFormatter, SettingsError
from tests.app.test_cli import homegroup

TELEGRAM = "123456:" + "B" * 35
DISCORD = "D" * 60


def test_tokens_are_read_from_files(tmp_path: Path) -> None:
    (tmp_path / "telegram").write_text(TELEGRAM + "\n", encoding="utf-8")
    (tmp_path / "discord").write_text(DISCORD, encoding="utf-8")
    settings = load_settings(
        {
            "TELEGRAM_TOKEN_FILE": str(tmp_path / "telegram"),
            "DISCORD_TOKEN_FILE": str(tmp_path / "discord"),
        }
    )
    assert settings.section(TelegramSettings).token == TELEGRAM
    assert settings.section(DiscordSettings).token == DISCORD
    assert settings.platforms == ["telegram", "discord"]
    assert TELEGRAM not in repr(settings)


def test_a_token_and_its_file_both_set_is_refused(tmp_path: Path) -> None:
    (tmp_path / "telegram").write_text(TELEGRAM, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {"TELEGRAM_TOKEN": TELEGRAM, "TELEGRAM_TOKEN_FILE": str(tmp_path / "telegram")}
        )
    assert caught.value.problems == [
        "TELEGRAM_TOKEN_FILE: set either TELEGRAM_TOKEN or TELEGRAM_TOKEN_FILE, not both"
    ]
    assert TELEGRAM not in str(caught.value)


@pytest.mark.parametrize("kind", ["missing", "folder", "empty"])
def test_an_unreadable_token_file_is_one_line_naming_the_variable(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "secret"
    if kind == "folder":
        path.mkdir()
    elif kind == "empty":
        path.write_text("\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN_FILE": str(path)})
    [line] = caught.value.problems
    assert line.startswith(
        f"DISCORD_TOKEN_FILE: {str(path)!r}"
        if kind == "empty"
        else f"DISCORD_TOKEN_FILE: cannot read {str(path)!r}"
    )


def test_a_token_file_that_holds_no_token_never_prints_it(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("not-a-token-at-all", encoding="utf-8")
    done = homegroup("run", env={"TELEGRAM_TOKEN_FILE": str(tmp_path / "secret")}, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("homegroup: TELEGRAM_TOKEN: this does not look like")
    assert "not-a-token-at-all" not in done.stderr + done.stdout


def test_the_http_address_and_log_format_are_checked() -> None:
    settings = load_settings({"HOMEGROUP_HTTP": "127.0.0.1:9464", "HOMEGROUP_LOG_FORMAT": "JSON"})
    assert settings.http == ("127.0.0.1", 9464)
    assert settings.log_format == "json"
    assert load_settings({}).http is None, "off by default"
    with pytest.raises(SettingsError) as caught:
        load_settings({"HOMEGROUP_HTTP": "9464", "HOMEGROUP_LOG_FORMAT": "xml"})
    assert caught.value.problems == [
        "HOMEGROUP_LOG_FORMAT: use one of text, json",
        "HOMEGROUP_HTTP: give host:port, like 127.0.0.1:9464",
    ]


def test_json_log_lines_carry_time_level_logger_and_message() -> None:
    record = logging.LogRecord("bot.core", logging.WARNING, __file__, 1, "late by %ds", (3,), None)
    line = json.loads(JsonFormatter().format(record))
    assert set(line) == {"time", "level", "logger", "message"}
    assert (line["level"], line["logger"], line["message"]) == ("WARNING", "bot.core", "late by 3s")


def test_the_console_keeps_its_own_database_and_fresh_starts_over(tmp_path: Path) -> None:
    homegroup("console", stdin="/cleandate today\n/tap 1\n/wait 10d\n", cwd=tmp_path)
    assert (tmp_path / "homegroup-console.db").exists()
    assert not (tmp_path / "homegroup.db").exists()
    assert "10 days clean" in homegroup("console", stdin="/days\n", cwd=tmp_path).stdout
    fresh = homegroup("console", "--fresh", stdin="/days\n", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert "10 days clean" not in fresh.stdout


def test_the_console_database_can_be_named(tmp_path: Path) -> None:
    env = {"HOMEGROUP_CONSOLE_DATABASE": str(tmp_path / "demo.db")}
    done = homegroup("console", stdin="/help\n", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo.db").exists()
    assert not (tmp_path / "homegroup-console.db").exists()
