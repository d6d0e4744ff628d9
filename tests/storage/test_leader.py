"""One process leads a job (polling Telegram) among those sharing a PostgreSQL database."""

from __future__ import annotations

import asyncpg

from bot.storage.leader import SoleLeader, leader_of
from bot.storage.memory import MemoryStore
from bot.storage.postgres import PostgresStore


async def test_one_process_leads_and_the_next_takes_over_when_it_is_gone(
    postgres_database: str,
) -> None:
    stores = [await PostgresStore.open(postgres_database) for _ in range(3)]
    try:
        first, second, other_job = (
            leader_of(stores[0], "polling"),
            leader_of(stores[1], "polling"),
            leader_of(stores[2], "another job"),
        )
        assert await first.lead()
        assert await first.lead()  # still
        assert not await second.lead()
        assert await other_job.lead()  # a lock per job

        await first.close()  # a clean stop gives the lead up at once
        assert await second.lead()
        assert not await first.lead()

        # The leader's session ends (its process died, or the server dropped it): the lead
        # is free for the next to take, and the old leader knows it is not leading.
        admin = await asyncpg.connect(postgres_database)
        try:
            await admin.execute(  # waits (up to 5 s) for each session to end
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                " AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())"
            )
        finally:
            await admin.close()
        assert await first.lead()
        assert not await second.lead()
        await first.close()
        await second.close()
        await other_job.close()
    finally:
        for store in stores:
            await store.close()


async def test_a_process_alone_on_its_database_always_leads() -> None:
    store = MemoryStore()
    leader = leader_of(store, "polling")
    assert isinstance(leader, SoleLeader)
    assert await leader.lead()
    await leader.close()
    assert await leader.lead()


async def test_a_leader_whose_host_vanished_is_noticed_by_the_server_within_seconds(
    postgres_database: str,
) -> None:
    """A host that dies closes no socket: the server probes the leader's quiet connection
    every few seconds, so its lock is freed in about 25 s, not the system's two hours."""
    store = await PostgresStore.open(postgres_database)
    leader = leader_of(store, "polling")
    try:
        assert await leader.lead()
        connection = leader._connection  # the session that holds the lock
        assert connection is not None
        idle, interval, count = [
            int(await connection.fetchval(f"SHOW tcp_keepalives_{name}"))
            for name in ("idle", "interval", "count")
        ]
        assert min(idle, interval, count) > 0  # 0 is the system's default: two hours
        assert idle + interval * count <= 30
    finally:
        await leader.close()
        await store.close()
