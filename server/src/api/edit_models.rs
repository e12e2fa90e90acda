//! The operations of `editImage` as the API spells them: one flat object per step (`op` and its
//! arguments), parsed into the domain's `EditOperation` here so that every refusal names its step.

use darkroom_core::domain::{
    EditFit, EditOperation, FlipDirection, ImageId, WatermarkPosition, MAX_EDIT_OPERATIONS,
};
use darkroom_core::services::ServiceError;
use poem_openapi::Object;

/// One step of an edit: `op` is one of `crop`, `rotate`, `flip`, `resize`, `grayscale`, `sepia`, `blur`,
/// `sharpen`, `brightness`, `contrast`, `gamma`, `enhance`, `watermark`, with the arguments it takes
/// (the others must be absent). Sizes and positions are in pixels of the upright image as it stands at
/// that step.
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "EditOperation")]
pub struct EditOperationView {
    /// The operation.
    pub op: String,
    /// `crop`: left edge of the kept rectangle.
    #[oai(skip_serializing_if_is_none)]
    pub x: Option<u32>,
    /// `crop`: top edge of the kept rectangle.
    #[oai(skip_serializing_if_is_none)]
    pub y: Option<u32>,
    /// `crop` (required) and `resize` (this or `height`): width in pixels.
    #[oai(skip_serializing_if_is_none)]
    pub width: Option<u32>,
    /// `crop` (required) and `resize` (this or `width`): height in pixels.
    #[oai(skip_serializing_if_is_none)]
    pub height: Option<u32>,
    /// `rotate`: clockwise, -360 to 360. Multiples of 90 are exact; other angles grow the image to hold the
    /// turned one and fill the corners with `background`.
    #[oai(skip_serializing_if_is_none)]
    pub degrees: Option<f64>,
    /// `rotate`: `#rrggbb` for the uncovered corners (default `#ffffff`).
    #[oai(skip_serializing_if_is_none)]
    pub background: Option<String>,
    /// `flip`: `horizontal` (left and right exchange) or `vertical`.
    #[oai(skip_serializing_if_is_none)]
    pub direction: Option<String>,
    /// `resize`: `fit` (inside the box, the default), `fill` (the box exactly, cropped centrally) or
    /// `force` (the box exactly, stretched). Never enlarges.
    #[oai(skip_serializing_if_is_none)]
    pub fit: Option<String>,
    /// `blur` (above 0, at most 100) and `sharpen` (above 0, at most 10): in pixels.
    #[oai(skip_serializing_if_is_none)]
    pub sigma: Option<f64>,
    /// `brightness` and `contrast`: a factor, 0 to 10 (1 changes nothing); `gamma`: 0.1 to 10 (above 1
    /// lightens the mid-tones).
    #[oai(skip_serializing_if_is_none)]
    pub amount: Option<f64>,
    /// `watermark`: one line of text (1 to 100 characters) to lay, white with a dark shadow, a tenth of the
    /// image's shorter side high; or `image_id`.
    #[oai(skip_serializing_if_is_none)]
    pub text: Option<String>,
    /// `watermark`: another of your ready images, shrunk to at most a quarter of the image on each side.
    #[oai(skip_serializing_if_is_none)]
    pub image_id: Option<uuid::Uuid>,
    /// `watermark`: `north_west`, `north`, `north_east`, `west`, `center`, `east`, `south_west`, `south`
    /// or `south_east` (the default).
    #[oai(skip_serializing_if_is_none)]
    pub position: Option<String>,
    /// `watermark`: 0 (invisible) to 1 (opaque, the default).
    #[oai(skip_serializing_if_is_none)]
    pub opacity: Option<f64>,
}

/// The body of `editImage`.
#[derive(Debug, Object)]
#[oai(rename = "EditRequest")]
pub struct EditRequest {
    /// The steps, applied in order (1 to 20).
    pub operations: Vec<EditOperationView>,
}

/// The domain's operations, or the first step that is malformed (`operations[i]: …`).
pub fn parse_operations(views: &[EditOperationView]) -> Result<Vec<EditOperation>, ServiceError> {
    if views.is_empty() || views.len() > MAX_EDIT_OPERATIONS {
        return Err(ServiceError::InvalidEdit(format!(
            "operations: list 1 to {MAX_EDIT_OPERATIONS} operations"
        )));
    }
    views
        .iter()
        .enumerate()
        .map(|(i, view)| {
            parse_one(view)
                .map_err(|why| ServiceError::InvalidEdit(format!("operations[{i}]: {why}")))
        })
        .collect()
}

