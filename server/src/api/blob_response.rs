//! The response of the binary operations: 200, 206, 304 or 416, with validators and cache headers.
//! Written by hand because one status carries several image types, which the derive cannot say.

use std::ops::Range;

use darkroom_core::ports::ByteStream;
use darkroom_core::services::images::ServedBlob;
use futures::TryStreamExt;
use poem::http::{header, StatusCode};
use poem::{Body, IntoResponse, Response};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::ApiResponse;

use super::problem::Problem;

const IMAGE_TYPES: [&str; 6] = [
    "image/jpeg",
    "image/webp",
    "image/avif",
    "image/png",
    "image/gif",
    "image/tiff",
];
/// A year: variants never change under a key, so shared caches may keep them for good.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const PRIVATE: &str = "private, max-age=31536000, immutable";

pub enum BlobResponse {
    Full {
        blob: ServedBlob,
        size: u64,
        body: ByteStream,
        vary_accept: bool,
    },
    Partial {
        blob: ServedBlob,
        range: Range<u64>,
        size: u64,
        body: ByteStream,
        vary_accept: bool,
    },
    NotModified {
        blob: ServedBlob,
        vary_accept: bool,
    },
    Unsatisfiable {
        size: u64,
    },
}

impl std::fmt::Debug for BlobResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Full { blob, .. } => f.debug_tuple("Full").field(&blob.key).finish(),
            Self::Partial { blob, range, .. } => f
                .debug_tuple("Partial")
                .field(&blob.key)
                .field(range)
                .finish(),
            Self::NotModified { blob, .. } => {
                f.debug_tuple("NotModified").field(&blob.key).finish()
            }
            Self::Unsatisfiable { size } => f.debug_tuple("Unsatisfiable").field(size).finish(),
        }
    }
}

fn headers_for(
    builder: poem::ResponseBuilder,
    blob: &ServedBlob,
    vary_accept: bool,
) -> poem::ResponseBuilder {
    let builder = builder
        .header(header::ETAG, format!("\"{}\"", blob.etag))
        .header(
            header::CACHE_CONTROL,
            if blob.public { IMMUTABLE } else { PRIVATE },
        )
        .header(header::ACCEPT_RANGES, "bytes");
    if vary_accept {
        builder.header(header::VARY, "Accept")
    } else {
        builder
    }
}

fn stream_body(body: ByteStream) -> Body {
    Body::from_bytes_stream(body.map_err(std::io::Error::other))
}

impl IntoResponse for BlobResponse {
    fn into_response(self) -> Response {
        match self {
            Self::Full {
                blob,
                size,
                body,
                vary_accept,
            } => headers_for(Response::builder(), &blob, vary_accept)
                .status(StatusCode::OK)
                .content_type(blob.mime)
                .header(header::CONTENT_LENGTH, size)
                .body(stream_body(body)),
            Self::Partial {
                blob,
                range,
                size,
                body,
                vary_accept,
            } => headers_for(Response::builder(), &blob, vary_accept)
                .status(StatusCode::PARTIAL_CONTENT)
                .content_type(blob.mime)
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{size}", range.start, range.end - 1),
                )
                .header(header::CONTENT_LENGTH, range.end - range.start)
                .body(stream_body(body)),
            Self::NotModified { blob, vary_accept } => {
                headers_for(Response::builder(), &blob, vary_accept)
                    .status(StatusCode::NOT_MODIFIED)
                    .finish()
            }
            Self::Unsatisfiable { size } => {
                let problem = Problem::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "range_not_satisfiable",
                    format!("the range starts past the end of a {size}-byte resource"),
                );
                Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .content_type("application/problem+json")
                    .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                    .body(poem_openapi::types::ToJSON::to_json_string(&problem))
            }
        }
    }
}

fn string_header(name: &str, description: &str) -> MetaHeader {
    MetaHeader {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        required: false,
        deprecated: false,
        schema: String::schema_ref(),
    }
}

fn image_content() -> Vec<MetaMediaType> {
    let binary =
        || MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")));
    IMAGE_TYPES
        .iter()
        .map(|ty| MetaMediaType {
            content_type: ty,
            schema: binary(),
        })
        .collect()
}

fn validators() -> Vec<MetaHeader> {
    vec![
        string_header("ETag", "Strong validator of these bytes."),
        string_header(
            "Cache-Control",
            "`public, …, immutable` for public images, `private, …` otherwise.",
        ),
        string_header("Accept-Ranges", "Always `bytes`."),
    ]
}

impl ApiResponse for BlobResponse {
    fn meta() -> MetaResponses {
        let mut partial_headers = validators();
        partial_headers.push(string_header(
            "Content-Range",
            "Which bytes of how many this is.",
        ));
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The bytes.",
                    status: Some(200),
                    status_range: None,
                    content: image_content(),
                    headers: validators(),
                },
                MetaResponse {
                    description: "The requested range of the bytes.",
                    status: Some(206),
                    status_range: None,
                    content: image_content(),
                    headers: partial_headers,
                },
                MetaResponse {
                    description: "The copy the client holds (If-None-Match) is current.",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: validators(),
                },
                MetaResponse {
                    description: "The range starts past the end.",
                    status: Some(416),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/problem+json",
                        schema: Problem::schema_ref(),
                    }],
                    headers: vec![string_header("Content-Range", "`bytes */SIZE`.")],
                },
            ],
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}
