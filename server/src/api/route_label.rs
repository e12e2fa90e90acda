//! Bounded labels for request metrics: the route template a path matched (`/v1/images/{id}`), never the path
//! itself, and the method from a fixed set, never the string a client sent. A label's values are series in
//! the scraper's memory: a client must not be able to mint new ones.

use std::sync::OnceLock;

use poem::http::Method;

/// A path that matched no template of the document or the system endpoints.
pub const OTHER_ROUTE: &str = "other";

/// The method as a label: the ones the API answers, and `other` for anything else a client sends.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A status code as a label, without allocating: every code a server can send is three digits.
pub fn status_label(status: poem::http::StatusCode) -> &'static str {
    static LABELS: OnceLock<Vec<&'static str>> = OnceLock::new();
    let labels = LABELS.get_or_init(|| {
        (0..1000u16)
            .map(|code| &*Box::leak(format!("{code:03}").into_boxed_str()))
            .collect()
    });
    labels
        .get(usize::from(status.as_u16()))
        .copied()
        .unwrap_or("other")
}

/// The template a request path matched, e.g. `/v1/images/{id}/variants/{name}`.
pub fn route_label(path: &str) -> &'static str {
    // Transformations take any number of option segments: one route, whatever the options.
    if path.starts_with(super::transforms::PREFIX) {
        return TRANSFORM_ROUTE;
    }
    // tus is not in the document: its collection and its uploads, two labels.
    if let Some(rest) = path.strip_prefix(super::tus::PREFIX) {
        return if rest.trim_matches('/').is_empty() {
            "/v1/tus/"
        } else {
            "/v1/tus/{id}"
        };
    }
    templates().matching(path)
}

/// `transformImage`'s template as the document states it.
const TRANSFORM_ROUTE: &str = "/v1/t/{signature}/{path}";

/// Every template of the OpenAPI document and the system endpoints, split once into segments and filed by
/// their number of segments: a path is compared only with the few templates of its own length, not all.
struct Templates(Vec<Vec<(Vec<Segment>, &'static str)>>);

enum Segment {
    Literal(String),
    Parameter,
}

fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| Templates::from_document(super::openapi_json()))
}

impl Templates {
    fn from_document(document: &str) -> Self {
        let mut paths: Vec<String> = serde_json::from_str::<serde_json::Value>(document)
            .ok()
            .and_then(|doc| {
                doc["paths"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect())
            })
            .unwrap_or_default();
        paths.extend(
            ["/healthz", "/readyz", "/metrics", "/openapi.json"]
                .iter()
                .map(|p| (*p).to_owned()),
        );
        let parsed = paths
            .into_iter()
            .map(|template| {
                let segments = template
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            Segment::Parameter
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                // Leaked once per template at start-up: labels are then `&'static str`, which the metrics
                // registry takes without allocating per request.
                (segments, &*Box::leak(template.into_boxed_str()))
            })
            .collect::<Vec<(Vec<Segment>, &'static str)>>();
        let mut by_length: Vec<Vec<(Vec<Segment>, &'static str)>> = Vec::new();
        for (segments, label) in parsed {
            let length = segments.len();
            if by_length.len() <= length {
                by_length.resize_with(length + 1, Vec::new);
            }
            by_length[length].push((segments, label));
        }
        Self(by_length)
    }

    /// A literal segment beats a parameter (`/v1/me/images` is not `/v1/me/{x}`): the template with the most
    /// literals among those that match wins.
    fn matching(&self, path: &str) -> &'static str {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let length = path.split('/').count();
        let Some(templates) = self.0.get(length) else {
            return OTHER_ROUTE;
        };
        let mut best: Option<(usize, &'static str)> = None;
        for (segments, label) in templates {
            let mut parts = path.split('/');
            let mut literals = 0;
            let matched = segments
                .iter()
                .all(|segment| match (segment, parts.next()) {
                    (Segment::Literal(l), Some(p)) if l == p => {
                        literals += 1;
                        true
                    }
                    (Segment::Parameter, Some(p)) => !p.is_empty(),
                    _ => false,
                })
                && parts.next().is_none();
            if matched && best.is_none_or(|(most, _)| literals > most) {
                best = Some((literals, label));
            }
        }
        best.map_or(OTHER_ROUTE, |(_, label)| label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_their_templates() {
        assert_eq!(
            route_label("/v1/images/0b6c3d5e-0000-0000-0000-000000000000/variants/thumb"),
            "/v1/images/{id}/variants/{name}"
        );
        assert_eq!(route_label("/v1/me/images"), "/v1/me/images");
        assert_eq!(route_label("/v1/me"), "/v1/me");
        assert_eq!(route_label("/healthz"), "/healthz");
        assert_eq!(
            route_label("/v1/t/_/rs:fill:300:300/g:sm/plain/abc.jpg"),
            TRANSFORM_ROUTE
        );
        assert_eq!(route_label("/v1/tus/"), "/v1/tus/");
        assert_eq!(
            route_label("/v1/tus/0b6c3d5e-0000-0000-0000-000000000000"),
            "/v1/tus/{id}"
        );
    }

    #[test]
    fn anything_else_is_one_label() {
        assert_eq!(route_label("/v1/nothing/here/at/all"), OTHER_ROUTE);
        assert_eq!(route_label("/wp-login.php"), OTHER_ROUTE);
        assert_eq!(route_label("/v1/images//variants/thumb"), OTHER_ROUTE);
    }

    #[test]
    fn methods_come_from_a_fixed_set() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"SPAM-SPAM").unwrap()),
            "other"
        );
    }
}
