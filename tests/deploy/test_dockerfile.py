"""The Dockerfile's promises that hadolint does not check: it builds through the scripts CI runs, ships a
non-root image whose HEALTHCHECK is the binary's own, and its runtime packages provide every shared
library the native binary links (read from the binary scripts/build-binary just built, when it is given)."""

import os
import re
import subprocess

import pytest

from conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
# Libraries every Debian image has (glibc, libgcc), and what each runtime package provides.
BASE_LIBRARIES = {"libc.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2"}
PACKAGE_LIBRARIES = {"libheif1": {"libheif.so.1"}}


def stage(name: str) -> str:
    return DOCKERFILE.split(f" AS {name}", 1)[1].split("\nFROM ", 1)[0]


def test_the_build_stage_runs_cis_scripts_locked():
    build = stage("build")
    assert "RUN scripts/install-native-deps" in build
    assert "scripts/build-binary --release" in build
    assert "DARKROOM_CARGO_FEATURES=darkroom/native-codecs" in build
    assert "--locked" in (ROOT / "scripts" / "build-binary").read_text()
    # CI builds the binary it serves through the same script.
    assert "scripts/build-binary" in (ROOT / "scripts" / "schemathesis").read_text()
    assert "scripts/install-native-deps" in (ROOT / ".ci" / "run").read_text()


def test_the_runtime_is_non_root_with_its_own_healthcheck():
    runtime = stage("runtime")
    (user,) = re.findall(r"^USER (\S+)", runtime, re.MULTILINE)
    assert not user.startswith("0") and user.split(":")[0].isdigit(), "numeric, so runAsNonRoot can verify it"
    assert 'CMD ["darkroom", "healthcheck"]' in runtime
    assert 'VOLUME ["/data"]' in runtime and "DARKROOM_DATA_DIR=/data" in runtime
    assert not runtime_packages() & {"curl", "wget"}, "the probe is the binary itself"
    for label in ("title", "description", "licenses", "version", "revision"):
        assert f"org.opencontainers.image.{label}=" in runtime


def runtime_packages() -> set[str]:
    install = re.search(r"apt-get install -y --no-install-recommends ([^\\&]+)", stage("runtime")).group(1)
    return set(install.split())


@pytest.mark.skipif(
    os.environ.get("CI") != "true" and not os.environ.get("DARKROOM_BINARY"),
    reason="DARKROOM_BINARY (the binary scripts/build-binary built) not given",
)
def test_the_runtime_packages_provide_every_library_the_binary_links():
    binary = os.environ["DARKROOM_BINARY"]
    dynamic = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic))
    assert needed, "no NEEDED entries: not a dynamically linked binary?"
    provided = set(BASE_LIBRARIES)
    for package in runtime_packages():
        provided |= PACKAGE_LIBRARIES.get(package, set())
    assert needed <= provided, f"the runtime stage lacks a package for {needed - provided}"
    if os.environ.get("DARKROOM_CARGO_FEATURES", "").endswith("native-codecs"):
        assert "libheif.so.1" in needed, "the native build links libheif"
