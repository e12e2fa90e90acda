//! `editImage`: an owner's operations on one of their ready images, checked up front (each refusal names
//! the step), recorded as a new image derived from it, and rendered by the edit job in the worker.

use bytes::Bytes;
use chrono::Utc;

use super::{keys, ImageService};
use crate::domain::{
    Derivation, EditOperation, Image, ImageId, ImageStatus, Job, NewImage, OutboxMessage, UserId,
    MAX_EDIT_OPERATIONS,
};
use crate::imaging::{edit_output, edit_plan, ImagingError, Limits};
use crate::ports::CreateImageOutcome;
use crate::services::access::can_modify;
use crate::services::ServiceError;

/// The largest blur sigma an edit may ask for, in pixels (as transformations allow).
pub const MAX_EDIT_BLUR: f32 = 100.0;
/// The largest sharpen sigma.
pub const MAX_EDIT_SHARPEN: f32 = 10.0;
/// The largest brightness or contrast factor.
pub const MAX_EDIT_AMOUNT: f32 = 10.0;
/// The range of a gamma.
pub const EDIT_GAMMA: (f32, f32) = (0.1, 10.0);

impl ImageService {
    /// Records the result of `operations` on `source` (the caller's own, ready image) as a new image,
    /// `processing` until the edit job has rendered and processed it.
    pub async fn edit(
        &self,
        owner: UserId,
        source: ImageId,
        operations: Vec<EditOperation>,
    ) -> Result<Image, ServiceError> {
        let source = self.owned(owner, source).await?;
        let (Some(width), Some(height), ImageStatus::Ready) =
            (source.width, source.height, source.status)
        else {
            return Err(ServiceError::NotReady);
        };
        // The edit job renders from the source's original: it must be in the hot store by then.
        self.prepare_original(&source).await?;
        if operations.is_empty() || operations.len() > MAX_EDIT_OPERATIONS {
            return Err(ServiceError::InvalidEdit(format!(
                "operations: list 1 to {MAX_EDIT_OPERATIONS} operations"
            )));
        }
        let limits = self.settings.limits;
        for (index, op) in operations.iter().enumerate() {
            check_arguments(op, &limits).map_err(|why| at(index, &why))?;
            if let EditOperation::Watermark {
                image_id: Some(mark),
                ..
            } = op
            {
                self.check_mark(owner, *mark)
                    .await
                    .map_err(|why| at(index, &why))?;
            }
        }
        let (format, output) = edit_output(source.format);
        // The pipeline checks each prefix of the plan, so a refusal names the first step that breaks it.
        let marks = crate::imaging::watermark_images(&operations).len();
        for end in 1..=operations.len() {
            let plan = edit_plan(&operations[..end], output, vec![Bytes::new(); marks]);
            if let Err(err) = self.pipeline.check_plan(&plan, width, height, &limits) {
                return Err(at(end - 1, &plan_refusal(&err)));
            }
        }
        let id = ImageId::new();
        let new_image = NewImage {
            id,
            owner_id: owner,
            format,
            // Known once the edit job has rendered it.
            bytes: 0,
            sha256: String::new(),
            visibility: source.visibility,
            original_key: keys::original(id),
            idempotency_key: None,
            derivation: Some(Derivation {
                source_image_id: source.id,
                operations,
            }),
            created_at: Utc::now(),
        };
        let job = OutboxMessage::job(&Job::EditImage { image_id: id });
        match self.images.create_image(&new_image, &job).await? {
            CreateImageOutcome::Created => {}
            CreateImageOutcome::IdempotentReplay(_) => {
                return Err(ServiceError::Internal(
                    "an edit has no idempotency key".into(),
                ))
            }
        }
        self.outbox_written.notify_one();
        tracing::info!(image = %id, source = %source.id, "edit queued");
        self.images
            .image(id)
            .await?
            .ok_or_else(|| ServiceError::Internal("edited image vanished".into()))
    }

    /// A watermark image must be the owner's own and ready.
    async fn check_mark(&self, owner: UserId, mark: ImageId) -> Result<(), String> {
        let found = self.images.image(mark).await.map_err(|e| e.to_string())?;
        match found {
            Some(image) if can_modify(owner, &image) && image.status == ImageStatus::Ready => {
                Ok(())
            }
            Some(image) if can_modify(owner, &image) => {
                Err(format!("watermark image {mark} is not ready"))
            }
            _ => Err(format!("watermark image {mark} not found")),
        }
    }
}

fn at(index: usize, why: &str) -> ServiceError {
    ServiceError::InvalidEdit(format!("operations[{index}]: {why}"))
}

/// What the pipeline's refusal of a plan means to the owner.
fn plan_refusal(err: &ImagingError) -> String {
    match err {
        ImagingError::InvalidPlan(why) => why.clone(),
        ImagingError::DimensionsTooLarge {
            width,
            height,
            max_width,
            max_height,
            ..
        } => format!(
            "the image would be {width}x{height}, over the limit of {max_width}x{max_height} (and of the pixel count)"
        ),
        other => other.public_message(),
    }
}

