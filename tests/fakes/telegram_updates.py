"""Builders of the update dicts a test pushes into the fake Bot API.

Each carries every field PTB needs, so ``telegram.Update.de_json`` parses what it returns once
``FakeTelegram.push`` has given it an update_id.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

ANONYMOUS_ADMIN_ID = 1087968824
"""The id of GroupAnonymousBot, the sender of every message an anonymous admin writes."""


def default_bot_user() -> dict[str, Any]:
    """The bot as ``from`` in its own messages; a fresh dict each time, so no test shares it."""
    return {"id": 999, "is_bot": True, "first_name": "Homegroup", "username": "HomegroupBot"}


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le")) // 2


_ids = itertools.count(1)
"""Message and callback ids for incoming updates; unique in a run, which is all a test needs."""


def user(id: int, first_name: str, username: str | None = None) -> dict[str, Any]:
    """A person on Telegram."""
    person: dict[str, Any] = {"id": id, "is_bot": False, "first_name": first_name}
    if username is not None:
        person["username"] = username
    return person


def group(id: int = -1001234567890, title: str = "Sunday Circle") -> dict[str, Any]:
    """A supergroup, as every group with a -100 id is."""
    return {"id": id, "type": "supergroup", "title": title}


def private_chat(person: dict[str, Any]) -> dict[str, Any]:
    """The private chat between the bot and ``person``; its id is theirs."""
    chat = {"id": person["id"], "type": "private", "first_name": person["first_name"]}
    if "username" in person:
        chat["username"] = person["username"]
    return chat


def text_message(chat: dict[str, Any], from_user: dict[str, Any], text: str) -> dict[str, Any]:
    """A message update with plain text."""
    return {
        "message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": from_user,
            "text": text,
        }
    }


def command(chat: dict[str, Any], from_user: dict[str, Any], text: str) -> dict[str, Any]:
    """A message update whose leading ``/word`` (``/craving@HomegroupBot`` too) is a command."""
    update = text_message(chat, from_user, text)
    update["message"]["entities"] = [_command_entity(text)]
    return update


def anonymous_admin_command(chat: dict[str, Any], text: str) -> dict[str, Any]:
    """A command from an anonymous admin: sent by GroupAnonymousBot on behalf of the group."""
    anonymous = {
        "id": ANONYMOUS_ADMIN_ID,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    update = command(chat, anonymous, text)
    update["message"]["sender_chat"] = chat
    return update


def callback(from_user: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
    """A press of an inline button on ``message`` (a message as sendMessage returned it)."""
    return {
        "callback_query": {
            "id": str(next(_ids)),
            "from": from_user,
            "message": message,
            "chat_instance": str(message["chat"]["id"]),
            "data": data,
        }
    }


def member_status(person: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember dict with every field PTB requires for that status."""
    if status == "creator":
        return {"status": status, "user": person, "is_anonymous": False}
    if status == "administrator":
        rights = (
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_change_info",
            "can_invite_users",
            "can_pin_messages",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        )
        return {
            "status": status,
            "user": person,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
            **dict.fromkeys(rights, True),
        }
    if status == "restricted":
        nothing = (
            "can_send_messages",
            "can_send_audios",
            "can_send_documents",
            "can_send_photos",
            "can_send_videos",
            "can_send_video_notes",
            "can_send_voice_notes",
            "can_send_polls",
            "can_send_other_messages",
            "can_add_web_page_previews",
            "can_change_info",
            "can_invite_users",
            "can_pin_messages",
            "can_manage_topics",
            "can_edit_tag",
        )
        return {
            "status": status,
            "user": person,
            "is_member": True,
            "until_date": 0,
            **dict.fromkeys(nothing, False),
        }
    if status == "kicked":
        return {"status": status, "user": person, "until_date": 0}
    if status in ("member", "left"):
        return {"status": status, "user": person}
    raise ValueError(f"unknown chat member status {status!r}")


def chat_member(
    chat: dict[str, Any],
    person: dict[str, Any],
    old_status: str,
    new_status: str,
    *,
    by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A chat_member update: ``person`` joined, left, was promoted...; ``by`` did it (them)."""
    return {
        "chat_member": {
            "chat": chat,
            "from": person if by is None else by,
            "date": int(time.time()),
            "old_chat_member": member_status(person, old_status),
            "new_chat_member": member_status(person, new_status),
        }
    }


def my_chat_member(
    chat: dict[str, Any],
    old_status: str,
    new_status: str,
    *,
    by: dict[str, Any] | None = None,
    bot: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The bot's own status changed: added to a group, blocked in private, made admin.

    ``by`` defaults to the person of a private chat (who blocked or restarted the bot), and to
    an admin called Alex in a group.
    """
    if by is None:
        by = (
            user(chat["id"], chat.get("first_name", "Member"))
            if chat["type"] == "private"
            else user(4242, "Alex")
        )
    update = chat_member(chat, bot or default_bot_user(), old_status, new_status, by=by)
    return {"my_chat_member": update["chat_member"]}


def _command_entity(text: str) -> dict[str, Any]:
    if not text.startswith("/"):
        raise ValueError(f"a command starts with '/': {text!r}")
    word = text.split(maxsplit=1)[0]
    return {"type": "bot_command", "offset": 0, "length": utf16_length(word)}
