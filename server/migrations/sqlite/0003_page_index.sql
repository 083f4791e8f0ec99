-- Pages are cut by messages and bytes: with both in the index, cutting a page never
-- reads a conversation's row, only those of the conversations that made the cut.
DROP INDEX conversations_by_page;
CREATE INDEX conversations_by_page ON conversations (assistant_id, status, started_at, id, exported_messages, exported_bytes);
