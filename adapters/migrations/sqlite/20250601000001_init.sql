-- Darkroom's embedded database. Conventions:
--   ids are UUIDs as lowercase hyphenated text (so text order is UUID order, which keyset pagination uses);
--   timestamps are INTEGER microseconds since the Unix epoch (exact, and the precision cursors carry);
--   booleans are INTEGER 0/1; lists and nested records are JSON text.

CREATE TABLE users (
    id              TEXT PRIMARY KEY NOT NULL,
    username        TEXT NOT NULL CHECK (username = lower(username)),
    email           TEXT NOT NULL CHECK (email = lower(email)),
    password_hash   TEXT NOT NULL,
    display_name    TEXT,
    first_name      TEXT,
    last_name       TEXT,
    bio             TEXT,
    followers_count INTEGER NOT NULL DEFAULT 0,
    following_count INTEGER NOT NULL DEFAULT 0,
    posts_count     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
-- Named indexes rather than inline UNIQUE so the violation message names the column we map from.
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE images (
    id                  TEXT PRIMARY KEY NOT NULL,
    owner_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status              TEXT NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    failure_code        TEXT,
    failure_message     TEXT,
    format              TEXT NOT NULL,
    bytes               INTEGER NOT NULL,
    sha256              TEXT NOT NULL,
    width               INTEGER,
    height              INTEGER,
    visibility          TEXT NOT NULL CHECK (visibility IN ('public', 'followers', 'private')),
    alt_text            TEXT,
    tags                TEXT NOT NULL DEFAULT '[]',
    blurhash            TEXT,
    dominant_color      TEXT,
    variants            TEXT NOT NULL DEFAULT '[]',
    original_key        TEXT NOT NULL,
    public_original_key TEXT,
    idempotency_key     TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
-- An owner's idempotency keys are unique; uploads without one are not constrained.
CREATE UNIQUE INDEX images_owner_idempotency_key ON images (owner_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- Serves images_by_owner: newest first, keyset on (created_at, id).
CREATE INDEX images_owner_created ON images (owner_id, created_at DESC, id DESC);

-- The transactional outbox. Rows are deleted once relayed; `seq` orders rows written in the same microsecond.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    topic      TEXT NOT NULL,
    payload    BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_created ON outbox (created_at, seq);
