//! `Upload-Metadata`: comma-separated `key base64value` pairs (a key alone has no value). Darkroom reads
//! `filetype` (an `image/*` type, as `createUpload`'s `content_type`; anything else is left to the bytes)
//! and `visibility` (`public`, `followers`, `private`; default `private`); `filename` and any other key are
//! kept as sent and answered back on HEAD.

use base64::Engine;

use crate::domain::{ValidationError, Visibility};

/// The most a metadata header may hold (it is stored with the upload and sent back on every HEAD).
pub const MAX_METADATA_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TusMetadata {
    /// The header as the client sent it.
    pub raw: String,
    pub content_type: Option<String>,
    pub visibility: Visibility,
}

impl TusMetadata {
    pub fn parse(header: Option<&str>) -> Result<Self, ValidationError> {
        let raw = header.unwrap_or_default().trim().to_owned();
        let invalid = |why: String| ValidationError::new("Upload-Metadata", why);
        if raw.len() > MAX_METADATA_BYTES {
            return Err(invalid(format!("at most {MAX_METADATA_BYTES} bytes")));
        }
        let mut metadata = Self {
            raw: raw.clone(),
            content_type: None,
            visibility: Visibility::Private,
        };
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut fields = pair.split(' ');
            let key = fields.next().unwrap_or_default();
            let value = match fields.next() {
                Some(encoded) => base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| invalid(format!("the value of `{key}` is not base64 text")))?,
                None => String::new(),
            };
            if fields.next().is_some() {
                return Err(invalid(format!("`{key}` has more than one value")));
            }
            match key {
                "filetype" if value.starts_with("image/") && value.len() <= 100 => {
                    metadata.content_type = Some(value);
                }
                "visibility" => {
                    metadata.visibility = value.parse().map_err(|_| {
                        invalid("visibility must be public, followers or private".into())
                    })?;
                }
                _ => {}
            }
        }
        Ok(metadata)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn known_keys_are_read_and_others_kept() {
        let header = format!(
            "filename {},filetype {},visibility {},flag",
            b64("cat.jpg"),
            b64("image/jpeg"),
            b64("public")
        );
        let metadata = TusMetadata::parse(Some(&header)).unwrap();
        assert_eq!(metadata.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(metadata.visibility, Visibility::Public);
        assert_eq!(metadata.raw, header);
    }

    #[test]
    fn other_file_types_are_left_to_the_bytes_and_bad_values_refused() {
        let octets = format!("filetype {}", b64("application/octet-stream"));
        assert_eq!(
            TusMetadata::parse(Some(&octets)).unwrap().content_type,
            None
        );
        assert_eq!(
            TusMetadata::parse(None).unwrap().visibility,
            Visibility::Private
        );
        assert!(TusMetadata::parse(Some("filename ???")).is_err());
        let secret = format!("visibility {}", b64("secret"));
        assert!(TusMetadata::parse(Some(&secret)).is_err());
    }
}
