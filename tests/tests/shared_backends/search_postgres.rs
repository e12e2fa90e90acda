//! The user search contract suite against Postgres (`DARKROOM_TEST_POSTGRES_URL`), each case in a schema of
//! its own where only the search index is migrated (so there is no users table for search to read), plus
//! what only a real server shows: the index's migrations and the database's share a schema without
//! tripping over each other, and search keeps working with the users table gone.

use std::sync::Arc;

use chrono::Utc;
use darkroom_adapters::{PostgresDatabase, PostgresUserSearch};
use darkroom_core::domain::{Email, Event, NewUser, UserId, Username};
use darkroom_core::ports::{UserDocument, UserRepository, UserSearch};
use darkroom_tests::contract::Fixture;
use darkroom_tests::services::{require, unique_name, POSTGRES_URL};

use super::postgres::{with_schema, DropSchema};

const SUITE: &str = "search_postgres";

/// A database handle on a fresh schema (created by whichever migration runs first), or `None` (skip).
async fn fresh_schema() -> Option<Arc<PostgresDatabase>> {
    let url = require(POSTGRES_URL, SUITE)?;
    let db = PostgresDatabase::from_url(&with_schema(&url, &unique_name("search")))
        .await
        .unwrap();
    Some(Arc::new(db))
}

async fn search() -> Option<Fixture<dyn UserSearch>> {
    let db = fresh_schema().await?;
    let search = PostgresUserSearch::new(&db);
    search.migrate().await.unwrap();
    let search: Arc<dyn UserSearch> = Arc::new(search);
    Some(Fixture::with_guard(search, DropSchema(db)))
}

mod contract {
    darkroom_tests::user_search_contract_suite!(super::search);
}

fn new_user(username: &str) -> NewUser {
    let id = UserId::new();
    NewUser {
        id,
        username: Username::parse(username).unwrap(),
        email: Email::parse(&format!("{username}@example.org")).unwrap(),
        password_hash: "$argon2id$fake".into(),
        display_name: None,
        created_at: Utc::now(),
        event: Event::UserCreated { user_id: id }.to_outbox(),
    }
}

fn document_of(user: &NewUser) -> UserDocument {
    UserDocument {
        id: user.id,
        username: user.username.as_str().to_owned(),
        display_name: None,
        first_name: Some("Grace".into()),
        last_name: None,
        updated_at: Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_and_the_database_migrate_side_by_side() {
    let Some(db) = fresh_schema().await else {
        return;
    };
    let _guard = DropSchema(db.clone());
    let search = PostgresUserSearch::new(&db);
    // Index first, then the database, then both again (and the index from a second handle, at once):
    // each keeps its own migrations table, so neither finds versions it does not know.
    search.migrate().await.unwrap();
    db.migrate().await.unwrap();
    let second = PostgresUserSearch::new(&db);
    let (a, b) = tokio::join!(search.migrate(), second.migrate());
    a.unwrap();
    b.unwrap();
    db.migrate().await.unwrap();

    let user = new_user(&unique_name("u").chars().take(30).collect::<String>());
    db.create_user(&user).await.unwrap();
    search.upsert(&document_of(&user)).await.unwrap();
    assert_eq!(
        search.search(user.username.as_str(), 10).await.unwrap(),
        [user.id]
    );
}

/// Search reads only its own tables: an account the index was never told of is not found, and with the
/// users table renamed away, indexing, searching and removing all still work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_never_reads_the_users_table() {
    let Some(db) = fresh_schema().await else {
        return;
    };
    let _guard = DropSchema(db.clone());
    db.migrate().await.unwrap();
    let search = PostgresUserSearch::new(&db);
    search.migrate().await.unwrap();
    let name = |prefix| unique_name(prefix).chars().take(30).collect::<String>();
    let (unindexed, indexed) = (new_user(&name("un")), new_user(&name("in")));
    db.create_user(&unindexed).await.unwrap();
    db.create_user(&indexed).await.unwrap();
    search.upsert(&document_of(&indexed)).await.unwrap();
    assert!(search
        .search(unindexed.username.as_str(), 10)
        .await
        .unwrap()
        .is_empty());

    let url = require(POSTGRES_URL, SUITE).unwrap();
    let schema = db.schema().unwrap();
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(&format!(
        "ALTER TABLE \"{schema}\".users RENAME TO users_moved_away"
    ))
    .execute(&admin)
    .await
    .unwrap();
    assert!(
        db.user_by_id(indexed.id).await.is_err(),
        "the users table is gone"
    );
    assert_eq!(
        search.search(indexed.username.as_str(), 10).await.unwrap(),
        [indexed.id]
    );
    let renamed = UserDocument {
        username: name("re"),
        ..document_of(&indexed)
    };
    search.upsert(&renamed).await.unwrap();
    assert_eq!(
        search.search(&renamed.username, 10).await.unwrap(),
        [indexed.id]
    );
    search.remove(indexed.id).await.unwrap();
    assert!(search
        .search(&renamed.username, 10)
        .await
        .unwrap()
        .is_empty());
    admin.close().await;
}
