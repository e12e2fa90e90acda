//! Searching: one statement gathers the candidates of the three paths (index lookups only) and returns
//! their documents; core ranks them.

use chrono::{DateTime, Utc};
use darkroom_core::domain::UserId;
use darkroom_core::ports::UserDocument;
use darkroom_core::search::{candidate_budget, rank, SearchQuery, TermKind};
use sqlx::postgres::PgPool;
use uuid::Uuid;

/// Each path's candidates, then their documents. `$1` the query, `$2` the end of its prefix range (NULL:
/// no prefix path), `$3` the budget per path, `$4` whether the fuzzy path runs, `$5`/`$6` the term kinds.
/// The term ranges are range scans of the primary key; `<%` is served by the GIN index and ordered by
/// similarity, best first. `{trgm}` is the schema `pg_trgm` lives in: naming it, rather than adding it to
/// the `search_path`, leaves the path as the database URL set it, so no table outside the schema (a
/// `users` in `public`, say) can be read by accident.
pub(super) const CANDIDATES: &str = "WITH candidates AS (
    (SELECT user_id AS id FROM search_terms
      WHERE kind = $5 AND term >= $1 AND term < $2 ORDER BY term LIMIT $3)
    UNION
    (SELECT user_id FROM search_terms
      WHERE kind = $6 AND term >= $1 AND term < $2 ORDER BY term LIMIT $3)
    UNION
    (SELECT id FROM search_documents
      WHERE $4 AND $1 OPERATOR({trgm}.<%) fuzzy_text
      ORDER BY {trgm}.word_similarity($1, fuzzy_text) DESC LIMIT $3)
)
SELECT d.id, d.username, d.display_name, d.first_name, d.last_name, d.updated_at
FROM search_documents d JOIN candidates c ON c.id = d.id";

type DocumentRow = (
    Uuid,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
);

/// Searches with `candidates`, the `CANDIDATES` statement with `{trgm}` filled in.
pub(super) async fn search(
    pool: &PgPool,
    candidates: &str,
    raw: &str,
    limit: u32,
) -> Result<Vec<UserId>, sqlx::Error> {
    let Some(query) = SearchQuery::parse(raw) else {
        return Ok(Vec::new());
    };
    if limit == 0 {
        return Ok(Vec::new());
    }
    // `set_config(…, true)` lasts until the end of the transaction: the pool's connections keep theirs.
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)")
        .bind(similarity_threshold(&query).to_string())
        .execute(&mut *tx)
        .await?;
    let rows: Vec<DocumentRow> = sqlx::query_as(candidates)
        .bind(query.text())
        .bind(query.prefix_end())
        .bind(i64::from(candidate_budget(limit)))
        .bind(query.typos_allowed() > 0)
        .bind(TermKind::Username as i16)
        .bind(TermKind::Name as i16)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let documents = rows.into_iter().map(
        |(id, username, display_name, first_name, last_name, updated_at)| UserDocument {
            id: UserId(id),
            username,
            display_name,
            first_name,
            last_name,
            updated_at,
        },
    );
    Ok(rank(&query, documents, limit))
}

/// The word similarity a name keeps when it is within the query's typos, so that the index finds every such
/// name. `pg_trgm` sees a word of n characters as n + 1 trigrams (`  a`, ` ab`, …, `z `), and one typo
/// changes at most 4 of them (a swap of two letters): a query of n characters with k typos allowed shares
/// at least n + 1 − 4k of its trigrams with a match (at least one, when that is less), and the match has at
/// most 4k trigrams the query lacks. Word similarity is shared / (query's + match's − shared), so at least
/// (n + 1 − 4k) / (n + 1 + 4k). Short queries get a low threshold and many candidates; long ones a high
/// threshold and few.
fn similarity_threshold(query: &SearchQuery) -> f64 {
    let trigrams = query.text().chars().count() as f64 + 1.0;
    let changed = 4.0 * query.typos_allowed() as f64;
    let kept = (trigrams - changed).max(1.0);
    // A hair below the bound: pg_trgm computes in single precision.
    kept / (trigrams + changed) - 0.001
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_threshold_leaves_room_for_the_allowed_typos() {
        let threshold = |q: &str| similarity_threshold(&SearchQuery::parse(q).unwrap());
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        // "ann" (1 typo): 4 trigrams, 1 must be kept, up to 4 more in the match.
        assert!(close(threshold("ann"), 1.0 / 8.0 - 0.001));
        // 8 letters, 2 typos: 9 trigrams, 1 kept.
        assert!(close(threshold("lovelace"), 1.0 / 17.0 - 0.001));
        // 20 letters, 2 typos: 21 trigrams, 13 kept, 8 more in the match.
        assert!(close(threshold(&"x".repeat(20)), 13.0 / 29.0 - 0.001));
        // No typos allowed: the fuzzy path does not run, but the bound is still the exact one.
        assert!(close(threshold("ab"), 1.0 - 0.001));
    }
}
