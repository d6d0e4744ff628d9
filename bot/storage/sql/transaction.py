"""One open transaction in portable SQL: the repositories of every area over one connection."""

from __future__ import annotations

from bot.storage.port import (
    AnnouncementRepository,
    CallRepository,
    CommunityRepository,
    Connection,
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
)
from bot.storage.sql.announcements import SqlAnnouncements
from bot.storage.sql.calls import SqlCalls
from bot.storage.sql.communities import SqlCommunities
from bot.storage.sql.consent import SqlConsent
from bot.storage.sql.contacts import SqlContacts
from bot.storage.sql.counters import SqlCounters
from bot.storage.sql.cravings import SqlCravings
from bot.storage.sql.inbox import SqlInbox
from bot.storage.sql.links import SqlLinks
from bot.storage.sql.meetings import SqlMeetings
from bot.storage.sql.memberships import SqlMemberships
from bot.storage.sql.meta import SqlMeta
from bot.storage.sql.outbox import SqlOutbox
from bot.storage.sql.people import SqlPeople
from bot.storage.sql.privacy import SqlPrivacy
from bot.storage.sql.relapses import SqlRelapses
from bot.storage.sql.roles import SqlRoles
from bot.storage.sql.session import Session
from bot.storage.sql.supporters import SqlSupporters
from bot.storage.sql.timers import SqlTimers


class SqlTransaction:
    """One event's transaction: every repository shares its connection and what it read."""

    def __init__(self, connection: Connection) -> None:
        session = Session(connection)
        self.inbox: InboxRepository = SqlInbox(session)
        self.people: PeopleRepository = SqlPeople(session)
        self.communities: CommunityRepository = SqlCommunities(session)
        self.memberships: MembershipRepository = SqlMemberships(session)
        self.counters: CounterRepository = SqlCounters(session)
        self.announcements: AnnouncementRepository = SqlAnnouncements(session)
        self.supporters: SupporterRepository = SqlSupporters(session)
        self.cravings: CravingRepository = SqlCravings(session)
        self.calls: CallRepository = SqlCalls(session)
        self.contacts: ContactRepository = SqlContacts(session)
        self.relapses: RelapseRepository = SqlRelapses(session)
        self.consent: ConsentRepository = SqlConsent(session)
        self.meetings: MeetingRepository = SqlMeetings(session)
        self.roles: RoleRepository = SqlRoles(session)
        self.links: LinkRepository = SqlLinks(session)
        self.privacy: PrivacyRepository = SqlPrivacy(session)
        self.outbox: OutboxRepository = SqlOutbox(session)
        self.timers: TimerRepository = SqlTimers(session)
        self.meta: MetaRepository = SqlMeta(session)
