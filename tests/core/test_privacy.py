"""``/mydata`` sends a member everything stored about them; ``/forgetme`` erases all of it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from bot.app import App
from bot.dialect import PlainDialect
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.flows.privacy import FILENAME, T
from bot.render import Renderer
from bot.storage.naming import SECTIONS
from tests.conftest import Transcript

QUINN = "console:quinn"
SAM = "console:sam"
COMMUNITY = "console:group"
DM = Origin(platform="console", chat="dm:quinn", person="quinn", person_name="Quinn", private=True)
WHEN = "2026-11-29 12:00:00.000000"


def tables(db: sqlite3.Connection) -> list[str]:
    return [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]


def person_columns(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every (table, column) with a foreign key to ``people.key``, read from the schema."""
    found = []
    for table in tables(db):
        for key in db.execute(f"PRAGMA foreign_key_list({table})"):
            _, _, parent, column, to = key[:5]
            if parent == "people" and to in (None, "key"):
                found.append((table, column))
    return found


async def quinn_everywhere(console: Transcript, database: Path) -> None:
    """Give Quinn a row in every table that can hold one, through commands where they exist."""
    await console.say("/as Sam", "/consent on", "/cleandate 2026-01-01")
    await console.say("/as Quinn", "/consent on", "/cleandate 2026-10-30", "/share on")
    await console.say("/supporter on")
    await console.say("/wait 1d")  # 30 days on 29 November: announced the next morning
    await console.say("/relapse", "/tap 1", "/dm /relapse note only for me")
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA foreign_keys = ON")
        own = db.execute(
            "INSERT INTO cravings (community, person, chat, created_at) VALUES (?, ?, 'group', ?)"
            " RETURNING id",
            (COMMUNITY, QUINN, WHEN),
        ).fetchone()[0]
        sams = db.execute(
            "INSERT INTO cravings (community, person, chat, claimed_by, claimed_at, created_at)"
            " VALUES (?, ?, 'group', ?, ?, ?) RETURNING id",
            (COMMUNITY, SAM, QUINN, WHEN, WHEN),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO craving_pings (craving, person, pinged_at) VALUES (?, ?, ?)",
            (sams, QUINN, WHEN),
        )
        db.execute(
            "INSERT INTO craving_pings (craving, person, pinged_at) VALUES (?, ?, ?)",
            (own, SAM, WHEN),
        )
        call = db.execute(
            "INSERT INTO call_requests (community, person, chat, created_at)"
            " VALUES (?, ?, 'group', ?) RETURNING id",
            (COMMUNITY, QUINN, WHEN),
        ).fetchone()[0]
        sams_call = db.execute(
            "INSERT INTO call_requests (community, person, chat, claimed_by, created_at)"
            " VALUES (?, ?, 'group', ?, ?) RETURNING id",
            (COMMUNITY, SAM, QUINN, WHEN),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO call_pings (request, person, pinged_at) VALUES (?, ?, ?)",
            (sams_call, QUINN, WHEN),
        )
        db.execute(
            "INSERT INTO call_pings (request, person, pinged_at) VALUES (?, ?, ?)",
            (call, SAM, WHEN),
        )
        db.execute(
            "INSERT INTO supporter_pings (person, role, last_pinged_at) VALUES (?, 'calls', ?)",
            (QUINN, WHEN),
        )
        db.execute(
            "INSERT INTO contacts (person, contact, updated_at) VALUES (?, '+1 555 0100', ?)",
            (QUINN, WHEN),
        )
        db.execute(
            "INSERT INTO meeting_reminders (community, person) VALUES (?, ?)", (COMMUNITY, QUINN)
        )
        db.execute(  # a role the platform reported Quinn holds
            "INSERT INTO member_roles (community, person, role) VALUES (?, ?, '1100')",
            (COMMUNITY, QUINN),
        )
        db.execute(
            "INSERT INTO timers (kind, due_at, payload, person) VALUES ('followup', ?, '{}', ?)",
            ("2026-12-30 00:00:00.000000", QUINN),
        )
        db.execute(  # a timer about Quinn that does not carry the person column
            "INSERT INTO timers (kind, due_at, payload) VALUES ('check', ?, ?)",
            ("2026-12-30 00:00:00.000000", json.dumps({"member": QUINN})),
        )
        db.execute(  # an edit queued with no person, addressed to Quinn's private chat
            "INSERT INTO outbox (platform, target, template, locale, context, buttons, mentions,"
            " created_at, next_attempt_at, sent_at) VALUES ('console', ?, 'relapse_stale', 'en',"
            " '{}', '[]', '[]', ?, ?, ?)",
            (json.dumps({"platform": "console", "person": "quinn"}), WHEN, WHEN, WHEN),
        )
        db.execute(  # a message about Quinn still waiting to leave
            "INSERT INTO outbox (platform, target, template, locale, context, buttons, mentions,"
            " person, created_at, next_attempt_at) VALUES ('console', ?, 'days', 'en',"
            " '{\"note\": \"pending\"}', '[]', '[]', ?, ?, ?)",
            (json.dumps({"platform": "console", "person": "quinn"}), QUINN, WHEN, "2027-01-01"),
        )
        db.execute(  # an update of Quinn's, stored on receipt and set aside after failing
            "INSERT INTO inbox (key, platform, payload, received_at) VALUES (?, 'console', ?, ?)",
            ("console:update:1", json.dumps({"message": {"from": {"id": "quinn"}}}), WHEN),
        )
        db.execute(  # a code Quinn issued to link the group with a server (/link)
            "INSERT INTO link_codes (digest, kind, origin, issued_by, created_at, expires_at)"
            " VALUES ('digest', 'chat', ?, ?, ?, ?)",
            (COMMUNITY, QUINN, WHEN, WHEN),
        )
        db.execute(  # a wrong code Quinn entered
            "INSERT INTO link_failures (subject, failed_at, person) VALUES (?, ?, ?)",
            (QUINN, WHEN, QUINN),
        )
        for other in ("discord:7001", "discord:7002"):  # identities on another platform
            db.execute(
                "INSERT INTO people (key, platform, platform_id, name, created_at)"
                " VALUES (?, 'discord', ?, 'Q', ?)",
                (other, other.split(":")[1], WHEN),
            )
        db.execute(  # Quinn linked to one, and principal of the other: each column held once
            "INSERT INTO person_links (person, principal, linked_at) VALUES (?, ?, ?), (?, ?, ?)",
            (QUINN, "discord:7001", WHEN, "discord:7002", QUINN, WHEN),
        )
        for table, column in person_columns(db):
            held = db.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (QUINN,)
            ).fetchone()[0]
            assert held, f"the test gives Quinn no row in {table}.{column}: add one"


