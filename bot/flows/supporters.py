"""Supporters: ``/supporter on|off``, ``/supporter hours``, ``/supporter urgent on|off``, and the
fair choice of whom to ping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum

from bot.contexts import supporters as s
from bot.dispatch import Flows
from bot.domain.model import Community, Person
from bot.domain.records import Role
from bot.domain.supporters import Candidate, Hours, HoursError, choose
from bot.turn import Turn, member_zone


class T(StrEnum):
    SUPPORTER_SET = "supporter_set"
    SUPPORTER_HOURS_SET = "supporter_hours_set"
    SUPPORTER_USAGE = "supporter_usage"
    SUPPORTER_URGENT_SET = "supporter_urgent_set"
    SUPPORTER_LINKED_SET = "supporter_linked_set"


async def supporter(turn: Turn, args: str) -> None:
    """Opt in or out of craving pings here, or set the hours you can be pinged."""
    word, _, rest = args.partition(" ")
    word = word.lower()
    if word == "hours":
        await _set_hours(turn, rest.strip())
        return
    if word == "urgent" and rest.strip().lower() in ("on", "off"):
        on = rest.strip().lower() == "on"
        await turn.tx.supporters.set_urgent(turn.me.key, on)
        await turn.say(T.SUPPORTER_URGENT_SET, s.UrgentSet(on=on, hours=await _hours_text(turn)))
        return
    if word == "linked" and rest.strip().lower() in ("on", "off"):
        on = rest.strip().lower() == "on"
        await turn.tx.supporters.set_bridge_pings(await turn.data_key(), on)
        await turn.say(T.SUPPORTER_LINKED_SET, s.LinkedSet(on=on))
        return
    if word not in ("on", "off") or turn.community is None:
        await _usage(turn)
        return
    community = turn.community
    on = word == "on"
    await turn.tx.supporters.set_role(community.key, turn.me.key, "cravings", on)
    role = community.settings.supporter_role
    holds_role = (
        not on and role is not None and role in await turn.tx.roles.of(community.key, turn.me.key)
    )
    await turn.say(
        T.SUPPORTER_SET,
        s.Set(on=on, hours=await _hours_text(turn), holds_role=holds_role),
    )


async def _set_hours(turn: Turn, text: str) -> None:
    if text.lower() in ("any", "anytime", "all"):
        hours = None
    else:
        try:
            hours = Hours.parse(text)
        except HoursError:
            await _usage(turn, bad_hours=True)
            return
    await turn.tx.supporters.set_hours(turn.me.key, None if hours is None else hours.text())
    zone = await turn.zone_of(turn.me)
    await turn.say(
        T.SUPPORTER_HOURS_SET,
        s.HoursSet(hours=None if hours is None else hours.text(), zone=str(zone.key)),
    )


async def _usage(turn: Turn, *, bad_hours: bool = False) -> None:
    usage = s.Usage(
        in_group=turn.community is not None,
        hours=await _hours_text(turn),
        linked=await turn.tx.supporters.bridge_pings(await turn.data_key()),
    )
    if bad_hours:
        usage["bad_hours"] = True
    await turn.say(T.SUPPORTER_USAGE, usage)


async def _hours_text(turn: Turn) -> str | None:
    return await turn.tx.supporters.hours(turn.me.key)


async def pick_among(
    turn: Turn,
    communities: list[Community],
    role: Role,
    *,
    count: int,
    exclude: Iterable[str],
    home: set[str],
    urgent: bool = False,
) -> list[Person]:
    """Choose up to ``count`` supporters fairly from every chat of ``communities`` (a chat and
    the chats linked with it) at once, and mark them pinged now.

    One pool, so that fairness (least recently pinged first, rest, quiet hours) holds across
    the bridge; a person linked on both sides is one candidate, rested by their latest ping
    on either side, and asked where the member is (a chat of ``home``) if they can be. Those
    of a chat outside ``home`` are asked privately only: left out when they said no to pings
    from a linked chat, or when the bot cannot write to them privately (a ping nobody gets
    would still rest them and count as asked). For
    craving pings, holders of a chat's supporter role count as opted in (unless they said
    /supporter off there). ``urgent`` (someone may be in danger) skips the rest between pings,
    and the quiet hours of supporters who accept urgent pings in them. The member's own
    identities (``exclude``'s principals) are never chosen.
    """
    principal = turn.tx.people.principal
    excluded = set(exclude)
    excluded |= {await principal(key) for key in excluded}
    ordered = sorted(communities, key=lambda c: c.key not in home)  # home chats first, stable
    candidates: dict[str, Candidate] = {}
    chosen_identity: dict[str, Person] = {}
    for community in ordered:
        rows = await turn.tx.supporters.opted_in(
            community.key, role, supporter_role=community.settings.supporter_role
        )
        for row in rows:
            key = await principal(row.person.key)
            if key in excluded or row.person.key in excluded:
                continue
            earlier = candidates.get(key)
            if earlier is not None:  # the same person, linked: one candidate, rested by both
                latest = max(
                    (t for t in (earlier.last_pinged_at, row.last_pinged_at) if t is not None),
                    default=None,
                )
                candidates[key] = replace(earlier, last_pinged_at=latest)
                continue
            if community.key not in home and not await _askable_across(turn, row.person, key):
                continue
            hours = None
            if row.hours:
                try:
                    hours = Hours.parse(row.hours)
                except HoursError:
                    hours = None
            candidates[key] = Candidate(
                key=key,
                zone=member_zone(row.person, community),
                hours=hours,
                last_pinged_at=row.last_pinged_at,
                urgent_ok=row.urgent,
            )
            chosen_identity[key] = row.person
    settings = ordered[0].settings if ordered else None
    chosen = choose(
        candidates.values(),
        now=turn.now,
        count=count,
        exclude=excluded,
        rest=timedelta(minutes=settings.supporter_rest if settings else 0),
        urgent=urgent,
    )
    people = [chosen_identity[c.key] for c in chosen]
    # Rest is the person's (kept under the principal), read here through either identity.
    marked = [key for c, p in zip(chosen, people, strict=True) for key in (p.key, c.key)]
    await turn.tx.supporters.mark_pinged(marked, role, turn.now)
    return people


async def _askable_across(turn: Turn, person: Person, principal: str) -> bool:
    """Whether a supporter of a linked chat can be asked there: they accept pings from a
    linked chat, and their private chat with the bot is open: on some platforms once they
    started one, on others whenever the adapter says a member can be written to (until a
    private message to them fails)."""
    return await turn.tx.supporters.bridge_pings(principal) and (
        await turn.tx.people.private_chat_open(person.key)
    )


flows = Flows(commands={"supporter": supporter}, templates=(T,))
