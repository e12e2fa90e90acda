# syntax=docker/dockerfile:1
# Darkroom's container image: the `native-codecs` build (libjpeg-turbo, HEIC/AVIF through libheif, rav1e's
# assembly) on a slim Debian runtime that holds only the shared libraries the binary links, run as a non-root
# user, with every write under the /data volume so the root filesystem can be read-only.
#   docker build -t darkroom:local .          (compose.yaml and the Helm chart run this image)
# The build stage calls the very scripts CI calls (scripts/install-native-deps, scripts/build-binary), so the
# image's binary is built like the tested one.

ARG RUST_VERSION=1.95
# The runtime's Debian must be the builder's: the binary links the libheif it was built against.
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
# The native build's tools and headers first (cmake, make, nasm, pkg-config, libheif-dev), in a layer of its
# own that a source change does not invalidate.
COPY scripts/install-native-deps scripts/install-native-deps
RUN scripts/install-native-deps
COPY . .
ENV DARKROOM_CARGO_FEATURES=darkroom/native-codecs \
    CARGO_TARGET_DIR=/src/target
# Cache mounts keep the registry and the target dir between builds; the binary is copied out of them.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    scripts/build-binary --release --install /out

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="darkroom" \
      org.opencontainers.image.description="A self-hostable image-sharing server: the API, the worker and the CLI in one binary" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.documentation="README.md (Self-host)"
# libheif1 is the one library the native binary links beyond glibc and libgcc (libjpeg-turbo and libwebp are
# linked statically); on bookworm it carries its HEVC (libde265) and AV1 (dav1d) decoders as dependencies.
# ca-certificates: TLS to S3, SQS, DynamoDB and managed Postgres or Redis.
# DL3008 (apt versions not pinned): the Debian release in the base tag fixes them, and a pinned patch version
# vanishes from the archive at the next security update, which would break every build.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libheif1 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 darkroom \
 && useradd --system --uid 10001 --gid darkroom --no-create-home --home-dir /data --shell /usr/sbin/nologin darkroom \
 && mkdir /data \
 && chown darkroom:darkroom /data
COPY --from=build /out/darkroom /usr/local/bin/darkroom
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# Listen on every interface inside the container; embedded backends keep their files in the volume.
ENV DARKROOM_LISTEN=0.0.0.0:8080 \
    DARKROOM_DATA_DIR=/data \
    DARKROOM_LOG_FORMAT=json
EXPOSE 8080
# Asks this container's own /readyz (the port of DARKROOM_LISTEN): no curl in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["darkroom", "healthcheck"]
ENTRYPOINT ["darkroom"]
CMD ["serve"]
