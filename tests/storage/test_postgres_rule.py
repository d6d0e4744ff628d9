"""The rule every PostgreSQL test keeps (``need_postgres``): the server is the one
``HOMEGROUP_TEST_POSTGRES`` names; when it does not answer, a developer's run skips those tests,
but a run under ``CI=true`` fails them, naming the server it could not reach, so CI can never
pass having tested no PostgreSQL at all."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

NEEDING = [
    # the contract's store on the postgres backend
    "tests/storage/test_store_contract_community.py"
    "::test_members_leave_and_admins_are_those_the_bot_can_write_to[postgres]",
    # a schema of the test's own
    "tests/storage/test_store_postgres.py::test_a_schema_newer_than_the_code_is_refused",
    # a database of the test's own (postgres_database)
    "tests/storage/test_leader.py::test_one_process_leads_and_the_next_takes_over_when_it_is_gone",
    # copy-db's target, and a database made for backup and restore
    "tests/app/test_copy_db.py::test_a_database_from_a_newer_version_is_refused",
    "tests/app/test_backup.py"
    "::test_postgresql_backed_up_and_restored_as_the_readme_says_reads_the_same",
    # the scale benchmark, asked in the test itself
    "tests/bench/test_bench_scale.py"
    "::test_the_scale_benchmark_takes_in_every_craving_and_prints_medians_and_ratios",
]
"""A test for each place a test asks for the server."""


@pytest.fixture
def closed() -> Iterator[str]:
    """``host:port`` on 127.0.0.1 where no server answers: the port is held, bound but never
    listening, so a connection there is refused and no other process can take the port."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{held.getsockname()[1]}"


def pytest_run(server: str, *, ci: bool) -> subprocess.CompletedProcess[str]:
    """Run the tests of ``NEEDING`` in a pytest of their own, on ``server``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HOMEGROUP_") and k != "CI"}
    env = {
        **base,
        "HOMEGROUP_TEST_POSTGRES": f"postgresql://postgres@{server}/test",
        "COLUMNS": "1000",  # the summary's lines whole
    }
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider", *NEEDING],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def summary(output: str, outcome: str) -> list[str]:
    """The short summary's lines for tests of one outcome (FAILED, ERROR, SKIPPED)."""
    return [line for line in output.splitlines() if line.startswith(f"{outcome} ")]


def test_without_ci_a_server_that_does_not_answer_skips_the_tests_that_need_it(
    closed: str,
) -> None:
    ran = pytest_run(closed, ci=False)
    assert ran.returncode == 0, ran.stdout[-3000:]
    skipped = summary(ran.stdout, "SKIPPED")
    assert f"{len(NEEDING)} skipped" in ran.stdout.splitlines()[-1], ran.stdout[-3000:]
    assert skipped
    assert all(f"no PostgreSQL server answers at {closed}" in line for line in skipped), skipped


def test_under_ci_a_server_that_does_not_answer_fails_the_run_naming_it(closed: str) -> None:
    ran = pytest_run(closed, ci=True)
    assert ran.returncode == 1, ran.stdout[-3000:]
    failed = summary(ran.stdout, "FAILED") + summary(ran.stdout, "ERROR")
    assert len(failed) == len(NEEDING), ran.stdout[-3000:]
    assert all(
        f"no PostgreSQL server answers at {closed} (under CI=true, PostgreSQL is required)" in line
        for line in failed
    ), failed
    assert "skipped" not in ran.stdout.splitlines()[-1]
