-- Pages are cut by messages and bytes: with both in the index, cutting a page never
-- reads a conversation's row, only those of the conversations that made the cut.
DROP INDEX conversations_by_page;
CREATE INDEX conversations_by_page ON conversations (assistant_id, status, started_at, id) INCLUDE (exported_messages, exported_bytes);
-- A page reads its conversations' messages whole: keep them out of line but
-- uncompressed, so reading never spends time decompressing.
ALTER TABLE conversations ALTER COLUMN exported_json SET STORAGE EXTERNAL;
