-- A browser's upload is reproduced by the server before any receipt vouches for it:
-- `verification` is NULL until the export is ready, then 'pending', 'verified' or
-- 'mismatch' (with its note); the check holds a lease so that exactly one process runs
-- it, and another picks it up when that one died.
ALTER TABLE exports ADD COLUMN verification TEXT;
ALTER TABLE exports ADD COLUMN verification_note TEXT;
ALTER TABLE exports ADD COLUMN verify_owner TEXT;
ALTER TABLE exports ADD COLUMN verify_until BIGINT;
-- Login throttling shared by every process on the database: an attempt is counted
-- before its password is checked.
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);
-- Exports made ready before this: the server's own renders are reproduced by definition;
-- browser uploads wait for their check.
UPDATE exports SET verification = 'verified' WHERE status = 'ready' AND renderer = 'server';
UPDATE exports SET verification = 'pending' WHERE status = 'ready' AND renderer = 'browser';
