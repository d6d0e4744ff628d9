"""Consent and privacy by default: nothing kept or shown without a yes.

Each test types what a member would and reads both what the bot said and what the database
holds, since "nothing is kept" is a promise about the database.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App, bootstrap
from bot.clock import ManualClock
from bot.dialect import PlainDialect
from bot.domain.inbound import ButtonPressed, CommandIssued, MembershipChanged, Origin
from bot.render import Renderer
from bot.settings import Settings
from bot.storage.sqlite import SqliteStore, migrations
from tests.conftest import START, Transcript, group_text, private_to, sections


def query(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchall()


def stored_recovery_data(database: Path) -> list[tuple[object, ...]]:
    return query(
        database,
        "SELECT 'counter', person FROM counters UNION ALL SELECT 'contact', person FROM contacts"
        " UNION ALL SELECT 'restart', person FROM restarts",
    )


# -- consent before keeping ----------------------------------------------------------------------


async def test_a_first_clean_date_in_a_group_keeps_and_shows_nothing_before_yes(
    console: Transcript, database: Path
) -> None:
    asked = await console.say("/cleandate 2026-03-01")
    assert group_text(asked).strip() == "Sam, I've sent you the answer privately."
    question = private_to(asked, "Sam")
    assert "Before I keep your clean date" in question
    assert "Only you see it" in question
    assert "[1] Yes, keep it  [2] No thanks" in asked
    assert "1 March" not in asked, "the question shows neither the date nor the count"
    assert stored_recovery_data(database) == []
    assert query(database, "SELECT COUNT(*) FROM consents") == [(0,)]

    kept = await console.say("/tap 1")
    assert "in the group" not in kept, "the count is not published before Celebrate"
    assert "Got it, Sam: your clean date is 1 March 2026." in private_to(kept, "Sam")
    assert "[1] Celebrate with the group  [2] Keep it private" in kept
    assert stored_recovery_data(database) == [("counter", "console:sam")]
    assert query(database, "SELECT share FROM memberships") == [(None,)]
    assert "has 30 days" not in await console.say("/wait 30d"), "not shared: not announced"

    celebrated = await console.say("/tap 1")
    assert "This group will celebrate your milestones." in private_to(celebrated, "Sam")
    assert query(database, "SELECT share FROM memberships") == [(1,)]
    assert "Sam, since 1 March 2026" in group_text(await console.say("/days"))


async def test_keep_it_private_keeps_the_count_out_of_the_group(console: Transcript) -> None:
    await console.cleandate("2026-10-31", share=False)
    answer = await console.say("/days")
    assert "29 days" not in group_text(answer)
    assert "29 days clean" in private_to(answer, "Sam")
    assert "has 30 days" not in await console.say("/wait 2d")


async def test_no_thanks_keeps_nothing_and_is_not_asked_again_for_a_week(
    console: Transcript, database: Path
) -> None:
    await console.say("/cleandate 2026-03-01")
    declined = await console.say("/tap 2")
    assert "I haven't kept anything, and I won't ask again this week." in declined
    assert stored_recovery_data(database) == []
    again = await console.say("/wait 3d", "/cleandate 2026-03-01")
    assert "I'm not keeping your clean date, as you asked." in again
    assert "May I keep it?" not in again
    assert stored_recovery_data(database) == []
    week_later = await console.say("/wait 5d", "/cleandate 2026-03-01")
    assert "May I keep it?" in week_later


async def test_asking_for_help_never_needs_a_yes(console: Transcript, database: Path) -> None:
    for command in ("/craving", "/call", "/practice", "/resources", "/help", "/meetings"):
        answer = await console.say(command)
        assert "May I keep it?" not in answer, command
        assert "consent" not in answer.lower() or command == "/help", command
    assert query(database, "SELECT COUNT(*) FROM consents") == [(0,)]


async def test_a_contact_waits_for_yes_and_travels_in_the_button(
    console: Transcript, database: Path
) -> None:
    asked = await console.say("/dm /contact +1 555 0100")
    assert "Before I keep how a volunteer can reach you" in asked
    assert "555" not in asked
    assert query(database, "SELECT COUNT(*) FROM contacts") == [(0,)]
    kept = await console.say("/tap 1")
    assert "Saved: +1 555 0100" in kept
    assert query(database, "SELECT contact FROM contacts") == [("+1 555 0100",)]


async def test_a_value_too_long_for_a_button_is_asked_for_again_after_yes(
    console: Transcript, database: Path
) -> None:
    long_contact = "call me on +1 555 0100 after six, or text first please"
    await console.say(f"/dm /contact {long_contact}")
    thanked = await console.say("/tap 1")
    assert "Thank you. Please send how a volunteer can reach you again" in thanked
    assert query(database, "SELECT COUNT(*) FROM contacts") == [(0,)]
    saved = await console.say(f"/dm /contact {long_contact}")
    assert "Saved:" in saved, "the yes counts from now on"


async def test_a_forged_keep_button_keeps_nothing_it_should_not(app: App, database: Path) -> None:
    sam = Origin("console", "dm:sam", "sam", "Sam", private=True)
    for n, payload in enumerate(("20990101::", "20260230::", "2026030:x:", "x" * 50, "")):
        await app.core.handle(ButtonPressed(f"f{n}", sam, "cleandate.keep", payload))
    assert query(database, "SELECT COUNT(*) FROM counters") == [(0,)]
    sent = query(database, "SELECT template FROM outbox WHERE template = 'consent_given'")
    assert len(sent) == 5, "each press is answered: send the date again"


async def test_consent_is_shown_in_mydata_with_its_date(app: App, database: Path) -> None:
    sam = Origin("console", "dm:sam", "sam", "Sam", private=True)
    await app.core.handle(CommandIssued("1", sam, "consent", "on"))
    await app.core.handle(CommandIssued("2", sam, "mydata"))
    (row,) = query(database, "SELECT attachment FROM outbox WHERE attachment IS NOT NULL")
    _, data = json.loads(str(row[0]))
    (consent,) = data["tables"]["consents"]
    assert consent["given_at"].startswith(START.date().isoformat())


async def test_consent_off_erases_what_it_covered_after_a_confirmation(
    console: Transcript, database: Path
) -> None:
    await console.cleandate("2026-03-01")
    await console.contact("+1 555 0100")
    await console.say("/relapse", "/tap 1")
    await console.say("/craving")
    assert len(stored_recovery_data(database)) == 3
    asked = await console.say("/consent off")
    assert "Erase it?" in asked
    assert len(stored_recovery_data(database)) == 3, "nothing goes before the confirmation"
    done = await console.say("/tap 1")
    assert "your clean dates, earlier counts, contact and celebrations are erased" in done
    assert stored_recovery_data(database) == []
    assert query(database, "SELECT COUNT(*) FROM consents") == [(0,)]
    assert query(database, "SELECT share FROM memberships") == [(None,)]
    assert query(database, "SELECT COUNT(*) FROM cravings") == [(1,)], "help history stays"
    assert "May I keep it?" in await console.say("/cleandate today"), "asked again"


async def test_consent_off_can_be_taken_back(console: Transcript, database: Path) -> None:
    await console.cleandate("2026-03-01")
    await console.say("/consent off")
    kept = await console.say("/tap 2")
    assert "nothing is erased" in kept
    assert len(stored_recovery_data(database)) == 1


# -- members who had data before Homegroup asked -------------------------------------------------


async def test_members_with_data_from_before_keep_it_and_are_told_once(tmp_path: Path) -> None:
    database = tmp_path / "homegroup.db"
    with sqlite3.connect(database) as db:  # a database as the last version left it
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
        for version, sql in migrations("sqlite"):
            if version >= 7:
                break
            db.executescript(sql)
            db.execute("INSERT INTO schema_migrations VALUES (?, '2026-11-01')", (version,))
        db.executescript(
            "INSERT INTO people (key, platform, platform_id, name, created_at) VALUES"
            " ('console:sam', 'console', 'sam', 'Sam', '2026-11-01 00:00:00.000000'),"
            " ('console:kim', 'console', 'kim', 'Kim', '2026-11-01 00:00:00.000000');"
            "INSERT INTO communities (key, platform, platform_id, chat, created_at) VALUES"
            " ('console:group', 'console', 'group', 'group', '2026-11-01 00:00:00.000000');"
            "INSERT INTO memberships (community, person, share, joined_at) VALUES"
            " ('console:group', 'console:sam', TRUE, '2026-11-01 00:00:00.000000'),"
            " ('console:group', 'console:kim', NULL, '2026-11-01 00:00:00.000000');"
            "INSERT INTO counters (person, name, clean_since, updated_at) VALUES"
            " ('console:sam', '', '2026-03-01', '2026-11-01 00:00:00.000000');"
        )
    store = await SqliteStore.open(database)
    await store.close()
    assert query(database, "SELECT person, implied FROM consents") == [("console:sam", 1)]
    clock = ManualClock(datetime.now(UTC))  # the migration asked to tell them now
    app = await bootstrap(Settings(database=str(database)), clock=clock)
    try:
        await app.timers.fire_due()
        await app.timers.fire_due()
    finally:
        await app.close()
    notices = query(database, "SELECT target, context FROM outbox WHERE template='consent_notice'")
    assert len(notices) == 1, "told once, and only the member who had data"
    target, context = notices[0]
    assert json.loads(str(target))["person"] == "sam"
    assert json.loads(str(context))["sharing"] is True
    assert query(database, "SELECT share FROM memberships ORDER BY person") == [(None,), (1,)]


# -- welcome, /start, and admins who could invite supporters ------------------------------------


async def test_a_group_that_adds_the_bot_is_welcomed_once(app: App, database: Path) -> None:
    added = MembershipChanged("t1", "telegram", "-100", None, present=True, chat="-100")
    await app.core.handle(added)
    await app.core.handle(MembershipChanged("t2", "telegram", "-100", "5", present=True))
    welcomes = query(database, "SELECT target FROM outbox WHERE template = 'welcome'")
    assert [json.loads(str(t))["chat"] for (t,) in welcomes] == ["-100"]


def test_the_welcome_says_what_is_kept_and_how_to_start() -> None:
    text = Renderer(PlainDialect()).render("welcome", {})
    assert "Nothing personal is kept or shown without a yes" in text
    assert "/help" in text
    assert "/supporter on" in text


async def test_a_private_start_says_what_is_kept_and_how_to_see_or_erase_it(
    console: Transcript,
) -> None:
    answer = private_to(await console.say("/dm /start"), "Sam")
    assert "nothing about your recovery until you say yes" in answer
    for command in ("/mydata", "/consent", "/forgetme"):
        assert command in answer


async def test_admins_hear_privately_how_to_invite_supporters_at_the_first_craving(
    console: Transcript,
) -> None:
    await console.say("/help", "/dm /start")  # Sam, the group's admin, opened a private chat
    answer = await console.say("/as Kim", "/craving")
    told = private_to(answer, "Sam")
    assert "nobody there has volunteered to be pinged yet" in told
    assert "Kim" not in told, "the admin is not told who"
    later = await console.say("/wait 1h", "/craving")
    assert "volunteered" not in private_to(later, "Sam"), "only at the group's first craving"


def test_the_consent_question_is_short_enough_for_a_phone() -> None:
    for what in ("clean_date", "contact"):
        text = Renderer(PlainDialect()).render("consent_ask", {"what": what})
        assert len(text.splitlines()) == 2
        assert len(text) < 400


async def test_the_consent_answer_never_lands_in_the_group(console: Transcript) -> None:
    answer = await console.say("/consent")
    assert [h for h, _ in sections(answer) if h.startswith("in the group")] == ["in the group"]
    assert "I keep nothing about your recovery until you say yes" in private_to(answer, "Sam")
    assert "until you say yes" not in group_text(answer)
