-- People, communities, clean-time counters, the durable outbox and timers. Times are UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'.

CREATE TABLE handled_inbounds (
    key         TEXT PRIMARY KEY,
    handled_at  TIMESTAMP NOT NULL
);
CREATE INDEX handled_inbounds_by_age ON handled_inbounds (handled_at);

CREATE TABLE people (
    key          TEXT PRIMARY KEY,
    platform     TEXT NOT NULL,
    platform_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    timezone     TEXT,
    supporter_hours  TEXT,      -- 'HH:MM-HH:MM' in their own zone; NULL: any time
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE communities (
    key          TEXT PRIMARY KEY,
    platform     TEXT NOT NULL,
    platform_id  TEXT NOT NULL,
    chat         TEXT NOT NULL,
    settings     TEXT NOT NULL DEFAULT '{}',
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE counters (
    person       TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    clean_since  DATE NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (person, name)
);

CREATE TABLE memberships (
    community           TEXT NOT NULL REFERENCES communities (key) ON DELETE CASCADE,
    person              TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    share               BOOLEAN,  -- NULL: not chosen yet; off until a clean date is set here
    announce_due_at     TIMESTAMP,
    announce_milestone  TEXT,
    announce_day        DATE,
    joined_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (community, person)
);
CREATE INDEX memberships_by_person ON memberships (person);
-- The milestone run reads only the members due, never every member.
CREATE INDEX memberships_announce_due ON memberships (announce_due_at)
    WHERE announce_due_at IS NOT NULL;

CREATE TABLE announcements (
    community     TEXT NOT NULL REFERENCES communities (key) ON DELETE CASCADE,
    person        TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    counter       TEXT NOT NULL,
    clean_since   DATE NOT NULL,
    milestone     TEXT NOT NULL,
    announced_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (community, person, counter, clean_since, milestone)
);
CREATE INDEX announcements_by_person ON announcements (person);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    platform         TEXT NOT NULL,
    target           TEXT NOT NULL,
    edit_of          INTEGER,
    template         TEXT NOT NULL,
    locale           TEXT NOT NULL,
    context          TEXT NOT NULL,
    buttons          TEXT NOT NULL,
    mentions         TEXT NOT NULL,
    attachment       TEXT,
    person           TEXT REFERENCES people (key) ON DELETE CASCADE,
    created_at       TIMESTAMP NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    sent_at          TIMESTAMP,
    sent_ref         TEXT,
    failed_at        TIMESTAMP,
    failure          TEXT
);
CREATE INDEX outbox_pending ON outbox (platform, next_attempt_at, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_by_person ON outbox (person) WHERE person IS NOT NULL;

CREATE TABLE timers (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,
    key       TEXT UNIQUE,
    due_at    TIMESTAMP NOT NULL,
    payload   TEXT NOT NULL DEFAULT '{}',
    attempts  INTEGER NOT NULL DEFAULT 0,
    person    TEXT REFERENCES people (key) ON DELETE CASCADE
);
CREATE INDEX timers_due ON timers (due_at);
CREATE INDEX timers_by_person ON timers (person) WHERE person IS NOT NULL;

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
