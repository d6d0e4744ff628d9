-- Consent. Nothing about a member's recovery (a clean date, a counter, a contact, a restart)
-- is kept until they say yes; a "no thanks" is remembered for a week, so they are not asked
-- again meanwhile. Members who had such data before Homegroup asked keep it (their consent is
-- marked implied) and are told once, privately, what is kept and how to stop.
CREATE TABLE consents (
    person       TEXT PRIMARY KEY REFERENCES people (key) ON DELETE CASCADE,
    given_at     TIMESTAMP,                       -- NULL: not given, or withdrawn
    declined_at  TIMESTAMP,                       -- the last "No thanks"
    implied      BOOLEAN NOT NULL DEFAULT FALSE,  -- kept from before Homegroup asked
    told_at      TIMESTAMP                        -- when an implied consent was explained
);
CREATE INDEX consents_untold ON consents (person) WHERE implied AND told_at IS NULL;

INSERT INTO consents (person, given_at, implied)
SELECT key, strftime('%Y-%m-%d %H:%M:%f000', 'now'), TRUE FROM people
WHERE key IN (SELECT person FROM counters UNION SELECT person FROM contacts
              UNION SELECT person FROM restarts);

-- Admins of a community, as the platform last said when they used the bot: they are told
-- privately how to invite supporters when a craving finds none.
ALTER TABLE memberships ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT FALSE;

-- Tell the members with implied consent, once, as soon as the bot runs.
INSERT INTO timers (kind, key, due_at, payload)
SELECT 'consent.notice', 'consent.notice', strftime('%Y-%m-%d %H:%M:%f000', 'now'), '{}'
WHERE EXISTS (SELECT 1 FROM consents WHERE implied);
