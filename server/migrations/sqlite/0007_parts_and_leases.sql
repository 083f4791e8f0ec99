-- Uploads in parts: each part an object of its own, numbered in file order; a ready
-- export made of parts records their common prefix and their number.
CREATE TABLE export_parts (
    export_id TEXT NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
    n BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    stored_at BIGINT NOT NULL,
    PRIMARY KEY (export_id, n)
);
ALTER TABLE exports ADD COLUMN upload_id TEXT;
ALTER TABLE exports ADD COLUMN file_parts BIGINT;
-- A server render holds a lease it renews as it goes; a process that dies lets it lapse,
-- and another takes the export over.
ALTER TABLE exports ADD COLUMN lease_until BIGINT;
ALTER TABLE exports ADD COLUMN lease_owner TEXT;
