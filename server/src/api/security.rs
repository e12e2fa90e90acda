//! Bearer authentication. The scheme only carries the raw token; services decide whether it is valid, so a
//! bad token is always a clean 401 problem.

use darkroom_core::domain::UserId;
use darkroom_core::services::auth::{self, AuthService};
use poem::http::header::AUTHORIZATION;
use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::SecurityScheme;

use super::problem::ProblemResponse;

/// `Authorization: Bearer <access token>` (a JWT from `login`, `register` or `refreshToken`).
#[derive(Debug, SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT")]
pub struct BearerAuth(Bearer);

/// For reads anyone may make: a token when given (and then it must be valid), anonymous otherwise.
#[derive(Debug, SecurityScheme)]
pub enum MaybeAuth {
    Bearer(BearerAuth),
    #[oai(fallback)]
    Anonymous,
}

impl BearerAuth {
    pub fn user(&self, auth: &AuthService) -> Result<UserId, ProblemResponse> {
        Ok(auth.authenticate(&self.0.token)?)
    }

    /// The account and the session the token speaks for.
    pub fn bearer(&self, auth: &AuthService) -> Result<auth::Bearer, ProblemResponse> {
        Ok(auth.bearer(&self.0.token)?)
    }
}

impl MaybeAuth {
    pub fn viewer(&self, auth: &AuthService) -> Result<Option<UserId>, ProblemResponse> {
        match self {
            Self::Bearer(bearer) => bearer.user(auth).map(Some),
            Self::Anonymous => Ok(None),
        }
    }
}

/// The request's access token, verified once for every middleware that asks (rate limits per account, ended
/// sessions): `None` without a token or with one that is not validly signed, which the operations refuse.
pub fn verified_bearer(req: &mut Request, auth: &AuthService) -> Option<auth::Bearer> {
    /// The answer, kept in the request's extensions.
    #[derive(Clone, Copy)]
    struct Verified(Option<auth::Bearer>);

    if let Some(Verified(bearer)) = req.extensions().get::<Verified>() {
        return *bearer;
    }
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| auth.bearer(token).ok());
    req.extensions_mut().insert(Verified(bearer));
    bearer
}
