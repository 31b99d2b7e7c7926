-- A row here says emails may be stored under legacy ids (store.LegacyIDs):
-- some email was written without EmailWrite.KeyedID. Every email already
-- in the database was written by older code, which said nothing about its
-- id, so a database that holds any gets the row; a new or empty one does
-- not, and the service then skips its legacy-id read for each log.
CREATE TABLE legacy_ids (
	id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO legacy_ids (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM emails);
