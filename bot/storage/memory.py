"""The store in plain Python: every repository over dicts of frozen rows, no database.

It passes the same contract suite as SQLite, so it is also the shortest statement of what each
repository promises. A transaction works on a copy of the tables and puts it in place when its
block ends: a flow that fails leaves nothing behind. Transactions take turns, one at a time.
Rows are frozen, so copying the tables copies only their indexes; a change replaces a row.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any, TypeVar

from bot.domain.community import CommunitySettings
from bot.domain.model import (
    PRIMARY,
    Community,
    Counter,
    DueAnnouncement,
    LinkCode,
    Membership,
    Person,
)
from bot.domain.records import (
    ROLES,
    Backlog,
    CallCounts,
    CallRequest,
    Consent,
    Craving,
    DueRow,
    DueTimer,
    LaneLease,
    OutboxMessage,
    Restart,
    Role,
    SupporterRow,
)
from bot.domain.replies import Attachment, Button, Mention, Reply, Target
from bot.domain.timers import TimerPayload
from bot.storage.naming import (
    SECTIONS,
    THEIRS,
    embeds,
    holds_user,
    made_of,
    payload_holds,
    unname,
)
from bot.storage.port import (
    AnnouncementRepository,
    CallRepository,
    CommunityRepository,
    ConsentRepository,
    ContactRepository,
    CounterRepository,
    CravingRepository,
    InboxRepository,
    LinkRepository,
    MeetingRepository,
    MembershipRepository,
    MetaRepository,
    OutboxRepository,
    PeopleRepository,
    PrivacyRepository,
    RelapseRepository,
    RoleRepository,
    SupporterRepository,
    TimerRepository,
    Transaction,
)

K = TypeVar("K")
V = TypeVar("V")

_ENDED = "passed"
"""The outcome that ends a craving's episode for claims; "struggling" keeps it open."""


# The rows. Each is frozen; its fields are the columns a reader of ``/mydata`` sees.


@dataclass(frozen=True, slots=True)
class _Person:
    key: str
    platform: str
    platform_id: str
    name: str
    created_at: datetime
    timezone: str | None = None
    locale: str | None = None
    supporter_hours: str | None = None
    supporter_urgent: bool = False
    bridge_pings: bool = True
    private_chat: bool = False

    @property
    def record(self) -> Person:
        return Person(
            self.key, self.platform, self.platform_id, self.name, self.timezone, self.locale
        )


@dataclass(frozen=True, slots=True)
class _Counter:
    person: str
    name: str
    clean_since: date
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class _Member:
    community: str
    person: str
    joined_at: datetime
    share: bool | None = None
    """None until the member chooses."""
    is_admin: bool = False
    announce_due_at: datetime | None = None
    announce_milestone: str | None = None
    announce_day: date | None = None

    @property
    def record(self) -> Membership:
        return Membership(self.community, self.person, bool(self.share), self.share is not None)


@dataclass(frozen=True, slots=True)
class _Announcement:
    community: str
    person: str
    counter: str
    clean_since: date
    milestone: str
    announced_at: datetime


@dataclass(frozen=True, slots=True)
class _Supporter:
    community: str
    person: str
    cravings: bool = False
    calls: bool = False
    practice: bool = False
    cravings_declined: bool = False
    """The member said /supporter off here: a supporter role does not override it."""


@dataclass(frozen=True, slots=True)
class _LastPing:
    person: str
    role: Role
    last_pinged_at: datetime


@dataclass(frozen=True, slots=True)
class _Craving:
    """A craving as ``Craving`` has it, and when it was claimed."""

    craving: Craving
    claimed_at: datetime | None = None

    def plain(self) -> dict[str, Any]:
        return {**asdict(self.craving), "claimed_at": self.claimed_at}


@dataclass(frozen=True, slots=True)
class _CravingPing:
    craving: int
    person: str
    pinged_at: datetime
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class _CallPing:
    request: int
    person: str
    pinged_at: datetime


@dataclass(frozen=True, slots=True)
class _Contact:
    person: str
    contact: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class _Consent:
    person: str
    given_at: datetime | None = None
    declined_at: datetime | None = None
    implied: bool = False
    told_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Reminder:
    community: str
    person: str


@dataclass(frozen=True, slots=True)
class _MemberRole:
    community: str
    person: str
    role: str


@dataclass(frozen=True, slots=True)
class _LinkCode:
    digest: str
    kind: str
    origin: str
    issued_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _LinkFailure:
    subject: str
    failed_at: datetime
    person: str | None


