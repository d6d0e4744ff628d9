"""Taking a private command off a group: a durable outbox row, like any message.

The core queues the deletion in the same transaction as the answer; it survives a restart, an
erasure asked for meanwhile cannot cancel it, and where the group never saw the command (a
private chat, a Discord interaction) or the bot may not delete it, nothing is queued.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.app import bootstrap
from bot.clock import ManualClock
from bot.domain.commands import words_to_store
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.domain.records import OutboxMessage
from bot.settings import Settings
from tests.harness import rows

IN_GROUP = Origin(
    "console", "group", "sam", "Sam", community="group", message="group:7", can_delete=True
)


class Recorder:
    """A platform that takes every row and remembers it."""

    platform = "console"

    def __init__(self) -> None:
        self.delivered: list[OutboxMessage] = []

    async def deliver(self, message: OutboxMessage) -> str | None:
        self.delivered.append(message)
        return None


async def test_a_deletion_survives_a_restart_and_goes_out_once(
    database: Path, clock: ManualClock
) -> None:
    settings = Settings(database=str(database))
    app = await bootstrap(settings, clock=clock)
    try:
        await app.core.handle(CommandIssued("c1", IN_GROUP, "forgetme"))
    finally:
        await app.close()

    app = await bootstrap(settings, clock=clock)
    try:
        recorder = Recorder()
        worker = app.add_sender(recorder)
        await worker.drain()
        await worker.drain()
    finally:
        await app.close()
    withdrawn = [m.target.withdraw for m in recorder.delivered if m.target.withdraw]
    assert withdrawn == ["group:7"]
    (deletion,) = [m for m in recorder.delivered if m.target.withdraw]
    assert (deletion.target.chat, deletion.target.person) == ("group", None)
    (answer,) = [m for m in recorder.delivered if m.template == "forgetme_confirm"]
    assert answer.context["typed_in_group"] == "removed"
    assert rows(database, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == [(0,)]


async def test_an_erasure_asked_for_meanwhile_does_not_cancel_the_deletion(
    database: Path, clock: ManualClock
) -> None:
    app = await bootstrap(Settings(database=str(database)), clock=clock)
    try:
        await app.core.handle(CommandIssued("c1", IN_GROUP, "forgetme"))
        dm = Origin("console", "dm:sam", "sam", "Sam", private=True)
        await app.core.handle(ButtonPressed("b1", dm, "privacy.erase", "console:sam"))
        recorder = Recorder()
        await app.add_sender(recorder).drain()
    finally:
        await app.close()
    assert [m.target.withdraw for m in recorder.delivered if m.target.withdraw] == ["group:7"]
    assert "forgetme_done" in [m.template for m in recorder.delivered]


async def test_nothing_is_queued_where_the_group_never_saw_it_or_the_bot_may_not_delete(
    database: Path, clock: ManualClock
) -> None:
    origins = {
        "private": Origin("console", "dm:sam", "sam", "Sam", private=True),
        "interaction": replace(IN_GROUP, interaction="i1"),
        "no right": replace(IN_GROUP, can_delete=False),
        "no message": replace(IN_GROUP, message=None),
    }
    expected = {
        "private": None,
        "interaction": None,
        "no right": "visible",
        "no message": "visible",
    }
    app = await bootstrap(Settings(database=str(database)), clock=clock)
    try:
        for name, origin in origins.items():
            await app.core.handle(CommandIssued(f"c-{name}", origin, "forgetme"))
        recorder = Recorder()
        await app.add_sender(recorder).drain()
    finally:
        await app.close()
    assert not [m for m in recorder.delivered if m.target.withdraw]
    said = [
        m.context["typed_in_group"] for m in recorder.delivered if m.template == "forgetme_confirm"
    ]
    assert said == list(expected.values())


def test_a_contact_or_a_private_note_typed_in_a_group_is_not_kept() -> None:
    assert words_to_store("contact", "+1 555 0100") == ""
    assert words_to_store("relapse", "note the party was too much") == "note"
    assert words_to_store("reset", "Note: the party") == "note"
    assert words_to_store("relapse", "3 days ago") == "3 days ago"
    assert words_to_store("craving", "rough night") == "rough night"
