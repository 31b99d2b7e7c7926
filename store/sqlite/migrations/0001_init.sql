-- Discreet's first schema. Times used for ordering are fixed-width UTC text
-- (store.SortKey and tsKey) so they sort as strings; whole records are JSON
-- so a new field needs no migration.

CREATE TABLE org_settings (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	data TEXT NOT NULL
);

CREATE TABLE user_settings (
	email TEXT PRIMARY KEY,
	data  TEXT NOT NULL
);

CREATE TABLE users (
	email TEXT PRIMARY KEY,
	data  TEXT NOT NULL
);

CREATE TABLE teams (
	id   TEXT PRIMARY KEY,
	name TEXT NOT NULL
);

CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);

CREATE TABLE never_log (
	scope    TEXT NOT NULL,
	id       TEXT NOT NULL,
	pattern  TEXT NOT NULL,
	note     TEXT NOT NULL,
	added_by TEXT NOT NULL,
	added_at TEXT NOT NULL,
	PRIMARY KEY (scope, id),
	UNIQUE (scope, pattern)
);

-- total is the number of emails on the contact's timeline, kept in the
-- transaction that logs or deletes, so hidden = total - visible.
CREATE TABLE contacts (
	email      TEXT PRIMARY KEY,
	domain     TEXT NOT NULL,
	name       TEXT NOT NULL,
	owner      TEXT NOT NULL,
	team       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	total      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contacts_domain ON contacts (domain, email);

-- data is the whole email (with body and participants) as JSON.
CREATE TABLE emails (
	id       TEXT PRIMARY KEY,
	sort_key TEXT NOT NULL,
	data     TEXT NOT NULL
);

-- One row per (contact, email); summary is the email without its body, so a
-- page is one query. keys are the email's audience keys (JSON array), used
-- to mark entries Visible when a caller asks for All.
CREATE TABLE timeline (
	contact  TEXT NOT NULL REFERENCES contacts (email),
	sort_key TEXT NOT NULL,
	email_id TEXT NOT NULL,
	owner    TEXT NOT NULL,
	keys     TEXT NOT NULL,
	summary  TEXT NOT NULL,
	PRIMARY KEY (contact, sort_key)
);

-- One row per (contact, audience key, email): "newest visible entries of
-- contact C for keys K before cursor" walks (contact, key) ranges backwards.
CREATE TABLE audience (
	contact  TEXT NOT NULL,
	key      TEXT NOT NULL,
	sort_key TEXT NOT NULL,
	email_id TEXT NOT NULL,
	PRIMARY KEY (contact, key, sort_key)
) WITHOUT ROWID;

-- term is "a:" + participant address or "d:" + one of its domain suffixes,
-- so a Never Log entry finds the emails it covers with one range.
CREATE TABLE email_match (
	term     TEXT NOT NULL,
	email_id TEXT NOT NULL,
	PRIMARY KEY (term, email_id)
) WITHOUT ROWID;
CREATE INDEX email_match_email ON email_match (email_id);

CREATE TABLE intents (
	id         TEXT PRIMARY KEY,
	user       TEXT NOT NULL,
	recipients TEXT NOT NULL,
	subject    TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	consumed   INTEGER NOT NULL DEFAULT 0,
	data       TEXT NOT NULL
);
CREATE INDEX intents_match ON intents (user, recipients, created_at);

CREATE TABLE audit (
	id          TEXT PRIMARY KEY,
	sort_key    TEXT NOT NULL,
	email_owner TEXT NOT NULL,
	data        TEXT NOT NULL
);
CREATE INDEX audit_order ON audit (sort_key);
CREATE INDEX audit_owner ON audit (email_owner, sort_key);
