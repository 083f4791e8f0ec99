-- Audit actions are a typed enum now: a browser's upload is the export becoming ready.
UPDATE audit_log SET action = 'ready', detail = 'uploaded by the browser' WHERE action = 'uploaded';
