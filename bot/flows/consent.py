"""Consent: nothing about a member's recovery is kept until they say yes.

The first time a member would store recovery data (a clean date, a counter, a contact), they
are asked, privately where the platform allows it, what would be kept and who can see it, with
**Yes, keep it** / **No thanks**. The value waiting to be kept travels in the yes button's
payload, never in a table: a flow that asks names its own keep action and reads the payload back
when it is pressed (see ``ask``). **No thanks** keeps nothing and is not asked again for a week.
Asking for help (``/craving``, ``/call``, ``/resources`` …) is never gated.

``/consent`` shows the answer, ``/consent on`` gives it, ``/consent off`` withdraws it and
erases what it covered, after a confirmation.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from bot.contexts import consent as c
from bot.dispatch import Flows, on_timer
from bot.domain.replies import Button, Priority, fits_in_button
from bot.domain.timers import ConsentNotice
from bot.flows.milestones import reschedule
from bot.turn import Turn

log = logging.getLogger(__name__)

ASK_AGAIN_AFTER = timedelta(days=7)
"""After a "No thanks", a member is not asked again for this long."""
NOTICE = ConsentNotice.kind
NOTICE_BATCH = 200
DECLINE = "consent.no"
ERASE = "consent.erase"
KEEP = "consent.keep"


class T(StrEnum):
    ASK = "consent_ask"
    DECLINED = "consent_declined"
    GIVEN = "consent_given"
    STATUS = "consent_status"
    OFF_CONFIRM = "consent_off_confirm"
    OFF_DONE = "consent_off_done"
    OFF_KEPT = "consent_off_kept"
    NOTICE = "consent_notice"
    LABEL_YES = "label_consent_yes"
    LABEL_NO = "label_consent_no"
    LABEL_ERASE = "label_consent_erase"
    LABEL_KEEP = "label_consent_keep"


async def given(turn: Turn) -> bool:
    """Whether the asking member said yes to keeping their recovery data."""
    consent = await turn.tx.consent.of(await turn.data_key())
    return consent is not None and consent.given_at is not None


async def ask(turn: Turn, what: str, keep_action: str, payload: str) -> None:
    """Ask before keeping ``what`` (a clean date, a contact); a yes presses ``keep_action``.

    ``payload`` is the value to keep, as the keep action reads it; when it is too long for a
    button on every platform it is left out, and the member is asked to send it again after
    saying yes. Within a week of a "No thanks" nothing is asked: the member is reminded that
    nothing is kept, and how to say yes.
    """
    consent = await turn.tx.consent.of(await turn.data_key())
    declined = consent.declined_at if consent is not None else None
    if declined is not None and turn.now - declined < ASK_AGAIN_AFTER:
        await turn.say(T.DECLINED, c.Declined(what=what, again=True), private=True)
        return
    if not fits_in_button(keep_action, payload):
        payload = ""
    await turn.say(
        T.ASK,
        c.Kept(what=what),
        private=True,
        buttons=(
            Button(T.LABEL_YES, keep_action, payload),
            Button(T.LABEL_NO, DECLINE, what),
        ),
    )


async def say_yes(turn: Turn, what: str, *, resend: bool) -> None:
    """Record the member's yes; with ``resend``, ask them to send the value again."""
    await turn.tx.consent.give(await turn.data_key(), turn.now)
    log.info("consent given")
    if resend:
        await turn.tell_me(T.GIVEN, c.Given(what=what, resend=True))


async def decline(turn: Turn, payload: str) -> None:
    """No thanks: keep nothing, and do not ask again for a week."""
    if await given(turn):  # a stale question: the member said yes since
        await turn.tell_me(T.STATUS, await _status(turn))
        return
    await turn.tx.consent.decline(await turn.data_key(), turn.now)
    await turn.tell_me(T.DECLINED, c.Declined(what=payload[:32], again=False))


async def consent(turn: Turn, args: str) -> None:
    """Show, give (``on``) or withdraw (``off``) the member's consent."""
    word = args.strip().lower()
    if word in ("on", "yes"):
        await turn.tx.consent.give(await turn.data_key(), turn.now)
        await turn.say(T.GIVEN, c.Given(what=None, resend=False), private=True)
        return
    if word in ("off", "no", "withdraw"):
        if not await given(turn):
            await turn.say(T.STATUS, await _status(turn), private=True)
            return
        await turn.say(
            T.OFF_CONFIRM,
            private=True,
            buttons=(
                Button(T.LABEL_ERASE, ERASE, turn.me.key),
                Button(T.LABEL_KEEP, KEEP, turn.me.key),
            ),
        )
        return
    await turn.say(T.STATUS, await _status(turn), private=True)


async def erase(turn: Turn, payload: str) -> None:
    """Withdraw consent and erase what it covered; only the member's own button counts."""
    if payload != turn.me.key:
        await turn.tell_me(T.STATUS, await _status(turn))
        return
    if not await given(turn):
        await turn.tell_me(T.OFF_DONE, c.Had(had=False))
        return
    identities = await turn.tx.people.identities(turn.me.key)
    for identity in identities:  # a linked member's other side too: it is one person's yes
        await turn.tx.consent.withdraw(identity.key)
    log.info("consent withdrawn; covered data erased")
    # Milestones announced from the erased dates must not go out: reschedule empties them.
    await reschedule(turn, turn.me)
    await turn.edit_pressed(T.OFF_DONE, c.Had(had=True))
    if turn.message is None:
        await turn.tell_me(T.OFF_DONE, c.Had(had=True))


async def keep(turn: Turn, payload: str) -> None:
    """The member changed their mind about withdrawing: nothing is erased."""
    await turn.tell_me(T.OFF_KEPT)


async def notice(turn: Turn, timer: ConsentNotice) -> None:
    """Tell members whose consent is implied (they had data before Homegroup asked) what is
    kept and how to stop, once each; a batch at a time, then again until all are told."""
    people = await turn.tx.consent.untold_implied(NOTICE_BATCH)
    for person in people:
        sharing = any(m.share for m in await turn.tx.memberships.of(person.key))
        await turn.tell(person, T.NOTICE, c.Notice(sharing=sharing), priority=Priority.BACKGROUND)
        await turn.tx.consent.mark_told(person.key, turn.now)
    if len(people) == NOTICE_BATCH:
        await turn.tx.timers.schedule(
            ConsentNotice(), turn.now, key=f"{NOTICE}:{turn.now.isoformat()}"
        )


async def _status(turn: Turn) -> c.Status:
    found = await turn.tx.consent.of(await turn.data_key())
    zone = await turn.zone_of(turn.me)
    return c.Status(
        given_on=None
        if found is None or found.given_at is None
        else found.given_at.astimezone(zone).date().isoformat(),
        implied=found is not None and found.implied,
        declined=found is not None and found.given_at is None and found.declined_at is not None,
    )


flows = Flows(
    commands={"consent": consent},
    buttons={DECLINE: decline, ERASE: erase, KEEP: keep},
    timers=on_timer(ConsentNotice, notice),
    templates=(T,),
)
