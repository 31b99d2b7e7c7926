-- Erasure tombstones (store.Governance): a keyed hash of an erased address
-- or domain, never the address. Rows are never removed, so the row count
-- is the tombstone version.
CREATE TABLE tombstones (
	hash      TEXT PRIMARY KEY,
	kind      TEXT NOT NULL,
	erased_by TEXT NOT NULL,
	erased_at TEXT NOT NULL
);
