"""Daily housekeeping: forget what no longer needs keeping.

Sent messages keep only their platform id (for edits) and whom they concerned; after a week
even that goes, since "a relapse answer went to this person" is itself health data. Dedupe
keys go after a week too: no platform redelivers an update that late. Updates set aside
after failing too often hold what a member wrote, so they go after ``KEEP_SET_ASIDE``.
Linking codes that expired, and wrong codes too old to be part of a lockout still running
(``LOOKBACK``), are of no use any more.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.dispatch import Flows, on_timer
from bot.domain.linking import LOOKBACK
from bot.domain.timers import Housekeeping
from bot.storage import Transaction
from bot.turn import Turn

log = logging.getLogger(__name__)

HOUSEKEEPING = Housekeeping.kind
EVERY = timedelta(days=1)
KEEP = timedelta(days=7)
KEEP_SET_ASIDE = timedelta(days=30)
"""How long a set-aside update is kept: long enough for an operator to notice the count and
look into why it failed, short enough that a member's words are not kept for good."""


async def arm(tx: Transaction, now: datetime) -> None:
    """Make sure the daily run exists (a keyed timer: arming twice changes nothing)."""
    await tx.timers.schedule(Housekeeping(), now + EVERY, key=HOUSEKEEPING)


async def run(turn: Turn, timer: Housekeeping) -> None:
    """Prune old sent messages, dedupe keys, set-aside updates and linking codes and tries,
    then arm the next run."""
    cutoff = turn.now - KEEP
    messages = await turn.tx.outbox.forget_before(cutoff)
    keys = await turn.tx.inbox.forget_handled_before(cutoff)
    set_aside = await turn.tx.inbox.forget_set_aside_before(turn.now - KEEP_SET_ASIDE)
    linking = await turn.tx.links.forget_before(turn.now - LOOKBACK)
    log.info(
        "housekeeping: forgot %d old messages, %d dedupe keys, %d set-aside updates"
        " and %d linking codes and wrong tries",
        messages,
        keys,
        set_aside,
        linking,
    )
    await arm(turn.tx, turn.now)


flows = Flows(timers=on_timer(Housekeeping, run))
