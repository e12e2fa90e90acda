//! `LeaseRepository` on DynamoDB: a lease is one item, `LEASE#<name>` / `LEASE`, put on the condition that it
//! is absent, run out, or already the caller's; DynamoDB's conditional writes make one of racing callers win.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use darkroom_core::ports::{lease_end, DbError, LeaseRepository};

use super::attrs::{micros, s};
use super::calls::retry_conflicts;
use super::errors::unless_condition_failed;
use super::keys::{Item, PK, SK};
use super::writes::{names, vals, values};
use super::DynamoDatabase;

fn lease_key(name: &str) -> Item {
    Item::from([
        (PK.to_owned(), s(format!("LEASE#{name}"))),
        (SK.to_owned(), s("LEASE")),
    ])
}

#[async_trait]
impl LeaseRepository for DynamoDatabase {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, DbError> {
        let mut item = lease_key(name);
        item.insert("holder".to_owned(), s(holder));
        item.insert("expires_at".to_owned(), micros(lease_end(now, ttl)));
        let condition = "attribute_not_exists(pk) OR #expires_at <= :now OR #holder = :holder";
        let put = retry_conflicts(|| {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression(condition)
                .set_expression_attribute_names(names(&[condition]))
                .set_expression_attribute_values(values(vals([
                    (":now", micros(now)),
                    (":holder", s(holder)),
                ])))
                .send()
        })
        .await;
        Ok(unless_condition_failed(put, &self.table, "acquiring a lease")?.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), DbError> {
        let condition = "#holder = :holder";
        let deleted = retry_conflicts(|| {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(lease_key(name)))
                .condition_expression(condition)
                .set_expression_attribute_names(names(&[condition]))
                .set_expression_attribute_values(values(vals([(":holder", s(holder))])))
                .send()
        })
        .await;
        // A lease someone else holds now (ours ran out) is not ours to release: nothing to do either way.
        unless_condition_failed(deleted, &self.table, "releasing a lease")?;
        Ok(())
    }
}
