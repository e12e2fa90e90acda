//! The `transform_*` settings turned into what `TransformService` runs with, checked at start-up so a bad
//! key or preset stops the server rather than every request.

use darkroom_core::services::transform::TransformSettings;
use darkroom_core::transform::{Signer, TransformPolicy};

use crate::config::{cores, Config};

impl Config {
    /// The transformation settings; an error names the bad setting.
    pub fn transform_settings(&self) -> Result<TransformSettings, String> {
        let signer = Signer::from_hex(
            &self.transform_key,
            &self.transform_salt,
            self.transform_signature_size,
        )?;
        let policy = TransformPolicy {
            limits: self.limits(),
            only_presets: self.transform_only_presets,
            ..TransformPolicy::default()
        }
        .with_presets(&self.transform_presets)?;
        Ok(TransformSettings {
            signer,
            policy,
            concurrency: match self.transform_concurrency {
                0 => cores(),
                n => n,
            },
            queue: self.transform_queue,
        })
    }

    /// Keys and salts as written in the environment: figment would read an all-digit hex key as a number
    /// (and drop its leading zeros), so `DARKROOM_TRANSFORM_KEY` and `_SALT` are taken verbatim.
    pub(crate) fn with_raw_transform_secrets(mut self) -> Self {
        if let Ok(key) = std::env::var("DARKROOM_TRANSFORM_KEY") {
            self.transform_key = key;
        }
        if let Ok(salt) = std::env::var("DARKROOM_TRANSFORM_SALT") {
            self.transform_salt = salt;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_and_presets_are_refused_at_start() {
        let config = Config {
            transform_key: "736563726574".into(),
            transform_salt: "68656C6C6F".into(),
            ..Config::default()
        };
        assert!(config.transform_settings().unwrap().signer.enabled());
        let unpaired = Config {
            transform_key: "aa,bb".into(),
            transform_salt: "cc".into(),
            ..Config::default()
        };
        assert!(unpaired.transform_settings().is_err());
        let mut bad_preset = Config::default();
        bad_preset
            .transform_presets
            .insert("huge".into(), "w:100000".into());
        assert!(bad_preset
            .transform_settings()
            .unwrap_err()
            .contains("huge"));
    }
}
