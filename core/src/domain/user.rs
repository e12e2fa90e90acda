//! Accounts: newtypes that can only hold valid values, and the records stored for them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ImageId, OutboxMessage, UserId};

/// Why a value from the outside was refused. `field` names the input, `message` says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A username: 3 to 30 characters of `A-Z`, `a-z`, `0-9` and `_`, stored lowercase so lookups ignore case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// The rule as a regular expression, for the OpenAPI document (it must accept exactly what `parse` does).
    pub const PATTERN: &'static str = "^[A-Za-z0-9_]{3,30}$";

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if !(3..=30).contains(&raw.len()) {
            return Err(ValidationError::new(
                "username",
                "must be 3 to 30 characters",
            ));
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ValidationError::new(
                "username",
                "may contain only letters, digits and _",
            ));
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, lowercased. Deliberately loose: `local@domain.tld`, no ASCII space or control
/// characters, one `@`, a dot-separated domain with no empty label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The rule as a regular expression, for the OpenAPI document (it must accept exactly what `parse` does).
    pub const PATTERN: &'static str =
        r"^[^@\x00-\x20\x7f]+@[^@.\x00-\x20\x7f]+(\.[^@.\x00-\x20\x7f]+)+$";
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let plain = |c: char| c > ' ' && c != '\x7f' && c != '@';
        let valid = raw.chars().count() <= Self::MAX_LEN
            && matches!(raw.split_once('@'), Some((local, domain))
                if !local.is_empty() && local.chars().all(plain)
                    && domain.contains('.') && domain.split('.').all(|label| !label.is_empty() && label.chars().all(plain)));
        if valid {
            Ok(Self(raw.to_lowercase()))
        } else {
            Err(ValidationError::new("email", "is not an email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A plaintext password on its way to the hasher. 8 to 128 characters; never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let chars = raw.chars().count();
        if !(8..=128).contains(&chars) {
            return Err(ValidationError::new(
                "password",
                "must be 8 to 128 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A display name: 1 to 64 characters, no ASCII control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// The rule as a regular expression, for the OpenAPI document.
    pub const PATTERN: &'static str = r"^[^\x00-\x1f\x7f]{1,64}$";

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if !(1..=64).contains(&raw.chars().count()) || raw.chars().any(|c| c.is_ascii_control()) {
            return Err(ValidationError::new(
                "display_name",
                "must be 1 to 64 characters, none of them control characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// What deciding who may see an account's images needs of it: a few bytes that change only with its
/// profile, so they can be cached where the whole `User` (whose counts change all the time) cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessFacts {
    pub id: UserId,
    pub is_private: bool,
    pub avatar_image_id: Option<ImageId>,
}

impl AccessFacts {
    pub fn of(user: &User) -> Self {
        Self {
            id: user.id,
            is_private: user.is_private,
            avatar_image_id: user.avatar_image_id,
        }
    }
}

/// An account as the rest of the product sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub followers_count: u64,
    pub following_count: u64,
    pub posts_count: u64,
    /// A private account's posts and images reach only the followers it approved.
    pub is_private: bool,
    /// One of the user's own images, shown as their picture (its `thumb` variant).
    pub avatar_image_id: Option<ImageId>,
    pub created_at: DateTime<Utc>,
}

/// What `register` stores.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub username: Username,
    pub email: Email,
    pub password_hash: String,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The `user.created` event, written in the same transaction as the account (the search index hears of
    /// it from there).
    pub event: OutboxMessage,
}

/// A change to a profile: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfilePatch {
    pub display_name: Option<Option<String>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub avatar_image_id: Option<Option<ImageId>>,
    pub is_private: Option<bool>,
}

/// A refresh token as stored: only its SHA-256, never the token itself. Tokens rotate; each belongs to a
/// family (one login), and presenting a token that was already rotated revokes the whole family.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family_id: Uuid,
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    pub revoked: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse("Alice_1").unwrap().as_str(), "alice_1");
        assert!(Username::parse(" alice").is_err());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("bad name").is_err());
        assert!(Username::parse("émile").is_err());
        assert!(Username::parse(&"a".repeat(31)).is_err());
    }

    #[test]
    fn emails_are_loosely_checked() {
        assert_eq!(
            Email::parse("Bob@Example.COM").unwrap().as_str(),
            "bob@example.com"
        );
        assert!(Email::parse("ünïcode@bücher.example").is_ok());
        for bad in [
            "",
            "bob",
            "bob@",
            "@x.org",
            "a b@x.org",
            "a@b@c.org",
            "a@nodot",
            "a@.org",
            "a@x.",
            "a@x..org",
            "a\t@x.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_bounds_and_hide_in_debug() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        let p = Password::parse("correct horse").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn display_names_refuse_control_characters() {
        assert!(DisplayName::parse("Ann\u{7}").is_err());
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse(&"x".repeat(65)).is_err());
        assert_eq!(
            DisplayName::parse("Ann Smith").unwrap().into_inner(),
            "Ann Smith"
        );
    }
}
