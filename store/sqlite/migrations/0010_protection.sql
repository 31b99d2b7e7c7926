-- Protected contacts and domains (store.Protection): keyed by the canonical
-- pattern. The counter "protected" is their version, moved by every change.
CREATE TABLE protected (
	pattern  TEXT PRIMARY KEY,
	note     TEXT NOT NULL,
	added_by TEXT NOT NULL,
	added_at TEXT NOT NULL
) WITHOUT ROWID;

-- A custodian transfer lists what a user owns, page by page (retention's
-- 0009 made the emails' index already).
CREATE INDEX IF NOT EXISTS emails_owner ON emails (owner, id);
CREATE INDEX contacts_owner ON contacts (owner, email);

-- The org setting visibilityPolicy, as JSON (NULL: no policy).
ALTER TABLE org_settings ADD COLUMN visibility_policy TEXT;
