//! The statements of the SQL adapters, written once with `$N` placeholders (SQLite accepts them as well as
//! Postgres). Where the dialects differ, the difference is one field of `Dialect` spliced into the shared
//! text, never a second copy of the statement.

/// What differs between the SQL dialects the adapters speak.
#[derive(Debug)]
pub struct Dialect {
    /// How JSON columns are read as text: nothing in SQLite (they are text), `::text` in Postgres (jsonb).
    pub json_out: &'static str,
    /// How a text parameter is written into a JSON column: nothing in SQLite, `::jsonb` in Postgres.
    pub json_in: &'static str,
    /// The larger of two values: `MAX` in SQLite, `GREATEST` in Postgres.
    pub greatest: &'static str,
    /// "The JSON array column `COL` holds the text parameter `$P`".
    json_array_has: &'static str,
    /// Row locks for a read that a write in the same transaction follows. SQLite takes the database's one
    /// write lock at `BEGIN IMMEDIATE` instead, so it needs none.
    pub for_update: &'static str,
    /// `for_update` for a join of `images i` with other tables: only the image's row is locked.
    pub for_update_of_image: &'static str,
    /// Row locks that a concurrent claimer steps over rather than waits for.
    skip_locked: &'static str,
    /// Deletes the outbox rows whose ids `$1` lists (a JSON array in SQLite, a `uuid[]` in Postgres).
    pub delete_outbox: &'static str,
    /// Row locks for a read that precedes a change of counts on the same rows. Postgres's
    /// `FOR NO KEY UPDATE`, unlike `FOR UPDATE`, does not wait for the key-share locks that inserting a
    /// row referencing the locked one takes (a like referencing its user, say), so it cannot join a
    /// cycle through them.
    pub lock_for_counts: &'static str,
    /// "Is one of the ids listed in parameter `$LIST`" (see `SqlBackend::id_list`), after a column.
    ids_in: &'static str,
    /// Timeline entries from parameter `$LIST`, a JSON array of `EntryJson`, as rows (post_id, author_id,
    /// created_at) in the dialect's types: one parameter however many entries.
    entries_from_json: &'static str,
    /// How the newest posts of each author that `follows f` lists join it, as `q` with (id, created_at),
    /// `COND` filtering `q`. SQLite, which has no LATERAL, walks each author's index range in one sorted
    /// pass; Postgres takes at most `$LIMIT` of each author first, so a prolific author costs no more than
    /// a quiet one.
    followed_posts: &'static str,
}

pub const SQLITE: Dialect = Dialect {
    json_out: "",
    json_in: "",
    greatest: "MAX",
    json_array_has: "EXISTS (SELECT 1 FROM json_each(COL) WHERE value = $P)",
    for_update: "",
    for_update_of_image: "",
    skip_locked: "",
    delete_outbox: "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each($1))",
    lock_for_counts: "",
    ids_in: "IN (SELECT value FROM json_each($LIST))",
    entries_from_json: "SELECT json_extract(value, '$.post_id') AS post_id, \
                               json_extract(value, '$.author_id') AS author_id, \
                               json_extract(value, '$.created_at') AS created_at \
                        FROM json_each($LIST)",
    followed_posts: "JOIN posts q ON q.author_id = f.followee_id AND COND",
};

pub const POSTGRES: Dialect = Dialect {
    json_out: "::text",
    json_in: "::jsonb",
    greatest: "GREATEST",
    json_array_has: "COL @> jsonb_build_array($P::text)",
    for_update: "FOR UPDATE",
    for_update_of_image: "FOR UPDATE OF i",
    skip_locked: "FOR UPDATE SKIP LOCKED",
    delete_outbox: "DELETE FROM outbox WHERE id = ANY($1)",
    lock_for_counts: "FOR NO KEY UPDATE",
    ids_in: "= ANY($LIST)",
    // Whole microseconds times an interval of one are exact (an interval counts microseconds).
    entries_from_json: "SELECT e.post_id, e.author_id, \
                               timestamptz 'epoch' + e.created_at * interval '1 microsecond' AS created_at \
                        FROM jsonb_to_recordset($LIST::jsonb) AS e(post_id uuid, author_id uuid, created_at bigint)",
    followed_posts: "CROSS JOIN LATERAL (SELECT q.id, q.created_at FROM posts q \
                                         WHERE q.author_id = f.followee_id AND COND \
                                         ORDER BY q.created_at DESC, q.id DESC LIMIT $LIMIT) q",
};

