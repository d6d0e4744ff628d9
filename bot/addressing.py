"""Where an answer goes, and who may read it: one pure function of the event and the intent.

Every rule that decides whether a group can see an answer lives in ``address``, so that it can
be tested on its own (``tests/core/test_addressing.py``) instead of through every flow that answers:
a private answer never reaches a target the group can read; asked in a group where nothing can
be unseen, the group gets at most one neutral line saying where the answer went; a public
answer is seen where it was asked; and every row of an answer or a letter names the person it
is about, so that their erasure finds it. A post in a community's chat is addressed here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.domain.model import Community, Person
from bot.domain.replies import RoleGrant, Target, Template

NOTICE = Template.SENT_PRIVATELY
"""The neutral group line saying an answer went privately; it carries only whom it went to."""


class Reach(Enum):
    """Who may see an answer to the member who caused the event."""

    HERE = "here"
    """Where they asked; unseen by the group where that costs nothing (an interaction)."""
    PUBLIC = "public"
    """Where they asked, for the group to read (a craving's answer, the group's clean time)."""
    PRIVATE = "private"
    """Them alone; asked in a group where nothing can be unseen, the group is told only that
    an answer went to them privately."""
    ALONE = "alone"
    """Them alone, with no line in the group: on their interaction where the platform has one,
    else in their private chat."""
    FAREWELL = "farewell"
    """Them alone, in a row that names nobody and no group: it confirms their erasure, so it
    must neither be taken by it nor keep anything of theirs but the address to reach them."""


@dataclass(frozen=True, slots=True)
class Letter:
    """A private message to ``person``, whoever caused the event."""

    person: Person
    chat: str | None = None
    """The group chat where the adapter may point them to their private chat if it cannot
    reach them there; None: the scene's ``fallback``."""
    traceless: bool = False
    """Nothing of it may show in any group, not even a line pointing them to their private
    chat (a volunteer asked for a private call request)."""
    about: str | None = None
    """The person key the message is about, when not the person written to."""


@dataclass(frozen=True, slots=True)
class Post:
    """A message in a community's chat, for the group to read."""

    community: Community
    chat: str | None = None
    """Another of the community's chats (its announcement chat); None: its group chat, or the
    chat the member used when the event happened in that community."""
    grant: RoleGrant | None = None
    """A role for the adapter to give; it posts only if it cannot (saying why)."""
    about: str | None = None
    """The person key the post is about, if any (a celebration, a request for a call)."""


Intent = Reach | Letter | Post


@dataclass(frozen=True, slots=True)
class Asker:
    """The member who caused the event and where: all an answer to them needs."""

    platform: str
    chat: str
    person: str
    """Their id on the platform."""
    key: str
    """Their person key, named on every row about them so that their erasure finds it."""
    private: bool = False
    """They asked in their private chat with the bot."""
    interaction: str | None = None
    """A token the platform answers on (an interaction), seen by them alone when the answer
    is private."""

    @property
    def unseen(self) -> bool:
        """Whether they asked in a group where the platform can answer them unseen by it."""
        return not self.private and self.interaction is not None

    @property
    def in_the_open(self) -> bool:
        """Whether they asked in a group that read what they typed and will read any answer
        given there: nothing can answer them unseen."""
        return not self.private and self.interaction is None


@dataclass(frozen=True, slots=True)
class Scene:
    """The facts of an event that decide where its answers go."""

    asker: Asker | None = None
    """Who caused the event; None for a timer, which has nobody to answer."""
    fallback: str | None = None
    """The announcement chat of the event's community: where a letter that cannot reach its
    reader privately may point them to their private chat."""
    community: str | None = None
    """The key of the community the event belongs to: a post there answers where the member
    asked."""


@dataclass(frozen=True, slots=True)
class Row:
    """One outbox row an intent comes to."""

    target: Target
    about: str | None
    """The person key the row is about (None only for a farewell, or a post about nobody)."""
    notice: bool = False
    """The row is the neutral ``NOTICE``, not the answer: it never carries the answer's
    template or context, and must not overtake the answer before it."""


def address(scene: Scene, intent: Intent) -> tuple[Row, ...]:
    """The rows an answer with ``intent`` comes to, the answer's first."""
    if isinstance(intent, Letter):
        person = intent.person
        chat = intent.chat if intent.chat is not None else scene.fallback
        if intent.traceless:
            chat = None
        target = Target(person.platform, chat=chat, person=person.platform_id)
        return (Row(target, intent.about or person.key),)
    asker = scene.asker
    if isinstance(intent, Post):
        return (_post(intent, asker, scene.community),)
    if asker is None:
        raise ValueError("only an event a member caused has someone to answer")
    if intent is Reach.FAREWELL:
        target = Target(asker.platform, person=asker.person, interaction=asker.interaction)
        return (Row(target, None),)
    privately = Row(
        Target(
            asker.platform,
            chat=None if asker.private else asker.chat,
            person=asker.person,
            interaction=asker.interaction,
        ),
        asker.key,
    )
    if intent is Reach.ALONE or asker.private or (intent is Reach.HERE and asker.unseen):
        return (privately,)
    if intent is Reach.PRIVATE and asker.in_the_open:
        notice = Row(Target(asker.platform, chat=asker.chat), asker.key, notice=True)
        return (privately, notice)
    if intent is Reach.PRIVATE:
        return (privately,)
    return (Row(Target(asker.platform, chat=asker.chat, interaction=asker.interaction), asker.key),)


def _post(post: Post, asker: Asker | None, here: str | None) -> Row:
    """A post about an event in its community goes to the chat the member used (a server may
    have many channels; a group is its own chat), on their interaction where they have one, so
    that it answers them there."""
    community = post.community
    chat, interaction = post.chat or community.chat, None
    if asker is not None and not asker.private and post.chat is None and here == community.key:
        chat, interaction = asker.chat, asker.interaction
    target = Target(community.platform, chat=chat, interaction=interaction, grant=post.grant)
    return Row(target, post.about)
