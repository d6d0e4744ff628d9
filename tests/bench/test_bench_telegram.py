"""Benchmark part (d) runs end to end at a tiny size, so it cannot rot unnoticed."""

from __future__ import annotations

import pytest

from bench import telegram_stack


async def test_the_telegram_stack_benchmark_answers_every_days_and_prints_its_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await telegram_stack.run(5, 2, 2)

    printed = capsys.readouterr().out
    assert "ours (whole stack):         5 updates in" in printed
    assert "one at a time (2): latency p50" in printed
    assert "x the rate; latency p50" in printed
    assert "ours left: 7 of 7 /days replies sent, 0 other outbox rows, 0 unsent" in printed
    assert "0 updates in the inbox" in printed
