//! `LeaseRepository` for every SQL backend: one upsert that takes the lease only when it is free, run out,
//! or already the caller's. On Postgres a concurrent insert of the same name waits for the first and then
//! finds it held; SQLite has one writer at a time.

use std::time::Duration;

use chrono::{DateTime, Utc};
use darkroom_core::ports::{lease_end, DbError, LeaseRepository};

use super::backend::for_every_sql_backend;

const ACQUIRE: &str = "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
     WHERE leases.expires_at <= $4 OR leases.holder = $2";

for_every_sql_backend!(impl LeaseRepository {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(ACQUIRE)
            .bind(name.to_owned())
            .bind(holder.to_owned())
            .bind(B::at(lease_end(now, ttl)))
            .bind(B::at(now))
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name.to_owned())
            .bind(holder.to_owned())
            .execute(self.driver().pool())
            .await
            .map_err(B::db_error)?;
        Ok(())
    }
});
