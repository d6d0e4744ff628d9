"""Benchmark part (e) runs end to end at a tiny size, so it cannot rot unnoticed."""

from __future__ import annotations

import pytest

from bench import discord_stack


async def test_the_discord_stack_benchmark_answers_every_days_and_prints_its_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await discord_stack.run(wave=3, one_by_one=2, burst=3)

    printed = capsys.readouterr().out
    lines = {line.split(":")[0].strip(): line for line in printed.splitlines()}
    assert "wave: 3 of 3 answered" in lines["bare discord.py (send_message)"]
    assert "wave: 3 of 3 answered" in lines["ours (whole stack)"]
    for bot in ("bare discord.py (send_message)", "ours (whole stack)"):
        assert "one at a time (2): INTERACTION_CREATE to callback p50" in lines[bot]
        assert ", p99 " in lines[bot]
    assert "x the rate; latency p50" in lines["ratio ours / bare"]
    assert "3 of 3 answered" in lines["a burst, bare"]
    assert "3 of 3 answered" in lines["a burst, ours"]
    assert "ours left: 8 of 8 /days answers sent, 0 other outbox rows, 0 unsent" in printed
    assert "NOT acknowledged" not in printed
    assert "logged (at WARNING or above)" not in printed


async def test_a_wave_without_interactions_is_refused() -> None:
    with pytest.raises(ValueError, match="the wave needs an interaction"):
        await discord_stack.run(wave=0, one_by_one=1)
