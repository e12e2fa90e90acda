//! The database contract suite against DynamoDB (`DARKROOM_TEST_AWS_ENDPOINT`, e.g. moto; credentials and
//! region from the usual `AWS_*` variables), each case in a table of its own that is deleted afterwards,
//! (the suite's cases include migrating twice, from a second handle, and concurrent replays of one upload),
//! plus what only a shared server can show: tables isolate, an image needs its owner, and an endpoint that
//! is not there fails fast. `social` checks the social repositories where DynamoDB's request limits
//! split the work (batches of 25 and 100, transactions of 100 items, Query pages).

mod social;

use std::sync::Arc;

use darkroom_adapters::DynamoDatabase;
use darkroom_core::domain::{
    Email, ImageFormat, ImageId, Job, NewImage, NewUser, OutboxMessage, UserId, Username,
    Visibility,
};
use darkroom_core::ports::source::chain;
use darkroom_core::ports::{
    DatabaseHealth, DbError, ImageRepository, OutboxRepository, Repositories, UserRepository,
};
use darkroom_tests::contract::database::TestDatabase;
use darkroom_tests::contract::Fixture;
use darkroom_tests::services::{require, unique_name, AWS_ENDPOINT};

const SUITE: &str = "database_dynamodb";

pub(super) fn url(endpoint: &str, table: &str) -> String {
    format!("dynamodb://{table}?region=us-east-1&endpoint={endpoint}")
}

/// Deletes the case's table when the fixture goes. The calls run on the case's own (multi-threaded)
/// runtime, blocking this worker while another drives them.
pub(super) struct DeleteTable(pub(super) Arc<DynamoDatabase>);

impl Drop for DeleteTable {
    fn drop(&mut self) {
        let db = self.0.clone();
        let cleanup = async move {
            if let Err(e) = db.delete_table().await {
                eprintln!("could not delete table {}: {e}", db.table());
            }
        };
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            tokio::task::block_in_place(|| handle.block_on(cleanup));
        }
    }
}

/// A migrated database in a fresh table, or `None` (skip) when the endpoint is not configured.
pub(super) async fn fresh() -> Option<Arc<DynamoDatabase>> {
    let endpoint = require(AWS_ENDPOINT, SUITE)?;
    let db = DynamoDatabase::from_url(&url(&endpoint, &unique_name("ddb")))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    Some(Arc::new(db))
}

/// Another handle on `table`, migrated again.
async fn reopen(table: String) -> Repositories {
    let endpoint = require(AWS_ENDPOINT, SUITE).unwrap();
    let again = DynamoDatabase::from_url(&url(&endpoint, &table))
        .await
        .unwrap();
    again.migrate().await.unwrap();
    Repositories::of(Arc::new(again))
}

async fn dynamodb() -> Option<Fixture<TestDatabase>> {
    let db = fresh().await?;
    let table = db.table().to_owned();
    let port = TestDatabase::new(Repositories::of(db.clone()), move || reopen(table.clone()));
    Some(Fixture::with_guard(Arc::new(port), DeleteTable(db)))
}

mod database_dynamodb {
    darkroom_tests::database_contract_suite!(super::dynamodb);
}

pub(super) fn new_user() -> NewUser {
    let name = unique_name("u").chars().take(30).collect::<String>();
    let id = UserId::new();
    NewUser {
        id,
        username: Username::parse(&name).unwrap(),
        email: Email::parse(&format!("{name}@example.org")).unwrap(),
        password_hash: "$argon2id$fake".into(),
        display_name: None,
        created_at: chrono::Utc::now(),
        event: darkroom_core::domain::Event::UserCreated { user_id: id }.to_outbox(),
    }
}

fn new_image(owner: UserId, idempotency_key: Option<String>) -> NewImage {
    let id = ImageId::new();
    NewImage {
        id,
        owner_id: owner,
        format: ImageFormat::Png,
        bytes: 42,
        sha256: "0".repeat(64),
        visibility: Visibility::Public,
        original_key: format!("images/{id}/original"),
        idempotency_key,
        derivation: None,
        created_at: chrono::Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_do_not_see_each_other() {
    let (Some(a), Some(b)) = (fresh().await, fresh().await) else {
        return;
    };
    let _guards = (DeleteTable(a.clone()), DeleteTable(b.clone()));
    let user = new_user();
    a.create_user(&user).await.unwrap();
    assert_eq!(b.user_by_id(user.id).await.unwrap(), None);
    // The same username is free in the other table: uniqueness is per deployment.
    b.create_user(&NewUser {
        id: UserId::new(),
        ..user.clone()
    })
    .await
    .unwrap();
    let job = OutboxMessage::job(&Job::ProcessImage {
        image_id: ImageId::new(),
    });
    a.create_image(&new_image(user.id, None), &job)
        .await
        .unwrap();
    // b's outbox holds only the user.created event of its own user.
    let pending: Vec<_> = b
        .pending_outbox(100)
        .await
        .unwrap()
        .into_iter()
        .map(|message| message.topic)
        .collect();
    assert_eq!(pending, vec!["user.created".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_needs_an_existing_owner() {
    let Some(db) = fresh().await else { return };
    let _guard = DeleteTable(db.clone());
    let image = new_image(UserId::new(), None);
    let job = OutboxMessage::job(&Job::ProcessImage { image_id: image.id });
    assert!(db.create_image(&image, &job).await.is_err());
    assert_eq!(db.image(image.id).await.unwrap(), None);
    assert!(db.pending_outbox(100).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_fast_with_unavailable() {
    let Some(_) = require(AWS_ENDPOINT, SUITE) else {
        return;
    };
    // Nothing listens on port 1: refused at once, retried briefly, then reported.
    match DynamoDatabase::from_url(&url("http://127.0.0.1:1", "darkroom")).await {
        Err(err @ DbError::Unavailable(_)) => {
            let message = chain(&err);
            assert!(message.contains("127.0.0.1:1"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_table_or_an_unknown_parameter_is_refused() {
    let Some(endpoint) = require(AWS_ENDPOINT, SUITE) else {
        return;
    };
    // Connecting to a table that does not exist works (migrate creates it); using it says what is wrong.
    let unmigrated = DynamoDatabase::from_url(&url(&endpoint, &unique_name("nodb")))
        .await
        .unwrap();
    match unmigrated.ping().await {
        Err(err @ DbError::Other(_)) => {
            let message = chain(&err);
            assert!(message.contains("does not exist"), "{message}");
        }
        other => panic!("expected a missing table, got {other:?}"),
    }
    unmigrated.delete_table().await.unwrap();
    match DynamoDatabase::from_url(&format!("{}&capacity=5", url(&endpoint, "darkroom"))).await {
        Err(err @ DbError::Other(_)) => {
            let message = chain(&err);
            assert!(message.contains("capacity"), "{message}");
        }
        other => panic!("expected the parameter to be refused, got {other:?}"),
    }
}
