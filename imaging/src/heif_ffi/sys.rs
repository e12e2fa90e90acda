//! libheif's C declarations (the 1.15 API): only what `heif_ffi` calls, laid out as in `heif.h`.

use std::ffi::{c_char, c_int, c_void};

#[repr(C)]
pub struct Context {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ImageHandle {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct Image {
    _opaque: [u8; 0],
}

/// `struct heif_error`, returned by value. C enums are `int` on every ABI libheif builds for.
#[repr(C)]
pub struct Error {
    pub code: c_int,
    pub subcode: c_int,
    pub message: *const c_char,
}

/// The first fields of `struct heif_decoding_options` (versions 1 to 4, the same in every later
/// release): only ever allocated by libheif, which knows the full size; we write through a pointer.
#[repr(C)]
pub struct DecodingOptions {
    pub version: u8,
    pub ignore_transformations: u8,
    pub start_progress: *mut c_void,
    pub on_progress: *mut c_void,
    pub end_progress: *mut c_void,
    pub progress_user_data: *mut c_void,
    pub convert_hdr_to_8bit: u8,
    pub strict_decoding: u8,
    pub decoder_id: *const c_char,
}

pub const ERROR_OK: c_int = 0;
pub const COMPRESSION_HEVC: c_int = 1;
pub const COMPRESSION_AV1: c_int = 4;
pub const COLORSPACE_RGB: c_int = 1;
pub const CHROMA_INTERLEAVED_RGB: c_int = 10;
pub const CHROMA_INTERLEAVED_RGBA: c_int = 11;
pub const CHANNEL_INTERLEAVED: c_int = 10;
/// `heif_fourcc('n','c','l','x')`: colour described by code points, not by an ICC profile.
pub const PROFILE_NCLX: c_int = 0x6e63_6c78;
pub const PROFILE_NOT_PRESENT: c_int = 0;

extern "C" {
    pub fn heif_init(params: *mut c_void) -> Error;
    pub fn heif_have_decoder_for_format(format: c_int) -> c_int;
    pub fn heif_context_alloc() -> *mut Context;
    pub fn heif_context_free(context: *mut Context);
    pub fn heif_context_read_from_memory_without_copy(
        context: *mut Context,
        mem: *const c_void,
        size: usize,
        options: *const c_void,
    ) -> Error;
    pub fn heif_context_set_maximum_image_size_limit(context: *mut Context, max_width: c_int);
    pub fn heif_context_get_primary_image_handle(
        context: *mut Context,
        handle: *mut *mut ImageHandle,
    ) -> Error;
    pub fn heif_image_handle_release(handle: *const ImageHandle);
    pub fn heif_image_handle_get_width(handle: *const ImageHandle) -> c_int;
    pub fn heif_image_handle_get_height(handle: *const ImageHandle) -> c_int;
    pub fn heif_image_handle_has_alpha_channel(handle: *const ImageHandle) -> c_int;
    pub fn heif_image_handle_get_luma_bits_per_pixel(handle: *const ImageHandle) -> c_int;
    pub fn heif_image_handle_get_color_profile_type(handle: *const ImageHandle) -> c_int;
    pub fn heif_image_handle_get_raw_color_profile_size(handle: *const ImageHandle) -> usize;
    pub fn heif_image_handle_get_raw_color_profile(
        handle: *const ImageHandle,
        out: *mut c_void,
    ) -> Error;
    pub fn heif_decoding_options_alloc() -> *mut DecodingOptions;
    pub fn heif_decoding_options_free(options: *mut DecodingOptions);
    pub fn heif_decode_image(
        handle: *const ImageHandle,
        out: *mut *mut Image,
        colorspace: c_int,
        chroma: c_int,
        options: *const DecodingOptions,
    ) -> Error;
    pub fn heif_image_get_width(image: *const Image, channel: c_int) -> c_int;
    pub fn heif_image_get_height(image: *const Image, channel: c_int) -> c_int;
    pub fn heif_image_get_bits_per_pixel_range(image: *const Image, channel: c_int) -> c_int;
    pub fn heif_image_get_plane_readonly(
        image: *const Image,
        channel: c_int,
        stride: *mut c_int,
    ) -> *const u8;
    pub fn heif_image_release(image: *const Image);
}
