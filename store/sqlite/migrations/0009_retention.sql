-- The org setting retention (discreet.Retention) as JSON; NULL keeps every
-- email for ever, as before the setting existed.
ALTER TABLE org_settings ADD COLUMN retention TEXT;
