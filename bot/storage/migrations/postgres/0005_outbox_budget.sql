-- A platform's overall rate limit, kept by every process on the database together
-- (bot/budget.py): time is cut into slots of a tenth of a second, and each platform's row counts
-- the requests the processes took of the current slot; granted is what the last taker got.
CREATE TABLE outbox_budget (
    platform  TEXT PRIMARY KEY,
    slot      BIGINT NOT NULL,
    used      INTEGER NOT NULL,
    granted   INTEGER NOT NULL
);
