-- A conversation is identified by (assistant, id): the same id under two assistants is
-- two conversations. Its contact details are its own (no shared contacts table), so an
-- import for one assistant never changes what another shows.
ALTER TABLE conversations ADD COLUMN contact_name TEXT, ADD COLUMN contact_email TEXT;
UPDATE conversations c SET contact_name = k.name, contact_email = k.email FROM contacts k WHERE k.id = c.contact_id;
ALTER TABLE conversations DROP COLUMN contact_id;
DROP TABLE contacts;
ALTER TABLE conversations DROP CONSTRAINT conversations_public_id_key;
ALTER TABLE conversations ADD CONSTRAINT conversations_assistant_public_id UNIQUE (assistant_id, public_id);

-- An export's file is an immutable object: recorded in the same statement that makes the
-- export ready, under a key no other upload uses. Files of exports ready before this
-- migration keep their old name.
ALTER TABLE exports ADD COLUMN file_key TEXT;
UPDATE exports SET file_key = id || '.html' WHERE status = 'ready';
-- A server render waiting for a free core (shown as waiting in Available Exports).
ALTER TABLE exports ADD COLUMN waiting BIGINT NOT NULL DEFAULT 0;

-- Personal tokens have an id (to list and revoke them) and may expire.
ALTER TABLE api_tokens ADD COLUMN id TEXT;
UPDATE api_tokens SET id = 'tok_' || substr(md5(random()::text || token_hash), 1, 16);
CREATE UNIQUE INDEX api_tokens_by_id ON api_tokens (id);
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
