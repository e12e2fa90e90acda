//! The OpenAPI document: what poem-openapi generates from the code, plus the few rules its derive cannot
//! state (listed in `refine`), so that the document promises exactly what the server enforces.

use std::sync::OnceLock;

use serde_json::{json, Value};

/// The finished document, built once.
pub fn finished(generated: impl FnOnce() -> String) -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| refine(&generated()))
}

fn refine(generated: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(generated) else {
        return generated.to_owned();
    };
    // Each user tag is 1 to 50 characters (`updateImage` checks it; the derive cannot put rules on items).
    if let Some(items) = doc.pointer_mut("/components/schemas/ImageUpdate/properties/tags/items") {
        merge(items, json!({"minLength": 1, "maxLength": 50}));
    }
    // The upload form has exactly the fields `file` and `visibility`; anything else is read past, so say
    // that nothing else belongs there.
    if let Some(form) =
        doc.pointer_mut("/paths/~1v1~1images/post/requestBody/content/multipart~1form-data/schema")
    {
        merge(form, json!({"additionalProperties": false}));
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| generated.to_owned())
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

/// The methods each path template of the document answers, for `Allow` on 405s.
pub fn allowed_methods(document: &str, path: &str) -> Option<Vec<String>> {
    let doc: Value = serde_json::from_str(document).ok()?;
    let request: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    doc["paths"]
        .as_object()?
        .iter()
        .find_map(|(template, ops)| {
            let pattern: Vec<&str> = template.split('/').collect();
            let matches = pattern.len() == request.len()
                && pattern
                    .iter()
                    .zip(&request)
                    .all(|(p, r)| p.starts_with('{') || p == r);
            matches.then(|| {
                ops.as_object()
                    .map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default()
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refinements_land_where_the_derive_put_the_schemas() {
        let doc: Value = serde_json::from_str(&refine(&super::super::generated_json())).unwrap();
        assert_eq!(
            doc.pointer("/components/schemas/ImageUpdate/properties/tags/items/maxLength"),
            Some(&json!(50))
        );
        assert_eq!(
            doc.pointer("/paths/~1v1~1images/post/requestBody/content/multipart~1form-data/schema/additionalProperties"),
            Some(&json!(false))
        );
    }

    #[test]
    fn allow_lists_the_methods_of_the_matching_template() {
        let doc = refine(&super::super::generated_json());
        let mut methods =
            allowed_methods(&doc, "/v1/images/0190b4c4-0000-7000-8000-000000000000").unwrap();
        methods.sort();
        assert_eq!(methods, vec!["DELETE", "GET", "PATCH"]);
        assert_eq!(allowed_methods(&doc, "/v1/nowhere"), None);
    }
}
