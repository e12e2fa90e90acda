//! What other adapters of this crate may use of the table: the user search index keeps its items here
//! (under keys of its own, `SEARCH#…`), so it shares the client and classifies its errors as the
//! repositories do. (It also reads its documents with `batch_get`, which is `pub(crate)` for that.)

use std::error::Error;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use darkroom_core::ports::DbError;

use super::errors::db_error;
use super::DynamoDatabase;

impl DynamoDatabase {
    pub(crate) fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// The port error for a call on this table that failed doing `doing`: "not now" (throttling, server
    /// trouble, refused credentials) is `Unavailable`, anything else `Other`.
    pub(crate) fn call_error<E>(&self, err: SdkError<E, HttpResponse>, doing: &str) -> DbError
    where
        E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    {
        db_error(err, &self.table, doing)
    }
}
