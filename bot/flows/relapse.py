"""``/relapse``: a private, judgment-free restart of the count, and ``/history``.

Everything here is answered privately: a restart is the member's own business, so a group sees
at most the neutral "sent you the answer privately" line. A confirmation comes first, so a slip
of the thumb cannot restart a count, and its button carries both the old and the new clean date:
a second press finds the old date gone and restarts nothing.

After a restart the member's milestones are kept private in every group (``/share on`` brings
them back): a group that watched someone reach 29 days and is then told they have 1 day would
learn of the restart, which is never announced.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from bot.contexts import Empty
from bot.contexts import relapse as r
from bot.dispatch import Flows
from bot.domain.cleantime import CleanDateError, calendar_span, local_today, parse_clean_date
from bot.domain.community import CommunitySettings
from bot.domain.model import PRIMARY, Counter
from bot.domain.records import Restart
from bot.domain.replies import Button, Mention, Template, parse_id
from bot.flows import bridge
from bot.flows.craving import answer_follow_up, danger_in_note, own_craving
from bot.flows.milestones import reschedule
from bot.flows.supporters import pick_among
from bot.turn import Turn

MAX_NOTE = 500
"""The longest private note on a restart, in characters."""
HISTORY_SHOWN = 20
"""Restarts listed by ``/history``, the latest ones."""


class T(StrEnum):
    RELAPSE_NONE = "relapse_none"
    RELAPSE_DATE_INVALID = "relapse_date_invalid"
    RELAPSE_CONFIRM = "relapse_confirm"
    RELAPSE_CONFIRMED = "relapse_confirmed"
    RELAPSE_CANCELLED = "relapse_cancelled"
    RELAPSE_STALE = "relapse_stale"
    RELAPSE_DONE = "relapse_done"
    RELAPSE_TOLD = "relapse_told"
    RELAPSE_SUPPORTER = "relapse_supporter"
    RELAPSE_NOTE_HOW = "relapse_note_how"
    RELAPSE_NOTE_SAVED = "relapse_note_saved"
    RELAPSE_NOTE_INVALID = "relapse_note_invalid"
    HISTORY = "history"
    LABEL_RELAPSE_YES = "label_relapse_yes"
    LABEL_RELAPSE_CANCEL = "label_relapse_cancel"
    LABEL_RELAPSE_TELL = "label_relapse_tell"
    LABEL_RELAPSE_NOTE = "label_relapse_note"


YES = "relapse.yes"
CANCEL = "relapse.cancel"
TELL = "relapse.tell"
NOTE = "relapse.note"


async def relapse(turn: Turn, args: str) -> None:
    """Ask, privately, whether to restart the count from today or the date given."""
    in_group = await turn.withdraw_command()
    word, _, rest = args.partition(" ")
    if word.lower() == "note":
        await _save_note(turn, rest.strip(), in_group)
        return
    current = await _primary(turn)
    if current is None:
        await turn.say(T.RELAPSE_NONE, private=True)
        return
    today = local_today(turn.now, await turn.zone_of(turn.me))
    try:
        new = parse_clean_date(args, today, await turn.date_locales()) if args else today
    except CleanDateError as error:
        await turn.say(
            T.RELAPSE_DATE_INVALID,
            r.DateInvalid(reason=error.reason, today=today.isoformat(), since=None),
            private=True,
        )
        return
    if new < current.clean_since:
        await turn.say(
            T.RELAPSE_DATE_INVALID,
            r.DateInvalid(
                reason="before_current",
                today=today.isoformat(),
                since=current.clean_since.isoformat(),
            ),
            private=True,
        )
        return
    await _ask(turn, current, new, today, offered=False, in_group=in_group)


async def offer_restart(turn: Turn) -> None:
    """Open the restart gently, e.g. after a member answered "I used" to a follow-up."""
    current = await _primary(turn)
    if current is None:
        await turn.say(T.RELAPSE_NONE, r.NoCount(offered=True), private=True)
        return
    today = local_today(turn.now, await turn.zone_of(turn.me))
    await _ask(turn, current, max(today, current.clean_since), today, offered=True)


async def _ask(
    turn: Turn,
    current: Counter,
    new: date,
    today: date,
    *,
    offered: bool,
    in_group: str | None = None,
) -> None:
    payload = f"{new.isoformat()} {current.clean_since.isoformat()}"
    await turn.say(
        T.RELAPSE_CONFIRM,
        r.Confirm(
            new=new.isoformat(),
            today=new == today,
            since=current.clean_since.isoformat(),
            offered=offered,
            typed_in_group=in_group,
        ),
        private=True,
        buttons=(
            Button(T.LABEL_RELAPSE_YES, YES, payload),
            Button(T.LABEL_RELAPSE_CANCEL, CANCEL, payload),
        ),
    )


async def confirm(turn: Turn, payload: str) -> None:
    """Restart the count: the old one goes into the private history, the new one begins."""
    dates = _read_payload(payload)
    if dates is None:
        await turn.say(Template.BUTTON_UNKNOWN, private=True)
        return
    new, old = dates
    current = await _primary(turn)
    today = local_today(turn.now, await turn.zone_of(turn.me))
    if (
        current is not None
        and current.clean_since == new
        and await turn.tx.relapses.has(await turn.data_key(), PRIMARY, old, new)
    ):
        await _close(turn, T.RELAPSE_STALE, r.Stale(done=True, new=new.isoformat()))
        return
    if current is None or current.clean_since != old or new > today or new < old:
        await _close(turn, T.RELAPSE_STALE, r.Stale(done=False, new=new.isoformat()))
        return
    restart_id = await turn.tx.relapses.record(await turn.data_key(), PRIMARY, old, new, turn.now)
    await turn.tx.counters.set(await turn.data_key(), PRIMARY, new, turn.now)
    paused = 0
    for identity in await turn.tx.people.identities(turn.me.key):
        for membership in await turn.tx.memberships.of(identity.key):
            if membership.share:
                await turn.tx.memberships.set_share(membership.community, identity.key, False)
                paused += 1
    await reschedule(turn, turn.me)
    await _close(
        turn,
        T.RELAPSE_CONFIRMED,
        r.Confirmed(new=new.isoformat(), today=new == today, paused=paused > 0),
    )
    home = await turn.home_community()
    crisis = (home.settings if home is not None else CommunitySettings()).crisis()
    done: r.Done = {**crisis, "who": turn.who}
    await turn.say(
        T.RELAPSE_DONE,
        done,
        private=True,
        buttons=(
            Button(T.LABEL_RELAPSE_TELL, TELL, str(restart_id)),
            Button(T.LABEL_RELAPSE_NOTE, NOTE, str(restart_id)),
        ),
    )


async def cancel(turn: Turn, payload: str) -> None:
    """Leave the count as it is."""
    dates = _read_payload(payload)
    current = await _primary(turn)
    if dates is not None and current is not None and current.clean_since != dates[1]:
        # Yes (or a new /cleandate) came first; this Cancel cannot undo it, so do not say so.
        new, old = dates
        done = current.clean_since == new and await turn.tx.relapses.has(
            await turn.data_key(), PRIMARY, old, new
        )
        await _close(turn, T.RELAPSE_STALE, r.Stale(done=done, new=current.clean_since.isoformat()))
        return
    await _close(turn, T.RELAPSE_CANCELLED, Empty())


async def tell_supporters(turn: Turn, payload: str) -> None:
    """Tell a few of the member's craving supporters, privately, that they could use a message.

    Per group, at most ``ping_count`` of them, chosen as fairly as craving pings (quiet hours
    and rest respected) from the group and the chats linked with it: a restart is not news for
    a whole server. Those of a linked chat are told privately there with the member's first
    name (``bot.flows.bridge``). When nobody can be reached now, nobody is told and the button
    works again later.
    """
    restart = await _own_restart(turn, payload)
    if restart is None:
        await turn.say(Template.BUTTON_UNKNOWN, private=True)
        return
    if not await turn.tx.relapses.claim_supporters_told(
        restart.id, await turn.data_key(), turn.now
    ):
        await turn.say(T.RELAPSE_TOLD, r.Told(count=0, before=True), private=True)
        return
    told: set[str] = set()
    listed = False
    # The member is never told of their own restart, on whichever platform they support.
    themselves = {identity.key for identity in await turn.tx.people.identities(turn.me.key)}
    for membership in await turn.tx.memberships.of(turn.me.key):
        community = await turn.tx.communities.get(membership.community)
        if community is None:
            continue
        linked = await bridge.fellowship(turn, community)
        for chat in linked:
            listed = listed or any(
                row.person.key not in themselves
                for row in await turn.tx.supporters.opted_in(chat.key, "cravings")
            )
        chosen = await pick_among(
            turn,
            linked,
            "cravings",
            count=community.settings.ping_count,
            exclude={*themselves, *told},
            home={community.key},
        )
        told.update(supporter.key for supporter in chosen)
        here, across = await bridge.split(turn, chosen, [community])
        await bridge.tell_of_restart(turn, turn.me, across, linked)
        for supporter in here:
            await turn.tell(
                supporter,
                T.RELAPSE_SUPPORTER,
                r.Supporter(who=supporter.ref, member=turn.who),
                mentions=(Mention(turn.me.platform_id, turn.me.name),),
            )
    if not told:
        await turn.tx.relapses.release_supporters_told(restart.id, await turn.data_key())
    await turn.say(
        T.RELAPSE_TOLD, r.Told(count=len(told), before=False, listed=listed), private=True
    )


async def note_how(turn: Turn, payload: str) -> None:
    """Explain how to keep a private note on the restart."""
    await turn.say(T.RELAPSE_NOTE_HOW, r.NoteHow(limit=MAX_NOTE), private=True)


async def _save_note(turn: Turn, text: str, in_group: str | None) -> None:
    await danger_in_note(turn, text)  # a note that speaks of danger is answered first
    if turn.in_the_open:
        # The text was typed where others can read it: keep it nowhere and repeat it nowhere.
        await turn.say(
            T.RELAPSE_NOTE_INVALID,
            r.NoteInvalid(reason="group", limit=MAX_NOTE, typed_in_group=in_group),
            private=True,
        )
        return
    reason = None
    if not text:
        reason = "empty"
    elif len(text) > MAX_NOTE:
        reason = "too_long"
    latest = await turn.tx.relapses.latest(await turn.data_key())
    if reason is None and latest is None:
        reason = "no_restart"
    if reason is not None:
        await turn.say(T.RELAPSE_NOTE_INVALID, r.NoteInvalid(reason=reason, limit=MAX_NOTE))
        return
    assert latest is not None  # else the reason is no_restart
    await turn.tx.relapses.set_note(latest.id, text)
    await turn.say(
        T.RELAPSE_NOTE_SAVED,
        r.NoteSaved(restarted_on=latest.restarted_on.isoformat(), replaced=latest.note is not None),
    )


async def show_history(turn: Turn, args: str) -> None:
    """List the member's own restarts, privately."""
    restarts = await turn.tx.relapses.of(await turn.data_key())
    current = await _primary(turn)
    today = local_today(turn.now, await turn.zone_of(turn.me))
    shown = restarts[-HISTORY_SHOWN:]
    await turn.say(
        T.HISTORY,
        r.History(
            restarts=[_restart_context(restart) for restart in reversed(shown)],
            earlier=len(restarts) - len(shown),
            current=None
            if current is None
            else r.Current(
                since=current.clean_since.isoformat(),
                days=max(0, (today - current.clean_since).days),
            ),
        ),
        private=True,
    )