fn parse_one(v: &EditOperationView) -> Result<EditOperation, String> {
    let op = v.op.as_str();
    let need = |value: Option<u32>, name: &str| value.ok_or(format!("{op} needs {name}"));
    let number = |value: Option<f64>, name: &str| {
        value.map(|n| n as f32).ok_or(format!("{op} needs {name}"))
    };
    let operation = match op {
        "crop" => EditOperation::Crop {
            x: need(v.x, "x")?,
            y: need(v.y, "y")?,
            width: need(v.width, "width")?,
            height: need(v.height, "height")?,
        },
        "rotate" => EditOperation::Rotate {
            degrees: number(v.degrees, "degrees")?,
            background: v.background.clone(),
        },
        "flip" => EditOperation::Flip {
            direction: match v.direction.as_deref() {
                Some("horizontal") => FlipDirection::Horizontal,
                Some("vertical") => FlipDirection::Vertical,
                _ => return Err("flip needs direction horizontal or vertical".into()),
            },
        },
        "resize" => EditOperation::Resize {
            width: v.width,
            height: v.height,
            fit: match v.fit.as_deref() {
                None | Some("fit") => EditFit::Fit,
                Some("fill") => EditFit::Fill,
                Some("force") => EditFit::Force,
                Some(other) => {
                    return Err(format!(
                        "resize fit must be fit, fill or force, not {other:?}"
                    ))
                }
            },
        },
        "grayscale" => EditOperation::Grayscale,
        "sepia" => EditOperation::Sepia,
        "enhance" => EditOperation::Enhance,
        "blur" => EditOperation::Blur {
            sigma: number(v.sigma, "sigma")?,
        },
        "sharpen" => EditOperation::Sharpen {
            sigma: number(v.sigma, "sigma")?,
        },
        "brightness" => EditOperation::Brightness {
            amount: number(v.amount, "amount")?,
        },
        "contrast" => EditOperation::Contrast {
            amount: number(v.amount, "amount")?,
        },
        "gamma" => EditOperation::Gamma {
            amount: number(v.amount, "amount")?,
        },
        "watermark" => EditOperation::Watermark {
            text: v.text.clone(),
            image_id: v.image_id.map(ImageId),
            position: match v.position.as_deref() {
                None => WatermarkPosition::SouthEast,
                Some(text) => WatermarkPosition::parse(text)
                    .ok_or(format!("{text:?} is not a watermark position"))?,
            },
            opacity: v.opacity.map_or(1.0, |o| o as f32),
        },
        other => return Err(format!("{other:?} is not an operation")),
    };
    let stray = stray_arguments(v, &operation);
    if !stray.is_empty() {
        return Err(format!("{op} takes no {}", stray.join(", ")));
    }
    Ok(operation)
}

/// The arguments given that `operation` does not take: refused rather than silently ignored.
fn stray_arguments(v: &EditOperationView, operation: &EditOperation) -> Vec<&'static str> {
    let takes: &[&str] = match operation {
        EditOperation::Crop { .. } => &["x", "y", "width", "height"],
        EditOperation::Rotate { .. } => &["degrees", "background"],
        EditOperation::Flip { .. } => &["direction"],
        EditOperation::Resize { .. } => &["width", "height", "fit"],
        EditOperation::Blur { .. } | EditOperation::Sharpen { .. } => &["sigma"],
        EditOperation::Brightness { .. }
        | EditOperation::Contrast { .. }
        | EditOperation::Gamma { .. } => &["amount"],
        EditOperation::Watermark { .. } => &["text", "image_id", "position", "opacity"],
        _ => &[],
    };
    let given = [
        ("x", v.x.is_some()),
        ("y", v.y.is_some()),
        ("width", v.width.is_some()),
        ("height", v.height.is_some()),
        ("degrees", v.degrees.is_some()),
        ("background", v.background.is_some()),
        ("direction", v.direction.is_some()),
        ("fit", v.fit.is_some()),
        ("sigma", v.sigma.is_some()),
        ("amount", v.amount.is_some()),
        ("text", v.text.is_some()),
        ("image_id", v.image_id.is_some()),
        ("position", v.position.is_some()),
        ("opacity", v.opacity.is_some()),
    ];
    given
        .into_iter()
        .filter(|(name, present)| *present && !takes.contains(name))
        .map(|(name, _)| name)
        .collect()
}

