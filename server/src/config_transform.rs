//! The `transform_*` settings turned into what `TransformService` runs with, checked at start-up so a bad
//! key or preset stops the server rather than every request.

use std::path::Path;

use darkroom_core::imaging::{Limits, Overlay};
use darkroom_core::services::transform::{ConfiguredWatermark, TransformSettings};
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
        let watermark = match &self.transform_watermark_path {
            Some(path) => Some(
                watermark(path, &self.limits())
                    .map_err(|e| format!("transform_watermark_path {}: {e}", path.display()))?,
            ),
            None => None,
        };
        let policy = TransformPolicy {
            limits: self.limits(),
            only_presets: self.transform_only_presets,
            watermark: watermark.is_some(),
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
            watermark,
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

/// The watermark file read (refused past the upload size limit before reading it) and decoded once,
/// within the ingest limits like any upload.
fn watermark(path: &Path, limits: &Limits) -> Result<ConfiguredWatermark, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > limits.max_bytes {
        return Err(format!(
            "{size} bytes is over the upload limit of {} bytes",
            limits.max_bytes
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let mark = darkroom_imaging::decode_mark(&bytes, limits).map_err(|e| e.to_string())?;
    Ok(ConfiguredWatermark::new(Overlay::Rgba(mark), &bytes))
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

    #[test]
    fn a_watermark_file_is_decoded_at_start_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Config {
            transform_watermark_path: Some(dir.path().join("nope.png")),
            ..Config::default()
        };
        let err = missing.transform_settings().unwrap_err();
        assert!(err.contains("transform_watermark_path"), "{err}");
        let garbage = dir.path().join("garbage.png");
        std::fs::write(&garbage, b"not an image").unwrap();
        let config = Config {
            transform_watermark_path: Some(garbage.clone()),
            ..Config::default()
        };
        assert!(config.transform_settings().is_err());
        // An 8x4 RGBA PNG, every pixel (1, 2, 3, 200).
        let png: [u8; 75] = [
            137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 8, 0, 0, 0, 4,
            8, 6, 0, 0, 0, 179, 205, 126, 240, 0, 0, 0, 18, 73, 68, 65, 84, 120, 218, 99, 96, 100,
            98, 62, 129, 15, 51, 208, 94, 1, 0, 126, 254, 25, 193, 40, 252, 84, 55, 0, 0, 0, 0, 73,
            69, 78, 68, 174, 66, 96, 130,
        ];
        let good = dir.path().join("mark.png");
        std::fs::write(&good, png).unwrap();
        let settings = Config {
            transform_watermark_path: Some(good.clone()),
            ..Config::default()
        }
        .transform_settings()
        .unwrap();
        assert!(settings.policy.watermark);
        let Some(Overlay::Rgba(mark)) = settings.watermark.map(|w| w.overlay) else {
            panic!("decoded");
        };
        assert_eq!((mark.width, mark.height), (8, 4));
        assert_eq!(&mark.data[..4], &[1, 2, 3, 200]);
        let small = Config {
            transform_watermark_path: Some(good),
            max_upload_bytes: 10,
            ..Config::default()
        };
        assert!(small.transform_settings().unwrap_err().contains("limit"));
        assert!(
            !Config::default()
                .transform_settings()
                .unwrap()
                .policy
                .watermark
        );
    }
}
