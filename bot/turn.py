"""What a flow works with while handling one event: the open transaction and who is asking."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from bot.addressing import NOTICE, Asker, Intent, Letter, Post, Reach, Scene, address
from bot.contexts import Ref
from bot.contexts.core import Who
from bot.domain.danger import DangerWords
from bot.domain.inbound import Origin
from bot.domain.model import Community, Person, person_key
from bot.domain.platforms import Capabilities
from bot.domain.replies import Attachment, Button, Mention, Priority, Reply, RoleGrant, Target
from bot.domain.zones import UnknownZone, resolve_zone
from bot.language import DEFAULT_LOCALE, available_locales, known_locale
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


class Extras(TypedDict, total=False):
    """What a message may carry besides its template and context, however a turn sends it."""

    buttons: Iterable[Button]
    mentions: Iterable[Mention]
    """The people it may notify, and nobody else."""
    priority: Priority


@dataclass(slots=True)
class Outgoing:
    """What a turn, and every turn scoped from it, queued.

    The one mutable part of a turn, shared on purpose: a flow answers through whichever scoped
    turn it holds, while the core reads, once and from the turn it opened, which platforms got
    rows, to wake their senders after the commit.
    """

    platforms: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Turn:
    """One event being handled; every write goes through ``tx`` and commits together.

    A turn never changes: ``scoped`` gives a turn for another community or person, so that the
    locale and where replies go change only where a flow says so, in the turn it goes on with.
    """

    tx: Transaction
    now: datetime
    origin: Origin | None = None
    person: Person | None = None
    community: Community | None = None
    message: int | None = None
    """For a button press: the outbox id of the message whose button was pressed."""
    danger_words: Callable[[], DangerWords] = field(default=lambda: DangerWords(()))
    """The danger phrases of every language the bot has (see ``bot.domain.danger``)."""
    capabilities: Callable[[str], Capabilities] = Capabilities
    """What a platform can do, as its adapter declared it (``bot.domain.platforms``)."""
    outgoing: Outgoing = field(default_factory=Outgoing)

    def scoped(self, *, community: Community | None = None, person: Person | None = None) -> Turn:
        """This turn for ``community`` or ``person`` (None keeps this turn's)."""
        return replace(
            self,
            community=self.community if community is None else community,
            person=self.person if person is None else person,
        )

    @property
    def platforms(self) -> set[str]:
        """Platforms that got new outbox rows, so their senders can be woken after commit."""
        return self.outgoing.platforms

    @property
    def locale(self) -> str:
        """The group's language: what it reads, and what its members' private answers fall
        back to."""
        return self.community.settings.locale if self.community else DEFAULT_LOCALE

    @property
    def danger(self) -> DangerWords:
        """Danger is heard in every language the bot has, whatever the group's: a member may
        write in their own."""
        return self.danger_words()

    async def date_locales(self) -> tuple[str, ...]:
        """The languages a date the asking member typed is read in: theirs, then their
        group's, then English, the bot's default ("today" reads anywhere)."""
        return tuple(dict.fromkeys((await self.locale_of(self.me), self.locale, DEFAULT_LOCALE)))

    async def locale_of(self, person: Person) -> str:
        """The language a private message to ``person`` is written in: the one they chose,
        else their group's, else their app's (when they caused this event), else English."""
        if person.locale in available_locales():
            return person.locale
        community = self.community or await self._first_community(person)
        if community is not None:
            return community.settings.locale
        origin = self.origin
        if origin is not None and (origin.platform, origin.person) == (
            person.platform,
            person.platform_id,
        ):
            return known_locale(origin.language) or DEFAULT_LOCALE
        return DEFAULT_LOCALE

    async def data_key(self, person: Person | None = None) -> str:
        """The key a person's own data (clean dates, history, contact, consent) is kept under:
        that of the identity they linked their others to (``/linkme``), else their own; the
        asking member's unless ``person`` is given. A member linked on two platforms is one
        person from either."""
        return await self.tx.people.principal((person or self.me).key)

    @property
    def me(self) -> Person:
        """The person who caused this event; flows for commands and buttons always have one."""
        assert self.person is not None, "only commands and buttons have a person"
        return self.person

    @property
    def scene(self) -> Scene:
        """What decides where this event's answers go (see ``bot.addressing``)."""
        origin, person, community = self.origin, self.person, self.community
        asker = None
        if origin is not None and person is not None:
            asker = Asker(
                origin.platform,
                origin.chat,
                origin.person,
                person.key,
                private=origin.private,
                interaction=origin.interaction,
            )
        if community is None:
            return Scene(asker)
        return Scene(asker, community.announce_chat, community.key)

    @property
    def unseen(self) -> bool:
        """Whether the asking member can be answered in the group, seen by them alone, at no
        cost (an interaction): answers that concern only them then stay theirs."""
        asker = self.scene.asker
        return asker is not None and asker.unseen

    @property
    def in_the_open(self) -> bool:
        """Whether the asking member typed in a group that read it and would read any answer
        there (see ``Asker.in_the_open``): what they typed must not be kept or repeated."""
        asker = self.scene.asker
        return asker is not None and asker.in_the_open

    @property
    def who(self) -> Ref:
        """The asking member as templates print or mention them."""
        return self.me.ref

    async def say(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        private: bool = False,
        public: bool = False,
        attachment: Attachment | None = None,
        **extras: Unpack[Extras],
    ) -> int:
        """Answer the asking member where they asked, or privately (``Reach`` says who sees it).

        Where an answer can be unseen at no cost (``unseen``), every answer is, except those
        the group is meant to read (``public``: a craving's answer, the group's clean time).
        """
        reach = Reach.PRIVATE if private else Reach.PUBLIC if public else Reach.HERE
        return await self._answer(reach, self.who, template, context, extras, attachment)

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
        await self._queue(Reply("", target))  # nothing to render: the row only deletes
        return "removed"

    async def tell_me(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        attachment: Attachment | None = None,
        **extras: Unpack[Extras],
    ) -> int:
        """Answer the asking member privately, with no line in the group: on their interaction
        where the platform has one (seen at once, by them alone), else in their private chat."""
        return await self._answer(Reach.ALONE, self.who, template, context, extras, attachment)

    async def tell(
        self,
        person: Person,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        chat: str | None = None,
        traceless: bool = False,
        about: str | None = None,
        attachment: Attachment | None = None,
        **extras: Unpack[Extras],
    ) -> int:
        """Send ``person`` a private message, whoever caused this event.

        ``chat`` is the group chat where the adapter may point them to their private chat if
        it cannot reach them there (by default this event's community's announcement chat;
        none if ``traceless``). ``about`` names whom the message is about, when not ``person``.
        """
        letter = Letter(person, chat, traceless, about)
        return await self._answer(letter, person.ref, template, context, extras, attachment)

    async def farewell(self, template: str) -> int:
        """Answer the asking member, just erased, privately in a row naming nobody (see
        ``Reach.FAREWELL``); returns its outbox id, for the sweep that deletes it."""
        return await self._answer(Reach.FAREWELL, None, template, None, {})

    async def _answer(
        self,
        intent: Intent,
        who: Ref | None,
        template: str,
        context: Mapping[str, Any] | None,
        extras: Extras,
        attachment: Attachment | None = None,
        locale: str | None = None,
    ) -> int:
        """Queue an answer on every row ``address`` gives; ``who`` is its reader as templates
        print them. Returns the answer's outbox id."""
        answer: int | None = None
        reader = intent.person if isinstance(intent, Letter) else self.person
        for row in address(self.scene, intent):
            language = locale
            if row.target.private and reader is not None and not row.notice:
                language = await self.locale_of(reader)
            if row.notice:
                assert who is not None, "only an answer to the asking member has a notice"
                priority = extras.get("priority", Priority.ANSWER)
                reply = Reply(NOTICE, row.target, dict(Who(who=who)), priority=priority)
            else:
                said = {"who": who, **(context or {})} if who is not None else context or {}
                reply = _reply(template, row.target, said, extras, attachment)
            queued = await self._queue(reply, locale=language, about=row.about, follows=answer)
            answer = queued if answer is None else answer
        assert answer is not None, "every intent comes to a row"
        return answer

    async def post(
        self,
        community: Community,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        chat: str | None = None,
        grant: RoleGrant | None = None,
        about: str | None = None,
        **extras: Unpack[Extras],
    ) -> int:
        """Post in a community's chat (its group chat unless ``chat`` names another), in its
        language; ``Post`` and ``address`` say where. With ``grant`` the adapter gives that
        role instead, and posts only if it cannot (saying why, for the admins to fix)."""
        post = Post(community, chat, grant, about)
        locale = community.settings.locale
        return await self._answer(post, None, template, context, extras, locale=locale)

    async def edit(
        self,
        message: int,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        about: str | None = None,
        interaction: str | None = None,
        **extras: Unpack[Extras],
    ) -> int | None:
        """Replace an earlier message's text and buttons in place; None if it is unknown.

        The edit keeps the original's interaction (a private answer there can only be edited
        through it) unless ``interaction``, a fresher one, is given.
        """
        original = await self.tx.outbox.target(message)
        if original is None:
            return None
        target = replace(original, interaction=interaction or original.interaction, edit_of=message)
        locale = None
        if target.person is not None:  # a private message: its reader's language
            reader = await self.tx.people.get(person_key(target.platform, target.person))
            locale = None if reader is None else await self.locale_of(reader)
        reply = _reply(template, target, context or {}, extras)
        return await self._queue(reply, locale=locale, about=about)

    async def edit_pressed(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        **extras: Unpack[Extras],
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
            about=self.me.key,
            interaction=self.origin.interaction if self.origin is not None else None,
            **extras,
        )

    async def _queue(
        self,
        reply: Reply,
        *,
        locale: str | None = None,
        about: str | None = None,
        follows: int | None = None,
    ) -> int:
        """Queue ``reply``; ``about`` names the person it concerns, for erasure; ``follows``
        an earlier row it must not overtake."""
        self.outgoing.platforms.add(reply.target.platform)
        return await self.tx.outbox.enqueue(
            reply, locale or self.locale, self.now, about=about, follows=follows
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


def _reply(
    template: str,
    target: Target,
    context: Mapping[str, Any],
    extras: Extras,
    attachment: Attachment | None = None,
) -> Reply:
    return Reply(
        template,
        target,
        dict(context),
        tuple(extras.get("buttons", ())),
        tuple(extras.get("mentions", ())),
        attachment,
        extras.get("priority", Priority.ANSWER),
    )
