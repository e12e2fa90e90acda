//! `DatabaseHealth` for every SQL backend.

use darkroom_core::ports::{DatabaseHealth, DbError};

use super::backend::for_every_sql_backend;

for_every_sql_backend!(impl DatabaseHealth {
    fn backend(&self) -> &'static str {
        B::NAME
    }

    async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1")
            .execute(self.driver().pool())
            .await
            .map(|_| ())
            .map_err(B::db_error)
    }
});
