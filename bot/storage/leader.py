"""Which process does a job only one may do at a time (polling a platform for updates, say).

On PostgreSQL the leader is the process holding a session-level advisory lock on a connection
of its own (``bot.storage.postgres.AdvisoryLeader``): when the process dies, its session ends
and the lock is free for the next one to take. A SQLite file has one process, which always
leads (``SoleLeader``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class Leader(Protocol):
    """One process's claim to lead one job."""

    async def lead(self) -> bool:
        """Whether this process leads now: take the lead if it is free, or check that it is
        still held. False when another process leads or the database cannot tell."""
        ...

    async def close(self) -> None:
        """Give the lead up (at once, for the next process to take)."""
        ...


class SoleLeader:
    """The only process there is: it always leads."""

    async def lead(self) -> bool:
        return True

    async def close(self) -> None:
        return None


@runtime_checkable
class _Leads(Protocol):
    """A store whose database several processes may share."""

    def leader(self, job: str) -> Leader: ...


def leader_of(store: object, job: str) -> Leader:
    """The leader for ``job`` among the processes sharing ``store``'s database."""
    return store.leader(job) if isinstance(store, _Leads) else SoleLeader()


def shared_by_processes(store: object) -> bool:
    """Whether several processes may share ``store``'s database, so that a platform's overall
    limit must be kept through it (``bot/budget.py``); one process on a file keeps it alone,
    without a write for every few sends."""
    return isinstance(store, _Leads)
