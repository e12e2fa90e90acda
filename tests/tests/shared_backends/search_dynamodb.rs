//! The user search contract suite against DynamoDB (`DARKROOM_TEST_AWS_ENDPOINT`, e.g. moto), each case in
//! a table of its own that is deleted afterwards, plus what only the shared table shows: the index's items
//! and the repositories' do not meet.

use std::sync::Arc;

use chrono::Utc;
use darkroom_adapters::{DynamoDatabase, DynamoUserSearch};
use darkroom_core::domain::{Email, Event, NewUser, UserId, Username};
use darkroom_core::ports::{UserDocument, UserRepository, UserSearch};
use darkroom_tests::contract::Fixture;
use darkroom_tests::services::{require, unique_name, AWS_ENDPOINT};

use super::dynamodb::{url, DeleteTable};

const SUITE: &str = "search_dynamodb";

/// A migrated database in a fresh table, or `None` (skip) when the endpoint is not configured.
async fn fresh() -> Option<Arc<DynamoDatabase>> {
    let endpoint = require(AWS_ENDPOINT, SUITE)?;
    let db = DynamoDatabase::from_url(&url(&endpoint, &unique_name("search")))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    Some(Arc::new(db))
}

async fn search() -> Option<Fixture<dyn UserSearch>> {
    let db = fresh().await?;
    let search: Arc<dyn UserSearch> = Arc::new(DynamoUserSearch::new(&db));
    Some(Fixture::with_guard(search, DeleteTable(db)))
}

mod contract {
    darkroom_tests::user_search_contract_suite!(super::search);
}

/// An account in the same table that the index was never told of is not found, and indexing a user
/// changes nothing of the account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_reads_only_its_own_items() {
    let Some(db) = fresh().await else { return };
    let _guard = DeleteTable(db.clone());
    let search = DynamoUserSearch::new(&db);
    let username = unique_name("u").chars().take(30).collect::<String>();
    let id = UserId::new();
    let user = NewUser {
        id,
        username: Username::parse(&username).unwrap(),
        email: Email::parse(&format!("{username}@example.org")).unwrap(),
        password_hash: "$argon2id$fake".into(),
        display_name: Some("Grace".into()),
        created_at: Utc::now(),
        event: Event::UserCreated { user_id: id }.to_outbox(),
    };
    db.create_user(&user).await.unwrap();
    assert!(search.search(&username, 10).await.unwrap().is_empty());

    let before = db.user_by_id(id).await.unwrap();
    let document = UserDocument {
        id,
        username: username.clone(),
        display_name: Some("Someone Else".into()),
        first_name: None,
        last_name: None,
        updated_at: Utc::now(),
    };
    search.upsert(&document).await.unwrap();
    assert_eq!(search.search(&username, 10).await.unwrap(), [id]);
    assert_eq!(db.user_by_id(id).await.unwrap(), before);
    search.remove(id).await.unwrap();
    assert_eq!(db.user_by_id(id).await.unwrap(), before);
    assert!(search.search(&username, 10).await.unwrap().is_empty());
}
