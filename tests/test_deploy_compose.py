"""The compose files in deploy/, checked without a container engine.

Every file validates against the Compose Specification's JSON Schema (vendored in deploy/schema/),
and the project they make together is consistent: dependencies, volumes, build inputs, env files and
their committed examples, ports and the Prometheus targets agree with each other and with the code.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from tradewire_stack import compose_project, dockerfile, settings_reference

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE_FILES = sorted(DEPLOY.glob("**/compose.yaml"))
SETTINGS_MODULES = {"gateway": "tradewire_gateway.settings", "dashboard": "tradewire_dashboard.config"}
# The example committed for each real (gitignored) env file; the default is `<name>.example` beside it.
EXAMPLES = {DEPLOY / "tradewire.env": DEPLOY / "env.example"}
PREFIXES = {"TRADER_": "trader", "GATEWAY_": "gateway", "DASHBOARD_": "dashboard", "NOTIFIER_": "notifier"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((DEPLOY / "schema" / "compose-spec.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def project() -> Any:
    return compose_project.load(DEPLOY / "compose.yaml")


def example_of(env_file: Path) -> Path:
    return EXAMPLES.get(env_file, env_file.with_name(env_file.name + ".example"))


def assignments(path: Path) -> dict[str, str]:
    """NAME=value lines of an env file, the commented-out ones (`# NAME=value`) included."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2).strip().strip("'\"")
    return found


def test_every_compose_file_is_found() -> None:
    names = {path.relative_to(DEPLOY).as_posix() for path in COMPOSE_FILES}
    assert names >= {"compose.yaml", "trader/compose.yaml", "gateway/compose.yaml", "dashboard/compose.yaml"}


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_compose_file_validates_against_the_compose_specification(
    path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(yaml.safe_load(path.read_text()))
    ]
    assert errors == []


def test_the_schema_rejects_what_compose_would(validator: jsonschema.Draft202012Validator) -> None:
    # Proves the validation has teeth: a misspelt key and a wrongly typed value are both caught.
    model = yaml.safe_load((DEPLOY / "gateway" / "compose.yaml").read_text())
    misspelt = copy.deepcopy(model)
    misspelt["services"]["gateway"]["restrat"] = "always"
    wrong_type = copy.deepcopy(model)
    wrong_type["services"]["gateway"]["depends_on"] = {"redis": {"condition": "when_ready"}}
    assert list(validator.iter_errors(misspelt))
    assert list(validator.iter_errors(wrong_type))


def test_the_project_runs_every_service_with_redis_and_postgres(project: Any) -> None:
    assert {"trader", "gateway", "dashboard", "redis", "postgres"} <= set(project.services)
    for name, service in project.services.items():
        for dependency in service.depends_on():
            assert dependency in project.services, f"{name} depends on undefined service {dependency}"
        for volume in service.named_volumes():
            assert volume in project.volumes, f"{name} mounts undeclared volume {volume}"
    assert "postgres" in project.services["dashboard"].depends_on()


