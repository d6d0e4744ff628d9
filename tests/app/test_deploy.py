"""The deployment files, checked without a container engine (none runs here or in CI).

The Dockerfile goes through hadolint, compose.yaml through the Compose specification's JSON
schema, and the locks are held to pyproject.toml, so an admin's first ``docker compose up`` or
``systemctl start`` does not find what a test could have.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
LOCKS = ROOT / "requirements"
TOOLS = Path(sys.executable).parent


def tool(name: str) -> str:
    """A command the dev lock installs beside this interpreter."""
    found = shutil.which(name, path=str(TOOLS)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: the dev dependencies bring it (make test installs them)")
    return found


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=60, check=False
    )


def env_file(path: Path) -> dict[str, str]:
    """The ``NAME=value`` lines of an env file, commented-out ones left aside."""
    entries = {}
    for line in path.read_text().splitlines():
        name, equals, value = line.partition("=")
        if equals and not line.startswith("#"):
            entries[name.strip()] = value.strip()
    return entries


def pinned(lock: Path) -> dict[str, str]:
    """Each package a lock pins, by its normalised name, with its version."""
    pins = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", lock.read_text(), flags=re.MULTILINE)
    return {normalised(name): version for name, version in pins}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match is not None, requirement
    return normalised(match.group())


# --- Dockerfile ---------------------------------------------------------------------------------


def test_the_dockerfile_passes_hadolint():
    result = run(tool("hadolint"), DEPLOY / "Dockerfile")

    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_is_awake_to_a_dockerfile_it_should_refuse(tmp_path):
    """A control: a linter that passed everything would make the test above worthless."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN cd /tmp && pip install jinja2\n")

    result = run(tool("hadolint"), bad)

    assert result.returncode != 0
    assert "DL3006" in result.stdout  # an untagged base image


def test_the_image_installs_only_the_runtime_lock_and_runs_as_no_one_in_particular():
    dockerfile = (DEPLOY / "Dockerfile").read_text()

    assert "--require-hashes -r requirements/runtime.txt" in dockerfile
    assert "dev.txt" not in dockerfile
    assert "[dev]" not in dockerfile
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, flags=re.MULTILINE)
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    user = re.search(r"^USER (\S+)", final_stage, flags=re.MULTILINE)
    assert user is not None
    assert user.group(1) not in {"root", "0"}


