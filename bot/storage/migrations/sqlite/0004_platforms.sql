-- What the platform adapters need: an inbox that makes receipt durable before the platform
-- is told an update arrived, finding a sent message by its platform id, and groups the bot
-- was removed from.

CREATE TABLE inbox (
    key          TEXT PRIMARY KEY,   -- the inbound's dedupe key, e.g. telegram:update:123
    platform     TEXT NOT NULL,
    payload      TEXT NOT NULL,      -- the update as the platform sent it
    received_at  TIMESTAMP NOT NULL
);
CREATE INDEX inbox_by_platform ON inbox (platform, received_at);

CREATE INDEX outbox_by_ref ON outbox (platform, sent_ref) WHERE sent_ref IS NOT NULL;

ALTER TABLE communities ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
