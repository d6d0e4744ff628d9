"""``/mydata`` and ``/forgetme``: everything stored about a member, sent or erased.

Recovery status is health data, so a member can always see all of it and have all of it erased.
Erasure deletes the person row, which cascades through every table that refers to them, and
first whatever names them without that key: messages to them, timers, stored updates, other
members' waiting messages (``bot.storage.sql.privacy`` says how each is found). Goodbye
leaves nothing: the final "everything is erased" message is queued after the delete, with no
``person`` on it, so that it still reaches them; its row holds only the address of their private
chat, and a sweep (a timer that knows the row's id, never theirs) deletes it once it has left,
or after an hour of trying.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.contexts import privacy as p
from bot.dispatch import Flows, on_timer
from bot.domain.replies import Attachment, Button, Template
from bot.domain.timers import FarewellSweep
from bot.flows.craving import T as CravingT
from bot.turn import Turn

log = logging.getLogger(__name__)

FILENAME = "homegroup-mydata.json"
ERASE = "privacy.erase"
KEEP = "privacy.keep"
SWEEP_EVERY = timedelta(minutes=1)
"""How soon after it is sent the farewell's row (their private chat's address) goes."""
KEEP_TRYING = timedelta(hours=1)
"""How long the farewell is tried; after that its row goes, delivered or not."""
NOTICES = frozenset({Template.MILESTONE_DIGEST, CravingT.PING})
"""Messages whose point is the people they list: one that listed only the erased member goes."""
RELEASED = frozenset({"claimed_by"})
"""Context keys naming whoever claimed a request; the answer template reads None as unclaimed,
which the erasure makes true."""


class T(StrEnum):
    MYDATA = "mydata"
    FORGETME_CONFIRM = "forgetme_confirm"
    FORGETME_DONE = "forgetme_done"
    FORGETME_CANCELLED = "forgetme_cancelled"
    LABEL_FORGET_YES = "label_forget_yes"
    LABEL_FORGET_CANCEL = "label_forget_cancel"


async def my_data(turn: Turn, args: str) -> None:
    """Send the member, privately, everything stored about them as a JSON file."""
    identities = await turn.tx.people.identities(turn.me.key)
    sections: dict[str, list[dict[str, Any]]] = {}
    for identity in identities:  # a linked member's data is kept once, under one of them
        for section, rows in (await turn.tx.privacy.everything_about(identity)).items():
            kept = sections.setdefault(section, [])
            kept.extend(row for row in rows if row not in kept)
    # Data only: the words that explain the file are in the message it comes with.
    data: dict[str, Any] = {
        "exported_at": turn.now.isoformat(),
        "identities": [identity.key for identity in identities],
        "tables": sections,
    }
    records = sum(len(rows) for rows in sections.values())
    await turn.say(
        T.MYDATA,
        p.MyData(who=turn.who, filename=FILENAME, records=records),
        private=True,
        attachment=Attachment(FILENAME, data),
    )


async def forget_me(turn: Turn, args: str) -> None:
    """Ask, privately, whether to erase everything about the member."""
    in_group = await turn.withdraw_command()
    identities = await turn.tx.people.identities(turn.me.key)
    await turn.say(
        T.FORGETME_CONFIRM,
        p.ForgetMeConfirm(
            typed_in_group=in_group,
            linked=len(identities) > 1,
        ),
        private=True,
        buttons=(
            Button(T.LABEL_FORGET_YES, ERASE, turn.me.key),
            Button(T.LABEL_FORGET_CANCEL, KEEP, turn.me.key),
        ),
    )


async def erase(turn: Turn, payload: str) -> None:
    """Erase every row about the member, then tell them it is done."""
    if payload != turn.me.key:
        await turn.say(Template.BUTTON_UNKNOWN, private=True)
        return
    # Every identity the member linked (/linkme) goes too: they are one person.
    for identity in reversed(await turn.tx.people.identities(turn.me.key)):
        await turn.tx.privacy.erase(identity, notices=NOTICES, released=RELEASED)
    log.info("erased one member's data on their request")
    # Queued after the delete and about nobody, so the erasure cannot take it with it.
    farewell = await turn.farewell(T.FORGETME_DONE)
    until = turn.now + KEEP_TRYING
    await turn.tx.timers.schedule(FarewellSweep(farewell, until), turn.now + SWEEP_EVERY)


async def sweep(turn: Turn, timer: FarewellSweep) -> None:
    """Delete the farewell's row once it has left, or once an hour of trying is up."""
    if turn.now < timer.until and await turn.tx.privacy.farewell_waiting(timer.outbox):
        await turn.tx.timers.schedule(timer, min(turn.now + SWEEP_EVERY, timer.until))
        return
    await turn.tx.privacy.drop_farewell(timer.outbox, T.FORGETME_DONE)


async def keep(turn: Turn, payload: str) -> None:
    """Erase nothing."""
    if turn.message is not None and await turn.tx.outbox.target(turn.message) is None:
        # The question went with an erasure already: there is nothing left to keep.
        await turn.say(Template.BUTTON_UNKNOWN, private=True)
        return
    if await turn.edit_pressed(T.FORGETME_CANCELLED) is None:
        await turn.say(T.FORGETME_CANCELLED, private=True)


flows = Flows(
    commands={"mydata": my_data, "forgetme": forget_me},
    buttons={ERASE: erase, KEEP: keep},
    timers=on_timer(FarewellSweep, sweep),
    templates=(T,),
)
