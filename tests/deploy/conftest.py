"""Shared helpers of the deployment checks (scripts/deploy-checks): the repository's paths, the server's own
configuration keys and routes read from its source, and the chart rendered through Helm's Go SDK."""

import json
import re
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml
from helm_python import _native

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "darkroom"
# Prometheus Operator CRDs, as a cluster that has them reports them to Helm's .Capabilities.
MONITORING_APIS = ["monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PrometheusRule"]
# The chart's floor (Chart.yaml kubeVersion) and the newest release kubernetes-validate knows.
KUBE_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]

VALUES_FILES = {
    "defaults": None,
    "aws": CHART / "values-aws.yaml",
    "onprem": CHART / "values-onprem.yaml",
    "all-on": CHART / "ci" / "all-on-values.yaml",
}


def config_keys() -> set[str]:
    """Every setting of the server's Config struct, as its DARKROOM_* environment variable."""
    source = (ROOT / "server" / "src" / "config.rs").read_text()
    struct = source.split("pub struct Config {", 1)[1].split("\n}\n", 1)[0]
    fields = re.findall(r"^\s*pub (\w+):", struct, re.MULTILINE)
    assert len(fields) > 20, "the Config struct was not found where expected"
    return {f"DARKROOM_{field.upper()}" for field in fields}


def server_default(field: str) -> str:
    """The default the server's Config gives `field` (a literal in `impl Default for Config`)."""
    source = (ROOT / "server" / "src" / "config.rs").read_text()
    match = re.search(rf"^\s*{field}: ([^,]+),", source.split("impl Default for Config", 1)[1], re.MULTILINE)
    assert match, f"no default for {field}"
    return match.group(1).strip()


def routes() -> set[str]:
    """The paths the server's router answers outside the versioned API (server/src/api/mod.rs)."""
    source = (ROOT / "server" / "src" / "api" / "mod.rs").read_text()
    return set(re.findall(r'\.at\("([^"]+)"', source))


def load_values(name: str) -> dict:
    path = VALUES_FILES[name]
    return yaml.safe_load(path.read_text()) if path else {}


def render(values: dict | None, api_versions: list[str] | None = None, kube_version: str = "v1.30.0") -> list[dict]:
    """The chart's objects, rendered offline by Helm's engine as `helm template` would."""
    opts = {
        "name": "demo",
        "namespace": "photos",
        "is_install": True,
        "kube_version": kube_version,
        "api_versions": api_versions or [],
    }
    with helm.Chart.load(CHART) as chart:
        # The SDK's Python wrapper does not expose api_versions yet; its C ABI takes them.
        manifests = json.loads(
            _native.call_string("helm_render", chart._raw(), json.dumps(values or {}), json.dumps(opts))
        )
    objects = []
    for path, text in manifests.items():
        if path.endswith("NOTES.txt"):
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects


def notes(values: dict | None, api_versions: list[str] | None = None) -> str:
    opts = {"name": "demo", "namespace": "photos", "is_install": True, "api_versions": api_versions or []}
    with helm.Chart.load(CHART) as chart:
        manifests = json.loads(
            _native.call_string("helm_render", chart._raw(), json.dumps(values or {}), json.dumps(opts))
        )
    return next(text for path, text in manifests.items() if path.endswith("NOTES.txt"))


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.fixture(params=list(VALUES_FILES), scope="module")
def preset(request):
    """Each values set: (name, values, objects rendered on a cluster with the monitoring CRDs)."""
    values = load_values(request.param)
    return request.param, values, render(values, MONITORING_APIS)
