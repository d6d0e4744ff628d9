"""The Telegram adapter end to end: the real python-telegram-bot against a fake Bot API.

Every flow as a member meets it in a Telegram group and their private chat with the bot. What a
member would notice is what the fake received (and how Telegram would show it, since the fake
parses the HTML as Telegram does); stored state where "changes nothing" is the promise.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.language import available_locales
from tests.conftest import START
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram import FakeTelegram, Upload
from tests.harness import eventually, rows
from tests.telegram_harness import button, keep_clean_date, running, said, texts_in

SAM = tg.user(101, "Sam")
ANA = tg.user(202, "Ana")
BEN = tg.user(203, "Ben")
GROUP = tg.group()
GROUP_ID = GROUP["id"]
CONTACT = "+1 555 0100"


def ago(days: int) -> str:
    return (START.date() - timedelta(days=days)).isoformat()


def mentioned(message: dict[str, object]) -> set[int]:
    """The people a message notifies: its text_mention entities (tg://user?id= links)."""
    entities = message.get("entities") or []
    assert isinstance(entities, list)
    return {e["user"]["id"] for e in entities if e["type"] == "text_mention"}


async def test_days_in_a_group(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        kept = await keep_clean_date(
            fake_telegram, GROUP, SAM, "2026-03-01", command="/cleandate@HomegroupBot"
        )
        fake_telegram.push(tg.command(GROUP, SAM, "/days"))
        days = await said(fake_telegram, GROUP_ID, "273 days clean")
    assert "Got it, Sam: your clean date is 1 March 2026." in kept["text"]
    assert kept["chat"]["id"] == SAM["id"], "the date is confirmed privately"
    group = texts_in(fake_telegram, GROUP_ID)
    assert not [t for t in group if "March" in t and t != days["text"]], "no date in the group"
    (sent,) = [
        c
        for c in fake_telegram.of("sendMessage")
        if "273 days" in c["text"] and c["chat_id"] == GROUP_ID
    ]
    assert sent["parse_mode"] == "HTML"


async def test_a_command_for_another_bot_is_left_alone(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, SAM, "/days@SomeOtherBot"))
        fake_telegram.push(tg.command(GROUP, SAM, "/days"))
        await said(fake_telegram, GROUP_ID, "haven't set a clean date")
    assert len(fake_telegram.of("sendMessage")) == 1


async def test_clean_date_and_days_in_a_private_chat(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        await keep_clean_date(fake_telegram, tg.private_chat(SAM), SAM, ago(10))
        fake_telegram.push(tg.command(tg.private_chat(SAM), SAM, "/days"))
        await said(fake_telegram, SAM["id"], "10 days clean")
    assert {call["chat_id"] for call in fake_telegram.of("sendMessage")} == {SAM["id"]}
    assert rows(database, "SELECT clean_since FROM counters") == [(ago(10),)]


async def test_the_milestone_digest_is_posted_to_the_group_with_a_mention(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock) as app:
        await keep_clean_date(fake_telegram, GROUP, SAM, ago(29))
        clock.advance(timedelta(days=1))  # 30 November, noon: day 30, past the 09:00 run
        app.timers.wake.set()
        digest = await said(fake_telegram, GROUP_ID, "has 30 days clean today")
    assert mentioned(digest) == {SAM["id"]}
    (sent,) = [c for c in fake_telegram.of("sendMessage") if "30 days clean today" in c["text"]]
    assert f'<a href="tg://user?id={SAM["id"]}">Sam</a> has 30 days' in sent["text"]
    assert sent["parse_mode"] == "HTML"


async def test_a_craving_mentions_its_supporters_and_a_peer_claims_it(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        for supporter in (ANA, BEN):
            fake_telegram.push(tg.command(GROUP, supporter, "/supporter on"))
        await eventually(lambda: len(texts_in(fake_telegram, GROUP_ID)) == 2)
        fake_telegram.push(tg.command(GROUP, SAM, "/craving"))
        reply = await said(fake_telegram, GROUP_ID, "Thank you for saying it, Sam.")
        assert mentioned(reply) == {ANA["id"], BEN["id"]}
        (sent,) = [c for c in fake_telegram.of("sendMessage") if "Thank you for" in c["text"]]
        assert f'<a href="tg://user?id={ANA["id"]}">Ana</a>' in sent["text"]
        assert sent["parse_mode"] == "HTML"

        press = tg.callback(BEN, reply, button(reply, "craving.claim"))
        fake_telegram.push(press)
        await said(fake_telegram, GROUP_ID, "Ben is on it and will reach out to Sam.")
        told = await said(fake_telegram, SAM["id"], "Ben is on the way to you")
    (edit,) = fake_telegram.of("editMessageText")
    assert (edit["chat_id"], edit["message_id"]) == (GROUP_ID, reply["message_id"])
    answered = [c["callback_query_id"] for c in fake_telegram.of("answerCallbackQuery")]
    assert answered == [press["callback_query"]["id"]]
    assert told["chat"]["id"] == SAM["id"]
    assert rows(database, "SELECT claimed_by FROM cravings") == [(f"telegram:{BEN['id']}",)]


async def test_a_call_hands_the_contact_to_the_claimer_only(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        for volunteer in (ANA, BEN):
            fake_telegram.push(tg.command(GROUP, volunteer, "/phonelist on"))
        fake_telegram.push(tg.command(tg.private_chat(SAM), SAM, f"/contact {CONTACT}"))
        asked = await said(fake_telegram, SAM["id"], "May I keep it?")
        assert CONTACT not in asked["text"]
        fake_telegram.push(tg.callback(SAM, asked, button(asked, "contact.keep")))
        await said(fake_telegram, SAM["id"], f"Saved: {CONTACT}")
        saved = len(fake_telegram.calls)

        fake_telegram.push(tg.command(GROUP, SAM, "/call after 6pm is best"))
        request = await said(fake_telegram, GROUP_ID, "Sam would like a phone call.")
        assert mentioned(request) == {ANA["id"], BEN["id"]}
        fake_telegram.push(tg.callback(ANA, request, button(request, "call.take")))
        await said(fake_telegram, GROUP_ID, "Ana is calling Sam.")
        handoff = await said(fake_telegram, ANA["id"], f"How to reach them: {CONTACT}")
        await said(
            fake_telegram, SAM["id"], "I've given Ana the contact you saved, and nobody else."
        )
        fake_telegram.push(tg.callback(BEN, request, button(request, "call.take")))
        await said(fake_telegram, BEN["id"], "Ana is already calling Sam.")

    assert mentioned(handoff) == {SAM["id"]}
    after_saving = [
        call.params
        for call in fake_telegram.calls[saved:]
        if call.method in ("sendMessage", "editMessageText")
    ]
    with_contact = [params["chat_id"] for params in after_saving if CONTACT in params["text"]]
    assert with_contact == [ANA["id"]]
    assert all(CONTACT not in text for text in texts_in(fake_telegram, GROUP_ID))
    assert all(CONTACT not in text for text in texts_in(fake_telegram, BEN["id"]))


async def test_a_relapse_is_answered_in_the_private_chat(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        await keep_clean_date(fake_telegram, GROUP, SAM, ago(100))
        fake_telegram.push(tg.command(GROUP, SAM, "/relapse"))
        asked = await said(fake_telegram, SAM["id"], "Do you want to start a new count")
        await said(fake_telegram, GROUP_ID, "Sam, I've sent you the answer privately.")
        fake_telegram.push(tg.callback(SAM, asked, button(asked, "relapse.yes")))
        await said(fake_telegram, SAM["id"], "Done: your new count starts today")
        await said(fake_telegram, SAM["id"], "coming back takes courage")
    group = "\n".join(texts_in(fake_telegram, GROUP_ID))
    assert "new count" not in group
    assert "courage" not in group
    assert rows(database, "SELECT clean_since FROM counters") == [(START.date().isoformat(),)]


async def test_a_member_who_never_started_the_bot_gets_a_deep_link_then_the_message(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.blocked.add(SAM["id"])
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, SAM, f"/cleandate {ago(100)}"))
        pointer = await said(fake_telegram, GROUP_ID, "Tap below to open our private chat")
        (row,) = pointer["reply_markup"]["inline_keyboard"]
        assert row[0]["url"].startswith("https://t.me/HomegroupBot?start=")
        assert "clean date" not in pointer["text"]
        assert not texts_in(fake_telegram, SAM["id"])

        fake_telegram.blocked.discard(SAM["id"])
        fake_telegram.push(tg.command(tg.private_chat(SAM), SAM, "/start hello"))
        await said(fake_telegram, SAM["id"], "May I keep it?")
        await said(fake_telegram, SAM["id"], "Here for you, one day at a time.")
    asked = [t for t in texts_in(fake_telegram, SAM["id"]) if "May I keep it?" in t]
    assert len(asked) == 1
    assert all("clean date" not in text for text in texts_in(fake_telegram, GROUP_ID))
    # One line in the group, not two: the deep link says where the answer is.
    assert not [t for t in texts_in(fake_telegram, GROUP_ID) if "sent you the answer" in t]


async def test_only_admins_change_settings(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    fake_telegram.members[(GROUP_ID, ANA["id"])] = "administrator"
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, SAM, "/set ping_count 4"))
        await said(fake_telegram, GROUP_ID, "Only this group's admins can change its settings")
        assert "ping_count" not in rows(database, "SELECT settings FROM communities")[0][0]

        fake_telegram.push(tg.command(GROUP, ANA, "/set ping_count 4"))
        await said(fake_telegram, GROUP_ID, "Cravings now ping 4 supporters at a time.")
        assert (
            json.loads(rows(database, "SELECT settings FROM communities")[0][0]).get("ping_count")
            == 4
        )

        fake_telegram.push(tg.anonymous_admin_command(GROUP, "/set ping_count 5"))
        await said(fake_telegram, GROUP_ID, "Cravings now ping 5 supporters at a time.")
    (settings,) = rows(database, "SELECT settings FROM communities")
    assert json.loads(settings[0])["ping_count"] == 5
    asked = [c["chat_id"] for c in fake_telegram.of("getChatAdministrators")]
    assert asked == [GROUP_ID], "the admin list is asked for once a minute per group"


async def test_mydata_arrives_as_a_json_document_in_the_private_chat(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        await keep_clean_date(fake_telegram, GROUP, SAM, ago(42))
        fake_telegram.push(tg.command(GROUP, SAM, "/mydata"))
        await said(fake_telegram, GROUP_ID, "Sam, I've sent you the answer privately.")
        (sent,) = await eventually(lambda: fake_telegram.of("sendDocument"))
    assert sent["chat_id"] == SAM["id"]
    document = sent["document"]
    assert isinstance(document, Upload)
    assert document.filename == "homegroup-mydata.json"
    data = json.loads(document.content)
    assert ago(42) in json.dumps(data["tables"])
    assert "everything I keep about you" in sent["caption"]
    assert ago(42) not in "\n".join(texts_in(fake_telegram, GROUP_ID))


async def test_the_command_menu_is_set_at_start(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    async with running(fake_telegram, database, clock):
        scopes = 3 * len(available_locales())  # one per scope, in each language
        await eventually(lambda: len(fake_telegram.of("setMyCommands")) == scopes)
    commands = [c for call in fake_telegram.of("setMyCommands") for c in call["commands"]]
    names = [command["command"] for command in commands]
    assert {"craving", "days", "help", "cleandate", "relapse"} <= set(names)
    assert all(command["description"] for command in commands)


async def test_a_name_or_note_that_looks_like_a_mention_or_command_acts_for_nobody(
    fake_telegram: FakeTelegram, database: Path, clock: ManualClock
) -> None:
    bob = tg.user(404, "@bob_supports")
    async with running(fake_telegram, database, clock):
        fake_telegram.push(tg.command(GROUP, ANA, "/supporter on"))
        await said(fake_telegram, GROUP_ID, "You're on the supporter list here")
        fake_telegram.push(tg.command(GROUP, bob, "/craving"))
        reply = await said(fake_telegram, GROUP_ID, "Thank you for saying it")
        fake_telegram.push(tg.command(GROUP, bob, "/call tap /forgetme@HomegroupBot for me"))
        asked = await said(fake_telegram, GROUP_ID, "would like a phone call")

    # Shown as typed: the word joiners are invisible.
    assert "Thank you for saying it, @bob_supports." in reply["text"].replace("\u2060", "")
    assert "“tap /forgetme@HomegroupBot for me”" in asked["text"].replace("\u2060", "")
    assert mentioned(reply) == {ANA["id"]}
    for message in (reply, asked):
        found = [e for e in message.get("entities", []) if e["type"] in ("mention", "bot_command")]
        assert found == [], message["text"]
    assert all("@bob_supports" not in c["text"] for c in fake_telegram.of("sendMessage"))
