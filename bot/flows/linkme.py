"""``/linkme`` and ``/unlinkme``: one member's identities on two platforms, as one person.

``/linkme`` on one platform gives a one-time code, shown privately; ``/linkme CODE``, sent
privately on the other platform, links the two. Nobody is linked by name or by guess: only the
code, which only the member saw, joins them. The identity that issued the code becomes the
principal: the person's own data (clean dates, history, contact, consent; zone, language and
supporter hours are written to every identity) is kept under its key, and the other's is merged
into it. Where both held a different date for one count, the other's stays under its own key,
pending, until the member chooses which to keep: nothing is decided for them, and a process
that dies in between loses nothing (the rows are the question; ``/linkme`` asks it again).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from enum import StrEnum

from bot.contexts import linkme as ctx
from bot.dispatch import Flows
from bot.domain.linking import CODE_TTL, LOCKOUT, normalize, shown
from bot.domain.model import Counter
from bot.domain.replies import Button, Template, fits_in_button
from bot.flows import codes
from bot.flows.cleantime import payload_day
from bot.flows.milestones import reschedule
from bot.turn import Turn

log = logging.getLogger(__name__)

KIND = "person"
KEEP = "linkme.keep"


class T(StrEnum):
    CODE = "linkme_code"
    BAD_CODE = "linkme_bad_code"
    LOCKED = "linkme_locked"
    IN_THE_OPEN = "linkme_in_the_open"
    OWN_CODE = "linkme_own_code"
    ANONYMOUS = "linkme_anonymous"
    LINKED = "linkme_linked"
    ALREADY = "linkme_already"
    CHOOSE = "linkme_choose"
    CHOSEN = "linkme_chosen"
    UNLINKED = "unlinkme_done"
    NOT_LINKED = "unlinkme_not_linked"
    LABEL_KEEP_FIRST = "label_linkme_keep_first"
    LABEL_KEEP_SECOND = "label_linkme_keep_second"


async def link_me(turn: Turn, args: str) -> None:
    """Give a code (no argument), or link with the code typed on the other platform."""
    in_group = await turn.withdraw_command()
    if args and turn.in_the_open:
        await _burn(turn, args, in_group)
        return
    if not args:
        await _issue(turn)
        return
    await _redeem(turn, args)


async def _issue(turn: Turn) -> None:
    if codes.as_the_group(turn):
        await turn.say(T.ANONYMOUS)
        return
    identities = await turn.tx.people.identities(turn.me.key)
    if len(identities) > 1:
        await _already(turn)
        return
    code = await codes.issue(turn, KIND, turn.me.key)
    minutes = codes.minutes(CODE_TTL)
    await turn.say(T.CODE, ctx.Code(code=shown(code), minutes=minutes), private=True)


async def _burn(turn: Turn, typed: str, in_group: str | None) -> None:
    """A code typed where a group reads it is spent unused: whoever saw it could link
    themselves to its owner's data with it."""
    await codes.redeem(turn, KIND, typed)
    await turn.say(T.IN_THE_OPEN, ctx.InTheOpen(typed_in_group=in_group), private=True)


async def _redeem(turn: Turn, typed: str) -> None:
    """Link the asking identity to the one that issued the code, if the code is good.

    A wrong, expired or used code gets one answer, which never tells whether it existed, and
    counts against the member; ``MAX_FAILURES`` of them within ``LOCKOUT`` refuse even a good
    one for ``LOCKOUT`` from the last.
    """
    me = turn.me
    if await codes.locked_out(turn, [me.key]):
        await turn.say(T.LOCKED, ctx.Locked(minutes=codes.minutes(LOCKOUT)), private=True)
        return
    found = await codes.redeem(turn, KIND, typed)
    issuer = None if found is None else await turn.tx.people.get(found.issued_by)
    if found is not None and issuer is not None and issuer.key == me.key:
        # The member's own code, typed on the platform that gave it: it stays good.
        code = normalize(typed)
        assert code is not None
        await codes.give_back(turn, found)
        await turn.say(T.OWN_CODE, ctx.OwnCode(code=shown(code)), private=True)
        return
    if found is None or issuer is None or issuer.platform == me.platform:
        await codes.wrong(turn, [me.key])
        log.info("a wrong, expired or used person link code")
        await turn.say(T.BAD_CODE, private=True)
        return
    mine, theirs = (
        await turn.tx.people.identities(me.key),
        await turn.tx.people.identities(issuer.key),
    )
    if len(mine) > 1 or len(theirs) > 1:
        await _already(turn)
        return
    # One contact stays (the principal's): the member hears which, rather than miss the other.
    kept, other = await turn.tx.contacts.of(issuer.key), await turn.tx.contacts.of(me.key)
    contact = kept if kept and other and kept != other else None
    await turn.tx.people.merge_data(me.key, issuer.key)
    await turn.tx.people.link(me.key, issuer.key, turn.now)
    log.info("two identities of one member linked")
    await reschedule(turn, me)  # every identity's groups, from the one date and zone
    await turn.say(T.LINKED, ctx.Linked(contact_kept=contact, kept_here=False), private=True)
    linked = ctx.Linked(contact_kept=contact, kept_here=True)
    await turn.tell(issuer, T.LINKED, linked, traceless=True)
    await _ask_pending(turn)


