-- The source's own settings as they were when a base backup was taken (JSON, name to value), so that a fork applies
-- them from its backup and never connects to the source; null for a backup taken before they were recorded.
alter table backups add column settings text;
