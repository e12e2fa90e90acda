-- The social half: profiles, the follow graph, posts with their likes and comments, precomputed home
-- timelines, and inboxes. Same conventions as the init migration (text ids, integer microseconds, 0/1
-- booleans, JSON text lists). Each index names the query it serves.

-- A private account's followers need its approval.
ALTER TABLE users ADD COLUMN is_private INTEGER NOT NULL DEFAULT 0;
-- One of the user's own images. Not a foreign key: deleting an image would then look through users, and
-- the service checks an avatar before it shows one.
ALTER TABLE users ADD COLUMN avatar_image_id TEXT;

-- At most one follow (or request) per pair: the key answers follow_state and makes follow idempotent.
CREATE TABLE follows (
    follower_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('active', 'requested')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
) WITHOUT ROWID;
-- followers: a user's followers (or requests) newest first.
CREATE INDEX follows_followers ON follows (followee_id, state, created_at DESC, follower_id DESC);
-- following, and posts_followed_by's list of authors: whom a user follows, newest first.
CREATE INDEX follows_following ON follows (follower_id, state, created_at DESC, followee_id DESC);
-- follower_ids: the fan-out's batches of active followers in id order, read from the index alone.
CREATE INDEX follows_fan_out ON follows (followee_id, follower_id) WHERE state = 'active';

CREATE TABLE posts (
    id             TEXT PRIMARY KEY NOT NULL,
    author_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- JSON arrays: the images in the author's order, the caption's tags and mentions.
    image_ids      TEXT NOT NULL,
    caption        TEXT NOT NULL,
    hashtags       TEXT NOT NULL DEFAULT '[]',
    mentions       TEXT NOT NULL DEFAULT '[]',
    visibility     TEXT NOT NULL CHECK (visibility IN ('public', 'followers', 'private')),
    likes_count    INTEGER NOT NULL DEFAULT 0,
    comments_count INTEGER NOT NULL DEFAULT 0,
    fanned_out     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
-- posts_by_author, and posts_followed_by without a filter: an author's posts newest first.
CREATE INDEX posts_author_created ON posts (author_id, created_at DESC, id DESC);
-- posts_followed_by with a filter (the merge of authors that are not fanned out, on every timeline read):
-- an author's posts of one kind newest first, so authors without any cost one probe each.
CREATE INDEX posts_author_fanned_created ON posts (author_id, fanned_out, created_at DESC, id DESC);

-- One like per (post, user); the key also answers `liked` and the cascade of a deleted post.
CREATE TABLE likes (
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (post_id, user_id)
) WITHOUT ROWID;

CREATE TABLE comments (
    id         TEXT PRIMARY KEY NOT NULL,
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
-- comments: a post's comments oldest first (and the cascade of a deleted post).
CREATE INDEX comments_post_created ON comments (post_id, created_at, id);

-- The users whose home timeline is stored: writes to anyone else's are skipped. `complete` says the
-- entries are the whole timeline, not only its newest part.
CREATE TABLE timelines (
    owner_id TEXT PRIMARY KEY NOT NULL,
    complete INTEGER NOT NULL
) WITHOUT ROWID;
-- A timeline's entries, clustered by owner in page order, so a page is one range of the table. The key
-- is (owner, created_at, post) rather than (owner, post): an entry's created_at is its post's, which
-- never changes, so the key is just as unique per post and the table needs no second index to page.
-- No foreign keys: the fan-out writes thousands of rows per post, and it only writes to timelines that
-- exist (entries a concurrent drop left behind are never read, and a build deletes them).
CREATE TABLE timeline_entries (
    owner_id   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    post_id    TEXT NOT NULL,
    author_id  TEXT NOT NULL,
    PRIMARY KEY (owner_id, created_at, post_id)
) WITHOUT ROWID;
-- remove_post: a deleted post leaves every timeline.
CREATE INDEX timeline_entries_post ON timeline_entries (post_id);

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY NOT NULL,
    recipient_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('follow', 'follow_request', 'follow_accepted', 'like',
                                               'comment', 'mention', 'processing_failed')),
    actor_id     TEXT,
    post_id      TEXT,
    comment_id   TEXT,
    image_id     TEXT,
    dedup_key    TEXT NOT NULL,
    read         INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
-- notify: the same news (a redelivered event) is stored once per recipient.
CREATE UNIQUE INDEX notifications_dedup ON notifications (recipient_id, dedup_key);
-- notifications: an inbox newest first.
CREATE INDEX notifications_inbox ON notifications (recipient_id, created_at DESC, id DESC);
-- unread_count and mark_read of all: only the unread rows.
CREATE INDEX notifications_unread ON notifications (recipient_id) WHERE NOT read;
-- withdraw: an actor's notifications of one kind.
CREATE INDEX notifications_withdraw ON notifications (recipient_id, kind, actor_id);