def test_the_image_checks_health_on_healthz_where_homegroup_http_listens():
    dockerfile = (DEPLOY / "Dockerfile").read_text()

    listen = re.search(r"HOMEGROUP_HTTP=\S+:(\d+)", dockerfile)
    health = re.search(r"HEALTHCHECK .*?http://127\.0\.0\.1:(\d+)/healthz", dockerfile, re.S)
    assert listen is not None
    assert health is not None
    assert listen.group(1) == health.group(1)


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_the_health_check_command_follows_what_healthz_answers(status, healthy):
    """The HEALTHCHECK's own command, run against a stand-in for /healthz on a free port."""

    class Healthz(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    dockerfile = (DEPLOY / "Dockerfile").read_text()
    command = json.loads(re.search(r"HEALTHCHECK [^\n]*\\\n\s+CMD (\[.*\])", dockerfile).group(1))
    with ThreadingHTTPServer(("127.0.0.1", 0), Healthz) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        command = [part.replace(":9464/", f":{port}/") for part in command]
        command[0] = sys.executable if command[0] == "python" else command[0]
        result = run(*command)
        server.shutdown()

    assert (result.returncode == 0) is healthy, result.stderr


def test_the_entrypoint_migrates_before_it_starts_the_bot():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    entrypoint = (DEPLOY / "entrypoint.sh").read_text()

    assert 'ENTRYPOINT ["homegroup-entrypoint"]' in dockerfile
    assert 'CMD ["run", "--service"]' in dockerfile
    assert "COPY deploy/entrypoint.sh /usr/local/bin/homegroup-entrypoint" in dockerfile
    commands = [line for line in entrypoint.splitlines() if line.startswith(("homegroup", "exec"))]
    assert commands == ["homegroup migrate", 'exec homegroup "$@"']
    assert (DEPLOY / "entrypoint.sh").stat().st_mode & 0o111, "the entrypoint must be executable"


def test_the_image_s_run_opens_the_console_on_a_terminal(tmp_path):
    """`docker run -it` with no token: someone is there to type, so the console opens."""
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE.read_text(), re.M).group(1))
    terminal, their_end = os.openpty()
    unset = ("HOMEGROUP_", "TELEGRAM_", "DISCORD_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(unset)}
    with subprocess.Popen(
        [sys.executable, "-m", "adapters", *cmd],
        stdin=their_end,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    ) as started:
        os.close(their_end)
        os.write(terminal, b"/help\n\x04")  # a line, then end of input (Ctrl-D)
        out, err = started.communicate(timeout=60)
    os.close(terminal)

    assert started.returncode == 0, err
    assert "── in the group ──" in out
    assert "/craving" in out


def test_the_entrypoint_passes_the_shell_check_of_its_syntax():
    result = run("sh", "-n", DEPLOY / "entrypoint.sh")

    assert result.returncode == 0, result.stderr


def test_the_build_context_lets_in_what_the_dockerfile_copies():
    """The context is the checkout's root; a COPY of something the ignore file leaves out fails."""
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    let_in = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    copies = re.findall(r"^COPY (?!--from)(\S+)", (DEPLOY / "Dockerfile").read_text(), re.M)

    assert copies
    assert set(copies) <= let_in


# --- compose.yaml -------------------------------------------------------------------------------


def validate_compose(path: Path) -> subprocess.CompletedProcess[str]:
    """Against the Compose specification's schema, which check-jsonschema carries (no network)."""
    return run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", path)


def test_compose_yaml_validates_against_the_compose_specification():
    result = validate_compose(DEPLOY / "compose.yaml")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_schema_is_awake_to_a_mistake(tmp_path):
    """A control: a misspelt condition must fail, or the validation above proves nothing."""
    bad = tmp_path / "compose.yaml"
    bad.write_text(
        (DEPLOY / "compose.yaml")
        .read_text()
        .replace("condition: service_healthy", "condition: when_ready")
    )

    assert validate_compose(bad).returncode != 0


def test_the_bot_waits_for_a_healthy_database_kept_in_a_named_volume():
    compose = (DEPLOY / "compose.yaml").read_text()

    assert re.search(r"depends_on:\s+db:\s+condition: service_healthy", compose)
    assert re.search(r"healthcheck:\s+test: \[\"CMD-SHELL\", \"pg_isready", compose)
    assert "- pgdata:/var/lib/postgresql/data" in compose
    assert re.search(r"^volumes:\s+pgdata:", compose, flags=re.MULTILINE)


def test_every_service_caps_its_logs():
    compose = (DEPLOY / "compose.yaml").read_text()
    services = compose.split("\nservices:\n", 1)[1].split("\nvolumes:", 1)[0]

    assert re.search(r"driver: json-file\s+options:\s+max-size: \S+\s+max-file: \S+", compose)
    assert services.count("logging: *logging") == len(re.findall(r"^  \w+:$", services, re.M))


def test_env_example_names_every_variable_compose_reads_and_no_secret():
    compose = (DEPLOY / "compose.yaml").read_text()
    example = env_file(DEPLOY / ".env.example")
    read = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", compose))

    assert "env_file: .env" in compose
    assert read
    assert read <= set(example)
    assert {"TELEGRAM_TOKEN", "DISCORD_TOKEN"} <= set(example)
    assert all(value == "" for value in example.values()), "the example carries no values"


def test_the_real_env_file_is_never_committed():
    ignored = (ROOT / ".gitignore").read_text().splitlines()

    assert "deploy/.env" in ignored


# --- systemd ------------------------------------------------------------------------------------


def test_the_systemd_unit_migrates_then_runs_the_installed_homegroup():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "homegroup.service")
    service = unit["Service"]

    assert service["ExecStartPre"].split() == ["/opt/homegroup/.venv/bin/homegroup", "migrate"]
    assert service["ExecStart"].split() == [
        "/opt/homegroup/.venv/bin/homegroup",
        "run",
        "--service",
    ]
    assert service["User"] != "root"


def test_the_systemd_unit_installs_the_runtime_dependencies_only():
    unit = (DEPLOY / "homegroup.service").read_text()
    makefile = (ROOT / "Makefile").read_text()

    assert "make .venv/.runtime" in unit
    assert re.search(r"^\$\(RUNTIME_STAMP\):.*requirements/runtime\.txt", makefile, re.M)


# --- the locks ----------------------------------------------------------------------------------


def project() -> dict[str, list[str]]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        table = tomllib.load(file)["project"]
    return {"runtime": table["dependencies"], "dev": table["optional-dependencies"]["dev"]}


def test_the_runtime_lock_pins_every_dependency_and_no_test_tool():
    """A dependency added to pyproject.toml needs `make lock` (README "Locked versions")."""
    runtime = pinned(LOCKS / "runtime.txt")
    wanted = {requirement_name(requirement) for requirement in project()["runtime"]}
    tools = {requirement_name(requirement) for requirement in project()["dev"]}

    assert wanted - set(runtime) == set(), "pyproject.toml names them: run `make lock`"
    assert tools & set(runtime) == set()


