//! Two-factor login (TOTP): `getMfaStatus`, `startTotpEnrolment`, `confirmTotpEnrolment`, `disableTotp`
//! for the signed-in account, and `completeMfaLogin`, the second step of `login`.

use darkroom_core::services::auth::{MfaStatus, TotpEnrolment, CHALLENGE_TTL_SECS};
use darkroom_core::services::ServiceError;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::login_failures::LoginFailures;
use super::models::Tokens;
use super::problem::{ApiResult, Problem, ProblemResponse};
use super::rate_limits::ClientIp;
use super::security::BearerAuth;
use super::strict_json::StrictJson;
use super::{ApiTags, AppState};

/// `login`'s answer (202) for an account with two-factor login on.
#[derive(Debug, Object)]
pub struct MfaChallenge {
    /// Always true: tells this answer from a token pair.
    pub mfa_required: bool,
    /// Opaque (`mfa.` then base64url text); good only for `completeMfaLogin`, and only until it expires.
    pub challenge: String,
    /// Seconds until the challenge expires.
    pub expires_in: u64,
    /// What `completeMfaLogin` takes as `code`: `totp` (the app's 6 digits), `recovery_code`.
    pub methods: Vec<String>,
}

impl MfaChallenge {
    pub fn new(challenge: String, expires_in: u64) -> Self {
        Self {
            mfa_required: true,
            challenge,
            expires_in,
            methods: vec!["totp".into(), "recovery_code".into()],
        }
    }
}

/// `completeMfaLogin`'s body.
#[derive(Debug, Object)]
pub struct MfaLogin {
    /// The `challenge` `login` answered.
    #[oai(validator(min_length = 1, max_length = 512))]
    pub challenge: String,
    /// The 6-digit code the app shows now, or one of the recovery codes (each works once).
    #[oai(validator(min_length = 1, max_length = 64))]
    pub code: String,
}

/// `confirmTotpEnrolment`'s body.
#[derive(Debug, Object)]
pub struct TotpCode {
    /// The 6-digit code the app shows now.
    #[oai(validator(pattern = "^[0-9]{6}$"))]
    pub code: String,
}

/// `disableTotp`'s body.
#[derive(Debug, Object)]
pub struct TotpDisable {
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub password: String,
    /// A current 6-digit code, or one of the recovery codes.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub code: String,
}

/// Whether the account logs in with a second factor.
#[derive(Debug, Object)]
#[oai(rename = "MfaStatus")]
pub struct MfaStatusView {
    pub totp_enabled: bool,
    /// An enrolment was started and not confirmed yet.
    pub totp_pending: bool,
    pub recovery_codes_left: u32,
}

impl From<MfaStatus> for MfaStatusView {
    fn from(status: MfaStatus) -> Self {
        Self {
            totp_enabled: status.totp_enabled,
            totp_pending: status.totp_pending,
            recovery_codes_left: status.recovery_codes_left,
        }
    }
}

/// A new TOTP secret, for an authenticator app.
#[derive(Debug, Object)]
pub struct TotpSecret {
    /// The secret in base32, to type in by hand.
    pub secret: String,
    /// The same as an `otpauth://totp/…` URI, to show as a QR code.
    pub otpauth_uri: String,
    /// `SHA1`.
    pub algorithm: String,
    pub digits: u32,
    /// Seconds per code.
    pub period: u32,
}

impl From<TotpEnrolment> for TotpSecret {
    fn from(enrolment: TotpEnrolment) -> Self {
        use darkroom_core::services::auth::totp;
        Self {
            secret: enrolment.secret,
            otpauth_uri: enrolment.otpauth_uri,
            algorithm: "SHA1".into(),
            digits: totp::DIGITS,
            period: totp::STEP_SECS as u32,
        }
    }
}

