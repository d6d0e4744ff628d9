"""Who a stored value names, and how an erasure takes them out: the rules every backend
follows for ``/mydata`` and ``/forgetme``.

Every row that is a person's own carries their key (``PERSON_COLUMNS``) and goes with them; a
claim of theirs on someone else's request becomes nobody's. What names them without that key is
found and dealt with first, so that afterwards no row names them at all:

- **Messages to them** (an outbox row addressed to their private chat, sent or not, queued with
  no ``person``, such as an edit): deleted.
- **Timers** whose payload holds their key or platform id, or whose key holds their key:
  deleted.
- **Stored updates** (the inbox: updates kept on receipt, and updates set aside after failing):
  a platform's update is JSON in which a person appears as an object with their ``id`` (such
  as the sender ``from``, a private ``chat``, the ``user`` of a member change, the author
  of a quoted message), or a ``user_id``. Every stored update of their platform that holds
  their platform id there is deleted, whoever sent it: it is a copy of what the platform said,
  never handled yet, and kept for nothing else.
- **Dedupe keys** of handled events are opaque platform ids (an update, an interaction) and
  expire by age, so they stay; but a key made from a platform event with no id of its own
  embeds the member's platform id (such as ``PLATFORM:left:GUILD:USER:…``), and those go.
- **Other members' messages still waiting to be sent** that name them (their ``id`` in a
  person reference, their mention, their name or key as a bare value, their key in a button):
  - where they are one of several people listed (a ping list, a digest, the supporters a
    craving answer asked), their entry and their mention are dropped, and the message goes
    out to the rest; a message whose point is the people it lists (``notices``: a group's ping,
    a milestone digest) and that listed only them is deleted, since it is for nobody now;
  - where they stand alone as the one who claimed a request (``released``: a craving answer's
    ``claimed_by``), that becomes nobody: the erasure released their claim, so the
    answer goes out as unclaimed, with its **I'm here**, and still says
    whatever else it had to say (the emergency number, when it turned urgent); their name as
    a bare value (the claimer a "covered" answer names in plain text) becomes nobody too, which
    such an answer reads as "someone";
  - where the message is otherwise about something they did or asked (a member told "Ana is on
    the way" or "Ana will call you", a group told "Ana is calling Sam", a hand-over of a contact
    to them, a ping to someone else about their craving), it is deleted. The erasure undoes what
    it tells: their claim is released and their request is gone, so the group's message, as
    last sent, still offers its button to the others.
  Rewriting their name instead ("someone is on it") would tell members something no longer
  true. Messages already sent keep no text (``mark_sent`` clears their context, mentions and
  buttons), only where they went, which never names a third person.

What a member wrote into another member's own words (a note that names them) is that member's,
and stays theirs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.domain.model import Person

PERSON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("counters", "person"),
    ("memberships", "person"),
    ("announcements", "person"),
    ("supporters", "person"),
    ("supporter_pings", "person"),
    ("cravings", "person"),
    ("cravings", "claimed_by"),
    ("craving_pings", "person"),
    ("call_requests", "person"),
    ("call_requests", "claimed_by"),
    ("call_pings", "person"),
    ("contacts", "person"),
    ("consents", "person"),
    ("restarts", "person"),
    ("meeting_reminders", "person"),
    ("member_roles", "person"),
    ("link_codes", "issued_by"),
    ("link_failures", "person"),
    ("person_links", "person"),
    ("person_links", "principal"),
    ("timers", "person"),
    ("outbox", "person"),
)
"""Each (table, column) that refers to a person: a section of ``/mydata`` each."""

SECTIONS: dict[tuple[str, str], str] = {
    (table, column): table if column == "person" else f"{table}_{column}"
    for table, column in PERSON_COLUMNS
}
"""The name of each (table, column)'s section in the ``/mydata`` file."""

USER_ID_FIELDS = ("id", "user_id")
"""Where a platform's update JSON holds a person's id (a user or private-chat object's ``id``)."""


def holds(value: Any, texts: Collection[str]) -> bool:
    """Whether a timer payload holds one of ``texts`` as any of its values."""
    if isinstance(value, dict):
        return any(holds(v, texts) for v in value.values())
    if isinstance(value, list):
        return any(holds(v, texts) for v in value)
    return isinstance(value, str) and value in texts


def payload_holds(payload: str, texts: Collection[str]) -> bool:
    """Whether a stored timer payload holds one of ``texts``. One that cannot be read is judged
    by its text: erasing a corrupt row that may name the person beats failing ``/forgetme``."""
    try:
        return holds(json.loads(payload), texts)
    except ValueError:
        return any(json.dumps(text)[1:-1] in payload for text in texts)


def embeds(key: str, part: str) -> bool:
    """Whether a timer's ``:``-separated key has ``part`` as one of its parts."""
    return re.search(rf"(?:^|:){re.escape(part)}(?::|$)", key) is not None


def made_of(key: str, person: Person) -> bool:
    """Whether a dedupe key was made from the person's platform id.

    ``platform:kind:id`` is an event's own id (an update, an interaction), opaque; a longer key
    is made of the ids of what an event with no id of its own was about (a server, a member).
    """
    parts = key.split(":")
    return parts[0] == person.platform and len(parts) > 3 and person.platform_id in parts[2:]


def holds_user(value: Any, platform_id: str) -> bool:
    """Whether a platform's update names the person with this id, anywhere in it."""
    if isinstance(value, list):
        return any(holds_user(v, platform_id) for v in value)
    if not isinstance(value, dict):
        return False
    for field in USER_ID_FIELDS:
        found = value.get(field)
        if (
            isinstance(found, int | str)
            and not isinstance(found, bool)
            and str(found) == platform_id
        ):
            return True
    return any(holds_user(v, platform_id) for v in value.values())


@dataclass
class Unnamed:
    """A waiting message's context with a person taken out, and what that did to it."""

    value: Any
    lone: bool = False
    """The person stood alone somewhere (a claimer, the member a ping is about): the message
    is about them and cannot go without them."""
    emptied: bool = False
    """A list held only them, and is empty now."""


THEIRS = object()
"""A reference to the person: their ``{"id", "name"}``."""
NAMED = object()
"""A bare value that is their name, key or platform id."""


def unname(value: Any, person: Person, released: Collection[str]) -> Unnamed:
    """``value`` without ``person``: dropped from lists, nobody where their claim was
    (``released`` keys) or where a bare value named them, flagged where they stand alone."""
    if isinstance(value, dict):
        if "id" in value and "name" in value:  # a person as templates print or mention them
            theirs = str(value["id"]) == person.platform_id
            return Unnamed(THEIRS if theirs else value)
        kept: dict[str, Any] = {}
        lone = emptied = False
        for key, item in value.items():
            inner = unname(item, person, released)
            if inner.value is NAMED or (inner.value is THEIRS and key in released):
                kept[key] = None
                continue
            lone = lone or inner.lone or inner.value is THEIRS
            emptied = emptied or inner.emptied
            kept[key] = inner.value
        return Unnamed(kept, lone, emptied)
    if isinstance(value, list):
        items: list[Any] = []
        emptied = False
        for item in value:
            inner = unname(item, person, released)
            if inner.lone or inner.value in (THEIRS, NAMED):
                continue  # an entry about them (a listed supporter, a digest line) goes whole
            emptied = emptied or inner.emptied
            items.append(inner.value)
        return Unnamed(items, False, emptied or (bool(value) and not items))
    if isinstance(value, str) and value in (person.name, person.key, person.platform_id):
        return Unnamed(NAMED)
    return Unnamed(value)
