-- The whole schema: accounts and their sessions and tokens, assistants and who sees
-- them, contacts, conversations and messages (with the internal fields imports carry,
-- which are stored and never served), the export catalog and its audit log.
-- Times are milliseconds since the Unix epoch, UTC.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Bumped by every export creation: the row lock that serialises an account's creates.
    export_seq BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE TABLE assistants (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- Admin configuration (prompts, model settings): internal, never served.
    config_json TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE account_assistants (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    assistant_id BIGINT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, assistant_id)
);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    identity TEXT NOT NULL UNIQUE,
    name TEXT,
    email TEXT
);
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    assistant_id BIGINT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts(id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    summary TEXT,
    -- Contact and assistant messages and their bytes: pages are cut by these.
    exported_messages BIGINT NOT NULL,
    exported_bytes BIGINT NOT NULL,
    -- Unknown import fields (cost, notes, metadata …): internal, never served.
    internal_json TEXT
);
CREATE INDEX conversations_by_page ON conversations (assistant_id, status, started_at, id);
CREATE TABLE messages (
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    at BIGINT NOT NULL,
    -- Internal: never served.
    model TEXT,
    tokens BIGINT,
    cost DOUBLE PRECISION,
    internal_json TEXT,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
CREATE TABLE exports (
    id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    assistant_id BIGINT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    days BIGINT NOT NULL,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    renderer TEXT NOT NULL,
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT NOT NULL DEFAULT 0,
    heartbeat_at BIGINT NOT NULL,
    error TEXT,
    size_bytes BIGINT,
    sha256 TEXT,
    conversations BIGINT,
    messages BIGINT
);
CREATE INDEX exports_by_account ON exports (account_id, seq);
CREATE INDEX exports_by_status ON exports (status, heartbeat_at);
CREATE INDEX exports_by_expiry ON exports (expires_at);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    account_id BIGINT,
    export_id TEXT,
    action TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX audit_by_export ON audit_log (export_id);
