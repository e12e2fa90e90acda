//! `SecondFactorRepository` on DynamoDB: one item per account (`MFA#<user>`/`TOTP`) holding the sealed
//! secret, `enabled`, `last_step` and the unused recovery codes' hashes as a string set. Every change is one
//! conditional UpdateItem (or Put, or Delete) of that item, so each check and its write are atomic: the step
//! only moves forward (`last_step < :step`), and a code leaves the set only if it is in it (`contains`).
//! DynamoDB drops a set attribute when its last element goes, which reads as no codes left.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use darkroom_core::domain::UserId;
use darkroom_core::ports::{DbError, SecondFactorRepository, StoredTotp};

use super::attrs::{micros, n, opt_num, req_bool, req_string, s};
use super::calls::retry_conflicts;
use super::errors::unless_condition_failed;
use super::keys::{self, Item};
use super::writes::{names, vals, values};
use super::DynamoDatabase;

const RECOVERY: &str = "recovery_codes";

impl DynamoDatabase {
    /// One conditional UpdateItem of the account's factor item; whether the condition held.
    async fn update_totp(
        &self,
        user: UserId,
        update: &str,
        condition: &str,
        update_values: Item,
        doing: &str,
    ) -> Result<bool, DbError> {
        let updated = retry_conflicts(|| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(keys::second_factor(user)))
                .update_expression(update)
                .condition_expression(condition)
                .set_expression_attribute_names(names(&[update, condition]))
                .set_expression_attribute_values(values(update_values.clone()))
                .send()
        })
        .await;
        Ok(unless_condition_failed(updated, &self.table, doing)?.is_some())
    }
}

#[async_trait]
impl SecondFactorRepository for DynamoDatabase {
    async fn totp(&self, user: UserId) -> Result<Option<StoredTotp>, DbError> {
        let Some(item) = self
            .get(keys::second_factor(user), "reading a totp factor")
            .await?
        else {
            return Ok(None);
        };
        let codes = match item.get(RECOVERY) {
            Some(AttributeValue::Ss(codes)) => codes.len(),
            _ => 0,
        };
        Ok(Some(StoredTotp {
            sealed_secret: req_string(&item, "secret")?,
            enabled: req_bool(&item, "enabled")?,
            last_step: opt_num(&item, "last_step")?,
            recovery_codes_left: u32::try_from(codes).unwrap_or(u32::MAX),
        }))
    }

    async fn begin_totp(
        &self,
        user: UserId,
        sealed_secret: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let mut item = keys::second_factor(user);
        item.extend([
            ("secret".to_owned(), s(sealed_secret)),
            ("enabled".to_owned(), AttributeValue::Bool(false)),
            ("created_at".to_owned(), micros(at)),
        ]);
        let condition = "attribute_not_exists(pk) OR #enabled = :false";
        let put = retry_conflicts(|| {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression(condition)
                .set_expression_attribute_names(names(&[condition]))
                .set_expression_attribute_values(values(vals([(
                    ":false",
                    AttributeValue::Bool(false),
                )])))
                .send()
        })
        .await;
        Ok(unless_condition_failed(put, &self.table, "starting a totp enrolment")?.is_some())
    }

    async fn enable_totp(
        &self,
        user: UserId,
        sealed_secret: &str,
        step: i64,
        recovery_code_hashes: &[String],
    ) -> Result<bool, DbError> {
        let mut update_values = vals([
            (":true", AttributeValue::Bool(true)),
            (":false", AttributeValue::Bool(false)),
            (":step", n(step)),
            (":secret", s(sealed_secret)),
        ]);
        // A set cannot be empty: no codes is no attribute.
        let update = if recovery_code_hashes.is_empty() {
            "SET #enabled = :true, #last_step = :step REMOVE #recovery_codes"
        } else {
            update_values.insert(
                ":codes".to_owned(),
                AttributeValue::Ss(recovery_code_hashes.to_vec()),
            );
            "SET #enabled = :true, #last_step = :step, #recovery_codes = :codes"
        };
        self.update_totp(
            user,
            update,
            "#enabled = :false AND #secret = :secret",
            update_values,
            "enabling a totp factor",
        )
        .await
    }

    async fn accept_totp_step(&self, user: UserId, step: i64) -> Result<bool, DbError> {
        self.update_totp(
            user,
            "SET #last_step = :step",
            "#enabled = :true AND (attribute_not_exists(#last_step) OR #last_step < :step)",
            vals([(":true", AttributeValue::Bool(true)), (":step", n(step))]),
            "accepting a totp step",
        )
        .await
    }

    async fn consume_recovery_code(&self, user: UserId, code_hash: &str) -> Result<bool, DbError> {
        self.update_totp(
            user,
            "DELETE #recovery_codes :codes",
            "#enabled = :true AND contains(#recovery_codes, :code)",
            vals([
                (":true", AttributeValue::Bool(true)),
                (":codes", AttributeValue::Ss(vec![code_hash.to_owned()])),
                (":code", s(code_hash)),
            ]),
            "using a recovery code",
        )
        .await
    }

    async fn remove_totp(&self, user: UserId) -> Result<bool, DbError> {
        let deleted = retry_conflicts(|| {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(keys::second_factor(user)))
                .condition_expression("attribute_exists(pk)")
                .send()
        })
        .await;
        Ok(unless_condition_failed(deleted, &self.table, "removing a totp factor")?.is_some())
    }
}
