-- Compliance exports: filters, since-last chains, holds, schedules, signed receipts and
-- an activity trail that names who did what to which file.
ALTER TABLE exports ADD COLUMN filters_json TEXT;
ALTER TABLE exports ADD COLUMN previous_id TEXT;
ALTER TABLE exports ADD COLUMN previous_sha256 TEXT;
ALTER TABLE exports ADD COLUMN held BIGINT NOT NULL DEFAULT 0;
ALTER TABLE exports ADD COLUMN schedule_id TEXT;

-- Every export that became ready, kept after the export itself is deleted or expires:
-- a since-last export continues the latest one, whatever became of its file.
CREATE TABLE export_chain (
    export_id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    assistant_id BIGINT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
    range_from BIGINT NOT NULL,
    range_to BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    ready_at BIGINT NOT NULL
);
CREATE INDEX export_chain_latest ON export_chain (account_id, assistant_id, range_to);

CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    assistant_id BIGINT NOT NULL REFERENCES assistants(id) ON DELETE CASCADE,
    every TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    filters_json TEXT,
    paused BIGINT NOT NULL DEFAULT 0,
    -- Periods that end after this are exported (creation, or the last resume).
    active_from BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX schedules_by_account ON schedules (account_id, created_at);
-- Each period of a schedule is exported once, whichever process gets there first.
CREATE TABLE schedule_runs (
    schedule_id TEXT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
    period_from BIGINT NOT NULL,
    period_to BIGINT NOT NULL,
    export_id TEXT NOT NULL,
    ran_at BIGINT NOT NULL,
    PRIMARY KEY (schedule_id, period_from)
);

-- The key receipts are signed with: one per installation (slot 1), made by whichever
-- process needs it first, so that every process signs alike.
CREATE TABLE signing_keys (
    slot BIGINT PRIMARY KEY,
    key_id TEXT NOT NULL,
    secret_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

ALTER TABLE audit_log ADD COLUMN actor TEXT;
ALTER TABLE audit_log ADD COLUMN filename TEXT;
UPDATE audit_log a SET filename = e.filename FROM exports e WHERE e.id = a.export_id;
CREATE INDEX audit_by_account ON audit_log (account_id, id);