@dataclass(frozen=True, slots=True)
class _PersonLink:
    person: str
    principal: str
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class _Timer:
    id: int
    kind: str
    key: str | None
    due_at: datetime
    payload: str
    person: str | None = None
    attempts: int = 0
    leased_by: str | None = None
    lease_until: datetime | None = None
    fence: int = 0

    @property
    def ready_at(self) -> datetime:
        """When it can next be claimed: a lease starts after the timer fell due."""
        return self.lease_until or self.due_at

    def due(self) -> DueTimer:
        return DueTimer(
            self.id, self.kind, self.due_at, self.payload, self.attempts, self.key, self.fence
        )


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """An outbox row. Its context is kept as the JSON it is stored as elsewhere: what a reader
    gets back is never the dict the flow still holds."""

    id: int
    platform: str
    target: Target
    template: str
    locale: str
    context: str
    buttons: tuple[Button, ...]
    mentions: tuple[Mention, ...]
    attachment: str | None
    person: str | None
    created_at: datetime
    next_attempt_at: datetime
    priority: int
    lane: str | None
    follows: int | None
    attempts: int = 0
    sent_at: datetime | None = None
    sent_ref: str | None = None
    failed_at: datetime | None = None
    failure: str | None = None

    @property
    def edit_of(self) -> int | None:
        return self.target.edit_of

    @property
    def waiting(self) -> bool:
        """Neither sent nor given up on."""
        return self.sent_at is None and self.failed_at is None

    def named_text(self) -> str:
        """Context, buttons and mentions as the JSON text SQL searches for a name."""
        buttons = json.dumps([[b.label, b.action, b.payload] for b in self.buttons])
        mentions = json.dumps([[m.person, m.name] for m in self.mentions])
        return self.context + buttons + mentions

    def plain(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row.update(
            target=self.target.as_json(),
            edit_of=self.edit_of,
            context=json.loads(self.context),
            buttons=[[b.label, b.action, b.payload] for b in self.buttons],
            mentions=[[m.person, m.name] for m in self.mentions],
            has_attachment=self.attachment is not None,
        )
        del row["attachment"]  # a file waiting to be sent is not copied again
        return row


@dataclass(frozen=True, slots=True)
class _Lane:
    """A lane's lease: who holds it (None: let go) and until when; the ``LaneLease`` holds
    the token and the pace left for the next holder."""

    holder: str | None
    lease: LaneLease
    until: datetime


@dataclass(frozen=True, slots=True)
class _Stored:
    """An update kept in the inbox until its effect commits."""

    key: str
    platform: str
    payload: str
    received_at: datetime
    next_attempt_at: datetime | None = None
    """None: due at once."""
    attempts: int = 0
    set_aside_at: datetime | None = None
    reason: str | None = None


@dataclass
class _Tables:
    """Everything the store holds. ``copy`` is what a transaction works on."""

    handled: dict[str, datetime] = field(default_factory=dict)
    inbox: dict[str, _Stored] = field(default_factory=dict)
    people: dict[str, _Person] = field(default_factory=dict)
    communities: dict[str, Community] = field(default_factory=dict)
    memberships: dict[tuple[str, str], _Member] = field(default_factory=dict)
    counters: dict[tuple[str, str], _Counter] = field(default_factory=dict)
    announcements: dict[tuple[str, str, str, date, str], _Announcement] = field(
        default_factory=dict
    )
    supporters: dict[tuple[str, str], _Supporter] = field(default_factory=dict)
    supporter_pings: dict[tuple[str, Role], _LastPing] = field(default_factory=dict)
    cravings: dict[int, _Craving] = field(default_factory=dict)
    craving_pings: dict[tuple[int, str], _CravingPing] = field(default_factory=dict)
    call_requests: dict[int, CallRequest] = field(default_factory=dict)
    call_pings: dict[tuple[int, str], _CallPing] = field(default_factory=dict)
    contacts: dict[str, _Contact] = field(default_factory=dict)
    restarts: dict[int, Restart] = field(default_factory=dict)
    consents: dict[str, _Consent] = field(default_factory=dict)
    meeting_reminders: dict[tuple[str, str], _Reminder] = field(default_factory=dict)
    member_roles: dict[tuple[str, str, str], _MemberRole] = field(default_factory=dict)
    link_codes: dict[str, _LinkCode] = field(default_factory=dict)
    link_failures: dict[int, _LinkFailure] = field(default_factory=dict)
    person_links: dict[str, _PersonLink] = field(default_factory=dict)
    outbox: dict[int, _Outgoing] = field(default_factory=dict)
    outbox_lanes: dict[tuple[str, str], _Lane] = field(default_factory=dict)
    outbox_budget: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Each platform's current time slot, and the requests taken of it."""
    timers: dict[int, _Timer] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    last_ids: dict[str, int] = field(default_factory=dict)
    """The last id given in each table: ids are never given twice, as with AUTOINCREMENT."""

    def copy(self) -> _Tables:
        return _Tables(**{f.name: dict(getattr(self, f.name)) for f in fields(self)})

    def new_id(self, table: str) -> int:
        self.last_ids[table] = self.last_ids.get(table, 0) + 1
        return self.last_ids[table]


def _update(table: dict[K, V], key: K, **changes: Any) -> bool:
    """Change one row, if it is there; whether it was."""
    row = table.get(key)
    if row is None:
        return False
    table[key] = replace(row, **changes)  # type: ignore[type-var]
    return True


def _delete(table: dict[K, V], gone: Callable[[V], bool]) -> int:
    """Delete the rows ``gone`` picks; how many went."""
    keys = [key for key, row in table.items() if gone(row)]
    for key in keys:
        del table[key]
    return len(keys)


def _open(outcome: str | None) -> bool:
    """Whether a craving's episode is still going (no outcome yet, or still struggling)."""
    return outcome is None or outcome == "struggling"


async def _same_person(tables: _Tables, key: str) -> list[str]:
    """Every identity of the person whose key is ``key`` (``/linkme``), ``key`` first."""
    return [person.key for person in await MemoryPeople(tables).identities(key)] or [key]


class _Repository:
    """One area of one transaction's tables."""

    def __init__(self, tables: _Tables) -> None:
        self._t = tables


class MemoryInbox(_Repository):
    """``InboxRepository`` in memory."""

    async def claim(self, key: str, now: datetime) -> bool:
        self._t.inbox.pop(key, None)
        if key in self._t.handled:
            return False
        self._t.handled[key] = now
        return True

    async def store(
        self, key: str, platform: str, payload: str, now: datetime, *, due: datetime | None = None
    ) -> bool:
        (stored,) = await self.store_all([(key, payload)], platform, now, due=due)
        return stored

    async def store_all(
        self,
        updates: Sequence[tuple[str, str]],
        platform: str,
        now: datetime,
        *,
        due: datetime | None = None,
    ) -> list[bool]:
        new = []
        for key, payload in updates:
            fresh = key not in self._t.handled and key not in self._t.inbox
            if fresh:
                self._t.inbox[key] = _Stored(key, platform, payload, now, next_attempt_at=due)
            new.append(fresh)
        return new

    async def waiting(
        self, platform: str, limit: int, due_by: datetime | None = None
    ) -> list[tuple[str, str, int]]:
        rows = sorted(
            (
                row
                for row in self._t.inbox.values()
                if row.platform == platform
                and row.set_aside_at is None
                and (due_by is None or row.next_attempt_at is None or row.next_attempt_at <= due_by)
            ),
            key=lambda row: (row.received_at, row.key),
        )
        return [(row.key, row.payload, row.attempts) for row in rows[:limit]]

    async def next_attempt(self, platform: str) -> datetime | None:
        return min(
            (
                row.next_attempt_at
                for row in self._t.inbox.values()
                if row.platform == platform
                and row.set_aside_at is None
                and row.next_attempt_at is not None
            ),
            default=None,
        )

    async def failed(
        self, key: str, reason: str, now: datetime, *, retry_at: datetime, max_tries: int
    ) -> tuple[int, bool]:
        row = self._t.inbox.get(key)
        if row is None or row.set_aside_at is not None:
            return 0, False
        tries = row.attempts + 1
        set_aside = now if tries >= max_tries else None
        self._t.inbox[key] = replace(
            row, attempts=tries, reason=reason, next_attempt_at=retry_at, set_aside_at=set_aside
        )
        return tries, set_aside is not None

    async def set_aside_count(self, platform: str) -> int:
        return sum(
            1
            for row in self._t.inbox.values()
            if row.platform == platform and row.set_aside_at is not None
        )

    async def release(self, platform: str, now: datetime) -> int:
        held = [
            row
            for row in self._t.inbox.values()
            if row.platform == platform
            and row.set_aside_at is None
            and row.next_attempt_at is not None
            and row.next_attempt_at > now
        ]
        for row in held:
            self._t.inbox[row.key] = replace(row, next_attempt_at=now)
        return len(held)

    async def drop(self, *keys: str) -> None:
        for key in keys:
            self._t.inbox.pop(key, None)

    async def forget_set_aside_before(self, cutoff: datetime) -> int:
        return _delete(
            self._t.inbox, lambda row: row.set_aside_at is not None and row.set_aside_at < cutoff
        )

    async def forget_handled_before(self, cutoff: datetime) -> int:
        old = [key for key, at in self._t.handled.items() if at < cutoff]
        for key in old:
            del self._t.handled[key]
        return len(old)


class MemoryPeople(_Repository):
    """``PeopleRepository`` in memory."""

    async def arrive(
        self,
        person: Person,
        community: Community | None,
        now: datetime,
        *,
        admin: bool,
        private_chat: bool,
        claim: str | None = None,
    ) -> tuple[Person, Community | None] | None:
        if claim is not None and not await MemoryInbox(self._t).claim(claim, now):
            return None
        known = self._t.people.get(person.key)
        if known is None:
            self._t.people[person.key] = _Person(
                person.key,
                person.platform,
                person.platform_id,
                person.name,
                now,
                private_chat=private_chat,
            )
        else:
            chat_open = private_chat or known.private_chat
            self._t.people[person.key] = replace(known, name=person.name, private_chat=chat_open)
            person = replace(person, timezone=known.timezone, locale=known.locale)
        if community is None:
            return person, None
        here = self._t.communities.get(community.key)
        if here is None:
            self._t.communities[community.key] = replace(
                community, settings=CommunitySettings(), active=True
            )
        else:
            community = here
        where = (community.key, person.key)
        if where in self._t.memberships:
            _update(self._t.memberships, where, is_admin=admin)
        else:
            self._t.memberships[where] = _Member(*where, joined_at=now, is_admin=admin)
        return person, community

    async def upsert(
        self, key: str, platform: str, platform_id: str, name: str, now: datetime
    ) -> Person:
        known = self._t.people.get(key)
        row = _Person(key, platform, platform_id, name, now) if known is None else known
        self._t.people[key] = replace(row, name=name)
        return self._t.people[key].record

    async def get(self, key: str) -> Person | None:
        row = self._t.people.get(key)
        return None if row is None else row.record

    async def set_timezone(self, key: str, timezone: str | None) -> None:
        for same in await _same_person(self._t, key):
            _update(self._t.people, same, timezone=timezone)

    async def set_locale(self, key: str, locale: str | None) -> None:
        for same in await _same_person(self._t, key):
            _update(self._t.people, same, locale=locale)

    async def set_private_chat(self, person: str, open_: bool) -> None:
        _update(self._t.people, person, private_chat=open_)

    async def private_chat_open(self, person: str) -> bool:
        row = self._t.people.get(person)
        return row is not None and row.private_chat

    async def link(self, person: str, principal: str, now: datetime) -> None:
        self._t.person_links[person] = _PersonLink(person, principal, now)

    async def unlink(self, person: str) -> None:
        self._t.person_links.pop(person, None)

    async def principal(self, key: str) -> str:
        link = self._t.person_links.get(key)
        return key if link is None else link.principal

    async def identities(self, key: str) -> list[Person]:
        principal = await self.principal(key)
        others = sorted(
            link.person
            for link in self._t.person_links.values()
            if link.principal == principal and link.person != key
        )
        keys = dict.fromkeys([key, principal, *others])
        return [self._t.people[k].record for k in keys if k in self._t.people]

    async def merge_data(self, person: str, principal: str) -> None:
        t = self._t
        theirs, mine = t.people.get(person), t.people.get(principal)
        if theirs is not None and mine is not None:
            mine = replace(
                mine,
                timezone=mine.timezone or theirs.timezone,
                locale=mine.locale or theirs.locale,
                supporter_hours=mine.supporter_hours or theirs.supporter_hours,
                supporter_urgent=mine.supporter_urgent or theirs.supporter_urgent,
                bridge_pings=mine.bridge_pings and theirs.bridge_pings,
            )
            t.people[principal] = mine
            t.people[person] = replace(
                theirs,
                timezone=mine.timezone,
                locale=mine.locale,
                supporter_hours=mine.supporter_hours,
                supporter_urgent=mine.supporter_urgent,
                bridge_pings=mine.bridge_pings,
            )
        for (owner, name), counter in list(t.counters.items()):
            if owner != person:
                continue
            held = t.counters.get((principal, name))
            if held is None:
                t.counters[principal, name] = replace(counter, person=principal)
            elif held.clean_since != counter.clean_since:
                continue  # pending: the member chooses
            del t.counters[person, name]
        for restart_id, restart in list(t.restarts.items()):
            if restart.person == person:
                t.restarts[restart_id] = replace(restart, person=principal)
        contact = t.contacts.pop(person, None)
        if contact is not None and principal not in t.contacts:
            t.contacts[principal] = replace(contact, person=principal)
        consent, held_consent = t.consents.pop(person, None), t.consents.get(principal)
        if consent is not None and (
            held_consent is None or (held_consent.given_at is None and consent.given_at is not None)
        ):
            t.consents[principal] = replace(consent, person=principal)
        for (owner, role), ping in list(t.supporter_pings.items()):
            if owner not in (person, principal):
                continue
            for other in (person, principal):
                known = t.supporter_pings.get((other, role))
                if known is None or known.last_pinged_at < ping.last_pinged_at:
                    t.supporter_pings[other, role] = replace(ping, person=other)

    async def copy_data(self, principal: str, person: str) -> None:
        t = self._t
        for (owner, name), counter in list(t.counters.items()):
            if owner == principal and (person, name) not in t.counters:
                t.counters[person, name] = replace(counter, person=person)
        for restart in sorted(
            (r for r in list(t.restarts.values()) if r.person == principal), key=lambda r: r.id
        ):
            copied = replace(restart, id=t.new_id("restarts"), person=person)
            t.restarts[copied.id] = copied
        contact = t.contacts.get(principal)
        if contact is not None and person not in t.contacts:
            t.contacts[person] = replace(contact, person=person)
        consent = t.consents.get(principal)
        if consent is not None and person not in t.consents:
            t.consents[person] = replace(consent, person=person)


class MemoryCommunities(_Repository):
    """``CommunityRepository`` in memory."""

    async def upsert(
        self, key: str, platform: str, platform_id: str, chat: str, now: datetime
    ) -> Community:
        return self._t.communities.setdefault(key, Community(key, platform, platform_id, chat))

    async def get(self, key: str) -> Community | None:
        return self._t.communities.get(key)

    async def set_active(self, key: str, active: bool) -> None:
        _update(self._t.communities, key, active=active)

    async def save_settings(self, key: str, settings: CommunitySettings) -> None:
        _update(self._t.communities, key, settings=settings)

    async def fellowship(self, key: str) -> list[Community]:
        here = self._t.communities.get(key)
        if here is None:
            return []
        others = sorted(
            (
                c
                for c in self._t.communities.values()
                if here.fellowship is not None and c.fellowship == here.fellowship and c != here
            ),
            key=lambda c: c.key,
        )
        return [here, *others]

    async def link(self, a: str, b: str) -> bool:
        chats = [self._t.communities.get(key) for key in (a, b)]
        if any(chat is None or chat.fellowship is not None for chat in chats):
            return False
        for key in (a, b):
            _update(self._t.communities, key, fellowship=a)
        return True

    async def unlink(self, key: str) -> None:
        rest = [c.key for c in await self.fellowship(key)][1:]
        for gone in [key, *rest] if len(rest) == 1 else [key]:
            _update(self._t.communities, gone, fellowship=None)


class MemoryMemberships(_Repository):
    """``MembershipRepository`` in memory."""

    async def ensure(self, community: str, person: str, now: datetime) -> Membership:
        row = self._t.memberships.setdefault(
            (community, person), _Member(community, person, joined_at=now)
        )
        return row.record

    async def get(self, community: str, person: str) -> Membership | None:
        row = self._t.memberships.get((community, person))
        return None if row is None else row.record

    async def of(self, person: str) -> list[Membership]:
        rows = [row for row in self._t.memberships.values() if row.person == person]
        return [row.record for row in sorted(rows, key=lambda row: row.community)]

    async def set_share(self, community: str, person: str, share: bool) -> None:
        _update(self._t.memberships, (community, person), share=share)

    async def share_by_default(self, community: str, person: str) -> None:
        row = self._t.memberships.get((community, person))
        if row is not None and row.share is None:
            _update(self._t.memberships, (community, person), share=True)

    async def leave(self, community: str, person: str) -> None:
        self._t.supporters.pop((community, person), None)
        self._t.meeting_reminders.pop((community, person), None)
        _delete(
            self._t.member_roles, lambda row: (row.community, row.person) == (community, person)
        )
        self._t.memberships.pop((community, person), None)

    async def members(self, community: str) -> list[Person]:
        return _people(
            self._t,
            (row.person for row in self._t.memberships.values() if row.community == community),
        )

    async def set_admin(self, community: str, person: str, admin: bool) -> None:
        _update(self._t.memberships, (community, person), is_admin=admin)

    async def admins(self, community: str) -> list[Person]:
        return _people(
            self._t,
            (
                row.person
                for row in self._t.memberships.values()
                if row.community == community and row.is_admin
            ),
            private_chat=True,
        )


def _people(tables: _Tables, keys: Iterable[str], *, private_chat: bool = False) -> list[Person]:
    """The people with these keys that exist (with ``private_chat``, whose chat is open), by
    key, each once."""
    found = [tables.people.get(key) for key in set(keys)]
    return [
        row.record
        for row in sorted((row for row in found if row is not None), key=lambda row: row.key)
        if row.private_chat or not private_chat
    ]


def _principal(tables: _Tables, key: str) -> str:
    """The key a person's own data lives under (``PeopleRepository.principal``)."""
    link = tables.person_links.get(key)
    return key if link is None else link.principal


class MemoryCounters(_Repository):
    """``CounterRepository`` in memory."""

    async def set(self, person: str, name: str, clean_since: date, now: datetime) -> None:
        self._t.counters[person, name] = _Counter(person, name, clean_since, now)

    async def remove(self, person: str, name: str) -> None:
        self._t.counters.pop((person, name), None)

    async def of(self, person: str) -> list[Counter]:
        rows = [row for row in self._t.counters.values() if row.person == person]
        rows.sort(key=lambda row: (row.name != PRIMARY, row.name))
        return [Counter(row.person, row.name, row.clean_since) for row in rows]

    async def shared_in(self, communities: Sequence[str]) -> list[tuple[Person, date]]:
        shared = {}
        for row in self._t.memberships.values():
            owner = self._t.people.get(_principal(self._t, row.person))
            counter = self._t.counters.get((owner.key, PRIMARY)) if owner else None
            if row.community in communities and row.share and owner and counter:
                shared[owner.key] = (owner.record, counter.clean_since)
        return [shared[key] for key in sorted(shared)]


class MemoryAnnouncements(_Repository):
    """``AnnouncementRepository`` in memory."""

    async def set_due(
        self, community: str, person: str, due: tuple[datetime, str, date] | None
    ) -> None:
        at, milestone, day = due if due else (None, None, None)
        _update(
            self._t.memberships,
            (community, person),
            announce_due_at=at,
            announce_milestone=milestone,
            announce_day=day,
        )

    async def due(self, now: datetime, limit: int) -> list[DueAnnouncement]:
        found = []
        for row in self._t.memberships.values():
            person = self._t.people.get(row.person)
            community = self._t.communities.get(row.community)
            if row.announce_due_at is None or row.announce_due_at > now:
                continue
            if person is None or community is None or not community.active:
                continue
            assert row.announce_milestone is not None
            assert row.announce_day is not None
            owner = self._t.people.get(_principal(self._t, row.person)) or person
            counter = self._t.counters.get((owner.key, PRIMARY))
            own = self._t.counters.get((row.person, PRIMARY)) if owner != person else None
            if own is not None and counter is not None and own.clean_since != counter.clean_since:
                counter = None  # a choice of dates pending: nothing is celebrated here yet
            found.append(
                DueAnnouncement(
                    community=community,
                    person=replace(person.record, timezone=owner.timezone, locale=owner.locale),
                    milestone=row.announce_milestone,
                    day=row.announce_day,
                    due_at=row.announce_due_at,
                    clean_since=None if counter is None else counter.clean_since,
                    share=bool(row.share),
                    principal=owner.key,
                )
            )
        found.sort(key=lambda due: due.due_at)
        return found[:limit]

    async def earliest_due(self) -> datetime | None:
        return min(
            (
                row.announce_due_at
                for row in self._t.memberships.values()
                if row.announce_due_at is not None
            ),
            default=None,
        )

    async def record(
        self,
        community: str,
        person: str,
        counter: str,
        clean_since: date,
        milestone: str,
        now: datetime,
    ) -> bool:
        key = (community, person, counter, clean_since, milestone)
        if key in self._t.announcements:
            return False
        self._t.announcements[key] = _Announcement(*key, announced_at=now)
        return True


class MemorySupporters(_Repository):
    """``SupporterRepository`` in memory."""

    async def set_role(self, community: str, person: str, role: Role, on: bool) -> None:
        assert role in ROLES
        row = self._t.supporters.setdefault((community, person), _Supporter(community, person))
        if role == "cravings":
            # Saying /supporter off is a "no" a supporter role does not override.
            row = replace(row, cravings=on, cravings_declined=not on)
        elif role == "calls":
            row = replace(row, calls=on)
        else:
            row = replace(row, practice=on)
        self._t.supporters[community, person] = row

    async def roles(self, community: str, person: str) -> set[Role]:
        row = self._t.supporters.get((community, person))
        return set() if row is None else {role for role in ROLES if getattr(row, role)}

    async def set_hours(self, person: str, hours: str | None) -> None:
        for same in await _same_person(self._t, person):
            _update(self._t.people, same, supporter_hours=hours)

    async def hours(self, person: str) -> str | None:
        row = self._t.people.get(person)
        return None if row is None else row.supporter_hours

    async def set_urgent(self, person: str, on: bool) -> None:
        for same in await _same_person(self._t, person):
            _update(self._t.people, same, supporter_urgent=on)

    async def urgent(self, person: str) -> bool:
        row = self._t.people.get(person)
        return row is not None and row.supporter_urgent

    async def set_bridge_pings(self, person: str, on: bool) -> None:
        for same in await _same_person(self._t, person):
            _update(self._t.people, same, bridge_pings=on)

    async def bridge_pings(self, person: str) -> bool:
        row = self._t.people.get(person)
        return row is None or row.bridge_pings

    async def opted_in(
        self, community: str, role: Role, *, supporter_role: str | None = None
    ) -> list[SupporterRow]:
        assert role in ROLES
        here = [row for row in self._t.supporters.values() if row.community == community]
        chosen = {row.person for row in here if getattr(row, role)}
        if role == "cravings" and supporter_role is not None:
            declined = {row.person for row in here if row.cravings_declined}
            chosen |= {
                row.person
                for row in self._t.member_roles.values()
                if row.community == community
                and row.role == supporter_role
                and row.person not in declined
            }
        found = []
        for key in sorted(chosen):
            person = self._t.people.get(key)
            if person is None:
                continue
            last = self._t.supporter_pings.get((key, role))
            found.append(
                SupporterRow(
                    person.record,
                    person.supporter_hours,
                    None if last is None else last.last_pinged_at,
                    person.supporter_urgent,
                )
            )
        return found

    async def mark_pinged(self, people: Iterable[str], role: Role, now: datetime) -> None:
        for person in people:
            self._t.supporter_pings[person, role] = _LastPing(person, role, now)
            for same in await _same_person(self._t, person):  # one person rests everywhere
                self._t.supporter_pings[same, role] = _LastPing(same, role, now)


class MemoryCravings(_Repository):
    """``CravingRepository`` in memory."""

    async def create(
        self, community: str | None, person: str, chat: str, private: bool, now: datetime
    ) -> int:
        craving = Craving(
            id=self._t.new_id("cravings"),
            community=community,
            person=person,
            chat=chat,
            private=private,
            message=None,
            pinged=False,
            claimed_by=None,
            outcome=None,
            created_at=now,
        )
        self._t.cravings[craving.id] = _Craving(craving)
        return craving.id

    async def get(self, craving: int) -> Craving | None:
        row = self._t.cravings.get(craving)
        return None if row is None else row.craving

    async def latest(
        self, person: str, community: str, private: bool, since: datetime
    ) -> Craving | None:
        found = [
            c
            for c in self._of(person)
            if c.community == community
            and c.private == private
            and c.created_at >= since
            and _open(c.outcome)
        ]
        return max(found, key=lambda c: (c.created_at, c.id), default=None)

    async def before_sharing(
        self,
        person: str,
        community: str,
        private: bool,
        *,
        open_since: datetime,
        crisis_since: datetime,
        supporter_role: str | None,
    ) -> None:
        """Nothing to read ahead: every read here is at hand already."""

    async def count_in(self, community: str) -> int:
        return sum(1 for row in self._t.cravings.values() if row.craving.community == community)

    async def latest_private_crisis(self, person: str, since: datetime) -> datetime | None:
        return max(
            (
                c.crisis_sent_at
                for c in self._of(person)
                if c.crisis_sent_at is not None
                and c.crisis_sent_at >= since
                and not c.crisis_in_group
                and _open(c.outcome)
            ),
            default=None,
        )

    async def mark_urgent(self, craving: int) -> None:
        self._revise(craving, urgent=True)

    async def mark_crisis_sent(self, craving: int, at: datetime, *, in_group: bool) -> None:
        self._revise(craving, crisis_sent_at=at, crisis_in_group=in_group)

    async def set_message(self, craving: int, message: int) -> None:
        self._revise(craving, message=message)

    async def claim(self, craving: int, person: str, now: datetime) -> bool:
        row = self._t.cravings.get(craving)
        if row is None or row.craving.claimed_by is not None or row.craving.outcome == _ENDED:
            return False
        self._t.cravings[craving] = _Craving(replace(row.craving, claimed_by=person), now)
        return True

    async def set_outcome(self, craving: int, outcome: str) -> None:
        self._revise(craving, outcome=outcome)

    async def record_pings(
        self, craving: int, people: Iterable[str], now: datetime, *, urgent: bool = False
    ) -> None:
        for person in people:
            before = self._t.craving_pings.get((craving, person))
            if before is None:
                self._t.craving_pings[craving, person] = _CravingPing(craving, person, now, urgent)
            elif urgent:
                self._t.craving_pings[craving, person] = replace(before, urgent=True)
        self._revise(craving, pinged=True)

    async def pinged(self, craving: int, *, urgently: bool = False) -> set[str]:
        return {
            row.person
            for row in self._t.craving_pings.values()
            if row.craving == craving and (row.urgent or not urgently)
        }

    async def tally(self, person: str) -> tuple[int, int]:
        mine = self._of(person)
        return len(mine), sum(1 for c in mine if c.outcome == _ENDED)

    def _of(self, person: str) -> list[Craving]:
        return [row.craving for row in self._t.cravings.values() if row.craving.person == person]

    def _revise(self, craving: int, **changes: Any) -> None:
        row = self._t.cravings.get(craving)
        if row is not None:
            self._t.cravings[craving] = replace(row, craving=replace(row.craving, **changes))


class MemoryCalls(_Repository):
    """``CallRepository`` in memory."""

    async def add(
        self, community: str, person: str, chat: str, practice: bool, now: datetime
    ) -> int:
        request = CallRequest(
            id=self._t.new_id("call_requests"),
            community=community,
            person=person,
            chat=chat,
            practice=practice,
            message=None,
            claimed_by=None,
            claimed_at=None,
            expired_at=None,
            created_at=now,
        )
        self._t.call_requests[request.id] = request
        return request.id

    async def set_message(self, request: int, message: int) -> None:
        _update(self._t.call_requests, request, message=message)

    async def get(self, request: int) -> CallRequest | None:
        return self._t.call_requests.get(request)

    async def open_request(self, community: str, person: str, practice: bool) -> CallRequest | None:
        return max(
            (
                r
                for r in self._t.call_requests.values()
                if (r.community, r.person, r.practice) == (community, person, practice) and r.open
            ),
            key=lambda r: (r.created_at, r.id),
            default=None,
        )

    async def add_pings(self, request: int, people: Iterable[str], now: datetime) -> None:
        for person in people:
            self._t.call_pings.setdefault((request, person), _CallPing(request, person, now))

    async def was_pinged(self, request: int, person: str) -> bool:
        return (request, person) in self._t.call_pings

    async def claim(self, request: int, person: str, now: datetime) -> bool:
        found = self._t.call_requests.get(request)
        if found is None or not found.open:
            return False
        self._t.call_requests[request] = replace(found, claimed_by=person, claimed_at=now)
        return True

    async def expire(self, request: int, now: datetime) -> bool:
        found = self._t.call_requests.get(request)
        if found is None or not found.open:
            return False
        self._t.call_requests[request] = replace(found, expired_at=now)
        return True

    async def recent_claimers(self, person: str, since: datetime) -> list[Person]:
        return _people(
            self._t,
            (
                r.claimed_by
                for r in self._t.call_requests.values()
                if r.person == person
                and r.claimed_by is not None
                and r.claimed_at is not None
                and r.claimed_at >= since
            ),
        )

    async def counts(self, person: str) -> CallCounts:
        asked = [r for r in self._t.call_requests.values() if r.person == person]
        calls = [r for r in asked if not r.practice]
        practice = [r for r in asked if r.practice]
        return CallCounts(
            calls=len(calls),
            calls_answered=sum(1 for r in calls if r.claimed_by is not None),
            practice=len(practice),
            practice_answered=sum(1 for r in practice if r.claimed_by is not None),
            taken=sum(1 for r in self._t.call_requests.values() if r.claimed_by == person),
        )


class MemoryContacts(_Repository):
    """``ContactRepository`` in memory."""

    async def set(self, person: str, contact: str, now: datetime) -> None:
        self._t.contacts[person] = _Contact(person, contact, now)

    async def of(self, person: str) -> str | None:
        row = self._t.contacts.get(person)
        return None if row is None else row.contact

    async def clear(self, person: str) -> bool:
        return self._t.contacts.pop(person, None) is not None


class MemoryRelapses(_Repository):
    """``RelapseRepository`` in memory."""

    async def record(
        self, person: str, counter: str, clean_since: date, restarted_on: date, now: datetime
    ) -> int:
        restart = Restart(
            id=self._t.new_id("restarts"),
            person=person,
            counter=counter,
            clean_since=clean_since,
            restarted_on=restarted_on,
            note=None,
            created_at=now,
            supporters_told_at=None,
        )
        self._t.restarts[restart.id] = restart
        return restart.id

    async def has(self, person: str, counter: str, clean_since: date, restarted_on: date) -> bool:
        wanted = (person, counter, clean_since, restarted_on)
        return any(
            (r.person, r.counter, r.clean_since, r.restarted_on) == wanted
            for r in self._t.restarts.values()
        )

    async def of(self, person: str) -> list[Restart]:
        mine = [r for r in self._t.restarts.values() if r.person == person]
        return sorted(mine, key=lambda r: (r.created_at, r.id))

    async def latest(self, person: str) -> Restart | None:
        mine = await self.of(person)
        return mine[-1] if mine else None

    async def get(self, person: str, restart_id: int) -> Restart | None:
        found = self._t.restarts.get(restart_id)
        return found if found is not None and found.person == person else None

    async def set_note(self, restart_id: int, note: str | None) -> None:
        _update(self._t.restarts, restart_id, note=note)

    async def claim_supporters_told(self, restart_id: int, person: str, now: datetime) -> bool:
        found = await self.get(person, restart_id)
        if found is None or found.supporters_told_at is not None:
            return False
        _update(self._t.restarts, restart_id, supporters_told_at=now)
        return True

    async def release_supporters_told(self, restart_id: int, person: str) -> None:
        if await self.get(person, restart_id) is not None:
            _update(self._t.restarts, restart_id, supporters_told_at=None)


class MemoryConsent(_Repository):
    """``ConsentRepository`` in memory."""

    async def of(self, person: str) -> Consent | None:
        row = self._t.consents.get(person)
        return None if row is None else Consent(row.given_at, row.declined_at, row.implied)

    async def give(self, person: str, now: datetime) -> None:
        row = self._t.consents.get(person, _Consent(person))
        self._t.consents[person] = replace(row, given_at=now, declined_at=None, implied=False)

    async def decline(self, person: str, now: datetime) -> None:
        row = self._t.consents.get(person, _Consent(person))
        self._t.consents[person] = replace(row, declined_at=now)

    async def withdraw(self, person: str) -> None:
        covered: list[dict[Any, Any]] = [
            self._t.counters,
            self._t.restarts,
            self._t.contacts,
            self._t.announcements,
        ]
        for table in covered:
            _delete(table, lambda row: row.person == person)
        for row in list(self._t.memberships.values()):
            if row.person == person:
                _update(
                    self._t.memberships,
                    (row.community, person),
                    share=None,
                    announce_due_at=None,
                )
        self._t.consents.pop(person, None)

    async def untold_implied(self, limit: int) -> list[Person]:
        untold = sorted(
            key
            for key, row in self._t.consents.items()
            if row.implied and row.told_at is None and key in self._t.people
        )
        return [self._t.people[key].record for key in untold[:limit]]

    async def mark_told(self, person: str, now: datetime) -> None:
        _update(self._t.consents, person, told_at=now)


class MemoryMeetings(_Repository):
    """``MeetingRepository`` in memory."""

    async def set_reminder(self, community: str, person: str, on: bool) -> None:
        if on:
            self._t.meeting_reminders[community, person] = _Reminder(community, person)
        else:
            self._t.meeting_reminders.pop((community, person), None)

    async def wants_reminders(self, community: str, person: str) -> bool:
        return (community, person) in self._t.meeting_reminders

    async def reminder_people(self, community: str) -> list[Person]:
        return _people(self._t, (p for c, p in self._t.meeting_reminders if c == community))

    async def has_reminders(self, community: str) -> bool:
        return any(c == community for c, _ in self._t.meeting_reminders)


class MemoryRoles(_Repository):
    """``RoleRepository`` in memory."""

    async def of(self, community: str, person: str) -> set[str]:
        return {r for c, p, r in self._t.member_roles if (c, p) == (community, person)}

    async def replace(self, community: str, person: str, roles: Iterable[str]) -> bool:
        wanted = set(roles)
        if wanted == await self.of(community, person):
            return False
        _delete(
            self._t.member_roles, lambda row: (row.community, row.person) == (community, person)
        )
        for role in sorted(wanted):
            self._t.member_roles[community, person, role] = _MemberRole(community, person, role)
        return True


class MemoryOutbox(_Repository):
    """``OutboxRepository`` in memory."""

    async def enqueue(
        self,
        reply: Reply,
        locale: str,
        now: datetime,
        *,
        about: str | None = None,
        follows: int | None = None,
    ) -> int:
        attachment = reply.attachment
        row = _Outgoing(
            id=self._t.new_id("outbox"),
            platform=reply.target.platform,
            target=reply.target,
            template=str(reply.template),
            locale=locale,
            context=json.dumps(reply.context),
            buttons=reply.buttons,
            mentions=reply.mentions,
            attachment=None
            if attachment is None
            else json.dumps([attachment.filename, attachment.data]),
            person=about,
            created_at=now,
            next_attempt_at=now,
            priority=int(reply.priority),
            lane=reply.target.lane,
            follows=follows,
        )
        self._t.outbox[row.id] = row
        return row.id

    async def pending(self, platform: str, now: datetime, limit: int) -> list[OutboxMessage]:
        due = [
            row
            for row in self._due(platform, now)
            if self._unsent(row.edit_of) is None and self._untried(row.follows) is None
        ]
        return [self._message(row) for row in due[:limit]]

    async def due(
        self,
        platform: str,
        now: datetime,
        *,
        newer_than: int = 0,
        due_since: datetime | None = None,
    ) -> list[DueRow]:
        since = due_since or now
        return [
            DueRow(
                id=row.id,
                lane=row.lane if row.lane is not None else row.target.lane,
                priority=row.priority,
                edits=self._unsent(row.edit_of),
                follows=self._untried(row.follows),
            )
            for row in self._due(platform, now)
            if row.id > newer_than or row.next_attempt_at >= since
        ]

    async def messages(self, ids: list[int]) -> list[OutboxMessage]:
        rows = (self._t.outbox.get(i) for i in sorted(set(ids)))
        return [self._message(row) for row in rows if row is not None and row.waiting]

    async def mark_sent(
        self, outbox_id: int, ref: str | None, now: datetime, *, lease: LaneLease | None = None
    ) -> bool:
        if outbox_id not in self._t.outbox or not self._holds(outbox_id, lease):
            return False
        self._close(outbox_id, sent_at=now, sent_ref=ref)
        return True

    async def mark_retry(
        self, outbox_id: int, at: datetime, *, lease: LaneLease | None = None
    ) -> bool:
        row = self._t.outbox.get(outbox_id)
        if row is None or not self._holds(outbox_id, lease):
            return False
        self._t.outbox[outbox_id] = replace(row, next_attempt_at=at, attempts=row.attempts + 1)
        return True

    async def mark_failed(
        self, outbox_id: int, reason: str, now: datetime, *, lease: LaneLease | None = None
    ) -> bool:
        if outbox_id not in self._t.outbox or not self._holds(outbox_id, lease):
            return False
        self._close(outbox_id, failed_at=now, failure=reason)
        return True

    async def claim_lanes(
        self, platform: str, lanes: Sequence[str], holder: str, now: datetime, until: datetime
    ) -> list[LaneLease]:
        held = []
        for lane in dict.fromkeys(lanes):
            was = self._t.outbox_lanes.get((platform, lane))
            if was is None:
                was = _Lane(holder=None, lease=LaneLease(platform, lane, ""), until=now)
            elif was.holder not in (None, holder) and was.until > now:
                continue  # another holds it, and is alive
            token = was.lease.token if was.holder == holder else uuid.uuid4().hex
            lease = replace(was.lease, token=token)
            self._t.outbox_lanes[platform, lane] = _Lane(holder, lease, until)
            held.append(lease)
        return held

    async def release_lanes(self, leases: Sequence[LaneLease]) -> None:
        for lease in leases:
            key = (lease.platform, lease.lane)
            was = self._t.outbox_lanes.get(key)
            if was is None or was.lease.token != lease.token:
                continue
            if lease.minute:
                self._t.outbox_lanes[key] = _Lane(None, lease, was.until)
            else:
                del self._t.outbox_lanes[key]

    async def take_budget(self, platform: str, slot: int, wanted: int, per_slot: int) -> int:
        taken_in, used = self._t.outbox_budget.get(platform, (slot, 0))
        if taken_in > slot:
            return 0
        if taken_in < slot:
            used = 0
        granted = min(wanted, per_slot - used)
        self._t.outbox_budget[platform] = (slot, used + granted)
        return granted

    async def forget_before(self, cutoff: datetime) -> int:
        def left(row: _Outgoing) -> bool:
            at = row.sent_at or row.failed_at
            return at is not None and at < cutoff

        _delete(self._t.outbox_lanes, lambda lane: lane.until < cutoff)
        return _delete(self._t.outbox, left)

    async def by_ref(self, platform: str, ref: str) -> int | None:
        return min(
            (
                row.id
                for row in self._t.outbox.values()
                if row.platform == platform and row.sent_ref == ref
            ),
            default=None,
        )

    async def deliver_waiting_now(self, person: str, now: datetime) -> int:
        waiting = [r for r in self._t.outbox.values() if r.person == person and r.waiting]
        for row in waiting:
            self._t.outbox[row.id] = replace(row, next_attempt_at=now)
        return len(waiting)

    async def target(self, outbox_id: int) -> Target | None:
        row = self._t.outbox.get(outbox_id)
        return None if row is None else row.target

    async def next_attempt(self, platform: str) -> datetime | None:
        return min(
            (
                row.next_attempt_at
                for row in self._t.outbox.values()
                if row.platform == platform and row.waiting
            ),
            default=None,
        )

    async def backlog(self) -> list[Backlog]:
        waiting: dict[tuple[str, int], list[datetime]] = {}
        for row in self._t.outbox.values():
            if row.waiting:
                waiting.setdefault((row.platform, row.priority), []).append(row.created_at)
        return [
            Backlog(platform, priority, len(times), min(times))
            for (platform, priority), times in sorted(waiting.items())
        ]

    def _due(self, platform: str, now: datetime) -> list[_Outgoing]:
        """The platform's rows waiting and due by ``now``, most urgent first, then oldest."""
        due = [
            row
            for row in self._t.outbox.values()
            if row.platform == platform and row.waiting and row.next_attempt_at <= now
        ]
        return sorted(due, key=lambda row: (row.priority, row.id))

    def _unsent(self, outbox_id: int | None) -> int | None:
        """``outbox_id``, while that row waits to be sent: an edit of it waits too."""
        row = None if outbox_id is None else self._t.outbox.get(outbox_id)
        return None if row is None or not row.waiting else row.id

    def _untried(self, outbox_id: int | None) -> int | None:
        """``outbox_id``, while that row was never tried: a row that follows it waits."""
        row = None if outbox_id is None else self._t.outbox.get(outbox_id)
        return None if row is None or not row.waiting or row.attempts else row.id

    def _close(self, outbox_id: int, **outcome: Any) -> None:
        """Count the last try and forget what the message said: only where it went stays."""
        row = self._t.outbox.get(outbox_id)
        if row is not None:
            self._t.outbox[outbox_id] = replace(
                row,
                attempts=row.attempts + 1,
                context="{}",
                buttons=(),
                mentions=(),
                attachment=None,
                lane=None,
                **outcome,
            )

    def _holds(self, outbox_id: int, lease: LaneLease | None) -> bool:
        """Whether a mark may change the row: unleased, or ``lease`` is still its lane's."""
        row = self._t.outbox.get(outbox_id)
        if lease is None or row is None:
            return True
        held = self._t.outbox_lanes.get((row.platform, lease.lane))
        return held is not None and held.lease.token == lease.token

    def _message(self, row: _Outgoing) -> OutboxMessage:
        edited = None if row.edit_of is None else self._t.outbox.get(row.edit_of)
        return OutboxMessage(
            id=row.id,
            template=row.template,
            locale=row.locale,
            target=row.target,
            context=json.loads(row.context),
            buttons=row.buttons,
            mentions=row.mentions,
            attempts=row.attempts,
            edit_ref=None if edited is None else edited.sent_ref,
            attachment=None if row.attachment is None else Attachment(*json.loads(row.attachment)),
            priority=row.priority,
        )


class MemoryTimers(_Repository):
    """``TimerRepository`` in memory."""

    def __init__(self, tables: _Tables) -> None:
        super().__init__(tables)
        self.scheduled = False

    async def schedule(
        self,
        payload: TimerPayload,
        due_at: datetime,
        *,
        key: str | None = None,
        about: str | None = None,
    ) -> None:
        self.scheduled = True
        armed = next((t for t in self._t.timers.values() if key and t.key == key), None)
        if armed is None:
            timer = _Timer(
                self._t.new_id("timers"), payload.kind, key, due_at, payload.dump(), about
            )
            self._t.timers[timer.id] = timer
        elif due_at < armed.due_at:
            self._t.timers[armed.id] = replace(armed, due_at=due_at)

    async def claim(
        self, now: datetime, limit: int, *, holder: str, until: datetime
    ) -> list[DueTimer]:
        free = [t for t in self._due(now) if t.lease_until is None or t.lease_until <= now]
        claimed = [
            replace(t, leased_by=holder, lease_until=until, fence=t.fence + 1) for t in free[:limit]
        ]
        self._t.timers.update((t.id, t) for t in claimed)
        return [t.due() for t in claimed]

    async def take(self, timer_id: int, fence: int) -> bool:
        if self._held(timer_id, fence) is None:
            return False
        del self._t.timers[timer_id]
        return True

    async def due(self, now: datetime, limit: int) -> list[DueTimer]:
        return [t.due() for t in self._due(now)[:limit]]

    def _due(self, now: datetime) -> list[_Timer]:
        return sorted(
            (t for t in self._t.timers.values() if t.due_at <= now),
            key=lambda t: (t.due_at, t.id),
        )

    def _held(self, timer_id: int, fence: int) -> _Timer | None:
        """The timer, while the claim with this fence holds it."""
        timer = self._t.timers.get(timer_id)
        held = timer is not None and timer.fence == fence and timer.leased_by is not None
        return timer if held else None

    async def next_due(self) -> datetime | None:
        return min((t.ready_at for t in self._t.timers.values()), default=None)

    async def postpone(self, timer_id: int, fence: int, due_at: datetime) -> None:
        timer = self._held(timer_id, fence)
        if timer is not None:
            self._t.timers[timer_id] = replace(
                timer,
                due_at=due_at,
                attempts=timer.attempts + 1,
                leased_by=None,
                lease_until=None,
            )

    async def release(self, timer_id: int, fence: int) -> None:
        timer = self._held(timer_id, fence)
        if timer is not None:
            self._t.timers[timer_id] = replace(timer, leased_by=None, lease_until=None)

    async def drop(self, timer_id: int, fence: int) -> None:
        await self.take(timer_id, fence)

    async def cancel(self, key: str) -> None:
        _delete(self._t.timers, lambda t: t.key == key)


class MemoryMeta(_Repository):
    """``MetaRepository`` in memory."""

    async def get(self, key: str) -> str | None:
        return self._t.meta.get(key)

    async def set(self, key: str, value: str) -> None:
        self._t.meta[key] = value


class MemoryLinks(_Repository):
    """``LinkRepository`` in memory."""

    async def issue(
        self,
        kind: str,
        digest: str,
        origin: str,
        issued_by: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        _delete(self._t.link_codes, lambda row: (row.kind, row.origin) == (kind, origin))
        self._t.link_codes[digest] = _LinkCode(digest, kind, origin, issued_by, now, expires_at)

    async def redeem(self, kind: str, digest: str, now: datetime) -> LinkCode | None:
        row = self._t.link_codes.get(digest)
        if row is None or row.kind != kind or row.used_at is not None or row.expires_at <= now:
            return None
        self._t.link_codes[digest] = replace(row, used_at=now)
        return LinkCode(row.digest, row.kind, row.origin, row.issued_by, row.expires_at)

    async def record_failure(self, subjects: Iterable[str], now: datetime) -> None:
        for subject in subjects:
            person = subject if subject in self._t.people else None
            self._t.link_failures[self._t.new_id("link_failures")] = _LinkFailure(
                subject, now, person
            )

    async def failures(self, subject: str, since: datetime) -> list[datetime]:
        return sorted(
            row.failed_at
            for row in self._t.link_failures.values()
            if row.subject == subject and row.failed_at >= since
        )

    async def forget_before(self, cutoff: datetime) -> int:
        return _delete(self._t.link_codes, lambda row: row.expires_at < cutoff) + _delete(
            self._t.link_failures, lambda row: row.failed_at < cutoff
        )


class MemoryPrivacy(_Repository):
    """``PrivacyRepository`` in memory, by the rules of ``bot.storage.naming``."""

    async def everything_about(self, person: Person) -> dict[str, list[dict[str, Any]]]:
        key = person.key
        t = self._t
        claimed = [row for row in t.cravings.values() if row.craving.claimed_by == key]
        calls_claimed = [r for r in t.call_requests.values() if r.claimed_by == key]
        rows: dict[tuple[str, str], list[dict[str, Any]]] = {
            ("counters", "person"): _rows(t.counters.values(), key, "name"),
            ("memberships", "person"): _rows(t.memberships.values(), key, "community"),
            ("announcements", "person"): _rows(t.announcements.values(), key, "announced_at"),
            ("supporters", "person"): _rows(t.supporters.values(), key, "community"),
            ("supporter_pings", "person"): _rows(t.supporter_pings.values(), key, "role"),
            ("cravings", "person"): [
                row.plain() for row in t.cravings.values() if row.craving.person == key
            ],
            ("cravings", "claimed_by"): [
                {"id": r.craving.id, "community": r.craving.community, "claimed_at": r.claimed_at}
                for r in claimed
            ],
            ("craving_pings", "person"): _rows(t.craving_pings.values(), key, "pinged_at"),
            ("call_requests", "person"): _rows(t.call_requests.values(), key, "id"),
            ("call_requests", "claimed_by"): [
                {
                    "id": r.id,
                    "community": r.community,
                    "practice": r.practice,
                    "claimed_at": r.claimed_at,
                }
                for r in calls_claimed
            ],
            ("call_pings", "person"): _rows(t.call_pings.values(), key, "pinged_at"),
            ("contacts", "person"): _rows(t.contacts.values(), key),
            ("consents", "person"): _rows(t.consents.values(), key),
            ("restarts", "person"): _rows(t.restarts.values(), key, "created_at", "id"),
            ("meeting_reminders", "person"): _rows(t.meeting_reminders.values(), key, "community"),
            ("member_roles", "person"): _rows(t.member_roles.values(), key, "community", "role"),
            ("link_codes", "issued_by"): sorted(
                (
                    {
                        "kind": r.kind,
                        "origin": r.origin,
                        "created_at": r.created_at,
                        "expires_at": r.expires_at,
                        "used_at": r.used_at,
                    }
                    for r in t.link_codes.values()
                    if r.issued_by == key
                ),
                key=lambda r: (r["created_at"], r["kind"]),
            ),
            ("link_failures", "person"): _rows(t.link_failures.values(), key, "failed_at"),
            ("person_links", "person"): _rows(t.person_links.values(), key),
            ("person_links", "principal"): [
                {"person": r.person, "linked_at": r.linked_at}
                for r in sorted(t.person_links.values(), key=lambda r: r.person)
                if r.principal == key
            ],
            ("timers", "person"): _rows(t.timers.values(), key, "due_at", "id"),
            ("outbox", "person"): [
                row.plain()
                for row in t.outbox.values()
                if row.person == key or row.id in self._addressed_to(person)
            ],
        }
        own = t.people.get(key)
        found = {"people": [] if own is None else [_plain(asdict(own))]}
        found |= {SECTIONS[where]: [_plain(row) for row in rows[where]] for where in SECTIONS}
        found["inbox"] = [_plain(asdict(t.inbox[k])) for k in self._stored_updates_naming(person)]
        return found

    async def erase(
        self, person: Person, *, notices: Collection[str] = (), released: Collection[str] = ()
    ) -> None:
        t = self._t
        for outbox_id in self._addressed_to(person):
            del t.outbox[outbox_id]
        self._unname_waiting(person, notices, released)
        _delete(
            t.timers,
            lambda row: (
                (row.key is not None and embeds(row.key, person.key))
                or payload_holds(row.payload, (person.key, person.platform_id))
            ),
        )
        for key in self._stored_updates_naming(person):
            del t.inbox[key]
        for key in [key for key in t.handled if made_of(key, person)]:
            del t.handled[key]
        self._forget(person.key)

    async def farewell_waiting(self, outbox_id: int) -> bool:
        row = self._t.outbox.get(outbox_id)
        return row is not None and row.waiting

    async def drop_farewell(self, outbox_id: int, template: str) -> None:
        row = self._t.outbox.get(outbox_id)
        if row is not None and row.template == template:
            del self._t.outbox[outbox_id]

    def _forget(self, key: str) -> None:
        """Delete the person's own rows everywhere; a claim of theirs on another member's
        request becomes nobody's."""
        t = self._t
        t.people.pop(key, None)
        theirs: list[dict[Any, Any]] = [
            t.counters,
            t.memberships,
            t.announcements,
            t.supporters,
            t.supporter_pings,
            t.craving_pings,
            t.call_pings,
            t.contacts,
            t.restarts,
            t.consents,
            t.meeting_reminders,
            t.member_roles,
            t.link_failures,
            t.person_links,
            t.timers,
            t.outbox,
            t.call_requests,
        ]
        for table in theirs:
            _delete(table, lambda row: row.person == key)
        _delete(t.link_codes, lambda row: row.issued_by == key)
        _delete(t.person_links, lambda row: row.principal == key)
        gone = {i for i, row in t.cravings.items() if row.craving.person == key}
        _delete(t.cravings, lambda row: row.craving.id in gone)
        _delete(t.craving_pings, lambda row: row.craving in gone)
        _delete(t.call_pings, lambda row: row.request not in t.call_requests)
        for i, row in list(t.cravings.items()):
            if row.craving.claimed_by == key:
                t.cravings[i] = replace(row, craving=replace(row.craving, claimed_by=None))
        for i, request in list(t.call_requests.items()):
            if request.claimed_by == key:
                t.call_requests[i] = replace(request, claimed_by=None)

    def _addressed_to(self, person: Person) -> list[int]:
        """Outbox rows that went, or will go, to the person's own private chat."""
        return [
            row.id
            for row in self._t.outbox.values()
            if row.platform == person.platform
            and person.platform_id in (row.target.person, row.target.chat)
        ]

    def _unname_waiting(
        self, person: Person, notices: Collection[str], released: Collection[str]
    ) -> None:
        """Take the person out of other members' messages still waiting to be sent."""
        needles = [
            json.dumps(text).lower() for text in (person.platform_id, person.key, person.name)
        ]
        for row in list(self._t.outbox.values()):
            if row.platform != person.platform or not row.waiting:
                continue
            text = row.named_text().lower()
            if not any(needle in text for needle in needles):
                continue
            context = unname(json.loads(row.context), person, released)
            mentions = tuple(m for m in row.mentions if m.person != person.platform_id)
            pressed_for_them = any(
                b.payload in (person.key, person.platform_id) for b in row.buttons
            )
            listed_only_them = context.emptied and row.template in notices
            if context.lone or context.value is THEIRS or pressed_for_them or listed_only_them:
                del self._t.outbox[row.id]
                continue
            self._t.outbox[row.id] = replace(
                row, context=json.dumps(context.value), mentions=mentions
            )

    def _stored_updates_naming(self, person: Person) -> list[str]:
        """Keys of the platform's stored updates that name the person, oldest first."""
        found = []
        for row in sorted(self._t.inbox.values(), key=lambda row: (row.received_at, row.key)):
            if row.platform != person.platform:
                continue
            try:
                update = json.loads(row.payload)
            except ValueError:
                continue
            if holds_user(update, person.platform_id):
                found.append(row.key)
        return found


def _rows(table: Iterable[Any], person: str, *order: str) -> list[dict[str, Any]]:
    """The rows of ``table`` about ``person``, each as its fields, in ``order``."""
    mine = [asdict(row) for row in table if row.person == person]
    return sorted(mine, key=lambda row: tuple(row[column] for column in order))


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON-safe values: instants and days as ISO text."""
    return {
        key: value.isoformat() if isinstance(value, datetime | date) else value
        for key, value in row.items()
    }


class MemoryTransaction:
    """One transaction's repositories, all over the same copy of the tables."""

    def __init__(self, tables: _Tables) -> None:
        self.inbox: InboxRepository = MemoryInbox(tables)
        self.people: PeopleRepository = MemoryPeople(tables)
        self.communities: CommunityRepository = MemoryCommunities(tables)
        self.memberships: MembershipRepository = MemoryMemberships(tables)
        self.counters: CounterRepository = MemoryCounters(tables)
        self.announcements: AnnouncementRepository = MemoryAnnouncements(tables)
        self.supporters: SupporterRepository = MemorySupporters(tables)
        self.cravings: CravingRepository = MemoryCravings(tables)
        self.calls: CallRepository = MemoryCalls(tables)
        self.contacts: ContactRepository = MemoryContacts(tables)
        self.relapses: RelapseRepository = MemoryRelapses(tables)
        self.consent: ConsentRepository = MemoryConsent(tables)
        self.meetings: MeetingRepository = MemoryMeetings(tables)
        self.roles: RoleRepository = MemoryRoles(tables)
        self.links: LinkRepository = MemoryLinks(tables)
        self.privacy: PrivacyRepository = MemoryPrivacy(tables)
        self.outbox: OutboxRepository = MemoryOutbox(tables)
        self.timers: TimerRepository = MemoryTimers(tables)
        self.meta: MetaRepository = MemoryMeta(tables)


class MemoryStore:
    """A store that lives as long as its process: for tests, and as the reference of what
    every backend promises."""

    def __init__(self) -> None:
        self._tables = _Tables()
        self._turn = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._turn:
            work = self._tables.copy()
            yield MemoryTransaction(work)
            self._tables = work

    async def schema_moved(self) -> int | None:
        """Never: no other process reaches these tables."""
        return None

    async def close(self) -> None:
        """Nothing to close: the tables go with the store."""
