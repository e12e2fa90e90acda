//! The W3C trace context (`traceparent`) carried with background work, so that one upload is one trace: the
//! request that wrote an outbox row, the relay that published it and the worker that handled it.
//!
//! The context travels inside the payload, as a `traceparent` field of its JSON object, rather than beside
//! it: every queue backend and every outbox table keeps a payload byte for byte, so nothing else has to
//! learn to carry it, and a release that does not know the field ignores it (jobs and events are read with
//! serde, which skips unknown fields), so producers and consumers of different releases mix during a
//! rolling deploy. A payload without the field (queued by an older release) starts a trace of its own.
//!
//! Core knows only the text of the context. Reading a span's context and parenting a span on one is the
//! tracing exporter's business: the server installs a [`Propagation`] when traces are exported, and until
//! then every function here is a no-op that costs nothing.

use std::sync::OnceLock;

use bytes::Bytes;
use serde::Deserialize;

/// The payload field the context travels in (the W3C header's name).
pub const FIELD: &str = "traceparent";
/// A version-00 `traceparent` is 55 characters; anything much longer is not one, and is not carried.
const MAX_LEN: usize = 128;

/// What the process's tracer does with a context's text.
pub trait Propagation: Send + Sync {
    /// The `traceparent` of `span`, when it is recorded (inside a trace that is exported).
    fn traceparent(&self, span: &tracing::Span) -> Option<String>;
    /// Makes `span`, not yet entered, a child of the remote span `traceparent` names.
    fn set_parent(&self, span: &tracing::Span, traceparent: &str);
}

static PROPAGATION: OnceLock<Box<dyn Propagation>> = OnceLock::new();

/// Installs the process's propagation (once; later calls are ignored). Until then nothing is carried.
pub fn install(propagation: Box<dyn Propagation>) {
    let _ = PROPAGATION.set(propagation);
}

/// Whether traces are recorded: spans that exist only for traces are made only then.
pub fn enabled() -> bool {
    PROPAGATION.get().is_some()
}

/// `payload` carrying the context of the current span, when there is one to carry.
pub fn stamp_current(payload: Bytes) -> Bytes {
    match PROPAGATION.get() {
        Some(propagation) => stamp(payload, propagation.traceparent(&tracing::Span::current())),
        None => payload,
    }
}

/// `payload` carrying the context of `span` instead of the one it came with (the relay hands on its own).
pub fn restamp(span: &tracing::Span, payload: Bytes) -> Bytes {
    match PROPAGATION.get() {
        Some(propagation) => stamp(payload, propagation.traceparent(span)),
        None => payload,
    }
}

/// Makes `span` (not yet entered) a child of the context `payload` carries, if it carries one.
pub fn continue_from(span: &tracing::Span, payload: &[u8]) {
    if let Some(propagation) = PROPAGATION.get() {
        if let Some(traceparent) = traceparent_of(payload) {
            propagation.set_parent(span, &traceparent);
        }
    }
}

/// `payload` with its `traceparent` field set to `traceparent`. A payload that is not a JSON object (no
/// job or event is anything else) is returned as it is, and so is every payload when there is no context.
pub fn stamp(payload: Bytes, traceparent: Option<String>) -> Bytes {
    let Some(traceparent) = traceparent.filter(|t| t.len() <= MAX_LEN) else {
        return payload;
    };
    let Ok(mut object) =
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&payload)
    else {
        return payload;
    };
    object.insert(FIELD.to_owned(), serde_json::Value::String(traceparent));
    match serde_json::to_vec(&object) {
        Ok(stamped) => Bytes::from(stamped),
        Err(_) => payload,
    }
}

/// The `traceparent` a payload carries, if it is a JSON object with one of a plausible length.
pub fn traceparent_of(payload: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Carrier {
        traceparent: Option<String>,
    }
    serde_json::from_slice::<Carrier>(payload)
        .ok()?
        .traceparent
        .filter(|t| !t.is_empty() && t.len() <= MAX_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn a_stamped_payload_keeps_its_fields_and_gives_back_the_context() {
        let job = Bytes::from_static(br#"{"kind":"process_image","image_id":"x"}"#);
        let stamped = stamp(job.clone(), Some(PARENT.into()));
        assert_eq!(traceparent_of(&stamped).as_deref(), Some(PARENT));
        let value: serde_json::Value = serde_json::from_slice(&stamped).unwrap();
        assert_eq!(value["kind"], "process_image");
        assert_eq!(value["image_id"], "x");
        // Stamping again replaces the context rather than adding a second one.
        let other = PARENT.replace("b7ad", "c8be");
        let restamped = stamp(stamped, Some(other.clone()));
        assert_eq!(traceparent_of(&restamped), Some(other));
    }

    #[test]
    fn payloads_without_a_context_are_left_alone() {
        let job = Bytes::from_static(br#"{"kind":"purge_image"}"#);
        assert_eq!(stamp(job.clone(), None), job);
        assert_eq!(traceparent_of(&job), None);
        let not_json = Bytes::from_static(b"\x00\x01binary");
        assert_eq!(stamp(not_json.clone(), Some(PARENT.into())), not_json);
        assert_eq!(traceparent_of(&not_json), None);
        let too_long = "0".repeat(MAX_LEN + 1);
        assert_eq!(stamp(job.clone(), Some(too_long)), job);
    }

    #[test]
    fn without_an_installed_propagation_nothing_is_carried() {
        let job = Bytes::from_static(br#"{"kind":"purge_image"}"#);
        assert_eq!(stamp_current(job.clone()), job);
        assert_eq!(restamp(&tracing::Span::none(), job.clone()), job);
    }
}
