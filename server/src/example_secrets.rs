//! The secrets of `.env.example`, refused: that file is public, so a deployment that copied it and kept a
//! value would sign tokens (or guard its database) with a key anyone can read. The server and `darkroom
//! migrate` stop at start with one line naming the setting instead.

use crate::config::Config;

/// The repository's example environment file, built in so the list cannot drift from it.
const ENV_EXAMPLE: &str = include_str!("../../.env.example");

/// The values `.env.example` gives to its secrets: keys ending in `SECRET`, `PASSWORD`, `KEY` or `SALT`.
pub fn known_example_secrets() -> Vec<&'static str> {
    secrets_in(ENV_EXAMPLE)
}

fn secrets_in(env_file: &str) -> Vec<&str> {
    env_file
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .filter(|(key, _)| {
            let key = key.trim().to_ascii_uppercase();
            ["SECRET", "PASSWORD", "KEY", "SALT"]
                .iter()
                .any(|suffix| key.ends_with(suffix))
        })
        .map(|(_, value)| value.trim().trim_matches('"').trim_matches('\''))
        .filter(|value| !value.is_empty())
        .collect()
}

/// Fails when the JWT secret or a transformation signing key or salt is an example value, when a backend
/// URL carries one (as its password), or when the AWS secret key the S3, SQS and DynamoDB clients read from
/// the environment is one.
pub fn refuse_example_secrets(config: &Config) -> anyhow::Result<()> {
    let aws_secret = std::env::var("AWS_SECRET_ACCESS_KEY").ok();
    match example_secret_in(config, aws_secret.as_deref()) {
        Some(setting) => anyhow::bail!(
            "{setting} is the example value from .env.example, which is public: replace it with a \
             random one (e.g. `openssl rand -hex 32`)"
        ),
        None => Ok(()),
    }
}

/// The name of the first setting that holds an example secret.
fn example_secret_in(config: &Config, aws_secret: Option<&str>) -> Option<&'static str> {
    let examples = known_example_secrets();
    let is_example = |value: &str| examples.contains(&value);
    let contains_example = |url: &str| examples.iter().any(|example| url.contains(example));
    if config.jwt_secret.as_deref().is_some_and(is_example) {
        return Some("jwt_secret (DARKROOM_JWT_SECRET)");
    }
    // Both are comma-separated lists (several keys during a rotation): any example entry is refused.
    let lists_example = |list: &str| list.split(',').map(str::trim).any(is_example);
    if lists_example(&config.transform_key) {
        return Some("transform_key (DARKROOM_TRANSFORM_KEY)");
    }
    if lists_example(&config.transform_salt) {
        return Some("transform_salt (DARKROOM_TRANSFORM_SALT)");
    }
    if config.database_url.as_deref().is_some_and(contains_example) {
        return Some("the password in database_url (DARKROOM_DATABASE_URL)");
    }
    if contains_example(&config.queue_url) {
        return Some("the password in queue_url (DARKROOM_QUEUE_URL)");
    }
    if contains_example(&config.cache_url) {
        return Some("the password in cache_url (DARKROOM_CACHE_URL)");
    }
    if aws_secret.is_some_and(is_example) {
        return Some("AWS_SECRET_ACCESS_KEY");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(key: &str) -> &'static str {
        ENV_EXAMPLE
            .lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!(".env.example has no {key}"))
    }

    #[test]
    fn every_secret_of_the_example_file_is_known_and_nothing_else() {
        let known = known_example_secrets();
        for key in [
            "DARKROOM_JWT_SECRET",
            "DARKROOM_TRANSFORM_KEY",
            "DARKROOM_TRANSFORM_SALT",
            "POSTGRES_PASSWORD",
            "MINIO_ROOT_PASSWORD",
        ] {
            assert!(known.contains(&example(key)), "{key} is not refused");
        }
        assert!(
            !known.contains(&"darkroom"),
            "MINIO_ROOT_USER is not a secret"
        );
        assert!(!known.contains(&"8080-8089"));
    }

    #[test]
    fn an_example_transformation_key_or_salt_is_refused_even_beside_a_fresh_one() {
        let fresh = "0f3c9a1e5b7d2c4a6e8f0b1d3c5e7a9b";
        let config = Config {
            transform_key: format!("{fresh}, {}", example("DARKROOM_TRANSFORM_KEY")),
            transform_salt: format!("{fresh},{fresh}"),
            ..Config::default()
        };
        assert_eq!(
            example_secret_in(&config, None),
            Some("transform_key (DARKROOM_TRANSFORM_KEY)")
        );
        let config = Config {
            transform_key: fresh.into(),
            transform_salt: example("DARKROOM_TRANSFORM_SALT").into(),
            ..Config::default()
        };
        assert_eq!(
            example_secret_in(&config, None),
            Some("transform_salt (DARKROOM_TRANSFORM_SALT)")
        );
        let config = Config {
            transform_key: fresh.into(),
            transform_salt: fresh.into(),
            ..Config::default()
        };
        assert_eq!(example_secret_in(&config, None), None);
    }

    #[test]
    fn an_example_jwt_secret_is_refused_and_a_fresh_one_accepted() {
        let mut config = Config {
            jwt_secret: Some(example("DARKROOM_JWT_SECRET").into()),
            ..Config::default()
        };
        assert_eq!(
            example_secret_in(&config, None),
            Some("jwt_secret (DARKROOM_JWT_SECRET)")
        );
        let message = refuse_example_secrets(&config).unwrap_err().to_string();
        assert!(message.contains("DARKROOM_JWT_SECRET"), "{message}");
        config.jwt_secret = Some("0f3c9a1e5b7d2c4a6e8f0b1d3c5e7a9b0f3c9a1e5b7d2c4a".into());
        assert_eq!(example_secret_in(&config, None), None);
    }

    #[test]
    fn an_example_password_inside_a_backend_url_or_the_aws_key_is_refused() {
        let postgres = format!(
            "postgres://darkroom:{}@postgres:5432/darkroom",
            example("POSTGRES_PASSWORD")
        );
        let config = Config {
            database_url: Some(postgres),
            ..Config::default()
        };
        assert!(example_secret_in(&config, None)
            .unwrap()
            .contains("database_url"));
        assert_eq!(
            example_secret_in(&Config::default(), Some(example("MINIO_ROOT_PASSWORD"))),
            Some("AWS_SECRET_ACCESS_KEY")
        );
        assert_eq!(example_secret_in(&Config::default(), Some("test")), None);
    }
}
