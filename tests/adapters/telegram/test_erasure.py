"""Goodbye leaves nothing: after ``/forgetme``, once its confirmation has left (or after an
hour of trying), no row in any table names the member.

"Any table" is read from the schema each time (``sqlite_master``, every column of every
table), so a table added later is searched too without changing these tests.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.receiver import MAX_TRIES
from bot.app import App
from bot.clock import ManualClock
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.flows.privacy import KEEP_TRYING, SWEEP_EVERY, T
from tests.conftest import START, Transcript, group_text, private_to
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually
from tests.telegram_harness import button, keep_clean_date, running_adapter, said

QUINN = "console:quinn"
DM = Origin(platform="console", chat="dm:quinn", person="quinn", person_name="Quinn", private=True)
IN_GROUP = Origin(
    platform="console",
    chat="group",
    person="quinn",
    person_name="Quinn",
    community="group",
    private_chat_open=True,
)
SAM_IN_GROUP = Origin(
    platform="console",
    chat="group",
    person="sam",
    person_name="Sam",
    community="group",
    is_admin=True,
    private_chat_open=True,
)
CONTACT = "+1 555 0199"
NOTES = ("the quiet kind of night", "before the interview", "only for me")
CLEAN_DATE = (START.date() - timedelta(days=29)).isoformat()
"""Quinn's day 30 falls tomorrow, so the group celebrates them once before they go."""
NICOTINE_SINCE = "2020-02-02"
ZONE = "Pacific/Chatham"


def schema(db: sqlite3.Connection) -> dict[str, list[str]]:
    """Every table of the database and its columns, as the database itself lists them."""
    names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {name: [c[1] for c in db.execute(f"PRAGMA table_info('{name}')")] for name in names}


def rows_naming(database: Path, *needles: str) -> list[tuple[str, dict[str, object]]]:
    """Each stored row with a value that holds one of ``needles`` (case folded), by table."""
    folded = [n.casefold() for n in needles]
    found = []
    with closing(sqlite3.connect(database)) as db:
        for table, columns in schema(db).items():
            for row in db.execute(f"SELECT * FROM '{table}'"):
                values = dict(zip(columns, row, strict=True))
                texts = [
                    str(v.decode(errors="replace") if isinstance(v, bytes) else v).casefold()
                    for v in values.values()
                ]
                if any(n in text for n in folded for text in texts):
                    found.append((table, values))
    return found


def naming(database: Path, *needles: str) -> list[str]:
    """Where one of ``needles`` is stored, as ``table.column``."""
    folded = [n.casefold() for n in needles]
    return [
        f"{table}.{column}"
        for table, values in rows_naming(database, *needles)
        for column, value in values.items()
        if any(n in str(value).casefold() for n in folded)
    ]


def described(found: list[tuple[str, dict[str, object]]]) -> list[tuple[object, ...]]:
    """Each row found as (table, template, context, person): enough to tell what it is."""
    return [(t, v.get("template"), v.get("context"), v.get("person")) for t, v in found]


FAREWELL = [("outbox", T.FORGETME_DONE, "{}", None)]
"""The erasure's confirmation, as ``described`` shows it: where it goes, and no words."""


QUINNS = ("quinn", CONTACT, *NOTES, CLEAN_DATE, NICOTINE_SINCE, "nicotine", ZONE)
"""Anything of Quinn's: key, platform id and name (all hold "quinn"), their contact, their
notes, their clean dates, their named counter, their time zone."""


def quinn_anywhere(database: Path) -> list[str]:
    """Where anything of Quinn's is stored, as ``table.column``."""
    return naming(database, *QUINNS)


async def keep(console: Transcript, line: str) -> str:
    """Type a line that stores recovery data, saying yes to keeping it and to celebrating."""
    said = await console.say(line)
    if "May I keep it?" in said:
        said += await console.say("/tap 1")
    if "Would you like your group to celebrate" in said:
        said += await console.say("/tap 1")
    return said


async def quinn_uses_everything(console: Transcript) -> None:
    """Quinn, a new member, tries every feature; Sam (the admin) is their peer."""
    await console.say(
        "/set meetings Mon 19:00 Online NA https://example.org/join",
        "/supporter on",
        "/phonelist on",
        "/as Quinn",
        "/consent",
    )
    await keep(console, f"/cleandate {CLEAN_DATE}")
    await keep(console, f"/cleandate {NICOTINE_SINCE} nicotine")
    await console.say(
        f"/timezone {ZONE}",
        "/share on",
        "/supporter on",
        "/phonelist on",
        "/meetings remind on",
    )
    await keep(console, f"/dm /contact {CONTACT}")
    await console.say("/wait 1d")  # the group celebrates Quinn's 30 days
    await console.say(f"/craving {NOTES[0]}", "/as Sam", "/tap 1")  # Sam is on it
    await console.say("/as Quinn", f"/call {NOTES[1]}", "/as Sam", "/tap 1")  # Sam calls Quinn
    await console.say("/craving rough evening", "/as Quinn", "/tap 1")  # Quinn is on Sam's
    await console.say("/as Sam", "/call", "/as Quinn", "/tap 1")  # and calls Sam
    await console.say("/dm /relapse", "/tap 1", f"/dm /relapse note {NOTES[2]}", "/tap 1")
    await console.say("/history", "/consent", "/mydata", "/days nicotine", "/milestones")