/// The columns of `User`, for `SELECT … FROM users`.
pub const USER_COLUMNS: &str = "id, username, email, display_name, first_name, last_name, bio, \
     followers_count, following_count, posts_count, is_private, avatar_image_id, created_at";

pub fn insert_user() -> String {
    // One statement: a unique violation leaves nothing written, and RETURNING gives back the row as stored
    // (defaults included) without a second query.
    format!(
        "INSERT INTO users (id, username, email, password_hash, display_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
    )
}

pub fn user_where(condition: &str) -> String {
    format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}")
}

/// A username cannot contain '@' and an email must, so one lookup on both columns is unambiguous (and each
/// side of the OR has a unique index to use).
pub fn credentials() -> String {
    format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1 OR email = $1")
}

pub const INSERT_REFRESH_TOKEN: &str =
    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, used, revoked) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// Marks token `$1` used if it is usable at `$2`, returning its family and user.
pub const CLAIM_REFRESH_TOKEN: &str = "UPDATE refresh_tokens SET used = true \
     WHERE token_hash = $1 AND NOT used AND NOT revoked AND expires_at > $2 \
     RETURNING family_id, user_id";

pub const TOKEN_STATE: &str =
    "SELECT family_id, used, revoked FROM refresh_tokens WHERE token_hash = $1";

pub const TOKEN_FAMILY: &str = "SELECT family_id FROM refresh_tokens WHERE token_hash = $1";

/// The families of user `$1` holding a token that can rotate at `$2`, with ids below `$3`, newest first, at
/// most `$4`; each with its live token's expiry. (`refresh_tokens_user` finds the user's rows.)
pub const LIVE_SESSIONS: &str = "SELECT family_id, MAX(expires_at) FROM refresh_tokens \
     WHERE user_id = $1 AND NOT used AND NOT revoked AND expires_at > $2 AND family_id < $3 \
     GROUP BY family_id ORDER BY family_id DESC LIMIT $4";

/// Whether family `$1` of user `$2` holds a token that can rotate at `$3`.
pub const SESSION_IS_LIVE: &str = "SELECT family_id FROM refresh_tokens \
     WHERE family_id = $1 AND user_id = $2 AND NOT used AND NOT revoked AND expires_at > $3 LIMIT 1";

impl Dialect {
    /// `column`'s value is one of the ids listed in parameter `$param` (a `SqlBackend::id_list`).
    pub fn in_list(&self, column: &str, param: u8) -> String {
        format!(
            "{column} {}",
            self.ids_in.replace("$LIST", &format!("${param}"))
        )
    }

    /// The entries listed in parameter `$param` (a JSON array of `EntryJson`), as rows.
    pub fn entries_from_json(&self, param: u8) -> String {
        self.entries_from_json
            .replace("$LIST", &format!("${param}"))
    }

    /// The newest posts (`q`) of the authors `follows f` lists that pass `condition`, at most `$limit` of
    /// each where the dialect can stop early (see `followed_posts`).
    pub fn followed_posts(&self, condition: &str, limit: u8) -> String {
        self.followed_posts
            .replace("COND", condition)
            .replace("$LIMIT", &format!("${limit}"))
    }

    /// Revokes every token of family `$1`. Where rows are locked, they are locked in one order (by hash)
    /// first: several losers of a rotation race revoke the same family at once, and locking its rows in
    /// whatever order each scan met them could deadlock.
    pub fn revoke_family(&self) -> String {
        format!(
            "UPDATE refresh_tokens SET revoked = true \
             WHERE token_hash IN (SELECT token_hash FROM refresh_tokens WHERE family_id = $1 \
                                  ORDER BY token_hash {})",
            self.for_update
        )
    }