async def _already(turn: Turn) -> None:
    await turn.say(T.ALREADY, private=True)
    await _ask_pending(turn)


async def _ask_pending(turn: Turn) -> None:
    """Ask, for each count both sides held with different dates, which date to keep."""
    principal = await turn.data_key()
    kept = {c.name: c for c in await turn.tx.counters.of(principal)}
    for identity in await turn.tx.people.identities(turn.me.key):
        if identity.key == principal:
            continue
        for pending in await turn.tx.counters.of(identity.key):
            current = kept.get(pending.name)
            if current is None or current.clean_since == pending.clean_since:
                await _settle(turn, principal, pending.name, pending.clean_since)
                continue
            await turn.say(
                T.CHOOSE,
                ctx.Choose(
                    counter=pending.name,
                    first=current.clean_since.isoformat(),
                    second=pending.clean_since.isoformat(),
                    first_here=principal == turn.me.key,
                ),
                private=True,
                buttons=(
                    Button(T.LABEL_KEEP_FIRST, KEEP, _payload(current)),
                    Button(T.LABEL_KEEP_SECOND, KEEP, _payload(pending)),
                ),
            )


def _payload(counter: Counter) -> str:
    """The date a button keeps, and the count: by name, or by a tag of it where the name is
    too long for a button on every platform."""
    payload = f"{counter.clean_since:%Y%m%d}:{counter.name}"
    return payload if fits_in_button(KEEP, payload) else f"{payload[:9]}#{_tag(counter.name)}"


def _tag(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def _named(counter: Counter, named: str) -> bool:
    """Whether a button's count (a name, or ``#`` and its tag) is ``counter``."""
    return counter.name == named or named == f"#{_tag(counter.name)}"


async def keep(turn: Turn, payload: str) -> None:
    """One of the two dates was chosen: keep it, and let the other go.

    The payload may be forged, so it counts only when its date is one of the two the member
    holds for that count now; otherwise (or once chosen) nothing changes.
    """
    day, named = payload[:8], payload[9:]
    # No upper bound here: a pending date set in a zone ahead of the kept one may be its
    # tomorrow; only a date the member holds for the count passes the check below.
    chosen = payload_day(day, date.max)
    principal = await turn.data_key()
    held = [c for c in await turn.tx.counters.of(principal) if _named(c, named)]
    pending = [
        c
        for identity in await turn.tx.people.identities(turn.me.key)
        if identity.key != principal
        for c in await turn.tx.counters.of(identity.key)
        if _named(c, named)
    ]
    if chosen is None or not pending or chosen not in {c.clean_since for c in held + pending}:
        await turn.tell_me(Template.BUTTON_UNKNOWN)
        return
    name = pending[0].name
    await _settle(turn, principal, name, chosen)
    await reschedule(turn, turn.me)
    chosen_ctx = ctx.Chosen(counter=name, since=chosen.isoformat())
    if await turn.edit_pressed(T.CHOSEN, chosen_ctx) is None:
        await turn.tell_me(T.CHOSEN, chosen_ctx)


async def _settle(turn: Turn, principal: str, name: str, since: date) -> None:
    """Make ``since`` the person's date for the count ``name``; the pending ones go."""
    await turn.tx.counters.set(principal, name, since, turn.now)
    for identity in await turn.tx.people.identities(turn.me.key):
        if identity.key != principal:
            await turn.tx.counters.remove(identity.key, name)


async def unlink_me(turn: Turn, args: str) -> None:
    """Split the member's identities again: each keeps a copy of the person's data."""
    await turn.withdraw_command()
    identities = await turn.tx.people.identities(turn.me.key)
    if len(identities) < 2:
        await turn.say(T.NOT_LINKED, private=True)
        return
    principal = await turn.data_key()
    for identity in identities:
        if identity.key != principal:
            await turn.tx.people.copy_data(principal, identity.key)
            await turn.tx.people.unlink(identity.key)
    log.info("a member's identities unlinked")
    for identity in identities:
        await reschedule(turn, identity)
    await turn.say(T.UNLINKED, private=True)
    for identity in identities:
        if identity.key != turn.me.key:
            await turn.tell(identity, T.UNLINKED, traceless=True)


flows = Flows(
    commands={"linkme": link_me, "unlinkme": unlink_me},
    buttons={KEEP: keep},
    templates=(T,),
)
