//! `SqlDatabase<B>`: the repositories written once for every SQL backend `B` (SQLite, Postgres). A backend
//! says only what differs: how it stores ids and timestamps, its dialect's few differing words, how it
//! opens a write transaction, and how it reads its errors.

use std::fmt::Debug;
use std::future::Future;

use chrono::{DateTime, Utc};
use darkroom_core::ports::DbError;
use sqlx::{Database, Decode, Encode, Pool, Transaction, Type};
use uuid::Uuid;

use super::convert::{StoredId, StoredTime};
use super::queries::Dialect;

/// A value a backend's driver can bind and read back.
pub trait Column<Db: Database>:
    Send + Sync + Unpin + 'static + for<'q> Encode<'q, Db> + for<'r> Decode<'r, Db> + Type<Db>
{
}

impl<Db: Database, T> Column<Db> for T where
    T: Send + Sync + Unpin + 'static + for<'q> Encode<'q, Db> + for<'r> Decode<'r, Db> + Type<Db>
{
}

/// What a SQL backend contributes to the shared repositories.
pub trait SqlBackend: Debug + Clone + Send + Sync + 'static {
    type Db: Database;
    /// How the backend stores a UUID.
    type Id: Column<Self::Db> + StoredId + Clone;
    /// How the backend stores a timestamp.
    type At: Column<Self::Db> + StoredTime + Ord + Copy;
    /// A list of outbox message ids, bound as one parameter whatever its length.
    type IdList: Send + 'static + for<'q> Encode<'q, Self::Db> + Type<Self::Db>;

    /// The name `DatabaseHealth::backend` reports.
    const NAME: &'static str;
    const DIALECT: Dialect;

    fn id(id: Uuid) -> Self::Id;
    fn at(at: DateTime<Utc>) -> Self::At;
    fn id_list(ids: &[Uuid]) -> Result<Self::IdList, DbError>;
    fn pool(&self) -> &Pool<Self::Db>;
    /// How many rows a statement changed (sqlx's drivers each say it, but not through `Database`).
    fn rows_affected(done: &<Self::Db as Database>::QueryResult) -> u64;
    /// A transaction for a read that a write follows, isolated as the backend needs (see `Dialect`).
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
    /// The port's error for one of the backend's (see `sql::db_error`).
    fn db_error(err: sqlx::Error) -> DbError;
}

/// A SQL database: the backend's pool behind the shared repositories. `SqliteDatabase` and
/// `PostgresDatabase` are its two instances.
#[derive(Debug, Clone)]
pub struct SqlDatabase<B> {
    backend: B,
}

impl<B> SqlDatabase<B> {
    pub(crate) fn new(backend: B) -> Self {
        Self { backend }
    }

    /// The backend: its pool, and whatever else it keeps.
    pub(crate) fn driver(&self) -> &B {
        &self.backend
    }
}

/// Implements a port (or, without a trait name, inherent helpers) once for every `SqlDatabase<B>`. The
/// where-clause lists what the shared statements need of a backend's sqlx driver: Rust does not carry such
/// bounds through `SqlBackend`, so they are written here, once, rather than on every impl.
macro_rules! for_every_sql_backend {
    (@impl [$($head:tt)*] { $($body:tt)* }) => {
        $($head)*
        where
            B: $crate::database::sql::SqlBackend,
            for<'c> &'c mut <B::Db as sqlx::Database>::Connection:
                sqlx::Executor<'c, Database = B::Db>,
            for<'q> <B::Db as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, B::Db>,
            for<'q> String: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
            for<'q> Option<String>: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
            for<'q> i64: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
            for<'q> bool: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
            for<'q> Option<bool>: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
            for<'q> Option<i64>: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
            for<'q> Option<B::Id>: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
            for<'q> Vec<u8>: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
            for<'r> $crate::database::sql::rows::UserRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::rows::CredentialsRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::rows::ImageRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::rows::OutboxRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::rows::ClaimedRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::social_rows::FollowRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::social_rows::PostRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::social_rows::CommentRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::social_rows::NotificationRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::social_rows::TimelineRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::uploads::UploadRow<B::Id, B::At>:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> $crate::database::sql::uploads::UploadPartRow:
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> (B::Id,): sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> (B::Id, B::Id): sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> (B::Id, B::At): sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> (B::Id, bool, bool): sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> (String, String): sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> (String, bool, Option<i64>, i64):
                sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> (String,): sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> (i64,): sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
            for<'r> (i64, Option<B::At>): sqlx::FromRow<'r, <B::Db as sqlx::Database>::Row>,
        {
            $($body)*
        }
    };
    (impl $port:ident { $($body:tt)* }) => {
        $crate::database::sql::backend::for_every_sql_backend!(@impl [
            #[async_trait::async_trait]
            impl<B> $port for $crate::database::sql::SqlDatabase<B>
        ] { $($body)* });
    };
    (impl { $($body:tt)* }) => {
        $crate::database::sql::backend::for_every_sql_backend!(@impl [
            impl<B> $crate::database::sql::SqlDatabase<B>
        ] { $($body)* });
    };
}

pub(crate) use for_every_sql_backend;
