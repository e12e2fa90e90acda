//! How a port `Message` travels as an SQS message.
//!
//! The message id rides in the `darkroom-id` attribute and is also the FIFO de-duplication and group id.
//! A payload that is non-empty text SQS accepts is the body itself, readable in the console; anything else
//! (binary, control characters, empty) goes in the binary `darkroom-payload` attribute, since SQS bodies
//! must be non-empty XML-safe text. `darkroom-body` says which.

use std::collections::HashMap;

use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::MessageAttributeValue;
use bytes::Bytes;
use darkroom_core::ports::{Message, QueueError};

pub(super) const ID_ATTRIBUTE: &str = "darkroom-id";
const BODY_ATTRIBUTE: &str = "darkroom-body";
const PAYLOAD_ATTRIBUTE: &str = "darkroom-payload";
/// What the body holds when the payload is elsewhere (SQS refuses an empty body).
const PLACEHOLDER_BODY: &str = "-";
/// SQS's limit on a de-duplication or group id.
const MAX_ID_LEN: usize = 128;

/// What `send_message` needs.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub body: String,
    pub attributes: HashMap<String, MessageAttributeValue>,
}

pub(super) fn encode(message: &Message) -> Result<Outgoing, QueueError> {
    check_id(&message.id)?;
    let mut attributes = HashMap::new();
    attributes.insert(ID_ATTRIBUTE.to_owned(), text_attribute(&message.id)?);
    let text = std::str::from_utf8(&message.payload)
        .ok()
        .filter(|text| !text.is_empty() && text.chars().all(sqs_accepts));
    let body = match (text, message.payload.is_empty()) {
        (Some(text), _) => text.to_owned(),
        (None, true) => {
            attributes.insert(BODY_ATTRIBUTE.to_owned(), text_attribute("empty")?);
            PLACEHOLDER_BODY.to_owned()
        }
        (None, false) => {
            attributes.insert(BODY_ATTRIBUTE.to_owned(), text_attribute("binary")?);
            let payload = MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(Blob::new(message.payload.to_vec()))
                .build()
                .map_err(|e| QueueError::other_from("sqs message attribute", e))?;
            attributes.insert(PAYLOAD_ATTRIBUTE.to_owned(), payload);
            PLACEHOLDER_BODY.to_owned()
        }
    };
    Ok(Outgoing { body, attributes })
}

/// The port's message from a received one. A message some other producer sent (no `darkroom-id`) keeps
/// SQS's own message id and its body as the payload.
pub(super) fn decode(topic: &str, received: &aws_sdk_sqs::types::Message) -> Message {
    let attributes = received.message_attributes();
    let attribute = |name: &str| attributes.and_then(|all| all.get(name));
    let text = |name: &str| attribute(name).and_then(MessageAttributeValue::string_value);
    let id = text(ID_ATTRIBUTE)
        .or(received.message_id())
        .unwrap_or_default()
        .to_owned();
    let payload = match text(BODY_ATTRIBUTE) {
        Some("empty") => Bytes::new(),
        Some("binary") => attribute(PAYLOAD_ATTRIBUTE)
            .and_then(MessageAttributeValue::binary_value)
            .map(|blob| Bytes::copy_from_slice(blob.as_ref()))
            .unwrap_or_default(),
        _ => Bytes::from(received.body().unwrap_or_default().to_owned()),
    };
    Message {
        id,
        topic: topic.to_owned(),
        payload,
    }
}

/// FIFO de-duplication and group ids are 1 to 128 printable ASCII characters.
fn check_id(id: &str) -> Result<(), QueueError> {
    let printable = id.bytes().all(|b| b.is_ascii_graphic());
    if id.is_empty() || id.len() > MAX_ID_LEN || !printable {
        return Err(QueueError::other(format!(
            "message id {id:?} cannot be an sqs de-duplication id (1 to {MAX_ID_LEN} printable ascii characters)"
        )));
    }
    Ok(())
}

fn text_attribute(value: &str) -> Result<MessageAttributeValue, QueueError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| QueueError::other_from("sqs message attribute", e))
}

/// The characters SQS allows in a body: XML's, minus the non-characters U+FFFE and U+FFFF.
fn sqs_accepts(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// What SQS hands back for what `encode` sent.
    fn round_trip(message: &Message) -> Message {
        let sent = encode(message).unwrap();
        let mut received = aws_sdk_sqs::types::Message::builder()
            .message_id("sqs-id")
            .body(sent.body);
        for (name, value) in sent.attributes {
            received = received.message_attributes(name, value);
        }
        decode(&message.topic, &received.build())
    }

    fn message(payload: &'static [u8]) -> Message {
        Message {
            id: "0190b5c2-7c8e-7000-8000-000000000001".into(),
            topic: "jobs".into(),
            payload: Bytes::from_static(payload),
        }
    }

    #[test]
    fn text_binary_and_empty_payloads_survive() {
        for payload in [
            &b"{\"kind\":\"process_image\"}"[..],
            b"\x00\xff\x01binary",
            b"",
            b"tab\tok",
        ] {
            let sent = message(payload);
            assert_eq!(round_trip(&sent), sent);
        }
        assert_eq!(encode(&message(b"{}")).unwrap().body, "{}");
        assert_eq!(encode(&message(b"\x00")).unwrap().body, PLACEHOLDER_BODY);
    }

    #[test]
    fn ids_sqs_cannot_de_duplicate_are_refused() {
        for id in ["", "has space", "é", &"x".repeat(129)] {
            let mut m = message(b"{}");
            m.id = id.to_owned();
            assert!(encode(&m).is_err(), "{id:?}");
        }
    }

    #[test]
    fn foreign_messages_keep_the_sqs_id_and_body() {
        let received = aws_sdk_sqs::types::Message::builder()
            .message_id("abc")
            .body("hello")
            .build();
        let got = decode("t", &received);
        assert_eq!((got.id.as_str(), &got.payload[..]), ("abc", &b"hello"[..]));
    }
}
