//! User search on DynamoDB, in the database's own table (`DynamoDatabase`): items of its own under
//! `SEARCH#` keys, which no repository reads and which read nothing of the repositories'.
//!
//! # Items
//!
//! | item             | `pk`                          | `sk`               | holds                                |
//! |------------------|-------------------------------|--------------------|--------------------------------------|
//! | document         | `SEARCH#DOC#<user id>`        | `DOC`              | username, names, `updated_at`        |
//! | username term    | `SEARCH#U#<first character>`  | `<term>#<user id>` | `user_id`, `version`                 |
//! | name term        | `SEARCH#N#<first character>`  | `<term>#<user id>` | `user_id`, `version`                 |
//! | trigram          | `SEARCH#T#<trigram>`          | `<user id>`        | `user_id`, `version`                 |
//!
//! Terms and trigrams are `darkroom_core::search`'s (`terms`, `trigrams` of `fuzzy_text`), in normal form;
//! `version` is the `updated_at` of the document that wrote the token (see `write.rs` for how concurrent
//! and out-of-order upserts leave the tokens right).
//!
//! # Access patterns
//!
//! - Upsert: GetItem of the document, a PutItem conditioned on the `updated_at` read, then a conditional
//!   PutItem per token of the new document and a conditional DeleteItem per token only the old one had
//!   (a profile has a few dozen).
//! - Search: a Query of `SEARCH#U#<c>` and of `SEARCH#N#<c>` (`c` the query's first character) with
//!   `begins_with(sk, query)`, one page each; a Query per trigram of the query, one page each, counting
//!   how many each user shares; then BatchGetItem of the candidates' documents, ranked by core. Every
//!   read is strongly consistent, so a search sees the upserts that returned before it.
//! - Remove: GetItem, DeleteItem of the document, a conditional DeleteItem per token.
//!
//! A term partition holds every username (or name) starting with one character: DynamoDB splits a hot
//! item collection by sort key, and the table has no local index, so its size is not limited.

mod document;
mod keys;
mod read;
mod write;

use std::error::Error;

use async_trait::async_trait;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use darkroom_core::domain::UserId;
use darkroom_core::ports::{SearchError, UserDocument, UserSearch};

use super::errors::from_db;
use crate::database::dynamodb::DynamoDatabase;

/// The user search index in the table of a `DynamoDatabase`.
#[derive(Debug, Clone)]
pub struct DynamoUserSearch {
    db: DynamoDatabase,
}

impl DynamoUserSearch {
    /// The index in `database`'s table, on its client. There is nothing to migrate: the table is the
    /// database's (its `migrate` creates it), and the index needs no secondary index.
    pub fn new(database: &DynamoDatabase) -> Self {
        Self {
            db: database.clone(),
        }
    }

    /// The index in the table a `dynamodb://TABLE?…` URL names (the database adapter's URL), on a client of
    /// its own: for a composition root that holds the URL rather than the database. The database's
    /// `migrate` creates the table.
    pub async fn from_url(url: &str) -> Result<Self, SearchError> {
        let database = DynamoDatabase::from_url(url)
            .await
            .map_err(|e| from_db("connecting the search index", e))?;
        Ok(Self::new(&database))
    }

    /// A failed call, classified as the database classifies its own.
    fn failed<E>(&self, err: SdkError<E, HttpResponse>, doing: &str) -> SearchError
    where
        E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    {
        from_db("user search", self.db.call_error(err, doing))
    }
}

#[async_trait]
impl UserSearch for DynamoUserSearch {
    async fn upsert(&self, document: &UserDocument) -> Result<(), SearchError> {
        self.write(document).await
    }

    async fn remove(&self, id: UserId) -> Result<(), SearchError> {
        self.forget(id).await
    }

    async fn search(&self, query: &str, limit: u32) -> Result<Vec<UserId>, SearchError> {
        self.find(query, limit).await
    }
}
