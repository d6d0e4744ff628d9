-- Whether a supporter may be pinged for a craving or a call shared in a linked chat on another
-- platform (/supporter linked off says no). Person data: kept under the principal while linked.
ALTER TABLE people ADD COLUMN bridge_pings BOOLEAN NOT NULL DEFAULT TRUE;
