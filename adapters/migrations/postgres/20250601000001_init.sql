-- Darkroom's metadata on Postgres. The same tables as the embedded SQLite database, in Postgres's own types:
--   ids are uuid (Postgres orders them bytewise, as Rust's Uuid does, which keyset pagination relies on);
--   timestamps are timestamptz, which keeps exactly the microseconds cursors carry;
--   lists and nested records are jsonb.
-- Uniqueness rules are named constraints: the adapter maps a violation to the rule by its name.

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    username        text NOT NULL CHECK (username = lower(username)),
    email           text NOT NULL CHECK (email = lower(email)),
    password_hash   text NOT NULL,
    display_name    text,
    first_name      text,
    last_name       text,
    bio             text,
    followers_count bigint NOT NULL DEFAULT 0,
    following_count bigint NOT NULL DEFAULT 0,
    posts_count     bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    family_id  uuid NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used       boolean NOT NULL DEFAULT false,
    revoked    boolean NOT NULL DEFAULT false
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE images (
    id                  uuid PRIMARY KEY,
    owner_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status              text NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    failure_code        text,
    failure_message     text,
    format              text NOT NULL,
    bytes               bigint NOT NULL CHECK (bytes >= 0),
    sha256              text NOT NULL,
    -- bigint holds every u32 the domain allows.
    width               bigint,
    height              bigint,
    visibility          text NOT NULL CHECK (visibility IN ('public', 'followers', 'private')),
    alt_text            text,
    tags                jsonb NOT NULL DEFAULT '[]',
    blurhash            text,
    dominant_color      text,
    variants            jsonb NOT NULL DEFAULT '[]',
    original_key        text NOT NULL,
    public_original_key text,
    idempotency_key     text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
-- An owner's idempotency keys are unique; uploads without one are not constrained.
CREATE UNIQUE INDEX images_owner_idempotency_key ON images (owner_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- Serves images_by_owner: newest first, keyset on (created_at, id).
CREATE INDEX images_owner_created ON images (owner_id, created_at DESC, id DESC);

-- The transactional outbox. Rows are deleted once relayed; `seq` orders rows written in the same microsecond.
CREATE TABLE outbox (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         uuid NOT NULL CONSTRAINT outbox_id_key UNIQUE,
    topic      text NOT NULL,
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX outbox_created ON outbox (created_at, seq);
