-- The language a member chose for their private answers (/language); NULL: none chosen, so
-- their group's language, else their platform's, is used.
ALTER TABLE people ADD COLUMN locale TEXT;
