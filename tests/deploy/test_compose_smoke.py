"""The compose smoke test: compose.yaml's darkroom services run as they are written — each one's command
after the image's ENTRYPOINT, with the image's ENV and the service's environment interpolated from an .env
made like a self-hoster makes theirs — as separate processes against this machine's Postgres, NATS, Redis
and moto (standing in for MinIO). `migrate` runs first; then the API and the worker, each until its own
healthcheck command passes; then a client registers, uploads a photo to the API and waits until the worker
has made its variants, and fetches one; and the `transform` profile's service renders a signed
transformation of it, which the API then serves from storage.

What differs from a real `docker compose up`, and why: the service names (postgres, minio, nats, redis)
resolve to this machine's servers; each run gets its own Postgres role and database, bucket, NATS namespace
and Redis prefix (so runs and other suites never share state); and the listen port and data dir are a free
port and a temporary directory. Everything else — commands, variable names, URL schemes and parameters,
secrets — is the file's."""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

COMPOSE = ROOT / "compose.yaml"
BACKEND_VARIABLES = ("DARKROOM_TEST_POSTGRES_URL", "DARKROOM_TEST_NATS_URL", "DARKROOM_TEST_REDIS_URL", "DARKROOM_TEST_AWS_ENDPOINT")

# Outside CI a machine without the backends skips this (and says so); under CI=true nothing may skip, so a
# missing variable fails the test instead.
pytestmark = pytest.mark.skipif(
    os.environ.get("CI") != "true"
    and (not os.environ.get("DARKROOM_BINARY") or not all(os.environ.get(v) for v in BACKEND_VARIABLES)),
    reason="needs DARKROOM_BINARY and the shared backends (source scripts/services)",
)


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ${X}, ${X:-default}, ${X:?error}, and $$ for a literal $."""

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if op == ":?":
            raise AssertionError(f"compose would refuse to start: {arg}")
        return arg if op == ":-" else ""

    return re.sub(r"\$\$|\$\{([A-Z0-9_]+)(?:(:[-?])([^}]*))?\}", one, value)


def dot_env(example: str, fresh_secrets: bool) -> dict[str, str]:
    """.env as the README says to make it: .env.example with every "replace-me" value replaced (or not)."""
    env = {}
    for line in example.splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            if fresh_secrets and value.startswith("replace-me"):
                value = secrets.token_hex(32)
            env[key] = value
    return env


def image_env() -> dict[str, str]:
    """The runtime stage's ENV lines of the Dockerfile."""
    runtime = (ROOT / "Dockerfile").read_text().split(" AS runtime", 1)[1]
    env = {}
    for block in re.findall(r"^ENV ((?:.*\\\n)*.*)$", runtime, re.MULTILINE):
        for pair in shlex.split(block.replace("\\\n", " ")):
            key, value = pair.split("=", 1)
            env[key] = value
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Machine:
    """This machine's servers standing in for compose's backend services, with per-run names."""

    def __init__(self):
        self.run = "smoke" + secrets.token_hex(4)
        self.admin_url = os.environ["DARKROOM_TEST_POSTGRES_URL"]
        self.nats = urllib.parse.urlsplit(os.environ["DARKROOM_TEST_NATS_URL"]).netloc
        self.redis = urllib.parse.urlsplit(os.environ["DARKROOM_TEST_REDIS_URL"]).netloc
        self.aws_endpoint = os.environ["DARKROOM_TEST_AWS_ENDPOINT"]

    def psql(self, sql: str):
        subprocess.run(["psql", self.admin_url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, capture_output=True)

    def create_database(self, password: str):
        self.psql(f"CREATE ROLE {self.run} LOGIN PASSWORD '{password}'")
        self.psql(f"CREATE DATABASE {self.run} OWNER {self.run}")

    def clean_up(self):
        """Leaves nothing behind on the shared servers: the database and role, the JetStream streams of the
        run's namespace (deleted through JetStream's API over a plain NATS connection), the Redis keys of its
        prefix. (moto keeps buckets in memory only.)"""
        self.psql(f"DROP DATABASE IF EXISTS {self.run} WITH (FORCE)")
        self.psql(f"DROP ROLE IF EXISTS {self.run}")
        host, port = self.nats.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as nats:
            nats.recv(4096)  # INFO
            nats.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _INBOX.smoke 1\r\n')
            for stream in (f"{self.run}_jobs", f"{self.run}_dead"):
                nats.sendall(f"PUB $JS.API.STREAM.DELETE.{stream} _INBOX.smoke 0\r\n\r\n".encode())
            nats.sendall(b"PING\r\n")
            answer = b""
            while answer.count(b"MSG _INBOX.smoke") < 2:
                chunk = nats.recv(4096)
                assert chunk, answer
                answer += chunk
        redis_host, redis_port = self.redis.rsplit(":", 1)
        keys = subprocess.run(
            ["redis-cli", "-h", redis_host, "-p", redis_port, "--scan", "--pattern", f"{self.run}:*"],
            capture_output=True, text=True, check=True,
        ).stdout.split()
        if keys:
            subprocess.run(["redis-cli", "-h", redis_host, "-p", redis_port, "DEL", *keys], capture_output=True, check=True)

    def map_url(self, key: str, url: str) -> str:
        """Points one of compose's backend URLs at this machine, keeping everything else of it."""
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query)
        if key == "DARKROOM_DATABASE_URL":
            assert parts.hostname == "postgres", url
            admin = urllib.parse.urlsplit(self.admin_url)
            netloc = f"{self.run}:{parts.password}@{admin.hostname}:{admin.port or 5432}"
            return urllib.parse.urlunsplit((parts.scheme, netloc, f"/{self.run}", parts.query, ""))
        if key == "DARKROOM_STORAGE_URL":
            assert query["endpoint"] == ["http://minio:9000"], url
            query["endpoint"] = [self.aws_endpoint]
            bucket = f"{parts.netloc}-{self.run}"
            return urllib.parse.urlunsplit((parts.scheme, bucket, parts.path, urllib.parse.urlencode(query, doseq=True), ""))
        if key == "DARKROOM_QUEUE_URL":
            assert parts.netloc == "nats:4222", url
            return f"{parts.scheme}://{self.nats}?namespace={self.run}"
        if key == "DARKROOM_CACHE_URL":
            assert parts.netloc == "redis:6379", url
            return f"{parts.scheme}://{self.redis}?prefix={self.run}:"
        return url


