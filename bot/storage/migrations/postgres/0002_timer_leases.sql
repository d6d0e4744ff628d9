-- Several processes may fire timers from one database: a process claims due timers under a
-- lease (who holds it, until when) and a fence, a count bumped at every claim. Only the holder
-- of a timer's latest claim may take, postpone or drop it, so a process that outlived its lease
-- and was taken over changes nothing. A lease that runs out (its process died) frees the timer
-- for another process. timers_ready orders the rows by when they can next be claimed.
ALTER TABLE timers ADD COLUMN leased_by TEXT;
ALTER TABLE timers ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE timers ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;

CREATE INDEX timers_ready ON timers (COALESCE(lease_until, due_at));
