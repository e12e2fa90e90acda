//! `SessionRepository` on DynamoDB: refresh-token families with rotation and reuse detection.
//!
//! A family's revocation is one flag on its family item rather than a flag on each token: revoking is one
//! write however many tokens the family has, and rotation checks the flag in the same transaction that
//! marks the token used, so a token can never rotate after its family was revoked.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use darkroom_core::domain::{RefreshToken, UserId};
use darkroom_core::ports::{Conflict, DbError, LiveSession, RefreshOutcome, SessionRepository};
use uuid::Uuid;

use super::attrs::{micros, req_bool, req_str, req_time, req_uuid, s};
use super::calls::{retry_conflicts, Transacted};
use super::errors::unless_condition_failed;
use super::keys::{self, Item, PK, SK};
use super::query::PartitionQuery;
use super::writes::{names, vals, values, PRESENT};
use super::DynamoDatabase;

/// Rotation reads, then writes under conditions; a lost race sends it round once more (the token is then
/// used or revoked, which needs no write race to settle). More rounds would mean a bug.
const ROTATION_ROUNDS: usize = 3;

fn token_item(token: &RefreshToken, family_id: Uuid, user_id: UserId) -> Item {
    let mut item = keys::token(&token.token_hash);
    item.extend([
        ("family_id".to_owned(), s(family_id.to_string())),
        ("user_id".to_owned(), s(user_id.0.to_string())),
        ("expires_at".to_owned(), micros(token.expires_at)),
        ("used".to_owned(), AttributeValue::Bool(token.used)),
        ("revoked".to_owned(), AttributeValue::Bool(token.revoked)),
    ]);
    item
}

/// How many session entries one round of `live_sessions` reads (and checks against their families).
const SESSIONS_PER_ROUND: usize = 100;

/// A write of a session's entry in its user's list, with the expiry of its newest token. An upsert, so a
/// family started before sessions were listed gets its entry at its next rotation.
fn session_entry_update(
    db: &DynamoDatabase,
    user: UserId,
    family: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, DbError> {
    db.update(
        keys::session_entry(user, family),
        "SET #expires_at = :expires_at",
        None,
        vals([(":expires_at", micros(expires_at))]),
    )
}

/// What rotation needs to know of a stored token.
struct StoredToken {
    family_id: Uuid,
    user_id: UserId,
    expires_at: DateTime<Utc>,
    used: bool,
    revoked: bool,
}

impl StoredToken {
    fn from_item(item: &Item) -> Result<Self, DbError> {
        Ok(Self {
            family_id: req_uuid(item, "family_id")?,
            user_id: UserId(req_uuid(item, "user_id")?),
            expires_at: req_time(item, "expires_at")?,
            used: req_bool(item, "used")?,
            revoked: req_bool(item, "revoked")?,
        })
    }
}

impl DynamoDatabase {
    /// Revokes a family; with `only_if_live`, reports whether this call was the one that revoked it.
    async fn revoke_family(&self, family_id: Uuid, only_if_live: bool) -> Result<bool, DbError> {
        let mut update_values = vals([(":true", AttributeValue::Bool(true))]);
        let condition = if only_if_live {
            update_values.insert(":false".to_owned(), AttributeValue::Bool(false));
            "#revoked = :false"
        } else {
            PRESENT
        };
        let revoked = retry_conflicts(|| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(keys::family(family_id)))
                .update_expression("SET #revoked = :true")
                .condition_expression(condition)
                .set_expression_attribute_names(names(&["#revoked", condition]))
                .set_expression_attribute_values(values(update_values.clone()))
                .send()
        })
        .await;
        Ok(
            unless_condition_failed(revoked, &self.table, "revoking a refresh-token family")?
                .is_some(),
        )
    }
}

