//! The database contract suite against Postgres (`DARKROOM_TEST_POSTGRES_URL`), each case in a schema of its
//! own that is dropped afterwards (the suite's cases include migrating twice, from a second handle, and
//! concurrent replays of one upload), plus what only a shared server can show: schemas isolate, and a
//! server that is not there fails fast.

use std::sync::Arc;

use darkroom_adapters::PostgresDatabase;
use darkroom_core::domain::{
    Email, ImageFormat, ImageId, Job, NewImage, NewUser, OutboxMessage, UserId, Username,
    Visibility,
};
use darkroom_core::ports::source::chain;
use darkroom_core::ports::{
    DbError, ImageRepository, OutboxRepository, Repositories, UserRepository,
};
use darkroom_tests::contract::database::TestDatabase;
use darkroom_tests::contract::Fixture;
use darkroom_tests::services::{require, unique_name, POSTGRES_URL};

/// `url` with `schema=NAME` added to its query.
pub(super) fn with_schema(url: &str, schema: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}schema={schema}")
}

/// Drops the case's schema when the fixture goes. The drop runs on the case's own runtime (the suites use
/// the multi-threaded one), so the pool's connections stay on the reactor that made them.
pub(super) struct DropSchema(pub(super) Arc<PostgresDatabase>);

impl Drop for DropSchema {
    fn drop(&mut self) {
        let db = self.0.clone();
        let dropped = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(db.drop_schema())
        });
        if let Err(e) = dropped {
            eprintln!("could not drop schema {:?}: {e}", db.schema());
        }
    }
}

/// A migrated database in a fresh schema, or `None` (skip) when the server is not configured.
async fn fresh() -> Option<Arc<PostgresDatabase>> {
    let url = require(POSTGRES_URL, "database_postgres")?;
    let db = PostgresDatabase::from_url(&with_schema(&url, &unique_name("dr")))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    Some(Arc::new(db))
}

/// Another handle on `schema`, migrated again.
async fn reopen(schema: String) -> Repositories {
    let url = require(POSTGRES_URL, "database_postgres").unwrap();
    let again = PostgresDatabase::from_url(&with_schema(&url, &schema))
        .await
        .unwrap();
    again.migrate().await.unwrap();
    Repositories::of(Arc::new(again))
}

async fn postgres() -> Option<Fixture<TestDatabase>> {
    let db = fresh().await?;
    let schema = db.schema().unwrap().to_owned();
    let port = TestDatabase::new(Repositories::of(db.clone()), move || reopen(schema.clone()));
    Some(Fixture::with_guard(Arc::new(port), DropSchema(db)))
}

mod database_postgres {
    darkroom_tests::database_contract_suite!(super::postgres);
}

fn new_user() -> NewUser {
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
async fn schemas_do_not_see_each_other() {
    let (Some(a), Some(b)) = (fresh().await, fresh().await) else {
        return;
    };
    let _guards = (DropSchema(a.clone()), DropSchema(b.clone()));
    let user = new_user();
    a.create_user(&user).await.unwrap();
    assert_eq!(b.user_by_id(user.id).await.unwrap(), None);
    // The same username is free in the other schema: uniqueness is per deployment.
    let twin_id = UserId::new();
    let twin = NewUser {
        id: twin_id,
        event: darkroom_core::domain::Event::UserCreated { user_id: twin_id }.to_outbox(),
        ..user.clone()
    };
    b.create_user(&twin).await.unwrap();
    let job = OutboxMessage::job(&Job::ProcessImage {
        image_id: ImageId::new(),
    });
    a.create_image(&new_image(user.id, None), &job)
        .await
        .unwrap();
    // b's outbox holds its own registration's event, and nothing of a's.
    let pending = b.pending_outbox(100).await.unwrap();
    let pending: Vec<_> = pending.into_iter().map(|m| m.id).collect();
    assert_eq!(pending, vec![twin.event.id]);
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_with_unavailable() {
    let Some(_) = require(POSTGRES_URL, "database_postgres") else {
        return;
    };
    // Nothing listens on port 1: refused at once, not retried until a pool timeout.
    match PostgresDatabase::from_url("postgres://postgres@127.0.0.1:1/postgres").await {
        Err(err @ DbError::Unavailable(_)) => {
            let message = chain(&err);
            assert!(message.contains("127.0.0.1:1"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_database_or_an_unknown_parameter_is_refused() {
    let Some(url) = require(POSTGRES_URL, "database_postgres") else {
        return;
    };
    let missing = format!(
        "{}/{}",
        url.rsplit_once('/').unwrap().0,
        unique_name("nodb")
    );
    assert!(matches!(
        PostgresDatabase::from_url(&missing).await,
        Err(DbError::Unavailable(_))
    ));
    match PostgresDatabase::from_url(
        &with_schema(&url, "s").replace("schema=s", "schema=s&poolsize=3"),
    )
    .await
    {
        Err(err @ DbError::Other(_)) => {
            let message = chain(&err);
            assert!(message.contains("poolsize"), "{message}");
        }
        other => panic!("expected the parameter to be refused, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_schema_removes_everything_and_needs_a_schema() {
    let Some(db) = fresh().await else { return };
    let user = db.create_user(&new_user()).await.unwrap();
    db.drop_schema().await.unwrap();
    assert!(
        db.user_by_id(user.id).await.is_err(),
        "the tables went with the schema"
    );
    db.drop_schema().await.unwrap();
    let url = require(POSTGRES_URL, "database_postgres").unwrap();
    let public = PostgresDatabase::from_url(&url).await.unwrap();
    assert!(
        public.drop_schema().await.is_err(),
        "public is never dropped"
    );
}