async def test_goodbye_leaves_nothing_in_any_table(console: Transcript, database: Path) -> None:
    await quinn_uses_everything(console)
    before = {place.split(".")[0] for place in quinn_anywhere(database)}
    # The test really gave Quinn rows everywhere a member leaves them.
    assert {
        "people",
        "counters",
        "memberships",
        "announcements",
        "supporters",
        "supporter_pings",
        "cravings",
        "craving_pings",
        "call_requests",
        "call_pings",
        "contacts",
        "consents",
        "restarts",
        "meeting_reminders",
        "outbox",
    } <= before
    asked = await console.say("/forgetme")
    assert "Do you want me to erase everything" in private_to(asked, "Quinn")
    done = await console.say("/tap 1")
    assert "Everything I kept about you is erased." in private_to(done, "Quinn")
    # Until it has left, the confirmation's row keeps their private chat's address, no more.
    assert quinn_anywhere(database) == ["outbox.target"]
    assert described(rows_naming(database, *QUINNS)) == FAREWELL
    await console.say("/wait 2m")
    assert quinn_anywhere(database) == []


async def test_a_confirmation_that_cannot_leave_goes_after_an_hour(
    app: App, clock: ManualClock, database: Path
) -> None:
    # No console here: nothing is ever sent, so every row waits as it would for a platform
    # that is down.
    await app.core.handle(CommandIssued("q-consent", DM, "consent", "on"))
    await app.core.handle(CommandIssued("q-date", DM, "cleandate", CLEAN_DATE))
    await app.core.handle(CommandIssued("q-contact", DM, "contact", CONTACT))
    await app.core.handle(ButtonPressed("q-erase", DM, "privacy.erase", QUINN, None))
    assert described(rows_naming(database, *QUINNS)) == FAREWELL  # still trying to send it
    clock.advance(KEEP_TRYING - timedelta(minutes=1))
    await app.timers.fire_due()
    assert described(rows_naming(database, *QUINNS)) == FAREWELL
    clock.advance(timedelta(minutes=1))
    await app.timers.fire_due()
    assert quinn_anywhere(database) == []
    assert naming(database, T.FORGETME_DONE) == []


async def test_waiting_group_messages_go_out_without_the_member(
    console: Transcript, app: App, clock: ManualClock, database: Path
) -> None:
    await keep(console, f"/cleandate {CLEAN_DATE}")
    await console.say("/as Ana", "/supporter on", "/as Quinn", "/supporter on")
    await keep(console, f"/cleandate {CLEAN_DATE}")
    # Tomorrow's digest celebrates Sam and Quinn; Sam's craving asks Ana and Quinn; Quinn
    # claims it. None of it has left yet when Quinn asks to be forgotten.
    clock.advance(timedelta(days=1))
    await app.timers.fire_due()
    await app.core.handle(CommandIssued("s-craving", SAM_IN_GROUP, "craving", "rough day"))
    with closing(sqlite3.connect(database)) as db:
        craving, answer = db.execute("SELECT id, message FROM cravings").fetchone()
    await app.core.handle(ButtonPressed("q-claim", IN_GROUP, "craving.claim", str(craving), answer))
    ana = replace(IN_GROUP, person="ana", person_name="Ana")
    await app.core.handle(ButtonPressed("a-claim", ana, "craving.claim", str(craving), answer))
    assert naming(database, "quinn")
    await app.core.handle(ButtonPressed("q-erase", DM, "privacy.erase", QUINN, None))
    assert described(rows_naming(database, "quinn")) == FAREWELL
    went = await console.say("/wait 2m")
    group = group_text(went)
    assert "Sam has 30 days clean today." in group
    assert "@Ana: could you reach out to Sam?" in group
    assert "Quinn" not in group
    assert "on the way" not in private_to(went, "Sam")  # Quinn's claim went with them
    assert "Someone has got this one." in private_to(went, "Ana")  # not who
    assert naming(database, "quinn") == []
    # The claim was released: Ana can take it, and Sam learns she is coming.
    claimed = await console.say("/as Ana", "/tap 1")
    assert "Ana is on it and will reach out to Sam." in group_text(claimed)
    assert "Ana is on the way to you" in private_to(claimed, "Sam")


async def test_a_turn_to_danger_still_reaches_the_group_when_the_claimer_leaves(
    console: Transcript, app: App, database: Path
) -> None:
    await console.say("/as Quinn", "/supporter on", "/as Sam", "/craving rough day")
    with closing(sqlite3.connect(database)) as db:
        craving, answer = db.execute("SELECT id, message FROM cravings").fetchone()
    # Quinn, the one supporter, claims it; then Sam taps I'm in danger: the answer is to lead
    # with the emergency number, and Quinn is pinged urgently. Quinn leaves before any of it
    # goes out.
    await app.core.handle(ButtonPressed("q-claim", IN_GROUP, "craving.claim", str(craving), answer))
    await app.core.handle(
        ButtonPressed("s-danger", SAM_IN_GROUP, "craving.danger", str(craving), answer)
    )
    await app.core.handle(ButtonPressed("q-erase", DM, "privacy.erase", QUINN, None))
    went = await console.say("/wait 2m")
    group = group_text(went)
    assert "If you or anyone may be in immediate danger, call" in group
    assert "urgent" not in group  # no ping for nobody
    assert "Quinn" not in group
    assert "on the way" not in private_to(went, "Sam")
    assert naming(database, "quinn") == []


