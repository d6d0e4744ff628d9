"""``/linkme``: one member on Telegram and on Discord, linked by a one-time code into one person
with one clean date, one history and one language; ``/unlinkme`` splits them, ``/mydata``
shows both and ``/forgetme`` erases both."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from bot.app import App
from bot.clock import ManualClock
from bot.dialect import PlainDialect
from bot.domain.inbound import ButtonPressed, CommandIssued, Origin
from bot.domain.records import OutboxMessage
from bot.flows.linkme import KEEP, T
from bot.flows.privacy import ERASE
from bot.render import Renderer
from tests.core.test_privacy import person_columns

TG = "5550001"
DC = "900000000000000001"
BEN = "5550002"
TG_KEY, DC_KEY, BEN_KEY = f"telegram:{TG}", f"discord:{DC}", f"telegram:{BEN}"
GROUP = "-1001234"
GUILD = "800000000000000008"
CHANNEL = "800000000000000080"
BAD = "That code doesn't work."


@dataclass
class Said:
    """A message the bot queued, rendered as the reader would see it."""

    text: str
    message: OutboxMessage

    @property
    def buttons(self) -> list[tuple[str, str]]:
        return [(b.action, b.payload) for b in self.message.buttons]


@dataclass
class Member:
    """Ana on Telegram and on Discord, typing to the core as each adapter hands it over."""

    app: App
    renderers: dict[str, Renderer] = field(
        default_factory=lambda: {
            platform: Renderer(PlainDialect(name=platform)) for platform in ("telegram", "discord")
        }
    )
    """Plain text, but as each platform's templates read it (``platform``)."""
    n: int = 0

    def origin(self, platform: str, *, where: str = "private", person: str | None = None) -> Origin:
        if platform == "telegram":
            who = person or TG
            if where == "as the group":
                return Origin("telegram", GROUP, GROUP, "Group", community=GROUP, is_admin=True)
            if where == "group":
                return Origin("telegram", GROUP, who, "Ana", community=GROUP, message="1")
            return Origin("telegram", who, who, "Ana", private=True)
        if where == "group":  # a slash command in a server: answered unseen
            return Origin("discord", CHANNEL, DC, "Ana", community=GUILD, interaction=f"i{self.n}")
        return Origin("discord", f"dm{DC}", DC, "Ana", private=True)

    async def type(self, platform: str, text: str, **where: str) -> list[Said]:
        """Send a command; return what the bot said, on every platform, since."""
        self.n += 1
        name, _, args = text.lstrip("/").partition(" ")
        inbound = CommandIssued(f"k{self.n}", self.origin(platform, **where), name, args)
        assert await self.app.core.handle(inbound)
        return await self.said()

    async def press(self, platform: str, action: str, payload: str) -> list[Said]:
        self.n += 1
        inbound = ButtonPressed(f"k{self.n}", self.origin(platform), action, payload)
        assert await self.app.core.handle(inbound)
        return await self.said()

    async def said(self) -> list[Said]:
        """Everything queued since last asked, rendered; marked sent, as a sender would."""
        now = self.app.clock.now()
        found: list[Said] = []
        while True:
            async with self.app.store.transaction() as tx:
                batch = [
                    m
                    for platform in ("telegram", "discord")
                    for m in await tx.outbox.pending(platform, now, 100)
                ]
                for m in batch:
                    await tx.outbox.mark_sent(m.id, f"ref{m.id}", now)
            if not batch:
                return found
            found += [
                Said(
                    self.renderers[m.target.platform].render(
                        m.template, m.context, locale=m.locale
                    ),
                    m,
                )
                for m in batch
                if m.template
            ]

    async def clean_date(self, platform: str, day: str) -> None:
        await self.type(platform, "/consent on")
        said = await self.type(platform, f"/cleandate {day}")
        assert any("your clean date is" in s.text for s in said)

    async def days(self, platform: str) -> str:
        (answer,) = [s.text for s in await self.type(platform, "/days")]
        return answer

    async def code(self, platform: str) -> str:
        (answer,) = await self.type(platform, "/linkme")
        assert answer.message.template == T.CODE
        assert answer.message.target.person == (TG if platform == "telegram" else DC)
        return str(answer.message.context["code"])

    async def link(self, issuer: str = "discord", typer: str = "telegram") -> list[Said]:
        code = await self.code(issuer)
        return await self.type(typer, f"/linkme {code}")

    async def identities(self, key: str) -> list[str]:
        async with self.app.store.transaction() as tx:
            return [p.key for p in await tx.people.identities(key)]

    async def counters(self, key: str) -> list[tuple[str, date]]:
        async with self.app.store.transaction() as tx:
            return [(c.name, c.clean_since) for c in await tx.counters.of(key)]


