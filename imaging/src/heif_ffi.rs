//! The few functions of libheif's C API (1.15 and later) that decoding HEIC and AVIF needs, behind a safe
//! API: a context over borrowed bytes, the primary image's handle, and one decoded interleaved RGB(A)
//! image, each released when dropped. Linked from the system library by `build.rs` (pkg-config).
//!
//! Written by hand rather than through `libheif-sys`: that crate needs libheif 1.17 or later (Debian 12
//! ships 1.15) or builds its own copy from source, which would then miss the distribution's security
//! fixes to a parser that only ever sees hostile input.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void, CStr};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::OnceLock;

mod sys;

/// An error libheif reported: its category, detail code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeifError {
    pub code: i32,
    pub subcode: i32,
    pub message: String,
}

impl HeifError {
    pub const INVALID_INPUT: i32 = 2;
    pub const UNSUPPORTED_FILETYPE: i32 = 3;
    pub const UNSUPPORTED_FEATURE: i32 = 4;
    pub const MEMORY_ALLOCATION: i32 = 6;
    pub const SECURITY_LIMIT_EXCEEDED: i32 = 1000;

    fn ours(message: &str) -> Self {
        Self {
            code: Self::INVALID_INPUT,
            subcode: 0,
            message: message.to_owned(),
        }
    }
}

impl std::fmt::Display for HeifError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (libheif {}.{})",
            self.message, self.code, self.subcode
        )
    }
}

fn check(error: sys::Error) -> Result<(), HeifError> {
    if error.code == sys::ERROR_OK {
        return Ok(());
    }
    let message = if error.message.is_null() {
        String::new()
    } else {
        // SAFETY: libheif documents `message` as always a valid NUL-terminated string, static or owned
        // by the context that returned it, which is still alive here; we copy it at once.
        unsafe { CStr::from_ptr(error.message) }
            .to_string_lossy()
            .trim_end()
            .to_owned()
    };
    Err(HeifError {
        code: error.code,
        subcode: error.subcode,
        message,
    })
}

/// `heif_init` once per process: it registers the decoder plugins (libde265, dav1d, aom). Never undone.
fn initialised() -> bool {
    static INIT: OnceLock<bool> = OnceLock::new();
    *INIT.get_or_init(|| {
        // SAFETY: a null parameter block is documented as "defaults"; OnceLock runs this exactly once.
        let result = check(unsafe { sys::heif_init(std::ptr::null_mut()) });
        if let Err(error) = &result {
            tracing::warn!(%error, "libheif failed to initialise: heic and avif are refused");
        }
        result.is_ok()
    })
}

/// The codec inside a HEIF container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    Hevc,
    Av1,
}

/// Whether the linked libheif has a decoder plugin for `compression` (a distribution may package them
/// separately, as Debian 13 does).
pub(crate) fn has_decoder(compression: Compression) -> bool {
    let format = match compression {
        Compression::Hevc => sys::COMPRESSION_HEVC,
        Compression::Av1 => sys::COMPRESSION_AV1,
    };
    // SAFETY: a pure query of libheif's plugin registry, made after `heif_init`.
    initialised() && unsafe { sys::heif_have_decoder_for_format(format) } != 0
}

/// A parsed HEIF file. Borrows the bytes: libheif reads them in place, for as long as it lives.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    ptr: NonNull<sys::Context>,
    bytes: PhantomData<&'a [u8]>,
}

impl<'a> Context<'a> {
    /// Parses the boxes (no pixel is decoded), refusing any image wider or taller than `max_side`.
    pub fn read(bytes: &'a [u8], max_side: u32) -> Result<Self, HeifError> {
        if !initialised() {
            return Err(HeifError::ours("libheif is not initialised"));
        }
        // SAFETY: allocation has no preconditions; null (out of memory) is checked just below.
        let ptr = NonNull::new(unsafe { sys::heif_context_alloc() })
            .ok_or_else(|| HeifError::ours("libheif could not allocate a context"))?;
        let context = Self {
            ptr,
            bytes: PhantomData,
        };
        let limit = c_int::try_from(max_side).unwrap_or(c_int::MAX);
        // SAFETY: `ptr` is a live context. `bytes` outlives it ('a), as reading without a copy requires,
        // and libheif only reads them; null reading options are the documented default.
        unsafe {
            sys::heif_context_set_maximum_image_size_limit(ptr.as_ptr(), limit);
            check(sys::heif_context_read_from_memory_without_copy(
                ptr.as_ptr(),
                bytes.as_ptr().cast::<c_void>(),
                bytes.len(),
                std::ptr::null(),
            ))?;
        }
        Ok(context)
    }