/// The recovery codes, shown this once.
#[derive(Debug, Object)]
pub struct RecoveryCodes {
    /// Each works once in place of a code, at login or to turn two-factor login off.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, ApiResponse)]
pub enum EnrolmentConfirmed {
    /// Two-factor login is on; keep the recovery codes somewhere safe.
    #[oai(status = 200)]
    Enabled(Json<RecoveryCodes>),
    /// The code is not the app's current one (the token is fine, so this is not a 401).
    #[oai(status = 403, content_type = "application/problem+json")]
    WrongCode(Json<Problem>),
}

#[derive(Debug, ApiResponse)]
pub enum TotpDisabled {
    /// Two-factor login is off (or the unconfirmed enrolment dropped).
    #[oai(status = 204)]
    Done,
    /// The password or the code is not right; counts towards the account's login lockout.
    #[oai(status = 403, content_type = "application/problem+json")]
    WrongCredentials(Json<Problem>),
}

#[derive(Debug)]
pub struct MfaApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl MfaApi {
    /// The second step of `login` for an account with two-factor login on: the challenge and a current code
    /// (or a recovery code, used up by this) for a token pair. A wrong or already used code is 401
    /// `invalid_credentials` and counts towards the account's login lockout; an expired or altered
    /// challenge is 401 `unauthenticated` (log in again).
    #[oai(
        path = "/v1/auth/login/mfa",
        method = "post",
        operation_id = "completeMfaLogin"
    )]
    async fn complete_mfa_login(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientIp>,
        body: StrictJson<MfaLogin>,
    ) -> ApiResult<Json<Tokens>> {
        let challenge = state.auth.login_challenge(&body.0.challenge).map_err(|_| {
            ProblemResponse::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                format!(
                    "the challenge is invalid or expired (it lasts {CHALLENGE_TTL_SECS} seconds): log in again"
                ),
            )
        })?;
        let failures = LoginFailures::new(&state.rate_limits, &challenge.username, client.0 .0);
        failures.check().await?;
        match state.auth.complete_login(&challenge, &body.0.code).await {
            Ok(tokens) => Ok(Json(tokens.into())),
            Err(err @ ServiceError::InvalidCredentials) => {
                failures.record().await;
                Err(err.into())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Whether the caller's account logs in with a second factor, and how many recovery codes are left.
    #[oai(path = "/v1/me/mfa", method = "get", operation_id = "getMfaStatus")]
    async fn get_mfa_status(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<MfaStatusView>> {
        let me = auth.user(&state.auth)?;
        Ok(Json(state.auth.mfa_status(me).await?.into()))
    }

    /// Start enrolling an authenticator app: a new secret (and its `otpauth://` URI for a QR code). Nothing
    /// changes at login until `confirmTotpEnrolment`; starting again replaces an unconfirmed secret. 409
    /// when two-factor login is already on.
    #[oai(
        path = "/v1/me/mfa/totp",
        method = "post",
        operation_id = "startTotpEnrolment"
    )]
    async fn start_totp_enrolment(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<TotpSecret>> {
        let me = state.auth.me(auth.user(&state.auth)?).await?;
        Ok(Json(state.auth.start_totp_enrolment(&me).await?.into()))
    }

    /// Turn two-factor login on with a current code from the app; answers the recovery codes, shown this
    /// once. 409 when there is no enrolment to confirm.
    #[oai(
        path = "/v1/me/mfa/totp/confirm",
        method = "post",
        operation_id = "confirmTotpEnrolment"
    )]
    async fn confirm_totp_enrolment(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: StrictJson<TotpCode>,
    ) -> ApiResult<EnrolmentConfirmed> {
        let me = auth.user(&state.auth)?;
        match state.auth.confirm_totp_enrolment(me, &body.0.code).await {
            Ok(codes) => Ok(EnrolmentConfirmed::Enabled(Json(RecoveryCodes {
                recovery_codes: codes,
            }))),
            Err(ServiceError::InvalidCredentials) => {
                Ok(EnrolmentConfirmed::WrongCode(Json(Problem::new(
                    StatusCode::FORBIDDEN,
                    "invalid_code",
                    "the code is not the app's current one: check the device's clock and try again",
                ))))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Turn two-factor login off, proven by the password and a current code (or a recovery code). A wrong
    /// one is 403 `invalid_credentials` and counts towards the account's login lockout. 409 when it is not
    /// on.
    #[oai(
        path = "/v1/me/mfa/totp/disable",
        method = "post",
        operation_id = "disableTotp"
    )]
    async fn disable_totp(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientIp>,
        auth: BearerAuth,
        body: StrictJson<TotpDisable>,
    ) -> ApiResult<TotpDisabled> {
        let me = state.auth.me(auth.user(&state.auth)?).await?;
        let failures = LoginFailures::new(&state.rate_limits, &me.username, client.0 .0);
        failures.check().await?;
        match state
            .auth
            .disable_totp(&me, &body.0.password, &body.0.code)
            .await
        {
            Ok(()) => Ok(TotpDisabled::Done),
            Err(ServiceError::InvalidCredentials) => {
                failures.record().await;
                Ok(TotpDisabled::WrongCredentials(Json(Problem::new(
                    StatusCode::FORBIDDEN,
                    "invalid_credentials",
                    "the password or the code is not right",
                ))))
            }
            Err(err) => Err(err.into()),
        }
    }
}