def texts(said: list[Said]) -> str:
    return "\n".join(s.text for s in said)


async def test_a_code_from_discord_typed_on_telegram_makes_one_clean_date(app: App) -> None:
    ana = Member(app)
    await ana.clean_date("telegram", "2025-03-01")
    code = await ana.code("discord")
    assert len(code) == 9
    assert code[4] == "-"

    linked = await ana.type("telegram", f"/linkme {code.lower()}")

    assert [s.message.template for s in linked] == [T.LINKED, T.LINKED]
    assert {s.message.target.platform for s in linked} == {"telegram", "discord"}
    assert "Done: you are one person here and on Discord." in linked[0].text
    assert "Done: you are one person here and on Telegram." in linked[1].text
    assert await ana.identities(TG_KEY) == [TG_KEY, DC_KEY]
    assert await ana.identities(DC_KEY) == [DC_KEY, TG_KEY]
    assert "1 March 2025" in await ana.days("discord")
    assert "1 March 2025" in await ana.days("telegram")

    await ana.type("discord", "/cleandate 2025-04-02")
    assert "2 April 2025" in await ana.days("telegram"), "a change on one side is seen on both"
    assert await ana.counters(DC_KEY) == [("", date(2025, 4, 2))]
    assert await ana.counters(TG_KEY) == [], "kept once, under the principal"


async def test_contact_zone_and_language_are_one_persons(app: App) -> None:
    ana = Member(app)
    await ana.clean_date("telegram", "2025-03-01")
    await ana.type("telegram", "/contact +1 555 0100")
    await ana.type("telegram", "/timezone Europe/Madrid")
    await ana.link()

    assert "+1 555 0100" in texts(await ana.type("discord", "/contact"))
    assert "Europe/Madrid" in texts(await ana.type("discord", "/timezone"))
    await ana.type("discord", "/language es")
    assert (await ana.days("telegram")).startswith("Ana, desde el 1 de marzo de 2025")


async def test_two_different_contacts_leave_one_and_the_member_is_told_which(app: App) -> None:
    ana = Member(app)
    for platform in ("telegram", "discord"):
        await ana.type(platform, "/consent on")
    await ana.type("telegram", "/contact +1 555 0100")
    await ana.type("discord", "/contact ana_r on Discord")

    telegram, discord = await ana.link(issuer="discord", typer="telegram")

    assert "now there is one: ana_r on Discord, the one you gave on Discord." in telegram.text
    assert "now there is one: ana_r on Discord, the one you gave here." in discord.text
    assert "+1 555 0100" not in texts(await ana.type("telegram", "/contact"))
    assert "ana_r on Discord" in texts(await ana.type("telegram", "/contact"))


async def test_one_contact_or_the_same_twice_is_kept_without_a_word(app: App) -> None:
    ana = Member(app)
    for platform in ("telegram", "discord"):
        await ana.type(platform, "/consent on")
        await ana.type(platform, "/contact +1 555 0100")

    linked = await ana.link()

    assert "now there is one" not in texts(linked)
    assert "+1 555 0100" in texts(await ana.type("discord", "/contact"))


async def test_a_restart_on_one_side_is_in_the_one_history(app: App) -> None:
    ana = Member(app)
    await ana.clean_date("telegram", "2025-03-01")
    said = await ana.type("telegram", "/relapse")
    (confirm,) = [s for s in said if s.message.buttons]
    await ana.press("telegram", *confirm.buttons[0])
    await ana.link()

    history = texts(await ana.type("discord", "/history"))

    assert "• 1 March 2025 to 29 November 2026: 638 days clean" in history
    assert "Your count now: since 29 November 2026" in history


async def test_different_dates_are_asked_and_the_first_can_be_kept(app: App) -> None:
    ana = Member(app)
    await ana.clean_date("telegram", "2025-06-14")
    await ana.clean_date("discord", "2025-03-01")

    linked = await ana.link(issuer="discord", typer="telegram")

    (question,) = [s for s in linked if s.message.template == T.CHOOSE]
    assert question.message.target.platform == "telegram", "asked where the member is"
    assert "1. 1 March 2025, on Discord\n2. 14 June 2025, here\n" in question.text
    assert "I keep both until you choose" in question.text
    assert question.buttons == [(KEEP, "20250301:"), (KEEP, "20250614:")]
    # Nothing is decided, nothing lost: the other date waits in its own row.
    assert await ana.counters(DC_KEY) == [("", date(2025, 3, 1))]
    assert await ana.counters(TG_KEY) == [("", date(2025, 6, 14))]

    chosen = await ana.press("telegram", KEEP, "20250301:")
    assert "Kept: your clean date is 1 March 2025, on both sides." in texts(chosen)
    assert await ana.counters(TG_KEY) == []
    assert "1 March 2025" in await ana.days("telegram")
    assert "1 March 2025" in await ana.days("discord")


