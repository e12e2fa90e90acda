#!/usr/bin/env bash
# Side-by-side benchmark of `darkroom thumbnail` against sharp and libvips' vipsthumbnail (see compare.py
# for what is measured and how). Installs what it needs: the native codecs' build tools and vipsthumbnail
# (scripts/install-native-deps --bench), sharp from npm and numpy/Pillow from PyPI into a cache directory,
# then builds darkroom in release mode with `native-codecs` (the binary's feature, forwarded to the
# darkroom-imaging crate, whose plans `darkroom thumbnail` renders). Extra arguments go to compare.py, e.g.
#   bench/compare.sh --runs 7 --repeat 16 --markdown /tmp/table.md
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-native-deps --bench

cache="${DARKROOM_BENCH_CACHE:-${CARGO_TARGET_DIR:-target}/bench-cache}"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
if [ ! -d "$cache/sharp/node_modules/sharp" ]; then
  mkdir -p "$cache/sharp"
  (cd "$cache/sharp" && npm install --silent --no-audit --no-fund --no-save "sharp@${SHARP_VERSION:-0.35}")
fi
if [ ! -x "$cache/venv/bin/python" ]; then
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install --quiet numpy pillow
fi

features="${DARKROOM_BENCH_FEATURES:-sqlite,embedded-queue,local-storage,memory-cache,native-codecs}"
cargo build --release --locked -p darkroom --no-default-features --features "$features" --bin darkroom
target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" = /* ]] || target_dir="$(pwd)/$target_dir"
darkroom="$target_dir/release/darkroom"

photos="$(pwd)/../shared/testdata/photos"
large="$cache/generated_8064x6048.jpg"
if [ ! -f "$large" ]; then
  # A 48.8 Mpx JPEG: the 12 Mpx photo enlarged 2x (libvips, Lanczos), saved at q90.
  vips resize "$photos/iphone_4032x3024.jpg" "$large[Q=90]" 2 --kernel lanczos3
fi

echo "sharp $(cd "$cache/sharp" && node -p 'require("sharp").versions.sharp + " (libvips " + require("sharp").versions.vips + ")"'), $(vipsthumbnail --vips-version), $("$darkroom" --version) [$features], $(nproc) cores" >&2
SHARP_DIR="$cache/sharp" "$cache/venv/bin/python" bench/compare.py \
  --darkroom "$darkroom" --large "$large" --photos "$photos" "$@"
