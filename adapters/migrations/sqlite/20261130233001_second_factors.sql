-- Two-factor login: one TOTP factor per account, pending until a first code confirms it, its secret as the
-- server sealed it (a dump alone does not open it); the last time step whose code was accepted, so no code
-- is accepted twice; and the hashes of the account's unused recovery codes (a used one is deleted).
CREATE TABLE mfa_totp (
    user_id    TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0,
    last_step  INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
