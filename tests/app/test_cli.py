"""The ``homegroup`` command as a newcomer runs it: a real process, stdin piped."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest


def homegroup(
    *args: str,
    stdin: str = "",
    env: dict[str, str] | None = None,
    cwd: Path,
    terminal: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run the command; with ``terminal``, its stdin is a terminal (a pty) typing nothing."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOMEGROUP_", "TELEGRAM_", "DISCORD_"))
    }
    with contextlib.ExitStack() as closing:
        given: dict[str, Any] = {"input": stdin}
        if terminal:
            leader, follower = pty.openpty()
            for fd in (leader, follower):
                closing.callback(os.close, fd)
            given = {"stdin": follower}
        return subprocess.run(
            [sys.executable, "-m", "adapters", *args],
            **given,
            capture_output=True,
            text=True,
            env={**base, **(env or {})},
            cwd=cwd,
            timeout=60,
            check=False,
        )


def test_run_with_no_token_starts_the_console(tmp_path: Path) -> None:
    done = homegroup("run", stdin="/help\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no TELEGRAM_TOKEN or DISCORD_TOKEN is set" in done.stdout
    assert "── in the group ──" in done.stdout
    assert "/cleandate" in done.stdout
    assert (tmp_path / "homegroup-console.db").exists()
    assert not (tmp_path / "homegroup.db").exists(), "the console keeps its own database"
    assert "\x1b[" not in done.stdout


def test_the_acceptance_script_piped_into_the_console(tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    script = "\n".join(
        [
            f"/cleandate {today - timedelta(days=365)}",
            "/tap 1",  # Yes, keep it
            "/tap 1",  # Celebrate with the group
            "/days",
            f"/cleandate {today - timedelta(days=29)}",
            "/wait 2d",
            "/wait 3d",
        ]
    )
    done = homegroup("console", stdin=script + "\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "365 days clean" in out
    after_wait = out.split("(2d later)")[0].split("29 days clean")[-1]
    assert after_wait.count("has 30 days clean today") == 1
    assert "has" not in out.split("(2d later)")[1]


def test_the_console_keeps_its_database_and_clock(tmp_path: Path) -> None:
    homegroup("console", stdin="/cleandate today\n/tap 1\n/wait 10d\n", cwd=tmp_path)
    done = homegroup("console", stdin="/days\n", cwd=tmp_path)
    assert "10 days clean" in done.stdout


def test_bad_settings_stop_with_a_line_each(tmp_path: Path) -> None:
    done = homegroup(
        "run",
        env={"HOMEGROUP_LOG_LEVEL": "LOUD", "TELEGRAM_TOKEN": "x"},
        cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "homegroup: HOMEGROUP_LOG_LEVEL: use one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        "homegroup: TELEGRAM_TOKEN: this does not look like a bot token from @BotFather"
        " (digits, a colon, then 30 or more letters)",
    ]
    assert not (tmp_path / "homegroup.db").exists()


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    done = homegroup("migrate", env={"HOMEGROUP_DATABASE": str(tmp_path / "m.db")}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.db").exists()


def overrides(root: Path, files: dict[str, str]) -> dict[str, str]:
    """Write an override folder; the environment that points the bot at it."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return {"HOMEGROUP_TEMPLATES": str(root)}


@pytest.mark.parametrize(
    ("file", "text", "problem"),
    [
        ("en/craving_reply.j2", "Thank you.\n{% if %}", "line 2: this is not a template"),
        ("en/craving_reply.j2", "Thank you, {{ who.nmae }}.", "line 1: the sample messages"),
        ("en/craving_replay.j2", "Hi", "no bundled template has this name"),
        ("en/days_none.j2", "{{ who.__class__ }}", "line 1: the sandbox does not allow this"),
    ],
    ids=["syntax", "render", "unknown", "sandbox"],
)
def test_a_broken_override_stops_the_start_with_one_line(
    tmp_path: Path, file: str, text: str, problem: str
) -> None:
    env = overrides(tmp_path / "overrides", {"en/help.j2": "Our own help.", file: text})
    done = homegroup("run", stdin="/help\n", env=env, cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"homegroup: HOMEGROUP_TEMPLATES: {file}: {problem}")
    assert done.stdout == "", "no console, no banner"
    assert not (tmp_path / "homegroup.db").exists()


