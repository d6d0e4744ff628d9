-- The outbox schedules instead of queueing. Each row carries its urgency (0: crisis lines,
-- pings, claims and hand-offs; 1: answers; 2: announcements, reminders, housekeeping), its lane
-- (the conversation it is ordered in: 'person:<id>' for a private chat, else the chat), and
-- the row it follows, if any (the group's "sent you the answer privately" waits until the
-- private answer was tried). Rows waiting now get their lane from their target.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN lane TEXT;
ALTER TABLE outbox ADD COLUMN follows INTEGER;

UPDATE outbox
SET lane = COALESCE(
    'person:' || json_extract(target, '$.person'),
    json_extract(target, '$.chat'),
    ''
)
WHERE sent_at IS NULL AND failed_at IS NULL AND json_valid(target);

CREATE INDEX outbox_due ON outbox (platform, priority, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;
