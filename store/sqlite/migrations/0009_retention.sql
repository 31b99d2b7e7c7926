-- The org setting retention (discreet.Retention) as JSON; NULL keeps every
-- email for ever, as before the setting existed.
ALTER TABLE org_settings ADD COLUMN retention TEXT;

-- What of an owner's expires soon is found among their emails (dates
-- are kept as given, so they are compared with julianday, not as text).
CREATE INDEX emails_owner ON emails (owner, id);
