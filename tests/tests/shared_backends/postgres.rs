//! The database contract suite against Postgres (`DARKROOM_TEST_POSTGRES_URL`), each case in a schema of its
//! own that is dropped afterwards, plus what only a shared server can show: schemas isolate, migrations are
//! idempotent, concurrent replays of one upload agree, and a server that is not there fails fast.

use std::sync::Arc;

use darkroom_adapters::PostgresDatabase;
use darkroom_core::domain::{
    Email, ImageFormat, ImageId, Job, NewImage, NewUser, OutboxMessage, UserId, Username,
    Visibility,
};
use darkroom_core::ports::{
    CreateImageOutcome, Database, DbError, ImageRepository, OutboxRepository, UserRepository,
};
use darkroom_tests::contract::Fixture;
use darkroom_tests::services::{require, unique_name, POSTGRES_URL};

/// `url` with `schema=NAME` added to its query.
fn with_schema(url: &str, schema: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}schema={schema}")
}

/// Drops the case's schema when the fixture goes. The drop runs on the case's own runtime (the suites use
/// the multi-threaded one), so the pool's connections stay on the reactor that made them.
struct DropSchema(Arc<PostgresDatabase>);

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

async fn postgres() -> Option<Fixture<dyn Database>> {
    let db = fresh().await?;
    let port: Arc<dyn Database> = db.clone();
    Some(Fixture::with_guard(port, DropSchema(db)))
}

mod database_postgres {
    darkroom_tests::database_contract_suite!(super::postgres);
}

fn new_user() -> NewUser {
    let name = unique_name("u").chars().take(30).collect::<String>();
    NewUser {
        id: UserId::new(),
        username: Username::parse(&name).unwrap(),
        email: Email::parse(&format!("{name}@example.org")).unwrap(),
        password_hash: "$argon2id$fake".into(),
        display_name: None,
        created_at: chrono::Utc::now(),
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
        created_at: chrono::Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_twice_and_from_a_second_handle_is_fine() {
    let Some(db) = fresh().await else { return };
    let _guard = DropSchema(db.clone());
    db.migrate().await.unwrap();
    let url = require(POSTGRES_URL, "database_postgres").unwrap();
    let again = PostgresDatabase::from_url(&with_schema(&url, db.schema().unwrap()))
        .await
        .unwrap();
    again.migrate().await.unwrap();
    let user = db.create_user(&new_user()).await.unwrap();
    assert_eq!(again.user_by_id(user.id).await.unwrap(), Some(user));
    assert_eq!(again.backend(), "postgres");
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
    assert!(b.pending_outbox(100).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_with_one_idempotency_key_make_one_image() {
    let Some(db) = fresh().await else { return };
    let _guard = DropSchema(db.clone());
    let owner = db.create_user(&new_user()).await.unwrap();
    let key = unique_name("idem");
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            let image = new_image(owner.id, Some(key.clone()));
            tokio::spawn(async move {
                let job = OutboxMessage::job(&Job::ProcessImage { image_id: image.id });
                db.create_image(&image, &job).await.unwrap()
            })
        })
        .collect();
    let mut created = 0;
    let mut replayed = Vec::new();
    for racer in racers {
        match racer.await.unwrap() {
            CreateImageOutcome::Created => created += 1,
            CreateImageOutcome::IdempotentReplay(image) => replayed.push(image.id),
        }
    }
    assert_eq!(created, 1);
    let stored = db
        .images_by_owner(
            owner.id,
            darkroom_core::domain::PageRequest::new(None, None),
        )
        .await
        .unwrap();
    assert_eq!(stored.items.len(), 1);
    assert!(replayed.iter().all(|id| *id == stored.items[0].id));
    assert_eq!(
        db.pending_outbox(100).await.unwrap().len(),
        1,
        "one job, for the one image"
    );
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_with_unavailable() {
    let Some(_) = require(POSTGRES_URL, "database_postgres") else {
        return;
    };
    // Nothing listens on port 1: refused at once, not retried until a pool timeout.
    match PostgresDatabase::from_url("postgres://postgres@127.0.0.1:1/postgres").await {
        Err(DbError::Unavailable(message)) => assert!(message.contains("127.0.0.1:1"), "{message}"),
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
        Err(DbError::Other(message)) => assert!(message.contains("poolsize"), "{message}"),
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