    /// Lowers the size libheif accepts for any image it builds while decoding: a grid or overlay canvas
    /// is sized by its own box, not by the `ispe` checked from the header, and is checked against this.
    pub fn set_max_side(&self, max_side: u32) {
        let limit = c_int::try_from(max_side).unwrap_or(c_int::MAX);
        // SAFETY: `self.ptr` is a live context; this only sets a field read when decoding.
        unsafe { sys::heif_context_set_maximum_image_size_limit(self.ptr.as_ptr(), limit) }
    }

    /// The image the file shows by default.
    pub fn primary(&self) -> Result<Handle<'a>, HeifError> {
        let mut handle = std::ptr::null_mut();
        // SAFETY: `self.ptr` is a live context that has read a file; libheif writes one handle pointer.
        check(unsafe {
            sys::heif_context_get_primary_image_handle(self.ptr.as_ptr(), &mut handle)
        })?;
        let ptr = NonNull::new(handle).ok_or_else(|| HeifError::ours("no primary image"))?;
        Ok(Handle {
            ptr,
            bytes: PhantomData,
        })
    }
}

impl Drop for Context<'_> {
    fn drop(&mut self) {
        // SAFETY: allocated by `heif_context_alloc`, freed once; handles hold their own reference.
        unsafe { sys::heif_context_free(self.ptr.as_ptr()) }
    }
}

/// One image of the file, before decoding: what its header boxes say.
#[derive(Debug)]
pub(crate) struct Handle<'a> {
    ptr: NonNull<sys::ImageHandle>,
    bytes: PhantomData<&'a [u8]>,
}

impl Handle<'_> {
    /// Width and height as displayed: from `ispe`, with `irot` and `clap` already taken into account.
    pub fn dimensions(&self) -> (u32, u32) {
        // SAFETY: `self.ptr` is a live handle; these read fields parsed from the header.
        let (w, h) = unsafe {
            (
                sys::heif_image_handle_get_width(self.ptr.as_ptr()),
                sys::heif_image_handle_get_height(self.ptr.as_ptr()),
            )
        };
        (u32::try_from(w).unwrap_or(0), u32::try_from(h).unwrap_or(0))
    }

    pub fn has_alpha(&self) -> bool {
        // SAFETY: `self.ptr` is a live handle.
        unsafe { sys::heif_image_handle_has_alpha_channel(self.ptr.as_ptr()) != 0 }
    }

    /// Bits per luma sample as coded (8, 10, 12), when the header says.
    pub fn luma_bits(&self) -> Option<u32> {
        // SAFETY: `self.ptr` is a live handle; -1 means unknown.
        let bits = unsafe { sys::heif_image_handle_get_luma_bits_per_pixel(self.ptr.as_ptr()) };
        u32::try_from(bits).ok().filter(|b| *b > 0)
    }

    /// The embedded ICC profile, if the colour is described by one (`prof` or `rICC`); `None` for none
    /// and for nclx code points.
    pub fn icc(&self) -> Option<Vec<u8>> {
        // SAFETY: `self.ptr` is a live handle.
        let kind = unsafe { sys::heif_image_handle_get_color_profile_type(self.ptr.as_ptr()) };
        if kind == sys::PROFILE_NOT_PRESENT || kind == sys::PROFILE_NCLX {
            return None;
        }
        // SAFETY: as above.
        let size = unsafe { sys::heif_image_handle_get_raw_color_profile_size(self.ptr.as_ptr()) };
        if size == 0 {
            return None;
        }
        let mut profile = vec![0u8; size];
        // SAFETY: libheif copies exactly the `size` bytes it just reported into our buffer of that size.
        let copied = check(unsafe {
            sys::heif_image_handle_get_raw_color_profile(
                self.ptr.as_ptr(),
                profile.as_mut_ptr().cast::<c_void>(),
            )
        });
        copied.ok().map(|()| profile)
    }

    /// Decodes to 8-bit interleaved RGB, or RGBA with `alpha`, with the container's rotation, mirroring
    /// and crop applied. Deeper images are reduced to 8 bits by libheif.
    pub fn decode(&self, alpha: bool) -> Result<Image, HeifError> {
        // SAFETY: allocation has no preconditions; null is checked.
        let options = NonNull::new(unsafe { sys::heif_decoding_options_alloc() })
            .ok_or_else(|| HeifError::ours("libheif could not allocate decoding options"))?;
        // SAFETY: `options` points to a whole `heif_decoding_options` allocated by libheif, whose prefix
        // is `sys::DecodingOptions`; `convert_hdr_to_8bit` exists from version 2 on, which we check.
        unsafe {
            let options = options.as_ptr();
            if (*options).version >= 2 {
                (*options).convert_hdr_to_8bit = 1;
            }
        }
        let chroma = if alpha {
            sys::CHROMA_INTERLEAVED_RGBA
        } else {
            sys::CHROMA_INTERLEAVED_RGB
        };
        let mut image = std::ptr::null_mut();
        // SAFETY: `self.ptr` is a live handle, `options` live until freed below, and libheif writes one
        // image pointer that we own from then on.
        let result = check(unsafe {
            sys::heif_decode_image(
                self.ptr.as_ptr(),
                &mut image,
                sys::COLORSPACE_RGB,
                chroma,
                options.as_ptr(),
            )
        });
        // SAFETY: allocated above by `heif_decoding_options_alloc`, freed once.
        unsafe { sys::heif_decoding_options_free(options.as_ptr()) };
        result?;
        let ptr = NonNull::new(image).ok_or_else(|| HeifError::ours("decoder gave no image"))?;
        Ok(Image {
            ptr,
            channels: if alpha { 4 } else { 3 },
        })
    }
}

