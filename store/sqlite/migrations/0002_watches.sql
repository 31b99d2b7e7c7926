-- Sent-mail capture: per mailbox the Gmail history id captured so far and
-- the watch's expiry, and the Gmail messages claimed or captured, so a
-- notification delivered twice, or to two instances, captures once.

CREATE TABLE watches (
	user       TEXT PRIMARY KEY,
	history_id INTEGER NOT NULL DEFAULT 0,
	history_at TEXT NOT NULL DEFAULT '',
	expiration TEXT NOT NULL DEFAULT '',
	renewed_at TEXT NOT NULL DEFAULT ''
);

CREATE TABLE captured (
	user        TEXT NOT NULL,
	message_id  TEXT NOT NULL,
	done        INTEGER NOT NULL DEFAULT 0,
	lease_until TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	PRIMARY KEY (user, message_id)
);
