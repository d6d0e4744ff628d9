"""The storage contract, privacy: ``/mydata`` gathers every row about a member and nobody
else's, and ``/forgetme`` leaves no row about them while other members keep their own."""

from __future__ import annotations

import json
from datetime import date, timedelta

from bot.domain.model import PRIMARY, Person
from bot.domain.replies import Mention, Reply, Target, Template
from bot.domain.timers import CravingFollowUp, MilestoneRun
from bot.storage import Store, Transaction
from bot.storage.naming import SECTIONS
from tests.conftest import START
from tests.storage.test_store_contract_community import ANA, GROUP, SAM, meet

LATER = START + timedelta(hours=1)
SAM_PERSON = Person(SAM, "console", "sam", "Sam")
PING = "ping"
"""A template whose point is the people it lists."""


async def sam_everywhere(tx: Transaction) -> dict[str, int]:
    """Sam (and Ana) with a row in every area; the ids of what the test looks for later."""
    await meet(tx, SAM, ANA)
    await tx.counters.set(SAM, PRIMARY, date(2026, 1, 1), START)
    await tx.contacts.set(SAM, "+1 555 0100", START)
    await tx.counters.set(ANA, PRIMARY, date(2026, 2, 2), START)
    restart = await tx.relapses.record(SAM, PRIMARY, date(2025, 1, 1), date(2026, 1, 1), START)
    await tx.relapses.set_note(restart, "only for me")
    anas = await tx.cravings.create(GROUP, ANA, "group", False, START)
    await tx.cravings.claim(anas, SAM, START)
    await tx.cravings.record_pings(anas, [SAM], START)
    anas_call = await tx.calls.add(GROUP, ANA, "group", False, START)
    await tx.calls.claim(anas_call, SAM, START)
    to_sam = await tx.outbox.enqueue(
        Reply(Template.HELP, Target("console", person="sam"), {"note": "pending"}), "en", START
    )
    listed = await tx.outbox.enqueue(
        Reply(
            Template.HELP,
            Target("console", chat="group"),
            {"people": [{"id": "sam", "name": "Sam"}, {"id": "ana", "name": "Ana"}]},
            mentions=(Mention("sam", "Sam"), Mention("ana", "Ana")),
        ),
        "en",
        START,
    )
    only_sam = await tx.outbox.enqueue(
        Reply(PING, Target("console", chat="group"), {"people": [{"id": "sam", "name": "Sam"}]}),
        "en",
        START,
    )
    await tx.timers.schedule(CravingFollowUp(anas), LATER, about=SAM)
    await tx.timers.schedule(MilestoneRun(), LATER, key=f"remind:{SAM}")
    await tx.timers.schedule(CravingFollowUp(anas), LATER)
    await tx.inbox.store("console:update:1", "console", json.dumps({"from": {"id": "sam"}}), START)
    await tx.inbox.store("console:update:2", "console", json.dumps({"from": {"id": "ana"}}), START)
    await tx.inbox.claim("console:left:group:sam:1", START)
    await tx.links.issue("chat", "digest", GROUP, SAM, START, LATER)
    await tx.links.record_failure([GROUP, SAM], START)
    await tx.people.upsert("discord:900", "discord", "900", "S", START)
    await tx.people.link("discord:900", SAM, START)  # Sam's other identity
    return {
        "anas": anas,
        "anas_call": anas_call,
        "to_sam": to_sam,
        "listed": listed,
        "only_sam": only_sam,
    }