    /// The columns of `Image`, for `SELECT … FROM images i JOIN users u ON u.id = i.owner_id`.
    fn image_columns(&self) -> String {
        let json = self.json_out;
        format!(
            "i.id, i.owner_id, u.username AS owner_username, i.status, i.failure_code, i.failure_message, \
             i.format, i.bytes, i.sha256, i.width, i.height, i.visibility, i.alt_text, \
             i.tags{json} AS tags, i.auto_tags{json} AS auto_tags, i.camera_make, i.camera_model, \
             i.taken_at, i.blurhash, i.dominant_color, i.variants{json} AS variants, \
             i.original_key, i.public_original_key, i.public_original_sha256, i.source_image_id, \
             i.operations{json} AS operations, i.created_at, i.updated_at, i.deleted_at, \
             i.original_read_at, i.original_archived_at"
        )
    }

    /// "Image `i` carries tag `$param`, its owner's or an automatic one".
    pub fn has_tag(&self, param: u8) -> String {
        let has = |column: &str| {
            self.json_array_has
                .replace("COL", column)
                .replace("$P", &format!("${param}"))
        };
        format!("({} OR {})", has("i.tags"), has("i.auto_tags"))
    }

    /// Images with their owner's username, filtered by `condition` (on `i.`), then `rest` (order, limit).
    pub fn images_where(&self, condition: &str, rest: &str) -> String {
        format!(
            "SELECT {} FROM images i JOIN users u ON u.id = i.owner_id WHERE {condition} {rest}",
            self.image_columns()
        )
    }

    /// Applies a patch to image `$1`: `$2` visibility, `$3` whether to set the alt text to `$4`, `$5` tags,
    /// `$6` now (never before the creation, whatever the clocks say).
    pub fn update_image(&self) -> String {
        format!(
            "UPDATE images SET visibility = COALESCE($2, visibility), \
                               alt_text = CASE WHEN $3 THEN $4 ELSE alt_text END, \
                               tags = COALESCE($5{json}, tags), \
                               updated_at = {greatest}($6, created_at) \
             WHERE id = $1",
            json = self.json_in,
            greatest = self.greatest,
        )
    }

    /// Moves processing image `$1` to ready: `$2`..`$7` what processing made, `$8` now, `$9` the automatic
    /// tags (JSON), `$10`..`$12` camera make, model and shooting time, `$13` the public original's SHA-256.
    pub fn complete_processing(&self) -> String {
        format!(
            "UPDATE images SET status = 'ready', width = $2, height = $3, blurhash = $4, \
                               dominant_color = $5, variants = $6{json}, public_original_key = $7, \
                               failure_code = NULL, failure_message = NULL, \
                               updated_at = {greatest}($8, created_at), auto_tags = $9{json}, \
                               camera_make = $10, camera_model = $11, taken_at = $12, \
                               public_original_sha256 = $13 \
             WHERE id = $1 AND status = 'processing'",
            json = self.json_in,
            greatest = self.greatest,
        )
    }

    /// Sets the size `$2` and SHA-256 `$3` of image `$1`'s original (rendered by an edit job), at `$4`.
    pub fn record_original(&self) -> String {
        format!(
            "UPDATE images SET bytes = $2, sha256 = $3, updated_at = {}($4, created_at) \
             WHERE id = $1 AND status = 'processing'",
            self.greatest
        )
    }

    /// See [`INSERT_IMAGE`]; `$10` is the source image of an edit, `$11` its operations (JSON).
    pub fn insert_image(&self) -> String {
        format!(
            "INSERT INTO images (id, owner_id, status, format, bytes, sha256, \
                     visibility, original_key, idempotency_key, created_at, updated_at, \
                     source_image_id, operations) \
             VALUES ($1, $2, 'processing', $3, $4, $5, $6, $7, $8, $9, $9, $10, $11{}) \
             {INSERT_IMAGE_CONFLICT}",
            self.json_in
        )
    }

    pub fn fail_processing(&self) -> String {
        format!(
            "UPDATE images SET status = 'failed', failure_code = $2, failure_message = $3, \
                               updated_at = {}($4, created_at) \
             WHERE id = $1 AND status = 'processing'",
            self.greatest
        )
    }

