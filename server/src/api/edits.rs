//! `editImage`: crop, rotate, flip, resize, filters and watermarks on one of your ready images, rendered
//! in the background into a new image derived from it.

use darkroom_core::domain::ImageId;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::edit_models::{parse_operations, EditRequest};
use super::models::ImageView;
use super::problem::ApiResult;
use super::security::BearerAuth;
use super::strict_json::StrictJson;
use super::{ApiTags, AppState};

#[derive(Debug, ApiResponse)]
pub enum EditResponse {
    /// The new image (status `processing`), with `source_image_id` and `operations`; it becomes `ready`
    /// with its own variants once the edit is rendered.
    #[oai(status = 202)]
    Accepted(Json<ImageView>),
}

#[derive(Debug)]
pub struct EditsApi;

#[OpenApi(tag = "ApiTags::Images")]
impl EditsApi {
    /// Edit one of your images: the operations run in order, in the background, over one decode of the
    /// original, and make a new image (the source is left as it is). Every step is checked first: a
    /// malformed one, or one the image cannot take (a crop outside it, a size over the limits), is a 400
    /// naming the step (`operations[2]: …`). The source must be `ready` (409 `image_not_ready`); another
    /// account's image is a 404.
    #[oai(
        path = "/v1/images/:id/edits",
        method = "post",
        operation_id = "editImage"
    )]
    async fn edit_image(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        body: StrictJson<EditRequest>,
    ) -> ApiResult<EditResponse> {
        let owner = auth.user(&state.auth)?;
        let operations = parse_operations(&body.0.operations)?;
        let image = state.images.edit(owner, ImageId(id.0), operations).await?;
        Ok(EditResponse::Accepted(Json(
            state.images.shown_one(owner, image).await?.into(),
        )))
    }
}
