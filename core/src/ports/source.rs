//! What the port errors keep of the vendor error behind them: the error itself, boxed, so that a log line
//! can show the whole chain while the message the error displays stays backend-neutral.

use std::error::Error;

/// A vendor error kept as the `source` of a port error.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// `err` and every error under it, joined by ": ", skipping a source whose text its parent already shows
/// (many wrappers print their source as part of their own message).
pub fn chain(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}

/// The constructors of a port error whose `Unavailable` and `Other` variants are `{ message, source }`:
/// `unavailable`/`other` with a message alone, `unavailable_from`/`other_from` keeping the vendor's error
/// as the source under a message saying what the adapter was doing.
macro_rules! cause_constructors {
    ($error:ident) => {
        impl $error {
            pub fn unavailable(message: impl Into<String>) -> Self {
                Self::Unavailable {
                    message: message.into(),
                    source: None,
                }
            }

            pub fn unavailable_from(
                message: impl Into<String>,
                source: impl Into<$crate::ports::source::BoxError>,
            ) -> Self {
                Self::Unavailable {
                    message: message.into(),
                    source: Some(source.into()),
                }
            }

            pub fn other(message: impl Into<String>) -> Self {
                Self::Other {
                    message: message.into(),
                    source: None,
                }
            }

            pub fn other_from(
                message: impl Into<String>,
                source: impl Into<$crate::ports::source::BoxError>,
            ) -> Self {
                Self::Other {
                    message: message.into(),
                    source: Some(source.into()),
                }
            }
        }
    };
}
pub(crate) use cause_constructors;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{message}")]
    struct Layer {
        message: String,
        source: Option<BoxError>,
    }

    fn layer(message: &str, source: Option<BoxError>) -> Layer {
        Layer {
            message: message.into(),
            source,
        }
    }

    #[test]
    fn the_chain_names_every_cause_once() {
        let root = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let middle = layer("dispatch failure", Some(Box::new(root)));
        let top = layer("queue unavailable: sending", Some(Box::new(middle)));
        assert_eq!(
            chain(&top),
            "queue unavailable: sending: dispatch failure: refused"
        );
        // A parent that already prints its source does not print it twice.
        let echo = layer(
            "sqlite: disk full",
            Some(Box::new(layer("disk full", None))),
        );
        assert_eq!(chain(&echo), "sqlite: disk full");
    }
}