/// The arguments of one operation, against the ranges and the ingest policy (the sizes it makes are the
/// pipeline's to check, against the image).
fn check_arguments(op: &EditOperation, limits: &Limits) -> Result<(), String> {
    let within = |what: &str, value: f32, low: f32, high: f32, open_low: bool| {
        let above = if open_low { value > low } else { value >= low };
        if value.is_finite() && above && value <= high {
            Ok(())
        } else {
            let from = if open_low { "above" } else { "from" };
            Err(format!(
                "{what} must be {from} {low} to {high}, not {value}"
            ))
        }
    };
    match op {
        EditOperation::Crop { width, height, .. } if *width == 0 || *height == 0 => {
            Err("crop width and height must be positive".into())
        }
        EditOperation::Rotate {
            degrees,
            background,
        } => {
            within("rotate degrees", *degrees, -360.0, 360.0, false)?;
            match background {
                Some(colour) if crate::domain::parse_hex_colour(colour).is_none() => {
                    Err(format!("background must be #rrggbb, not {colour:?}"))
                }
                _ => Ok(()),
            }
        }
        EditOperation::Resize { width, height, .. } => match (width, height) {
            (None, None) => Err("resize needs a width or a height".into()),
            (Some(0), _) | (_, Some(0)) => Err("resize width and height must be positive".into()),
            (Some(w), _) if *w > limits.max_width => Err(format!(
                "resize width {w} is over the limit of {}",
                limits.max_width
            )),
            (_, Some(h)) if *h > limits.max_height => Err(format!(
                "resize height {h} is over the limit of {}",
                limits.max_height
            )),
            _ => Ok(()),
        },
        EditOperation::Blur { sigma } => within("blur sigma", *sigma, 0.0, MAX_EDIT_BLUR, true),
        EditOperation::Sharpen { sigma } => {
            within("sharpen sigma", *sigma, 0.0, MAX_EDIT_SHARPEN, true)
        }
        EditOperation::Brightness { amount } => {
            within("brightness amount", *amount, 0.0, MAX_EDIT_AMOUNT, false)
        }
        EditOperation::Contrast { amount } => {
            within("contrast amount", *amount, 0.0, MAX_EDIT_AMOUNT, false)
        }
        EditOperation::Gamma { amount } => {
            within("gamma amount", *amount, EDIT_GAMMA.0, EDIT_GAMMA.1, false)
        }
        EditOperation::Watermark {
            text,
            image_id,
            opacity,
            ..
        } => {
            within("watermark opacity", *opacity, 0.0, 1.0, false)?;
            match (text, image_id) {
                (Some(_), Some(_)) | (None, None) => {
                    Err("a watermark takes either text or image_id".into())
                }
                (Some(text), None) => check_text(text),
                (None, Some(_)) => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// The longest watermark text, in characters.
pub const MAX_WATERMARK_TEXT: usize = 100;

fn check_text(text: &str) -> Result<(), String> {
    let count = text.chars().count();
    if count == 0 || count > MAX_WATERMARK_TEXT || text.trim().is_empty() {
        Err(format!(
            "watermark text must be 1 to {MAX_WATERMARK_TEXT} characters, not blank"
        ))
    } else if text.chars().any(char::is_control) {
        Err("watermark text must be one line without control characters".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EditFit, WatermarkPosition};

    #[test]
    fn arguments_outside_their_ranges_are_refused() {
        let limits = Limits::default();
        let bad = [
            EditOperation::Blur { sigma: 0.0 },
            EditOperation::Blur { sigma: 1e9 },
            EditOperation::Sharpen { sigma: f32::NAN },
            EditOperation::Brightness { amount: -0.5 },
            EditOperation::Gamma { amount: 0.0 },
            EditOperation::Rotate {
                degrees: 30.0,
                background: Some("red".into()),
            },
            EditOperation::Resize {
                width: Some(100_000),
                height: None,
                fit: EditFit::Fit,
            },
            EditOperation::Resize {
                width: None,
                height: None,
                fit: EditFit::Fit,
            },
            EditOperation::Watermark {
                text: None,
                image_id: None,
                position: WatermarkPosition::Center,
                opacity: 1.0,
            },
            EditOperation::Watermark {
                text: None,
                image_id: Some(ImageId::new()),
                position: WatermarkPosition::Center,
                opacity: 1.5,
            },
            EditOperation::Watermark {
                text: Some("two\nlines".into()),
                image_id: None,
                position: WatermarkPosition::Center,
                opacity: 1.0,
            },
            EditOperation::Watermark {
                text: Some("x".repeat(101)),
                image_id: None,
                position: WatermarkPosition::Center,
                opacity: 1.0,
            },
        ];
        for op in bad {
            assert!(check_arguments(&op, &limits).is_err(), "{op:?}");
        }
        let good = [
            EditOperation::Blur { sigma: 2.0 },
            EditOperation::Rotate {
                degrees: -45.0,
                background: Some("#00ff00".into()),
            },
            EditOperation::Brightness { amount: 0.0 },
            EditOperation::Grayscale,
            EditOperation::Watermark {
                text: Some("© Ada".into()),
                image_id: None,
                position: WatermarkPosition::South,
                opacity: 0.7,
            },
        ];
        for op in good {
            assert_eq!(check_arguments(&op, &limits), Ok(()), "{op:?}");
        }
    }
}
