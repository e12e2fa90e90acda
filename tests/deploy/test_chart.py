"""charts/darkroom, rendered through Helm's own Go SDK (helm-python-sdk, no helm binary) with the default
values, both presets and a file that turns every option on: linted strictly, every object validated against
the Kubernetes schemas, and the objects checked for what the chart promises."""

import json
import re

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from conftest import (
    CHART,
    KUBE_VERSIONS,
    MONITORING_APIS,
    ROOT,
    VALUES_FILES,
    by_kind,
    config_keys,
    load_values,
    notes,
    render,
    routes,
    server_default,
)

# Kinds of CRDs (KEDA, the Prometheus Operator) that kubernetes-validate has no schema for: checked by the
# assertions below instead.
CRD_KINDS = {"ScaledObject", "ServiceMonitor", "PrometheusRule"}
ROLES = ("api", "worker")


def roles_of(values):
    """The roles a values set runs: api and worker, and transform when it is enabled."""
    return set(ROLES) | ({"transform"} if values.get("transform", {}).get("enabled") else set())


def transform_prefix() -> str:
    """Where transformation URLs start, as the server routes them (server/src/api/transforms.rs)."""
    source = (ROOT / "server" / "src" / "api" / "transforms.rs").read_text()
    return re.search(r'pub const PREFIX: &str = "([^"]+)";', source).group(1)


@pytest.mark.parametrize("name", list(VALUES_FILES))
def test_lint_strict_is_clean(name):
    for kube in KUBE_VERSIONS:
        report = helm.lint(CHART, load_values(name), strict=True, kube_version=f"v{kube}")
        problems = [m for m in report["messages"] if m["severity"] >= 2]
        assert not problems and not report["errors"], report


def test_the_values_schema_rejects_a_typo_and_a_short_jwt_secret():
    for values in (
        {"api": {"replica": 3}},
        {"transform": {"enable": True}},
        {"transform": {"keda": {"enabled": True}}},
        {"secrets": {"jwtSecret": "short"}},
        {"backends": {"queueUrl": "kafka://x"}},
    ):
        report = helm.lint(CHART, values, strict=True)
        assert report["errors"], f"{values} passed the schema"


def test_every_object_is_valid_for_kubernetes(preset):
    name, _, objects = preset
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "ConfigMap", "ServiceAccount", "PodDisruptionBudget"} <= kinds, name
    for obj in objects:
        if obj["kind"] in CRD_KINDS:
            continue
        for kube in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, kube, strict=True)
            except kubernetes_validate.ValidationError as err:
                pytest.fail(f"{name}: {obj['kind']}/{obj['metadata']['name']} on {kube}: {err.message} at {list(err.path)}")


def settings_map(objects):
    """The ConfigMap of the server's settings (beside it, the dashboard's when that is on)."""
    (config,) = [c for name, c in by_kind(objects, "ConfigMap").items() if not name.endswith("-dashboard")]
    return config


def deployments(objects):
    return {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in by_kind(objects, "Deployment").values()}


def test_one_deployment_per_role_from_one_image(preset):
    name, values, objects = preset
    roles = deployments(objects)
    assert set(roles) == roles_of(values), name
    images = set()
    for role, deployment in roles.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["serve", "--role", role]
        images.add(container["image"])
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert len(images) == 1


def test_probes_point_at_real_routes_on_the_listening_port(preset):
    _, _, objects = preset
    served = routes()
    config = settings_map(objects)
    listen_port = int(config["data"]["DARKROOM_LISTEN"].rsplit(":", 1)[1])
    for role, deployment in deployments(objects).items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["http"] == listen_port
        paths = {probe: container[probe]["httpGet"]["path"] for probe in ("startupProbe", "livenessProbe", "readinessProbe")}
        assert paths == {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}, role
        assert set(paths.values()) <= served, f"{paths} not among the server's routes {served}"
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["port"] == "http"
    for monitor in by_kind(objects, "ServiceMonitor").values():
        assert {e["path"] for e in monitor["spec"]["endpoints"]} <= served


