-- Leases: which replica runs a scheduled pass (upload expiry, and the lifecycle passes after it).
CREATE TABLE leases (
    name       text PRIMARY KEY NOT NULL,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
