-- A conversation is identified by (assistant, id): the same id under two assistants is
-- two conversations. Its contact details are its own (no shared contacts table), so an
-- import for one assistant never changes what another shows.
--
-- SQLite cannot drop an inline UNIQUE, so conversations is rebuilt. Its child table
-- (messages) is rebuilt with it: dropping a parent table deletes its rows first, which
-- would cascade to messages that still referred to it.
CREATE TABLE conversations_new (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL,
    assistant_id BIGINT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
    contact_name TEXT,
    contact_email TEXT,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    summary TEXT,
    exported_messages BIGINT NOT NULL,
    exported_bytes BIGINT NOT NULL,
    internal_json TEXT,
    exported_json TEXT NOT NULL DEFAULT '[]',
    UNIQUE (assistant_id, public_id)
);
INSERT INTO conversations_new (id, public_id, assistant_id, contact_name, contact_email, channel, status, started_at, ended_at, summary,
                               exported_messages, exported_bytes, internal_json, exported_json)
SELECT c.id, c.public_id, c.assistant_id, k.name, k.email, c.channel, c.status, c.started_at, c.ended_at, c.summary,
       c.exported_messages, c.exported_bytes, c.internal_json, c.exported_json
FROM conversations c LEFT JOIN contacts k ON k.id = c.contact_id;
CREATE TABLE messages_new (
    conversation_id BIGINT NOT NULL REFERENCES conversations_new(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    at BIGINT NOT NULL,
    model TEXT,
    tokens BIGINT,
    cost DOUBLE PRECISION,
    internal_json TEXT,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
INSERT INTO messages_new SELECT conversation_id, seq, role, content, at, model, tokens, cost, internal_json FROM messages;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE contacts;
ALTER TABLE conversations_new RENAME TO conversations;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX conversations_by_page ON conversations (assistant_id, status, started_at, id, exported_messages, exported_bytes);

-- An export's file is an immutable object: recorded in the same statement that makes the
-- export ready, under a key no other upload uses. Files of exports ready before this
-- migration keep their old name.
ALTER TABLE exports ADD COLUMN file_key TEXT;
UPDATE exports SET file_key = id || '.html' WHERE status = 'ready';
-- A server render waiting for a free core (shown as waiting in Available Exports).
ALTER TABLE exports ADD COLUMN waiting BIGINT NOT NULL DEFAULT 0;

-- Personal tokens have an id (to list and revoke them) and may expire.
ALTER TABLE api_tokens ADD COLUMN id TEXT;
UPDATE api_tokens SET id = 'tok_' || lower(hex(randomblob(8)));
CREATE UNIQUE INDEX api_tokens_by_id ON api_tokens (id);
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