def test_good_overrides_start_and_are_used(tmp_path: Path) -> None:
    env = overrides(
        tmp_path / "overrides",
        {
            "en/help.j2": "Our group's own help: /craving, any hour.",
            "en/danger_words.txt": "# ours\nthe bridge tonight\n",
            "es/help.j2": "Nuestra ayuda: /craving.",
            "en/.DS_Store": "\x00",
        },
    )
    done = homegroup("console", stdin="/help\n/craving the bridge tonight\n", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Our group's own help: /craving, any hour." in done.stdout
    assert "── privately to Sam ──" in done.stdout, "its danger words bring the crisis lines"


def test_overrides_are_checked_in_each_platforms_dialect_before_it_connects(
    tmp_path: Path,
) -> None:
    env = overrides(
        tmp_path / "overrides",
        {"en/help.j2": "{% if platform == 'telegram' %}{{ nope }}{% endif %}Our own help."},
    )
    env.update(
        TELEGRAM_TOKEN="123456:" + "A" * 35,
        TELEGRAM_API_URL="http://127.0.0.1:9",  # nothing listens there: it must not get that far
    )
    done = homegroup("run", env=env, cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("homegroup: HOMEGROUP_TEMPLATES: en/help.j2: line 1: ")
    assert line.endswith("for telegram: 'nope' is undefined")
    assert not (tmp_path / "homegroup.db").exists()


def test_run_check_checks_settings_and_templates_and_touches_nothing(tmp_path: Path) -> None:
    fine = homegroup("run", "--check", cwd=tmp_path)
    assert fine.returncode == 0, fine.stderr
    assert fine.stdout.strip() == "homegroup: the settings and templates are in order"
    assert list(tmp_path.iterdir()) == [], "no database is made, no platform is reached"

    overrides = tmp_path / "templates"
    (overrides / "en").mkdir(parents=True)
    (overrides / "en" / "help.j2").write_text("{{ unclosed", encoding="utf-8")
    broken = homegroup("run", "--check", env={"HOMEGROUP_TEMPLATES": str(overrides)}, cwd=tmp_path)
    assert broken.returncode == 2
    assert broken.stderr.startswith("homegroup: HOMEGROUP_TEMPLATES: ")

    bad = homegroup("run", "--check", env={"HOMEGROUP_LOG_LEVEL": "LOUD"}, cwd=tmp_path)
    assert bad.returncode == 2
    assert "HOMEGROUP_LOG_LEVEL" in bad.stderr


NOTHING_TO_SERVE = (
    "homegroup: no platform token is set, and no terminal for the console: set"
    " TELEGRAM_TOKEN or DISCORD_TOKEN (or TELEGRAM_TOKEN_FILE, DISCORD_TOKEN_FILE)"
)


def test_a_service_check_with_no_token_refuses_as_the_service_would(tmp_path: Path) -> None:
    """The check is how an admin learns the service won't start: with no token it refuses with
    the service's own line and exit code, even typed at a terminal (the service has none)."""
    served = homegroup("run", "--service", cwd=tmp_path)
    assert served.returncode == 2
    assert served.stderr.strip() == NOTHING_TO_SERVE
    for checked in (
        homegroup("run", "--service", "--check", cwd=tmp_path),
        homegroup("run", "--service", "--check", cwd=tmp_path, terminal=True),
    ):
        assert checked.returncode == served.returncode
        assert checked.stderr == served.stderr
        assert "in order" not in checked.stdout

    token = {"TELEGRAM_TOKEN": "123456:" + "A" * 35, "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    fine = homegroup("run", "--service", "--check", env=token, cwd=tmp_path)
    assert fine.returncode == 0, fine.stderr
    assert fine.stdout.strip() == "homegroup: the settings and templates are in order"
    console = homegroup("run", "--check", cwd=tmp_path)
    assert console.returncode == 0, "without --service no token means the console, which is fine"
    assert list(tmp_path.iterdir()) == [], "no database is made, no platform is reached"