async def test_timers_and_dedupe_keys_that_name_the_member_go(
    console: Transcript, database: Path
) -> None:
    with closing(sqlite3.connect(database)) as db, db:
        db.execute(  # a timer about Quinn with no person column: by payload, and by key
            "INSERT INTO timers (kind, key, due_at, payload) VALUES ('check', ?, ?, ?)",
            (f"check:{QUINN}", "2026-12-30 00:00:00.000000", json.dumps({"member": QUINN})),
        )
        db.execute(  # a membership change with no id of its own: its key is made of theirs
            "INSERT INTO handled_inbounds (key, handled_at) VALUES (?, ?)",
            ("console:left:group:quinn:7301", "2026-11-29 12:00:00.000000"),
        )
        db.execute(  # an event's own id is opaque, whoever it came from: it stays
            "INSERT INTO handled_inbounds (key, handled_at) VALUES (?, ?)",
            ("console:update:7302", "2026-11-29 12:00:00.000000"),
        )
    await console.say("/as Quinn", "/forgetme", "/tap 1", "/wait 2m")
    assert naming(database, "quinn") == []
    with closing(sqlite3.connect(database)) as db:
        assert db.execute(
            "SELECT key FROM handled_inbounds WHERE key = 'console:update:7302'"
        ).fetchall() == [("console:update:7302",)]


# -- on Telegram, where every update is stored in the inbox on receipt ------------------------

TG_QUINN = tg.user(7700123456, "Quinn", "quinn_r")
TG_SAM = tg.user(101, "Sam")
GROUP = tg.group()
BREAKS = "a message whose handling fails"


async def test_on_telegram_goodbye_leaves_nothing_stored_not_even_in_the_inbox(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    failed: list[int] = []

    async def fail(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        failed.append(update.update_id)
        raise RuntimeError("a bug in handling this update")

    def break_some(adapter: TelegramAdapter) -> None:
        # Updates that keep failing are set aside in the inbox, where they would stay: one of
        # Quinn's, and one of Sam's that quotes Quinn's.
        adapter.application.add_handler(MessageHandler(filters.Regex(BREAKS), fail), group=-1)

    quinn_dm = tg.private_chat(TG_QUINN)
    stack = running_adapter(fake_telegram, database, clock, prepare=break_some)
    async with stack as (app, adapter):
        await keep_clean_date(fake_telegram, GROUP, TG_QUINN, CLEAN_DATE)
        fake_telegram.push(tg.command(quinn_dm, TG_QUINN, f"/contact {CONTACT}"))
        await said(fake_telegram, TG_QUINN["id"], f"Saved: {CONTACT}")
        fake_telegram.push(tg.command(GROUP, TG_QUINN, "/supporter on"))
        fake_telegram.push(tg.command(GROUP, TG_SAM, f"/craving {NOTES[0]}"))
        answer = await said(fake_telegram, GROUP["id"], "Thank you for saying it, Sam.")
        fake_telegram.push(tg.callback(TG_QUINN, answer, button(answer, "craving.claim")))
        await said(fake_telegram, GROUP["id"], "Quinn is on it and will reach out to Sam.")
        quinns = tg.text_message(GROUP, TG_QUINN, f"{BREAKS}, from Quinn")
        fake_telegram.push(quinns)
        sams = tg.text_message(GROUP, TG_SAM, f"{BREAKS}, from Sam")
        sams["message"]["reply_to_message"] = quinns["message"]
        fake_telegram.push(sams)
        for tries in range(1, MAX_TRIES + 1):  # each try waits longer than the one before
            await eventually(lambda tries=tries: len(failed) == 2 * tries)
            clock.advance(timedelta(seconds=30))
            adapter.receiver.inbox.wake()
        assert "inbox.payload" in naming(database, str(TG_QUINN["id"]))

        fake_telegram.push(tg.command(quinn_dm, TG_QUINN, "/forgetme"))
        asked = await said(fake_telegram, TG_QUINN["id"], "Do you want me to erase everything")
        fake_telegram.push(tg.callback(TG_QUINN, asked, button(asked, "privacy.erase")))
        await said(fake_telegram, TG_QUINN["id"], "Everything I kept about you is erased.")
        quinn = (str(TG_QUINN["id"]), "quinn", CONTACT, NOTES[0], CLEAN_DATE)
        assert described(rows_naming(database, *quinn)) == FAREWELL
        clock.advance(SWEEP_EVERY)
        await app.timers.fire_due()
        assert naming(database, *quinn) == []
