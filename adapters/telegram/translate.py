"""Translate Telegram updates into the core's inbounds; decide nothing else."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from telegram import CallbackQuery, ChatMember, ChatMemberUpdated, Message, MessageEntity, Update

from adapters.inbox import Author
from adapters.legible import legible
from adapters.telegram.platform import PLATFORM as PLATFORM
from bot.domain.commands import words_to_store
from bot.domain.inbound import (
    ButtonPressed,
    CommandIssued,
    MembershipChanged,
    Origin,
    PrivateChatChanged,
)
from bot.domain.replies import Target

GROUP_TYPES = ("group", "supergroup")
PRESENT = (ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER)
SEPARATOR = "|"
"""Between a button's action and payload in ``callback_data`` (64 bytes at most)."""
MAX_CALLBACK_DATA = 64
MAX_NAME = 64
"""Characters of a name a line to its member may print (the core keeps as many)."""


def dedupe_key(update_id: int) -> str:
    """The update's key; zero-padded, so stored updates sort by id (update 10 after 9)."""
    return f"{PLATFORM}:update:{update_id:010d}"


@dataclass(frozen=True, slots=True)
class Command:
    """A command in a message, as the core will want it."""

    name: str
    args: str


def parse_command(message: Message, bot_username: str) -> Command | None:
    """The command a message starts with, if it is for us (``/days@OtherBot`` is not)."""
    text = message.text or ""
    entities = message.entities or ()
    first = entities[0] if entities else None
    if first is None or first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return None
    word = text[1 : first.length]
    name, _, addressee = word.partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return None
    return Command(legible(name.lower()), legible(text[first.length :].strip()))


def origin_of(message: Message, *, is_admin: bool, interaction: str | None = None) -> Origin:
    """Who said it, where; an anonymous admin speaks as the group itself."""
    chat = message.chat
    in_group = chat.type in GROUP_TYPES
    sender_chat = message.sender_chat
    if sender_chat is not None:
        person, name = str(sender_chat.id), sender_chat.title or sender_chat.username or ""
    elif message.from_user is not None:
        person, name = str(message.from_user.id), message.from_user.full_name
    else:
        person, name = str(chat.id), chat.title or ""
    return Origin(
        platform=PLATFORM,
        chat=str(chat.id),
        person=person,
        person_name=legible(name),
        community=str(chat.id) if in_group else None,
        private=chat.type == "private",
        is_admin=is_admin,
        interaction=interaction,
        language=message.from_user.language_code if message.from_user is not None else None,
    )


def is_anonymous_admin(message: Message) -> bool:
    """A message sent by a group admin who posts as the group."""
    return message.sender_chat is not None and message.sender_chat.id == message.chat.id


def command_inbound(
    update: Update, message: Message, command: Command, *, is_admin: bool, can_delete: bool = False
) -> CommandIssued:
    """A command; typed in a group, it names its message, which the bot may delete if
    ``can_delete``."""
    origin = origin_of(message, is_admin=is_admin)
    if origin.community is not None:
        origin = replace(
            origin, message=f"{message.chat.id}:{message.message_id}", can_delete=can_delete
        )
    return CommandIssued(dedupe_key(update.update_id), origin, command.name, command.args)


def storable(update: dict[str, Any]) -> dict[str, Any]:
    """The update as it may be stored: a command typed in a group keeps only the words the
    core allows (``words_to_store``: never a contact, never a private note), with nothing else
    Telegram derived from the rest of its text (entities such as a phone number, a link preview).
    """
    message = update.get("message")
    if not isinstance(message, dict):
        return update
    chat, text, entities = message.get("chat"), message.get("text"), message.get("entities")
    if not isinstance(chat, dict) or chat.get("type") not in GROUP_TYPES:
        return update
    if not isinstance(text, str) or not isinstance(entities, list) or not entities:
        return update
    first = entities[0]
    if not isinstance(first, dict) or first.get("type") != MessageEntity.BOT_COMMAND:
        return update
    length = first.get("length")
    if first.get("offset") != 0 or not isinstance(length, int):
        return update
    # Also a command addressed to another bot: its words are no more ours to keep.
    name = text[1:length].partition("@")[0].lower()
    args = text[length:].strip()
    kept = words_to_store(name, args)
    if kept == args:
        return update
    withheld = {k: v for k, v in message.items() if k not in ("entities", "link_preview_options")}
    withheld["text"] = f"{text[:length]} {kept}".rstrip()
    withheld["entities"] = [first]
    return {**update, "message": withheld}


