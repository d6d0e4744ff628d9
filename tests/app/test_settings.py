"""Settings: every bad value is named in one clear line; tokens never leak into a repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.discord.settings import DiscordSettings
from adapters.platforms import load_settings
from adapters.telegram.settings import TelegramSettings
from bot.settings import Settings, SettingsError
from bot.storage.backends import shown

TELEGRAM = "123456:" + "A" * 35


def test_defaults_run_the_console_on_sqlite() -> None:
    settings = load_settings({})
    assert settings.database == "./homegroup.db"
    assert settings.platforms == []


def test_every_bad_value_gets_its_own_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "HOMEGROUP_DATABASE": str(tmp_path / "missing" / "x.db"),
                "HOMEGROUP_TEMPLATES": str(tmp_path / "nope"),
                "HOMEGROUP_LOG_LEVEL": "LOUD",
                "TELEGRAM_TOKEN": "not-a-token",
                "DISCORD_TOKEN": "short",
                "TELEGRAM_API_URL": "api.telegram.org",
                "DISCORD_GATEWAY_URL": "https://gateway",
            }
        )
    named = [line.split(":", 1)[0] for line in caught.value.problems]
    assert named == [
        "HOMEGROUP_DATABASE",
        "HOMEGROUP_TEMPLATES",
        "HOMEGROUP_LOG_LEVEL",
        "TELEGRAM_TOKEN",
        "TELEGRAM_API_URL",
        "DISCORD_TOKEN",
        "DISCORD_GATEWAY_URL",
    ]
    assert "not-a-token" not in str(caught.value)


def test_a_postgres_url_is_taken_and_its_password_never_shown() -> None:
    url = "postgresql://homegroup:s3cret-pass@127.0.0.1:5432/test"
    settings = load_settings({"HOMEGROUP_DATABASE": url})
    assert settings.database == url
    assert "s3cret-pass" not in repr(settings)
    assert shown(url) == "postgresql://homegroup:***@127.0.0.1:5432/test"
    assert shown("./homegroup.db") == "./homegroup.db"


def test_other_urls_are_refused_clearly() -> None:
    with pytest.raises(SettingsError, match="or a postgresql:// URL"):
        load_settings({"HOMEGROUP_DATABASE": "mysql://127.0.0.1/test"})


def test_tokens_stay_out_of_repr() -> None:
    settings = load_settings({"TELEGRAM_TOKEN": TELEGRAM})
    assert settings.platforms == ["telegram"]
    assert TELEGRAM not in repr(settings)


def test_a_toml_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "homegroup.toml"
    config.write_text(
        f'homegroup_log_level = "debug"\ntelegram_api_url = "http://127.0.0.1:8081/"\n'
        f'homegroup_database = "{tmp_path / "a.db"}"\n'
    )
    settings = load_settings(
        {"HOMEGROUP_CONFIG": str(config), "HOMEGROUP_DATABASE": str(tmp_path / "b.db")}
    )
    assert settings.log_level == "DEBUG"
    assert settings.section(TelegramSettings).api_url == "http://127.0.0.1:8081"
    assert settings.database == str(tmp_path / "b.db")


def test_a_broken_toml_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("this is = not [toml")
    with pytest.raises(SettingsError, match=r"HOMEGROUP_CONFIG: .* is not valid TOML"):
        load_settings({"HOMEGROUP_CONFIG": str(config)})
    config.write_text('colour = "blue"\n')
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        load_settings({"HOMEGROUP_CONFIG": str(config)})


def test_discord_server_ids_and_the_members_intent_are_read_and_checked() -> None:
    settings = load_settings(
        {
            "DISCORD_GUILD_IDS": "500000000000000001, 500000000000000002,500000000000000001",
            "DISCORD_MEMBERS_INTENT": "yes",
        }
    )
    assert settings.section(DiscordSettings).guild_ids == (500000000000000001, 500000000000000002)
    assert settings.section(DiscordSettings).members_intent

    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_GUILD_IDS": "Sunday Circle", "DISCORD_MEMBERS_INTENT": "maybe"})
    named = [line.split(":", 1)[0] for line in caught.value.problems]
    assert named == ["DISCORD_GUILD_IDS", "DISCORD_MEMBERS_INTENT"]
    assert not load_settings({}).section(DiscordSettings).members_intent


def test_a_platform_whose_section_was_not_read_is_not_served() -> None:
    settings = Settings(database="x.db")
    assert settings.platforms == []
    assert settings.section(TelegramSettings) == TelegramSettings()
    assert not settings.section(DiscordSettings).served
    discord = Settings(sections=(DiscordSettings(token="t" * 60),))
    assert discord.platforms == ["discord"]
    assert "t" * 60 not in repr(discord)
