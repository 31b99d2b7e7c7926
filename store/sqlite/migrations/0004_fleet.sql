-- The org Never Log List's most recent changes (store.NeverLogChanges), so
-- a compiled list a few versions old catches up without re-reading the
-- list; counters.never_log_since says from which version on they are
-- complete. Personal lists get a version of their own, kept with the
-- user's settings, so a personal change does not touch the org's.
CREATE TABLE never_log_changes (
	version INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	removed INTEGER NOT NULL,
	id      TEXT NOT NULL,
	pattern TEXT NOT NULL,
	PRIMARY KEY (version, seq)
) WITHOUT ROWID;

ALTER TABLE user_settings ADD COLUMN never_log_version INTEGER NOT NULL DEFAULT 0;

-- Long work (store.Job). due is when a running job may next be taken
-- (the later of RunAfter and its lease), '~' once it is finished.
CREATE TABLE jobs (
	id         TEXT PRIMARY KEY,
	sort_key   TEXT NOT NULL,
	started_by TEXT NOT NULL,
	due        TEXT NOT NULL,
	data       TEXT NOT NULL
);
CREATE INDEX jobs_order ON jobs (sort_key);
CREATE INDEX jobs_starter ON jobs (started_by, sort_key);
CREATE INDEX jobs_due ON jobs (due);

CREATE TABLE job_parts (
	job  TEXT NOT NULL,
	n    INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (job, n)
) WITHOUT ROWID;
