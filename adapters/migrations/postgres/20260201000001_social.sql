-- The social half: profiles, the follow graph, posts with their likes and comments, precomputed home
-- timelines, and inboxes. The same tables as the SQLite migration of the same name, in Postgres's types.
-- Each index names the query it serves.

-- A private account's followers need its approval.
ALTER TABLE users ADD COLUMN is_private boolean NOT NULL DEFAULT false;
-- One of the user's own images. Not a foreign key: deleting an image would then look through users, and
-- the service checks an avatar before it shows one.
ALTER TABLE users ADD COLUMN avatar_image_id uuid;

-- At most one follow (or request) per pair: the key answers follow_state and makes follow idempotent.
CREATE TABLE follows (
    follower_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state       text NOT NULL CHECK (state IN ('active', 'requested')),
    created_at  timestamptz NOT NULL,
    CONSTRAINT follows_pkey PRIMARY KEY (follower_id, followee_id)
);
-- followers: a user's followers (or requests) newest first.
CREATE INDEX follows_followers ON follows (followee_id, state, created_at DESC, follower_id DESC);
-- following, and posts_followed_by's list of authors: whom a user follows, newest first.
CREATE INDEX follows_following ON follows (follower_id, state, created_at DESC, followee_id DESC);
-- follower_ids: the fan-out's batches of active followers in id order, from the index alone.
CREATE INDEX follows_fan_out ON follows (followee_id, follower_id) WHERE state = 'active';

CREATE TABLE posts (
    id             uuid PRIMARY KEY,
    author_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The images in the author's order, the caption's tags and mentions.
    image_ids      jsonb NOT NULL,
    caption        text NOT NULL,
    hashtags       jsonb NOT NULL DEFAULT '[]',
    mentions       jsonb NOT NULL DEFAULT '[]',
    visibility     text NOT NULL CHECK (visibility IN ('public', 'followers', 'private')),
    likes_count    bigint NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
    comments_count bigint NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
    fanned_out     boolean NOT NULL,
    created_at     timestamptz NOT NULL
);
-- posts_by_author, and posts_followed_by without a filter: an author's posts newest first.
CREATE INDEX posts_author_created ON posts (author_id, created_at DESC, id DESC);
-- posts_followed_by with a filter (the merge of authors that are not fanned out, on every timeline read):
-- an author's posts of one kind newest first, so authors without any cost one probe each.
CREATE INDEX posts_author_fanned_created ON posts (author_id, fanned_out, created_at DESC, id DESC);

-- One like per (post, user); the key also answers `liked` and the cascade of a deleted post.
CREATE TABLE likes (
    post_id    uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    CONSTRAINT likes_pkey PRIMARY KEY (post_id, user_id)
);

CREATE TABLE comments (
    id         uuid PRIMARY KEY,
    post_id    uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text       text NOT NULL,
    created_at timestamptz NOT NULL
);
-- comments: a post's comments oldest first (and the cascade of a deleted post).
CREATE INDEX comments_post_created ON comments (post_id, created_at, id);

-- The users whose home timeline is stored: writes to anyone else's are skipped. `complete` says the
-- entries are the whole timeline, not only its newest part.
CREATE TABLE timelines (
    owner_id uuid PRIMARY KEY,
    complete boolean NOT NULL
);
-- A timeline's entries. The key is (owner, created_at, post) rather than (owner, post): an entry's
-- created_at is its post's, which never changes, so the key is just as unique per post, and the one index
-- both pages the timeline (INCLUDE makes a page an index-only scan) and keeps writes idempotent.
-- No foreign keys: the fan-out writes thousands of rows per post, and it only writes to timelines that
-- exist (entries a concurrent drop left behind are never read, and a build deletes them).
CREATE TABLE timeline_entries (
    owner_id   uuid NOT NULL,
    created_at timestamptz NOT NULL,
    post_id    uuid NOT NULL,
    author_id  uuid NOT NULL,
    CONSTRAINT timeline_entries_pkey PRIMARY KEY (owner_id, created_at, post_id) INCLUDE (author_id)
);
-- remove_post: a deleted post leaves every timeline.
CREATE INDEX timeline_entries_post ON timeline_entries (post_id);

CREATE TABLE notifications (
    id           uuid PRIMARY KEY,
    recipient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('follow', 'follow_request', 'follow_accepted', 'like',
                                               'comment', 'mention', 'processing_failed')),
    actor_id     uuid,
    post_id      uuid,
    comment_id   uuid,
    image_id     uuid,
    dedup_key    text NOT NULL,
    read         boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL,
    -- notify: the same news (a redelivered event) is stored once per recipient.
    CONSTRAINT notifications_dedup UNIQUE (recipient_id, dedup_key)
);
-- notifications: an inbox newest first.
CREATE INDEX notifications_inbox ON notifications (recipient_id, created_at DESC, id DESC);
-- unread_count and mark_read of all: only the unread rows.
CREATE INDEX notifications_unread ON notifications (recipient_id) WHERE NOT read;
-- withdraw: an actor's notifications of one kind.
CREATE INDEX notifications_withdraw ON notifications (recipient_id, kind, actor_id);
