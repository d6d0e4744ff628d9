"""The core: every event, from any platform or timer, takes this one path.

``Core.handle`` opens one transaction, records the event's dedupe key, runs the flow, and commits
the state it changed together with the outbox rows and timers it caused. Nothing the flow did
exists until that commit, and an event seen before has no second effect.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime

from bot.clock import Clock
from bot.domain.danger import DangerWords
from bot.domain.inbound import (
    ButtonPressed,
    CommandIssued,
    Inbound,
    MembershipChanged,
    PrivateChatChanged,
    RolesChanged,
    TimerFired,
)
from bot.domain.model import Community, Person, community_key, person_key
from bot.domain.replies import Template
from bot.flows import Flows, all_flows
from bot.flows.membership import held_roles, membership_changed, roles_changed
from bot.storage import Store, Transaction
from bot.turn import Turn

log = logging.getLogger(__name__)

MAX_NAME = 64
"""Display names are cut to this many characters before they are stored."""


class Core:
    """Handle inbound events through the flows, one transaction each."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        flows: Flows | None = None,
        danger_words: Callable[[str], DangerWords] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._flows = flows or all_flows()
        self._danger_words = danger_words or functools.cache(lambda locale: DangerWords(()))
        self.on_outbox: Callable[[set[str], bool], None] | None = None
        """Called after a commit with the platforms that got new outbox rows, and whether
        timers were added."""

    @property
    def commands(self) -> frozenset[str]:
        return frozenset(self._flows.commands)

    async def handle(self, inbound: Inbound) -> bool:
        """Apply one event; False when it had been handled before (or its timer was gone)."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            if isinstance(inbound, TimerFired):
                if not await tx.take_timer(inbound.timer_id):
                    return False
                turn = Turn(tx, now, danger_words=self._danger_words)
                handler = self._flows.timers.get(inbound.kind)
                if handler is None:
                    log.error("no flow for timer kind %s; dropped", inbound.kind)
                else:
                    await handler(turn, inbound.payload)
            elif isinstance(inbound, CommandIssued | ButtonPressed):
                # Claimed in the same trip as the member is met.
                opened = await self._open_turn(tx, inbound, now)
                if opened is None:
                    log.debug("duplicate inbound ignored")
                    return False
                turn = opened
                if isinstance(inbound, CommandIssued):
                    await self._command(turn, inbound)
                else:
                    await self._button(turn, inbound)
            else:
                # An update the adapter stored on receipt leaves the inbox with its effect.
                if not await tx.claim_inbound(inbound.dedupe_key, now):
                    log.debug("duplicate inbound ignored")
                    return False
                if isinstance(inbound, MembershipChanged):
                    turn = Turn(tx, now, danger_words=self._danger_words)
                    await membership_changed(turn, inbound)
                elif isinstance(inbound, RolesChanged):
                    turn = Turn(tx, now, danger_words=self._danger_words)
                    await roles_changed(turn, inbound)
                else:
                    assert isinstance(inbound, PrivateChatChanged)
                    turn = Turn(tx, now, danger_words=self._danger_words)
                    await tx.set_private_chat(
                        person_key(inbound.platform, inbound.person), inbound.open
                    )
        if (turn.platforms or tx.scheduled) and self.on_outbox is not None:
            self.on_outbox(turn.platforms, tx.scheduled)
        return True

    async def _open_turn(
        self, tx: Transaction, inbound: CommandIssued | ButtonPressed, now: datetime
    ) -> Turn | None:
        """Claim the inbound and meet who sent it, where; None when it was handled before."""
        origin = inbound.origin
        turn = Turn(tx, now, origin, danger_words=self._danger_words)
        name = " ".join(origin.person_name.split())[:MAX_NAME] or origin.person
        here = None
        if origin.community is not None and not origin.private:
            key = community_key(origin.platform, origin.community)
            here = Community(key, origin.platform, origin.community, origin.chat)
        met = await tx.arrive(
            Person(
                person_key(origin.platform, origin.person), origin.platform, origin.person, name
            ),
            here,
            turn.now,
            admin=origin.is_admin,
            # Known open: they can be written to there.
            private_chat=origin.private or origin.private_chat_open,
            claim=inbound.dedupe_key,
        )
        if met is None:
            return None
        turn.person, turn.community = met
        if turn.community is not None and origin.roles is not None:
            await tx.replace_member_roles(
                turn.community.key, turn.person.key, held_roles(origin.roles)
            )
        return turn

    async def _command(self, turn: Turn, command: CommandIssued) -> None:
        name = command.name.lower().lstrip("/")
        handler = self._flows.commands.get(name)
        if handler is None:
            await turn.say(Template.UNKNOWN_COMMAND, {"command": name[:32]})
            return
        log.debug("command %s", name)
        await handler(turn, command.args.strip())

    async def _button(self, turn: Turn, press: ButtonPressed) -> None:
        handler = self._flows.buttons.get(press.action)
        if handler is None:
            await turn.tell_me(Template.BUTTON_UNKNOWN)
            return
        turn.message = press.message
        await handler(turn, press.payload)