impl From<EditOperation> for EditOperationView {
    fn from(op: EditOperation) -> Self {
        let name = op.name().to_owned();
        let view = Self {
            op: name,
            ..Self::default()
        };
        match op {
            EditOperation::Crop {
                x,
                y,
                width,
                height,
            } => Self {
                x: Some(x),
                y: Some(y),
                width: Some(width),
                height: Some(height),
                ..view
            },
            EditOperation::Rotate {
                degrees,
                background,
            } => Self {
                degrees: Some(f64::from(degrees)),
                background,
                ..view
            },
            EditOperation::Flip { direction } => Self {
                direction: Some(
                    match direction {
                        FlipDirection::Horizontal => "horizontal",
                        FlipDirection::Vertical => "vertical",
                    }
                    .into(),
                ),
                ..view
            },
            EditOperation::Resize { width, height, fit } => Self {
                width,
                height,
                fit: Some(
                    match fit {
                        EditFit::Fit => "fit",
                        EditFit::Fill => "fill",
                        EditFit::Force => "force",
                    }
                    .into(),
                ),
                ..view
            },
            EditOperation::Blur { sigma } | EditOperation::Sharpen { sigma } => Self {
                sigma: Some(f64::from(sigma)),
                ..view
            },
            EditOperation::Brightness { amount }
            | EditOperation::Contrast { amount }
            | EditOperation::Gamma { amount } => Self {
                amount: Some(f64::from(amount)),
                ..view
            },
            EditOperation::Watermark {
                text,
                image_id,
                position,
                opacity,
            } => Self {
                text,
                image_id: image_id.map(|id| id.0),
                position: Some(position.as_str().into()),
                opacity: Some(f64::from(opacity)),
                ..view
            },
            EditOperation::Grayscale | EditOperation::Sepia | EditOperation::Enhance => view,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(op: &str) -> EditOperationView {
        EditOperationView {
            op: op.into(),
            ..EditOperationView::default()
        }
    }

    #[test]
    fn every_refusal_names_its_step() {
        let crop = EditOperationView {
            x: Some(0),
            y: Some(0),
            width: Some(10),
            height: Some(10),
            ..view("crop")
        };
        let ok = parse_operations(&[crop.clone(), view("grayscale")]).unwrap();
        assert_eq!(ok.len(), 2);
        let cases = [
            (
                vec![crop.clone(), view("paint")],
                "operations[1]: \"paint\" is not an operation",
            ),
            (vec![view("blur")], "operations[0]: blur needs sigma"),
            (
                vec![
                    view("sepia"),
                    view("sepia"),
                    EditOperationView {
                        sigma: Some(2.0),
                        ..view("grayscale")
                    },
                ],
                "operations[2]: grayscale takes no sigma",
            ),
            (
                vec![EditOperationView {
                    direction: Some("diagonal".into()),
                    ..view("flip")
                }],
                "operations[0]: flip needs direction horizontal or vertical",
            ),
        ];
        for (ops, expected) in cases {
            let err = parse_operations(&ops).unwrap_err();
            assert_eq!(err.to_string(), expected);
        }
        assert!(parse_operations(&[]).is_err());
    }

    #[test]
    fn views_round_trip_through_the_domain() {
        let steps = vec![
            EditOperationView {
                degrees: Some(30.0),
                background: Some("#ff0000".into()),
                ..view("rotate")
            },
            EditOperationView {
                image_id: Some(uuid::Uuid::now_v7()),
                position: Some("north_east".into()),
                opacity: Some(0.5),
                ..view("watermark")
            },
        ];
        let domain = parse_operations(&steps).unwrap();
        let back: Vec<EditOperationView> = domain.into_iter().map(Into::into).collect();
        assert_eq!(back[0].degrees, Some(30.0));
        assert_eq!(back[1].position.as_deref(), Some("north_east"));
        assert_eq!(back[1].image_id, steps[1].image_id);
    }
}