def _restart_context(restart: Restart) -> r.Restart:
    span = calendar_span(restart.clean_since, max(restart.clean_since, restart.restarted_on))
    return r.Restart(
        since=restart.clean_since.isoformat(),
        until=restart.restarted_on.isoformat(),
        days=max(0, (restart.restarted_on - restart.clean_since).days),
        span=span.as_context(),
        note=restart.note,
    )


async def _close(turn: Turn, template: str, context: Mapping[str, Any]) -> None:
    """Replace the pressed confirmation, so its buttons cannot be pressed again."""
    if await turn.edit_pressed(template, context) is None:
        await turn.say(template, context, private=True)


async def _primary(turn: Turn) -> Counter | None:
    counters = await turn.tx.counters.of(await turn.data_key())
    return next((c for c in counters if c.name == PRIMARY), None)


async def _own_restart(turn: Turn, payload: str) -> Restart | None:
    restart_id = parse_id(payload)
    if restart_id is None:
        return None
    return await turn.tx.relapses.get(await turn.data_key(), restart_id)


def _read_payload(payload: str) -> tuple[date, date] | None:
    """Read "NEW OLD" ISO dates back from a button; None when it is anything else."""
    parts = payload.split(" ")
    if len(parts) != 2:
        return None
    try:
        return date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
    except ValueError:
        return None


async def used_after_craving(turn: Turn, payload: str) -> None:
    """A craving's "I used" button: thank them for saying so, keep them safe, and offer a
    gentle restart (the craving flow offers it; the restart is this flow's)."""
    craving = await own_craving(turn, payload)
    if craving is None:
        return
    await turn.tx.cravings.set_outcome(craving.id, "used")
    await answer_follow_up(turn, craving, "used")
    await offer_restart(turn)


flows = Flows(
    commands={"relapse": relapse, "history": show_history},
    buttons={
        YES: confirm,
        CANCEL: cancel,
        TELL: tell_supporters,
        NOTE: note_how,
        "craving.used": used_after_craving,
    },
    templates=(T,),
)
