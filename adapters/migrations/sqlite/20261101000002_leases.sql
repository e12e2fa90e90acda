-- Leases: which replica runs a scheduled pass (upload expiry, and the lifecycle passes after it).
CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
