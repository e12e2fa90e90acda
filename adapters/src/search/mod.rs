//! The user search port (`UserSearch`) on each database backend: a read model of profiles, in tables (or
//! items) of its own, fed by `user.created` / `user.updated` events.
//!
//! Every adapter works the same way (the policy is `darkroom_core::search`):
//!
//! - `upsert` stores the document and what it is found by: its terms (`search::terms`: the username, the
//!   names and their words) for the two prefix paths, and its trigrams (`search::fuzzy_text`) for the fuzzy
//!   path; an older `updated_at` than the stored one changes nothing.
//! - `search` gathers candidates by index lookups only (at most `search::candidate_budget` per path):
//!   username terms in the query's prefix range, name terms in that range, documents sharing the query's
//!   trigrams; then reads those candidates' documents and lets `search::rank` order them. An index need only
//!   find a superset: what matches, and in which order, is decided once, in core.
//!
//! Search never reads the users table: each adapter touches only its own tables or items, which hold
//! everything ranking needs. That is structural, and the suites show it: SQLite keeps the index in a file
//! of its own (`search.sqlite`), and the Postgres suite runs in a schema where no users table exists.
//!
//! | backend  | module     | where                                                | fuzzy path                    |
//! |----------|------------|------------------------------------------------------|-------------------------------|
//! | SQLite   | `sqlite`   | its own file, its own migrations                     | FTS5 `trigram` table          |
//! | Postgres | `postgres` | the database's schema, its own migrations table      | `pg_trgm` GIN index, `<%`     |
//! | DynamoDB | `dynamodb` | the database's table, items under `SEARCH#…` keys    | one item per (trigram, user)  |

mod errors;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "dynamodb")]
pub use dynamodb::DynamoUserSearch;
#[cfg(feature = "postgres")]
pub use postgres::PostgresUserSearch;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteUserSearch;
