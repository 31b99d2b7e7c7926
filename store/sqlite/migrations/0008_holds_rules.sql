-- Legal holds and sensitivity rules (store.Holds, store.SensitivityRules).
-- The rules' version is counters.sensitivity_rules_version, moved by every
-- add and delete in the same transaction.
CREATE TABLE legal_holds (
	id         TEXT PRIMARY KEY,
	contact    TEXT NOT NULL,
	domain     TEXT NOT NULL,
	user_email TEXT NOT NULL,
	from_date  TEXT NOT NULL,
	to_date    TEXT NOT NULL,
	reason     TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sensitivity_rules (
	id       TEXT PRIMARY KEY,
	detector TEXT NOT NULL,
	keyword  TEXT NOT NULL,
	action   TEXT NOT NULL,
	added_by TEXT NOT NULL,
	added_at TEXT NOT NULL
) WITHOUT ROWID;
