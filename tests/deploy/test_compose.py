"""compose.yaml and compose.embedded.yaml: valid against the Compose specification's JSON schema (the copy
check-jsonschema vendors, with its licence), and wired as the README promises: a one-shot migrate that the
API and the worker wait for, every long-running service with a healthcheck, waits on health, named volumes,
secrets that must come from .env, and only settings the server has."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, config_keys

COMPOSE = ROOT / "compose.yaml"
EMBEDDED = ROOT / "compose.embedded.yaml"
DARKROOM_SERVICES = ("migrate", "darkroom-api", "darkroom-worker", "darkroom-transform")
BACKENDS = ("postgres", "minio", "nats", "redis")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("path", [COMPOSE, EMBEDDED], ids=lambda p: p.name)
def test_valid_against_the_compose_specification(path):
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_file(tmp_path):
    broken = load(COMPOSE)
    broken["services"]["darkroom-api"]["depends_on"]["migrate"]["condition"] = "service_finished"
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.compose-spec", str(path)], capture_output=True)
    assert result.returncode != 0


def test_roles_wait_for_migrate_which_waits_for_healthy_backends():
    services = load(COMPOSE)["services"]
    assert set(DARKROOM_SERVICES + BACKENDS) <= set(services)
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    for backend in BACKENDS:
        assert services["migrate"]["depends_on"][backend] == {"condition": "service_healthy"}
    assert services["migrate"]["depends_on"]["minio-init"] == {"condition": "service_completed_successfully"}
    for role in ("api", "worker"):
        service = services[f"darkroom-{role}"]
        assert service["command"] == ["serve", "--role", role]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        for backend in BACKENDS:
            assert service["depends_on"][backend] == {"condition": "service_healthy"}
        assert service["healthcheck"]["test"] == ["CMD", "darkroom", "healthcheck"]
        # Migrations run once, in migrate, not in every replica.
        assert service["environment"]["DARKROOM_AUTO_MIGRATE"] == "false"


def test_the_transform_role_is_an_opt_in_profile_that_needs_no_queue():
    services = load(COMPOSE)["services"]
    transform = services["darkroom-transform"]
    assert transform["command"] == ["serve", "--role", "transform"]
    # `docker compose up -d` alone starts what it always did; `--profile transform` adds the renders.
    assert transform["profiles"] == ["transform"]
    assert all("profiles" not in services[name] for name in DARKROOM_SERVICES if name != "darkroom-transform")
    assert transform["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # It never touches the queue, so it does not wait for NATS.
    assert set(transform["depends_on"]) == {"postgres", "minio", "redis", "migrate"}
    for backend in ("postgres", "minio", "redis"):
        assert transform["depends_on"][backend] == {"condition": "service_healthy"}
    assert transform["healthcheck"]["test"] == ["CMD", "darkroom", "healthcheck"]
    # Its own host-port range, beside the API's: no clash when both scale.
    (port,) = transform["ports"]
    assert port.endswith(":8080") and "TRANSFORM_PORTS" in port


def test_every_long_running_service_has_a_healthcheck():
    for path in (COMPOSE, EMBEDDED):
        for name, service in load(path)["services"].items():
            if service.get("restart") == "no":
                continue
            assert service["healthcheck"]["test"], f"{path.name}: {name}"


def test_the_api_scales_without_a_host_port_clash():
    (port,) = load(COMPOSE)["services"]["darkroom-api"]["ports"]
    host, container = port.rsplit(":", 1)
    assert container == "8080"
    # A range: each replica of `--scale darkroom-api=N` takes the next free port of it.
    assert re.fullmatch(r"\$\{DARKROOM_PORTS:-\d+-\d+\}", host), host
    assert "ports" not in load(COMPOSE)["services"]["darkroom-worker"]


def test_metrics_listen_on_a_port_that_is_never_published():
    """The server serves /metrics on DARKROOM_METRICS_LISTEN only; that port stays inside the network."""
    for path in (COMPOSE, EMBEDDED):
        for name, service in load(path)["services"].items():
            if name not in DARKROOM_SERVICES and path == COMPOSE:
                continue
            listen = service["environment"]["DARKROOM_METRICS_LISTEN"]
            host, port = listen.rsplit(":", 1)
            assert host == "0.0.0.0" and port != "8080", f"{path.name}: {name}"
            for published in service.get("ports", []):
                assert published.rsplit(":", 1)[1] != port, f"{path.name}: {name} publishes its metrics port"


def test_darkroom_containers_are_read_only_and_keep_state_in_named_volumes():
    compose = load(COMPOSE)
    for name in DARKROOM_SERVICES:
        service = compose["services"][name]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
    for path in (COMPOSE, EMBEDDED):
        document = load(path)
        for name, service in document["services"].items():
            for volume in service.get("volumes", []):
                source = volume.split(":", 1)[0]
                assert source in document["volumes"], f"{path.name}: {name} mounts {source}, not a named volume"
    (volume,) = load(EMBEDDED)["services"]["darkroom"]["volumes"]
    assert volume.endswith(":/data")


def test_settings_are_real_server_keys():
    keys = config_keys()
    for name in DARKROOM_SERVICES:
        for key in load(COMPOSE)["services"][name]["environment"]:
            assert key in keys or key.startswith("AWS_"), f"{name}: {key} is not a server setting"


def test_secrets_must_come_from_env_and_the_example_names_them_all():
    text = COMPOSE.read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert {
        "DARKROOM_JWT_SECRET", "DARKROOM_TRANSFORM_KEY", "DARKROOM_TRANSFORM_SALT", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD",
    } <= required
    # No secret has a fallback value: `${X:-…}` is only for ports and image names.
    for name, default in re.findall(r"\$\{([A-Z_]+):-([^}]*)\}", text):
        assert not re.search("SECRET|PASSWORD|KEY|SALT", name), f"{name} has a default: {default}"
    example = (ROOT / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert required <= defined, f".env.example lacks {required - defined}"
