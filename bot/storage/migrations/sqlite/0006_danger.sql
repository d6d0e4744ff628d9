-- The danger path. A craving that speaks of immediate danger is urgent: it pings whatever the
-- cooldown, rest and max_pings. The full crisis block goes to a member once per craving
-- episode; later messages point back to it. Supporters may accept urgent pings in their quiet
-- hours. The bot remembers whether a member's private chat with it is open (Telegram: they
-- sent /start, and have not blocked the bot since), so a crisis line is never sent where the
-- member cannot read it.

ALTER TABLE cravings ADD COLUMN urgent BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cravings ADD COLUMN crisis_sent_at TIMESTAMP;
-- TRUE when that block was shown in the group answer (the member could not be written to
-- privately), so edits of the answer keep it.
ALTER TABLE cravings ADD COLUMN crisis_in_group BOOLEAN NOT NULL DEFAULT FALSE;
-- TRUE for a ping that told the supporter it is urgent (one pinged before may be told again).
ALTER TABLE craving_pings ADD COLUMN urgent BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE people ADD COLUMN supporter_urgent BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE people ADD COLUMN private_chat BOOLEAN NOT NULL DEFAULT FALSE;
