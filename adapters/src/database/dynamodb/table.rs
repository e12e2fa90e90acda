//! The table itself: created on demand (pay per request) when it is missing, waited for until it serves,
//! and deleted for tests and teardown. The design needs no secondary index (see the module docs), so
//! there is nothing else to create.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::delete_table::DeleteTableError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
};
use darkroom_core::ports::DbError;

use super::errors::{built, db_error};
use super::keys::{PK, SK};
use super::DynamoDatabase;

/// How long `migrate` waits for a new table to become usable (AWS takes seconds, moto none).
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);
const POLL_EVERY: Duration = Duration::from_millis(500);

impl DynamoDatabase {
    /// Creates the table (key `pk`, `sk`; on-demand billing) unless it exists, then waits until it is
    /// usable. Idempotent, and safe for replicas starting together: the loser of the creation race is told
    /// the table is in use, and waits like everyone else.
    pub async fn migrate(&self) -> Result<(), DbError> {
        if self.status().await?.is_none() {
            self.create().await?;
        }
        self.wait_until_usable().await
    }

    /// Deletes the table and everything in it: test fixtures and teardown. A missing table is fine.
    pub async fn delete_table(&self) -> Result<(), DbError> {
        match self
            .client
            .delete_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DeleteTableError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(db_error(e, &self.table, "deleting the table")),
        }
    }

    async fn create(&self) -> Result<(), DbError> {
        let attribute = |name: &str| {
            built(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::S)
                    .build(),
            )
        };
        let key = |name: &str, kind: KeyType| {
            built(
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(kind)
                    .build(),
            )
        };
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attribute(PK)?)
            .attribute_definitions(attribute(SK)?)
            .key_schema(key(PK, KeyType::Hash)?)
            .key_schema(key(SK, KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match created {
            Ok(_) => {
                tracing::info!(table = %self.table, "created dynamodb table");
                Ok(())
            }
            // Another replica is creating it right now.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(CreateTableError::ResourceInUseException(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(db_error(e, &self.table, "creating the table")),
        }
    }

    /// The table's status, or `None` when it does not exist.
    async fn status(&self) -> Result<Option<TableStatus>, DbError> {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(described) => Ok(Some(
                described
                    .table
                    .and_then(|table| table.table_status)
                    .unwrap_or(TableStatus::Creating),
            )),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeTableError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(db_error(e, &self.table, "describing the table")),
        }
    }

    /// Polls until the table serves reads and writes (`ACTIVE`, or `UPDATING`, which serves too).
    async fn wait_until_usable(&self) -> Result<(), DbError> {
        let started = Instant::now();
        loop {
            match self.status().await? {
                Some(TableStatus::Active | TableStatus::Updating) => return Ok(()),
                Some(TableStatus::Deleting) => {
                    return Err(DbError::other(format!(
                        "dynamodb: table {} is being deleted: wait, then migrate again",
                        self.table
                    )))
                }
                status => {
                    if started.elapsed() > ACTIVE_TIMEOUT {
                        return Err(DbError::unavailable(format!(
                            "dynamodb: table {} is not active after {ACTIVE_TIMEOUT:?} (status {status:?})",
                            self.table
                        )));
                    }
                }
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}