async def test_mydata_gathers_every_row_about_the_member_and_nobody_elses(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        ids = await sam_everywhere(tx)
    async with store.transaction() as tx:
        found = await tx.privacy.everything_about(SAM_PERSON)
    assert set(found) == {"people", "inbox", *SECTIONS.values()}
    assert [row["name"] for row in found["people"]] == ["Sam"]
    assert [row["clean_since"] for row in found["counters"]] == ["2026-01-01"]
    assert [row["contact"] for row in found["contacts"]] == ["+1 555 0100"]
    assert [row["note"] for row in found["restarts"]] == ["only for me"]
    assert [row["community"] for row in found["memberships"]] == [GROUP]
    assert [row["id"] for row in found["cravings_claimed_by"]] == [ids["anas"]]
    assert [row["id"] for row in found["call_requests_claimed_by"]] == [ids["anas_call"]]
    assert [row["craving"] for row in found["craving_pings"]] == [ids["anas"]]
    assert found["cravings"] == found["call_requests"] == []
    assert [row["id"] for row in found["outbox"]] == [ids["to_sam"]]
    assert found["outbox"][0]["context"] == {"note": "pending"}
    assert [row["key"] for row in found["inbox"]] == ["console:update:1"]
    assert len(found["timers"]) == 1
    assert [row["origin"] for row in found["link_codes_issued_by"]] == [GROUP]
    assert [row["subject"] for row in found["link_failures"]] == [SAM], "not the chat's"
    assert [row["person"] for row in found["person_links_principal"]] == ["discord:900"]
    text = json.dumps(found, default=str).lower()
    assert "ana" not in text.replace("console:update", ""), "nothing about Ana"


async def test_forgetting_a_member_leaves_no_row_about_them(store: Store) -> None:
    async with store.transaction() as tx:
        ids = await sam_everywhere(tx)
    async with store.transaction() as tx:
        await tx.privacy.erase(SAM_PERSON, notices=(PING,))
    async with store.transaction() as tx:
        found = await tx.privacy.everything_about(SAM_PERSON)
        assert {section: rows for section, rows in found.items() if rows} == {}
        assert await tx.people.get(SAM) is None
        assert await tx.outbox.target(ids["to_sam"]) is None, "a message to them goes"
        assert await tx.outbox.target(ids["only_sam"]) is None, "it listed only them"
        (listed,) = await tx.outbox.messages([ids["listed"]])
        assert listed.context == {"people": [{"id": "ana", "name": "Ana"}]}
        assert listed.mentions == (Mention("ana", "Ana"),)
        assert [t.key for t in await tx.timers.due(LATER, 10)] == [None], "Ana's follow-up"
        assert await tx.inbox.waiting("console", 10) == [
            ("console:update:2", '{"from": {"id": "ana"}}', 0)
        ]
        assert await tx.inbox.claim("console:left:group:sam:1", LATER), "a key made of them"
        assert await tx.cravings.claim(ids["anas"], ANA, LATER), "their claim is released"
        assert await tx.cravings.pinged(ids["anas"]) == set()
        assert (await tx.calls.get(ids["anas_call"])).claimed_by is None  # type: ignore[union-attr]
        assert [c.clean_since for c in await tx.counters.of(ANA)] == [date(2026, 2, 2)]
        assert [p.key for p in await tx.memberships.members(GROUP)] == [ANA]


async def test_a_farewell_is_dropped_by_its_id_once_and_only_its_own(store: Store) -> None:
    farewell = Reply("farewell", Target("console", person="sam"))
    async with store.transaction() as tx:
        waiting = await tx.outbox.enqueue(farewell, "en", START)
        sent = await tx.outbox.enqueue(farewell, "en", START)
        await tx.outbox.mark_sent(sent, "9", START)
        assert await tx.privacy.farewell_waiting(waiting)
        assert not await tx.privacy.farewell_waiting(sent)
        assert not await tx.privacy.farewell_waiting(999)
        await tx.privacy.drop_farewell(waiting, "another")
        assert await tx.outbox.target(waiting) is not None, "not the farewell"
        await tx.privacy.drop_farewell(waiting, "farewell")
        await tx.privacy.drop_farewell(sent, "farewell")
    async with store.transaction() as tx:
        assert await tx.outbox.target(waiting) is None
        assert await tx.outbox.target(sent) is None
        assert not await tx.privacy.farewell_waiting(waiting)
