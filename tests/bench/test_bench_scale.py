"""Benchmark part (i) runs end to end at a tiny size, so it cannot rot unnoticed."""

from __future__ import annotations

import pytest

from bench import scale
from tests.conftest import need_postgres


async def test_the_scale_benchmark_takes_in_every_craving_and_prints_medians_and_ratios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    need_postgres()
    both = (scale.ARRANGEMENTS[0], scale.ARRANGEMENTS[2])  # SQLite, 1; PostgreSQL, 2

    await scale.run(wave=4, repeats=1, arrangements=both, quiet=0.2)

    printed = capsys.readouterr().out
    assert "SQLite, 1 process        median " in printed
    assert "PostgreSQL, 2 processes  median " in printed
    assert "ratio PostgreSQL, 2 processes / SQLite, 1 process: " in printed
    assert "ERROR lines" not in printed
    # Where the CPU went, a row an arrangement; every craving is at least one transaction.
    rows = {
        line[2:26].strip(): line.split()
        for line in printed.splitlines()
        if line[2:26].strip() in {arrangement.name for arrangement in both} and " / " in line
    }
    assert rows["SQLite, 1 process"][-1] == "-"
    assert float(rows["PostgreSQL, 2 processes"][-1]) >= 1


async def test_a_wave_without_cravings_is_refused() -> None:
    with pytest.raises(ValueError, match="the wave needs a craving"):
        await scale.run(wave=0, repeats=1)
