"""README "Run it for a real group": its shell steps, run from a fresh clone as written, with
``deploy/.env`` filled in as an admin would, a well-formed token for the loopback fake of
Telegram's Bot API among its lines. The check refuses what would start nothing and passes what
would start; the image's own start (its entrypoint and command, with the settings compose hands
it, without Docker: no engine runs here) serves the group, and the admin's first steps are
answered there."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.app.fresh_clone import (
    fresh_clone,
    healthy,
    section_commands,
    shell_env,
    start_logged,
    stop_group,
)
from tests.app.test_cli import NOTHING_TO_SERVE
from tests.app.test_copy_db import a_database
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually
from tests.telegram_harness import free_port, texts_in

SECTION = "Run it for a real group"
IN_ORDER = "homegroup: the settings and templates are in order"
PASSWORD = "LettersAndDigits42"
GROUP = tg.group(-1005000000042, "Thursday Circle")
ADMIN = tg.user(4201, "Robin")
MEMBER = tg.user(4202, "Kai")


@dataclass(frozen=True)
class Steps:
    """The section's shell commands, by what each does."""

    copy: str
    """Copies the example settings into deploy/.env."""
    check: str
    """The check without Docker: run here as written."""
    check_in_docker: list[str]
    """What the check with Docker runs in the container (its entrypoint and arguments)."""
    start: str
    """``docker compose up -d``: the image's entrypoint and command, run in the container."""


def the_steps() -> Steps:
    commands = section_commands(SECTION)
    docker = [command for command in commands if command.startswith(("docker ", "cd deploy &&"))]
    copy, check = (command for command in commands if command not in docker)
    docker_check, start = docker
    run = re.fullmatch(
        r"docker compose -f deploy/compose\.yaml run --rm --no-deps --entrypoint (\S+) bot (.*)",
        docker_check,
    )
    assert run, f"a Docker step this test does not know how to try: {docker_check}"
    assert re.fullmatch(r"cd deploy && docker compose up -d", start), start
    return Steps(copy, check, [run[1], *run[2].split()], start)


def fill_in(env_file: Path, **values: str) -> None:
    """Edit deploy/.env as an admin would: each setting given goes on its line (a commented-out
    example of it uncommented), the rest as they are."""
    lines = env_file.read_text().splitlines()
    for key, value in values.items():
        at = [n for n, line in enumerate(lines) if re.match(rf"#? ?{key}=", line)]
        assert at, f"deploy/.env.example names no {key}"
        lines[at[0]] = f"{key}={value}"
    env_file.write_text("\n".join(lines) + "\n")


def as_compose_hands_it(env_file: Path) -> Iterator[tuple[str, str]]:
    """The variables compose's ``env_file`` gives the container: each KEY=VALUE line, comments
    and blank lines left out."""
    for line in env_file.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            yield key.strip(), value


def in_the_container(shell: dict[str, str], env_file: Path) -> dict[str, str]:
    """What compose gives the bot's container: the image's environment (deploy/Dockerfile),
    deploy/.env, then compose.yaml's own ``environment``: the database's URL, in place of the
    image's SQLite file."""
    handed = dict(as_compose_hands_it(env_file))
    return {
        **shell,
        "PYTHONUNBUFFERED": "1",
        "HOMEGROUP_HTTP": "0.0.0.0:9464",
        **handed,
        "HOMEGROUP_DATABASE": (
            f"postgresql://homegroup:{handed['POSTGRES_PASSWORD']}@db:5432/homegroup"
        ),
    }


def image_command(clone: Path) -> list[str]:
    """The Dockerfile's CMD, given to its entrypoint (deploy/entrypoint.sh)."""
    dockerfile = (clone / "deploy" / "Dockerfile").read_text()
    found = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert found, "the Dockerfile has a CMD"
    return ["sh", "deploy/entrypoint.sh", *json.loads(found[1])]


