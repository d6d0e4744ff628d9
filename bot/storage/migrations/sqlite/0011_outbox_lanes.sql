-- Several processes may deliver one database's outbox. Each conversation's rows (a lane) go out
-- from one process at a time: the lane is leased to a worker (holder) until lease_until, and
-- renewed while it sends. Token changes whenever the lane changes hands, and a worker's marks
-- on a row count only while its token is the lane's, so a worker that lost its lane changes
-- nothing. A worker letting go leaves holder empty, with the lane's pace for the next one: when
-- it may send next (free_at) and when each send of the group's last minute stops counting
-- (minute, a JSON list of instants).
CREATE TABLE outbox_lanes (
    platform     TEXT NOT NULL,
    lane         TEXT NOT NULL,
    holder       TEXT,
    token        TEXT NOT NULL,
    lease_until  TIMESTAMP NOT NULL,
    free_at      TIMESTAMP,
    minute       TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (platform, lane)
);