def test_the_dev_lock_pins_the_test_tools_and_the_runtime_lock_s_versions():
    runtime = pinned(LOCKS / "runtime.txt")
    dev = pinned(LOCKS / "dev.txt")
    tools = {requirement_name(requirement) for requirement in project()["dev"]}

    assert tools - set(dev) == set(), "pyproject.toml names them: run `make lock`"
    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt"])
def test_every_pin_carries_a_hash_for_python_3_11(lock):
    text = (LOCKS / lock).read_text()
    pins = re.findall(r"^[A-Za-z0-9._-]+==", text, flags=re.MULTILINE)
    hashed = re.findall(r"^[A-Za-z0-9._-]+==\S+ \\\n +--hash=sha256:", text, flags=re.MULTILINE)

    assert "autogenerated by pip-compile with Python 3.11" in text
    assert pins
    assert len(hashed) == len(pins)
    assert "--find-links" not in text  # a machine's own mirror has no place in the lock


# --- the package as the image installs it -------------------------------------------------------

NOBODY = 65534


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach: pytest's own tmp_path is private to whoever runs it."""
    folder = Path(tempfile.mkdtemp(prefix="homegroup-deploy-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.mark.slow
def test_the_wheel_installs_from_the_runtime_lock_and_migrates_and_answers_as_a_plain_user(
    shared_dir,
):
    """What the Dockerfile does, without the container: the copied sources built into a wheel,
    installed into a fresh venv from the runtime lock alone, then run by a user who owns nothing
    but its data folder (as root, the test drops to nobody)."""
    source = shared_dir / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("bot", "adapters", "messages"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    venv = shared_dir / "venv"
    pip = [venv / "bin" / "python", "-m", "pip", "--quiet", "--disable-pip-version-check"]

    steps = [
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", shared_dir, source],
        [sys.executable, "-m", "venv", venv],
        [*pip, "install", "--require-hashes", "-r", LOCKS / "runtime.txt"],
    ]
    for step in steps:
        done = run_slowly(step, cwd=shared_dir)
        assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = shared_dir.glob("homegroup-*.whl")
    for step in ([*pip, "install", "--no-deps", wheel], [*pip, "check"]):
        done = run_slowly(step, cwd=shared_dir)
        assert done.returncode == 0, done.stdout + done.stderr
    installed = run_slowly([*pip, "list", "--format=freeze"], cwd=shared_dir).stdout
    assert "pytest" not in installed
    assert "hadolint" not in installed

    data = shared_dir / "data"
    data.mkdir()
    as_plain_user = []
    if os.geteuid() == 0:
        os.chown(data, NOBODY, NOBODY)
        as_plain_user = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    homegroup = [*as_plain_user, venv / "bin" / "homegroup"]
    settings = {"HOMEGROUP_DATABASE": str(data / "homegroup.db"), "HOME": str(data)}

    checked = run_slowly([*homegroup, "run", "--check"], cwd=data, env=settings)
    assert checked.returncode == 0, checked.stderr
    assert not (data / "homegroup.db").exists(), "a check opens no database"
    migrated = run_slowly([*homegroup, "migrate"], cwd=data, env=settings)
    assert migrated.returncode == 0, migrated.stderr
    answered = run_slowly([*homegroup, "console"], cwd=data, env=settings, stdin="/help\n")
    assert answered.returncode == 0, answered.stderr
    assert "/craving" in answered.stdout  # the templates came with the wheel
    assert (data / "homegroup.db").exists()

    # The image's own start, with no token and no terminal: the entrypoint and the CMD as the
    # Dockerfile gives them. It refuses with one line, not a console that reads nothing and
    # ends, which Docker would restart at once, forever.
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE.read_text(), re.M).group(1))
    image = {**settings, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    started = run_slowly(["sh", DEPLOY / "entrypoint.sh", *cmd], cwd=data, env=image)
    assert started.returncode != 0
    assert started.stderr.strip().splitlines()[-1] == (
        "homegroup: no platform token is set, and no terminal for the console: set"
        " TELEGRAM_TOKEN or DISCORD_TOKEN (or TELEGRAM_TOKEN_FILE, DISCORD_TOKEN_FILE)"
    )
    assert "── in the group ──" not in started.stdout


def run_slowly(
    command: list[str | Path],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str = "",
) -> subprocess.CompletedProcess[str]:
    """A step of the install, with the environment of a fresh machine's shell for the bot."""
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOMEGROUP_", "TELEGRAM_", "DISCORD_", "PYTHON"))
    }
    return subprocess.run(
        [str(part) for part in command],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**base, **(env or {})},
        timeout=300,
        check=False,
    )
