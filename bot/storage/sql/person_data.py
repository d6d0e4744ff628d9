"""A person's own data across their linked identities (``/linkme``), in SQL.

While two identities are linked, the person's own rows (counters, restarts, contact, consent)
are kept under the principal's key; the columns every query reads with an identity's row
(zone, language, supporter hours and urgency) and the rest supporters get between pings are
written to every identity alike, so that whichever identity a query starts from reads the
person's values.
"""

from __future__ import annotations

from typing import Any

from bot.storage.port import Connection

SAME_PERSON = (
    "SELECT ? AS key UNION SELECT person FROM person_links WHERE principal = ?"
    " UNION SELECT principal FROM person_links WHERE person = ?"
    " UNION SELECT o.person FROM person_links o JOIN person_links l ON o.principal = l.principal"
    " WHERE l.person = ?"
)
"""Every identity of the person whose key is the parameter (given four times), that key too."""


def same_person(key: str) -> tuple[Any, ...]:
    """The parameters of ``SAME_PERSON`` for ``key``."""
    return (key, key, key, key)


def merge(db: Connection, person: str, principal: str) -> None:
    """Send what ``PeopleRepository.merge_data`` does, with the transaction's next trip."""
    # Zone, language, supporter hours: the principal's, else the other's; urgent pings if
    # either side said yes. Then the other side holds the same.
    db.execute_later(
        "UPDATE people SET"
        " timezone = COALESCE(timezone, (SELECT o.timezone FROM people o WHERE o.key = ?)),"
        " locale = COALESCE(locale, (SELECT o.locale FROM people o WHERE o.key = ?)),"
        " supporter_hours = COALESCE(supporter_hours,"
        " (SELECT o.supporter_hours FROM people o WHERE o.key = ?)),"
        " supporter_urgent = supporter_urgent"
        " OR (SELECT o.supporter_urgent FROM people o WHERE o.key = ?),"
        " bridge_pings = bridge_pings AND (SELECT o.bridge_pings FROM people o WHERE o.key = ?)"
        " WHERE key = ?",
        (person, person, person, person, person, principal),
    )
    db.execute_later(
        "UPDATE people SET"
        " timezone = (SELECT o.timezone FROM people o WHERE o.key = ?),"
        " locale = (SELECT o.locale FROM people o WHERE o.key = ?),"
        " supporter_hours = (SELECT o.supporter_hours FROM people o WHERE o.key = ?),"
        " supporter_urgent = (SELECT o.supporter_urgent FROM people o WHERE o.key = ?),"
        " bridge_pings = (SELECT o.bridge_pings FROM people o WHERE o.key = ?)"
        " WHERE key = ?",
        (principal, principal, principal, principal, principal, person),
    )
    # Counts: the same date twice is one; a name only one side has moves; the same name
    # with another date stays with ``person``, pending the member's choice.
    db.execute_later(
        "DELETE FROM counters WHERE person = ? AND EXISTS (SELECT 1 FROM counters c"
        " WHERE c.person = ? AND c.name = counters.name AND c.clean_since = counters.clean_since)",
        (person, principal),
    )
    db.execute_later(
        "UPDATE counters SET person = ? WHERE person = ?"
        " AND name NOT IN (SELECT c.name FROM counters c WHERE c.person = ?)",
        (principal, person, principal),
    )
    db.execute_later("UPDATE restarts SET person = ? WHERE person = ?", (principal, person))
    db.execute_later(
        "UPDATE contacts SET person = ? WHERE person = ?"
        " AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.person = ?)",
        (principal, person, principal),
    )
    db.execute_later("DELETE FROM contacts WHERE person = ?", (person,))
    # A yes on either side is the person's yes: their data is kept together now.
    db.execute_later(
        "DELETE FROM consents WHERE person = ? AND given_at IS NULL AND EXISTS"
        " (SELECT 1 FROM consents c WHERE c.person = ? AND c.given_at IS NOT NULL)",
        (principal, person),
    )
    db.execute_later(
        "UPDATE consents SET person = ? WHERE person = ?"
        " AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.person = ?)",
        (principal, person, principal),
    )
    db.execute_later("DELETE FROM consents WHERE person = ?", (person,))
    # Rest between pings: each side rests as long as the person was last pinged anywhere.
    for source, target in ((person, principal), (principal, person)):
        db.execute_later(
            "INSERT INTO supporter_pings (person, role, last_pinged_at)"
            " SELECT ?, role, last_pinged_at FROM supporter_pings WHERE person = ?"
            " ON CONFLICT (person, role) DO UPDATE SET last_pinged_at = CASE"
            " WHEN excluded.last_pinged_at > supporter_pings.last_pinged_at"
            " THEN excluded.last_pinged_at ELSE supporter_pings.last_pinged_at END",
            (target, source),
        )


def copy(db: Connection, principal: str, person: str) -> None:
    """Send what ``PeopleRepository.copy_data`` does, with the transaction's next trip."""
    db.execute_later(
        "INSERT INTO counters (person, name, clean_since, updated_at)"
        " SELECT ?, name, clean_since, updated_at FROM counters WHERE person = ?"
        " ON CONFLICT (person, name) DO NOTHING",
        (person, principal),
    )
    db.execute_later(
        "INSERT INTO restarts (person, counter, clean_since, restarted_on, note, created_at,"
        " supporters_told_at) SELECT ?, counter, clean_since, restarted_on, note, created_at,"
        " supporters_told_at FROM restarts WHERE person = ? ORDER BY id",
        (person, principal),
    )
    db.execute_later(
        "INSERT INTO contacts (person, contact, updated_at)"
        " SELECT ?, contact, updated_at FROM contacts WHERE person = ?"
        " ON CONFLICT (person) DO NOTHING",
        (person, principal),
    )
    db.execute_later(
        "INSERT INTO consents (person, given_at, declined_at, implied, told_at)"
        " SELECT ?, given_at, declined_at, implied, told_at FROM consents WHERE person = ?"
        " ON CONFLICT (person) DO NOTHING",
        (person, principal),
    )
