//! Links the system libheif for the `native-codecs` build (HEIC and AVIF decoding, see
//! `src/imaging/heif_ffi.rs`). The default build links nothing and needs no system library.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "native-codecs")]
    link_libheif();
}

/// 1.15 is the oldest libheif whose C API the binding was written against (Debian 12's).
#[cfg(feature = "native-codecs")]
fn link_libheif() {
    if let Err(error) = pkg_config::Config::new()
        .atleast_version("1.15")
        .probe("libheif")
    {
        panic!(
            "the native-codecs feature needs libheif >= 1.15 and its pkg-config file \
             (run scripts/install-native-deps; Debian: apt-get install libheif-dev pkg-config): {error}"
        );
    }
}
