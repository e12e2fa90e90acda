//! `register`, `login`, `refreshToken`, `logout`.

use darkroom_core::services::auth::{LoginOutcome, Registration};
use darkroom_core::services::ServiceError;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::login_failures::LoginFailures;
use super::mfa::MfaChallenge;
use super::models::{Registered, Tokens};
use super::problem::ApiResult;
use super::rate_limits::ClientIp;
use super::strict_json::StrictJson;
use super::{ApiTags, AppState};

/// The patterns below are the domain's (`Username::PATTERN`, …); a test checks they stay identical.
#[derive(Debug, Object)]
pub struct RegisterRequest {
    #[oai(validator(pattern = "^[A-Za-z0-9_]{3,30}$"))]
    pub username: String,
    #[oai(validator(
        max_length = 254,
        pattern = r"^[^@\x00-\x20\x7f]+@[^@.\x00-\x20\x7f]+(\.[^@.\x00-\x20\x7f]+)+$"
    ))]
    pub email: String,
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: String,
    #[oai(nullable, validator(pattern = r"^[^\x00-\x1f\x7f]{1,64}$"))]
    pub display_name: Option<String>,
}

#[derive(Debug, Object)]
pub struct LoginRequest {
    /// A username or an email address.
    #[oai(validator(min_length = 1, max_length = 254))]
    pub login: String,
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub password: String,
}

#[derive(Debug, Object)]
pub struct RefreshRequest {
    #[oai(validator(min_length = 1, max_length = 512))]
    pub refresh_token: String,
}

#[derive(Debug, ApiResponse)]
pub enum RegisterResponse {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<Registered>),
}

/// `login`'s answers: the token pair, or (for an account with two-factor login on) a challenge.
#[derive(Debug, ApiResponse)]
pub enum LoginResponse {
    /// Logged in.
    #[oai(status = 200)]
    Tokens(Json<Tokens>),
    /// The password is right and the account has two-factor login on: no tokens yet. Send `challenge` with
    /// a code from the authenticator app (or a recovery code) to `completeMfaLogin` before it expires.
    #[oai(status = 202)]
    SecondFactorRequired(Json<MfaChallenge>),
}

#[derive(Debug, ApiResponse)]
pub enum LogoutResponse {
    /// The session is over (also when it already was).
    #[oai(status = 204)]
    Done,
}

#[derive(Debug)]
pub struct AuthApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Create an account; answers with the user and a token pair.
    #[oai(path = "/v1/auth/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        body: StrictJson<RegisterRequest>,
    ) -> ApiResult<RegisterResponse> {
        let body = body.0;
        let (user, tokens) = state
            .auth
            .register(Registration {
                username: body.username,
                email: body.email,
                password: body.password,
                display_name: body.display_name,
            })
            .await?;
        Ok(RegisterResponse::Created(Json(Registered {
            user: user.into(),
            tokens: tokens.into(),
        })))
    }

    /// Exchange a username or email and a password for a token pair. An account with two-factor login on
    /// answers 202 with a challenge instead (see `completeMfaLogin`).
    #[oai(path = "/v1/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientIp>,
        body: StrictJson<LoginRequest>,
    ) -> ApiResult<LoginResponse> {
        let failures = LoginFailures::new(&state.rate_limits, &body.0.login, client.0 .0);
        failures.check().await?;
        match state.auth.login(&body.0.login, &body.0.password).await {
            Ok(LoginOutcome::Tokens(_, tokens)) => Ok(LoginResponse::Tokens(Json(tokens.into()))),
            Ok(LoginOutcome::SecondFactorRequired {
                challenge,
                expires_in,
            }) => Ok(LoginResponse::SecondFactorRequired(Json(
                MfaChallenge::new(challenge, expires_in),
            ))),
            Err(err @ ServiceError::InvalidCredentials) => {
                failures.record().await;
                Err(err.into())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Rotate a refresh token. Presenting one that was already rotated revokes the whole session.
    #[oai(
        path = "/v1/auth/refresh",
        method = "post",
        operation_id = "refreshToken"
    )]
    async fn refresh_token(
        &self,
        state: Data<&AppState>,
        body: StrictJson<RefreshRequest>,
    ) -> ApiResult<Json<Tokens>> {
        Ok(Json(
            state.auth.refresh(&body.0.refresh_token).await?.into(),
        ))
    }

    /// End the session the refresh token belongs to.
    #[oai(path = "/v1/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        body: StrictJson<RefreshRequest>,
    ) -> ApiResult<LogoutResponse> {
        state.auth.logout(&body.0.refresh_token).await?;
        Ok(LogoutResponse::Done)
    }
}
