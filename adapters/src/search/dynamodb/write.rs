//! Indexing and forgetting a document. There are too many tokens for one transaction (DynamoDB allows 100
//! items), so the document is written first, guarded by the version it replaces, and its tokens after it,
//! each guarded by the version that wrote it:
//!
//! - the document put is conditioned on the stored `updated_at` it read, so writers of one user take turns
//!   (a loser reads again, and stops if the stored one is now newer);
//! - a token is put unless a newer version wrote it (`version <= :v`), and deleted only if an older version
//!   wrote it (`version < :v`), so a slow writer never removes a token a newer document needs.
//!
//! A crash between the two leaves missing tokens, which the redelivered event (an upsert of the same
//! version) writes again, or tokens no document needs, which cost a candidate slot and match nothing
//! (ranking reads the documents).

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use darkroom_core::domain::UserId;
use darkroom_core::ports::{SearchError, UserDocument};
use futures::{stream, TryStreamExt};

use super::document::{from_item, micros, to_item, UPDATED_AT, USER_ID};
use super::keys::{self, tokens, Token};
use super::DynamoUserSearch;

/// The attribute of a token naming the document version (`updated_at`) that wrote it.
const VERSION: &str = "version";
/// Token writes in flight at once for one document.
const WRITERS: usize = 8;
/// How often a document write that lost a race reads again before the index counts as busy.
const DOCUMENT_ATTEMPTS: u32 = 10;

impl DynamoUserSearch {
    pub(super) async fn write(&self, document: &UserDocument) -> Result<(), SearchError> {
        let mut attempt = 1;
        let replaced = loop {
            let stored = self.stored(document.id).await?;
            if stored
                .as_ref()
                .is_some_and(|stored| stored.updated_at > document.updated_at)
            {
                return Ok(());
            }
            if self.put_document(document, stored.as_ref()).await? {
                break stored;
            }
            if attempt >= DOCUMENT_ATTEMPTS {
                return Err(SearchError::unavailable(format!(
                    "search document of user {} kept changing while it was written",
                    document.id
                )));
            }
            attempt += 1;
        };
        let version = micros(document);
        let new = tokens(document);
        stream::iter(new.iter().map(Ok))
            .try_for_each_concurrent(WRITERS, |token| {
                self.put_token(token, document.id, &version)
            })
            .await?;
        let old = replaced.map(|stored| tokens(&stored)).unwrap_or_default();
        stream::iter(old.difference(&new).map(Ok))
            .try_for_each_concurrent(WRITERS, |token| {
                self.delete_token(token, "#v < :v", &version)
            })
            .await
    }

    pub(super) async fn forget(&self, id: UserId) -> Result<(), SearchError> {
        let Some(stored) = self.stored(id).await? else {
            return Ok(());
        };
        self.db
            .client()
            .delete_item()
            .table_name(self.db.table())
            .set_key(Some(keys::document(id)))
            .send()
            .await
            .map_err(|e| self.failed(e, "deleting a search document"))?;
        // Tokens a newer upsert racing this remove wrote stay; they match no document.
        let version = micros(&stored);
        stream::iter(tokens(&stored).iter().map(Ok))
            .try_for_each_concurrent(WRITERS, |token| {
                self.delete_token(token, "#v <= :v", &version)
            })
            .await
    }

    async fn stored(&self, id: UserId) -> Result<Option<UserDocument>, SearchError> {
        let found = self
            .db
            .client()
            .get_item()
            .table_name(self.db.table())
            .set_key(Some(keys::document(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.failed(e, "reading a search document"))?;
        found.item.as_ref().map(from_item).transpose()
    }

    /// Puts `document` if the stored one is still `replacing`; `false` when it changed meanwhile.
    async fn put_document(
        &self,
        document: &UserDocument,
        replacing: Option<&UserDocument>,
    ) -> Result<bool, SearchError> {
        let put = self
            .db
            .client()
            .put_item()
            .table_name(self.db.table())
            .set_item(Some(to_item(document)));
        let put = match replacing {
            None => put
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK),
            Some(stored) => put
                .condition_expression("#at = :seen")
                .expression_attribute_names("#at", UPDATED_AT)
                .expression_attribute_values(":seen", micros(stored)),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.failed(e, "writing a search document")),
        }
    }

    /// Puts `token` for `version` unless a newer version wrote it.
    async fn put_token(
        &self,
        token: &Token,
        user: UserId,
        version: &AttributeValue,
    ) -> Result<(), SearchError> {
        let mut item = token.key();
        item.insert(USER_ID.to_owned(), AttributeValue::S(user.to_string()));
        item.insert(VERSION.to_owned(), version.clone());
        let put = self
            .db
            .client()
            .put_item()
            .table_name(self.db.table())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #v <= :v")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#v", VERSION)
            .expression_attribute_values(":v", version.clone())
            .send()
            .await;
        match put {
            Err(e)
                if !matches!(
                    e.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(self.failed(e, "writing a search token"))
            }
            // Written, or a newer version has it: either way it is there.
            _ => Ok(()),
        }
    }

    /// Deletes `token` when `condition` (on `#v`, its version, against `:v`) holds.
    async fn delete_token(
        &self,
        token: &Token,
        condition: &str,
        version: &AttributeValue,
    ) -> Result<(), SearchError> {
        let deleted = self
            .db
            .client()
            .delete_item()
            .table_name(self.db.table())
            .set_key(Some(token.key()))
            .condition_expression(condition)
            .expression_attribute_names("#v", VERSION)
            .expression_attribute_values(":v", version.clone())
            .send()
            .await;
        match deleted {
            Err(e)
                if !matches!(
                    e.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(self.failed(e, "deleting a search token"))
            }
            // Deleted, gone already, or rewritten by a newer version that needs it.
            _ => Ok(()),
        }
    }
}