#[async_trait]
impl SessionRepository for DynamoDatabase {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), DbError> {
        let family = self.update(
            keys::family(token.family_id),
            "SET #user_id = if_not_exists(#user_id, :user), #revoked = if_not_exists(#revoked, :false)",
            None,
            vals([
                (":user", s(token.user_id.0.to_string())),
                (":false", AttributeValue::Bool(false)),
            ]),
        )?;
        let writes = vec![
            self.put_new(token_item(token, token.family_id, token.user_id))?,
            family,
            session_entry_update(self, token.user_id, token.family_id, token.expires_at)?,
        ];
        match self.transact(writes, "storing a refresh token").await? {
            Transacted::Done => Ok(()),
            Transacted::ConditionsFailed(_) => Err(DbError::Conflict(Conflict::RefreshToken)),
        }
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        replacement: &RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, DbError> {
        for _ in 0..ROTATION_ROUNDS {
            let Some(item) = self
                .get(keys::token(presented_hash), "reading a refresh token")
                .await?
            else {
                return Ok(RefreshOutcome::Invalid);
            };
            let token = StoredToken::from_item(&item)?;
            if token.revoked {
                return Ok(RefreshOutcome::Invalid);
            }
            if token.used {
                // Two parties hold this family (one stole it): revoke all of it, even if this token expired
                // since. Of several presenting it at once, the one that flips the flag reports the reuse.
                if self.revoke_family(token.family_id, true).await? {
                    tracing::warn!(family_id = %token.family_id, "refresh token reused; family revoked");
                    return Ok(RefreshOutcome::ReuseDetected);
                }
                return Ok(RefreshOutcome::Invalid);
            }
            if token.expires_at <= now {
                return Ok(RefreshOutcome::Invalid);
            }
            // The replacement joins the presented token's family whatever the caller put in it: a family is
            // one login, and reuse detection only works if rotation never leaves it.
            let fresh = RefreshToken {
                used: false,
                revoked: false,
                ..replacement.clone()
            };
            let writes = vec![
                self.check(
                    keys::family(token.family_id),
                    "#revoked = :false",
                    vals([(":false", AttributeValue::Bool(false))]),
                )?,
                self.update(
                    keys::token(presented_hash),
                    "SET #used = :true",
                    Some("#used = :false AND #revoked = :false AND #expires_at > :now"),
                    vals([
                        (":true", AttributeValue::Bool(true)),
                        (":false", AttributeValue::Bool(false)),
                        (":now", micros(now)),
                    ]),
                )?,
                self.put_new(token_item(&fresh, token.family_id, token.user_id))?,
                // Last, so that the indexes `outcome.failed` reads below stay those of the conditions.
                session_entry_update(self, token.user_id, token.family_id, fresh.expires_at)?,
            ];
            let outcome = self.transact(writes, "rotating a refresh token").await?;
            if outcome == Transacted::Done {
                return Ok(RefreshOutcome::Rotated {
                    user_id: token.user_id,
                });
            }
            if outcome.failed(0) {
                return Ok(RefreshOutcome::Invalid);
            }
            if outcome.failed(2) && !outcome.failed(1) {
                return Err(DbError::Conflict(Conflict::RefreshToken));
            }
            // The token changed since we read it (another rotation won): read it again.
        }
        Err(DbError::other(format!(
            "refresh token rotation did not settle in {ROTATION_ROUNDS} rounds"
        )))
    }

    async fn revoke_refresh_family(&self, token_hash: &str) -> Result<bool, DbError> {
        let Some(item) = self
            .get(keys::token(token_hash), "reading a refresh token")
            .await?
        else {
            return Ok(false);
        };
        let family_id = req_uuid(&item, "family_id")?;
        self.revoke_family(family_id, false).await
    }

    async fn live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<LiveSession>, DbError> {
        let limit = limit as usize;
        let mut live = Vec::new();
        // Entries of sessions that cannot go on (expired, or their family revoked): removed as they are met,
        // so the list stays about as long as the user's live sessions.
        let mut dead = Vec::new();
        let mut below = before.map(|id| id.to_string());
        while live.len() < limit {
            let query = PartitionQuery::newest_first(keys::sessions_of(user), below.clone());
            let entries = self
                .query_items(&query, Some(SESSIONS_PER_ROUND), "listing sessions")
                .await?;
            let Some(last) = entries.last() else {
                break;
            };
            below = Some(req_str(last, SK)?.to_owned());
            let ids = entries
                .iter()
                .map(|entry| Uuid::parse_str(req_str(entry, SK)?).map_err(DbError::other))
                .collect::<Result<Vec<_>, DbError>>()?;
            let families = self
                .batch_get(
                    ids.iter().map(|id| keys::family(*id)).collect(),
                    "reading sessions' families",
                )
                .await?;
            // The partition keys of the families that were not revoked (a missing family counts as revoked).
            let going_on: Vec<&AttributeValue> = families
                .iter()
                .filter(|family| !matches!(family.get("revoked"), Some(AttributeValue::Bool(true))))
                .filter_map(|family| family.get(PK))
                .collect();
            for (entry, id) in entries.iter().zip(ids) {
                let expires_at = req_time(entry, "expires_at")?;
                let family = keys::family(id);
                let revoked = !family.get(PK).is_some_and(|pk| going_on.contains(&pk));
                if revoked || expires_at <= now {
                    dead.push(keys::key_of(entry));
                } else if live.len() < limit {
                    live.push(LiveSession { id, expires_at });
                }
            }
            if entries.len() < SESSIONS_PER_ROUND {
                break;
            }
        }
        if !dead.is_empty() {
            self.batch_delete(dead, "removing ended sessions from a list")
                .await?;
        }
        Ok(live)
    }

    async fn revoke_session(
        &self,
        user: UserId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        // The entry is in the user's own partition: another account's session id finds nothing here.
        let Some(entry) = self
            .get(keys::session_entry(user, id), "reading a session")
            .await?
        else {
            return Ok(false);
        };
        if req_time(&entry, "expires_at")? <= now {
            return Ok(false);
        }
        self.revoke_family(id, true).await
    }
}