def test_redis_keeps_its_data_with_the_append_only_file(project: Any) -> None:
    redis = project.services["redis"]
    command = redis.spec["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(target.split(":")[1] == "/data" for target in redis.spec["volumes"])
    for name in ("trader", "gateway", "dashboard"):
        url = urlsplit(project.services[name].spec["environment"]["REDIS_URL"])
        assert url.hostname == "redis"


@pytest.mark.parametrize("name", ["trader", "gateway", "dashboard"])
def test_each_service_builds_its_own_dockerfile_from_the_repository_root(project: Any, name: str) -> None:
    service = project.services[name]
    context = service.path(service.spec["build"]["context"])
    assert context == ROOT
    assert context / service.spec["build"]["dockerfile"] == DEPLOY / name / "Dockerfile"
    assert "command" not in service.spec and "entrypoint" not in service.spec, "the image's CMD is the command"


def test_every_env_file_has_a_committed_example_naming_real_settings(project: Any) -> None:
    known = {service: settings_reference.environment_variables(service) for service in PREFIXES.values()}
    env_files = {path for service in project.services.values() for path in service.env_files()}
    assert env_files, "no service reads an env file"
    for env_file in env_files:
        example = example_of(env_file)
        assert example.is_file(), f"{env_file.name} has no committed example ({example})"
        for variable in assignments(example):
            service = next((s for prefix, s in PREFIXES.items() if variable.startswith(prefix)), None)
            if service:
                assert variable in known[service], f"{example.name}: {variable} is not a {service} setting"


def test_the_database_url_matches_the_postgres_credentials(project: Any) -> None:
    shared = assignments(DEPLOY / "env.example")
    url = urlsplit(shared["DATABASE_URL"])
    assert url.scheme.startswith("postgres")
    assert url.hostname in project.services and project.services[url.hostname].spec["image"].startswith("postgres")
    assert (url.username, url.password, url.path.lstrip("/")) == (
        shared["POSTGRES_USER"],
        shared["POSTGRES_PASSWORD"],
        shared["POSTGRES_DB"],
    )


@pytest.mark.parametrize("name", ["gateway", "dashboard"])
def test_published_port_is_the_settings_default(project: Any, name: str) -> None:
    default = importlib.import_module(SETTINGS_MODULES[name]).Settings.model_fields["port"].default
    assert project.services[name].container_ports() == [default]


def metrics_paths() -> dict[str, set[str]]:
    """The HTTP paths each service serves today, read from its code: the gateway's OpenAPI document, the
    dashboard's URL patterns (parsed, so no Django is configured in this process), the trader's routes."""
    from tradewire_gateway.app import create_app
    from tradewire_gateway.settings import Settings

    # A token keeps the app from generating (and logging) a quick-start one; no connection is made here.
    settings = Settings(tokens=[{"name": "scrape-check", "token": "x" * 16, "scopes": ["read"]}])
    urls = ROOT / "services" / "dashboard" / "src" / "tradewire_dashboard" / "urls.py"
    routes = [
        node.args[0].value
        for node in ast.walk(ast.parse(urls.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "path"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    from prometheus_client import CollectorRegistry

    from tradewire_trader.metrics import metrics_app

    trader_routes = metrics_app(CollectorRegistry()).router.routes()
    # The recorder's probes compare the path with literals (no Django here to import them with).
    probes = ROOT / "services" / "dashboard" / "src" / "tradewire_dashboard" / "recorder_process.py"
    recorder = {
        node.value
        for node in ast.walk(ast.parse(probes.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ("/healthz", "/metrics")
    }
    return {
        "recorder": recorder,
        "gateway": set(create_app(settings).openapi()["paths"]),
        "dashboard": {"/" + route for route in routes},
        "trader": {route.resource.canonical for route in trader_routes if route.resource is not None},
    }


def served_port(service: str) -> int:
    """The port a service's container listens on: the Settings default, or for the trader (whose metrics
    port is off natively) the one its image turns on."""
    if service == "trader":
        image = dockerfile.parse(DEPLOY / "trader" / "Dockerfile")[-1]
        return int(image.environment()["TRADER_METRICS_PORT"])
    if service == "recorder":
        dashboard = importlib.import_module(SETTINGS_MODULES["dashboard"]).Settings
        return int(dashboard.model_fields["recorder_port"].default)
    return int(importlib.import_module(SETTINGS_MODULES[service]).Settings.model_fields["port"].default)


def test_prometheus_scrapes_every_metrics_endpoint_and_nothing_else(project: Any) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    served = metrics_paths()
    scraped = set()
    for job in config["scrape_configs"]:
        path = job.get("metrics_path", "/metrics")
        for group in job["static_configs"]:
            for target in group["targets"]:
                host, port = target.rsplit(":", 1)
                assert host in project.services, f"{job['job_name']}: no service {host}"
                assert path in served[host], f"{host} does not serve {path}"
                assert int(port) == served_port(host)
                scraped.add(host)
    assert scraped == {service for service, paths in served.items() if "/metrics" in paths}
    mounted = project.services["prometheus"].spec["volumes"][0].split(":")[0]
    assert project.services["prometheus"].path(mounted) == DEPLOY / "prometheus.yml"


def test_the_dashboard_answers_its_health_check_and_prometheus_by_host_name() -> None:
    allowed = json.loads(assignments(DEPLOY / "dashboard" / "dashboard.env.example")["DASHBOARD_ALLOWED_HOSTS"])
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    hosts = {
        target.rsplit(":", 1)[0]
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert "127.0.0.1" in allowed  # the image's HEALTHCHECK calls http://127.0.0.1:<port>/
    assert hosts & {"dashboard"} <= set(allowed)


def test_the_cluster_override_validates_and_keeps_redis_as_the_first_node(
    validator: jsonschema.Draft202012Validator,
) -> None:
    override = yaml.safe_load((DEPLOY / "compose.cluster.yaml").read_text())
    assert [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(override)] == []
    nodes = [
        name for name in override["services"] if name == "redis" or (name.startswith("redis-") and name[6:].isdigit())
    ]
    assert nodes == ["redis", "redis-2", "redis-3", "redis-4", "redis-5", "redis-6"]
    # Every service keeps REDIS_URL=redis://redis:6379/0: the first node's name is unchanged.
    assert "redis-cluster-init" in override["services"]
    assert "cluster_state:ok" in " ".join(override["services"]["redis"]["healthcheck"]["test"])
    assert override["secrets"]["redis_users"]["file"] == "./redis/users.cluster.acl"
    assert (DEPLOY / "redis" / "users.cluster.acl.example").exists()


def test_the_acl_examples_hold_only_user_lines() -> None:
    # Redis aborts on any other line of an ACL file ("should start with user keyword"): the cluster's
    # example once opened with comments, and the cluster's nodes never started in containers.
    for example in sorted((DEPLOY / "redis").glob("*.acl.example")):
        lines = example.read_text().splitlines()
        assert lines and all(line.startswith("user ") for line in lines), example.name
