"""Benchmark parts (f) and (g) run end to end at a tiny size, so they cannot rot unnoticed."""

from __future__ import annotations

import pytest

from bench import urgency


async def test_the_urgency_and_flood_benchmarks_drain_and_print_their_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await urgency.run(members=40, groups=2, others=4, cravings=4, seconds=0.4)

    printed = capsys.readouterr().out
    assert "the run queued 2 digests" in printed
    assert "/craving in 2 groups, 3 s apart: each answer, pinging 3 supporters, accepted" in printed
    assert "x the floor; 0 refused with 429" in printed
    assert "3 private /days during the flood: each answered" in printed
