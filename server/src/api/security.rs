//! Bearer authentication. The scheme only carries the raw token; services decide whether it is valid, so a
//! bad token is always a clean 401 problem.

use darkroom_core::domain::UserId;
use darkroom_core::services::auth::AuthService;
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
}

impl MaybeAuth {
    pub fn viewer(&self, auth: &AuthService) -> Result<Option<UserId>, ProblemResponse> {
        match self {
            Self::Bearer(bearer) => bearer.user(auth).map(Some),
            Self::Anonymous => Ok(None),
        }
    }
}
