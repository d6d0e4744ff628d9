-- When a member tapped "Let my supporters know" after a restart, so the supporters are told once.
ALTER TABLE restarts ADD COLUMN supporters_told_at TIMESTAMP;
