-- One community across platforms (issue 15). Linked chats (a Telegram group and a Discord
-- server) hold the same fellowship: the key of the chat whose admin issued the code. NULL: not
-- linked. Each chat keeps its own full settings; a change to a shared key is written to all.
ALTER TABLE communities ADD COLUMN fellowship TEXT;
CREATE INDEX communities_fellowship ON communities (fellowship) WHERE fellowship IS NOT NULL;

-- One-time linking codes (/link for chats, /linkme for people): only a code's sha256 digest is
-- kept, never the code. A code is used once (used_at), until expires_at.
CREATE TABLE link_codes (
    digest      TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,      -- 'chat' or 'person'
    origin      TEXT NOT NULL,      -- the community (chat) or person (person) it links from
    issued_by   TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX link_codes_origin ON link_codes (kind, origin);

-- Wrong codes entered, per chat and per person, for the lockout. A person's rows carry their
-- key in person too, so that they go with them; a chat's rows have no person.
CREATE TABLE link_failures (
    subject    TEXT NOT NULL,
    failed_at  TIMESTAMP NOT NULL,
    person     TEXT REFERENCES people (key) ON DELETE CASCADE
);
CREATE INDEX link_failures_subject ON link_failures (subject, failed_at);

-- A person's identities on several platforms: the linked identity points at the principal
-- (the one that issued the code), under whose key the person's own data lives while linked.
CREATE TABLE person_links (
    person     TEXT PRIMARY KEY REFERENCES people (key) ON DELETE CASCADE,
    principal  TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    linked_at  TIMESTAMP NOT NULL
);
CREATE INDEX person_links_principal ON person_links (principal);
