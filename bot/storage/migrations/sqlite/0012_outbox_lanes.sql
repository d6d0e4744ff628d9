-- Several processes may deliver one database's outbox. Each conversation's rows (a lane) go out
-- from one process at a time: the lane is leased to a worker (holder) until lease_until, and
-- renewed while it sends. Token changes whenever the lane changes hands, and a worker's marks
-- on a row count only while its token is the lane's, so a worker that lost its lane changes
-- nothing. A worker lets go of a lane once it has nothing to send there and its pause is over:
-- the row goes, or, for a group that sent in the last minute, stays without a holder, with when
-- each of those sends stops counting (minute, a JSON list of instants) for the next holder.
-- A lane is stored as a digest of its name, so that a lease never names a member's chat.
CREATE TABLE outbox_lanes (
    platform     TEXT NOT NULL,
    lane         TEXT NOT NULL,
    holder       TEXT,
    token        TEXT NOT NULL,
    lease_until  TIMESTAMP NOT NULL,
    minute       TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (platform, lane)
);
