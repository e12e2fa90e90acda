//! Searching: one Query per prefix path (the partition of the query's first character, `begins_with`),
//! one per trigram of the query (candidates counted by the trigrams they share, most first), then one
//! BatchGetItem of the candidates' documents, which core ranks.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use darkroom_core::domain::UserId;
use darkroom_core::ports::SearchError;
use darkroom_core::search::{candidate_budget, rank, SearchQuery, TermKind};
use futures::{stream, StreamExt, TryStreamExt};
use uuid::Uuid;

use super::document::{from_item, USER_ID};
use super::keys::{self, term_partition, trigram_partition};
use super::DynamoUserSearch;
use crate::search::errors::from_db;

/// Trigram partitions read at once for one query.
const READERS: usize = 8;

impl DynamoUserSearch {
    pub(super) async fn find(&self, raw: &str, limit: u32) -> Result<Vec<UserId>, SearchError> {
        let Some(query) = SearchQuery::parse(raw) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let budget = candidate_budget(limit);
        let mut candidates = BTreeSet::new();
        if let Some(first) = query.text().chars().next() {
            for kind in [TermKind::Username, TermKind::Name] {
                let partition = term_partition(kind, first);
                candidates.extend(
                    self.partition(partition, Some(query.text()), budget)
                        .await?,
                );
            }
        }
        candidates.extend(self.fuzzy_candidates(&query, budget).await?);
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let keys = candidates.into_iter().map(keys::document).collect();
        let items = self
            .db
            .batch_get(keys, "reading search documents")
            .await
            .map_err(|e| from_db("user search", e))?;
        let documents = items.iter().map(from_item).collect::<Result<Vec<_>, _>>()?;
        Ok(rank(&query, documents, limit))
    }

    /// The `budget` users sharing the most trigrams with the query. A trigram's partition is read one page
    /// deep (`budget` items): a very common trigram brings only some of its users, and the rarer ones,
    /// which say more, bring theirs.
    async fn fuzzy_candidates(
        &self,
        query: &SearchQuery,
        budget: u32,
    ) -> Result<Vec<UserId>, SearchError> {
        let found: Vec<Vec<UserId>> = stream::iter(query.trigrams())
            .map(|trigram| self.partition(trigram_partition(&trigram), None, budget))
            .buffer_unordered(READERS)
            .try_collect()
            .await?;
        let mut shared: HashMap<UserId, usize> = HashMap::new();
        for id in found.into_iter().flatten() {
            *shared.entry(id).or_default() += 1;
        }
        let mut by_count: Vec<(UserId, usize)> = shared.into_iter().collect();
        by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(by_count
            .into_iter()
            .take(budget as usize)
            .map(|(id, _)| id)
            .collect())
    }

    /// The users of the first `limit` tokens of partition `pk` (those whose sort key starts with `prefix`,
    /// when given), in sort key order: one Query page.
    async fn partition(
        &self,
        pk: String,
        prefix: Option<&str>,
        limit: u32,
    ) -> Result<Vec<UserId>, SearchError> {
        let request = self
            .db
            .client()
            .query()
            .table_name(self.db.table())
            .consistent_read(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .projection_expression("#user")
            .expression_attribute_names("#user", USER_ID)
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_values(":pk", AttributeValue::S(pk));
        let request = match prefix {
            None => request.key_condition_expression("#pk = :pk"),
            Some(prefix) => request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned())),
        };
        let page = request
            .send()
            .await
            .map_err(|e| self.failed(e, "reading the search index"))?;
        page.items()
            .iter()
            .map(|item| match item.get(USER_ID) {
                Some(AttributeValue::S(id)) => Uuid::parse_str(id.as_str()).ok().map(UserId),
                _ => None,
            })
            .map(|id| id.ok_or_else(|| SearchError::other("corrupt search token: no user id")))
            .collect()
    }
}
