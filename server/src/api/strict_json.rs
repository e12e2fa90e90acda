//! `StrictJson<T>`: a JSON request body checked against the schema the document shows before poem-openapi
//! parses it. poem-openapi alone would take `false` for a string ("false") and `null` for an optional field
//! the document does not call nullable; a client generated from the document must never be surprised by
//! what the server accepts.

use poem::{Request, RequestBody};
use poem_openapi::error::ParseRequestPayloadError;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use serde_json::Value;

use super::request_limits::{read_capped, RequestLimits};

#[derive(Debug)]
pub struct StrictJson<T>(pub T);

impl<T: Type> Payload for StrictJson<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + ParseFromJSON> ParsePayload for StrictJson<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        // The body is read into memory, so it is capped before and while it is read.
        let limits = request
            .data::<super::AppState>()
            .map(|state| state.limits)
            .ok_or_else(|| {
                poem::Error::from_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
            })?;
        RequestLimits::check_declared(request, limits.max_json_bytes)?;
        let data = read_capped(
            body.take()?.into_bytes_stream(),
            limits.max_json_bytes,
            limits.body_read_timeout,
        )
        .await?;
        let reject = |reason: String| ParseRequestPayloadError { reason };
        let value: Value = serde_json::from_slice(&data).map_err(|e| reject(e.to_string()))?;
        let mut registry = Registry::new();
        T::register(&mut registry);
        conforms(&T::schema_ref(), &value, &registry, "body").map_err(reject)?;
        let parsed = T::parse_from_json(Some(value)).map_err(|e| reject(e.into_message()))?;
        Ok(Self(parsed))
    }
}

poem_openapi::impl_apirequest_for_payload!(StrictJson<T>, T: Type + ParseFromJSON);

fn resolve<'a>(schema: &'a MetaSchemaRef, registry: &'a Registry) -> Option<&'a MetaSchema> {
    match schema {
        MetaSchemaRef::Inline(schema) => Some(schema),
        MetaSchemaRef::Reference(name) => registry.schemas.get(name),
    }
}

/// Checks JSON types (not the validators: poem-openapi applies those next) against `schema`.
fn conforms(
    schema: &MetaSchemaRef,
    value: &Value,
    registry: &Registry,
    at: &str,
) -> Result<(), String> {
    let Some(schema) = resolve(schema, registry) else {
        return Ok(());
    };
    if value.is_null() {
        return if schema.nullable {
            Ok(())
        } else {
            Err(format!("{at}: null is not allowed"))
        };
    }
    if let Some(inner) = schema.all_of.first() {
        return conforms(inner, value, registry, at);
    }
    let fits = match schema.ty {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    };
    if !fits {
        return Err(format!("{at}: expected {}", schema.ty));
    }
    match value {
        Value::Array(items) => {
            if let Some(item_schema) = &schema.items {
                for (i, item) in items.iter().enumerate() {
                    conforms(item_schema, item, registry, &format!("{at}[{i}]"))?;
                }
            }
        }
        Value::Object(fields) => {
            for (name, field_schema) in &schema.properties {
                if let Some(field) = fields.get(*name) {
                    conforms(field_schema, field, registry, &format!("{at}.{name}"))?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::MaybeUndefined;
    use poem_openapi::Object;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Object)]
    struct Probe {
        name: String,
        count: Option<u32>,
        #[oai(nullable)]
        note: Option<String>,
        #[oai(nullable)]
        clearable: MaybeUndefined<String>,
        tags: Option<Vec<String>>,
    }

    fn check(value: Value) -> Result<(), String> {
        let mut registry = Registry::new();
        Probe::register(&mut registry);
        conforms(&Probe::schema_ref(), &value, &registry, "body")
    }

    #[test]
    fn types_are_strict_and_null_only_where_documented() {
        assert!(check(
            json!({"name": "x", "count": 3, "note": null, "clearable": null, "tags": ["a"]})
        )
        .is_ok());
        assert!(check(json!({"name": false})).is_err());
        assert!(check(json!({"name": 12})).is_err());
        assert!(check(json!({"name": "x", "count": null})).is_err());
        assert!(check(json!({"name": "x", "count": 1.5})).is_err());
        assert!(check(json!({"name": "x", "tags": [1]})).is_err());
        assert!(check(json!([])).is_err());
    }
}
