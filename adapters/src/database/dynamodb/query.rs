//! Queries of one partition: which sort keys, in which direction, how many; and the keyset pages built
//! from them. A Query answers at most 1 MB, so each one pages on until it has what was asked.

use std::collections::HashMap;

use darkroom_core::domain::{Cursor, Page};
use darkroom_core::ports::DbError;

use super::attrs::s;
use super::errors::db_error;
use super::keys::{Item, PK, SK};
use super::writes::vals;
use super::DynamoDatabase;

/// Which sort keys of the partition a Query reads.
#[derive(Debug, Clone)]
pub(super) enum SortKeys {
    All,
    /// Strictly before this key (with `newest_first`: the page after a cursor).
    Below(String),
    /// Strictly after this key.
    Above(String),
    BeginsWith(String),
}

/// One Query: a partition, the sort keys to read, and the direction.
#[derive(Debug, Clone)]
pub(super) struct PartitionQuery {
    pub pk: String,
    pub sort_keys: SortKeys,
    /// Descending sort-key order (newest first for `keys::order` keys).
    pub descending: bool,
}

impl PartitionQuery {
    /// Every item of `pk`, in ascending order.
    pub(super) fn all(pk: String) -> Self {
        Self {
            pk,
            sort_keys: SortKeys::All,
            descending: false,
        }
    }

    /// Newest first after `cursor` (whose key part is `keys::order` of it), or from the newest.
    pub(super) fn newest_first(pk: String, after: Option<String>) -> Self {
        Self {
            pk,
            sort_keys: after.map_or(SortKeys::All, SortKeys::Below),
            descending: true,
        }
    }

    /// Oldest first after `cursor`, or from the oldest.
    pub(super) fn oldest_first(pk: String, after: Option<String>) -> Self {
        Self {
            pk,
            sort_keys: after.map_or(SortKeys::All, SortKeys::Above),
            descending: false,
        }
    }
}

impl DynamoDatabase {
    /// Up to `limit` items (`None`: every one) of the query, strongly consistent, in its order.
    pub(super) async fn query_items(
        &self,
        query: &PartitionQuery,
        limit: Option<usize>,
        doing: &str,
    ) -> Result<Vec<Item>, DbError> {
        if limit == Some(0) {
            return Ok(Vec::new());
        }
        let (condition, bound) = match &query.sort_keys {
            SortKeys::All => ("#pk = :pk", None),
            SortKeys::Below(key) => ("#pk = :pk AND #sk < :sk", Some(key)),
            SortKeys::Above(key) => ("#pk = :pk AND #sk > :sk", Some(key)),
            SortKeys::BeginsWith(key) => ("#pk = :pk AND begins_with(#sk, :sk)", Some(key)),
        };
        let mut names = HashMap::from([("#pk".to_owned(), PK.to_owned())]);
        let mut values = vals([(":pk", s(&query.pk))]);
        if let Some(bound) = bound {
            names.insert("#sk".to_owned(), SK.to_owned());
            values.insert(":sk".to_owned(), s(bound));
        }
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let wanted = limit.map(|limit| limit - found.len());
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .scan_index_forward(!query.descending)
                .key_condition_expression(condition)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .set_limit(wanted.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| db_error(e, &self.table, doing))?;
            found.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            let full = limit.is_some_and(|limit| found.len() >= limit);
            if full || start.is_none() {
                break;
            }
        }
        Ok(found)
    }

    /// One keyset page of the query: `limit` items and the cursor of the next page, which `cursor_of`
    /// makes from the last item (one more item is read to tell whether another page follows).
    pub(super) async fn query_page<T>(
        &self,
        query: &PartitionQuery,
        limit: u32,
        read: impl Fn(&Item) -> Result<T, DbError>,
        cursor_of: impl Fn(&T) -> Cursor,
        doing: &str,
    ) -> Result<Page<T>, DbError> {
        let limit = limit as usize;
        let items = self.query_items(query, Some(limit + 1), doing).await?;
        let more = items.len() > limit;
        let items = items
            .iter()
            .take(limit)
            .map(read)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if more {
            items.last().map(cursor_of)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
