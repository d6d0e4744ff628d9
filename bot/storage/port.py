"""The ports a storage backend implements: a ``Store`` opens a ``Transaction``, whose
repositories (one per area: ``tx.people``, ``tx.cravings``, ``tx.outbox``...) are everything a
flow reads and writes. Protocols only: a backend's classes live with the backend."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, Protocol

from bot.domain.community import CommunitySettings
from bot.domain.model import Community, Counter, DueAnnouncement, LinkCode, Membership, Person
from bot.domain.records import (
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
from bot.domain.replies import Reply, Target
from bot.domain.timers import TimerPayload


class Row(Protocol):
    """A result row, readable by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


class Connection(Protocol):
    """The few calls the portable queries need; ``?`` marks each parameter.

    Every call is one trip to the database. A statement whose outcome nobody reads goes
    through ``execute_later`` and rides along with the next trip.
    """

    @property
    def distinct(self) -> str:
        """The operator for "differs from", where NULL is a value like any other:
        ``IS NOT`` in SQLite, ``IS DISTINCT FROM`` in PostgreSQL."""
        ...

    @property
    def instant(self) -> str:
        """The placeholder of an instant where nothing tells its type (a ``CASE`` branch):
        ``?`` in SQLite, ``?::timestamptz`` in PostgreSQL, which would take it for text."""
        ...

    @property
    def skip_locked(self) -> str:
        """What ends a ``SELECT`` of rows to claim so that concurrent claims pass each other
        by: `` FOR UPDATE SKIP LOCKED`` in PostgreSQL, nothing in SQLite (one writer at a
        time: a claim sees every earlier one committed)."""
        ...

    @property
    def for_update(self) -> str:
        """What ends a ``SELECT`` of rows a transaction will decide on and change, so that a
        concurrent one waits for it: `` FOR UPDATE`` in PostgreSQL, nothing in SQLite (one
        writer at a time already)."""
        ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement and return how many rows it changed."""
        ...

    def execute_later(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement before the next one, in the same trip; if it fails, that next
        call (at the latest, the transaction's end) raises its error."""
        ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetch_each(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        """Run statements one after the other in one trip; return the rows of each."""
        ...


class InboxRepository(Protocol):
    """Inbound dedupe keys, and updates stored before the platform is told they arrived."""

    async def claim(self, key: str, now: datetime) -> bool:
        """Record an inbound's key, and take its stored update (if any) out of the inbox with
        it; False when it was handled before."""
        ...

    async def store(
        self, key: str, platform: str, payload: str, now: datetime, *, due: datetime | None = None
    ) -> bool:
        """Keep an update until its effect commits; False when it was stored or handled already.

        ``due`` holds it from the inbox's handling until then (None: due at once), for an
        update its receiver is handling itself.
        """
        ...

    async def store_all(
        self,
        updates: Sequence[tuple[str, str]],
        platform: str,
        now: datetime,
        *,
        due: datetime | None = None,
    ) -> list[bool]:
        """Keep updates, each ``(key, payload)``, as ``store`` does, in one trip; for each,
        whether it was new."""
        ...

    async def waiting(
        self, platform: str, limit: int, due_by: datetime | None = None
    ) -> list[tuple[str, str, int]]:
        """Stored updates to handle, oldest first: (key, payload, tries so far); never one set
        aside, and with ``due_by`` only those due by then."""
        ...

    async def next_attempt(self, platform: str) -> datetime | None:
        """When the next stored update that waits to be tried again falls due."""
        ...

    async def failed(
        self, key: str, reason: str, now: datetime, *, retry_at: datetime, max_tries: int
    ) -> tuple[int, bool]:
        """Count a failed try at a stored update: it waits until ``retry_at``, or is set aside
        once it failed ``max_tries`` times. Return the tries so far and whether it is set aside
        now (0 and False when it is gone: handled meanwhile, or erased)."""
        ...

    async def set_aside_count(self, platform: str) -> int:
        """How many of the platform's stored updates were set aside after failing."""
        ...

    async def release(self, platform: str, now: datetime) -> int:
        """Make due now every stored update a receiver was holding for itself: it was a
        process that is gone (call before this process receives anything)."""
        ...

    async def drop(self, *keys: str) -> None:
        """Forget stored updates (handled, or erased), sent with the transaction's next trip."""
        ...

    async def forget_set_aside_before(self, cutoff: datetime) -> int:
        """Delete stored updates that were set aside before ``cutoff``; how many went."""
        ...

    async def forget_handled_before(self, cutoff: datetime) -> int:
        """Drop dedupe keys older than any redelivery could be."""
        ...


class PeopleRepository(Protocol):
    """People: who the bot has met, their name and zone, whether their private chat is open."""

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
        """Meet whoever caused an event, and where, with one read.

        Create the person, community and membership that are new; refresh a changed name,
        whether they are an admin there, and (``private_chat``) that their private chat with
        the bot is open. Return the person and community as stored; write nothing unchanged.
        With ``claim``, claim that inbound key first in the same trip (as ``inbox.claim``):
        None when it was handled before, and then nothing else is written.
        """
        ...

    async def upsert(
        self, key: str, platform: str, platform_id: str, name: str, now: datetime
    ) -> Person:
        """Create the person, or refresh the name they go by now."""
        ...

    async def get(self, key: str) -> Person | None: ...

    async def set_timezone(self, key: str, timezone: str | None) -> None:
        """Set the person's zone, on every identity they linked (``/linkme``)."""
        ...

    async def set_locale(self, key: str, locale: str | None) -> None:
        """Remember the language the person chose for their private answers (None: none), on
        every identity they linked."""
        ...

    async def set_private_chat(self, person: str, open_: bool) -> None:
        """Remember whether the person's private chat with the bot is open."""
        ...

    async def private_chat_open(self, person: str) -> bool: ...

    async def link(self, person: str, principal: str, now: datetime) -> None:
        """Make ``person`` another identity of ``principal`` (who issued the code), replacing
        any link ``person`` had: the person's own data lives under ``principal`` meanwhile."""
        ...

    async def unlink(self, person: str) -> None:
        """Make ``person`` a person of their own again (nothing when they were)."""
        ...

    async def principal(self, key: str) -> str:
        """The key the person's own data lives under: their principal's, or ``key`` itself
        when they are not linked."""
        ...

    async def identities(self, key: str) -> list[Person]:
        """Every identity of the person ``key`` is one of, ``key``'s first, then the principal,
        then any other by key; ``[key's]`` when not linked (``[]`` for a stranger)."""

    async def merge_data(self, person: str, principal: str) -> None:
        """Make ``person``'s own data ``principal``'s, as ``person`` is linked to them.

        Restarts, the contact (``principal``'s if both have one) and consent (a yes on either
        side) move; counts move, one count kept once where both sides hold the same date, but
        a count both hold with different dates stays ``person``'s: the member chooses. Zone,
        language and supporter hours are ``principal``'s where set, else ``person``'s; then
        both hold them, and both rest since the later of their last pings.
        """
        ...

    async def copy_data(self, principal: str, person: str) -> None:
        """Give ``person`` a copy of ``principal``'s own data, as they are unlinked: counts
        it holds none of by that name, restarts, contact, consent (what it has stays)."""
        ...


class CommunityRepository(Protocol):
    """The groups and servers the bot serves, and their settings."""

    async def upsert(
        self, key: str, platform: str, platform_id: str, chat: str, now: datetime
    ) -> Community:
        """Create the community on first contact; its settings start at the defaults."""
        ...

    async def get(self, key: str) -> Community | None: ...

    async def set_active(self, key: str, active: bool) -> None:
        """Mark whether the bot is still in this community (it may be removed and re-added)."""
        ...

    async def save_settings(self, key: str, settings: CommunitySettings) -> None: ...

    async def fellowship(self, key: str) -> list[Community]:
        """Every chat linked with this one, this one first, then the others by key;
        ``[itself]`` when not linked (``[]`` when it is unknown)."""
        ...

    async def link(self, a: str, b: str) -> bool:
        """Make ``b`` one community with ``a`` (whose admin issued the code), if neither is
        linked yet: both then hold ``a``'s key as their fellowship. False (nothing changed)
        when either is linked already. The two rows are locked before they are read, so two
        links racing for one chat never make a fellowship of three."""
        ...

    async def unlink(self, key: str) -> None:
        """Take the chat out of its fellowship; a fellowship left with one chat ends."""
        ...


class MembershipRepository(Protocol):
    """Who belongs where, whether they share their count there, who is an admin."""

    async def ensure(self, community: str, person: str, now: datetime) -> Membership: ...

    async def get(self, community: str, person: str) -> Membership | None: ...

    async def of(self, person: str) -> list[Membership]:
        """The person's memberships, by community."""
        ...

    async def set_share(self, community: str, person: str, share: bool) -> None: ...

    async def share_by_default(self, community: str, person: str) -> None:
        """Turn sharing on here unless the member already chose."""
        ...

    async def leave(self, community: str, person: str) -> None:
        """Forget a member's place in a community they left: they are no longer pinged there."""
        ...

    async def members(self, community: str) -> list[Person]:
        """Everyone who belongs to this community."""
        ...

    async def set_admin(self, community: str, person: str, admin: bool) -> None:
        """Remember whether the member is an admin here, as the platform last said."""
        ...

    async def admins(self, community: str) -> list[Person]:
        """The community's known admins whose private chat with the bot is open."""
        ...


class CounterRepository(Protocol):
    """Clean-time counters: a member's primary count and their named ones."""

    async def set(self, person: str, name: str, clean_since: date, now: datetime) -> None: ...

    async def of(self, person: str) -> list[Counter]:
        """The primary counter first, then named ones by name."""
        ...

    async def remove(self, person: str, name: str) -> None:
        """Forget one of the person's counters, if they hold it."""
        ...

    async def shared_in(self, communities: Sequence[str]) -> list[tuple[Person, date]]:
        """Everyone who shares their count in any of these communities, each person once, with
        their primary clean date: a linked identity as its principal (key, zone, date)."""
        ...


class AnnouncementRepository(Protocol):
    """When each member is next celebrated, and the celebrations made."""

    async def set_due(
        self, community: str, person: str, due: tuple[datetime, str, date] | None
    ) -> None:
        """Set when (and for which milestone and day) this member is next celebrated here."""
        ...

    async def due(self, now: datetime, limit: int) -> list[DueAnnouncement]:
        """Memberships whose next announcement time has come, earliest first, via the index."""
        ...

    async def earliest_due(self) -> datetime | None: ...

    async def record(
        self,
        community: str,
        person: str,
        counter: str,
        clean_since: date,
        milestone: str,
        now: datetime,
    ) -> bool:
        """Remember a celebration; False when this very one was made before."""
        ...


class SupporterRepository(Protocol):
    """Who opted in to which pings where, their hours, and when they were last pinged."""

    async def set_role(self, community: str, person: str, role: Role, on: bool) -> None:
        """Opt a person in or out of one kind of ping in one community."""
        ...

    async def roles(self, community: str, person: str) -> set[Role]: ...

    async def set_hours(self, person: str, hours: str | None) -> None:
        """Set when the person may be pinged, on every identity they linked."""
        ...

    async def hours(self, person: str) -> str | None: ...

    async def set_urgent(self, person: str, on: bool) -> None:
        """Opt the person in or out of urgent pings, on every identity they linked."""
        ...

    async def urgent(self, person: str) -> bool: ...

    async def set_bridge_pings(self, person: str, on: bool) -> None:
        """Whether ``person`` (every identity of theirs) may be pinged for a craving or a call
        in a linked chat on another platform (``/supporter linked on|off``); on until they say
        off. Linking two identities keeps a "no" either of them said."""

    async def bridge_pings(self, person: str) -> bool:
        """True unless ``person`` said no to pings from a linked chat (an unknown key too)."""

    async def opted_in(
        self, community: str, role: Role, *, supporter_role: str | None = None
    ) -> list[SupporterRow]:
        """Everyone in this community who opted in to ``role``.

        For craving pings, members who hold the community's ``supporter_role`` count as opted
        in too, unless they said /supporter off here.
        """
        ...

    async def mark_pinged(self, people: Iterable[str], role: Role, now: datetime) -> None:
        """Remember when these supporters were last pinged for ``role``, for rest and fairness,
        on every identity each of them linked."""
        ...


class CravingRepository(Protocol):
    """Cravings shared, who was pinged for each, who claimed it, how it went."""

    async def create(
        self, community: str | None, person: str, chat: str, private: bool, now: datetime
    ) -> int: ...

    async def get(self, craving: int) -> Craving | None: ...

    async def latest(
        self, person: str, community: str, private: bool, since: datetime
    ) -> Craving | None:
        """The member's latest craving shared since ``since`` in this community, in the group
        (or, with ``private``, in their private chat), whose episode has not ended."""
        ...

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
        """Read in one trip what sharing a craving reads in turn: the member's open craving
        here, when they last got the crisis block privately, and the community's craving
        supporters. Each is kept, so the calls that follow find it without a trip."""
        ...

    async def count_in(self, community: str) -> int:
        """How many cravings were ever shared in a community."""
        ...

    async def latest_private_crisis(self, person: str, since: datetime) -> datetime | None:
        """When the member was last sent the full crisis block privately, if since ``since``,
        in a craving whose episode has not ended."""
        ...

    async def mark_urgent(self, craving: int) -> None: ...

    async def mark_crisis_sent(self, craving: int, at: datetime, *, in_group: bool) -> None:
        """Remember when (and where) the member got the full crisis block in this episode."""
        ...

    async def set_message(self, craving: int, message: int) -> None: ...

    async def claim(self, craving: int, person: str, now: datetime) -> bool:
        """Let the first supporter claim a craving not yet passed; False if someone was first."""
        ...

    async def set_outcome(self, craving: int, outcome: str) -> None: ...

    async def record_pings(
        self, craving: int, people: Iterable[str], now: datetime, *, urgent: bool = False
    ) -> None: ...

    async def pinged(self, craving: int, *, urgently: bool = False) -> set[str]:
        """Who was pinged for this craving (``urgently``: told it is urgent)."""
        ...

    async def tally(self, person: str) -> tuple[int, int]:
        """How many cravings the member logged, and how many they marked as passed."""
        ...


class CallRepository(Protocol):
    """Requests for a (practice) call, the volunteers pinged, who took each."""

    async def add(
        self, community: str, person: str, chat: str, practice: bool, now: datetime
    ) -> int: ...

    async def set_message(self, request: int, message: int) -> None: ...

    async def get(self, request: int) -> CallRequest | None: ...

    async def open_request(self, community: str, person: str, practice: bool) -> CallRequest | None:
        """The member's request of this kind here that nobody has taken and has not closed."""
        ...

    async def add_pings(self, request: int, people: Iterable[str], now: datetime) -> None: ...

    async def was_pinged(self, request: int, person: str) -> bool:
        """Whether ``person`` was asked to take this request."""
        ...

    async def claim(self, request: int, person: str, now: datetime) -> bool:
        """Take an open request for ``person``; False when someone was first or it closed."""
        ...

    async def expire(self, request: int, now: datetime) -> bool:
        """Close a request nobody took; False when it was taken or closed already."""
        ...

    async def recent_claimers(self, person: str, since: datetime) -> list[Person]:
        """Who took this member's calls since ``since``, each once."""
        ...

    async def counts(self, person: str) -> CallCounts:
        """How many calls and practice calls the member asked for, and calls they took."""
        ...


class ContactRepository(Protocol):
    """The contact a member hands to whoever takes their call."""

    async def set(self, person: str, contact: str, now: datetime) -> None: ...

    async def of(self, person: str) -> str | None: ...

    async def clear(self, person: str) -> bool:
        """Remove the member's contact; False when there was none."""
        ...


class RelapseRepository(Protocol):
    """Restarts: counts that ended, in their member's private history."""

    async def record(
        self, person: str, counter: str, clean_since: date, restarted_on: date, now: datetime
    ) -> int:
        """Keep the count that ended in the member's private history; return the row's id."""
        ...

    async def has(self, person: str, counter: str, clean_since: date, restarted_on: date) -> bool:
        """Whether this very restart (from this count to this new date) is already recorded."""
        ...

    async def of(self, person: str) -> list[Restart]:
        """The member's restarts, oldest first."""
        ...

    async def latest(self, person: str) -> Restart | None: ...

    async def get(self, person: str, restart_id: int) -> Restart | None:
        """One restart, only if it is this member's own."""
        ...

    async def set_note(self, restart_id: int, note: str | None) -> None: ...

    async def claim_supporters_told(self, restart_id: int, person: str, now: datetime) -> bool:
        """Mark that the supporters are being told of this restart; False if they were before."""
        ...

    async def release_supporters_told(self, restart_id: int, person: str) -> None:
        """Undo the claim when nobody could be told, so that the member can ask again later."""
        ...


class ConsentRepository(Protocol):
    """Whether a member said yes to keeping their recovery data; withdrawing it erases that."""

    async def of(self, person: str) -> Consent | None: ...

    async def give(self, person: str, now: datetime) -> None: ...

    async def decline(self, person: str, now: datetime) -> None: ...

    async def withdraw(self, person: str) -> None:
        """Erase everything consent covered, and forget the yes (and any earlier no)."""
        ...

    async def untold_implied(self, limit: int) -> list[Person]:
        """Members whose consent is implied and who were not told yet."""
        ...

    async def mark_told(self, person: str, now: datetime) -> None: ...


class MeetingRepository(Protocol):
    """Who wants a reminder before their community's meetings."""

    async def set_reminder(self, community: str, person: str, on: bool) -> None:
        """Opt a member in to (or out of) a reminder before each of the community's meetings."""
        ...

    async def wants_reminders(self, community: str, person: str) -> bool: ...

    async def reminder_people(self, community: str) -> list[Person]:
        """Everyone in this community who asked to be reminded of its meetings."""
        ...

    async def has_reminders(self, community: str) -> bool: ...


class RoleRepository(Protocol):
    """The roles members hold in a community, as the platform last reported them."""

    async def of(self, community: str, person: str) -> set[str]: ...

    async def replace(self, community: str, person: str, roles: Iterable[str]) -> bool:
        """Make ``roles`` the member's roles here; False when they were those already."""
        ...


class LinkRepository(Protocol):
    """One-time linking codes (kept as digests) and the wrong codes entered, for the lockout."""

    async def issue(
        self,
        kind: str,
        digest: str,
        origin: str,
        issued_by: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Keep a new code; it replaces any code of the same ``kind`` and ``origin``."""
        ...

    async def redeem(self, kind: str, digest: str, now: datetime) -> LinkCode | None:
        """Use a code of ``kind``: mark it used and return it; None when it is unknown, used
        or expired. Of two transactions redeeming one code at once, only one gets it."""
        ...

    async def record_failure(self, subjects: Iterable[str], now: datetime) -> None:
        """Count one wrong code against each subject (a chat's key or a person's key)."""
        ...

    async def failures(self, subject: str, since: datetime) -> list[datetime]:
        """When each wrong code counted against ``subject`` since ``since`` was entered,
        oldest first."""
        ...

    async def forget_before(self, cutoff: datetime) -> int:
        """Delete codes that expired, and wrong codes counted, before ``cutoff``; how many."""
        ...


class PrivacyRepository(Protocol):
    """Everything stored about one person: gathered for ``/mydata``, erased for ``/forgetme``."""

    async def everything_about(self, person: Person) -> dict[str, list[dict[str, Any]]]:
        """Every stored row about ``person``, by section (see ``SECTIONS``, and ``inbox``)."""
        ...

    async def erase(
        self, person: Person, *, notices: Collection[str] = (), released: Collection[str] = ()
    ) -> None:
        """Delete every row about ``person``, in every table, and every mention of them.

        ``notices`` are the templates of messages whose point is the people they list (a ping,
        a digest): one waiting to be sent that listed only this person is deleted. ``released``
        are the context keys that name whoever claimed a request: theirs become None.
        """
        ...

    async def farewell_waiting(self, outbox_id: int) -> bool:
        """Whether an outbox row is still to be sent (neither sent nor given up on)."""
        ...

    async def drop_farewell(self, outbox_id: int, template: str) -> None:
        """Delete the last message to an erased member, found by its id, never by theirs."""
        ...


class OutboxRepository(Protocol):
    """Replies waiting for their platform to accept them, and where sent ones went."""

    async def enqueue(
        self,
        reply: Reply,
        locale: str,
        now: datetime,
        *,
        about: str | None = None,
        follows: int | None = None,
    ) -> int:
        """Put a reply in the outbox; it leaves only after this transaction commits.

        ``follows`` names a row this one must not overtake: it waits until that row was tried.
        """
        ...

    async def pending(self, platform: str, now: datetime, limit: int) -> list[OutboxMessage]:
        """Messages due to leave, most urgent first, then oldest, with the platform id of any
        message they edit; an edit of a message not yet sent, or a row following one not yet
        tried, is not due."""
        ...

    async def due(
        self,
        platform: str,
        now: datetime,
        *,
        newer_than: int = 0,
        due_since: datetime | None = None,
    ) -> list[DueRow]:
        """What a scheduler needs of each row due to leave, most urgent first: rows with an id
        above ``newer_than`` and rows that fell due since ``due_since`` (by default, all)."""
        ...

    async def messages(self, ids: list[int]) -> list[OutboxMessage]:
        """The rows with these ids that still wait to leave (an erasure may have taken some)."""
        ...

    async def mark_sent(
        self, outbox_id: int, ref: str | None, now: datetime, *, lease: LaneLease | None = None
    ) -> bool:
        """Record delivery and forget what the message said (and its lane): only its platform id
        is kept. With a ``lease``, only while it is still the row's lane's (as for each mark);
        whether the row was marked (False: erased, or its lane taken over by another worker,
        which may send it again)."""
        ...

    async def mark_retry(
        self, outbox_id: int, at: datetime, *, lease: LaneLease | None = None
    ) -> bool:
        """Count a try and wait until ``at``; whether the row was there to mark (and, with a
        ``lease``, the lane still held by it)."""
        ...

    async def mark_failed(
        self, outbox_id: int, reason: str, now: datetime, *, lease: LaneLease | None = None
    ) -> bool:
        """Give up on a row for good; whether it was marked, as for ``mark_retry``."""
        ...

    async def claim_lanes(
        self, platform: str, lanes: Sequence[str], holder: str, now: datetime, until: datetime
    ) -> list[LaneLease]:
        """Lease these lanes to ``holder`` until ``until``: each one nobody holds, whose lease
        ran out by ``now`` (its holder died or stalled), or that ``holder`` holds already
        (renewed, with its token kept). Return the leases ``holder`` now has, in no order, with
        the group's minute its last holder left; a lane held by another is left out."""
        ...

    async def release_lanes(self, leases: Sequence[LaneLease]) -> None:
        """Let go of lanes: each lease is forgotten, or kept without a holder while its
        ``minute`` still counts, for the next holder; a lease that is no longer the lane's
        changes nothing. A lease never names the conversation (a member's private chat) in the
        database."""
        ...

    async def take_budget(self, platform: str, slot: int, wanted: int, per_slot: int) -> int:
        """Take up to ``wanted`` of the ``per_slot`` requests the platform's time slot ``slot``
        has for every process together; how many were taken (none, for a slot gone by)."""
        ...

    async def forget_before(self, cutoff: datetime) -> int:
        """Delete messages that left (or failed for good) before ``cutoff``."""
        ...

    async def by_ref(self, platform: str, ref: str) -> int | None:
        """The outbox id of the message the platform knows as ``ref``."""
        ...

    async def deliver_waiting_now(self, person: str, now: datetime) -> int:
        """Let messages waiting for this person (e.g. until they open a private chat) go now."""
        ...

    async def target(self, outbox_id: int) -> Target | None:
        """Where an earlier message went, so that it can be edited in place."""
        ...

    async def next_attempt(self, platform: str) -> datetime | None: ...

    async def backlog(self) -> list[Backlog]:
        """The rows waiting to leave (sent and given up ones are not), counted per platform
        and priority with when the oldest was queued, in platform then priority order."""
        ...


class TimerRepository(Protocol):
    """Work due at a given time, each timer fired once, by whichever process claimed it."""

    scheduled: bool
    """Whether this transaction added or moved a timer (the timer loop then looks again)."""

    async def schedule(
        self,
        payload: TimerPayload,
        due_at: datetime,
        *,
        key: str | None = None,
        about: str | None = None,
    ) -> None:
        """Add a timer; a keyed timer exists once and keeps the earlier of two due times."""
        ...

    async def claim(
        self, now: datetime, limit: int, *, holder: str, until: datetime
    ) -> list[DueTimer]:
        """Lease up to ``limit`` timers due by ``now``, earliest first, to ``holder`` until
        ``until``: those no lease holds, or whose lease ran out (its process died). Each comes
        with a new ``fence``. Processes claiming at once never get the same timer."""
        ...

    async def take(self, timer_id: int, fence: int) -> bool:
        """Delete a fired timer; False when it is gone, or ``fence`` is not its latest claim's
        (another process fired it, or took it over when this one's lease ran out)."""
        ...

    async def due(self, now: datetime, limit: int) -> list[DueTimer]:
        """The timers due by ``now``, earliest first, leased or not: a read, for counting."""
        ...

    async def next_due(self) -> datetime | None:
        """When a timer can next be claimed: the earliest due time, or for a leased timer the
        end of its lease."""
        ...

    async def postpone(self, timer_id: int, fence: int, due_at: datetime) -> None:
        """Push back a timer whose handler failed, so one bad row cannot stall the loop, and
        end its lease; nothing when ``fence`` is not its latest claim's."""
        ...

    async def release(self, timer_id: int, fence: int) -> None:
        """End the lease of a timer its process did not fire, so another may claim it now;
        nothing when ``fence`` is not its latest claim's."""
        ...

    async def drop(self, timer_id: int, fence: int) -> None:
        """Delete a timer that failed its last attempt; nothing when ``fence`` is not its
        latest claim's."""
        ...

    async def cancel(self, key: str) -> None:
        """Drop a keyed timer, so it can be armed again for a later time."""
        ...


class MetaRepository(Protocol):
    """Process-wide values kept between runs, one per key."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


class Transaction(Protocol):
    """One open transaction: everything a flow reads and writes goes through its repositories,
    and commits together."""

    inbox: InboxRepository
    people: PeopleRepository
    communities: CommunityRepository
    memberships: MembershipRepository
    counters: CounterRepository
    announcements: AnnouncementRepository
    supporters: SupporterRepository
    cravings: CravingRepository
    calls: CallRepository
    contacts: ContactRepository
    relapses: RelapseRepository
    consent: ConsentRepository
    meetings: MeetingRepository
    roles: RoleRepository
    links: LinkRepository
    privacy: PrivacyRepository
    outbox: OutboxRepository
    timers: TimerRepository
    meta: MetaRepository


class Store(Protocol):
    """A database the core writes through, one transaction per event."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Open a read-modify-write transaction: all of it commits, or none of it; the block
        ends only once it is committed."""
        ...

    async def schema_moved(self) -> int | None:
        """The database's schema version when it is newer than this code's (another process
        migrated it since this one started: this one must stop); None while it is not."""
        ...

    async def close(self) -> None: ...