async def test_different_dates_the_second_can_be_kept_and_a_lost_question_is_asked_again(
    app: App,
) -> None:
    ana = Member(app)
    await ana.clean_date("telegram", "2025-06-14")
    await ana.clean_date("discord", "2025-03-01")
    await ana.link()

    again = await ana.type("discord", "/linkme")  # the question was lost: it is in the rows
    assert [s.message.template for s in again] == [T.ALREADY, T.CHOOSE]

    forged = await ana.press("discord", KEEP, "20240101:")
    assert "That button doesn't work any more" in texts(forged)
    await ana.press("discord", KEEP, "20250614:")
    assert "14 June 2025" in await ana.days("discord")
    assert "14 June 2025" in await ana.days("telegram")
    stale = await ana.press("telegram", KEEP, "20250301:")
    assert "That button doesn't work any more" in texts(stale), "chosen once"
    assert "14 June 2025" in await ana.days("telegram")


async def test_unlinkme_leaves_each_side_its_own_copy(app: App) -> None:
    ana = Member(app)
    await ana.clean_date("telegram", "2025-03-01")
    await ana.link()

    said = await ana.type("discord", "/unlinkme")

    assert [s.message.template for s in said] == [T.UNLINKED, T.UNLINKED]
    assert await ana.identities(TG_KEY) == [TG_KEY]
    assert await ana.counters(TG_KEY) == await ana.counters(DC_KEY) == [("", date(2025, 3, 1))]
    await ana.type("discord", "/cleandate 2025-05-05")
    assert "1 March 2025" in await ana.days("telegram"), "apart again"
    assert "You aren't linked" in texts(await ana.type("telegram", "/unlinkme"))


async def test_mydata_shows_both_identities_and_their_data_once(app: App) -> None:
    ana = Member(app)
    await ana.clean_date("telegram", "2025-03-01")
    await ana.link()

    (answer,) = await ana.type("discord", "/mydata")

    attachment = answer.message.attachment
    assert attachment is not None
    data = attachment.data
    assert data["identities"] == [DC_KEY, TG_KEY]
    assert sorted(row["key"] for row in data["tables"]["people"]) == sorted([TG_KEY, DC_KEY])
    assert [row["clean_since"] for row in data["tables"]["counters"]] == ["2025-03-01"]


async def test_forgetme_on_one_side_erases_both(app: App, database: Path) -> None:
    ana = Member(app)
    await ana.clean_date("telegram", "2025-03-01")
    await ana.type("telegram", "/contact +1 555 0100")
    await ana.link()

    (confirm,) = await ana.type("telegram", "/forgetme")
    assert "That includes you on Discord" in confirm.text
    await ana.press("telegram", ERASE, TG_KEY)

    async with app.store.transaction() as tx:
        assert await tx.people.get(TG_KEY) is None
        assert await tx.people.get(DC_KEY) is None
    with sqlite3.connect(database) as db:
        for table, column in person_columns(db):
            left = db.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {column} IN (?, ?)",
                (TG_KEY, DC_KEY),
            ).fetchone()[0]
            assert left == 0, f"{table}.{column} still holds Ana"
        assert ("person_links", "principal") in person_columns(db)


async def test_forgetme_erases_both_on_every_store(app: App) -> None:
    ana = Member(app)
    await ana.clean_date("discord", "2025-03-01")
    await ana.link()
    await ana.type("discord", "/forgetme")
    await ana.press("discord", ERASE, DC_KEY)
    async with app.store.transaction() as tx:
        assert await tx.people.get(TG_KEY) is None
        assert await tx.people.get(DC_KEY) is None
        assert await tx.counters.of(DC_KEY) == []


