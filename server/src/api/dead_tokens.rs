//! A validly signed access token is refused with 401 before any operation runs when its session has ended
//! (logout, reuse of a rotated refresh token) or its account no longer exists, so no write made with it
//! reaches a backend (where a missing account failed as a foreign-key 500).

use darkroom_core::services::auth::{AuthService, LiveAccounts};
use poem::http::StatusCode;
use poem::{Endpoint, Request, Response};

use super::problem::problem_error;
use super::security::verified_bearer;

pub async fn refuse_dead_tokens<E: Endpoint>(
    next: E,
    mut req: Request,
    auth: AuthService,
    live: LiveAccounts,
) -> poem::Result<Response> {
    // Invalid tokens are the operations' to refuse; a backend that cannot answer now is theirs to report.
    if let Some(bearer) = verified_bearer(&mut req, &auth) {
        if auth.session_ended(&bearer).await {
            return Err(problem_error(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the session this token belongs to has ended",
            ));
        }
        if let Ok(false) = live.is_live(bearer.user).await {
            return Err(problem_error(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the account this token belongs to does not exist",
            ));
        }
    }
    Ok(next.get_response(req).await)
}
