-- Keys the service derives ids with (store.Secrets), made once and never
-- changed.
CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
