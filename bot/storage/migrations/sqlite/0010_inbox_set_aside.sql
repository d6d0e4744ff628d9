-- An update whose handling fails is tried again later and then set aside, in the inbox itself:
-- how often it was tried, when it may be tried next (NULL: at once), when it was set aside and
-- why (the error's type, never its text). Handling takes only updates that are due and not set
-- aside, so a set-aside update never stands in front of the next ones, and the operator can
-- count them. Rows stored before this migration are due at once, as they were.
ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN next_attempt_at TIMESTAMP;
ALTER TABLE inbox ADD COLUMN set_aside_at TIMESTAMP;
ALTER TABLE inbox ADD COLUMN reason TEXT;

DROP INDEX inbox_by_platform;
CREATE INDEX inbox_waiting ON inbox (platform, received_at, key) WHERE set_aside_at IS NULL;
CREATE INDEX inbox_set_aside ON inbox (platform) WHERE set_aside_at IS NOT NULL;
