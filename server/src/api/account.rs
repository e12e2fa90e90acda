//! The caller's account security: `listSessions` and `revokeSession` (one's sessions, one per login, and
//! signing one of them out), and `changePassword`.

use chrono::{DateTime, Utc};
use darkroom_core::domain::Page;
use darkroom_core::services::auth::SessionInfo;
use darkroom_core::services::ServiceError;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::login_failures::LoginFailures;
use super::pagination::page_request;
use super::problem::{ApiResult, Problem};
use super::rate_limits::ClientIp;
use super::security::BearerAuth;
use super::strict_json::StrictJson;
use super::users::Done;
use super::{ApiTags, AppState};

/// A session: one login, on one device, kept alive by refreshing its tokens.
#[derive(Debug, Object)]
#[oai(rename = "Session")]
pub struct SessionView {
    pub id: uuid::Uuid,
    /// When it began (the login); null for sessions begun before this server named them.
    #[oai(nullable)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ends unless it is refreshed before (never past the session's maximum age).
    pub expires_at: DateTime<Utc>,
    /// Whether it is the session of the token that asked.
    pub current: bool,
}

/// A page of sessions, newest first.
#[derive(Debug, Object)]
pub struct SessionPage {
    pub items: Vec<SessionView>,
    /// Pass as `cursor` for the next page; null at the end.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl From<Page<SessionInfo>> for SessionPage {
    fn from(page: Page<SessionInfo>) -> Self {
        Self {
            items: page
                .items
                .into_iter()
                .map(|session| SessionView {
                    id: session.id,
                    started_at: session.started_at,
                    expires_at: session.expires_at,
                    current: session.current,
                })
                .collect(),
            next_cursor: page.next.map(|cursor| cursor.encode()),
        }
    }
}

/// `changePassword`'s body.
#[derive(Debug, Object)]
pub struct PasswordChange {
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub current_password: String,
    /// 8 to 128 characters.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub new_password: String,
}

#[derive(Debug, ApiResponse)]
pub enum PasswordChanged {
    /// Changed; every other session of the account ended.
    #[oai(status = 204)]
    Done,
    /// The current password is not right (the token is fine, so this is not a 401 that clients would take for
    /// an expired session).
    #[oai(status = 403, content_type = "application/problem+json")]
    WrongPassword(Json<Problem>),
}

#[derive(Debug)]
pub struct AccountApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl AccountApi {
    /// The caller's sessions that can still go on (each a login somewhere), newest first; `current` marks
    /// the one asking.
    #[oai(
        path = "/v1/me/sessions",
        method = "get",
        operation_id = "listSessions"
    )]
    async fn list_sessions(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` of the previous page (opaque; the pattern is the domain's `Cursor::PATTERN`).
        #[oai(validator(pattern = r"^[0-9]{1,16}\.[0-9a-f]{32}$"))]
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<SessionPage>> {
        let bearer = auth.bearer(&state.auth)?;
        let page = page_request(limit.0, cursor.0.as_deref())?;
        let sessions = state
            .auth
            .sessions(bearer.user, bearer.session, page)
            .await?;
        Ok(Json(sessions.into()))
    }

    /// Sign one of the caller's sessions out: its refresh token stops working at once, and its access tokens
    /// on their next request. Revoking the current session is logging out. Another account's session, or
    /// one that already ended, is 404.
    #[oai(
        path = "/v1/me/sessions/:id",
        method = "delete",
        operation_id = "revokeSession"
    )]
    async fn revoke_session(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Done> {
        let me = auth.user(&state.auth)?;
        state.auth.revoke_session(me, id.0).await?;
        Ok(Done::NoContent)
    }

    /// Change the caller's password, proven by the current one. Every other session of the account ends
    /// (whoever logged in with the old password is out at once); the one asking goes on. A wrong current
    /// password is 403 `invalid_credentials` and counts towards the account's login lockout.
    #[oai(
        path = "/v1/me/password",
        method = "post",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientIp>,
        auth: BearerAuth,
        body: StrictJson<PasswordChange>,
    ) -> ApiResult<PasswordChanged> {
        let bearer = auth.bearer(&state.auth)?;
        let me = state.auth.me(bearer.user).await?;
        let failures = LoginFailures::new(&state.rate_limits, &me.username, client.0 .0);
        failures.check().await?;
        let body = body.0;
        match state
            .auth
            .change_password(
                &me,
                bearer.session,
                &body.current_password,
                &body.new_password,
            )
            .await
        {
            Ok(_) => Ok(PasswordChanged::Done),
            Err(ServiceError::InvalidCredentials) => {
                failures.record().await;
                Ok(PasswordChanged::WrongPassword(Json(Problem::new(
                    StatusCode::FORBIDDEN,
                    "invalid_credentials",
                    "the current password is not right",
                ))))
            }
            Err(err) => Err(err.into()),
        }
    }
}