async def test_wrong_expired_and_used_codes_link_nothing_and_say_the_same(
    app: App, clock: ManualClock
) -> None:
    ana = Member(app)
    await ana.clean_date("telegram", "2025-03-01")

    wrong = await ana.type("telegram", "/linkme 7KQ2-MX9D")
    nonsense = await ana.type("telegram", "/linkme hello there")
    code = await ana.code("discord")
    clock.advance(timedelta(minutes=11))
    expired = await ana.type("telegram", f"/linkme {code}")
    assert await ana.identities(TG_KEY) == [TG_KEY], "nothing linked"
    assert await ana.counters(TG_KEY) == [("", date(2025, 3, 1))], "nothing moved"
    code = await ana.code("discord")
    await ana.type("telegram", f"/linkme {code}")
    used = await ana.type("telegram", f"/linkme {code}", person=BEN)  # someone saw it

    answers = {s.text for s in wrong + nonsense + expired + used}
    assert len(answers) == 1
    assert BAD in answers.pop()
    assert await ana.identities(BEN_KEY) == [BEN_KEY]
    assert await ana.identities(DC_KEY) == [DC_KEY, TG_KEY]


async def test_five_wrong_codes_lock_out_even_the_right_one_for_an_hour(
    app: App, clock: ManualClock
) -> None:
    ana = Member(app)
    for _ in range(5):
        assert BAD in texts(await ana.type("telegram", "/linkme 7KQ2-MX9D"))
    code = await ana.code("discord")

    locked = await ana.type("telegram", f"/linkme {code}")

    assert "linking is paused for you for 60 minutes" in texts(locked)
    assert await ana.identities(TG_KEY) == [TG_KEY]
    clock.advance(timedelta(hours=1, minutes=1))
    linked = await ana.link()
    assert T.LINKED in [s.message.template for s in linked]


async def test_wrong_codes_spread_over_an_hour_lock_for_an_hour_from_the_fifth(
    app: App, clock: ManualClock
) -> None:
    ana = Member(app)
    start = clock.now()
    for minute in (0, 14, 28, 42, 58):
        clock.advance_to(start + timedelta(minutes=minute))
        assert BAD in texts(await ana.type("telegram", "/linkme 7KQ2-MX9D"))
    clock.advance_to(start + timedelta(minutes=63))
    code = await ana.code("discord")

    locked = await ana.type("telegram", f"/linkme {code}")

    assert "linking is paused for you for 60 minutes" in texts(locked), "60 from the fifth"
    assert await ana.identities(TG_KEY) == [TG_KEY]
    clock.advance_to(start + timedelta(minutes=118, seconds=1))
    assert T.LINKED in [s.message.template for s in await ana.link()]


async def test_a_code_typed_where_the_group_reads_it_is_spent(app: App) -> None:
    ana = Member(app)
    code = await ana.code("discord")

    said = await ana.type("telegram", f"/linkme {code}", where="group")

    assert "The group could see that code, so I didn't use it" in texts(said)
    (answer,) = [s for s in said if s.message.template == T.IN_THE_OPEN]
    assert answer.message.target.person == TG, "privately"
    assert all(code not in s.text for s in said)
    assert BAD in texts(await ana.type("telegram", f"/linkme {code}"))
    assert await ana.identities(TG_KEY) == [TG_KEY]


async def test_a_code_typed_on_its_own_platform_stays_good(app: App) -> None:
    ana = Member(app)
    code = await ana.code("discord")
    said = await ana.type("discord", f"/linkme {code}")
    assert "That code is for the other side" in texts(said)
    linked = await ana.type("telegram", f"/linkme {code}")
    assert T.LINKED in [s.message.template for s in linked]


async def test_a_named_count_too_long_for_a_button_is_still_asked_and_kept(app: App) -> None:
    ana = Member(app)
    name = "☕" * 20  # 60 bytes: too long for a button's payload on some platforms
    await ana.clean_date("telegram", "2025-03-01")
    await ana.type("telegram", f"/cleandate 2025-01-01 {name}")
    await ana.type("discord", "/consent on")
    await ana.type("discord", f"/cleandate 2025-02-02 {name}")

    (question,) = [s for s in await ana.link() if s.message.template == T.CHOOSE]

    assert f"Your {name} count is not the same here and on Discord:" in question.text
    (_, first), (_, second) = question.buttons
    assert first.startswith("20250202:#")
    assert name not in second
    await ana.press("telegram", KEEP, second)
    assert await ana.counters(DC_KEY) == [("", date(2025, 3, 1)), (name, date(2025, 1, 1))]
    assert await ana.counters(TG_KEY) == []


async def test_someone_writing_as_the_group_gets_no_code(app: App) -> None:
    ana = Member(app)
    said = await ana.type("telegram", "/linkme", where="as the group")
    assert [s.message.template for s in said] == [T.ANONYMOUS]
    assert "so I can't send you a code privately" in said[0].text, "and no code was sent"
