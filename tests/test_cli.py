"""The ``homegroup`` command as a newcomer runs it: a real process, stdin piped."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path


def homegroup(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOMEGROUP_", "TELEGRAM_", "DISCORD_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
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
    assert (tmp_path / "homegroup.db").exists()
    assert "\x1b[" not in done.stdout


def test_the_acceptance_script_piped_into_the_console(tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    script = "\n".join(
        [
            f"/cleandate {today - timedelta(days=365)}",
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
    after_wait = out.split("(2d later)")[0].split("/share off.")[-1]
    assert after_wait.count("has 30 days clean today") == 1
    assert "has" not in out.split("(2d later)")[1]


def test_the_console_keeps_its_database_and_clock(tmp_path: Path) -> None:
    homegroup("console", stdin="/cleandate today\n/wait 10d\n", cwd=tmp_path)
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