impl Drop for Handle<'_> {
    fn drop(&mut self) {
        // SAFETY: obtained from `heif_context_get_primary_image_handle`, released once.
        unsafe { sys::heif_image_handle_release(self.ptr.as_ptr()) }
    }
}

/// A decoded image, owned by libheif until dropped.
#[derive(Debug)]
pub(crate) struct Image {
    ptr: NonNull<sys::Image>,
    channels: usize,
}

/// The interleaved pixels of a decoded image: `height` rows of `width * channels` bytes, `stride` apart.
#[derive(Debug)]
pub(crate) struct Plane<'i> {
    pub width: u32,
    pub height: u32,
    pub channels: usize,
    pub stride: usize,
    pub data: &'i [u8],
}

impl Image {
    /// The 8-bit interleaved plane, checked to be as large as its dimensions and stride say.
    pub fn plane(&self) -> Result<Plane<'_>, HeifError> {
        let channel = sys::CHANNEL_INTERLEAVED;
        let mut stride: c_int = 0;
        // SAFETY: `self.ptr` is a live decoded image; libheif writes the stride and returns a pointer
        // into the image's own buffer (or null when there is no such plane).
        let (width, height, bits, data) = unsafe {
            (
                sys::heif_image_get_width(self.ptr.as_ptr(), channel),
                sys::heif_image_get_height(self.ptr.as_ptr(), channel),
                sys::heif_image_get_bits_per_pixel_range(self.ptr.as_ptr(), channel),
                sys::heif_image_get_plane_readonly(self.ptr.as_ptr(), channel, &mut stride),
            )
        };
        let (Ok(width), Ok(height), Ok(stride)) = (
            u32::try_from(width),
            u32::try_from(height),
            usize::try_from(stride),
        ) else {
            return Err(HeifError::ours(
                "decoded image has no valid interleaved plane",
            ));
        };
        let row = width as usize * self.channels;
        if data.is_null() || bits != 8 || width == 0 || height == 0 || stride < row {
            return Err(HeifError::ours(
                "decoded image is not 8-bit interleaved rgb",
            ));
        }
        let len = stride * (height as usize - 1) + row;
        // SAFETY: libheif allocated the plane as `height` rows of `stride` bytes, the last at least `row`
        // long; it stays alive and unchanged while `self` is borrowed, and u8 has no invalid values.
        let data = unsafe { std::slice::from_raw_parts(data, len) };
        Ok(Plane {
            width,
            height,
            channels: self.channels,
            stride,
            data,
        })
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: obtained from `heif_decode_image`, released once.
        unsafe { sys::heif_image_release(self.ptr.as_ptr()) }
    }
}
