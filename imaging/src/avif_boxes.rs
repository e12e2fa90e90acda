//! Test-only: a small ISO-BMFF box walker, enough to read what an AVIF says about itself (brand, item
//! sizes, auxiliary items) independently of the encoder that wrote it.

#![allow(clippy::unwrap_used)]

/// Boxes that hold other boxes, and how many bytes of their own come before the children (a full box's
/// version and flags, `iinf`'s entry count).
fn children_offset(kind: &[u8; 4], version: u8) -> Option<usize> {
    match kind {
        b"iprp" | b"ipco" => Some(0),
        b"meta" | b"iref" => Some(4),
        b"iinf" => Some(if version == 0 { 6 } else { 8 }),
        _ => None,
    }
}

/// Every box in `bytes`, depth first, as (type, payload), descending into the containers AVIF uses.
pub(crate) fn boxes(bytes: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut found = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 8 {
        let size = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = rest[4..8].try_into().unwrap();
        assert!(
            size >= 8 && size <= rest.len(),
            "box {kind:?} of {size} bytes"
        );
        let payload = &rest[8..size];
        found.push((kind, payload));
        let version = payload.first().copied().unwrap_or(0);
        if let Some(offset) = children_offset(&kind, version) {
            found.extend(boxes(&payload[offset..]));
        }
        rest = &rest[size..];
    }
    found
}

/// The major brand of the `ftyp` box.
pub(crate) fn major_brand(bytes: &[u8]) -> [u8; 4] {
    let (kind, payload) = boxes(bytes)[0];
    assert_eq!(&kind, b"ftyp");
    payload[..4].try_into().unwrap()
}

/// The (width, height) of every `ispe` property.
pub(crate) fn image_sizes(bytes: &[u8]) -> Vec<(u32, u32)> {
    boxes(bytes)
        .into_iter()
        .filter(|(kind, _)| kind == b"ispe")
        .map(|(_, p)| {
            let word = |at: usize| u32::from_be_bytes(p[at..at + 4].try_into().unwrap());
            (word(4), word(8))
        })
        .collect()
}

/// Whether an `auxC` property names an alpha plane (ISO/IEC 23000-22's URN).
pub(crate) fn has_alpha_auxiliary(bytes: &[u8]) -> bool {
    const ALPHA: &[u8] = b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha";
    boxes(bytes)
        .into_iter()
        .any(|(kind, p)| &kind == b"auxC" && p[4..].starts_with(ALPHA))
}

/// The item types declared in `iinf` (`av01`, `Exif`, `mime`, ...).
pub(crate) fn item_types(bytes: &[u8]) -> Vec<[u8; 4]> {
    boxes(bytes)
        .into_iter()
        .filter(|(kind, p)| kind == b"infe" && p[0] >= 2)
        .map(|(_, p)| {
            // version 2 has a 16-bit item id, version 3 a 32-bit one; then a 16-bit protection index.
            let at = if p[0] == 2 { 8 } else { 10 };
            p[at..at + 4].try_into().unwrap()
        })
        .collect()
}
