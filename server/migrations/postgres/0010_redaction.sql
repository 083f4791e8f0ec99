-- What an export masks (a Redaction as JSON; NULL: nothing), so that every render of it,
-- browser, server or verification, masks the same.
ALTER TABLE exports ADD COLUMN redaction_json TEXT;