def test_metrics_are_scraped_from_the_operators_listener_only(preset):
    """The server serves /metrics on DARKROOM_METRICS_LISTEN only (its API port answers 404): every pod has a
    `metrics` port on that listener, every Service carries it, the ServiceMonitor scrapes it and never `http`,
    and the Ingress never routes to it."""
    name, _, objects = preset
    config = settings_map(objects)
    metrics_port = int(config["data"]["DARKROOM_METRICS_LISTEN"].rsplit(":", 1)[1])
    api_port = int(config["data"]["DARKROOM_LISTEN"].rsplit(":", 1)[1])
    assert metrics_port != api_port
    for role, deployment in deployments(objects).items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == metrics_port, (name, role)
    services = by_kind(objects, "Service")
    for service in services.values():
        targets = {p["name"]: p["targetPort"] for p in service["spec"]["ports"]}
        assert targets.get("metrics") == "metrics", service["metadata"]["name"]
    worker_service = next(s for s in services.values() if s["metadata"]["labels"]["app.kubernetes.io/component"] == "worker")
    assert [p["name"] for p in worker_service["spec"]["ports"]] == ["metrics"], "the worker takes no traffic"
    for ingress in by_kind(objects, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"]["port"] == {"name": "http"}, name
    (monitor,) = by_kind(objects, "ServiceMonitor").values()
    assert [(e["port"], e["path"]) for e in monitor["spec"]["endpoints"]] == [("metrics", "/metrics")]


def test_pods_run_locked_down(preset):
    name, _, objects = preset
    for deployment in deployments(objects).values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert "limits" in container["resources"] and "requests" in container["resources"]
            # With a read-only root, the only writable places are volumes.
            assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp", "/data"}


def test_the_grace_period_covers_the_servers_drain(preset):
    """The server drains in-flight requests, then jobs, each for up to shutdown_grace_secs (startup.rs)."""
    name, values, objects = preset
    config = settings_map(objects)
    grace = int(config["data"]["DARKROOM_SHUTDOWN_GRACE_SECS"])
    if "shutdownGraceSeconds" not in values:
        assert grace == int(server_default("shutdown_grace_secs")), "the chart's default differs from the server's"
    for role, deployment in deployments(objects).items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        assert pod["terminationGracePeriodSeconds"] >= pre_stop + 2 * grace, (name, role)
        if role in ("api", "transform"):
            assert pre_stop > 0, f"the {role} role keeps serving while its endpoint leaves the Service"
        if pod.get("nodeSelector", {}).get("karpenter.sh/capacity-type") == "spot":
            # A spot interruption notice is two minutes.
            assert pod["terminationGracePeriodSeconds"] <= 120, (name, role)


def test_settings_are_real_server_keys_and_roll_the_pods(preset):
    name, values, objects = preset
    keys = config_keys()
    config = settings_map(objects)
    for key in config["data"]:
        assert key in keys or key.startswith("AWS_"), f"{name}: {key} is not a server setting"
    for deployment in deployments(objects).values():
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert len(annotations["checksum/config"]) == 64
        for env in deployment["spec"]["template"]["spec"]["containers"][0].get("env", []):
            assert env["name"] in keys, env
    changed = dict(values, config={**values.get("config", {}), "DARKROOM_MAX_UPLOAD_BYTES": "1234"})
    before = deployments(objects)["api"]["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    after = deployments(render(changed, MONITORING_APIS))["api"]["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    assert before != after, "a changed setting must roll the pods"


def test_secrets_come_from_the_existing_secret_or_the_charts_own(preset):
    name, values, objects = preset
    secrets = by_kind(objects, "Secret")
    expected = values.get("existingSecret") or "demo-darkroom-secrets"
    if values.get("existingSecret"):
        assert not secrets, f"{name}: the chart must not make a Secret beside existingSecret"
    else:
        assert set(secrets) == {"demo-darkroom-secrets"}
        (secret,) = secrets.values()
        assert "DARKROOM_JWT_SECRET" in secret["data"]
    for deployment in deployments(objects).values():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            refs = [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s]
            assert refs == [expected]


def test_disruption_budgets_and_autoscalers_target_the_roles(preset):
    name, values, objects = preset
    roles = deployments(objects)
    pod_labels = {role: d["spec"]["template"]["metadata"]["labels"] for role, d in roles.items()}
    budgets = by_kind(objects, "PodDisruptionBudget")
    assert len(budgets) == len(roles_of(values))
    covered = set()
    for budget in budgets.values():
        selector = budget["spec"]["selector"]["matchLabels"]
        matching = [role for role, labels in pod_labels.items() if selector.items() <= labels.items()]
        assert len(matching) == 1, budget
        covered |= set(matching)
    assert covered == roles_of(values)
    scaled = {}
    for hpa in by_kind(objects, "HorizontalPodAutoscaler").values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in by_kind(objects, "Deployment")
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        scaled[target["name"]] = "hpa"
    for scaled_object in by_kind(objects, "ScaledObject").values():
        target = scaled_object["spec"]["scaleTargetRef"]["name"]
        assert target not in scaled, "KEDA and an HPA would fight over the worker"
        types = [t["type"] for t in scaled_object["spec"]["triggers"]]
        assert types[-1] == "cpu" and types[0] in {"nats-jetstream", "aws-sqs-queue", "rabbitmq"}
        scaled[target] = "keda"
    assert set(scaled) == {f"demo-darkroom-{role}" for role in roles_of(values)}, name
    for target in scaled:
        # An autoscaled Deployment leaves replicas to its autoscaler.
        assert "replicas" not in by_kind(objects, "Deployment")[target]["spec"]


def test_the_transform_role_takes_the_transformation_prefix_when_enabled(preset):
    """`serve --role transform` in a Deployment of its own, with its Service, HPA and PDB, and the Ingress
    sending the server's transformation prefix to it, ahead of any catch-all."""
    name, values, objects = preset
    prefix = transform_prefix().rstrip("/")
    roles = deployments(objects)
    ingresses = list(by_kind(objects, "Ingress").values())
    routed = [
        (rule["host"], path)
        for ingress in ingresses
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    if "transform" not in roles_of(values):
        assert "transform" not in roles, name
        assert all(p["backend"]["service"]["name"] == "demo-darkroom-api" for _, p in routed), name
        return
    (container,) = roles["transform"]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["serve", "--role", "transform"]
    env = {e["name"]: e["value"] for e in container.get("env", [])}
    assert env["DARKROOM_TRANSFORM_CONCURRENCY"] == str(values["transform"].get("concurrency", 0))
    assert "initContainers" not in roles["transform"]["spec"]["template"]["spec"], "only the API migrates"
    service = by_kind(objects, "Service")["demo-darkroom-transform"]
    pod_labels = roles["transform"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    for other in ("api", "worker"):
        assert not service["spec"]["selector"].items() <= roles[other]["spec"]["template"]["metadata"]["labels"].items()
    assert {p["name"] for p in service["spec"]["ports"]} == {"http", "metrics"}
    assert by_kind(objects, "HorizontalPodAutoscaler")["demo-darkroom-transform"]["spec"]["scaleTargetRef"]["name"] == (
        "demo-darkroom-transform"
    )
    assert ingresses, f"{name}: the transform role is reached through the Ingress"
    for ingress in ingresses:
        for rule in ingress["spec"]["rules"]:
            first, *rest = rule["http"]["paths"]
            assert (first["path"], first["pathType"]) == (prefix, "Prefix"), name
            assert first["backend"]["service"] == {"name": "demo-darkroom-transform", "port": {"name": "http"}}
            assert all(p["backend"]["service"]["name"] == "demo-darkroom-api" for p in rest)
    # Every other request stays with the API: a Prefix rule matches whole segments, so /v1/t only takes
    # /v1/t and /v1/t/…, never /v1/timeline.
    assert not "/v1/timeline".startswith(prefix + "/")
    for policy in by_kind(objects, "NetworkPolicy").values():
        if policy["metadata"]["name"] == "demo-darkroom-transform":
            rules = {rule["ports"][0]["port"]: rule for rule in policy["spec"]["ingress"]}
            assert set(rules) == {"http", "metrics"}
            assert rules["http"].get("from", []) == values.get("networkPolicy", {}).get("apiFrom", [])


def test_the_transform_role_is_off_by_default_and_on_in_the_aws_preset():
    assert "transform" not in deployments(render({}))
    assert "transform" not in deployments(render(load_values("onprem")))
    objects = render(load_values("aws"))
    assert "transform" in deployments(objects)
    assert "deploy/demo-darkroom-transform" in notes(load_values("aws"))
    assert "deploy/demo-darkroom-transform" not in notes({})


def test_the_aws_preset_assumes_an_iam_role_and_puts_the_worker_on_spot():
    values = load_values("aws")
    objects = render(values)
    (account,) = by_kind(objects, "ServiceAccount").values()
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    roles = deployments(objects)
    for deployment in roles.values():
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"]
    worker = roles["worker"]["spec"]["template"]["spec"]
    assert worker["nodeSelector"] == {"karpenter.sh/capacity-type": "spot"}
    assert any(t["key"] == "spot" and t["effect"] == "NoSchedule" for t in worker["tolerations"])
    assert "nodeSelector" not in roles["api"]["spec"]["template"]["spec"]
    config = settings_map(objects)
    assert config["data"]["DARKROOM_STORAGE_URL"].startswith("s3://")
    assert config["data"]["DARKROOM_QUEUE_URL"].startswith("sqs://")
    (ingress,) = by_kind(objects, "Ingress").values()
    assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/healthcheck-path"] in routes()


def test_the_onprem_preset_uses_its_backends_and_restricts_traffic():
    objects = render(load_values("onprem"))
    config = settings_map(objects)
    assert "endpoint=http://minio:9000" in config["data"]["DARKROOM_STORAGE_URL"]
    assert config["data"]["DARKROOM_QUEUE_URL"].startswith("nats://")
    assert config["data"]["DARKROOM_CACHE_URL"].startswith("redis")
    policies = by_kind(objects, "NetworkPolicy")
    assert set(policies) == {"demo-darkroom-api", "demo-darkroom-worker"}
    values = load_values("onprem")["networkPolicy"]
    for role, policy in policies.items():
        rules = {rule["ports"][0]["port"]: rule for rule in policy["spec"]["ingress"]}
        assert rules["metrics"]["from"] == values["metricsFrom"], "the metrics port only from metricsFrom"
        if role.endswith("-api"):
            assert set(rules) == {"http", "metrics"}
            assert rules["http"]["from"] == values["apiFrom"]
        else:
            assert set(rules) == {"metrics"}, "the worker's http port is for the kubelet's probes only"


def test_without_metrics_from_the_metrics_port_stays_in_the_namespace():
    objects = render({"networkPolicy": {"enabled": True}})
    for policy in by_kind(objects, "NetworkPolicy").values():
        rules = {rule["ports"][0]["port"]: rule for rule in policy["spec"]["ingress"]}
        assert rules["metrics"]["from"] == [{"podSelector": {}}]


def default_max_upload_bytes() -> int:
    """`Limits::default().max_bytes`, the server's default max_upload_bytes (core/src/imaging/limits.rs)."""
    source = (ROOT / "core" / "src" / "imaging" / "limits.rs").read_text()
    return int(re.search(r"max_bytes: ([0-9_]+),", source).group(1).replace("_", ""))


def test_the_ingress_lets_the_largest_upload_through():
    objects = render(load_values("onprem"))
    (ingress,) = by_kind(objects, "Ingress").values()
    annotations = ingress["metadata"]["annotations"]
    size = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    allowed = int(size[:-1]) * units[size[-1].lower()]
    assert allowed >= default_max_upload_bytes()
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 60
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] in by_kind(objects, "Service")


def test_monitoring_objects_only_where_their_crds_are():
    values = load_values("all-on")
    without = {o["kind"] for o in render(values)}
    assert not without & {"ServiceMonitor", "PrometheusRule"}
    assert "Prometheus Operator's CRDs are not installed" in notes(values)
    objects = render(values, MONITORING_APIS)
    (rule,) = by_kind(objects, "PrometheusRule").values()
    exprs = " ".join(r["expr"] for g in rule["spec"]["groups"] for r in g["rules"])
    for metric in (
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "worker_jobs_finished_total",
        "worker_jobs_dead_lettered_total",
        "kube_pod_status_ready",
        "queue_message_wait_seconds_bucket",
        "db_operation_duration_seconds_count",
        "queue_oldest_message_age_seconds",
        "queue_depth_messages",
        "outbox_pending_messages",
        "outbox_oldest_message_age_seconds",
    ):
        assert metric in exprs
    (monitor,) = by_kind(objects, "ServiceMonitor").values()
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert all(selector.items() <= s["metadata"]["labels"].items() for s in by_kind(objects, "Service").values())


def test_the_grafana_dashboard_ships_when_asked_and_reads_the_servers_metrics():
    assert not [o for o in render({}) if o["metadata"]["name"].endswith("-dashboard")]
    (dashboard,) = [o for o in render(load_values("all-on")) if o["metadata"]["name"].endswith("-dashboard")]
    assert dashboard["kind"] == "ConfigMap"
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(dashboard["data"]["darkroom.json"])
    exprs = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
    for metric in (
        "http_requests_total",
        "worker_jobs_finished_total",
        "queue_message_wait_seconds_bucket",
        "db_operation_duration_seconds_bucket",
        "cache_requests_total",
        "pipeline_stage_duration_seconds_bucket",
        "queue_depth_messages",
        "queue_oldest_message_age_seconds",
        "outbox_pending_messages",
        "outbox_oldest_message_age_seconds",
    ):
        assert metric in exprs, metric


def test_notes_tell_the_operator_what_to_do_next():
    text = notes({})
    assert "rollout status deploy/demo-darkroom-api" in text
    assert "port-forward svc/demo-darkroom-api" in text
    assert "embedded defaults" in text, "the default values run without shared backends: say so"
    assert "embedded defaults" not in notes(load_values("onprem"))
