-- How many entries of a contact's timeline carry each audience key, kept in
-- the transactions that write audience rows. A hidden count then costs the
-- smaller key sets only: the largest is counted here, not scanned.
CREATE TABLE audience_count (
	contact TEXT NOT NULL,
	key     TEXT NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (contact, key)
) WITHOUT ROWID;

INSERT INTO audience_count (contact, key, n)
	SELECT contact, key, count(*) FROM audience GROUP BY contact, key;
