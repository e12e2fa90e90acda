-- Two-factor login: one TOTP factor per account, pending until a first code confirms it, its secret as the
-- server sealed it (a dump alone does not open it); the last time step whose code was accepted, so no code
-- is accepted twice; and the hashes of the account's unused recovery codes (a used one is deleted).
CREATE TABLE mfa_totp (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     text NOT NULL,
    enabled    boolean NOT NULL DEFAULT false,
    last_step  bigint,
    created_at timestamptz NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash text NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
