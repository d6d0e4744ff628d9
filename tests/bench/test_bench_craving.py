"""Benchmark part (c) runs end to end at a tiny size, so it cannot rot unnoticed."""

from __future__ import annotations

import pytest

from bench import craving


async def test_the_craving_benchmark_handles_every_craving_and_prints_its_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await craving.run(20)

    printed = capsys.readouterr().out
    assert "/craving one at a time: 20 commands in" in printed
    assert "/craving 16 at once   : 20 commands in" in printed
    assert "CPU " in printed
    assert printed.count("(20 handled)") == 2
    assert "written for 40 commands: 40 cravings (40 with 3 pings and a reply)" in printed
    assert "mounted at" in printed
    for event in ("/days", "/cleandate", "/craving"):
        assert f"{event} " in printed.split("the database, one event at a time")[1]


async def test_more_cravings_than_members_are_refused() -> None:
    with pytest.raises(ValueError, match="two runs of members"):
        await craving.run(30_000)
