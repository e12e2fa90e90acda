-- Outbox rows are claimed by one relay at a time: `claimed_until` keeps other relays off a row until it
-- passes; NULL is never claimed.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;