    /// The status and variants of image `$1`, locked until the transaction ends.
    pub fn variants_for_update(&self) -> String {
        format!(
            "SELECT status, variants{} FROM images WHERE id = $1 {}",
            self.json_out, self.for_update
        )
    }

    pub fn set_variants(&self) -> String {
        format!(
            "UPDATE images SET variants = $2{}, updated_at = {}($3, created_at) WHERE id = $1",
            self.json_in, self.greatest
        )
    }

    /// Claims up to `$3` outbox rows, oldest first, that no live claim (`claimed_until` after `$1`) holds,
    /// until `$2`. Rows another transaction is claiming right now are stepped over, not waited for.
    pub fn claim_outbox(&self) -> String {
        format!(
            "UPDATE outbox SET claimed_until = $2 \
             WHERE seq IN (SELECT seq FROM outbox WHERE claimed_until IS NULL OR claimed_until <= $1 \
                           ORDER BY created_at, seq LIMIT $3 {}) \
             RETURNING id, topic, payload, created_at, seq",
            self.skip_locked
        )
    }
}

/// The conflict target of inserting an image (`Dialect::insert_image`) is the partial unique index on
/// (owner_id, idempotency_key): a reused key inserts nothing (in Postgres, waiting for a concurrent insert
/// of the same key to finish first), while any other violation (a duplicate id) still fails loudly.
const INSERT_IMAGE_CONFLICT: &str =
    "ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING";

/// Newest first, on the (owner, created_at, id) index.
pub const NEWEST_FIRST: &str = "ORDER BY i.created_at DESC, i.id DESC LIMIT $2";

/// Marks live image `$1` deleted at `$2` and frees its idempotency key (a new upload may use it again).
pub const SOFT_DELETE_IMAGE: &str = "UPDATE images SET deleted_at = $2, idempotency_key = NULL \
     WHERE id = $1 AND deleted_at IS NULL";

/// Clears the mark of image `$1` if it was deleted at or after `$2`.
pub const RESTORE_IMAGE: &str = "UPDATE images SET deleted_at = NULL \
     WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at >= $2";

/// Up to `$2` images deleted before `$1`, the longest deleted first (on the partial index `images_deleted`).
pub const DELETED_IMAGES: &str =
    "SELECT id FROM images WHERE deleted_at IS NOT NULL AND deleted_at < $1 \
     ORDER BY deleted_at, id LIMIT $2";

/// Removes image `$1` for good if it was deleted before `$2`.
pub const PURGE_IMAGE: &str =
    "DELETE FROM images WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at < $2";

pub const INSERT_OUTBOX: &str =
    "INSERT INTO outbox (id, topic, payload, created_at) VALUES ($1, $2, $3, $4)";

pub const PENDING_OUTBOX: &str =
    "SELECT id, topic, payload, created_at FROM outbox ORDER BY created_at, seq LIMIT $1";

/// One aggregate over the whole table (relayed rows are deleted, so every row is pending); `MIN` reads the
/// first entry of the `outbox_created` index.
pub const OUTBOX_BACKLOG: &str = "SELECT COUNT(*), MIN(created_at) FROM outbox";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_only_differ_where_spliced() {
        let sqlite = SQLITE.complete_processing();
        let postgres = POSTGRES.complete_processing();
        assert!(sqlite.contains("variants = $6,") && sqlite.contains("MAX($8, created_at)"));
        assert!(postgres.contains("variants = $6::jsonb") && postgres.contains("GREATEST($8"));
        assert!(POSTGRES.claim_outbox().contains("FOR UPDATE SKIP LOCKED"));
        assert!(!SQLITE.claim_outbox().contains("FOR UPDATE"));
        assert!(SQLITE
            .images_where("i.id = $1", "")
            .contains("i.tags AS tags"));
        assert_eq!(
            SQLITE.has_tag(5),
            "(EXISTS (SELECT 1 FROM json_each(i.tags) WHERE value = $5) \
             OR EXISTS (SELECT 1 FROM json_each(i.auto_tags) WHERE value = $5))"
        );
        assert_eq!(
            POSTGRES.has_tag(3),
            "(i.tags @> jsonb_build_array($3::text) OR i.auto_tags @> jsonb_build_array($3::text))"
        );
    }
}
