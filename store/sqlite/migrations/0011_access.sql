-- Access requests, grants and shares (store.Access). An email's shares are
-- kept on the email (JSON), so recomputing its audience keeps them;
-- share_expiry is the earliest expiry among them ('' when none expires),
-- for the expiry sweep.
ALTER TABLE emails ADD COLUMN shares TEXT NOT NULL DEFAULT '';
ALTER TABLE emails ADD COLUMN share_expiry TEXT NOT NULL DEFAULT '';
CREATE INDEX emails_share_expiry ON emails (share_expiry) WHERE share_expiry <> '';

-- data is the request as JSON; contact_owner and the decider keys are kept
-- beside it. access_request_deciders holds a pending request's keys only.
CREATE TABLE access_requests (
	id            TEXT PRIMARY KEY,
	requester     TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	contact_owner TEXT NOT NULL,
	data          TEXT NOT NULL
);
CREATE INDEX access_requests_requester ON access_requests (requester, created_at);

CREATE TABLE access_request_deciders (
	key        TEXT NOT NULL,
	request_id TEXT NOT NULL,
	PRIMARY KEY (key, request_id)
);

CREATE TABLE grants (
	id            TEXT PRIMARY KEY,
	grantee       TEXT NOT NULL,
	granted_by    TEXT NOT NULL,
	expires_at    TEXT NOT NULL,
	contact_owner TEXT NOT NULL,
	data          TEXT NOT NULL
);
CREATE INDEX grants_grantee ON grants (grantee, id);
CREATE INDEX grants_granted_by ON grants (granted_by, id);
CREATE INDEX grants_expires_at ON grants (expires_at) WHERE expires_at <> '';
