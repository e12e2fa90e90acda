//! An image's life after creation: the owner's patches, the end of processing (deletion, restore and purge
//! are in `retention.rs`). Each write carries its precondition as a condition expression, so it is atomic
//! without a transaction where one item changes, and bumps `version`, which the writes that read first
//! check so that they act on exactly the image they read.

use aws_sdk_dynamodb::types::ReturnValue;
use chrono::Utc;
use darkroom_core::domain::{
    merge_variant_files, Failure, Image, ImageId, ImagePatch, ImageStatus, LateVariantFile,
    ProcessedImage,
};
use darkroom_core::ports::{DbError, ImageRepository};

use super::attrs::{json, micros, n, s, strings};
use super::calls::retry_conflicts;
use super::errors::unless_condition_failed;
use super::items;
use super::keys::{self, Item};
use super::writes::{names, vals, values, PRESENT};
use super::DynamoDatabase;

/// Adding late variant files reads, merges, then writes back if nothing changed meanwhile; a concurrent
/// write sends it round again. Deletion, restore and purge read and write the same way.
pub(super) const ROUNDS: usize = 5;

/// How processing ended.
#[derive(Debug, Clone, Copy)]
pub(super) enum Finished<'a> {
    Ready(&'a ProcessedImage),
    Failed(&'a Failure),
}

impl DynamoDatabase {
    /// One conditional UpdateItem on an image, `version` bumped and `updated_at` set besides `set` and
    /// `remove`. Returns the image as stored afterwards, or `None` when the condition did not hold.
    async fn update_image_item(
        &self,
        id: ImageId,
        set: &[&str],
        remove: &[&str],
        condition: &str,
        mut update_values: Item,
        doing: &str,
    ) -> Result<Option<Image>, DbError> {
        let assignments: Vec<&str> = std::iter::once("#updated_at = :now")
            .chain(set.iter().copied())
            .collect();
        let mut expression = format!("SET {} ADD #version :one", assignments.join(", "));
        if !remove.is_empty() {
            expression = format!("{expression} REMOVE {}", remove.join(", "));
        }
        update_values.insert(":now".to_owned(), micros(Utc::now()));
        update_values.insert(":one".to_owned(), n(1));
        let updated = retry_conflicts(|| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(keys::image(id)))
                .update_expression(&expression)
                .condition_expression(condition)
                .set_expression_attribute_names(names(&[&expression, condition]))
                .set_expression_attribute_values(values(update_values.clone()))
                .return_values(ReturnValue::AllNew)
                .send()
        })
        .await;
        match unless_condition_failed(updated, &self.table, doing)? {
            Some(output) => output.attributes.as_ref().map(items::image).transpose(),
            None => Ok(None),
        }
    }

    pub(super) async fn patch_image(
        &self,
        id: ImageId,
        patch: &ImagePatch,
    ) -> Result<Option<Image>, DbError> {
        if *patch == ImagePatch::default() {
            return self.image(id).await;
        }
        let (mut set, mut remove, mut update_values) = (Vec::new(), Vec::new(), Item::new());
        if let Some(visibility) = patch.visibility {
            set.push("#visibility = :visibility");
            update_values.insert(":visibility".to_owned(), s(visibility.as_str()));
        }
        match &patch.alt_text {
            Some(Some(alt)) => {
                set.push("#alt_text = :alt_text");
                update_values.insert(":alt_text".to_owned(), s(alt));
            }
            Some(None) => remove.push("#alt_text"),
            None => {}
        }
        if let Some(tags) = &patch.tags {
            set.push("#tags = :tags");
            update_values.insert(":tags".to_owned(), strings(tags));
        }
        self.update_image_item(
            id,
            &set,
            &remove,
            PRESENT,
            update_values,
            "updating an image",
        )
        .await
    }

    /// Moves a `processing` image to `ready` or `failed`; any other state (or no image) is left alone.
    /// Sets the size and SHA-256 of an edit's rendered original, only while the image is processing.
    pub(super) async fn record_rendered_original(
        &self,
        id: ImageId,
        bytes: u64,
        sha256: &str,
    ) -> Result<bool, DbError> {
        let update_values = vals([
            (":processing", s(ImageStatus::Processing.as_str())),
            (":bytes", n(bytes)),
            (":sha256", s(sha256)),
        ]);
        let moved = self
            .update_image_item(
                id,
                &["#bytes = :bytes", "#sha256 = :sha256"],
                &[],
                "#status = :processing",
                update_values,
                "recording an edit's original",
            )
            .await?;
        Ok(moved.is_some())
    }

    pub(super) async fn finish_processing(
        &self,
        id: ImageId,
        finished: Finished<'_>,
    ) -> Result<bool, DbError> {
        let condition = "#status = :processing";
        let mut update_values = vals([(":processing", s(ImageStatus::Processing.as_str()))]);
        let (set, remove): (Vec<&str>, Vec<&str>) = match finished {
            Finished::Ready(result) => {
                update_values.extend(vals([
                    (":status", s(ImageStatus::Ready.as_str())),
                    (":width", n(result.width)),
                    (":height", n(result.height)),
                    (":blurhash", s(&result.blurhash)),
                    (":dominant_color", s(&result.dominant_color)),
                    (":variants", json(&result.variants)?),
                    (":public_original_key", s(&result.public_original_key)),
                    (":public_original_sha256", s(&result.public_original_sha256)),
                    (":auto_tags", strings(&result.auto_tags)),
                ]));
                let mut set = vec![
                    "#status = :status",
                    "#width = :width",
                    "#height = :height",
                    "#blurhash = :blurhash",
                    "#dominant_color = :dominant_color",
                    "#variants = :variants",
                    "#public_original_key = :public_original_key",
                    "#public_original_sha256 = :public_original_sha256",
                    "#auto_tags = :auto_tags",
                ];
                let mut remove = vec!["#failure_code", "#failure_message"];
                // Absent values are absent attributes: set what the EXIF said, remove the rest.
                let capture = &result.capture;
                for (assignment, attribute, placeholder, value) in [
                    (
                        "#camera_make = :camera_make",
                        "#camera_make",
                        ":camera_make",
                        capture.camera_make.clone(),
                    ),
                    (
                        "#camera_model = :camera_model",
                        "#camera_model",
                        ":camera_model",
                        capture.camera_model.clone(),
                    ),
                    (
                        "#taken_at = :taken_at",
                        "#taken_at",
                        ":taken_at",
                        capture.taken_at_text(),
                    ),
                ] {
                    match value {
                        Some(value) => {
                            set.push(assignment);
                            update_values.insert(placeholder.to_owned(), s(value));
                        }
                        None => remove.push(attribute),
                    }
                }
                (set, remove)
            }
            Finished::Failed(failure) => {
                update_values.extend(vals([
                    (":status", s(ImageStatus::Failed.as_str())),
                    (":failure_code", s(&failure.code)),
                    (":failure_message", s(&failure.message)),
                ]));
                (
                    vec![
                        "#status = :status",
                        "#failure_code = :failure_code",
                        "#failure_message = :failure_message",
                    ],
                    Vec::new(),
                )
            }
        };
        let moved = self
            .update_image_item(
                id,
                &set,
                &remove,
                condition,
                update_values,
                "finishing processing",
            )
            .await?;
        Ok(moved.is_some())
    }

    /// Adds files made after the image was ready to its variants: read, merge, then write back only if
    /// the image is still the version read (and `ready`), else read again.
    pub(super) async fn add_late_files(
        &self,
        id: ImageId,
        files: &[LateVariantFile],
    ) -> Result<bool, DbError> {
        for _ in 0..ROUNDS {
            let Some(item) = self.get(keys::image(id), "reading an image").await? else {
                return Ok(false);
            };
            let mut image = items::image(&item)?;
            if image.status != ImageStatus::Ready {
                return Ok(false);
            }
            if !merge_variant_files(&mut image.variants, files) {
                return Ok(true);
            }
            let version = items::image_version(&item)?;
            let written = self
                .update_image_item(
                    id,
                    &["#variants = :variants"],
                    &[],
                    "#status = :ready AND #version = :version",
                    vals([
                        (":variants", json(&image.variants)?),
                        (":ready", s(ImageStatus::Ready.as_str())),
                        (":version", n(version)),
                    ]),
                    "adding variant files",
                )
                .await?;
            if written.is_some() {
                return Ok(true);
            }
        }
        Err(DbError::unavailable(format!(
            "adding variant files to image {} did not settle in {ROUNDS} rounds",
            id.0
        )))
    }
}