def service_env(service: dict, dotenv: dict, machine: Machine, data_dir: Path, port: int, metrics_port: int | None = None) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    env.update(image_env())
    for key, value in service["environment"].items():
        env[key] = machine.map_url(key, interpolate(str(value), dotenv))
    env["DARKROOM_LISTEN"] = f"127.0.0.1:{port}"
    if metrics_port is not None:
        assert env["DARKROOM_METRICS_LISTEN"].startswith("0.0.0.0:"), env["DARKROOM_METRICS_LISTEN"]
        env["DARKROOM_METRICS_LISTEN"] = f"127.0.0.1:{metrics_port}"
    env["DARKROOM_DATA_DIR"] = str(data_dir)
    return env


def command(service: dict) -> list[str]:
    return [os.environ["DARKROOM_BINARY"], *service["command"]]


def healthcheck(service: dict, env: dict) -> subprocess.CompletedProcess:
    test = service["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "darkroom", test
    return subprocess.run([os.environ["DARKROOM_BINARY"], *test[2:]], env=env, capture_output=True, text=True)


def request(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_migrate_refuses_the_example_secrets_left_as_they_are(tmp_path):
    compose = yaml.safe_load(COMPOSE.read_text())
    machine = Machine()
    dotenv = dot_env((ROOT / ".env.example").read_text(), fresh_secrets=False)
    migrate = compose["services"]["migrate"]
    env = service_env(migrate, dotenv, machine, tmp_path, free_port())
    done = subprocess.run(command(migrate), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done
    assert ".env.example" in done.stderr


def test_compose_services_run_the_upload_story_end_to_end(tmp_path):
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    machine = Machine()
    dotenv = dot_env((ROOT / ".env.example").read_text(), fresh_secrets=True)
    machine.create_database(dotenv["POSTGRES_PASSWORD"])
    running: dict[str, subprocess.Popen] = {}
    logs: dict[str, Path] = {}
    try:
        migrate = services["migrate"]
        env = service_env(migrate, dotenv, machine, tmp_path / "migrate", free_port())
        done = subprocess.run(command(migrate), env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

        envs = {}
        for name in ("darkroom-worker", "darkroom-api", "darkroom-transform"):
            data_dir = tmp_path / name
            data_dir.mkdir()
            envs[name] = service_env(services[name], dotenv, machine, data_dir, free_port(), free_port())
            logs[name] = tmp_path / f"{name}.log"
            with open(logs[name], "wb") as log:
                running[name] = subprocess.Popen(command(services[name]), env=envs[name], stdout=log, stderr=subprocess.STDOUT)
        for name in running:
            deadline = time.monotonic() + 60
            while (check := healthcheck(services[name], envs[name])).returncode != 0:
                assert running[name].poll() is None, f"{name} exited: {logs[name].read_text()[-3000:]}"
                assert time.monotonic() < deadline, f"{name} never healthy: {check.stderr}"
                time.sleep(0.3)
            assert json.loads(check.stdout)["role"] == name.removeprefix("darkroom-")

        api = "http://" + envs["darkroom-api"]["DARKROOM_LISTEN"]
        status, _, body = request(
            "POST", f"{api}/v1/auth/register",
            json.dumps({"username": "smoke", "email": "smoke@example.org", "password": "correct horse battery"}).encode(),
            {"content-type": "application/json"},
        )
        assert status == 201, body
        token = json.loads(body)["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        photo = (Path(os.environ.get("DARKROOM_TESTDATA", ROOT.parent / "shared" / "testdata")) / "photos" / "landscape_1.jpg").read_bytes()
        status, _, body = request("POST", f"{api}/v1/images?visibility=public", photo, {**auth, "content-type": "image/jpeg"})
        assert status == 202, body
        image = json.loads(body)
        assert image["status"] == "processing"

        # Only the worker process runs jobs (the API role has no worker): `ready` is its work.
        deadline = time.monotonic() + 120
        while image["status"] == "processing":
            assert time.monotonic() < deadline, f"not processed: {logs['darkroom-worker'].read_text()[-3000:]}"
            time.sleep(0.5)
            status, _, body = request("GET", f"{api}/v1/images/{image['id']}", headers=auth)
            assert status == 200, body
            image = json.loads(body)
        assert image["status"] == "ready", image

        status, headers, body = request("GET", f"{api}/v1/images/{image['id']}/variants/medium", headers={**auth, "accept": "image/webp"})
        assert status == 200, body[:500]
        assert {k.lower(): v for k, v in headers.items()}["content-type"] == "image/webp"
        assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"

        # The transform replica renders a transformation signed with the .env's key and salt (imgproxy's
        # signature: HMAC-SHA256(key, salt || path), base64url without padding); the API, on the same
        # storage, then answers the same URL with the stored result.
        path = f"/rs:fit:96:96/{image['id']}.webp"
        key, salt = (bytes.fromhex(envs["darkroom-transform"][f"DARKROOM_TRANSFORM_{k}"]) for k in ("KEY", "SALT"))
        signature = base64.urlsafe_b64encode(hmac.new(key, salt + path.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
        transform = "http://" + envs["darkroom-transform"]["DARKROOM_LISTEN"]
        status, headers, rendered = request("GET", f"{transform}/v1/t/{signature}{path}")
        assert status == 200, rendered[:500]
        headers = {k.lower(): v for k, v in headers.items()}
        assert headers["content-type"] == "image/webp" and headers["x-darkroom-transform"] == "rendered", headers
        status, headers, stored = request("GET", f"{api}/v1/t/{signature}{path}")
        assert status == 200 and stored == rendered, stored[:500]
        assert {k.lower(): v for k, v in headers.items()}["x-darkroom-transform"] == "stored"
        status, _, body = request("GET", f"{transform}/v1/t/{signature[:-2]}AA{path}")
        assert status == 403, body[:500]
        # The transform role serves nothing else.
        status, _, body = request("GET", f"{transform}/v1/images/{image['id']}", headers=auth)
        assert status == 404, body[:500]

        # Metrics are the operator's: on each service's metrics listener, and not on its published port.
        worker_metrics = "http://" + envs["darkroom-worker"]["DARKROOM_METRICS_LISTEN"] + "/metrics"
        status, _, metrics = request("GET", worker_metrics)
        assert status == 200, metrics[:500]
        assert re.search(rb'worker_jobs_finished_total\{[^}]*topic="image.process"', metrics), "the worker did the job"
        status, _, metrics = request("GET", "http://" + envs["darkroom-api"]["DARKROOM_METRICS_LISTEN"] + "/metrics")
        assert status == 200 and b'http_requests_total{' in metrics, metrics[:500]
        status, _, _ = request("GET", f"{api}/metrics")
        assert status == 404, "the API's port does not serve metrics"
        status, _, body = request("GET", "http://" + envs["darkroom-api"]["DARKROOM_METRICS_LISTEN"] + "/readyz")
        assert status == 200 and all(b["ok"] for b in json.loads(body)["backends"]), body
        status, _, body = request("GET", f"{api}/readyz")
        assert status == 200 and "backends" not in json.loads(body), body

        # A stop drains and exits cleanly, within compose's stop_grace_period.
        grace = int(services["darkroom-api"]["stop_grace_period"].rstrip("s"))
        for name, process in running.items():
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=grace) == 0, logs[name].read_text()[-3000:]
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        machine.clean_up()
