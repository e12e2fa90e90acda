//! `getLimits`: the ingest policy in force, so clients can check before they upload.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::problem::ApiResult;
use super::{ApiTags, AppState};

#[derive(Debug, Object)]
pub struct Limits {
    /// Largest accepted upload, in bytes.
    pub max_bytes: u64,
    pub max_width: u32,
    pub max_height: u32,
    /// Largest accepted width × height.
    pub max_pixels: u64,
    /// Formats accepted for upload (recognised by their bytes).
    pub formats: Vec<String>,
    /// Media types of the same formats.
    pub media_types: Vec<String>,
}

#[derive(Debug)]
pub struct LimitsApi;

#[OpenApi(tag = "ApiTags::Images")]
impl LimitsApi {
    /// The ingest policy in force.
    #[oai(path = "/v1/limits", method = "get", operation_id = "getLimits")]
    async fn get_limits(&self, state: Data<&AppState>) -> ApiResult<Json<Limits>> {
        let limits = state.images.settings().limits;
        let formats = state.images.accepted_formats();
        Ok(Json(Limits {
            max_bytes: limits.max_bytes,
            max_width: limits.max_width,
            max_height: limits.max_height,
            max_pixels: limits.max_pixels,
            formats: formats.iter().map(ToString::to_string).collect(),
            media_types: formats.iter().map(|f| f.mime().to_owned()).collect(),
        }))
    }
}
