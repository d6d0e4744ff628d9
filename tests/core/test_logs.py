"""A whole run at DEBUG: no log line carries message text, contacts, dates, notes or history."""

from __future__ import annotations

import pytest

from tests.conftest import Transcript

CONTACT = "+1 555 0100"
NOTE = "fragile-tuesday-evening"
PRIVATE_NOTE = "my-own-private-words"
SECRETS = [CONTACT, "555", NOTE, PRIVATE_NOTE, "2026-03-01", "1 March 2026", "2026-11-20", "Kim"]


async def test_a_whole_run_logs_nothing_sensitive(
    console: Transcript, debug_logging: pytest.LogCaptureFixture
) -> None:
    caplog = debug_logging
    await console.say("/cleandate 2026-03-01", "/timezone Europe/London", "/days")
    for name in ("Ana", "Ben", "Cy"):
        await console.say(f"/as {name}", "/supporter on", "/phonelist on")
    await console.say("/as Kim", f"/dm /contact {CONTACT}", "/cleandate 2026-03-01")
    await console.say(f"/craving {NOTE}", "/as Ana", "/tap 1", "/as Kim", "/wait 25m", "/tap 1")
    await console.say(f"/call {NOTE}", "/as Ben", "/tap 1", "/as Kim")
    await console.say("/relapse 2026-11-20", "/tap 1", f"/dm /relapse note {PRIVATE_NOTE}")
    await console.say("/history", "/cravings", "/calls", "/mydata")
    await console.say("/craving I want to kill myself", "/wait 2h")
    await console.say("/forgetme", "/tap 1")
    assert caplog.records, "the run logged something, so the check below means something"
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        for secret in SECRETS:
            assert secret not in line, f"{record.name} logged {secret!r}"
