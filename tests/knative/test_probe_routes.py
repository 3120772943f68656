"""Probe paths in the Service manifests exist as routes of the process they probe.

Each gateway Service's probes are sent to the WSGI app that its image serves for its
FUNCTION_TARGET (``functions.wsgi.build_app``), and the runner's to the runner app,
configured with a service token the probe does not carry (kubelet sends none).
"""

from __future__ import annotations

import json

import pytest
import yaml
from werkzeug.test import Client

from functions.config import ServingSettings
from functions.gateway import reset_gateway
from tests.knative.conftest import KNATIVE

DOCS = {p.stem: yaml.safe_load(p.read_text()) for p in sorted((KNATIVE / "base").glob("*.yaml"))}
SERVICES = {
    name: doc
    for name, doc in DOCS.items()
    if doc.get("kind") == "Service" and doc["apiVersion"].startswith("serving.knative.dev/")
}


def container(doc):
    return doc["spec"]["template"]["spec"]["containers"][0]


def probe_paths(doc) -> set[str]:
    c = container(doc)
    return {c[p]["httpGet"]["path"] for p in ("readinessProbe", "livenessProbe") if p in c}


def target_of(doc) -> str:
    return next(e["value"] for e in container(doc)["env"] if e["name"] == "FUNCTION_TARGET")


@pytest.fixture
def gateway_env(monkeypatch, tmp_path):
    """A valid gateway environment whose runner is unreachable: probes must not care."""
    monkeypatch.setenv("RUNNER_BACKEND", "knative")
    monkeypatch.setenv("RUNNER_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("INSTALL_REGISTRY_FILE", str(tmp_path / "installs.json"))
    reset_gateway()
    yield
    reset_gateway()


def gateway_client(target: str) -> Client:
    from functions.wsgi import build_app

    return Client(build_app(ServingSettings(function_target=target, k_revision="execute-00001")))


GATEWAY_SERVICES = [n for n, d in SERVICES.items() if "extgate/functions" in container(d)["image"]]


def test_every_service_has_http_probes():
    assert set(SERVICES) == {"execute", "execute-event", "ui-proxy", "health", "extension-runner"}
    for name, doc in SERVICES.items():
        assert probe_paths(doc), name


@pytest.mark.parametrize("name", GATEWAY_SERVICES)
def test_gateway_probe_paths_answer_200_without_a_runner(gateway_env, name):
    doc = SERVICES[name]
    client = gateway_client(target_of(doc))
    for path in probe_paths(doc):
        response = client.get(path)
        assert response.status_code == 200, (name, path, response.get_data(as_text=True))
        assert json.loads(response.get_data())


def test_a_probe_path_that_is_not_a_route_is_caught(gateway_env):
    response = gateway_client("execute").get("/readyz")
    assert response.status_code != 200


def test_runner_probe_paths_answer_200_without_the_service_token(tmp_path):
    from runner.app import create_app
    from runner.config import load_settings

    settings = load_settings({
        "BUNDLE_STORE_BASE": str(tmp_path / "store"),
        "RUNNER_DATA_DIR": str(tmp_path / "data"),
        "RUNNER_SERVICE_TOKEN": "probe-does-not-know-this",
    })  # fmt: skip
    (tmp_path / "store").mkdir()
    client = create_app(settings).test_client()
    for path in probe_paths(SERVICES["extension-runner"]):
        assert client.get(path).status_code == 200, path
    assert client.get("/readyz").status_code != 200  # not a route (401: token checked first)