async def run(
    command: list[str], *, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def a_clone_with_settings(tmp_path: Path) -> tuple[Path, Steps, dict[str, str]]:
    """A fresh clone in which the copy step ran; a venv where `make .venv/.runtime` puts it (the
    test's own, which has what running needs); the shell's environment there."""
    clone = await fresh_clone(tmp_path)
    (clone / ".venv").symlink_to(Path(sys.executable).parent.parent)
    steps = the_steps()
    shell = shell_env(clone, tmp_path)
    copied = await run(["sh", "-c", steps.copy], cwd=clone, env=shell)
    assert copied.returncode == 0, copied.stderr
    return clone, steps, shell


async def test_the_check_reads_deploy_env_and_refuses_settings_that_start_nothing(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    clone, steps, shell = await a_clone_with_settings(tmp_path)
    env_file = clone / "deploy" / ".env"

    async def checked() -> list[subprocess.CompletedProcess[str]]:
        """The check as the README gives it without Docker, and what it runs with Docker."""
        return [
            await run(["sh", "-c", steps.check], cwd=clone, env=shell),
            await run(steps.check_in_docker, cwd=clone, env=in_the_container(shell, env_file)),
        ]

    fill_in(env_file, POSTGRES_PASSWORD=PASSWORD, TELEGRAM_API_URL=fake_telegram.root)
    for no_token in await checked():  # the token lines left empty: nothing to serve
        assert no_token.returncode == 2
        assert no_token.stderr.strip() == NOTHING_TO_SERVE
        assert IN_ORDER not in no_token.stdout

    fill_in(env_file, TELEGRAM_TOKEN="123456:copied-only-in-part")
    for mistyped in await checked():
        assert mistyped.returncode == 2
        assert mistyped.stderr.startswith("homegroup: TELEGRAM_TOKEN: this does not look like")
        assert "copied-only-in-part" not in mistyped.stderr, "a token is never shown"

    fill_in(env_file, TELEGRAM_TOKEN=fake_telegram.token)
    for fine in await checked():
        assert fine.returncode == 0, fine.stderr
        assert fine.stdout.strip() == IN_ORDER
    assert not fake_telegram.calls, "the check reaches no platform"
    assert not list(clone.glob("**/*.db")), "the check opens no database"


async def test_the_started_image_answers_the_admin_s_first_steps(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    clone, _, shell = await a_clone_with_settings(tmp_path)
    env_file = clone / "deploy" / ".env"
    fill_in(
        env_file,
        POSTGRES_PASSWORD=PASSWORD,
        TELEGRAM_TOKEN=fake_telegram.token,
        TELEGRAM_API_URL=fake_telegram.root,
    )
    port = str(free_port())
    log = tmp_path / "bot.log"
    bot = fake_telegram.bot_user["id"]

    async with a_database() as database:
        # The test's own PostgreSQL database in place of the `db` service's; /healthz on a free
        # loopback port in place of the container's own 9464.
        container = {
            **in_the_container(shell, env_file),
            "HOMEGROUP_DATABASE": database,
            "HOMEGROUP_HTTP": f"127.0.0.1:{port}",
        }
        started = await start_logged(image_command(clone), clone, container, log)
        try:
            assert (await healthy(port))["status"] == "ok", "migrated, polling Telegram"

            # The bot added to the group as an admin; Robin, a group admin, sets it up.
            fake_telegram.members[(GROUP["id"], bot)] = "administrator"
            fake_telegram.members[(GROUP["id"], ADMIN["id"])] = "administrator"
            fake_telegram.push(tg.my_chat_member(GROUP, "left", "administrator"))
            await the_group_reads(fake_telegram, "Hello, I'm Homegroup.")
            fake_telegram.push(tg.command(GROUP, ADMIN, "/settings"))
            await the_group_reads(fake_telegram, "This group's settings.", "\nping_count: 3\n")
            fake_telegram.push(tg.command(GROUP, ADMIN, "/set ping_count 4"))
            await the_group_reads(fake_telegram, "Cravings now ping 4 supporters at a time.")
            fake_telegram.push(tg.command(GROUP, MEMBER, "/supporter on"))
            await the_group_reads(fake_telegram, "You're on the supporter list here")
            fake_telegram.push(tg.command(GROUP, MEMBER, "/help"))
            await the_group_reads(fake_telegram, "/craving")
            fake_telegram.push(tg.command(GROUP, ADMIN, "/settings"))
            await the_group_reads(fake_telegram, "This group's settings.", "\nping_count: 4\n")
        finally:
            await stop_group(started.pid)
            await started.wait()
    assert fake_telegram.token not in log.read_text(), "logs never carry the token"


async def the_group_reads(fake: FakeTelegram, *words: str) -> None:
    """Wait until a message of the bot's in the group holds all of ``words``; generous, as the
    bot is another process on a busy machine."""
    await eventually(
        lambda: any(all(w in text for w in words) for text in texts_in(fake, GROUP["id"])),
        seconds=30,
    )


async def test_compose_hands_the_bot_what_deploy_env_says(tmp_path: Path) -> None:
    """What `docker compose up -d` would give the bot, as compose itself reads the settings.
    That needs only compose (no engine); where it is not installed, this part alone is left
    untried, the container's side being tried above."""
    docker = shutil.which("docker")
    plugin = docker and await run([docker, "compose", "version"], cwd=tmp_path, env={**os.environ})
    if not docker or not plugin or plugin.returncode != 0:
        pytest.skip(
            "docker compose is not installed here (`docker compose version` fails),"
            " so compose's own reading of deploy/.env is untried"
        )
    clone, _, shell = await a_clone_with_settings(tmp_path)
    shell["HOME"] = os.environ.get("HOME", shell["HOME"])  # where docker may keep its plugins
    env_file = clone / "deploy" / ".env"
    config = [docker, "compose", "-f", "deploy/compose.yaml", "config", "--format", "json"]

    unfilled = await run(config, cwd=clone, env=shell)
    assert unfilled.returncode != 0
    assert "set POSTGRES_PASSWORD in deploy/.env" in unfilled.stderr

    token = "123456:" + "B" * 35
    fill_in(env_file, POSTGRES_PASSWORD=PASSWORD, TELEGRAM_TOKEN=token)
    filled = await run(config, cwd=clone, env=shell)
    assert filled.returncode == 0, filled.stderr
    bot = json.loads(filled.stdout)["services"]["bot"]["environment"]
    assert bot["TELEGRAM_TOKEN"] == token
    assert bot["HOMEGROUP_DATABASE"] == f"postgresql://homegroup:{PASSWORD}@db:5432/homegroup"