def author_of(payload: str) -> Author | None:
    """Who sent a stored update that asked something of the bot (a command or a button), read
    from its JSON alone, since it may be the very thing that does not parse; None for anything
    else (a member's chat message, a membership change), which nobody is waiting on."""
    update = json.loads(payload)
    if not isinstance(update, dict):
        return None
    message, query = update.get("message"), update.get("callback_query")
    if isinstance(message, dict):
        text = message.get("text")
        if not isinstance(text, str) or not text.startswith("/"):
            return None
        chat, sender = message.get("chat"), message.get("from")
    elif isinstance(query, dict):
        pressed = query.get("message")
        chat = pressed.get("chat") if isinstance(pressed, dict) else None
        sender = query.get("from")
    else:
        return None
    if not isinstance(chat, dict) or not isinstance(sender, dict) or sender.get("is_bot"):
        return None
    chat_id, person = chat.get("id"), sender.get("id")
    if type(chat_id) is not int or type(person) is not int:
        return None
    name = " ".join(str(sender.get(part) or "") for part in ("first_name", "last_name")).strip()
    if chat.get("type") in GROUP_TYPES:
        target, community = Target(PLATFORM, chat=str(chat_id)), str(chat_id)
    else:
        target, community = Target(PLATFORM, person=str(person)), None
    return Author(target, str(person), legible(name)[:MAX_NAME], community)


def button_data(action: str, payload: str) -> str:
    """Encode a button for ``callback_data``; it must fit Telegram's 64 bytes."""
    data = f"{action}{SEPARATOR}{payload}"
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"button data for {action} is longer than 64 bytes")
    return data


def button_inbound(
    update: Update, query: CallbackQuery, *, message_id: int | None, is_admin: bool
) -> ButtonPressed | None:
    """A button press; None when there is no message or data (e.g. an inline-mode query)."""
    message = query.message
    if not isinstance(message, Message) or not query.data:
        return None
    action, _, payload = legible(query.data).partition(SEPARATOR)
    origin = origin_of(message, is_admin=is_admin)
    presser = query.from_user
    origin = Origin(
        platform=origin.platform,
        chat=origin.chat,
        person=str(presser.id),
        person_name=legible(presser.full_name),
        community=origin.community,
        private=origin.private,
        is_admin=is_admin,
        language=presser.language_code,
    )
    return ButtonPressed(dedupe_key(update.update_id), origin, action, payload, message_id)


def membership_inbound(
    update: Update, change: ChatMemberUpdated
) -> MembershipChanged | PrivateChatChanged | None:
    """A member (or the bot) joined or left a group, or a member blocked or unblocked the bot
    in their private chat (Telegram reports the bot as "kicked" there)."""
    if change.chat.type == "private" and update.my_chat_member is not None:
        return PrivateChatChanged(
            dedupe_key(update.update_id),
            PLATFORM,
            str(change.chat.id),
            open=change.new_chat_member.status != ChatMember.BANNED,
        )
    if change.chat.type not in GROUP_TYPES:
        return None
    was, now = _present(change.old_chat_member), _present(change.new_chat_member)
    if was == now:
        return None
    own = update.my_chat_member is not None
    return MembershipChanged(
        dedupe_key(update.update_id),
        PLATFORM,
        str(change.chat.id),
        None if own else str(change.new_chat_member.user.id),
        present=now,
        chat=str(change.chat.id) if own else None,
    )


def _present(member: ChatMember) -> bool:
    """In the group: a restricted member is in it only while ``is_member`` says so."""
    if member.status == ChatMember.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in PRESENT


def conversations_of(payload: str) -> frozenset[str] | None:
    """The chat and the people a stored update belongs to, read from its JSON alone: updates
    sharing none of them may be handled side by side. None when it names none (or does not
    parse): then it is handled in line with every other."""
    try:
        update = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(update, dict):
        return None
    part = next(
        (update[field] for field in _KINDS if isinstance(update.get(field), dict)),
        None,
    )
    if part is None:
        return None
    pressed = part.get("message")
    chat = part.get("chat") or (pressed.get("chat") if isinstance(pressed, dict) else None)
    member = part.get("new_chat_member")
    people = [part.get("from"), member.get("user") if isinstance(member, dict) else None]
    found = {
        f"person:{p['id']}" for p in people if isinstance(p, dict) and type(p.get("id")) is int
    }
    if isinstance(chat, dict) and type(chat.get("id")) is int:
        found.add(f"chat:{chat['id']}")
    return frozenset(found) or None


_KINDS = ("message", "edited_message", "callback_query", "chat_member", "my_chat_member")