def mydata_file(database: Path) -> dict[str, Any]:
    with sqlite3.connect(database) as db:
        found = db.execute(
            "SELECT attachment, target FROM outbox WHERE template = ? ORDER BY id DESC",
            (T.MYDATA,),
        ).fetchone()
    attachment, target = found
    assert json.loads(target)["person"] == "quinn"
    filename, data = json.loads(attachment)
    assert filename == FILENAME
    assert isinstance(data, dict)
    return data


async def test_mydata_holds_every_table_about_the_member(
    console: Transcript, app: App, database: Path
) -> None:
    await quinn_everywhere(console, database)
    await app.core.handle(CommandIssued("mydata-1", DM, "mydata", ""))
    data = mydata_file(database)
    sections = data["tables"]
    assert sections["people"][0]["name"] == "Quinn"
    with sqlite3.connect(database) as db:
        wanted = person_columns(db)
        assert len(wanted) >= 15
        for table, column in wanted:
            assert (table, column) in SECTIONS, f"/mydata does not read {table}.{column}"
            rows = sections[SECTIONS[table, column]]
            assert rows, f"/mydata left out {table}.{column}"
            if column == "person":
                stored = {info[1] for info in db.execute(f"PRAGMA table_info({table})")}
                shown = set(rows[0]) | ({"attachment"} if table == "outbox" else set())
                assert stored <= shown, f"/mydata left out columns of {table}"
    assert sections["restarts"][0]["note"] == "only for me"
    assert sections["restarts"][0]["clean_since"] == "2026-10-30"
    assert sections["contacts"][0]["contact"] == "+1 555 0100"
    assert sections["announcements"][0]["milestone"] == "30d"
    assert {"note": "pending"} in [r["context"] for r in sections["outbox"]]
    assert [r["key"] for r in sections["inbox"]] == ["console:update:1"]
    claimed = json.dumps([sections["cravings_claimed_by"], sections["call_requests_claimed_by"]])
    assert "sam" not in claimed.lower()  # someone else's request: never who asked
    assert "sam" not in json.dumps(sections["people"]).lower()


async def test_mydata_in_the_group_goes_privately(console: Transcript) -> None:
    answer = await console.say("/as Quinn", "/cleandate 2026-10-01", "/mydata")
    assert "── privately to Quinn ──\nQuinn, here is everything I keep about you" in answer
    assert "homegroup-mydata.json" in answer
    assert "── in the group ──\nQuinn, I've sent you the answer privately." in answer


def mentions_of_quinn(database: Path) -> list[str]:
    """Every stored value that holds Quinn's key, platform id or name, by table and column."""
    found = []
    with sqlite3.connect(database) as db:
        for table in tables(db):
            cursor = db.execute(f"SELECT * FROM {table}")
            columns = [c[0] for c in cursor.description]
            for row in cursor:
                values = dict(zip(columns, row, strict=True))
                for column, value in values.items():
                    if "quinn" in str(value).lower():
                        found.append(f"{table}.{column}")
    return found


