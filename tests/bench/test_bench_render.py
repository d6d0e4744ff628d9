"""Benchmark part (h) runs at a tiny size, so it cannot rot unnoticed."""

from __future__ import annotations

import pytest

from bench import render


async def test_the_render_benchmark_prints_every_figure_and_stops_its_runaway(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await render.run(renders=16, runs=1)

    printed = capsys.readouterr().out
    for label in (
        "bundled, in process",
        "bundled, with other templates overridden",
        "override in process (capped sandbox)",
        "override through its worker, blocking",
        "override through its worker, awaited",
        "override through 2 workers, 16 awaited at once",
    ):
        assert f"  {label} " in printed
    assert "a first render, starting its worker:" in printed
    assert "bundled text; its worker killed, another in its place" in printed
