//! An error with a sentence of context in front of its cause, so an adapter can say what it was doing
//! (`cannot connect to postgres at …`) and still hand the vendor's error on as the source.

use darkroom_core::ports::BoxError;

#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub(crate) struct Context {
    context: String,
    #[source]
    source: BoxError,
}

/// `source`, explained by `context`.
pub(crate) fn context(context: impl Into<String>, source: impl Into<BoxError>) -> BoxError {
    Box::new(Context {
        context: context.into(),
        source: source.into(),
    })
}