async def test_forgetme_erases_every_row_about_the_member(
    console: Transcript, database: Path
) -> None:
    await quinn_everywhere(console, database)
    assert mentions_of_quinn(database)
    asked = await console.say("/forgetme")
    assert "── privately to Quinn ──\nDo you want me to erase everything" in asked
    assert "[1] Yes, erase everything  [2] Cancel" in asked
    assert "── in the group ──\nQuinn, I've sent you the answer privately." in asked
    done = await console.say("/tap 1")
    assert "── privately to Quinn ──\nEverything I kept about you is erased." in done
    assert "in the group" not in done
    # Only the confirmation's address is left, until the sweep a minute after it went.
    assert mentions_of_quinn(database) == ["outbox.target"]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT person, claimed_by FROM cravings").fetchall() == [(SAM, None)]
        assert db.execute("SELECT person, claimed_by FROM call_requests").fetchall() == [
            (SAM, None)
        ]
        assert db.execute("SELECT person FROM counters").fetchall() == [(SAM,)]
        done_rows = db.execute(
            "SELECT target FROM outbox WHERE template = ?", (T.FORGETME_DONE,)
        ).fetchall()
        assert [json.loads(t)["person"] for (t,) in done_rows] == ["quinn"]
        # The identity Quinn was linked to (/linkme) is Quinn too, and goes; 7002's link named
        # Quinn as its principal (a chain /linkme never makes): that row goes, 7002 stays.
        assert db.execute("SELECT key FROM people ORDER BY key").fetchall() == [
            (SAM,),
            ("discord:7002",),
        ]
        assert db.execute("SELECT COUNT(*) FROM person_links").fetchone() == (0,)
    await console.say("/wait 2m")
    assert mentions_of_quinn(database) == []
    late = await console.say("/tap 2")  # Cancel on the question that went with the erasure
    assert "That button doesn't work any more." in late


async def test_forgetme_cancel_erases_nothing(console: Transcript, database: Path) -> None:
    await console.say("/as Quinn", "/consent on", "/cleandate 2026-10-01", "/forgetme")
    answer = await console.say("/tap 2")
    assert "── privately to Quinn (edited) ──\nNothing was erased." in answer
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT person FROM counters").fetchall() == [(QUINN,)]


async def test_nobody_can_erase_someone_else(console: Transcript, app: App, database: Path) -> None:
    await console.say("/consent on", "/cleandate 2026-10-01")
    await console.say("/as Quinn", "/consent on", "/cleandate 2026-10-01")
    await app.core.handle(ButtonPressed("erase-sam", DM, "privacy.erase", SAM, None))
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT person FROM counters ORDER BY person").fetchall() == [
            (QUINN,),
            (SAM,),
        ]
        assert db.execute("SELECT template FROM outbox ORDER BY id DESC LIMIT 1").fetchone() == (
            "button_unknown",
        )


async def test_the_mydata_file_holds_data_and_the_message_explains_it(
    console: Transcript, app: App, database: Path
) -> None:
    await console.say("/as Quinn", "/cleandate 2026-10-01")
    await app.core.handle(CommandIssued("mydata-1", DM, "mydata", ""))
    data = mydata_file(database)
    # No sentence for a member in the file; the identities it covers (/linkme), by key.
    assert set(data) == {"exported_at", "identities", "tables"}
    assert data["exported_at"] == "2026-11-29T12:00:00+00:00"
    with sqlite3.connect(database) as db:
        (context,) = db.execute(
            "SELECT context FROM outbox WHERE template = ? ORDER BY id DESC", (T.MYDATA,)
        ).fetchone()
    text = Renderer(PlainDialect()).render(T.MYDATA, json.loads(context))
    assert "Times in it are in UTC." in text


async def test_forgetme_says_what_it_erases_plainly(console: Transcript) -> None:
    asked = await console.say("/as Quinn", "/forgetme")
    assert "That means your clean dates and history, your notes," in asked
    assert "That is your" not in asked


async def test_a_forged_keep_cannot_edit_another_members_group_message(
    console: Transcript, app: App, database: Path
) -> None:
    await console.say("/as Sam", "/cleandate 2026-01-01", "/days")
    await console.say("/as Quinn", "/cleandate 2026-10-01")
    with sqlite3.connect(database) as db:
        (message,) = db.execute(
            "SELECT id FROM outbox WHERE json_extract(target, '$.chat') = 'group'"
            " AND person = ? ORDER BY id DESC",
            (SAM,),
        ).fetchone()
        state = db.execute("SELECT * FROM counters ORDER BY person").fetchall()
    await app.core.handle(ButtonPressed("keep-forged", DM, "privacy.keep", QUINN, message))
    with sqlite3.connect(database) as db:
        edits = db.execute(
            "SELECT id FROM outbox WHERE json_extract(target, '$.edit_of') = ?", (message,)
        ).fetchall()
        assert edits == []
        assert db.execute("SELECT * FROM counters ORDER BY person").fetchall() == state
        last = db.execute("SELECT template, target FROM outbox ORDER BY id DESC LIMIT 1").fetchone()
    assert last[0] == T.FORGETME_CANCELLED
    assert json.loads(last[1])["person"] == "quinn"
