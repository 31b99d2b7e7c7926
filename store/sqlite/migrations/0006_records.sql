-- Records of the store's own (records.go says how each column is kept):
-- every field a column named here, where whole records were JSON with the
-- REST API's field names (users, settings, emails, intents, audit) or Go's
-- (jobs). The Go step of this version (legacy.go) moves the tables these
-- replace aside, runs this file, copies every record across and drops the
-- old tables, all in the migration's one transaction.
--
-- Tables read by key are WITHOUT ROWID: one B-tree each, not a table and
-- its key's index, which is fewer pages for a write to change.

CREATE TABLE users (
	email      TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL,
	teams      TEXT,
	created_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE org_settings (
	id                  INTEGER PRIMARY KEY CHECK (id = 1),
	internal_domains    TEXT,
	default_log         INTEGER NOT NULL,
	default_visibility  TEXT NOT NULL,
	contact_access      TEXT,
	hidden_emails       TEXT NOT NULL,
	admins_read_private INTEGER NOT NULL,
	store_bodies        INTEGER NOT NULL,
	max_body_bytes      INTEGER NOT NULL,
	uploads             TEXT NOT NULL
);

-- never_log_version moves with the personal Never Log List, which
-- PutUserSettings leaves alone.
CREATE TABLE user_settings (
	email              TEXT PRIMARY KEY,
	default_log        INTEGER,
	default_visibility TEXT NOT NULL DEFAULT '',
	never_log_version  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

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
) WITHOUT ROWID;
CREATE INDEX contacts_domain ON contacts (domain, email);

-- lenient are the lenient keys of participants that did not read as
-- addresses (discreet.Email.Lenient). match_terms are the email's
-- email_match rows, so deleting it finds them by key. body is last: reading the other columns does not touch the
-- pages a long body overflows into.
CREATE TABLE emails (
	id               TEXT PRIMARY KEY,
	message_id       TEXT NOT NULL,
	gmail_message_id TEXT NOT NULL,
	thread_id        TEXT NOT NULL,
	subject          TEXT NOT NULL,
	from_address     TEXT NOT NULL,
	to_addresses     TEXT,
	cc_addresses     TEXT,
	date             TEXT NOT NULL,
	direction        TEXT NOT NULL,
	snippet          TEXT NOT NULL,
	owner            TEXT NOT NULL,
	team             TEXT NOT NULL,
	visibility       TEXT NOT NULL,
	contacts         TEXT,
	internal         TEXT,
	participants     TEXT,
	lenient          TEXT,
	source           TEXT NOT NULL,
	logged_at        TEXT NOT NULL,
	match_terms      TEXT NOT NULL,
	body             TEXT NOT NULL
);

-- One row per (contact, email); a page joins its rows to emails for the
-- summary. keys are the email's audience keys (a JSON array), used to mark
-- entries Visible when a caller asks for All.
CREATE TABLE timeline (
	contact  TEXT NOT NULL REFERENCES contacts (email),
	sort_key TEXT NOT NULL,
	email_id TEXT NOT NULL,
	owner    TEXT NOT NULL,
	keys     TEXT NOT NULL,
	PRIMARY KEY (contact, sort_key)
) WITHOUT ROWID;

-- recipients is recipientsKey (what a capture matches); recipient_list the
-- list as given. Times are tsKey.
CREATE TABLE intents (
	id             TEXT PRIMARY KEY,
	user           TEXT NOT NULL,
	recipients     TEXT NOT NULL,
	recipient_list TEXT,
	subject        TEXT NOT NULL,
	log            INTEGER NOT NULL,
	visibility     TEXT NOT NULL,
	created_at     TEXT NOT NULL,
	expires_at     TEXT NOT NULL,
	consumed       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX intents_match ON intents (user, recipients, created_at);

CREATE TABLE audit (
	id          TEXT PRIMARY KEY,
	sort_key    TEXT NOT NULL,
	at          TEXT NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	email_id    TEXT NOT NULL,
	email_owner TEXT NOT NULL,
	target      TEXT NOT NULL,
	count       INTEGER NOT NULL,
	detail      TEXT
) WITHOUT ROWID;
CREATE INDEX audit_order ON audit (sort_key);
CREATE INDEX audit_owner ON audit (email_owner, sort_key);

-- Long work (store.Job). due is when a running job may next be taken
-- (the later of RunAfter and its lease), '~' once it is finished.
CREATE TABLE jobs (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	params      BLOB,
	checkpoint  BLOB,
	report      BLOB,
	state       TEXT NOT NULL,
	done        INTEGER NOT NULL,
	total       INTEGER NOT NULL,
	error       TEXT NOT NULL,
	failures    INTEGER NOT NULL,
	started_by  TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	run_after   TEXT NOT NULL,
	holder      TEXT NOT NULL,
	lease_until TEXT NOT NULL,
	parts       INTEGER NOT NULL,
	sort_key    TEXT NOT NULL,
	due         TEXT NOT NULL
);
CREATE INDEX jobs_order ON jobs (sort_key);
CREATE INDEX jobs_starter ON jobs (started_by, sort_key);
CREATE INDEX jobs_due ON jobs (due);
