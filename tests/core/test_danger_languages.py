"""Danger is heard in every language the bot has, whatever the group's: a member who writes in
Spanish in an English group is answered with the crisis lines first."""

from __future__ import annotations

import io
from pathlib import Path

from adapters.console.console import Console
from adapters.platforms import every_platform
from bot.app import bootstrap
from bot.clock import ManualClock
from bot.settings import Settings
from tests.conftest import Transcript, sections


async def danger_comes_first_privately(
    settings: Settings, clock: ManualClock, *, calm: str, danger: str
) -> None:
    """In a console group under ``settings``, Sam's ``/craving calm`` is answered in the
    group, and ``/craving danger`` with the crisis lines first, privately to Sam."""
    app = await bootstrap(settings, platforms=every_platform(), clock=clock)
    try:
        out = io.StringIO()
        console = Console(app, clock, out, first_member="Sam")
        await console.start()
        transcript = Transcript(console, out)
        transcript.output()
        said = await transcript.say(f"/craving {calm}")
        assert sections(said)[0][0] == "in the group"
        answer = await transcript.say(f"/craving {danger}")
        (first_header, first_body), *_ = sections(answer)
        assert first_header == "privately to Sam", "the crisis lines come first, privately"
        assert "call your local emergency number" in first_body
    finally:
        await app.close()


async def test_a_spanish_danger_phrase_is_heard_in_an_english_group(
    tmp_path: Path, clock: ManualClock
) -> None:
    spanish = tmp_path / "overrides" / "es"
    spanish.mkdir(parents=True)
    (spanish / "danger_words.txt").write_text("me quiero morir\n", encoding="utf-8")
    settings = Settings(database=str(tmp_path / "h.db"), templates=spanish.parent)
    await danger_comes_first_privately(
        settings, clock, calm="rough night, nothing more", danger="hoy me quiero morir"
    )


async def test_the_bundled_spanish_list_is_heard_in_an_english_group(console: Transcript) -> None:
    answer = await console.say("/craving quiero matarme")
    (first_header, first_body), *_ = sections(answer)
    assert first_header == "privately to Sam", "the crisis lines come first, privately"
    assert "call your local emergency number" in first_body
