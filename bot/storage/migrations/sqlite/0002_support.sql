-- Peer support: supporters, cravings and their pings, call requests, contacts, restarts,
-- meeting reminders. Every row about a person goes when the person row goes (/forgetme).

CREATE TABLE supporters (
    community  TEXT NOT NULL REFERENCES communities (key) ON DELETE CASCADE,
    person     TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    cravings   BOOLEAN NOT NULL DEFAULT FALSE,  -- /supporter on
    calls      BOOLEAN NOT NULL DEFAULT FALSE,  -- /phonelist on
    practice   BOOLEAN NOT NULL DEFAULT FALSE,  -- takes practice calls
    PRIMARY KEY (community, person)
);
CREATE INDEX supporters_by_person ON supporters (person);

-- When a supporter was last pinged, per kind of ping: a craving ping does not make a phone
-- volunteer rest from calls. Rest and fairness are per person across groups.
CREATE TABLE supporter_pings (
    person          TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    last_pinged_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (person, role)
);

CREATE TABLE cravings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    community   TEXT REFERENCES communities (key) ON DELETE CASCADE,
    person      TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    chat        TEXT NOT NULL,
    private     BOOLEAN NOT NULL DEFAULT FALSE,  -- shared in a private chat, not the group
    message     INTEGER,                         -- outbox id of the reply with the buttons
    pinged      BOOLEAN NOT NULL DEFAULT FALSE,  -- started a round of pings (for the cooldown)
    claimed_by  TEXT REFERENCES people (key) ON DELETE SET NULL,
    claimed_at  TIMESTAMP,
    outcome     TEXT,                            -- passed, struggling, used
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX cravings_by_person ON cravings (person, created_at);
CREATE INDEX cravings_by_claimer ON cravings (claimed_by) WHERE claimed_by IS NOT NULL;

CREATE TABLE craving_pings (
    craving    INTEGER NOT NULL REFERENCES cravings (id) ON DELETE CASCADE,
    person     TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    pinged_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (craving, person)
);
CREATE INDEX craving_pings_by_person ON craving_pings (person);

CREATE TABLE call_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    community   TEXT NOT NULL REFERENCES communities (key) ON DELETE CASCADE,
    person      TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    chat        TEXT NOT NULL,
    practice    BOOLEAN NOT NULL DEFAULT FALSE,
    message     INTEGER,
    claimed_by  TEXT REFERENCES people (key) ON DELETE SET NULL,
    claimed_at  TIMESTAMP,
    expired_at  TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX call_requests_by_person ON call_requests (person, created_at);
CREATE INDEX call_requests_by_claimer ON call_requests (claimed_by) WHERE claimed_by IS NOT NULL;

CREATE TABLE call_pings (
    request    INTEGER NOT NULL REFERENCES call_requests (id) ON DELETE CASCADE,
    person     TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    pinged_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (request, person)
);
CREATE INDEX call_pings_by_person ON call_pings (person);

CREATE TABLE contacts (
    person      TEXT PRIMARY KEY REFERENCES people (key) ON DELETE CASCADE,
    contact     TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE restarts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    person        TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    counter       TEXT NOT NULL,
    clean_since   DATE NOT NULL,   -- the count that ended
    restarted_on  DATE NOT NULL,   -- the new clean date
    note          TEXT,            -- the member's own private note, if any
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX restarts_by_person ON restarts (person, created_at);

CREATE TABLE meeting_reminders (
    community  TEXT NOT NULL REFERENCES communities (key) ON DELETE CASCADE,
    person     TEXT NOT NULL REFERENCES people (key) ON DELETE CASCADE,
    PRIMARY KEY (community, person)
);
CREATE INDEX meeting_reminders_by_person ON meeting_reminders (person);
