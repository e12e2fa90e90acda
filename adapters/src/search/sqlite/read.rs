//! Searching: candidates from the two prefix paths and the fuzzy path (index lookups only), then their
//! documents, ranked by core.

use std::collections::BTreeSet;

use chrono::DateTime;
use darkroom_core::domain::UserId;
use darkroom_core::ports::{SearchError, UserDocument};
use darkroom_core::search::{candidate_budget, rank, SearchQuery, TermKind};
use sqlx::sqlite::SqlitePool;
use uuid::Uuid;

use super::sql_error;

/// A stored document: id, username, display, first and last name, `updated_at` in microseconds.
type DocumentRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

pub(super) async fn search(
    pool: &SqlitePool,
    raw: &str,
    limit: u32,
) -> Result<Vec<UserId>, SearchError> {
    let Some(query) = SearchQuery::parse(raw) else {
        return Ok(Vec::new());
    };
    if limit == 0 {
        return Ok(Vec::new());
    }
    let budget = i64::from(candidate_budget(limit));
    let failed = |e| sql_error("searching users", e);
    let mut seqs = BTreeSet::new();
    if let Some(end) = query.prefix_end() {
        for kind in [TermKind::Username, TermKind::Name] {
            let found: Vec<i64> = sqlx::query_scalar(
                "SELECT seq FROM search_terms WHERE kind = ? AND term >= ? AND term < ? \
                 ORDER BY term LIMIT ?",
            )
            .bind(kind as i64)
            .bind(query.text())
            .bind(&end)
            .bind(budget)
            .fetch_all(pool)
            .await
            .map_err(failed)?;
            seqs.extend(found);
        }
    }
    if let Some(expression) = fuzzy_expression(&query) {
        // bm25 ranks documents sharing more (and rarer) trigrams first.
        let found: Vec<i64> = sqlx::query_scalar(
            "SELECT rowid FROM search_fuzzy WHERE search_fuzzy MATCH ? ORDER BY rank LIMIT ?",
        )
        .bind(expression)
        .bind(budget)
        .fetch_all(pool)
        .await
        .map_err(failed)?;
        seqs.extend(found);
    }
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let seqs = serde_json::to_string(&seqs)
        .map_err(|e| SearchError::other_from("encoding candidate ids", e))?;
    let rows: Vec<DocumentRow> = sqlx::query_as(
        "SELECT id, username, display_name, first_name, last_name, updated_at \
         FROM search_documents WHERE seq IN (SELECT value FROM json_each(?))",
    )
    .bind(seqs)
    .fetch_all(pool)
    .await
    .map_err(failed)?;
    let documents = rows
        .into_iter()
        .map(document)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rank(&query, documents, limit))
}

/// An FTS5 query matching any of the query's trigrams, each a quoted string (so no character of the query
/// is FTS syntax); `None` when the query allows no typos.
fn fuzzy_expression(query: &SearchQuery) -> Option<String> {
    let trigrams = query.trigrams();
    if trigrams.is_empty() {
        return None;
    }
    let quoted: Vec<String> = trigrams
        .iter()
        .map(|trigram| format!("\"{}\"", trigram.replace('"', "\"\"")))
        .collect();
    Some(quoted.join(" OR "))
}

fn document(row: DocumentRow) -> Result<UserDocument, SearchError> {
    let (id, username, display_name, first_name, last_name, updated_at) = row;
    let corrupt = |what: &str| SearchError::other(format!("corrupt search document {id}: {what}"));
    Ok(UserDocument {
        id: UserId(Uuid::parse_str(&id).map_err(|_| corrupt("bad id"))?),
        username,
        display_name,
        first_name,
        last_name,
        updated_at: DateTime::from_timestamp_micros(updated_at)
            .ok_or_else(|| corrupt("bad updated_at"))?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_fuzzy_expression_quotes_every_trigram() {
        let query = SearchQuery::parse("a\"b").unwrap();
        assert_eq!(
            fuzzy_expression(&query).unwrap(),
            r#""  a" OR " a""" OR """b " OR "a""b""#
        );
        assert_eq!(fuzzy_expression(&SearchQuery::parse("ab").unwrap()), None);
    }
}
