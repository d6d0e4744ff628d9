"""What a flow works with while handling one event: the open transaction and who is asking."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.contexts import Ref
from bot.contexts.core import Who
from bot.domain.danger import DangerWords
from bot.domain.inbound import Origin
from bot.domain.model import Community, Person
from bot.domain.platforms import Capabilities
from bot.domain.replies import Attachment, Button, Mention, Priority, Reply, Target, Template
from bot.domain.zones import UnknownZone, resolve_zone
from bot.storage import Transaction

UTC_ZONE = ZoneInfo("UTC")


def member_zone(person: Person, community: Community | None) -> ZoneInfo:
    """The zone a member's days are counted in: their own, else the community's, else UTC."""
    names = [person.timezone, community.settings.timezone if community else None]
    for name in names:
        if name:
            try:
                return resolve_zone(name)
            except UnknownZone:
                continue
    return UTC_ZONE


@dataclass
class Turn:
    """One event being handled; every write goes through ``tx`` and commits together."""

    tx: Transaction
    now: datetime
    origin: Origin | None = None
    person: Person | None = None
    community: Community | None = None
    message: int | None = None
    """For a button press: the outbox id of the message whose button was pressed."""
    platforms: set[str] = field(default_factory=set)
    """Platforms that got new outbox rows, so their senders can be woken after commit."""
    danger_words: Callable[[str], DangerWords] = field(default=lambda locale: DangerWords(()))
    """The danger phrases of a locale (see ``bot.domain.danger``)."""
    capabilities: Callable[[str], Capabilities] = Capabilities
    """What a platform can do, as its adapter declared it (``bot.domain.platforms``)."""

    @property
    def locale(self) -> str:
        return self.community.settings.locale if self.community else "en"

    @property
    def danger(self) -> DangerWords:
        return self.danger_words(self.locale)

    @property
    def me(self) -> Person:
        """The person who caused this event; flows for commands and buttons always have one."""
        assert self.person is not None, "only commands and buttons have a person"
        return self.person

    @property
    def unseen(self) -> bool:
        """Whether the asking member can be answered in the group, seen by them alone, at no
        cost (an interaction): answers that concern only them then stay theirs."""
        origin = self.origin
        return origin is not None and not origin.private and origin.interaction is not None

    @property
    def who(self) -> Ref:
        """The asking member as templates print or mention them."""
        return self.me.ref

    async def send(
        self,
        reply: Reply,
        *,
        locale: str | None = None,
        about: str | None = None,
        follows: int | None = None,
    ) -> int:
        """Queue ``reply``; ``about`` names the person it concerns, for erasure; ``follows``
        an earlier row it must not overtake."""
        self.platforms.add(reply.target.platform)
        return await self.tx.outbox.enqueue(
            reply, locale or self.locale, self.now, about=about, follows=follows
        )

    async def say(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        private: bool = False,
        public: bool = False,
        buttons: Iterable[Button] = (),
        mentions: Iterable[Mention] = (),
        priority: Priority = Priority.ANSWER,
    ) -> int:
        """Answer the asking member where they asked, or privately.

        A private answer to something typed in a group goes to the member's private chat (or
        their interaction, where the platform can answer there unseen); when it cannot be
        answered unseen, the group gets only a neutral line saying where the answer went.
        Where an answer can be unseen at no cost (``unseen``), every answer is, except those
        the group is meant to read (``public``: a craving's answer, the group's clean time).
        """
        assert self.origin is not None
        origin = self.origin
        context = {"who": self.who, **(context or {})}
        if private or origin.private or (self.unseen and not public):
            target = Target(
                origin.platform,
                chat=None if origin.private else origin.chat,
                person=origin.person,
                interaction=origin.interaction,
            )
            outbox_id = await self.send(
                Reply(template, target, context, tuple(buttons), tuple(mentions), None, priority),
                about=self.me.key,
            )
            if not origin.private and origin.interaction is None:
                # After the private answer was tried: if it could not be delivered, the
                # adapter's line pointing to the private chat says it instead.
                await self.send(
                    Reply(
                        Template.SENT_PRIVATELY,
                        Target(origin.platform, chat=origin.chat),
                        dict(Who(who=self.who)),
                        priority=priority,
                    ),
                    about=self.me.key,
                    follows=outbox_id,
                )
            return outbox_id
        target = Target(origin.platform, chat=origin.chat, interaction=origin.interaction)
        return await self.send(
            Reply(template, target, context, tuple(buttons), tuple(mentions), None, priority),
            about=self.me.key,
        )

    async def withdraw_command(self) -> str | None:
        """Take the member's command off the group, where the platform lets the bot.

        Returns what the group keeps of it, for the answer to say: "removed" (its deletion is
        queued), "visible" (the bot may not delete it), or None (the group never saw it). The
        deletion is about nobody, so that an erasure asked for meanwhile cannot cancel it.
        """
        origin = self.origin
        assert origin is not None
        if origin.private or origin.interaction is not None:
            return None
        if origin.message is None or not origin.can_delete:
            return "visible"
        target = Target(origin.platform, chat=origin.chat, withdraw=origin.message)
        await self.send(Reply("", target))  # nothing to render: the row only deletes
        return "removed"

    async def tell_me(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        buttons: Iterable[Button] = (),
        attachment: Attachment | None = None,
        priority: Priority = Priority.ANSWER,
    ) -> int:
        """Answer the asking member privately, with no line in the group: on their interaction
        where the platform has one (seen at once, by them alone), else in their private chat."""
        origin = self.origin
        assert origin is not None
        target = Target(
            origin.platform,
            chat=None if origin.private else origin.chat,
            person=origin.person,
            interaction=origin.interaction,
        )
        return await self._private(
            self.me, target, template, context, buttons, (), attachment, priority
        )

    async def tell(
        self,
        person: Person,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        buttons: Iterable[Button] = (),
        mentions: Iterable[Mention] = (),
        attachment: Attachment | None = None,
        chat: str | None = None,
        priority: Priority = Priority.ANSWER,
    ) -> int:
        """Send ``person`` a private message, whoever caused this event.

        ``chat`` is the group chat where the adapter may point them to their private chat if
        it cannot reach them there (by default this event's community's announcement chat).
        """
        if chat is None and self.community is not None:
            chat = self.community.announce_chat
        target = Target(person.platform, chat=chat, person=person.platform_id)
        return await self._private(
            person, target, template, context, buttons, mentions, attachment, priority
        )

    async def _private(
        self,
        person: Person,
        target: Target,
        template: str,
        context: Mapping[str, Any] | None,
        buttons: Iterable[Button],
        mentions: Iterable[Mention],
        attachment: Attachment | None,
        priority: Priority,
    ) -> int:
        return await self.send(
            Reply(
                template,
                target,
                {"who": person.ref, **(context or {})},
                tuple(buttons),
                tuple(mentions),
                attachment,
                priority,
            ),
            locale=self.locale,
            about=person.key,
        )

    async def post(
        self,
        community: Community,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        chat: str | None = None,
        buttons: Iterable[Button] = (),
        mentions: Iterable[Mention] = (),
        about: str | None = None,
        priority: Priority = Priority.ANSWER,
    ) -> int:
        """Post in a community's chat (its group chat unless ``chat`` names another).

        A post about an event in that community goes to the chat the member used (a server
        may have many channels; a group is its own chat), on their interaction where they
        have one, so it answers them there.
        """
        origin = self.origin
        here = (
            origin is not None
            and not origin.private
            and chat is None
            and self.community is not None
            and self.community.key == community.key
        )
        return await self.send(
            Reply(
                template,
                Target(
                    community.platform,
                    chat=chat or (origin.chat if here and origin else community.chat),
                    interaction=origin.interaction if here and origin else None,
                ),
                dict(context or {}),
                tuple(buttons),
                tuple(mentions),
                priority=priority,
            ),
            locale=community.settings.locale,
            about=about,
        )

    async def edit(
        self,
        message: int,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        buttons: Iterable[Button] = (),
        mentions: Iterable[Mention] = (),
        about: str | None = None,
        interaction: str | None = None,
        priority: Priority = Priority.ANSWER,
    ) -> int | None:
        """Replace an earlier message's text and buttons in place; None if it is unknown.

        The edit keeps the original's interaction (a private answer there can only be edited
        through it) unless ``interaction``, a fresher one, is given.
        """
        original = await self.tx.outbox.target(message)
        if original is None:
            return None
        target = replace(original, interaction=interaction or original.interaction, edit_of=message)
        return await self.send(
            Reply(
                template,
                target,
                dict(context or {}),
                tuple(buttons),
                tuple(mentions),
                None,
                priority,
            ),
            about=about,
        )

    async def edit_pressed(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        buttons: Iterable[Button] = (),
        priority: Priority = Priority.ANSWER,
    ) -> int | None:
        """Edit the message whose button was pressed, if it was sent privately to the presser.

        Button payloads can be forged, so a press may name any message: only the presser's
        own private messages are theirs to change.
        """
        if self.message is None:
            return None
        original = await self.tx.outbox.target(self.message)
        if original is None or original.person != self.me.platform_id:
            return None
        return await self.edit(
            self.message,
            template,
            {"who": self.who, **(context or {})},
            buttons=buttons,
            about=self.me.key,
            interaction=self.origin.interaction if self.origin is not None else None,
            priority=priority,
        )

    async def reaches_me_privately(self) -> bool:
        """Whether a private answer to the asking member can be read now: they asked
        privately or on an interaction, or their private chat with the bot is open."""
        origin = self.origin
        assert origin is not None
        if origin.private or origin.interaction is not None or origin.private_chat_open:
            return True
        return await self.tx.people.private_chat_open(self.me.key)

    async def home_community(self) -> Community | None:
        """The group this event belongs to: where it happened, else the person's first group."""
        if self.community is not None or self.person is None:
            return self.community
        return await self._first_community(self.person)

    async def zone_of(self, person: Person) -> ZoneInfo:
        """The zone a person sees dates in: their own, else this or their first group's."""
        community = self.community
        if community is None and person.timezone is None:
            community = await self._first_community(person)
        return member_zone(person, community)

    async def _first_community(self, person: Person) -> Community | None:
        for membership in await self.tx.memberships.of(person.key):
            community = await self.tx.communities.get(membership.community)
            if community is not None:
                return community
        return None
