-- The file's format (html, jsonl, csv, markdown) of an export and of a schedule's
-- exports, and what a schedule's exports mask (a Redaction as JSON; NULL: nothing).
ALTER TABLE exports ADD COLUMN format TEXT NOT NULL DEFAULT 'html';
ALTER TABLE schedules ADD COLUMN format TEXT NOT NULL DEFAULT 'html';
ALTER TABLE schedules ADD COLUMN redaction_json TEXT;
