"""Supporters: ``/supporter on|off``, ``/supporter hours``, ``/supporter urgent on|off``, and the
fair choice of whom to ping."""

from __future__ import annotations

from collections.abc import Iterable
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
    usage = s.Usage(in_group=turn.community is not None, hours=await _hours_text(turn))
    if bad_hours:
        usage["bad_hours"] = True
    await turn.say(T.SUPPORTER_USAGE, usage)


async def _hours_text(turn: Turn) -> str | None:
    return await turn.tx.supporters.hours(turn.me.key)


async def pick_supporters(
    turn: Turn,
    community: Community,
    role: Role,
    *,
    count: int,
    exclude: Iterable[str],
    urgent: bool = False,
) -> list[Person]:
    """Choose up to ``count`` supporters fairly and mark them pinged now.

    For craving pings, holders of the community's supporter role count as opted in (unless
    they said /supporter off here); their hours and rest apply like anyone's.
    ``urgent`` (someone may be in danger) skips the rest between pings, and the quiet hours of
    supporters who accept urgent pings in them.
    """
    rows = await turn.tx.supporters.opted_in(
        community.key, role, supporter_role=community.settings.supporter_role
    )
    candidates = []
    by_key = {}
    for row in rows:
        by_key[row.person.key] = row.person
        hours = None
        if row.hours:
            try:
                hours = Hours.parse(row.hours)
            except HoursError:
                hours = None
        candidates.append(
            Candidate(
                key=row.person.key,
                zone=member_zone(row.person, community),
                hours=hours,
                last_pinged_at=row.last_pinged_at,
                urgent_ok=row.urgent,
            )
        )
    chosen = choose(
        candidates,
        now=turn.now,
        count=count,
        exclude=exclude,
        rest=timedelta(minutes=community.settings.supporter_rest),
        urgent=urgent,
    )
    await turn.tx.supporters.mark_pinged([c.key for c in chosen], role, turn.now)
    return [by_key[c.key] for c in chosen]


flows = Flows(commands={"supporter": supporter}, templates=(T,))
