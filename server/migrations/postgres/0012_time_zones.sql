-- The IANA zone an export's file shows its times in (NULL: UTC).
ALTER TABLE exports ADD COLUMN time_zone TEXT;
