-- The exported messages of each conversation (contact and assistant only, no internal
-- field), serialised once at import: a page is then one row per conversation instead of
-- one per message. The messages table stays the source of truth.
ALTER TABLE conversations ADD COLUMN exported_json TEXT NOT NULL DEFAULT '[]';
